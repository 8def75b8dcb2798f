//! Fake `/sys`, `/proc` and cgroup trees in a temporary directory.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Roots;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A directory under the system temp dir, removed on drop. Names are unique
/// per process and per call, so tests can run in parallel.
pub struct FakeTree {
    pub dir: PathBuf,
}

impl FakeTree {
    pub fn new() -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("colocctl-unit-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        FakeTree { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Writes `rel` (creating its directories) with `content`.
    pub fn file(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        p
    }

    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Roots at `sys/`, `proc/` and `cgroup/` inside the tree.
    pub fn roots(&self) -> Roots {
        Roots {
            sys: self.path("sys"),
            proc: self.path("proc"),
            cgroup: self.path("cgroup"),
        }
    }

    /// A kernel with CONFIG_COLOC and coloc_core, coloc_mem and coloc_cpu
    /// loaded, and a cgroup `svc` (memory and cpu enabled, no io).
    pub fn loaded_machine() -> Self {
        let t = FakeTree::new();
        t.file("sys/kernel/coloc/version", "0.1.0\n");
        t.file("sys/kernel/coloc/features", "core\nmemory\ncpu\n");
        t.file(
            "sys/kernel/coloc/hooks",
            "coloc_oom_hook coloc_mem\ncoloc_memcg_reclaim_hook coloc_mem\ncoloc_cpu_identity_hook coloc_cpu\n",
        );
        for m in ["coloc_core", "coloc_mem", "coloc_cpu"] {
            t.mkdir(&format!("sys/module/{m}"));
        }
        t.file("proc/sys/kernel/sched_group_identity_enabled", "1\n");
        t.file("cgroup/cgroup.subtree_control", "cpu memory\n");
        t.file("cgroup/memory.use_priority_oom", "0\n");
        t.file(
            "cgroup/memory.exstat",
            "wmark_reclaim_work_ms 0\nwmark_reclaimed_pages 0\npriority_oom_kills 0\n",
        );
        t.file("cgroup/svc/memory.priority", "0\n");
        t.file("cgroup/svc/memory.use_priority_oom", "0\n");
        t.file("cgroup/svc/memory.wmark_ratio", "0\n");
        t.file("cgroup/svc/memory.wmark_scale_factor", "50\n");
        t.file("cgroup/svc/cpu.bvt_warp_ns", "0\n");
        t.file("cgroup/svc/cpu.coloc_stat", "class 0\noffline 0\n");
        t
    }
}

impl Drop for FakeTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}
