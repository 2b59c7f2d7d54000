/*
 * cvg-typed-param.c: virTypedParameter lists
 */
#include "cvg-typed-param.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <string.h>

static const char *const type_names[] = {
    "none", "int", "uint", "llong", "ullong", "double", "boolean", "string",
};
G_STATIC_ASSERT(G_N_ELEMENTS(type_names) == CVG_TYPED_PARAM_LAST);

const char *
cvg_typed_param_type_name(int type)
{
    if (type <= 0 || type >= CVG_TYPED_PARAM_LAST)
        return "unknown";
    return type_names[type];
}

CvgTypedParamList *
cvg_typed_params_new(void)
{
    return g_new0(CvgTypedParamList, 1);
}

void
cvg_typed_params_free(CvgTypedParamList *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        if (list->params[i].type == CVG_TYPED_PARAM_STRING)
            g_free(list->params[i].value.s);
    }
    g_free(list->params);
    g_free(list);
}

CvgTypedParamList *
cvg_typed_params_copy(const CvgTypedParamList *src)
{
    CvgTypedParamList *dst = cvg_typed_params_new();

    dst->n = dst->alloc = src->n;
    dst->params = g_new0(CvgTypedParam, src->n ? src->n : 1);
    for (size_t i = 0; i < src->n; i++) {
        dst->params[i] = src->params[i];
        if (src->params[i].type == CVG_TYPED_PARAM_STRING)
            dst->params[i].value.s = g_strdup(src->params[i].value.s);
    }
    return dst;
}

static CvgTypedParam *
add_param(CvgTypedParamList *l, const char *field, int type)
{
    CvgTypedParam *p;

    if (strlen(field) >= CVG_TYPED_PARAM_FIELD_LENGTH) {
        cvg_error_report(CVG_ERR_INVALID_ARG,
                         _("parameter name '%.80s' too long"), field);
        return NULL;
    }
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 8;
        l->params = g_renew(CvgTypedParam, l->params, l->alloc);
    }
    p = &l->params[l->n++];
    memset(p, 0, sizeof(*p));
    g_strlcpy(p->field, field, sizeof(p->field));
    p->type = type;
    return p;
}

#define DEFINE_ADD(suffix, ctype, tcode, member)                               \
    int cvg_typed_params_add_##suffix(CvgTypedParamList *l, const char *field, \
                                      ctype v)                                 \
    {                                                                          \
        CvgTypedParam *p = add_param(l, field, tcode);                         \
        if (!p)                                                                \
            return -1;                                                         \
        p->value.member = v;                                                   \
        return 0;                                                              \
    }

DEFINE_ADD(int, int, CVG_TYPED_PARAM_INT, i)
DEFINE_ADD(uint, unsigned int, CVG_TYPED_PARAM_UINT, ui)
DEFINE_ADD(llong, long long, CVG_TYPED_PARAM_LLONG, l)
DEFINE_ADD(ullong, unsigned long long, CVG_TYPED_PARAM_ULLONG, ul)
DEFINE_ADD(double, double, CVG_TYPED_PARAM_DOUBLE, d)
DEFINE_ADD(boolean, bool, CVG_TYPED_PARAM_BOOLEAN, b)

int
cvg_typed_params_add_string(CvgTypedParamList *l, const char *field,
                            const char *v)
{
    CvgTypedParam *p = add_param(l, field, CVG_TYPED_PARAM_STRING);

    if (!p)
        return -1;
    p->value.s = g_strdup(v ? v : "");
    return 0;
}

const CvgTypedParam *
cvg_typed_params_find(const CvgTypedParamList *l, const char *field)
{
    if (!l)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->params[i].field, field) == 0)
            return &l->params[i];
    }
    return NULL;
}

static const CvgTypedParam *
get_typed(const CvgTypedParamList *l, const char *field, int type, int *rc)
{
    const CvgTypedParam *p = cvg_typed_params_find(l, field);

    *rc = 0;
    if (!p)
        return NULL;
    if (p->type != type) {
        cvg_error_report(
            CVG_ERR_INVALID_ARG,
            _("invalid type '%s' for parameter '%s', expected '%s'"),
            cvg_typed_param_type_name(p->type), field,
            cvg_typed_param_type_name(type));
        *rc = -1;
        return NULL;
    }
    *rc = 1;
    return p;
}

int
cvg_typed_params_get_int(const CvgTypedParamList *l, const char *field,
                         int *ret_value)
{
    int rc;
    const CvgTypedParam *p = get_typed(l, field, CVG_TYPED_PARAM_INT, &rc);

    if (p)
        *ret_value = p->value.i;
    return rc;
}

int
cvg_typed_params_get_ullong(const CvgTypedParamList *l, const char *field,
                            unsigned long long *ret_value)
{
    int rc;
    const CvgTypedParam *p = get_typed(l, field, CVG_TYPED_PARAM_ULLONG, &rc);

    if (p)
        *ret_value = p->value.ul;
    return rc;
}

int
cvg_typed_params_get_string(const CvgTypedParamList *l, const char *field,
                            const char **ret_value)
{
    int rc;
    const CvgTypedParam *p = get_typed(l, field, CVG_TYPED_PARAM_STRING, &rc);

    if (p)
        *ret_value = p->value.s;
    return rc;
}

int
cvg_typed_params_get_boolean(const CvgTypedParamList *l, const char *field,
                             bool *ret_value)
{
    int rc;
    const CvgTypedParam *p = get_typed(l, field, CVG_TYPED_PARAM_BOOLEAN, &rc);

    if (p)
        *ret_value = p->value.b != 0;
    return rc;
}
