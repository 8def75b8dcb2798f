//! `colocctl tree`: every cgroup below a point, with its coloc settings.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::cgroup::{self, Cgroup};
use crate::error::describe_io_error;
use crate::formats::{self, CpuStat, IoCgroupStat, IoSetting};
use crate::reading::{Reader, Reading};
use crate::set::cpu_class_name;
use crate::{Error, Roots, JSON_SCHEMA_VERSION};

/// The `--json` form of `tree`: cgroups in walk order (parents first,
/// children by name), each with its depth below the start.
#[derive(Debug, Serialize)]
pub struct Tree {
    pub schema_version: u32,
    pub cgroup_root: String,
    pub cgroups: Vec<CgroupInfo>,
}

#[derive(Debug, Serialize)]
pub struct CgroupInfo {
    /// "/" or "/a/b", relative to the cgroup root.
    pub path: String,
    /// 0 for the cgroup the walk started at.
    pub depth: usize,
    pub memory: MemoryInfo,
    pub cpu: CpuInfo,
    pub io: IoInfo,
    /// Files that exist but could not be read or parsed, with the reason.
    pub errors: Vec<String>,
}

/// coloc_mem's files; null where absent.
#[derive(Debug, Serialize)]
pub struct MemoryInfo {
    pub priority: Reading<i64>,
    pub use_priority_oom: Reading<i64>,
    pub wmark_ratio: Reading<i64>,
    pub wmark_scale_factor: Reading<i64>,
    pub exstat: Reading<BTreeMap<String, u64>>,
}

/// coloc_cpu's files: the cgroup's own class and the one in force.
#[derive(Debug, Serialize)]
pub struct CpuInfo {
    pub bvt_warp_ns: Reading<i64>,
    pub coloc_stat: Reading<CpuStat>,
}

/// coloc_io's files: settings per disk and what happened on each disk.
#[derive(Debug, Serialize)]
pub struct IoInfo {
    pub coloc: Reading<Vec<IoSetting>>,
    pub coloc_stat: Reading<Vec<IoCgroupStat>>,
}

/// Walks the tree from `start` (relative to the cgroup root; None for the
/// root itself).
pub fn collect(roots: &Roots, start: Option<&str>) -> Result<Tree, Error> {
    let top = cgroup::lookup(roots, start.unwrap_or("/"))?;
    let mut cgroups = Vec::new();
    walk(&top, 0, &mut cgroups)?;
    Ok(Tree {
        schema_version: JSON_SCHEMA_VERSION,
        cgroup_root: roots.cgroup.display().to_string(),
        cgroups,
    })
}

fn walk(cg: &Cgroup, depth: usize, out: &mut Vec<CgroupInfo>) -> Result<(), Error> {
    let mut info = read_cgroup(cg, depth);
    let children = match child_names(&cg.dir) {
        Ok(names) => names,
        // The start must be readable; below it, a cgroup removed or
        // unreadable during the walk is noted and skipped.
        Err(source) if depth == 0 => {
            return Err(Error::Read {
                path: cg.dir.clone(),
                source,
            })
        }
        Err(e) => {
            info.errors
                .push(format!("{}: {}", cg.dir.display(), describe_io_error(&e)));
            Vec::new()
        }
    };
    out.push(info);
    for name in children {
        let child = Cgroup {
            name: if cg.is_root() {
                format!("/{name}")
            } else {
                format!("{}/{name}", cg.name)
            },
            dir: cg.dir.join(&name),
        };
        walk(&child, depth + 1, out)?;
    }
    Ok(())
}

/// Child cgroups are the subdirectories; sorted so the output is stable.
fn child_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        // Not following symlinks: cgroupfs has none, a fake tree might.
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn read_cgroup(cg: &Cgroup, depth: usize) -> CgroupInfo {
    let mut r = Reader::default();
    let memory = MemoryInfo {
        priority: r.read(&cg.file("memory.priority"), formats::parse_int),
        use_priority_oom: r.read(&cg.file("memory.use_priority_oom"), formats::parse_int),
        wmark_ratio: r.read(&cg.file("memory.wmark_ratio"), formats::parse_int),
        wmark_scale_factor: r.read(&cg.file("memory.wmark_scale_factor"), formats::parse_int),
        exstat: r.read(&cg.file("memory.exstat"), formats::parse_counters),
    };
    let cpu = CpuInfo {
        bvt_warp_ns: r.read(&cg.file("cpu.bvt_warp_ns"), formats::parse_int),
        coloc_stat: r.read(&cg.file("cpu.coloc_stat"), formats::parse_cpu_stat),
    };
    let io = IoInfo {
        coloc: r.read(&cg.file("io.coloc"), formats::parse_io_coloc),
        coloc_stat: r.read(&cg.file("io.coloc_stat"), formats::parse_io_coloc_stat),
    };
    CgroupInfo {
        path: cg.name.clone(),
        depth,
        memory,
        cpu,
        io,
        errors: r.errors,
    }
}

const HEADERS: [&str; 8] = [
    "CGROUP",
    "MEM_PRIO",
    "PRIO_OOM",
    "CPU_CLASS",
    "IO_COLOC",
    "OOM_KILLS",
    "RECLAIMED_PAGES",
    "IO_DELAYED",
];

/// An aligned table, one row per cgroup, names indented by depth; "-"
/// where a file does not exist, "?" where it could not be read (the
/// reasons follow the table).
pub fn render_text(tree: &Tree) -> String {
    let mut rows = vec![HEADERS.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    rows.extend(tree.cgroups.iter().map(row));
    let mut out = align(&rows);
    for c in &tree.cgroups {
        for e in &c.errors {
            out.push_str(&format!("error: {e}\n"));
        }
    }
    out
}

fn row(c: &CgroupInfo) -> Vec<String> {
    let exstat = |key: &str| {
        c.memory
            .exstat
            .cell_with(|m| m.get(key).map_or("-".to_string(), u64::to_string))
    };
    vec![
        format!("{}{}", "  ".repeat(c.depth), leaf_name(c)),
        c.memory.priority.cell(),
        c.memory.use_priority_oom.cell(),
        cpu_cell(&c.cpu),
        c.io.coloc.cell_with(|s| io_settings_cell(s)),
        exstat("priority_oom_kills"),
        exstat("wmark_reclaimed_pages"),
        c.io.coloc_stat
            .cell_with(|s| s.iter().map(|d| d.delayed).sum::<u64>().to_string()),
    ]
}

/// The start of the walk is shown by its full name, the rest by their last
/// component under their parent.
fn leaf_name(c: &CgroupInfo) -> &str {
    if c.depth == 0 {
        return &c.path;
    }
    c.path.rsplit('/').next().unwrap_or(&c.path)
}

/// "online", or "online (in force: normal)" when an ancestor or the switch
/// makes the class in force differ from the cgroup's own.
fn cpu_cell(cpu: &CpuInfo) -> String {
    let own = match &cpu.bvt_warp_ns {
        Reading::Value(v) => *v,
        other => return other.cell_with(|_| String::new()),
    };
    let own_name = cpu_class_name(own);
    match cpu.coloc_stat.value() {
        Some(stat) if stat.class != own => {
            format!("{own_name} (in force: {})", cpu_class_name(stat.class))
        }
        _ => own_name.to_string(),
    }
}

/// "8:16 online 2000us, 8:0 offline"; "default" when no disk has a setting.
fn io_settings_cell(settings: &[IoSetting]) -> String {
    if settings.is_empty() {
        return "default".to_string();
    }
    settings
        .iter()
        .map(|s| match s.target_us {
            0 => format!("{} {}", s.dev, s.class),
            t => format!("{} {} {t}us", s.dev, s.class),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Pads every column to its widest cell; the last column is not padded.
fn align(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeTree;

    /// The loaded machine plus a nested offline job under `batch` and io
    /// settings on `svc`.
    fn machine() -> FakeTree {
        let t = FakeTree::loaded_machine();
        t.file("cgroup/svc/memory.priority", "10\n");
        t.file("cgroup/svc/cpu.bvt_warp_ns", "2\n");
        t.file("cgroup/svc/cpu.coloc_stat", "class 2\noffline 0\n");
        t.file("cgroup/svc/io.coloc", "8:16 class=online target=2000\n");
        t.file(
            "cgroup/svc/io.coloc_stat",
            "8:16 class=online target=2000 delayed=0 delay_us=0 completions=9 p50_us=64 p90_us=128 p99_us=256\n",
        );
        t.file("cgroup/batch/memory.priority", "2\n");
        t.file(
            "cgroup/batch/memory.exstat",
            "wmark_reclaim_work_ms 12\nwmark_reclaimed_pages 4096\npriority_oom_kills 1\n",
        );
        t.file("cgroup/batch/cpu.bvt_warp_ns", "-1\n");
        t.file("cgroup/batch/cpu.coloc_stat", "class -1\noffline 1\n");
        t.file(
            "cgroup/batch/io.coloc_stat",
            "8:16 class=offline target=0 delayed=7 delay_us=100 completions=9 p50_us=64 p90_us=128 p99_us=256\n\
             8:0 class=offline target=0 delayed=5 delay_us=100 completions=9 p50_us=64 p90_us=128 p99_us=256\n",
        );
        t.file("cgroup/batch/job1/cpu.bvt_warp_ns", "1\n");
        t.file("cgroup/batch/job1/cpu.coloc_stat", "class -1\noffline 0\n");
        t
    }

    #[test]
    fn walks_parents_first_children_sorted() {
        let t = machine();
        let tree = collect(&t.roots(), None).unwrap();
        let order: Vec<(&str, usize)> = tree
            .cgroups
            .iter()
            .map(|c| (c.path.as_str(), c.depth))
            .collect();
        assert_eq!(
            order,
            [("/", 0), ("/batch", 1), ("/batch/job1", 2), ("/svc", 1)]
        );
        let batch = &tree.cgroups[1];
        assert_eq!(batch.memory.priority, Reading::Value(2));
        assert!(batch.memory.wmark_ratio.is_absent());
        assert!(batch.cpu.coloc_stat.value().unwrap().offline);
        assert_eq!(batch.io.coloc_stat.value().unwrap().len(), 2);
    }

    #[test]
    fn table_shows_values_and_dashes_for_absent_files() {
        let t = machine();
        let text = render_text(&collect(&t.roots(), None).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("CGROUP"), "{text}");
        let cells = |prefix: &str| -> Vec<String> {
            let l = lines
                .iter()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("{prefix} in {text}"));
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        };
        // Root: no priority or cpu files, an OOM switch, no io files.
        assert_eq!(cells("/ "), ["/", "-", "0", "-", "-", "0", "0", "-"]);
        assert_eq!(
            cells("  batch"),
            ["batch", "2", "-", "offline", "-", "1", "4096", "12"]
        );
        assert_eq!(
            cells("    job1"),
            [
                "job1",
                "-",
                "-",
                "online (in force: offline)",
                "-",
                "-",
                "-",
                "-"
            ]
        );
        assert_eq!(
            cells("  svc"),
            [
                "svc",
                "10",
                "0",
                "online-expel",
                "8:16 online 2000us",
                "-",
                "-",
                "0"
            ]
        );
    }

    #[test]
    fn subtree_start_and_unknown_start() {
        let t = machine();
        let tree = collect(&t.roots(), Some("batch")).unwrap();
        let paths: Vec<&str> = tree.cgroups.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/batch", "/batch/job1"]);
        assert_eq!(tree.cgroups[1].depth, 1);
        assert!(render_text(&tree)
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("/batch "));
        let err = collect(&t.roots(), Some("missing")).unwrap_err();
        assert!(
            err.to_string().contains("cgroup 'missing' not found"),
            "{err}"
        );
    }

    #[test]
    fn json_shape() {
        let t = machine();
        t.file("cgroup/svc/memory.wmark_ratio", "lots\n");
        let v = serde_json::to_value(collect(&t.roots(), None).unwrap()).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["cgroup_root"], t.path("cgroup").display().to_string());
        let cgs = v["cgroups"].as_array().unwrap();
        assert_eq!(cgs.len(), 4);
        let root = &cgs[0];
        assert_eq!(root["path"], "/");
        assert!(root["memory"]["priority"].is_null());
        assert_eq!(root["memory"]["exstat"]["priority_oom_kills"], 0);
        assert!(root["cpu"]["bvt_warp_ns"].is_null());
        assert!(root["io"]["coloc"].is_null());
        let svc = &cgs[3];
        assert_eq!(svc["path"], "/svc");
        assert_eq!(svc["depth"], 1);
        assert_eq!(svc["cpu"]["bvt_warp_ns"], 2);
        assert_eq!(svc["cpu"]["coloc_stat"]["class"], 2);
        assert_eq!(svc["cpu"]["coloc_stat"]["offline"], false);
        assert_eq!(svc["io"]["coloc"][0]["dev"], "8:16");
        assert_eq!(svc["io"]["coloc"][0]["class"], "online");
        assert_eq!(svc["io"]["coloc"][0]["target_us"], 2000);
        assert_eq!(svc["io"]["coloc_stat"][0]["p99_us"], 256);
        // The malformed file is null, and its reason is listed.
        assert!(svc["memory"]["wmark_ratio"].is_null());
        assert!(svc["errors"][0]
            .as_str()
            .unwrap()
            .contains("memory.wmark_ratio: malformed"));
        let keys: Vec<&String> = svc.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cpu", "depth", "errors", "io", "memory", "path"]);
    }
}
