// SPDX-License-Identifier: GPL-2.0

//! coloc_cpu: CPU group identity for co-located workloads.
//!
//! Knob (Alibaba Cloud Linux name and meaning), present while loaded:
//! - `cpu.bvt_warp_ns` (-1, 0, 1 or 2, default 0, not on the root): the
//!   group's class. -1 offline, 0 normal, 1 online, 2 online whose CPU's SMT
//!   siblings do not run offline work.
//! - `cpu.coloc_stat` (read-only): the class in force.
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
//! The class in force is the lowest value on the path from the root to the
//! group, so a delegated subtree can lower its children but never raise them
//! above its own class. It applies while the module is loaded and
//! `kernel.sched_group_identity_enabled` is 1; otherwise every group is
//! normal.
//!
//! An offline group (its own value -1) becomes a SCHED_IDLE group, which
//! mainline already preempts on any other wakeup and treats as idle when
//! placing wakeups; it gets its `cpu.weight` back when it stops being
//! offline. Its descendants are offline through it.
//!
//! The values are kept in the kernel's task groups and survive an unload
//! and reload of the module; unloaded, they are ignored.

use core::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
};
use kernel::{
    c_str,
    cgroup::{self, Css, File, Scope, SeqFile, Subsys},
    coloc::{
        self,
        cpu::{
            self, CpuGroup, Hold, IdentitySwitch, OfflinePolicy, CLASS_OFFLINE, CLASS_ONLINE_EXPEL,
        },
        knob,
    },
    new_mutex,
    prelude::*,
    str::CStr,
    sync::{Arc, Mutex},
    sysfs::{self, Attribute, Page, Parent},
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
    fn offline_hold(&self, _cpu: u32, sibling_class: i32, held_ns: u64) -> Hold {
        let e = &self.0;
        if sibling_class != CLASS_ONLINE_EXPEL {
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

/// `/sys/kernel/coloc/cpu/`.
struct Knobs(Arc<Expeller>);

impl Knobs {
    const LIMIT: usize = 0;
    const SLICE: usize = 1;
    const STAT: usize = 2;
}

impl sysfs::Attributes for Knobs {
    const DIR: Option<&'static CStr> = Some(c_str!("cpu"));
    const ATTRS: &'static [Attribute] = &[
        Attribute::root_only(c_str!("starvation_limit_ms")),
        Attribute::root_only(c_str!("starvation_slice_us")),
        Attribute::read_only(c_str!("stat")),
    ];

    fn show(&self, attr: usize, out: &mut Page<'_>) -> Result {
        let e = &self.0;
        match attr {
            Self::LIMIT => writeln!(out, "{}", e.limit_ns.load(Ordering::Relaxed) / 1_000_000)?,
            Self::SLICE => writeln!(out, "{}", e.slice_ns.load(Ordering::Relaxed) / 1_000)?,
            Self::STAT => {
                let (holds, held_ns) = cpu::hold_stat();
                writeln!(out, "expel_holds {holds}")?;
                writeln!(out, "expel_held_ms {}", held_ns / 1_000_000)?;
                writeln!(
                    out,
                    "starvation_slices {}",
                    e.slices.load(Ordering::Relaxed)
                )?;
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn store(&self, attr: usize, input: &[u8]) -> Result {
        let e = &self.0;
        match attr {
            Self::LIMIT => {
                let ms = knob::parse_u64(input, STARVATION_LIMIT_MS)?;
                e.limit_ns.store(ms * 1_000_000, Ordering::Relaxed);
            }
            Self::SLICE => {
                let us = knob::parse_u64(input, STARVATION_SLICE_US)?;
                e.slice_ns.store(us * 1_000, Ordering::Relaxed);
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

/// The class in force for `group` if classes apply: the lowest value on its path.
fn effective_class(group: &CpuGroup) -> i32 {
    group
        .css()
        .ancestors()
        .filter_map(CpuGroup::from_css)
        .filter(|g| !g.css().is_root())
        .map(CpuGroup::bvt)
        .min()
        .unwrap_or(CLASS_ONLINE_EXPEL)
}

/// Brings `css` and its descendants in line with their values; under the state lock.
fn apply_subtree(css: &Css, active: bool) {
    css.for_each_descendant_pre(|d| {
        let Some(group) = CpuGroup::from_css(d) else {
            return;
        };
        if d.is_root() {
            return;
        }
        let class = if active { effective_class(group) } else { 0 };
        group.set_class(class);
        let offline = active && group.bvt() == CLASS_OFFLINE;
        if let Err(e) = group.set_offline(offline) {
            // Only the root is refused, and the root is skipped above.
            pr_warn!("coloc_cpu: cgroup {}: {:?}\n", d.cgroup_id(), e);
        }
    });
}

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
            Self::BVT_WARP_NS => writeln!(out, "{}", group.bvt())?,
            Self::STAT => {
                writeln!(out, "class {}", group.class())?;
                writeln!(out, "offline {}", group.is_offline() as u8)?;
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn write(&self, file: usize, css: &Css, input: &[u8]) -> Result {
        let group = CpuGroup::from_css(css).ok_or(EINVAL)?;
        match file {
            Self::BVT_WARP_NS => {
                let bvt = knob::parse_i64(input, BVT_RANGE)?;
                let state = self.state.lock();
                group.set_bvt(bvt as i32);
                apply_subtree(css, active(&state));
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
        apply_subtree(CpuGroup::root().css(), active(&state));
    }
}

struct ColocCpu {
    state: Shared,
    // Dropped in declaration order, after `drop` below.
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
        // The switch first, so that no change of it goes unseen after the walk below.
        let switch = cpu::register(
            Switch {
                state: state.clone(),
            },
            module,
        )?;
        let files = cgroup::Registration::new(Files {
            state: state.clone(),
        })?;
        {
            let guard = state.lock();
            apply_subtree(CpuGroup::root().css(), active(&guard));
        }
        let expeller = Arc::new(
            Expeller {
                limit_ns: AtomicU64::new(STARVATION_LIMIT_MS_DEFAULT * 1_000_000),
                slice_ns: AtomicU64::new(STARVATION_SLICE_US_DEFAULT * 1_000),
                slices: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?;
        let knobs = sysfs::Registration::new(Parent::Coloc, Knobs(expeller.clone()))?;
        let expeller = cpu::register_offline_policy(Expel(expeller), module)?;
        Ok(ColocCpu {
            state,
            _expeller: expeller,
            _knobs: knobs,
            _switch: switch,
            _files: files,
            _feature: feature,
        })
    }
}

impl Drop for ColocCpu {
    fn drop(&mut self) {
        // Writes and switch changes that come after this see `loaded == false`.
        let mut state = self.state.lock();
        state.loaded = false;
        apply_subtree(CpuGroup::root().css(), false);
    }
}
