/*
 * cvg-typed-param.h: virTypedParameter lists
 *
 * The type numbers and the 80-byte field limit are libvirt's wire ABI.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef enum {
    CVG_TYPED_PARAM_INT = 1,
    CVG_TYPED_PARAM_UINT = 2,
    CVG_TYPED_PARAM_LLONG = 3,
    CVG_TYPED_PARAM_ULLONG = 4,
    CVG_TYPED_PARAM_DOUBLE = 5,
    CVG_TYPED_PARAM_BOOLEAN = 6,
    CVG_TYPED_PARAM_STRING = 7,
    CVG_TYPED_PARAM_LAST
} CvgTypedParamType;

/* Including the terminating NUL, as VIR_TYPED_PARAM_FIELD_LENGTH. */
#define CVG_TYPED_PARAM_FIELD_LENGTH 80

typedef struct {
    char field[CVG_TYPED_PARAM_FIELD_LENGTH];
    int type; /* CvgTypedParamType */
    union {
        int i;
        unsigned int ui;
        long long l;
        unsigned long long ul;
        double d;
        int b;
        char *s;
    } value;
} CvgTypedParam;

typedef struct {
    CvgTypedParam *params;
    size_t n;
    size_t alloc;
} CvgTypedParamList;

CvgTypedParamList *cvg_typed_params_new(void);
void cvg_typed_params_free(CvgTypedParamList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CvgTypedParamList, cvg_typed_params_free)

/* A deep copy; never NULL for a non-NULL @src. */
CvgTypedParamList *cvg_typed_params_copy(const CvgTypedParamList *src);

/* The type's name as libvirt prints it ("int", "uint", "llong", ...). */
const char *cvg_typed_param_type_name(int type);

/* Append a parameter.  Return 0, or -1 with INVALID_ARG if @field is too
 * long for the wire. */
int cvg_typed_params_add_int(CvgTypedParamList *l, const char *field, int v);
int cvg_typed_params_add_uint(CvgTypedParamList *l, const char *field,
                              unsigned int v);
int cvg_typed_params_add_llong(CvgTypedParamList *l, const char *field,
                               long long v);
int cvg_typed_params_add_ullong(CvgTypedParamList *l, const char *field,
                                unsigned long long v);
int cvg_typed_params_add_double(CvgTypedParamList *l, const char *field,
                                double v);
int cvg_typed_params_add_boolean(CvgTypedParamList *l, const char *field,
                                 bool v);
int cvg_typed_params_add_string(CvgTypedParamList *l, const char *field,
                                const char *v);

/* The first parameter named @field, or NULL. */
const CvgTypedParam *cvg_typed_params_find(const CvgTypedParamList *l,
                                           const char *field);

/*
 * Typed getters: return 1 and set *ret_value when @field is present with the
 * right type, 0 when absent, -1 (INVALID_ARG naming the parameter) when
 * present with another type.
 */
int cvg_typed_params_get_int(const CvgTypedParamList *l, const char *field,
                             int *ret_value);
int cvg_typed_params_get_ullong(const CvgTypedParamList *l, const char *field,
                                unsigned long long *ret_value);
int cvg_typed_params_get_string(const CvgTypedParamList *l, const char *field,
                                const char **ret_value);
int cvg_typed_params_get_boolean(const CvgTypedParamList *l, const char *field,
                                 bool *ret_value);
