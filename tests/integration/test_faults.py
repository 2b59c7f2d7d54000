"""Fault injection during running migrations, on the two-host testbed with
real QEMU and real virsh.

Each round starts a live migration of a guest that never converges on its
own (32 MiB dirtied at 40 MiB/s over a 100 Mbit/s link), injects one fault
while data moves, and checks the outcome: the migration reports failure,
the guest runs on exactly one host with its dirtier still counting and its
memory check clean, and nothing is left behind (QEMU processes, status
files, listening migration ports).  The test prints the number of faults
injected and of guests lost.
"""
import os
import signal
import subprocess
import time
import unittest
import uuid

import cvgtest
from cvgtest import (VIRSH, guest_xml, wait_for, console_lines, testbed,
                     jobinfo_at, virsh_at as virsh)

NAME = "cvgflt"
ROUNDS = int(os.environ.get("CVG_FAULT_ROUNDS", "9"))
GUEST = "victim"
# migration_stall_timeout of the testbed daemons: a cut link is noticed by
# the source daemon after this many seconds without progress.
STALL_S = 5


# Memory a migration has sent before a fault is injected: RAM pages are
# on the wire, and the first pass is far from done.
MOVING_MIB = 8
_UNITS = {"B": 1 / (1 << 20), "KiB": 1 / 1024, "MiB": 1, "GiB": 1024,
          "TiB": 1 << 20}


def processed_mib(uri):
    """MiB the running outgoing migration of GUEST has sent (domjobinfo's
    Memory processed); 0 while there is none."""
    info = jobinfo_at(uri, GUEST)
    if info.get("Job type") != "Unbounded" or "Memory processed" not in info:
        return 0
    value, unit = info["Memory processed"].split()
    return float(value) * _UNITS[unit]


class Host:
    """One side of the testbed: its daemon can be killed and restarted."""

    def __init__(self, env, side):
        self.side = side
        self.uri = env["SRC_URI" if side == "a" else "DST_URI"]
        self.ns = env["SRC_NS" if side == "a" else "DST_NS"]
        self.dir = os.path.join(env["DIR"], side)
        self.state = os.path.join(self.dir, "state")
        with open(os.path.join(self.dir, "convergd.pid")) as f:
            self.pid = int(f.read().strip())
        with open(f"/proc/{self.pid}/cmdline", "rb") as f:
            self.cmd = [a.decode() for a in f.read().split(b"\0") if a]

    def kill(self, sig):
        os.kill(self.pid, sig)
        wait_for(lambda: not os.path.exists(f"/proc/{self.pid}") or
                 open(f"/proc/{self.pid}/stat").read().split()[2] == "Z",
                 30, what=f"daemon {self.side} to exit")

    def start(self):
        sock = self.uri.split("socket=")[1]
        if os.path.exists(sock):
            os.unlink(sock)
        log = open(os.path.join(self.dir, "convergd.log"), "a")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, "setsid"] +
                             self.cmd, stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(sock), 20, what="daemon socket")
        # setsid forks when it is a process-group leader: find the daemon.
        out = subprocess.run(["pgrep", "-f", f"--socket {sock}"],
                             capture_output=True, text=True).stdout.split()
        self.pid = int(out[0]) if out else p.pid
        with open(os.path.join(self.dir, "convergd.pid"), "w") as f:
            f.write(str(self.pid))

    def restart(self, sig):
        self.kill(sig)
        self.start()

    def qemu_pids(self, name):
        pids = []
        for pid in subprocess.run(["ip", "netns", "pids", self.ns],
                                  capture_output=True,
                                  text=True).stdout.split():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "qemu-system" in cmd and f"guest={name}," in cmd:
                pids.append(int(pid))
        return pids

    def running(self, name):
        out = virsh(self.uri, "domstate", name, check=False)
        return out.returncode == 0 and out.stdout.strip() == "running"

    def listening_ports(self):
        out = subprocess.run(["ip", "netns", "exec", self.ns, "ss", "-ltnH"],
                             capture_output=True, text=True).stdout
        ports = set()
        for line in out.splitlines():
            try:
                ports.add(int(line.split()[3].rsplit(":", 1)[1]))
            except (IndexError, ValueError):
                pass
        return {p for p in ports if 49152 <= p <= 49215}


class Faults(unittest.TestCase):
    faults = 0
    lost = 0

    @classmethod
    def setUpClass(cls):
        testbed("down", "--name", NAME)
        cls.env = testbed("up", "--name", NAME, "--rate", "100mbit",
                          "--set", f"migration_stall_timeout={STALL_S}")
        cls.src = Host(cls.env, "a")
        cls.dst = Host(cls.env, "b")
        cls.console = os.path.join(cls.env["DIR"], "victim.console")
        xml = guest_xml(GUEST, cls.console, mem_mib=256, dirty_mib=32,
                        rate=40, verify=True, uuid=str(uuid.uuid4()))
        path = os.path.join(cls.env["DIR"], "victim.xml")
        with open(path, "w") as f:
            f.write(xml)
        virsh(cls.src.uri, "define", path)
        cvgtest.boot_at_rate(lambda: virsh(cls.src.uri, "start", GUEST),
                             lambda: virsh(cls.src.uri, "destroy", GUEST),
                             cls.console, 40)

    @classmethod
    def tearDownClass(cls):
        print(f"\nfaults injected: {cls.faults}, guests lost: {cls.lost}")
        testbed("down", "--name", NAME)

    def where(self):
        """Hosts on which the guest runs, by daemon and by QEMU process."""
        return [h for h in (self.src, self.dst)
                if h.running(GUEST) or h.qemu_pids(GUEST)]

    def start_migration(self, p2p):
        args = [VIRSH, "-c", self.src.uri, "migrate", "--live"]
        if p2p:
            args.append("--p2p")
        mig = subprocess.Popen(args + [GUEST, self.dst.uri],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        # The fault lands while guest memory moves, however long the two
        # QEMUs took to start (a fixed pause used to stand for that).
        wait_for(lambda: self.dst.qemu_pids(GUEST) and
                 processed_mib(self.src.uri) >= MOVING_MIB, 60,
                 what=f"migration under way, {MOVING_MIB} MiB sent")
        return mig

    def check_outcome(self, mig, fault, expect_error=None):
        """The caller saw a failure and the guest runs once, on the source."""
        try:
            _, err = mig.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            mig.kill()
            mig.communicate()
            self.fail(f"{fault}: virsh migrate did not end")
        self.assertNotEqual(mig.returncode, 0, f"{fault}: migration succeeded")
        if expect_error:
            self.assertIn(expect_error, err, fault)
        Faults.faults += 1
        try:
            wait_for(lambda: self.src.running(GUEST) and
                     len(self.src.qemu_pids(GUEST)) == 1 and
                     not self.dst.qemu_pids(GUEST) and
                     not self.dst.running(GUEST), 60,
                     what=f"{fault}: guest on the source only")
        except AssertionError:
            Faults.lost += 1
            raise
        n = len(console_lines(self.console, "dirtier: t="))
        wait_for(lambda: len(console_lines(self.console, "dirtier: t=")) >= n + 2,
                 30, what=f"{fault}: dirtier counting")
        lines = console_lines(self.console)
        self.assertFalse([l for l in lines if "CORRUPT" in l], fault)
        self.assertIn("verify_errors=0", lines[-1], fault)
        run = os.path.join(self.dst.state, "run")
        wait_for(lambda: not [f for f in os.listdir(run)
                              if f.startswith(GUEST)], 20,
                 what=f"{fault}: destination status files gone")
        self.assertEqual(self.dst.listening_ports(), set(), fault)
        self.assertNotIn(GUEST, virsh(self.dst.uri, "list", "--all").stdout)

    def round(self, fault, inject, p2p, expect_error=None,
              expect_error_p2p_only=False):
        for i in range(ROUNDS):
            with self.subTest(fault=fault, round=i):
                use_p2p = p2p if p2p is not None else i % 2 == 0
                mig = self.start_migration(p2p=use_p2p)
                inject()
                want = (expect_error
                        if use_p2p or not expect_error_p2p_only else None)
                self.check_outcome(mig, f"{fault} #{i}", want)

    def test_1_kill_destination_qemu(self):
        def inject():
            for pid in self.dst.qemu_pids(GUEST):
                os.kill(pid, signal.SIGKILL)
        self.round("kill destination QEMU", inject, None)

    def test_2_kill_destination_daemon(self):
        def inject():
            self.dst.kill(signal.SIGKILL)
            time.sleep(1)
            self.dst.start()
        self.round("kill destination daemon", inject, True)

    def test_3_cut_link(self):
        # The daemon itself must notice that nothing moves: nobody aborts
        # the job.  Without that the link comes back, the migration (no
        # auto-converge, dirtying faster than the link) goes on and
        # check_outcome's wait for virsh ends in a failure.
        log = os.path.join(self.src.dir, "convergd.log")

        def stalls():
            with open(log, errors="replace") as f:
                return f.read().count("sent nothing for")

        def inject():
            before = stalls()
            subprocess.run(["ip", "-n", self.src.ns, "link", "set", "veth-a",
                            "down"], check=True)
            try:
                wait_for(lambda: stalls() > before, STALL_S + 10,
                         what="the source daemon cancelling the stalled "
                              "migration")
            finally:
                subprocess.run(["ip", "-n", self.src.ns, "link", "set",
                                "veth-a", "up"], check=True)
        # A peer-to-peer caller gets the source's error; virsh's
        # client-driven migration reports the destination's Finish instead.
        self.round("cut the link", inject, None, expect_error="stalled",
                   expect_error_p2p_only=True)

    def test_4_domjobabort(self):
        self.round("domjobabort",
                   lambda: virsh(self.src.uri, "domjobabort", GUEST), None)

    def test_5_restart_source_daemon_sigterm(self):
        self.round("SIGTERM source daemon",
                   lambda: self.src.restart(signal.SIGTERM), True)

    def test_6_restart_source_daemon_sigkill(self):
        self.round("SIGKILL source daemon",
                   lambda: self.src.restart(signal.SIGKILL), True)


if __name__ == "__main__":
    cvgtest.main()
