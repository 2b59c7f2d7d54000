#!/usr/bin/python3
"""Migrating a guest with its disk and its NIC between isolated hosts.

An isolated testbed with a bridge in each host (tools/testbed.sh up
--isolated --bridge) whose daemons map the network 'lab' to that bridge
(networks = ["lab:cvgbr0"]).  The disk guest (tools/guest/build-disk.sh)
runs from a qcow2 overlay whose backing file is in DIR/shared (standing for
NFS), with virtio-net on <interface type='network'> and its serial console
in a file.  Real virsh drives the daemons:

- a writable disk with cache='writeback' is refused with MIGRATE_UNSAFE;
- an unknown network fails the start, and fails a migration at Prepare (a
  destination XML naming it), with the guest still running on the source;
- `virsh domstats --block --interface` names the disk and the tap;
- `virsh migrate --live --auto-converge`: the guest keeps writing on the
  destination, and QEMU's announce (RARP from the guest's MAC) reaches the
  other host's bridge after switchover;
- `virsh domjobabort` mid-migration and a destination QEMU killed
  mid-migration leave the guest writing on the source, the destination
  empty;
- a second guest on the same image is refused at start (QEMU's image lock);
- at the end the guest is killed and started again from its image: every
  record the diskwriter reported is there, none bad;
- a TCP stream from the destination host to a guest (busybox sh as init
  on a pty console, `nc -ll -e cat` as an echo server) keeps flowing
  across the switchover; the longest gap between echoes is printed.

Root only; run with /usr/bin/python3 under the integration lock.
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
import tty
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import (disk_guest_dir, make_overlay, virsh_at,  # noqa: E402
                     wait_for)

NAME = "cvgmigdisk"
GUEST = "mdweb"
MAC = "52:54:00:4d:44:01"
SLOW_MIB_S = 1  # --bandwidth that keeps a migration going for a while

# Run in the source host: waits for a RARP frame (QEMU's announce) from
# MAC on the bridge, prints the seconds it waited and exits.
RARP_SNIFFER = r"""
import socket, sys, time
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x8035))
s.bind((sys.argv[1], 0))
s.settimeout(float(sys.argv[3]))
print("ready", flush=True)
t0 = time.time()
while True:
    frame = s.recv(2048)
    if frame[6:12] == mac:
        print("rarp %.3f" % (time.time() - t0), flush=True)
        break
"""


# Run in the destination host: a line every 10 ms to the guest's echo
# server for DURATION s; prints "done ECHOED SENT MAXGAP_MS LAST_MS CLOSED".
ECHO_CLIENT = r"""
import socket, sys, time
ip, port, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t_end = time.time() + 60
while True:
    try:
        s = socket.create_connection((ip, port), timeout=2)
        break
    except OSError:
        if time.time() > t_end:
            raise
        time.sleep(0.5)
print("connected", flush=True)
s.settimeout(0.01)
end = time.time() + duration
last = time.time()
maxgap = 0.0
echoed = sent = 0
closed = False
while time.time() < end:
    s.sendall(b"%d\n" % sent)
    sent += 1
    try:
        data = s.recv(65536)
    except socket.timeout:
        data = None
    if data == b"":
        closed = True
        break
    if data:
        now = time.time()
        maxgap = max(maxgap, now - last)
        last = now
        echoed += data.count(b"\n")
    time.sleep(0.01)
print("done %d %d %.0f %.0f %d" % (echoed, sent, maxgap * 1000,
                                    (time.time() - last) * 1000, closed),
      flush=True)
"""
ECHO_PORT = 7000
STREAM_S = 20


def records_line(console):
    """The diskwriter's 'verified ...' line as (records, bad), or None."""
    for line in cvgtest.console_lines(console, "diskwriter: verified "):
        words = line.split()
        return int(words[2]), int(words[4].rstrip(","))
    return None


def last_seq(console):
    lines = cvgtest.console_lines(console, "diskwriter: t=")
    return int(lines[-1].split("seq=")[1]) if lines else -1


class TestMigrateDiskGuest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        cls.gdir = disk_guest_dir()
        cvgtest.testbed("down", "--name", NAME)
        cls.env = cvgtest.testbed("up", "--name", NAME, "--isolated",
                                  "--bridge", "--set",
                                  'networks=["lab:cvgbr0"]')
        cls.src, cls.dst = cls.env["SRC_URI"], cls.env["DST_URI"]
        cls.shared = cls.env["SHARED"]
        cls.base = os.path.join(cls.shared, "base.qcow2")
        cls.top = os.path.join(cls.shared, f"{GUEST}.qcow2")
        cls.console = os.path.join(cls.shared, f"{GUEST}.console")
        shutil.copyfile(os.path.join(cls.gdir, "disk.qcow2"), cls.base)
        make_overlay(cls.top, cls.base)

    @classmethod
    def tearDownClass(cls):
        cvgtest.testbed("down", "--name", NAME)

    def xml(self, name, cache="none", network="lab", image=None,
            console=None):
        nic = f"""    <interface type='network'>
      <mac address='{MAC}'/>
      <source network='{network}'/>
      <model type='virtio'/>
    </interface>
"""
        return cvgtest.disk_guest_xml(
            name, console or self.console, image or self.top, rate=20,
            cache=cache, extra_disks=nic)

    def write_xml(self, name, text):
        path = os.path.join(self.shared, f"{name}.xml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def running(self, uri):
        return virsh_at(uri, "list", "--name").stdout.split()

    def wait_writing(self, after, timeout=60):
        """Wait until the diskwriter reports a seq beyond @after."""
        return wait_for(lambda: last_seq(self.console) > after and
                        last_seq(self.console), timeout,
                        what=f"diskwriter past seq {after}")

    def dest_qemu_pids(self):
        p = subprocess.run(["ip", "netns", "pids", self.env["DST_NS"]],
                           capture_output=True, text=True)
        pids = []
        for pid in p.stdout.split():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().startswith("qemu-system"):
                        pids.append(int(pid))
            except OSError:
                pass
        return pids

    def migrate_slowly(self, *extra):
        """Start a slow virsh migrate of the guest from SRC to DST; wait
        until the destination QEMU exists.  The Popen."""
        proc = subprocess.Popen(
            [cvgtest.VIRSH, "-c", self.src, "migrate", "--live",
             "--bandwidth", str(SLOW_MIB_S), GUEST, self.dst] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: self.dest_qemu_pids(), 30,
                 what="the destination QEMU")
        time.sleep(2)  # well into the memory transfer
        return proc

    # ------------------------------------------------------------------

    def test_1_unsafe_cache_refused(self):
        path = self.write_xml("mdunsafe", self.xml(
            "mdunsafe", cache="writeback",
            image=os.path.join(self.shared, "unsafe.qcow2"),
            console=os.path.join(self.shared, "unsafe.console")))
        make_overlay(os.path.join(self.shared, "unsafe.qcow2"), self.base)
        virsh_at(self.src, "create", path)
        try:
            p = virsh_at(self.src, "migrate", "--live", "mdunsafe", self.dst,
                         check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("Unsafe migration: Migration may lead to data "
                          "corruption if disks use cache other than none or "
                          "directsync", p.stderr)
            self.assertIn("mdunsafe", self.running(self.src))
            self.assertNotIn("mdunsafe", self.running(self.dst))
        finally:
            virsh_at(self.src, "destroy", "mdunsafe", check=False)

    def test_2_unknown_network_refused_at_start(self):
        path = self.write_xml("mdnonet", self.xml(
            "mdnonet", network="nosuch",
            image=os.path.join(self.shared, "nonet.qcow2")))
        make_overlay(os.path.join(self.shared, "nonet.qcow2"), self.base)
        p = virsh_at(self.src, "create", path, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Network not found: no network with matching name "
                      "'nosuch'", p.stderr)
        self.assertNotIn("mdnonet", self.running(self.src))

    def test_3_migrations(self):
        virsh_at(self.src, "create", self.write_xml(GUEST, self.xml(GUEST)))
        seq = self.wait_writing(5, timeout=90)
        self.domstats(self.src)

        # The destination cannot resolve the network: Prepare fails.
        uuid = virsh_at(self.src, "domuuid", GUEST).stdout.strip()
        bad = self.write_xml("mdbad", self.xml(GUEST, network="nosuch")
                             .replace("<vcpu>", f"<uuid>{uuid}</uuid>\n"
                                      "  <vcpu>", 1))
        p = virsh_at(self.src, "migrate", "--live", "--xml", bad, GUEST,
                     self.dst, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no network with matching name 'nosuch'", p.stderr)
        self.assertEqual(self.dest_qemu_pids(), [])
        seq = self.wait_writing(seq)

        self.abort_mid_migration()
        self.kill_destination_mid_migration()
        self.image_locked()
        self.migrate_with_announce()
        self.records_verify(self.dst)

    def domstats(self, uri):
        out = virsh_at(uri, "domstats", "--block", "--interface",
                       GUEST).stdout
        st = dict(l.strip().split("=", 1) for l in out.splitlines()
                  if "=" in l)
        self.assertEqual(st["block.count"], "1")
        self.assertEqual(st["block.0.name"], "vda")
        self.assertEqual(st["block.0.path"], self.top)
        self.assertGreater(int(st["block.0.wr.reqs"]), 0)
        self.assertGreater(int(st["block.0.capacity"]), 0)
        self.assertEqual(st["net.count"], "1")
        self.assertTrue(st["net.0.name"].startswith("vnet"), st)
        for k in ("rx.bytes", "rx.pkts", "tx.bytes", "tx.drop"):
            self.assertIn(f"net.0.{k}", st)

    def abort_mid_migration(self):
        proc = self.migrate_slowly()
        virsh_at(self.src, "domjobabort", GUEST)
        out, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0, out)
        self.assertIn(GUEST, self.running(self.src))
        wait_for(lambda: not self.dest_qemu_pids(), 30,
                 what="the destination QEMU to go")
        self.assertNotIn(GUEST, self.running(self.dst))
        self.wait_writing(last_seq(self.console) + 3)

    def kill_destination_mid_migration(self):
        proc = self.migrate_slowly()
        for pid in self.dest_qemu_pids():
            os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
        self.assertNotEqual(proc.returncode, 0, out)
        self.assertIn(GUEST, self.running(self.src))
        self.assertNotIn(GUEST, self.running(self.dst))
        self.wait_writing(last_seq(self.console) + 3)

    def image_locked(self):
        """A second guest on the running guest's image cannot start."""
        path = self.write_xml("mdtwin", self.xml(
            "mdtwin", console=os.path.join(self.shared, "twin.console"))
            .replace(MAC, "52:54:00:4d:44:02"))
        for uri in (self.src, self.dst):
            p = virsh_at(uri, "create", path, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("lock", p.stderr)
            self.assertNotIn("mdtwin", self.running(uri))

    def migrate_with_announce(self):
        sniffer = subprocess.Popen(
            [self.env["SRC_EXEC"], "/usr/bin/python3", "-c", RARP_SNIFFER,
             "cvgbr0", MAC, "60"], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(sniffer.stdout.readline().strip(), "ready")
            before = last_seq(self.console)
            virsh_at(self.src, "migrate", "--live", "--auto-converge",
                     GUEST, self.dst)
            self.assertIn(GUEST, self.running(self.dst))
            self.assertNotIn(GUEST, self.running(self.src))
            rarp = sniffer.stdout.readline().split()
            self.assertEqual(rarp[:1], ["rarp"],
                             "no RARP from the guest's MAC reached the "
                             "source host after switchover")
            print(f"announce: first RARP {rarp[1]} s after migrate started")
        finally:
            sniffer.kill()
            sniffer.wait()
        self.wait_writing(before + 5)
        self.domstats(self.dst)

    def records_verify(self, uri):
        written = last_seq(self.console) + 1
        virsh_at(uri, "destroy", GUEST)
        os.unlink(self.console)
        virsh_at(uri, "create", os.path.join(self.shared, f"{GUEST}.xml"))
        try:
            wait_for(lambda: records_line(self.console), 90,
                     what="the diskwriter's verification")
            n, bad = records_line(self.console)
            print(f"records: {n} verified, {bad} bad, {written} reported")
            self.assertEqual(bad, 0)
            self.assertGreaterEqual(n, written)
        finally:
            virsh_at(uri, "destroy", GUEST, check=False)


    def test_4_tcp_stream_survives_switchover(self):
        name = "mdtcp"
        image = os.path.join(self.shared, "tcp.qcow2")
        make_overlay(image, self.base)
        xml = self.xml(name, image=image).replace(MAC, "52:54:00:4d:44:03")
        xml = xml.replace("disk.rate=20", "init=/bin/sh")
        start = xml.index("<serial type='file'>")
        end = xml.index("</serial>", start) + len("</serial>")
        xml = (xml[:start] + "<serial type='pty'><target port='0'/></serial>"
               + xml[end:])
        virsh_at(self.src, "create", self.write_xml(name, xml))
        guest_ip = self.env["GUEST_NET"].rsplit(".", 1)[0] + ".10"
        try:
            self.guest_shell(name, [
                "mount -t proc p /proc; mount -t sysfs s /sys",
                f"busybox ip link set eth0 up; "
                f"busybox ip addr add {guest_ip}/24 dev eth0",
                f"busybox nc -ll -p {ECHO_PORT} -e /bin/cat &"])
            client = subprocess.Popen(
                [self.env["DST_EXEC"], "/usr/bin/python3", "-c", ECHO_CLIENT,
                 guest_ip, str(ECHO_PORT), str(STREAM_S)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(client.stdout.readline().strip(), "connected",
                             client.stderr.read() if client.poll() else "")
            time.sleep(3)
            t0 = time.time()
            virsh_at(self.src, "migrate", "--live", "--auto-converge", name,
                     self.dst)
            took = time.time() - t0
            out, err = client.communicate(timeout=STREAM_S + 30)
            words = out.split()
            self.assertEqual(words[:1], ["done"], out + err)
            echoed, sent, gap, last, closed = map(int, words[1:6])
            print(f"tcp stream: {echoed} of {sent} lines echoed, longest "
                  f"gap {gap} ms, migration took {took:.2f} s")
            self.assertEqual(closed, 0, "the stream was closed")
            self.assertLess(last, 1000, "no echo in the last second: the "
                            "stream stopped after the switchover")
            self.assertGreater(echoed, sent // 2)
            self.assertIn(name, self.running(self.dst))
        finally:
            for uri in (self.src, self.dst):
                virsh_at(uri, "destroy", name, check=False)

    def guest_shell(self, name, commands):
        """Type @commands into the busybox sh on @name's pty console and
        wait for each to finish."""
        xml = virsh_at(self.src, "dumpxml", name).stdout
        pty = xml.split("<serial type='pty'>")[1].split("path='")[1]
        pty = pty.split("'")[0]
        fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
        try:
            tty.setraw(fd, termios.TCSANOW)
            self.wait_pty(fd, None, 90)  # the shell's prompt
            for i, cmd in enumerate(commands + ["true"]):
                sep = " " if cmd.endswith("&") else ";"
                os.write(fd, f"{cmd}{sep} echo MD-$((40+{i}))\n".encode())
                self.wait_pty(fd, f"MD-{40 + i}", 30)
        finally:
            os.close(fd)

    def wait_pty(self, fd, marker, timeout):
        """Read @fd until @marker (None: until "# ", the prompt)."""
        buf = b""
        want = (marker or "# ").encode()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not select.select([fd], [], [], 0.5)[0]:
                if marker is None:
                    os.write(fd, b"\n")
                continue
            buf += os.read(fd, 4096)
            if want in buf:
                return
        raise AssertionError(f"no {want!r} on the console: {buf[-400:]!r}")


if __name__ == "__main__":
    cvgtest.main()
