#!/usr/bin/python3
"""Many guests on one daemon: 200 defined, 5 running (one of them paused),
through the real virsh and python3-libvirt; a restart re-attaches every
running guest.  No timing assertions: tools/bench-many.py measures.

One daemon for the module; the tests run in name order and share it.  Run
with /usr/bin/python3 under the integration lock.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import Daemon, guest_xml  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)
L = libvirt

DEFINED = 200
RUNNING = 5
NAMES = [f"many{i:03d}" for i in range(DEFINED)]
PAUSED = NAMES[RUNNING - 1]


def parse_list(out):
    """virsh list --all output as {name: (id, state)}."""
    rows = {}
    for line in out.splitlines()[2:]:
        parts = line.split(None, 2)
        if len(parts) == 3:
            rows[parts[1]] = (parts[0], parts[2].strip())
    return rows


class ManyGuests(unittest.TestCase):
    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("many", start_timeout=60)
        try:
            cls.conn = libvirt.open(cls.d.uri)
            for name in NAMES:
                cls.conn.defineXML(cls.xml(name))
            for name in NAMES[:RUNNING]:
                cls.conn.lookupByName(name).create()
            for name in NAMES[:RUNNING]:
                cvgtest.wait_console(cls.console(name), timeout=300,
                                     prefix=cvgtest.IDLE_CONSOLE_PREFIX)
            cls.conn.lookupByName(PAUSED).suspend()
        except Exception:
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            conn = libvirt.open(cls.d.uri)
            for dom in conn.listAllDomains():
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            conn.close()
        finally:
            cls.d.cleanup()

    @classmethod
    def console(cls, name):
        return os.path.join(cls.d.dir, f"{name}.console")

    @classmethod
    def xml(cls, name, uuid=None):
        return guest_xml(name, cls.console(name), mem_mib=80, acpi=True,
                         idle=True, uuid=uuid)

    def expected_state(self, name):
        if name == PAUSED:
            return "paused"
        return "running" if name in NAMES[:RUNNING] else "shut off"

    def check_list(self):
        rows = parse_list(self.d.virsh("list", "--all").stdout)
        self.assertEqual(sorted(rows), NAMES)
        for name, (dom_id, state) in rows.items():
            self.assertEqual(state, self.expected_state(name), name)
            active = name in NAMES[:RUNNING]
            self.assertEqual(dom_id != "-", active, name)
        active = self.conn.listAllDomains(L.VIR_CONNECT_LIST_DOMAINS_ACTIVE)
        self.assertEqual(sorted(d.name() for d in active), NAMES[:RUNNING])
        self.assertEqual(len(self.conn.listAllDomains(
            L.VIR_CONNECT_LIST_DOMAINS_INACTIVE)), DEFINED - RUNNING)
        ids = [d.ID() for d in active]
        self.assertEqual(len(set(ids)), RUNNING)
        for dom_id, dom in zip(ids, active):
            self.assertEqual(self.conn.lookupByID(dom_id).name(), dom.name())

    def test_1_list(self):
        self.check_list()
        names = self.d.virsh("list", "--all", "--name").stdout.split()
        self.assertEqual(sorted(names), NAMES)
        self.assertEqual(self.conn.numOfDefinedDomains(), DEFINED - RUNNING)
        self.assertEqual(self.conn.numOfDomains(), RUNNING)

    def test_2_lookups(self):
        for name in (NAMES[0], NAMES[DEFINED // 2], NAMES[-1]):
            dom = self.conn.lookupByName(name)
            self.assertEqual(
                self.conn.lookupByUUIDString(dom.UUIDString()).name(), name)
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.lookupByName("many-none")
        self.assertEqual(cm.exception.get_error_code(), L.VIR_ERR_NO_DOMAIN)
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.lookupByUUIDString(
                "00000000-0000-0000-0000-000000000001")
        self.assertEqual(cm.exception.get_error_code(), L.VIR_ERR_NO_DOMAIN)

    def test_3_redefine(self):
        """Undefine and define again: the name and the uuid are free once
        the domain is gone, and still refused while another domain holds
        them."""
        name = NAMES[-1]
        old = self.conn.lookupByName(name)
        uuid = old.UUIDString()
        other_uuid = self.conn.lookupByName(NAMES[-2]).UUIDString()
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.defineXML(self.xml("many-extra", uuid=uuid))
        self.assertEqual(cm.exception.get_error_code(),
                         L.VIR_ERR_OPERATION_FAILED)
        self.assertIn(f"'{name}' is already defined", str(cm.exception))
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.defineXML(self.xml(name, uuid=other_uuid))
        self.assertEqual(cm.exception.get_error_code(),
                         L.VIR_ERR_OPERATION_FAILED)
        old.undefine()
        with self.assertRaises(libvirt.libvirtError):
            self.conn.lookupByUUIDString(uuid)
        dom = self.conn.defineXML(self.xml(name))
        self.assertNotEqual(dom.UUIDString(), uuid)
        self.assertEqual(
            self.conn.lookupByUUIDString(dom.UUIDString()).name(), name)
        self.check_list()

    def test_4_restart(self):
        """A restarted daemon re-attaches every running guest: same QEMU,
        same state, its monitor answering."""
        before = self.d.guest_pids()
        self.assertEqual(sorted(before), NAMES[:RUNNING])
        self.d.stop()
        for name, pid in before.items():
            self.assertTrue(os.path.exists(f"/proc/{pid}"),
                            f"{name}'s QEMU did not outlive the daemon")
        self.d.start()
        self.conn.close()
        type(self).conn = libvirt.open(self.d.uri)
        self.assertEqual(self.d.guest_pids(), before)
        self.check_list()
        active = self.conn.listAllDomains(L.VIR_CONNECT_LIST_DOMAINS_ACTIVE)
        stats = dict((dom.name(), rec) for dom, rec in
                     self.conn.domainListGetStats(
                         active, L.VIR_DOMAIN_STATS_VCPU))
        for name in NAMES[:RUNNING]:
            self.assertIn("vcpu.0.state", stats[name], name)
        # The monitor takes commands again.
        dom = self.conn.lookupByName(PAUSED)
        dom.resume()
        self.assertEqual(dom.state()[0], L.VIR_DOMAIN_RUNNING)
        dom.suspend()
        self.assertEqual(dom.state()[0], L.VIR_DOMAIN_PAUSED)
        self.assertEqual(self.conn.lookupByName(NAMES[0]).jobStats()["type"],
                         L.VIR_DOMAIN_JOB_NONE)


if __name__ == "__main__":
    cvgtest.main()
