#!/usr/bin/python3
"""Hostile and malformed clients against convergd.

Raw AF_UNIX sockets write libvirt RPC frames by hand (struct).  After every
abuse the daemon must still be alive and a real `virsh list --all` on a
fresh connection must work.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import (Daemon, RawClient, decode_rpc_error, guest_xml,  # noqa
                     rpc_frame, xdr_domain, xdr_opt_string, xdr_string,
                     KEEPALIVE_PROG, REMOTE_PROG, RPC_CALL, RPC_ERROR,
                     RPC_MESSAGE, RPC_OK, RPC_REPLY)

# libvirt error codes
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_RPC = 39
VIR_ERR_NO_DOMAIN = 42

# REMOTE procedures
PROC_CONNECT_OPEN = 1
PROC_DOMAIN_DEFINE_XML = 11
PROC_DOMAIN_LOOKUP_BY_NAME = 23
PROC_AUTH_LIST = 66
PROC_CONNECT_LIST_ALL_DOMAINS = 273
PROC_DOMAIN_GET_JOB_STATS = 298
PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS = 303

MESSAGE_MAX = 16 * 1024 * 1024          # VIR_NET_MESSAGE_MAX


def typed_param_uint(field, value):
    return xdr_string(field) + struct.pack(">iI", 2, value)


class HostileBase(unittest.TestCase):

    def setUp(self):
        self.d = Daemon("hostile")
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        res = getattr(getattr(self, "_outcome", None), "result", None)
        if res is not None and any(t is self for t, _ in
                                   res.failures + res.errors):
            sys.stdout.write(f"\n--- convergd log tail ---\n{self.d.tail(40)}\n")
        self.d.cleanup()

    def client(self, timeout=10):
        c = RawClient(self.d.socket, timeout=timeout)
        self.clients.append(c)
        return c

    def opened(self):
        c = self.client()
        c.open()
        return c

    def assertHealthy(self):
        """Daemon alive, and a real virsh on a new connection works."""
        time.sleep(0.05)
        self.assertTrue(self.d.alive(), f"convergd died:\n{self.d.tail()}")
        t0 = time.monotonic()
        p = self.d.virsh("list", "--all", check=False, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Name", p.stdout)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertTrue(self.d.alive())

    def assertErrorReply(self, m, serial, proc, prog=REMOTE_PROG, code=None):
        self.assertEqual(m["type"], RPC_REPLY)
        self.assertEqual(m["status"], RPC_ERROR)
        self.assertEqual(m["serial"], serial)
        self.assertEqual(m["proc"], proc)
        self.assertEqual(m["prog"], prog)
        err = decode_rpc_error(m["payload"])
        self.assertNotEqual(err["code"], 0)
        self.assertTrue(err["message"], err)
        if code is not None:
            self.assertEqual(err["code"], code, err)
        return err

    def assertErrorOrClose(self, c, serial, proc, prog=REMOTE_PROG):
        """Either an ERROR reply for this call, or the server closes."""
        try:
            m = c.recv()
        except EOFError:
            return None
        except ConnectionResetError:
            return None
        return self.assertErrorReply(m, serial, proc, prog)

    def assertUsable(self, c):
        """The connection still answers a proper call in order."""
        m = c.call(PROC_AUTH_LIST)
        self.assertEqual(m["status"], RPC_OK)
        self.assertEqual(m["payload"], struct.pack(">II", 1, 0))

    def implemented(self, proc, payload):
        """False if the daemon answers NO_SUPPORT to a well-formed call."""
        c = self.opened()
        m = c.call(proc, payload)
        if m["status"] == RPC_OK:
            return True
        return decode_rpc_error(m["payload"])["code"] != VIR_ERR_NO_SUPPORT


class TestFraming(HostileBase):

    def test_garbage(self):
        c = self.client()
        c.send(b"GET / HTTP/1.1\r\nHost: convergd\r\n\r\n" + os.urandom(512))
        self.assertTrue(c.closed_by_peer(5), "garbage did not close")
        self.assertHealthy()

    def test_short_length_word(self):
        for length in (0, 1, 4, 12, 27):
            c = self.client()
            c.send(struct.pack(">I", length) + b"\0" * 24)
            self.assertTrue(c.closed_by_peer(5),
                            f"length {length} did not close")
        self.assertHealthy()

    def test_huge_length_word(self):
        for length in (0x7fffffff, 0xffffffff, MESSAGE_MAX + 5):
            c = self.client()
            t0 = time.monotonic()
            # Only the header follows: the daemon must refuse on the length
            # word, not wait for (or allocate) the announced bytes.
            c.send(struct.pack(">I", length) +
                   struct.pack(">IIiiIi", REMOTE_PROG, 1, PROC_AUTH_LIST,
                               RPC_CALL, 0, RPC_OK))
            self.assertTrue(c.closed_by_peer(5),
                            f"length {length:#x} did not close")
            self.assertLess(time.monotonic() - t0, 3)
        self.assertHealthy()

    def test_max_size_frame_accepted(self):
        """A frame of exactly 16 MiB + 4 is legal: it gets an answer (here
        an error: the string exceeds the 4 MiB string limit), not a close."""
        c = self.opened()
        n = MESSAGE_MAX - 24 - 4
        payload = struct.pack(">I", n) + b"a" * n
        c.serial += 1
        frame = rpc_frame(REMOTE_PROG, PROC_DOMAIN_DEFINE_XML, payload,
                          serial=c.serial)
        self.assertEqual(len(frame), MESSAGE_MAX + 4)
        c.send(frame)
        m = c.recv()
        self.assertErrorReply(m, c.serial, PROC_DOMAIN_DEFINE_XML,
                              code=VIR_ERR_RPC)
        self.assertUsable(c)
        self.assertHealthy()

    def test_oversized_frame_closed(self):
        c = self.opened()
        n = MESSAGE_MAX - 24 - 4 + 1
        try:
            c.send(rpc_frame(REMOTE_PROG, PROC_DOMAIN_DEFINE_XML,
                             struct.pack(">I", n) + b"a" * n, serial=9))
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertTrue(c.closed_by_peer(5))
        self.assertHealthy()

    def test_truncated_frame_then_close(self):
        for cut in (2, 4, 20, 27):
            c = self.client()
            frame = rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, serial=0)
            c.send(frame[:cut])
            c.close()
        # Truncated inside the payload of a CONNECT_OPEN.
        c = self.client()
        c.call(PROC_AUTH_LIST)
        frame = rpc_frame(REMOTE_PROG, PROC_CONNECT_OPEN,
                          xdr_opt_string("qemu:///system") +
                          struct.pack(">I", 0), serial=2)
        c.send(frame[:-6])
        c.close()
        self.assertHealthy()

    def test_client_vanishes_with_reply_pending(self):
        for _ in range(20):
            c = self.opened()
            c.send(rpc_frame(REMOTE_PROG, PROC_CONNECT_LIST_ALL_DOMAINS,
                             struct.pack(">iI", 1, 3), serial=50))
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))    # RST on close
            c.close()
        self.assertHealthy()

    def test_many_idle_connections(self):
        socks = [self.client() for _ in range(200)]
        for c in socks[::2]:
            c.open()
        self.assertHealthy()
        for c in socks:
            c.close()
        self.assertHealthy()


class TestDispatch(HostileBase):

    def test_unknown_program(self):
        c = self.client()
        c.send(rpc_frame(0x12345678, 1, serial=7))
        self.assertErrorOrClose(c, 7, 1, prog=0x12345678)
        self.assertHealthy()

    def test_unknown_program_version(self):
        c = self.client()
        c.send(rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, serial=3, vers=99))
        try:
            m = c.recv()
            self.assertEqual(m["status"], RPC_ERROR)
            self.assertEqual(m["serial"], 3)
        except EOFError:
            pass
        self.assertHealthy()

    def test_unknown_procedure(self):
        c = self.client()
        c.send(rpc_frame(REMOTE_PROG, 9999, serial=5))
        err = self.assertErrorReply(c.recv(), 5, 9999,
                                    code=VIR_ERR_NO_SUPPORT)
        self.assertEqual(err["level"], 2)
        # After CONNECT_OPEN too, and the connection stays usable.
        c = self.opened()
        c.serial += 1
        c.send(rpc_frame(REMOTE_PROG, 9999, serial=c.serial))
        self.assertErrorReply(c.recv(), c.serial, 9999,
                              code=VIR_ERR_NO_SUPPORT)
        c.serial += 1
        c.send(rpc_frame(REMOTE_PROG, -5, serial=c.serial))
        self.assertErrorReply(c.recv(), c.serial, -5)
        self.assertUsable(c)
        self.assertHealthy()

    def test_served_set_is_annotated_set(self):
        """Every procedure src/rpc/cvg-remote-protocol.x annotates as
        served is answered (an empty payload fails to decode, or a void
        call runs); events and every other number are unknown."""
        path = os.path.join(os.environ["CVG_TEST_SRCDIR"], "..", "src",
                            "rpc", "cvg-remote-protocol.x")
        served = set()
        described = set()
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*CVG_PROC_\w+\s*=\s*(\d+)\s*,?\s*/\*(.*)\*/",
                             line)
                if m:
                    described.add(int(m.group(1)))
                    if "@kind event" not in m.group(2):
                        served.add(int(m.group(1)))
        self.assertGreater(len(served), 60)
        c = self.opened()
        for proc in range(0, 460):
            m = c.call(proc)
            if m["status"] == RPC_OK:
                self.assertIn(proc, served)
                continue
            err = decode_rpc_error(m["payload"])
            unknown = (err["code"] == VIR_ERR_NO_SUPPORT and
                       err["message"].endswith(f"procedure {proc}"))
            self.assertEqual(unknown, proc not in served, (proc, err))
        self.assertTrue(described > served)
        self.assertUsable(c)
        self.assertHealthy()

    def test_call_before_open(self):
        c = self.client()
        for proc, payload in (
                (PROC_DOMAIN_LOOKUP_BY_NAME, xdr_string("x")),
                (PROC_CONNECT_LIST_ALL_DOMAINS, struct.pack(">iI", 1, 3)),
                (PROC_DOMAIN_DEFINE_XML, xdr_string(
                    guest_xml("sneaky", "/tmp/x")))):
            m = c.call(proc, payload)
            self.assertErrorReply(m, c.serial, proc)
        c.close()
        p = self.d.virsh("list", "--all", "--name")
        self.assertNotIn("sneaky", p.stdout)
        self.assertHealthy()

    def test_keepalive_ping(self):
        for do_open in (False, True):
            c = self.opened() if do_open else self.client()
            c.send(rpc_frame(KEEPALIVE_PROG, 1, typ=RPC_MESSAGE, serial=0))
            m = c.recv()
            self.assertEqual(m["prog"], KEEPALIVE_PROG)
            self.assertEqual(m["vers"], 1)
            self.assertEqual(m["proc"], 2)              # PONG
            self.assertEqual(m["type"], RPC_MESSAGE)
            self.assertEqual(m["serial"], 0)
            self.assertEqual(m["status"], RPC_OK)
            self.assertEqual(m["payload"], b"")
            self.assertUsable(c)
        self.assertHealthy()

    def test_unexpected_message_types(self):
        """A REPLY, a CALL with status ERROR, an event and an unknown type
        get an RPC error reply, as libvirt gives; STREAM data is dropped
        (no streams are offered); the connection stays in sync."""
        c = self.opened()
        c.send(rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, typ=RPC_REPLY,
                         serial=100))
        c.send(rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, status=RPC_ERROR,
                         serial=101))
        c.send(rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, typ=3, serial=102))
        c.send(rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, typ=RPC_MESSAGE,
                         serial=103))
        c.send(rpc_frame(REMOTE_PROG, PROC_AUTH_LIST, typ=77, serial=104))
        for serial, text in ((100, "type 1"), (101, "status 1"),
                             (103, "type 2"), (104, "type 77")):
            err = self.assertErrorReply(c.recv(), serial, PROC_AUTH_LIST,
                                        code=VIR_ERR_RPC)
            self.assertIn(text, err["message"])
        self.assertUsable(c)        # no reply to the stream frame (102)
        self.assertHealthy()

    def test_trailing_bytes(self):
        c = self.opened()
        m = c.call(PROC_AUTH_LIST, b"junkjunk")
        self.assertErrorReply(m, c.serial, PROC_AUTH_LIST, code=VIR_ERR_RPC)
        self.assertUsable(c)
        self.assertHealthy()


class TestPayloads(HostileBase):

    def test_huge_string_length(self):
        c = self.opened()
        for length in (0xFFFFFFF0, 0x7FFFFFFF, 4194305, 1000):
            c.serial += 1
            c.send(rpc_frame(REMOTE_PROG, PROC_DOMAIN_LOOKUP_BY_NAME,
                             struct.pack(">I", length) + b"abcd",
                             serial=c.serial))
            if self.assertErrorOrClose(c, c.serial,
                                       PROC_DOMAIN_LOOKUP_BY_NAME) is None:
                c = self.opened()
        self.assertHealthy()

    def test_string_limit(self):
        """4 MiB strings decode (then fail as XML); 4 MiB + 1 is an RPC
        error."""
        c = self.opened()
        m = c.call(PROC_DOMAIN_DEFINE_XML, xdr_string("x" * 4194304))
        err = self.assertErrorReply(m, c.serial, PROC_DOMAIN_DEFINE_XML)
        self.assertNotEqual(err["code"], VIR_ERR_RPC, err)
        m = c.call(PROC_DOMAIN_DEFINE_XML, xdr_string("x" * 4194305))
        self.assertErrorReply(m, c.serial, PROC_DOMAIN_DEFINE_XML,
                              code=VIR_ERR_RPC)
        self.assertUsable(c)
        self.assertHealthy()

    def test_define_short_and_wrong_typed(self):
        c = self.opened()
        for payload in (b"",                              # nothing
                        b"\0\0",                          # half a word
                        struct.pack(">I", 5),             # length, no bytes
                        struct.pack(">I", 100) + b"<dom",  # short string
                        struct.pack(">I", 4) + b"ab"):    # short padding
            m = c.call(PROC_DOMAIN_DEFINE_XML, payload)
            self.assertErrorReply(m, c.serial, PROC_DOMAIN_DEFINE_XML,
                                  code=VIR_ERR_RPC)
        self.assertUsable(c)
        self.assertEqual(self.d.virsh("list", "--all", "--name")
                         .stdout.strip(), "")
        self.assertHealthy()

    def test_job_stats_short_payload(self):
        # Args are { remote_nonnull_domain dom; unsigned flags }.
        good = xdr_domain("nosuch") + struct.pack(">I", 0)
        # A procedure that goes missing fails here; it is never skipped.
        self.assertTrue(self.implemented(PROC_DOMAIN_GET_JOB_STATS, good),
                        "DOMAIN_GET_JOB_STATS answers NO_SUPPORT")
        c = self.opened()
        for payload in (b"", b"\0\0", struct.pack(">I", 7),
                        xdr_domain("nosuch"),              # flags missing
                        xdr_string("nosuch") + b"\0" * 8):  # uuid cut short
            m = c.call(PROC_DOMAIN_GET_JOB_STATS, payload)
            self.assertErrorReply(m, c.serial, PROC_DOMAIN_GET_JOB_STATS,
                                  code=VIR_ERR_RPC)
        m = c.call(PROC_DOMAIN_GET_JOB_STATS, good)
        self.assertErrorReply(m, c.serial, PROC_DOMAIN_GET_JOB_STATS,
                              code=VIR_ERR_NO_DOMAIN)
        self.assertUsable(c)
        self.assertHealthy()

    def test_typed_param_list_over_limit(self):
        """PREPARE3_PARAMS { params<64>; opaque cookie_in; flags } with
        1000 params: must be refused (RPC error once the procedure exists:
        the arguments fail to decode)."""
        def args(n):
            params = b"".join(typed_param_uint(f"p{i}", i) for i in range(n))
            return (struct.pack(">I", n) + params + struct.pack(">I", 0) +
                    struct.pack(">I", 0))
        c = self.opened()
        m = c.call(PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS, args(1000))
        err = self.assertErrorReply(m, c.serial,
                                    PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS)
        self.assertTrue(self.implemented(PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
                                         args(1)),
                        "DOMAIN_MIGRATE_PREPARE3_PARAMS answers NO_SUPPORT")
        self.assertEqual(err["code"], VIR_ERR_RPC, err)
        # 65 is over the limit too; the count alone, without the
        # entries, must not make the daemon wait or allocate.
        m = c.call(PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS, args(65))
        self.assertErrorReply(m, c.serial,
                              PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
                              code=VIR_ERR_RPC)
        m = c.call(PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
                   struct.pack(">I", 0xFFFFFFFF))
        self.assertErrorReply(m, c.serial,
                              PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS)
        self.assertUsable(c)
        self.assertHealthy()


# A virsh list takes ~50 ms here. The stalls these tests catch are the
# daemon blocking on a slow peer or a full socket for its 30 s send
# timeout; 5 s tells them apart on a loaded 2-core TCG host without
# flaking.
STALL_S = 5.0


class TestResponsiveness(HostileBase):

    def timed_list(self):
        t0 = time.monotonic()
        p = self.d.virsh("list", "--all", check=False, timeout=30)
        dt = time.monotonic() - t0
        self.assertEqual(p.returncode, 0, p.stderr)
        return dt

    def test_list_during_start(self):
        console = os.path.join(self.d.dir, "console.log")
        xml = os.path.join(self.d.dir, "g.xml")
        with open(xml, "w") as f:
            f.write(guest_xml("slow", console))
        self.d.virsh("define", xml)
        starter = subprocess.Popen(
            [cvgtest.VIRSH, "-c", self.d.uri, "start", "slow"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        times = []
        deadline = time.monotonic() + 3
        while starter.poll() is None or time.monotonic() < deadline:
            times.append(self.timed_list())
            if len(times) > 200:
                break
        out, err = starter.communicate(timeout=60)
        self.assertEqual(starter.returncode, 0, err)
        self.assertIn("Domain 'slow' started", out)
        self.assertGreaterEqual(len(times), 3)
        self.assertLess(max(times), STALL_S, times)
        self.d.virsh("destroy", "slow")

    def test_stalled_client_does_not_block(self):
        # One client sends half a frame and stalls, another sends a frame
        # whose length word promises more than it delivers.
        a = self.opened()
        a.send(rpc_frame(REMOTE_PROG, PROC_CONNECT_LIST_ALL_DOMAINS,
                         struct.pack(">iI", 1, 3), serial=9)[:17])
        b = self.client()
        b.send(struct.pack(">I", 1 << 20) + b"\0" * 100)
        for _ in range(3):
            self.assertLess(self.timed_list(), STALL_S)
        # Finishing the stalled frame later still works.
        a.send(rpc_frame(REMOTE_PROG, PROC_CONNECT_LIST_ALL_DOMAINS,
                         struct.pack(">iI", 1, 3), serial=9)[17:])
        m = a.recv_reply(9)
        self.assertEqual(m["status"], RPC_OK)
        self.assertHealthy()

    # regression (fixed): replies are written with a blocking send() that polls up
    # to 30 s (CLIENT_SEND_TIMEOUT_MS) on a full socket, from the worker
    # threads and, for errors/PONGs, from the main loop itself
    # (client_dispatch -> send_error -> client_send).  A client that
    # pipelines calls and does not read its replies fills its socket: all
    # 16 workers (or the main loop) block in poll() and every other client
    # stalls for ~30 s.  libvirtd queues replies and stops reading from such
    # a client instead (back-pressure), so other clients are unaffected.
    def test_flooding_client_does_not_block(self):
        """A client pipelines thousands of calls and never reads: other
        clients stay responsive."""
        f = self.opened()
        n = 3000
        frames = b"".join(
            rpc_frame(REMOTE_PROG, PROC_CONNECT_LIST_ALL_DOMAINS,
                      struct.pack(">iI", 1, 3), serial=1000 + i)
            for i in range(n))
        sender = threading.Thread(target=self._send_quietly,
                                  args=(f, frames), daemon=True)
        sender.start()
        time.sleep(0.5)
        times = []
        for _ in range(3):
            t0 = time.monotonic()
            try:
                self.d.virsh("list", "--all", timeout=2 * STALL_S)
            except subprocess.TimeoutExpired:
                pass
            times.append(time.monotonic() - t0)
            if times[-1] > STALL_S:
                break
        # Unblock the daemon quickly whatever happened.
        f.close()
        sender.join(10)
        self.assertLess(max(times), STALL_S, times)
        self.assertHealthy()

    @staticmethod
    def _send_quietly(c, data):
        try:
            c.send(data)
        except OSError:
            pass

    # regression (fixed): a connection with more than 64 calls in flight gets
    # "RPC error: too many outstanding calls on this connection" replies
    # (client_dispatch, CLIENT_MAX_INFLIGHT).  libvirtd never fails a call
    # for this: past max_client_requests it just stops reading from that
    # socket until replies have gone out.  Real clients hit this: python
    # threads sharing one virConnect (see test_python.py).
    def test_pipelined_calls_all_answered(self):
        c = self.opened()
        n = 2000
        frames = b"".join(
            rpc_frame(REMOTE_PROG, PROC_CONNECT_LIST_ALL_DOMAINS,
                      struct.pack(">iI", 1, 3), serial=1000 + i)
            for i in range(n))
        sender = threading.Thread(target=self._send_quietly,
                                  args=(c, frames), daemon=True)
        sender.start()
        c.sock.settimeout(30)
        status = {}
        serials = []
        for _ in range(n):
            m = c.recv_reply()
            serials.append(m["serial"])
            status[m["status"]] = status.get(m["status"], 0) + 1
        sender.join(10)
        self.assertEqual(sorted(serials), list(range(1000, 1000 + n)))
        self.assertEqual(status, {RPC_OK: n})
        self.assertHealthy()

if __name__ == "__main__":
    cvgtest.main()
