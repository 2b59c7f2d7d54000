/*
 * cvg-json.c: json-c helpers
 */
#include "cvg-json.h"

gboolean
cvg_json_get_int64(json_object *obj, const char *key, gint64 *ret_value)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_int))
        return FALSE;
    *ret_value = json_object_get_int64(v);
    return TRUE;
}

gboolean
cvg_json_get_uint64(json_object *obj, const char *key, guint64 *ret_value)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_int))
        return FALSE;
    /* QEMU never sends negative sizes; a negative value is peer garbage. */
    if (json_object_get_int64(v) < 0 && json_object_get_uint64(v) == 0)
        return FALSE;
    *ret_value = json_object_get_uint64(v);
    return TRUE;
}

gboolean
cvg_json_get_bool(json_object *obj, const char *key, gboolean *ret_value)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_boolean))
        return FALSE;
    *ret_value = json_object_get_boolean(v);
    return TRUE;
}

const char *
cvg_json_get_string(json_object *obj, const char *key)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

json_object *
cvg_json_get_object(json_object *obj, const char *key)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}
