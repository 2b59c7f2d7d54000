#!/bin/bash
# Build the convergd test guest: OUTDIR/vmlinuz and OUTDIR/initrd.img.
#
# usage: tools/guest/build-guest.sh [OUTDIR]     (default: <repo>/build/guest)
#
# The kernel is Debian's cloud kernel, fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` -- it is never installed on the host.  The
# initramfs holds only /init (the static dirtier), /dev, /proc, /sys and, in
# /modules, the two kernel modules the ACPI power button needs.
# Idempotent: does nothing when the outputs are up to date.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
OUTDIR=${1:-$REPO_ROOT/build/guest}
CC=${CC:-gcc}
KPKG_META=${GUEST_KERNEL_META:-linux-image-cloud-amd64}
GUEST_MODULES="evdev button"

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

log() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

TMP=""
cleanup() { [ -n "$TMP" ] && rm -rf "$TMP"; return 0; }
trap cleanup EXIT INT TERM
tmpdir() {
    [ -n "$TMP" ] || TMP=$(mktemp -d "${TMPDIR:-/tmp}/build-guest.XXXXXX")
}

# ---------------------------------------------------------------- kernel
resolve_kernel_pkg() {
    # The metapackage depends on the versioned image, e.g.
    # linux-image-6.1.0-NN-cloud-amd64.  Pick the candidate version's dependency.
    # Empty output (not an error) when apt's lists lack it.
    { apt-cache depends "$KPKG_META" 2>/dev/null || true; } |
        sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-cloud-amd64\) *$/\1/p' |
        sed -n 1p
}

fetch_kernel() {
    local pkg deb
    command -v apt-get >/dev/null || die "apt-get not found"
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
    pkg=$(resolve_kernel_pkg)
    if [ -z "$pkg" ]; then
        log "cannot resolve $KPKG_META; running apt-get update"
        apt-get update -q >&2 || die "apt-get update failed"
        pkg=$(resolve_kernel_pkg)
        [ -n "$pkg" ] || die "cannot resolve the kernel package behind $KPKG_META"
    fi
    tmpdir
    mkdir -p "$TMP/deb" "$TMP/x"
    # Let apt's unprivileged _apt user write the download (avoids a warning).
    chmod 0755 "$TMP" && chmod 0777 "$TMP/deb"
    log "downloading $pkg"
    if ! (cd "$TMP/deb" && apt-get download -q "$pkg" >&2); then
        log "download failed; running apt-get update and retrying"
        apt-get update -q >&2 || die "apt-get update failed"
        pkg=$(resolve_kernel_pkg)
        [ -n "$pkg" ] || die "cannot resolve the kernel package behind $KPKG_META"
        (cd "$TMP/deb" && apt-get download -q "$pkg" >&2) ||
            die "apt-get download $pkg failed"
    fi
    local debs vmlinuz
    debs=("$TMP"/deb/*.deb)
    deb=${debs[0]}
    [ -f "$deb" ] || die "apt-get download produced no .deb"
    dpkg-deb -x "$deb" "$TMP/x"
    vmlinuz=("$TMP"/x/boot/vmlinuz-*)
    [ -f "${vmlinuz[0]}" ] || die "no boot/vmlinuz-* in $deb"
    # The power button needs two modules of the same build (the cloud
    # kernel has them as modules, not built in).
    mkdir -p "$OUTDIR/modules"
    for m in $GUEST_MODULES; do
        local ko
        ko=$(find "$TMP"/x/lib/modules -name "$m.ko" | head -n 1)
        [ -n "$ko" ] || die "no $m.ko in $deb"
        cp "$ko" "$OUTDIR/modules/$m.ko"
    done
    cp "${vmlinuz[0]}" "$OUTDIR/vmlinuz.tmp.$$"
    mv "$OUTDIR/vmlinuz.tmp.$$" "$OUTDIR/vmlinuz"
    # shellcheck disable=SC2016  # dpkg-deb expands these, not the shell
    dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" \
        > "$OUTDIR/kernel-version.txt"
    log "kernel: $(cat "$OUTDIR/kernel-version.txt")"
}

have_kernel=1
[ -s "$OUTDIR/vmlinuz" ] || have_kernel=0
for m in $GUEST_MODULES; do
    [ -s "$OUTDIR/modules/$m.ko" ] || have_kernel=0
done
[ "$have_kernel" = 1 ] || fetch_kernel

# ---------------------------------------------------------------- initrd
SRC=$SCRIPT_DIR/dirtier.c
need_initrd=0
if [ ! -s "$OUTDIR/initrd.img" ] || [ ! -x "$OUTDIR/dirtier" ] ||
   [ "$SRC" -nt "$OUTDIR/dirtier" ] || [ "$OUTDIR/dirtier" -nt "$OUTDIR/initrd.img" ] ||
   [ "$0" -nt "$OUTDIR/initrd.img" ]; then
    need_initrd=1
fi
for m in $GUEST_MODULES; do
    [ "$OUTDIR/modules/$m.ko" -nt "$OUTDIR/initrd.img" ] && need_initrd=1
done

if [ "$need_initrd" = 1 ]; then
    command -v "$CC" >/dev/null || die "$CC not found"
    command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"
    log "compiling dirtier"
    "$CC" -static -O2 -Wall -Wextra -o "$OUTDIR/dirtier.tmp.$$" "$SRC"
    mv "$OUTDIR/dirtier.tmp.$$" "$OUTDIR/dirtier"

    tmpdir
    root=$TMP/root
    mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/modules"
    cp "$OUTDIR/dirtier" "$root/init"
    for m in $GUEST_MODULES; do
        cp "$OUTDIR/modules/$m.ko" "$root/modules/"
    done
    chmod 0755 "$root/init"
    chmod 0755 "$root/dev" "$root/proc" "$root/sys"
    log "writing initrd.img"
    # Uncompressed newc; owner forced to root.
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet) > "$OUTDIR/initrd.img.tmp.$$"
    mv "$OUTDIR/initrd.img.tmp.$$" "$OUTDIR/initrd.img"
fi

log "ready: $OUTDIR/vmlinuz $OUTDIR/initrd.img"
