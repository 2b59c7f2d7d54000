/*
 * cvg-xml.h: libxml2 ownership helpers
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)

/* The attribute @name of @node as a g_malloc'd string, or NULL. */
char *cvg_xml_prop(xmlNodePtr node, const char *name);

/* The text content of @node as a g_malloc'd string (never NULL). */
char *cvg_xml_content(xmlNodePtr node);

/* Append @str to @buf escaped for XML text (@attr false) or a quoted
 * attribute value (@attr true).  Carriage returns, and in attributes tabs
 * and newlines, become character references so a parser reads back exactly
 * @str. */
void cvg_xml_escape(GString *buf, const char *str, bool attr);
