"""Job control during an outgoing migration, between two convergd hosts
(network namespaces joined by a veth shaped to 100 Mbit/s), with real QEMU,
real virsh and python3-libvirt.

The "hot" guest dirties 32 MiB at 40 MiB/s, more than the link carries, so
its pre-copy never converges unthrottled: only a suspend (or an abort) ends
it.  The job-control calls run on the same connection as the migration, as
an orchestrator's monitor thread does.
"""
import os
import threading
import time

import cvgtest
from cvgtest import wait_for, console_lines, virsh_at as virsh

import libvirt

libvirt.virEventRegisterDefaultImpl()
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def _event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


threading.Thread(target=_event_loop, daemon=True).start()

NAME = "cvgjob"
RATE = "100mbit"
# Every job-control call must answer well within this (seconds).
PROMPT = 2.0
NOVA_FLAGS = (libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_LIVE |
              libvirt.VIR_MIGRATE_PERSIST_DEST |
              libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)


class Migrator(threading.Thread):
    """migrateToURI3 in a thread; .error is None or the libvirtError."""

    def __init__(self, dom, dst, flags, params=None):
        super().__init__(daemon=True)
        self.dom, self.dst, self.flags = dom, dst, flags
        self.params = params or {}
        self.error = None
        self.done = False

    def run(self):
        try:
            self.dom.migrateToURI3(self.dst, self.params, self.flags)
        except libvirt.libvirtError as e:
            self.error = e
        self.done = True


class JobControl(cvgtest.TestbedCase):
    TESTBED_NAME = NAME
    TESTBED_RATE = RATE

    def setUp(self):
        super().setUp()
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            try:
                c.close()
            except libvirt.libvirtError:
                pass
        super().tearDown()

    def start_guest(self, name, dirty_mib=32, rate=40, paused=False):
        console = self.define_guest(name, dirty_mib=dirty_mib, rate=rate)
        if os.path.exists(console):
            os.unlink(console)
        virsh(self.src, "start", name)
        cvgtest.wait_console(console, count=3, timeout=90)
        virsh(self.src, "migrate-setmaxdowntime", name, 300)
        if paused:
            virsh(self.src, "suspend", name)
        return console

    def open(self, uri):
        c = libvirt.open(uri)
        self.conns.append(c)
        return c

    def lifecycle(self, conn, name):
        """A list that collects (event, detail) of @name's lifecycle
        events on @conn."""
        seen = []

        def cb(c, dom, event, detail, opaque):
            if dom.name() == name:
                seen.append((event, detail))

        conn.domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, None)
        return seen

    def state(self, uri, name):
        return virsh(uri, "domstate", "--reason", name,
                     check=False).stdout.strip()

    def assert_verify_clean_after(self, console, count=3):
        n = len(console_lines(console, "dirtier: t="))
        wait_for(lambda: len(console_lines(console, "dirtier: t=")) >=
                 n + count, 60, what="dirtier lines after migration")
        lines = console_lines(console)
        self.assertFalse([l for l in lines if "CORRUPT" in l], lines[-5:])
        self.assertIn("verify_errors=0",
                      console_lines(console, "dirtier: t=")[-1])

    def timed(self, what, fn, *args, name=None):
        """Run fn(*args) with a deadline: its result (or libvirtError) and
        how long it took.  A call still blocked after 5 x PROMPT fails the
        test; the migration is then aborted from a second connection,
        which releases it."""
        out = {}

        def call():
            try:
                out["r"] = fn(*args)
            except libvirt.libvirtError as e:
                out["r"] = e

        t = time.monotonic()
        th = threading.Thread(target=call, daemon=True)
        th.start()
        th.join(5 * PROMPT)
        took = time.monotonic() - t
        if th.is_alive():
            for n in self.names:
                virsh(self.src, "domjobabort", n, check=False)
            th.join(60)
            self.fail(f"{what} still blocked after {took:.1f} s")
        self.assertLess(took, PROMPT, f"{what} took {took:.2f} s")
        return out["r"], took

    def abort_until_done(self, dom, mig, timeout=60):
        """abortJob (timed) until the migration thread has ended."""
        deadline = time.monotonic() + timeout
        while not mig.done and time.monotonic() < deadline:
            self.timed("abortJob", dom.abortJob)
            mig.join(0.5)
        mig.join(5)
        self.assertTrue(mig.done, "migration did not end after abortJob")

    def test_1_calls_answer_at_once(self):
        """Tunables, statistics and abort answer in well under PROMPT at
        any moment of a migration, its first 100 ms included, on the
        migration's own connection."""
        self.start_guest("hot1")
        conn = self.open(self.src)
        dom = conn.lookupByName("hot1")
        worst = 0.0
        for delay in (0, 0.05, 0.1, 0.2, 1.0):
            mig = Migrator(dom, self.dst, NOVA_FLAGS)
            mig.start()
            time.sleep(delay)
            for _ in range(5):
                for what, fn, args in (
                        ("migrateSetMaxDowntime", dom.migrateSetMaxDowntime,
                         (300, 0)),
                        ("migrateSetMaxSpeed", dom.migrateSetMaxSpeed,
                         (8192, 0)),
                        ("jobStats", dom.jobStats, ()),
                        ("jobInfo", dom.jobInfo, ()),
                        ("migrateGetMaxDowntime", dom.migrateGetMaxDowntime,
                         (0,))):
                    r, took = self.timed(f"{what} at {delay} s", fn, *args)
                    self.assertNotIsInstance(r, libvirt.libvirtError,
                                             f"{what}: {r}")
                    worst = max(worst, took)
                    if what == "jobStats" and delay >= 0.1:
                        # As libvirt: unbounded from Begin on (the
                        # destination is still being prepared at 0.1 s),
                        # with the elapsed time.
                        self.assertEqual(r.get("type"),
                                         libvirt.VIR_DOMAIN_JOB_UNBOUNDED,
                                         f"jobStats at {delay} s: {r}")
                        self.assertIn("time_elapsed", r)
            self.abort_until_done(dom, mig)
            self.assertIsNotNone(mig.error, "migration completed")
            self.assertEqual(mig.error.get_error_code(),
                             libvirt.VIR_ERR_OPERATION_ABORTED,
                             str(mig.error))
            self.assertEqual(dom.state()[0], libvirt.VIR_DOMAIN_RUNNING)
        print(f"\n  slowest job-control call {worst * 1000:.0f} ms")

    def test_2_suspend_mid_migration_runs_on_destination(self):
        console = self.start_guest("hot2")
        conn = self.open(self.src)
        dom = conn.lookupByName("hot2")
        events = self.lifecycle(conn, "hot2")
        mig = Migrator(dom, self.dst, NOVA_FLAGS)
        mig.start()
        wait_for(lambda: dom.jobStats().get("type") ==
                 libvirt.VIR_DOMAIN_JOB_UNBOUNDED and
                 dom.jobStats().get("memory_iteration", 0) >= 2, 60,
                 what="second pass of the migration")
        time.sleep(3)
        self.assertFalse(mig.done, "migration converged unthrottled")
        _, took = self.timed("suspend", dom.suspend)
        st = self.state(self.src, "hot2")
        if not mig.done:
            self.assertIn("paused (migrating)", st)
        r, _ = self.timed("resume", dom.resume)
        self.assertIsInstance(r, libvirt.libvirtError)
        mig.join(120)
        self.assertTrue(mig.done)
        self.assertIsNone(mig.error, str(mig.error))
        self.assertIn("running (migrated)", self.state(self.dst, "hot2"))
        self.assertNotIn("hot2", virsh(self.src, "list", "--all").stdout)
        wait_for(lambda: (libvirt.VIR_DOMAIN_EVENT_STOPPED,
                          libvirt.VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
                 in events, 10, what="stopped/migrated event")
        # The suspend is one for the migration, as libvirt reports it.
        self.assertIn((libvirt.VIR_DOMAIN_EVENT_SUSPENDED,
                       libvirt.VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED), events)
        self.assertNotIn((libvirt.VIR_DOMAIN_EVENT_SUSPENDED,
                          libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED), events)
        self.assert_verify_clean_after(console)
        print(f"\n  suspend answered in {took * 1000:.0f} ms")

    def test_3_virsh_timeout_suspends(self):
        console = self.start_guest("hot3")
        t = time.monotonic()
        p = virsh(self.src, "migrate", "--live", "--p2p", "--timeout", 5,
                  "--verbose", "hot3", self.dst, timeout=150)
        took = time.monotonic() - t
        self.assertIn("Migration: [100 %]", p.stdout + p.stderr)
        self.assertGreater(took, 5)
        self.assertIn("running (migrated)", self.state(self.dst, "hot3"))
        self.assert_verify_clean_after(console)
        print(f"\n  --timeout 5 completed in {took:.1f} s")

    def test_4_paused_flag(self):
        """virsh migrate --suspend (VIR_MIGRATE_PAUSED): the guest stays
        paused on the destination."""
        self.start_guest("cool4", dirty_mib=8, rate=2)
        events = self.lifecycle(self.open(self.dst), "cool4")
        virsh(self.src, "migrate", "--live", "--suspend", "cool4", self.dst)
        self.assertIn("paused (user)", self.state(self.dst, "cool4"))
        want = [(libvirt.VIR_DOMAIN_EVENT_RESUMED,
                 libvirt.VIR_DOMAIN_EVENT_RESUMED_MIGRATED),
                (libvirt.VIR_DOMAIN_EVENT_SUSPENDED,
                 libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED)]
        wait_for(lambda: all(e in events for e in want), 10,
                 what=f"resumed/migrated, suspended/paused in {events}")
        self.assertLess(events.index(want[0]), events.index(want[1]))
        virsh(self.dst, "resume", "cool4")
        self.assertIn("running", self.state(self.dst, "cool4"))

    def test_5_already_paused_both_paths(self):
        console = self.start_guest("cold5", dirty_mib=8, rate=2, paused=True)
        # Client-driven: virsh adds VIR_MIGRATE_PAUSED for a paused guest.
        virsh(self.src, "migrate", "--live", "cold5", self.dst)
        self.assertIn("paused", self.state(self.dst, "cold5"))
        self.assertNotIn("running", self.state(self.dst, "cold5"))
        # Peer-to-peer, back: the source daemon adds it.
        conn = self.open(self.dst)
        dom = conn.lookupByName("cold5")
        dom.migrateToURI3(self.src, {}, NOVA_FLAGS)
        self.assertIn("paused", self.state(self.src, "cold5"))
        self.assertNotIn("running", self.state(self.src, "cold5"))
        virsh(self.src, "resume", "cold5")
        self.assert_verify_clean_after(console)

    def test_6_nova_loop(self):
        """Nova's monitor: migrateToURI3 P2P|LIVE|PERSIST_DEST|
        UNDEFINE_SOURCE, jobStats every 0.5 s, migrateSetMaxDowntime steps,
        suspend() at its timeout; the migration completes."""
        console = self.start_guest("hot6")
        conn = self.open(self.src)
        dom = conn.lookupByName("hot6")
        mig = Migrator(dom, self.dst, NOVA_FLAGS)
        start = time.monotonic()
        mig.start()
        steps = [(0.2, 50), (2, 100), (4, 200), (6, 300)]
        suspended = False
        slowest = 0.0
        while not mig.done:
            now = time.monotonic() - start
            r, took = self.timed("jobStats", dom.jobStats)
            slowest = max(slowest, took)
            while steps and now >= steps[0][0]:
                _, took = self.timed("migrateSetMaxDowntime",
                                     dom.migrateSetMaxDowntime,
                                     steps.pop(0)[1], 0)
                slowest = max(slowest, took)
            if now >= 8 and not suspended:
                _, took = self.timed("suspend", dom.suspend)
                slowest = max(slowest, took)
                suspended = True
            self.assertLess(now, 150, "migration did not end")
            mig.join(0.5)
        self.assertIsNone(mig.error, str(mig.error))
        self.assertTrue(suspended, "migration converged before the timeout")
        self.assertIn("running (migrated)", self.state(self.dst, "hot6"))
        dconn = self.open(self.dst)
        self.assertTrue(dconn.lookupByName("hot6").isPersistent())
        self.assert_verify_clean_after(console)
        print(f"\n  completed in {time.monotonic() - start:.1f} s, "
              f"slowest call {slowest * 1000:.0f} ms")


if __name__ == "__main__":
    cvgtest.main()
