// SPDX-License-Identifier: GPL-2.0

//! coloc_mem: memory-cgroup priority for co-located workloads.
//!
//! Knobs (Alibaba Cloud Linux names and meanings), present while loaded:
//! - `memory.priority` (0-12, default 0, not on the root): how important the
//!   cgroup is compared with its siblings; higher is more important.
//! - `memory.use_priority_oom` (0/1, default 0, also on the root): choose the
//!   victims of OOMs whose scope is this cgroup by priority. On the root it
//!   is the switch for system-wide OOMs.
//!
//! Priority OOM: from the OOM scope, descend into the child with the lowest
//! priority (ties: the larger memory usage, then the older cgroup), level by
//! level, to a cgroup without children; the kernel's badness score picks the
//! task inside it. A cgroup without killable tasks is skipped for the next
//! child in that order. Only siblings are compared, so a delegated subtree
//! can order its own children but never move ahead of its parent's
//! siblings. If the walk finds nothing killable the kernel chooses as usual.
//!
//! - `memory.wmark_ratio` (0-100, default 0 = off, not on the root): above
//!   this percentage of the limit (the lower of `memory.max` and
//!   `memory.high`) a worker reclaims the cgroup in the background...
//! - `memory.wmark_scale_factor` (1-1000, in 1/10000 of the limit, default
//!   50, inherited): ...down to the high watermark minus this much.
//! - `memory.wmark_min_adj` (-25..50, default 0, not on the root): under
//!   machine-wide pressure, the percentage by which the cgroup's tasks move
//!   the min watermark of every zone. Negative lets an online cgroup
//!   allocate below it; positive raises it for an offline cgroup, whose
//!   tasks, when an allocation finds the zones below it, sleep on their
//!   way back to user space (1 to 100 ms per return), holding no lock,
//!   instead of reclaiming directly. Each
//!   cgroup's own value counts, as on Alibaba Cloud Linux: a cgroup never
//!   written takes its parent's value, and a pod or container at -25 gets
//!   the reserves whatever the levels above it say, except that a positive
//!   value on an ancestor throttles its whole subtree (the value in force
//!   is the higher of the two). Writing a negative value needs
//!   CAP_SYS_NICE or CAP_SYS_ADMIN of whoever opened the file, so a
//!   delegated subtree cannot take reserves for itself.
//!
//! Global priority reclaim: reclaim of the whole machine runs in passes of
//! decreasing scan priority (12, the gentlest, down to 0). A cgroup whose
//! priority in force is P is left alone by the passes above 13 - P: the
//! first pass reclaims cgroups of priority 0 and 1, each further pass one
//! level more, and the pass at scan priority 1 (kswapd's last) and 0
//! (direct reclaim's last, where the kernel never asks) reclaim every
//! cgroup. From its first pass on, a cgroup is scanned as gently as P - 1
//! passes earlier (the first pass's scan at most), so that one met late is
//! not met by a scan of half its pages; at scan priority 0 every cgroup is
//! scanned as usual. The priority in force is the lowest on the path from
//! the root, so a delegated subtree cannot shield itself from reclaim ahead
//! of its parent. `memory.min` always wins; `memory.low` applies among the
//! cgroups a pass reclaims. The classic and the multi-gen LRU both apply
//! it. Knobs in
//! `/sys/kernel/coloc/memory/` (root only): `priority_reclaim` (0/1,
//! default 1) and `stat` (`priority_reclaim_skips`, cgroups left for a
//! later pass).
//!
//! - `memory.exstat` (read-only): `wmark_reclaim_work_ms` and
//!   `wmark_reclaimed_pages`, this cgroup's background reclaim;
//!   `wmark_min_throttled_ms`, the time its tasks slept for a raised min
//!   watermark, and `wmark_min_adj_effective`, the value in force;
//!   `priority_oom_kills`, priority-OOM victims chosen in its subtree.
//!
//! The values are kept in the kernel's memory cgroups and survive an
//! unload and reload of the module; unloaded, they are ignored.

use core::{
    fmt::Write,
    ops::ControlFlow,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
};
use kernel::{
    c_str,
    cgroup::{self, Capability, Css, File, Opener, Scope, SeqFile, Subsys},
    coloc::{
        self, knob,
        oom::{self, OomControl, OomPolicy, Scan},
        order::{self, ReclaimOrder, DEF_PRIORITY},
        reclaim::{self, MemcgReclaim},
        watermark::{self, MinWatermark},
    },
    memcg::{MemCgroup, MemCgroupRef},
    prelude::*,
    str::CStr,
    sync::Arc,
    sysfs::{self, Attribute, Page, Parent},
    time::Ktime,
};

module! {
    type: ColocMem,
    name: "coloc_mem",
    author: "coloc developers",
    description: "coloc: memory cgroup priority (priority OOM and reclaim, background reclaim, min watermark)",
    license: "GPL",
}

/// `memory.priority` range, as in Alibaba Cloud Linux.
const PRIORITY_RANGE: core::ops::RangeInclusive<u64> = 0..=12;

/// `memory.wmark_ratio` range, percent of the limit.
const WMARK_RATIO_RANGE: core::ops::RangeInclusive<u64> = 0..=100;

/// `memory.wmark_scale_factor` range and default, in 1/10000 of the limit.
const WMARK_SCALE_RANGE: core::ops::RangeInclusive<u64> = 1..=1000;
const WMARK_SCALE_DEFAULT: u64 = 50;

/// `memory.wmark_min_adj` range, percent of the min watermark.
const WMARK_MIN_ADJ_RANGE: core::ops::RangeInclusive<i64> =
    watermark::ADJ_MIN as i64..=watermark::ADJ_MAX as i64;

/// Pages asked of one reclaim call, and the most calls one worker run makes.
const RECLAIM_BATCH: u64 = 1024;
const RECLAIM_ROUNDS: u32 = 256;

/// Deeper than this, the walk stops descending and scans the subtree.
const MAX_DEPTH: u32 = 32;

/// Order of siblings for victim choice: the smallest key goes first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct VictimKey {
    priority: i32,
    /// Inverted usage: with equal priority the larger cgroup goes first.
    usage_inv: u64,
    /// Cgroup ids are never reused: a total order, so every child is visited once.
    id: u64,
}

impl VictimKey {
    fn of(memcg: &MemCgroup) -> Self {
        Self {
            priority: memcg.coloc_priority(),
            usage_inv: u64::MAX - memcg.usage_pages(),
            id: memcg.css().cgroup_id(),
        }
    }
}

struct PriorityOom;

impl PriorityOom {
    /// Returns the next child of `parent` after `after` in victim order, with a reference.
    fn next_child(
        parent: &MemCgroup,
        after: Option<VictimKey>,
    ) -> Option<(VictimKey, MemCgroupRef)> {
        let mut best: Option<(VictimKey, MemCgroupRef)> = None;
        parent.for_each_child(|child| {
            let key = VictimKey::of(child);
            let later = after.map_or(true, |a| key > a);
            let better = best.as_ref().map_or(true, |(b, _)| key < *b);
            if later && better {
                if let Some(r) = child.tryget_online() {
                    best = Some((key, r));
                }
            }
            ControlFlow::Continue(())
        });
        best
    }

    /// Chooses a victim below `memcg`; true once `oc` has one.
    fn descend(oc: &OomControl, memcg: &MemCgroup, depth: u32) -> bool {
        if depth < MAX_DEPTH {
            // Each round visits a new child (the keys grow strictly); the bound guards against
            // usage changing under the walk.
            let mut after = None;
            let mut rounds = 0;
            while let Some((key, child)) = Self::next_child(memcg, after) {
                if Self::descend(oc, &child, depth + 1) {
                    return true;
                }
                after = Some(key);
                rounds += 1;
                if rounds > 4096 {
                    break;
                }
            }
        }
        // No child had a killable task: this cgroup's own tasks, if any (never the root's);
        // at the depth limit, the whole subtree below.
        let scan = if depth < MAX_DEPTH {
            oc.scan(memcg)
        } else {
            oc.scan_subtree(memcg)
        };
        match scan {
            Scan::Nothing => false,
            Scan::Wait => true,
            Scan::Victim => {
                Self::count_kill(oc, memcg);
                true
            }
        }
    }

    /// Counts the kill in `memory.exstat` of `memcg` and its ancestors up to the scope.
    fn count_kill(oc: &OomControl, memcg: &MemCgroup) {
        let scope = oc.scope().css().cgroup_id();
        for css in memcg.css().ancestors() {
            if let Some(m) = MemCgroup::from_css(css) {
                m.coloc_count_priority_oom_kill();
            }
            if css.cgroup_id() == scope {
                break;
            }
        }
    }
}

#[vtable]
impl OomPolicy for PriorityOom {
    fn select_victim(&self, oc: &OomControl) -> bool {
        let scope = oc.scope();
        if !scope.coloc_use_priority_oom() {
            return false;
        }
        Self::descend(oc, scope, 0)
    }
}

/// The scale factor in force: the nearest one set on the path to the root.
fn wmark_scale_factor(memcg: &MemCgroup) -> u64 {
    memcg
        .css()
        .ancestors()
        .filter_map(MemCgroup::from_css)
        .map(|m| m.coloc_wmark_scale_factor())
        .find(|&f| f > 0)
        .map_or(WMARK_SCALE_DEFAULT, |f| f as u64)
}

/// Background reclaim: from above the high watermark down to the low one.
struct Wmark;

#[vtable]
impl MemcgReclaim for Wmark {
    fn reclaim(&self, memcg: &MemCgroup) {
        let start = Ktime::ktime_get();
        let mut reclaimed = 0;
        for _ in 0..RECLAIM_ROUNDS {
            // Re-read every round: the knobs and limits may change meanwhile.
            let high = memcg.coloc_wmark_high();
            if high == 0 {
                break;
            }
            let gap = memcg.coloc_wmark_limit() * wmark_scale_factor(memcg) / 10000;
            let low = high.saturating_sub(gap);
            let usage = memcg.usage_pages();
            if usage <= low {
                break;
            }
            let got = memcg.reclaim((usage - low).min(RECLAIM_BATCH));
            if got == 0 {
                break;
            }
            reclaimed += got;
        }
        let ns = (Ktime::ktime_get() - start).to_ns().max(0) as u64;
        memcg.coloc_account_reclaim(ns, reclaimed);
    }
}

/// `value` of `memcg` and of each of its ancestors below the root.
fn path_values(memcg: &MemCgroup, value: fn(&MemCgroup) -> i32) -> impl Iterator<Item = i32> + '_ {
    memcg
        .css()
        .ancestors()
        .filter_map(MemCgroup::from_css)
        .filter(|m| !m.is_root())
        .map(value)
}

/// The `memory.wmark_min_adj` values written on the path from `memcg` up, nearest first.
fn wmark_min_adj_written(memcg: &MemCgroup) -> impl Iterator<Item = i32> + '_ {
    memcg
        .css()
        .ancestors()
        .filter_map(MemCgroup::from_css)
        .filter_map(MemCgroup::coloc_wmark_min_adj)
}

/// The cgroup's own `memory.wmark_min_adj`: written on it, else its parent's.
fn wmark_min_adj_own(memcg: &MemCgroup) -> i32 {
    wmark_min_adj_written(memcg).next().unwrap_or(0)
}

/// The `memory.wmark_min_adj` in force: the cgroup's own value, or the
/// highest throttle (positive value) on its path if that is higher.
fn wmark_min_adj(memcg: &MemCgroup) -> i32 {
    let own = wmark_min_adj_own(memcg);
    wmark_min_adj_written(memcg)
        .filter(|&v| v > 0)
        .fold(own, i32::max)
}

/// The min watermark for allocations under machine-wide pressure.
struct MinAdj;

#[vtable]
impl MinWatermark for MinAdj {
    fn wmark_min_adj(&self, memcg: &MemCgroup) -> i32 {
        wmark_min_adj(memcg)
    }
}

/// The `memory.priority` in force for reclaim: the lowest on the path from the root.
fn reclaim_priority(memcg: &MemCgroup) -> i32 {
    path_values(memcg, MemCgroup::coloc_priority)
        .min()
        .unwrap_or(0)
}

/// Global priority reclaim's switch and counter, shared with its knobs.
struct PriorityReclaim {
    enabled: AtomicBool,
    skips: AtomicU64,
}

/// The order of global reclaim: low priorities first.
struct Order(Arc<PriorityReclaim>);

#[vtable]
impl ReclaimOrder for Order {
    fn passes(&self, memcg: &MemCgroup, scan_priority: i32) -> i32 {
        if !self.0.enabled.load(Ordering::Relaxed) {
            return 0;
        }
        // Pass DEF_PRIORITY reclaims priorities 0 and 1, each later pass one more.
        let passes = (reclaim_priority(memcg) - 1).max(0);
        if scan_priority > DEF_PRIORITY - passes {
            self.0.skips.fetch_add(1, Ordering::Relaxed);
        }
        passes
    }
}

/// `/sys/kernel/coloc/memory/`.
struct Knobs(Arc<PriorityReclaim>);

impl Knobs {
    const PRIORITY_RECLAIM: usize = 0;
    const STAT: usize = 1;
}

impl sysfs::Attributes for Knobs {
    const DIR: Option<&'static CStr> = Some(c_str!("memory"));
    const ATTRS: &'static [Attribute] = &[
        Attribute::root_only(c_str!("priority_reclaim")),
        Attribute::read_only(c_str!("stat")),
    ];

    fn show(&self, attr: usize, out: &mut Page<'_>) -> Result {
        let p = &self.0;
        match attr {
            Self::PRIORITY_RECLAIM => writeln!(out, "{}", p.enabled.load(Ordering::Relaxed) as u8)?,
            Self::STAT => writeln!(
                out,
                "priority_reclaim_skips {}",
                p.skips.load(Ordering::Relaxed)
            )?,
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn store(&self, attr: usize, input: &[u8]) -> Result {
        match attr {
            Self::PRIORITY_RECLAIM => {
                let on = knob::parse_u64(input, 0..=1)?;
                self.0.enabled.store(on == 1, Ordering::Relaxed);
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

struct Files;

impl Files {
    const PRIORITY: usize = 0;
    const USE_PRIORITY_OOM: usize = 1;
    const WMARK_RATIO: usize = 2;
    const WMARK_SCALE_FACTOR: usize = 3;
    const WMARK_MIN_ADJ: usize = 4;
    const EXSTAT: usize = 5;
}

impl cgroup::Files for Files {
    const SUBSYS: Subsys = Subsys::Memory;
    const FILES: &'static [File] = &[
        File::read_write(c_str!("priority")).scope(Scope::NotOnRoot),
        File::read_write(c_str!("use_priority_oom")),
        File::read_write(c_str!("wmark_ratio")).scope(Scope::NotOnRoot),
        File::read_write(c_str!("wmark_scale_factor")).scope(Scope::NotOnRoot),
        File::read_write(c_str!("wmark_min_adj")).scope(Scope::NotOnRoot),
        File::read_only(c_str!("exstat")),
    ];

    fn show(&self, file: usize, css: &Css, out: &mut SeqFile<'_>) -> Result {
        let memcg = MemCgroup::from_css(css).ok_or(EINVAL)?;
        match file {
            Self::PRIORITY => writeln!(out, "{}", memcg.coloc_priority())?,
            Self::USE_PRIORITY_OOM => writeln!(out, "{}", memcg.coloc_use_priority_oom() as u8)?,
            Self::WMARK_RATIO => writeln!(out, "{}", memcg.coloc_wmark_ratio())?,
            Self::WMARK_SCALE_FACTOR => writeln!(out, "{}", wmark_scale_factor(memcg))?,
            Self::WMARK_MIN_ADJ => writeln!(out, "{}", wmark_min_adj_own(memcg))?,
            Self::EXSTAT => {
                writeln!(
                    out,
                    "wmark_reclaim_work_ms {}",
                    memcg.coloc_wmark_work_ns() / 1_000_000
                )?;
                writeln!(
                    out,
                    "wmark_reclaimed_pages {}",
                    memcg.coloc_wmark_reclaimed()
                )?;
                writeln!(
                    out,
                    "wmark_min_throttled_ms {}",
                    memcg.coloc_wmark_min_throttled_ns() / 1_000_000
                )?;
                writeln!(out, "wmark_min_adj_effective {}", wmark_min_adj(memcg))?;
                writeln!(
                    out,
                    "priority_oom_kills {}",
                    memcg.coloc_priority_oom_kills()
                )?;
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn write(&self, file: usize, css: &Css, input: &[u8], opener: &Opener<'_>) -> Result {
        let memcg = MemCgroup::from_css(css).ok_or(EINVAL)?;
        match file {
            Self::PRIORITY => {
                let prio = knob::parse_u64(input, PRIORITY_RANGE)?;
                memcg.set_coloc_priority(prio as i32);
            }
            Self::USE_PRIORITY_OOM => {
                let on = knob::parse_u64(input, 0..=1)?;
                memcg.set_coloc_use_priority_oom(on == 1);
            }
            Self::WMARK_RATIO => {
                let ratio = knob::parse_u64(input, WMARK_RATIO_RANGE)?;
                memcg.set_coloc_wmark_ratio(ratio as i32);
            }
            Self::WMARK_SCALE_FACTOR => {
                let factor = knob::parse_u64(input, WMARK_SCALE_RANGE)?;
                memcg.set_coloc_wmark_scale_factor(factor as i32);
            }
            Self::WMARK_MIN_ADJ => {
                let adj = knob::parse_i64(input, WMARK_MIN_ADJ_RANGE)?;
                // Memory reserves are a privilege, as they are for
                // real-time tasks (which need CAP_SYS_NICE).
                if adj < 0
                    && !opener.capable(Capability::SYS_NICE)
                    && !opener.capable(Capability::SYS_ADMIN)
                {
                    return Err(EPERM);
                }
                memcg.set_coloc_wmark_min_adj(adj as i32);
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

struct ColocMem {
    // Dropped in declaration order: the policies first, the knobs, then the feature.
    _order: coloc::hook::Registration<Order>,
    _min_adj: coloc::hook::Registration<MinAdj>,
    _reclaim: coloc::hook::Registration<Wmark>,
    _oom: coloc::hook::Registration<PriorityOom>,
    _files: cgroup::Registration<Files>,
    _knobs: sysfs::Registration<Knobs>,
    _feature: coloc::Feature,
}

impl kernel::Module for ColocMem {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let feature = coloc::Feature::register(c_str!("memory"), module)?;
        let files = cgroup::Registration::new(Files, module)?;
        let oom = oom::register(PriorityOom, module)?;
        let reclaim = reclaim::register(Wmark, module)?;
        let min_adj = watermark::register(MinAdj, module)?;
        let priority_reclaim = Arc::new(
            PriorityReclaim {
                enabled: AtomicBool::new(true),
                skips: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?;
        let knobs =
            sysfs::Registration::new(Parent::Coloc, Knobs(priority_reclaim.clone()), module)?;
        let order = order::register(Order(priority_reclaim), module)?;
        Ok(ColocMem {
            _order: order,
            _min_adj: min_adj,
            _reclaim: reclaim,
            _oom: oom,
            _files: files,
            _knobs: knobs,
            _feature: feature,
        })
    }
}
