"""convergd under a service manager: socket activation through
systemd-socket-activate (no systemd as PID 1 needed), the READY/STATUS/
STOPPING notifications, the idle exit of --timeout, re-attachment of a
running guest at the next activation, the state-directory lock, and the
opt-in libvirt socket path (qemu:///system with no ?socket=)."""
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest
import uuid

import cvgtest
from cvgtest import CONVERGD, Daemon, guest_xml, wait_for, console_lines

ACTIVATE = (shutil.which("systemd-socket-activate") or
            "/usr/bin/systemd-socket-activate")
LIBVIRT_DIR = "/run/libvirt"
LIBVIRT_SOCK = os.path.join(LIBVIRT_DIR, "libvirt-sock")
LIBVIRT_SOCK_RO = os.path.join(LIBVIRT_DIR, "libvirt-sock-ro")


class Notify:
    """A NOTIFY_SOCKET: collects what the daemon tells its service
    manager (systemd-socket-activate itself does not listen)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.lines = []

    def poll(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except (socket.timeout, BlockingIOError):
                return
            self.lines += data.decode(errors="replace").splitlines()

    def wait(self, pred, timeout, what):
        def seen():
            self.poll()
            return [l for l in self.lines if pred(l)]
        return wait_for(seen, timeout, interval=0.1, what=what)

    def close(self):
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def exe_of(pid):
    try:
        return os.path.realpath(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return None


class Activated(cvgtest.SocketUris):
    """convergd behind systemd-socket-activate: the sockets listen first,
    the daemon is exec'd (same pid) at the first connection."""

    def __init__(self, workdir, timeout, names=True, tcp_port=None):
        self.dir = workdir
        self.tcp_port = tcp_port
        self.socket = os.path.join(workdir, "sock")
        self.ro_socket = os.path.join(workdir, "sock-ro")
        self.state = os.path.join(workdir, "state")
        self.log = os.path.join(workdir, "activate.log")
        self.timeout = timeout
        self.names = names
        self.proc = None
        self.notify = None
        self.runs = 0

    def start(self):
        self.runs += 1
        if self.notify:
            self.notify.close()
        self.notify = Notify(os.path.join(self.dir, f"notify{self.runs}"))
        cmd = [ACTIVATE, "-l", self.socket, "-l", self.ro_socket,
               "-E", f"NOTIFY_SOCKET={self.notify.path}"]
        names = "convergd-rw:convergd-ro"
        if self.tcp_port:
            cmd += ["-l", f"127.0.0.1:{self.tcp_port}"]
            names += ":convergd-tcp"
        if self.names:
            cmd += [f"--fdname={names}"]
        cmd += [CONVERGD, "--socket", self.socket, "--state-dir", self.state,
                "--timeout", str(self.timeout), "--log-level", "debug"]
        if self.tcp_port:
            conf = os.path.join(self.dir, "convergd.conf")
            with open(conf, "w") as f:
                f.write('auth_tcp = "none"\n')
            cmd += ["--config", conf]
        if not self.names:
            # Told apart by the paths they are bound to.
            cmd += ["--readonly-socket", self.ro_socket]
        with open(self.log, "a") as logf:
            logf.write(f"--- run {self.runs}\n")
            logf.flush()
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=logf,
                                         stdin=subprocess.DEVNULL)
        wait_for(lambda: f"Listening on {self.ro_socket}" in self.tail(5),
                 10, what="systemd-socket-activate listening")

    def exe(self):
        return exe_of(self.proc.pid)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=30):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def virsh(self, *args, uri=None, check=True):
        return cvgtest.virsh_at(uri or self.uri, *args, check=check,
                                timeout=120)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"no exit within {timeout}s: {self.tail()}")

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.notify:
            self.notify.close()
            self.notify = None


def kill_guests(state):
    """Kill every QEMU recorded in @state's run directory."""
    run = os.path.join(state, "run")
    if not os.path.isdir(run):
        return
    for ent in os.listdir(run):
        if not ent.endswith(".status"):
            continue
        with open(os.path.join(run, ent)) as f:
            for line in f:
                if line.startswith("pid="):
                    try:
                        os.kill(int(line.split("=")[1]), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass


def guest_pid(state, name):
    with open(os.path.join(state, "run", f"{name}.status")) as f:
        return int([l for l in f if l.startswith("pid=")][0].split("=")[1])


class Activation(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cvg-sd-")
        self.a = None

    def tearDown(self):
        if self.a:
            self.a.stop()
            kill_guests(self.a.state)
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_activation_ready_idle_exit(self):
        """No daemon before the first virsh call; READY=1 once serving;
        the read-only socket refuses mutations; exit 0 after --timeout
        with no client and no guest, with STOPPING=1."""
        self.a = Activated(self.dir, timeout=3)
        self.a.start()
        time.sleep(0.5)
        self.assertEqual(os.path.basename(self.a.exe() or ""),
                         "systemd-socket-activate")
        out = self.a.virsh("list", "--all").stdout
        self.assertIn("Id", out)
        self.assertEqual(self.a.exe(), os.path.realpath(CONVERGD))
        self.a.notify.wait(lambda l: l == "READY=1", 10, "READY=1")
        self.a.notify.wait(lambda l: l.startswith("STATUS=0 guests running"),
                           10, "STATUS=")
        self.a.virsh("list", uri=self.a.ro_uri)
        xml = os.path.join(self.dir, "x.xml")
        with open(xml, "w") as f:
            f.write(guest_xml("ro", os.path.join(self.dir, "ro.console")))
        p = self.a.virsh("define", xml, uri=self.a.ro_uri, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("read only", p.stderr)
        last_client = time.time()
        self.assertEqual(self.a.wait_exit(3 + 15), 0, self.a.tail())
        # The watch looks once a second.
        self.assertGreaterEqual(time.time() - last_client, 3 - 1.5)
        self.a.notify.wait(lambda l: l == "STOPPING=1", 5, "STOPPING=1")
        self.assertIn("no client, guest or job for 3 s", self.a.tail())

    def test_activation_by_path(self):
        """Without FileDescriptorName, the sockets are told apart by the
        paths they are bound to."""
        self.a = Activated(self.dir, timeout=0, names=False)
        self.a.start()
        self.a.virsh("list")
        xml = os.path.join(self.dir, "x.xml")
        with open(xml, "w") as f:
            f.write(guest_xml("ro", os.path.join(self.dir, "ro.console")))
        p = self.a.virsh("define", xml, uri=self.a.ro_uri, check=False)
        self.assertIn("read only", p.stderr)
        self.a.virsh("define", xml)
        self.a.virsh("undefine", "ro")
        self.assertTrue(self.a.alive())

    def test_activation_on_tcp_socket(self):
        """A TCP socket passed as convergd-tcp (convergd-tcp.socket) is
        served: the first qemu+tcp call starts the daemon and is
        answered."""
        port = cvgtest.free_port()
        self.a = Activated(self.dir, timeout=0, tcp_port=port)
        self.a.start()
        out = self.a.virsh("list", "--all",
                           uri=f"qemu+tcp://127.0.0.1:{port}/system").stdout
        self.assertIn("Id", out)
        self.assertEqual(self.a.exe(), os.path.realpath(CONVERGD))
        self.assertIn("serving convergd-tcp", self.a.tail(200))

    def test_tcp_socket_passed_as_local_refused(self):
        """A TCP socket named convergd-rw is never served as the local,
        unauthenticated socket: the daemon refuses to start."""
        port = cvgtest.free_port()
        log = os.path.join(self.dir, "wrong.log")
        with open(log, "w") as logf:
            p = subprocess.Popen(
                [ACTIVATE, "-l", f"127.0.0.1:{port}",
                 "--fdname=convergd-rw", CONVERGD, "--socket",
                 os.path.join(self.dir, "sock"), "--state-dir",
                 os.path.join(self.dir, "state")],
                stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: "Listening on" in open(log).read(), 10,
                     what="systemd-socket-activate listening")
            r = cvgtest.virsh_at(f"qemu+tcp://127.0.0.1:{port}/system",
                                 "list", check=False, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertNotEqual(p.wait(10), 0)
            self.assertIn("('convergd-rw') passed by the service manager is "
                          "not a UNIX socket", open(log).read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_guest_reattached_at_next_activation(self):
        """A running guest keeps the daemon from its idle exit; a second
        daemon on the same state directory is refused; the guest outlives
        a stop and the next activation re-attaches it with its id; with
        the guest gone the daemon exits when idle."""
        self.a = a = Activated(self.dir, timeout=3)
        a.start()
        console = os.path.join(self.dir, "g1.console")
        xml = os.path.join(self.dir, "g1.xml")
        with open(xml, "w") as f:
            f.write(guest_xml("g1", console, uuid=str(uuid.uuid4())))
        a.virsh("define", xml)
        a.virsh("start", "g1")
        cvgtest.wait_console(console, count=1, timeout=90)
        dom_id = a.virsh("domid", "g1").stdout.strip()
        qemu = guest_pid(a.state, "g1")
        a.notify.wait(lambda l: l.startswith("STATUS=1 guest running"), 10,
                      "STATUS= with the guest")
        time.sleep(3 + 3)
        self.assertTrue(a.alive(), "idle exit with a guest running")

        # The lock: refused before any socket or guest is touched.
        other = os.path.join(self.dir, "other-sock")
        p = subprocess.run([CONVERGD, "--socket", other, "--state-dir",
                            a.state, "--timeout", "1"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"state directory '{a.state}' is in use", p.stderr)
        self.assertIn(f"pid {a.proc.pid}", p.stderr)
        self.assertFalse(os.path.exists(other))
        self.assertIn("running", a.virsh("domstate", "g1").stdout)

        a.proc.send_signal(signal.SIGTERM)
        self.assertEqual(a.wait_exit(30), 0)
        os.kill(qemu, 0)
        n = len(console_lines(console, "dirtier: t="))
        wait_for(lambda: len(console_lines(console, "dirtier: t=")) > n,
                 30, what="guest running without its daemon")

        a.start()
        time.sleep(0.5)
        self.assertEqual(os.path.basename(a.exe() or ""),
                         "systemd-socket-activate")
        out = a.virsh("list").stdout
        self.assertRegex(out, rf"\b{dom_id}\s+g1\s+running")
        self.assertEqual(a.virsh("domid", "g1").stdout.strip(), dom_id)
        self.assertEqual(guest_pid(a.state, "g1"), qemu)
        a.notify.wait(lambda l: l == "READY=1", 10, "READY=1 again")
        a.virsh("destroy", "g1")
        a.virsh("undefine", "g1")
        self.assertEqual(a.wait_exit(3 + 20), 0, a.tail())


def listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class LibvirtSocket(unittest.TestCase):
    """listen_libvirt_socket = 1: /run/libvirt/libvirt-sock and -ro."""

    def setUp(self):
        if listening(LIBVIRT_SOCK) or listening(LIBVIRT_SOCK_RO):
            self.skipTest("a libvirt daemon serves /run/libvirt")
        self.had_dir = os.path.isdir(LIBVIRT_DIR)
        self.had = set(os.listdir(LIBVIRT_DIR)) if self.had_dir else set()
        self.saved = {}
        for path in (LIBVIRT_SOCK, LIBVIRT_SOCK_RO):
            # A stale socket file someone left: put it back afterwards.
            if os.path.lexists(path):
                self.saved[path] = os.lstat(path).st_mode
        self.dir = tempfile.mkdtemp(prefix="cvg-lv-")
        self.daemons = []
        self.holder = None

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        if self.holder:
            self.holder.close()
        if os.path.isdir(LIBVIRT_DIR):
            for ent in set(os.listdir(LIBVIRT_DIR)) - self.had:
                os.unlink(os.path.join(LIBVIRT_DIR, ent))
            if not self.had_dir:
                os.rmdir(LIBVIRT_DIR)
        for path, mode in self.saved.items():
            if not os.path.lexists(path):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(path)
                s.close()
                os.chmod(path, stat.S_IMODE(mode))
        shutil.rmtree(self.dir, ignore_errors=True)

    def daemon(self, name):
        os.makedirs(os.path.join(self.dir, name))
        d = Daemon(name, config="listen_libvirt_socket = 1\n",
                   workdir=os.path.join(self.dir, name))
        self.daemons.append(d)
        wait_for(lambda: os.path.exists(LIBVIRT_SOCK_RO), 10,
                 what="libvirt sockets")
        return d

    def test_default_uri_then_refused(self):
        d = self.daemon("a")
        self.assertEqual(stat.S_IMODE(os.stat(LIBVIRT_SOCK).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(LIBVIRT_SOCK_RO).st_mode),
                         0o666)
        p = cvgtest.virsh_at("qemu:///system", "list", "--all")
        self.assertIn("Id", p.stdout)
        xml = os.path.join(self.dir, "x.xml")
        with open(xml, "w") as f:
            f.write(guest_xml("lv", os.path.join(self.dir, "lv.console")))
        p = subprocess.run([cvgtest.VIRSH, "-r", "-c", "qemu:///system",
                            "define", xml], capture_output=True, text=True,
                           timeout=60)
        self.assertIn("read only", p.stderr)
        d.stop()
        self.assertFalse(os.path.lexists(LIBVIRT_SOCK))
        self.assertFalse(os.path.lexists(LIBVIRT_SOCK_RO))
        self.assertEqual(os.path.isdir(LIBVIRT_DIR), self.had_dir)

        # Another daemon listens there: refused, its socket left alone.
        os.makedirs(LIBVIRT_DIR, exist_ok=True)
        self.holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.holder.bind(LIBVIRT_SOCK)
        self.holder.listen(4)
        conf = os.path.join(self.dir, "lv.conf")
        with open(conf, "w") as f:
            f.write("listen_libvirt_socket = 1\n")
        own = os.path.join(self.dir, "b-sock")
        p = subprocess.run([CONVERGD, "--socket", own, "--state-dir",
                            os.path.join(self.dir, "b-state"), "--config",
                            conf], capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"'{LIBVIRT_SOCK}' is served by another daemon "
                      f"(pid {os.getpid()})", p.stderr)
        self.assertTrue(listening(LIBVIRT_SOCK))
        self.assertFalse(os.path.exists(own))

        # The holder is gone, its socket file stays: stale, replaced.
        self.holder.close()
        self.holder = None
        self.assertFalse(listening(LIBVIRT_SOCK))
        d = self.daemon("c")
        wait_for(lambda: listening(LIBVIRT_SOCK), 10, what="replaced socket")
        cvgtest.virsh_at("qemu:///system", "list")
        d.stop()
        self.assertFalse(os.path.lexists(LIBVIRT_SOCK))


if __name__ == "__main__":
    cvgtest.main()
