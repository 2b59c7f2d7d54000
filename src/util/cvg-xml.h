/*
 * cvg-xml.h: libxml2 ownership helpers, untrusted XML reading
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

/* Why cvg_xml_read_untrusted() returned no document. */
typedef enum {
    CVG_XML_READ_OK = 0,
    CVG_XML_READ_TOO_LARGE, /* more than G_MAXINT bytes */
    CVG_XML_READ_NO_PARSER, /* libxml2 could not create a parser */
    CVG_XML_READ_DOCTYPE,   /* it has a document type declaration */
    CVG_XML_READ_MALFORMED, /* it is not well-formed XML */
} CvgXmlReadStatus;

/*
 * Parse untrusted XML (a client's domain XML, a peer's cookie): @len bytes at
 * @buf, which need no terminating NUL.  libxml2 only parses: it fetches
 * nothing from the network, substitutes no entity, prints nothing, and a
 * document type declaration stops it before the DTD can declare an entity.
 * @url is the document's URL for libxml2.
 *
 * Returns the document (owned by the caller), or NULL.  *@status (if
 * @status is not NULL) says which, *@first_error (if not NULL) gets
 * libxml2's first error as a g_malloc'd "line:column: message", or NULL when
 * there was none; both are set either way.  A document that is returned can
 * have had an error too: an undeclared namespace prefix leaves it
 * well-formed.  Nothing is reported: the caller knows what the document is,
 * so it says what was wrong with it.
 */
xmlDoc *cvg_xml_read_untrusted(const char *buf, size_t len, const char *url,
                               CvgXmlReadStatus *status, char **first_error);
