#!/usr/bin/env python3
"""Unit tests of the result parser in guest.py: a runner that cannot see a
failure would make every test pass."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest  # noqa: E402

KUNIT = """COLOC-KUNIT-BEGIN coloc_hook
KTAP version 1
    # Subtest: coloc_hook
    1..2
    ok 1 coloc_hook_inactive_test
    not ok 2 coloc_hook_busy_test
not ok 1 coloc_hook
COLOC-KUNIT-END coloc_hook
"""

SELFTEST = """COLOC-TEST-BEGIN coloc/test_core
TAP version 13
1..3
#  RUN           core.a ...
ok 1 core.a
not ok 2 core.b
ok 3 core.c # SKIP no memory controller
COLOC-TEST-END coloc/test_core rc=1
"""


class ParseResults(unittest.TestCase):
    def test_counts_leaf_cases(self):
        tests, problems = guest.parse_results(KUNIT + SELFTEST + "COLOC-DONE\n")
        self.assertEqual(problems, [])
        self.assertEqual(tests, [
            ("kunit/coloc_hook/coloc_hook_inactive_test", "pass"),
            ("kunit/coloc_hook/coloc_hook_busy_test", "fail"),
            ("coloc/test_core/core.a", "pass"),
            ("coloc/test_core/core.b", "fail"),
            ("coloc/test_core/core.c", "skip"),
        ])

    def test_missing_done_is_a_problem(self):
        _, problems = guest.parse_results(KUNIT)
        self.assertIn("the guest did not finish its test run", problems)

    def test_cut_off_report(self):
        _, problems = guest.parse_results("COLOC-TEST-BEGIN coloc/x\nok 1 a\n")
        self.assertTrue(any("cut off" in p for p in problems))

    def test_crash_after_passing_tests(self):
        text = "COLOC-TEST-BEGIN coloc/x\nok 1 a\nCOLOC-TEST-END coloc/x rc=137\nCOLOC-DONE\n"
        _, problems = guest.parse_results(text)
        self.assertTrue(any("exit code 137" in p for p in problems))

    def test_strays_are_a_problem(self):
        text = SELFTEST + "COLOC-STRAYS coloc/test_core 2 spin spin\nCOLOC-DONE\n"
        _, problems = guest.parse_results(text)
        self.assertIn("coloc/test_core: left 2 processes running; killed (spin spin)", problems)

    def test_binary_without_results(self):
        text = "COLOC-TEST-BEGIN coloc/x\nCOLOC-TEST-END coloc/x rc=0\nCOLOC-DONE\n"
        _, problems = guest.parse_results(text)
        self.assertTrue(any("no test results" in p for p in problems))


    def test_nested_begin_is_cut_off(self):
        text = "COLOC-TEST-BEGIN coloc/x\nok 1 a\nCOLOC-TEST-BEGIN coloc/y\nok 1 b\n" \
               "COLOC-TEST-END coloc/y rc=0\nCOLOC-DONE\n"
        _, problems = guest.parse_results(text)
        self.assertTrue(any(p.startswith("coloc/x") for p in problems))

    def test_empty_kunit_suite(self):
        text = "COLOC-KUNIT-BEGIN s\nKTAP version 1\nCOLOC-KUNIT-END s\nCOLOC-DONE\n"
        _, problems = guest.parse_results(text)
        self.assertIn("kunit/s: no results", problems)

    def test_taint(self):
        _, ok = guest.parse_results("COLOC-TAINT 12288\nCOLOC-DONE\n")
        self.assertEqual(ok, [])
        _, bad = guest.parse_results("COLOC-TAINT 12800\nCOLOC-DONE\n")
        self.assertTrue(any("tainted" in p for p in bad))

    def test_kmemleak_report(self):
        text = "COLOC-KMEMLEAK-BEGIN\nunreferenced object 0xffff (size 64):\n" \
               "COLOC-KMEMLEAK-END\nCOLOC-DONE\n"
        _, problems = guest.parse_results(text)
        self.assertTrue(any(p.startswith("kmemleak") for p in problems))
        _, clean = guest.parse_results("COLOC-KMEMLEAK-BEGIN\nCOLOC-KMEMLEAK-END\nCOLOC-DONE\n")
        self.assertEqual(clean, [])

    def test_missing_expected(self):
        tests = [("kunit/coloc_hook/a", "pass"), ("coloc/test_core/core.a", "pass")]
        self.assertEqual(guest.missing(tests, ["kunit/coloc_hook", "coloc/test_core"]), [])
        self.assertEqual(len(guest.missing(tests, ["coloc/test_hooks"])), 1)


class Splats(unittest.TestCase):
    def test_detects_each_kind(self):
        console = "\n".join([
            "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "[    1.1] WARNING: CPU: 1 PID: 77 at kernel/coloc/core.c:40 coloc_hook_register+0x1/0x2",
            "[    1.2] Oops: 0002 [#1] PREEMPT SMP",
            "[    1.3] BUG: KASAN: use-after-free in foo+0x10/0x20",
            "[    1.4] WARNING: possible circular locking dependency detected",
            "[    1.5] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
            "[    1.6] INFO: task insmod:99 blocked for more than 120 seconds.",
            "[    1.7] Kernel panic - not syncing: Fatal exception",
        ])
        self.assertEqual(len(guest.find_splats(console)), 8)

    def test_quiet_console(self):
        console = "[    0.1] Linux version 6.12.117\n[    1.2] rcu: \tRCU lockdep checking is enabled.\n" \
                  "[    1.8] coloc-guest: power off\n"
        self.assertEqual(guest.find_splats(console), [])


class Cpus(unittest.TestCase):
    def test_all_up(self):
        console = "[0.0] Linux version 6.12\n[0.6] smp: Brought up 1 node, 4 CPUs\n"
        self.assertEqual(guest.cpu_problems(console, "4,sockets=1,cores=2,threads=2"), [])

    def test_missing_cpus(self):
        console = "[0.0] Linux version 6.12\n[0.3] smp: Brought up 1 node, 1 CPU\n"
        self.assertEqual(guest.cpu_problems(console, "4,sockets=1,cores=2,threads=2"),
                         ["the guest brought up 1 CPUs of 4"])

    def test_no_boot_is_reported_elsewhere(self):
        self.assertEqual(guest.cpu_problems("", "4"), [])


class HostResults(unittest.TestCase):
    def test_parse(self):
        text = "ok checkpatch/0001.patch\nnot ok rustfmt/kernel\n# Diff in x.rs\n"
        self.assertEqual(guest.host_results(text), [
            ("host/checkpatch/0001.patch", "pass"),
            ("host/rustfmt/kernel", "fail"),
        ])


if __name__ == "__main__":
    unittest.main()
