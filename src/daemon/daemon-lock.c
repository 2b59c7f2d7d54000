/*
 * daemon-lock.c: one daemon per state directory
 */
#include "daemon-lock.h"
#include "cvg-error.h"
#include "cvg-i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid the holder wrote into the lock file, as text ("?" if none). */
static char *
holder_pid(const char *path)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL) || !*g_strstrip(text))
        return g_strdup("?");
    return g_steal_pointer(&text);
}

int
cvg_daemon_lock_state_dir(const char *state_dir)
{
    g_autofree char *path = g_build_filename(state_dir, "convergd.lock", NULL);
    g_autofree char *pid = NULL;
    int fd;

    if (g_mkdir_with_parents(state_dir, 0700) < 0) {
        cvg_error_report_system(errno, _("cannot create directory '%s'"),
                                state_dir);
        return -1;
    }
    /* Close-on-exec: a QEMU started by this daemon must not inherit the
     * lock and keep the next daemon out after this one ended. */
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        cvg_error_report_system(errno, _("cannot open '%s'"), path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        g_autofree char *holder = NULL;

        close(fd);
        if (err != EWOULDBLOCK) {
            cvg_error_report_system(err, _("cannot lock '%s'"), path);
            return -1;
        }
        holder = holder_pid(path);
        cvg_error_report(CVG_ERR_OPERATION_INVALID,
                         _("state directory '%s' is in use by another "
                           "convergd (pid %s): two daemons would both "
                           "re-attach its guests"),
                         state_dir, holder);
        return -1;
    }
    pid = g_strdup_printf("%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
        cvg_error_report_system(errno, _("cannot write '%s'"), path);
        close(fd);
        return -1;
    }
    return fd;
}
