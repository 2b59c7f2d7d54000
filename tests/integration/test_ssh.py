#!/usr/bin/python3
"""qemu+ssh:// and hosts that share nothing but the link.

An isolated testbed (tools/testbed.sh up --isolated --listen tcp): each
host has its own network and mount namespace (/run, /root, /etc/pki), an
sshd with key authentication, and a convergd serving libvirt's default
socket /run/libvirt/libvirt-sock.  Real virsh and python3-libvirt, run in
one host, manage the other over qemu+ssh (libvirt's netcat proxy); a
peer-to-peer migration over qemu+unix fails because no socket is shared,
and the same migration over qemu+ssh and qemu+tcp completes.  Root only.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import VIRSH, in_host, virsh_in_host  # noqa: E402

NAME = "cvgssh"
CONVERGD_SOCK = "/run/convergd/convergd-sock"

PY_CLIENT = r"""
import json, sys, libvirt
uri, xml = sys.argv[1], open(sys.argv[2]).read()
c = libvirt.open(uri)
out = {"hostname": c.getHostname()}
d = c.createXML(xml, 0)
out["state"] = d.info()[0]
out["listed"] = [x.name() for x in c.listAllDomains()]
d.destroy()
out["after"] = [x.name() for x in c.listAllDomains()]
c.close()
print(json.dumps(out))
"""


class TestSsh(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        cls.etc_pki_before = os.path.exists("/etc/pki")
        cvgtest.testbed("down", "--name", NAME)
        cls.env = cvgtest.testbed("up", "--name", NAME, "--isolated",
                                  "--listen", "tcp")

    @classmethod
    def tearDownClass(cls):
        cvgtest.testbed("down", "--name", NAME)

    def other(self, side):
        return "DST" if side == "SRC" else "SRC"

    def host_dir(self, side):
        return os.path.join(self.env["DIR"], "a" if side == "SRC" else "b")

    def guest(self, name):
        """A guest XML file and console path in the shared directory (a
        path of one host is not there on the other)."""
        console = os.path.join(self.env["SHARED"], f"{name}.console")
        xml = os.path.join(self.env["SHARED"], f"{name}.xml")
        with open(xml, "w") as f:
            f.write(cvgtest.guest_xml(name, console, mem_mib=128,
                                      dirty_mib=8, rate=8))
        return xml, console

    def destroy_everywhere(self, name):
        for key in ("SRC_URI", "DST_URI"):
            cvgtest.virsh_at(self.env[key], "destroy", name, check=False)

    def test_hosts_share_no_unix_socket(self):
        for side in ("SRC", "DST"):
            own = os.path.join(self.host_dir(side), "run/libvirt/libvirt-sock")
            theirs = os.path.join(self.host_dir(self.other(side)),
                                  "run/libvirt/libvirt-sock")
            # Each daemon serves libvirt's default path in its own /run ...
            p = in_host(self.env, side, "stat", "-c", "%i",
                        self.env[f"{side}_SOCKET"])
            self.assertEqual(int(p.stdout), os.stat(own).st_ino)
            # ... and the other host's directory is not there at all.
            p = in_host(self.env, side, "ls", "-A", os.path.dirname(theirs),
                        check=False)
            self.assertNotEqual(p.returncode, 0)
            p = in_host(self.env, side, "ls", "-A",
                        self.host_dir(self.other(side)))
            self.assertEqual(p.stdout.strip(), "")
            p = virsh_in_host(self.env, side, cvgtest.unix_uri(theirs),
                              "list", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("No such file", p.stderr)

    def test_private_pki_and_home_shared_storage(self):
        for side in ("SRC", "DST"):
            addr = self.env[f"{side}_ADDR"]
            want = os.path.join(self.env["DIR"], "admin", "pki", "hosts",
                                addr, "libvirt", "servercert.pem")
            p = in_host(self.env, side, "cat",
                        "/etc/pki/libvirt/servercert.pem")
            with open(want) as f:
                self.assertEqual(p.stdout, f.read())
            for path in ("/etc/pki/CA/cacert.pem",
                         "/etc/pki/libvirt/private/serverkey.pem",
                         "/etc/pki/libvirt/clientcert.pem",
                         "/etc/pki/libvirt/private/clientkey.pem",
                         "/etc/pki/qemu/ca-cert.pem",
                         "/etc/pki/qemu/server-cert.pem",
                         "/etc/pki/qemu/server-key.pem",
                         "/etc/pki/qemu/client-cert.pem",
                         "/etc/pki/qemu/client-key.pem"):
                in_host(self.env, side, "test", "-s", path)
        keys = [in_host(self.env, s, "cat", "/root/.ssh/id_ed25519.pub").stdout
                for s in ("SRC", "DST")]
        self.assertNotEqual(keys[0], keys[1])
        # The machine's /etc is untouched (each host's /etc is an overlay).
        self.assertEqual(os.path.exists("/etc/pki"), self.etc_pki_before)
        # Shared storage: the same path on both hosts.
        path = os.path.join(self.env["SHARED"], "hello")
        in_host(self.env, "SRC", "sh", "-c", f"echo from-src >{path}")
        p = in_host(self.env, "DST", "cat", path)
        self.assertEqual(p.stdout, "from-src\n")

    def test_virsh_over_ssh(self):
        src, dst = self.env["SRC_ADDR"], self.env["DST_ADDR"]
        key = self.env["SSH_KEY"]
        uris = [
            ("DST", self.env["SRC_SSH_URI"]),
            ("SRC", self.env["DST_SSH_URI"]),
            # libvirt's netcat proxy to an explicit socket
            ("DST", f"qemu+ssh://root@{src}/system?socket={CONVERGD_SOCK}"
                    f"&keyfile={key}&no_verify=1"),
            # the plain URI: the host's root key and known_hosts
            ("SRC", f"qemu+ssh://root@{dst}/system"),
        ]
        for side, uri in uris:
            p = virsh_in_host(self.env, side, uri, "list", "--all")
            self.assertIn("Name", p.stdout, uri)
            p = virsh_in_host(self.env, side, uri, "uri")
            self.assertTrue(p.stdout.startswith("qemu"), p.stdout)
        # The connection really went through the target host's sshd.
        with open(os.path.join(self.host_dir("SRC"), "sshd",
                               "sshd.log")) as f:
            self.assertIn(f"Accepted publickey for root from {dst}",
                          f.read())

    def test_guest_over_ssh(self):
        name = "sshvm"
        xml, console = self.guest(name)
        uri = self.env["SRC_SSH_URI"]
        try:
            virsh_in_host(self.env, "DST", uri, "create", xml)
            p = virsh_in_host(self.env, "DST", uri, "dominfo", name)
            self.assertRegex(p.stdout, r"State:\s+running")
            cvgtest.wait_console(console, count=2, timeout=90)
            p = virsh_in_host(self.env, "DST", uri, "list", "--name")
            self.assertIn(name, p.stdout.split())
            virsh_in_host(self.env, "DST", uri, "destroy", name)
            p = cvgtest.virsh_at(self.env["SRC_URI"], "list", "--name")
            self.assertNotIn(name, p.stdout.split())
        finally:
            self.destroy_everywhere(name)

    def test_python_over_ssh(self):
        name = "sshpy"
        xml, _ = self.guest(name)
        script = os.path.join(self.env["SHARED"], "client.py")
        with open(script, "w") as f:
            f.write(PY_CLIENT)
        try:
            p = in_host(self.env, "SRC", "/usr/bin/python3", script,
                        self.env["DST_SSH_URI"], xml)
            out = json.loads(p.stdout)
            self.assertEqual(out["state"], 1)        # VIR_DOMAIN_RUNNING
            self.assertIn(name, out["listed"])
            self.assertNotIn(name, out["after"])
        finally:
            self.destroy_everywhere(name)

    def test_p2p_needs_the_network(self):
        name = "p2pvm"
        xml, console = self.guest(name)
        src, dst = self.env["SRC_URI"], self.env["DST_URI"]
        dst_unix = cvgtest.unix_uri(os.path.join(self.host_dir("DST"), "run",
                                                 "libvirt", "libvirt-sock"))
        try:
            cvgtest.virsh_at(src, "create", xml)
            cvgtest.wait_console(console, count=2, timeout=90)
            # The machine sees DST's socket; the source host does not.
            p = cvgtest.virsh_at(src, "migrate", "--live", "--p2p", name,
                                 dst_unix, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("cannot connect to destination", p.stderr)
            self.assertIn("No such file", p.stderr)
            self.assertIn(name, cvgtest.virsh_at(src, "list", "--name")
                          .stdout.split())
            # Over the link it works: ssh there, plain TCP back.
            cvgtest.virsh_at(src, "migrate", "--live", "--p2p", name,
                             f"qemu+ssh://root@{self.env['DST_ADDR']}/system")
            self.assertIn(name, cvgtest.virsh_at(dst, "list", "--name")
                          .stdout.split())
            cvgtest.virsh_at(dst, "migrate", "--live", "--p2p", name,
                             self.env["SRC_TCP_URI"])
            self.assertIn(name, cvgtest.virsh_at(src, "list", "--name")
                          .stdout.split())
            seen = len(cvgtest.console_lines(console, "dirtier: t="))
            cvgtest.wait_console(console, count=seen + 2, timeout=60)
        finally:
            self.destroy_everywhere(name)


class TestTlsHosts(unittest.TestCase):
    """qemu+tls:// between isolated hosts; skipped while the daemon is
    built without TLS (up --listen tls then fails)."""
    NAME = "cvgtlsh"
    DN = '["*O=convergd testbed*"]'

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        cvgtest.testbed("down", "--name", cls.NAME)
        try:
            cls.env = cvgtest.testbed(
                "up", "--name", cls.NAME, "--isolated", "--listen", "tls,tcp",
                "--set", f"tls_allowed_dn_list={cls.DN}")
        except RuntimeError as e:
            if "built without TLS" in str(e):
                raise unittest.SkipTest("convergd is built without TLS")
            raise

    @classmethod
    def tearDownClass(cls):
        cvgtest.testbed("down", "--name", cls.NAME)

    def test_virsh_and_python_over_tls(self):
        env = self.env
        for side, uri in (("DST", env["SRC_TLS_URI"]),
                          ("SRC", env["DST_TLS_URI"]),
                          ("DST", f"{env['SRC_TLS_URI']}?pkipath="
                                  f"{env['CLIENT_PKI']}")):
            p = virsh_in_host(env, side, uri, "list", "--all")
            self.assertIn("Name", p.stdout, uri)
        p = in_host(env, "SRC", "/usr/bin/python3", "-c",
                    "import libvirt, sys; c = libvirt.open(sys.argv[1]); "
                    "print(len(c.listAllDomains())); c.close()",
                    env["DST_TLS_URI"])
        self.assertEqual(p.stdout.strip(), "0")

    def test_bad_client_certificates_refused(self):
        env = self.env
        for bad in ("otherca", "expired", "wrongdn"):
            uri = f"{env['SRC_TLS_URI']}?pkipath={env['BAD_PKI']}/{bad}"
            p = virsh_in_host(env, "DST", uri, "list", check=False)
            self.assertNotEqual(p.returncode, 0, bad)
            # The daemon still serves good clients.
            virsh_in_host(env, "DST", env["SRC_TLS_URI"], "list")

    def tls_guest(self, name):
        env = self.env
        console = os.path.join(env["SHARED"], f"{name}.console")
        xml = os.path.join(env["SHARED"], f"{name}.xml")
        with open(xml, "w") as f:
            f.write(cvgtest.guest_xml(name, console, mem_mib=128,
                                      dirty_mib=8, rate=8, verify=True))
        cvgtest.virsh_at(env["SRC_URI"], "create", xml)
        cvgtest.wait_console(console, count=2, timeout=90)
        return console

    def assert_landed(self, name, console, uri, other):
        """@name runs at @uri only, the destination shows the completed
        job, and the guest's memory check stays clean."""
        self.assertIn(name, cvgtest.virsh_at(uri, "list", "--name")
                      .stdout.split())
        self.assertNotIn(name, cvgtest.virsh_at(other, "list", "--name")
                         .stdout.split())
        out = cvgtest.virsh_at(uri, "domjobinfo", name, "--completed")
        self.assertIn("Completed", out.stdout)
        seen = len(cvgtest.console_lines(console, "dirtier: t="))
        cvgtest.wait_console(console, count=seen + 2, timeout=60)
        last = cvgtest.console_lines(console, "dirtier: t=")[-1]
        self.assertIn("verify_errors=0", last)

    def test_p2p_over_tls(self):
        """virsh -c qemu+tls://A migrate --live --p2p --tls --auto-converge
        VM qemu+tls://B: the daemons reach each other over TLS and the
        stream between the QEMUs is TLS too."""
        env = self.env
        name = "tlsvm"
        try:
            console = self.tls_guest(name)
            virsh_in_host(env, "SRC", env["SRC_TLS_URI"], "migrate",
                          "--live", "--p2p", "--tls", "--auto-converge", name,
                          env["DST_TLS_URI"])
            self.assert_landed(name, console, env["DST_URI"], env["SRC_URI"])
            # And back, admin on the other host.
            virsh_in_host(env, "DST", env["DST_TLS_URI"], "migrate",
                          "--live", "--p2p", "--tls", "--auto-converge",
                          name, env["SRC_TLS_URI"])
            self.assert_landed(name, console, env["SRC_URI"], env["DST_URI"])
        finally:
            for key in ("SRC_URI", "DST_URI"):
                cvgtest.virsh_at(env[key], "destroy", name, check=False)

    def test_client_driven_over_tls(self):
        """The client-driven form: virsh itself holds qemu+tls connections
        to both hosts (no --p2p), with --tls on the stream."""
        env = self.env
        name = "tlscd"
        try:
            console = self.tls_guest(name)
            virsh_in_host(env, "SRC", env["SRC_TLS_URI"], "migrate",
                          "--live", "--tls", "--auto-converge", name,
                          env["DST_TLS_URI"])
            self.assert_landed(name, console, env["DST_URI"], env["SRC_URI"])
        finally:
            for key in ("SRC_URI", "DST_URI"):
                cvgtest.virsh_at(env[key], "destroy", name, check=False)


class TestSaslHosts(unittest.TestCase):
    """qemu+tcp:// with SASL (DIGEST-MD5 from a sasldb) between isolated
    hosts: virsh and python3-libvirt log in with an auth file; a wrong
    password is refused."""
    NAME = "cvgsaslh"

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        # /tmp is the machine's in both hosts (tools/testbed.md).
        cls.dir = tempfile.mkdtemp(prefix="cvg-saslh-")
        db = os.path.join(cls.dir, "passwd.db")
        subprocess.run(["saslpasswd2", "-p", "-c", "-f", db, "-a", "libvirt",
                        "admin"], input=b"s3cret", check=True)
        with open(os.path.join(cls.dir, "libvirt.conf"), "w") as f:
            f.write(f"mech_list: digest-md5\nsasldb_path: {db}\n")
        cvgtest.testbed("down", "--name", cls.NAME)
        cls.env = cvgtest.testbed(
            "up", "--name", cls.NAME, "--isolated", "--listen", "tcp",
            "--set", 'auth_tcp="sasl"',
            "--set", f'sasl_conf_dir="{cls.dir}"')

    @classmethod
    def tearDownClass(cls):
        cvgtest.testbed("down", "--name", cls.NAME)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def auth_file(self, password, host):
        path = os.path.join(self.dir, f"auth-{password}.conf")
        with open(path, "w") as f:
            f.write(f"[credentials-t]\nauthname=admin\npassword={password}"
                    f"\n\n[auth-libvirt-{host}]\ncredentials=t\n")
        return path

    def test_virsh_and_python_over_sasl(self):
        env = self.env
        host = env["DST_ADDR"]
        good = self.auth_file("s3cret", host)
        p = in_host(env, "SRC", "env", f"LIBVIRT_AUTH_FILE={good}", VIRSH,
                    "-c", env["DST_TCP_URI"], "list", "--all")
        self.assertIn("Name", p.stdout)
        p = in_host(env, "SRC", "/usr/bin/python3", "-c",
                    "import libvirt, sys\n"
                    "def cb(creds, data):\n"
                    "    for c in creds:\n"
                    "        c[4] = 'admin' if c[0] == libvirt.VIR_CRED_AUTHNAME"
                    " else 's3cret'\n"
                    "    return 0\n"
                    "auth = [[libvirt.VIR_CRED_AUTHNAME,"
                    " libvirt.VIR_CRED_PASSPHRASE], cb, None]\n"
                    "c = libvirt.openAuth(sys.argv[1], auth, 0)\n"
                    "print(c.getType()); c.close()\n",
                    env["DST_TCP_URI"])
        self.assertEqual(p.stdout.strip(), "QEMU")
        bad = self.auth_file("wrong", host)
        p = in_host(env, "SRC", "env", f"LIBVIRT_AUTH_FILE={bad}", VIRSH,
                    "-c", env["DST_TCP_URI"], "list", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("authentication failed", p.stderr)
        # Still serving.
        in_host(env, "SRC", "env", f"LIBVIRT_AUTH_FILE={good}", VIRSH,
                "-c", env["DST_TCP_URI"], "list")

if __name__ == "__main__":
    cvgtest.main()
