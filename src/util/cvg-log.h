/*
 * cvg-log.h: logging
 *
 * Library layers log with g_debug() under the "convergd" domain; the daemon
 * installs a handler that writes to stderr with a timestamp and honours the
 * configured level.
 */
#pragma once

#include <glib.h>

typedef enum {
    CVG_LOG_DEBUG = 1,
    CVG_LOG_INFO = 2,
    CVG_LOG_WARNING = 3,
    CVG_LOG_ERROR = 4,
} CvgLogLevel;

/* Install the stderr handler; messages below @level are dropped. */
void cvg_log_init(CvgLogLevel level);
