#!/usr/bin/python3
"""Capture real libvirt wire frames for tests/xdrdata/real-*.hex.

A relay between a libvirt client (virsh, python3-libvirt) and a convergd
UNIX socket that writes every frame it forwards, in order, as one hex file
in the format tests/xdrtest.c reads ('#' comments, whitespace-separated
hex).  The call frames are the exact bytes the real libvirt 9.0 client
sends; the reply frames are convergd's, which that client accepted (the
command succeeded or printed the error the reply carries).

Usage, by hand:
    tests/xdr-capture.py relay LISTEN_SOCKET TARGET_SOCKET OUT_DIR
    virsh -c 'qemu+unix:///system?socket=LISTEN_SOCKET' pool-list --all

or the scenario the fixtures in tests/xdrdata/real-*.hex come from (a
throwaway convergd on a private socket, a pool, an idle disk guest; hold
/tmp/cvg-integration.lock, it starts QEMU):
    flock /tmp/cvg-integration.lock /usr/bin/python3 tests/xdr-capture.py \\
        scenario OUT_DIR

OUT_DIR gets NNNN-cCONN-{call,reply,...}-PROC.hex; copy the frame a
fixture needs to tests/xdrdata/real-NAME.hex, keeping the comment that says
which command sent it.  Frames are logged, never changed.
"""
import os
import re
import socket
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_X = os.path.join(HERE, "..", "src", "rpc", "cvg-remote-protocol.x")
TYPES = {0: "call", 1: "reply", 2: "message", 3: "stream", 4: "call-fds",
         5: "reply-fds", 6: "stream-hole"}
REMOTE_PROG = 0x20008086


def proc_names():
    names = {}
    with open(PROTO_X) as f:
        for m in re.finditer(r"CVG_PROC_(\w+) = (\d+),", f.read()):
            names[int(m.group(2))] = m.group(1)
    return names


def frame_hex(frame, comment):
    lines = [f"# {c}" for c in comment]
    words = [frame[i:i + 4].hex() for i in range(0, len(frame), 4)]
    for i in range(0, len(words), 8):
        lines.append(" ".join(words[i:i + 8]))
    return "\n".join(lines) + "\n"


class Log:
    """Numbers and writes frames from every connection, in arrival
    order; @label (settable) names the command that causes them."""

    def __init__(self, out_dir):
        self.out = out_dir
        self.n = 0
        self.lock = threading.Lock()
        self.names = proc_names()
        self.label = "?"
        os.makedirs(out_dir, exist_ok=True)

    def frame(self, conn, direction, frame):
        prog, vers, proc, typ, serial, status = struct.unpack(
            ">IIiiII", frame[4:28])
        name = (self.names.get(proc, f"PROC{proc}")
                if prog == REMOTE_PROG else f"PROG{prog:x}-{proc}")
        kind = TYPES.get(typ, f"type{typ}")
        with self.lock:
            self.n += 1
            fn = f"{self.n:04d}-c{conn}-{kind}-{name}.hex"
            comment = [f"{direction} {name} {kind} serial {serial} "
                       f"status {status}, {len(frame)} bytes",
                       f"command: {self.label}"]
            with open(os.path.join(self.out, fn), "w") as f:
                f.write(frame_hex(frame, comment))


def pump(src, dst, log, conn, direction):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            buf += data
            while len(buf) >= 4:
                (n,) = struct.unpack(">I", buf[:4])
                if n < 28 or len(buf) < n:
                    break
                log.frame(conn, direction, buf[:n])
                buf = buf[n:]
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def relay(listen, target, log):
    """Serve @listen in a daemon thread; returns the listening socket."""
    if os.path.exists(listen):
        os.unlink(listen)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(listen)
    srv.listen(8)

    def accept_loop():
        conn = 0
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            conn += 1
            server = socket.socket(socket.AF_UNIX)
            server.connect(target)
            for a, b, d in ((client, server, "client->daemon"),
                            (server, client, "daemon->client")):
                threading.Thread(target=pump, args=(a, b, log, conn, d),
                                 daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return srv


def python_calls(log, uri, img):
    """The procedures virsh does not use: python3-libvirt calls them."""
    import libvirt

    log.label = "python3-libvirt: open"
    conn = libvirt.open(uri)
    dom = conn.lookupByName("web")
    for label, call in (
            ("dom.blockStats('vda')", lambda: dom.blockStats("vda")),
            ("dom.interfaceStats('52:54:00:12:34:56')",
             lambda: dom.interfaceStats("52:54:00:12:34:56")),
            (f"conn.storageVolLookupByPath('{img}')",
             lambda: conn.storageVolLookupByPath(img)),
            ("conn.storagePoolLookupByName('images').isPersistent()",
             lambda: conn.storagePoolLookupByName("images").isPersistent())):
        log.label = "python3-libvirt: " + label
        print(f"$ {log.label} -> {call()}", flush=True)
    log.label = "python3-libvirt: close"
    conn.close()


def scenario(out_dir):
    sys.path.insert(0, os.path.join(HERE, "integration"))
    import subprocess
    import time
    import cvgtest

    log = Log(out_dir)
    d = cvgtest.Daemon("xdrcap")
    bridges = []
    try:
        listen = os.path.join(d.dir, "relay")
        relay(listen, d.socket, log)
        uri = cvgtest.unix_uri(listen)

        def virsh(*args, check=False, inp=None):
            log.label = "virsh " + " ".join(str(a) for a in args)
            p = subprocess.run([cvgtest.VIRSH, "-c", uri] +
                               [str(a) for a in args], capture_output=True,
                               text=True, timeout=120, input=inp)
            print(f"$ {log.label} -> {p.returncode}\n{p.stdout}{p.stderr}",
                  flush=True)
            time.sleep(0.2)
            return p

        pool = os.path.join(d.dir, "pool")
        os.makedirs(pool)
        img = os.path.join(pool, "web.qcow2")
        cvgtest.make_overlay(img, os.path.join(cvgtest.disk_guest_dir(),
                                               "disk.qcow2"))
        virsh("pool-define-as", "images", "dir", "--target", pool)
        virsh("pool-start", "images")
        virsh("pool-list", "--all")
        virsh("pool-info", "images")
        virsh("vol-list", "images")
        virsh("vol-info", img)
        virsh("vol-info", os.path.join(pool, "nosuch.qcow2"))
        virsh("domcapabilities", "--virttype", "qemu")

        bridge = f"cvgxdr{os.getpid() % 100000}"
        subprocess.run(["ip", "link", "add", bridge, "type", "bridge"],
                       check=True)
        bridges.append(bridge)
        console = os.path.join(d.dir, "web.console")
        xml = cvgtest.disk_guest_xml("web", console, img).replace(
            f"<serial type='file'>\n      <source path='{console}'/>\n"
            "    </serial>", "<serial type='pty'/>").replace(
            "  </devices>", f"    <interface type='bridge'>\n"
            f"      <source bridge='{bridge}'/>\n"
            "      <mac address='52:54:00:12:34:56'/>\n"
            "      <model type='virtio'/>\n    </interface>\n  </devices>")
        xml_path = os.path.join(d.dir, "web.xml")
        with open(xml_path, "w") as f:
            f.write(xml)
        virsh("create", xml_path)
        virsh("domblkstat", "web", "vda")
        virsh("domblkstat", "web")
        virsh("domifstat", "web", "52:54:00:12:34:56")
        virsh("domblkinfo", "web", "vda")
        python_calls(log, uri, img)
        virsh("migrate-compcache", "web")
        virsh("migrate-compcache", "web", "--size", "67108864")
        virsh("migrate-postcopy", "web")
        log.label = "virsh console web (types 'a', then Ctrl-])"
        c = cvgtest.Console(uri, "web")
        c.pump(3)
        c.type("a")
        c.pump(2)
        os.write(c.fd, b"\x1d")
        c.wait_exit()
        c.kill()
        print(f"$ {log.label}\n{c.out!r}", flush=True)
        virsh("destroy", "web")
    finally:
        d.cleanup()
        for b in bridges:
            subprocess.run(["ip", "link", "del", b])


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "relay":
        log = Log(sys.argv[4])
        relay(sys.argv[2], sys.argv[3], log)
        threading.Event().wait()
    elif len(sys.argv) == 3 and sys.argv[1] == "scenario":
        scenario(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
