/*
 * cvg-i18n.h: gettext macros
 */
#pragma once

#include <glib/gi18n-lib.h>
