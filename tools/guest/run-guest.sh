#!/bin/sh
# Manual smoke test: boot the test guest under QEMU (TCG) for a while and show
# its console, so a person can watch the "dirtier: " lines.  Not used by the
# daemon or the tests.
#
# usage: tools/guest/run-guest.sh [-t SECONDS] [-m GUEST_MIB] [-d OUTDIR] [dirty.* params...]
#   e.g. tools/guest/run-guest.sh -t 30 dirty.mib=64 dirty.rate=128 dirty.verify=1
# Defaults: 20 s, 256 MiB guest, dirty.mib=64 dirty.rate=32.
# Builds the guest first (tools/guest/build-guest.sh) when needed.
set -eu

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
OUTDIR=$REPO_ROOT/build/guest
SECS=20
MEM=256

while [ $# -gt 0 ]; do
    case $1 in
        -t) SECS=$2; shift 2 ;;
        -m) MEM=$2; shift 2 ;;
        -d) OUTDIR=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
PARAMS=${*:-dirty.mib=64 dirty.rate=32}

"$SCRIPT_DIR/build-guest.sh" "$OUTDIR"

# -machine q35,acpi=off: QEMU 10 has no -no-acpi any more.
# -nic none: no NIC, so no iPXE option ROM delaying the boot.
# panic=-1 + -no-reboot: a guest panic ends QEMU instead of looping.
# timeout exits 124 when time is up: that is the normal end here.
rc=0
timeout "$SECS" qemu-system-x86_64 \
    -machine q35,acpi=off -accel tcg -m "$MEM" -smp 1 \
    -nographic -no-reboot -nic none \
    -kernel "$OUTDIR/vmlinuz" -initrd "$OUTDIR/initrd.img" \
    -append "console=ttyS0 panic=-1 quiet $PARAMS" </dev/null || rc=$?
[ "$rc" = 124 ] && rc=0
exit "$rc"
