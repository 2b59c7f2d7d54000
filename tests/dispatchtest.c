/*
 * dispatchtest.c: the daemon serves exactly what the protocol annotates
 *
 * The dispatch table is generated from src/rpc/cvg-remote-protocol.x by
 * gen-dispatch.py.  This test reads the .x itself, with its own parser,
 * and checks the linked table against it: the same procedure numbers,
 * flags and API names, and the same body codecs as the protocol table.
 */
#include "daemon.h"
#include "cvg-protocol.h"
#include "testutils.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int proc;
    bool event;
    bool readonly;
    bool open;
    bool auth;
    char *api;
} Annotated;

static void
annotated_clear(gpointer p)
{
    g_free(((Annotated *)p)->api);
}

/* The procedure lines of the .x: "CVG_PROC_X = N, / * @key value ... * /". */
static GArray *
annotations_load(void)
{
    g_autofree char *path =
        cvg_test_srcpath("../src/rpc/cvg-remote-protocol.x");
    g_autofree char *text = cvg_test_load_file(path);
    g_autoptr(GRegex) line = NULL;
    g_autoptr(GMatchInfo) m = NULL;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(Annotated));

    g_array_set_clear_func(out, annotated_clear);
    if (!text)
        return out;
    line =
        g_regex_new("^\\s*CVG_PROC_\\w+\\s*=\\s*(\\d+)\\s*,?\\s*/\\*(.*)\\*/",
                    G_REGEX_MULTILINE, 0, NULL);
    g_regex_match(line, text, 0, &m);
    for (; g_match_info_matches(m); g_match_info_next(m, NULL)) {
        g_autofree char *num = g_match_info_fetch(m, 1);
        g_autofree char *notes = g_match_info_fetch(m, 2);
        g_auto(GStrv) words = g_strsplit_set(notes, " \t", -1);
        Annotated a = {.proc = atoi(num), .open = true, .auth = true};

        for (size_t i = 0; words[i]; i++) {
            const char *v = words[i + 1] ? words[i + 1] : "";

            if (strcmp(words[i], "@kind") == 0)
                a.event = strcmp(v, "event") == 0;
            else if (strcmp(words[i], "@readonly") == 0)
                a.readonly = strcmp(v, "yes") == 0;
            else if (strcmp(words[i], "@open") == 0)
                a.open = strcmp(v, "no") != 0;
            else if (strcmp(words[i], "@auth") == 0)
                a.auth = strcmp(v, "no") != 0;
            else if (strcmp(words[i], "@api") == 0)
                a.api = g_strdup(v);
        }
        g_array_append_val(out, a);
    }
    return out;
}

static const CvgRpcProcedure *
served(int proc)
{
    for (size_t i = 0; i < cvg_daemon_nprocs; i++) {
        if (cvg_daemon_procs[i].proc == proc)
            return &cvg_daemon_procs[i];
    }
    return NULL;
}

static int
check_one(const Annotated *a)
{
    const CvgRpcProcedure *p = served(a->proc);
    const CvgRemoteProcInfo *info = cvg_remote_proc_info(a->proc);
    unsigned int want = (a->open ? CVG_RPC_PROC_NEEDS_OPEN : 0) |
                        (a->auth ? CVG_RPC_PROC_NEEDS_AUTH : 0) |
                        (a->readonly ? CVG_RPC_PROC_READONLY_OK : 0);

    if (!info || info->event != a->event) {
        fprintf(stderr, "%d: not in the protocol table as annotated\n",
                a->proc);
        return -1;
    }
    if (a->event) {
        if (p) {
            fprintf(stderr, "%d: an event is dispatched\n", a->proc);
            return -1;
        }
        return 0;
    }
    if (!p || !p->handler) {
        fprintf(stderr, "%d: annotated but not served\n", a->proc);
        return -1;
    }
    if ((p->flags & ~CVG_RPC_PROC_HIGH_PRIORITY) != want ||
        g_strcmp0(p->api, a->api) != 0) {
        fprintf(stderr, "%d: flags 0x%x api %s, annotated 0x%x %s\n", a->proc,
                p->flags, p->api, want, a->api);
        return -1;
    }
    if (p->args_proc != info->args || p->args_size != info->args_size ||
        p->ret_proc != info->ret || p->ret_size != info->ret_size) {
        fprintf(stderr, "%d: codecs differ from the protocol table\n", a->proc);
        return -1;
    }
    return 0;
}

static int
test_served_set(const void *data)
{
    g_autoptr(GArray) notes = annotations_load();
    size_t nserved = 0;
    int ret = 0;

    if (notes->len < 60) {
        fprintf(stderr, "only %u procedures read from the .x\n", notes->len);
        return -1;
    }
    for (guint i = 0; i < notes->len; i++) {
        const Annotated *a = &g_array_index(notes, Annotated, i);

        if (check_one(a) < 0)
            ret = -1;
        if (!a->event)
            nserved++;
    }
    /* Nothing is served that the .x does not annotate. */
    if (nserved != cvg_daemon_nprocs || notes->len != cvg_remote_nprocs) {
        fprintf(stderr,
                "%zu served, %zu in the table; %u described, %zu "
                "in the protocol table\n",
                nserved, cvg_daemon_nprocs, notes->len, cvg_remote_nprocs);
        ret = -1;
    }
    return ret;
}

/* The refusal text for read-only connections is the API name that
 * test_python and test_hostile expect. */
static int
test_api_names(const void *data)
{
    static const struct {
        int proc;
        const char *api;
    } want[] = {
        {CVG_PROC_DOMAIN_CREATE, "virDomainCreate"},
        {CVG_PROC_DOMAIN_DEFINE_XML, "virDomainDefineXML"},
        {CVG_PROC_DOMAIN_DEFINE_XML_FLAGS, "virDomainDefineXMLFlags"},
        {CVG_PROC_DOMAIN_LOOKUP_BY_UUID, "virDomainLookupByUUID"},
        {CVG_PROC_DOMAIN_LOOKUP_BY_ID, "virDomainLookupByID"},
        {CVG_PROC_DOMAIN_GET_OS_TYPE, "virDomainGetOSType"},
        {CVG_PROC_CONNECT_GET_URI, "virConnectGetURI"},
        {CVG_PROC_DOMAIN_MIGRATE_PERFORM3_PARAMS,
         "virDomainMigratePerform3Params"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        const CvgRpcProcedure *p = served(want[i].proc);

        if (!p || g_strcmp0(p->api, want[i].api) != 0) {
            fprintf(stderr, "%d: api %s, want %s\n", want[i].proc,
                    p ? p->api : "(not served)", want[i].api);
            return -1;
        }
    }
    return 0;
}

int
main(void)
{
    cvg_test_run("served-set", test_served_set, NULL);
    cvg_test_run("api-names", test_api_names, NULL);
    return cvg_test_finish();
}
