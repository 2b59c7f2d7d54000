"""Shared harness for convergd integration tests.

Runs real convergd daemons, real virsh and real python3-libvirt against them.
Run with Debian's /usr/bin/python3 (the only Python that has the libvirt
module).  Environment: CVG_BUILD_DIR (meson build dir), CVG_GUEST_DIR (kernel
and initrd from tools/guest/build-guest.sh).
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import socket
import tempfile
import time
import unittest
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("CVG_BUILD_DIR", os.path.join(TOP, "build"))
GUEST = os.environ.get("CVG_GUEST_DIR", os.path.join(BUILD, "guest"))
CONVERGD = os.path.join(BUILD, "src", "daemon", "convergd")
VIRSH = shutil.which("virsh") or "/usr/bin/virsh"
TESTBED = os.path.join(TOP, "tools", "testbed.sh")


def testbed(*args, timeout=120):
    """Run tools/testbed.sh; its KEY=VALUE output lines as a dict."""
    p = subprocess.run(["bash", TESTBED] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"testbed {args}: {p.stdout}{p.stderr}")
    return dict(line.split("=", 1) for line in p.stdout.splitlines()
                if "=" in line)


def virsh_at(uri, *args, check=True, timeout=180):
    """Real virsh on @uri; AssertionError with its stderr if it fails and
    @check."""
    p = subprocess.run([VIRSH, "-c", uri] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"virsh {args} failed: {p.stderr}")
    return p


def jobinfo_at(uri, name, *flags):
    """`virsh domjobinfo` on @uri as a dict of label -> value text."""
    p = virsh_at(uri, "domjobinfo", name, *flags, check=False)
    out = {}
    for line in p.stdout.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def unix_uri(path):
    """The URI of a convergd serving the UNIX socket at @path."""
    return f"qemu+unix:///system?socket={path}"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket as _socket
    with _socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SocketUris:
    """uri and ro_uri of an object with .socket and .ro_socket."""

    @property
    def uri(self):
        return unix_uri(self.socket)

    @property
    def ro_uri(self):
        return unix_uri(self.ro_socket)


class Daemon(SocketUris):
    """One convergd with its own socket and state directory."""

    def __init__(self, name="d", config="", readonly_socket=False,
                 netns=None, workdir=None, args=(), log_level="debug",
                 start_timeout=10):
        """@config: convergd.conf text; @args: extra command-line
        arguments (["--listen"] for the network listeners)."""
        self.name = name
        self.args = list(args)
        self.log_level = log_level
        # Loading many domains delays the socket: callers with many
        # raise this.
        self.start_timeout = start_timeout
        self.dir = workdir or tempfile.mkdtemp(prefix=f"cvg-{name}-")
        self.socket = os.path.join(self.dir, "sock")
        self.ro_socket = (os.path.join(self.dir, "sock-ro")
                          if readonly_socket else None)
        self.state = os.path.join(self.dir, "state")
        self.conf = os.path.join(self.dir, "convergd.conf")
        self.log = os.path.join(self.dir, "convergd.log")
        self.netns = netns
        with open(self.conf, "w") as f:
            f.write(config)
        self.proc = None
        self.start()

    def start(self):
        cmd = [CONVERGD, "--socket", self.socket, "--state-dir", self.state,
               "--config", self.conf, "--log-level", self.log_level]
        if self.ro_socket:
            cmd += ["--readonly-socket", self.ro_socket]
        cmd += self.args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        logf = open(self.log, "a")
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=logf,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + self.start_timeout
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"convergd did not start: {self.tail()}")
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def fd_count(self):
        """How many descriptors the daemon holds open."""
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def wait_port(self, port, host="127.0.0.1", timeout=10):
        """Wait until the daemon accepts connections on @host:@port."""
        import socket as _socket

        def up():
            try:
                _socket.create_connection((host, port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(up, timeout, what=f"convergd listening on {host}:{port}")

    def tail(self, n=30):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def virsh(self, *args, check=True, timeout=120, uri=None):
        cmd = [VIRSH, "-c", uri or self.uri] + [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}")
        return p

    def guest_pids(self):
        """{name: QEMU pid} of the guests the state directory records as
        running."""
        run = os.path.join(self.state, "run")
        pids = {}
        if not os.path.isdir(run):
            return pids
        for ent in os.listdir(run):
            if not ent.endswith(".status"):
                continue
            try:
                with open(os.path.join(run, ent)) as f:
                    for line in f:
                        if line.startswith("pid="):
                            pids[ent[:-len(".status")]] = int(
                                line.split("=")[1])
            except (OSError, ValueError):
                pass
        return pids

    def kill_guests(self):
        """Kill every QEMU this daemon started (test clean-up)."""
        for pid in self.guest_pids().values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cleanup(self):
        self.stop()
        self.kill_guests()
        shutil.rmtree(self.dir, ignore_errors=True)


# A working set no test guest has room for: the dirtier reports FATAL and
# its PID 1 then sleeps in pause() (tools/guest/README.md), so the guest
# idles instead of spinning.
IDLE_DIRTY_MIB = 1 << 20
# The first console line of such a guest, once it idles.
IDLE_CONSOLE_PREFIX = "dirtier: FATAL"


def guest_xml(name, console, mem_mib=128, dirty_mib=16, rate=16,
              verify=False, extra_cmdline="", uuid=None, metadata=None,
              acpi=False, idle=False):
    """A direct-kernel-boot test guest running the dirtier.  With @acpi it
    has ACPI and powers off on the power button (virsh shutdown/reboot).
    With @idle the dirtier does not run: the guest boots and idles
    (measured under TCG: about 1.5% of a host CPU with @acpi, 4% without).
    An idle guest needs at least 80 MiB."""
    if idle:
        dirty_mib = IDLE_DIRTY_MIB
    cmdline = (f"console=ttyS0 quiet panic=-1 dirty.mib={dirty_mib} "
               f"dirty.rate={rate}")
    if verify:
        cmdline += " dirty.verify=1"
    if extra_cmdline:
        cmdline += " " + extra_cmdline
    uuid_el = f"  <uuid>{uuid}</uuid>\n" if uuid else ""
    meta = f"  <metadata>{metadata}</metadata>\n" if metadata else ""
    features = "  <features>\n    <acpi/>\n  </features>\n" if acpi else ""
    return f"""<domain type='qemu'>
  <name>{name}</name>
{uuid_el}{meta}  <memory unit='MiB'>{mem_mib}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{GUEST}/vmlinuz</kernel>
    <initrd>{GUEST}/initrd.img</initrd>
    <cmdline>{cmdline}</cmdline>
  </os>
{features}  <devices>
    <serial type='file'>
      <source path='{console}'/>
    </serial>
  </devices>
</domain>
"""


def disk_guest_dir():
    """The directory holding disk.qcow2 and initrd-disk.img
    (tools/guest/build-disk.sh): GUEST when they are there, else
    BUILD/guest-disk, built now from GUEST's kernel (cached by its inputs,
    so only the first run takes seconds)."""
    if all(os.path.exists(os.path.join(GUEST, f))
           for f in ("disk.qcow2", "initrd-disk.img")):
        return GUEST
    out = os.path.join(BUILD, "guest-disk")
    subprocess.run(["bash", os.path.join(TOP, "tools", "guest",
                                         "build-disk.sh"), out],
                   env=dict(os.environ, GUEST_DIR=GUEST), check=True,
                   capture_output=True, timeout=300)
    return out


def make_overlay(path, backing):
    """A qcow2 image at @path on top of the qcow2 @backing."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", backing,
                    "-F", "qcow2", path], check=True, timeout=60)


def disk_guest_xml(name, console, image, mem_mib=128, rate=50, cache="none",
                   extra_disks="", firmware=False):
    """A guest whose root is the virtio disk @image (a qcow2 over the disk
    guest's image): kernel and initrd-disk.img boot it (with @firmware:
    SeaBIOS and the syslinux on the disk, at 50 records a second),
    diskwriter writes @rate records a second to it and logs to the file
    @console."""
    gdir = disk_guest_dir()
    if firmware:
        boot = "    <boot dev='hd'/>"
    else:
        boot = f"""    <kernel>{GUEST}/vmlinuz</kernel>
    <initrd>{gdir}/initrd-disk.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 root=/dev/vda2 disk.rate={rate}</cmdline>"""
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{mem_mib}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
{boot}
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='{cache}'/>
      <source file='{image}'/>
      <target dev='vda' bus='virtio'/>
      <serial>ROOT-{name}</serial>
    </disk>
{extra_disks}    <serial type='file'>
      <source path='{console}'/>
    </serial>
  </devices>
</domain>
"""


def wait_for(pred, timeout, interval=0.2, what="condition"):
    """pred()'s first true value, polled until @timeout s.  The pause
    between polls starts at 20 ms and doubles up to @interval: a condition
    that is nearly there is seen at once, a long wait costs no more polls
    than a fixed @interval would (but for the first few)."""
    deadline = time.time() + timeout
    pause = min(0.02, interval)
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(pause)
        pause = min(pause * 2, interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def console_lines(path, prefix="dirtier: "):
    try:
        with open(path, errors="replace") as f:
            return [l.strip() for l in f if l.startswith(prefix)]
    except OSError:
        return []


def wait_console(path, count=1, timeout=60, prefix="dirtier: t="):
    """Wait until the console shows @count dirtier progress lines."""
    return wait_for(
        lambda: len(console_lines(path, prefix)) >= count and
        console_lines(path, prefix),
        timeout, what=f"{count} '{prefix}' lines in {path}")


def dirtier_rates(path):
    """The rate= values of the dirtier's progress lines, in MiB/s."""
    rates = []
    for line in console_lines(path, "dirtier: t="):
        for word in line.split():
            if word.startswith("rate="):
                try:
                    rates.append(float(word[5:]))
                except ValueError:
                    pass
    return rates


def boot_at_rate(start, stop, console, target, tries=3, min_frac=0.7):
    """Boot a guest with start() until its dirtier settles at >= min_frac
    of its target rate (a boot of the test guest sometimes paces itself
    at a fraction of it for its whole life; see tools/guest/README.md).
    stop() destroys the guest between tries.  Returns the rates seen:
    those of seconds 2 to 4 (the first includes the dirtier's start; the
    slow pace, when it comes, is there from the start and stays)."""
    rates = []
    for attempt in range(tries):
        if os.path.exists(console):
            os.unlink(console)
        start()
        wait_console(console, count=4, timeout=90)
        rates = dirtier_rates(console)[1:4]
        if sum(rates) / len(rates) >= min_frac * target or \
                attempt == tries - 1:
            return rates
        stop()
    return rates


class TestbedCase(unittest.TestCase):
    """One two-host testbed for the whole class (class attributes
    TESTBED_NAME and TESTBED_RATE), torn down after it; every guest named
    in self.names is destroyed and undefined on both hosts after each
    test.  Subclasses with cleanup of their own call super().tearDown()
    last."""
    TESTBED_NAME = None
    TESTBED_RATE = "100mbit"

    @classmethod
    def setUpClass(cls):
        testbed("down", "--name", cls.TESTBED_NAME)
        cls.env = testbed("up", "--name", cls.TESTBED_NAME,
                          "--rate", cls.TESTBED_RATE)
        cls.src = cls.env["SRC_URI"]
        cls.dst = cls.env["DST_URI"]
        cls.dir = cls.env["DIR"]

    @classmethod
    def tearDownClass(cls):
        testbed("down", "--name", cls.TESTBED_NAME)

    def setUp(self):
        self.names = []

    def tearDown(self):
        for uri in (self.src, self.dst):
            for n in self.names:
                virsh_at(uri, "destroy", n, check=False)
                virsh_at(uri, "undefine", n, check=False)

    def define_guest(self, name, **xml_args):
        """Define a 256 MiB test guest with a fresh UUID and its dirtier's
        memory check on the source; returns its console file."""
        console = os.path.join(self.dir, f"{name}.console")
        xml = guest_xml(name, console, mem_mib=256, verify=True,
                        uuid=str(uuid.uuid4()), **xml_args)
        path = os.path.join(self.dir, f"{name}.xml")
        with open(path, "w") as f:
            f.write(xml)
        self.names.append(name)
        virsh_at(self.src, "define", path)
        return console

    def boot_guest(self, name, console, rate):
        """Start @name on the source until its dirtier runs at its rate."""
        boot_at_rate(lambda: virsh_at(self.src, "start", name),
                     lambda: virsh_at(self.src, "destroy", name),
                     console, rate)


def qemu_pids():
    out = subprocess.run(["pgrep", "-f", "qemu-system-x86_64"],
                         capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


# ---------------------------------------------------------------------------
# Consoles and displays (test_console, test_devices, test_everyday).

ESCAPE = b"\x1d"  # ^], virsh console's escape


class Console:
    """`virsh console` on a pseudo-terminal of its own."""

    def __init__(self, uri, name, *extra):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(VIRSH, [VIRSH, "-c", uri, "console", name] + list(extra))
        self.out = b""
        self.status = None

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if not r:
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                return
            self.out += data

    def wait_text(self, text, timeout=30):
        end = time.time() + timeout
        while text.encode() not in self.out:
            if time.time() > end or self.exited():
                raise AssertionError(f"no {text!r} on the console: "
                                     f"{self.out[-600:]!r}")
            # Looked for again after each read, not after a fixed time.
            self.pump(0.05)

    def type(self, text):
        # One key at a time, as typed: the guest's UART has a small FIFO.
        for c in text.encode():
            os.write(self.fd, bytes([c]))
            self.pump(0.05)

    def exited(self):
        if self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
        return self.status is not None

    def wait_exit(self, timeout=20):
        end = time.time() + timeout
        while not self.exited():
            if time.time() > end:
                raise AssertionError(f"virsh console still running: "
                                     f"{self.out[-600:]!r}")
            self.pump(0.2)
        self.pump(0.2)
        return self.status

    def kill(self):
        if not self.exited():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def rfb_banner(host, port, timeout=10):
    """Connect to a VNC server and read its protocol version line."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        data = b""
        while not data.endswith(b"\n") and len(data) < 12:
            chunk = s.recv(12 - len(data))
            if not chunk:
                break
            data += chunk
        return data


def vnc_port(xml):
    """The port of the live XML's <graphics type='vnc'>."""
    import xml.etree.ElementTree as ET

    g = ET.fromstring(xml).find("devices/graphics[@type='vnc']")
    return int(g.get("port")), g.get("autoport")


# Run in a testbed host: the RFB 3.8 handshake up to the server's list of
# security types; prints the version line and the type numbers.
_RFB_HANDSHAKE = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rwb")
banner = f.read(12)
f.write(b"RFB 003.008\n")
f.flush()
n = f.read(1)[0]
print(banner.decode().strip(), *f.read(n))
"""


def rfb_handshake_in(env, side, port):
    """The RFB handshake with the VNC server on 127.0.0.1:@port inside
    host @side of an isolated testbed: (version line, [security types])."""
    out = in_host(env, side, "/usr/bin/python3", "-c", _RFB_HANDSHAKE,
                  port, timeout=30).stdout.split()
    return " ".join(out[:2]), [int(t) for t in out[2:]]


class Result(unittest.TextTestResult):
    pass


def main():
    """Run the calling module's tests; print the 'N passed, N failed' line."""
    if os.geteuid() != 0:
        print("integration tests need root")
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromModule(sys.modules["__main__"])
    runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(0 if failed == 0 and res.testsRun > 0 else 1)


# ---------------------------------------------------------------------------
# Raw libvirt-RPC client (added for test_hostile / test_virsh): writes frames
# by hand with struct so tests can send malformed or unusual messages.

import socket as _socket
import struct as _struct

REMOTE_PROG = 0x20008086
KEEPALIVE_PROG = 0x6b656570
RPC_CALL, RPC_REPLY, RPC_MESSAGE, RPC_STREAM = 0, 1, 2, 3
RPC_OK, RPC_ERROR = 0, 1


def xdr_string(s):
    """XDR string: u32 length, bytes, zero padding to 4."""
    if isinstance(s, str):
        s = s.encode()
    return _struct.pack(">I", len(s)) + s + b"\0" * (-len(s) % 4)


def xdr_opt_string(s):
    return _struct.pack(">I", 0) if s is None else \
        _struct.pack(">I", 1) + xdr_string(s)


def xdr_domain(name, uuid=b"\0" * 16, dom_id=-1):
    """remote_nonnull_domain: name, 16-byte uuid, int id."""
    return xdr_string(name) + uuid + _struct.pack(">i", dom_id)


def rpc_frame(prog, proc, payload=b"", typ=RPC_CALL, serial=1,
              status=RPC_OK, vers=1):
    """A complete frame: length word (counting itself) + header + payload."""
    return _struct.pack(">IIIiiIi", 28 + len(payload), prog, vers, proc,
                        typ, serial, status) + payload


class _XdrReader:
    def __init__(self, buf):
        self.buf, self.off = buf, 0

    def u32(self):
        v = _struct.unpack_from(">I", self.buf, self.off)[0]
        self.off += 4
        return v

    def i32(self):
        v = _struct.unpack_from(">i", self.buf, self.off)[0]
        self.off += 4
        return v

    def string(self):
        n = self.u32()
        s = self.buf[self.off:self.off + n]
        self.off += n + (-n % 4)
        return s.decode(errors="replace")

    def opt_string(self):
        return self.string() if self.u32() else None


def decode_rpc_error(payload):
    """Decode the leading fields of remote_error: code, domain, message,
    level.  Returns a dict."""
    r = _XdrReader(payload)
    code = r.i32()
    domain = r.i32()
    message = r.opt_string()
    level = r.i32()
    return {"code": code, "domain": domain, "message": message,
            "level": level}


class RawClient:
    """One raw connection speaking libvirt RPC frames: AF_UNIX to @path,
    or TCP when @path is a (host, port) tuple."""

    def __init__(self, path, timeout=10):
        family = (_socket.AF_INET if isinstance(path, tuple)
                  else _socket.AF_UNIX)
        self.sock = _socket.socket(family, _socket.SOCK_STREAM)
        # Blocking connect: waits while the listen backlog is full (a
        # socket with a timeout would fail with EAGAIN instead).
        self.sock.connect(path)
        self.sock.settimeout(timeout)
        self.serial = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError(f"connection closed after {len(buf)}/{n} bytes")
            buf += chunk
        return buf

    def recv(self):
        """Read one frame; returns dict(prog, vers, proc, type, serial,
        status, payload).  Raises EOFError if the peer closed.  Skips the
        daemon's nudges (stream packets of procedure 0 sent while a call
        runs)."""
        while True:
            m = self._recv_frame()
            if not (m["type"] == RPC_STREAM and m["proc"] == 0):
                return m

    def _recv_frame(self):
        (length,) = _struct.unpack(">I", self._recv_exact(4))
        if length < 28:
            raise ValueError(f"bad length word {length} from server")
        body = self._recv_exact(length - 4)
        prog, vers, proc, typ, serial, status = _struct.unpack_from(
            ">IIiiIi", body)
        return {"prog": prog, "vers": vers, "proc": proc, "type": typ,
                "serial": serial, "status": status, "payload": body[24:]}

    def recv_reply(self, serial=None):
        """Next REPLY (skipping events and keepalives)."""
        while True:
            m = self.recv()
            if m["type"] == RPC_REPLY and (serial is None or
                                           m["serial"] == serial):
                return m

    def call(self, proc, payload=b"", prog=REMOTE_PROG):
        """Send one CALL and wait for its reply."""
        self.serial += 1
        self.send(rpc_frame(prog, proc, payload, serial=self.serial))
        return self.recv_reply(self.serial)

    def closed_by_peer(self, timeout=5):
        """True if the server closes the connection within @timeout s
        (any frames it sends first are skipped)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (_socket.timeout, TimeoutError):
            return False
        except OSError:
            return True

    def open(self, flags=0, name="qemu:///system"):
        """AUTH_LIST + CONNECT_OPEN, like a real client."""
        r = self.call(66)
        assert r["status"] == RPC_OK, decode_rpc_error(r["payload"])
        r = self.call(1, xdr_opt_string(name) + _struct.pack(">I", flags))
        assert r["status"] == RPC_OK, decode_rpc_error(r["payload"])
        return r


# ---------------------------------------------------------------------------
# TLS migration streams (test_migtls, tools/bench-migrate-tls.py): a CA and
# the five files QEMU's tls-creds-x509 reads, made with GnuTLS's certtool.

CERTTOOL = shutil.which("certtool") or "/usr/bin/certtool"


def _certtool(workdir, template, *args):
    tpl = os.path.join(workdir, "cert.tpl")
    with open(tpl, "w") as f:
        f.write(template)
    subprocess.run([CERTTOOL, "--template", tpl] + list(args), check=True,
                   capture_output=True)


def make_ca(workdir, cn="convergd test CA"):
    """A self-signed CA in @workdir: (cert path, key path)."""
    os.makedirs(workdir, exist_ok=True)
    key = os.path.join(workdir, "ca-key.pem")
    cert = os.path.join(workdir, "ca-cert.pem")
    subprocess.run([CERTTOOL, "--generate-privkey", "--outfile", key],
                   check=True, capture_output=True)
    _certtool(workdir, f'cn = "{cn}"\nca\ncert_signing_key\n'
              'expiration_days = 30\n',
              "--generate-self-signed", "--load-privkey", key,
              "--outfile", cert)
    return cert, key


def make_migrate_pki(pki_dir, ca, hosts=("localhost", "127.0.0.1")):
    """Fill @pki_dir with ca-cert.pem, server-cert.pem/-key.pem (naming
    @hosts: DNS names and IP addresses) and client-cert.pem/-key.pem, all
    signed by @ca, a (cert, key) pair from make_ca()."""
    os.makedirs(pki_dir, exist_ok=True)
    ca_cert, ca_key = ca
    shutil.copy(ca_cert, os.path.join(pki_dir, "ca-cert.pem"))
    names = "".join(
        f'ip_address = "{h}"\n' if h.replace(".", "").isdigit() or ":" in h
        else f'dns_name = "{h}"\n' for h in hosts)
    for role, usage in (("server", "tls_www_server"),
                        ("client", "tls_www_client")):
        key = os.path.join(pki_dir, f"{role}-key.pem")
        cert = os.path.join(pki_dir, f"{role}-cert.pem")
        subprocess.run([CERTTOOL, "--generate-privkey", "--outfile", key],
                       check=True, capture_output=True)
        _certtool(pki_dir, f'cn = "{hosts[0]}"\n{names}{usage}\n'
                  'encryption_key\nsigning_key\nexpiration_days = 30\n',
                  "--generate-certificate", "--load-privkey", key,
                  "--load-ca-certificate", ca_cert,
                  "--load-ca-privkey", ca_key, "--outfile", cert)
        os.chmod(key, 0o600)
    os.unlink(os.path.join(pki_dir, "cert.tpl"))


# ---------------------------------------------------------------------------
# Isolated testbed hosts (tools/testbed.sh up --isolated): each host has its
# own network and mount namespace; SRC_EXEC / DST_EXEC run a command in one.

def in_host(env, side, *cmd, check=True, timeout=120):
    """Run @cmd inside host @side ("SRC" or "DST") of an isolated testbed
    whose env lines are @env; the CompletedProcess (text).  AssertionError
    with its stderr if it fails and @check."""
    argv = [env[f"{side}_EXEC"]] + [str(c) for c in cmd]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError(f"in {side}: {' '.join(argv)} failed "
                             f"({p.returncode}): {p.stdout}{p.stderr}")
    return p


def virsh_in_host(env, side, uri, *args, check=True, timeout=180):
    """Real virsh run inside host @side of an isolated testbed."""
    return in_host(env, side, VIRSH, "-c", uri, *args, check=check,
                   timeout=timeout)


# ---------------------------------------------------------------------------
# SASL (test_sasl over TCP, test_sasltls over TLS): a sasldb made with
# saslpasswd2, libvirt auth files, python3-libvirt's credential callback.

AUTH_LIST, SASL_INIT, SASL_START, SASL_STEP, AUTH_POLKIT = 66, 67, 68, 69, 70


def make_sasl_conf(workdir, users, mechs="digest-md5 scram-sha-256"):
    """A sasldb in @workdir holding @users ({name: password}) and the
    service's libvirt.conf listing @mechs; the directory, for
    sasl_conf_dir."""
    db = os.path.join(workdir, "passwd.db")
    for user, pw in users.items():
        subprocess.run(["saslpasswd2", "-p", "-c", "-f", db, "-a",
                        "libvirt", user], input=pw.encode(), check=True)
    with open(os.path.join(workdir, "libvirt.conf"), "w") as f:
        f.write(f"mech_list: {mechs}\nsasldb_path: {db}\n")
    return workdir


def auth_file(path, user, password, host="127.0.0.1"):
    """A libvirt auth.conf giving @host the credentials."""
    with open(path, "w") as f:
        f.write(f"[credentials-t]\nauthname={user}\npassword={password}\n\n"
                f"[auth-libvirt-{host}]\ncredentials=t\n")
    return path


def open_auth(uri, user, password):
    """python3-libvirt's openAuth with @user and @password as the
    credentials."""
    import libvirt

    def cb(creds, data):
        for c in creds:
            if c[0] == libvirt.VIR_CRED_AUTHNAME:
                c[4] = user
            elif c[0] == libvirt.VIR_CRED_PASSPHRASE:
                c[4] = password
        return 0
    return libvirt.openAuth(uri, [[libvirt.VIR_CRED_AUTHNAME,
                                   libvirt.VIR_CRED_PASSPHRASE], cb, None], 0)
