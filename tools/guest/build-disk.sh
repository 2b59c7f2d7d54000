#!/bin/bash
# Build the disk test guest: OUTDIR/disk.qcow2 and OUTDIR/initrd-disk.img.
#
# usage: tools/guest/build-disk.sh [OUTDIR]     (default: <repo>/build/guest)
#
# GUEST_DIR (default: OUTDIR) must hold what tools/guest/build-guest.sh
# makes (vmlinuz, kernel-version.txt, dirtier); it is run first when they
# are missing.  The disk guest boots that vmlinuz.
#
# disk.qcow2: a whole disk, built without root privileges or loop devices:
# an MBR (syslinux's) with two partitions, 1 a FAT boot partition with
# syslinux, the kernel and initrd-disk.img, so SeaBIOS boots it
# (<os><boot dev='hd'/>), and 2 a 64 MiB ext4 root (mkfs.ext4 -d) holding
# /sbin/init = diskwriter (checksummed records on the disk), the guest tools
# (/sbin/dirtier) and busybox when the busybox-static package can be
# fetched.  initrd-disk.img: /init = diskinit, which loads the virtio
# modules of the same kernel build, mounts root= and makes it the root.  It
# also boots directly: the kernel, this initrd and "console=ttyS0
# root=/dev/vda2" on a virtio disk.
#
# Cached by content: OUTDIR/disk.hash records a hash of every input (this
# script, the two C sources, the dirtier, the kernel version); a run with
# the same inputs does nothing.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
OUTDIR=${1:-$REPO_ROOT/build/guest}
CC=${CC:-gcc}
ROOT_MIB=64
BOOT_MIB=32
# Load order; diskinit retries, so dependencies settle in a few rounds.
MODULES="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci virtio_blk failover net_failover virtio_net"

log() { echo "build-disk: $*" >&2; }
die() { echo "build-disk: error: $*" >&2; exit 1; }

TMP=""
cleanup() { [ -n "$TMP" ] && rm -rf "$TMP"; return 0; }
trap cleanup EXIT INT TERM

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
GUEST_DIR=${GUEST_DIR:-$OUTDIR}
if [ ! -s "$GUEST_DIR/vmlinuz" ] || [ ! -s "$GUEST_DIR/kernel-version.txt" ] ||
   [ ! -x "$GUEST_DIR/dirtier" ]; then
    "$SCRIPT_DIR/build-guest.sh" "$GUEST_DIR"
fi
for tool in mkfs.ext4 qemu-img cpio dpkg-deb apt-get sha256sum mkfs.vfat \
        mcopy syslinux python3; do
    command -v "$tool" >/dev/null || die "$tool not found (tools/install-deps.sh)"
done

hash=$(cat "$0" "$SCRIPT_DIR/diskinit.c" "$SCRIPT_DIR/diskwriter.c" \
           "$GUEST_DIR/dirtier" "$GUEST_DIR/kernel-version.txt" \
           "$GUEST_DIR/vmlinuz" | sha256sum | cut -c1-64)
if [ -s "$OUTDIR/disk.qcow2" ] && [ -s "$OUTDIR/initrd-disk.img" ] &&
   [ "$(cat "$OUTDIR/disk.hash" 2>/dev/null)" = "$hash" ]; then
    log "up to date: $OUTDIR/disk.qcow2 $OUTDIR/initrd-disk.img"
    exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/build-disk.XXXXXX")
# apt's unprivileged _apt user writes the downloads.
chmod 0755 "$TMP"
mkdir -p "$TMP/deb" && chmod 0777 "$TMP/deb"

# ---------------------------------------------------------------- modules
# From the very package build-guest.sh took the kernel from.
read -r kpkg kver < "$GUEST_DIR/kernel-version.txt"
moddir=$OUTDIR/disk-modules
have=1
for m in $MODULES; do [ -s "$moddir/$m.ko" ] || have=0; done
if [ "$have" = 0 ]; then
    log "downloading $kpkg=$kver for its virtio modules"
    (cd "$TMP/deb" && apt-get download -q "$kpkg=$kver" >&2) ||
        die "apt-get download $kpkg=$kver failed (apt-get update?)"
    mkdir -p "$TMP/k" "$moddir"
    dpkg-deb -x "$TMP"/deb/"$kpkg"_*.deb "$TMP/k"
    for m in $MODULES; do
        ko=$(find "$TMP/k/lib/modules" -name "$m.ko" | head -n 1)
        [ -n "$ko" ] || die "no $m.ko in $kpkg"
        cp "$ko" "$moddir/$m.ko"
    done
    rm -rf "$TMP/k" "$TMP"/deb/*.deb
fi

# ---------------------------------------------------------------- programs
log "compiling diskinit and diskwriter"
"$CC" -static -O2 -Wall -Wextra -o "$TMP/diskinit" "$SCRIPT_DIR/diskinit.c"
"$CC" -static -O2 -Wall -Wextra -o "$TMP/diskwriter" "$SCRIPT_DIR/diskwriter.c"

# ---------------------------------------------------------------- root fs
root=$TMP/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,var/lib/diskwriter}
cp "$TMP/diskwriter" "$root/sbin/init"
cp "$GUEST_DIR/dirtier" "$root/sbin/dirtier"
# busybox gives a shell for a console; the guest runs without it.
if (cd "$TMP/deb" && apt-get download -q busybox-static >&2 2>/dev/null); then
    mkdir -p "$TMP/bb"
    dpkg-deb -x "$TMP"/deb/busybox-static_*.deb "$TMP/bb"
    cp "$TMP/bb/bin/busybox" "$root/bin/busybox"
    for applet in sh ls cat mount umount ps dmesg sync; do
        ln -s busybox "$root/bin/$applet"
    done
else
    log "busybox-static not available; the root has no shell"
fi
echo "convergd disk test guest ($kpkg $kver)" > "$root/etc/issue"
chmod 1777 "$root/tmp"

log "making the ext4 root ($ROOT_MIB MiB)"
truncate -s "${ROOT_MIB}M" "$TMP/root.raw"
mkfs.ext4 -q -F -L cvgroot -E root_owner=0:0 -d "$root" "$TMP/root.raw"

# ---------------------------------------------------------------- initrd
ird=$TMP/initrd
mkdir -p "$ird"/{dev,proc,sys,root,modules}
cp "$TMP/diskinit" "$ird/init"
chmod 0755 "$ird/init"
for m in $MODULES; do cp "$moddir/$m.ko" "$ird/modules/"; done
echo $MODULES > "$ird/modules/order"
(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc -R 0:0 --quiet) > "$OUTDIR/initrd-disk.img.tmp.$$"
mv "$OUTDIR/initrd-disk.img.tmp.$$" "$OUTDIR/initrd-disk.img"

# ---------------------------------------------------------------- boot
# The FAT partition SeaBIOS reaches through syslinux's MBR and boot sector.
log "making the boot partition ($BOOT_MIB MiB) with syslinux"
cat > "$TMP/syslinux.cfg" <<'CFG'
SERIAL 0 115200
DEFAULT disk
PROMPT 0
TIMEOUT 0
LABEL disk
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0 quiet panic=-1 root=/dev/vda2 disk.rate=50
CFG
mkfs.vfat -n CVGBOOT -C "$TMP/boot.raw" $((BOOT_MIB * 1024)) >/dev/null
mcopy -i "$TMP/boot.raw" "$GUEST_DIR/vmlinuz" ::vmlinuz
mcopy -i "$TMP/boot.raw" "$OUTDIR/initrd-disk.img" ::initrd.img
mcopy -i "$TMP/boot.raw" "$TMP/syslinux.cfg" ::syslinux.cfg
syslinux --install "$TMP/boot.raw"

# The disk: MBR, partition 1 (boot) at 1 MiB, partition 2 (root) after it.
boot_lba=2048
root_lba=$((boot_lba + BOOT_MIB * 2048))
total=$((root_lba + ROOT_MIB * 2048))
truncate -s $((total * 512)) "$TMP/disk.raw"
dd if="$TMP/boot.raw" of="$TMP/disk.raw" bs=512 seek=$boot_lba conv=notrunc status=none
dd if="$TMP/root.raw" of="$TMP/disk.raw" bs=512 seek=$root_lba conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$TMP/disk.raw" bs=440 count=1 conv=notrunc status=none
python3 - "$TMP/disk.raw" $boot_lba $((BOOT_MIB * 2048)) $root_lba $((ROOT_MIB * 2048)) <<'PY'
import struct, sys
path, b0, bn, r0, rn = sys.argv[1], *map(int, sys.argv[2:])
# Two primary entries, LBA only (CHS fields at their maximum).
def entry(boot, ptype, start, count):
    return struct.pack("<B3sB3sII", boot, b"\xfe\xff\xff", ptype,
                       b"\xfe\xff\xff", start, count)
table = entry(0x80, 0x06, b0, bn) + entry(0, 0x83, r0, rn) + bytes(32)
with open(path, "r+b") as f:
    f.seek(446)
    f.write(table + b"\x55\xaa")
PY
qemu-img convert -q -f raw -O qcow2 "$TMP/disk.raw" "$OUTDIR/disk.qcow2.tmp.$$"
mv "$OUTDIR/disk.qcow2.tmp.$$" "$OUTDIR/disk.qcow2"

echo "$hash" > "$OUTDIR/disk.hash"
log "ready: $OUTDIR/disk.qcow2 $OUTDIR/initrd-disk.img"
