/*
 * fuzz-cookie.c: libFuzzer target for the migration cookie parser
 *
 * The cookie arrives from the migration peer as opaque bytes (virsh only
 * carries it between the phases), so every byte of it is untrusted.
 *
 * Whatever parses must round-trip: formatting the cookie and parsing the
 * result gives an equal cookie, and formatting that gives the same bytes.
 * Equal means every field, every statistic with its name, type and value;
 * an empty <stats/> and no <stats> are the same (nothing is formatted for
 * either).  A parse that fails must have reported why.
 *
 * Seeds live in tests/fuzz/migration-cookie/; replay-main.c replays them
 * under meson test.
 */
#include "migration-cookie.h"
#include "cvg-error.h"
#include "fuzz-common.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *first, const char *second)
{
    fuzz_fail("migration cookie", what, first, second);
}

static bool
param_equal(const CvgTypedParam *a, const CvgTypedParam *b)
{
    if (strcmp(a->field, b->field) != 0 || a->type != b->type)
        return false;
    switch (a->type) {
    case CVG_TYPED_PARAM_INT:
        return a->value.i == b->value.i;
    case CVG_TYPED_PARAM_UINT:
        return a->value.ui == b->value.ui;
    case CVG_TYPED_PARAM_LLONG:
        return a->value.l == b->value.l;
    case CVG_TYPED_PARAM_ULLONG:
        return a->value.ul == b->value.ul;
    case CVG_TYPED_PARAM_DOUBLE:
        /* "%.17g" is exact; NaN payloads are not kept, the sign of a
         * zero is. */
        if (isnan(a->value.d) || isnan(b->value.d))
            return isnan(a->value.d) && isnan(b->value.d);
        return a->value.d == b->value.d &&
               !signbit(a->value.d) == !signbit(b->value.d);
    case CVG_TYPED_PARAM_BOOLEAN:
        return !a->value.b == !b->value.b;
    case CVG_TYPED_PARAM_STRING:
        return g_strcmp0(a->value.s, b->value.s) == 0;
    default:
        return false;
    }
}

/* NULL when equal, else the name of the first difference. */
static const char *
cookie_difference(const CvgMigrationCookie *a, const CvgMigrationCookie *b)
{
    size_t na = a->stats ? a->stats->n : 0;
    size_t nb = b->stats ? b->stats->n : 0;

    if (g_strcmp0(a->name, b->name) != 0)
        return "name";
    if (a->has_uuid != b->has_uuid ||
        (a->has_uuid && memcmp(a->uuid, b->uuid, sizeof(a->uuid)) != 0))
        return "uuid";
    if (g_strcmp0(a->hostname, b->hostname) != 0)
        return "hostname";
    if (a->has_host_uuid != b->has_host_uuid ||
        (a->has_host_uuid &&
         memcmp(a->host_uuid, b->host_uuid, sizeof(a->host_uuid)) != 0))
        return "hostuuid";
    if (a->qemu_version != b->qemu_version)
        return "qemu version";
    if (na != nb)
        return "number of stats";
    for (size_t i = 0; i < na; i++) {
        if (!param_equal(&a->stats->params[i], &b->stats->params[i]))
            return a->stats->params[i].field;
    }
    return NULL;
}

static char *
format_or_die(const CvgMigrationCookie *c, size_t *ret_len)
{
    char *out = cvg_migration_cookie_format(c, ret_len);

    if (!out)
        fail("a parsed cookie failed to format", NULL, NULL);
    /* The length counts the NUL, which must be there and be the only
     * one: the peer gets exactly *ret_len bytes. */
    if (*ret_len == 0 || out[*ret_len - 1] != '\0' ||
        strlen(out) != *ret_len - 1)
        fail("formatted length is not the string plus its NUL", out, NULL);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(CvgMigrationCookie) first = NULL;
    g_autoptr(CvgMigrationCookie) second = NULL;
    g_autofree char *text1 = NULL;
    g_autofree char *text2 = NULL;
    const char *diff;
    size_t len1 = 0;
    size_t len2 = 0;

    cvg_error_reset();
    if (!(first = cvg_migration_cookie_parse((const char *)data, size))) {
        if (!cvg_error_last())
            fail("parsing failed without reporting an error", NULL, NULL);
        cvg_error_reset();
        return 0;
    }
    text1 = format_or_die(first, &len1);
    if (!(second = cvg_migration_cookie_parse(text1, len1)))
        fail("our own cookie does not parse", text1, NULL);
    if ((diff = cookie_difference(first, second))) {
        g_autofree char *what =
            g_strdup_printf("re-parsed cookie differs in '%s'", diff);

        text2 = format_or_die(second, &len2);
        fail(what, text1, text2);
    }
    text2 = format_or_die(second, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0)
        fail("formatting the re-parsed cookie differs", text1, text2);
    cvg_error_reset();
    return 0;
}
