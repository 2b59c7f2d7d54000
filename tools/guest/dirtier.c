/*
 * dirtier: /init of the convergd test guest.
 *
 * A static, CPU-bound memory dirtier.  It allocates a working set, writes a
 * verifiable pattern into every 4 KiB page over and over (round-robin), and
 * paces itself with a calibrated busy loop -- never with sleeps -- so that
 * QEMU's auto-converge CPU throttle (which sleeps the vCPU) visibly slows it.
 *
 * Kernel command line parameters (read from /proc/cmdline):
 *   dirty.mib=N     working set in MiB (default 64)
 *   dirty.rate=R    target MiB/s of page writes (default 32, 0 = flat out)
 *   dirty.verify=1  check each page's content before rewriting it
 *   dirty.seed=S    seed mixed into the page pattern (default 0)
 *
 * Console output (one line per second):
 *   dirtier: t=<s> rate=<MiB/s> MiB/s pages=<n> set=<N> MiB target=<R> MiB/s
 * verify_errors=<e>
 *
 * PID 1 must never exit: on a fatal error it prints a message and idles.
 *
 * The ACPI power button powers the guest off (virsh shutdown, and virsh
 * reboot through convergd's fake reboot): a child process loads evdev.ko and
 * button.ko from /modules and waits on the "Power Button" input devices.
 *   dirtier: power button, powering off
 *
 * Every line typed on the console (virsh console) is answered:
 *   dirtier: echo <line>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/input.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096u
#define PAGE_WORDS (PAGE_SIZE / sizeof(uint64_t))
#define PAGES_PER_MIB (1048576u / PAGE_SIZE)
#define PAGE_MAGIC UINT64_C(0x4449525459504147) /* "DIRTYPAG" */
/* Header: magic, index, generation, checksum (words 0..3).  Then one
 * pattern word at the start of every 64-byte line (words 8, 16, ..., 504):
 * 63 words spread across the whole page. */
#define HDR_WORDS 4u
#define PAT_STRIDE 8u
#define MAX_CORRUPT_LINES 20u

#define SPIN_ITERS 128u /* arithmetic iterations per spin unit */

static volatile uint64_t spin_sink;

/* ------------------------------------------------------------------ */
/* output                                                              */

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, (size_t)n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (int)w;
    }
}

static void idle_forever(void) __attribute__((noreturn));

static void
idle_forever(void)
{
    for (;;)
        pause();
}

static void fatal(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
fatal(const char *fmt, ...)
{
    char buf[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    out("dirtier: FATAL %s\n", buf);
    idle_forever();
}

/* ------------------------------------------------------------------ */
/* environment                                                         */

static void
setup_mounts(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    /* Failures (e.g. EBUSY when already mounted) are ignored. */
    (void)mount("devtmpfs", "/dev", "devtmpfs", 0, "mode=0755");
    (void)mount("proc", "/proc", "proc", 0, NULL);
    (void)mount("sysfs", "/sys", "sysfs", 0, NULL);
}

static void
setup_console(void)
{
    static const char *const cands[] = {"/dev/console", "/dev/ttyS0"};

    /* The kernel hands init an open console only if /dev/console existed
     * in the initramfs; otherwise fds 0-2 are closed. */
    if (fcntl(STDOUT_FILENO, F_GETFD) != -1 &&
        fcntl(STDERR_FILENO, F_GETFD) != -1)
        return;
    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        int fd = open(cands[i], O_RDWR | O_NOCTTY);
        if (fd < 0)
            continue;
        if (fcntl(STDIN_FILENO, F_GETFD) == -1)
            dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
        return;
    }
}

/* ------------------------------------------------------------------ */
/* power button                                                        */

#define MAX_BUTTONS 4

static void
load_module(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        out("dirtier: warning: %s: %s\n", path, strerror(errno));
        return;
    }
    if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
        out("dirtier: warning: loading %s: %s\n", path, strerror(errno));
    close(fd);
}

/* Open every input device named "Power Button"; returns how many. */
static int
open_power_buttons(struct pollfd *fds)
{
    DIR *dir = opendir("/sys/class/input");
    struct dirent *e;
    int n = 0;

    if (!dir)
        return 0;
    while ((e = readdir(dir)) && n < MAX_BUTTONS) {
        char path[300], name[64] = "";
        ssize_t len;
        int fd;

        if (strncmp(e->d_name, "event", 5) != 0)
            continue;
        snprintf(path, sizeof(path), "/sys/class/input/%s/device/name",
                 e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        len = read(fd, name, sizeof(name) - 1);
        close(fd);
        if (len <= 0 || strncmp(name, "Power Button", 12) != 0)
            continue;
        snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        fds[n].fd = fd;
        fds[n].events = POLLIN;
        n++;
    }
    closedir(dir);
    return n;
}

/* In a child process (PID 1 must keep dirtying): power off when the ACPI
 * power button is pressed.  Without the modules or the device, only a
 * warning: the guest then ignores the button, as many real guests do. */
static void
watch_power_button(void)
{
    struct pollfd fds[MAX_BUTTONS];
    int n = 0;

    if (fork() != 0)
        return;
    /* No ACPI (no <acpi/> in the domain XML): there is no button. */
    if (access("/sys/firmware/acpi", F_OK) != 0)
        _exit(0);
    load_module("/modules/evdev.ko");
    load_module("/modules/button.ko");
    /* Devices appear as the driver probes; devtmpfs makes the nodes. */
    for (int i = 0; i < 50 && n == 0; i++) {
        n = open_power_buttons(fds);
        if (n == 0)
            usleep(100000);
    }
    if (n == 0) {
        out("dirtier: warning: no power button device\n");
        _exit(0);
    }
    for (;;) {
        struct input_event ev;

        if (poll(fds, (nfds_t)n, -1) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(fds[i].revents & POLLIN))
                continue;
            if (read(fds[i].fd, &ev, sizeof(ev)) == (ssize_t)sizeof(ev) &&
                ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1) {
                out("dirtier: power button, powering off\n");
                sync();
                reboot(RB_POWER_OFF);
            }
        }
    }
}

/* In a child process: answer each line read from the console, so that a
 * test sees its keystrokes reach the guest. */
static void
echo_console(void)
{
    char line[256];
    size_t len = 0;

    if (fork() != 0)
        return;
    for (;;) {
        char c;
        ssize_t n = read(0, &c, 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sleep(1);
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (len) {
                line[len] = '\0';
                out("dirtier: echo %s\n", line);
            }
            len = 0;
        } else if (len < sizeof(line) - 1) {
            line[len++] = c;
        }
    }
}

struct params {
    uint64_t mib;
    uint64_t rate;
    int verify;
    uint64_t seed;
};

static int
parse_u64(const char *s, size_t len, uint64_t *val)
{
    char tmp[32];
    char *end;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    unsigned long long v = strtoull(tmp, &end, 0);
    if (errno || *end != '\0' || tmp[0] == '-')
        return -1;
    *val = v;
    return 0;
}

static void
parse_cmdline(struct params *p)
{
    char buf[4096];
    ssize_t n = 0;
    int fd = open("/proc/cmdline", O_RDONLY);

    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
    }
    if (n <= 0) {
        out("dirtier: warning: cannot read /proc/cmdline, using defaults\n");
        return;
    }
    buf[n] = '\0';

    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t\n", &save); tok;
         tok = strtok_r(NULL, " \t\n", &save)) {
        if (strncmp(tok, "dirty.", 6) != 0)
            continue;
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        const char *key = tok + 6;
        size_t klen = (size_t)(eq - key);
        const char *v = eq + 1;
        uint64_t val;

        if (parse_u64(v, strlen(v), &val) != 0) {
            out("dirtier: warning: bad value in '%s', ignored\n", tok);
            continue;
        }
        if (klen == 3 && !memcmp(key, "mib", 3)) {
            if (val == 0)
                out("dirtier: warning: dirty.mib=0 ignored\n");
            else
                p->mib = val;
        } else if (klen == 4 && !memcmp(key, "rate", 4)) {
            p->rate = val;
        } else if (klen == 6 && !memcmp(key, "verify", 6)) {
            p->verify = val != 0;
        } else if (klen == 4 && !memcmp(key, "seed", 4)) {
            p->seed = val;
        } else {
            out("dirtier: warning: unknown parameter '%s', ignored\n", tok);
        }
    }
}

/* MemAvailable from /proc/meminfo in bytes, or 0 if unknown. */
static uint64_t
mem_available(void)
{
    char buf[4096];
    ssize_t n = 0;
    int fd = open("/proc/meminfo", O_RDONLY);

    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
    }
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strstr(buf, "MemAvailable:");
    if (!p)
        return 0;
    return strtoull(p + 13, NULL, 10) * 1024u;
}

/* ------------------------------------------------------------------ */
/* time                                                                */

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* page pattern                                                        */

static uint64_t g_seed;

static inline uint64_t
mix64(uint64_t x)
{
    /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* Base value for a page at a generation; pattern word w = base ^ (w * K). */
static inline uint64_t
page_base(uint64_t idx, uint64_t gen)
{
    return mix64(g_seed ^ (idx * UINT64_C(0x9e3779b97f4a7c15)) ^ (gen << 32) ^
                 gen);
}

static inline uint64_t
pat_word(uint64_t base, unsigned w)
{
    return base ^ ((uint64_t)w * UINT64_C(0xd6e8feb86659fd93));
}

static inline uint64_t
hdr_check(uint64_t idx, uint64_t gen)
{
    return mix64(~g_seed ^ idx ^ (gen * UINT64_C(0xa0761d6478bd642f)));
}

static inline void
write_page(volatile uint64_t *pg, uint64_t idx, uint64_t gen)
{
    uint64_t base = page_base(idx, gen);

    for (unsigned w = PAT_STRIDE; w < PAGE_WORDS; w += PAT_STRIDE)
        pg[w] = pat_word(base, w);
    pg[1] = idx;
    pg[2] = gen;
    pg[3] = hdr_check(idx, gen);
    pg[0] = PAGE_MAGIC;
}

/* Returns 0 if the page holds exactly (idx, gen); else 1 and *found_gen. */
static inline int
check_page(const volatile uint64_t *pg, uint64_t idx, uint64_t gen,
           uint64_t *found_gen)
{
    uint64_t fgen = pg[2];

    *found_gen = fgen;
    if (pg[0] != PAGE_MAGIC || pg[1] != idx || fgen != gen ||
        pg[3] != hdr_check(idx, gen))
        return 1;
    uint64_t base = page_base(idx, gen);
    for (unsigned w = PAT_STRIDE; w < PAGE_WORDS; w += PAT_STRIDE)
        if (pg[w] != pat_word(base, w))
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* busy work                                                           */

/* Not inlined: every caller runs the very same code, so a calibration of it
 * applies to the main loop too. */
static __attribute__((noinline, aligned(64))) void
spin_units(uint64_t units)
{
    uint64_t x = spin_sink;

    for (uint64_t u = 0; u < units; u++) {
        for (unsigned i = 0; i < SPIN_ITERS; i++) {
            x = x * UINT64_C(6364136223846793005) +
                UINT64_C(1442695040888963407);
            x ^= x >> 29;
        }
        __asm__ volatile("" : "+r"(x));
    }
    spin_sink = x;
}

/* ------------------------------------------------------------------ */
/* dirtier state                                                       */

struct dirtier {
    volatile uint64_t *mem;
    uint32_t *gen; /* expected generation per page */
    uint64_t npages;
    uint64_t next;   /* next page to write (round-robin) */
    uint64_t writes; /* total page writes */
    uint64_t verify_errors;
    int verify;
};

static void
report_corrupt(struct dirtier *d, uint64_t idx, uint64_t exp, uint64_t found)
{
    d->verify_errors++;
    if (d->verify_errors <= MAX_CORRUPT_LINES)
        out("dirtier: CORRUPT page=%llu expected_gen=%llu found_gen=%llu\n",
            (unsigned long long)idx, (unsigned long long)exp,
            (unsigned long long)found);
    if (d->verify_errors == MAX_CORRUPT_LINES)
        out("dirtier: further CORRUPT lines suppressed\n");
}

/* One page write (with verification first when enabled). */
static inline void
dirty_one(struct dirtier *d)
{
    uint64_t idx = d->next;
    volatile uint64_t *pg = d->mem + idx * PAGE_WORDS;
    uint32_t g = d->gen[idx];

    if (d->verify) {
        uint64_t found;
        if (check_page(pg, idx, g, &found))
            report_corrupt(d, idx, g, found);
    }
    g++;
    if (g == 0)
        g = 1; /* gen 0 means "never written" */
    write_page(pg, idx, g);
    d->gen[idx] = g;
    d->writes++;
    if (++d->next == d->npages)
        d->next = 0;
}

/* ns per spin unit: run batches for ~`ms` milliseconds. */
static double
time_spin(unsigned ms)
{
    uint64_t units = 0, batch = 256;
    uint64_t t0 = now_ns(), t;

    do {
        spin_units(batch);
        units += batch;
        t = now_ns();
    } while (t - t0 < (uint64_t)ms * 1000000u);
    return (double)(t - t0) / (double)units;
}

/* Page writes for about `ms` milliseconds; returns ns per write. */
static double
time_writes(struct dirtier *d, unsigned ms)
{
    uint64_t n = 0, batch = 64;
    uint64_t t0 = now_ns(), t;

    do {
        for (uint64_t i = 0; i < batch; i++)
            dirty_one(d);
        n += batch;
        t = now_ns();
    } while (t - t0 < (uint64_t)ms * 1000000u);
    return (double)(t - t0) / (double)n;
}

/* Pacing controller.
 *
 * The busy loop is calibrated at start, but under TCG the speed of the same
 * guest code can differ by 2-3x from run to run (and change mid-run when
 * code is retranslated), so the spin count per page is corrected from
 * measurements.  Each window is `check_every` page writes (about 1 ms of
 * *running* time); an epoch is EPOCH_WINDOWS windows.  The correction uses
 * a robust per-page time over an epoch: the mean of the windows up to twice
 * the median.  A CPU throttle (or a host preemption) stops the vCPU for
 * whole milliseconds between ~10 ms run slices, so it inflates only about
 * one window in ten whatever the throttle, and those are left out: the
 * throttle really does slow the dirtier down, it is not compensated.  (An
 * earlier version keyed on the 25th percentile; under TCG the fastest
 * quarter of the windows can be several times faster than the typical one,
 * and the dirtier then settled at a third of its target.) */
#define EPOCH_WINDOWS 32

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int
main(void)
{
    struct params p = {.mib = 64, .rate = 32, .verify = 0, .seed = 0};
    struct dirtier d;

    setup_mounts();
    setup_console();
    /* End whatever the firmware left on the current console line (with
     * "quiet", SeaBIOS escapes precede us), so every line starts "dirtier: ".
     */
    out("\n");
    watch_power_button();
    echo_console();
    parse_cmdline(&p);
    g_seed = mix64(p.seed ^ UINT64_C(0x5eed5eed5eed5eed));

    if (p.mib > (UINT64_MAX / 1048576u) || p.mib > SIZE_MAX / 1048576u)
        fatal("dirty.mib=%llu too large", (unsigned long long)p.mib);

    memset(&d, 0, sizeof(d));
    d.verify = p.verify;
    d.npages = p.mib * PAGES_PER_MIB;
    size_t bytes = (size_t)p.mib * 1048576u;

    /* Refuse a working set that would not fit: the OOM killer taking PID 1
     * would panic the guest instead of telling why. */
    uint64_t avail = mem_available();
    uint64_t need = (uint64_t)bytes + d.npages * sizeof(*d.gen) + (8u << 20);
    if (avail && need > avail)
        fatal("dirty.mib=%llu does not fit: MemAvailable=%llu MiB (give the "
              "guest more -m)",
              (unsigned long long)p.mib, (unsigned long long)(avail >> 20));

    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        fatal("mmap of %llu MiB failed: %s", (unsigned long long)p.mib,
              strerror(errno));
    d.mem = m;
    d.gen = calloc(d.npages, sizeof(*d.gen));
    if (!d.gen)
        fatal("cannot allocate generation array for %llu pages",
              (unsigned long long)d.npages);

    /* Touch every page: write generation 1 everywhere. */
    for (uint64_t i = 0; i < d.npages; i++) {
        write_page(d.mem + i * PAGE_WORDS, i, 1);
        d.gen[i] = 1;
    }

    /* Calibrate: warm up (TCG translation), then measure one spin unit and
     * one page write (incl. verify); keep the fastest of a few tries. */
    spin_units(2000);
    (void)time_writes(&d, 20);
    double unit_ns = 0, write_ns = 0;
    for (int i = 0; i < 3; i++) {
        double u = time_spin(40), w = time_writes(&d, 40);
        if (i == 0 || u < unit_ns)
            unit_ns = u;
        if (i == 0 || w < write_ns)
            write_ns = w;
    }
    if (unit_ns < 1)
        unit_ns = 1;
    if (write_ns < 1)
        write_ns = 1;

    const int paced = p.rate > 0;
    const double target_pps = (double)p.rate * PAGES_PER_MIB;
    const double budget = paced ? 1e9 / target_pps : 0; /* ns per page */
    double spin_per_page = 0;
    double est_pps = 1e9 / write_ns; /* flat-out estimate */
    if (paced) {
        if (budget > write_ns)
            spin_per_page = (budget - write_ns) / unit_ns;
        else
            out("dirtier: warning: target %llu MiB/s above flat-out estimate "
                "%.1f MiB/s\n",
                (unsigned long long)p.rate, est_pps / PAGES_PER_MIB);
        est_pps = target_pps < est_pps ? target_pps : est_pps;
    }
    /* Read the clock about every millisecond of dirtying. */
    uint64_t check_every = (uint64_t)(est_pps / 1000.0);
    if (check_every < 1)
        check_every = 1;
    if (check_every > 1024)
        check_every = 1024;

    out("dirtier: start set=%llu MiB target=%llu MiB/s calib=%.0f\n",
        (unsigned long long)p.mib, (unsigned long long)p.rate, unit_ns);
    out("dirtier: info write_ns=%.0f spin_per_page=%.1f verify=%d pages=%llu\n",
        write_ns, spin_per_page, d.verify, (unsigned long long)d.npages);

    /* Spin units per page in 1/65536 units, accumulated so fractional
     * counts average out. */
    uint64_t spin_fp = (uint64_t)(spin_per_page * 65536.0 + 0.5);
    uint64_t spin_acc = 0;
    double win[EPOCH_WINDOWS], sorted[EPOCH_WINDOWS];
    unsigned nwin = 0;

    d.writes = 0; /* pages= counts writes since the start line */
    const uint64_t t_start = now_ns();
    uint64_t t_last = t_start, t_check = t_start;
    uint64_t w_last = 0;
    uint64_t next_report = t_start + 1000000000u;
    uint64_t countdown = check_every;

    for (;;) {
        dirty_one(&d);
        if (spin_fp) {
            spin_acc += spin_fp;
            uint64_t units = spin_acc >> 16;
            if (units) {
                spin_acc -= units << 16;
                spin_units(units);
            }
        }
        if (--countdown)
            continue;
        countdown = check_every;

        uint64_t t = now_ns();

        if (paced) {
            win[nwin++] = (double)(t - t_check) / (double)check_every;
            if (nwin == EPOCH_WINDOWS) {
                nwin = 0;
                memcpy(sorted, win, sizeof(win));
                qsort(sorted, EPOCH_WINDOWS, sizeof(double), cmp_double);
                /* Mean of the windows up to twice the median: includes
                 * guest timer ticks and TCG's uneven speed, but not
                 * throttle sleeps (>= 2.5 ms per 10 ms slice at the
                 * default 20% initial throttle, in ~1 ms windows) or host
                 * preemptions. */
                double ref = sorted[EPOCH_WINDOWS / 2], sum = 0;
                unsigned cnt = 0;
                for (unsigned i = 0; i < EPOCH_WINDOWS; i++) {
                    if (sorted[i] > ref * 2.0)
                        break;
                    sum += sorted[i];
                    cnt++;
                }
                double q = sum / cnt;
                if (budget <= write_ns) {
                    spin_per_page = 0;
                } else if (spin_per_page < 1.0) {
                    spin_per_page = (budget - write_ns) / unit_ns;
                    if (q > budget)
                        spin_per_page = 0;
                } else {
                    double ratio = q > write_ns
                                       ? (budget - write_ns) / (q - write_ns)
                                       : 2.0;
                    if (ratio > 2.0)
                        ratio = 2.0;
                    if (ratio < 0.5)
                        ratio = 0.5;
                    spin_per_page *= 0.5 + 0.5 * ratio; /* damped */
                }
                spin_fp = (uint64_t)(spin_per_page * 65536.0 + 0.5);
            }
        }
        t_check = t;

        if (t < next_report)
            continue;
        double dt = (double)(t - t_last) / 1e9;
        double rate = (double)(d.writes - w_last) / PAGES_PER_MIB / dt;
        out("dirtier: t=%llu rate=%.1f MiB/s pages=%llu set=%llu MiB "
            "target=%llu MiB/s verify_errors=%llu\n",
            (unsigned long long)((t - t_start + 500000000u) / 1000000000u),
            rate, (unsigned long long)d.writes, (unsigned long long)p.mib,
            (unsigned long long)p.rate, (unsigned long long)d.verify_errors);
        t_last = t = now_ns();
        t_check = t; /* don't count the printing in a window */
        w_last = d.writes;
        next_report += 1000000000u;
        if (next_report <= t) /* fell behind (e.g. heavy throttle) */
            next_report = t + 1000000000u;
    }
}
