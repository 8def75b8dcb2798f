//! The binary end to end against fake trees: arguments, exit codes, output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fake machine: sys/, proc/ and cgroup/ in a temporary directory.
struct Machine {
    dir: PathBuf,
}

impl Machine {
    fn empty() -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("colocctl-cli-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for d in ["sys", "proc", "cgroup"] {
            fs::create_dir_all(dir.join(d)).unwrap();
        }
        Machine { dir }
    }

    /// coloc_core, coloc_mem and coloc_cpu loaded; cgroup `web` with their files.
    fn loaded() -> Self {
        let m = Machine::empty();
        m.file("sys/kernel/coloc/version", "0.1.0\n");
        m.file("sys/kernel/coloc/features", "core\nmemory\ncpu\n");
        m.file("sys/kernel/coloc/hooks", "coloc_oom_hook coloc_mem\n");
        for module in ["coloc_core", "coloc_mem", "coloc_cpu"] {
            fs::create_dir_all(m.dir.join("sys/module").join(module)).unwrap();
        }
        m.file("proc/sys/kernel/sched_group_identity_enabled", "1\n");
        m.file("cgroup/cgroup.subtree_control", "cpu memory\n");
        m.file("cgroup/memory.use_priority_oom", "1\n");
        m.file("cgroup/web/memory.priority", "0\n");
        m.file("cgroup/web/cpu.bvt_warp_ns", "0\n");
        m.file("cgroup/web/cpu.coloc_stat", "class 0\noffline 0\n");
        m
    }

    fn file(&self, rel: &str, content: &str) {
        let p = self.dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        let root = |d: &str| self.dir.join(d).display().to_string();
        Command::new(env!("CARGO_BIN_EXE_colocctl"))
            .args([
                "--sys-root",
                &root("sys"),
                "--proc-root",
                &root("proc"),
                "--cgroup-root",
                &root("cgroup"),
            ])
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

#[test]
fn status_without_coloc_succeeds_and_says_absent() {
    let m = Machine::empty();
    let o = m.run(&["status"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.lines()
            .any(|l| l.starts_with("kernel support:") && l.contains(" no ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("features:") && l.ends_with("absent")),
        "{text}"
    );
    let o = m.run(&["status", "--json"]);
    assert!(o.status.success());
    let v = json(&o);
    assert_eq!(v["kernel_support"], false);
    assert!(v["version"].is_null() && v["features"].is_null() && v["hooks"].is_null());
}

#[test]
fn status_json_on_loaded_machine() {
    let m = Machine::loaded();
    let v = json(&m.run(&["status", "--json"]));
    assert_eq!(v["version"], "0.1.0");
    assert_eq!(v["features"], serde_json::json!(["core", "memory", "cpu"]));
    assert_eq!(v["hooks"][0]["hook"], "coloc_oom_hook");
    assert_eq!(v["hooks"][0]["module"], "coloc_mem");
    assert_eq!(v["switches"]["sched_group_identity_enabled"], 1);
    assert_eq!(v["switches"]["root_memory_use_priority_oom"], 1);
    assert_eq!(v["modules"]["coloc_io"], false);
}

#[test]
fn set_writes_and_reports() {
    let m = Machine::loaded();
    // "-1" must reach colocctl as a value, not be taken for a flag.
    let o = m.run(&["set", "web", "--memory-priority", "9", "--cpu-class", "-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(m.read("cgroup/web/memory.priority"), "9\n");
    assert_eq!(m.read("cgroup/web/cpu.bvt_warp_ns"), "-1\n");
    assert!(
        stdout(&o).contains("/web memory.priority: 9"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn set_out_of_range_fails_and_writes_nothing() {
    let m = Machine::loaded();
    let o = m.run(&[
        "set",
        "web",
        "--cpu-class",
        "online",
        "--memory-priority",
        "13",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("--memory-priority '13': out of range"),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
    assert_eq!(m.read("cgroup/web/memory.priority"), "0\n");
    assert_eq!(m.read("cgroup/web/cpu.bvt_warp_ns"), "0\n");
    // A bad value after a good one in write order stops it too.
    let o = m.run(&["set", "web", "--memory-priority", "3", "--cpu-class", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--cpu-class '3'"), "{}", stderr(&o));
    assert_eq!(m.read("cgroup/web/memory.priority"), "0\n");
}

#[test]
fn set_unknown_cgroup_and_missing_module_fail() {
    let m = Machine::loaded();
    let o = m.run(&["set", "ghost", "--memory-priority", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cgroup 'ghost' not found"),
        "{}",
        stderr(&o)
    );
    let o = m.run(&["set", "web", "--io-class", "8:16=offline"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("io.coloc not found in "),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("is coloc_io loaded"), "{}", stderr(&o));
    assert!(!Path::new(&m.dir.join("cgroup/web/io.coloc")).exists());
}

#[test]
fn set_dry_run_writes_nothing() {
    let m = Machine::loaded();
    let o = m.run(&["set", "web", "--memory-priority", "4", "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("would write '4' to "), "{}", stdout(&o));
    assert_eq!(m.read("cgroup/web/memory.priority"), "0\n");
}

#[test]
fn tree_text_and_json() {
    let m = Machine::loaded();
    m.file("cgroup/web/api/cpu.bvt_warp_ns", "1\n");
    let o = m.run(&["tree"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("CGROUP"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("    api ") && l.contains("online")),
        "{text}"
    );
    let v = json(&m.run(&["tree", "--json"]));
    let paths: Vec<&str> = v["cgroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/", "/web", "/web/api"]);
    let v = json(&m.run(&["tree", "web", "--json"]));
    assert_eq!(v["cgroups"][0]["path"], "/web");
    assert_eq!(v["cgroups"][0]["memory"]["priority"], 0);
    let o = m.run(&["tree", "nowhere"]);
    assert_eq!(o.status.code(), Some(1));
}
