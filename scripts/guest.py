#!/usr/bin/env python3
"""Boot the coloc guest in QEMU and, in check mode, judge the run.

check: the guest runs every KUnit suite and selftest and reports on its
second serial port. A test passes if its KTAP/TAP line says ok (or SKIP);
the run fails on any failed test, a selftest binary that exits non-zero or
is killed, a missing report, a kernel splat on the console (BUG, WARNING,
Oops, KASAN, lockdep, kmemleak, panic), lockdep turning itself off, or a
timeout. The last line printed is 'N passed, N failed', then ', N skipped'
if any test was skipped.

run: the guest loads the modules and shows the knobs; with a terminal on
stdin it then gives a shell on the console.
"""
import argparse
import os
import re
import subprocess
import sys
import time

SPLATS = [
    (re.compile(r"\bBUG: "), "BUG"),
    (re.compile(r"WARNING: .*(CPU|at) "), "WARNING"),
    (re.compile(r"\bOops\b"), "Oops"),
    (re.compile(r"KASAN: "), "KASAN"),
    (re.compile(r"UBSAN: "), "UBSAN"),
    (re.compile(r"possible (circular|recursive) locking|inconsistent lock state|"
                r"INFO: trying to register non-static key|suspicious RCU usage|"
                r"bad unlock balance|DEBUG_LOCKS_WARN_ON|BUG: sleeping function called|"
                r"possible irq lock inversion|IRQ-(READ-)?safe -> \w*IRQ-(READ-)?unsafe|"
                r"held lock freed|lock held when returning to user space|"
                r"[Nn]ested lock was not taken|"
                r"turning off the locking correctness validator"), "lockdep"),
    (re.compile(r"Kernel panic"), "panic"),
    (re.compile(r"INFO: task .* blocked for more than"), "hung task"),
    (re.compile(r"rcu: INFO: .*stall"), "RCU stall"),
    (re.compile(r"general protection fault|unable to handle (page fault|kernel)"), "fault"),
    (re.compile(r"refcount_t: "), "refcount"),
]

TAP_RESULT = re.compile(r"^(\s*)(not ok|ok) (\d+) (.*?)(?:\s+#\s*(SKIP|skip)\b.*)?$")


def machine(kernel, initrd, memory, smp, append, console, results):
    """The QEMU command line of the coloc guest: the one machine every
    test and benchmark runs on, with the kernel console on the first serial
    port and reports on the second.

    no5lvl: -cpu max offers 5-level paging. While identify_cpu() rebuilds
    the boot CPU's feature bits, an interrupt sees LA57 off for a moment,
    and a KASAN kernel then takes the irq descriptor's direct-map address
    for a wild access (seen twice in debug runs, in handle_edge_irq, before
    any coloc code ran). Servers run 4-level paging; so does the guest."""
    return [
        "qemu-system-x86_64",
        "-machine", "q35", "-cpu", "max",
        "-m", memory,
        "-smp", smp,
        "-kernel", kernel, "-initrd", initrd,
        "-append", "console=ttyS0 panic=-1 no5lvl " + append,
        "-display", "none", "-no-reboot", "-monitor", "none",
        "-serial", console, "-serial", results,
    ]


def qemu_cmd(args, mode, console, results):
    append = f"coloc.mode={mode} coloc.timeout={args.test_timeout}"
    if mode == "check" and args.tests:
        append += " coloc.tests=" + ",".join(args.tests)
    if mode == "run" and not args.shell:
        append += " coloc.shell=0"
    if args.append:
        append += " " + args.append
    cmd = machine(args.kernel, args.initrd, args.memory, args.smp, append, console, results)
    if os.access("/dev/kvm", os.R_OK | os.W_OK) and args.kvm:
        cmd += ["-enable-kvm"]
    return cmd


# Taint flags a clean run may have: O (out-of-tree module), E (unsigned
# module), N (KUnit tests ran).
ALLOWED_TAINT = (1 << 12) | (1 << 13) | (1 << 18)


KMEMLEAK_BARE_FRAME = re.compile(r"^\s+0x[0-9a-f]+$")


def fixture_leak(obj):
    """Whether a kmemleak object (the lines of its report) is memory the
    coloc_leak fixture forgot on purpose: test_hooks allocated it while
    loading a module that is gone since (do_init_module() and a frame no
    symbol covers any more in its backtrace). Forgetting a registration
    leaks its memory, as any forgotten value does; the kernel's part, which
    test_hooks checks, is removing the registration."""
    return (any('comm "test_hooks"' in l for l in obj) and
            any(" do_init_module+" in l for l in obj) and
            any(KMEMLEAK_BARE_FRAME.match(l) for l in obj))


def kmemleak_problems(lines, fixture_leaked):
    """The problems in kmemleak's report @lines: every object, but those of
    the coloc_leak fixture when the console says it left registrations
    behind (@fixture_leaked)."""
    objs, other = [], [l for l in lines if l.strip()]
    for line in lines:
        if line.startswith("unreferenced object"):
            objs.append([line])
        elif objs:
            objs[-1].append(line)
    if not objs:
        return ["kmemleak: " + " | ".join(l.strip() for l in other[:6])] if other else []
    real = [o for o in objs if not (fixture_leaked and fixture_leak(o))]
    if not real:
        return []
    return [f"kmemleak: {len(real)} objects: " + " | ".join(l.strip() for l in real[0][:6])]


def parse_results(text, fixture_leaked=False):
    """Returns a list of (name, status) with status 'pass', 'fail' or 'skip',
    a list of problems that are not tied to one test, and what each failed
    selftest case printed, as (name, lines) (tap_cases()). @fixture_leaked:
    the console shows that coloc_leak left registrations behind, whose
    memory kmemleak then reports (fixture_leak())."""
    tests, problems, printed = [], [], []
    block, kind, lines = None, None, []
    seen_done = False
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        m = re.match(r"^COLOC-(KUNIT|TEST|KMEMLEAK)-BEGIN ?(\S*)$", line)
        if m:
            if block is not None:
                problems.append(f"{block}: report cut off")
            kind, block, lines = m.group(1), m.group(2) or "kmemleak", []
            continue
        m = re.match(r"^COLOC-KUNIT-END (\S+)$", line)
        if m and kind == "KUNIT":
            cases = kunit_cases(block, lines)
            if not cases:
                problems.append(f"kunit/{block}: no results")
            tests += cases
            block = kind = None
            continue
        if line == "COLOC-KMEMLEAK-END" and kind == "KMEMLEAK":
            problems += kmemleak_problems(lines, fixture_leaked)
            block = kind = None
            continue
        m = re.match(r"^COLOC-DEBUG-LOCKS (\d+)$", line)
        if m:
            if m.group(1) == "0":
                problems.append("lockdep turned itself off (debug_locks 0): "
                                "a report on the console says why")
            continue
        m = re.match(r"^COLOC-TAINT (\d+)$", line)
        if m:
            taint = int(m.group(1))
            if taint & ~ALLOWED_TAINT:
                problems.append(f"kernel tainted: {taint:#x} (bits beyond O, E and N)")
            continue
        m = re.match(r"^COLOC-TEST-END (\S+) rc=(\d+)$", line)
        if m and kind == "TEST":
            cases = tap_cases(block, lines)
            rc = int(m.group(2))
            if not cases:
                problems.append(f"{block}: no test results (exit code {rc})")
            elif rc != 0 and all(s != "fail" for _, s, _ in cases):
                problems.append(f"{block}: exit code {rc} though every test passed"
                                + (" (killed by the time limit)" if rc == 137 else ""))
            tests += [(name, status) for name, status, _ in cases]
            printed += [(name, out) for name, status, out in cases if status == "fail"]
            block = kind = None
            continue
        m = re.match(r"^COLOC-STRAYS (\S+) (\d+)(.*)$", line)
        if m:
            problems.append(f"{m.group(1)}: left {m.group(2)} processes running; killed"
                            + (f" ({m.group(3).strip()})" if m.group(3).strip() else ""))
            continue
        if line == "COLOC-DONE":
            seen_done = True
            continue
        if block is not None:
            lines.append(line)
    if block is not None:
        problems.append(f"{block}: report cut off")
    if not seen_done:
        problems.append("the guest did not finish its test run")
    return tests, problems, printed


def kunit_cases(suite, lines):
    """Leaf cases of a KUnit suite's KTAP: the indented result lines."""
    cases = []
    for line in lines:
        m = TAP_RESULT.match(line)
        if m and m.group(1):
            status = "skip" if m.group(5) else ("pass" if m.group(2) == "ok" else "fail")
            cases.append((f"kunit/{suite}/{m.group(4)}", status))
    if not cases:
        for line in lines:
            m = TAP_RESULT.match(line)
            if m:
                status = "skip" if m.group(5) else ("pass" if m.group(2) == "ok" else "fail")
                cases.append((f"kunit/{suite}", status))
    return cases


def tap_cases(binary, lines, limit=12):
    """Top-level results of a kselftest harness binary, as (name, status,
    printed): printed is the last @limit "# " lines since the case's RUN
    line, so that a run's tail can say why a case failed, not only that
    it did."""
    cases, since_run = [], []
    for line in lines:
        if line.startswith("#  RUN "):
            since_run = []
        elif line.startswith("#"):
            since_run.append(line)
        m = TAP_RESULT.match(line)
        if m and not m.group(1):
            status = "skip" if m.group(5) else ("pass" if m.group(2) == "ok" else "fail")
            cases.append((f"{binary}/{m.group(4)}", status, since_run[-limit:]))
            since_run = []
    return cases


def host_results(text):
    """Results of scripts/host-checks.sh, with the details of failures shown.
    A check's name may go on after a space ("ok series/git-am SOURCE");
    "# SKIP" ends it and makes the check a skip."""
    cases = []
    for line in text.splitlines():
        m = re.match(r"^(not ok|ok) (\S.*?)(?:\s+#\s*(SKIP|skip)\b.*)?\s*$", line)
        if m:
            status = "skip" if m.group(3) else ("pass" if m.group(1) == "ok" else "fail")
            cases.append((f"host/{m.group(2)}", status))
        elif line.startswith("#") and cases and cases[-1][1] == "fail":
            print(line)
    return cases


def closing_line(tests, problems):
    """'N passed, N failed' and, if any were, ', N skipped': a problem
    not tied to one test counts as a failure."""
    passed = sum(1 for _, s in tests if s == "pass")
    skipped = sum(1 for _, s in tests if s == "skip")
    failed = sum(1 for _, s in tests if s == "fail") + len(problems)
    return f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")


def missing(tests, expected):
    """Every expected KUnit suite (kunit/NAME) and selftest binary
    (SUITE/test_x) must have reported at least one case."""
    names = [name for name, _ in tests]
    return [f"{e}: expected but did not report" for e in expected
            if not any(n.startswith(e + "/") for n in names)]


def find_splats(console):
    found = []
    for line in console.splitlines():
        for rx, what in SPLATS:
            if rx.search(line):
                found.append(f"{what}: {line.strip()}")
                break
    return found


CPUS_UP = re.compile(r"smp: Brought up \d+ nodes?, (\d+) CPUs?")


def cpu_problems(console, smp):
    """A problem if the guest brought up fewer CPUs than -smp @smp gives it:
    the CPU tests and benchmarks would measure the wrong machine."""
    want = int(smp.split(",")[0])
    m = CPUS_UP.search(console)
    if m is None:
        return [] if "Linux version" not in console else ["the guest did not report its CPUs"]
    got = int(m.group(1))
    return [] if got == want else [f"the guest brought up {got} CPUs of {want}"]


def fresh_logs(folder):
    """The console and results logs of a boot in @folder, emptied."""
    os.makedirs(folder, exist_ok=True)
    logs = os.path.join(folder, "console.log"), os.path.join(folder, "results.log")
    for f in logs:
        if os.path.exists(f):
            os.unlink(f)
    return logs


def check(args):
    console_log, results_log = fresh_logs(args.log_dir)
    cmd = qemu_cmd(args, "check", f"file:{console_log}", f"file:{results_log}")
    print(f"==> booting guest (-smp {args.smp}, -m {args.memory}), log in {args.log_dir}", flush=True)
    start = time.monotonic()
    timed_out = False
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    try:
        proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        proc.wait()
    elapsed = time.monotonic() - start

    def read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    console, results = read(console_log), read(results_log)
    tests, problems, printed = parse_results(results,
                                             fixture_leaked="coloc: coloc_leak left " in console)
    if args.host_results:
        tests = host_results(read(args.host_results)) + tests
    problems += missing(tests, args.expect or [])
    if timed_out:
        problems.append(f"timeout: the guest ran longer than {args.timeout} s")
    splats = find_splats(console)
    problems += [f"console: {s}" for s in splats]
    problems += cpu_problems(console, args.smp)

    for name, status in tests:
        label = {"pass": "ok", "skip": "ok # SKIP", "fail": "not ok"}[status]
        if status != "pass" or not args.quiet:
            print(f"{label} {name}")
    for p in problems:
        print(f"not ok {p}")
    skipped = sum(1 for _, s in tests if s == "skip")
    failed = sum(1 for _, s in tests if s == "fail") + len(problems)
    print(f"==> guest ran {elapsed:.0f} s; {len(tests)} test cases, {skipped} skipped, "
          f"{len(problems)} run-level problems", flush=True)
    if failed:
        tail = console.splitlines()[-40:]
        print("==> last console lines:\n" + "\n".join("    " + l for l in tail))
    for name, lines in printed:
        print(f"==> {name} printed:\n" + "\n".join("    " + l for l in lines))
    print(closing_line(tests, problems))
    return 1 if failed else 0


def run(args):
    shell = args.shell
    results = "null"
    if shell:
        cmd = qemu_cmd(args, "run", "mon:stdio", results)
        return subprocess.call(cmd)
    cmd = qemu_cmd(args, "run", "stdio", results)
    return subprocess.call(cmd, stdin=subprocess.DEVNULL, timeout=args.timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["check", "run"])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--memory", default="2G")
    ap.add_argument("--smp", default="4,sockets=1,cores=2,threads=2")
    ap.add_argument("--timeout", type=int, default=1200, help="whole run, seconds")
    ap.add_argument("--test-timeout", type=int, default=600, help="per selftest binary, seconds")
    ap.add_argument("--log-dir", default="build/guest")
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--host-results", help="results of scripts/host-checks.sh to count in")
    ap.add_argument("--expect", nargs="*", help="suites and binaries that must report")
    ap.add_argument("--tests", nargs="*", help="check: run only these selftest binaries "
                    "(SUITE/test_x; default all)")
    ap.add_argument("--kvm", action="store_true", help="use KVM if /dev/kvm works")
    ap.add_argument("--shell", action="store_true", help="run: give a shell on the console")
    ap.add_argument("-q", "--quiet", action="store_true", help="list failed tests only")
    args = ap.parse_args()
    sys.exit(check(args) if args.mode == "check" else run(args))


if __name__ == "__main__":
    main()
