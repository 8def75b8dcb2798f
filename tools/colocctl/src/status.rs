//! `colocctl status`: what the kernel supports and what is loaded.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::formats::{self, Hook, IoDiskStat};
use crate::reading::{Reader, Reading};
use crate::{Roots, JSON_SCHEMA_VERSION, MODULES};

/// Everything `status` shows; its JSON form is the `--json` schema.
#[derive(Debug, Serialize)]
pub struct Status {
    pub schema_version: u32,
    /// `/sys/kernel/coloc` exists: the kernel has CONFIG_COLOC.
    pub kernel_support: bool,
    pub coloc_dir: String,
    /// The files below come with coloc_core.
    pub version: Reading<String>,
    pub features: Reading<Vec<String>>,
    pub hooks: Reading<Vec<Hook>>,
    /// Module name to "loaded" (`/sys/module/NAME` exists).
    pub modules: BTreeMap<String, bool>,
    pub switches: Switches,
    pub cpu: CpuKnobs,
    pub io: IoKnobs,
    /// Files that exist but could not be read or parsed, with the reason.
    pub errors: Vec<String>,
}

/// The machine-wide on/off switches.
#[derive(Debug, Serialize)]
pub struct Switches {
    /// `kernel.sched_group_identity_enabled` (CONFIG_COLOC_CPU).
    pub sched_group_identity_enabled: Reading<i64>,
    /// The root cgroup's `memory.use_priority_oom` (coloc_mem).
    pub root_memory_use_priority_oom: Reading<i64>,
}

/// `/sys/kernel/coloc/cpu/` (coloc_cpu).
#[derive(Debug, Serialize)]
pub struct CpuKnobs {
    pub starvation_limit_ms: Reading<i64>,
    pub starvation_slice_us: Reading<i64>,
    pub stat: Reading<BTreeMap<String, u64>>,
}

/// `/sys/kernel/coloc/io/` (coloc_io).
#[derive(Debug, Serialize)]
pub struct IoKnobs {
    pub window_ms: Reading<i64>,
    pub max_delay_ms: Reading<i64>,
    pub stat: Reading<Vec<IoDiskStat>>,
}

/// Reads the status. Never fails: what is missing is reported as absent.
pub fn collect(roots: &Roots) -> Status {
    let mut r = Reader::default();
    let dir = roots.coloc_dir();
    let modules = MODULES
        .iter()
        .map(|m| (m.to_string(), roots.module_dir(m).exists()))
        .collect();
    let switches = Switches {
        sched_group_identity_enabled: r.read(&roots.group_identity_switch(), formats::parse_int),
        root_memory_use_priority_oom: r.read(
            &roots.cgroup.join("memory.use_priority_oom"),
            formats::parse_int,
        ),
    };
    let cpu = CpuKnobs {
        starvation_limit_ms: r.read(&dir.join("cpu/starvation_limit_ms"), formats::parse_int),
        starvation_slice_us: r.read(&dir.join("cpu/starvation_slice_us"), formats::parse_int),
        stat: r.read(&dir.join("cpu/stat"), formats::parse_counters),
    };
    let io = IoKnobs {
        window_ms: r.read(&dir.join("io/window_ms"), formats::parse_int),
        max_delay_ms: r.read(&dir.join("io/max_delay_ms"), formats::parse_int),
        stat: r.read(&dir.join("io/stat"), formats::parse_io_disk_stat),
    };
    Status {
        schema_version: JSON_SCHEMA_VERSION,
        kernel_support: dir.is_dir(),
        coloc_dir: dir.display().to_string(),
        version: r.read(&dir.join("version"), formats::parse_word),
        features: r.read(&dir.join("features"), formats::parse_list),
        hooks: r.read(&dir.join("hooks"), formats::parse_hooks),
        modules,
        switches,
        cpu,
        io,
        errors: r.errors,
    }
}

/// Width of the key column, so values line up.
const KEY_WIDTH: usize = 40;

/// The human-readable form: one "key: value" line per item.
pub fn render_text(s: &Status) -> String {
    let mut out = String::new();
    let support = if s.kernel_support {
        format!("yes ({})", s.coloc_dir)
    } else {
        format!("no ({} absent: kernel without CONFIG_COLOC)", s.coloc_dir)
    };
    line(&mut out, "kernel support", &support);
    line(&mut out, "version", &s.version.show());
    line(
        &mut out,
        "features",
        &s.features.show_with(|f| words_or_none(f)),
    );
    line(&mut out, "modules", &module_summary(&s.modules));
    line(
        &mut out,
        "hooks",
        &s.hooks.show_with(|h| {
            if h.is_empty() {
                "none".into()
            } else {
                String::new()
            }
        }),
    );
    if let Some(hooks) = s.hooks.value() {
        for h in hooks {
            line(&mut out, &format!("  {}", h.hook), &h.module);
        }
    }
    out.push_str("switches:\n");
    line(
        &mut out,
        "  kernel.sched_group_identity_enabled",
        &s.switches.sched_group_identity_enabled.show(),
    );
    line(
        &mut out,
        "  root memory.use_priority_oom",
        &s.switches.root_memory_use_priority_oom.show(),
    );
    let _ = writeln!(out, "cpu ({}/cpu):", s.coloc_dir);
    line(
        &mut out,
        "  starvation_limit_ms",
        &s.cpu.starvation_limit_ms.show(),
    );
    line(
        &mut out,
        "  starvation_slice_us",
        &s.cpu.starvation_slice_us.show(),
    );
    line(&mut out, "  stat", &s.cpu.stat.show_with(counters));
    let _ = writeln!(out, "io ({}/io):", s.coloc_dir);
    line(&mut out, "  window_ms", &s.io.window_ms.show());
    line(&mut out, "  max_delay_ms", &s.io.max_delay_ms.show());
    line(
        &mut out,
        "  stat",
        &s.io.stat.show_with(|d| {
            if d.is_empty() {
                "none".into()
            } else {
                String::new()
            }
        }),
    );
    if let Some(disks) = s.io.stat.value() {
        for d in disks {
            let v = format!(
                "offline_limit={} offline_inflight={} missed_windows={} delayed={}",
                d.offline_limit, d.offline_inflight, d.missed_windows, d.delayed
            );
            line(&mut out, &format!("    {}", d.dev), &v);
        }
    }
    for e in &s.errors {
        let _ = writeln!(out, "error: {e}");
    }
    out
}

fn line(out: &mut String, key: &str, value: &str) {
    let key = format!("{key}:");
    let _ = writeln!(out, "{}", format!("{key:<KEY_WIDTH$} {value}").trim_end());
}

fn words_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(" ")
    }
}

/// "coloc_core coloc_mem loaded; coloc_io not loaded", in load order.
fn module_summary(modules: &BTreeMap<String, bool>) -> String {
    let pick = |loaded: bool| -> Vec<&str> {
        MODULES
            .iter()
            .copied()
            .filter(|m| modules.get(*m).copied().unwrap_or(false) == loaded)
            .collect()
    };
    let (yes, no) = (pick(true), pick(false));
    let mut parts = Vec::new();
    if !yes.is_empty() {
        parts.push(format!("{} loaded", yes.join(" ")));
    }
    if !no.is_empty() {
        parts.push(format!("{} not loaded", no.join(" ")));
    }
    parts.join("; ")
}

/// "a=1 b=2" for a flat keyed counter file.
pub fn counters(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".to_string();
    }
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeTree;

    #[test]
    fn kernel_without_coloc_is_all_absent_not_an_error() {
        let t = FakeTree::new();
        t.mkdir("sys");
        let s = collect(&t.roots());
        assert!(!s.kernel_support);
        assert!(s.version.is_absent());
        assert!(s.features.is_absent());
        assert!(s.hooks.is_absent());
        assert!(s.switches.sched_group_identity_enabled.is_absent());
        assert!(s.switches.root_memory_use_priority_oom.is_absent());
        assert!(s.modules.values().all(|loaded| !loaded));
        assert!(s.errors.is_empty());
        let text = render_text(&s);
        assert!(text.contains("kernel support:"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("features:") && l.ends_with(" absent")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("version:") && l.ends_with(" absent")),
            "{text}"
        );
    }

    #[test]
    fn builtin_dir_without_coloc_core() {
        // CONFIG_COLOC kernel, nothing loaded: the directory alone.
        let t = FakeTree::new();
        t.mkdir("sys/kernel/coloc");
        t.file("proc/sys/kernel/sched_group_identity_enabled", "1\n");
        let s = collect(&t.roots());
        assert!(s.kernel_support);
        assert!(s.version.is_absent());
        assert_eq!(s.switches.sched_group_identity_enabled, Reading::Value(1));
        assert!(render_text(&s).contains("kernel support:"));
    }

    #[test]
    fn loaded_machine_shows_version_features_hooks_switches() {
        let t = FakeTree::loaded_machine();
        t.file("sys/kernel/coloc/cpu/starvation_limit_ms", "100\n");
        t.file(
            "sys/kernel/coloc/cpu/stat",
            "expel_holds 3\nexpel_held_ms 4\nstarvation_slices 5\n",
        );
        let s = collect(&t.roots());
        assert!(s.kernel_support);
        assert_eq!(s.version, Reading::Value("0.1.0".to_string()));
        assert_eq!(s.features.value().unwrap(), &["core", "memory", "cpu"]);
        assert_eq!(s.hooks.value().unwrap().len(), 3);
        assert!(s.modules["coloc_mem"] && !s.modules["coloc_io"]);
        assert_eq!(s.switches.root_memory_use_priority_oom, Reading::Value(0));
        assert_eq!(s.cpu.starvation_limit_ms, Reading::Value(100));
        assert!(s.cpu.starvation_slice_us.is_absent());
        let text = render_text(&s);
        assert!(text.contains("0.1.0"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("features:") && l.ends_with("core memory cpu")),
            "{text}"
        );
        assert!(
            text.contains("coloc_core coloc_mem coloc_cpu loaded; coloc_io not loaded"),
            "{text}"
        );
        assert!(text.contains("coloc_oom_hook"), "{text}");
        assert!(
            text.contains("expel_held_ms=4 expel_holds=3 starvation_slices=5"),
            "{text}"
        );
    }

    #[test]
    fn json_schema_is_stable_with_nulls_for_absent() {
        let t = FakeTree::new();
        t.mkdir("sys/kernel/coloc");
        t.file(
            "sys/kernel/coloc/io/stat",
            "8:0 offline_limit=max offline_inflight=0 missed_windows=0 delayed=0\n",
        );
        t.file("sys/kernel/coloc/io/window_ms", "fifty\n");
        let v = serde_json::to_value(collect(&t.roots())).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "coloc_dir",
                "cpu",
                "errors",
                "features",
                "hooks",
                "io",
                "kernel_support",
                "modules",
                "schema_version",
                "switches",
                "version"
            ]
        );
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["kernel_support"], true);
        assert!(v["version"].is_null());
        assert!(v["features"].is_null());
        assert!(v["switches"]["sched_group_identity_enabled"].is_null());
        assert_eq!(v["modules"]["coloc_core"], false);
        assert_eq!(v["io"]["stat"][0]["dev"], "8:0");
        assert_eq!(v["io"]["stat"][0]["offline_limit"], "max");
        // A malformed file is null too, with the reason in "errors".
        assert!(v["io"]["window_ms"].is_null());
        let errors = v["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].as_str().unwrap().contains("window_ms: malformed"));
    }
}
