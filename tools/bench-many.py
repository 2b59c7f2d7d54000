#!/usr/bin/python3
"""Many-guests benchmark for convergd (not a test).

    /usr/bin/python3 tools/bench-many.py [--defined 1000] [--running 50]
        [--mem-mib 80] [--repeat 7] [--calls 200] [--batch 10]

Starts its own convergd (temporary state directory, log level info),
defines --defined small test guests and starts --running of them (1 vCPU,
--mem-mib MiB, ACPI, the dirtier idle: see cvgtest.guest_xml), then
measures with the real virsh and python3-libvirt:

- `virsh list --all`, `virsh version` (the baseline), `virsh domstats`, as
  one-shot commands (a new connection each, what a user types) and inside
  one virsh session (`virsh -t`, the same connection), medians of --repeat;
- the daemon's CPU time per `list --all`;
- python (one connection, no event loop): dom.info(), jobStats(), state()
  per call, listAllDomains(), getAllDomainStats();
- the daemon's VmRSS and VmHWM, and the guests' CPU use while they idle.

Then it stops the daemon (QEMU outlives it by design), starts it again and
checks that every running guest is re-attached: same QEMU pid, running,
and its monitor answering (the vcpu stats group needs query-cpus-fast).
Everything is destroyed and undefined at the end, even on failure.  The
output is Markdown, with ratios against the baselines measured in the
same run.  Exit status 1 when a guest was lost across the restart.

Needs Debian's /usr/bin/python3 (libvirt module), root and a built tree
(CVG_BUILD_DIR, CVG_GUEST_DIR as for the tests).  Starting many guests
loads the machine: run it alone (other integration tests take
/tmp/cvg-integration.lock; so can you, with flock).
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import cvgtest  # noqa: E402
from cvgtest import Daemon, guest_xml  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)

# Issue 13's goals for 1,000 defined and 50 running guests.
GOAL_LIST_MS = 50.0
GOAL_RSS_MB = 30.0
# What one idle test guest's QEMU takes (VmRSS under TCG at 80 MiB was
# about 190 MB): the benchmark starts no more than memory allows.
GUEST_RSS_MB = 250
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    """utime + stime of @pid in clock ticks (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


def median_ms(samples_s):
    return statistics.median(samples_s) * 1e3


def timed(func, n):
    """Seconds per call of @func, each of @n calls timed alone."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        func()
        out.append(time.perf_counter() - t0)
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.rows = []      # (what, value, note)
        self.notes = []
        self.d = None
        self.conn = None
        self.names = [f"many{i:04d}" for i in range(args.defined)]
        self.running = []
        self.lost = []

    def row(self, what, value, note=""):
        self.rows.append((what, value, note))

    def virsh(self, *cmd, check=True):
        return cvgtest.virsh_at(self.d.uri, *cmd, check=check)

    # --- set-up -----------------------------------------------------------

    def define(self):
        t0 = time.monotonic()
        for name in self.names:
            console = os.path.join(self.d.dir, f"{name}.console")
            self.conn.defineXML(guest_xml(name, console,
                                          mem_mib=self.args.mem_mib,
                                          acpi=True, idle=True))
        self.row("define one guest (python defineXML)",
                 f"{(time.monotonic() - t0) / len(self.names) * 1e3:.2f} ms",
                 f"mean of {len(self.names)}")

    def start_guests(self):
        want = self.args.running
        room = (mem_available_mb() - 2048) // GUEST_RSS_MB
        if want > room:
            self.notes.append(f"started {room} guests, not {want}: "
                              f"MemAvailable allows no more "
                              f"({GUEST_RSS_MB} MB each, 2 GB kept free)")
            want = max(0, room)
        names = self.names[:want]
        t0 = time.monotonic()
        for i in range(0, len(names), self.args.batch):
            batch = names[i:i + self.args.batch]
            for name in batch:
                self.conn.lookupByName(name).create()
                self.running.append(name)
            for name in batch:
                console = os.path.join(self.d.dir, f"{name}.console")
                cvgtest.wait_console(console, count=1, timeout=600,
                                     prefix=cvgtest.IDLE_CONSOLE_PREFIX)
        self.row(f"start {len(names)} guests and wait until they idle",
                 f"{time.monotonic() - t0:.0f} s",
                 f"in batches of {self.args.batch}")

    def guest_cpu(self, secs=10):
        pids = list(self.d.guest_pids().values())
        before = [cpu_ticks(p) for p in pids]
        time.sleep(secs)
        used = sum(cpu_ticks(p) - b for p, b in zip(pids, before))
        pct = used / CLK_TCK / secs * 100
        per = pct / len(pids) if pids else 0
        self.row(f"CPU of the {len(pids)} idle guests' QEMUs",
                 f"{pct:.0f}% of one CPU",
                 f"{per:.1f}% each; the host has {os.cpu_count()} CPUs")
        if pct > 50 * os.cpu_count():
            self.notes.append(f"the idle guests take {pct:.0f}% of one CPU "
                              "on this host: the latencies include that "
                              "load; try fewer --running")

    # --- measurements -----------------------------------------------------

    def virsh_oneshot(self, label):
        """One-shot virsh commands, interleaved, and the daemon's CPU."""
        cmds = {"version": ["version"], "list --all": ["list", "--all"],
                "domstats": ["domstats"]}
        samples = {k: [] for k in cmds}
        daemon_ticks = 0
        for _ in range(self.args.repeat):
            for key, cmd in cmds.items():
                t0 = time.perf_counter()
                c0 = cpu_ticks(self.d.proc.pid)
                self.virsh(*cmd)
                if key == "list --all":
                    daemon_ticks += cpu_ticks(self.d.proc.pid) - c0
                samples[key].append(time.perf_counter() - t0)
        base = median_ms(samples["version"])
        lst = median_ms(samples["list --all"])
        n = self.args.repeat
        self.row(f"{label}: `virsh version` (one-shot, baseline)",
                 f"{base:.1f} ms", f"median of {n}")
        self.row(f"{label}: `virsh list --all` (one-shot)", f"{lst:.1f} ms",
                 f"{lst / base:.1f}x `virsh version`; goal "
                 f"{GOAL_LIST_MS:.0f} ms")
        self.row(f"{label}: daemon CPU per `virsh list --all`",
                 f"{daemon_ticks / CLK_TCK / n * 1e3:.0f} ms",
                 f"{daemon_ticks / CLK_TCK / n * 1e3 / lst * 100:.0f}% of "
                 "its wall time")
        self.row(f"{label}: `virsh domstats` (one-shot, all domains)",
                 f"{median_ms(samples['domstats']):.1f} ms",
                 f"{median_ms(samples['domstats']) / base:.1f}x `virsh "
                 "version`")
        return lst

    def virsh_session(self, label):
        """The same commands inside one virsh (one connection), timed by
        virsh -t itself."""
        cmds = ["version", "list --all", "list --all --name", "domstats",
                "domstats --list-active"]
        script = "; ".join(cmds * self.args.repeat)
        out = cvgtest.virsh_at(self.d.uri, "-t", script, timeout=600).stdout
        times = [float(t) for t in re.findall(r"\(Time: ([0-9.]+) ms\)",
                                              out)]
        if len(times) != len(cmds) * self.args.repeat:
            self.notes.append(f"virsh -t printed {len(times)} times, "
                              f"expected {len(cmds) * self.args.repeat}")
            return
        med = {c: statistics.median(times[i::len(cmds)])
               for i, c in enumerate(cmds)}
        per_dom = ((med["list --all"] - med["list --all --name"]) /
                   len(self.names) * 1e3)
        self.row(f"{label}: in one virsh session: `version`",
                 f"{med['version']:.2f} ms", "virsh -t, median")
        self.row(f"{label}: in one virsh session: `list --all`",
                 f"{med['list --all']:.1f} ms",
                 f"{per_dom:.0f} us per domain over `list --all --name` "
                 f"({med['list --all --name']:.1f} ms: one "
                 "CONNECT_LIST_ALL_DOMAINS; `list --all` adds one "
                 "DOMAIN_GET_STATE per domain)")
        self.row(f"{label}: in one virsh session: `domstats`",
                 f"{med['domstats']:.1f} ms",
                 f"`--list-active`: {med['domstats --list-active']:.1f} ms")

    def python_calls(self, label):
        conn = libvirt.open(self.d.uri)
        try:
            n = self.args.calls
            run = conn.lookupByName(self.running[0]) if self.running else None
            off = conn.lookupByName(self.names[-1])
            base = timed(conn.getLibVersion, n)
            self.row(f"{label}: python getLibVersion() (baseline)",
                     f"{median_ms(base) * 1e3:.0f} us", f"median of {n}")
            for what, func in (("dom.info(), running", run and run.info),
                               ("dom.info(), shut off", off.info),
                               ("dom.jobStats(), running",
                                run and run.jobStats),
                               ("dom.state(), shut off", off.state)):
                if not func:
                    continue
                s = timed(func, n)
                self.row(f"{label}: python {what}",
                         f"{median_ms(s) * 1e3:.0f} us",
                         f"{median_ms(s) / median_ms(base):.1f}x baseline")
            doms = conn.listAllDomains()
            s = timed(lambda: [d.state() for d in doms], 3)
            self.row(f"{label}: python state() of all {len(doms)} domains",
                     f"{median_ms(s):.1f} ms",
                     f"{median_ms(s) / len(doms) * 1e3:.0f} us per call, "
                     "what `virsh list --all` asks")
            s = timed(conn.listAllDomains, self.args.repeat)
            self.row(f"{label}: python listAllDomains()",
                     f"{median_ms(s):.1f} ms", f"{len(doms)} domains")
            s = timed(conn.getAllDomainStats, self.args.repeat)
            self.row(f"{label}: python getAllDomainStats()",
                     f"{median_ms(s):.1f} ms", f"{len(doms)} domains, "
                     f"{len(self.running)} running")
        finally:
            conn.close()

    def memory(self, label):
        pid = self.d.proc.pid
        rss = proc_status(pid, "VmRSS") / 1024
        hwm = proc_status(pid, "VmHWM") / 1024
        self.row(f"{label}: daemon VmRSS", f"{rss:.1f} MB",
                 f"VmHWM {hwm:.1f} MB, {proc_status(pid, 'Threads')} "
                 f"threads; goal {GOAL_RSS_MB:.0f} MB")
        return rss

    # --- restart ----------------------------------------------------------

    def restart(self):
        before = self.d.guest_pids()
        t0 = time.monotonic()
        self.d.stop()
        stop_s = time.monotonic() - t0
        gone = [n for n, p in before.items()
                if not os.path.exists(f"/proc/{p}")]
        t0 = time.monotonic()
        self.d.start()
        start_s = time.monotonic() - t0
        self.conn.close()
        self.conn = libvirt.open(self.d.uri)
        active = {d.name(): d for d in self.conn.listAllDomains(
            libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)}
        after = self.d.guest_pids()
        stats = {}
        if active:
            for dom, rec in self.conn.domainListGetStats(
                    list(active.values()), libvirt.VIR_DOMAIN_STATS_VCPU):
                stats[dom.name()] = rec
        for name in self.running:
            dom = active.get(name)
            if (name in gone or not dom or
                    dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING or
                    after.get(name) != before.get(name) or
                    "vcpu.0.state" not in stats.get(name, {})):
                self.lost.append(name)
        self.row("daemon stop (SIGTERM), guests left running",
                 f"{stop_s * 1e3:.0f} ms")
        self.row(f"daemon start: {len(self.names)} configs loaded, "
                 f"{len(before)} guests re-attached", f"{start_s:.2f} s",
                 "until the socket is there")
        self.row("guests re-attached (same QEMU pid, running, monitor "
                 "answering)",
                 f"{len(self.running) - len(self.lost)} of "
                 f"{len(self.running)}",
                 "lost: " + ", ".join(self.lost) if self.lost else "")

    # --- clean-up ---------------------------------------------------------

    def teardown(self):
        """Destroy and undefine everything; the harness kills what is
        left."""
        try:
            conn = libvirt.open(self.d.uri) if self.d.alive() else None
        except libvirt.libvirtError:
            conn = None
        if conn:
            for dom in conn.listAllDomains():
                try:
                    if dom.isActive():
                        dom.destroy()
                    dom.undefine()
                except libvirt.libvirtError as e:
                    print(f"clean-up of {dom.name()}: {e}", file=sys.stderr)
            conn.close()
        self.d.cleanup()

    def run(self):
        a = self.args
        self.d = Daemon("many", log_level="info", start_timeout=300)
        try:
            self.conn = libvirt.open(self.d.uri)
            self.define()
            rss_defined = self.memory(f"{a.defined} defined, none running")
            self.start_guests()
            self.guest_cpu()
            lst = self.virsh_oneshot("before restart")
            self.virsh_session("before restart")
            self.python_calls("before restart")
            rss = self.memory("before restart")
            self.restart()
            lst2 = self.virsh_oneshot("after restart")
            rss2 = self.memory("after restart")
            self.summary(lst, lst2, rss_defined, rss, rss2)
        finally:
            if self.conn:
                try:
                    self.conn.close()
                except libvirt.libvirtError:
                    pass
            self.teardown()
        self.report()
        return 1 if self.lost else 0

    def summary(self, lst, lst2, rss_defined, rss, rss2):
        self.notes.append(
            f"`virsh list --all` {lst:.0f} / {lst2:.0f} ms (before / after "
            f"the restart) against the goal of {GOAL_LIST_MS:.0f} ms; "
            f"daemon VmRSS {rss:.1f} / {rss2:.1f} MB against "
            f"{GOAL_RSS_MB:.0f} MB ({rss_defined:.1f} MB with none "
            "running)")

    def report(self):
        a = self.args
        load = os.getloadavg()
        print(f"## convergd with {a.defined} defined and "
              f"{len(self.running)} running guests ({platform.node()}, "
              f"{os.cpu_count()} CPUs, load {load[0]:.1f} at the end)")
        print()
        print("| what | value | note |")
        print("|---|---:|---|")
        for what, value, note in self.rows:
            print(f"| {what} | {value} | {note} |")
        print()
        print(f"Guests: {a.mem_mib} MiB, 1 vCPU, TCG, ACPI, the dirtier "
              "idle (cvgtest.guest_xml(idle=True)).")
        for n in self.notes:
            print(f"Note: {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--defined", type=int, default=1000)
    ap.add_argument("--running", type=int, default=50)
    ap.add_argument("--mem-mib", type=int, default=80,
                    help="guest memory (an idle test guest needs 80)")
    ap.add_argument("--repeat", type=int, default=7,
                    help="samples per virsh median")
    ap.add_argument("--calls", type=int, default=200,
                    help="timed python calls per median")
    ap.add_argument("--batch", type=int, default=10,
                    help="guests booted at once")
    args = ap.parse_args()
    if args.running > args.defined or args.defined < 1:
        sys.exit("need 1 <= --running <= --defined")
    if not os.path.exists(cvgtest.CONVERGD):
        sys.exit(f"no daemon at {cvgtest.CONVERGD}: build first "
                 "(ninja -C build) or set CVG_BUILD_DIR")
    sys.exit(Bench(args).run())


if __name__ == "__main__":
    main()
