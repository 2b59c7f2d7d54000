/*
 * migration-cookie.c: the cookie convergd daemons pass between phases
 */
#include "migration-cookie.h"
#include "domain-conf.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-xml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* More than all job statistics together. */
#define COOKIE_MAX_PARAMS 128

void
cvg_migration_cookie_free(CvgMigrationCookie *c)
{
    if (!c)
        return;
    g_free(c->name);
    g_free(c->hostname);
    cvg_typed_params_free(c->stats);
    g_free(c);
}

char *
cvg_migration_cookie_format(const CvgMigrationCookie *c, size_t *ret_len)
{
    GString *s = g_string_new("<convergd-migration version='1'>\n");
    char uuid[37];

    if (c->name) {
        g_string_append(s, "  <name>");
        cvg_xml_escape(s, c->name, false);
        g_string_append(s, "</name>\n");
    }
    if (c->has_uuid) {
        cvg_uuid_format(c->uuid, uuid);
        g_string_append_printf(s, "  <uuid>%s</uuid>\n", uuid);
    }
    if (c->hostname) {
        g_string_append(s, "  <hostname>");
        cvg_xml_escape(s, c->hostname, false);
        g_string_append(s, "</hostname>\n");
    }
    if (c->has_host_uuid) {
        cvg_uuid_format(c->host_uuid, uuid);
        g_string_append_printf(s, "  <hostuuid>%s</hostuuid>\n", uuid);
    }
    if (c->qemu_version)
        g_string_append_printf(s, "  <qemu version='%llu'/>\n",
                               c->qemu_version);
    if (c->stats && c->stats->n) {
        g_string_append(s, "  <stats>\n");
        for (size_t i = 0; i < c->stats->n; i++) {
            const CvgTypedParam *p = &c->stats->params[i];
            g_autofree char *value = NULL;

            switch (p->type) {
            case CVG_TYPED_PARAM_INT:
                value = g_strdup_printf("%d", p->value.i);
                break;
            case CVG_TYPED_PARAM_UINT:
                value = g_strdup_printf("%u", p->value.ui);
                break;
            case CVG_TYPED_PARAM_LLONG:
                value = g_strdup_printf("%lld", p->value.l);
                break;
            case CVG_TYPED_PARAM_ULLONG:
                value = g_strdup_printf("%llu", p->value.ul);
                break;
            case CVG_TYPED_PARAM_DOUBLE:
                value = g_strdup_printf("%.17g", p->value.d);
                break;
            case CVG_TYPED_PARAM_BOOLEAN:
                value = g_strdup(p->value.b ? "1" : "0");
                break;
            default:
                value = g_strdup(p->value.s);
                break;
            }
            g_string_append(s, "    <param name='");
            cvg_xml_escape(s, p->field, true);
            g_string_append_printf(s, "' type='%s' value='",
                                   cvg_typed_param_type_name(p->type));
            cvg_xml_escape(s, value, true);
            g_string_append(s, "'/>\n");
        }
        g_string_append(s, "  </stats>\n");
    }
    g_string_append(s, "</convergd-migration>\n");
    *ret_len = s->len + 1;
    return g_string_free(s, FALSE);
}

static int
parse_number(const char *s, bool is_signed, long long min,
             unsigned long long max, unsigned long long *ret_u,
             long long *ret_s)
{
    char *end = NULL;

    errno = 0;
    /* strtoll/strtoull skip white space and accept signs: allow only a
     * plain decimal number (a '-' first for signed fields). */
    if (!s || !(g_ascii_isdigit(s[0]) || (is_signed && s[0] == '-')))
        return -1;
    if (is_signed) {
        long long v = strtoll(s, &end, 10);

        if (errno || *end || v < min || (v > 0 && (unsigned long long)v > max))
            return -1;
        *ret_s = v;
    } else {
        unsigned long long v;

        if (*s == '-')
            return -1;
        v = strtoull(s, &end, 10);
        if (errno || *end || v > max)
            return -1;
        *ret_u = v;
    }
    return 0;
}

static int
parse_param(CvgTypedParamList *l, xmlNodePtr node)
{
    g_autofree char *name = cvg_xml_prop(node, "name");
    g_autofree char *type = cvg_xml_prop(node, "type");
    g_autofree char *value = cvg_xml_prop(node, "value");
    unsigned long long u = 0;
    long long s = 0;
    int rc = -1;

    if (!name || !type || !value)
        return -1;
    if (strcmp(type, "int") == 0) {
        if (parse_number(value, true, G_MININT, G_MAXINT, &u, &s) == 0)
            rc = cvg_typed_params_add_int(l, name, (int)s);
    } else if (strcmp(type, "uint") == 0) {
        if (parse_number(value, false, 0, G_MAXUINT, &u, &s) == 0)
            rc = cvg_typed_params_add_uint(l, name, (unsigned int)u);
    } else if (strcmp(type, "llong") == 0) {
        if (parse_number(value, true, G_MININT64, G_MAXINT64, &u, &s) == 0)
            rc = cvg_typed_params_add_llong(l, name, s);
    } else if (strcmp(type, "ullong") == 0) {
        if (parse_number(value, false, 0, G_MAXUINT64, &u, &s) == 0)
            rc = cvg_typed_params_add_ullong(l, name, u);
    } else if (strcmp(type, "double") == 0) {
        char *end = NULL;
        double d = g_ascii_strtod(value, &end);

        if (end && !*end && end != value)
            rc = cvg_typed_params_add_double(l, name, d);
    } else if (strcmp(type, "boolean") == 0) {
        if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)
            rc = cvg_typed_params_add_boolean(l, name, value[0] == '1');
    } else if (strcmp(type, "string") == 0) {
        rc = cvg_typed_params_add_string(l, name, value);
    }
    return rc;
}

CvgMigrationCookie *
cvg_migration_cookie_parse(const char *data, size_t len)
{
    g_autoptr(CvgMigrationCookie) c = g_new0(CvgMigrationCookie, 1);
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;

    if (len > 0 && data[len - 1] == '\0')
        len--;
    if (len == 0)
        return g_steal_pointer(&c);
    /* Peer input: whatever is wrong with it becomes one "invalid cookie"
     * report. */
    if (memchr(data, '\0', len) ||
        !(doc = cvg_xml_read_untrusted(data, len, "cookie", NULL, NULL)) ||
        !(root = xmlDocGetRootElement(doc)) ||
        strcmp((const char *)root->name, "convergd-migration") != 0)
        goto bad;
    for (xmlNodePtr n = root->children; n; n = n->next) {
        g_autofree char *text = NULL;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        text = cvg_xml_content(n);
        if (strcmp((const char *)n->name, "name") == 0) {
            g_free(c->name);
            c->name = g_steal_pointer(&text);
        } else if (strcmp((const char *)n->name, "uuid") == 0) {
            if (cvg_uuid_parse(text, c->uuid) < 0)
                goto bad;
            c->has_uuid = true;
        } else if (strcmp((const char *)n->name, "hostname") == 0) {
            g_free(c->hostname);
            c->hostname = g_steal_pointer(&text);
        } else if (strcmp((const char *)n->name, "hostuuid") == 0) {
            if (cvg_uuid_parse(text, c->host_uuid) < 0)
                goto bad;
            c->has_host_uuid = true;
        } else if (strcmp((const char *)n->name, "qemu") == 0) {
            g_autofree char *v = cvg_xml_prop(n, "version");
            long long s;

            if (parse_number(v, false, 0, G_MAXUINT64, &c->qemu_version, &s) <
                0)
                goto bad;
        } else if (strcmp((const char *)n->name, "stats") == 0) {
            cvg_typed_params_free(c->stats);
            c->stats = cvg_typed_params_new();
            for (xmlNodePtr p = n->children; p; p = p->next) {
                if (p->type != XML_ELEMENT_NODE)
                    continue;
                if (strcmp((const char *)p->name, "param") != 0 ||
                    c->stats->n >= COOKIE_MAX_PARAMS ||
                    parse_param(c->stats, p) < 0)
                    goto bad;
            }
        }
        /* Unknown elements come from newer peers: ignore them. */
    }
    return g_steal_pointer(&c);

bad:
    cvg_error_report(CVG_ERR_INTERNAL_ERROR,
                     _("invalid migration cookie from the peer"));
    return NULL;
}
