#!/usr/bin/python3
"""SASL over TLS (auth_tls = "sasl"): real virsh and python3-libvirt log in
over qemu+tls://127.0.0.1:PORT/system with a client certificate and then a
SASL user from a sasldb; the mechanism offered and chosen over TLS against
plain TCP's, the daemon's peer client, a wrong password, the close after
repeated failures, procedures called before the SASL step, and no
EXTERNAL login with the certificate alone.

One daemon for the module: TLS with auth_tls = "sasl" and, for comparison,
TCP with auth_tcp = "sasl", both on 127.0.0.1 with the same sasl_conf_dir.
Run with /usr/bin/python3 under the integration lock.
"""
import os
import shutil
import ssl
import struct
import subprocess
import tempfile
import unittest

from cvgtest import (BUILD, AUTH_LIST, SASL_INIT, SASL_START, VIRSH, RawClient,
                     RPC_ERROR, RPC_OK, auth_file, decode_rpc_error,
                     free_port, main, make_sasl_conf, open_auth, wait_for,
                     xdr_opt_string, xdr_string, Daemon, _XdrReader)
from cvgpki import Pki

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)

PEER_OPEN = os.path.join(BUILD, "tests", "peer-open")
USERS = {"fred": "secret123"}
CONNECT_OPEN, CONNECT_GET_TYPE, CONNECT_LIST_ALL_DOMAINS = 1, 3, 273
VIR_ERR_RPC, VIR_ERR_AUTH_FAILED = 39, 45
REMOTE_AUTH_SASL = 1


class SaslTlsTest(unittest.TestCase):
    d = None
    pki = None

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cvg-sasltls-")
        cls.pki = Pki()
        try:
            cls._setup()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        cls.pki.server()
        cls.client = cls.pki.client("client1")
        make_sasl_conf(cls.dir, USERS)
        cls.tls_port, cls.tcp_port = free_port(), free_port()
        cls.d = Daemon("sasltls", args=["--listen"],
                       config=cls.pki.server_config() + f"""
listen_tls = 1
listen_tcp = 1
listen_addr = "127.0.0.1"
tls_port = "{cls.tls_port}"
tcp_port = "{cls.tcp_port}"
auth_tls = "sasl"
auth_tcp = "sasl"
sasl_conf_dir = "{cls.dir}"
sasl_allowed_username_list = ["fred"]
""")
        cls.d.wait_port(cls.tls_port)
        cls.d.wait_port(cls.tcp_port)
        cls.uri = (f"qemu+tls://127.0.0.1:{cls.tls_port}/system"
                   f"?pkipath={cls.client}")
        cls.good = auth_file(os.path.join(cls.dir, "good.conf"), "fred",
                             USERS["fred"])
        cls.bad = auth_file(os.path.join(cls.dir, "bad.conf"), "fred",
                            "wrong")

    @classmethod
    def tearDownClass(cls):
        if cls.d:
            cls.d.cleanup()
        if cls.pki:
            cls.pki.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def virsh(self, authfile, *args):
        env = dict(os.environ, LIBVIRT_AUTH_FILE=authfile)
        return subprocess.run([VIRSH, "-c", self.uri] + list(args),
                              capture_output=True, text=True, timeout=60,
                              env=env, stdin=subprocess.DEVNULL)

    def log_offset(self):
        return os.path.getsize(self.d.log)

    def log_since(self, offset):
        with open(self.d.log) as f:
            f.seek(offset)
            return f.read()

    def assert_serving(self):
        self.assertTrue(self.d.alive(), self.d.tail())
        p = self.virsh(self.good, "list", "--all")
        self.assertEqual(p.returncode, 0, p.stderr)

    def raw_tls(self):
        """A RawClient over TLS with the good client certificate, past the
        status byte: nothing sent yet."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(os.path.join(self.client, "cacert.pem"))
        ctx.load_cert_chain(os.path.join(self.client, "clientcert.pem"),
                            os.path.join(self.client, "clientkey.pem"))
        c = RawClient(("127.0.0.1", self.tls_port))
        self.addCleanup(c.close)
        c.sock = ctx.wrap_socket(c.sock)
        self.assertEqual(c.sock.recv(1), b"\x01", "TLS status byte")
        return c

    def mechlist(self, c):
        r = c.call(SASL_INIT)
        if r["status"] != RPC_OK:
            self.fail(decode_rpc_error(r["payload"]))
        return _XdrReader(r["payload"]).string().split(",")

    def assert_error(self, reply, code, text):
        self.assertEqual(reply["status"], RPC_ERROR)
        err = decode_rpc_error(reply["payload"])
        self.assertEqual(err["code"], code, err)
        self.assertIn(text, err["message"])

    # -- accepted ----------------------------------------------------------

    def test_virsh(self):
        off = self.log_offset()
        p = self.virsh(self.good, "list", "--all")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Id", p.stdout)
        log = self.log_since(off)
        # Over TLS the client needs no SASL layer: libvirt asks for none
        # (max SSF 0), so it takes SCRAM-SHA-256, which plain TCP never
        # offers, and the connection stays TLS only.
        self.assertIn("SASL mechanism SCRAM-SHA-256", log)
        self.assertIn("authenticated as fred", log)
        self.assertIn("SASL security strength 0", log)
        self.assertNotIn("tcp+sasl", log)

    def test_python(self):
        for _ in range(3):
            conn = open_auth(self.uri, "fred", USERS["fred"])
            try:
                self.assertEqual(conn.getType(), "QEMU")
                self.assertEqual(conn.listAllDomains(), [])
                self.assertIn("<capabilities>", conn.getCapabilities())
            finally:
                conn.close()

    def test_mechanisms_tls_and_tcp(self):
        """Over TLS both listed mechanisms are offered; on plain TCP only
        the one with a security layer."""
        self.assertEqual(sorted(self.mechlist(self.raw_tls())),
                         ["DIGEST-MD5", "SCRAM-SHA-256"])
        self.assertEqual(self.mechlist(RawClient(("127.0.0.1",
                                                  self.tcp_port))),
                         ["DIGEST-MD5"])

    def test_peer_client(self):
        """The daemon's own peer client (peer-to-peer migration) logs in
        over TLS with the auth file too."""
        off = self.log_offset()
        p = subprocess.run([PEER_OPEN, self.uri, self.good],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("type QEMU", p.stdout)
        log = self.log_since(off)
        self.assertIn("authenticated as fred", log)
        # Like libvirt's client: no SASL layer inside TLS.
        self.assertIn("SASL mechanism SCRAM-SHA-256", log)
        self.assertIn("SASL security strength 0", log)
        p = subprocess.run([PEER_OPEN, self.uri, self.bad],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"error {VIR_ERR_AUTH_FAILED}: authentication failed",
                      p.stderr)

    # -- refused -----------------------------------------------------------

    def test_wrong_password(self):
        off = self.log_offset()
        p = self.virsh(self.bad, "list")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("authentication failed: authentication failed",
                      p.stderr)
        with self.assertRaises(libvirt.libvirtError) as cm:
            open_auth(self.uri, "fred", "nope")
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_AUTH_FAILED)
        wait_for(lambda: "SASL authentication failed" in
                 self.log_since(off), 10, what="the failure logged")
        self.assert_serving()

    def test_closed_after_repeated_failures(self):
        """The third failed attempt closes the TLS connection too, and
        nothing is left behind."""
        fds = self.d.fd_count()
        c = self.raw_tls()
        for _ in range(3):
            self.assertEqual(c.call(SASL_INIT)["status"], RPC_OK)
            self.assert_error(c.call(SASL_START, xdr_string("BOGUS") +
                                     struct.pack(">iI", 1, 0)),
                              VIR_ERR_AUTH_FAILED, "authentication failed")
        self.assertTrue(c.closed_by_peer())
        c.close()
        wait_for(lambda: self.d.fd_count() <= fds, 10, what="fds released")
        self.assert_serving()

    def test_no_sasl_step(self):
        """A valid certificate is not enough: before SASL only the auth
        procedures answer."""
        c = self.raw_tls()
        r = c.call(AUTH_LIST)
        self.assertEqual(r["status"], RPC_OK)
        rd = _XdrReader(r["payload"])
        self.assertEqual([rd.i32() for _ in range(rd.u32())],
                         [REMOTE_AUTH_SASL])
        self.assert_error(c.call(CONNECT_OPEN, xdr_opt_string(
            "qemu:///system") + b"\0\0\0\0"), VIR_ERR_RPC,
            "authentication required")
        for proc in (CONNECT_GET_TYPE, CONNECT_LIST_ALL_DOMAINS):
            self.assert_error(c.call(proc), VIR_ERR_RPC,
                              "authentication required")
        # python3-libvirt with no credentials cannot get past SASL.
        with self.assertRaises(libvirt.libvirtError) as cm:
            libvirt.open(self.uri)
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_AUTH_FAILED)
        self.assert_serving()


class SaslTlsNoMechList(unittest.TestCase):
    """A libvirt.conf without mech_list (Cyrus SASL then offers every
    mechanism installed) and no sasl_allowed_username_list: the client
    certificate must still not log anyone in through EXTERNAL, which
    would make the SASL step a formality."""

    def setUp(self):
        SaslTlsTest.setUpClass()
        self.addCleanup(SaslTlsTest.tearDownClass)
        self.t = SaslTlsTest("test_virsh")
        self.addCleanup(self.t.doCleanups)
        d = SaslTlsTest.d
        with open(os.path.join(SaslTlsTest.dir, "libvirt.conf"), "w") as f:
            f.write(f"sasldb_path: {SaslTlsTest.dir}/passwd.db\n")
        d.stop()
        with open(d.conf) as f:
            conf = f.read().replace('sasl_allowed_username_list = ["fred"]',
                                    "")
        with open(d.conf, "w") as f:
            f.write(conf)
        d.start()
        d.wait_port(SaslTlsTest.tls_port)

    def test_no_external_login(self):
        t = self.t
        c = t.raw_tls()
        mechs = t.mechlist(c)
        self.assertIn("SCRAM-SHA-256", mechs)
        self.assertNotIn("EXTERNAL", mechs)
        # The certificate's DN as the authorization identity.
        dn = b"C=GB,O=convergd test,CN=client1"
        r = c.call(SASL_START, xdr_string("EXTERNAL") + struct.pack(
            ">iI", 0, len(dn)) + b"".join(struct.pack(">i", b) for b in dn))
        t.assert_error(r, VIR_ERR_AUTH_FAILED, "authentication failed")
        t.assert_error(c.call(CONNECT_GET_TYPE), VIR_ERR_RPC,
                       "authentication required")
        self.assertNotIn("authenticated as C=GB", SaslTlsTest.d.tail(200))
        t.assert_serving()


if __name__ == "__main__":
    main()
