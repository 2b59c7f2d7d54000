#!/usr/bin/python3
"""SASL on the TCP listener: real virsh and python3-libvirt over
qemu+tcp://127.0.0.1:PORT/system against a sasldb made with saslpasswd2,
refusals with libvirt's errors, the authentication gate, the close after
repeated failures, and the daemon's own peer client with an auth file."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import libvirt

from cvgtest import (AUTH_LIST, AUTH_POLKIT, BUILD, SASL_INIT, SASL_START,
                     SASL_STEP, VIRSH, Daemon, RawClient, RPC_ERROR, RPC_OK,
                     auth_file, console_lines, decode_rpc_error, free_port,
                     guest_xml, main, make_sasl_conf, open_auth,
                     wait_console, wait_for, xdr_string, _XdrReader)

PEER_OPEN = os.path.join(BUILD, "tests", "peer-open")
USERS = {"fred": "secret123", "bob": "hunter22"}  # bob is not allowed

# Procedure numbers
CONNECT_OPEN, CONNECT_GET_TYPE = 1, 3
VIR_ERR_NO_SUPPORT, VIR_ERR_RPC, VIR_ERR_AUTH_FAILED = 3, 39, 45


def sasl_start_args(mech, data=None):
    """remote_auth_sasl_start_args: each token byte is a 4-byte XDR char."""
    body = xdr_string(mech)
    if data is None:
        return body + struct.pack(">iI", 1, 0)
    return body + struct.pack(">iI", 0, len(data)) + b"".join(
        struct.pack(">i", b) for b in data)


class SaslTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cvg-sasl-")
        make_sasl_conf(cls.dir, USERS)
        cls.port = free_port()
        cls.uri = f"qemu+tcp://127.0.0.1:{cls.port}/system"
        cls.daemon = Daemon("sasl", args=["--listen"], config=(
            "listen_tcp = 1\nlisten_tls = 0\n"
            "listen_addr = \"127.0.0.1\"\n"
            f"tcp_port = \"{cls.port}\"\n"
            "migration_host = \"127.0.0.1\"\n"
            "migration_port_min = 49300\nmigration_port_max = 49309\n"
            f"sasl_conf_dir = \"{cls.dir}\"\n"
            "sasl_allowed_username_list = [\"fred\", \"ali*\"]\n"))
        wait_for(lambda: cls.tcp_up(), 10, what="TCP listener")
        cls.good = auth_file(os.path.join(cls.dir, "good.conf"), "fred",
                             USERS["fred"])
        cls.bad = auth_file(os.path.join(cls.dir, "bad.conf"), "fred",
                            "wrong")
        cls.bob = auth_file(os.path.join(cls.dir, "bob.conf"), "bob",
                            USERS["bob"])

    @classmethod
    def tearDownClass(cls):
        cls.daemon.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def tcp_up(cls):
        try:
            socket.create_connection(("127.0.0.1", cls.port), 1).close()
            return True
        except OSError:
            return False

    def virsh(self, authfile, *args):
        env = dict(os.environ, LIBVIRT_AUTH_FILE=authfile)
        return subprocess.run([VIRSH, "-c", self.uri] + list(args),
                              capture_output=True, text=True, timeout=60,
                              env=env, stdin=subprocess.DEVNULL)

    def raw(self):
        c = RawClient(("127.0.0.1", self.port))
        self.addCleanup(c.close)
        return c

    def assert_error(self, reply, code, text):
        self.assertEqual(reply["status"], RPC_ERROR)
        err = decode_rpc_error(reply["payload"])
        self.assertEqual(err["code"], code, err)
        self.assertIn(text, err["message"])
        return err

    # -- real clients ------------------------------------------------------

    def test_virsh_right_password(self):
        p = self.virsh(self.good, "list", "--all")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Id", p.stdout)
        # Another call through the layer.
        p = self.virsh(self.good, "capabilities")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("<capabilities>", p.stdout)
        log = self.daemon.tail(400)
        self.assertIn("authenticated as fred", log)
        self.assertIn("now over tcp+sasl", log)

    def test_virsh_wrong_password(self):
        p = self.virsh(self.bad, "list")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("authentication failed: authentication failed",
                      p.stderr)
        self.assertTrue(self.daemon.alive())
        self.assertEqual(self.virsh(self.good, "list").returncode, 0)

    def test_virsh_user_not_allowed(self):
        p = self.virsh(self.bob, "list")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("authentication failed", p.stderr)
        self.assertIn("not in sasl_allowed_username_list",
                      self.daemon.tail(200))

    def python_open(self, user, password):
        return open_auth(self.uri, user, password)

    def test_python_openauth(self):
        for _ in range(5):
            conn = self.python_open("fred", USERS["fred"])
            self.assertEqual(conn.getType(), "QEMU")
            self.assertEqual(conn.listAllDomains(), [])
            self.assertIn("<capabilities>", conn.getCapabilities())
            conn.close()
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.python_open("fred", "nope")
        self.assertEqual(cm.exception.get_error_code(),
                         libvirt.VIR_ERR_AUTH_FAILED)
        self.assertIn("authentication failed", str(cm.exception))

    # -- raw protocol ------------------------------------------------------

    def test_unauthenticated_calls_refused(self):
        c = self.raw()
        r = c.call(AUTH_LIST)
        self.assertEqual(r["status"], RPC_OK)
        rd = _XdrReader(r["payload"])
        self.assertEqual([rd.i32() for _ in range(rd.u32())], [1])
        for proc in (CONNECT_OPEN, CONNECT_GET_TYPE):
            self.assert_error(c.call(proc, xdr_string("x") if proc == 1
                                     else b""),
                              VIR_ERR_RPC, "authentication required")
        self.assert_error(c.call(AUTH_POLKIT), VIR_ERR_NO_SUPPORT,
                          "virAuthPolkit")
        self.assertTrue(self.daemon.alive())

    def test_plain_tcp_offers_only_layered_mechanisms(self):
        # SCRAM has no security layer: below the SSF floor on plain TCP.
        r = self.raw().call(SASL_INIT)
        self.assertEqual(r["status"], RPC_OK)
        self.assertEqual(_XdrReader(r["payload"]).string(), "DIGEST-MD5")

    def test_closed_after_repeated_failures(self):
        c = self.raw()
        self.assertEqual(c.call(SASL_INIT)["status"], RPC_OK)
        for _ in range(3):
            self.assert_error(c.call(SASL_START, sasl_start_args("BOGUS")),
                              VIR_ERR_AUTH_FAILED,
                              "authentication failed: authentication failed")
        self.assertTrue(c.closed_by_peer())
        self.assertIn("3 failed authentication attempts",
                      self.daemon.tail(200))
        # A step with no exchange, then a garbage token: two failures, the
        # connection stays.
        c = self.raw()
        self.assert_error(c.call(SASL_STEP, struct.pack(">iI", 1, 0)),
                          VIR_ERR_AUTH_FAILED, "authentication failed")
        self.assertEqual(c.call(SASL_INIT)["status"], RPC_OK)
        self.assertEqual(c.call(SASL_START, sasl_start_args("DIGEST-MD5"))
                         ["status"], RPC_OK)
        self.assert_error(c.call(SASL_STEP, struct.pack(">iI", 0, 3) +
                                 struct.pack(">iii", 1, 2, 3)),
                          VIR_ERR_AUTH_FAILED, "authentication failed")
        self.assertFalse(c.closed_by_peer(0.5))
        # A step after INIT but before START (crashed Cyrus SASL before
        # the session checked the order).
        c = self.raw()
        self.assertEqual(c.call(SASL_INIT)["status"], RPC_OK)
        self.assert_error(c.call(SASL_STEP, struct.pack(">iI", 0, 1) +
                                 struct.pack(">i", 120)),
                          VIR_ERR_AUTH_FAILED, "authentication failed")
        self.assertTrue(self.daemon.alive())
        self.assertEqual(self.virsh(self.good, "list").returncode, 0)

    # -- the daemon's peer client -----------------------------------------

    def test_peer_client_auth_file(self):
        p = subprocess.run([PEER_OPEN, self.uri, self.good],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("type QEMU", p.stdout)
        p = subprocess.run([PEER_OPEN, self.uri, self.bad],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"error {VIR_ERR_AUTH_FAILED}: authentication failed",
                      p.stderr)
        p = subprocess.run([PEER_OPEN, self.uri,
                            os.path.join(self.dir, "missing.conf")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read credentials", p.stderr)


class SaslPeerToPeer(unittest.TestCase):
    """virsh migrate --p2p from a daemon on its UNIX socket to the SASL
    daemon's qemu+tcp URI: the source's peer client logs in with
    migrate_auth_file.  Both daemons run on this host."""

    def setUp(self):
        SaslTest.setUpClass()
        self.addCleanup(SaslTest.tearDownClass)
        self.dst = SaslTest.daemon
        self.authfile = os.path.join(SaslTest.dir, "peer.conf")
        self.src = Daemon("sasl-src", config=(
            f"migrate_auth_file = \"{self.authfile}\"\n"
            "migration_port_min = 49310\nmigration_port_max = 49319\n"))
        self.addCleanup(self.src.cleanup)
        self.console = os.path.join(SaslTest.dir, "p2p.console")
        path = os.path.join(SaslTest.dir, "p2p.xml")
        with open(path, "w") as f:
            f.write(guest_xml("saslp2p", self.console, dirty_mib=8, rate=4))
        self.src.virsh("define", path)
        self.src.virsh("start", "saslp2p")
        wait_console(self.console, count=2, timeout=90)

    def migrate(self):
        return self.src.virsh("migrate", "--live", "--p2p", "saslp2p",
                              SaslTest.uri, check=False, timeout=300)

    def test_p2p_over_sasl(self):
        auth_file(self.authfile, "fred", "wrong")
        p = self.migrate()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("authentication failed", p.stderr)
        self.assertIn("running", self.src.virsh("domstate", "saslp2p").stdout)

        auth_file(self.authfile, "fred", USERS["fred"])
        p = self.migrate()
        self.assertEqual(p.returncode, 0, p.stderr)
        env = dict(os.environ, LIBVIRT_AUTH_FILE=SaslTest.good)
        out = subprocess.run([VIRSH, "-c", SaslTest.uri, "domstate",
                              "--reason", "saslp2p"], capture_output=True,
                             text=True, env=env, timeout=60)
        self.assertIn("running (migrated)", out.stdout, out.stderr)
        self.assertIn("authenticated as fred", self.dst.tail(400))
        n = len(console_lines(self.console, "dirtier: t="))
        wait_for(lambda: len(console_lines(self.console, "dirtier: t=")) >
                 n, 60, what="the guest running on the destination")


if __name__ == "__main__":
    main()
