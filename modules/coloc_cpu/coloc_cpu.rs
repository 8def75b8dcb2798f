// SPDX-License-Identifier: GPL-2.0

//! coloc_cpu: CPU group identity for co-located workloads.
//!
//! Knob (Alibaba Cloud Linux name and meaning), present while loaded:
//! - `cpu.bvt_warp_ns` (-1, 0, 1 or 2, default 0, not on the root): the
//!   group's class. -1 offline, 0 normal, 1 online, 2 online whose CPU's SMT
//!   siblings do not run offline work.
//! - `cpu.coloc_stat` (read-only): the class in force.
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

use core::fmt::Write;
use kernel::{
    c_str,
    cgroup::{self, Css, File, Scope, SeqFile, Subsys},
    coloc::{
        self,
        cpu::{self, CpuGroup, IdentitySwitch, CLASS_OFFLINE, CLASS_ONLINE_EXPEL},
        knob,
    },
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
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
        Ok(ColocCpu {
            state,
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
