#!/usr/bin/env python3
"""Run the co-location benchmarks in the guest and report them.

The guest runs every bench/*_scenario.sh with QEMU's -icount, so time is
counted in executed instructions and host load does not leak into the
figures; but under -icount the vCPUs run in turn on one host thread, so a
wakeup on one vCPU waits while another runs, whatever the guest's
scheduler does. The scenarios in REALTIME measure exactly that, and run in
a second boot with multi-threaded TCG in real time instead (--clock).
Each scenario runs its modes (online alone, co-located on stock
behaviour, co-located with coloc) in one boot, repeated; this script takes
medians over the repetitions and ratios against "alone", prints a table,
and writes results.json and an SVG chart to the output folder.

With --kernel-unpatched (the same source and configuration built without
the coloc series), a second boot runs the hook-overhead scenario on it, as
mode "unpatched", and the overhead rows are also compared against it.
Under -icount guest time is instruction count, so the two boots compare.

--layout picks the guest's cgroups (bench/lib.sh): node (default),
kubelet's tree with online work in kubepods/burstable/POD/CONTAINER and
offline work in kubepods/besteffort/POD/CONTAINER, configured as koordlet
configures a node; flat, /online and /offline. "flat,node" runs every
boot once per layout, into OUT/flat and OUT/node, and the table then
names each scenario with its layout (cpu@flat, cpu@node).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest  # noqa: E402


def nice_vcpus(pid, done):
    """Multi-threaded TCG: lower the vCPU threads of QEMU process @pid to
    nice 19 and pin vCPU i to host CPU i (modulo the host's CPUs), those
    not in @done yet; return their ids. A guest with as many busy vCPUs as
    the host has cores leaves no core for QEMU's main loop, which runs the
    guest's timers: a timer interrupt then waits for the host to preempt a
    vCPU thread, milliseconds that no guest scheduler can win back. At nice
    19 the host runs the main loop at once; pinned, two vCPU threads never
    wait for each other's host time slice on one core while the other core
    idles. Every mode runs with the same setting."""
    got = set()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return got
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read()
        except FileNotFoundError:
            continue
        # "CPU 0/TCG"
        if comm.startswith("CPU ") and int(tid) not in done:
            host = sorted(os.sched_getaffinity(0))
            index = int(comm[4:].split("/")[0])
            os.setpriority(os.PRIO_PROCESS, int(tid), 19)
            os.sched_setaffinity(int(tid), {host[index % len(host)]})
            got.add(int(tid))
    return got


LAYOUTS = ("flat", "node")


def parse_layouts(text):
    """The layouts of --layout: "node", "flat" or several, comma-separated,
    each once, in the order given. ValueError on anything else."""
    layouts = [l.strip() for l in text.split(",")]
    unknown = [l for l in layouts if l not in LAYOUTS]
    if unknown:
        raise ValueError(f"unknown layout {', '.join(map(repr, unknown))}; "
                         f"layouts: {', '.join(LAYOUTS)}")
    if len(set(layouts)) != len(layouts):
        raise ValueError(f"a layout given twice in {text!r}")
    return layouts


def layout_of(r):
    """The cgroup layout run @r ran in: results from before --layout, which
    have none, ran in the flat one."""
    return r.get("layout", "flat")


def scenario_names(runs):
    """A function giving a run's scenario as the table names it: with runs
    of one layout the scenario itself, with several SCENARIO@LAYOUT, so
    that the layouts are summarized apart and side by side."""
    if len({layout_of(r) for r in runs}) > 1:
        return lambda r: f"{r['scenario']}@{layout_of(r)}"
    return lambda r: r["scenario"]


def guest_append(args, only, skip, layout):
    """The guest's kernel command line for a benchmark boot: what
    scripts/guest/init and bench/lib.sh read (coloc.bench_*)."""
    append = (f"coloc.mode=bench coloc.bench_secs={args.seconds} coloc.bench_reps={args.reps}"
              f" coloc.bench_layout={layout}")
    if args.append:
        append = f"{args.append} {append}"
    if only:
        append += f" coloc.bench_only={only}"
    if skip:
        append += f" coloc.bench_skip={skip}"
    if args.modes:
        append += f" coloc.bench_modes={args.modes}"
    return append


def progress_lines(results_log):
    """The result lines the guest has written to @results_log so far: whole
    lines only, as the guest may be halfway through one (a row with a
    latency histogram is a few KiB long)."""
    try:
        with open(results_log, errors="replace") as f:
            return [l for l in f if l.startswith("BENCH ") and l.endswith("\n")]
    except FileNotFoundError:
        return []


def boot(args, kernel, only, skip, icount, results_log, console_log, layout):
    append = guest_append(args, only, skip, layout)
    cmd = guest.machine(kernel, args.initrd, args.memory, args.smp, append,
                        f"file:{console_log}", f"file:{results_log}")
    if icount:
        cmd += ["-icount", "shift=1,sleep=off"]
    else:
        # Thread names, so that nice_vcpus() finds the vCPU threads.
        cmd += ["-name", "coloc,debug-threads=on"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    start, seen, niced = time.monotonic(), 0, set()
    while proc.poll() is None:
        time.sleep(2)
        if not icount:
            niced |= nice_vcpus(proc.pid, niced)
        lines = progress_lines(results_log)
        for l in lines[seen:]:
            try:
                r = json.loads(l[6:])
            except ValueError:
                # boot_problems() reports it once the boot is over.
                print(f"  unreadable: {l[:80]}", flush=True)
                continue
            ops = (f", {r['online']['chunks'] / r['seconds']:.0f} ops/s"
                   if r.get("seconds") and r["online"].get("chunks") else "")
            print(f"  [{time.monotonic() - start:5.0f} s] {r['scenario']} {r['mode']} "
                  f"({layout_of(r)}) "
                  f"rep {r['rep']}: p99 {r['online'].get('p99_us', 0):.0f} us{ops}", flush=True)
        seen = len(lines)
        if time.monotonic() - start > args.timeout:
            proc.kill()
            proc.wait()
            sys.exit(f"bench: the guest ran longer than {args.timeout} s")


def boot_problems(results, console, smp):
    """Why the results of one benchmark boot cannot be used, as a list:
    the guest did not print its end marker (COLOC-DONE); the console shows
    a splat or too few CPUs; a scenario script (BENCH-SCRIPT) planned no
    rows; a row the scripts planned (BENCH-PLAN, one per mode and
    repetition) did not come back exactly once, or one came back
    unplanned; a row carries a setup error (bench/lib.sh: a knob that
    did not take, a module that did not load or unload); a line does not
    parse."""
    problems, planned, got, setup = [], set(), {}, {}
    lines = [l.rstrip("\r") for l in results.splitlines()]
    if "COLOC-DONE" not in lines:
        problems.append("the guest did not finish the scenarios (no COLOC-DONE)")
    script = None
    for line in lines + ["BENCH-SCRIPT"]:
        tag, _, body = line.partition(" ")
        if tag == "BENCH-SCRIPT":
            if script:
                problems.append(f"{script} planned no rows (it stopped early?)")
            script = body
            continue
        if tag not in ("BENCH", "BENCH-PLAN"):
            continue
        try:
            r = json.loads(body)
            if tag == "BENCH-PLAN":
                planned |= {(r["scenario"], m, rep) for m in r["modes"]
                            for rep in range(1, r["reps"] + 1)}
            else:
                key = (r["scenario"], r["mode"], r["rep"])
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"unreadable {tag} line ({e!r}): {line[:120]}")
            continue
        if tag == "BENCH-PLAN":
            script = None
            continue
        got[key] = got.get(key, 0) + 1
        for e in r.get("setup_errors", []):
            setup.setdefault(e, key)
    for e, (scen, mode, rep) in setup.items():
        problems.append(f"setup error, from {scen} {mode} rep {rep} on: {e}")
    for scen, mode, rep in sorted(planned | set(got)):
        n = got.get((scen, mode, rep), 0)
        if (scen, mode, rep) not in planned:
            problems.append(f"{scen} {mode} rep {rep}: reported, but not planned")
        elif n != 1:
            problems.append(f"{scen} {mode} rep {rep}: reported {n} times, planned once")
    problems += [f"console: {s}" for s in guest.find_splats(console)]
    problems += guest.cpu_problems(console, smp)
    return problems


def pooled_pct(rs, pcts):
    """The @pcts percentiles (us) of the online latencies of the runs @rs
    taken together, from their histograms: the smallest bucket whose
    cumulative count reaches p % of the samples, as cyclictest_report
    takes them. A bucket is its lower bound (up to 1 % below its
    samples), so compare pooled figures with pooled ones, not with a
    run's own percentiles. None if a run has no histogram (fio's runs)."""
    if not rs or any("hist" not in r["online"] for r in rs):
        return None
    hist = {}
    for r in rs:
        for us, n in r["online"]["hist"]:
            hist[us] = hist.get(us, 0) + n
    total = sum(hist.values())
    if not total:
        return None
    out, cum, buckets = [], 0, iter(sorted(hist.items()))
    for p in pcts:
        while cum < p / 100 * total or cum == 0:
            us, n = next(buckets)
            cum += n
        out.append(us)
    return out


def paired_ratios(rs, alone):
    """Each run's online p99 against that of the run alone in the same
    repetition of the same boot: the modes of a repetition run minutes
    apart at most, so host load that drifts over a benchmark cancels out.
    Runs of another boot (the unpatched kernel's, or one of another
    invocation summarized together with --from-results) have no pair: the
    boot is the guest's boot_id, or, in results from before it, the
    folder."""
    key = lambda r: (r.get("boot_id") or r.get("boot"), r["rep"])  # noqa: E731
    by_rep = {key(a): a["online"]["p99_us"] for a in alone
              if a["online"].get("chunks") and a["online"].get("p99_us")}
    return [r["online"]["p99_us"] / by_rep[key(r)] for r in rs
            if r["online"].get("chunks") and "p99_us" in r["online"] and key(r) in by_rep]


def summarize(runs):
    """Medians per scenario and mode, with spreads and ratios against alone;
    and the percentiles of all runs of a mode pooled."""
    out = {}
    name = scenario_names(runs)
    # Scenarios in the order they ran, the layouts of one side by side.
    first = {}
    for r in runs:
        first.setdefault(r["scenario"], len(first))
    for r in sorted(runs, key=lambda r: (first[r["scenario"]], layout_of(r))):
        out.setdefault(name(r), {}).setdefault(r["mode"], []).append(r)
    table = {}
    for scen, modes in out.items():
        rows = {}
        for mode, rs in modes.items():
            p99 = [x["online"]["p99_us"] for x in rs
                   if x["online"].get("chunks") and "p99_us" in x["online"]]
            p50 = [x["online"]["p50_us"] for x in rs
                   if x["online"].get("chunks") and "p50_us" in x["online"]]
            ops = ([x["online"].get("chunks", 0) / x["seconds"] for x in rs]
                   if "seconds" in rs[0] else [])
            work = [x.get("offline_work", x.get("offline_mb", 0)) for x in rs]
            # CPU scenario: the share of the CPU time online left that offline used.
            left = [x["offline_cpu_us"] / (x["cpu_us"] - x["online_cpu_us"]) for x in rs
                    if "cpu_us" in x and x["cpu_us"] > x["online_cpu_us"]]
            online_cpu = [x["online_cpu_us"] / x["cpu_us"] for x in rs if x.get("cpu_us")]
            # And how long each CPU sat idle: where the time offline did not use went.
            idle = [x["idle_us"] for x in rs if x.get("idle_us")]
            idle = ([statistics.median(cpu) for cpu in zip(*idle)]
                    if idle and len({len(i) for i in idle}) == 1 else None)
            # Memory scenario: how much memory pressure online met, per run.
            pressure = {k: statistics.median(x[k] for x in rs) for k in
                        ("online_memstall_us", "online_pgscan_direct", "oom_kills_all")
                        if all(k in x for x in rs)}
            sampled = [x for x in rs if x["online"].get("chunks")]
            pooled = pooled_pct(sampled, (50, 99))
            paired = paired_ratios(rs, modes.get("alone", []))
            rows[mode] = {
                "runs": len(rs),
                "runs_sampled": len(sampled),
                "online_completed": sum(1 for x in rs if x["exit"] == 0),
                "online_oom_kills": sum(x["online_oom_kills"] for x in rs),
                "p50_us": statistics.median(p50) if p50 else None,
                "p50_us_range": [min(p50), max(p50)] if p50 else None,
                "p99_us": statistics.median(p99) if p99 else None,
                "p99_us_range": [min(p99), max(p99)] if p99 else None,
                # All runs' samples together; and the median of each run's
                # p99 against alone's in the same repetition.
                "pooled_p50_us": pooled[0] if pooled else None,
                "pooled_p99_us": pooled[1] if pooled else None,
                "p99_paired_ratio": statistics.median(paired) if paired else None,
                "p99_paired_ratio_range": [min(paired), max(paired)] if paired else None,
                # Online operations per second, where a scenario says how long it ran.
                "ops_per_s": statistics.median(ops) if ops else None,
                "ops_per_s_range": [min(ops), max(ops)] if ops else None,
                # Memory: MB the offline jobs touched; CPU: stress-ng bogo operations/s.
                "offline_work": statistics.median(work),
                "offline_work_range": [min(work), max(work)],
                "offline_cpu_of_left": statistics.median(left) if left else None,
                "offline_cpu_of_left_range": [min(left), max(left)] if left else None,
                "online_cpu_share": statistics.median(online_cpu) if online_cpu else None,
                "idle_us_per_cpu": idle,
                **pressure,
            }
        alone = rows.get("alone", {}).get("p99_us")
        alone_pooled = rows.get("alone", {}).get("pooled_p99_us")
        alone_ops = rows.get("alone", {}).get("ops_per_s")
        unpatched_ops = rows.get("unpatched", {}).get("ops_per_s")
        for row in rows.values():
            row["p99_ratio"] = (row["p99_us"] / alone) if alone and row["p99_us"] else None
            row["pooled_p99_ratio"] = (row["pooled_p99_us"] / alone_pooled
                                       if alone_pooled and row["pooled_p99_us"] else None)
            row["ops_ratio"] = (row["ops_per_s"] / alone_ops
                                if alone_ops and row["ops_per_s"] is not None else None)
            row["ops_vs_unpatched"] = (row["ops_per_s"] / unpatched_ops
                                       if unpatched_ops and row["ops_per_s"] is not None
                                       else None)
        batch = rows.get("batch", {}).get("offline_work")
        for mode, row in rows.items():
            row["offline_kept"] = (row["offline_work"] / batch
                                   if batch and mode not in ("alone", "batch") else None)
        table[scen] = rows
    return table


def svg(table, path):
    """A bar chart of median online p99 per scenario and mode."""
    colours = COLOURS
    bars = [(s, m, r["p99_us"] or 0) for s, rows in table.items() for m, r in rows.items()
            if m in colours]
    top = max([v for _, _, v in bars] + [1])
    w, h, bw = 120 + 70 * len(bars), 320, 50
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
             f'font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20">online p99 latency (us, median of runs)</text>']
    for i, (s, m, v) in enumerate(bars):
        x, bh = 80 + 70 * i, 220 * v / top
        parts.append(f'<rect x="{x}" y="{270 - bh:.0f}" width="{bw}" height="{bh:.0f}" '
                     f'fill="{colours.get(m, "#888")}"/>')
        parts.append(f'<text x="{x}" y="{265 - bh:.0f}">{v:.0f}</text>')
        parts.append(f'<text x="{x}" y="290">{m}</text><text x="{x}" y="305">{s}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


# Real time by default: the scenarios whose online work runs beside busy
# vCPUs, where -icount's round-robin of the vCPUs would be the figure (cpu:
# wakeup latency; mem: the time to fault in a chunk, which under -icount
# doubles whenever the other vCPU runs a batch job, whatever the kernel
# does about memory).
REALTIME = ("cpu", "mem")

MODES = ("unpatched", "alone", "batch", "stock", "kubernetes", "tuned", "tuned_latency",
         "tuned_cost", "coloc_bvt1", "coloc_idle", "coloc", "coloc_iso", "batch_coloc")
COLOURS = {"unpatched": "#937860", "alone": "#4c72b0", "stock": "#c44e52",
           "kubernetes": "#dd8452", "tuned": "#8c8c8c", "tuned_latency": "#8c8c8c",
           "tuned_cost": "#b0b0b0",
           "coloc_bvt1": "#8172b2", "coloc_idle": "#64b5cd", "coloc": "#55a868",
           "coloc_iso": "#ccb974"}


def dist_svg(scen, runs, path):
    """Online latency against percentile, one line per mode, for the run
    with the median p99 of each mode; both axes logarithmic, the x axis
    stretched towards the tail (90, 99, 99.9, 99.99)."""
    lines = {}
    for mode in COLOURS:
        rs = sorted((r for r in runs if r["mode"] == mode and r["online"].get("dist")
                     and r["online"].get("chunks")), key=lambda r: r["online"]["p99_us"])
        if rs:
            lines[mode] = [(p, max(us, 0.1)) for p, us in rs[len(rs) // 2]["online"]["dist"]
                           if p < 100]
    if not lines:
        return False
    xs = lambda p: -math.log10(1 - p / 100)  # noqa: E731
    lo = math.floor(math.log10(min(us for l in lines.values() for _, us in l)))
    hi = math.ceil(math.log10(max(us for l in lines.values() for _, us in l)))
    hi = max(hi, lo + 1)
    w, h, left, top, pw, ph = 560, 340, 60, 30, 360, 260
    px = lambda p: left + pw * xs(p) / 4  # noqa: E731
    py = lambda us: top + ph - ph * (math.log10(us) - lo) / (hi - lo)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 20}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="18">{scen}: online latency (us) by percentile, '
             f'median run of each mode</text>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for p in (0, 90, 99, 99.9, 99.99):
        parts.append(f'<line x1="{px(p):.0f}" y1="{top}" x2="{px(p):.0f}" y2="{top + ph}" '
                     f'stroke="#ddd"/><text x="{px(p) - 10:.0f}" y="{top + ph + 15}">{p:g}</text>')
    for d in range(lo, hi + 1):
        parts.append(f'<line x1="{left}" y1="{py(10 ** d):.0f}" x2="{left + pw}" '
                     f'y2="{py(10 ** d):.0f}" stroke="#ddd"/><text x="5" '
                     f'y="{py(10 ** d) + 4:.0f}">{10 ** d:g}</text>')
    for i, (mode, pts) in enumerate(lines.items()):
        path_d = " ".join(f"{'M' if j == 0 else 'L'}{px(p):.1f},{py(us):.1f}"
                          for j, (p, us) in enumerate(pts))
        parts.append(f'<path d="{path_d}" fill="none" stroke="{COLOURS[mode]}" '
                     f'stroke-width="2"/>')
        parts.append(f'<rect x="{left + pw + 15}" y="{top + 18 * i}" width="12" height="12" '
                     f'fill="{COLOURS[mode]}"/><text x="{left + pw + 32}" '
                     f'y="{top + 18 * i + 10}">{mode}</text>')
    parts.append(f'<text x="{left + pw / 2 - 30:.0f}" y="{h + 15}">percentile</text></svg>')
    with open(path, "w") as f:
        f.write("\n".join(parts))
    return True


def report(runs, out):
    """Summarizes @runs: results.json and the plots in @out, the table on stdout."""
    table = summarize(runs)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"runs": runs, "summary": table}, f, indent=2)
    svg(table, os.path.join(out, "online_p99.svg"))
    plots = [f"{out}/online_p99.svg"]
    name = scenario_names(runs)
    for scen in table:
        path = os.path.join(out, f"latency_{scen}.svg")
        if dist_svg(scen, [r for r in runs if name(r) == scen], path):
            plots.append(path)

    fmt = (lambda v, f: f.format(v) if v is not None else "-")  # noqa: E731
    rng = (lambda v: f"{v[0]:.0f}-{v[1]:.0f}" if v else "-")  # noqa: E731
    w = max([14] + [len(s) for s in table])
    print(f"{'scenario':{w}} {'mode':13} {'runs':>4} {'p50 us':>9} {'p99 us':>9} "
          f"{'p99 range':>17} {'x alone':>8} {'online kills':>12} {'offline':>10} "
          f"{'offline range':>15} {'kept':>6}")
    for scen, rows in table.items():
        for mode in MODES:
            r = rows.get(mode)
            if not r:
                continue
            print(f"{scen:{w}} {mode:13} {r['runs']:>4} {fmt(r['p50_us'], '{:.0f}'):>9} "
                  f"{fmt(r['p99_us'], '{:.0f}'):>9} {rng(r['p99_us_range']):>17} "
                  f"{fmt(r['p99_ratio'], '{:.2f}'):>8} {r['online_oom_kills']:>12} "
                  f"{r['offline_work']:>10.0f} {rng(r['offline_work_range']):>15} "
                  f"{fmt(r['offline_kept'], '{:.0%}'):>6}")
            if r.get("pooled_p99_us") is not None and r["runs_sampled"] > 1:
                pr = r["p99_paired_ratio_range"]
                print(f"{'':27} pooled over runs: p50 {r['pooled_p50_us']} us, "
                      f"p99 {r['pooled_p99_us']} us"
                      + (f", {r['pooled_p99_ratio']:.2f} x alone" if mode != "alone" and
                         r["pooled_p99_ratio"] is not None else "")
                      + (f"; p99 against alone in the same repetition: median "
                         f"{r['p99_paired_ratio']:.2f} x ({pr[0]:.2f}-{pr[1]:.2f})"
                         if mode != "alone" and pr else ""))
            if r.get("offline_cpu_of_left") is not None:
                lo, hi = r["offline_cpu_of_left_range"]
                print(f"{'':27} CPU time: online {r['online_cpu_share']:.1%} of it, "
                      f"offline {r['offline_cpu_of_left']:.1%} of what online left "
                      f"({lo:.1%}-{hi:.1%})"
                      + (", idle per CPU " + ", ".join(f"{i / 1e6:.2f}" for i in r["idle_us_per_cpu"])
                         + " s" if r.get("idle_us_per_cpu") else ""))
            if "online_memstall_us" in r:
                print(f"{'':27} memory: online stalled {r['online_memstall_us'] / 1000:.0f} ms, "
                      f"scanned {r['online_pgscan_direct']:.0f} pages in direct reclaim; "
                      f"{r['oom_kills_all']:.0f} OOM kills in online and offline (medians per run)")
            if r["ops_per_s"] is not None:
                vs = (f", {r['ops_vs_unpatched']:.4f} x unpatched"
                      if r["ops_vs_unpatched"] is not None else "")
                print(f"{'':27} online {r['ops_per_s']:.0f} ops/s "
                      f"({rng(r['ops_per_s_range'])}), "
                      f"{fmt(r['ops_ratio'], '{:.4f}')} x alone{vs}")
    print("offline: memory = MB touched by the batch jobs, cpu = stress-ng bogo operations/s, "
          "io = MB/s while online ran (mixed_io: MB written); kept = offline work against "
          "batch, the offline jobs alone "
          "(batch_coloc: the same with coloc loaded and online idle)")
    clocks = {}
    for r in runs:
        clocks.setdefault(r.get("clock", "icount"), set()).add(r["scenario"])
    print("clock: " + "; ".join(f"{c}: {', '.join(sorted(sc))}" for c, sc in clocks.items()))
    layouts = {}
    for r in runs:
        layouts.setdefault(layout_of(r), set()).add(r["scenario"])
    print("cgroup layout: " + "; ".join(f"{l}: {', '.join(sorted(sc))}"
                                        for l, sc in sorted(layouts.items())))
    print(f"==> {out}/results.json, " + ", ".join(plots))


def layout_boots(boots, layouts, out):
    """(layout, boot) for each boot of @boots, (name, kernel, only, skip,
    icount, folder), in each of @layouts; with more than one layout,
    every layout's folders are under OUT/LAYOUT."""
    result = []
    for layout in layouts:
        for b in boots:
            folder = b[5]
            if len(layouts) > 1:
                folder = os.path.join(out, layout, os.path.relpath(folder, out))
            result.append((layout, b[:5] + (os.path.normpath(folder),)))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--kernel-unpatched",
                    help="the kernel built without the series: hook-overhead baseline")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--seconds", type=int, default=10, help="length of one online run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--modes", help="comma-separated modes to run, in scenarios that can "
                    "leave the others out (cpu: alone,batch,stock,kubernetes,tuned,coloc_bvt1,"
                    "coloc,coloc_iso); "
                    "default all")
    ap.add_argument("--layout", default=os.environ.get("BENCH_LAYOUT") or "node",
                    help="the guest's cgroups: node (default; kubelet's kubepods tree, "
                         "configured as koordlet does), flat (/online and /offline), or "
                         "flat,node: each boot once per layout, in OUT/flat and OUT/node; "
                         "the default comes from BENCH_LAYOUT if set (make bench "
                         "BENCH_LAYOUT=flat,node)")
    ap.add_argument("--memory", default="2G")
    ap.add_argument("--smp", default="2,sockets=1,cores=1,threads=2")
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--only", help="run one scenario: cpu, io, mem, mixed or overhead")
    ap.add_argument("--clock", choices=("auto", "icount", "realtime"), default="auto",
                    help="icount: QEMU's -icount, guest time counted in instructions, "
                         "vCPUs run in turn on one host thread; realtime: multi-threaded "
                         "TCG, each vCPU on its own host thread, host noise included; "
                         f"auto (default): realtime for {', '.join(REALTIME)}, "
                         "icount for the others")
    ap.add_argument("--no-icount", dest="clock", action="store_const", const="realtime",
                    help="the same as --clock realtime")
    ap.add_argument("--append", metavar="ARGS",
                    help="more guest kernel command line, e.g. idle=poll (docs/benchmarks.md)")
    ap.add_argument("--from-results", metavar="JSON", nargs="+",
                    help="no boot: summarize the runs of earlier results.json files again, "
                         "together (runs of two layouts side by side)")
    args = ap.parse_args()

    if args.from_results:
        runs = []
        for path in args.from_results:
            with open(path) as f:
                runs += json.load(f)["runs"]
        os.makedirs(args.out, exist_ok=True)
        report(runs, args.out)
        return
    if not args.kernel or not args.initrd:
        ap.error("--kernel and --initrd are required")
    unknown = [m for m in (args.modes or "").split(",") if args.modes and m not in MODES]
    if unknown:
        ap.error(f"--modes: unknown {', '.join(map(repr, unknown))}; modes: {', '.join(MODES)}")
    try:
        layouts = parse_layouts(args.layout)
    except ValueError as e:
        ap.error(f"--layout: {e}")

    print(f"==> benchmarks: {args.reps} x {args.seconds} s per mode, clock {args.clock}, "
          f"-smp {args.smp}, -m {args.memory}, cgroup layout {', '.join(layouts)}"
          + (f", guest command line + {args.append}" if args.append else ""), flush=True)
    # (name, kernel, only, skip, icount, folder)
    icount = args.clock != "realtime"
    if args.clock != "auto" or args.only:
        if args.only in REALTIME and args.clock == "auto":
            icount = False
        boots = [("coloc kernel", args.kernel, args.only, None, icount, args.out)]
    else:
        skip = ",".join(REALTIME)
        boots = [("coloc kernel", args.kernel, None, skip, True, args.out)]
        for scen in REALTIME:
            boots.append(("coloc kernel, real time", args.kernel, scen, None, False,
                          os.path.join(args.out, scen)))
    if args.kernel_unpatched and args.only in (None, "overhead"):
        boots.append(("unpatched kernel", args.kernel_unpatched, "overhead", None,
                      args.clock != "realtime", os.path.join(args.out, "unpatched")))
    runs = []
    for layout, (name, kernel, only, skip, icount, folder) in layout_boots(boots, layouts,
                                                                           args.out):
        print(f"==> {name} ({'-icount' if icount else 'multi-threaded TCG, real time'}, "
              f"{layout} layout): {kernel}", flush=True)
        console_log, results_log = guest.fresh_logs(folder)
        boot(args, kernel, only, skip, icount, results_log, console_log, layout)
        with open(results_log, errors="replace") as f, \
                open(console_log, errors="replace") as c:
            text = f.read()
            problems = boot_problems(text, c.read(), args.smp)
        if problems:
            for p in problems:
                print(f"bench: {p}", file=sys.stderr)
            sys.exit(f"bench: the boot in {folder} is rejected (logs there)")
        these = [json.loads(l[6:]) for l in text.splitlines() if l.startswith("BENCH ")]
        for r in these:
            r["clock"] = "icount" if icount else "realtime"
            # The guest reports its layout (bench/lib.sh); one that does not
            # has the scenarios from before the layouts, which were flat.
            if layout_of(r) != layout:
                sys.exit(f"bench: the guest ran {r['scenario']} in the {layout_of(r)} layout, "
                         f"not {layout} (an initramfs built before --layout?)")
            r["layout"] = layout
            # Which boot: repetitions pair up within one (paired_ratios).
            r["boot"] = folder
            if args.append:
                r["append"] = args.append
        if not these:
            sys.exit("bench: no results (see " + console_log + ")")
        runs += these
    report(runs, args.out)


if __name__ == "__main__":
    main()
