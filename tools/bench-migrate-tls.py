#!/usr/bin/python3
"""Migration throughput with a TLS stream (VIR_MIGRATE_TLS) against a plain
one, on the testbed link shaped to a rate and unshaped, as ratios from the
same run.

Brings up its own two-host testbed (tools/testbed.sh --name cvgtlsbench)
with migrate_tls_x509_cert_dir pointing at certificates made with certtool,
boots one guest whose dirtier touches WORKSET MiB (so every migration sends
at least that much), and migrates it back and forth with
migrateToURI3(LIVE | PEER2PEER [| TLS]), alternating plain and TLS runs.
Each migration's completed job statistics on the source give the bytes sent
and the time; throughput = data_processed / time_elapsed.

    /usr/bin/python3 tools/bench-migrate-tls.py [--runs 3] [--rate 100mbit]
        [--workset 96] [--parallel 0,1,2,4] [--unshaped-only] [--json FILE]

--parallel measures each channel count in turn: 0 is the single migration
stream, N adds VIR_MIGRATE_PARALLEL with parallel.connections N (QEMU
multifd; with TLS every channel is its own TLS session).

Run it alone (flock /tmp/cvg-integration.lock): it shares the CPUs with
TCG guests, and TLS costs CPU.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))

import cvgtest  # noqa: E402
from cvgtest import testbed, guest_xml, virsh_at as virsh  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)

NAME = "cvgtlsbench"
GUEST = "tlsbench"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def migrate_once(src_uri, dst_uri, tls, channels=0):
    """One migration of GUEST from src to dst: (MiB/s, seconds, MiB)."""
    flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
    params = {}
    if tls:
        flags |= libvirt.VIR_MIGRATE_TLS
    if channels:
        flags |= libvirt.VIR_MIGRATE_PARALLEL
        params["parallel.connections"] = channels
    conn = libvirt.open(src_uri)
    dconn = libvirt.open(dst_uri)
    try:
        dom = conn.lookupByName(GUEST)
        t0 = time.monotonic()
        dom.migrateToURI3(dst_uri, params, flags)
        wall = time.monotonic() - t0
        # The destination keeps the source's figures (a transient source
        # guest is gone once it left).
        st = dconn.lookupByName(GUEST).jobStats(
            libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
    finally:
        conn.close()
        dconn.close()
    mib = st["data_processed"] / 2**20
    secs = st["time_elapsed"] / 1000.0
    return {"mibs": mib / secs, "seconds": secs, "wall": wall, "mib": mib,
            "setup_ms": st.get("setup_time", 0),
            "downtime_ms": st.get("downtime", 0)}


def run_link(env, runs, label, results, channels=0, where=0):
    """@runs plain and @runs TLS migrations, alternating, back and forth,
    with @channels multifd channels (0: none).  The guest starts on host
    @where (0 source, 1 destination); returns where it ends."""
    hosts = [env["SRC_URI"], env["DST_URI"]]
    for i in range(runs):
        for tls in (False, True) if i % 2 == 0 else (True, False):
            r = migrate_once(hosts[where], hosts[1 - where], tls, channels)
            where = 1 - where
            r.update(link=label, tls=tls, channels=channels)
            results.append(r)
            log(f"{label:>9} x{channels} {'tls  ' if tls else 'plain'} "
                f"{r['mib']:7.1f} MiB in {r['seconds']:6.2f} s = "
                f"{r['mibs']:6.1f} MiB/s (setup {r['setup_ms']} ms, "
                f"downtime {r['downtime_ms']} ms)")
    return where


def summary(results):
    out = {}
    for key in dict.fromkeys((r["link"], r["channels"]) for r in results):
        med = {}
        for tls in (False, True):
            rates = [r["mibs"] for r in results
                     if (r["link"], r["channels"]) == key and r["tls"] == tls]
            med[tls] = statistics.median(rates)
        out[f"{key[0]} x{key[1]}"] = {
            "link": key[0], "channels": key[1], "plain_mibs": med[False],
            "tls_mibs": med[True], "ratio": med[True] / med[False]}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", default="100mbit")
    ap.add_argument("--workset", type=int, default=96,
                    help="MiB the guest's dirtier touches")
    ap.add_argument("--parallel", default="0",
                    help="comma-separated multifd channel counts to "
                    "measure (0: one plain migration stream)")
    ap.add_argument("--unshaped-only", action="store_true",
                    help="skip the shaped link")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    channel_counts = [int(c) for c in args.parallel.split(",")]

    work = tempfile.mkdtemp(prefix="cvg-tlsbench-")
    pki = os.path.join(work, "pki")
    results = []
    try:
        testbed("down", "--name", NAME)
        env = testbed("up", "--name", NAME, "--rate", args.rate, "--set",
                      f'migrate_tls_x509_cert_dir="{pki}"')
        # One set for both hosts (they share this file system): the
        # server certificate names both veth addresses.
        ca = cvgtest.make_ca(os.path.join(work, "ca"))
        cvgtest.make_migrate_pki(pki, ca, hosts=(env["SRC_ADDR"],
                                                 env["DST_ADDR"]))
        console = os.path.join(work, "console")
        xml = os.path.join(work, "guest.xml")
        with open(xml, "w") as f:
            f.write(guest_xml(GUEST, console, mem_mib=256,
                              dirty_mib=args.workset, rate=2,
                              uuid=str(uuid.uuid4())))
        virsh(env["SRC_URI"], "define", xml)
        virsh(env["SRC_URI"], "start", GUEST)
        cvgtest.wait_console(console, count=3, timeout=120)

        where = 0
        if not args.unshaped_only:
            log(f"link shaped to {args.rate}")
            for n in channel_counts:
                where = run_link(env, args.runs, args.rate, results, n,
                                 where)
        testbed("unshape", "--name", NAME)
        log("link unshaped")
        for n in channel_counts:
            where = run_link(env, args.runs, "unshaped", results, n, where)
    finally:
        for uri in ("SRC_URI", "DST_URI"):
            if "env" in locals():
                virsh(env[uri], "destroy", GUEST, check=False)
                virsh(env[uri], "undefine", GUEST, check=False)
        testbed("down", "--name", NAME)
        shutil.rmtree(work, ignore_errors=True)

    s = summary(results)
    print()
    print(f"{'link':>9}  {'channels':>8}  {'plain MiB/s':>11}  "
          f"{'TLS MiB/s':>9}  ratio")
    for v in s.values():
        print(f"{v['link']:>9}  {v['channels']:8d}  {v['plain_mibs']:11.1f}  "
              f"{v['tls_mibs']:9.1f}  {v['ratio']:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"host": platform.node(), "cpus": os.cpu_count(),
                       "runs": results, "summary": s}, f, indent=1)


if __name__ == "__main__":
    main()
