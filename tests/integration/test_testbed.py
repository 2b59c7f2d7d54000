#!/usr/bin/python3
"""tools/testbed.sh: two namespaces, a (shaped) veth link, a convergd in each.

Measures the link with a tiny TCP sink/sender run inside the namespaces
(no ping, nothing to install).  Root only.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402

TESTBED = os.path.join(cvgtest.TOP, "tools", "testbed.sh")
PY = "/usr/bin/python3"
PORT = 47001
KEYS = ["SRC_URI", "DST_URI", "SRC_NS", "DST_NS", "SRC_ADDR", "DST_ADDR",
        "DIR"]

SINK = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    try:
        n = 0
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            n += len(b)
        c.sendall(str(n).encode())
    except OSError:
        pass
    c.close()
"""

SEND = r"""
import json, socket, sys, time
addr, port, mode, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
if mode == "rtt":
    best = None
    for _ in range(n):
        t0 = time.monotonic()
        c = socket.create_connection((addr, port), timeout=10)
        dt = time.monotonic() - t0
        c.close()
        best = dt if best is None else min(best, dt)
    print(json.dumps({"rtt": best}))
else:
    c = socket.create_connection((addr, port), timeout=30)
    buf = b"\0" * (1 << 20)
    t0 = time.monotonic()
    left = n
    while left > 0:
        k = min(left, len(buf))
        c.sendall(buf[:k])
        left -= k
    c.shutdown(socket.SHUT_WR)
    got = int(c.recv(64))
    secs = time.monotonic() - t0
    print(json.dumps({"bytes": got, "secs": secs}))
"""


def testbed(*args, check=True, env=None, timeout=60):
    p = subprocess.run([TESTBED] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout,
                       env=env, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError(f"testbed.sh {' '.join(args)} failed "
                             f"({p.returncode}): {p.stderr}")
    return p


def parse_env(text):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def netns_ino(path):
    return os.stat(path).st_ino


def virsh(uri, *args, check=True):
    p = subprocess.run([cvgtest.VIRSH, "-c", uri] + list(args),
                       capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"virsh {' '.join(args)} on {uri}: {p.stderr}")
    return p


def mounts_named(prefix="cvgtb-"):
    """Pids whose mount namespace holds a mount whose source starts with
    @prefix (the isolated testbed's /etc overlay and hiding tmpfs)."""
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/mountinfo") as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            src = line.split(" - ", 1)[-1].split()
            if len(src) > 1 and src[1].startswith(prefix):
                found.add(int(pid))
    return found


def read_pid(path):
    with open(path) as f:
        return int(f.read())


def pids_mentioning(text):
    out = subprocess.run(["pgrep", "-f", text], capture_output=True,
                         text=True).stdout
    return {int(p) for p in out.split()} - {os.getpid()}


class TestbedCase(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        if not os.access(cvgtest.CONVERGD, os.X_OK):
            self.skipTest("convergd not built")
        self.names = []
        self.sinks = []

    def tearDown(self):
        for p in self.sinks:
            if p.poll() is None:
                p.kill()
            p.wait()
        for name in self.names:
            testbed("down", "--name", name, check=False)

    def up(self, name, *args):
        self.names.append(name)
        p = testbed("up", "--name", name, *args)
        lines = p.stdout.splitlines()
        self.assertEqual([l.split("=", 1)[0] for l in lines], KEYS, p.stdout)
        env = parse_env(p.stdout)
        with open(os.path.join(env["DIR"], "env")) as f:
            self.assertEqual(f.read(), p.stdout)
        return env

    def sink(self, env):
        p = subprocess.Popen(["ip", "netns", "exec", env["DST_NS"], PY, "-c",
                              SINK, env["DST_ADDR"], str(PORT)],
                             stdout=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL)
        self.sinks.append(p)
        self.assertEqual(p.stdout.readline().strip(), "ready")
        return p

    def send(self, env, mode, n):
        p = subprocess.run(["ip", "netns", "exec", env["SRC_NS"], PY, "-c",
                            SEND, env["DST_ADDR"], str(PORT), mode, str(n)],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def mbit(self, env, size=20_000_000):
        r = self.send(env, "bytes", size)
        self.assertEqual(r["bytes"], size)
        mbps = r["bytes"] * 8 / r["secs"] / 1e6
        print(f"  {size / 1e6:g} MB in {r['secs']:.3f} s = {mbps:.1f} Mbit/s",
              flush=True)
        return mbps

    def rtt_ms(self, env):
        ms = self.send(env, "rtt", 5)["rtt"] * 1000
        print(f"  min TCP connect RTT {ms:.2f} ms", flush=True)
        return ms


class TestTestbed(TestbedCase):
    def test_up_env_and_daemons(self):
        env = self.up("cvgtt1")
        d = env["DIR"]
        self.assertEqual(d, "/tmp/convergd-testbed-cvgtt1")
        self.assertEqual(env["SRC_URI"],
                         f"qemu+unix:///system?socket={d}/a/sock")
        self.assertEqual(env["DST_URI"],
                         f"qemu+unix:///system?socket={d}/b/sock")
        self.assertEqual((env["SRC_NS"], env["DST_NS"]),
                         ("cvgtt1-a", "cvgtt1-b"))
        self.assertTrue(env["SRC_ADDR"].startswith("169.254.77."))
        self.assertNotEqual(env["SRC_ADDR"], env["DST_ADDR"])
        for uri in (env["SRC_URI"], env["DST_URI"]):
            virsh(uri, "list", "--all")
        for x, ns, addr in (("a", env["SRC_NS"], env["SRC_ADDR"]),
                            ("b", env["DST_NS"], env["DST_ADDR"])):
            with open(f"{d}/{x}/convergd.pid") as f:
                pid = int(f.read())
            self.assertTrue(alive(pid))
            # Each daemon runs inside its own namespace...
            self.assertEqual(netns_ino(f"/proc/{pid}/ns/net"),
                             netns_ino(f"/run/netns/{ns}"))
            # ...and hands its own veth address to QEMU for migration.
            with open(f"{d}/{x}/convergd.conf") as f:
                conf = f.read()
            self.assertIn(f'migration_address = "{addr}"', conf)
            self.assertIn(f'migration_host = "{addr}"', conf)
        # Sourcing the env file works in a shell.
        out = subprocess.run(["sh", "-c", f'. {d}/env && echo "$DST_URI"'],
                             capture_output=True, text=True).stdout.strip()
        self.assertEqual(out, env["DST_URI"])
        st = testbed("status", "--name", "cvgtt1")
        self.assertIn("state=up", st.stdout)

    def test_shaping(self):
        env = self.up("cvgtt1", "--dir", "/tmp/cvgtt1-custom-dir")
        self.assertEqual(env["DIR"], "/tmp/cvgtt1-custom-dir")
        self.sink(env)
        free = self.mbit(env)
        testbed("shape", "--name", "cvgtt1", "--rate", "100mbit")
        shaped = self.mbit(env)
        self.assertGreater(shaped, 50, "shaped link far below its rate")
        self.assertLess(shaped, 130, "shaping not effective")
        self.assertGreater(free, 3 * shaped)
        testbed("unshape", "--name", "cvgtt1")
        self.assertGreater(self.mbit(env), 3 * shaped)

    def test_up_with_rate_and_delay(self):
        env = self.up("cvgtt1")
        self.sink(env)
        base = self.rtt_ms(env)
        testbed("shape", "--name", "cvgtt1", "--delay", "40ms")
        delayed = self.rtt_ms(env)
        # 40 ms each way: a connect (SYN, SYN-ACK) takes >= 80 ms.
        self.assertGreaterEqual(delayed - base, 40)
        self.assertLess(delayed, 80 + 60)
        testbed("unshape", "--name", "cvgtt1")
        self.assertLess(self.rtt_ms(env), 20)
        # Rate and delay together, given to `up` (which replaces the
        # running testbed of the same name).
        self.sinks.pop().kill()
        old_pid = open(f"{env['DIR']}/a/convergd.pid").read()
        env = self.up("cvgtt1", "--rate", "200mbit", "--delay", "10ms")
        self.assertFalse(alive(int(old_pid)))
        self.sink(env)
        self.assertGreaterEqual(self.rtt_ms(env), 20)
        mbps = self.mbit(env)
        self.assertGreater(mbps, 40)
        self.assertLess(mbps, 260)

    def test_down(self):
        env = self.up("cvgtt1")
        d = env["DIR"]
        pids = [int(open(f"{d}/{x}/convergd.pid").read()) for x in "ab"]
        guest_pid = None
        if os.path.exists(os.path.join(cvgtest.GUEST, "vmlinuz")):
            xml = os.path.join(d, "g.xml")
            with open(xml, "w") as f:
                f.write(cvgtest.guest_xml("tbguest", f"{d}/a/console.log"))
            virsh(env["SRC_URI"], "create", xml)
            st = f"{d}/a/state/run/tbguest.status"
            line = cvgtest.wait_for(
                lambda: os.path.exists(st) and
                [l for l in open(st) if l.startswith("pid=")], 10,
                what="status file")[0]
            guest_pid = int(line.split("=")[1])
            self.assertIn(str(guest_pid), subprocess.run(
                ["ip", "netns", "pids", env["SRC_NS"]],
                capture_output=True, text=True).stdout.split(),
                "QEMU should run in the source namespace")
        testbed("down", "--name", "cvgtt1")
        for pid in pids + ([guest_pid] if guest_pid else []):
            self.assertFalse(alive(pid), f"pid {pid} survived down")
        for ns in (env["SRC_NS"], env["DST_NS"]):
            self.assertFalse(os.path.exists(f"/run/netns/{ns}"))
        self.assertFalse(os.path.exists(d))
        testbed("down", "--name", "cvgtt1")          # twice is fine
        st = testbed("status", "--name", "cvgtt1", check=False)
        self.assertNotEqual(st.returncode, 0)
        self.assertIn("state=down", st.stdout)

    def test_two_testbeds(self):
        e1 = self.up("cvgtt1", "--rate", "100mbit")
        e2 = self.up("cvgtt2")
        self.assertNotEqual(e1["DIR"], e2["DIR"])
        self.assertNotEqual(e1["SRC_ADDR"], e2["SRC_ADDR"])
        for e in (e1, e2):
            virsh(e["SRC_URI"], "list", "--all")
            virsh(e["DST_URI"], "list", "--all")
        self.sink(e2)
        self.assertGreater(self.mbit(e2, 50_000_000), 300)  # unshaped
        testbed("down", "--name", "cvgtt2")
        virsh(e1["DST_URI"], "list", "--all")          # still up
        self.assertIn("state=up", testbed("status", "--name", "cvgtt1").stdout)

    def test_failures(self):
        name = "cvgtt3"
        self.names.append(name)
        env = dict(os.environ, CONVERGD="/nonexistent/convergd")
        p = testbed("up", "--name", name, check=False, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ninja -C build", p.stderr)
        # A daemon that dies at start: up fails and cleans up after itself.
        env = dict(os.environ, CONVERGD="/bin/false")
        p = testbed("up", "--name", name, check=False, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("exited during start-up", p.stderr)
        self.assertFalse(os.path.exists(f"/run/netns/{name}-a"))
        self.assertFalse(os.path.exists(f"/tmp/convergd-testbed-{name}"))
        p = testbed("up", "--name", name, "--rate", "fast", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("bad --rate", p.stderr)
        p = testbed("shape", "--name", name, "--rate", "1mbit", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not up", p.stderr)
        # down copes with a half-made testbed.
        subprocess.run(["ip", "netns", "add", f"{name}-a"], check=True)
        testbed("down", "--name", name)
        self.assertFalse(os.path.exists(f"/run/netns/{name}-a"))

    def test_isolated_up_and_down(self):
        name = "cvgtt4"
        self.names.append(name)
        p = testbed("up", "--name", name, "--isolated")
        env = parse_env(p.stdout)
        keys = [l.split("=", 1)[0] for l in p.stdout.splitlines()]
        self.assertEqual(keys[:len(KEYS)], KEYS)
        for k in ("SRC_EXEC", "DST_EXEC", "SRC_SSH_URI", "DST_SSH_URI",
                  "SRC_TLS_URI", "DST_TLS_URI", "SRC_TCP_URI", "DST_TCP_URI",
                  "SHARED", "CLIENT_PKI", "SSH_KEY", "BAD_PKI"):
            self.assertIn(k, env)
        d = env["DIR"]
        # Every value is shell-safe: sourcing the env file gives them back.
        out = subprocess.run(
            ["sh", "-c", f'. {d}/env && echo "$SRC_SSH_URI $DST_EXEC"'],
            capture_output=True, text=True).stdout.strip()
        self.assertEqual(out, f"{env['SRC_SSH_URI']} {env['DST_EXEC']}")
        holders = [read_pid(f"{d}/{x}/holder.pid") for x in "ab"]
        daemons = [read_pid(f"{d}/{x}/convergd.pid") for x in "ab"]
        sshds = [read_pid(f"{d}/{x}/sshd/sshd.pid") for x in "ab"]
        self.assertTrue(set(holders) <= mounts_named())
        for uri in (env["SRC_URI"], env["DST_URI"]):
            virsh(uri, "list", "--all")
        for x in "ab":
            self.assertTrue(os.path.exists(f"{d}/{x}/run/libvirt/libvirt-sock"))
        self.assertIn("state=up", testbed("status", "--name", name).stdout)
        # A process started inside a host goes down with it.
        side = subprocess.Popen([env["SRC_EXEC"], "sleep", "600"])
        testbed("down", "--name", name)
        side.wait(10)
        for pid in holders + daemons + sshds:
            self.assertFalse(alive(pid), f"pid {pid} survived down")
        self.assertEqual(mounts_named(), set())
        self.assertEqual(pids_mentioning(d), set())
        self.assertFalse(os.path.exists(d))
        for ns in (env["SRC_NS"], env["DST_NS"]):
            self.assertFalse(os.path.exists(f"/run/netns/{ns}"))

    def test_isolated_failures(self):
        name = "cvgtt5"
        self.names.append(name)
        p = testbed("up", "--name", name, "--listen", "tcp", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--listen needs --isolated", p.stderr)
        p = testbed("up", "--name", name, "--isolated", "--listen", "udp",
                    check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--listen takes", p.stderr)
        # A daemon that dies at start: holders and sshd go too.
        env = dict(os.environ, CONVERGD="/bin/false")
        p = testbed("up", "--name", name, "--isolated", check=False, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("exited during start-up", p.stderr)
        d = f"/tmp/convergd-testbed-{name}"
        self.assertFalse(os.path.exists(d))
        self.assertEqual(pids_mentioning(d), set())
        self.assertEqual(mounts_named(), set())
        self.assertFalse(os.path.exists(f"/run/netns/{name}-a"))


if __name__ == "__main__":
    cvgtest.main()
