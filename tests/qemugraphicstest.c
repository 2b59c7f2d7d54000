/*
 * qemugraphicstest.c: a VNC display's listen address across a daemon
 * restart
 *
 * Each case starts a guest (cvg_qemu_graphics_prepare() under one
 * vnc_listen), writes its status XML as the daemon does, parses it back and
 * re-attaches it under the next daemon's vnc_listen, then checks the
 * address in the live XML, the persistent (inactive) XML and the XML a
 * migration sends.  The ports are fixed, so no bind test runs and the
 * daemon's port table is left as it was found.
 */
#include "qemu-graphics.h"

#include "cvg-error.h"
#include "testutils.h"

#include <stdio.h>
#include <string.h>

#define DOMAIN_XML                                                             \
    "<domain type='kvm'>\n"                                                    \
    "  <name>demo</name>\n"                                                    \
    "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"                    \
    "  <memory unit='MiB'>512</memory>\n"                                      \
    "  <os><type arch='x86_64'>hvm</type></os>\n"                              \
    "  <devices>%s</devices>\n"                                                \
    "</domain>\n"

typedef struct {
    const char *name;
    const char *graphics;     /* the <graphics> element */
    const char *listen_start; /* vnc_listen of the daemon that starts it */
    const char *listen_after; /* vnc_listen of the restarted daemon */
    bool old_status;          /* status XML without fromConfig */
    const char *persistent;   /* expected listen in the inactive XML */
    const char *live;         /* expected listen in the live XML */
} RestartCase;

static const RestartCase cases[] = {
    {"explicit-equal-default",
     "<graphics type='vnc' port='5990' autoport='no' listen='127.0.0.1'/>",
     "127.0.0.1", "127.0.0.1", false, "127.0.0.1", "127.0.0.1"},
    {"explicit-child-equal-default",
     "<graphics type='vnc' port='5990' autoport='no'>"
     "<listen type='address' address='127.0.0.1'/></graphics>",
     "127.0.0.1", "127.0.0.1", false, "127.0.0.1", "127.0.0.1"},
    {"explicit-equal-new-default",
     "<graphics type='vnc' port='5990' autoport='no' listen='127.0.0.2'/>",
     "127.0.0.1", "127.0.0.2", false, "127.0.0.2", "127.0.0.2"},
    {"explicit-other",
     "<graphics type='vnc' port='5990' autoport='no' listen='0.0.0.0'/>",
     "127.0.0.1", "127.0.0.1", false, "0.0.0.0", "0.0.0.0"},
    {"default", "<graphics type='vnc' port='5990' autoport='no'/>", "127.0.0.1",
     "127.0.0.1", false, NULL, "127.0.0.1"},
    /* The guest keeps the address it listens on; its next start takes
     * the new vnc_listen. */
    {"default-changed", "<graphics type='vnc' port='5990' autoport='no'/>",
     "127.0.0.1", "::1", false, NULL, "127.0.0.1"},
    /* An earlier daemon's status XML: an address equal to vnc_listen is
     * taken as the default, as before. */
    {"old-status-default", "<graphics type='vnc' port='5990' autoport='no'/>",
     "127.0.0.1", "127.0.0.1", true, NULL, "127.0.0.1"},
    {"old-status-explicit",
     "<graphics type='vnc' port='5990' autoport='no' listen='0.0.0.0'/>",
     "127.0.0.1", "127.0.0.1", true, "0.0.0.0", "0.0.0.0"},
};

/* The status XML of @def as the daemon saves it (as an earlier daemon
 * did with @old: no fromConfig). */
static char *
status_xml(const CvgDomainDef *def, bool old)
{
    g_autofree char *xml = cvg_domain_def_format(def, 1, CVG_DOMAIN_XML_STATUS);
    g_autoptr(GRegex) re = g_regex_new(" fromConfig='.'", 0, 0, NULL);

    if (!old)
        return g_steal_pointer(&xml);
    return g_regex_replace_literal(re, xml, -1, 0, "", 0, NULL);
}

/* "listen='ADDR'" in @xml, or its absence for a NULL @addr. */
static int
check_listen(const char *what, const char *xml, const char *addr)
{
    g_autofree char *attr =
        addr ? g_strdup_printf("listen='%s'", addr) : g_strdup("listen='");
    bool found = strstr(xml, attr) != NULL;

    if (found == (addr != NULL))
        return 0;
    fprintf(stderr, "%s XML: expected %s%s:\n%s", what, addr ? "" : "no ", attr,
            xml);
    return -1;
}

static int
test_restart(const void *data)
{
    const RestartCase *tc = data;
    g_autoptr(CvgDaemonConfig) cfg = cvg_daemon_config_new();
    g_autofree char *in = g_strdup_printf(DOMAIN_XML, tc->graphics);
    g_autoptr(CvgDomainDef) def = cvg_domain_def_parse_string(in, 0);
    g_autoptr(CvgDomainDef) back = NULL;
    g_autofree char *status = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *migratable = NULL;
    int rc;

    g_free(cfg->vnc_listen);
    cfg->vnc_listen = g_strdup(tc->listen_start);
    if (!def || cvg_qemu_graphics_prepare(cfg, "/run/convergd", "/nonexistent",
                                          def) < 0) {
        fprintf(stderr, "start: %s\n", cvg_error_last()->message);
        return -1;
    }
    status = status_xml(def, tc->old_status);
    cvg_qemu_graphics_release(def);

    if (!(back = cvg_domain_def_parse_string(status,
                                             CVG_DOMAIN_DEF_PARSE_STATUS))) {
        fprintf(stderr, "status XML: %s\n%s", cvg_error_last()->message,
                status);
        return -1;
    }
    g_free(cfg->vnc_listen);
    cfg->vnc_listen = g_strdup(tc->listen_after);
    cvg_qemu_graphics_reattach(cfg, "/run/convergd", back);
    live = cvg_domain_def_format(back, 1, 0);
    inactive = cvg_domain_def_format(back, 1, CVG_DOMAIN_XML_INACTIVE);
    /* What an outgoing migration sends. */
    migratable = cvg_domain_def_format(back, -1, CVG_DOMAIN_XML_MIGRATABLE);
    rc = check_listen("live", live, tc->live);
    if (check_listen("inactive", inactive, tc->persistent) < 0 ||
        check_listen("migratable", migratable, tc->persistent) < 0)
        rc = -1;
    cvg_qemu_graphics_release(back);
    return rc;
}

/* A client may not write fromConfig: it is the daemon's own record. */
static int
test_from_config_refused(const void *data G_GNUC_UNUSED)
{
    g_autofree char *in = g_strdup_printf(
        DOMAIN_XML, "<graphics type='vnc'><listen type='address' "
                    "address='127.0.0.1' fromConfig='1'/></graphics>");
    g_autoptr(CvgDomainDef) def = cvg_domain_def_parse_string(in, 0);

    if (def) {
        fprintf(stderr, "fromConfig accepted from a client\n");
        return -1;
    }
    cvg_error_reset();
    return 0;
}

int
main(void)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++)
        cvg_test_run(cases[i].name, test_restart, &cases[i]);
    cvg_test_run("from-config-refused", test_from_config_refused, NULL);
    return cvg_test_finish();
}
