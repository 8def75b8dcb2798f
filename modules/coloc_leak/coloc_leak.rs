// SPDX-License-Identifier: GPL-2.0

//! coloc_leak: a selftest fixture that leaks every registration it makes.
//!
//! Safe code may leak a value ([`core::mem::forget`], a reference cycle), so a
//! registration that is never dropped must not leave callbacks into the freed
//! module behind. This module registers, and forgets, one of each kind: its
//! feature `leak`, the test hook (`/sys/kernel/coloc/hook_test` maps `x` to
//! `x + 1`), the cgroup file `memory.coloc_leak` and the sysfs knob
//! `/sys/kernel/coloc/leak/leaked`. The kernel removes them when it goes.

use core::{fmt::Write, mem::forget};
use kernel::{
    c_str,
    cgroup::{self, Css, File, Scope, SeqFile, Subsys},
    coloc::{
        self,
        test_hook::{self, TestHook},
    },
    prelude::*,
    sysfs::{self, Attribute, Page, Parent},
};

module! {
    type: ColocLeak,
    name: "coloc_leak",
    author: "coloc developers",
    description: "coloc: selftest fixture that leaks its registrations",
    license: "GPL",
}

struct Hook;

#[vtable]
impl TestHook for Hook {
    fn transform(&self, x: i64) -> i64 {
        x.wrapping_add(1)
    }
}

struct Knobs;

impl sysfs::Attributes for Knobs {
    const DIR: Option<&'static CStr> = Some(c_str!("leak"));
    const ATTRS: &'static [Attribute] = &[Attribute::read_only(c_str!("leaked"))];

    fn show(&self, _attr: usize, out: &mut Page<'_>) -> Result {
        writeln!(out, "1")?;
        Ok(())
    }
}

struct Files;

impl cgroup::Files for Files {
    const SUBSYS: Subsys = Subsys::Memory;
    const FILES: &'static [File] = &[File::read_only(c_str!("coloc_leak")).scope(Scope::NotOnRoot)];

    fn show(&self, _file: usize, _css: &Css, out: &mut SeqFile<'_>) -> Result {
        writeln!(out, "1")?;
        Ok(())
    }
}

struct ColocLeak;

impl kernel::Module for ColocLeak {
    fn init(module: &'static ThisModule) -> Result<Self> {
        forget(coloc::Feature::register(c_str!("leak"), module)?);
        forget(cgroup::Registration::new(Files, module)?);
        forget(sysfs::Registration::new(Parent::Coloc, Knobs, module)?);
        forget(test_hook::register(Hook, module)?);
        Ok(ColocLeak)
    }
}
