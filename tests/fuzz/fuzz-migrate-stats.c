/*
 * fuzz-migrate-stats.c: libFuzzer target for query-migrate replies
 *
 * The input is the "return" member of a query-migrate reply as QEMU would
 * send it.  It is read with json-c the way the monitor reads a message
 * (same depth limit, NUL bytes refused, trailing blanks only), then turned
 * into a sample and into the job statistics a client gets.
 *
 * Invariants: a failed parse reported why; a parsed sample always gives
 * the full parameter list with libvirt's types (operation and
 * auto_converge_throttle INT, everything else ULLONG); the throttle is in
 * 1..100 when present; "downtime" is the measured one only once completed;
 * the data and memory counters agree.
 *
 * Seeds live in tests/fuzz/query-migrate/; replay-main.c replays them
 * under meson test.
 */
#include "qemu-migration-stats.h"
#include "cvg-error.h"

#include <json-c/json.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As qemu-monitor.c reads a message. */
#define FUZZ_JSON_MAX_DEPTH 1024
/* 20 counters and the operation; auto_converge_throttle is extra, and so
 * are the compression_* counters of an xbzrle cache. */
#define FUZZ_STATS_BASE_PARAMS 21
#define FUZZ_STATS_XBZRLE_PARAMS 5

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_tokener, json_tokener_free)

static void G_GNUC_NORETURN
fail(const char *what, const char *field)
{
    const CvgError *err = cvg_error_last();

    fprintf(stderr, "query-migrate stats: %s%s%s\n", what, field ? ": " : "",
            field ? field : "");
    if (err)
        fprintf(stderr, "last error: %s\n", err->message);
    abort();
}

static json_object *
read_json(const uint8_t *data, size_t size)
{
    g_autoptr(json_tokener) tok = NULL;
    g_autoptr(json_object) obj = NULL;

    if (size > G_MAXINT || memchr(data, '\0', size))
        return NULL;
    tok = json_tokener_new_ex(FUZZ_JSON_MAX_DEPTH);
    obj = json_tokener_parse_ex(tok, (const char *)data, (int)size);
    if (!obj)
        return NULL;
    for (size_t end = json_tokener_get_parse_end(tok); end < size; end++) {
        if (!g_ascii_isspace(data[end]))
            return NULL;
    }
    return g_steal_pointer(&obj);
}

static unsigned long long
get_ullong(const CvgTypedParamList *l, const char *field)
{
    unsigned long long v = 0;

    if (cvg_typed_params_get_ullong(l, field, &v) != 1)
        fail("missing or mistyped parameter", field);
    return v;
}

static void
check_params(const CvgMigrationSample *s, const CvgTypedParamList *l,
             int operation, unsigned long long elapsed, bool completed)
{
    size_t xbzrle = s->has_xbzrle ? FUZZ_STATS_XBZRLE_PARAMS : 0;
    size_t expected = FUZZ_STATS_BASE_PARAMS + xbzrle + (s->throttle_pct != 0);
    bool measured = completed && s->has_downtime;
    unsigned long long downtime =
        measured ? s->downtime_ms : s->expected_downtime_ms;
    int v = 0;

    if (!l)
        fail("a parsed sample gives no job statistics", NULL);
    if (l->n != expected)
        fail("wrong number of job statistics", NULL);
    if (cvg_typed_params_get_int(l, "operation", &v) != 1 || v != operation)
        fail("bad parameter", "operation");
    if (strcmp(l->params[0].field, "operation") != 0)
        fail("first parameter is not", "operation");
    for (size_t i = 1; i < FUZZ_STATS_BASE_PARAMS + xbzrle; i++) {
        if (l->params[i].type != CVG_TYPED_PARAM_ULLONG)
            fail("parameter is not ULLONG", l->params[i].field);
    }
    if (s->throttle_pct != 0) {
        if (cvg_typed_params_get_int(l, "auto_converge_throttle", &v) != 1 ||
            v < 1 || v > 100)
            fail("bad parameter", "auto_converge_throttle");
    } else if (cvg_typed_params_find(l, "auto_converge_throttle")) {
        fail("throttle reported while 0", "auto_converge_throttle");
    }
    if (s->has_xbzrle !=
        (cvg_typed_params_find(l, "compression_cache") != NULL))
        fail("compression statistics without an xbzrle cache or the reverse",
             "compression_cache");
    if (get_ullong(l, "time_elapsed") != elapsed)
        fail("bad parameter", "time_elapsed");
    if (get_ullong(l, "downtime") != downtime)
        fail("bad parameter", "downtime");
    if (get_ullong(l, "data_total") != get_ullong(l, "memory_total") ||
        get_ullong(l, "data_processed") != get_ullong(l, "memory_processed") ||
        get_ullong(l, "data_remaining") != get_ullong(l, "memory_remaining"))
        fail("data and memory counters differ", NULL);
    if (get_ullong(l, "memory_total") != s->ram_total ||
        get_ullong(l, "memory_processed") != s->ram_transferred ||
        get_ullong(l, "memory_remaining") != s->ram_remaining)
        fail("memory counters are not the sample's", NULL);
    if (get_ullong(l, "disk_total") || get_ullong(l, "disk_processed") ||
        get_ullong(l, "disk_remaining"))
        fail("disk counters without disks", NULL);
    /* Bytes per second rounded from megabits per second: 0 for no rate,
     * at least 1 for a rate of a byte per second or more. */
    if ((s->ram_mbps == 0 && get_ullong(l, "memory_bps") != 0) ||
        (s->ram_mbps * 125000.0 >= 1.0 && get_ullong(l, "memory_bps") == 0))
        fail("bad parameter", "memory_bps");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(json_object) reply = NULL;
    CvgMigrationSample s;

    cvg_error_reset();
    memset(&s, 0xa5, sizeof(s));
    reply = read_json(data, size);
    /* A non-object (or nothing) is the parser's to refuse, not ours. */
    if (cvg_migration_sample_parse(reply, &s) < 0) {
        if (!cvg_error_last())
            fail("parsing failed without reporting an error", NULL);
        cvg_error_reset();
        return 0;
    }
    if (!cvg_migration_status_to_string(s.status) || s.status < 0 ||
        s.status >= CVG_MIG_STATUS_LAST)
        fail("status out of range", NULL);
    if (s.throttle_pct < 0 || s.throttle_pct > 100)
        fail("throttle out of range", NULL);
    if (!(s.ram_mbps >= 0) || isinf(s.ram_mbps))
        fail("ram mbps is negative or not finite", NULL);

    for (int completed = 0; completed <= 1; completed++) {
        const int op =
            completed ? CVG_JOB_OP_MIGRATION_IN : CVG_JOB_OP_MIGRATION_OUT;
        const unsigned long long elapsed =
            completed ? G_MAXUINT64 : s.total_time_ms;
        g_autoptr(CvgTypedParamList) params =
            cvg_migration_stats_to_params(&s, op, elapsed, completed);

        check_params(&s, params, op, elapsed, completed);
    }
    cvg_migration_sample_clear(&s);
    cvg_error_reset();
    return 0;
}
