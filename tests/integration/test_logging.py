#!/usr/bin/python3
"""Logging outputs and filters, and SIGHUP reloading the configuration.

- the file output honours log_filters: the qemu module's debug lines are
  there, the rpc module's are not, and the stderr output at warning gets
  no debug line at all;
- SIGHUP changes the log level of a running daemon (debug lines appear
  only after the reload); a bad file keeps the old configuration and says
  why; a changed key that needs a restart is named;
- the journald output, against a private systemd-journald started for the
  test in its own mount namespace (a tmp directory bound over /run there):
  PRIORITY, CODE_*, CONVERGD_MODULE and DOMAIN_NAME.  Where no journal can
  be run, that test says so loudly and is skipped; the file tests still run.

Run with /usr/bin/python3 under the integration lock (it starts QEMU).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cvgtest import CONVERGD, Daemon, guest_xml, wait_for  # noqa: E402

JOURNALD = "/lib/systemd/systemd-journald"
JOURNALCTL = shutil.which("journalctl") or "/usr/bin/journalctl"

# Arguments: JOURNALD RUNDIR CONVERGD-COMMAND...  Starts a private journald
# with /run replaced by RUNDIR in this mount namespace, then becomes
# convergd.
JOURNAL_WRAPPER = textwrap.dedent("""\
    set -e
    journald="$1"; run="$2"; shift 2
    mkdir -p "$run/systemd/journal" "$run/log/journal"
    mount --bind "$run" /run
    "$journald" >/dev/null 2>&1 &
    i=0
    while [ ! -S /run/systemd/journal/socket ]; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "journald did not start"; exit 1; }
        sleep 0.05
    done
    exec "$@"
""")


class LogDaemon(Daemon):
    """A convergd whose log level comes from its configuration file only
    (Daemon passes --log-level debug, which would override it)."""

    def __init__(self, config, wrapper=None, **kw):
        self.wrapper = wrapper or []
        self.filelog = None
        super().__init__(config=config, **kw)

    def start(self):
        cmd = self.wrapper + [CONVERGD, "--socket", self.socket,
                              "--state-dir", self.state, "--config",
                              self.conf]
        with open(self.log, "a") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=logf,
                                         stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.time() + 20
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"convergd did not start: {self.tail()}")
            time.sleep(0.02)

    def write_config(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def cleanup(self):
        pid = self.proc.pid if self.proc else None
        super().cleanup()
        if pid:  # the private journald, if any
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def debug_lines(text, module):
    return [l for l in text.splitlines()
            if f" convergd.{module}: debug: " in l]


class LoggingTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cvg-logging-")
        self.logfile = os.path.join(self.dir, "out", "convergd.log")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def daemon(self, config, **kw):
        d = LogDaemon(config, workdir=tempfile.mkdtemp(dir=self.dir), **kw)
        self.daemons.append(d)
        return d

    def run_guest(self, d, name):
        """Define, start and destroy a guest: QMP traffic (qemu debug) and
        messages naming the domain."""
        xml = os.path.join(d.dir, name + ".xml")
        with open(xml, "w") as f:
            f.write(guest_xml(name, os.path.join(d.dir, name + ".console")))
        d.virsh("define", xml)
        d.virsh("start", name)
        wait_for(lambda: "running" in d.virsh("domstate", name).stdout, 60,
                 what=f"{name} running")
        d.virsh("destroy", name)

    def test_file_output_filters(self):
        d = self.daemon(textwrap.dedent(f"""\
            log_level = "3"
            log_filters = "1:qemu 4:rpc"
            log_outputs = "3:stderr 1:file:{self.logfile}"
            """))
        self.run_guest(d, "logfile")
        text = read(self.logfile)
        self.assertTrue(debug_lines(text, "qemu"),
                        f"no qemu debug lines in the file:\n{text[-2000:]}")
        self.assertFalse(debug_lines(text, "rpc"), "rpc debug lines passed")
        self.assertFalse(debug_lines(text, "daemon"),
                         "daemon debug lines passed log_level 3")
        self.assertIn("guest 'logfile' started", text)
        self.assertIn("guest 'logfile' stopped", text)
        self.assertNotIn(": debug: ", d.tail(1000),
                         "debug lines reached the stderr output at 3")

    def test_sighup(self):
        base = f'log_outputs = "1:file:{self.logfile}"\n'
        d = self.daemon('log_level = "3"\n' + base)
        d.virsh("list", "--all")
        d.virsh("list", "--all")
        self.assertFalse(debug_lines(read(self.logfile), "rpc"),
                         "debug lines before the reload")

        # The level of a running daemon changes on SIGHUP.
        d.write_config('log_level = "1"\n' + base)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in read(self.logfile), 10,
                 what="the reload message")
        d.virsh("list", "--all")
        after = wait_for(lambda: debug_lines(read(self.logfile), "rpc"), 10,
                         what="rpc debug lines after the reload")

        # A bad file keeps the old configuration and says why.
        d.write_config('log_level = "1"\nno equals sign here\n' + base)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "keeping the current one" in read(self.logfile), 10,
                 what="the bad file's warning")
        self.assertIn(":2: expected 'key = value'", read(self.logfile))
        d.virsh("list", "--all")
        wait_for(lambda: len(debug_lines(read(self.logfile), "rpc")) >
                 len(after), 10, what="debug lines still logged")

        # Keys that need a restart are named; live ones apply.
        d.write_config('log_level = "1"\nmax_workers = 4\n'
                       'socket_mode = 0660\n' + base)
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "need a restart to take effect: socket_mode, "
                 "max_workers" in read(self.logfile), 10,
                 what="the restart keys' warning")
        self.assertTrue(d.alive())
        d.virsh("list", "--all")

    def journal_unavailable(self):
        """Why no private journald can run here, or None."""
        if os.geteuid() != 0:
            return "not root: cannot make a mount namespace"
        if not os.access(JOURNALD, os.X_OK):
            return f"{JOURNALD} is not installed"
        if not shutil.which("unshare"):
            return "unshare(1) is missing"
        p = subprocess.run(["unshare", "-m", "--propagation", "private",
                            "true"], capture_output=True, text=True)
        if p.returncode != 0:
            return f"unshare -m fails: {p.stderr.strip()}"
        return None

    def test_journald(self):
        why = self.journal_unavailable()
        if why:
            sys.stderr.write("\n" + "!" * 72 + "\n"
                             f"!!! NO JOURNAL: {why}; the journald output "
                             "is NOT tested here\n" + "!" * 72 + "\n")
            self.skipTest(f"no journal: {why}")
        run = os.path.join(self.dir, "run")
        script = os.path.join(self.dir, "journal-wrapper.sh")
        with open(script, "w") as f:
            f.write(JOURNAL_WRAPPER)
        d = self.daemon(
            'log_level = "2"\nlog_filters = "1:qemu"\n'
            f'log_outputs = "1:journald 1:file:{self.logfile}"\n',
            wrapper=["unshare", "-m", "--propagation", "private", "/bin/sh",
                     script, JOURNALD, run])
        self.run_guest(d, "journaled")

        def entries():
            p = subprocess.run(
                [JOURNALCTL, "--directory", os.path.join(run, "log", "journal"),
                 "-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=convergd"],
                capture_output=True, text=True)
            return [json.loads(l) for l in p.stdout.splitlines()
                    if l.startswith("{")]

        def started():
            return [e for e in entries()
                    if e.get("DOMAIN_NAME") == "journaled" and
                    "started" in e.get("MESSAGE", "")]
        found = wait_for(started, 15, what="the guest's start in the journal")
        e = found[0]
        self.assertEqual(e["PRIORITY"], "6")
        self.assertEqual(e["CONVERGD_MODULE"], "qemu")
        self.assertTrue(e["CODE_FILE"].endswith("qemu-process.c"))
        self.assertTrue(e["CODE_LINE"].isdigit())
        self.assertEqual(e["CODE_FUNC"], "cvg_qemu_process_start")
        all_entries = entries()
        debug = [x for x in all_entries if x.get("PRIORITY") == "7"]
        self.assertTrue(debug, "no debug entries of the qemu filter")
        self.assertEqual({x["CONVERGD_MODULE"] for x in debug}, {"qemu"})
        self.assertTrue(all(x.get("CODE_FUNC") for x in debug))


if __name__ == "__main__":
    unittest.main(verbosity=2)
