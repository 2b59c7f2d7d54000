/*
 * cvg-enum.h: enums that have one name per value
 *
 * A table `static const char *const names[] = {...}` indexed by the enum,
 * with a G_STATIC_ASSERT that it has ..._LAST entries, turns into the
 * usual _to_string / _from_string pair through these two.
 */
#pragma once

#include <glib.h>
#include <string.h>

/* The name of @value, or NULL if it is outside [0, @n). */
static inline const char *
cvg_enum_to_string(const char *const *names, int n, int value)
{
    return value >= 0 && value < n ? names[value] : NULL;
}

/* The value named @s among the first @n names, or -1 (also for NULL).  A
 * NULL name (a value with no XML spelling, like "absent") never matches. */
static inline int
cvg_enum_from_string(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++) {
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    }
    return -1;
}
