#!/usr/bin/python3
"""Disks: a guest booted from a qcow2 disk with a backing file, its disk
writer, virsh domblklist / domblkinfo / domblkstat and python3-libvirt's
blockInfo / blockStats / blockStatsFlags, and the errors for images that
are missing or unreadable (nothing left running).

One daemon for the module; every guest gets its own overlay over the disk
guest's image (tools/guest/build-disk.sh).  Run with /usr/bin/python3
under the integration lock.
"""
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import (Daemon, disk_guest_dir, disk_guest_xml,  # noqa: E402
                     make_overlay, qemu_pids, wait_console, wait_for)

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)

DISK_MIB = 97  # the size of build-disk.sh's disk (MBR, boot, root)


def records_line(console):
    """The diskwriter's 'verified ...' line as (records, bad), or None."""
    for line in cvgtest.console_lines(console, "diskwriter: verified "):
        words = line.split()
        return int(words[2]), int(words[4].rstrip(","))
    return None


class DisksBase(unittest.TestCase):
    d = None

    @classmethod
    def setUpClass(cls):
        cls.gdir = disk_guest_dir()
        cls.d = Daemon("disks")
        cls.conn = libvirt.open(cls.d.uri)

    @classmethod
    def tearDownClass(cls):
        try:
            for dom in cls.conn.listAllDomains():
                if dom.isActive():
                    dom.destroy()
            cls.conn.close()
        except libvirt.libvirtError:
            pass
        cls.d.cleanup()

    def path(self, name):
        return os.path.join(self.d.dir, name)

    def overlay(self, name):
        """A fresh copy of the base image and an overlay on it, both in the
        daemon's directory (so a test may break them)."""
        base = self.path(name + "-base.qcow2")
        top = self.path(name + ".qcow2")
        shutil.copyfile(os.path.join(self.gdir, "disk.qcow2"), base)
        make_overlay(top, base)
        return base, top


class TestDiskGuest(DisksBase):
    """One guest on a qcow2 overlay, kept for the module's queries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base = os.path.join(cls.d.dir, "web-base.qcow2")
        cls.top = os.path.join(cls.d.dir, "web.qcow2")
        cls.console = os.path.join(cls.d.dir, "web.console")
        shutil.copyfile(os.path.join(cls.gdir, "disk.qcow2"), cls.base)
        make_overlay(cls.top, cls.base)
        cls.xml = disk_guest_xml("web", cls.console, cls.top)
        with open(os.path.join(cls.d.dir, "web.xml"), "w") as f:
            f.write(cls.xml)
        cls.d.virsh("define", os.path.join(cls.d.dir, "web.xml"))
        cls.d.virsh("start", "web")
        cls.dom = cls.conn.lookupByName("web")
        wait_console(cls.console, count=3, timeout=90,
                     prefix="diskwriter: t=")

    def test_1_boots_and_writes(self):
        self.assertEqual(records_line(self.console), (0, 0))
        lines = cvgtest.console_lines(self.console, "diskwriter: t=")
        seq = int(lines[-1].split("seq=")[1])
        self.assertGreater(seq, 20, lines)

    def test_domblklist(self):
        out = self.d.virsh("domblklist", "web").stdout
        self.assertRegex(out, r"vda\s+" + self.top)
        out = self.d.virsh("domblklist", "web", "--details").stdout
        self.assertRegex(out, r"file\s+disk\s+vda\s+" + self.top)

    def test_domblkinfo(self):
        out = self.d.virsh("domblkinfo", "web", "vda").stdout
        info = dict(l.split(":", 1) for l in out.splitlines() if ":" in l)
        self.assertEqual(int(info["Capacity"]), DISK_MIB << 20)
        self.assertGreater(int(info["Physical"]), 0)
        self.assertGreater(int(info["Allocation"]), 0)
        # The same through the source path, and python's blockInfo.
        out2 = self.d.virsh("domblkinfo", "web", self.top).stdout
        self.assertIn(f"Capacity:       {DISK_MIB << 20}", out2)
        cap, alloc, phys = self.dom.blockInfo("vda")
        self.assertEqual(cap, DISK_MIB << 20)
        out = self.d.virsh("domblkinfo", "web", "--all").stdout
        self.assertRegex(out, r"vda\s+%d" % (DISK_MIB << 20))

    def test_domblkstat(self):
        wait_for(lambda: self.dom.blockStats("vda")[2] > 10, 30,
                 what="writes on vda")
        out = self.d.virsh("domblkstat", "web", "vda").stdout
        stats = {l.split()[1]: int(l.split()[2]) for l in out.splitlines()
                 if l.startswith("vda ")}
        self.assertGreater(stats["wr_req"], 10)
        self.assertGreater(stats["wr_bytes"], 640)
        self.assertGreater(stats["rd_req"], 0)
        self.assertGreater(stats["flush_operations"], 10)
        rd_req, rd_bytes, wr_req, wr_bytes, errs = self.dom.blockStats("vda")
        self.assertEqual(errs, -1)
        flags = self.dom.blockStatsFlags("vda")
        self.assertEqual(set(flags), {
            "rd_bytes", "rd_operations", "rd_total_times", "wr_bytes",
            "wr_operations", "wr_total_times", "flush_operations",
            "flush_total_times"})
        # Without a disk: the sums over all of them.
        out = self.d.virsh("domblkstat", "web").stdout
        self.assertIn("wr_req", out)

    def test_unknown_disk(self):
        p = self.d.virsh("domblkstat", "web", "vdz", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("invalid path 'vdz' not assigned to domain", p.stderr)
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.dom.blockInfo("sdq")
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_INVALID_ARG)

    def test_live_xml_keeps_disk(self):
        xml = self.dom.XMLDesc()
        self.assertIn(f"<source file='{self.top}'/>", xml)
        self.assertIn("<serial>ROOT-web</serial>", xml)
        self.assertIn("<driver name='qemu' type='qcow2' cache='none'/>", xml)

    def test_z_records_survive_restart(self):
        """Killed and started again: every record written is there."""
        lines = cvgtest.console_lines(self.console, "diskwriter: t=")
        written = int(lines[-1].split("seq=")[1]) + 1
        self.dom.destroy()
        os.unlink(self.console)
        self.dom.create()
        wait_for(lambda: records_line(self.console), 90,
                 what="the diskwriter's verification")
        n, bad = records_line(self.console)
        self.assertEqual(bad, 0)
        self.assertGreaterEqual(n, written)
        # blkinfo of a shut-off guest reads the image too.
        self.dom.destroy()
        cap, _, _ = self.dom.blockInfo("vda")
        self.assertEqual(cap, DISK_MIB << 20)


class TestBootFromDisk(DisksBase):

    def test_seabios_boots_the_disk(self):
        """No kernel: SeaBIOS boots the disk's syslinux, which boots the
        kernel and initrd on the disk's boot partition."""
        _, top = self.overlay("fw")
        console = self.path("fw.console")
        xml = disk_guest_xml("fw", console, top, firmware=True)
        self.assertNotIn("<kernel>", xml)
        dom = self.conn.createXML(xml)
        try:
            wait_console(console, count=2, timeout=120,
                         prefix="diskwriter: t=")
            with open(console, errors="replace") as f:
                text = f.read()
            self.assertIn("SYSLINUX", text)
            self.assertIn("mounted /dev/vda2 as root", text)
            self.assertIn("<boot dev='hd'/>", dom.XMLDesc())
        finally:
            dom.destroy()


class TestImageErrors(DisksBase):
    """Images that cannot be used: a clear error, no QEMU left, the domain
    still shut off."""

    def start_fails(self, name, image, expect):
        before = qemu_pids()
        xml_path = self.path(name + ".xml")
        with open(xml_path, "w") as f:
            f.write(disk_guest_xml(name, self.path(name + ".console"), image))
        self.d.virsh("define", xml_path)
        p = self.d.virsh("start", name, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(expect, p.stderr)
        self.assertEqual(qemu_pids() - before, set())
        dom = self.conn.lookupByName(name)
        self.assertEqual(dom.state()[0], libvirt.VIR_DOMAIN_SHUTOFF)
        with self.assertRaises(libvirt.libvirtError) as cm:
            dom.create()
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_SYSTEM_ERROR)
        self.assertEqual(qemu_pids() - before, set())
        dom.undefine()
        return p.stderr

    def test_missing_image(self):
        missing = self.path("nonexistent.qcow2")
        err = self.start_fails("missing", missing,
                               f"Cannot access storage file '{missing}'")
        self.assertIn("No such file or directory", err)

    def test_missing_backing_file(self):
        base, top = self.overlay("nobacking")
        os.unlink(base)
        err = self.start_fails(
            "nobacking", top,
            f"Cannot access backing file '{base}' of storage file '{top}'")
        self.assertIn("No such file or directory", err)

    def test_unreadable_backing_file(self):
        # The daemon runs as root, which reads any file: a directory in
        # the backing file's place is what cannot be read here.
        base, top = self.overlay("unreadable")
        os.unlink(base)
        os.mkdir(base)
        err = self.start_fails(
            "unreadable", top,
            f"Cannot access backing file '{base}' of storage file '{top}'")
        self.assertIn("Is a directory", err)

    def test_create_missing_image(self):
        """virsh create (transient): the same error, no domain left."""
        before = qemu_pids()
        xml_path = self.path("transient.xml")
        missing = self.path("gone.qcow2")
        with open(xml_path, "w") as f:
            f.write(disk_guest_xml("transient", self.path("t.console"),
                                   missing))
        p = self.d.virsh("create", xml_path, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"Cannot access storage file '{missing}'", p.stderr)
        self.assertEqual(qemu_pids() - before, set())
        with self.assertRaises(libvirt.libvirtError):
            self.conn.lookupByName("transient")

    def test_unsupported_disk_refused(self):
        xml = disk_guest_xml("nbd", self.path("n.console"),
                             self.path("x.qcow2")).replace(
            "<disk type='file' device='disk'>",
            "<disk type='network' device='disk'>")
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.defineXML(xml)
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_CONFIG_UNSUPPORTED)
        self.assertIn("'network'", str(cm.exception))


if __name__ == "__main__":
    cvgtest.main()
