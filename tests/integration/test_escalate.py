"""The adaptive policy's post-copy escalation (convergd.escalation=postcopy)
between two convergd hosts, driven by python3-libvirt, with real QEMU.

The guest dirties a 48 MiB working set at 40 MiB/s over a link shaped to
100 Mbit/s (about 12 MiB/s) with a throttle ceiling of 30 % (given in its
<convergd:migration> metadata): no throttle under the ceiling makes
pre-copy converge.  With VIR_MIGRATE_POSTCOPY the policy switches to
post-copy by itself at the end of the first pass; without it, it never
does (the test aborts that migration and the guest keeps running on the
source).
"""
import os
import threading
import time

import cvgtest
from cvgtest import wait_for, console_lines, virsh_at as virsh

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)

NAME = "cvgesc"
RATE = "100mbit"
HOT_MIB = 48
WRITE_RATE = 40
METADATA = ('<convergd:migration xmlns:convergd="urn:convergd:migration:1" '
            'ceiling="30"/>')
PARAMS = {"convergd.policy": "adaptive", "convergd.escalation": "postcopy"}
FLAGS = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER |
         libvirt.VIR_MIGRATE_AUTO_CONVERGE)
MIGRATION_S = 150  # bound on each migration


class Escalate(cvgtest.TestbedCase):
    TESTBED_NAME = NAME
    TESTBED_RATE = RATE

    def start_guest(self, name, hot=HOT_MIB, rate=WRITE_RATE):
        console = self.define_guest(name, dirty_mib=hot, rate=rate,
                                    metadata=METADATA)
        self.boot_guest(name, console, rate)
        return console

    def migrate(self, name, flags, stop_after=None):
        """migrateToURI3 in a thread while jobStats() is polled every
        250 ms; abortJob() after @stop_after s.  Returns (result, samples)
        with each sample's convergd.phase, convergd.next_lever and
        iteration."""
        conn = libvirt.open(self.src)
        dom = conn.lookupByName(name)
        result = {}
        samples = []

        def run():
            try:
                dom.migrateToURI3(self.dst, dict(PARAMS), flags)
                result["ok"] = True
            except libvirt.libvirtError as e:
                result["error"] = str(e)

        t = threading.Thread(target=run)
        start = time.time()
        t.start()
        aborted = False
        try:
            while t.is_alive() and time.time() - start < MIGRATION_S:
                time.sleep(0.25)
                try:
                    st = dom.jobStats()
                except libvirt.libvirtError:
                    continue
                samples.append((st.get("convergd.phase"),
                                st.get("convergd.next_lever"),
                                st.get("memory_iteration", 0)))
                if stop_after and not aborted and \
                        time.time() - start > stop_after:
                    dom.abortJob()
                    aborted = True
            if t.is_alive():
                dom.abortJob()
            t.join(timeout=60)
            self.assertFalse(t.is_alive(), "migrateToURI3 did not return")
        finally:
            conn.close()
        return result, samples

    def assert_state(self, uri, name, text):
        out = virsh(uri, "domstate", "--reason", name, check=False)
        self.assertIn(text, out.stdout, f"{uri}: {out.stdout}{out.stderr}")

    def assert_verify_clean_after(self, console, since_lines, count=3):
        wait_for(lambda: len(console_lines(console, "dirtier: t=")) >=
                 since_lines + count, 60, what="dirtier lines after migration")
        lines = console_lines(console)
        self.assertFalse([l for l in lines if "CORRUPT" in l], lines[-5:])
        last = console_lines(console, "dirtier: t=")[-1]
        self.assertIn("verify_errors=0", last)

    def test_1_switches_to_postcopy(self):
        """LIVE|PEER2PEER|AUTO_CONVERGE|POSTCOPY, escalation postcopy:
        the policy switches by itself, the guest runs on the
        destination, its memory check is clean."""
        console = self.start_guest("esc1")
        result, samples = self.migrate(
            "esc1", FLAGS | libvirt.VIR_MIGRATE_POSTCOPY)
        self.assertTrue(result.get("ok"), result)
        levers = [s[1] for s in samples]
        phases = [s[0] for s in samples]
        self.assertIn("postcopy", levers, samples)
        self.assertIn("postcopy", phases, samples)
        # the switch was the policy's (nobody else asked for it), made
        # without throttling first
        with open(os.path.join(self.dir, "a", "convergd.log")) as f:
            log = f.read()
        self.assertIn("policy switches to post-copy", log)
        self.assertNotIn("throttle target", log)
        self.assert_state(self.dst, "esc1", "running (migrated)")
        self.assert_state(self.src, "esc1", "shut off (migrated)")
        n = len(console_lines(console, "dirtier: t="))
        self.assert_verify_clean_after(console, n)

    def test_2_no_postcopy_without_flag(self):
        """The same guest without VIR_MIGRATE_POSTCOPY: never post-copy,
        next_lever never says so; aborted, it keeps running here."""
        self.start_guest("esc2")
        result, samples = self.migrate("esc2", FLAGS, stop_after=25)
        self.assertIn("error", result, result)
        self.assertFalse([s for s in samples if s[0] == "postcopy" or
                          s[1] == "postcopy"], samples)
        self.assertTrue([s for s in samples if s[2] >= 2], samples)
        self.assert_state(self.src, "esc2", "running")
        p = virsh(self.dst, "domstate", "esc2", check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)

    def test_3_no_throttle_when_it_keeps_up(self):
        """A guest that writes slower than the link (16 MiB at 8 MiB/s):
        the policy's bet after the first pass never lands, so no throttle
        at all.  Its hot set is measured before any switch: post-copy, if
        it comes, only takes the tail left by a measured pass (iteration 3
        or later), never the first pass's bet."""
        console = self.start_guest("esc3", hot=16, rate=8)
        result, samples = self.migrate(
            "esc3", FLAGS | libvirt.VIR_MIGRATE_POSTCOPY)
        self.assertTrue(result.get("ok"), result)
        early = [s for s in samples if s[0] == "postcopy" and s[2] < 3]
        self.assertFalse(early, samples)
        conn = libvirt.open(self.src)
        try:
            st = conn.lookupByName("esc3").jobStats(
                libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
        finally:
            conn.close()
        self.assertEqual(st.get("convergd.max_throttle"), 0, st)
        self.assert_state(self.dst, "esc3", "running (migrated)")
        n = len(console_lines(console, "dirtier: t="))
        self.assert_verify_clean_after(console, n)


if __name__ == "__main__":
    cvgtest.main()
