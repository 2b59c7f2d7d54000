/*
 * remote-console.c: virDomainOpenConsole (virsh console)
 *
 * The console is the guest's serial port pty, opened here and tied to the
 * client's stream (src/rpc/cvg-stream.h).  One session per domain at a
 * time, as libvirt: a second one is refused unless it asks to take the
 * console over (VIR_DOMAIN_CONSOLE_FORCE), which ends the first.
 */
#include "daemon.h"
#include "cvg-stream.h"
#include "cvg-protocol.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

/* virDomainConsoleFlags */
#define CONSOLE_FORCE (1 << 0)
#define CONSOLE_SAFE (1 << 1) /* our console is always safe to use */

/* domain uuid string -> the CvgRpcStream of its open console session */
static GMutex sessions_lock;
static GHashTable *sessions;

/* A session ended (main thread): forget it unless a newer one took its
 * place. */
static void
session_ended(CvgRpcStream *st, void *opaque)
{
    char *uuid = opaque;

    g_mutex_lock(&sessions_lock);
    if (sessions && g_hash_table_lookup(sessions, uuid) == st)
        g_hash_table_remove(sessions, uuid);
    g_mutex_unlock(&sessions_lock);
    g_free(uuid);
}

/* The pty at @path, raw (the guest's bytes pass unchanged both ways). */
static int
open_pty(const char *path)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        cvg_error_report_system(errno, _("Unable to open '%s'"), path);
        return -1;
    }
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

int
cvg_dispatch_domain_open_console(CvgDaemon *d, CvgRpcClient *client,
                                 const CvgRemoteDomainOpenConsoleArgs *args)
{
    g_autofree char *path = NULL;
    g_autofree char *uuid = NULL;
    g_autofree char *old_key = NULL; /* a forced takeover's stolen key */
    g_autoptr(CvgRpcStream) old = NULL;
    CvgRpcStream *st;
    int fd;

    GET_DOM(args);
    cvg_check_flags(args->flags, CONSOLE_FORCE | CONSOLE_SAFE, -1);
    if (!(path = cvg_driver_console_path(
              d->drv, dom, args->dev_name ? *args->dev_name : NULL)))
        return -1;
    uuid = g_malloc(37);
    cvg_uuid_format((const unsigned char *)args->dom.uuid, uuid);
    g_mutex_lock(&sessions_lock);
    if (!sessions)
        sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)cvg_rpc_stream_unref);
    if (g_hash_table_contains(sessions, uuid)) {
        if (!(args->flags & CONSOLE_FORCE)) {
            g_mutex_unlock(&sessions_lock);
            /* libvirt's code and words */
            cvg_error_report(CVG_ERR_OPERATION_FAILED,
                             _("Active console session exists for this "
                               "domain"));
            return -1;
        }
        g_hash_table_steal_extended(sessions, uuid, (gpointer *)&old_key,
                                    (gpointer *)&old);
    }
    if ((fd = open_pty(path)) < 0) {
        g_mutex_unlock(&sessions_lock);
        return -1;
    }
    st = cvg_rpc_stream_open(client, fd, session_ended, g_strdup(uuid));
    g_hash_table_insert(sessions, g_steal_pointer(&uuid), st);
    g_mutex_unlock(&sessions_lock);
    if (old)
        cvg_rpc_stream_terminate(old);
    return 0;
}
