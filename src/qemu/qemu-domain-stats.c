/*
 * qemu-domain-stats.c: bulk domain statistics (virConnectGetAllDomainStats)
 *
 * What a record holds is copied from the domain under the driver lock (a
 * snapshot); the per-thread vCPU map comes from QEMU's query-cpus-fast under
 * a QUERY job.  The figures themselves are read from /proc after the lock
 * is dropped, so a slow /proc never holds up the driver.
 */
#include "qemu-domain-stats.h"
#include "qemu-block.h"
#include "qemu-net.h"
#include "qemu-domain-job.h"
#include "qemu-domain-list.h"
#include "qemu-process.h"
#include "cvg-error.h"
#include "cvg-i18n.h"
#include "cvg-json.h"
#include "cvg-log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* virVcpuState: a vCPU QEMU lists is running (there is no hot-unplug). */
#define VCPU_STATE_RUNNING 1
/* <vcpu> is at most 255 (domain-conf.h): a larger cpu-index is bogus. */
#define VCPU_INDEX_MAX 256

#define STATS_FLAGS_KNOWN                                                      \
    (CVG_DOMAIN_STATS_FILTERS | CVG_DOMAIN_STATS_NOWAIT |                      \
     CVG_DOMAIN_STATS_BACKING | CVG_DOMAIN_STATS_ENFORCE)

/* A domain's data for its record, copied under the lock. */
typedef struct {
    int state, reason;
    bool active;
    pid_t pid;
    unsigned int vcpus;
    unsigned long long memory_kib, current_memory_kib;
    GArray *vcpu_tids; /* pid_t by cpu-index; NULL when QEMU did not say */
    /* the block and interface groups ask the driver after the lock */
    CvgDriver *drv;
    CvgDomainObj *dom;
    bool ask_qemu;           /* false: NOWAIT with a job running */
    GPtrArray *disk_targets; /* "vda", ... */
    GPtrArray *disk_sources; /* paths; "" for an empty drive */
    GPtrArray *net_names;    /* the tap, or "" (user networking) */
    GPtrArray *net_macs;     /* "52:54:00:..." */
} StatsSnapshot;

static void
snapshot_clear(StatsSnapshot *snap)
{
    g_clear_pointer(&snap->vcpu_tids, g_array_unref);
    g_clear_pointer(&snap->disk_targets, g_ptr_array_unref);
    g_clear_pointer(&snap->disk_sources, g_ptr_array_unref);
    g_clear_pointer(&snap->net_names, g_ptr_array_unref);
    g_clear_pointer(&snap->net_macs, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(StatsSnapshot, snapshot_clear)

typedef int (*StatsGroupFunc)(const StatsSnapshot *snap, CvgTypedParamList *l);

void
cvg_domain_stats_record_free(CvgDomainStatsRecord *rec)
{
    if (!rec)
        return;
    g_clear_pointer(&rec->dom, cvg_domain_obj_unref);
    g_clear_pointer(&rec->params, cvg_typed_params_free);
    g_free(rec);
}

/* User and system time of process @pid (or its thread @tid when > 0) in
 * ns, from the utime and stime fields of /proc/.../stat (clock ticks). */
static int
proc_stat_times(pid_t pid, pid_t tid, unsigned long long *ret_user_ns,
                unsigned long long *ret_sys_ns)
{
    g_autofree char *path =
        tid > 0 ? g_strdup_printf("/proc/%d/task/%d/stat", (int)pid, (int)tid)
                : g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *text = NULL;
    unsigned long long utime, stime;
    unsigned long long tick_ns = 1000000000ULL / sysconf(_SC_CLK_TCK);
    const char *p;

    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    /* Fields 14 and 15 follow the command name, which may hold spaces. */
    if (!(p = strrchr(text, ')')) ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return -1;
    *ret_user_ns = utime * tick_ns;
    *ret_sys_ns = stime * tick_ns;
    return 0;
}

static int
group_state(const StatsSnapshot *snap, CvgTypedParamList *l)
{
    if (cvg_typed_params_add_int(l, "state.state", snap->state) < 0 ||
        cvg_typed_params_add_int(l, "state.reason", snap->reason) < 0)
        return -1;
    return 0;
}

static int
group_cpu_total(const StatsSnapshot *snap, CvgTypedParamList *l)
{
    unsigned long long user, sys;

    /* A QEMU that has just gone has no times: leave the group out. */
    if (proc_stat_times(snap->pid, 0, &user, &sys) < 0)
        return 0;
    if (cvg_typed_params_add_ullong(l, "cpu.time", user + sys) < 0 ||
        cvg_typed_params_add_ullong(l, "cpu.user", user) < 0 ||
        cvg_typed_params_add_ullong(l, "cpu.system", sys) < 0)
        return -1;
    return 0;
}

/* There is never a balloon device (domain-conf.h), so the guest's memory is
 * its current memory, as libvirt reports for a guest without a balloon. */
static int
group_balloon(const StatsSnapshot *snap, CvgTypedParamList *l)
{
    if (cvg_typed_params_add_ullong(l, "balloon.current",
                                    snap->current_memory_kib) < 0 ||
        cvg_typed_params_add_ullong(l, "balloon.maximum", snap->memory_kib) < 0)
        return -1;
    return 0;
}

static int
group_vcpu(const StatsSnapshot *snap, CvgTypedParamList *l)
{
    if (cvg_typed_params_add_uint(l, "vcpu.current", snap->vcpus) < 0 ||
        cvg_typed_params_add_uint(l, "vcpu.maximum", snap->vcpus) < 0)
        return -1;
    for (guint i = 0; snap->vcpu_tids && i < snap->vcpu_tids->len; i++) {
        pid_t tid = g_array_index(snap->vcpu_tids, pid_t, i);
        unsigned long long user, sys;
        char field[CVG_TYPED_PARAM_FIELD_LENGTH];

        if (tid <= 0)
            continue;
        g_snprintf(field, sizeof(field), "vcpu.%u.state", i);
        if (cvg_typed_params_add_int(l, field, VCPU_STATE_RUNNING) < 0)
            return -1;
        if (proc_stat_times(snap->pid, tid, &user, &sys) < 0)
            continue;
        g_snprintf(field, sizeof(field), "vcpu.%u.time", i);
        if (cvg_typed_params_add_ullong(l, field, user + sys) < 0)
            return -1;
    }
    return 0;
}

/* Add "PREFIX.N.KEY" = @v (ullong); a negative @v (unknown) is left out. */
static int
add_counter(CvgTypedParamList *l, const char *prefix, size_t n, const char *key,
            long long v)
{
    char field[CVG_TYPED_PARAM_FIELD_LENGTH];

    if (v < 0)
        return 0;
    g_snprintf(field, sizeof(field), "%s.%zu.%s", prefix, n, key);
    return cvg_typed_params_add_ullong(l, field, (unsigned long long)v);
}

static int
add_name(CvgTypedParamList *l, const char *prefix, size_t n, const char *key,
         const char *value)
{
    char field[CVG_TYPED_PARAM_FIELD_LENGTH];

    g_snprintf(field, sizeof(field), "%s.%zu.%s", prefix, n, key);
    return cvg_typed_params_add_string(l, field, value);
}

/* net.count, then per interface its name and the guest-side counters
 * (the tap's, swapped: cvg_driver_net_stats()).  An interface without a
 * host device (user networking) has its name only, as libvirt's. */
static int
group_interface(const StatsSnapshot *snap, CvgTypedParamList *l)
{
    if (cvg_typed_params_add_uint(l, "net.count", snap->net_names->len) < 0)
        return -1;
    for (guint i = 0; i < snap->net_names->len; i++) {
        const char *name = g_ptr_array_index(snap->net_names, i);
        CvgNetStats s;

        if (add_name(l, "net", i, "name", name) < 0)
            return -1;
        if (!*name || cvg_driver_net_stats(snap->drv, snap->dom,
                                           g_ptr_array_index(snap->net_macs, i),
                                           &s) < 0) {
            cvg_error_reset();
            continue;
        }
        if (add_counter(l, "net", i, "rx.bytes", s.rx_bytes) < 0 ||
            add_counter(l, "net", i, "rx.pkts", s.rx_packets) < 0 ||
            add_counter(l, "net", i, "rx.errs", s.rx_errs) < 0 ||
            add_counter(l, "net", i, "rx.drop", s.rx_drop) < 0 ||
            add_counter(l, "net", i, "tx.bytes", s.tx_bytes) < 0 ||
            add_counter(l, "net", i, "tx.pkts", s.tx_packets) < 0 ||
            add_counter(l, "net", i, "tx.errs", s.tx_errs) < 0 ||
            add_counter(l, "net", i, "tx.drop", s.tx_drop) < 0)
            return -1;
    }
    return 0;
}

/* One disk's QEMU counters (query-blockstats), left out when QEMU cannot
 * be asked (NOWAIT during a job) or the disk has no medium. */
static int
block_counters(const StatsSnapshot *snap, CvgTypedParamList *l, guint i)
{
    const char *target = g_ptr_array_index(snap->disk_targets, i);
    CvgBlockStats s;

    if (!snap->ask_qemu ||
        cvg_driver_block_stats(snap->drv, snap->dom, target, &s) < 0) {
        cvg_error_reset();
        return 0;
    }
    if (add_counter(l, "block", i, "rd.reqs", s.rd_req) < 0 ||
        add_counter(l, "block", i, "rd.bytes", s.rd_bytes) < 0 ||
        add_counter(l, "block", i, "rd.times", s.rd_time_ns) < 0 ||
        add_counter(l, "block", i, "wr.reqs", s.wr_req) < 0 ||
        add_counter(l, "block", i, "wr.bytes", s.wr_bytes) < 0 ||
        add_counter(l, "block", i, "wr.times", s.wr_time_ns) < 0 ||
        add_counter(l, "block", i, "fl.reqs", s.flush_req) < 0 ||
        add_counter(l, "block", i, "fl.times", s.flush_time_ns) < 0)
        return -1;
    return 0;
}

/* block.count, then per disk name, path, QEMU's counters and the sizes
 * read from the image (cvg_driver_block_info()). */
static int
group_block(const StatsSnapshot *snap, CvgTypedParamList *l)
{
    if (cvg_typed_params_add_uint(l, "block.count", snap->disk_targets->len) <
        0)
        return -1;
    for (guint i = 0; i < snap->disk_targets->len; i++) {
        const char *target = g_ptr_array_index(snap->disk_targets, i);
        const char *source = g_ptr_array_index(snap->disk_sources, i);
        unsigned long long alloc, cap, phys;

        if (add_name(l, "block", i, "name", target) < 0 ||
            (*source && add_name(l, "block", i, "path", source) < 0) ||
            block_counters(snap, l, i) < 0)
            return -1;
        if (!*source || cvg_driver_block_info(snap->drv, snap->dom, target,
                                              &alloc, &cap, &phys) < 0) {
            cvg_error_reset();
            continue;
        }
        if (add_counter(l, "block", i, "allocation", (long long)alloc) < 0 ||
            add_counter(l, "block", i, "capacity", (long long)cap) < 0 ||
            add_counter(l, "block", i, "physical", (long long)phys) < 0)
            return -1;
    }
    return 0;
}

/* The groups in libvirt's order; only "state" for an inactive domain. */
static const struct {
    unsigned int group;
    bool inactive;
    StatsGroupFunc fn;
} stats_groups[] = {
    {CVG_DOMAIN_STATS_STATE, true, group_state},
    {CVG_DOMAIN_STATS_CPU_TOTAL, false, group_cpu_total},
    {CVG_DOMAIN_STATS_BALLOON, false, group_balloon},
    {CVG_DOMAIN_STATS_VCPU, false, group_vcpu},
    {CVG_DOMAIN_STATS_INTERFACE, false, group_interface},
    {CVG_DOMAIN_STATS_BLOCK, false, group_block},
};

static unsigned int
stats_supported(void)
{
    unsigned int mask = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(stats_groups); i++)
        mask |= stats_groups[i].group;
    return mask;
}

/* The vCPU threads from query-cpus-fast (lock and job held). */
static GArray *
query_vcpu_tids(CvgDriver *drv, CvgDomainObj *dom)
{
    g_autoptr(json_object) reply = NULL;
    g_autoptr(GArray) tids = g_array_new(FALSE, TRUE, sizeof(pid_t));

    if (cvg_qemu_monitor_command(drv, dom, "query-cpus-fast", NULL, &reply) <
            0 ||
        !json_object_is_type(reply, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(reply); i++) {
        json_object *cpu = json_object_array_get_idx(reply, i);
        gint64 index, tid;

        if (!cvg_json_get_int64(cpu, "cpu-index", &index) ||
            !cvg_json_get_int64(cpu, "thread-id", &tid) || index < 0 ||
            index >= VCPU_INDEX_MAX)
            continue;
        if ((guint)index >= tids->len)
            g_array_set_size(tids, (guint)index + 1);
        g_array_index(tids, pid_t, index) = (pid_t)tid;
    }
    return g_steal_pointer(&tids);
}

/* The disks' and interfaces' names (lock held). */
static void
snapshot_devices(CvgDomainObj *dom, StatsSnapshot *snap)
{
    const CvgDomainDef *def = dom->def;

    snap->disk_targets = g_ptr_array_new_with_free_func(g_free);
    snap->disk_sources = g_ptr_array_new_with_free_func(g_free);
    snap->net_names = g_ptr_array_new_with_free_func(g_free);
    snap->net_macs = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < def->ndisks; i++) {
        g_ptr_array_add(snap->disk_targets, g_strdup(def->disks[i]->target));
        g_ptr_array_add(
            snap->disk_sources,
            g_strdup(def->disks[i]->source ? def->disks[i]->source : ""));
    }
    for (size_t i = 0; i < def->nnets; i++) {
        const CvgDomainNet *net = def->nets[i];
        char mac[18];

        cvg_mac_format(net->mac, mac);
        g_ptr_array_add(snap->net_names,
                        g_strdup(net->type != CVG_NET_TYPE_USER && net->ifname
                                     ? net->ifname
                                     : ""));
        g_ptr_array_add(snap->net_macs, g_strdup(mac));
    }
}

/* Copy what @dom's record needs (lock held).  QEMU is asked for the vCPU
 * threads only when that group is wanted, and with NOWAIT only when no
 * job is running; a failed query leaves the per-vCPU figures out. */
static void
take_snapshot(CvgDriver *drv, CvgDomainObj *dom, unsigned int stats,
              unsigned int flags, StatsSnapshot *snap)
{
    snap->state = dom->state;
    snap->reason = dom->reason;
    snap->active = cvg_domain_obj_is_active(dom);
    snap->pid = snap->active ? dom->pid : 0;
    snap->vcpus = dom->def->vcpus;
    snap->memory_kib = dom->def->memory_kib;
    snap->current_memory_kib = dom->def->current_memory_kib;
    snapshot_devices(dom, snap);
    snap->ask_qemu =
        !((flags & CVG_DOMAIN_STATS_NOWAIT) && dom->job != CVG_JOB_NONE);
    if (!snap->active || !(stats & CVG_DOMAIN_STATS_VCPU) ||
        ((flags & CVG_DOMAIN_STATS_NOWAIT) && dom->job != CVG_JOB_NONE))
        return;
    if (cvg_domain_job_begin(drv, dom, CVG_JOB_QUERY) < 0) {
        cvg_error_reset();
        return;
    }
    if (cvg_domain_obj_is_active(dom))
        snap->vcpu_tids = query_vcpu_tids(drv, dom);
    cvg_error_reset();
    cvg_domain_job_end(drv, dom);
}

static CvgDomainStatsRecord *
domain_record(CvgDriver *drv, CvgDomainObj *dom, unsigned int stats,
              unsigned int flags)
{
    g_auto(StatsSnapshot) snap = {0};
    g_autoptr(CvgDomainStatsRecord) rec = g_new0(CvgDomainStatsRecord, 1);

    cvg_driver_lock(drv);
    take_snapshot(drv, dom, stats, flags, &snap);
    cvg_driver_unlock(drv);

    snap.drv = drv;
    snap.dom = dom;
    cvg_domain_obj_ref(dom);
    rec->dom = dom;
    rec->params = cvg_typed_params_new();
    for (size_t i = 0; i < G_N_ELEMENTS(stats_groups); i++) {
        if (!(stats & stats_groups[i].group) ||
            (!snap.active && !stats_groups[i].inactive))
            continue;
        if (stats_groups[i].fn(&snap, rec->params) < 0)
            return NULL;
    }
    return g_steal_pointer(&rec);
}

/* The domains to report: those of @doms (or all) that match @filters. */
static GPtrArray *
select_domains(CvgDriver *drv, CvgDomainObj *const *doms, size_t ndoms,
               unsigned int filters)
{
    g_autoptr(GPtrArray) matching = cvg_driver_list(drv, filters);
    GPtrArray *out;

    if (!matching || !doms)
        return g_steal_pointer(&matching);
    out = g_ptr_array_new_with_free_func((GDestroyNotify)cvg_domain_obj_unref);
    for (size_t i = 0; i < ndoms; i++) {
        if (!g_ptr_array_find(matching, doms[i], NULL))
            continue;
        cvg_domain_obj_ref(doms[i]);
        g_ptr_array_add(out, doms[i]);
    }
    return out;
}

int
cvg_driver_get_domain_stats(CvgDriver *drv, CvgDomainObj *const *doms,
                            size_t ndoms, unsigned int stats,
                            unsigned int flags, GPtrArray **ret_records)
{
    unsigned int supported = stats_supported();
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GPtrArray) records = NULL;

    cvg_check_flags(flags, STATS_FLAGS_KNOWN, -1);
    if ((flags & CVG_DOMAIN_STATS_ENFORCE) && (stats & ~supported)) {
        cvg_error_report(CVG_ERR_ARGUMENT_UNSUPPORTED,
                         _("unsupported statistics groups (0x%x)"),
                         stats & ~supported);
        return -1;
    }
    stats = stats ? stats & supported : supported;

    if (!(list = select_domains(drv, doms, ndoms,
                                flags & CVG_DOMAIN_STATS_FILTERS)))
        return -1;
    records = g_ptr_array_new_with_free_func(
        (GDestroyNotify)cvg_domain_stats_record_free);
    for (guint i = 0; i < list->len; i++) {
        CvgDomainStatsRecord *rec =
            domain_record(drv, g_ptr_array_index(list, i), stats, flags);

        if (!rec)
            return -1;
        g_ptr_array_add(records, rec);
    }
    *ret_records = g_steal_pointer(&records);
    return 0;
}
