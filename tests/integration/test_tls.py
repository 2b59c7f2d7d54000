#!/usr/bin/python3
"""The TLS listener (qemu+tls://) with the real virsh 9.0 and python3-libvirt.

One daemon for the module, started with --listen: TLS on 127.0.0.1 with
certificates made by cvgpki (certtool), tls_allowed_dn_list naming the good
clients, a 2 s handshake timeout, and a plain TCP listener with auth_tcp =
"none" for the cross-protocol cases.  Every refusal is checked three ways:
the client gets an error, the daemon's log says why, and a good client is
served right after.  Run with /usr/bin/python3 under the integration lock.
"""
import os
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import Daemon, guest_xml, wait_for  # noqa: E402
from cvgpki import Pki  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)

ALLOWED = "C=GB,O=convergd test,CN=client*"


class TlsTest(unittest.TestCase):
    d = None
    pki = None

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()
        try:
            cls._make_pki()
            cls.tls_port = cvgtest.free_port()
            cls.tcp_port = cvgtest.free_port()
            config = cls.pki.server_config() + f"""
listen_tls = 1
listen_tcp = 1
listen_addr = "127.0.0.1"
tls_port = "{cls.tls_port}"
tcp_port = "{cls.tcp_port}"
auth_tcp = "none"
tls_allowed_dn_list = ["{ALLOWED}"]
tls_handshake_timeout = 2
max_anonymous_clients = 500
"""
            cls.d = Daemon("tls", config=config, args=["--listen"])
            cls.d.wait_port(cls.tls_port)
            cls.d.wait_port(cls.tcp_port)
            xml = guest_xml("tlsvm", os.path.join(cls.d.dir, "console.log"))
            with tempfile.NamedTemporaryFile("w", suffix=".xml",
                                             dir=cls.d.dir,
                                             delete=False) as f:
                f.write(xml)
            cls.d.virsh("define", f.name)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def _make_pki(cls):
        cls.pki.server()
        cls.pki.other_ca()
        cls.good = cls.pki.client("client1")
        cls.stranger = cls.pki.client("stranger", cn="intruder",
                                      org="elsewhere")
        cls.foreign = cls.pki.client("foreign", cn="client9", ca="otherca")
        cls.expired = cls.pki.client("expired", cn="client3", expired=True)
        # Trusts another CA: does not trust the server.
        cls.distrust = cls.pki.client("distrust", cn="client4",
                                      trust="otherca")

    @classmethod
    def tearDownClass(cls):
        if cls.d:
            cls.d.cleanup()
        if cls.pki:
            cls.pki.cleanup()

    def uri(self, pki=None, port=None, scheme="qemu+tls", extra=""):
        return (f"{scheme}://127.0.0.1:{port or self.tls_port}/system"
                f"?pkipath={pki or self.good}{extra}")

    def assert_serving(self):
        """A good client is served (after a refusal)."""
        self.assertTrue(self.d.alive(), self.d.tail())
        p = self.d.virsh("list", "--all", uri=self.uri(), timeout=30)
        self.assertIn("tlsvm", p.stdout)

    def assert_logged(self, text, since):
        wait_for(lambda: text in self.log_since(since), 10,
                 what=f"'{text}' in the daemon log")

    def log_since(self, offset):
        with open(self.d.log) as f:
            f.seek(offset)
            return f.read()

    def log_offset(self):
        return os.path.getsize(self.d.log)

    def raw_tls(self, pkidir, port=None):
        """A TLS connection made with Python's ssl (which sends whatever
        certificate it is given, unlike libvirt, which checks its own
        first); returns the status byte, or b"" when the server closed."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(os.path.join(self.good, "cacert.pem"))
        ctx.load_cert_chain(os.path.join(pkidir, "clientcert.pem"),
                            os.path.join(pkidir, "clientkey.pem"))
        with socket.create_connection(("127.0.0.1", port or self.tls_port),
                                      timeout=10) as s:
            try:
                with ctx.wrap_socket(s) as t:
                    return t.recv(1)
            except (ssl.SSLError, ConnectionError):
                return b""

    # -- accepted ----------------------------------------------------------

    def test_virsh(self):
        p = self.d.virsh("list", "--all", uri=self.uri())
        self.assertIn("tlsvm", p.stdout)
        p = self.d.virsh("dominfo", "tlsvm", uri=self.uri())
        self.assertIn("shut off", p.stdout)
        self.assertIn("tlsvm", p.stdout)
        # The DN is the client's identity in the log.
        self.assertIn("certificate DN 'C=GB,O=convergd test,CN=client1'",
                      self.d.tail(400))

    def test_python(self):
        conn = libvirt.open(self.uri())
        try:
            names = [d.name() for d in conn.listAllDomains()]
            self.assertIn("tlsvm", names)
            info = conn.lookupByName("tlsvm").info()
            self.assertEqual(info[0], libvirt.VIR_DOMAIN_SHUTOFF)
            self.assertEqual(info[1], 128 * 1024)
        finally:
            conn.close()

    def test_status_byte(self):
        self.assertEqual(self.raw_tls(self.good), b"\x01")

    # -- refused -----------------------------------------------------------

    def refused(self, pkidir, reason, virsh_says=None):
        off = self.log_offset()
        fds = self.d.fd_count()
        self.assertEqual(self.raw_tls(pkidir), b"", "no status byte")
        self.assert_logged(reason, off)
        p = self.d.virsh("list", uri=self.uri(pkidir), check=False,
                         timeout=30)
        self.assertNotEqual(p.returncode, 0)
        print(f"  virsh: {p.stderr.strip()}")
        if virsh_says:
            self.assertIn(virsh_says, p.stderr)
        self.assert_serving()
        wait_for(lambda: self.d.fd_count() <= fds, 10, what="fds released")

    def test_refused_unknown_ca(self):
        self.refused(self.foreign, "not signed by a known CA")

    def test_refused_expired(self):
        self.refused(self.expired, "it has expired", "expired")

    def test_refused_dn(self):
        self.refused(self.stranger,
                     "DN 'C=GB,O=elsewhere,CN=intruder' is not in "
                     "tls_allowed_dn_list")

    def test_client_distrusts_server(self):
        p = self.d.virsh("list", uri=self.uri(self.distrust), check=False,
                         timeout=30)
        self.assertNotEqual(p.returncode, 0)
        print(f"  virsh: {p.stderr.strip()}")
        self.assert_serving()

    def test_plaintext_on_tls_port(self):
        off = self.log_offset()
        p = self.d.virsh("list", uri=self.uri(scheme="qemu+tcp"),
                         check=False, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        print(f"  virsh: {p.stderr.strip()}")
        self.assert_logged("TLS handshake failed", off)
        self.assert_serving()

    def test_tls_on_tcp_port(self):
        p = self.d.virsh("list", uri=self.uri(port=self.tcp_port),
                         check=False, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        print(f"  virsh: {p.stderr.strip()}")
        self.assert_serving()
        # The TCP port itself still works for a plain client.
        p = self.d.virsh("list", "--all",
                         uri=f"qemu+tcp://127.0.0.1:{self.tcp_port}/system")
        self.assertIn("tlsvm", p.stdout)

    def test_missing_key_stops_start(self):
        """A server key that is not there: the daemon does not start and
        says which file."""
        missing = self.pki.path("nokey.pem")
        config = self.pki.server_config().replace(
            self.pki.path("serverkey.pem"), missing)
        config += f'listen_tls = 1\nlisten_addr = "127.0.0.1"\n' \
                  f'tls_port = "{cvgtest.free_port()}"\n'
        workdir = tempfile.mkdtemp(prefix="cvg-tlsbad-")
        try:
            with self.assertRaises(RuntimeError) as cm:
                Daemon("tlsbad", config=config, args=["--listen"],
                       workdir=workdir).cleanup()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        self.assertIn(f"cannot read private key '{missing}'",
                      str(cm.exception))

    def test_stalled_handshakes(self):
        """200 connections that send nothing: a good client is served
        meanwhile, the handshake timeout drops them all, nothing leaks."""
        time.sleep(0.5)
        fds = self.d.fd_count()
        off = self.log_offset()
        socks = [socket.create_connection(("127.0.0.1", self.tls_port))
                 for _ in range(200)]
        try:
            start = time.time()
            self.assert_serving()
            print(f"  good client served in {time.time() - start:.2f} s "
                  f"with 200 stalled handshakes")
            deadline = time.time() + 15
            for s in socks:
                s.settimeout(max(0.1, deadline - time.time()))
                self.assertEqual(s.recv(1), b"", "dropped by the server")
            print(f"  all 200 dropped after {time.time() - start:.2f} s")
        finally:
            for s in socks:
                s.close()
        self.assertIn("handshake not done in time", self.log_since(off))
        wait_for(lambda: self.d.fd_count() <= fds, 10,
                 what=f"fd count back to {fds}")
        self.assert_serving()


if __name__ == "__main__":
    cvgtest.main()
