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

/* What the libxml2 callbacks learn while an untrusted document is read. */
typedef struct {
    bool doctype;
    char *error; /* "line:column: message" of the first error */
} CvgXmlReadState;

#if LIBXML_VERSION >= 21200
typedef const xmlError CvgXmlErrorArg;
#else
typedef xmlError CvgXmlErrorArg;
#endif

static void
read_structured_error(void *data, CvgXmlErrorArg *err)
{
    xmlParserCtxtPtr ctxt = data;
    CvgXmlReadState *state = ctxt ? ctxt->_private : NULL;
    g_autofree char *msg = NULL;

    /* Warnings do not make a document unusable; the first error is the one
     * that explains the rest. */
    if (!state || !err || err->level < XML_ERR_ERROR || state->error)
        return;
    msg = g_strdup(err->message ? err->message : "");
    g_strchomp(msg);
    state->error = g_strdup_printf("%d:%d: %s", err->line, err->int2, msg);
}

static void
read_internal_subset(void *data, const xmlChar *name G_GNUC_UNUSED,
                     const xmlChar *external_id G_GNUC_UNUSED,
                     const xmlChar *system_id G_GNUC_UNUSED)
{
    xmlParserCtxtPtr ctxt = data;
    CvgXmlReadState *state = ctxt->_private;

    /* A DTD could declare entities; stop before its body is read. */
    state->doctype = true;
    xmlStopParser(ctxt);
}

xmlDoc *
cvg_xml_read_untrusted(const char *buf, size_t len, const char *url,
                       CvgXmlReadStatus *status, char **first_error)
{
    static gsize parser_initialized;
    CvgXmlReadState state = {0};
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    CvgXmlReadStatus st = CVG_XML_READ_OK;

    if (len > G_MAXINT) {
        st = CVG_XML_READ_TOO_LARGE;
        goto out;
    }
    /* libxml2 wants its first initialization not to race. */
    if (g_once_init_enter(&parser_initialized)) {
        xmlInitParser();
        g_once_init_leave(&parser_initialized, 1);
    }
    if (!(ctxt = xmlNewParserCtxt())) {
        st = CVG_XML_READ_NO_PARSER;
        goto out;
    }
    ctxt->_private = &state;
    ctxt->sax->serror = read_structured_error;
    ctxt->sax->internalSubset = read_internal_subset;

    /* No XML_PARSE_NOENT: entities are never substituted, and a DOCTYPE is
     * refused before any could be declared. */
    doc = xmlCtxtReadMemory(ctxt, buf, (int)len, url, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    ctxt->_private = NULL;

    if (state.doctype)
        st = CVG_XML_READ_DOCTYPE;
    else if (!doc || !ctxt->wellFormed)
        st = CVG_XML_READ_MALFORMED;
    else if (doc->intSubset || doc->extSubset)
        st = CVG_XML_READ_DOCTYPE;

out:
    if (status)
        *status = st;
    if (first_error)
        *first_error = g_steal_pointer(&state.error);
    g_free(state.error);
    return st == CVG_XML_READ_OK ? g_steal_pointer(&doc) : NULL;
}
