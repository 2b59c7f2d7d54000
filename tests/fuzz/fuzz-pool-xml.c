/*
 * fuzz-pool-xml.c: libFuzzer target for the storage pool XML parser
 *
 * Pool XML comes from clients (virStoragePoolDefineXML) and from the
 * daemon's own state directory.  Whatever parses must round-trip:
 * formatting it, with and without sizes, and parsing that again gives the
 * same text; a parse that fails must have reported why.
 *
 * Seeds live in tests/fuzz/pool-xml/ (the inputs of tests/storagedata);
 * replay-main.c replays them under meson test.
 */
#include "storage-conf.h"
#include "cvg-error.h"
#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *first, const char *second)
{
    fuzz_fail("pool XML", what, first, second);
}

static void
round_trip(const CvgStoragePoolDef *def, const CvgStoragePoolSizes *sizes)
{
    g_autoptr(CvgStoragePoolDef) again = NULL;
    g_autofree char *first = cvg_storage_pool_def_format(def, sizes);
    g_autofree char *second = NULL;

    if (!(again = cvg_storage_pool_def_parse(first)))
        fail("our own XML does not parse", first, NULL);
    second = cvg_storage_pool_def_format(again, sizes);
    if (strcmp(first, second) != 0)
        fail("formatting the re-parsed definition differs", first, second);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The API takes a C string: whatever follows a NUL is not seen (and an
     * empty input is "", not NULL, as the wire gives it). */
    g_autofree char *input =
        size ? g_strndup((const char *)data, size) : g_strdup("");
    g_autoptr(CvgStoragePoolDef) def = NULL;
    CvgStoragePoolSizes sizes = {1ULL << 40, 1ULL << 30, 1ULL << 39};

    cvg_error_reset();
    if (!(def = cvg_storage_pool_def_parse(input))) {
        if (!cvg_error_last())
            fail("parsing failed without reporting an error", NULL, NULL);
        cvg_error_reset();
        return 0;
    }
    round_trip(def, NULL);
    round_trip(def, &sizes);
    cvg_error_reset();
    return 0;
}
