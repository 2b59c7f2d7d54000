#!/usr/bin/python3
"""The devices of an everyday VM with real QEMU and real virsh: a VNC
display on a daemon-chosen port (virsh vncdisplay, an RFB handshake on it,
the port back in the pool when the guest stops), a fixed port, two guests
on two ports, the rest of the devices (video, input, sound, balloon, rng,
guest agent channel, clock timers, pm, cpu modes) accepted by a running
QEMU, virsh domcapabilities, and virt-install --import creating and
starting a guest on a bridge, from a block device and from an image file
(through a dir storage pool).

One daemon for the module, with its own display port range (so that other
tests' guests do not matter).  Run with /usr/bin/python3 under the
integration lock.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import (GUEST, Daemon, qemu_pids, rfb_banner,  # noqa: E402
                     vnc_port, wait_for)

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)

PORT_MIN = 5971
PORT_MAX = 5979


def vnc_guest_xml(name, graphics, extra_devices="", extra_top=""):
    """A direct-kernel-boot guest that idles, with @graphics."""
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid.uuid4()}</uuid>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{GUEST}/vmlinuz</kernel>
    <initrd>{GUEST}/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 dirty.mib={cvgtest.IDLE_DIRTY_MIB}</cmdline>
  </os>
{extra_top}  <devices>
    {graphics}
{extra_devices}  </devices>
</domain>
"""


class DevicesTest(unittest.TestCase):
    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("devices", config=(
            f"remote_display_port_min = {PORT_MIN}\n"
            f"remote_display_port_max = {PORT_MAX}\n"))
        cls.conn = libvirt.open(cls.d.uri)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.conn.close()
        except libvirt.libvirtError:
            pass
        cls.d.cleanup()

    def tearDown(self):
        for dom in self.conn.listAllDomains():
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError:
                pass

    def start(self, xml):
        dom = self.conn.defineXML(xml)
        dom.create()
        return dom

    def test_autoport_vncdisplay_rfb(self):
        dom = self.start(vnc_guest_xml(
            "vnc1", "<graphics type='vnc' port='-1' autoport='yes'/>"))
        port, autoport = vnc_port(dom.XMLDesc(0))
        self.assertEqual(autoport, "yes")
        self.assertTrue(PORT_MIN <= port <= PORT_MAX, port)
        out = self.d.virsh("vncdisplay", "vnc1").stdout.strip()
        self.assertEqual(out, f"127.0.0.1:{port - 5900}")
        banner = rfb_banner("127.0.0.1", port)
        self.assertRegex(banner, rb"^RFB 003\.00\d\n$")
        # The inactive XML keeps asking for a port.
        inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        self.assertEqual(vnc_port(inactive), (-1, "yes"))
        # A second guest gets another port; the first one's comes back
        # when it stops.
        dom2 = self.start(vnc_guest_xml(
            "vnc2", "<graphics type='vnc' autoport='yes'/>"))
        port2, _ = vnc_port(dom2.XMLDesc(0))
        self.assertNotEqual(port, port2)
        dom.destroy()
        self.assertEqual(vnc_port(dom.XMLDesc(0)), (-1, "yes"))
        dom.create()
        self.assertEqual(vnc_port(dom.XMLDesc(0))[0], port)

    def test_port_taken_by_another_program(self):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", PORT_MIN))
            s.listen(1)
            dom = self.start(vnc_guest_xml(
                "vnc3", "<graphics type='vnc' port='-1'/>"))
            port, _ = vnc_port(dom.XMLDesc(0))
            self.assertNotEqual(port, PORT_MIN)
            self.assertEqual(rfb_banner("127.0.0.1", port)[:4], b"RFB ")

    def test_fixed_port_and_listen(self):
        fixed = PORT_MAX + 3
        dom = self.start(vnc_guest_xml(
            "vnc4", f"<graphics type='vnc' port='{fixed}' autoport='no'>"
                    "<listen type='address' address='127.0.0.1'/>"
                    "</graphics>"))
        self.assertEqual(vnc_port(dom.XMLDesc(0)), (fixed, "no"))
        out = self.d.virsh("vncdisplay", "vnc4").stdout.strip()
        self.assertEqual(out, f"127.0.0.1:{fixed - 5900}")
        self.assertEqual(rfb_banner("127.0.0.1", fixed)[:4], b"RFB ")
        # A given address equal to vnc_listen survives a daemon restart in
        # the live and the inactive XML, and after the stop; a transient
        # guest has no config on disk to fall back on.
        import xml.etree.ElementTree as ET

        self.conn.createXML(vnc_guest_xml(
            "vnc5", "<graphics type='vnc' port='-1' autoport='yes' "
                    "listen='127.0.0.1'/>"))
        self.d.stop()
        self.d.start()
        type(self).conn = libvirt.open(self.d.uri)
        for name in ("vnc4", "vnc5"):
            dom = self.conn.lookupByName(name)
            for flags in (0, libvirt.VIR_DOMAIN_XML_INACTIVE):
                gfx = ET.fromstring(dom.XMLDesc(flags)).find(
                    "devices/graphics")
                self.assertEqual(gfx.get("listen"), "127.0.0.1",
                                 (name, flags))
        self.assertEqual(rfb_banner("127.0.0.1", fixed)[:4], b"RFB ")
        self.conn.lookupByName("vnc5").destroy()
        dom = self.conn.lookupByName("vnc4")
        dom.destroy()
        gfx = ET.fromstring(dom.XMLDesc(0)).find("devices/graphics")
        self.assertEqual(gfx.get("listen"), "127.0.0.1")

    def test_everyday_devices_run(self):
        """Every element of docs/formatdomain.rst's everyday VM, accepted
        by a running QEMU (the guest boots and answers on VNC)."""
        top = """  <features>
    <acpi/>
    <apic/>
    <vmport state='off'/>
  </features>
  <cpu mode='maximum'/>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <pm>
    <suspend-to-mem enabled='no'/>
    <suspend-to-disk enabled='no'/>
  </pm>
"""
        devices = """    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <input type='tablet' bus='usb'/>
    <input type='keyboard' bus='virtio'/>
    <sound model='ich9'/>
    <video>
      <model type='virtio'/>
    </video>
    <memballoon model='virtio'/>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
"""
        dom = self.start(vnc_guest_xml(
            "every", "<graphics type='vnc'/>", devices, top))
        live = dom.XMLDesc(0)
        port, _ = vnc_port(live)
        self.assertEqual(rfb_banner("127.0.0.1", port)[:4], b"RFB ")
        # The agent's socket was made in the run directory and is in the
        # live XML only.
        import xml.etree.ElementTree as ET

        path = ET.fromstring(live).find("devices/channel/source").get("path")
        self.assertTrue(path and os.path.exists(path), path)
        for flags in (libvirt.VIR_DOMAIN_XML_INACTIVE,
                      libvirt.VIR_DOMAIN_XML_MIGRATABLE):
            xml = ET.fromstring(dom.XMLDesc(flags))
            self.assertIsNone(xml.find("devices/channel/source").get("path"))
        # A restarted daemon re-attaches the guest: the port stays taken,
        # the socket stays the daemon's (removed when the guest stops).
        self.d.stop()
        self.d.start()
        type(self).conn = libvirt.open(self.d.uri)
        dom = self.conn.lookupByName("every")
        self.assertEqual(vnc_port(dom.XMLDesc(0))[0], port)
        other = self.start(vnc_guest_xml("other", "<graphics type='vnc'/>"))
        self.assertNotEqual(vnc_port(other.XMLDesc(0))[0], port)
        inactive = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        self.assertIsNone(inactive.find("devices/channel/source").get("path"))
        self.assertIsNone(inactive.find("devices/graphics").get("listen"))
        self.assertEqual(self.d.virsh("vncdisplay", "every").stdout.strip(),
                         f"127.0.0.1:{port - 5900}")
        dom.destroy()
        self.assertFalse(os.path.exists(path))

    def test_cpu_passthrough_refused_under_tcg(self):
        xml = vnc_guest_xml("pt", "", "", "  <cpu mode='host-passthrough'/>\n")
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.defineXML(xml)
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_CONFIG_UNSUPPORTED)

    def test_qxl_needs_the_emulator_to_have_it(self):
        """A QEMU without the SPICE modules has no QXL card: starting a
        guest with one fails before QEMU runs, naming the model, and
        domcapabilities does not offer it."""
        helptext = subprocess.run(["qemu-system-x86_64", "-device", "help"],
                                  capture_output=True, text=True).stdout
        caps = self.d.virsh("domcapabilities").stdout
        if '"qxl-vga"' in helptext:
            self.assertIn("<value>qxl</value>", caps)
            self.skipTest("this QEMU has QXL")
        self.assertNotIn("<value>qxl</value>", caps)
        dom = self.conn.defineXML(vnc_guest_xml(
            "qxl", "<graphics type='vnc'/>",
            "    <video><model type='qxl'/></video>\n"))
        with self.assertRaises(libvirt.libvirtError) as cm:
            dom.create()
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_CONFIG_UNSUPPORTED)
        self.assertIn("'qxl'", str(cm.exception))
        self.assertFalse(dom.isActive())
        # Its port went back: the next guest gets the first one.
        dom2 = self.start(vnc_guest_xml("vnc5", "<graphics type='vnc'/>"))
        self.assertEqual(vnc_port(dom2.XMLDesc(0))[0], PORT_MIN)

    def test_cpu_custom_model(self):
        """A custom model QEMU knows runs (with a feature and a topology);
        one it does not know is refused at start, naming it."""
        good = vnc_guest_xml("cpu1", "", "", """  <cpu mode='custom' match='exact'>
    <model fallback='forbid'>qemu64</model>
    <feature policy='require' name='sse4.2'/>
  </cpu>
""").replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>").replace(
            "</model>\n", "</model>\n    <topology sockets='1' cores='2' "
            "threads='1'/>\n")
        dom = self.start(good)
        self.assertTrue(dom.isActive())
        self.assertEqual(dom.info()[3], 2)
        bad = vnc_guest_xml("cpu2", "", "", """  <cpu mode='custom'>
    <model>NoSuchCpu-v9</model>
  </cpu>
""")
        dom2 = self.conn.defineXML(bad)
        with self.assertRaises(libvirt.libvirtError) as cm:
            dom2.create()
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_CONFIG_UNSUPPORTED)
        self.assertIn("NoSuchCpu-v9", str(cm.exception))

    def test_spice_refused(self):
        xml = vnc_guest_xml("sp", "<graphics type='spice'/>")
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.defineXML(xml)
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_CONFIG_UNSUPPORTED)
        self.assertIn("spice", str(cm.exception))

    @unittest.skipUnless(shutil.which("virt-install"),
                         "virt-install (virtinst) is not installed")
    def test_virt_install_import(self):
        """virt-install --import of the disk guest's image on a bridge, with
        VNC: the guest is created and started, vncdisplay answers and the
        display speaks RFB.  The image is a loop device over a raw copy: a
        path under /dev is no volume, and virtinst takes it as it is (an
        image file goes through a dir pool: test_virt_install_import_file).
        --virt-type qemu: KVM's host-passthrough default is not what nested
        test machines can run."""
        work = os.path.join(self.d.dir, "vi")
        os.makedirs(work, exist_ok=True)
        raw = os.path.join(work, "vm.raw")
        subprocess.run(["qemu-img", "convert", "-O", "raw",
                        os.path.join(cvgtest.disk_guest_dir(), "disk.qcow2"),
                        raw], check=True, timeout=120)
        loop = subprocess.run(["losetup", "-f", "--show", raw], check=True,
                              capture_output=True, text=True).stdout.strip()
        self.addCleanup(subprocess.run, ["losetup", "-d", loop])
        bridge = f"cvgtst{os.getpid() % 100000}"
        subprocess.run(["ip", "link", "add", bridge, "type", "bridge"],
                       check=True)
        self.addCleanup(subprocess.run, ["ip", "link", "del", bridge])
        subprocess.run(["ip", "link", "set", bridge, "up"], check=True)
        p = subprocess.run(
            ["virt-install", "--connect", self.d.uri, "--import", "--name",
             "vi1", "--memory", "256", "--disk", f"path={loop}", "--network",
             f"bridge={bridge}", "--graphics", "vnc", "--noautoconsole",
             "--osinfo", "detect=on,require=off", "--virt-type", "qemu"],
            capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        dom = self.conn.lookupByName("vi1")
        self.assertTrue(dom.isActive())
        port, _ = vnc_port(dom.XMLDesc(0))
        out = self.d.virsh("vncdisplay", "vi1").stdout.strip()
        self.assertEqual(out, f"127.0.0.1:{port - 5900}")
        self.assertRegex(rfb_banner("127.0.0.1", port), rb"^RFB 003\.00\d\n$")
        # Its tap is in the bridge.
        taps = os.listdir(f"/sys/class/net/{bridge}/brif")
        self.assertEqual(len(taps), 1, taps)
        dom.destroy()

    @unittest.skipUnless(shutil.which("virt-install"),
                         "virt-install (virtinst) is not installed")
    def test_virt_install_import_file(self):
        """virt-install --import of a qcow2 file in a plain directory:
        virtinst 4.1 finds no volume at that path, so it defines, starts
        and autostarts a dir pool for the directory, refreshes it and takes
        the file as a volume (docs/storage.rst).  The guest starts and
        speaks RFB; virsh pool-*/vol-* describe the pool and the image; a
        restarted daemon still has the pool, running.  Its own daemon, so
        that the restart leaves the module's alone."""
        d = Daemon("vipool", config=(
            f"remote_display_port_min = {PORT_MIN}\n"
            f"remote_display_port_max = {PORT_MAX}\n"))
        self.addCleanup(d.cleanup)
        images = os.path.join(d.dir, "vmimages")
        os.makedirs(images)
        img = os.path.join(images, "vm.qcow2")
        shutil.copy(os.path.join(cvgtest.disk_guest_dir(), "disk.qcow2"), img)
        info = json.loads(subprocess.run(
            ["qemu-img", "info", "--output=json", img], check=True,
            capture_output=True, text=True).stdout)
        bridge = f"cvgtsf{os.getpid() % 100000}"
        subprocess.run(["ip", "link", "add", bridge, "type", "bridge"],
                       check=True)
        self.addCleanup(subprocess.run, ["ip", "link", "del", bridge])
        subprocess.run(["ip", "link", "set", bridge, "up"], check=True)
        p = subprocess.run(
            ["virt-install", "--connect", d.uri, "--import", "--name",
             "vi2", "--memory", "256", "--disk", f"path={img}", "--network",
             f"bridge={bridge}", "--graphics", "vnc", "--noautoconsole",
             "--osinfo", "detect=on,require=off", "--virt-type", "qemu"],
            capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        conn = libvirt.open(d.uri)
        self.addCleanup(conn.close)
        dom = conn.lookupByName("vi2")
        self.assertTrue(dom.isActive())
        self.assertIn(f"<source file='{img}'/>", dom.XMLDesc(0))
        port, _ = vnc_port(dom.XMLDesc(0))
        self.assertRegex(rfb_banner("127.0.0.1", port), rb"^RFB 003\.00\d\n$")
        dom.destroy()
        self.check_pool(d, img, info["virtual-size"])
        # The pool is persistent and autostarted.
        d.stop()
        d.start()
        self.check_pool(d, img, info["virtual-size"])

    def check_pool(self, d, img, virtual_size):
        """The dir pool virtinst made for @img's directory (named after
        it) as virsh shows it."""
        out = d.virsh("pool-list", "--all").stdout
        self.assertRegex(out, r"\n vmimages +active +yes\n")
        out = d.virsh("pool-info", "vmimages").stdout
        self.assertRegex(out, r"State: +running\n")
        self.assertRegex(out, r"Persistent: +yes\n")
        self.assertRegex(out, r"Autostart: +yes\n")
        self.assertRegex(out, r"Available: +[1-9]")
        self.assertIn(f"<path>{os.path.dirname(img)}</path>",
                      d.virsh("pool-dumpxml", "vmimages").stdout)
        out = d.virsh("vol-list", "vmimages").stdout
        self.assertRegex(out, rf"\n vm\.qcow2 +{img}\n")
        out = d.virsh("vol-info", img).stdout
        self.assertRegex(out, r"Type: +file\n")
        xml = d.virsh("vol-dumpxml", "--pool", "vmimages", "vm.qcow2").stdout
        self.assertIn(f"<key>{img}</key>", xml)
        self.assertIn("<format type='qcow2'/>", xml)
        self.assertIn(f"<capacity unit='bytes'>{virtual_size}</capacity>",
                      xml)
        self.assertEqual(d.virsh("vol-pool", img).stdout.strip(), "vmimages")
        # Other pool types are refused, naming the one that is served.
        p = d.virsh("pool-define-as", "vg0", "logical", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("implements 'dir' pools only", p.stderr)

    def test_domcapabilities(self):
        out = self.d.virsh("domcapabilities", "--virttype", "qemu").stdout
        self.assertIn("<domain>qemu</domain>", out)
        self.assertIn("<mode name='host-passthrough' supported='no'>", out)
        self.assertIn("<value>vnc</value>", out)
        caps = self.conn.getCapabilities()
        self.assertIn("canonical=", caps)


TESTBED_NAME = "cvgdev"


class DevicesMigrationTest(unittest.TestCase):
    """A VNC guest with a guest agent channel migrates between the two
    hosts of a testbed: the destination picks its own port and socket, the
    source gives its port back."""

    @classmethod
    def setUpClass(cls):
        cvgtest.testbed("down", "--name", TESTBED_NAME)
        cls.env = cvgtest.testbed("up", "--name", TESTBED_NAME, "--set",
                                  f"remote_display_port_min={PORT_MIN}")

    @classmethod
    def tearDownClass(cls):
        cvgtest.testbed("down", "--name", TESTBED_NAME)

    def rfb_in(self, ns, port):
        code = ("import socket; s = socket.create_connection(('127.0.0.1', "
                f"{port}), timeout=10); print(s.recv(12))")
        p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                            code], capture_output=True, text=True, timeout=30)
        return p.stdout.strip()

    def test_migrate_vnc_guest(self):
        src, dst = self.env["SRC_URI"], self.env["DST_URI"]
        xml = vnc_guest_xml("mig", "<graphics type='vnc'/>", """    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
""")
        path = os.path.join(self.env["DIR"], "mig.xml")
        with open(path, "w") as f:
            f.write(xml)
        self.addCleanup(lambda: [cvgtest.virsh_at(u, a, "mig", check=False)
                                 for u in (src, dst)
                                 for a in ("destroy", "undefine")])
        cvgtest.virsh_at(src, "define", path)
        cvgtest.virsh_at(src, "start", "mig")
        src_conn = libvirt.open(src)
        port, _ = vnc_port(src_conn.lookupByName("mig").XMLDesc(0))
        self.assertIn("RFB 003.00", self.rfb_in(self.env["SRC_NS"], port))
        cvgtest.virsh_at(src, "migrate", "--live", "--p2p", "--persistent",
                         "mig", dst)
        dst_conn = libvirt.open(dst)
        live = dst_conn.lookupByName("mig").XMLDesc(0)
        dport, _ = vnc_port(live)
        self.assertTrue(PORT_MIN <= dport <= PORT_MAX, dport)
        self.assertIn("RFB 003.00", self.rfb_in(self.env["DST_NS"], dport))
        import xml.etree.ElementTree as ET

        chan = ET.fromstring(live).find("devices/channel/source").get("path")
        self.assertIn(self.env["DIR"], chan)
        self.assertIn("/b/", chan)
        # The source's port is free again: a new guest there takes it.
        xml2 = vnc_guest_xml("mig2", "<graphics type='vnc'/>")
        dom2 = src_conn.createXML(xml2, 0)
        self.assertEqual(vnc_port(dom2.XMLDesc(0))[0], port)
        dom2.destroy()


if __name__ == "__main__":
    cvgtest.main()
