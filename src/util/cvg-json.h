/*
 * cvg-json.h: json-c ownership helpers
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

static inline void
cvg_json_put(json_object *obj)
{
    if (obj)
        json_object_put(obj);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, cvg_json_put)

/* Typed lookups: return true and set *ret_value when @key holds that type. */
gboolean cvg_json_get_int64(json_object *obj, const char *key,
                            gint64 *ret_value);
gboolean cvg_json_get_uint64(json_object *obj, const char *key,
                             guint64 *ret_value);
gboolean cvg_json_get_bool(json_object *obj, const char *key,
                           gboolean *ret_value);
/* The string at @key (owned by @obj), or NULL. */
const char *cvg_json_get_string(json_object *obj, const char *key);
/* The object at @key, or NULL. */
json_object *cvg_json_get_object(json_object *obj, const char *key);
