#!/usr/bin/python3
"""Disk-guests benchmark for convergd (not a test).

    /usr/bin/python3 tools/bench-disk-guests.py [--guests 20] [--mem-mib 96]
        [--calls 500]

Starts its own convergd (temporary directory, log level info) and --guests
disk test guests (tools/guest/build-disk.sh), each on its own qcow2
overlay over one copy of the disk image, cache='none', 1 vCPU, --mem-mib
MiB, the diskwriter verifying only (disk.rate=0: no load).  Measures:

- the daemon's VmRSS with no guest and with all of them running (per
  guest: the difference divided by --guests), and VmHWM;
- python3-libvirt dom.info() per call (one connection, every guest in
  turn, --calls calls): median and 99th percentile;
- `virsh domstats --block --interface` (one-shot), median of 5.

Everything is destroyed at the end, even on failure.  Output: Markdown.
Needs Debian's /usr/bin/python3 (libvirt), root and a built tree.  Run it
alone: take /tmp/cvg-integration.lock with flock, and check that
`pgrep -a qemu-system` shows nothing else first.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import cvgtest  # noqa: E402
from cvgtest import Daemon, disk_guest_dir, disk_guest_xml  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def percentile(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def start_guests(d, n, mem_mib):
    base = os.path.join(d.dir, "base.qcow2")
    shutil.copyfile(os.path.join(disk_guest_dir(), "disk.qcow2"), base)
    conn = libvirt.open(d.uri)
    doms = []
    for i in range(n):
        name = f"dg{i:02d}"
        top = os.path.join(d.dir, f"{name}.qcow2")
        cvgtest.make_overlay(top, base)
        xml = disk_guest_xml(name, os.path.join(d.dir, f"{name}.console"),
                             top, mem_mib=mem_mib, rate=0)
        doms.append(conn.createXML(xml, 0))
    # Booted: each diskwriter has reported its verification.
    for i in range(n):
        console = os.path.join(d.dir, f"dg{i:02d}.console")
        cvgtest.wait_for(lambda: cvgtest.console_lines(
            console, "diskwriter: verified"), 180, interval=0.5,
            what=f"guest {i} to boot")
    return conn, doms


def run(a):
    d = Daemon("diskbench", log_level="info")
    conn = None
    pid = d.proc.pid
    try:
        time.sleep(1)
        rss0 = proc_status(pid, "VmRSS") / 1024
        t0 = time.time()
        conn, doms = start_guests(d, a.guests, a.mem_mib)
        boot_s = time.time() - t0
        time.sleep(2)
        rss = proc_status(pid, "VmRSS") / 1024
        hwm = proc_status(pid, "VmHWM") / 1024
        for dom in doms:
            dom.info()
        samples = []
        for i in range(a.calls):
            dom = doms[i % len(doms)]
            t = time.perf_counter()
            dom.info()
            samples.append((time.perf_counter() - t) * 1e3)
        stats = []
        for _ in range(5):
            t = time.perf_counter()
            cvgtest.virsh_at(d.uri, "domstats", "--block", "--interface")
            stats.append((time.perf_counter() - t) * 1e3)
        print(f"| {a.guests} disk guests running ({a.mem_mib} MiB, own "
              f"qcow2 overlay), booted in {boot_s:.1f} s | |")
        print("|---|---|")
        print(f"| daemon VmRSS, no guest | {rss0:.1f} MB |")
        print(f"| daemon VmRSS, {a.guests} guests (VmHWM) | {rss:.1f} MB "
              f"({hwm:.1f} MB) |")
        print(f"| daemon VmRSS per running guest | "
              f"{(rss - rss0) / a.guests * 1024:.0f} KB |")
        print(f"| dom.info(), median / p99 of {a.calls} | "
              f"{statistics.median(samples):.3f} / "
              f"{percentile(samples, 99):.3f} ms |")
        print(f"| virsh domstats --block --interface, median of 5 | "
              f"{statistics.median(stats):.0f} ms |")
    finally:
        if conn:
            for dom in conn.listAllDomains():
                try:
                    dom.destroy()
                except libvirt.libvirtError:
                    pass
            conn.close()
        d.cleanup()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--guests", type=int, default=20)
    p.add_argument("--mem-mib", type=int, default=96)
    p.add_argument("--calls", type=int, default=500)
    a = p.parse_args()
    others = subprocess.run(["pgrep", "-a", "qemu-system"],
                            capture_output=True, text=True).stdout
    if others:
        print("warning: other QEMUs are running; the figures are not from "
              "a quiet machine:\n" + others, file=sys.stderr)
    run(a)


if __name__ == "__main__":
    main()
