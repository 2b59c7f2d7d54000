/*
 * diskinit.c: /init of the disk guest's initramfs
 *
 * Loads the virtio modules shipped in /modules (in the order of
 * /modules/order, retrying until none loads any more, which settles
 * dependencies without modules.dep), waits for the root device, mounts it
 * and makes it the root: the initramfs is only the way to the virtio disk.
 *
 * Kernel command line: root=DEV (default /dev/vda), rootfstype=TYPE
 * (default ext4), init=PATH on the root (default /sbin/init).
 *
 * Static, no libraries beyond libc: gcc -static -O2 -Wall -Wextra.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_MODULES 32
#define ROOT_WAIT_MS 10000

static void
say(const char *fmt, const char *a, const char *b)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), fmt, a, b);

    if (n > 0)
        (void)!write(1, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf));
}

static void
fail(const char *what, const char *arg)
{
    say("diskinit: error: %s %s\n", what, arg);
    say("diskinit: %s%s\n", strerror(errno), "");
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

/* The value of "key=" on the kernel command line, or @dflt. */
static const char *
cmdline_get(const char *cmdline, const char *key, const char *dflt)
{
    static char values[4][256];
    static int next;
    size_t klen = strlen(key);
    const char *p = cmdline;

    while (p && *p) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            char *v = values[next++ % 4];
            size_t n = strcspn(p + klen + 1, " \n");

            if (n >= sizeof(values[0]))
                n = sizeof(values[0]) - 1;
            memcpy(v, p + klen + 1, n);
            v[n] = '\0';
            return v;
        }
        p = strchr(p, ' ');
    }
    return dflt;
}

static int
load_module(const char *name)
{
    char path[256];
    int fd;
    long rc;

    snprintf(path, sizeof(path), "/modules/%s.ko", name);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    rc = syscall(SYS_finit_module, fd, "", 0);
    close(fd);
    return rc == 0 || errno == EEXIST ? 0 : -1;
}

/* Load every module of /modules/order; a module whose dependency is not
 * loaded yet fails and is tried again in the next round. */
static void
load_modules(void)
{
    char buf[1024];
    char *names[MAX_MODULES];
    int loaded[MAX_MODULES] = {0};
    int n = 0;
    int progress = 1;
    ssize_t len;
    int fd;
    char *save = NULL;

    if ((fd = open("/modules/order", O_RDONLY)) < 0)
        return;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return;
    buf[len] = '\0';
    for (char *t = strtok_r(buf, " \n", &save); t && n < MAX_MODULES;
         t = strtok_r(NULL, " \n", &save))
        names[n++] = t;
    while (progress) {
        progress = 0;
        for (int i = 0; i < n; i++) {
            if (!loaded[i] && load_module(names[i]) == 0)
                loaded[i] = progress = 1;
        }
    }
    for (int i = 0; i < n; i++) {
        if (!loaded[i])
            say("diskinit: warning: module %s did not load%s\n", names[i], "");
    }
}

static void
wait_for(const char *dev)
{
    struct stat st;
    struct timespec ts = {0, 20 * 1000 * 1000};

    for (int i = 0; i < ROOT_WAIT_MS / 20; i++) {
        if (stat(dev, &st) == 0)
            return;
        nanosleep(&ts, NULL);
    }
    fail("no root device", dev);
}

int
main(void)
{
    char cmdline[2048] = "";
    const char *root, *fstype, *init;
    ssize_t n;
    int fd;

    (void)mount("devtmpfs", "/dev", "devtmpfs", 0, "mode=0755");
    (void)mount("proc", "/proc", "proc", 0, NULL);
    (void)mount("sysfs", "/sys", "sysfs", 0, NULL);
    if ((fd = open("/proc/cmdline", O_RDONLY)) >= 0) {
        n = read(fd, cmdline, sizeof(cmdline) - 1);
        cmdline[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    root = cmdline_get(cmdline, "root", "/dev/vda");
    fstype = cmdline_get(cmdline, "rootfstype", "ext4");
    init = cmdline_get(cmdline, "init", "/sbin/init");

    load_modules();
    wait_for(root);
    if (mount(root, "/root", fstype, 0, NULL) < 0)
        fail("cannot mount", root);
    say("diskinit: mounted %s as root, starting %s\n", root, init);
    (void)umount("/proc");
    (void)umount("/sys");
    if (mount("/dev", "/root/dev", NULL, MS_MOVE, NULL) < 0)
        (void)umount("/dev");
    if (chdir("/root") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
        chroot(".") < 0 || chdir("/") < 0)
        fail("cannot switch to the new root", root);
    execl(init, init, (char *)NULL);
    fail("cannot run", init);
    return 1;
}
