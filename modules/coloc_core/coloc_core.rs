// SPDX-License-Identifier: GPL-2.0

//! coloc core: what this kernel supports and which policy modules are loaded.
//!
//! Adds to `/sys/kernel/coloc/`:
//! - `version`: the coloc interface version of the kernel;
//! - `features`: the loaded policy modules, one per line;
//! - `hooks`: the implemented hook sites and their modules, one per line.

use core::fmt::Write;
use kernel::{
    c_str, coloc,
    prelude::*,
    sysfs::{self, Attribute, Page, Parent},
};

module! {
    type: ColocCore,
    name: "coloc_core",
    author: "coloc developers",
    description: "coloc: interface version and loaded policy modules",
    license: "GPL",
}

struct Info;

impl Info {
    const VERSION: usize = 0;
    const FEATURES: usize = 1;
    const HOOKS: usize = 2;
}

impl sysfs::Attributes for Info {
    const DIR: Option<&'static CStr> = None;
    const ATTRS: &'static [Attribute] = &[
        Attribute::read_only(c_str!("version")),
        Attribute::read_only(c_str!("features")),
        Attribute::read_only(c_str!("hooks")),
    ];

    fn show(&self, attr: usize, out: &mut Page<'_>) -> Result {
        let mut res = Ok(());
        match attr {
            Self::VERSION => res = writeln!(out, "{}", coloc::version()),
            Self::FEATURES => coloc::for_each_feature(|name| {
                if res.is_ok() {
                    res = writeln!(out, "{name}");
                }
            }),
            Self::HOOKS => coloc::for_each_hook(|hook, owner| {
                if res.is_ok() {
                    res = writeln!(out, "{hook} {owner}");
                }
            }),
            _ => return Err(EINVAL),
        }
        Ok(res?)
    }
}

struct ColocCore {
    _info: sysfs::Registration<Info>,
    _feature: coloc::Feature,
}

impl kernel::Module for ColocCore {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let feature = coloc::Feature::register(c_str!("core"), module)?;
        let info = sysfs::Registration::new(Parent::Coloc, Info, module)?;
        pr_debug!("coloc {} ready\n", coloc::version());
        Ok(ColocCore {
            _info: info,
            _feature: feature,
        })
    }
}
