#!/usr/bin/python3
"""convergd driven by the real virsh (Debian 12, libvirt 9.0).

Run with /usr/bin/python3.  Every test starts its own convergd (own socket
and state directory) and kills its QEMU processes in tearDown.
"""
import os
import re
import signal
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import (Daemon, RawClient, VIRSH, console_lines,  # noqa: E402
                     decode_rpc_error, guest_xml, rpc_frame, wait_console,
                     wait_for, xdr_domain, xdr_string, REMOTE_PROG, RPC_ERROR,
                     RPC_OK)

# libvirt error codes (virterror.h)
VIR_ERR_OPERATION_DENIED = 29

# REMOTE procedure numbers
PROC_DOMAIN_CREATE = 9
PROC_DOMAIN_DEFINE_XML = 11
PROC_DOMAIN_DESTROY = 12
PROC_DOMAIN_SUSPEND = 34
PROC_DOMAIN_UNDEFINE_FLAGS = 231
PROC_DOMAIN_LOOKUP_BY_NAME = 23
PROC_CONNECT_LIST_ALL_DOMAINS = 273


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at /proc state.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def parse_fields(text):
    """'Key:   value' lines (dominfo) -> dict."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def list_rows(text):
    """virsh list output -> [(id, name, state)]."""
    rows = []
    for line in text.splitlines()[2:]:
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        rows.append(tuple(parts))
    return rows


class VirshBase(unittest.TestCase):
    name = "vm1"

    def setUp(self):
        self.d = Daemon("virsh", readonly_socket=True)
        self.console = os.path.join(self.d.dir, f"{self.name}.console")
        self.xmlfile = os.path.join(self.d.dir, f"{self.name}.xml")
        with open(self.xmlfile, "w") as f:
            f.write(guest_xml(self.name, self.console))

    def tearDown(self):
        if self._outcome_failed():
            sys.stdout.write(f"\n--- convergd log tail ---\n{self.d.tail(40)}\n")
        self.d.cleanup()

    def _outcome_failed(self):
        outcome = getattr(self, "_outcome", None)
        res = getattr(outcome, "result", None)
        if res is None:
            return False
        return any(t is self for t, _ in res.failures + res.errors)

    def virsh(self, *args, **kw):
        return self.d.virsh(*args, **kw)

    def virsh_fail(self, *args, uri=None):
        p = self.d.virsh(*args, check=False, uri=uri)
        self.assertNotEqual(p.returncode, 0,
                            f"virsh {' '.join(args)} unexpectedly worked: "
                            f"{p.stdout}")
        return p

    def define(self):
        p = self.virsh("define", self.xmlfile)
        self.assertIn(f"Domain '{self.name}' defined from {self.xmlfile}",
                      p.stdout)

    def domstate(self):
        return self.virsh("domstate", "--reason", self.name).stdout.strip()

    def status_pid(self):
        path = os.path.join(self.d.state, "run", f"{self.name}.status")
        with open(path) as f:
            for line in f:
                if line.startswith("pid="):
                    return int(line.split("=")[1])
        self.fail(f"no pid= in {path}")


class TestLifecycle(VirshBase):

    def test_full_lifecycle(self):
        self.define()

        rows = list_rows(self.virsh("list", "--all").stdout)
        self.assertEqual(rows, [("-", self.name, "shut off")])
        self.assertEqual(list_rows(self.virsh("list").stdout), [],
                         "plain 'list' must hide shut-off domains")
        self.assertEqual(self.domstate(), "shut off (unknown)")

        p = self.virsh("start", self.name)
        self.assertIn(f"Domain '{self.name}' started", p.stdout)

        uuid = self.virsh("domuuid", self.name).stdout.strip()
        self.assertRegex(uuid, r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")
        domid = self.virsh("domid", self.name).stdout.strip()
        self.assertRegex(domid, r"^[1-9][0-9]*$")

        info = parse_fields(self.virsh("dominfo", self.name).stdout)
        self.assertEqual(info["Id"], domid)
        self.assertEqual(info["Name"], self.name)
        self.assertEqual(info["UUID"], uuid)
        self.assertEqual(info["OS Type"], "hvm")
        self.assertEqual(info["State"], "running")
        self.assertEqual(info["CPU(s)"], "1")
        self.assertEqual(info["Max memory"], "131072 KiB")
        self.assertEqual(info["Used memory"], "131072 KiB")
        self.assertEqual(info["Persistent"], "yes")
        self.assertEqual(info["Autostart"], "disable")
        self.assertEqual(info["Managed save"], "no")
        self.assertRegex(info["CPU time"], r"^[0-9.]+s$")

        rows = list_rows(self.virsh("list", "--all").stdout)
        self.assertEqual(rows, [(domid, self.name, "running")])
        self.assertEqual(list_rows(self.virsh("list").stdout),
                         [(domid, self.name, "running")])
        self.assertEqual(self.domstate(), "running (booted)")

        # The guest really boots: the dirtier reports on the serial console.
        lines = wait_console(self.console, count=2, timeout=60)
        self.assertRegex(lines[0], r"^dirtier: t=\d+ rate=")
        self.assertTrue(all("verify_errors=0" in l for l in lines), lines)

        xml = self.virsh("dumpxml", self.name).stdout
        self.assertIn(f"<domain type='qemu' id='{domid}'>", xml)
        self.assertIn(f"<name>{self.name}</name>", xml)
        self.assertIn(f"<uuid>{uuid}</uuid>", xml)

        p = self.virsh("suspend", self.name)
        self.assertIn(f"Domain '{self.name}' suspended", p.stdout)
        self.assertEqual(self.domstate(), "paused (user)")
        self.assertEqual(parse_fields(self.virsh("dominfo", self.name)
                                      .stdout)["State"], "paused")
        # A paused guest does not run: the console stops advancing.
        time.sleep(0.5)
        n = len(console_lines(self.console))
        time.sleep(2.5)
        self.assertEqual(len(console_lines(self.console)), n,
                         "console advanced while paused")

        p = self.virsh("resume", self.name)
        self.assertIn(f"Domain '{self.name}' resumed", p.stdout)
        self.assertEqual(self.domstate(), "running (unpaused)")
        wait_console(self.console, count=n + 1, timeout=30)

        p = self.virsh("destroy", self.name)
        self.assertIn(f"Domain '{self.name}' destroyed", p.stdout)
        self.assertEqual(self.domstate(), "shut off (destroyed)")
        info = parse_fields(self.virsh("dominfo", self.name).stdout)
        self.assertEqual(info["Id"], "-")
        self.assertEqual(info["State"], "shut off")
        self.assertNotIn("id=", self.virsh("dumpxml", self.name)
                         .stdout.splitlines()[0])
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout),
                         [("-", self.name, "shut off")])

        p = self.virsh("undefine", self.name)
        self.assertIn(f"Domain '{self.name}' has been undefined", p.stdout)
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout), [])
        p = self.virsh_fail("dominfo", self.name)
        self.assertIn(f"failed to get domain '{self.name}'", p.stderr)

    def test_destroy_kills_qemu(self):
        self.define()
        self.virsh("start", self.name)
        pid = self.status_pid()
        self.assertTrue(pid_alive(pid))
        self.virsh("destroy", self.name)
        wait_for(lambda: not pid_alive(pid), 10, what=f"QEMU {pid} to exit")
        self.assertFalse(os.path.exists(
            os.path.join(self.d.state, "run", f"{self.name}.status")))

    # regression (fixed): cvg_driver_domain_stopped() g_source_remove()s the QEMU
    # child watch after GLib already dropped it (a GChildWatch source is
    # removed once its callback has run), so every guest exit logs
    # "GLib: error: Source ID N was not found when attempting to remove it".
    def test_no_glib_criticals(self):
        self.define()
        self.virsh("start", self.name)
        pid = self.status_pid()
        self.virsh("destroy", self.name)
        wait_for(lambda: not pid_alive(pid), 10, what=f"QEMU {pid} to exit")
        time.sleep(0.5)
        self.virsh("list", "--all")
        with open(self.d.log) as f:
            bad = [l for l in f if re.search(
                r"GLib[-\w]*: (error|critical|CRITICAL|warning)", l)]
        self.assertEqual(bad, [])

    def test_dumpxml_roundtrip(self):
        self.define()
        inactive1 = self.virsh("dumpxml", "--inactive", self.name).stdout
        self.virsh("start", self.name)
        domid = self.virsh("domid", self.name).stdout.strip()
        live = self.virsh("dumpxml", self.name).stdout
        self.assertIn(f"id='{domid}'", live)
        self.assertNotIn("id=", inactive1.splitlines()[0])
        # The live XML minus the id equals the inactive XML here (no
        # runtime-only devices in this guest).
        self.assertEqual(live.replace(f" id='{domid}'", "", 1), inactive1)

        # Define the dumped (live) XML again: same definition.
        dumped = os.path.join(self.d.dir, "dumped.xml")
        with open(dumped, "w") as f:
            f.write(live)
        p = self.virsh("define", dumped)
        self.assertIn(f"Domain '{self.name}' defined from {dumped}", p.stdout)
        self.assertEqual(self.virsh("dumpxml", "--inactive", self.name).stdout,
                         inactive1)
        self.assertEqual(self.domstate(), "running (booted)")
        self.virsh("destroy", self.name)

        # And once more from the inactive dump, while shut off.
        with open(dumped, "w") as f:
            f.write(inactive1)
        self.virsh("define", dumped)
        self.assertEqual(self.virsh("dumpxml", "--inactive", self.name).stdout,
                         inactive1)
        self.assertEqual(self.virsh("dumpxml", self.name).stdout, inactive1)


class TestEvents(VirshBase):

    def wait_event_client(self, out):
        """Wait until the 'virsh event --all' writing to @out is registered:
        define/undefine a throw-away domain until its events show up."""
        probe_xml = os.path.join(self.d.dir, "probe.xml")
        with open(probe_xml, "w") as f:
            f.write(guest_xml("probe", self.console + ".probe"))

        def registered():
            self.virsh("define", probe_xml)
            self.virsh("undefine", "probe")
            with open(out) as f:
                return "domain 'probe': Undefined Removed" in f.read()
        wait_for(registered, 20, interval=0.1, what="virsh event ready")

    def start_event_client(self):
        """A 'virsh event --all --loop' writing to a file, registered: returns
        (process, path, offset of the first event after registration)."""
        out = os.path.join(self.d.dir, "events.out")
        with open(out, "w") as f:
            ev = subprocess.Popen(
                ["stdbuf", "-oL", VIRSH, "-c", self.d.uri, "event",
                 "--all", "--loop", "--timeout", "120"],
                stdout=f, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_event_client, ev)
        self.wait_event_client(out)
        with open(out) as f:
            return ev, out, len(f.read())

    @staticmethod
    def stop_event_client(ev):
        ev.send_signal(signal.SIGINT)
        try:
            ev.wait(10)
        except subprocess.TimeoutExpired:
            ev.kill()
            ev.wait()

    def events_since(self, out, skip):
        with open(out) as f:
            return [l.strip() for l in f.read()[skip:].splitlines()]

    def start_acpi_guest(self):
        with open(self.xmlfile, "w") as f:
            f.write(guest_xml(self.name, self.console, acpi=True))
        self.define()
        self.virsh("start", self.name)
        wait_console(self.console, count=1, timeout=60)

    def test_lifecycle_events(self):
        ev, out, skip = self.start_event_client()
        self.define()
        self.virsh("start", self.name)
        self.virsh("suspend", self.name)
        self.virsh("resume", self.name)
        self.virsh("destroy", self.name)
        self.virsh("undefine", self.name)

        want = ["Defined Added", "Started Booted", "Suspended Paused",
                "Resumed Unpaused", "Stopped Destroyed",
                "Undefined Removed"]
        want = [f"event 'lifecycle' for domain '{self.name}': {w}"
                for w in want]

        def got():
            lines = self.events_since(out, skip)
            return lines if len(lines) >= len(want) else None
        lines = wait_for(got, 15, what="6 lifecycle events")
        self.assertEqual(lines[:len(want)], want)
        time.sleep(0.5)
        self.assertEqual(got(), want, "unexpected extra events")
        self.assertIsNone(ev.poll(), "virsh event exited early")
        self.stop_event_client(ev)
        with open(out) as f:
            text = f.read()
        n = len(re.findall(r"^event 'lifecycle' for domain", text, re.M))
        self.assertIn(f"events received: {n}", text)

    def test_reset_reboots_guest(self):
        """virsh reset: a hard reset; the guest boots again, the domain
        stays running with the same id, and 'virsh event' sees reboot
        events and nothing else."""
        self.define()
        self.virsh("start", self.name)
        domid = self.virsh("domid", self.name).stdout.strip()
        wait_console(self.console, count=1, timeout=60)
        self.assertEqual(len(console_lines(self.console, "dirtier: start")),
                         1)
        ev, out, skip = self.start_event_client()
        p = self.virsh("reset", self.name)
        self.assertIn(f"Domain '{self.name}' was reset", p.stdout)
        want = f"event 'reboot' for domain '{self.name}'"
        wait_for(lambda: want in self.events_since(out, skip), 15,
                 what="reboot event")
        self.assertEqual(self.domstate(), "running (booted)")
        self.assertEqual(self.virsh("domid", self.name).stdout.strip(),
                         domid)
        # The guest ran its /init again from the start.
        wait_for(lambda: len(console_lines(self.console,
                                           "dirtier: start")) == 2,
                 90, what="second boot on the console")
        # Every QEMU RESET is a reboot event, as in libvirt: the host's
        # reset, then usually the firmware's own on the way up.
        time.sleep(0.5)
        self.assertEqual(set(self.events_since(out, skip)), {want},
                         "only reboot events")

    def test_shutdown_acpi_guest(self):
        """virsh shutdown presses the power button; a guest with ACPI powers
        off: libvirt's two events, 'shut off (shutdown)', QEMU gone."""
        self.start_acpi_guest()
        pid = self.status_pid()
        ev, out, skip = self.start_event_client()
        p = self.virsh("shutdown", self.name)
        self.assertIn(f"Domain '{self.name}' is being shutdown", p.stdout)
        wait_for(lambda: self.domstate() == "shut off (shutdown)", 30,
                 what="shut off (shutdown)")
        wait_for(lambda: not pid_alive(pid), 10, what=f"QEMU {pid} to exit")
        self.assertIn("dirtier: power button, powering off",
                      console_lines(self.console))
        pre = f"event 'lifecycle' for domain '{self.name}': "
        wait_for(lambda: len(self.events_since(out, skip)) >= 2, 10,
                 what="2 events")
        time.sleep(0.5)
        self.assertEqual(self.events_since(out, skip),
                         [pre + "Shutdown Finished after guest request",
                          pre + "Stopped Shutdown"])

    def test_shutdown_ignored_without_acpi(self):
        """Without <acpi/> the button does nothing, as with libvirt: the call
        succeeds and the guest keeps running."""
        self.define()
        self.virsh("start", self.name)
        n = len(wait_console(self.console, count=2, timeout=60))
        self.virsh("shutdown", self.name)
        wait_console(self.console, count=n + 3, timeout=30)
        self.assertEqual(self.domstate(), "running (booted)")

    def test_reboot_acpi_guest(self):
        """virsh reboot: the guest powers off, convergd resets and continues
        the same QEMU (libvirt's fake reboot): same id and pid, the guest
        boots again, and virsh event shows libvirt's sequence."""
        self.start_acpi_guest()
        pid = self.status_pid()
        domid = self.virsh("domid", self.name).stdout.strip()
        ev, out, skip = self.start_event_client()
        p = self.virsh("reboot", self.name)
        self.assertIn(f"Domain '{self.name}' is being rebooted", p.stdout)
        wait_for(lambda: len(console_lines(self.console, "dirtier: start"))
                 == 2, 90, what="second boot on the console")
        self.assertEqual(self.domstate(), "running (booted)")
        self.assertEqual(self.virsh("domid", self.name).stdout.strip(), domid)
        self.assertEqual(self.status_pid(), pid)
        self.assertTrue(pid_alive(pid))
        pre = f"event 'lifecycle' for domain '{self.name}': "
        reboot = f"event 'reboot' for domain '{self.name}'"
        time.sleep(0.5)
        lines = self.events_since(out, skip)
        self.assertEqual(lines[0], pre + "Shutdown Finished after guest "
                         "request", lines)
        self.assertIn(pre + "Resumed Unpaused", lines)
        self.assertIn(reboot, lines)
        self.assertEqual(set(lines) - {reboot},
                         {pre + "Shutdown Finished after guest request",
                          pre + "Resumed Unpaused"}, lines)
        # After the reboot the power button shuts it off for good.
        self.virsh("shutdown", self.name)
        wait_for(lambda: self.domstate() == "shut off (shutdown)", 30,
                 what="shut off after the reboot")


    def test_shutdown_cancels_pending_reboot(self):
        """A reboot the guest has not acted on yet (it is paused) is undone
        by a later shutdown, as in libvirt: on resume the guest powers off
        and stays off."""
        self.start_acpi_guest()
        pid = self.status_pid()
        self.virsh("suspend", self.name)
        self.virsh("reboot", self.name)
        self.virsh("shutdown", self.name)
        self.virsh("resume", self.name)
        wait_for(lambda: self.domstate() == "shut off (shutdown)", 30,
                 what="shut off (shutdown)")
        wait_for(lambda: not pid_alive(pid), 10, what=f"QEMU {pid} to exit")
        self.assertEqual(len(console_lines(self.console, "dirtier: start")),
                         1)

    def test_guest_powering_off_finishes_before_exit(self):
        """shutdown_timeout: a guest powering off when the daemon stops gets
        the time to finish under the daemon, with its two events, instead
        of being found gone ('crashed') by the next daemon."""
        self.start_acpi_guest()
        pid = self.status_pid()
        ev, out, skip = self.start_event_client()
        self.virsh("shutdown", self.name)
        self.d.stop(signal.SIGTERM, timeout=30)
        self.assertFalse(pid_alive(pid), "QEMU outlived the wait")
        self.assertIn("dirtier: power button, powering off",
                      console_lines(self.console))
        pre = f"event 'lifecycle' for domain '{self.name}': "
        self.assertEqual(self.events_since(out, skip)[:2],
                         [pre + "Shutdown Finished after guest request",
                          pre + "Stopped Shutdown"])
        self.d.start()
        # As for any defined domain after a restart; 'crashed' if the
        # daemon had left before QEMU.
        self.assertEqual(self.domstate(), "shut off (unknown)")


class TestErrors(VirshBase):

    def test_dominfo_unknown(self):
        p = self.virsh_fail("dominfo", "nosuch")
        self.assertEqual(p.returncode, 1)
        self.assertIn("error: failed to get domain 'nosuch'", p.stderr)

    def test_start_running(self):
        self.define()
        self.virsh("start", self.name)
        p = self.virsh_fail("start", self.name)
        self.assertEqual(p.returncode, 1)
        # virsh 9.0 checks the domain id itself before calling
        # virDomainCreate and prints this (client-side) message; the
        # server-side "Requested operation is not valid: domain is already
        # running" is checked through the API in test_python.py.
        self.assertIn("error: Domain is already active", p.stderr)
        self.assertEqual(self.domstate(), "running (booted)")

    def test_not_running_operations(self):
        self.define()
        for cmd in ("destroy", "suspend", "resume", "reset", "reboot",
                    "shutdown"):
            p = self.virsh_fail(cmd, self.name)
            self.assertIn("Requested operation is not valid: "
                          "domain is not running", p.stderr, cmd)
        self.assertEqual(self.domstate(), "shut off (unknown)")

    def test_define_unsupported_device(self):
        xml = guest_xml("withhostdev", self.console).replace(
            "<devices>",
            "<devices>\n    <hostdev mode='subsystem' type='pci'/>")
        path = os.path.join(self.d.dir, "hostdev.xml")
        with open(path, "w") as f:
            f.write(xml)
        p = self.virsh_fail("define", path)
        self.assertEqual(p.returncode, 1)
        self.assertIn("error: unsupported configuration", p.stderr)
        self.assertIn("'hostdev'", p.stderr)
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout), [])

    def test_define_not_wellformed(self):
        path = os.path.join(self.d.dir, "bad.xml")
        with open(path, "w") as f:
            f.write("<domain type='qemu'>\n  <name>bad</name>\n</dom>\n")
        p = self.virsh_fail("define", path)
        self.assertIn("XML error", p.stderr)
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout), [])

    def test_define_bad_convergd_metadata(self):
        """The convergd migration metadata is checked at define time, not
        when a migration needs it."""
        ns = 'xmlns:convergd="urn:convergd:migration:1"'
        cases = [
            (f'<convergd:migration {ns} ceiling="100"/>',
             "XML error: invalid value '100' for attribute 'ceiling' in the "
             "convergd migration metadata, expected 1..99"),
            (f'<convergd:migration {ns} max_downtime="2000"/>',
             "unsupported configuration: unsupported attribute "
             "'max_downtime' in the convergd migration metadata"),
        ]
        path = os.path.join(self.d.dir, "meta.xml")
        for meta, msg in cases:
            with open(path, "w") as f:
                f.write(guest_xml("meta", self.console, metadata=meta))
            p = self.virsh_fail("define", path)
            self.assertIn(msg, p.stderr, meta)
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout), [])
        with open(path, "w") as f:
            f.write(guest_xml("meta", self.console, metadata=(
                f'<convergd:migration {ns} policy="adaptive" '
                'max-downtime="0" deadline="0"/>')))
        self.virsh("define", path)


class TestReadOnly(VirshBase):

    def test_readonly_socket(self):
        self.define()
        ro = self.d.ro_uri
        rows = list_rows(self.virsh("list", "--all", uri=ro).stdout)
        self.assertEqual(rows, [("-", self.name, "shut off")])
        info = parse_fields(self.virsh("dominfo", self.name, uri=ro).stdout)
        self.assertEqual(info["Name"], self.name)
        self.assertEqual(info["State"], "shut off")
        self.assertIn(f"<name>{self.name}</name>",
                      self.virsh("dumpxml", self.name, uri=ro).stdout)

        p = self.virsh_fail("start", self.name, uri=ro)
        self.assertIn("operation forbidden", p.stderr)
        self.assertEqual(self.domstate(), "shut off (unknown)")

        other = os.path.join(self.d.dir, "other.xml")
        with open(other, "w") as f:
            f.write(guest_xml("other", self.console + ".other"))
        p = self.virsh_fail("define", other, uri=ro)
        self.assertIn("operation forbidden", p.stderr)
        p = self.virsh_fail("undefine", self.name, uri=ro)
        self.assertIn("operation forbidden", p.stderr)
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout),
                         [("-", self.name, "shut off")])

        self.virsh("start", self.name)
        p = self.virsh_fail("destroy", self.name, uri=ro)
        self.assertIn("operation forbidden", p.stderr)
        p = self.virsh_fail("suspend", self.name, uri=ro)
        self.assertIn("operation forbidden", p.stderr)
        self.assertEqual(self.domstate(), "running (booted)")
        self.assertEqual(parse_fields(self.virsh("dominfo", self.name, uri=ro)
                                      .stdout)["State"], "running")

    def _raw_denied(self, client):
        """Mutating calls on a read-only raw connection: code 29."""
        dom = xdr_domain(self.name)
        # libvirt's wording names the API refused
        calls = {
            "virDomainCreate": (PROC_DOMAIN_CREATE, dom),
            "virDomainDestroy": (PROC_DOMAIN_DESTROY, dom),
            "virDomainSuspend": (PROC_DOMAIN_SUSPEND, dom),
            "virDomainUndefineFlags": (PROC_DOMAIN_UNDEFINE_FLAGS,
                                       dom + struct.pack(">I", 0)),
            "virDomainDefineXML": (PROC_DOMAIN_DEFINE_XML, xdr_string(
                guest_xml("other", self.console + ".o"))),
        }
        for what, (proc, payload) in calls.items():
            r = client.call(proc, payload)
            self.assertEqual(r["status"], RPC_ERROR, what)
            err = decode_rpc_error(r["payload"])
            self.assertEqual(err["code"], VIR_ERR_OPERATION_DENIED,
                             f"{what}: {err}")
            self.assertEqual(err["message"], "operation forbidden: read "
                             f"only access prevents {what}")
        # Reads work.
        r = client.call(PROC_CONNECT_LIST_ALL_DOMAINS,
                        struct.pack(">iI", 1, 0))
        self.assertEqual(r["status"], RPC_OK)
        r = client.call(PROC_DOMAIN_LOOKUP_BY_NAME, xdr_string(self.name))
        self.assertEqual(r["status"], RPC_OK)

    def test_readonly_socket_raw_code(self):
        """The read-only socket enforces read-only even when the client asks
        CONNECT_OPEN for read-write (flags 0): the check is in the daemon."""
        self.define()
        c = RawClient(self.d.ro_socket)
        try:
            c.open(flags=0)
            self._raw_denied(c)
        finally:
            c.close()
        self.assertEqual(self.domstate(), "shut off (unknown)")
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout),
                         [("-", self.name, "shut off")])

    def test_readonly_open_flag(self):
        self.define()
        # virsh -r: CONNECT_OPEN with VIR_CONNECT_RO on the normal socket.
        rows = list_rows(self.virsh("-r", "list", "--all").stdout)
        self.assertEqual(rows, [("-", self.name, "shut off")])
        self.assertEqual(parse_fields(self.virsh("-r", "dominfo", self.name)
                                      .stdout)["Name"], self.name)
        for args in (("start", self.name), ("define", self.xmlfile),
                     ("undefine", self.name)):
            p = self.virsh_fail("-r", *args)
            self.assertIn("operation forbidden", p.stderr, args)
        # libvirt's client library refuses those itself; the daemon must
        # also refuse them when a raw client opens with flags=1.
        c = RawClient(self.d.socket)
        try:
            c.open(flags=1)
            self._raw_denied(c)
        finally:
            c.close()
        self.assertEqual(self.domstate(), "shut off (unknown)")

    def test_socket_modes(self):
        st = os.stat(self.d.socket)
        self.assertEqual(st.st_mode & 0o777, 0o600,
                         f"control socket mode {oct(st.st_mode)}")
        st = os.stat(self.d.ro_socket)
        self.assertEqual(st.st_mode & 0o066, 0o066,
                         f"read-only socket mode {oct(st.st_mode)} is not "
                         "world read/write")


class TestPersistence(VirshBase):

    def test_definition_survives_restart(self):
        self.define()
        xml1 = self.virsh("dumpxml", self.name).stdout
        self.d.stop()
        self.assertFalse(self.d.alive())
        self.d.start()
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout),
                         [("-", self.name, "shut off")])
        self.assertEqual(self.virsh("dumpxml", self.name).stdout, xml1)
        # And an undefine is persistent too.
        self.virsh("undefine", self.name)
        self.d.stop()
        self.d.start()
        self.assertEqual(list_rows(self.virsh("list", "--all").stdout), [])

    def test_running_guest_survives_restart(self):
        self.define()
        self.virsh("start", self.name)
        domid = self.virsh("domid", self.name).stdout.strip()
        uuid = self.virsh("domuuid", self.name).stdout.strip()
        pid = self.status_pid()
        wait_console(self.console, count=2, timeout=60)

        self.d.stop(signal.SIGTERM)
        self.assertFalse(self.d.alive())
        self.assertTrue(pid_alive(pid), "QEMU died with the daemon")
        n = len(console_lines(self.console))
        wait_console(self.console, count=n + 2, timeout=20)

        self.d.start()
        rows = list_rows(self.virsh("list", "--all").stdout)
        self.assertEqual(rows, [(domid, self.name, "running")])
        info = parse_fields(self.virsh("dominfo", self.name).stdout)
        self.assertEqual(info["Id"], domid)
        self.assertEqual(info["UUID"], uuid)
        self.assertEqual(info["State"], "running")
        self.assertTrue(self.domstate().startswith("running"))
        self.assertEqual(self.status_pid(), pid)

        # The re-attached guest is fully controllable.
        self.virsh("suspend", self.name)
        self.assertEqual(self.domstate(), "paused (user)")
        self.virsh("resume", self.name)
        self.virsh("destroy", self.name)
        wait_for(lambda: not pid_alive(pid), 10, what=f"QEMU {pid} to exit")
        self.assertEqual(self.domstate(), "shut off (destroyed)")

    def test_shutdown_timeout_bounds_the_wait(self):
        """A guest that ignores the power button (no ACPI) holds the
        stopping daemon for shutdown_timeout seconds, then keeps running."""
        with open(self.d.conf, "w") as f:
            f.write("shutdown_timeout = 2\n")
        self.d.stop()
        self.d.start()
        self.define()
        self.virsh("start", self.name)
        wait_console(self.console, count=1, timeout=60)
        pid = self.status_pid()
        self.virsh("shutdown", self.name)
        t0 = time.monotonic()
        self.d.stop(signal.SIGTERM, timeout=30)
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 1.9)
        self.assertLess(took, 10)
        self.assertTrue(pid_alive(pid), "QEMU died with the daemon")
        self.d.start()
        self.assertTrue(self.domstate().startswith("running"))
        self.assertEqual(self.status_pid(), pid)


if __name__ == "__main__":
    cvgtest.main()
