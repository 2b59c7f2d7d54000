/*
 * convergence-conf.h: the convergence policy's settings, declared once
 *
 * Each setting of the daemon-side convergence policy (docs/migration.rst)
 * can be given in three places: a key of the daemon's configuration file,
 * an attribute of the domain's <convergd:migration> metadata and a
 * convergd.* typed parameter of one migration.  One row of
 * cvg_convergence_setting_table describes it for all three: names, type,
 * range, default and a line of documentation.  The config parser, the
 * metadata parser, the typed-parameter validation and the docs table
 * (docs/convergence-settings.rst.inc) are loops over that table.
 *
 * Precedence, most specific last: daemon configuration, then the domain's
 * metadata, then the migration's typed parameters.
 */
#pragma once

#include "cvg-typed-param.h"

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>

typedef enum {
    CVG_POLICY_QEMU = 0,
    CVG_POLICY_ADAPTIVE,
    CVG_POLICY_LAST
} CvgConvergencePolicy;

/* "qemu", "adaptive" */
const char *cvg_convergence_policy_to_string(int policy);
int cvg_convergence_policy_from_string(const char *s); /* -1 if unknown */

/* What to do once the throttle ceiling is not enough. */
typedef enum {
    CVG_ESCALATE_NONE = 0, /* keep going (libvirt's behaviour) */
    CVG_ESCALATE_PAUSE,    /* pause the guest: stop-and-copy finishes it */
    CVG_ESCALATE_ABORT,    /* cancel the migration with a clear error */
    CVG_ESCALATE_POSTCOPY, /* switch to post-copy (VIR_MIGRATE_POSTCOPY
                            * only; none without it) */
    CVG_ESCALATE_LAST
} CvgConvergenceEscalation;

/* "none", "pause", "abort", "postcopy" */
const char *cvg_convergence_escalation_to_string(int e);
int cvg_convergence_escalation_from_string(const char *s);

/* Namespace of the domain metadata element <convergd:migration>. */
#define CVG_MIGRATION_METADATA_NS "urn:convergd:migration:1"

/* The settings, one bit each in CvgConvergenceSettings.given. */
typedef enum {
    CVG_CONV_SETTING_POLICY = 0,
    CVG_CONV_SETTING_CEILING,
    CVG_CONV_SETTING_MAX_DOWNTIME,
    CVG_CONV_SETTING_DEADLINE,
    CVG_CONV_SETTING_ESCALATION,
    CVG_CONV_SETTING_LAST
} CvgConvergenceSettingId;

typedef struct {
    int policy;                         /* CvgConvergencePolicy */
    unsigned long long ceiling;         /* %, highest throttle */
    unsigned long long max_downtime_ms; /* escalation may raise to this */
    unsigned long long deadline_s;      /* escalate after this; 0 never */
    int escalation;                     /* CvgConvergenceEscalation */
    unsigned int given;                 /* 1 << CvgConvergenceSettingId of
                                         * the values set explicitly */
} CvgConvergenceSettings;

typedef struct {
    const char *name;          /* the setting's name in docs */
    const char *config_key;    /* key in the daemon configuration file */
    const char *param;         /* typed parameter of a migration */
    const char *metadata_attr; /* attribute of <convergd:migration> */
    int param_type;            /* CvgTypedParamType of @param */
    /* Word settings: the accepted words, indexed by the enum value; NULL
     * for numbers.  Word settings are ints in the struct, numbers are
     * unsigned long long. */
    const char *const *words;
    int nwords;
    unsigned long long min, max; /* numbers only */
    unsigned long long def;      /* default: number or enum value */
    size_t offset;               /* of the value in the struct */
    const char *unit;            /* for docs: "%", "ms", "s" or NULL */
    /* As a migration parameter it tunes auto-converge's throttle, so it
     * needs VIR_MIGRATE_AUTO_CONVERGE. */
    bool needs_auto_converge;
    const char *doc; /* one line for the docs table */
} CvgConvergenceSettingDef;

/* Indexed by CvgConvergenceSettingId. */
extern const CvgConvergenceSettingDef
    cvg_convergence_setting_table[CVG_CONV_SETTING_LAST];

/* The row whose config key / typed parameter is @name, or NULL. */
const CvgConvergenceSettingDef *
cvg_convergence_setting_by_key(const char *name);
const CvgConvergenceSettingDef *
cvg_convergence_setting_by_param(const char *name);

/* @s with every default, nothing marked given. */
void cvg_convergence_settings_init(CvgConvergenceSettings *s);

/*
 * Set @def's value in @s from @text (a word, or a decimal number without
 * sign, space or leading '+') and mark it given.  -1, nothing reported and
 * @s unchanged when @text is not a valid value: the caller names the place
 * (cvg_convergence_setting_expected() says what was expected).
 */
int cvg_convergence_setting_set_string(CvgConvergenceSettings *s,
                                       const CvgConvergenceSettingDef *def,
                                       const char *text);

/* What @def accepts, for messages: "1..99" or "\"qemu\", \"adaptive\"".
 * g_free it. */
char *cvg_convergence_setting_expected(const CvgConvergenceSettingDef *def);

/* The default or value of @def in @s as text, for docs and logs. */
char *cvg_convergence_setting_format(const CvgConvergenceSettings *s,
                                     const CvgConvergenceSettingDef *def);

/*
 * Check the typed parameter @p of @def (type, range or word) without
 * setting anything.  INVALID_ARG naming the parameter when it does not fit.
 */
int cvg_convergence_setting_check_typed(const CvgConvergenceSettingDef *def,
                                        const CvgTypedParam *p);

/*
 * Set from @params every setting whose convergd.* typed parameter is
 * there (the first occurrence), marking it given.  INVALID_ARG naming the
 * parameter when a value does not fit; @s may then be partly set.
 */
int cvg_convergence_settings_set_typed(CvgConvergenceSettings *s,
                                       const CvgTypedParamList *params);

/* Every setting given in @over replaces @s's value (and is marked given). */
void cvg_convergence_settings_merge(CvgConvergenceSettings *s,
                                    const CvgConvergenceSettings *over);

/*
 * Read the <convergd:migration> elements among the children of @metadata
 * (the domain's <metadata>) into @s; later elements win.  Any other
 * element is left alone.  An invalid value is an XML_ERROR and an
 * attribute convergd does not know is CONFIG_UNSUPPORTED, each naming the
 * attribute.
 */
int cvg_convergence_settings_parse_metadata(xmlNodePtr metadata,
                                            CvgConvergenceSettings *s);
