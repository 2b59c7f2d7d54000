/*
 * testutils-params.h: typed parameters from the lines of a .params case file
 *
 * A parameter line is "FIELD TYPE VALUE", TYPE as libvirt names it (int,
 * uint, llong, ullong, double, boolean, string); a string VALUE is the rest
 * of the line.  Numbers are read by strtoll/strtoull with base 0, so 0x and
 * 0 prefixes work; a double by g_ascii_strtod; a boolean is "true" or
 * "false".  The other lines of a .params file are up to each test.
 */
#pragma once

#include "cvg-typed-param.h"

#include <stdbool.h>

/* Read all of @s as an unsigned number of at most @max into *@ret; false
 * (and *@ret untouched) if it is not one, is negative or is out of range. */
bool cvg_test_parse_ull(const char *s, unsigned long long max,
                        unsigned long long *ret);

/* Append the parameter @field of type @type (a libvirt type name) with
 * @value to @l.  Returns -1 if @type is unknown, @value is not one of its
 * values or the add fails. */
int cvg_test_params_add_line(CvgTypedParamList *l, const char *field,
                             const char *type, const char *value);

/* A test's own kind of line, split in up to three words ({KEY, ARG, REST},
 * missing ones NULL): return true if it is one and was taken. */
typedef bool (*CvgTestParamsLineFunc)(char **words, void *opaque);

/*
 * Read the .params file @path: blank lines and '#' comments are skipped,
 * "flags N" sets *@flags, lines @line_fn takes (if not NULL) are its own,
 * and every other line is a parameter line added to @l.  Returns -1, with
 * a message naming the line on stderr, if a line is none of these.
 */
int cvg_test_params_load(const char *path, CvgTypedParamList *l,
                         unsigned int *flags, CvgTestParamsLineFunc line_fn,
                         void *opaque);
