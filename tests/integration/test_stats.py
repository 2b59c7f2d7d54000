#!/usr/bin/python3
"""Domain statistics (CONNECT_GET_ALL_DOMAIN_STATS) through the real
`virsh domstats` and python3-libvirt's getAllDomainStats() and
domainListGetStats().

One daemon for the module: a running guest (statsvm) and a defined, shut off
one (offvm).  Run with /usr/bin/python3 under the integration lock.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvgtest  # noqa: E402
from cvgtest import Daemon, guest_xml, wait_for  # noqa: E402

import libvirt  # noqa: E402

libvirt.registerErrorHandler(lambda ctx, err: None, None)
L = libvirt

RUNNING_KEYS = {
    "state.state", "state.reason",
    "cpu.time", "cpu.user", "cpu.system",
    "balloon.current", "balloon.maximum",
    "vcpu.current", "vcpu.maximum", "vcpu.0.state", "vcpu.0.time",
    "net.count", "block.count",
}


def parse_domstats(out):
    """virsh domstats output as {domain: {field: value string}}."""
    doms, cur = {}, None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Domain: "):
            cur = doms.setdefault(line.split("'")[1], {})
        elif "=" in line and cur is not None:
            k, v = line.split("=", 1)
            cur[k] = v
    return doms


class StatsBase(unittest.TestCase):
    d = None

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("stats", readonly_socket=True)
        try:
            cls.conn = libvirt.open(cls.d.uri)
            console = os.path.join(cls.d.dir, "console.log")
            cls.conn.defineXML(guest_xml("offvm", console + ".off"))
            cls.dom = cls.conn.defineXML(guest_xml("statsvm", console))
            cls.dom.create()
        except Exception:
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.dom.destroy()
        except (libvirt.libvirtError, AttributeError):
            pass
        try:
            cls.conn.close()
        except (libvirt.libvirtError, AttributeError):
            pass
        cls.d.cleanup()

    def domstats(self, *args, uri=None):
        return parse_domstats(self.d.virsh("domstats", *args, uri=uri).stdout)


class TestVirshDomstats(StatsBase):

    def test_running_groups(self):
        st = self.domstats("statsvm")["statsvm"]
        self.assertEqual(set(st), RUNNING_KEYS)
        self.assertEqual(st["state.state"], "1")        # RUNNING
        # BOOTED, or UNPAUSED after test_paused
        self.assertIn(st["state.reason"], ("1", "5"))
        self.assertEqual(st["balloon.current"], "131072")
        self.assertEqual(st["balloon.maximum"], "131072")
        self.assertEqual(st["vcpu.current"], "1")
        self.assertEqual(st["vcpu.maximum"], "1")
        self.assertEqual(st["vcpu.0.state"], "1")       # VIR_VCPU_RUNNING
        self.assertEqual(st["net.count"], "0")
        self.assertEqual(st["block.count"], "0")
        t0 = int(st["cpu.time"])
        self.assertEqual(t0, int(st["cpu.user"]) + int(st["cpu.system"]))
        self.assertLessEqual(int(st["vcpu.0.time"]), t0)

        def grew():
            t = int(self.domstats("statsvm")["statsvm"]["cpu.time"])
            return t > t0 and t
        t1 = wait_for(grew, 30, interval=0.5, what="cpu.time to grow")
        # TCG on two cores cannot use more than a few CPU seconds a second.
        self.assertLess(t1 - t0, 120 * 10**9)

    def test_all_domains_and_filters(self):
        every = self.domstats()
        self.assertEqual(set(every), {"statsvm", "offvm"})
        # An inactive domain has the state group only.
        self.assertEqual(every["offvm"], {"state.state": "5",
                                          "state.reason": "0"})
        self.assertEqual(set(every["statsvm"]), RUNNING_KEYS)
        cases = {
            "--list-running": {"statsvm"}, "--list-active": {"statsvm"},
            "--list-shutoff": {"offvm"}, "--list-inactive": {"offvm"},
            "--list-persistent": {"statsvm", "offvm"},
            "--list-transient": set(), "--list-paused": set(),
            "--list-other": set(),
        }
        for flag, want in cases.items():
            with self.subTest(flag=flag):
                self.assertEqual(set(self.domstats(flag)), want)

    def test_state_only(self):
        st = self.domstats("--state", "statsvm")["statsvm"]
        self.assertEqual(set(st), {"state.state", "state.reason"})
        self.assertEqual(st["state.state"], "1")
        st = self.domstats("--vcpu", "--balloon", "statsvm")["statsvm"]
        self.assertEqual({k.split(".")[0] for k in st}, {"vcpu", "balloon"})

    def test_enforce(self):
        p = self.d.virsh("domstats", "--perf", "--enforce", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("argument unsupported", p.stderr)
        # Without --enforce an unknown group is ignored.
        st = self.domstats("--perf", "--state", "statsvm")["statsvm"]
        self.assertEqual(set(st), {"state.state", "state.reason"})
        self.assertIn("statsvm", self.domstats("--state", "--enforce"))

    def test_readonly(self):
        st = self.domstats("--cpu-total", "statsvm", uri=self.d.ro_uri)
        self.assertEqual(set(st["statsvm"]),
                         {"cpu.time", "cpu.user", "cpu.system"})

    def test_paused(self):
        self.dom.suspend()
        try:
            self.assertEqual(set(self.domstats("--list-paused")), {"statsvm"})
            st = self.domstats("--state", "statsvm")["statsvm"]
            self.assertEqual(st["state.state"], "3")    # PAUSED
            self.assertEqual(st["state.reason"], "1")   # USER
        finally:
            self.dom.resume()


class TestPythonStats(StatsBase):

    def test_get_all_domain_stats(self):
        recs = {d.name(): st for d, st in self.conn.getAllDomainStats()}
        self.assertEqual(set(recs), {"statsvm", "offvm"})
        st = recs["statsvm"]
        self.assertEqual(set(st), RUNNING_KEYS)
        self.assertEqual(st["state.state"], L.VIR_DOMAIN_RUNNING)
        self.assertEqual(st["balloon.maximum"], 131072)
        self.assertGreater(st["cpu.time"], 0)
        self.assertEqual(recs["offvm"], {"state.state": L.VIR_DOMAIN_SHUTOFF,
                                         "state.reason": 0})

        recs = self.conn.getAllDomainStats(
            L.VIR_DOMAIN_STATS_STATE | L.VIR_DOMAIN_STATS_VCPU,
            L.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING)
        self.assertEqual([d.name() for d, _ in recs], ["statsvm"])
        self.assertEqual(recs[0][1]["vcpu.current"], 1)
        self.assertNotIn("cpu.time", recs[0][1])

        recs = self.conn.getAllDomainStats(
            0, L.VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE |
            L.VIR_CONNECT_GET_ALL_DOMAINS_STATS_PERSISTENT)
        self.assertEqual([d.name() for d, _ in recs], ["offvm"])

    def test_domain_list_get_stats(self):
        off = self.conn.lookupByName("offvm")
        recs = self.conn.domainListGetStats([self.dom, off],
                                            L.VIR_DOMAIN_STATS_CPU_TOTAL)
        self.assertEqual([d.name() for d, _ in recs], ["statsvm", "offvm"])
        self.assertEqual(set(recs[0][1]), {"cpu.time", "cpu.user",
                                           "cpu.system"})
        self.assertEqual(recs[1][1], {})
        recs = self.conn.domainListGetStats(
            [self.dom, off], 0, L.VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF)
        self.assertEqual([d.name() for d, _ in recs], ["offvm"])
        recs = self.conn.domainListGetStats(
            [self.dom], 0, L.VIR_CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF)
        self.assertEqual(recs, [])

    def test_errors(self):
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.getAllDomainStats(
                L.VIR_DOMAIN_STATS_PERF,
                L.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)
        self.assertEqual(cm.exception.get_error_code(),
                         L.VIR_ERR_ARGUMENT_UNSUPPORTED)
        with self.assertRaises(libvirt.libvirtError) as cm:
            self.conn.getAllDomainStats(0, 1 << 20)
        self.assertEqual(cm.exception.get_error_code(), L.VIR_ERR_INVALID_ARG)
        # Bits of groups convergd does not know, without ENFORCE: ignored.
        recs = self.conn.getAllDomainStats(
            L.VIR_DOMAIN_STATS_STATE | L.VIR_DOMAIN_STATS_PERF |
            L.VIR_DOMAIN_STATS_IOTHREAD | (1 << 20))
        self.assertTrue(all(set(st) == {"state.state", "state.reason"}
                            for _, st in recs))

    def test_cpu_time_grows_between_calls(self):
        def cpu():
            return self.conn.domainListGetStats(
                [self.dom], L.VIR_DOMAIN_STATS_CPU_TOTAL)[0][1]["cpu.time"]
        t0 = cpu()
        time.sleep(1.0)
        wait_for(lambda: cpu() > t0, 30, interval=0.5, what="cpu.time growth")


if __name__ == "__main__":
    cvgtest.main()
