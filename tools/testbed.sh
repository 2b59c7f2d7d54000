#!/bin/bash
# Two-host migration testbed on one machine: two network namespaces joined
# by a veth pair (optionally rate-limited and delayed), one convergd in each.
# See tools/testbed.md.
#
#   tools/testbed.sh up     [--name NAME] [--rate RATE] [--delay DELAY] [--dir DIR]
#                           [--set KEY=VALUE]... [--isolated [--listen tls,tcp]]
#   tools/testbed.sh down   [--name NAME] [--dir DIR]
#   tools/testbed.sh status [--name NAME] [--dir DIR]
#   tools/testbed.sh shape  [--name NAME] [--rate RATE] [--delay DELAY]
#   tools/testbed.sh unshape [--name NAME]
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CVG_BUILD_DIR:-$TOP/build}
CONVERGD=${CONVERGD:-$BUILD/src/daemon/convergd}
PYTHON=${PYTHON:-/usr/bin/python3}
REGISTRY=/run/convergd-testbed      # NAME -> DIR, so down/status find --dir
MARKER=.convergd-testbed            # in DIR: only such a DIR is ever removed
PORT_MIN=49152
PORT_MAX=49215
DELAY_QUEUE=7700                    # NFQUEUE number (per namespace)

NAME=cvgtb
DIR=
RATE=
DELAY=
SETTINGS=
ISOLATED=
LISTEN=
BRIDGE=
BRIDGE_NAME=cvgbr0  # exists only inside the namespaces, like the veths

die() { echo "testbed: error: $*" >&2; exit 1; }
say() { echo "testbed: $*" >&2; }

usage() {
    cat >&2 <<EOF
usage: $0 up      [--name NAME] [--rate RATE] [--delay DELAY] [--dir DIR]
                  [--set KEY=VALUE]... [--isolated [--listen tls,tcp]]
                  [--bridge]
       $0 down    [--name NAME] [--dir DIR]
       $0 status  [--name NAME] [--dir DIR]
       $0 shape   [--name NAME] [--rate RATE] [--delay DELAY]
       $0 unshape [--name NAME]
RATE is a tc rate (100mbit, 1gbit, 500kbit); DELAY is one-way, per
direction (50ms, 0.5s, 200us; a bare number is ms).  Default NAME: cvgtb;
default DIR: /tmp/convergd-testbed-NAME.  --set adds a line to both
daemons' convergd.conf (e.g. --set migration_stall_timeout=5).
--isolated gives each host its own mount namespace (private /run, /root,
/etc/pki), a PKI and an sshd; --listen also starts the daemons' TLS
and/or TCP listeners on the host addresses (tools/testbed.md).
--bridge puts a bridge $BRIDGE_NAME in each host with the link's veth in it
and the host address on the bridge: guests on $BRIDGE_NAME in both hosts
share one L2 segment with the hosts (env line BRIDGE=$BRIDGE_NAME).  The
bridges also carry GUEST_NET (x.1 host a, x.2 host b; guests take the rest).
EOF
    exit 2
}

# --- arguments -------------------------------------------------------------

[ $# -ge 1 ] || usage
CMD=$1
shift
while [ $# -gt 0 ]; do
    case $1 in
    --isolated) ISOLATED=1; shift; continue ;;
    --bridge) BRIDGE=1; shift; continue ;;
    --name|--rate|--delay|--dir|--set|--listen)
        [ $# -ge 2 ] || die "$1 needs a value"
        case $1 in
        --set)
            case $2 in
            [a-z]*=*) SETTINGS="$SETTINGS${2%%=*} = ${2#*=}
" ;;
            *) die "--set takes KEY=VALUE, not '$2'" ;;
            esac ;;
        --name) NAME=$2 ;;
        --rate) RATE=$2 ;;
        --delay) DELAY=$2 ;;
        --dir) DIR=$2 ;;
        --listen) LISTEN=$2 ;;
        esac
        shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (try --help)" ;;
    esac
done
case $CMD in
up|down|status|shape|unshape) ;;
-h|--help|help) usage ;;
*) die "unknown command '$CMD' (up, down, status, shape or unshape)" ;;
esac

case $NAME in
*[!A-Za-z0-9_.-]*|""|[.-]*) die "bad --name '$NAME': use letters, digits, _ . -" ;;
esac
[ ${#NAME} -le 24 ] || die "--name '$NAME' is longer than 24 characters"
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, tc)"
command -v ip >/dev/null || die "'ip' not found: install iproute2"

[ -z "$LISTEN" ] || [ -n "$ISOLATED" ] || die "--listen needs --isolated"
[ -z "$ISOLATED" ] || [ "$CMD" = up ] || die "--isolated is an option of up"
[ -z "$BRIDGE" ] || [ "$CMD" = up ] || die "--bridge is an option of up"

# shellcheck source=tools/testbed-isolated.sh
. "$TOP/tools/testbed-isolated.sh"
check_listen

NS_A=$NAME-a
NS_B=$NAME-b
IF_A=veth-a        # these names exist only inside the namespaces
IF_B=veth-b

# A /30 in 169.254.77.0/24 per testbed: the default name gets .1/.2, any
# other name a block chosen by checksum.  The addresses only exist inside
# the testbed's own namespaces (which have no other interface and no
# routes), so even two testbeds that hash alike do not interfere.
if [ "$NAME" = cvgtb ]; then
    BLOCK=0
else
    BLOCK=$(( $(printf %s "$NAME" | cksum | cut -d' ' -f1) % 63 + 1 ))
fi
ADDR_A=169.254.77.$((BLOCK * 4 + 1))
ADDR_B=169.254.77.$((BLOCK * 4 + 2))
# With --bridge, a /24 for guests on the bridges (inside the namespaces
# too): the hosts are .1 and .2, guests may use .10 to .250.
GUEST_NET=169.254.$((BLOCK + 100))

# Absolute, no trailing slash, shell- and socket-safe.
norm_dir() {
    local d=$1
    case $d in
    /*) ;;
    *) d=$(pwd)/$d ;;
    esac
    while [ "${d%/}" != "$d" ]; do d=${d%/}; done
    [ -n "$d" ] || die "--dir must not be /"
    case $d in
    *[!A-Za-z0-9_./+-]*) die "--dir '$d': use only letters, digits and _ . / + -" ;;
    esac
    [ ${#d} -le 90 ] || die "--dir '$d' is too long for a UNIX socket path"
    echo "$d"
}

# DIR: --dir, else where `up` recorded it, else the default.  (`up` itself
# tears down the recorded one and then uses --dir or the default.)
REQ_DIR=$DIR
[ -z "$REQ_DIR" ] || REQ_DIR=$(norm_dir "$REQ_DIR")
if [ -z "$DIR" ] && [ -f "$REGISTRY/$NAME" ]; then
    DIR=$(cat "$REGISTRY/$NAME")
fi
[ -n "$DIR" ] || DIR=/tmp/convergd-testbed-$NAME
DIR=$(norm_dir "$DIR")
[ -n "$REQ_DIR" ] || REQ_DIR=/tmp/convergd-testbed-$NAME

# --- validation of shaping arguments ----------------------------------------

# DELAY -> milliseconds (may be fractional) for the delay helper.
delay_ms() {
    local v=$1 num unit
    num=${v%%[a-z]*}
    unit=${v#"$num"}
    case $num in
    ""|*[!0-9.]*|*.*.*|.) return 1 ;;
    esac
    case $unit in
    ""|ms) echo "$num" ;;
    s|sec) awk "BEGIN { print $num * 1000 }" ;;
    us|usec) awk "BEGIN { print $num / 1000 }" ;;
    *) return 1 ;;
    esac
}

check_rate() {
    case $1 in
    ""|*[!0-9.A-Za-z]*|[!0-9]*) die "bad --rate '$1' (e.g. 100mbit, 1gbit)" ;;
    esac
}

check_delay() {
    local ms
    ms=$(delay_ms "$1") || die "bad --delay '$1' (e.g. 50ms, 0.2s)"
    awk "BEGIN { exit !($ms > 0 && $ms <= 10000) }" ||
        die "--delay '$1' must be above 0 and at most 10 s"
}

# --- process helpers ---------------------------------------------------------

# Is PID alive and its command line mentions PATTERN?
pid_is() {
    local pid=$1 pat=$2
    case $pid in ""|*[!0-9]*) return 1 ;; esac
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pat"
}

ns_exists() { [ -e "/run/netns/$1" ]; }

# Pids of processes in namespace $1 whose comm starts with $2.
ns_pids_named() {
    local ns=$1 name=$2 pid comm
    ns_exists "$ns" || return 0
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
        case $comm in "$name"*) echo "$pid" ;; esac
    done
}

# QEMU pids that belong to the testbed: status files and namespace members.
qemu_pids() {
    local x f pid
    for x in a b; do
        for f in "$DIR/$x/state/run/"*.status; do
            [ -f "$f" ] || continue
            pid=$(sed -n 's/^pid=\([0-9][0-9]*\)$/\1/p' "$f" | head -1)
            pid_is "$pid" qemu && echo "$pid"
        done
    done
    ns_pids_named "$NS_A" qemu-system
    ns_pids_named "$NS_B" qemu-system
}

# Send SIG to PIDS, wait up to SECS for them to go, then SIGKILL.
stop_pids() {
    local sig=$1 secs=$2 pid left
    shift 2
    [ $# -gt 0 ] || return 0
    kill "-$sig" "$@" 2>/dev/null || true
    for _ in $(seq $((secs * 10))); do
        left=
        for pid in "$@"; do
            [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] && left="$left $pid"
        done
        [ -n "$left" ] || return 0
        sleep 0.1
    done
    say "pids$left did not stop after SIG$sig; killing them"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.2
}

daemon_pid() {   # x -> pid of that side's convergd, if running
    local x=$1 ns pid
    pid=$(cat "$DIR/$x/convergd.pid" 2>/dev/null || true)
    if pid_is "$pid" convergd; then echo "$pid"; return 0; fi
    [ "$x" = a ] && ns=$NS_A || ns=$NS_B
    ns_pids_named "$ns" convergd | head -1
}

delay_pid() {
    local pid
    pid=$(cat "$DIR/$1/delay.pid" 2>/dev/null || true)
    pid_is "$pid" delay.py && echo "$pid"
    return 0
}

# --- delay helper (there is no sch_netem in this kernel) ----------------------

write_delay_helper() {
    cat >"$DIR/delay.py" <<'PY'
"""Testbed link delay without sch_netem (written by tools/testbed.sh).

Run inside a namespace:  python3 delay.py IFNAME DELAY_MS QUEUE_NUM
                         python3 delay.py --remove
Installs, over raw netlink (no nft binary needed), the equivalent of
  table ip cvgtb_delay { chain in { type filter hook prerouting priority 0;
      meta iif IFNAME counter xt target NFQUEUE --queue-num N --queue-bypass } }
(the xtables target via nft_compat: this kernel has no nft 'queue') and
holds every packet arriving on IFNAME for DELAY_MS before accepting it, in
arrival order, with batch verdicts.  Delaying on ingress rather than egress
keeps TCP small queues from throttling the sender.  On SIGTERM it removes
the table and releases what it holds; if it dies anyway, the bypass flag
lets packets through undelayed.
"""
import collections
import errno
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_APPEND = 1, 4, 0x400, 0x800
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000
NFNL_SUBSYS_QUEUE, NFNL_SUBSYS_NFTABLES = 3, 10
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 0x10, 0x11
NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE = 0, 2, 3, 6
NFQNL_MSG_PACKET, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = 0, 2, 3
NFPROTO_IPV4 = 2
TABLE, CHAIN = b"cvgtb_delay", b"in"
SOL_NETLINK, NETLINK_NO_ENOBUFS, SO_RCVBUFFORCE = 270, 5, 33


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * ((-n) % 4)


def nest(t, *parts):
    return attr(t | NLA_F_NESTED, b"".join(parts))


def sz(s):
    return s + b"\0"


def be32(v):
    return struct.pack("!I", v)


def msg(mtype, flags, seq, family, res_id, payload=b""):
    body = struct.pack("=BBH", family, 0, socket.htons(res_id)) + payload
    return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body


def expr(name, *data):
    return nest(1, attr(1, sz(name)), nest(2, *data))  # LIST_ELEM{NAME,DATA}


def acks(sock, count, what, ignore=()):
    while count:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            ln, mtype = struct.unpack_from("=IH", data, off)
            if mtype == NLMSG_ERROR:
                count -= 1
                err = -struct.unpack_from("=i", data, off + 16)[0]
                if err and err not in ignore:
                    raise OSError(err, f"{what}: {os.strerror(err)}")
            off += max(16, (ln + 3) & ~3)


def nft_batch(sock, msgs, ignore=()):
    seq = int(time.time()) & 0xffff
    out = [msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, 0,
               NFNL_SUBSYS_NFTABLES)]
    for i, (mtype, flags, payload) in enumerate(msgs):
        out.append(msg((NFNL_SUBSYS_NFTABLES << 8) | mtype,
                       NLM_F_REQUEST | NLM_F_ACK | flags, seq + 1 + i,
                       NFPROTO_IPV4, 0, payload))
    out.append(msg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq + 1 + len(msgs),
                   0, NFNL_SUBSYS_NFTABLES))
    sock.send(b"".join(out))
    acks(sock, len(msgs), "nf_tables", ignore)


def nft_remove(sock):
    nft_batch(sock, [(NFT_MSG_DELTABLE, 0, attr(1, sz(TABLE)))],
              ignore=(errno.ENOENT,))


def nft_install(sock, ifindex, qnum):
    nft_remove(sock)
    rule = nest(4,                                        # EXPRESSIONS
                expr(b"meta", attr(1, be32(1)),           # DREG = reg 1
                     attr(2, be32(4))),                   # KEY = IIF
                expr(b"cmp", attr(1, be32(1)),            # SREG = reg 1
                     attr(2, be32(0)),                    # OP = EQ
                     nest(3, attr(1, struct.pack("=I", ifindex)))),
                expr(b"target", attr(1, sz(b"NFQUEUE")),  # xt_NFQ_info_v3:
                     attr(2, be32(3)),                    # num, total, flags
                     attr(3, struct.pack("=HHHxx", qnum, 1, 1))))  # BYPASS
    nft_batch(sock, [
        (NFT_MSG_NEWTABLE, NLM_F_CREATE, attr(1, sz(TABLE))),
        (NFT_MSG_NEWCHAIN, NLM_F_CREATE,
         attr(1, sz(TABLE)) + attr(3, sz(CHAIN)) +
         nest(4, attr(1, be32(0)), attr(2, be32(0))) +   # PREROUTING, prio 0
         attr(5, be32(1)) + attr(7, sz(b"filter"))),     # policy accept
        (NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
         attr(1, sz(TABLE)) + attr(2, sz(CHAIN)) + rule),
    ])


def queue_config(sock, qnum, payload):
    sock.send(msg((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG,
                  NLM_F_REQUEST | NLM_F_ACK, 1, 0, qnum, payload))
    acks(sock, 1, f"nfqueue {qnum}")


def main():
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    if sys.argv[1:] == ["--remove"]:
        nft_remove(nl)
        return 0
    ifname, delay, qnum = sys.argv[1], float(sys.argv[2]) / 1000, int(sys.argv[3])
    ifindex = socket.if_nametoindex(ifname)

    q = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    q.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    q.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    q.bind((0, 0))
    # Bind the queue; copy metadata only; long queue; GSO + fail-open.
    queue_config(q, qnum, attr(1, struct.pack("!BBH", 1, 0, 0)))
    queue_config(q, qnum, attr(2, struct.pack("!IBxxx", 0, 1)) +
                 attr(3, be32(65536)) + attr(4, be32(5)) + attr(5, be32(5)))
    nft_install(nl, ifindex, qnum)

    held = collections.deque()          # (release time, packet id)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    print(f"delay: {ifname} {delay * 1000:g} ms queue {qnum} ready",
          flush=True)

    def release(upto):                  # NF_ACCEPT every id <= upto
        q.send(msg((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH,
                   NLM_F_REQUEST, 0, 0, qnum,
                   attr(2, struct.pack("!II", 1, upto))))

    while not stop:
        now = time.monotonic()
        last = None
        while held and held[0][0] <= now:
            last = held.popleft()[1]
        if last is not None:
            release(last)
        timeout = max(0.0, held[0][0] - now) if held else 1.0
        try:
            ready, _, _ = select.select([q], [], [], timeout)
        except InterruptedError:
            continue
        while ready:
            try:
                data = q.recv(1 << 20, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            t = time.monotonic() + delay
            off = 0
            while off + 16 <= len(data):
                ln, mtype = struct.unpack_from("=IH", data, off)
                if ln < 16:
                    break
                if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    a = off + 20
                    while a + 4 <= off + ln:
                        alen, atype = struct.unpack_from("=HH", data, a)
                        if alen < 4:
                            break
                        if atype & 0x7fff == 1:             # PACKET_HDR
                            held.append((t, struct.unpack_from(
                                "!I", data, a + 4)[0]))
                            break
                        a += (alen + 3) & ~3
                off += (ln + 3) & ~3
    nft_remove(nl)                      # stop queueing, then let all go
    if held:
        release(held[-1][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
PY
}

start_delay() {   # x ns ifname ms
    local x=$1 ns=$2 ifn=$3 ms=$4 pid
    [ -x "$PYTHON" ] || die "$PYTHON not found (needed for --delay)"
    write_delay_helper
    : >"$DIR/$x/delay.log"
    ip netns exec "$ns" setsid "$PYTHON" "$DIR/delay.py" "$ifn" "$ms" \
        "$DELAY_QUEUE" </dev/null >>"$DIR/$x/delay.log" 2>&1 &
    pid=$!
    echo "$pid" >"$DIR/$x/delay.pid"
    for _ in $(seq 100); do
        grep -q ready "$DIR/$x/delay.log" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$DIR/$x/delay.log" >&2
            die "delay helper in $ns failed (log: $DIR/$x/delay.log)"
        fi
        sleep 0.05
    done
    die "delay helper in $ns did not become ready (log: $DIR/$x/delay.log)"
}

stop_delay() {
    local x pids=
    for x in a b; do
        pids="$pids $(delay_pid $x)"
        rm -f "$DIR/$x/delay.pid"
    done
    # shellcheck disable=SC2086
    stop_pids TERM 5 $pids
    # A helper that was killed leaves its (bypass) rule: remove it.
    if [ -f "$DIR/delay.py" ] && [ -x "$PYTHON" ]; then
        for x in "$NS_A" "$NS_B"; do
            if ns_exists "$x"; then
                ip netns exec "$x" "$PYTHON" "$DIR/delay.py" --remove \
                    2>/dev/null || true
            fi
        done
    fi
}

# --- shaping -----------------------------------------------------------------

# Make the link's shaping exactly RATE/DELAY (either may be empty = none).
apply_shape() {
    local rate=$1 delay=$2 ms=
    command -v tc >/dev/null || die "'tc' not found: install iproute2"
    [ -z "$rate" ] || check_rate "$rate"
    [ -z "$delay" ] || { check_delay "$delay"; ms=$(delay_ms "$delay"); }
    stop_delay
    if [ -n "$rate" ]; then
        tc -n "$NS_A" qdisc replace dev "$IF_A" root tbf rate "$rate" \
            burst 64kb latency 50ms ||
            die "tc could not set rate '$rate' on $NS_A/$IF_A"
        tc -n "$NS_B" qdisc replace dev "$IF_B" root tbf rate "$rate" \
            burst 64kb latency 50ms ||
            die "tc could not set rate '$rate' on $NS_B/$IF_B"
    else
        tc -n "$NS_A" qdisc del dev "$IF_A" root 2>/dev/null || true
        tc -n "$NS_B" qdisc del dev "$IF_B" root 2>/dev/null || true
    fi
    if [ -n "$ms" ]; then
        # The delay holds IP packets to the host, which arrive on the
        # bridge when the veth is in one.
        start_delay a "$NS_A" "$(addr_dev "$IF_A")" "$ms"
        start_delay b "$NS_B" "$(addr_dev "$IF_B")" "$ms"
    fi
    printf 'RATE=%s\nDELAY=%s\n' "$rate" "$delay" >"$DIR/shape"
}

# --- bridge ------------------------------------------------------------------

is_bridged() { [ -f "$DIR/bridge" ]; }

addr_dev() {   # veth -> the device holding the host address
    if is_bridged; then echo "$BRIDGE_NAME"; else echo "$1"; fi
}

# The host's link in a bridge: frames of guests on $BRIDGE_NAME reach the
# other host's bridge (and its guests) through the veth.
make_bridge() {   # ns veth addr guest-net-addr
    local ns=$1 ifn=$2 addr=$3
    ip -n "$ns" link add "$BRIDGE_NAME" type bridge stp_state 0 forward_delay 0
    ip -n "$ns" addr del "$addr/30" dev "$ifn"
    ip -n "$ns" link set "$ifn" master "$BRIDGE_NAME"
    ip -n "$ns" addr add "$addr/30" dev "$BRIDGE_NAME"
    ip -n "$ns" addr add "$4/24" dev "$BRIDGE_NAME"
    ip -n "$ns" link set "$BRIDGE_NAME" up
}

# --- down ----------------------------------------------------------------------

do_down() {
    local pids x
    # Guests first (the daemons leave them running on exit), then the
    # daemons, then guests once more (one may have started meanwhile).
    # shellcheck disable=SC2046
    stop_pids KILL 5 $(qemu_pids | sort -u)
    pids="$(daemon_pid a) $(daemon_pid b)"
    pids="$pids $(ns_pids_named "$NS_A" convergd) $(ns_pids_named "$NS_B" convergd)"
    # shellcheck disable=SC2046,SC2086
    stop_pids TERM 10 $(printf '%s\n' $pids | sort -u)
    # shellcheck disable=SC2046
    stop_pids KILL 5 $(qemu_pids | sort -u)
    [ ! -f "$DIR/isolated" ] || stop_isolated
    for x in a b; do
        pids=$(delay_pid $x)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || stop_pids KILL 2 $pids
    done
    for x in "$NS_A" "$NS_B"; do
        if ns_exists "$x"; then
            ip netns del "$x" 2>/dev/null || ip netns del "$x" ||
                say "could not delete namespace $x"
        fi
    done
    if [ -d "$DIR" ]; then
        if [ -f "$DIR/$MARKER" ]; then
            rm -rf "$DIR"
        else
            say "not removing $DIR: it has no $MARKER file (not a testbed dir)"
        fi
    fi
    rm -f "$REGISTRY/$NAME"
}

# --- up --------------------------------------------------------------------------

is_isolated() { [ -f "$DIR/isolated" ]; }

sock_path() {   # x -> the daemon's socket, as the machine sees it
    if is_isolated; then echo "$DIR/$1/run${CVG_SOCK#/run}"; else echo "$DIR/$1/sock"; fi
}

env_lines() {
    cat <<EOF
SRC_URI=qemu+unix:///system?socket=$(sock_path a)
DST_URI=qemu+unix:///system?socket=$(sock_path b)
SRC_NS=$NS_A
DST_NS=$NS_B
SRC_ADDR=$ADDR_A
DST_ADDR=$ADDR_B
DIR=$DIR
EOF
    ! is_bridged || printf 'BRIDGE=%s\nGUEST_NET=%s.0/24\n' "$BRIDGE_NAME" "$GUEST_NET"
    ! is_isolated || isolated_env_lines
}

start_daemon() {   # x ns addr
    local x=$1 ns=$2 addr=$3 d=$DIR/$1
    mkdir -p "$d/state"
    cat >"$d/convergd.conf" <<EOF
# written by tools/testbed.sh for testbed $NAME ($ns)
migration_address = "$addr"
migration_host = "$addr"
migration_port_min = $PORT_MIN
migration_port_max = $PORT_MAX
$(is_isolated && echo "listen_libvirt_socket = 1" && listen_config "$addr")
$SETTINGS
EOF
    if is_isolated; then
        start_daemon_isolated "$x" "$addr"
        return 0
    fi
    rm -f "$d/sock"
    ip netns exec "$ns" setsid "$CONVERGD" --socket "$d/sock" \
        --state-dir "$d/state" --config "$d/convergd.conf" \
        --log-level debug </dev/null >>"$d/convergd.log" 2>&1 &
    echo "$!" >"$d/convergd.pid"
}

wait_daemon() {   # x
    local x=$1 d=$DIR/$1 pid sock
    pid=$(cat "$d/convergd.pid")
    sock=$(sock_path "$x")
    for _ in $(seq 150); do
        [ -S "$sock" ] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$d/convergd.log" >&2 || true
            die "convergd ($x) exited during start-up (log: $d/convergd.log)"
        fi
        sleep 0.1
    done
    die "convergd ($x) did not create $sock within 15 s (log: $d/convergd.log)"
}

up_failed() {
    local rc=$?
    trap - EXIT
    if [ $rc != 0 ]; then
        say "up failed; cleaning up"
        do_down
    fi
    exit $rc
}

do_up() {
    [ -x "$CONVERGD" ] ||
        die "$CONVERGD not found: build it first with 'ninja -C build'"
    [ -z "$RATE" ] || check_rate "$RATE"
    [ -z "$DELAY" ] || check_delay "$DELAY"
    [ -z "$RATE" ] || command -v tc >/dev/null || die "'tc' not found: install iproute2"

    # Tear down what exists under this name (at its recorded DIR), and
    # any testbed left in the DIR asked for.
    if ns_exists "$NS_A" || ns_exists "$NS_B" || [ -f "$REGISTRY/$NAME" ] ||
       [ -f "$DIR/$MARKER" ]; then
        say "tearing down the existing testbed '$NAME' first"
        do_down
    fi
    DIR=$REQ_DIR
    [ ! -f "$DIR/$MARKER" ] || do_down
    if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
        die "$DIR exists and is not a testbed directory; pick another --dir"
    fi
    mkdir -p "$DIR/a" "$DIR/b" "$REGISTRY"
    : >"$DIR/$MARKER"
    [ -z "$ISOLATED" ] || echo "$LISTEN" >"$DIR/isolated"
    [ -z "$BRIDGE" ] || echo "$BRIDGE_NAME" >"$DIR/bridge"
    echo "$DIR" >"$REGISTRY/$NAME"

    # From here on, a failure takes everything down again.
    trap up_failed EXIT

    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B"
    ip -n "$NS_A" link set lo up
    ip -n "$NS_B" link set lo up
    ip -n "$NS_A" addr add "$ADDR_A/30" dev "$IF_A"
    ip -n "$NS_B" addr add "$ADDR_B/30" dev "$IF_B"
    ip -n "$NS_A" link set "$IF_A" up
    ip -n "$NS_B" link set "$IF_B" up
    for _ in $(seq 50); do
        ip -n "$NS_A" link show "$IF_A" | grep -q 'state UP' &&
            ip -n "$NS_B" link show "$IF_B" | grep -q 'state UP' && break
        sleep 0.1
    done
    if is_bridged; then
        make_bridge "$NS_A" "$IF_A" "$ADDR_A" "$GUEST_NET.1"
        make_bridge "$NS_B" "$IF_B" "$ADDR_B" "$GUEST_NET.2"
    fi

    apply_shape "$RATE" "$DELAY"

    if is_isolated; then
        mkdir -p "$DIR/shared"
        start_holder a "$NS_A" b
        start_holder b "$NS_B" a
        make_credentials
        start_sshd a "$ADDR_A"
        start_sshd b "$ADDR_B"
    fi
    start_daemon a "$NS_A" "$ADDR_A"
    start_daemon b "$NS_B" "$ADDR_B"
    wait_daemon a
    wait_daemon b

    env_lines >"$DIR/env"
    trap - EXIT
    env_lines
}

# --- status --------------------------------------------------------------------

do_status() {
    local ok=1 x ns ifn pid
    echo "testbed $NAME: dir $DIR"
    for x in a b; do
        if [ $x = a ]; then ns=$NS_A; ifn=$IF_A; else ns=$NS_B; ifn=$IF_B; fi
        if ns_exists "$ns"; then
            echo "$x: namespace $ns: $(ip -n "$ns" -br addr show dev "$(addr_dev "$ifn")" 2>/dev/null || echo "no $ifn")"
            echo "$x: qdisc: $(tc -n "$ns" qdisc show dev "$ifn" 2>/dev/null | head -1)"
        else
            echo "$x: namespace $ns: missing"
            ok=0
        fi
        pid=$(daemon_pid $x)
        if [ -n "$pid" ]; then
            echo "$x: convergd: pid $pid, socket $(sock_path $x)"
        else
            echo "$x: convergd: not running"
            ok=0
        fi
        pid=$(delay_pid $x)
        [ -z "$pid" ] || echo "$x: delay helper: pid $pid"
        if is_isolated; then
            pid=$(holder_pid $x)
            if [ -n "$pid" ]; then
                echo "$x: mount namespace: holder pid $pid, sshd pid $(cat "$DIR/$x/sshd/sshd.pid" 2>/dev/null)"
            else
                echo "$x: mount namespace: missing"
                ok=0
            fi
        fi
    done
    echo "qemu: $(qemu_pids | sort -u | tr '\n' ' ')"
    [ ! -f "$DIR/shape" ] || sed 's/^/shape: /' "$DIR/shape"
    [ ! -f "$DIR/env" ] || cat "$DIR/env"
    if [ $ok = 1 ]; then
        echo "state=up"
    else
        echo "state=down"
        return 1
    fi
}

# --- main ----------------------------------------------------------------------

case $CMD in
up)
    do_up ;;
down)
    do_down
    say "testbed '$NAME' is down" ;;
status)
    do_status ;;
shape|unshape)
    if ! ns_exists "$NS_A" || ! ns_exists "$NS_B" || [ ! -f "$DIR/$MARKER" ]; then
        die "testbed '$NAME' is not up (no namespaces or no $DIR)"
    fi
    if [ "$CMD" = unshape ]; then
        [ -z "$RATE$DELAY" ] || die "unshape takes no --rate or --delay"
        apply_shape "" ""
    else
        [ -n "$RATE$DELAY" ] || die "shape needs --rate and/or --delay"
        apply_shape "$RATE" "$DELAY"
    fi
    say "link shaping: rate ${RATE:-unlimited}, delay ${DELAY:-none}" ;;
esac
