/*
 * domainxmltest.c: domain XML parse/format tests
 *
 * Each tests/domainxmldata/NAME.in.xml is parsed.  With NAME.err the parse
 * must fail with that "<code>: <message>" line; with NAME.out.xml the
 * formatted (inactive) XML must equal it, and re-parsing it must give the
 * same XML again.  With NAME.live.xml as well, the definition gets pty paths
 * (serial N: /dev/pts/N+1; a console without a serial: /dev/pts/9) and its
 * live XML with id 7 must equal that file; parsed back it gives the inactive
 * XML, or with CVG_DOMAIN_DEF_PARSE_STATUS the same live XML.
 */
#include "domain-conf.h"

#include "cvg-error.h"
#include "testutils.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DATADIR "domainxmldata"

/* Format @def as inactive XML, parse that and format again: same text. */
static int
check_stable(const CvgDomainDef *def, const char *expected)
{
    g_autoptr(CvgDomainDef) again = NULL;
    g_autofree char *xml = NULL;

    if (!(again = cvg_domain_def_parse_string(expected, 0))) {
        fprintf(stderr, "re-parse failed: %s", cvg_test_error_line());
        return -1;
    }
    xml = cvg_domain_def_format(again, -1, 0);
    if (strcmp(xml, expected) != 0) {
        fprintf(stderr, "format is not stable:\n%s---\n%s", expected, xml);
        return -1;
    }
    return 0;
}

static void
set_pty_paths(CvgDomainDef *def)
{
    size_t i;
    size_t j;

    for (i = 0; i < def->nserials; i++) {
        if (def->serials[i]->type == CVG_CHR_TYPE_PTY)
            def->serials[i]->path = g_strdup_printf("/dev/pts/%zu", i + 1);
    }
    for (i = 0; i < def->nconsoles; i++) {
        bool shown = false;

        for (j = 0; j < def->nserials; j++)
            shown |= def->serials[j]->port == def->consoles[i]->port;
        if (def->consoles[i]->type == CVG_CHR_TYPE_PTY && !shown)
            def->consoles[i]->path = g_strdup("/dev/pts/9");
    }
}

static int
check_live(const char *name, const CvgDomainDef *def, const char *inactive)
{
    g_autofree char *live_path = cvg_test_case_path(DATADIR, name, ".live.xml");
    g_autoptr(CvgDomainDef) running = NULL;
    g_autoptr(CvgDomainDef) reparsed = NULL;
    g_autoptr(CvgDomainDef) status = NULL;
    g_autofree char *live = NULL;
    g_autofree char *status_xml = NULL;
    g_autofree char *flagged = NULL;
    g_autofree char *back = NULL;

    if (!g_file_test(live_path, G_FILE_TEST_EXISTS))
        return 0;
    running = cvg_domain_def_copy(def);
    set_pty_paths(running);
    live = cvg_domain_def_format(running, 7, 0);
    if (cvg_test_compare_file(live_path, live) < 0)
        return -1;

    /* INACTIVE hides the runtime data of a running domain. */
    flagged = cvg_domain_def_format(running, 7, CVG_DOMAIN_XML_INACTIVE);
    if (strcmp(flagged, inactive) != 0) {
        fprintf(stderr, "INACTIVE live XML differs:\n%s", flagged);
        return -1;
    }
    /* Live XML is valid input and loses only runtime data. */
    if (!(reparsed = cvg_domain_def_parse_string(live, 0))) {
        fprintf(stderr, "live XML does not parse: %s", cvg_test_error_line());
        return -1;
    }
    back = cvg_domain_def_format(reparsed, -1, 0);
    if (strcmp(back, inactive) != 0) {
        fprintf(stderr, "live XML re-parsed differs:\n%s", back);
        return -1;
    }
    /* As status XML it keeps the pty paths. */
    if (!(status =
              cvg_domain_def_parse_string(live, CVG_DOMAIN_DEF_PARSE_STATUS))) {
        fprintf(stderr, "status XML does not parse: %s", cvg_test_error_line());
        return -1;
    }
    status_xml = cvg_domain_def_format(status, 7, 0);
    if (strcmp(status_xml, live) != 0) {
        fprintf(stderr, "status XML re-parsed differs:\n%s", status_xml);
        return -1;
    }
    return 0;
}

static int
test_case(const void *data)
{
    const char *name = data;
    g_autofree char *in_path = cvg_test_case_path(DATADIR, name, ".in.xml");
    g_autofree char *out_path = cvg_test_case_path(DATADIR, name, ".out.xml");
    g_autofree char *err_path = cvg_test_case_path(DATADIR, name, ".err");
    g_autofree char *input = NULL;
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(CvgDomainDef) copy = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *copy_xml = NULL;
    g_autofree char *err = NULL;
    bool want_error = g_file_test(err_path, G_FILE_TEST_EXISTS);

    if (!(input = cvg_test_load_file(in_path)))
        return -1;
    cvg_error_reset();
    def = cvg_domain_def_parse_string(input, 0);

    if (want_error || (!def && !g_file_test(out_path, G_FILE_TEST_EXISTS))) {
        if (def) {
            fprintf(stderr, "%s: parse succeeded, expected an error\n", name);
            return -1;
        }
        err = cvg_test_error_line();
        return cvg_test_compare_file(err_path, err);
    }
    if (!def) {
        fprintf(stderr, "%s: parse failed: %s", name, cvg_test_error_line());
        return -1;
    }
    xml = cvg_domain_def_format(def, -1, 0);
    if (cvg_test_compare_file(out_path, xml) < 0)
        return -1;
    if (check_stable(def, xml) < 0)
        return -1;

    copy = cvg_domain_def_copy(def);
    copy_xml = cvg_domain_def_format(copy, -1, 0);
    if (strcmp(copy_xml, xml) != 0) {
        fprintf(stderr, "%s: copy formats differently\n", name);
        return -1;
    }
    return check_live(name, def, xml);
}

static const char minimal_no_uuid[] =
    "<domain type='qemu'>\n"
    "  <name>g</name>\n"
    "  <memory>65536</memory>\n"
    "  <os><type>hvm</type><kernel>/boot/vmlinuz</kernel></os>\n"
    "</domain>\n";

static int
test_uuid_generated(const void *data)
{
    g_autoptr(CvgDomainDef) a = cvg_domain_def_parse_string(minimal_no_uuid, 0);
    g_autoptr(CvgDomainDef) b = cvg_domain_def_parse_string(minimal_no_uuid, 0);
    static const unsigned char zero[CVG_UUID_LEN];

    if (!a || !b)
        return -1;
    if (memcmp(a->uuid, zero, CVG_UUID_LEN) == 0 ||
        memcmp(a->uuid, b->uuid, CVG_UUID_LEN) == 0)
        return -1;
    /* version 4, RFC 4122 variant */
    if ((a->uuid[6] & 0xf0) != 0x40 || (a->uuid[8] & 0xc0) != 0x80)
        return -1;
    return 0;
}

static int
test_uuid_parse(const void *data)
{
    static const char *const good[] = {
        "c7a5fdbd-edaf-9455-926a-d65c16db1809",
        "c7a5fdbdedaf9455926ad65c16db1809",
        "C7A5FDBD-EDAF-9455-926A-D65C16DB1809",
        "  c7a5fdbd-edaf-9455-926a-d65c16db1809\n",
        "c7-a5-fd-bd-ed-af-94-55-92-6a-d6-5c-16-db-18-09",
    };
    static const char *const bad[] = {
        "",
        "c7a5fdbd",
        "c7a5fdbd-edaf-9455-926a-d65c16db180",
        "c7a5fdbd-edaf-9455-926a-d65c16db18090",
        "c7a5fdbd-edaf-9455-926a-d65c16db180g",
        "-c7a5fdbd-edaf-9455-926a-d65c16db1809",
        "c7a5fdbd-edaf-9455-926a-d65c16db1809 x",
        "c7a5fdbd-e-daf-9455-926a-d65c16db1809",
    };
    unsigned char uuid[CVG_UUID_LEN];
    unsigned char untouched[CVG_UUID_LEN];
    char str[37];
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(good); i++) {
        memset(uuid, 0, sizeof(uuid));
        if (cvg_uuid_parse(good[i], uuid) < 0) {
            fprintf(stderr, "rejected '%s'\n", good[i]);
            return -1;
        }
        cvg_uuid_format(uuid, str);
        if (strcmp(str, "c7a5fdbd-edaf-9455-926a-d65c16db1809") != 0) {
            fprintf(stderr, "'%s' became '%s'\n", good[i], str);
            return -1;
        }
    }
    memset(untouched, 0xab, sizeof(untouched));
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        memcpy(uuid, untouched, sizeof(uuid));
        if (cvg_uuid_parse(bad[i], uuid) == 0 ||
            memcmp(uuid, untouched, sizeof(uuid)) != 0) {
            fprintf(stderr, "accepted '%s'\n", bad[i]);
            return -1;
        }
    }
    if (cvg_uuid_parse(NULL, uuid) == 0)
        return -1;
    return 0;
}

static int
test_flags(const void *data)
{
    g_autoptr(CvgDomainDef) def =
        cvg_domain_def_parse_string(minimal_no_uuid, 0);
    g_autofree char *plain = NULL;
    g_autofree char *flagged = NULL;
    g_autofree char *bad = NULL;

    if (!def)
        return -1;
    plain = cvg_domain_def_format(def, -1, 0);
    flagged = cvg_domain_def_format(def, -1,
                                    CVG_DOMAIN_XML_SECURE |
                                        CVG_DOMAIN_XML_UPDATE_CPU |
                                        CVG_DOMAIN_XML_MIGRATABLE);
    if (!flagged || strcmp(plain, flagged) != 0)
        return -1;

    cvg_error_reset();
    if ((bad = cvg_domain_def_format(def, -1, 0x10)) || !cvg_error_last() ||
        cvg_error_last()->code != CVG_ERR_INVALID_ARG)
        return -1;

    cvg_error_reset();
    if (cvg_domain_def_parse_string(minimal_no_uuid, 2) || !cvg_error_last() ||
        cvg_error_last()->code != CVG_ERR_INVALID_ARG)
        return -1;
    return 0;
}

/* The live root carries the id; without pty paths nothing else changes. */
static int
test_live_id(const void *data)
{
    g_autoptr(CvgDomainDef) def =
        cvg_domain_def_parse_string(minimal_no_uuid, 0);
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;

    if (!def)
        return -1;
    live = cvg_domain_def_format(def, 0, 0);
    inactive = cvg_domain_def_format(def, -1, 0);
    if (!g_str_has_prefix(live, "<domain type='qemu' id='0'>\n") ||
        strcmp(strchr(live, '\n'), strchr(inactive, '\n')) != 0)
        return -1;
    if (!g_str_has_prefix(inactive, "<domain type='qemu'>\n"))
        return -1;
    return 0;
}

static int
test_enums(const void *data)
{
    int i;

    for (i = 0; i < CVG_DOMAIN_LIFECYCLE_LAST; i++) {
        const char *str = cvg_domain_lifecycle_action_to_string(i);

        if (!str || cvg_domain_lifecycle_action_from_string(str) != i)
            return -1;
    }
    if (cvg_domain_lifecycle_action_to_string(-1) ||
        cvg_domain_lifecycle_action_to_string(CVG_DOMAIN_LIFECYCLE_LAST) ||
        cvg_domain_lifecycle_action_from_string("reboot") != -1 ||
        cvg_domain_lifecycle_action_from_string(NULL) != -1)
        return -1;
    if (g_strcmp0(cvg_chr_type_to_string(CVG_CHR_TYPE_PTY), "pty") != 0 ||
        g_strcmp0(cvg_chr_type_to_string(CVG_CHR_TYPE_FILE), "file") != 0 ||
        cvg_chr_type_to_string(CVG_CHR_TYPE_LAST))
        return -1;
    return 0;
}

static int
test_null_safe(const void *data)
{
    cvg_domain_def_free(NULL);
    cvg_domain_chr_free(NULL);
    if (cvg_domain_def_copy(NULL))
        return -1;
    /* A NULL document is an empty one. */
    cvg_error_reset();
    if (cvg_domain_def_parse_string(NULL, 0) || !cvg_error_last())
        return -1;
    return 0;
}

/* libxml2 must not print anything itself: errors go to the caller. */
static int
test_quiet(const void *data)
{
    g_autofree char *path = NULL;
    g_autofree char *captured = NULL;
    g_autoptr(GError) gerr = NULL;
    CvgDomainDef *def;
    int saved;
    int fd;

    fflush(stderr);
    if ((fd = g_file_open_tmp("domainxmltest-XXXXXX", &path, &gerr)) < 0)
        return -1;
    saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    def = cvg_domain_def_parse_string("<domain type='qemu'><name>x</nam>"
                                      "&bogus;<?pi?>\x01</domain>",
                                      0);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    g_file_get_contents(path, &captured, NULL, NULL);
    unlink(path);
    if (def) {
        cvg_domain_def_free(def);
        return -1;
    }
    if (!captured || *captured) {
        fprintf(stderr, "stderr got: %s\n", captured ? captured : "?");
        return -1;
    }
    return 0;
}

int
main(void)
{
    g_autofree char *dir = cvg_test_srcpath(DATADIR);
    g_autoptr(GPtrArray) cases = cvg_test_list_cases(dir, ".in.xml");
    g_autoptr(GPtrArray) good = g_ptr_array_new_with_free_func(g_free);
    size_t i;

    if (cases->len == 0) {
        fprintf(stderr, "no cases in %s\n", dir);
        return 1;
    }
    /* Edge cases first: the ones that must fail, then the ones that parse. */
    for (i = 0; i < cases->len; i++) {
        const char *name = g_ptr_array_index(cases, i);
        g_autofree char *err_path = cvg_test_case_path(DATADIR, name, ".err");

        if (g_file_test(err_path, G_FILE_TEST_EXISTS))
            cvg_test_run(name, test_case, name);
        else
            g_ptr_array_add(good, g_strdup(name));
    }
    for (i = 0; i < good->len; i++) {
        const char *name = g_ptr_array_index(good, i);

        cvg_test_run(name, test_case, name);
    }

    cvg_test_run("uuid-generated", test_uuid_generated, NULL);
    cvg_test_run("uuid-parse", test_uuid_parse, NULL);
    cvg_test_run("format-flags", test_flags, NULL);
    cvg_test_run("live-id", test_live_id, NULL);
    cvg_test_run("enum-strings", test_enums, NULL);
    cvg_test_run("null-safe", test_null_safe, NULL);
    cvg_test_run("libxml2-quiet", test_quiet, NULL);
    return cvg_test_finish();
}
