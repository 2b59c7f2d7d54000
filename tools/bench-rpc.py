#!/usr/bin/python3
"""RPC latency benchmark for convergd (not a test).

    /usr/bin/python3 tools/bench-rpc.py [--calls 10000] [--warmup 300]
    /usr/bin/python3 tools/bench-rpc.py --transports [--calls 5000]

Starts its own convergd (temporary state directory) with one running test
guest (128 MiB), opens ONE python3-libvirt connection, and times each
dom.info() and dom.jobStats() call with time.perf_counter_ns().  Prints a
Markdown table: median / p90 / p99 / max in ms per call, and the daemon's
VmRSS with the guest running.  Needs Debian's /usr/bin/python3 (libvirt
module) and a built tree (CVG_BUILD_DIR, CVG_GUEST_DIR as for the tests).

With --transports the daemon also listens on 127.0.0.1 over TLS (client
certificates made with certtool, as tests/integration/cvgpki.py does) and
plain TCP (auth_tcp = "none"); dom.jobStats() is timed over UNIX, TCP and
TLS in the same run and reported as ratios against UNIX, with the cost of
setting up a connection (open + close) on each.
"""
import argparse
import os
import platform
import statistics
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import cvgtest  # noqa: E402
from cvgtest import Daemon, guest_xml, wait_console  # noqa: E402
from cvgpki import Pki  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def percentile(sorted_ns, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_ns:
        return float("nan")
    k = max(0, min(len(sorted_ns) - 1,
                   int(round(p / 100.0 * len(sorted_ns) + 0.5)) - 1))
    return sorted_ns[k]


def bench(func, calls, warmup):
    """Time @calls calls of @func individually; returns sorted ns list, or
    raises the libvirtError of the first failing call."""
    for _ in range(warmup):
        func()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        t0 = clock()
        func()
        samples.append(clock() - t0)
    samples.sort()
    return samples


def ms(ns):
    return f"{ns / 1e6:.3f}"


def transports_daemon(pki):
    """A daemon serving UNIX, TCP (auth none) and TLS; its three URIs."""
    pki.server()
    client = pki.client("bench")
    tls, tcp = cvgtest.free_port(), cvgtest.free_port()
    d = Daemon("bench", args=["--listen"], config=pki.server_config() + f"""
listen_tls = 1
listen_tcp = 1
listen_addr = "127.0.0.1"
tls_port = "{tls}"
tcp_port = "{tcp}"
auth_tcp = "none"
""")
    d.wait_port(tls)
    return d, {"UNIX": d.uri,
               "TCP": f"qemu+tcp://127.0.0.1:{tcp}/system",
               "TLS": f"qemu+tls://127.0.0.1:{tls}/system?pkipath={client}"}


def setup_cost(uri, n):
    """Sorted ns of @n libvirt.open() + close() pairs."""
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        libvirt.open(uri).close()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return samples


def run_transports(args):
    pki = Pki()
    d = None
    rows = []
    try:
        d, uris = transports_daemon(pki)
        console = os.path.join(d.dir, "console.log")
        conn = libvirt.open(d.uri)
        dom = conn.defineXML(guest_xml("bench", console,
                                       mem_mib=args.mem_mib))
        dom.create()
        wait_console(console, count=1, timeout=60)
        base = None
        for name, uri in uris.items():
            c = libvirt.open(uri)
            s = bench(c.lookupByName("bench").jobStats, args.calls,
                      args.warmup)
            c.close()
            med = statistics.median(s)
            base = base or med
            o = setup_cost(uri, args.opens)
            rows.append(f"| {name} | {ms(med)} | {ms(percentile(s, 99))} | "
                        f"{med / base:.2f}x | {ms(statistics.median(o))} | "
                        f"{ms(percentile(o, 90))} |")
        dom.destroy()
        dom.undefine()
        conn.close()
    finally:
        if d:
            d.cleanup()
        pki.cleanup()
    print(f"## convergd transports ({platform.node()}, {os.cpu_count()} "
          f"CPUs, {args.calls} timed dom.jobStats() per transport, "
          f"{args.opens} open+close)")
    print()
    print("| transport | median ms | p99 ms | vs UNIX | open+close median "
          "ms | open+close p90 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--mem-mib", type=int, default=128)
    ap.add_argument("--transports", action="store_true",
                    help="jobStats() and connection set-up over UNIX, TCP "
                    "and TLS")
    ap.add_argument("--opens", type=int, default=200,
                    help="connections opened per transport (--transports)")
    args = ap.parse_args()
    if args.transports:
        return run_transports(args)

    if not os.path.exists(cvgtest.CONVERGD):
        sys.exit(f"no daemon at {cvgtest.CONVERGD}: build first "
                 "(ninja -C build) or set CVG_BUILD_DIR")
    d = Daemon("bench")
    rows = []
    notes = []
    try:
        console = os.path.join(d.dir, "console.log")
        conn = libvirt.open(d.uri)
        dom = conn.defineXML(guest_xml("bench", console,
                                       mem_mib=args.mem_mib))
        dom.create()
        # Let the guest boot so the daemon is in its steady state.
        wait_console(console, count=1, timeout=60)
        rss_before = rss_mb(d.proc.pid)

        for label, func in (("dom.info()", dom.info),
                            ("dom.jobStats()", dom.jobStats)):
            t0 = time.monotonic()
            try:
                s = bench(func, args.calls, args.warmup)
            except libvirt.libvirtError as e:
                rows.append(f"| `{label}` | – | – | – | – | – | not "
                            f"available: error {e.get_error_code()}: {e} |")
                notes.append(f"{label} failed: {e}")
                continue
            wall = time.monotonic() - t0
            rows.append(
                f"| `{label}` | {len(s)} | {ms(statistics.median(s))} | "
                f"{ms(percentile(s, 90))} | {ms(percentile(s, 99))} | "
                f"{ms(s[-1])} | {len(s) / wall:.0f} calls/s |")

        state = dom.state()
        rss_after = rss_mb(d.proc.pid)
        nthreads = threads(d.proc.pid)
        dom.destroy()
        dom.undefine()
        conn.close()
    finally:
        d.cleanup()

    print(f"## convergd RPC latency ({platform.node()}, "
          f"{os.cpu_count()} CPUs, one python3-libvirt connection, "
          f"{args.calls} timed calls after {args.warmup} warm-up calls)")
    print()
    print("| call | n | median ms | p90 ms | p99 ms | max ms | "
          "throughput |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(r)
    print()
    print("| daemon memory | value |")
    print("|---|---:|")
    print(f"| VmRSS, guest running, before the calls | {rss_before:.1f} MB |")
    print(f"| VmRSS, guest running, after the calls | {rss_after:.1f} MB |")
    print(f"| daemon threads | {nthreads} |")
    print()
    print(f"Guest: {args.mem_mib} MiB, 1 vCPU, TCG; state during the run "
          f"{state}.")
    for n in notes:
        print(f"Note: {n}")


if __name__ == "__main__":
    main()
