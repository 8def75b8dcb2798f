// SPDX-License-Identifier: GPL-2.0

//! coloc_io: I/O QoS for co-located workloads.
//!
//! Knobs on the io controller, present while loaded, in the nested keyed
//! format of `io.max` and `io.latency`:
//! - `io.coloc` (not on the root): per disk, `MAJ:MIN class=CLASS target=US`.
//!   CLASS is `online`, `normal` (the default) or `offline`; US is the
//!   completion-latency target of an online cgroup in microseconds
//!   (1-10000000, 0 for none). Keys left out keep their value; a device
//!   set back to `class=normal target=0` is forgotten.
//! - `io.coloc_stat` (read-only): per disk the cgroup has I/O on, its class
//!   in force, the bios delayed and for how long, and completion-latency
//!   percentiles.
//!
//! The class in force is the lowest on the path from the cgroup to the
//! root (the root not counted; a level without a setting is normal), so a
//! delegated subtree can lower its children but never raise them.
//!
//! The hook is installed with the first setting and removed with the last,
//! so a loaded module without settings costs the block layer nothing.
//!
//! Policy, per disk: while more than a tenth of the online completions of
//! a window (`/sys/kernel/coloc/io/window_ms`) miss their cgroup's target,
//! the number of offline bios in flight is halved each window, down to
//! one; while online meets its target it grows by one per window, but
//! stays below the depth at which online last missed for 20 windows
//! (twice as many after each such probe that made online miss again, up
//! to 1280). A window without online I/O lifts the bound. An offline submitter waits for a
//! slot at most `max_delay_ms`, then goes ahead: offline I/O is delayed,
//! never failed or starved. Swap and metadata bios are counted but never
//! delayed, since others wait for them.

use core::{
    fmt::Write,
    ops::RangeInclusive,
    sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering},
};
use kernel::{
    c_str,
    cgroup::{self, Css, File, Opener, Scope, SeqFile, Subsys},
    coloc::{
        self,
        io::{
            self, Bio, BlkgStats, InflightLimit, IoPolicy, MaySleep, Verdict, CLASS_NORMAL,
            CLASS_OFFLINE, CLASS_ONLINE,
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
    type: ColocIo,
    name: "coloc_io",
    author: "coloc developers",
    description: "coloc: I/O QoS for online and offline cgroups (io.coloc)",
    license: "GPL",
}

/// Disks that can have settings at the same time.
const MAX_DEVICES: usize = 16;
/// Settings kept over all cgroups and disks.
const MAX_SETTINGS: usize = 4096;
/// The longest line `io.coloc` accepts.
const MAX_LINE: usize = 128;
/// `target=` range in microseconds; 0 means none.
const TARGET_US: RangeInclusive<u64> = 0..=10_000_000;
/// `window_ms`: range and default.
const WINDOW_MS: RangeInclusive<u64> = 1..=10_000;
const WINDOW_MS_DEFAULT: u64 = 50;
/// `max_delay_ms`: range and default.
const MAX_DELAY_MS: RangeInclusive<u64> = 1..=10_000;
const MAX_DELAY_MS_DEFAULT: u64 = 100;
/// Growing past this many offline bios in flight lifts the bound altogether.
const MAX_DEPTH: u32 = 1024;
/// Good windows after which the limit may probe one step above the depth
/// at which online last missed; doubled after each probe that failed, up to
/// `MAX_PROBE_WINDOWS`, and back to this after one that held.
const CEILING_WINDOWS: u32 = 20;
const MAX_PROBE_WINDOWS: u32 = CEILING_WINDOWS << 6;

/// One cgroup's setting on one disk.
#[derive(Clone, Copy)]
struct Setting {
    cgroup_id: u64,
    devt: u32,
    class: i32,
    target_us: u64,
}

/// The state of one disk with settings, shared by submissions and completions.
#[pin_data]
struct Device {
    /// The disk; 0 while the slot is free. Never changes once set.
    devt: AtomicU32,
    /// The bound on offline bios in flight.
    #[pin]
    offline: InflightLimit,
    /// The current window: its start and what online did in it.
    window_start: AtomicU64,
    online_submitted: AtomicU64,
    online_done: AtomicU64,
    online_missed: AtomicU64,
    /// Windows in which online missed its target.
    missed_windows: AtomicU64,
    /// Offline bios that waited.
    delayed: AtomicU64,
    /// Below the depth at which online last missed: the limit grows no
    /// further until `good_windows` reach `probe_windows`, then the
    /// ceiling goes up by one (a probe). Only the window's closer writes these.
    ceiling: AtomicU32,
    good_windows: AtomicU32,
    probe_windows: AtomicU32,
    /// The ceiling was raised and online has not missed since.
    probing: AtomicBool,
}

impl Device {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            devt: AtomicU32::new(0),
            offline <- InflightLimit::new(),
            window_start: AtomicU64::new(0),
            online_submitted: AtomicU64::new(0),
            online_done: AtomicU64::new(0),
            online_missed: AtomicU64::new(0),
            missed_windows: AtomicU64::new(0),
            delayed: AtomicU64::new(0),
            ceiling: AtomicU32::new(InflightLimit::UNLIMITED),
            good_windows: AtomicU32::new(0),
            probe_windows: AtomicU32::new(CEILING_WINDOWS),
            probing: AtomicBool::new(false),
        })
    }

    /// Closes the window if it is over and sets the offline bound from it.
    fn evaluate(&self, now: u64, shared: &Shared) {
        if shared.unloading.load(Ordering::Relaxed) {
            return;
        }
        let window_ns = shared.window_ns.load(Ordering::Relaxed);
        let start = self.window_start.load(Ordering::Relaxed);
        if now.saturating_sub(start) < window_ns
            || self
                .window_start
                .compare_exchange(start, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let submitted = self.online_submitted.swap(0, Ordering::Relaxed);
        let done = self.online_done.swap(0, Ordering::Relaxed);
        let missed = self.online_missed.swap(0, Ordering::Relaxed);
        let cur = self.offline.max();
        let new = if submitted == 0 && done == 0 {
            // No online I/O: offline gets the whole disk.
            InflightLimit::UNLIMITED
        } else if missed * 10 > done {
            self.missed_windows.fetch_add(1, Ordering::Relaxed);
            let depth = if cur == InflightLimit::UNLIMITED {
                self.offline.inflight()
            } else {
                cur
            };
            self.ceiling
                .store(depth.saturating_sub(1).max(1), Ordering::Relaxed);
            self.good_windows.store(0, Ordering::Relaxed);
            // A probe that failed: each miss costs online a window, so wait
            // twice as long before the next (a bio split into several
            // requests, for one, takes several tags: the depth online
            // tolerates can be below what the window counts suggest).
            if self.probing.swap(false, Ordering::Relaxed) {
                let w = self.probe_windows.load(Ordering::Relaxed);
                self.probe_windows
                    .store((w * 2).min(MAX_PROBE_WINDOWS), Ordering::Relaxed);
            }
            (depth / 2).max(1)
        } else {
            self.grow(cur)
        };
        if new != cur {
            self.offline.set_max(new);
        }
    }

    /// The limit after a window in which online met its target.
    fn grow(&self, cur: u32) -> u32 {
        let mut ceiling = self.ceiling.load(Ordering::Relaxed);
        if ceiling != InflightLimit::UNLIMITED
            && self.good_windows.fetch_add(1, Ordering::Relaxed) + 1
                >= self.probe_windows.load(Ordering::Relaxed)
        {
            self.good_windows.store(0, Ordering::Relaxed);
            // The last probe held: probe at the normal pace again.
            if self.probing.swap(true, Ordering::Relaxed) {
                self.probe_windows.store(CEILING_WINDOWS, Ordering::Relaxed);
            }
            ceiling = if ceiling + 1 >= MAX_DEPTH {
                InflightLimit::UNLIMITED
            } else {
                ceiling + 1
            };
            self.ceiling.store(ceiling, Ordering::Relaxed);
        }
        if cur == InflightLimit::UNLIMITED {
            // Online is back after idling: start where it was fine.
            return ceiling;
        }
        // Back up one step at a time, up to the ceiling.
        match cur + 1 {
            next if next >= MAX_DEPTH => InflightLimit::UNLIMITED,
            next => next.min(ceiling),
        }
    }
}

/// What the policy, the knobs and the module share.
#[pin_data]
struct Shared {
    /// Every setting; writers also bump `generation`.
    #[pin]
    settings: Mutex<KVec<Setting>>,
    /// `MAX_DEVICES` slots, claimed in order under `settings`, never released.
    devices: KVec<Pin<KBox<Device>>>,
    /// Slots claimed so far: the hot paths look at these only.
    nr_devices: AtomicUsize,
    /// Generation of the settings, for the copies cached in blkgs.
    generation: AtomicU32,
    window_ns: AtomicU64,
    max_delay_ms: AtomicU32,
    /// Set when the module goes away: nobody waits any more, and no write
    /// installs the hook again. Set under `hook`.
    unloading: AtomicBool,
    /// The I/O hook, installed while any setting exists: without settings
    /// the block layer's hook sites stay patched-out jumps. Taken before
    /// `settings`: the hook's slow path takes `settings` under the SRCU
    /// that removing the hook waits for.
    #[pin]
    hook: Mutex<Option<coloc::hook::Registration<Policy>>>,
    module: &'static ThisModule,
}

impl Shared {
    fn device(&self, devt: u32) -> Option<&Device> {
        let claimed = self.nr_devices.load(Ordering::Acquire);
        self.devices[..claimed]
            .iter()
            .map(|d| &**d)
            .find(|d| d.devt.load(Ordering::Relaxed) == devt)
    }

    /// The slot of `devt`, claimed if needed; under the settings lock.
    fn claim_device(&self, devt: u32) -> Result<&Device> {
        if let Some(d) = self.device(devt) {
            return Ok(d);
        }
        let claimed = self.nr_devices.load(Ordering::Relaxed);
        let free = self.devices.get(claimed).ok_or(ENOSPC)?;
        free.devt.store(devt, Ordering::Relaxed);
        // Publishes the slot with its number.
        self.nr_devices.store(claimed + 1, Ordering::Release);
        Ok(free)
    }
}

/// The class and target (ns) in force for cgroup `css` on `devt`.
fn effective(settings: &[Setting], css: &Css, devt: u32) -> (i32, u64) {
    if css.is_root() {
        return (CLASS_NORMAL, 0);
    }
    let mut class = CLASS_ONLINE;
    let mut target_us = 0;
    for level in css.ancestors().filter(|c| !c.is_root()) {
        let id = level.cgroup_id();
        match settings
            .iter()
            .find(|s| s.cgroup_id == id && s.devt == devt)
        {
            Some(s) => {
                class = class.min(s.class);
                if target_us == 0 {
                    target_us = s.target_us;
                }
            }
            None => class = class.min(CLASS_NORMAL),
        }
    }
    (class, target_us * 1000)
}

/// The policy the block layer calls.
struct Policy(Arc<Shared>);

impl Policy {
    /// Brings the blkg's copy of the bio's class and target up to date.
    /// Takes the settings lock: may sleep.
    fn refresh(&self, bio: &Bio) {
        let state = bio.state();
        let s = &self.0;
        if state.generation() != s.generation.load(Ordering::Acquire) {
            let settings = s.settings.lock();
            let gen = s.generation.load(Ordering::Acquire);
            let (class, target_ns) = effective(&settings, bio.css(), bio.devt());
            state.set(gen, class, target_ns);
        }
    }

    /// Whether an offline bio may be made to wait: not swap or metadata,
    /// which others wait for, and not while the module goes away.
    fn may_delay(&self, bio: &Bio) -> bool {
        let flags = bio.flags();
        !flags.is_swap() && !flags.is_meta() && !self.0.unloading.load(Ordering::Relaxed)
    }
}

#[vtable]
impl IoPolicy for Policy {
    fn submit(&self, bio: &Bio, may_wait: bool) -> Verdict {
        let s = &self.0;
        // A disk without settings: nothing to do (and the cheapest check).
        let Some(dev) = s.device(bio.devt()) else {
            return Verdict::Pass;
        };
        // One lookup of the bio's blkg state per bio: it is an out-of-line call.
        let state = bio.state();
        // Stale settings are refreshed under their lock, the slow way; a bio
        // that cannot go there is judged by the copy it has.
        if may_wait && state.generation() != s.generation.load(Ordering::Acquire) {
            return Verdict::Slow;
        }
        match state.class() {
            // Windows are closed by completions, which every bio has.
            CLASS_ONLINE => {
                dev.online_submitted.fetch_add(1, Ordering::Relaxed);
                Verdict::Pass
            }
            CLASS_OFFLINE => {
                if dev.offline.try_acquire() {
                    Verdict::Limited
                } else if may_wait && self.may_delay(bio) {
                    Verdict::Slow
                } else {
                    // Counted beyond the bound, not delayed.
                    dev.offline.acquire(None, 0);
                    Verdict::Limited
                }
            }
            _ => Verdict::Pass,
        }
    }

    fn slow(&self, bio: &Bio, may_sleep: &MaySleep<'_>) -> bool {
        let s = &self.0;
        let Some(dev) = s.device(bio.devt()) else {
            return false;
        };
        self.refresh(bio);
        match bio.state().class() {
            CLASS_ONLINE => {
                dev.online_submitted.fetch_add(1, Ordering::Relaxed);
                false
            }
            CLASS_OFFLINE => {
                let wait = self.may_delay(bio).then_some(may_sleep);
                let waited = dev
                    .offline
                    .acquire(wait, s.max_delay_ms.load(Ordering::Relaxed));
                if waited > 0 {
                    bio.state().add_delay(waited);
                    dev.delayed.fetch_add(1, Ordering::Relaxed);
                }
                true
            }
            _ => false,
        }
    }

    fn done(&self, bio: &Bio, limited: bool) {
        let s = &self.0;
        let Some(dev) = s.device(bio.devt()) else {
            return;
        };
        if limited {
            dev.offline.release();
        }
        // A bio that never reached the disk says nothing about its latency.
        let Some((latency_ns, now_ns)) = bio.latency_ns() else {
            return;
        };
        let state = bio.state();
        state.record_latency(latency_ns);
        if state.generation() != 0 && state.class() == CLASS_ONLINE {
            dev.online_done.fetch_add(1, Ordering::Relaxed);
            let target = state.target_ns();
            if target != 0 && latency_ns > target {
                dev.online_missed.fetch_add(1, Ordering::Relaxed);
            }
        }
        dev.evaluate(now_ns, s);
    }
}

/// A parsed line of `io.coloc`: the disk and the keys given.
struct Line {
    devt: u32,
    class: Option<i32>,
    target_us: Option<u64>,
}

fn parse_class(v: &[u8]) -> Result<i32> {
    match v {
        b"online" => Ok(CLASS_ONLINE),
        b"normal" => Ok(CLASS_NORMAL),
        b"offline" => Ok(CLASS_OFFLINE),
        _ => Err(EINVAL),
    }
}

fn parse_line(input: &[u8]) -> Result<Line> {
    if input.len() > MAX_LINE {
        return Err(EINVAL);
    }
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    if body.iter().any(|&c| !(c.is_ascii_graphic() || c == b' ')) {
        return Err(EINVAL);
    }
    let mut tokens = body.split(|&c| c == b' ').filter(|t| !t.is_empty());
    let dev = tokens.next().ok_or(EINVAL)?;
    let colon = dev.iter().position(|&c| c == b':').ok_or(EINVAL)?;
    let major = knob::parse_u64(&dev[..colon], 0..=u64::from(u32::MAX))?;
    let minor = knob::parse_u64(&dev[colon + 1..], 0..=u64::from(u32::MAX))?;
    let devt = io::mkdev(major as u32, minor as u32).ok_or(ERANGE)?;
    let mut line = Line {
        devt,
        class: None,
        target_us: None,
    };
    let mut any = false;
    for t in tokens {
        let eq = t.iter().position(|&c| c == b'=').ok_or(EINVAL)?;
        let (key, value) = (&t[..eq], &t[eq + 1..]);
        match key {
            b"class" if line.class.is_none() => line.class = Some(parse_class(value)?),
            b"target" if line.target_us.is_none() => {
                line.target_us = Some(knob::parse_u64(value, TARGET_US)?)
            }
            _ => return Err(EINVAL),
        }
        any = true;
    }
    if !any {
        return Err(EINVAL);
    }
    Ok(line)
}

fn class_name(class: i32) -> &'static str {
    match class {
        CLASS_ONLINE => "online",
        CLASS_OFFLINE => "offline",
        _ => "normal",
    }
}

/// Drops the settings of cgroups that no longer exist; under the settings lock.
fn prune(settings: &mut KVec<Setting>, any_css: &Css) {
    let Some(root) = any_css.ancestors().last() else {
        return;
    };
    let mut live = KVec::<u64>::new();
    let mut failed = false;
    root.for_each_descendant_pre(|c| {
        let id = c.cgroup_id();
        if settings.iter().any(|s| s.cgroup_id == id) && !live.contains(&id) {
            failed |= live.push(id, GFP_KERNEL).is_err();
        }
    });
    if failed {
        return;
    }
    // Keeps the old table if the new one cannot be allocated.
    let _ = retain(settings, |s| live.contains(&s.cgroup_id));
}

/// Keeps the settings `keep` is true for. (This kernel's `KVec` cannot remove.)
fn retain(settings: &mut KVec<Setting>, keep: impl Fn(&Setting) -> bool) -> Result {
    let mut kept = KVec::with_capacity(settings.len(), GFP_KERNEL)?;
    for s in settings.iter().filter(|s| keep(s)) {
        kept.push(*s, GFP_KERNEL)?;
    }
    *settings = kept;
    Ok(())
}

struct Files(Arc<Shared>);

impl Files {
    const COLOC: usize = 0;
    const STAT: usize = 1;
}

impl cgroup::Files for Files {
    const SUBSYS: Subsys = Subsys::Io;
    const FILES: &'static [File] = &[
        File::read_write(c_str!("coloc")).scope(Scope::NotOnRoot),
        File::read_only(c_str!("coloc_stat")).scope(Scope::NotOnRoot),
    ];

    fn show(&self, file: usize, css: &Css, out: &mut SeqFile<'_>) -> Result {
        let settings = self.0.settings.lock();
        match file {
            Self::COLOC => {
                let id = css.cgroup_id();
                for s in settings.iter().filter(|s| s.cgroup_id == id) {
                    let (major, minor) = io::major_minor(s.devt);
                    writeln!(
                        out,
                        "{major}:{minor} class={} target={}",
                        class_name(s.class),
                        s.target_us
                    )?;
                }
            }
            Self::STAT => {
                let mut rows = KVec::<(u32, BlkgStats)>::new();
                let mut failed = false;
                io::for_each_blkg(css, |devt, state| {
                    failed |= rows.push((devt, state.stats()), GFP_ATOMIC).is_err();
                });
                if failed {
                    return Err(ENOMEM);
                }
                for (devt, st) in rows.iter() {
                    let (major, minor) = io::major_minor(*devt);
                    let (class, target_ns) = effective(&settings, css, *devt);
                    writeln!(
                        out,
                        "{major}:{minor} class={} target={} delayed={} delay_us={} completions={} p50_us={} p90_us={} p99_us={}",
                        class_name(class),
                        target_ns / 1000,
                        st.nr_delayed,
                        st.delay_ns / 1000,
                        st.completions(),
                        st.percentile_us(50),
                        st.percentile_us(90),
                        st.percentile_us(99),
                    )?;
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn write(&self, file: usize, css: &Css, input: &[u8], _opener: &Opener<'_>) -> Result {
        if file != Self::COLOC {
            return Err(EINVAL);
        }
        let line = parse_line(input)?;
        io::check_disk(line.devt)?;
        let s = &self.0;
        let mut hook = s.hook.lock();
        if s.unloading.load(Ordering::Relaxed) {
            return Err(ENODEV);
        }
        // Installed before the first setting, so that a failure changes nothing.
        if hook.is_none() {
            *hook = Some(io::register(Policy(self.0.clone()), s.module)?);
        }
        let result = self.update(css, &line);
        if s.settings.lock().is_empty() {
            // Nothing calls back once this returns: the slots the bios in
            // flight hold will never be given back.
            drop(hook.take());
            for d in s.devices.iter() {
                while d.offline.inflight() > 0 {
                    d.offline.release();
                }
            }
        }
        result
    }
}

impl Files {
    /// Applies `line` to the settings of `css`; on error they stay as they were.
    fn update(&self, css: &Css, line: &Line) -> Result {
        let s = &self.0;
        let mut settings = s.settings.lock();
        let id = css.cgroup_id();
        let pos = settings
            .iter()
            .position(|x| x.cgroup_id == id && x.devt == line.devt);
        let old = pos.map(|i| settings[i]).unwrap_or(Setting {
            cgroup_id: id,
            devt: line.devt,
            class: CLASS_NORMAL,
            target_us: 0,
        });
        let new = Setting {
            class: line.class.unwrap_or(old.class),
            target_us: line.target_us.unwrap_or(old.target_us),
            ..old
        };
        let forget = new.class == CLASS_NORMAL && new.target_us == 0;
        match (pos, forget) {
            (Some(_), true) => retain(&mut settings, |x| x.cgroup_id != id || x.devt != line.devt)?,
            (Some(i), false) => settings[i] = new,
            (None, true) => {}
            (None, false) => {
                if settings.len() >= MAX_SETTINGS {
                    prune(&mut settings, css);
                }
                if settings.len() >= MAX_SETTINGS {
                    return Err(ENOSPC);
                }
                s.claim_device(line.devt)?;
                settings.push(new, GFP_KERNEL)?;
            }
        }
        s.generation.store(io::new_generation(), Ordering::Release);
        Ok(())
    }
}

/// `/sys/kernel/coloc/io/`.
struct Knobs(Arc<Shared>);

impl Knobs {
    const WINDOW: usize = 0;
    const MAX_DELAY: usize = 1;
    const STAT: usize = 2;
}

impl sysfs::Attributes for Knobs {
    const DIR: Option<&'static CStr> = Some(c_str!("io"));
    const ATTRS: &'static [Attribute] = &[
        Attribute::root_only(c_str!("window_ms")),
        Attribute::root_only(c_str!("max_delay_ms")),
        Attribute::read_only(c_str!("stat")),
    ];

    fn show(&self, attr: usize, out: &mut Page<'_>) -> Result {
        let s = &self.0;
        match attr {
            Self::WINDOW => writeln!(out, "{}", s.window_ns.load(Ordering::Relaxed) / 1_000_000)?,
            Self::MAX_DELAY => writeln!(out, "{}", s.max_delay_ms.load(Ordering::Relaxed))?,
            Self::STAT => {
                for d in s.devices[..s.nr_devices.load(Ordering::Acquire)].iter() {
                    let devt = d.devt.load(Ordering::Relaxed);
                    let (major, minor) = io::major_minor(devt);
                    let max = d.offline.max();
                    write!(out, "{major}:{minor} offline_limit=")?;
                    if max == InflightLimit::UNLIMITED {
                        write!(out, "max")?;
                    } else {
                        write!(out, "{max}")?;
                    }
                    writeln!(
                        out,
                        " offline_inflight={} missed_windows={} delayed={} probe_windows={}",
                        d.offline.inflight(),
                        d.missed_windows.load(Ordering::Relaxed),
                        d.delayed.load(Ordering::Relaxed),
                        d.probe_windows.load(Ordering::Relaxed)
                    )?;
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn store(&self, attr: usize, input: &[u8]) -> Result {
        let s = &self.0;
        match attr {
            Self::WINDOW => {
                let ms = knob::parse_u64(input, WINDOW_MS)?;
                s.window_ns.store(ms * 1_000_000, Ordering::Relaxed);
            }
            Self::MAX_DELAY => {
                let ms = knob::parse_u64(input, MAX_DELAY_MS)?;
                s.max_delay_ms.store(ms as u32, Ordering::Relaxed);
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// Removes the hook when dropped: when the module goes away, and when its
/// init fails after a write of `io.coloc` installed it. The hook's policy
/// holds a reference to the shared state, so dropping the state alone
/// would leave the hook installed.
struct Unhook(Arc<Shared>);

impl Drop for Unhook {
    fn drop(&mut self) {
        let s = &self.0;
        let mut hook = s.hook.lock();
        // Let every waiting submitter go and keep new ones from waiting, so
        // that removing the hook does not wait for them; and keep writes
        // from installing it again.
        s.unloading.store(true, Ordering::Relaxed);
        for d in s.devices.iter() {
            d.offline.set_max(InflightLimit::UNLIMITED);
        }
        // Also breaks the cycle through `Policy`'s reference to `s`.
        drop(hook.take());
    }
}

struct ColocIo {
    // Dropped in declaration order: the hook first.
    _unhook: Unhook,
    _knobs: sysfs::Registration<Knobs>,
    _files: cgroup::Registration<Files>,
    _feature: coloc::Feature,
}

impl kernel::Module for ColocIo {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // The hook is installed by the first setting (see `Shared::hook`).
        let feature = coloc::Feature::register(c_str!("io"), module)?;
        let mut devices = KVec::with_capacity(MAX_DEVICES, GFP_KERNEL)?;
        for _ in 0..MAX_DEVICES {
            devices.push(KBox::pin_init(Device::new(), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        let shared = Arc::pin_init(
            pin_init!(Shared {
                settings <- new_mutex!(KVec::new()),
                devices,
                nr_devices: AtomicUsize::new(0),
                generation: AtomicU32::new(io::new_generation()),
                window_ns: AtomicU64::new(WINDOW_MS_DEFAULT * 1_000_000),
                max_delay_ms: AtomicU32::new(MAX_DELAY_MS_DEFAULT as u32),
                unloading: AtomicBool::new(false),
                hook <- new_mutex!(None),
                module,
            }),
            GFP_KERNEL,
        )?;
        // Before the files through which a write installs the hook, so that
        // a failure of a later step drops it after them.
        let unhook = Unhook(shared.clone());
        let files = cgroup::Registration::new(Files(shared.clone()), module)?;
        let knobs = sysfs::Registration::new(Parent::Coloc, Knobs(shared), module)?;
        Ok(ColocIo {
            _unhook: unhook,
            _knobs: knobs,
            _files: files,
            _feature: feature,
        })
    }
}
