#!/usr/bin/python3
"""Convergence benchmark for convergd's migration policies (not a test).

    /usr/bin/python3 tools/bench-converge.py [--runs 3] [--rate 100mbit]
        [--cap 75] [--cases 16:8,32:40,80:80,64:2048]
        [--policies off,qemu20,qemu30,adaptive,qemupc,adaptivepc]
        [--postcopy-after 10] [--out docs/benchmarks]

Brings up its own two-host testbed (tools/testbed.sh, --name cvgbench), and
for run r, for case c, for policy p (interleaved, so drift of the shared
machine hits all policies alike) boots a fresh 256 MiB / 1 vCPU test guest
(tools/guest, dirty.mib=HOT dirty.rate=RATE dirty.verify=1) on the source,
live-migrates it peer-to-peer with python3-libvirt's migrateToURI3 under a
500 ms downtime limit, aborts it with abortJob() at --cap seconds, and
records the outcome, the completed job statistics, a 0.5 s trace of
jobStats() and the guest dirtier's own rate from its serial console.
The post-copy policies add VIR_MIGRATE_POSTCOPY: qemupc switches with
migrateStartPostCopy() after --postcopy-after seconds (Nova's
force_complete), adaptivepc leaves the switch to the daemon.
Writes --out/convergence-results.{md,json} and one PNG per case.  The
testbed is torn down at the end whatever happens.

--report-only FILE.json re-renders the Markdown and the plots from a
previous run's JSON without touching the testbed.

Needs root, Debian's /usr/bin/python3 (libvirt module), python3-matplotlib,
a built tree (ninja -C build) and the test guest (build/guest).  See
docs/benchmarks/convergence.md for what each column means.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

MiB = 1024 * 1024
TESTBED = os.path.join(TOP, "tools", "testbed.sh")
# 64:2048 is the case no throttle within 99 % converges (see
# docs/benchmarks/convergence.md, "Cases").
DEFAULT_CASES = "16:8,32:40,80:80,64:2048"
DEFAULT_POLICIES = "off,qemu20,qemu30,adaptive,qemupc,adaptivepc"
DOWNTIME_MS = 500
GUEST_MIB = 256
BASELINE_S = 5           # dirtier rate window before the migration
BOOT_TIMEOUT = 90        # fresh guest to its baseline lines
ABORT_TIMEOUT = 60       # abortJob() to migrateToURI3 returning
SAMPLE_S = 0.5           # jobStats() period
CONSOLE_S = 0.25         # console polling period

# name -> (auto-converge flag, migration parameters)
POLICIES = {
    "off": (False, {"convergd.policy": "qemu"}),
    "qemu20": (True, {"convergd.policy": "qemu",
                      "auto_converge.initial": 20,
                      "auto_converge.increment": 10}),
    "qemu30": (True, {"convergd.policy": "qemu",
                      "auto_converge.initial": 30,
                      "auto_converge.increment": 5}),
    "adaptive": (True, {"convergd.policy": "adaptive"}),
    # Nova with live_migration_permit_post_copy: POSTCOPY and no
    # AUTO_CONVERGE (nova's _handle_live_migration_auto_converge drops it
    # when post-copy is available); the bench plays Nova's
    # live_migration_timeout_action=force_complete with
    # migrateStartPostCopy() after --postcopy-after seconds.
    "qemupc": (False, {"convergd.policy": "qemu"}),
    # The daemon decides when to switch (escalation postcopy).
    "adaptivepc": (True, {"convergd.policy": "adaptive",
                          "convergd.escalation": "postcopy"}),
}
# Policies that pass VIR_MIGRATE_POSTCOPY, and who starts post-copy:
# "bench" (migrateStartPostCopy after --postcopy-after s) or "daemon".
POSTCOPY = {"qemupc": "bench", "adaptivepc": "daemon"}

# Columns of a jobStats() trace sample, in this order.
TRACE_COLS = ["t", "remaining", "throttle", "dirty_rate", "iteration",
              "throttle_needed", "processed", "bps", "cpu_lost",
              "postcopy", "postcopy_requests"]

RATE_RE = re.compile(r"dirtier: t=(\d+) rate=([0-9.]+) MiB/s .*"
                     r"verify_errors=(\d+)")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def case_name(case):
    """HOTxRATE, or HOTxRATE@LINK for a case with its own link rate."""
    link = case[2] if len(case) > 2 else None
    return f"{case[0]}x{case[1]}" + (f"@{link}" if link else "")


def case_parts(name):
    """(hot, rate, link or None) from a case_name()."""
    base, _, link = name.partition("@")
    hot, rate = base.split("x")
    return hot, rate, link or None


def parse_cases(text):
    """HOT:RATE[@LINK],... -> [(hot, rate, link or None)]; LINK is a tc
    rate applied with testbed.sh shape before the case's migrations."""
    cases = []
    for item in text.split(","):
        base, _, link = item.partition("@")
        hot, rate = base.split(":")
        cases.append((int(hot), int(rate), link or None))
    return cases


# ---------------------------------------------------------------------------
# Testbed and guests


def testbed(*args, timeout=180):
    p = subprocess.run(["bash", TESTBED] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"testbed {' '.join(args)} failed: "
                           f"{p.stdout}{p.stderr}")
    return dict(line.split("=", 1) for line in p.stdout.splitlines()
                if "=" in line)


class Watchdog:
    """Kills the testbed and the process if a step overruns its bound, so
    a hung libvirt call can never leave QEMU or the daemons behind."""

    def __init__(self, name):
        self.name = name
        self.deadline = None
        self.what = ""
        self.lock = threading.Lock()
        t = threading.Thread(target=self._run, daemon=True)
        t.start()

    def arm(self, seconds, what):
        with self.lock:
            self.deadline = time.monotonic() + seconds
            self.what = what

    def disarm(self):
        with self.lock:
            self.deadline = None

    def _run(self):
        while True:
            time.sleep(1)
            with self.lock:
                late = (self.deadline is not None and
                        time.monotonic() > self.deadline)
                what = self.what
            if late:
                log(f"WATCHDOG: '{what}' overran its time bound; "
                    "tearing the testbed down and exiting")
                try:
                    testbed("down", "--name", self.name, timeout=120)
                finally:
                    os._exit(3)


class ConsoleTail:
    """Reads new dirtier lines from a console file, stamping each with the
    host's monotonic time when it was first seen."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.buf = ""
        self.lines = []          # (monotonic time, text)
        self.lock = threading.Lock()

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
                self.pos = f.tell()
        except OSError:
            return
        if not data:
            return
        now = time.monotonic()
        self.buf += data.decode(errors="replace")
        *complete, self.buf = self.buf.split("\n")
        with self.lock:
            for line in complete:
                line = line.rstrip("\r")
                if "dirtier: " in line:
                    self.lines.append((now, line[line.index("dirtier: "):]))

    def rates(self):
        """[(time, t, rate, verify_errors)] of the t= lines so far."""
        out = []
        with self.lock:
            for when, text in self.lines:
                m = RATE_RE.search(text)
                if m:
                    out.append((when, int(m.group(1)), float(m.group(2)),
                                int(m.group(3))))
        return out

    def corrupt(self):
        with self.lock:
            return sum(1 for _, t in self.lines if "CORRUPT" in t or
                       "FATAL" in t)


def vcpu_cpu_seconds(name):
    """CPU time used so far by the guest's vCPU thread ("CPU 0/TCG", QEMU
    runs with debug-threads=on), or None.  Only reads /proc."""
    p = subprocess.run(["pgrep", "-f", "--", f"-name guest={name},"],
                       capture_output=True, text=True)
    tick = os.sysconf("SC_CLK_TCK")
    for pid in p.stdout.split():
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    if not f.read().startswith("CPU 0"):
                        continue
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return None


def destroy_guest(conns, name):
    import libvirt
    for conn in conns:
        if conn is None:
            continue
        try:
            dom = conn.lookupByName(name)
        except libvirt.libvirtError:
            continue
        try:
            if dom.isActive():
                dom.destroy()
        except libvirt.libvirtError:
            pass
        try:
            if dom.isPersistent():
                dom.undefine()
        except libvirt.libvirtError:
            pass


# ---------------------------------------------------------------------------
# One migration


def stat_sample(st, t):
    """One trace row (TRACE_COLS) from a jobStats() dict."""
    return [round(t, 3),
            st.get("memory_remaining", 0),
            st.get("auto_converge_throttle", 0),
            st.get("memory_dirty_rate", 0) * st.get("memory_page_size",
                                                    4096) or 0,
            st.get("memory_iteration", 0),
            st.get("convergd.throttle_needed"),
            st.get("data_processed", 0),
            st.get("memory_bps", 0),
            st.get("convergd.cpu_lost", 0),
            1 if st.get("convergd.phase") == "postcopy" else 0,
            st.get("memory_postcopy_requests", 0)]


def run_one(bench, case, policy, run_idx):
    """Boot, migrate, measure.  Returns the result dict (never raises for
    a migration failure; raises only for set-up trouble, which the caller
    records as failed)."""
    import libvirt
    hot, rate = case[0], case[1]
    name = f"cvgb-r{run_idx}-{case_name(case).replace('@', '-')}-{policy}"
    console = os.path.join(bench.dir, f"{name}.console")
    res = {"case": case_name(case), "hot_mib": hot, "rate_mibs": rate,
           "policy": policy, "run": run_idx, "name": name,
           "status": "failed", "converged": False}
    src, dst = bench.conns()
    destroy_guest((src, dst), name)
    if os.path.exists(console):
        os.unlink(console)

    from cvgtest import guest_xml
    xml = guest_xml(name, console, mem_mib=GUEST_MIB, dirty_mib=hot,
                    rate=rate, verify=True, uuid=str(uuid.uuid4()))
    tries = max(1, bench.args.boot_tries)
    bench.wd.arm(tries * (BOOT_TIMEOUT + 60), f"boot {name}")
    res["slow_boots"] = []
    try:
        for attempt in range(1, tries + 1):
            if os.path.exists(console):
                os.unlink(console)
            tail = ConsoleTail(console)
            # Persistent on the source: a transient domain disappears with
            # a successful migration, and with it the completed statistics.
            dom = src.defineXML(xml)
            dom.create()
            res["loadavg"] = os.getloadavg()[0]
            # The first t= line includes start-up; keep BASELINE_S after it.
            deadline = time.monotonic() + BOOT_TIMEOUT
            cpu0 = None
            while len(tail.rates()) < BASELINE_S + 1:
                if cpu0 is None and tail.rates():
                    cpu0 = (time.monotonic(), vcpu_cpu_seconds(name))
                if time.monotonic() > deadline:
                    raise RuntimeError(f"guest {name}: fewer than "
                                       f"{BASELINE_S + 1} dirtier lines "
                                       f"after {BOOT_TIMEOUT} s: "
                                       f"{tail.lines[-3:]}")
                time.sleep(CONSOLE_S)
                tail.poll()
            res["guest_start"] = [t for _, t in tail.lines
                                  if t.startswith(("dirtier: start",
                                                   "dirtier: info",
                                                   "dirtier: warning"))]
            base = statistics.mean(r for _, _, r, _ in
                                   tail.rates()[-BASELINE_S:])
            cpu1 = vcpu_cpu_seconds(name)
            res["vcpu_busy_before"] = (
                round((cpu1 - cpu0[1]) / (time.monotonic() - cpu0[0]), 3)
                if cpu0 and cpu0[1] is not None and cpu1 is not None
                else None)
            if base >= bench.args.min_rate * rate or attempt == tries:
                break
            # A boot whose dirtier runs far below its target would make
            # this policy's case easier than the others' (see
            # docs/benchmarks/convergence.md): boot again.
            log(f"  {name}: dirtier at {base:.1f} MiB/s (target {rate}), "
                f"below {bench.args.min_rate:.0%}: booting again")
            res["slow_boots"].append({"rate": round(base, 2),
                                      "vcpu_busy": res["vcpu_busy_before"],
                                      "loadavg": res["loadavg"],
                                      "guest_start": res["guest_start"]})
            destroy_guest((src, dst), name)
        res["boot_attempts"] = attempt
        dom.migrateSetMaxDowntime(DOWNTIME_MS, 0)

        ac, params = POLICIES[policy]
        flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
        if ac:
            flags |= libvirt.VIR_MIGRATE_AUTO_CONVERGE
        if policy in POSTCOPY:
            flags |= libvirt.VIR_MIGRATE_POSTCOPY
        res["flags"] = flags
        res["params"] = params

        outcome = {}

        def migrate():
            conn = None
            try:
                conn = libvirt.open(bench.src_uri)
                conn.lookupByName(name).migrateToURI3(bench.dst_uri,
                                                      dict(params), flags)
                outcome["ok"] = True
            except Exception as e:  # noqa: BLE001 (recorded)
                outcome["ok"] = False
                outcome["error"] = str(e)
            finally:
                outcome["end"] = time.monotonic()
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001
                        pass

        samples = []
        cap = bench.args.cap
        bench.wd.arm(cap + ABORT_TIMEOUT + 60, f"migrate {name}")
        t0 = time.monotonic()
        thr = threading.Thread(target=migrate, daemon=True)
        thr.start()
        next_stat = t0
        aborted = False
        last_running = None
        pc = {"requested": None, "request_error": None, "start": None,
              "requests": None}
        while thr.is_alive():
            now = time.monotonic()
            tail.poll()
            if now >= next_stat:
                next_stat += SAMPLE_S
                try:
                    st = dom.jobStats()
                except libvirt.libvirtError:
                    st = {}
                if st.get("type") == libvirt.VIR_DOMAIN_JOB_UNBOUNDED:
                    samples.append(stat_sample(st, now - t0))
                    last_running = st
                    note_postcopy(pc, st, now - t0)
            if (POSTCOPY.get(policy) == "bench" and pc["requested"] is None
                    and now - t0 >= bench.args.postcopy_after
                    and thr.is_alive()):
                pc["requested"] = now - t0
                try:
                    dom.migrateStartPostCopy(0)
                except libvirt.libvirtError as e:
                    pc["request_error"] = str(e)
            if not aborted and now - t0 >= cap:
                log(f"  {name}: cap of {cap} s reached, aborting")
                aborted = True
                try:
                    dom.abortJob()
                except libvirt.libvirtError as e:
                    res["abort_error"] = str(e)
                abort_deadline = now + ABORT_TIMEOUT
            if aborted and now > abort_deadline:
                raise RuntimeError(f"migration of {name} did not end "
                                   f"{ABORT_TIMEOUT} s after abortJob()")
            time.sleep(CONSOLE_S)
        thr.join()
        t_end = outcome["end"]
        wall = t_end - t0
        res["wall_s"] = round(wall, 3)
        res["aborted_at_cap"] = aborted
        res["error"] = outcome.get("error")
        res["converged"] = bool(outcome.get("ok"))
        if res["converged"]:
            res["status"] = "converged"
        elif aborted:
            res["status"] = "cap"
        else:
            # For example the daemon refusing convergd.escalation=postcopy
            # (VIR_ERR_INVALID_ARG) before that value existed.
            res["status"] = "failed"
        res["outcome"] = (res["status"] if res["status"] != "failed" else
                          f"error: {res['error']}")

        # Completed statistics: the source keeps them (KEEP_COMPLETED) for
        # the convergd.* extras; fall back to the last running sample.
        comp = {}
        try:
            comp = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
        except libvirt.libvirtError as e:
            res["completed_stats_error"] = str(e)
        res["completed_stats"] = {k: v for k, v in comp.items()
                                  if isinstance(v, (int, float, str))}
        ref = comp if comp.get("data_processed") else (last_running or {})
        if res["converged"]:
            el = comp.get("time_elapsed")
            res["total_s"] = el / 1000.0 if el else wall
            res["downtime_ms"] = comp.get("downtime")
        else:
            res["total_s"] = wall
            res["downtime_ms"] = None
        trace_max = max((s[2] for s in samples), default=0)
        # convergd.max_throttle can miss QEMU's last step just before
        # completion (its final auto_converge_throttle, or the trace, is
        # higher): keep it, and use the highest of the three.
        res["convergd_max_throttle"] = comp.get("convergd.max_throttle")
        res["max_throttle"] = max(comp.get("convergd.max_throttle", 0),
                                  trace_max, ref.get(
                                      "auto_converge_throttle", 0))
        res["final_throttle"] = (comp.get("auto_converge_throttle", 0)
                                 if comp else
                                 (last_running or {}).get(
                                     "auto_converge_throttle", 0))
        res["data_mib"] = ref.get("data_processed", 0) / MiB
        res["passes"] = ref.get("memory_iteration")
        res["cpu_lost_s"] = (comp.get("convergd.cpu_lost",
                                      (last_running or {}).get(
                                          "convergd.cpu_lost", 0))
                             / 1000.0) if ac else 0.0
        if not ac:
            res["cpu_lost_reported_s"] = comp.get("convergd.cpu_lost", 0) / 1e3

        # Physical lower bound: the first pass plus the hot set once more,
        # at the measured bandwidth (see docs/benchmarks/convergence.md).
        first = next((s for s in samples if s[4] >= 2), None)
        bps = [s[7] for s in samples if s[7] > 0]
        if first is not None and bps:
            bw = statistics.median(bps)
            res["first_pass_mib"] = first[6] / MiB
            res["bandwidth_mibs"] = bw / MiB
            res["lower_bound_s"] = (first[6] + hot * MiB) / bw
        else:
            res["lower_bound_s"] = None

        # After a switchover the guest goes on writing on the destination
        # (the console file is opened with append=on there): wait for two
        # more lines and read its own verification counter.
        if res["converged"]:
            n = len(tail.rates())
            deadline = time.monotonic() + 10
            while len(tail.rates()) < n + 2 and time.monotonic() < deadline:
                time.sleep(CONSOLE_S)
                tail.poll()
        tail.poll()
        rates = tail.rates()
        before = [r for w, _, r, _ in rates if t0 - BASELINE_S - 0.5 <= w <= t0]
        # A t= line covers the second before it: keep those wholly inside.
        during = [r for w, _, r, _ in rates if t0 + 1.0 <= w <= t_end]
        res["rate_before"] = statistics.mean(before) if before else None
        res["rate_during"] = statistics.mean(during) if during else None
        if res["rate_before"] and res["rate_during"] is not None:
            res["slowdown_pct"] = 100.0 * (1 - res["rate_during"] /
                                           res["rate_before"])
        else:
            res["slowdown_pct"] = None
        res["verify_errors"] = rates[-1][3] if rates else None
        postcopy_results(res, pc, comp, rates, t0, t_end)
        res["corrupt_lines"] = tail.corrupt()
        res["trace"] = samples
        res["console"] = [[round(w - t0, 2), t, r, v]
                          for w, t, r, v in rates]
        return res
    finally:
        bench.wd.arm(120, f"clean up {name}")
        destroy_guest(bench.conns(), name)
        try:
            os.unlink(console)
        except OSError:
            pass
        bench.wd.disarm()


def note_postcopy(pc, st, t):
    """Keeps when post-copy was first seen (convergd.phase) and the
    highest memory_postcopy_requests of the running samples."""
    if st.get("convergd.phase") == "postcopy" and pc["start"] is None:
        pc["start"] = t
    if "memory_postcopy_requests" in st:
        pc["requests"] = max(pc["requests"] or 0,
                             st["memory_postcopy_requests"])


def postcopy_results(res, pc, comp, rates, t0, t_end):
    """Post-copy fields of a result: whether and when it started (s from
    the migration start; the first 0.5 s sample in phase postcopy), the
    destination's page requests, and the dirtier's rate in the post-copy
    window against its baseline.  A dirtier line is placed in host time
    by its guest t= plus the smallest (host read time - t) offset seen
    before the migration, so read lag and post-copy stalls of the console
    do not move it; a line covers the second before its t=."""
    res["postcopy_requested_s"] = (round(pc["requested"], 2)
                                   if pc["requested"] is not None else None)
    res["postcopy_request_error"] = pc["request_error"]
    res["postcopy"] = pc["start"] is not None
    res["postcopy_start_s"] = (round(pc["start"], 2)
                               if pc["start"] is not None else None)
    req = comp.get("memory_postcopy_requests")
    res["postcopy_requests"] = (max(req or 0, pc["requests"] or 0)
                                if req is not None or
                                pc["requests"] is not None else None)
    res["rate_postcopy"] = res["postcopy_rate_ratio"] = None
    if not res["postcopy"]:
        return
    offs = [w - t for w, t, _, _ in rates if w <= t0]
    if not offs:
        return
    off = min(offs)
    start = t0 + pc["start"]
    inside = [r for _, t, r, _ in rates if start + 1.0 <= t + off <= t_end]
    if inside:
        res["rate_postcopy"] = statistics.mean(inside)
        if res.get("rate_before"):
            res["postcopy_rate_ratio"] = (res["rate_postcopy"] /
                                          res["rate_before"])


class Bench:
    def __init__(self, args):
        self.args = args
        self.env = None
        self.dir = None
        self.src_uri = self.dst_uri = None
        self._src = self._dst = None
        self.wd = Watchdog(args.name)

    def up(self):
        log(f"testbed up --name {self.args.name} --rate {self.args.rate}")
        self.env = testbed("up", "--name", self.args.name,
                           "--rate", self.args.rate)
        self.dir = self.env["DIR"]
        self.src_uri = self.env["SRC_URI"]
        self.dst_uri = self.env["DST_URI"]

    def conns(self):
        import libvirt
        for attr, uri in (("_src", self.src_uri), ("_dst", self.dst_uri)):
            c = getattr(self, attr)
            ok = False
            if c is not None:
                try:
                    ok = c.isAlive() == 1
                except libvirt.libvirtError:
                    ok = False
            if not ok:
                setattr(self, attr, libvirt.open(uri))
        return self._src, self._dst

    def close(self):
        for c in (self._src, self._dst):
            if c is not None:
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass
        self._src = self._dst = None


# ---------------------------------------------------------------------------
# Report


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, nd=1, suffix=""):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    out = f"{v:.{nd}f}"
    if out.startswith("-") and float(out) == 0:
        out = out[1:]
    return out + suffix


def max_throttle(r):
    """Highest throttle of a run: convergd.max_throttle, the final
    auto_converge_throttle or the 0.5 s trace, whichever is higher."""
    if r.get("max_throttle") is None:
        return None
    return max([r["max_throttle"], r.get("final_throttle") or 0] +
               [s[2] for s in r.get("trace", [])])


def throttle_time(r):
    """Seconds of a run's 0.5 s trace with a throttle above 0 (None for a
    run without a trace)."""
    tr = r.get("trace")
    if not tr:
        return None if r.get("max_throttle") is None else 0.0
    return sum(SAMPLE_S for s in tr if s[2])


def case_table(runs, case, policies, cap):
    lines = []
    hdr = ["policy", "converged", "median total s", "median downtime ms",
           "max downtime ms", "median max throttle %",
           "median final throttle %", "median data MiB", "median passes",
           "median CPU lost s", "median guest slowdown %",
           "lower bound s", "median total / lower bound",
           "median dirtier MiB/s before", "median throttled s",
           "post-copy n/N", "median post-copy start s",
           "median post-copy requests",
           "median dirtier in post-copy / before"]
    lines.append("| " + " | ".join(hdr) + " |")
    lines.append("|" + "|".join(["---"] * len(hdr)) + "|")
    rows = {}
    for p in policies:
        rs = [r for r in runs if r["case"] == case and r["policy"] == p]
        ok = [r for r in rs if r["converged"]]
        measured = [r for r in rs if r["status"] in ("converged", "cap")]
        tot = median([r["total_s"] for r in measured])
        censored = (tot is not None and
                    sum(1 for r in measured if r["converged"]) * 2 <=
                    len(measured))
        dts = [r["downtime_ms"] for r in ok if r.get("downtime_ms") is not None]
        lb = median([r.get("lower_bound_s") for r in measured])
        row = {
            "n": len(rs), "ok": len(ok), "failed": len(rs) - len(measured),
            "total": tot, "censored": censored,
            "downtime_med": median(dts),
            "downtime_max": max(dts) if dts else None,
            "max_thr": median([max_throttle(r) for r in measured]),
            "fin_thr": median([r.get("final_throttle") for r in measured]),
            "data": median([r.get("data_mib") for r in measured]),
            "passes": median([r.get("passes") for r in measured]),
            "cpu": median([r.get("cpu_lost_s") for r in measured]),
            "slow": median([r.get("slowdown_pct") for r in measured]),
            "lb": lb,
            "thr_time": median([throttle_time(r) for r in measured]),
            "pc_n": sum(1 for r in measured if r.get("postcopy")),
            "pc_start": median([r.get("postcopy_start_s") for r in measured]),
            "pc_req": median([r.get("postcopy_requests") for r in measured
                              if r.get("postcopy")]),
            "pc_ratio": median([r.get("postcopy_rate_ratio")
                                for r in measured]),
        }
        rows[p] = row
        conv = f"{row['ok']}/{row['n']}"
        if row["failed"]:
            conv += f" ({row['failed']} failed)"
        tot_s = ("–" if tot is None else
                 (f"≥{tot:.1f} (cap)" if censored else f"{tot:.1f}"))
        ratio = ("–" if tot is None or not lb else
                 (f"≥{tot / lb:.2f}" if censored else f"{tot / lb:.2f}"))
        lines.append("| " + " | ".join([
            p, conv, tot_s, fmt(row["downtime_med"], 0),
            fmt(row["downtime_max"], 0), fmt(row["max_thr"], 0),
            fmt(row["fin_thr"], 0), fmt(row["data"], 0),
            fmt(row["passes"], 0), fmt(row["cpu"], 1), fmt(row["slow"], 0),
            fmt(lb, 1), ratio,
            fmt(median([r.get("rate_before") for r in measured]), 1),
            fmt(row["thr_time"], 1),
            f"{row['pc_n']}/{len(measured)}" if measured else "–",
            fmt(row["pc_start"], 1), fmt(row["pc_req"], 0),
            fmt(row["pc_ratio"], 2)]) + " |")
    return lines, rows


def render(data, out):
    args = data["args"]
    runs = data["runs"]
    policies = args["policies"].split(",")
    cases = [case_name(c) for c in parse_cases(args["cases"])]
    cap = args["cap"]
    md = []
    md.append("# Convergence benchmark results")
    md.append("")
    md.append("Generated by `tools/bench-converge.py`; what the columns "
              "mean and how they are computed: "
              "[convergence.md](convergence.md).")
    md.append("")
    md.append("```")
    md.append(data["command"])
    md.append("```")
    md.append("")
    m = data["machine"]
    md.append(f"- date: {data['started']} – {data.get('finished', '?')} "
              f"({data.get('duration_min', 0):.1f} min)")
    md.append(f"- machine: {m['nproc']} CPUs ({m.get('cpu', '?')}), "
              f"{m.get('kernel', '?')}, {m['qemu']}, TCG")
    md.append(f"- link: tbf {args['rate']}; guest {GUEST_MIB} MiB, 1 vCPU; "
              f"downtime limit {DOWNTIME_MS} ms; cap {cap} s; "
              f"{args['runs']} runs, interleaved (run, case, policy)")
    bws = [r.get("bandwidth_mibs") for r in runs if r.get("bandwidth_mibs")]
    if bws:
        md.append(f"- measured migration bandwidth (median of `memory_bps` "
                  f"samples): {statistics.median(bws):.2f} MiB/s "
                  f"(runs: {min(bws):.2f}–{max(bws):.2f})")
    failed = [r for r in runs if r["status"] == "failed"]
    md.append(f"- migrations: {len(runs)}; failed (error, not the cap): "
              f"{len(failed)}")
    slow = [b for r in runs for b in r.get("slow_boots", [])]
    if "min_rate" in args:
        md.append(f"- guests rebooted because their dirtier ran below "
                  f"{args['min_rate']:.0%} of the target: {len(slow)}"
                  + (" (rates/target: " + ", ".join(
                      f"{r['case']} {r['policy']} r{r['run']} " +
                      "/".join(f"{b['rate']:.1f}" for b in r['slow_boots'])
                      for r in runs if r.get("slow_boots")) + ")"
                     if slow else "")
                  + f"; migrations that still started below it: "
                  f"{sum(1 for r in runs if r.get('rate_before') and r['rate_before'] < args['min_rate'] * r['rate_mibs'])}")
    lag = [r for r in runs if r.get("completed_stats") and
           max_throttle(r) > r["completed_stats"].get(
               "convergd.max_throttle", 0)]
    if lag:
        md.append("- completed `convergd.max_throttle` below the run's "
                  "highest throttle (final `auto_converge_throttle` or "
                  "trace; the tables use the highest): " + ", ".join(
                      f"{r['name']} {r['completed_stats'].get('convergd.max_throttle', 0)}"
                      f" < {max_throttle(r)}" for r in lag))
    bad = [r for r in runs if r.get("verify_errors") or r.get("corrupt_lines")]
    md.append("- guest memory check after converged migrations: "
              + ("all `verify_errors=0`" if not bad else
                 f"**{len(bad)} runs with errors**: " +
                 ", ".join(f"{r['name']} ({r.get('verify_errors')})"
                           for r in bad)))
    md.append("")
    all_rows = {}
    for c in cases:
        hot, rate, clink = case_parts(c)
        md.append(f"## Case {c}: hot set {hot} MiB written at {rate} MiB/s"
                  + (f", link {clink}" if clink else ""))
        md.append("")
        cr = [r for r in runs if r["case"] == c]
        rb = [r.get("rate_before") for r in cr if r.get("rate_before")]
        if rb:
            low = [r for r in cr if r.get("rate_before") and
                   r["rate_before"] < 0.7 * int(rate)]
            md.append(f"- Dirtier rate measured in the {BASELINE_S} s before "
                      f"each migration: median {statistics.median(rb):.1f}, "
                      f"range {min(rb):.1f}–{max(rb):.1f} MiB/s (target "
                      f"{rate})."
                      + (" Below 70 % of the target (host contention): " +
                         ", ".join(f"{r['policy']} run {r['run']} "
                                   f"{r['rate_before']:.1f}" for r in low) +
                         "." if low else ""))
            la = [r["loadavg"] for r in cr if r.get("loadavg") is not None]
            if la:
                md.append(f"- Host load average at guest start: "
                          f"{min(la):.1f}–{max(la):.1f}.")
            md.append("")
        lines, rows = case_table(runs, c, policies, cap)
        all_rows[c] = rows
        md.extend(lines)
        md.append("")
        md.append(f"![{c}](convergence-{c}.png)")
        md.append("")
        fails = [r for r in cr if r["status"] == "failed"]
        for r in fails:
            md.append(f"- failed: {r['name']}: {r.get('error')}")
        if fails:
            md.append("")

    # Summary
    md.append("## Summary: adaptive against qemu20")
    md.append("")
    need = [c for c in cases
            if "off" in all_rows[c] and
            all_rows[c]["off"]["ok"] < all_rows[c]["off"]["n"]]
    if "off" not in policies:
        need = list(cases)
    md.append("Cases that need throttling (`off` did not converge in every "
              "run): " + (", ".join(need) if need else "none") + ".")
    md.append("")
    if "adaptive" in policies and "qemu20" in policies:
        md.append("| case | qemu20 converged | adaptive converged | "
                  "median time adaptive/qemu20 | "
                  "median CPU lost adaptive/qemu20 |")
        md.append("|---|---|---|---|---|")
        tr, cr_ = [], []
        for c in need:
            a, q = all_rows[c]["adaptive"], all_rows[c]["qemu20"]
            rt = (a["total"] / q["total"]
                  if a["total"] and q["total"] else None)
            rc = (a["cpu"] / q["cpu"] if a["cpu"] is not None and q["cpu"]
                  else None)
            rt_s = fmt(rt, 2)
            if rt is not None and q["censored"]:
                rt_s = f"≤{rt:.2f} (qemu20 capped)"
            rc_s = fmt(rc, 2)
            if rc is not None and q["censored"]:
                rc_s = f"{rc:.2f} (qemu20 capped)"
            md.append(f"| {c} | {q['ok']}/{q['n']} | {a['ok']}/{a['n']} | "
                      f"{rt_s} | {rc_s} |")
            if rt is not None:
                tr.append(rt)
            if rc is not None:
                cr_.append(rc)
        md.append("")
        if tr:
            md.append(f"Geometric mean over these cases: time "
                      f"{geomean(tr):.2f}, CPU lost "
                      f"{geomean(cr_) if cr_ else float('nan'):.2f} "
                      "(capped qemu20 runs count as the cap, which favours "
                      "qemu20).")
            md.append("")
        q_ok = [c for c in cases if all_rows[c]["qemu20"]["ok"] ==
                all_rows[c]["qemu20"]["n"] and all_rows[c]["qemu20"]["n"]]
        q_not = [c for c in cases if all_rows[c]["qemu20"]["ok"] <
                 all_rows[c]["qemu20"]["n"]]
        a_all = lambda cs: all(all_rows[c]["adaptive"]["ok"] ==  # noqa: E731
                               all_rows[c]["adaptive"]["n"] for c in cs)
        md.append(f"- adaptive converged in every run of every case qemu20 "
                  f"always converged ({', '.join(q_ok) or 'none'}): "
                  f"**{'yes' if a_all(q_ok) else 'no'}**")
        md.append(f"- cases where qemu20 did not always converge "
                  f"({', '.join(q_not) or 'none'}): adaptive converged "
                  + ", ".join(f"{c} {all_rows[c]['adaptive']['ok']}/"
                              f"{all_rows[c]['adaptive']['n']}"
                              for c in q_not))
        dts = [r["downtime_ms"] for r in runs
               if r["converged"] and r.get("downtime_ms") is not None]
        md.append(f"- downtime over all converged migrations: max "
                  f"{max(dts) if dts else '–'} ms (limit {DOWNTIME_MS} ms); "
                  "per policy max: " + ", ".join(
                      f"{p} {max(d) if d else '–'}" for p, d in
                      ((p, [r['downtime_ms'] for r in runs
                            if r['policy'] == p and r['converged'] and
                            r.get('downtime_ms') is not None])
                       for p in policies)))
        over = [r for r in runs if r["converged"] and
                (r.get("downtime_ms") or 0) > DOWNTIME_MS]
        if over:
            md.append("- over the limit: " + ", ".join(
                f"{r['name']} {r['downtime_ms']} ms" for r in over))
        al = [(c, all_rows[c]["adaptive"]) for c in cases]
        md.append("- adaptive median total / lower bound: " + ", ".join(
            f"{c} {fmt(a['total'] / a['lb'] if a['total'] and a['lb'] else None, 2)}"
            for c, a in al))
        md.append("")
    md.extend(goals_summary(cases, policies, all_rows))
    with open(os.path.join(out, "convergence-results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    plot(data, out, cases, policies)


def ratio_str(a, b, censored=False, nd=2):
    if a is None or not b:
        return "–"
    return ("≥" if censored else "") + f"{a / b:.{nd}f}"


def goals_summary(cases, policies, all_rows):
    """Issue 12's benchmark goals as ratios of this run's medians."""
    md = ["## Summary: post-copy goals (issue 12)", ""]
    pc = [p for p in ("adaptivepc", "qemupc") if p in policies]
    if not pc:
        md += ["No post-copy policy in this run.", ""]
        return md
    for p in pc:
        rows = [(c, all_rows[c][p]) for c in cases]
        md.append(f"- {p} converged in every run of every case: **"
                  + ("yes" if all(r["n"] and r["ok"] == r["n"]
                                  for _, r in rows) else "no")
                  + "** (" + ", ".join(f"{c} {r['ok']}/{r['n']}"
                                       for c, r in rows) + ")")
        md.append(f"- {p} median total / physical bound (goal ≤ 1.2): "
                  + ", ".join(f"{c} {ratio_str(r['total'], r['lb'], r['censored'])}"
                              for c, r in rows))
    by = {case_parts(c)[:2]: c for c in cases}
    c80 = by.get(("80", "80"))
    if c80 and "adaptivepc" in policies and "adaptive" in policies:
        a, b = all_rows[c80]["adaptivepc"], all_rows[c80]["adaptive"]
        md.append(f"- {c80}: CPU lost adaptivepc / adaptive (goal ≤ 0.5): "
                  f"**{ratio_str(a['cpu'], b['cpu'])}** "
                  f"({fmt(a['cpu'])} s / {fmt(b['cpu'])} s)")
    c16 = by.get(("16", "8"))
    if c16 and ("adaptive" in policies or "adaptivepc" in policies):
        md.append(f"- {c16} (converges by itself; goal: no throttle): "
                  + ", ".join(
                      f"{p} throttled {fmt(all_rows[c16][p]['thr_time'])} s, "
                      f"max {fmt(all_rows[c16][p]['max_thr'], 0)} %, "
                      f"CPU lost {fmt(all_rows[c16][p]['cpu'])} s"
                      for p in ("adaptive", "adaptivepc") if p in policies))
    md.append("")
    return md


def geomean(xs):
    """Geometric mean; 0 when any value is 0 (a policy that lost no CPU)."""
    import math
    if not xs or min(xs) <= 0:
        return 0.0
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def plot(data, out, cases, policies):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colors = {"off": "tab:gray", "qemu20": "tab:blue", "qemu30": "tab:orange",
              "adaptive": "tab:green", "qemupc": "tab:purple",
              "adaptivepc": "tab:red"}
    for c in cases:
        tmax = 0
        fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
        hot, rate, clink = case_parts(c)
        fig.suptitle(f"hot set {hot} MiB at {rate} MiB/s, "
                     f"{clink or data['args']['rate']} link, {DOWNTIME_MS} ms limit "
                     f"(first run of each policy)")
        for p in policies:
            rs = sorted((r for r in data["runs"] if r["case"] == c and
                         r["policy"] == p and r.get("trace")),
                        key=lambda r: r["run"])
            if not rs:
                continue
            r = rs[0]
            tr = r["trace"]
            t = [s[0] for s in tr]
            tmax = max([tmax] + t)
            label = p + (f" ({r['total_s']:.0f} s)" if r["converged"]
                         else " (not converged)")
            col = colors.get(p)
            axes[0].step(t, [s[2] for s in tr], where="post", label=label,
                         color=col)
            axes[1].plot(t, [max(s[1] / MiB, 0.1) for s in tr], label=label,
                         color=col)
            axes[2].plot(t, [s[3] / MiB for s in tr], label=label, color=col)
            if r["converged"]:
                for ax in axes:
                    ax.axvline(r["total_s"], color=col, ls=":", lw=0.8)
            if r.get("postcopy_start_s") is not None:
                # The post-copy window: from the switch to the end.
                end = r["total_s"] if r["converged"] else max(t + [0])
                for ax in axes:
                    ax.axvspan(r["postcopy_start_s"], end, color=col,
                               alpha=0.12, lw=0)
        axes[0].set_ylabel("throttle %")
        axes[0].set_ylim(-2, 100)
        axes[1].set_ylabel("remaining MiB (log)")
        axes[1].set_yscale("log")
        axes[2].set_ylabel("dirty rate MiB/s\n(QEMU)")
        axes[2].set_xlabel("time since migration start, s "
                           "(dotted: switchover; shaded: post-copy)")
        axes[2].set_xlim(0, max(tmax * 1.05, 5))
        for ax in axes:
            ax.grid(True, alpha=0.3)
        axes[0].legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"convergence-{c}.png"), dpi=90)
        plt.close(fig)


# ---------------------------------------------------------------------------


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        q = subprocess.run(["qemu-system-x86_64", "--version"],
                           capture_output=True, text=True, timeout=10)
        info["qemu"] = q.stdout.splitlines()[0].strip()
    except Exception:  # noqa: BLE001
        info["qemu"] = "QEMU ?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def save(data, out):
    path = os.path.join(out, "convergence-results.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", default="100mbit")
    ap.add_argument("--cap", type=float, default=75)
    ap.add_argument("--cases", default=DEFAULT_CASES,
                    help="HOT:RATE[@LINK],... (MiB, MiB/s, a tc rate for "
                    "this case instead of --rate); default %(default)s")
    ap.add_argument("--policies", default=DEFAULT_POLICIES)
    ap.add_argument("--postcopy-after", type=float, default=10,
                    help="qemupc: migrateStartPostCopy() after this many "
                    "seconds if still running (default %(default)s)")
    ap.add_argument("--out", default=os.path.join(TOP, "docs", "benchmarks"))
    ap.add_argument("--name", default="cvgbench", help="testbed name")
    ap.add_argument("--min-rate", type=float, default=0.7,
                    help="boot the guest again when its dirtier runs below "
                    "this fraction of the target (default %(default)s)")
    ap.add_argument("--boot-tries", type=int, default=5,
                    help="boots per migration at most (default %(default)s)")
    ap.add_argument("--report-only", metavar="JSON",
                    help="re-render Markdown and plots from a previous JSON")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    if args.report_only:
        with open(args.report_only) as f:
            data = json.load(f)
        render(data, args.out)
        return 0

    for p in args.policies.split(","):
        if p not in POLICIES:
            ap.error(f"unknown policy {p} (known: {', '.join(POLICIES)})")
    cases = parse_cases(args.cases)
    policies = args.policies.split(",")
    if os.geteuid() != 0:
        print("bench-converge needs root (network namespaces)",
              file=sys.stderr)
        return 2
    import libvirt
    libvirt.registerErrorHandler(lambda ctx, err: None, None)

    cmd = "/usr/bin/python3 " + " ".join(
        shlex.quote(a) for a in [os.path.relpath(sys.argv[0], TOP)] +
        sys.argv[1:])
    data = {"command": cmd, "args": vars(args), "machine": machine_info(),
            "started": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "trace_cols": TRACE_COLS,
            "console_cols": ["t_rel_s", "guest_t", "rate_mibs",
                             "verify_errors"],
            "runs": []}
    t_start = time.monotonic()

    def on_term(signum, frame):
        raise SystemExit(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    bench = Bench(args)
    total = args.runs * len(cases) * len(policies)
    k = 0
    try:
        bench.wd.arm(300, "testbed up")
        bench.up()
        bench.wd.disarm()
        link = args.rate
        for r in range(1, args.runs + 1):
            for c in cases:
                want = c[2] or args.rate
                if want != link:
                    log(f"testbed shape --rate {want}")
                    testbed("shape", "--name", args.name, "--rate", want)
                    link = want
                for p in policies:
                    k += 1
                    log(f"[{k}/{total}] run {r} case {case_name(c)} "
                        f"policy {p}")
                    try:
                        res = run_one(bench, c, p, r)
                    except Exception as e:  # noqa: BLE001 (recorded)
                        res = {"case": case_name(c), "hot_mib": c[0],
                               "rate_mibs": c[1], "policy": p, "run": r,
                               "name": f"cvgb-r{r}-{case_name(c).replace('@', '-')}-{p}",
                               "status": "failed", "converged": False,
                               "error": f"{type(e).__name__}: {e}",
                               "outcome": f"error: {type(e).__name__}: {e}",
                               "traceback": traceback.format_exc()}
                        bench.close()
                    log(f"  -> {res.get('outcome', res['status'])}"
                        f" total={fmt(res.get('total_s'))} s"
                        f" downtime={res.get('downtime_ms')} ms"
                        f" max_thr={res.get('max_throttle')}"
                        f" cpu_lost={fmt(res.get('cpu_lost_s'))} s"
                        f" slowdown={fmt(res.get('slowdown_pct'), 0)} %"
                        f" lb={fmt(res.get('lower_bound_s'))} s"
                        f" verify_errors={res.get('verify_errors')}"
                        + (f" postcopy_at={fmt(res.get('postcopy_start_s'))} s"
                           f" requests={res.get('postcopy_requests')}"
                           f" rate_pc={fmt(res.get('rate_postcopy'))}"
                           if res.get("postcopy") else "")
                        + (f" error={res.get('error')}"
                           if res.get("error") else ""))
                    data["runs"].append(res)
                    save(data, args.out)
    finally:
        bench.wd.arm(300, "testbed down")
        bench.close()
        try:
            log(f"testbed down --name {args.name}")
            testbed("down", "--name", args.name, timeout=240)
        except Exception as e:  # noqa: BLE001
            log(f"testbed down failed: {e}")
        bench.wd.disarm()
        data["finished"] = datetime.datetime.now().strftime(
            "%Y-%m-%d %H:%M:%S")
        data["duration_min"] = (time.monotonic() - t_start) / 60.0
        save(data, args.out)
        if data["runs"]:
            render(data, args.out)
            log(f"wrote {os.path.join(args.out, 'convergence-results.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
