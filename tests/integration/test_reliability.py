"""Reliability: daemon restarts, a packet storm, load and keepalive, all
against real convergd daemons with real QEMU, virsh and python3-libvirt."""
import os
import random
import signal
import struct
import subprocess
import threading
import time
import unittest
import uuid

import cvgtest
from cvgtest import (Daemon, RawClient, guest_xml, rpc_frame, wait_for,
                     console_lines, TESTBED, VIRSH, REMOTE_PROG,
                     KEEPALIVE_PROG, RPC_MESSAGE)

import libvirt

# Expected errors are asserted by code; keep libvirt from printing them.
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def define_and_start(d, name, **kw):
    console = os.path.join(d.dir, f"{name}.console")
    path = os.path.join(d.dir, f"{name}.xml")
    with open(path, "w") as f:
        f.write(guest_xml(name, console, uuid=str(uuid.uuid4()), **kw))
    d.virsh("define", path)
    d.virsh("start", name)
    cvgtest.wait_console(console, count=1, timeout=60)
    return console


class Restart(unittest.TestCase):
    def setUp(self):
        self.d = Daemon("rst")

    def tearDown(self):
        self.d.cleanup()

    def test_sigkill_reattach(self):
        """A guest survives SIGKILL of its daemon and is re-attached with its
        state; it can be paused and destroyed afterwards."""
        console = define_and_start(self.d, "g1")
        self.d.virsh("migrate-setmaxdowntime", "g1", 700)
        before = self.d.virsh("dominfo", "g1").stdout
        pid = [l for l in before.splitlines() if l.startswith("Id:")]
        self.d.stop(signal.SIGKILL)
        n = len(console_lines(console, "dirtier: t="))
        wait_for(lambda: len(console_lines(console, "dirtier: t=")) > n + 1,
                 20, what="guest still running without its daemon")
        self.d.start()
        self.assertIn("running", self.d.virsh("domstate", "g1").stdout)
        after = self.d.virsh("dominfo", "g1").stdout
        self.assertEqual(pid, [l for l in after.splitlines()
                               if l.startswith("Id:")])
        self.assertEqual(self.d.virsh("migrate-getmaxdowntime", "g1")
                         .stdout.strip(), "700")
        self.d.virsh("suspend", "g1")
        self.assertIn("paused", self.d.virsh("domstate", "g1").stdout)
        self.d.virsh("resume", "g1")
        self.d.virsh("destroy", "g1")
        self.assertIn("shut off", self.d.virsh("domstate", "g1").stdout)

    def test_guest_died_while_daemon_down(self):
        define_and_start(self.d, "g2")
        run = os.path.join(self.d.state, "run", "g2.status")
        pid = int([l for l in open(run) if l.startswith("pid=")][0]
                  .split("=")[1])
        self.d.stop(signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        self.d.start()
        out = self.d.virsh("domstate", "--reason", "g2").stdout
        self.assertIn("shut off (crashed)", out)
        self.assertFalse(os.path.exists(run))


class Storm(unittest.TestCase):
    """Many clients send random, truncated, oversized and out-of-order
    frames while a real virsh session keeps working."""

    def setUp(self):
        self.d = Daemon("storm")

    def tearDown(self):
        self.d.cleanup()

    def test_packet_storm(self):
        rng = random.Random(1234)
        stop = time.time() + 15
        frames = [0]
        errors = []

        def stormer(seed):
            r = random.Random(seed)
            while time.time() < stop:
                try:
                    c = RawClient(self.d.socket, timeout=2)
                except OSError as e:
                    errors.append(e)
                    continue
                try:
                    for _ in range(r.randint(1, 30)):
                        kind = r.randrange(6)
                        if kind == 0:      # random bytes
                            data = os.urandom(r.randint(1, 200))
                        elif kind == 1:    # truncated frame
                            data = rpc_frame(REMOTE_PROG, r.randint(1, 450),
                                             os.urandom(r.randint(0, 64)))
                            data = data[:r.randint(1, len(data))]
                        elif kind == 2:    # oversized length word
                            data = struct.pack(">I", r.choice(
                                [0, 27, 16 * 1024 * 1024 + 5, 0xffffffff]))
                        elif kind == 3:    # valid header, random payload
                            data = rpc_frame(REMOTE_PROG, r.randint(1, 450),
                                             os.urandom(r.randint(0, 300)),
                                             serial=r.getrandbits(32))
                        elif kind == 4:    # out-of-order types and serials
                            data = rpc_frame(r.choice([REMOTE_PROG,
                                                       KEEPALIVE_PROG, 7]),
                                             r.randint(0, 5), b"",
                                             typ=r.randint(0, 6),
                                             serial=r.getrandbits(32))
                        else:              # a burst of pings
                            data = rpc_frame(KEEPALIVE_PROG, 1, b"",
                                             typ=RPC_MESSAGE, serial=0) * 20
                        c.send(data)
                        frames[0] += 1
                except OSError:
                    pass
                finally:
                    c.close()

        threads = [threading.Thread(target=stormer, args=(rng.random(),))
                   for _ in range(8)]
        for t in threads:
            t.start()
        ok = 0
        while time.time() < stop:
            t0 = time.time()
            out = self.d.virsh("list", "--all", timeout=30)
            self.assertIn("Name", out.stdout)
            self.assertLess(time.time() - t0, 5)
            ok += 1
        for t in threads:
            t.join()
        self.assertTrue(self.d.alive(), self.d.tail())
        self.assertGreater(ok, 3)
        print(f"\n  storm frames sent: {frames[0]}, virsh calls during "
              f"the storm: {ok}")
        self.assertIn("Name", self.d.virsh("list", "--all").stdout)


class Keepalive(unittest.TestCase):
    def setUp(self):
        self.d = Daemon("ka", config="keepalive_interval = 1\n"
                                     "keepalive_count = 2\n")

    def tearDown(self):
        self.d.cleanup()

    def test_silent_pinging_client_is_dropped(self):
        c = RawClient(self.d.socket, timeout=10)
        c.send(rpc_frame(KEEPALIVE_PROG, 1, b"", typ=RPC_MESSAGE, serial=0))
        m = c.recv()
        self.assertEqual((m["prog"], m["proc"]), (KEEPALIVE_PROG, 2))
        t0 = time.time()
        # Never answer the daemon's pings: it must drop us.
        self.assertTrue(c.closed_by_peer(timeout=10))
        self.assertLess(time.time() - t0, 8)
        # A client that never pinged (python without an event loop) is
        # left alone however long it idles.
        quiet = RawClient(self.d.socket, timeout=5)
        self.assertFalse(quiet.closed_by_peer(timeout=4))
        quiet.close()

    def test_no_tcp_listener(self):
        out = subprocess.run(["ss", "-ltnpH"], capture_output=True,
                             text=True).stdout
        self.assertNotIn(f"pid={self.d.proc.pid},", out)


class Load(unittest.TestCase):
    """Two migrations at once in opposite directions, with 20 clients
    polling domjobinfo during them."""

    @classmethod
    def setUpClass(cls):
        subprocess.run(["bash", TESTBED, "down", "--name", "cvgload"],
                       capture_output=True)
        p = subprocess.run(["bash", TESTBED, "up", "--name", "cvgload",
                            "--rate", "200mbit"], capture_output=True,
                           text=True, check=True)
        cls.env = dict(l.split("=", 1) for l in p.stdout.splitlines()
                       if "=" in l)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["bash", TESTBED, "down", "--name", "cvgload"],
                       capture_output=True)

    def start(self, uri, name):
        console = os.path.join(self.env["DIR"], f"{name}.console")
        path = os.path.join(self.env["DIR"], f"{name}.xml")
        with open(path, "w") as f:
            f.write(guest_xml(name, console, mem_mib=128, dirty_mib=8,
                              rate=4, uuid=str(uuid.uuid4())))
        subprocess.run([VIRSH, "-c", uri, "define", path], check=True,
                       capture_output=True)
        subprocess.run([VIRSH, "-c", uri, "start", name], check=True,
                       capture_output=True)
        return console

    def test_opposite_migrations_with_pollers(self):
        a, b = self.env["SRC_URI"], self.env["DST_URI"]
        ca = self.start(a, "east")
        cb = self.start(b, "west")
        cvgtest.wait_console(ca, 1, 60)
        cvgtest.wait_console(cb, 1, 60)
        stop = threading.Event()
        polls = [0]
        poll_errors = []

        def poller(uri, name):
            conn = libvirt.open(uri)
            try:
                while not stop.is_set():
                    try:
                        conn.lookupByName(name).jobStats()
                        polls[0] += 1
                    except libvirt.libvirtError as e:
                        # the domain moves away: NO_DOMAIN or not running
                        if e.get_error_code() not in (
                                libvirt.VIR_ERR_NO_DOMAIN,
                                libvirt.VIR_ERR_OPERATION_INVALID):
                            poll_errors.append(str(e))
                    time.sleep(0.05)
            finally:
                conn.close()

        pollers = [threading.Thread(target=poller,
                                    args=((a, "east") if i % 2 else
                                          (b, "west")))
                   for i in range(20)]
        for t in pollers:
            t.start()
        results = {}

        def migrate(src, dst, name):
            p = subprocess.run([VIRSH, "-c", src, "migrate", "--live",
                                "--p2p", "--auto-converge", name, dst],
                               capture_output=True, text=True, timeout=240)
            results[name] = (p.returncode, p.stderr)

        ms = [threading.Thread(target=migrate, args=(a, b, "east")),
              threading.Thread(target=migrate, args=(b, a, "west"))]
        for t in ms:
            t.start()
        for t in ms:
            t.join()
        stop.set()
        for t in pollers:
            t.join()
        self.assertEqual(results["east"][0], 0, results)
        self.assertEqual(results["west"][0], 0, results)
        self.assertFalse(poll_errors, poll_errors[:3])
        self.assertGreater(polls[0], 100)
        for uri, name in ((b, "east"), (a, "west")):
            out = subprocess.run([VIRSH, "-c", uri, "domstate", "--reason",
                                  name], capture_output=True, text=True)
            self.assertIn("running (migrated)", out.stdout)
        print(f"\n  job-stats polls during the migrations: {polls[0]}")


if __name__ == "__main__":
    cvgtest.main()
