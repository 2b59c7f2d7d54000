/*
 * qemu-domain.c: domain objects
 */
#include "qemu-domain.h"

CvgDomainObj *
cvg_domain_obj_new(CvgDomainDef **def)
{
    CvgDomainObj *dom = g_new0(CvgDomainObj, 1);

    dom->refs = 1;
    dom->def = g_steal_pointer(def);
    dom->state = CVG_DOMAIN_SHUTOFF;
    dom->reason = CVG_SHUTOFF_UNKNOWN;
    dom->id = -1;
    /* QEMU's defaults, which libvirt reports before any change */
    dom->max_downtime_ms = 300;
    dom->max_speed_mibs = 8796093022207ULL; /* INT64_MAX / 1 MiB */
    g_cond_init(&dom->job_cond);
    return dom;
}

void
cvg_domain_obj_ref(CvgDomainObj *dom)
{
    g_atomic_int_inc(&dom->refs);
}

void
cvg_domain_obj_unref(CvgDomainObj *dom)
{
    if (!dom || !g_atomic_int_dec_and_test(&dom->refs))
        return;
    cvg_domain_def_free(dom->def);
    cvg_domain_def_free(dom->newdef);
    cvg_typed_params_free(dom->completed_stats);
    g_cond_clear(&dom->job_cond);
    g_free(dom);
}

const CvgDomainDef *
cvg_domain_obj_config(const CvgDomainObj *dom)
{
    return dom->newdef ? dom->newdef : dom->def;
}

void
cvg_domain_obj_set_state(CvgDomainObj *dom, int state, int reason)
{
    dom->state = state;
    dom->reason = reason;
}
