#!/bin/sh
# Install every Debian 12 package convergd needs to build, test and run its demo.
# Idempotent; run as root on a fresh Debian 12 (bookworm) machine.
set -eu

export DEBIAN_FRONTEND=noninteractive

BACKPORTS=/etc/apt/sources.list.d/convergd-backports.sources
if [ ! -f "$BACKPORTS" ]; then
    cat > "$BACKPORTS" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    NEED_UPDATE=1
fi

PKGS="meson ninja-build gcc pkg-config libglib2.0-dev libxml2-dev libjson-c-dev
libtirpc-dev gettext libvirt-clients python3-libvirt iproute2 cpio
procps psmisc valgrind clang clang-format libclang-rt-14-dev python3-matplotlib
libsystemd-dev python3-docutils groff-base systemd debhelper dpkg-dev fakeroot
rpcsvc-proto libgnutls28-dev gnutls-bin libsasl2-dev sasl2-bin
libsasl2-modules openssh-server openssh-client netcat-openbsd e2fsprogs
dosfstools mtools syslinux syslinux-common virtinst"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done

qemu_ok=0
# qemu-img (qemu-utils) from the same QEMU: the disk images of the tests.
if dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null | grep -q '^1:10\.' &&
   dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null | grep -q '^1:10\.'; then
    qemu_ok=1
fi

if [ -n "$missing" ] || [ "$qemu_ok" = 0 ]; then
    if [ "${NEED_UPDATE:-0}" = 1 ] || [ ! -d /var/lib/apt/lists ] ||
       ! ls /var/lib/apt/lists/*bookworm-backports* >/dev/null 2>&1; then
        apt-get update -q
    fi
    if [ -n "$missing" ]; then
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing
    fi
    if [ "$qemu_ok" = 0 ]; then
        apt-get install -y -q --no-install-recommends -t bookworm-backports \
            qemu-system-x86 qemu-utils
    fi
fi
