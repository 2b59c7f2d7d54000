"""TLS on the migration stream (VIR_MIGRATE_TLS, virsh migrate --tls).

Two convergd daemons on this machine, each with its own configuration and
migrate_tls_x509_cert_dir, migrate a guest over loopback with real virsh and
real QEMU.  Certificates come from certtool (cvgtest.make_migrate_pki).

- peer-to-peer --tls --auto-converge completes, the guest's own memory check
  stays clean, QEMU had tls-creds set during the job on both sides (the
  daemons' debug logs hold the QMP traffic) and the credentials are removed
  after it;
- the client-driven form brings the guest back;
- a destination whose CA did not sign the source's certificate (and whose
  own certificate the source does not trust) fails the migration with
  QEMU's TLS error, and the guest keeps running on the source;
- a missing certificate file is refused before anything starts on the
  destination, naming the file.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import tempfile
import unittest
import uuid

import cvgtest
from cvgtest import Daemon, guest_xml, wait_for, console_lines

NAME = "cvgtls"


def conf(pki, port_min):
    return (f'migrate_tls_x509_cert_dir = "{pki}"\n'
            'migration_address = "127.0.0.1"\n'
            'migration_host = "127.0.0.1"\n'
            f"migration_port_min = {port_min}\n"
            f"migration_port_max = {port_min + 15}\n")


def qmp_lines(log, command):
    """The QMP commands @command the daemon logged, as JSON objects."""
    found = []
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r'(\{"execute": ?"' + re.escape(command) + r'".*\})',
                          line)
            if m:
                try:
                    found.append(json.loads(m.group(1)))
                except ValueError:
                    pass
    return found


class MigrateTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cvg-migtls-")
        ca = cvgtest.make_ca(os.path.join(cls.dir, "ca"))
        cls.src_pki = os.path.join(cls.dir, "src-pki")
        cls.dst_pki = os.path.join(cls.dir, "dst-pki")
        cvgtest.make_migrate_pki(cls.src_pki, ca)
        cvgtest.make_migrate_pki(cls.dst_pki, ca)
        # A second CA and a destination set signed by it: "wrong CA".
        bad_ca = cvgtest.make_ca(os.path.join(cls.dir, "bad-ca"),
                                 cn="some other CA")
        cls.bad_pki = os.path.join(cls.dir, "bad-pki")
        cvgtest.make_migrate_pki(cls.bad_pki, bad_ca)
        cls.src = Daemon("tls-src", conf(cls.src_pki, 49400))
        cls.dst = Daemon("tls-dst", conf(cls.dst_pki, 49420))

    @classmethod
    def tearDownClass(cls):
        for d in (cls.src, cls.dst):
            d.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tearDown(self):
        for d in (self.src, self.dst):
            for n in (NAME,):
                d.virsh("destroy", n, check=False)
                d.virsh("undefine", n, check=False)

    def start_guest(self):
        console = os.path.join(self.dir, f"{NAME}.console")
        if os.path.exists(console):
            os.unlink(console)
        xml = guest_xml(NAME, console, mem_mib=128, dirty_mib=16, rate=8,
                        verify=True, uuid=str(uuid.uuid4()))
        path = os.path.join(self.dir, f"{NAME}.xml")
        with open(path, "w") as f:
            f.write(xml)
        self.src.virsh("define", path)
        self.src.virsh("start", NAME)
        cvgtest.wait_console(console, count=3, timeout=90)
        return console

    def assert_state(self, d, text):
        out = d.virsh("domstate", "--reason", NAME, check=False)
        self.assertIn(text, out.stdout, f"{d.name}: {out.stdout}{out.stderr}")

    def assert_verify_clean_after(self, console, count=3):
        since = len(console_lines(console, "dirtier: t="))
        wait_for(lambda: len(console_lines(console, "dirtier: t=")) >=
                 since + count, 60, what="dirtier lines after migration")
        lines = console_lines(console)
        self.assertFalse([l for l in lines if "CORRUPT" in l], lines[-5:])
        self.assertIn("verify_errors=0",
                      console_lines(console, "dirtier: t=")[-1])

    def set_params(self, d):
        return [c.get("arguments", {})
                for c in qmp_lines(d.log, "migrate-set-parameters")]

    def test_1_p2p_tls_then_back(self):
        console = self.start_guest()
        p = self.src.virsh("migrate", "--live", "--p2p", "--tls",
                           "--auto-converge", NAME, self.dst.uri,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_state(self.dst, "running (migrated)")
        self.assert_state(self.src, "shut off (migrated)")
        self.assert_verify_clean_after(console)

        # The source: client credentials, tls-creds and tls-hostname before
        # migrate, both reset after; QEMU reported tls-creds while polled.
        adds = qmp_lines(self.src.log, "object-add")
        self.assertTrue(adds, self.src.tail())
        self.assertEqual(adds[-1]["arguments"],
                         {"qom-type": "tls-creds-x509",
                          "id": "cvg-migrate-tls0", "endpoint": "client",
                          "dir": self.src_pki, "verify-peer": True})
        sp = self.set_params(self.src)
        self.assertTrue([a for a in sp
                         if a.get("tls-creds") == "cvg-migrate-tls0" and
                         a.get("tls-hostname") == "127.0.0.1"], sp)
        self.assertEqual(sp[-1], {"tls-creds": "", "tls-hostname": ""})
        with open(self.src.log, errors="replace") as f:
            seen = [l for l in f if " recv: " in l and
                    re.search(r'"tls-creds": ?"cvg-migrate-tls0"', l)]
        self.assertTrue(seen, "query-migrate-parameters never showed "
                        "tls-creds during the job")
        self.assertTrue(qmp_lines(self.src.log, "object-del"))
        # The destination: the server side, verifying its peer.
        dadds = qmp_lines(self.dst.log, "object-add")
        self.assertEqual(dadds[-1]["arguments"]["endpoint"], "server")
        self.assertIs(dadds[-1]["arguments"]["verify-peer"], True)
        self.assertIn({"tls-creds": "cvg-migrate-tls0"},
                      self.set_params(self.dst))
        self.assertTrue(qmp_lines(self.dst.log, "object-del"))

        # Client-driven (no --p2p) back to where it came from.
        p = self.dst.virsh("migrate", "--live", "--tls", NAME, self.src.uri,
                           timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_state(self.src, "running (migrated)")
        self.assert_verify_clean_after(console)

    def test_2_wrong_ca_fails_guest_stays(self):
        console = self.start_guest()
        saved = os.path.join(self.dir, "dst-pki-good")
        shutil.copytree(self.dst_pki, saved)
        try:
            for f in os.listdir(self.bad_pki):
                shutil.copy(os.path.join(self.bad_pki, f), self.dst_pki)
            p = self.src.virsh("migrate", "--live", "--p2p", "--tls", NAME,
                               self.dst.uri, check=False, timeout=300)
        finally:
            for f in os.listdir(saved):
                shutil.copy(os.path.join(saved, f), self.dst_pki)
        self.assertNotEqual(p.returncode, 0)
        print(f"\n  wrong CA: {p.stderr.strip()}")
        self.assertRegex(p.stderr, r"(?i)tls|certificate|handshake")
        self.assert_state(self.src, "running")
        self.assertNotIn(NAME, self.dst.virsh("list", "--all").stdout)
        self.assertTrue(self.src.alive() and self.dst.alive())
        self.assert_verify_clean_after(console)
        # Nothing of the failed job is left in the source's QEMU.
        self.assertEqual(self.set_params(self.src)[-1],
                         {"tls-creds": "", "tls-hostname": ""})

    def test_3_missing_certificate(self):
        self.start_guest()
        key = os.path.join(self.dst_pki, "server-key.pem")
        os.rename(key, key + ".away")
        before = len(qmp_lines(self.dst.log, "qmp_capabilities"))
        try:
            p = self.src.virsh("migrate", "--live", "--p2p", "--tls", NAME,
                               self.dst.uri, check=False)
        finally:
            os.rename(key + ".away", key)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("server-key.pem", p.stderr)
        self.assertIn("Requested operation is not valid", p.stderr)
        # No QEMU was started on the destination.
        self.assertEqual(len(qmp_lines(self.dst.log, "qmp_capabilities")),
                         before)
        self.assert_state(self.src, "running")
        # And the source's own missing file is named there too.
        ckey = os.path.join(self.src_pki, "client-key.pem")
        os.rename(ckey, ckey + ".away")
        try:
            p = self.src.virsh("migrate", "--live", "--p2p", "--tls", NAME,
                               self.dst.uri, check=False)
        finally:
            os.rename(ckey + ".away", ckey)
        self.assertIn("client-key.pem", p.stderr)
        self.assert_state(self.src, "running")

    def test_4_daemon_restart_mid_tls_migration(self):
        """A source daemon killed during a TLS migration: the next one
        takes the credentials out of QEMU, so a plain migration after it
        is plain."""
        console = self.start_guest()
        adds = len(qmp_lines(self.src.log, "object-add"))
        mig = subprocess.Popen(
            [cvgtest.VIRSH, "-c", self.src.uri, "migrate", "--live", "--p2p",
             "--tls", "--bandwidth", "1", NAME, self.dst.uri],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: len(qmp_lines(self.src.log, "object-add")) >
                     adds, 30, what="the source's TLS credentials")
            time.sleep(1)
            self.assertIsNone(mig.poll(), "migration ended too soon")
            dels = len(qmp_lines(self.src.log, "object-del"))
            self.src.stop(signal.SIGKILL)
            self.src.start()
        finally:
            mig.communicate(timeout=60)
        wait_for(lambda: "running" in self.src.virsh(
            "domstate", NAME, check=False).stdout, 30, what="guest running")
        self.assertGreater(len(qmp_lines(self.src.log, "object-del")), dels,
                           self.src.tail())
        self.assertEqual(self.set_params(self.src)[-1],
                         {"tls-creds": "", "tls-hostname": ""})
        wait_for(lambda: NAME not in self.dst.virsh("list", "--all").stdout,
                 30, what="the destination to discard its guest")
        p = self.src.virsh("migrate", "--live", "--p2p", NAME, self.dst.uri,
                           check=False, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assert_state(self.dst, "running (migrated)")
        self.assert_verify_clean_after(console)

    def test_9_no_stray_qemu(self):
        for d in (self.src, self.dst):
            d.virsh("destroy", NAME, check=False)
        def ours():
            out = subprocess.run(["pgrep", "-af", "qemu-system"],
                                 capture_output=True, text=True).stdout
            return [l for l in out.splitlines()
                    if self.src.dir in l or self.dst.dir in l]

        wait_for(lambda: not ours(), 20, what="no QEMU of this test left")


if __name__ == "__main__":
    cvgtest.main()
