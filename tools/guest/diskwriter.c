/*
 * diskwriter.c: /sbin/init of the disk guest's root file system
 *
 * Appends checksummed, numbered records to a file on the guest's disk and
 * makes each durable (fdatasync) before the next, so that every record
 * the guest has reported written must be there afterwards: after a crash,
 * a migration or a restart from the same image.  At start it checks the
 * records already in the file and reports on the console:
 *
 *   diskwriter: verified N records, B bad, last seq S
 *   diskwriter: t=T seq=S          once a second while writing
 *
 * A record is 64 bytes, little-endian: "CVGDREC1", u64 seq (counting on
 * from the last good record, across boots), u64 boot (random per boot),
 * u64 CLOCK_MONOTONIC ns, 28 payload bytes derived from seq, u32 CRC-32
 * (IEEE) of the 60 bytes before it.  A torn record at the end (a power cut
 * mid-write) is cut off and reported, not counted as bad.
 *
 * Kernel command line: disk.file=PATH (default
 * /var/lib/diskwriter/records), disk.rate=N records per second (default
 * 50, 0: verify only).
 *
 * Static, libc only: gcc -static -O2 -Wall -Wextra.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RECORD_SIZE 64
#define MAGIC "CVGDREC1"

static uint32_t crc_table[256];

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t
crc32(const unsigned char *p, size_t len)
{
    uint32_t c = 0xffffffffu;

    while (len--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void
put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
payload(uint64_t seq, unsigned char *out)
{
    uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;

    for (int i = 0; i < 28; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = (unsigned char)x;
    }
}

static void
record_make(unsigned char *r, uint64_t seq, uint64_t boot)
{
    uint32_t crc;

    memcpy(r, MAGIC, 8);
    put64(r + 8, seq);
    put64(r + 16, boot);
    put64(r + 24, now_ns());
    payload(seq, r + 32);
    crc = crc32(r, 60);
    for (int i = 0; i < 4; i++)
        r[60 + i] = (unsigned char)(crc >> (8 * i));
}

/* 0: good; -1: bad checksum, magic, payload or sequence. */
static int
record_check(const unsigned char *r, uint64_t want_seq)
{
    unsigned char p[28];
    uint32_t crc = 0;

    for (int i = 3; i >= 0; i--)
        crc = crc << 8 | r[60 + i];
    payload(get64(r + 8), p);
    if (memcmp(r, MAGIC, 8) != 0 || crc32(r, 60) != crc ||
        memcmp(r + 32, p, 28) != 0 || get64(r + 8) != want_seq)
        return -1;
    return 0;
}

static const char *
cmdline_get(const char *cmdline, const char *key, const char *dflt)
{
    static char value[256];
    size_t klen = strlen(key);

    for (const char *p = cmdline; p && *p; p = strchr(p, ' ')) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = strcspn(p + klen + 1, " \n");

            if (n >= sizeof(value))
                n = sizeof(value) - 1;
            memcpy(value, p + klen + 1, n);
            value[n] = '\0';
            return value;
        }
    }
    return dflt;
}

/* Check the records in @fd; returns the next seq and cuts a torn tail. */
static uint64_t
verify(int fd)
{
    unsigned char r[RECORD_SIZE];
    uint64_t seq = 0;
    uint64_t bad = 0;
    struct stat st;
    off_t off = 0;

    if (fstat(fd, &st) < 0)
        return 0;
    for (; off + RECORD_SIZE <= st.st_size; off += RECORD_SIZE) {
        if (pread(fd, r, RECORD_SIZE, off) != RECORD_SIZE)
            break;
        if (record_check(r, seq) < 0) {
            bad++;
            /* Count on from what the record says, if it says anything. */
            if (memcmp(r, MAGIC, 8) == 0)
                seq = get64(r + 8);
        }
        seq++;
    }
    if (off != st.st_size) {
        printf("diskwriter: torn record of %lld bytes at the end, cut\n",
               (long long)(st.st_size - off));
        if (ftruncate(fd, off) < 0)
            printf("diskwriter: cannot cut: %s\n", strerror(errno));
    }
    printf("diskwriter: verified %llu records, %llu bad, last seq %lld\n",
           (unsigned long long)(off / RECORD_SIZE), (unsigned long long)bad,
           (long long)seq - 1);
    fflush(stdout);
    return seq;
}

int
main(void)
{
    char cmdline[2048] = "";
    unsigned char r[RECORD_SIZE];
    const char *file;
    uint64_t boot = 0;
    uint64_t seq;
    uint64_t start;
    uint64_t next_report;
    long rate;
    ssize_t n;
    int fd;

    setvbuf(stdout, NULL, _IOLBF, 0);
    (void)mount("devtmpfs", "/dev", "devtmpfs", 0, "mode=0755");
    (void)mount("proc", "/proc", "proc", 0, NULL);
    (void)mount("sysfs", "/sys", "sysfs", 0, NULL);
    if ((fd = open("/proc/cmdline", O_RDONLY)) >= 0) {
        n = read(fd, cmdline, sizeof(cmdline) - 1);
        cmdline[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    file = cmdline_get(cmdline, "disk.file", "/var/lib/diskwriter/records");
    rate = atol(cmdline_get(cmdline, "disk.rate", "50"));
    crc_init();
    if (getrandom(&boot, sizeof(boot), 0) != sizeof(boot))
        boot = now_ns();

    if ((fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        printf("diskwriter: cannot open %s: %s\n", file, strerror(errno));
        for (;;)
            pause();
    }
    seq = verify(fd);
    if (rate <= 0) {
        for (;;)
            pause();
    }
    printf("diskwriter: start seq=%llu rate=%ld file=%s\n",
           (unsigned long long)seq, rate, file);
    start = now_ns();
    next_report = start + 1000000000u;
    for (;;) {
        struct timespec ts = {0, 1000000000L / rate};
        uint64_t t;

        record_make(r, seq, boot);
        if (write(fd, r, RECORD_SIZE) != RECORD_SIZE || fdatasync(fd) < 0) {
            printf("diskwriter: write of seq %llu failed: %s\n",
                   (unsigned long long)seq, strerror(errno));
            nanosleep(&ts, NULL);
            continue;
        }
        seq++;
        if ((t = now_ns()) >= next_report) {
            printf("diskwriter: t=%llu seq=%llu\n",
                   (unsigned long long)((t - start) / 1000000000u),
                   (unsigned long long)seq - 1);
            next_report += 1000000000u;
        }
        nanosleep(&ts, NULL);
    }
}
