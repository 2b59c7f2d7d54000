/*
 * cvg-log.c: logging to stderr
 */
#include "cvg-log.h"

#include <stdio.h>

static CvgLogLevel min_level = CVG_LOG_WARNING;

static CvgLogLevel
level_of(GLogLevelFlags flags)
{
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return CVG_LOG_ERROR;
    if (flags & G_LOG_LEVEL_WARNING)
        return CVG_LOG_WARNING;
    if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return CVG_LOG_INFO;
    return CVG_LOG_DEBUG;
}

static void
log_handler(const char *domain, GLogLevelFlags flags, const char *message,
            gpointer opaque G_GNUC_UNUSED)
{
    static const char *const names[] = {"", "debug", "info", "warning",
                                        "error"};
    CvgLogLevel level = level_of(flags);
    g_autoptr(GDateTime) now = NULL;
    g_autofree char *stamp = NULL;

    if (level < min_level)
        return;
    now = g_date_time_new_now_utc();
    stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f");
    fprintf(stderr, "%.23s %s: %s: %s\n", stamp, domain ? domain : "convergd",
            names[level], message);
}

void
cvg_log_init(CvgLogLevel level)
{
    min_level = level;
    g_log_set_default_handler(log_handler, NULL);
}
