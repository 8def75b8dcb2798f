// SPDX-License-Identifier: GPL-2.0

//! coloc_test: the fixture the framework selftests load; not a policy.
//!
//! It exercises every piece a policy module is built from, so that the
//! selftests can check them end to end in a running kernel:
//! - the test hook: `/sys/kernel/coloc/hook_test` maps `x` to `2 * x + offset`
//!   while this module is loaded (`x` unchanged otherwise);
//! - sysfs knobs in `/sys/kernel/coloc/test/`: `offset` (-1000..1000, root
//!   only) and `calls`, the number of hook calls;
//! - cgroup files: `memory.coloc_test` (0..100, default 0, not on the root)
//!   and `memory.coloc_test_effective`, the smallest `memory.coloc_test` on
//!   the path from the cgroup up to the root, as inherited limits work.
//!
//! Values of `memory.coloc_test` are kept by cgroup id until the module is
//! unloaded: a fixture for short tests, not a pattern for policies.

use core::{
    fmt::Write,
    sync::atomic::{AtomicI64, AtomicU64, Ordering},
};
use kernel::{
    c_str,
    cgroup::{self, Css, File, Opener, Scope, SeqFile, Subsys},
    coloc::{
        self, knob,
        test_hook::{self, TestHook},
    },
    new_mutex,
    prelude::*,
    rbtree::RBTree,
    sync::{Arc, Mutex},
    sysfs::{self, Attribute, Page, Parent},
};

module! {
    type: ColocTest,
    name: "coloc_test",
    author: "coloc developers",
    description: "coloc: fixture for the framework selftests",
    license: "GPL",
}

const OFFSET_RANGE: core::ops::RangeInclusive<i64> = -1000..=1000;
const VALUE_RANGE: core::ops::RangeInclusive<u64> = 0..=100;

/// State shared by the hook, the sysfs knobs and the cgroup files.
struct Shared {
    offset: AtomicI64,
    calls: AtomicU64,
    /// `memory.coloc_test` by cgroup id; absent means 0.
    values: Pin<KBox<Mutex<RBTree<u64, u64>>>>,
}

impl Shared {
    fn value(tree: &RBTree<u64, u64>, css: &Css) -> u64 {
        tree.get(&css.cgroup_id()).copied().unwrap_or(0)
    }
}

struct Hook(Arc<Shared>);

#[vtable]
impl TestHook for Hook {
    fn transform(&self, x: i64) -> i64 {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
        x.wrapping_mul(2)
            .wrapping_add(self.0.offset.load(Ordering::Relaxed))
    }
}

struct Knobs(Arc<Shared>);

impl Knobs {
    const OFFSET: usize = 0;
    const CALLS: usize = 1;
}

impl sysfs::Attributes for Knobs {
    const DIR: Option<&'static CStr> = Some(c_str!("test"));
    const ATTRS: &'static [Attribute] = &[
        Attribute::root_only(c_str!("offset")),
        Attribute::read_only(c_str!("calls")),
    ];

    fn show(&self, attr: usize, out: &mut Page<'_>) -> Result {
        match attr {
            Self::OFFSET => writeln!(out, "{}", self.0.offset.load(Ordering::Relaxed))?,
            Self::CALLS => writeln!(out, "{}", self.0.calls.load(Ordering::Relaxed))?,
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn store(&self, attr: usize, input: &[u8]) -> Result {
        match attr {
            Self::OFFSET => {
                let offset = knob::parse_i64(input, OFFSET_RANGE)?;
                self.0.offset.store(offset, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

struct Files(Arc<Shared>);

impl Files {
    const VALUE: usize = 0;
    const EFFECTIVE: usize = 1;
}

impl cgroup::Files for Files {
    const SUBSYS: Subsys = Subsys::Memory;
    const FILES: &'static [File] = &[
        File::read_write(c_str!("coloc_test")).scope(Scope::NotOnRoot),
        File::read_only(c_str!("coloc_test_effective")).scope(Scope::NotOnRoot),
    ];

    fn show(&self, file: usize, css: &Css, out: &mut SeqFile<'_>) -> Result {
        let tree = self.0.values.lock();
        let value = match file {
            Self::VALUE => Shared::value(&tree, css),
            Self::EFFECTIVE => css
                .ancestors()
                .filter(|c| !c.is_root())
                .map(|c| Shared::value(&tree, c))
                .min()
                .unwrap_or(0),
            _ => return Err(EINVAL),
        };
        drop(tree);
        writeln!(out, "{value}")?;
        Ok(())
    }

    fn write(&self, file: usize, css: &Css, input: &[u8], _opener: &Opener<'_>) -> Result {
        if file != Self::VALUE {
            return Err(EINVAL);
        }
        let value = knob::parse_u64(input, VALUE_RANGE)?;
        let mut tree = self.0.values.lock();
        if value == 0 {
            tree.remove(&css.cgroup_id());
        } else {
            tree.try_create_and_insert(css.cgroup_id(), value, GFP_KERNEL)?;
        }
        Ok(())
    }
}

struct ColocTest {
    // Dropped in this order: the hook and the files first, the feature last.
    _hook: coloc::hook::Registration<Hook>,
    _knobs: sysfs::Registration<Knobs>,
    _files: cgroup::Registration<Files>,
    _feature: coloc::Feature,
}

impl kernel::Module for ColocTest {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let shared = Arc::new(
            Shared {
                offset: AtomicI64::new(0),
                calls: AtomicU64::new(0),
                values: KBox::pin_init(new_mutex!(RBTree::new()), GFP_KERNEL)?,
            },
            GFP_KERNEL,
        )?;
        let feature = coloc::Feature::register(c_str!("test"), module)?;
        let files = cgroup::Registration::new(Files(shared.clone()), module)?;
        let knobs = sysfs::Registration::new(Parent::Coloc, Knobs(shared.clone()), module)?;
        let hook = test_hook::register(Hook(shared), module)?;
        Ok(ColocTest {
            _hook: hook,
            _knobs: knobs,
            _files: files,
            _feature: feature,
        })
    }
}
