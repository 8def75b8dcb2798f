//! colocctl: read and write the coloc co-location knobs.
//!
//! Everything here takes its file system roots from [`Roots`], so the tests
//! can point it at a fake tree in a temporary directory instead of the real
//! `/sys`, `/proc` and `/sys/fs/cgroup`.

pub mod cgroup;
pub mod device;
pub mod error;
pub mod formats;
pub mod reading;
pub mod set;
pub mod status;
pub mod tree;

use std::path::PathBuf;

pub use error::Error;

/// Version of the JSON output schema; bumped on any incompatible change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Where the kernel's interfaces are mounted.
#[derive(Debug, Clone)]
pub struct Roots {
    /// sysfs, normally `/sys` (holds `kernel/coloc` and `module/`).
    pub sys: PathBuf,
    /// procfs, normally `/proc` (holds the sysctl switch).
    pub proc: PathBuf,
    /// The cgroup v2 mount, normally `/sys/fs/cgroup`.
    pub cgroup: PathBuf,
}

impl Default for Roots {
    fn default() -> Self {
        Roots {
            sys: PathBuf::from("/sys"),
            proc: PathBuf::from("/proc"),
            cgroup: PathBuf::from("/sys/fs/cgroup"),
        }
    }
}

impl Roots {
    /// `/sys/kernel/coloc`: exists whenever the kernel has CONFIG_COLOC.
    pub fn coloc_dir(&self) -> PathBuf {
        self.sys.join("kernel/coloc")
    }

    /// `/sys/module/NAME`: exists while the module is loaded.
    pub fn module_dir(&self, name: &str) -> PathBuf {
        self.sys.join("module").join(name)
    }

    /// The sysctl `kernel.sched_group_identity_enabled` (CONFIG_COLOC_CPU).
    pub fn group_identity_switch(&self) -> PathBuf {
        self.proc.join("sys/kernel/sched_group_identity_enabled")
    }
}

/// The coloc kernel modules, in load order.
pub const MODULES: [&str; 4] = ["coloc_core", "coloc_mem", "coloc_cpu", "coloc_io"];

#[cfg(test)]
pub(crate) mod testutil;
