# shellcheck shell=bash
# Isolated hosts for tools/testbed.sh (sourced by it; see tools/testbed.md,
# "Isolated hosts").  Each host is a network namespace plus a mount
# namespace held by a "holder" process (sleep), in which:
#   /run      is DIR/x/run       (the daemon's sockets, sshd's /run/sshd)
#   /root     is DIR/x/root      (its own ~/.ssh)
#   /etc      is an overlay on the machine's /etc (changes stay in the
#             host), with /etc/pki = DIR/x/pki (made by tools/mkpki.sh)
#   DIR/y     (the other host's directory) is hidden under an empty tmpfs
# so the only way between the hosts is the veth link; DIR/shared (shared
# storage, same path on both) and DIR/admin (the admin's ssh key and client
# certificates) are seen by both.  Everything else (/usr, the build tree,
# /tmp) is the machine's, as if both hosts had the same software installed.
# Processes enter a host with "nsenter -t HOLDER -m -n" (SRC_EXEC/DST_EXEC).

LIBVIRT_SOCK=/run/libvirt/libvirt-sock
CVG_SOCK=/run/convergd/convergd-sock

holder_pid() {   # x -> pid of that host's holder, if alive
    local pid
    pid=$(cat "$DIR/$1/holder.pid" 2>/dev/null || true)
    pid_is "$pid" sleep && echo "$pid"
    return 0
}

host_exec() {   # x -> the command prefix that runs a command in that host
    echo "nsenter -t $(holder_pid "$1") -m -n"
}

# DIR/x/exec CMD ARGS...: runs CMD in host x (SRC_EXEC, DST_EXEC).  A
# script rather than a command line, so the env lines stay shell-safe.
write_exec() {   # x
    printf '#!/bin/sh\n# run a command inside testbed host %s\nexec %s "$@"\n' \
        "$1" "$(host_exec "$1")" >"$DIR/$1/exec"
    chmod 755 "$DIR/$1/exec"
}

# The holder: makes the mounts, then sleeps until `down` kills it.
# Arguments: DIR x other-x.
# shellcheck disable=SC2016
HOLDER_SCRIPT='set -e
d=$1/$2
mount -t tmpfs -o mode=0755 cvgtb-etc "$d/etc-overlay"
mkdir "$d/etc-overlay/upper" "$d/etc-overlay/work"
mount -t overlay cvgtb-etc -o "lowerdir=/etc,upperdir=$d/etc-overlay/upper,workdir=$d/etc-overlay/work" /etc
mkdir -p /etc/pki
mount --bind "$d/pki" /etc/pki
mount --bind "$d/run" /run
mount --bind "$d/root" /root
mount -t tmpfs -o ro,mode=0755 cvgtb-hidden "$1/$3"
echo $$ >"$d/holder.pid"
exec sleep infinity'

start_holder() {   # x ns other-x
    local x=$1 ns=$2 d=$DIR/$1
    mkdir -p "$d/run" "$d/root/.ssh" "$d/pki" "$d/etc-overlay" \
        "$d/state" "$d/images"
    chmod 755 "$d/run"
    chmod 700 "$d/root" "$d/root/.ssh"
    rm -f "$d/holder.pid"
    ip netns exec "$ns" setsid unshare --mount --propagation private \
        /bin/sh -c "$HOLDER_SCRIPT" holder "$DIR" "$x" "$3" \
        </dev/null >>"$d/holder.log" 2>&1 &
    for _ in $(seq 100); do
        if [ -n "$(holder_pid "$x")" ]; then
            write_exec "$x"
            return 0
        fi
        sleep 0.05
    done
    cat "$d/holder.log" >&2 || true
    die "the mount namespace of host $x could not be set up (log: $d/holder.log)"
}

# PKI (tools/mkpki.sh) and ssh keys: the admin's key and one root key per
# host, each authorized on both hosts; each host knows both host keys.
make_credentials() {
    local x addr ad=$DIR/admin
    mkdir -p "$ad"
    chmod 700 "$ad"
    bash "$TOP/tools/mkpki.sh" "$ad/pki" "$ADDR_A" "$ADDR_B" ||
        die "tools/mkpki.sh failed"
    command -v ssh-keygen >/dev/null || die "ssh-keygen not found: install openssh-client"
    ssh-keygen -q -t ed25519 -N '' -C "testbed-admin" -f "$ad/id_ed25519"
    : >"$ad/authorized_keys"
    : >"$ad/known_hosts"
    cat "$ad/id_ed25519.pub" >>"$ad/authorized_keys"
    for x in a b; do
        [ $x = a ] && addr=$ADDR_A || addr=$ADDR_B
        cp -r "$ad/pki/hosts/$addr/." "$DIR/$x/pki/"
        mkdir -p "$DIR/$x/sshd"
        chmod 700 "$DIR/$x/sshd"
        ssh-keygen -q -t ed25519 -N '' -C "host-$x" \
            -f "$DIR/$x/sshd/ssh_host_ed25519_key"
        ssh-keygen -q -t ed25519 -N '' -C "root@host-$x" \
            -f "$DIR/$x/root/.ssh/id_ed25519"
        cat "$DIR/$x/root/.ssh/id_ed25519.pub" >>"$ad/authorized_keys"
        echo "$addr $(cut -d' ' -f1,2 "$DIR/$x/sshd/ssh_host_ed25519_key.pub")" \
            >>"$ad/known_hosts"
    done
    for x in a b; do
        cp "$ad/authorized_keys" "$DIR/$x/root/.ssh/authorized_keys"
        cp "$ad/known_hosts" "$DIR/$x/root/.ssh/known_hosts"
        chmod 600 "$DIR/$x/root/.ssh/authorized_keys"
    done
}

start_sshd() {   # x addr
    local x=$1 addr=$2 d=$DIR/$1
    mkdir -p "$d/run/sshd"
    chmod 755 "$d/run/sshd"
    cat >"$d/sshd/sshd_config" <<EOF
# written by tools/testbed.sh: key authentication only, this host's address
Port 22
ListenAddress $addr
HostKey $d/sshd/ssh_host_ed25519_key
PidFile $d/sshd/sshd.pid
AuthorizedKeysFile /root/.ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
EOF
    $(host_exec "$x") /usr/sbin/sshd -f "$d/sshd/sshd_config" \
        -E "$d/sshd/sshd.log" </dev/null ||
        die "sshd in host $x did not start (log: $d/sshd/sshd.log)"
    for _ in $(seq 100); do
        [ ! -s "$d/sshd/sshd.pid" ] || return 0
        sleep 0.05
    done
    die "sshd in host $x wrote no pid file (log: $d/sshd/sshd.log)"
}

# Config lines for --listen (on top of the common ones): TLS with the
# host's /etc/pki, plain TCP without SASL unless --set auth_tcp says so.
listen_config() {   # addr
    [ -n "$LISTEN" ] || return 0
    echo "listen_addr = \"$1\""
    case ",$LISTEN," in *,tls,*) echo "listen_tls = 1" ;; *) echo "listen_tls = 0" ;; esac
    case ",$LISTEN," in
    *,tcp,*) echo "listen_tcp = 1"; echo 'auth_tcp = "none"' ;;
    *) echo "listen_tcp = 0" ;;
    esac
}

start_daemon_isolated() {   # x addr
    local x=$1 d=$DIR/$1 listen=
    [ -z "$LISTEN" ] || listen=--listen
    # shellcheck disable=SC2086
    $(host_exec "$x") setsid "$CONVERGD" --socket "$CVG_SOCK" \
        --state-dir "$d/state" --config "$d/convergd.conf" \
        --log-level debug $listen </dev/null >>"$d/convergd.log" 2>&1 &
    echo "$!" >"$d/convergd.pid"
}

# Kill whatever is left in the hosts' network namespaces (holders, sshd
# and its sessions, nc): the mount namespaces go with their last process.
stop_isolated() {
    local pids
    pids="$(ip netns pids "$NS_A" 2>/dev/null || true) $(ip netns pids "$NS_B" 2>/dev/null || true)"
    # shellcheck disable=SC2086
    stop_pids TERM 5 $pids
}

check_listen() {
    local w
    for w in $(echo "$LISTEN" | tr , ' '); do
        case $w in
        tls|tcp) ;;
        *) die "--listen takes tls, tcp or tls,tcp, not '$LISTEN'" ;;
        esac
    done
}

isolated_env_lines() {
    # One URI parameter: an env line must stay shell-safe ('&').  Each
    # host's ~/.ssh/known_hosts already knows both host keys.
    local ka="keyfile=$DIR/admin/id_ed25519"
    cat <<EOF
ISOLATED=1
SRC_EXEC=$DIR/a/exec
DST_EXEC=$DIR/b/exec
SRC_SOCKET=$LIBVIRT_SOCK
DST_SOCKET=$LIBVIRT_SOCK
SRC_SSH_URI=qemu+ssh://root@$ADDR_A/system?$ka
DST_SSH_URI=qemu+ssh://root@$ADDR_B/system?$ka
SRC_TLS_URI=qemu+tls://$ADDR_A/system
DST_TLS_URI=qemu+tls://$ADDR_B/system
SRC_TCP_URI=qemu+tcp://$ADDR_A/system
DST_TCP_URI=qemu+tcp://$ADDR_B/system
SHARED=$DIR/shared
SRC_IMAGES=$DIR/a/images
DST_IMAGES=$DIR/b/images
SSH_KEY=$DIR/admin/id_ed25519
CLIENT_PKI=$DIR/admin/pki/client
BAD_PKI=$DIR/admin/pki/bad
LISTEN=$LISTEN
EOF
}
