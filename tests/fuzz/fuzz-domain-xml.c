/*
 * fuzz-domain-xml.c: libFuzzer target for the domain XML parser
 *
 * Domain XML comes from clients (define, create) and from the migration
 * source (the destination parses what the source formatted), so the input
 * is parsed as both: plain client XML, and the daemon's own status XML that
 * keeps pty paths and says which VNC listen address was vnc_listen.
 *
 * Whatever parses must round-trip: formatting the definition and parsing
 * that again gives a definition that formats to the same text.  The live
 * form (root id, pty paths) must be accepted as input too, its runtime data
 * ignored, and a copy must format like its original.  A parse that fails
 * must have reported why.
 *
 * Seeds live in tests/fuzz/domain-xml/; replay-main.c replays them under
 * meson test.
 */
#include "domain-conf.h"
#include "cvg-error.h"
#include "fuzz-common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The id of a pretend running domain, for the live form. */
#define FUZZ_DOMAIN_ID 7

static void G_GNUC_NORETURN
fail(const char *what, const char *first, const char *second)
{
    fuzz_fail("domain XML", what, first, second);
}

/* A parse that returned NULL must have said why. */
static void
check_failure_reported(void)
{
    if (!cvg_error_last())
        fail("parsing failed without reporting an error", NULL, NULL);
    cvg_error_reset();
}

static char *
format_or_die(const CvgDomainDef *def, int id, unsigned int flags)
{
    char *xml = cvg_domain_def_format(def, id, flags);

    if (!xml)
        fail("a parsed definition failed to format", NULL, NULL);
    return xml;
}

/* Parse @xml, which we formatted ourselves; it must be accepted. */
static CvgDomainDef *
reparse_or_die(const char *xml, unsigned int flags)
{
    CvgDomainDef *def = cvg_domain_def_parse_string(xml, flags);

    if (!def)
        fail("our own XML does not parse", xml, NULL);
    return def;
}

static void
check_same(const char *what, const char *first, const char *second)
{
    if (strcmp(first, second) != 0)
        fail(what, first, second);
}

/* Client XML: inactive form, live form and copy. */
static void
round_trip_config(const char *input)
{
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(CvgDomainDef) again = NULL;
    g_autoptr(CvgDomainDef) from_live = NULL;
    g_autoptr(CvgDomainDef) copy = NULL;
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;
    g_autofree char *live = NULL;
    g_autofree char *third = NULL;
    g_autofree char *copied = NULL;

    if (!(def = cvg_domain_def_parse_string(input, 0))) {
        check_failure_reported();
        return;
    }
    first = format_or_die(def, -1, 0);
    again = reparse_or_die(first, 0);
    second = format_or_die(again, -1, 0);
    check_same("formatting the re-parsed definition differs", first, second);

    /* virsh dumpxml of a running domain, fed back to define. */
    live = format_or_die(def, FUZZ_DOMAIN_ID, 0);
    from_live = reparse_or_die(live, 0);
    third = format_or_die(from_live, -1, CVG_DOMAIN_XML_INACTIVE);
    check_same("live XML read back as config differs", first, third);

    copy = cvg_domain_def_copy(def);
    copied = format_or_die(copy, FUZZ_DOMAIN_ID, 0);
    check_same("a copy formats differently", live, copied);
}

/* The daemon's status XML: the live form keeps the pty paths and says
 * which VNC listen address was vnc_listen. */
static void
round_trip_status(const char *input)
{
    g_autoptr(CvgDomainDef) def = NULL;
    g_autoptr(CvgDomainDef) again = NULL;
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;

    if (!(def = cvg_domain_def_parse_string(input,
                                            CVG_DOMAIN_DEF_PARSE_STATUS))) {
        check_failure_reported();
        return;
    }
    first = format_or_die(def, FUZZ_DOMAIN_ID, CVG_DOMAIN_XML_STATUS);
    again = reparse_or_die(first, CVG_DOMAIN_DEF_PARSE_STATUS);
    second = format_or_die(again, FUZZ_DOMAIN_ID, CVG_DOMAIN_XML_STATUS);
    check_same("status XML does not round-trip", first, second);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The API takes a C string: whatever follows a NUL is not seen.  An
     * empty input may come with a NULL @data, which g_strndup keeps. */
    g_autofree char *input =
        size ? g_strndup((const char *)data, size) : g_strdup("");

    cvg_error_reset();
    round_trip_config(input);
    round_trip_status(input);
    cvg_error_reset();
    return 0;
}
