// SPDX-License-Identifier: GPL-2.0

//! coloc_cpu: CPU group identity for co-located workloads.
//!
//! Knob (Alibaba Cloud Linux name and meaning), present while loaded:
//! - `cpu.bvt_warp_ns` (-1, 0, 1 or 2, default 0, not on the root): the
//!   group's class. -1 offline, 0 normal, 1 online, 2 online whose CPU's SMT
//!   siblings do not run offline work.
//! - `cpu.coloc_stat` (read-only): the class in force, and what the offline
//!   tasks of the cgroup and its descendants gave up to online work:
//!   preemptions by a higher class, the time offline work was held
//!   back next to class 2 work (`expelled_usec`) and on withdrawn CPUs
//!   (`withdrawn_usec`), and the anti-starvation slices given.
//!
//! A waking task of class 1 or 2 preempts running class 0 or -1 work at once.
//!
//! SMT expeller: while a task of class 2 runs on a CPU, offline tasks do not
//! run on its SMT siblings; a sibling runs its other work or idles, and is
//! kicked when class 2 work starts or stops next to it. Anti-starvation: an
//! offline task held back that long gets a short slice, so that an offline
//! lock holder cannot stall online work for long. Knobs in
//! `/sys/kernel/coloc/cpu/` (root only): `starvation_limit_ms` (1-10000,
//! default 100) and `starvation_slice_us` (100-100000, default 2000); `stat`
//! counts holds, the time held and the slices given.
//!
//! Dynamic CPU isolation: a controller runs every `isolation_period_ms`
//! (10-10000, default 100) while either rule below is on, and withdraws
//! CPUs from offline work to keep headroom for online bursts, without
//! touching any cpuset or affinity. A CPU whose online utilisation (time
//! running tasks that are neither idle nor offline; each new period weighs
//! half) reached `isolation_util_pct` (0-100, default 0 = off) is
//! withdrawn, and given back once it fell below half of that.
//! `offline_cpus_pct` (1-100, default 100) caps the share of online CPUs
//! offline work may use (at least one): beyond it, the CPUs with the most
//! online utilisation are withdrawn too. Offline
//! tasks are not placed on or balanced to a withdrawn CPU and are pushed
//! off it; one that may run nowhere else is held back there, with the
//! same anti-starvation slices as next to class 2 work. `withdrawn` lists
//! the CPUs withdrawn now; `stat` counts withdrawals.
//!
//! Each cgroup's own value counts, as on Alibaba Cloud Linux: a cgroup never
//! written takes its parent's value, and a pod or container written 2 is
//! online whatever the levels above it say, except that an offline (-1)
//! cgroup makes its whole subtree offline. A new cgroup starts in its
//! parent's class. Delegation is safe by privilege, as for task priorities:
//! writing 1 or 2 needs CAP_SYS_NICE or CAP_SYS_ADMIN of whoever opened the
//! file; -1 and 0 need none. Classes apply while the module is loaded and
//! `kernel.sched_group_identity_enabled` is 1; otherwise every group is
//! normal.
//!
//! The top cgroup of an offline subtree becomes a SCHED_IDLE group, which
//! mainline already preempts on any other wakeup and treats as idle when
//! placing wakeups; the cgroups below it are offline through it. Writes of
//! `cpu.weight` and `cpu.idle` on it succeed and take effect when it stops
//! being offline.
//!
//! The values are kept in the kernel's task groups and survive an unload
//! and reload of the module; unloaded, they are ignored.

use core::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{
    c_str,
    cgroup::{self, Capability, Css, File, Opener, Scope, SeqFile, Subsys},
    coloc::{
        self,
        cpu::{
            self, ClassLock, CpuGroup, Hold, IdentitySwitch, IsolationController, OfflinePolicy,
            Stat, CLASS_NORMAL, CLASS_OFFLINE, CLASS_ONLINE_EXPEL,
        },
        knob,
    },
    new_mutex,
    prelude::*,
    str::CStr,
    sync::{Arc, Mutex},
    sysfs::{self, Attribute, Page, Parent},
    time::Ktime,
};

module! {
    type: ColocCpu,
    name: "coloc_cpu",
    author: "coloc developers",
    description: "coloc: CPU group identity (cpu.bvt_warp_ns)",
    license: "GPL",
}

/// `cpu.bvt_warp_ns` range, as in Alibaba Cloud Linux.
const BVT_RANGE: core::ops::RangeInclusive<i64> = -1..=2;

/// `starvation_limit_ms`: range and default.
const STARVATION_LIMIT_MS: core::ops::RangeInclusive<u64> = 1..=10_000;
const STARVATION_LIMIT_MS_DEFAULT: u64 = 100;

/// `starvation_slice_us`: range and default.
const STARVATION_SLICE_US: core::ops::RangeInclusive<u64> = 100..=100_000;
const STARVATION_SLICE_US_DEFAULT: u64 = 2_000;

/// `isolation_period_ms`: range and default.
const ISOLATION_PERIOD_MS: core::ops::RangeInclusive<u64> = 10..=10_000;
const ISOLATION_PERIOD_MS_DEFAULT: u64 = 100;

/// `isolation_util_pct`: range; the default 0 withdraws nothing for utilisation.
const ISOLATION_UTIL_PCT: core::ops::RangeInclusive<u64> = 0..=100;

/// `offline_cpus_pct`: range; the default 100 caps nothing.
const OFFLINE_CPUS_PCT: core::ops::RangeInclusive<u64> = 1..=100;

/// How much busier a withdrawn CPU counts when the share of CPUs is capped.
const CAP_STICKY_PCT: u64 = 20;

/// The expeller's knobs and counter, read by the scheduler without locks.
struct Expeller {
    limit_ns: AtomicU64,
    slice_ns: AtomicU64,
    slices: AtomicU64,
}

/// The policy the scheduler calls; shares the state with the knobs.
struct Expel(Arc<Expeller>);

#[vtable]
impl OfflinePolicy for Expel {
    fn offline_hold(&self, _cpu: u32, sibling_class: i32, withdrawn: bool, held_ns: u64) -> Hold {
        let e = &self.0;
        if sibling_class != CLASS_ONLINE_EXPEL && !withdrawn {
            return Hold::Run;
        }
        let limit = e.limit_ns.load(Ordering::Relaxed);
        if held_ns < limit {
            return Hold::HoldFor(limit - held_ns);
        }
        e.slices.fetch_add(1, Ordering::Relaxed);
        Hold::RunFor(e.slice_ns.load(Ordering::Relaxed))
    }
}

/// Dynamic isolation: the knobs and counter, shared by the controller and sysfs.
struct IsolationKnobs {
    period_ms: AtomicU64,
    util_pct: AtomicU64,
    offline_cpus_pct: AtomicU64,
    withdrawals: AtomicU64,
}

/// What the controller keeps from one run to the next.
struct Sample {
    /// When the last run took its readings, in ns; 0 before the first.
    at_ns: i64,
    /// Each CPU's online time at the last run.
    online_ns: KVec<u64>,
    /// Each CPU's online utilisation in percent, averaged over the runs
    /// (each new period weighs half), so that a short blip moves nothing.
    util: KVec<u64>,
    /// This run's decision for each CPU.
    want: KVec<bool>,
}

impl Sample {
    /// A sample of `n` CPUs, all idle.
    fn new(n: u32) -> Result<Self> {
        let mut s = Sample {
            at_ns: 0,
            online_ns: KVec::new(),
            util: KVec::new(),
            want: KVec::new(),
        };
        for _ in 0..n {
            s.online_ns.push(0, GFP_KERNEL)?;
            s.util.push(0, GFP_KERNEL)?;
            s.want.push(false, GFP_KERNEL)?;
        }
        Ok(s)
    }
}

/// The isolation controller, run from the kernel's work item.
struct Isolation {
    knobs: Arc<IsolationKnobs>,
    sample: Arc<Mutex<Sample>>,
}

impl Isolation {
    /// Whether `cpu` should be withdrawn, from its utilisation alone: at
    /// `limit` or above, or above half of it if it is withdrawn already.
    fn over(util: u64, limit: u64, withdrawn: bool) -> bool {
        limit > 0 && (util >= limit || (withdrawn && util * 2 >= limit))
    }
}

#[vtable]
impl IsolationController for Isolation {
    fn evaluate(&self) -> u32 {
        let k = &self.knobs;
        let period = k.period_ms.load(Ordering::Relaxed);
        let limit = k.util_pct.load(Ordering::Relaxed);
        let cap_pct = k.offline_cpus_pct.load(Ordering::Relaxed);
        let mut sample = self.sample.lock();
        if limit == 0 && cap_pct == 100 {
            // Both rules off: give every CPU back and sleep until a knob
            // changes; the next run starts a fresh sample.
            for cpu in 0..cpu::nr_cpu_ids() {
                cpu::set_withdrawn(cpu, false);
            }
            sample.at_ns = 0;
            return 0;
        }
        let now = Ktime::ktime_get().to_ns();
        let elapsed = (now - sample.at_ns).max(1) as u64;
        let first = sample.at_ns == 0;
        sample.at_ns = now;

        // Each online CPU's utilisation in percent, and the first decision.
        let Sample {
            online_ns,
            util,
            want,
            ..
        } = &mut *sample;
        let n = online_ns.len();
        let mut online = 0u64;
        for cpu in 0..n {
            let ns = cpu::online_ns(cpu as u32);
            let used = ns.saturating_sub(online_ns[cpu]);
            online_ns[cpu] = ns;
            util[cpu] = if first {
                0
            } else {
                (util[cpu] + (used * 100 / elapsed).min(100)) / 2
            };
            let up = cpu::cpu_online(cpu as u32);
            online += up as u64;
            want[cpu] = up && Self::over(util[cpu], limit, cpu::withdrawn(cpu as u32));
        }

        // At most `cap_pct` of the online CPUs (at least one) for offline
        // work: withdraw the busiest of the others. A CPU withdrawn already
        // counts as busier by `CAP_STICKY_PCT`, so that small changes in
        // utilisation do not move the offline work around; but only while
        // online work still runs there, or a CPU taken before any online
        // work was seen would keep the place of the one online uses.
        let sticky = |c: usize| {
            if cpu::withdrawn(c as u32) && util[c] > 0 {
                CAP_STICKY_PCT
            } else {
                0
            }
        };
        // The first run has no utilisation to choose by: it only samples.
        let cap = if first {
            online
        } else {
            (online * cap_pct / 100).max(1)
        };
        let mut allowed = (0..n)
            .filter(|&c| cpu::cpu_online(c as u32) && !want[c])
            .count() as u64;
        while allowed > cap {
            let busiest = (0..n)
                .filter(|&c| cpu::cpu_online(c as u32) && !want[c])
                .max_by_key(|&c| (util[c] + sticky(c), c));
            let Some(c) = busiest else { break };
            want[c] = true;
            allowed -= 1;
        }
        // Never all of them: give back the least busy.
        if allowed == 0 {
            if let Some(c) = (0..n)
                .filter(|&c| cpu::cpu_online(c as u32))
                .min_by_key(|&c| (util[c] + sticky(c), c))
            {
                want[c] = false;
            }
        }

        for (cpu, &w) in want.iter().enumerate() {
            let cpu = cpu as u32;
            if w != cpu::withdrawn(cpu) {
                if w {
                    k.withdrawals.fetch_add(1, Ordering::Relaxed);
                }
                cpu::set_withdrawn(cpu, w);
            }
        }
        period as u32
    }
}

/// `/sys/kernel/coloc/cpu/`.
struct Knobs {
    expeller: Arc<Expeller>,
    isolation: Arc<IsolationKnobs>,
}

impl Knobs {
    const LIMIT: usize = 0;
    const SLICE: usize = 1;
    const STAT: usize = 2;
    const PERIOD: usize = 3;
    const UTIL: usize = 4;
    const OFFLINE_CPUS: usize = 5;
    const WITHDRAWN: usize = 6;
}

/// Writes the CPUs `is_in` is true for as a list of ranges ("0-2,5").
fn write_cpu_list(out: &mut Page<'_>, is_in: impl Fn(u32) -> bool) -> Result {
    let n = cpu::nr_cpu_ids();
    let mut first = true;
    let mut cpu = 0;
    while cpu < n {
        if !is_in(cpu) {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < n && is_in(cpu + 1) {
            cpu += 1;
        }
        let sep = if first { "" } else { "," };
        if start == cpu {
            write!(out, "{sep}{start}")?;
        } else {
            write!(out, "{sep}{start}-{cpu}")?;
        }
        first = false;
        cpu += 1;
    }
    writeln!(out)?;
    Ok(())
}

impl sysfs::Attributes for Knobs {
    const DIR: Option<&'static CStr> = Some(c_str!("cpu"));
    const ATTRS: &'static [Attribute] = &[
        Attribute::root_only(c_str!("starvation_limit_ms")),
        Attribute::root_only(c_str!("starvation_slice_us")),
        Attribute::read_only(c_str!("stat")),
        Attribute::root_only(c_str!("isolation_period_ms")),
        Attribute::root_only(c_str!("isolation_util_pct")),
        Attribute::root_only(c_str!("offline_cpus_pct")),
        Attribute::read_only(c_str!("withdrawn")),
    ];

    fn show(&self, attr: usize, out: &mut Page<'_>) -> Result {
        let e = &self.expeller;
        let i = &self.isolation;
        match attr {
            Self::LIMIT => writeln!(out, "{}", e.limit_ns.load(Ordering::Relaxed) / 1_000_000)?,
            Self::SLICE => writeln!(out, "{}", e.slice_ns.load(Ordering::Relaxed) / 1_000)?,
            Self::STAT => {
                let hold = cpu::hold_stat();
                writeln!(out, "expel_holds {}", hold.holds)?;
                writeln!(out, "expel_held_ms {}", hold.held_ns / 1_000_000)?;
                writeln!(out, "expel_rescues {}", hold.rescues)?;
                writeln!(
                    out,
                    "starvation_slices {}",
                    e.slices.load(Ordering::Relaxed)
                )?;
                writeln!(out, "withdrawals {}", i.withdrawals.load(Ordering::Relaxed))?;
                let withdrawn = (0..cpu::nr_cpu_ids())
                    .filter(|&c| cpu::withdrawn(c))
                    .count();
                writeln!(out, "withdrawn_cpus {withdrawn}")?;
            }
            Self::PERIOD => writeln!(out, "{}", i.period_ms.load(Ordering::Relaxed))?,
            Self::UTIL => writeln!(out, "{}", i.util_pct.load(Ordering::Relaxed))?,
            Self::OFFLINE_CPUS => writeln!(out, "{}", i.offline_cpus_pct.load(Ordering::Relaxed))?,
            Self::WITHDRAWN => write_cpu_list(out, cpu::withdrawn)?,
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn store(&self, attr: usize, input: &[u8]) -> Result {
        let e = &self.expeller;
        let i = &self.isolation;
        match attr {
            Self::LIMIT => {
                let ms = knob::parse_u64(input, STARVATION_LIMIT_MS)?;
                e.limit_ns.store(ms * 1_000_000, Ordering::Relaxed);
            }
            Self::SLICE => {
                let us = knob::parse_u64(input, STARVATION_SLICE_US)?;
                e.slice_ns.store(us * 1_000, Ordering::Relaxed);
            }
            Self::PERIOD => {
                let ms = knob::parse_u64(input, ISOLATION_PERIOD_MS)?;
                i.period_ms.store(ms, Ordering::Relaxed);
                cpu::isolation_kick();
            }
            Self::UTIL => {
                let pct = knob::parse_u64(input, ISOLATION_UTIL_PCT)?;
                i.util_pct.store(pct, Ordering::Relaxed);
                cpu::isolation_kick();
            }
            Self::OFFLINE_CPUS => {
                let pct = knob::parse_u64(input, OFFLINE_CPUS_PCT)?;
                i.offline_cpus_pct.store(pct, Ordering::Relaxed);
                cpu::isolation_kick();
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// What every change of a group's class is serialised on.
struct State {
    /// False once the module is going away: every group goes back to normal.
    loaded: bool,
}

type Shared = Arc<Mutex<State>>;

/// Whether classes apply now.
fn active(state: &State) -> bool {
    state.loaded && cpu::identity_enabled()
}

/// The values written on the path from `group` up to the root, nearest first.
fn written_on_path(group: &CpuGroup) -> impl Iterator<Item = i32> + '_ {
    group
        .css()
        .ancestors()
        .filter_map(CpuGroup::from_css)
        .filter_map(CpuGroup::bvt)
}

/// The group's own value: the one written on it, else its parent's own value.
fn own_value(group: &CpuGroup) -> i32 {
    written_on_path(group).next().unwrap_or(CLASS_NORMAL)
}

/// The class in force for `group` if classes apply: offline if anything on
/// its path is offline, its own value otherwise.
fn class_of(group: &CpuGroup) -> i32 {
    if written_on_path(group).any(|v| v == CLASS_OFFLINE) {
        CLASS_OFFLINE
    } else {
        own_value(group)
    }
}

/// Whether a write of `bvt` needs privilege: raising a class above normal
/// does, as raising a task's priority does.
fn needs_privilege(bvt: i32) -> bool {
    bvt > CLASS_NORMAL
}

/// Brings `group` and its descendants in line with their values; under the state lock.
fn apply_subtree(group: &CpuGroup, active: bool) {
    let classes = ClassLock::lock();
    classes.for_each_group(group, |g| {
        let Some(parent) = g.css().parent().and_then(CpuGroup::from_css) else {
            // The root is always normal.
            return;
        };
        let class = if active { class_of(g) } else { CLASS_NORMAL };
        classes.set_class(g, class);
        // Only the top of an offline subtree is SCHED_IDLE: the rest is
        // offline through it, and a group created below it needs no change.
        let offline = class == CLASS_OFFLINE && class_of(parent) != CLASS_OFFLINE;
        if let Err(e) = g.set_offline(offline) {
            // Only the root is refused, and the root is skipped above.
            pr_warn!("coloc_cpu: cgroup {}: {:?}\n", g.css().cgroup_id(), e);
        }
    });
}

/// The counters of `cpu.coloc_stat`, in the order printed.
const STATS: [Stat; 4] = [
    Stat::Preempted,
    Stat::ExpelledNs,
    Stat::WithdrawnNs,
    Stat::Slices,
];

struct Files {
    state: Shared,
}

impl Files {
    const BVT_WARP_NS: usize = 0;
    const STAT: usize = 1;
}

impl cgroup::Files for Files {
    const SUBSYS: Subsys = Subsys::Cpu;
    const FILES: &'static [File] = &[
        File::read_write(c_str!("bvt_warp_ns")).scope(Scope::NotOnRoot),
        File::read_only(c_str!("coloc_stat")).scope(Scope::NotOnRoot),
    ];

    fn show(&self, file: usize, css: &Css, out: &mut SeqFile<'_>) -> Result {
        let group = CpuGroup::from_css(css).ok_or(EINVAL)?;
        match file {
            Self::BVT_WARP_NS => writeln!(out, "{}", own_value(group))?,
            Self::STAT => {
                writeln!(out, "class {}", group.class())?;
                writeln!(out, "offline {}", group.is_offline() as u8)?;
                // The subtree's, as cpu.stat's usage is.
                let mut sum = [0u64; 4];
                css.for_each_descendant_pre(|d| {
                    if let Some(g) = CpuGroup::from_css(d) {
                        for (total, item) in sum.iter_mut().zip(STATS) {
                            *total += g.stat(item);
                        }
                    }
                });
                writeln!(out, "preempted {}", sum[0])?;
                writeln!(out, "expelled_usec {}", sum[1] / 1_000)?;
                writeln!(out, "withdrawn_usec {}", sum[2] / 1_000)?;
                writeln!(out, "starvation_slices {}", sum[3])?;
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn write(&self, file: usize, css: &Css, input: &[u8], opener: &Opener<'_>) -> Result {
        let group = CpuGroup::from_css(css).ok_or(EINVAL)?;
        match file {
            Self::BVT_WARP_NS => {
                let bvt = knob::parse_i64(input, BVT_RANGE)? as i32;
                if needs_privilege(bvt)
                    && !opener.capable(Capability::SYS_NICE)
                    && !opener.capable(Capability::SYS_ADMIN)
                {
                    return Err(EPERM);
                }
                let state = self.state.lock();
                group.set_bvt(bvt);
                apply_subtree(group, active(&state));
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// Follows `kernel.sched_group_identity_enabled`.
struct Switch {
    state: Shared,
}

#[vtable]
impl IdentitySwitch for Switch {
    fn switched(&self) {
        let state = self.state.lock();
        apply_subtree(CpuGroup::root(), active(&state));
    }
}

/// Puts every group back to normal when dropped: when the module goes
/// away, and when its init fails after a class was applied (by the walk in
/// init or by a write once the files exist).
struct Classes(Shared);

impl Drop for Classes {
    fn drop(&mut self) {
        // Writes and switch changes that come after this see `loaded == false`.
        let mut state = self.0.lock();
        state.loaded = false;
        apply_subtree(CpuGroup::root(), false);
    }
}

struct ColocCpu {
    // Dropped in declaration order: classes first; the controller gives
    // its CPUs back before the policy that holds offline work goes.
    _classes: Classes,
    _isolation: cpu::IsolationRegistration<Isolation>,
    _expeller: cpu::SchedRegistration<Expel>,
    _knobs: sysfs::Registration<Knobs>,
    _switch: coloc::hook::Registration<Switch>,
    _files: cgroup::Registration<Files>,
    _feature: coloc::Feature,
}

impl kernel::Module for ColocCpu {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let feature = coloc::Feature::register(c_str!("cpu"), module)?;
        let state: Shared = Arc::pin_init(new_mutex!(State { loaded: true }), GFP_KERNEL)?;
        // Before anything that can apply a class, so that a failure of any
        // later step drops it after the files and the switch are gone.
        let classes = Classes(state.clone());
        // The switch first, so that no change of it goes unseen after the walk below.
        let switch = cpu::register(
            Switch {
                state: state.clone(),
            },
            module,
        )?;
        let files = cgroup::Registration::new(
            Files {
                state: state.clone(),
            },
            module,
        )?;
        {
            let guard = state.lock();
            apply_subtree(CpuGroup::root(), active(&guard));
        }
        let expeller = Arc::new(
            Expeller {
                limit_ns: AtomicU64::new(STARVATION_LIMIT_MS_DEFAULT * 1_000_000),
                slice_ns: AtomicU64::new(STARVATION_SLICE_US_DEFAULT * 1_000),
                slices: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?;
        let isolation_knobs = Arc::new(
            IsolationKnobs {
                period_ms: AtomicU64::new(ISOLATION_PERIOD_MS_DEFAULT),
                util_pct: AtomicU64::new(0),
                offline_cpus_pct: AtomicU64::new(100),
                withdrawals: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?;
        let sample = Sample::new(cpu::nr_cpu_ids())?;
        let knobs = sysfs::Registration::new(
            Parent::Coloc,
            Knobs {
                expeller: expeller.clone(),
                isolation: isolation_knobs.clone(),
            },
            module,
        )?;
        // The policy first: it starts the online time the controller reads.
        let expeller = cpu::register_offline_policy(Expel(expeller), module)?;
        let isolation = cpu::register_isolation(
            Isolation {
                knobs: isolation_knobs,
                sample: Arc::pin_init(new_mutex!(sample), GFP_KERNEL)?,
            },
            module,
        )?;
        Ok(ColocCpu {
            _classes: classes,
            _isolation: isolation,
            _expeller: expeller,
            _knobs: knobs,
            _switch: switch,
            _files: files,
            _feature: feature,
        })
    }
}
