/*
 * daemon-systemd.c: socket activation, sd_notify and the idle exit
 */
#include "daemon-systemd.h"
#include "qemu-domain-job.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

/* How often the idle watch looks at clients and guests. */
#define IDLE_TICK_S 1

void
cvg_activated_socket_free(CvgActivatedSocket *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    g_free(s->name);
    g_free(s->path);
    g_free(s);
}

/* The path @fd is bound to, or NULL for an unnamed or abstract socket. */
static char *
bound_path(int fd)
{
    struct sockaddr_un addr = {0};
    socklen_t len = sizeof(addr);
    size_t n;

    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0 ||
        addr.sun_family != AF_UNIX ||
        len <= offsetof(struct sockaddr_un, sun_path))
        return NULL;
    n = len - offsetof(struct sockaddr_un, sun_path);
    if (n == 0 || addr.sun_path[0] == '\0')
        return NULL;
    return g_strndup(addr.sun_path, n);
}

GPtrArray *
cvg_daemon_activated_sockets(void)
{
    g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func(
        (GDestroyNotify)cvg_activated_socket_free);
    g_auto(GStrv) names = NULL;
    int n = sd_listen_fds_with_names(1, &names);

    if (n < 0) {
        cvg_error_report_system(-n, _("cannot read the sockets passed by "
                                      "the service manager"));
        return NULL;
    }
    /* All of them become ours first, so that a refusal closes them all. */
    for (int i = 0; i < n; i++) {
        CvgActivatedSocket *s = g_new0(CvgActivatedSocket, 1);

        s->fd = SD_LISTEN_FDS_START + i;
        /* systemd-socket-activate without --fdname says "unknown" */
        if (names && names[i] && strcmp(names[i], "unknown") != 0)
            s->name = g_strdup(names[i]);
        g_ptr_array_add(sockets, s);
    }
    for (guint i = 0; i < sockets->len; i++) {
        CvgActivatedSocket *s = g_ptr_array_index(sockets, i);

        /* UNIX sockets for the local endpoints, TCP for TLS and TCP. */
        s->tcp = sd_is_socket_inet(s->fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0;
        if (!s->tcp && sd_is_socket(s->fd, AF_UNIX, SOCK_STREAM, 1) <= 0) {
            cvg_error_report(CVG_ERR_CONFIG_UNSUPPORTED,
                             _("socket %d ('%s') passed by the service "
                               "manager is not a listening UNIX or TCP "
                               "stream socket"),
                             s->fd, s->name ? s->name : "unknown");
            return NULL;
        }
        s->path = bound_path(s->fd);
        g_debug("activated socket %d: name '%s', path '%s'", s->fd,
                s->name ? s->name : "", s->path ? s->path : "");
    }
    return g_steal_pointer(&sockets);
}

CvgActivatedSocket *
cvg_daemon_activated_take(GPtrArray *sockets, const char *name,
                          const char *path)
{
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < sockets->len; i++) {
            CvgActivatedSocket *s = g_ptr_array_index(sockets, i);
            bool hit = pass == 0 ? name && g_strcmp0(s->name, name) == 0
                                 : path && g_strcmp0(s->path, path) == 0;

            if (hit)
                return g_ptr_array_steal_index(sockets, i);
        }
    }
    return NULL;
}

/* Running guests and domains with a job (a migration, a start), counted
 * under the driver lock. */
static void
count_guests(CvgDriver *drv, unsigned int *ret_running, unsigned int *ret_jobs)
{
    g_autoptr(GPtrArray) list = NULL;
    unsigned int running = 0, jobs = 0;

    cvg_driver_lock(drv);
    list = cvg_driver_list_locked(drv);
    for (guint i = 0; i < list->len; i++) {
        CvgDomainObj *dom = g_ptr_array_index(list, i);

        if (cvg_domain_obj_is_active(dom))
            running++;
        if (!cvg_domain_job_idle(dom))
            jobs++;
    }
    cvg_driver_unlock(drv);
    *ret_running = running;
    *ret_jobs = jobs;
}

/* Send STATUS= when it changed. */
static void
update_status(CvgDaemon *d, unsigned int running, unsigned int clients)
{
    g_autofree char *status = g_strdup_printf("%u guest%s running, %u client%s",
                                              running, running == 1 ? "" : "s",
                                              clients, clients == 1 ? "" : "s");

    if (g_strcmp0(status, d->status) == 0)
        return;
    sd_notifyf(0, "STATUS=%s", status);
    g_free(d->status);
    d->status = g_steal_pointer(&status);
}

/* libvirt's modular daemons exit after --timeout seconds with no client
 * and nothing running; socket activation starts them again, and the next
 * daemon re-attaches guests started meanwhile (there are none by then). */
static gboolean
idle_tick(gpointer data)
{
    CvgDaemon *d = data;
    unsigned int timeout = d->drv->cfg->idle_timeout;
    unsigned int running, jobs;
    unsigned int clients = cvg_rpc_server_nclients(d->srv);
    gint64 now = g_get_monotonic_time();

    count_guests(d->drv, &running, &jobs);
    update_status(d, running, clients);
    if (running || jobs || clients || d->stop_wait)
        d->busy_at = now;
    if (timeout && now - d->busy_at >= timeout * G_TIME_SPAN_SECOND) {
        g_message("no client, guest or job for %u s: exiting", timeout);
        d->idle_tick = 0;
        g_main_loop_quit(d->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void
cvg_daemon_systemd_start(CvgDaemon *d)
{
    unsigned int running, jobs;

    count_guests(d->drv, &running, &jobs);
    update_status(d, running, cvg_rpc_server_nclients(d->srv));
    sd_notify(0, "READY=1");
    d->busy_at = g_get_monotonic_time();
    if (d->drv->cfg->idle_timeout || getenv("NOTIFY_SOCKET"))
        d->idle_tick = g_timeout_add_seconds(IDLE_TICK_S, idle_tick, d);
}

void
cvg_daemon_systemd_stopping(CvgDaemon *d)
{
    if (d->idle_tick)
        g_source_remove(d->idle_tick);
    d->idle_tick = 0;
    sd_notify(0, "STOPPING=1");
}
