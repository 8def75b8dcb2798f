#!/usr/bin/env python3
"""Unit tests of the result parser in guest.py (a runner that cannot see a
failure would make every test pass) and of the benchmark summary in
bench.py (a wrong ratio would be reported as a result)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
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
        tests, problems, _ = guest.parse_results(KUNIT + SELFTEST + "COLOC-DONE\n")
        self.assertEqual(problems, [])
        self.assertEqual(tests, [
            ("kunit/coloc_hook/coloc_hook_inactive_test", "pass"),
            ("kunit/coloc_hook/coloc_hook_busy_test", "fail"),
            ("coloc/test_core/core.a", "pass"),
            ("coloc/test_core/core.b", "fail"),
            ("coloc/test_core/core.c", "skip"),
        ])

    def test_failed_cases_say_why(self):
        text = SELFTEST.replace("#  RUN           core.a ...\n",
                                "#  RUN           core.a ...\n# a: fine\n").replace(
            "not ok 2 core.b\n", "#  RUN           core.b ...\n# b: 3 of 4\nnot ok 2 core.b\n")
        _, _, printed = guest.parse_results(text + "COLOC-DONE\n")
        self.assertEqual(printed, [("coloc/test_core/core.b", ["# b: 3 of 4"])])

    def test_missing_done_is_a_problem(self):
        _, problems, _ = guest.parse_results(KUNIT)
        self.assertIn("the guest did not finish its test run", problems)

    def test_cut_off_report(self):
        _, problems, _ = guest.parse_results("COLOC-TEST-BEGIN coloc/x\nok 1 a\n")
        self.assertTrue(any("cut off" in p for p in problems))

    def test_crash_after_passing_tests(self):
        text = "COLOC-TEST-BEGIN coloc/x\nok 1 a\nCOLOC-TEST-END coloc/x rc=137\nCOLOC-DONE\n"
        _, problems, _ = guest.parse_results(text)
        self.assertTrue(any("exit code 137" in p for p in problems))

    def test_strays_are_a_problem(self):
        text = SELFTEST + "COLOC-STRAYS coloc/test_core 2 spin spin\nCOLOC-DONE\n"
        _, problems, _ = guest.parse_results(text)
        self.assertIn("coloc/test_core: left 2 processes running; killed (spin spin)", problems)

    def test_binary_without_results(self):
        text = "COLOC-TEST-BEGIN coloc/x\nCOLOC-TEST-END coloc/x rc=0\nCOLOC-DONE\n"
        _, problems, _ = guest.parse_results(text)
        self.assertTrue(any("no test results" in p for p in problems))


    def test_nested_begin_is_cut_off(self):
        text = "COLOC-TEST-BEGIN coloc/x\nok 1 a\nCOLOC-TEST-BEGIN coloc/y\nok 1 b\n" \
               "COLOC-TEST-END coloc/y rc=0\nCOLOC-DONE\n"
        _, problems, _ = guest.parse_results(text)
        self.assertTrue(any(p.startswith("coloc/x") for p in problems))

    def test_empty_kunit_suite(self):
        text = "COLOC-KUNIT-BEGIN s\nKTAP version 1\nCOLOC-KUNIT-END s\nCOLOC-DONE\n"
        _, problems, _ = guest.parse_results(text)
        self.assertIn("kunit/s: no results", problems)

    def test_taint(self):
        _, ok, _ = guest.parse_results("COLOC-TAINT 12288\nCOLOC-DONE\n")
        self.assertEqual(ok, [])
        _, bad, _ = guest.parse_results("COLOC-TAINT 12800\nCOLOC-DONE\n")
        self.assertTrue(any("tainted" in p for p in bad))

    def test_kmemleak_report(self):
        text = "COLOC-KMEMLEAK-BEGIN\nunreferenced object 0xffff (size 64):\n" \
               "COLOC-KMEMLEAK-END\nCOLOC-DONE\n"
        _, problems, _ = guest.parse_results(text)
        self.assertTrue(any(p.startswith("kmemleak") for p in problems))
        _, clean, _ = guest.parse_results("COLOC-KMEMLEAK-BEGIN\nCOLOC-KMEMLEAK-END\nCOLOC-DONE\n")
        self.assertEqual(clean, [])

    LEAK = ["unreferenced object 0xffff8880075b9680 (size 96):",
            '  comm "test_hooks", pid 634, jiffies 4294820122',
            "  backtrace (crc 89cdff70):",
            "    krealloc_noprof+0x63/0x100",
            "    0xffffffffa003251e",
            "    do_init_module+0x1f6/0x500"]

    def kmemleak(self, objects, fixture_leaked):
        text = "COLOC-KMEMLEAK-BEGIN\n" + "\n".join(l for o in objects for l in o) + \
               "\nCOLOC-KMEMLEAK-END\nCOLOC-DONE\n"
        return guest.parse_results(text, fixture_leaked)[1]

    def test_kmemleak_fixture_leaks_only(self):
        self.assertEqual(self.kmemleak([self.LEAK, self.LEAK], True), [])
        # Not without the fixture's own report on the console.
        self.assertEqual(len(self.kmemleak([self.LEAK], False)), 1)

    def test_kmemleak_other_leaks_still_fail(self):
        other_comm = [l.replace("test_hooks", "test_core") for l in self.LEAK]
        not_init = [l for l in self.LEAK if "do_init_module" not in l]
        loaded = [l.replace("0xffffffffa003251e", "coloc_init+0x11/0x20 [coloc_leak]")
                  for l in self.LEAK]
        for obj in (other_comm, not_init, loaded):
            problems = self.kmemleak([self.LEAK, obj], True)
            self.assertEqual(len(problems), 1)
            self.assertIn("1 objects", problems[0])

    def test_missing_expected(self):
        tests = [("kunit/coloc_hook/a", "pass"), ("coloc/test_core/core.a", "pass")]
        self.assertEqual(guest.missing(tests, ["kunit/coloc_hook", "coloc/test_core"]), [])
        self.assertEqual(len(guest.missing(tests, ["coloc/test_hooks"])), 1)


class Command(unittest.TestCase):
    def args(self, tests):
        return guest.argparse.Namespace(test_timeout=60, shell=False, append="", tests=tests,
                                        kernel="k", initrd="i", memory="2G", smp="4",
                                        kvm=False)

    def test_selected_tests_reach_the_guest(self):
        cmd = guest.qemu_cmd(self.args(["coloc/test_core", "coloc/test_hooks"]), "check",
                             "null", "null")
        self.assertIn("coloc.tests=coloc/test_core,coloc/test_hooks", cmd[cmd.index("-append") + 1])

    def test_all_tests_by_default(self):
        cmd = guest.qemu_cmd(self.args(None), "check", "null", "null")
        self.assertNotIn("coloc.tests", cmd[cmd.index("-append") + 1])


class Splats(unittest.TestCase):
    def test_detects_each_kind(self):
        console = "\n".join([
            "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000",
            "[    1.1] WARNING: CPU: 1 PID: 77 at kernel/coloc/core.c:40 coloc_hook_register+0x1/0x2",
            "[    1.2] Oops: 0002 [#1] PREEMPT SMP",
            "[    1.3] BUG: KASAN: use-after-free in foo+0x10/0x20",
            "[    1.4] WARNING: possible circular locking dependency detected",
            "[    1.6] INFO: task insmod:99 blocked for more than 120 seconds.",
            "[    1.7] Kernel panic - not syncing: Fatal exception",
        ])
        self.assertEqual(len(guest.find_splats(console)), 7)

    def test_detects_lockdep_reports_without_a_known_header(self):
        for line in ["WARNING: possible irq lock inversion dependency detected",
                     "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
                     "WARNING: SOFTIRQ-READ-safe -> SOFTIRQ-READ-unsafe lock order detected",
                     "WARNING: held lock freed!",
                     "WARNING: lock held when returning to user space!",
                     "WARNING: Nested lock was not taken",
                     "turning off the locking correctness validator."]:
            self.assertEqual(len(guest.find_splats("[    2.0] " + line + "\n")), 1, line)

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

    def test_checks_with_a_label_count(self):
        # check-series.sh names the source after the check.
        text = "ok series/git-am linux-source-6.12.tar.xz\n" \
               "not ok series/quilt linux-source-6.12.tar.xz\n# Hunk #1 FAILED\n"
        self.assertEqual(guest.host_results(text), [
            ("host/series/git-am linux-source-6.12.tar.xz", "pass"),
            ("host/series/quilt linux-source-6.12.tar.xz", "fail"),
        ])

    def test_skips_are_skips(self):
        text = "ok deb/check # SKIP no chroot\nnot ok dist/tarball # skip no xz\n"
        self.assertEqual(guest.host_results(text), [
            ("host/deb/check", "skip"),
            ("host/dist/tarball", "skip"),
        ])


class Closing(unittest.TestCase):
    def test_skips_counted_apart(self):
        tests = [("a", "pass"), ("b", "skip"), ("c", "fail"), ("d", "pass")]
        self.assertEqual(guest.closing_line(tests, ["p"]), "2 passed, 2 failed, 1 skipped")

    def test_no_skips(self):
        self.assertEqual(guest.closing_line([("a", "pass")], []), "1 passed, 0 failed")


class DebugLocks(unittest.TestCase):
    def test_lockdep_turned_off_is_a_problem(self):
        _, problems, _ = guest.parse_results("COLOC-DEBUG-LOCKS 0\nCOLOC-DONE\n")
        self.assertTrue(any("debug_locks" in p for p in problems))

    def test_lockdep_still_on(self):
        _, problems, _ = guest.parse_results("COLOC-DEBUG-LOCKS 1\nCOLOC-DONE\n")
        self.assertEqual(problems, [])


def run(scen, mode, rep, p99, chunks=100, seconds=None, dist=None):
    r = {"scenario": scen, "mode": mode, "rep": rep, "exit": 0, "online_oom_kills": 0,
         "offline_work": 0, "online": {"chunks": chunks, "p50_us": p99 / 2, "p99_us": p99}}
    if seconds is not None:
        r["seconds"] = seconds
    if dist is not None:
        r["online"]["dist"] = dist
    return r


class BenchSummary(unittest.TestCase):
    def test_medians_and_ratios(self):
        runs = [run("io", "alone", i, p) for i, p in enumerate([100, 300, 200])]
        runs += [run("io", "coloc", i, p) for i, p in enumerate([250, 260, 900])]
        io = bench.summarize(runs)["io"]
        self.assertEqual(io["alone"]["p99_us"], 200)
        self.assertEqual(io["coloc"]["p99_us"], 260)
        self.assertEqual(io["coloc"]["p99_us_range"], [250, 900])
        self.assertAlmostEqual(io["coloc"]["p99_ratio"], 1.3)
        self.assertIsNone(io["coloc"]["ops_per_s"])

    def test_ops_against_alone_and_unpatched(self):
        runs = [run("overhead_io", "unpatched", 1, 7, chunks=1000, seconds=10),
                run("overhead_io", "alone", 1, 7, chunks=990, seconds=10),
                run("overhead_io", "coloc", 1, 8, chunks=900, seconds=10)]
        rows = bench.summarize(runs)["overhead_io"]
        self.assertEqual(rows["coloc"]["ops_per_s"], 90)
        self.assertAlmostEqual(rows["coloc"]["ops_ratio"], 900 / 990)
        self.assertAlmostEqual(rows["coloc"]["ops_vs_unpatched"], 0.9)
        self.assertAlmostEqual(rows["alone"]["ops_vs_unpatched"], 0.99)

    def test_offline_kept_against_batch(self):
        runs = [run("io", "batch", 1, 0, chunks=0), run("io", "coloc", 1, 9)]
        runs[0]["offline_work"], runs[1]["offline_work"] = 400, 300
        rows = bench.summarize(runs)["io"]
        self.assertAlmostEqual(rows["coloc"]["offline_kept"], 0.75)
        self.assertIsNone(rows["batch"]["offline_kept"])

    def test_a_killed_run_has_no_percentiles(self):
        runs = [run("memory", "alone", 1, 100), run("memory", "stock", 1, 0, chunks=0)]
        rows = bench.summarize(runs)["memory"]
        self.assertIsNone(rows["stock"]["p99_us"])
        self.assertIsNone(rows["stock"]["p99_ratio"])

    def test_distribution_plot_uses_the_median_run(self):
        dist = lambda top: [[0, 10], [50, 20], [99, top], [100, top * 2]]  # noqa: E731
        runs = [run("io", "alone", i, p, dist=dist(p)) for i, p in enumerate([100, 5000, 300])]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "latency_io.svg")
            self.assertTrue(bench.dist_svg("io", runs, path))
            svg = open(path).read()
        # The median run's p99 (300 us) is plotted, the outlier's is not:
        # y = top + ph - ph * (log10(us) - lo) / (hi - lo), lo 1, hi 3.
        y300 = 30 + 260 - 260 * (bench.math.log10(300) - 1) / 2
        self.assertIn(f",{y300:.1f}", svg)
        self.assertNotIn("5000", svg)
        self.assertIn(">alone<", svg)

    def test_pooled_percentiles_merge_the_histograms(self):
        # Two runs of 100 samples: 98 at 10 us and 2 at 500 us, then 100 at 20 us.
        # Pooled, the 99th percentile is the 198th sample of 200: 20 us; each
        # run's own p99 is 500 and 20.
        runs = [run("cpu", "alone", 1, 500), run("cpu", "alone", 2, 20)]
        runs[0]["online"]["hist"] = [[10, 98], [500, 2]]
        runs[1]["online"]["hist"] = [[20, 100]]
        self.assertEqual(bench.pooled_pct(runs, (0, 50, 99, 99.5, 100)), [10, 20, 20, 500, 500])
        rows = bench.summarize(runs)["cpu"]
        self.assertEqual(rows["alone"]["pooled_p99_us"], 20)
        self.assertEqual(rows["alone"]["pooled_p50_us"], 20)
        del runs[1]["online"]["hist"]
        self.assertIsNone(bench.pooled_pct(runs, (99,)))

    def test_paired_ratio_against_alone_of_the_same_repetition(self):
        runs = [run("cpu", "alone", 1, 100), run("cpu", "alone", 2, 400),
                run("cpu", "coloc", 1, 110), run("cpu", "coloc", 2, 420),
                run("cpu", "coloc", 3, 999)]
        rows = bench.summarize(runs)["cpu"]
        # Repetition 3 has no run alone: it is left out.
        self.assertAlmostEqual(rows["coloc"]["p99_paired_ratio"], (1.1 + 1.05) / 2)
        self.assertEqual(rows["coloc"]["p99_paired_ratio_range"], [1.05, 1.1])
        self.assertEqual(rows["alone"]["p99_paired_ratio"], 1.0)

    def test_no_pair_across_boots(self):
        runs = [run("overhead_io", "alone", 1, 100), run("overhead_io", "unpatched", 1, 90)]
        runs[0]["boot"], runs[1]["boot"] = "build/bench", "build/bench/unpatched"
        rows = bench.summarize(runs)["overhead_io"]
        self.assertIsNone(rows["unpatched"]["p99_paired_ratio"])

    def test_no_pair_across_invocations(self):
        # Two invocations into the same folder, summarized together: the
        # same folder and repetition, but two boots.
        runs = [run("cpu", "alone", 1, 100), run("cpu", "coloc", 1, 300),
                run("cpu", "alone", 1, 200), run("cpu", "coloc", 1, 220)]
        for r, boot in zip(runs, ("a", "a", "b", "b")):
            r["boot"], r["boot_id"] = "build/bench", boot
        rows = bench.summarize(runs)["cpu"]
        self.assertEqual(sorted(bench.paired_ratios(runs[1::2], runs[0::2])), [1.1, 3.0])
        self.assertEqual(rows["coloc"]["p99_paired_ratio_range"], [1.1, 3.0])

    def test_no_distribution_no_plot(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertFalse(bench.dist_svg("overhead_io", [run("overhead_io", "alone", 1, 7)],
                                            os.path.join(d, "x.svg")))


def bench_boot(*rows, plans=(("cpu", ["alone", "coloc"], 2),), done=True, script="cpu"):
    """A results log: the script's marker, its plans, @rows as (scenario,
    mode, rep[, setup errors]), then COLOC-DONE if @done."""
    lines = [f"BENCH-SCRIPT {script}"]
    lines += ["BENCH-PLAN " + json.dumps({"scenario": s, "modes": m, "reps": n})
              for s, m, n in plans]
    for r in rows:
        lines.append("BENCH " + json.dumps({"scenario": r[0], "mode": r[1], "rep": r[2],
                                            "setup_errors": r[3] if len(r) > 3 else [],
                                            "online": {}}))
    if done:
        lines.append("COLOC-DONE")
    return "\n".join(lines) + "\n"


BOOTED = "smp: Brought up 1 node, 2 CPUs\n"
FULL = [("cpu", m, r) for r in (1, 2) for m in ("alone", "coloc")]


class BenchBoot(unittest.TestCase):
    def problems(self, results, console=BOOTED):
        return bench.boot_problems(results, console, "2,sockets=1,cores=1,threads=2")

    def test_complete_boot(self):
        self.assertEqual(self.problems(bench_boot(*FULL)), [])

    def test_no_end_marker(self):
        p = self.problems(bench_boot(*FULL, done=False))
        self.assertEqual(len(p), 1)
        self.assertIn("COLOC-DONE", p[0])

    def test_missing_duplicate_and_unplanned_rows(self):
        rows = FULL[:3] + [FULL[0], ("cpu", "stock", 1)]
        p = self.problems(bench_boot(*rows))
        self.assertIn("cpu coloc rep 2: reported 0 times, planned once", p)
        self.assertIn("cpu alone rep 1: reported 2 times, planned once", p)
        self.assertIn("cpu stock rep 1: reported, but not planned", p)
        self.assertEqual(len(p), 3)

    def test_setup_error_once(self):
        rows = FULL[:1] + [r + (["insmod coloc_cpu failed"],) for r in FULL[1:]]
        p = self.problems(bench_boot(*rows))
        self.assertEqual(p, ["setup error, from cpu coloc rep 1 on: insmod coloc_cpu failed"])

    def test_script_without_plan(self):
        results = bench_boot(*FULL).replace("COLOC-DONE", "BENCH-SCRIPT io\nCOLOC-DONE")
        self.assertEqual(self.problems(results), ["io planned no rows (it stopped early?)"])

    def test_unreadable_line(self):
        results = bench_boot(*FULL).replace("COLOC-DONE", "BENCH {\"scenario\": \nCOLOC-DONE")
        p = self.problems(results)
        self.assertEqual(len(p), 1)
        self.assertIn("unreadable BENCH line", p[0])

    def test_splat_and_cpus(self):
        console = "smp: Brought up 1 node, 1 CPU\nBUG: kernel NULL pointer dereference\n"
        p = self.problems(bench_boot(*FULL), console)
        self.assertEqual(len(p), 2)
        self.assertTrue(p[0].startswith("console: BUG"))
        self.assertIn("1 CPUs of 2", p[1])


LIB_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "lib.sh")


def lib_sh(script):
    """Runs @script after sourcing bench/lib.sh (as the scenarios do, in a
    layout given so that /proc/cmdline is not needed); returns stdout."""
    return subprocess.run(["sh", "-c", f"BENCH_LAYOUT=flat; . {LIB_SH}; {script}"],
                          capture_output=True, text=True, check=True).stdout


class BenchLib(unittest.TestCase):
    def test_knob_records_what_reads_back(self):
        with tempfile.TemporaryDirectory() as d:
            out = lib_sh(f"knob {d}/prio 12; knob {d}/io '8:16 class=online target=5'; "
                         "reps=1; report s m 1 '{}' 0")
        row = json.loads(out.split(" ", 1)[1])
        self.assertEqual(row["setup_errors"], [])
        self.assertEqual(row["knobs"], {f"{d}/prio": "12", f"{d}/io": "8:16 class=online target=5"})
        self.assertTrue(row["boot_id"])

    def test_knob_errors(self):
        with tempfile.TemporaryDirectory() as d:
            # /dev/null takes the write and reads back nothing; the second
            # file's folder does not exist.
            out = lib_sh(f"knob /dev/null 12; knob {d}/none/x 1; report s m 1 '{{}}' 0")
        row = json.loads(out.split(" ", 1)[1])
        self.assertEqual(row["setup_errors"], ["/dev/null: wrote '12', reads ''",
                                               f"{d}/none/x: writing '1' failed"])

    def test_unload_clears_knobs(self):
        with tempfile.TemporaryDirectory() as d:
            out = lib_sh(f"knob {d}/a 1; unload coloc_none; report s m 1 '{{}}' 0")
        row = json.loads(out.split(" ", 1)[1])
        self.assertEqual(row["knobs"], {})
        self.assertEqual(row["setup_errors"], [])

    def test_plan(self):
        out = lib_sh("reps=3; plan cpu alone coloc")
        self.assertTrue(out.startswith("BENCH-PLAN "))
        self.assertEqual(json.loads(out.split(" ", 1)[1]),
                         {"scenario": "cpu", "reps": 3, "modes": ["alone", "coloc"]})

    def test_rotate(self):
        out = lib_sh("for r in 1 2 3 4; do rotate $r a b c; done; rotate 2 x; rotate 5")
        self.assertEqual(out.splitlines(), ["a b c", "b c a", "c a b", "a b c", "x"])


class BenchProgress(unittest.TestCase):
    def test_a_line_being_written_is_not_read(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "results.log")
            with open(path, "w") as f:
                f.write('BENCH {"a": 1}\nother\nBENCH {"scenario": "cpu", "hist": [[1, ')
            self.assertEqual(bench.progress_lines(path), ['BENCH {"a": 1}\n'])
            self.assertEqual(bench.progress_lines(os.path.join(d, "none")), [])


class BenchLayout(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(bench.parse_layouts("node"), ["node"])
        self.assertEqual(bench.parse_layouts("flat"), ["flat"])
        self.assertEqual(bench.parse_layouts("flat,node"), ["flat", "node"])
        self.assertEqual(bench.parse_layouts("node, flat"), ["node", "flat"])

    def test_parse_refuses(self):
        for text in ("", "kubelet", "node,", "flat,flat", "Node"):
            with self.assertRaises(ValueError, msg=text):
                bench.parse_layouts(text)

    def test_layout_reaches_the_guest(self):
        args = bench.argparse.Namespace(seconds=2, reps=1, append="idle=poll", modes="alone,coloc")
        append = bench.guest_append(args, "cpu", None, "flat").split()
        self.assertIn("coloc.bench_layout=flat", append)
        self.assertIn("coloc.bench_modes=alone,coloc", append)
        self.assertEqual(append[0], "idle=poll")
        self.assertIn("coloc.bench_layout=node",
                      bench.guest_append(args, None, "cpu,mem", "node").split())

    def test_one_layout_keeps_the_folders(self):
        boots = [("a", "k", None, "cpu,mem", True, "build/bench"),
                 ("b", "k", "cpu", None, False, "build/bench/cpu")]
        got = bench.layout_boots(boots, ["node"], "build/bench")
        self.assertEqual(got, [("node", boots[0]), ("node", boots[1])])

    def test_each_layout_boots_into_its_folder(self):
        boots = [("a", "k", None, "cpu,mem", True, "build/bench"),
                 ("b", "k", "cpu", None, False, "build/bench/cpu"),
                 ("c", "u", "overhead", None, True, "build/bench/unpatched")]
        got = bench.layout_boots(boots, ["flat", "node"], "build/bench")
        self.assertEqual([(l, b[5]) for l, b in got], [
            ("flat", "build/bench/flat"), ("flat", "build/bench/flat/cpu"),
            ("flat", "build/bench/flat/unpatched"),
            ("node", "build/bench/node"), ("node", "build/bench/node/cpu"),
            ("node", "build/bench/node/unpatched")])
        self.assertEqual(got[4][1][:5], boots[1][:5])

    def test_one_layout_keeps_the_scenario_names(self):
        runs = [run("cpu", "alone", 1, 100), run("cpu", "coloc", 1, 200)]
        for r in runs:
            r["layout"] = "node"
        self.assertEqual(list(bench.summarize(runs)), ["cpu"])

    def test_layouts_are_summarized_apart(self):
        runs = []
        for layout, boot, ps in (("flat", "b/flat", (100, 300)), ("node", "b/node", (100, 150))):
            for mode, p in zip(("alone", "coloc"), ps):
                r = run("cpu", mode, 1, p)
                r["layout"], r["boot"] = layout, boot
                runs.append(r)
        runs.append(run("io", "alone", 1, 100))
        runs[-1]["layout"] = "flat"
        table = bench.summarize(runs)
        # Each scenario's layouts side by side, the scenarios in the order they ran.
        self.assertEqual(list(table), ["cpu@flat", "cpu@node", "io@flat"])
        self.assertAlmostEqual(table["cpu@flat"]["coloc"]["p99_ratio"], 3)
        self.assertAlmostEqual(table["cpu@node"]["coloc"]["p99_ratio"], 1.5)
        self.assertAlmostEqual(table["cpu@node"]["coloc"]["p99_paired_ratio"], 1.5)

    def test_results_without_a_layout_were_flat(self):
        old = run("io", "alone", 1, 100)
        new = run("io", "alone", 1, 90)
        new["layout"] = "node"
        self.assertEqual(sorted(bench.summarize([old, new])), ["io@flat", "io@node"])
        self.assertEqual(list(bench.summarize([old])), ["io"])

    def test_report_plots_each_layout(self):
        dist = [[0, 10], [50, 20], [99, 30], [100, 40]]
        runs = [run("io", "alone", 1, 30, dist=dist), run("io", "alone", 1, 30, dist=dist)]
        runs[0]["layout"], runs[1]["layout"] = "flat", "node"
        with tempfile.TemporaryDirectory() as d:
            with open(os.devnull, "w") as null:
                saved, sys.stdout = sys.stdout, null
                try:
                    bench.report(runs, d)
                finally:
                    sys.stdout = saved
            self.assertTrue(os.path.exists(os.path.join(d, "latency_io@flat.svg")))
            self.assertTrue(os.path.exists(os.path.join(d, "latency_io@node.svg")))


if __name__ == "__main__":
    unittest.main()
