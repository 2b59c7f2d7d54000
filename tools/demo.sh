#!/bin/sh
# The convergd demo, from a fresh Debian 12 machine (as root):
# two hosts that share nothing but a 100 Mbit/s link (each its own network
# and mount namespace, certificates from its own CA-signed /etc/pki), a
# guest that dirties memory faster than the link can carry, and a live
# peer-to-peer migration over qemu+tls, with the migration stream itself
# encrypted (--tls), that only finishes because auto-converge throttles the
# guest.  Shows `virsh domjobinfo` while it runs and `--completed`
# afterwards, then tears everything down.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
NAME=cvgdemo
RATE=${CVG_DEMO_RATE:-100mbit}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing packages and building (first run takes a few minutes)"
"$top/tools/install-deps.sh"
"$top/tools/guest/build-guest.sh" "$top/build/guest" >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

say "two hosts sharing nothing but a link shaped to $RATE; convergd in each serves qemu+tls"
bash "$top/tools/testbed.sh" up --name "$NAME" --rate "$RATE" --isolated \
    --listen tls
. "/tmp/convergd-testbed-$NAME/env"
cleanup() {
    say "tearing down"
    bash "$top/tools/testbed.sh" down --name "$NAME" || true
}
trap cleanup EXIT INT TERM

# The administrator works on the source host; virsh there presents that
# host's client certificate (/etc/pki/libvirt/clientcert.pem).
SRC="$SRC_EXEC virsh -c $SRC_TLS_URI"
DST="$SRC_EXEC virsh -c $DST_TLS_URI"
# Guest files live on the storage both hosts share (think NFS).
console="$SHARED/demo-vm.console"
cat > "$DIR/demo-vm.xml" <<XML
<domain type='qemu'>
  <name>demo-vm</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$top/build/guest/vmlinuz</kernel>
    <initrd>$top/build/guest/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 dirty.mib=32 dirty.rate=40 dirty.verify=1</cmdline>
  </os>
  <devices>
    <serial type='file'>
      <source path='$console'/>
    </serial>
  </devices>
</domain>
XML

say "define and start a guest that dirties 32 MiB at 40 MiB/s (the link carries ~12 MiB/s)"
cp "$DIR/demo-vm.xml" "$SHARED/demo-vm.xml"
$SRC define "$SHARED/demo-vm.xml"
$SRC start demo-vm
i=0
until grep -q 'dirtier: t=2' "$console" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "guest did not boot"; exit 1; }
    sleep 0.2
done
$SRC list
grep 'dirtier: t=' "$console" | tail -n 1
$SRC migrate-setmaxdowntime demo-vm 500

say "virsh -c $SRC_TLS_URI migrate --live --p2p --tls --auto-converge --auto-converge-initial 20 --auto-converge-increment 10 --verbose demo-vm $DST_TLS_URI"
$SRC migrate --live --p2p --tls --auto-converge --auto-converge-initial 20 \
    --auto-converge-increment 10 --verbose demo-vm "$DST_TLS_URI" \
    > "$DIR/migrate.out" 2>&1 &
mig=$!
while kill -0 $mig 2>/dev/null; do
    sleep 4
    kill -0 $mig 2>/dev/null || break
    say "virsh domjobinfo demo-vm (while migrating)"
    $SRC domjobinfo demo-vm 2>/dev/null | grep -E 'Job type|Time elapsed|Data remaining|Memory bandwidth|Dirty rate|Iteration|Expected downtime|Auto converge throttle' || true
done
rc=0
wait $mig || rc=$?
tr '\r' '\n' < "$DIR/migrate.out" | grep -v '^$' | tail -n 3
[ $rc -eq 0 ] || { echo "migration failed (rc=$rc)"; exit $rc; }

say "after the migration"
$SRC list --all
$DST list --all
say "virsh domjobinfo --completed demo-vm (source)"
$SRC domjobinfo --completed demo-vm
say "virsh domjobinfo --completed demo-vm (destination)"
$DST domjobinfo --completed demo-vm
sleep 3
say "the guest keeps running on the destination; its own memory check:"
grep 'dirtier: t=' "$console" | tail -n 2
