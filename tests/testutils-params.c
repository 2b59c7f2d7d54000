/*
 * testutils-params.c: typed parameters from the lines of a .params case file
 */
#include "testutils-params.h"
#include "testutils.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
type_from_name(const char *name)
{
    for (int t = 1; t < CVG_TYPED_PARAM_LAST; t++) {
        if (strcmp(cvg_typed_param_type_name(t), name) == 0)
            return t;
    }
    return -1;
}

static bool
parse_ll(const char *s, long long min, long long max, long long *ret)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 0);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *ret = v;
    return true;
}

bool
cvg_test_parse_ull(const char *s, unsigned long long max,
                   unsigned long long *ret)
{
    char *end = NULL;
    unsigned long long v;

    if (*s == '-')
        return false;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > max)
        return false;
    *ret = v;
    return true;
}

int
cvg_test_params_add_line(CvgTypedParamList *l, const char *field,
                         const char *type, const char *value)
{
    long long ll;
    unsigned long long ull;
    char *end = NULL;
    double d;

    switch (type_from_name(type)) {
    case CVG_TYPED_PARAM_INT:
        if (!parse_ll(value, INT_MIN, INT_MAX, &ll))
            return -1;
        return cvg_typed_params_add_int(l, field, ll);
    case CVG_TYPED_PARAM_UINT:
        if (!cvg_test_parse_ull(value, UINT_MAX, &ull))
            return -1;
        return cvg_typed_params_add_uint(l, field, ull);
    case CVG_TYPED_PARAM_LLONG:
        if (!parse_ll(value, LLONG_MIN, LLONG_MAX, &ll))
            return -1;
        return cvg_typed_params_add_llong(l, field, ll);
    case CVG_TYPED_PARAM_ULLONG:
        if (!cvg_test_parse_ull(value, ULLONG_MAX, &ull))
            return -1;
        return cvg_typed_params_add_ullong(l, field, ull);
    case CVG_TYPED_PARAM_DOUBLE:
        d = g_ascii_strtod(value, &end);
        if (end == value || *end)
            return -1;
        return cvg_typed_params_add_double(l, field, d);
    case CVG_TYPED_PARAM_BOOLEAN:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            return -1;
        return cvg_typed_params_add_boolean(l, field,
                                            strcmp(value, "true") == 0);
    case CVG_TYPED_PARAM_STRING:
        return cvg_typed_params_add_string(l, field, value);
    default:
        return -1;
    }
}

int
cvg_test_params_load(const char *path, CvgTypedParamList *l,
                     unsigned int *flags, CvgTestParamsLineFunc line_fn,
                     void *opaque)
{
    g_autofree char *text = cvg_test_load_file(path);
    g_auto(GStrv) lines = NULL;

    if (!text)
        return -1;
    lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) words = NULL;
        unsigned long long ull;
        const char *line = lines[i];

        if (!*line || *line == '#')
            continue;
        words = g_strsplit(line, " ", 3);
        if (strcmp(words[0], "flags") == 0 && words[1] && !words[2] &&
            cvg_test_parse_ull(words[1], UINT_MAX, &ull)) {
            *flags = ull;
        } else if (line_fn && line_fn(words, opaque)) {
            /* the test's own */
        } else if (!words[1] || !words[2] ||
                   cvg_test_params_add_line(l, words[0], words[1], words[2]) <
                       0) {
            fprintf(stderr, "%s:%zu: bad line '%s'\n", path, i + 1, line);
            return -1;
        }
    }
    return 0;
}
