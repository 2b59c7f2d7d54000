#!/usr/bin/python3
"""One everyday VM end to end on the two-host testbed (issue 10's first
acceptance item), with real QEMU and real virsh.

The guest is defined from libvirt-style XML: a qcow2 overlay on a backing
file, both in the testbed's shared directory (standing for NFS), virtio-net
on the host's bridge cvgbr0, a pty serial with its <console>, VNC on an
automatic port, and no kernel: SeaBIOS boots the disk (<boot dev='hd'/>).
The overlay's syslinux.cfg is rewritten to boot busybox sh as init (on the
serial console) instead of the disk writer, so that the test has a shell;
the test starts the disk writer from that shell.

On the source host: `virsh console` reaches the shell (a command typed
there answers), the disk writer writes, the NIC is up and pings the host
through the bridge, domiflist names the tap and the tap is in the bridge,
`virsh vncdisplay` answers and an RFB handshake succeeds on its port.  Then
`virsh migrate --live --auto-converge --p2p` (over ssh to the other
host), and the same on the destination, where the disk writer goes on
writing, and a fresh disk writer, after the guest's page cache is dropped,
verifies every record.

Root only; run with /usr/bin/python3 under the integration lock.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import (ESCAPE, Console, disk_guest_dir, in_host,  # noqa: E402
                     make_overlay, rfb_handshake_in, virsh_at, vnc_port,
                     wait_for)

NAME = "cvgevery"
GUEST = "everyday"
MAC = "52:54:00:45:56:01"
BOOT_PART_MIB = (1, 32)  # the disk image's FAT boot partition: offset, size
RFB_SECURITY_NONE = 1


def boot_shell_instead(image, workdir):
    """Rewrite @image's syslinux.cfg (a qcow2 of the disk guest) so that
    the kernel runs busybox sh as init, with the disk writer's rate on the
    command line for when the test starts it."""
    off, size = BOOT_PART_MIB
    part = os.path.join(workdir, "boot.raw")
    cfg = os.path.join(workdir, "syslinux.cfg")
    subprocess.run(["qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=1M",
                    f"skip={off}", f"count={size}", f"if={image}",
                    f"of={part}"], check=True, timeout=60)
    text = subprocess.run(["mtype", "-i", part, "::syslinux.cfg"],
                          check=True, capture_output=True, text=True).stdout
    assert "disk.rate=50" in text, text
    with open(cfg, "w") as f:
        f.write(text.replace("disk.rate=50", "disk.rate=20 init=/bin/sh"))
    subprocess.run(["mcopy", "-o", "-i", part, cfg, "::syslinux.cfg"],
                   check=True, timeout=60)
    subprocess.run(["qemu-io", "-f", "qcow2", "-c",
                    f"write -s {part} {off}M {size}M", image], check=True,
                   capture_output=True, timeout=60)
    os.unlink(part)
    os.unlink(cfg)


def everyday_xml(image):
    return f"""<domain type='qemu'>
  <name>{GUEST}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='{image}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='{MAC}'/>
      <source bridge='cvgbr0'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <graphics type='vnc' port='-1' autoport='yes'/>
  </devices>
</domain>
"""


class Shell:
    """The guest's busybox sh through `virsh console` at @uri."""

    def __init__(self, uri, booting):
        """With @booting, type nothing before the shell's first prompt
        (a key pressed while syslinux runs would stop it at its boot:
        prompt)."""
        self.con = Console(uri, GUEST)
        self.n = random.randrange(1000, 9000)
        try:
            self.con.wait_text(f"Connected to domain '{GUEST}'")
            if booting:
                self.con.wait_text("# ", timeout=180)
            # Without a prompt to wait for, ask for a marker until the
            # shell answers.
            wait_for(lambda: self.try_marker(), 30, interval=0,
                     what="the guest's shell on virsh console")
        except BaseException:
            self.kill()
            raise

    def try_marker(self):
        self.n += 1
        self.con.type(f"\recho cvg-$((1+{self.n - 1}))\r")
        try:
            self.con.wait_text(f"cvg-{self.n}\r", timeout=3)
            return True
        except AssertionError:
            return False

    def run(self, command, timeout=30):
        """Type @command and wait until it has finished; the output since
        it was typed."""
        self.n += 1
        start = len(self.con.out)
        sep = " " if command.rstrip().endswith("&") else ";"
        self.con.type(f"{command}{sep} echo cvg-$((1+{self.n - 1}))\r")
        self.con.wait_text(f"cvg-{self.n}\r", timeout)
        return self.con.out[start:].decode(errors="replace")

    def seqs(self):
        """The disk writer's seq= numbers seen so far."""
        return [int(s) for s in re.findall(rb"diskwriter: t=\d+ seq=(\d+)",
                                           self.con.out)]

    def close(self):
        """Leave with ^]; virsh console's exit status."""
        os.write(self.con.fd, ESCAPE)
        return self.con.wait_exit()

    def kill(self):
        if self.con.fd is not None:
            self.con.kill()
            self.con.fd = None


class TestEverydayVM(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        gdir = disk_guest_dir()
        cvgtest.testbed("down", "--name", NAME)
        cls.env = cvgtest.testbed("up", "--name", NAME, "--isolated",
                                  "--bridge")
        cls.src, cls.dst = cls.env["SRC_URI"], cls.env["DST_URI"]
        shared = cls.env["SHARED"]
        base = os.path.join(shared, "base.qcow2")
        cls.image = os.path.join(shared, f"{GUEST}.qcow2")
        shutil.copyfile(os.path.join(gdir, "disk.qcow2"), base)
        make_overlay(cls.image, base)
        boot_shell_instead(cls.image, shared)
        cls.xml = os.path.join(shared, f"{GUEST}.xml")
        with open(cls.xml, "w") as f:
            f.write(everyday_xml(cls.image))
        net = cls.env["GUEST_NET"].rsplit(".", 1)[0]
        cls.guest_ip = f"{net}.10"
        cls.host_ip = {"SRC": f"{net}.1", "DST": f"{net}.2"}

    @classmethod
    def tearDownClass(cls):
        for uri in (cls.src, cls.dst):
            virsh_at(uri, "destroy", GUEST, check=False)
        virsh_at(cls.src, "undefine", GUEST, check=False)
        cvgtest.testbed("down", "--name", NAME)

    def running(self, uri):
        return virsh_at(uri, "list", "--name").stdout.split()

    def test_everyday_vm(self):
        virsh_at(self.src, "define", self.xml)
        virsh_at(self.src, "start", GUEST)
        sh = Shell(self.src, booting=True)
        try:
            sh.run("/sbin/init & DW=$!")
            wait_for(lambda: sh.con.pump(1) or len(sh.seqs()) >= 2, 60,
                     what="the disk writer's progress lines")
            sh.run(f"busybox ip link set eth0 up; "
                   f"busybox ip addr add {self.guest_ip}/24 dev eth0")
            self.check_network(sh, "SRC")
            before = max(sh.seqs())
            self.assertEqual(sh.close(), 0)
        finally:
            sh.kill()
        self.check_devices(self.src, "SRC")

        # Peer to peer: the source host reaches the destination over the
        # link (ssh), as a real one would.
        virsh_at(self.src, "migrate", "--live", "--auto-converge", "--p2p",
                 GUEST, f"qemu+ssh://root@{self.env['DST_ADDR']}/system")
        self.assertIn(GUEST, self.running(self.dst))
        self.assertNotIn(GUEST, self.running(self.src))

        sh = Shell(self.dst, booting=False)
        try:
            wait_for(lambda: sh.con.pump(1) or
                     max(sh.seqs() or [0]) > before + 20, 60,
                     what=f"the disk writer past seq {before + 20}")
            self.check_network(sh, "DST")
            self.check_records(sh)
            self.assertEqual(sh.close(), 0)
        finally:
            sh.kill()
        self.check_devices(self.dst, "DST")

    def check_network(self, sh, side):
        """The guest's NIC is up and reaches host @side's bridge address."""
        out = sh.run("cat /sys/class/net/eth0/operstate")
        self.assertIn("\nup\r", out)
        out = sh.run(f"busybox ping -c 1 -W 5 {self.host_ip[side]} "
                     f"&& echo ping-$((6*7))", timeout=20)
        self.assertIn("ping-42", out)

    def check_devices(self, uri, side):
        """domiflist names the tap on cvgbr0, the tap is in host @side's
        bridge; vncdisplay answers and the RFB handshake succeeds."""
        rows = [line.split() for line in
                virsh_at(uri, "domiflist", GUEST).stdout.splitlines()[2:]
                if line.strip()]
        self.assertEqual(len(rows), 1, rows)
        tap, kind, bridge, model, mac = rows[0]
        self.assertEqual((kind, bridge, model, mac),
                         ("bridge", "cvgbr0", "virtio", MAC))
        brif = in_host(self.env, side, "ls",
                       "/sys/class/net/cvgbr0/brif").stdout.split()
        self.assertIn(tap, brif)

        live = virsh_at(uri, "dumpxml", GUEST).stdout
        port, autoport = vnc_port(live)
        self.assertEqual(autoport, "yes")
        display = virsh_at(uri, "vncdisplay", GUEST).stdout.strip()
        self.assertEqual(display, f"127.0.0.1:{port - 5900}")
        version, types = rfb_handshake_in(self.env, side, port)
        self.assertRegex(version, r"^RFB 003\.00\d$")
        self.assertIn(RFB_SECURITY_NONE, types)
        print(f"{side}: tap {tap} in cvgbr0, VNC {display} ({version})")

    def check_records(self, sh):
        """Stop the disk writer, drop the guest's page cache and start a
        new one: it reads every record back from the destination's view
        of the disk."""
        last = max(sh.seqs())
        sh.run("kill $DW; wait $DW; sync; "
               "echo 3 > /proc/sys/vm/drop_caches")
        out = sh.run("/sbin/init & DW=$!")
        if "verified" not in out:
            sh.con.wait_text("diskwriter: verified", 30)
            out = sh.con.out.decode(errors="replace")
        m = re.findall(r"diskwriter: verified (\d+) records, (\d+) bad, "
                       r"last seq (\d+)", out)
        self.assertTrue(m, out[-600:])
        n, bad, seq = map(int, m[-1])
        print(f"records: {n} verified, {bad} bad, last seq {seq}, "
              f"{last} seen on the console")
        self.assertEqual(bad, 0)
        self.assertGreaterEqual(seq, last)
        self.assertGreaterEqual(n, last + 1)


if __name__ == "__main__":
    cvgtest.main()
