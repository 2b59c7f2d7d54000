"""virsh console and virDomainOpenConsole: the guest's serial pty as a
stream, with real QEMU, real virsh (on a pseudo-terminal, as a user runs
it) and python3-libvirt streams."""
import os
import time
import unittest
import uuid

import cvgtest
from cvgtest import ESCAPE, GUEST, Console, Daemon

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)

def pty_guest_xml(name, serial="pty"):
    if serial == "pty":
        devices = """    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>"""
    else:
        devices = f"""    <serial type='file'><source path='{serial}'/></serial>"""
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid.uuid4()}</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{GUEST}/vmlinuz</kernel>
    <initrd>{GUEST}/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 dirty.mib=8 dirty.rate=1</cmdline>
  </os>
  <devices>
{devices}
  </devices>
</domain>
"""


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("con", readonly_socket=True)
        path = os.path.join(cls.d.dir, "c1.xml")
        with open(path, "w") as f:
            f.write(pty_guest_xml("c1"))
        cls.d.virsh("define", path)
        cls.d.virsh("start", "c1")
        cls.conn = libvirt.open(cls.d.uri)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.d.cleanup()

    def setUp(self):
        self.consoles = []

    def tearDown(self):
        for c in self.consoles:
            c.kill()

    def console(self, *extra, name="c1"):
        c = Console(self.d.uri, name, *extra)
        self.consoles.append(c)
        return c

    def test_virsh_console_both_ways(self):
        """The guest's output reaches virsh console, keystrokes reach the
        guest, ^] leaves with status 0 and the guest keeps running."""
        c = self.console()
        c.wait_text("Connected to domain 'c1'")
        c.wait_text("dirtier: t=")
        c.type("\rhello console\r")
        c.wait_text("dirtier: echo hello console")
        os.write(c.fd, ESCAPE)
        self.assertEqual(c.wait_exit(), 0)
        self.assertIn("running", self.d.virsh("domstate", "c1").stdout)
        # A new session may start at once: the first one is gone.
        c2 = self.console()
        c2.wait_text("dirtier: t=")
        os.write(c2.fd, ESCAPE)
        self.assertEqual(c2.wait_exit(), 0)

    def test_second_session_refused_then_forced(self):
        """While one session is open a second is refused with libvirt's
        error; --force takes the console over and ends the first."""
        a = self.console()
        a.wait_text("dirtier: t=")
        b = self.console()
        self.assertNotEqual(b.wait_exit(), 0)
        self.assertIn(b"Active console session exists for this domain",
                      b.out)
        f = self.console("--force")
        f.wait_text("dirtier: t=")
        self.assertEqual(a.wait_exit(), 0)
        f.type("\rforced\r")
        f.wait_text("dirtier: echo forced")
        os.write(f.fd, ESCAPE)
        self.assertEqual(f.wait_exit(), 0)

    def test_python_stream(self):
        """python3-libvirt: openConsole into a stream, send and receive,
        finish."""
        dom = self.conn.lookupByName("c1")
        st = self.conn.newStream(0)
        dom.openConsole(None, st, 0)
        try:
            got = b""
            end = time.time() + 30
            while b"dirtier: t=" not in got:
                self.assertLess(time.time(), end, got[-400:])
                got += st.recv(4096)
            for c in b"\rfrom python\r":
                st.send(bytes([c]))
                time.sleep(0.05)
            while b"dirtier: echo from python" not in got:
                self.assertLess(time.time(), end, got[-400:])
                got += st.recv(4096)
            st.finish()
        except Exception:
            st.abort()
            raise

    def test_y_flood_is_bounded(self):
        """A client that sends far more than the guest reads: the daemon
        stops reading it (its memory stays bounded) and keeps serving
        others; aborting ends the session."""
        def rss_kib():
            with open(f"/proc/{self.d.proc.pid}/status") as f:
                return int([l for l in f if l.startswith("VmRSS:")][0]
                           .split()[1])

        dom = self.conn.lookupByName("c1")
        conn = libvirt.open(self.d.uri)
        st = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        dom = conn.lookupByName("c1")
        dom.openConsole(None, st, 0)
        before = rss_kib()
        chunk = b"x" * 65536
        sent = 0
        end = time.time() + 8
        while sent < 16 * 1024 * 1024 and time.time() < end:
            n = st.send(chunk)
            if n == -2:  # would block: the daemon stopped reading
                time.sleep(0.05)
                continue
            sent += n
        grown = rss_kib() - before
        self.assertLess(sent, 16 * 1024 * 1024,
                        "the daemon took everything")
        self.assertLess(grown, 8 * 1024, f"RSS grew {grown} KiB")
        t0 = time.time()
        self.assertIn("c1", self.d.virsh("list").stdout)
        self.assertLess(time.time() - t0, 10)
        st.abort()
        conn.close()
        # The session is gone: a new one opens.
        c = self.console()
        c.wait_text("dirtier: t=")
        os.write(c.fd, ESCAPE)
        self.assertEqual(c.wait_exit(), 0)

    def test_errors(self):
        """libvirt's errors: no such device, not a pty, not running,
        read-only connection; the daemon keeps serving."""
        dom = self.conn.lookupByName("c1")
        st = self.conn.newStream(0)
        with self.assertRaises(libvirt.libvirtError) as e:
            dom.openConsole("serial7", st, 0)
        self.assertEqual(e.exception.get_error_code(),
                         libvirt.VIR_ERR_INTERNAL_ERROR)
        self.assertIn("cannot find character device serial7", str(e.exception))
        with self.assertRaises(libvirt.libvirtError) as e:
            dom.openConsole(None, self.conn.newStream(0), 1 << 5)
        self.assertEqual(e.exception.get_error_code(),
                         libvirt.VIR_ERR_INVALID_ARG)
        ro = libvirt.openReadOnly(self.d.ro_uri)
        with self.assertRaises(libvirt.libvirtError) as e:
            ro.lookupByName("c1").openConsole(None, ro.newStream(0), 0)
        self.assertEqual(e.exception.get_error_code(),
                         libvirt.VIR_ERR_OPERATION_DENIED)
        ro.close()
        path = os.path.join(self.d.dir, "f1.xml")
        with open(path, "w") as f:
            f.write(pty_guest_xml("f1", os.path.join(self.d.dir, "f1.out")))
        self.d.virsh("define", path)
        f1 = self.conn.lookupByName("f1")
        with self.assertRaises(libvirt.libvirtError) as e:
            f1.openConsole(None, self.conn.newStream(0), 0)
        self.assertEqual(e.exception.get_error_code(),
                         libvirt.VIR_ERR_OPERATION_INVALID)
        self.d.virsh("start", "f1")
        try:
            with self.assertRaises(libvirt.libvirtError) as e:
                f1.openConsole(None, self.conn.newStream(0), 0)
            self.assertIn("is not using a PTY", str(e.exception))
        finally:
            self.d.virsh("destroy", "f1")
            self.d.virsh("undefine", "f1")
        self.assertIn("running", self.d.virsh("domstate", "c1").stdout)

    def test_zz_destroy_ends_session(self):
        """Destroying the guest ends an open session: virsh console
        returns."""
        c = self.console()
        c.wait_text("dirtier: t=")
        self.d.virsh("destroy", "c1")
        c.wait_exit()
        self.assertTrue(self.d.alive())
        self.d.virsh("start", "c1")


if __name__ == "__main__":
    cvgtest.main()
