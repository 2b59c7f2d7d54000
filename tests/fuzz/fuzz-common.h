/*
 * fuzz-common.h: what the round-trip fuzz targets share
 */
#pragma once

#include "cvg-error.h"

#include <stdio.h>
#include <stdlib.h>

/* Report a broken round trip of @target (what went wrong, the daemon's last
 * error, the two texts compared when given) and abort, which libFuzzer and
 * replay-main.c both count as a finding. */
static inline void G_GNUC_NORETURN
fuzz_fail(const char *target, const char *what, const char *first,
          const char *second)
{
    const CvgError *err = cvg_error_last();

    fprintf(stderr, "%s round trip: %s\n", target, what);
    if (err)
        fprintf(stderr, "last error: %s\n", err->message);
    if (first)
        fprintf(stderr, "--- first ---\n%s", first);
    if (second)
        fprintf(stderr, "--- second ---\n%s", second);
    abort();
}
