#!/usr/bin/python3
"""The Debian package: build, contents, install, run, purge.

Copies the source tree (the files git knows) to a temporary directory,
builds it there with `dpkg-buildpackage -b -us -uc` (the package route of
README.md), checks the .deb's contents against an explicit list, installs
it with dpkg, runs the installed daemon against a private socket and state
directory with the real virsh, checks that the package enabled the sockets
(deb-systemd-helper's symlinks, made without systemd as PID 1) and not the
service, then purges it and checks that nothing is left.  The machine is
restored even when a step fails.  Root only; skipped when a convergd
package, /etc/convergd or /var/lib/convergd is already there, so it never
replaces or purges an operator's.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402

PKG = "convergd"
VERSION = "0.1.0-1"
DEB = f"{PKG}_{VERSION}_amd64.deb"
BUILD_TIMEOUT = 420   # the whole project, once, on two loaded cores
DPKG_TIMEOUT = 120
UNIT_DIR = "/lib/systemd/system"
SYSTEMD_ETC = "/etc/systemd/system"

# Every file the package ships, relative to /.
EXPECTED = {
    "usr/bin/convergd",
    "usr/share/doc/convergd/changelog.Debian.gz",
    "usr/share/doc/convergd/copyright",
    "lib/systemd/system/convergd.service",
    "lib/systemd/system/convergd.socket",
    "lib/systemd/system/convergd-ro.socket",
    "lib/systemd/system/convergd-tls.socket",
    "lib/systemd/system/convergd-tcp.socket",
    "usr/lib/tmpfiles.d/convergd.conf",
    "etc/convergd/convergd.conf",
    "etc/convergd/sasl2/libvirt.conf",
    "usr/share/man/man8/convergd.8.gz",
    "usr/share/man/man5/convergd.conf.5.gz",
}
# Enabled and started by the package; the service is socket-activated.
ENABLED = ["convergd.socket", "convergd-ro.socket"]
NOT_ENABLED = ["convergd.service", "convergd-tls.socket",
               "convergd-tcp.socket"]
# Left by nothing after a purge (beyond the binary and the enable links).
GONE_AFTER_PURGE = ["/etc/convergd", "/var/lib/convergd"]


def run(cmd, timeout, **kw):
    """Run @cmd; AssertionError with its output if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}):\n"
                             f"{p.stdout[-4000:]}{p.stderr[-4000:]}")
    return p


def installed():
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PKG],
                       capture_output=True, text=True)
    return p.returncode == 0 and "not-installed" not in p.stdout


def install_wanted_by(unit_path):
    """The targets in the [Install] WantedBy= lines of a unit file."""
    targets, section = [], None
    with open(unit_path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Install]" and line.startswith("WantedBy="):
                targets += line.split("=", 1)[1].split()
    return targets


def enable_links(unit):
    """The symlinks `deb-systemd-helper enable` makes for @unit."""
    return [os.path.join(SYSTEMD_ETC, f"{t}.wants", unit)
            for t in install_wanted_by(os.path.join(UNIT_DIR, unit))]


def stray_links():
    """Every enable symlink under /etc/systemd/system naming convergd."""
    return sorted(glob.glob(os.path.join(SYSTEMD_ETC, "*", "convergd*")) +
                  glob.glob(os.path.join(SYSTEMD_ETC, "convergd*")))


class PackageTest(unittest.TestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (dpkg -i)")
        for tool in ("dpkg-buildpackage", "dh", "git"):
            if not shutil.which(tool):
                self.fail(f"{tool} missing (tools/install-deps.sh installs it)")
        if installed():
            self.skipTest("a convergd package is installed; not replacing it")
        for path in GONE_AFTER_PURGE:
            if os.path.lexists(path):
                self.skipTest(f"{path} exists; a purge would delete it")
        self.links_before = stray_links()
        self.dir = tempfile.mkdtemp(prefix="cvg-pkg-")
        self.daemon = None

    def tearDown(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        if installed():
            subprocess.run(["dpkg", "--purge", PKG], capture_output=True,
                           timeout=DPKG_TIMEOUT)
        shutil.rmtree(self.dir, ignore_errors=True)

    def build(self):
        """Copy the tree git knows, build the package once; the .deb path."""
        src = os.path.join(self.dir, "convergd")
        os.mkdir(src)
        files = run(["git", "-C", cvgtest.TOP, "ls-files", "-z", "--cached",
                     "--others", "--exclude-standard"], 60).stdout
        for rel in filter(None, files.split("\0")):
            path = os.path.join(cvgtest.TOP, rel)
            if not os.path.lexists(path):
                continue    # deleted in the work tree, not yet in git
            os.makedirs(os.path.join(src, os.path.dirname(rel)),
                        exist_ok=True)
            shutil.copy2(path, os.path.join(src, rel), follow_symlinks=False)
        t0 = time.monotonic()
        run(["dpkg-buildpackage", "-b", "-us", "-uc"], BUILD_TIMEOUT,
            cwd=src)
        print(f"dpkg-buildpackage: {time.monotonic() - t0:.0f} s",
              flush=True)
        deb = os.path.join(self.dir, DEB)
        self.assertTrue(os.path.exists(deb), f"{DEB} not built")
        return deb

    def check_contents(self, deb):
        listing = run(["dpkg-deb", "-c", deb], 60).stdout
        files = set()
        for line in listing.splitlines():
            perms, name = line.split()[0], line.split()[5]
            if not perms.startswith("d"):
                files.add(os.path.normpath(name))
        self.assertEqual(EXPECTED - files, set(), "missing from the .deb")
        self.assertEqual(files - EXPECTED, set(),
                         "unexpected files in the .deb")
        return files

    def check_enabled(self, files):
        for unit in ENABLED:
            if f"lib/systemd/system/{unit}" not in files:
                continue
            links = enable_links(unit)
            self.assertTrue(links, f"{unit} has no [Install] WantedBy=")
            for link in links:
                self.assertTrue(os.path.islink(link), f"{link} missing")
        for unit in NOT_ENABLED:
            if f"lib/systemd/system/{unit}" not in files:
                continue
            for link in enable_links(unit):
                self.assertFalse(os.path.lexists(link),
                                 f"{unit} enabled: {link}")

    def check_daemon(self, binary):
        out = run([binary, "--version"], 10).stdout
        self.assertIn(VERSION.split("-")[0], out)
        sock = os.path.join(self.dir, "sock")
        log = open(os.path.join(self.dir, "daemon.log"), "w")
        self.daemon = subprocess.Popen(
            [binary, "--socket", sock, "--state-dir",
             os.path.join(self.dir, "state")],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        cvgtest.wait_for(lambda: os.path.exists(sock) or
                         self.daemon.poll() is not None, 10,
                         what="the installed daemon's socket")
        self.assertIsNone(self.daemon.poll(), "installed daemon exited")
        p = cvgtest.virsh_at(cvgtest.unix_uri(sock),
                             "list", "--all", timeout=30)
        self.assertIn("Name", p.stdout)
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(15), 0)

    def test_package(self):
        t0 = time.monotonic()
        deb = self.build()
        files = self.check_contents(deb)

        run(["dpkg", "-i", deb], DPKG_TIMEOUT)
        self.assertTrue(installed())
        binary = "/" + next(f for f in EXPECTED if f.endswith("/convergd"))
        self.check_daemon(binary)
        self.check_enabled(files)
        if "usr/lib/tmpfiles.d/convergd.conf" in files:
            st = os.stat("/var/lib/convergd")   # made by tmpfiles in postinst
            self.assertEqual(st.st_mode & 0o777, 0o700)

        run(["dpkg", "--purge", PKG], DPKG_TIMEOUT)
        self.assertFalse(installed())
        self.assertFalse(os.path.lexists(binary))
        for path in GONE_AFTER_PURGE:
            self.assertFalse(os.path.lexists(path), f"{path} left")
        self.assertEqual(stray_links(), self.links_before,
                         "enable symlinks left after purge")
        print(f"test_package: {time.monotonic() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    cvgtest.main()
