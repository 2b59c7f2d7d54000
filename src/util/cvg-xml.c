/*
 * cvg-xml.c: libxml2 helpers
 */
#include "cvg-xml.h"

char *
cvg_xml_prop(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)name);
    char *ret;

    if (!v)
        return NULL;
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return ret;
}

char *
cvg_xml_content(xmlNodePtr node)
{
    xmlChar *v = xmlNodeGetContent(node);
    char *ret = g_strdup(v ? (const char *)v : "");

    xmlFree(v);
    return ret;
}

void
cvg_xml_escape(GString *buf, const char *str, bool attr)
{
    const char *p;

    for (p = str; *p; p++) {
        switch (*p) {
        case '&':
            g_string_append(buf, "&amp;");
            break;
        case '<':
            g_string_append(buf, "&lt;");
            break;
        case '>':
            g_string_append(buf, "&gt;");
            break;
        case '\r':
            g_string_append(buf, "&#13;");
            break;
        case '\'':
            g_string_append(buf, attr ? "&apos;" : "'");
            break;
        case '"':
            g_string_append(buf, attr ? "&quot;" : "\"");
            break;
        case '\n':
            g_string_append(buf, attr ? "&#10;" : "\n");
            break;
        case '\t':
            g_string_append(buf, attr ? "&#9;" : "\t");
            break;
        default:
            g_string_append_c(buf, *p);
            break;
        }
    }
}
