//! `colocctl set`: validate every value, check every file, then write.
//!
//! The order matters for the SRE running it: a typo in the third flag must
//! not leave the first two applied, so [`plan`] does all the checking that
//! can be done without the kernel and [`apply`] only writes.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use crate::cgroup::{self, Cgroup};
use crate::device;
use crate::formats::DevNum;
use crate::{Error, Roots};

/// The values given on the command line, as typed.
#[derive(Debug, Default, Clone)]
pub struct SetArgs {
    pub memory_priority: Option<String>,
    pub memory_use_priority_oom: Option<String>,
    pub memory_wmark_ratio: Option<String>,
    pub memory_wmark_scale_factor: Option<String>,
    pub cpu_class: Option<String>,
    /// "DEV=CLASS", repeatable.
    pub io_class: Vec<String>,
    /// "DEV=USEC", repeatable.
    pub io_target: Vec<String>,
}

/// One write of one file: `content` is exactly what reaches write(2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    pub file: &'static str,
    pub content: String,
}

/// Checked writes for one cgroup, in the order they will be made.
#[derive(Debug)]
pub struct Plan {
    pub cgroup: Cgroup,
    pub writes: Vec<FileWrite>,
}

// Ranges from docs/admin-guide.rst.
const PRIORITY: RangeInclusive<i64> = 0..=12;
const USE_PRIORITY_OOM: RangeInclusive<i64> = 0..=1;
const WMARK_RATIO: RangeInclusive<i64> = 0..=100;
const WMARK_SCALE_FACTOR: RangeInclusive<i64> = 1..=1000;
const IO_TARGET_US: RangeInclusive<i64> = 0..=10_000_000;

/// The cpu classes by name, as `cpu.bvt_warp_ns` values.
const CPU_CLASSES: [(&str, i64); 4] = [
    ("offline", -1),
    ("normal", 0),
    ("online", 1),
    ("online-expel", 2),
];
const IO_CLASSES: [&str; 3] = ["online", "normal", "offline"];

/// The name of a `cpu.bvt_warp_ns` value ("online-expel" for 2).
pub fn cpu_class_name(value: i64) -> String {
    CPU_CLASSES
        .iter()
        .find(|(_, v)| *v == value)
        .map_or_else(|| format!("class {value}"), |(name, _)| name.to_string())
}

/// Validates `args` and checks that `cgroup_arg` and every file to write
/// exist. Writes nothing.
pub fn plan(roots: &Roots, cgroup_arg: &str, args: &SetArgs) -> Result<Plan, Error> {
    let writes = validate(args)?;
    let cgroup = cgroup::lookup(roots, cgroup_arg)?;
    check_root_files(&cgroup, &writes)?;
    check_files_exist(roots, &cgroup, &writes)?;
    Ok(Plan { cgroup, writes })
}

/// The whole `set` command: [`plan`], then [`apply`]. Returns the plan
/// that was carried out.
pub fn set(roots: &Roots, cgroup_arg: &str, args: &SetArgs) -> Result<Plan, Error> {
    let plan = plan(roots, cgroup_arg, args)?;
    apply(&plan)?;
    Ok(plan)
}

/// Makes the writes in order and stops at the first the kernel refuses.
/// Returns the files written.
pub fn apply(plan: &Plan) -> Result<Vec<PathBuf>, Error> {
    let mut done = Vec::new();
    for w in &plan.writes {
        let path = plan.cgroup.file(w.file);
        if let Err(source) = write_file(&path, &w.content) {
            return Err(Error::Write {
                path,
                content: w.content.clone(),
                source,
                done,
            });
        }
        done.push(path);
    }
    Ok(done)
}

/// One write(2) of the whole value, as `echo` does: the kernel parses each
/// write on its own, so a value must never be split. O_TRUNC is a no-op on
/// cgroupfs and keeps a fake tree's regular files clean; never O_CREAT, so a
/// missing knob is an error rather than a new file.
fn write_file(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).truncate(true).open(path)?;
    let n = f.write(content.as_bytes())?;
    if n != content.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            format!("short write: {n} of {} bytes", content.len()),
        ));
    }
    Ok(())
}

/// Turns the arguments into file writes, collecting every problem.
pub fn validate(args: &SetArgs) -> Result<Vec<FileWrite>, Error> {
    let mut problems = Vec::new();
    let mut writes = Vec::new();
    let numbers = [
        (
            "--memory-priority",
            "memory.priority",
            &args.memory_priority,
            PRIORITY,
        ),
        (
            "--memory-use-priority-oom",
            "memory.use_priority_oom",
            &args.memory_use_priority_oom,
            USE_PRIORITY_OOM,
        ),
        (
            "--memory-wmark-ratio",
            "memory.wmark_ratio",
            &args.memory_wmark_ratio,
            WMARK_RATIO,
        ),
        (
            "--memory-wmark-scale-factor",
            "memory.wmark_scale_factor",
            &args.memory_wmark_scale_factor,
            WMARK_SCALE_FACTOR,
        ),
    ];
    for (flag, file, raw, range) in numbers {
        if let Some(raw) = raw {
            match parse_in_range(raw, range) {
                Ok(n) => writes.push(single_value(file, n)),
                Err(why) => problems.push(format!("{flag} '{raw}': {why}")),
            }
        }
    }
    if let Some(raw) = &args.cpu_class {
        match parse_cpu_class(raw) {
            Ok(n) => writes.push(single_value("cpu.bvt_warp_ns", n)),
            Err(why) => problems.push(format!("--cpu-class '{raw}': {why}")),
        }
    }
    match io_writes(&args.io_class, &args.io_target) {
        Ok(io) => writes.extend(io),
        Err(mut p) => problems.append(&mut p),
    }
    if writes.is_empty() && problems.is_empty() {
        problems.push("nothing to set: give at least one of --memory-priority, --cpu-class, --io-class, --io-target".into());
    }
    if problems.is_empty() {
        Ok(writes)
    } else {
        Err(Error::Invalid(problems))
    }
}

fn single_value(file: &'static str, n: i64) -> FileWrite {
    FileWrite {
        file,
        content: format!("{n}\n"),
    }
}

/// A decimal integer in `range`. Stricter than `str::parse` in refusing
/// "+5", as the kernel does.
fn parse_in_range(raw: &str, range: RangeInclusive<i64>) -> Result<i64, String> {
    let t = raw.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let expect = || format!("must be an integer in {}..{}", range.start(), range.end());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expect());
    }
    match t.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!("out of range, {}", expect())),
    }
}

/// "offline|normal|online|online-expel" or the raw value "-1|0|1|2".
fn parse_cpu_class(raw: &str) -> Result<i64, String> {
    let t = raw.trim();
    if let Some((_, v)) = CPU_CLASSES.iter().find(|(name, _)| *name == t) {
        return Ok(*v);
    }
    parse_in_range(t, -1..=2)
        .map_err(|_| "expected offline, normal, online, online-expel, -1, 0, 1 or 2".to_string())
}

/// What to write to `io.coloc` for one disk.
#[derive(Debug, Default)]
struct IoLine {
    class: Option<&'static str>,
    target_us: Option<i64>,
}

/// One `io.coloc` write per disk (the file takes one line per write), with
/// class and target together when both are given for the same disk, however
/// the disk was named.
fn io_writes(classes: &[String], targets: &[String]) -> Result<Vec<FileWrite>, Vec<String>> {
    let mut problems = Vec::new();
    let mut lines: BTreeMap<DevNum, IoLine> = BTreeMap::new();
    for raw in classes {
        match parse_dev_value(raw).and_then(|(dev, v)| Ok((dev, parse_io_class(v)?))) {
            Ok((dev, class)) => {
                let line = lines.entry(dev).or_default();
                if line.class.replace(class).is_some() {
                    problems.push(format!("--io-class '{raw}': disk {dev} given twice"));
                }
            }
            Err(why) => problems.push(format!("--io-class '{raw}': {why}")),
        }
    }
    for raw in targets {
        match parse_dev_value(raw).and_then(|(dev, v)| Ok((dev, parse_in_range(v, IO_TARGET_US)?)))
        {
            Ok((dev, target)) => {
                let line = lines.entry(dev).or_default();
                if line.target_us.replace(target).is_some() {
                    problems.push(format!("--io-target '{raw}': disk {dev} given twice"));
                }
            }
            Err(why) => problems.push(format!("--io-target '{raw}': {why}")),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(lines
        .into_iter()
        .map(|(dev, line)| io_coloc_write(dev, &line))
        .collect())
}

fn io_coloc_write(dev: DevNum, line: &IoLine) -> FileWrite {
    let mut content = dev.to_string();
    if let Some(class) = line.class {
        content.push_str(&format!(" class={class}"));
    }
    if let Some(target) = line.target_us {
        content.push_str(&format!(" target={target}"));
    }
    content.push('\n');
    FileWrite {
        file: "io.coloc",
        content,
    }
}

/// "DEV=VALUE", DEV as MAJ:MIN or a block device path.
fn parse_dev_value(raw: &str) -> Result<(DevNum, &str), String> {
    let (dev, value) = raw
        .rsplit_once('=')
        .ok_or_else(|| "expected DEV=VALUE (DEV as MAJ:MIN or /dev/NAME)".to_string())?;
    Ok((device::resolve(dev)?, value))
}

fn parse_io_class(raw: &str) -> Result<&'static str, String> {
    IO_CLASSES
        .iter()
        .find(|c| **c == raw.trim())
        .copied()
        .ok_or_else(|| "class must be online, normal or offline".to_string())
}

/// Files the kernel creates on non-root cgroups only: asking for them on
/// the root is a usage error, not a missing module.
fn check_root_files(cgroup: &Cgroup, writes: &[FileWrite]) -> Result<(), Error> {
    if !cgroup.is_root() {
        return Ok(());
    }
    let problems: Vec<String> = writes
        .iter()
        .filter(|w| cgroup::origin(w.file).is_some_and(|o| !o.on_root))
        .map(|w| {
            format!(
                "{} does not exist on the root cgroup; name a cgroup below it",
                w.file
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(problems))
    }
}

fn check_files_exist(roots: &Roots, cgroup: &Cgroup, writes: &[FileWrite]) -> Result<(), Error> {
    match writes.iter().find(|w| !cgroup.file(w.file).exists()) {
        None => Ok(()),
        Some(w) => Err(Error::MissingFile {
            file: w.file.to_string(),
            cgroup: cgroup.dir.clone(),
            hint: cgroup::missing_hint(roots, cgroup, w.file),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeTree;

    fn args() -> SetArgs {
        SetArgs::default()
    }

    fn problems(err: Error) -> Vec<String> {
        match err {
            Error::Invalid(p) => p,
            other => panic!("expected Invalid, got {other}"),
        }
    }

    #[test]
    fn numeric_ranges_and_syntax() {
        assert_eq!(parse_in_range("12", PRIORITY), Ok(12));
        assert_eq!(parse_in_range("0", PRIORITY), Ok(0));
        for bad in ["13", "-1", "+5", "0x5", "", "5 5", "99999999999999999999"] {
            assert!(parse_in_range(bad, PRIORITY).is_err(), "{bad}");
        }
        assert!(parse_in_range("13", PRIORITY)
            .unwrap_err()
            .contains("0..12"));
        assert_eq!(parse_in_range("1000", WMARK_SCALE_FACTOR), Ok(1000));
        assert!(parse_in_range("0", WMARK_SCALE_FACTOR).is_err());
        assert_eq!(parse_in_range("10000000", IO_TARGET_US), Ok(10_000_000));
        assert!(parse_in_range("10000001", IO_TARGET_US).is_err());
    }

    #[test]
    fn cpu_class_by_name_or_value() {
        for (raw, want) in [
            ("offline", -1),
            ("normal", 0),
            ("online", 1),
            ("online-expel", 2),
            ("-1", -1),
            ("2", 2),
        ] {
            assert_eq!(parse_cpu_class(raw), Ok(want), "{raw}");
        }
        for bad in ["3", "-2", "Online", "expel", ""] {
            assert!(parse_cpu_class(bad).is_err(), "{bad}");
        }
        assert_eq!(cpu_class_name(2), "online-expel");
        assert_eq!(cpu_class_name(7), "class 7");
    }

    #[test]
    fn writes_are_the_strings_the_kernel_expects() {
        let a = SetArgs {
            memory_priority: Some("5".into()),
            cpu_class: Some("offline".into()),
            io_class: vec!["8:16=online".into(), "8:0=offline".into()],
            io_target: vec!["8:16=2000".into()],
            ..args()
        };
        let w = validate(&a).unwrap();
        let got: Vec<(&str, &str)> = w.iter().map(|w| (w.file, w.content.as_str())).collect();
        assert_eq!(
            got,
            [
                ("memory.priority", "5\n"),
                ("cpu.bvt_warp_ns", "-1\n"),
                ("io.coloc", "8:0 class=offline\n"),
                ("io.coloc", "8:16 class=online target=2000\n"),
            ]
        );
        let target_only = SetArgs {
            io_target: vec!["254:0=0".into()],
            ..args()
        };
        assert_eq!(
            validate(&target_only).unwrap()[0].content,
            "254:0 target=0\n"
        );
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let a = SetArgs {
            memory_priority: Some("13".into()),
            memory_wmark_ratio: Some("50".into()),
            cpu_class: Some("fast".into()),
            io_class: vec!["8:16=urgent".into(), "sda=online".into(), "8:1".into()],
            io_target: vec!["8:16=-5".into()],
            ..args()
        };
        let p = problems(validate(&a).unwrap_err());
        assert_eq!(p.len(), 6, "{p:?}");
        assert!(
            p[0].starts_with("--memory-priority '13': out of range"),
            "{p:?}"
        );
        assert!(p[1].starts_with("--cpu-class 'fast'"), "{p:?}");
        assert!(p
            .iter()
            .any(|s| s.contains("class must be online, normal or offline")));
        assert!(p
            .iter()
            .any(|s| s.contains("expected MAJ:MIN or a /dev path")));
        assert!(p.iter().any(|s| s.contains("expected DEV=VALUE")));
        assert!(p.iter().any(|s| s.starts_with("--io-target '8:16=-5'")));
        let dup = SetArgs {
            io_class: vec!["8:16=online".into(), "8:16=offline".into()],
            ..args()
        };
        assert!(problems(validate(&dup).unwrap_err())[0].contains("given twice"));
        assert!(problems(validate(&args()).unwrap_err())[0].starts_with("nothing to set"));
    }

    #[test]
    fn invalid_value_writes_nothing_even_where_others_are_valid() {
        let t = FakeTree::loaded_machine();
        t.file("cgroup/svc/io.coloc", "");
        // The bad value comes last in write order, after two good ones.
        let a = SetArgs {
            memory_priority: Some("5".into()),
            cpu_class: Some("online".into()),
            io_target: vec!["8:16=10000001".into()],
            ..args()
        };
        let err = set(&t.roots(), "svc", &a).unwrap_err();
        assert!(problems(err)[0].starts_with("--io-target '8:16=10000001': out of range"));
        assert_eq!(t.read("cgroup/svc/memory.priority"), "0\n");
        assert_eq!(t.read("cgroup/svc/cpu.bvt_warp_ns"), "0\n");
        assert_eq!(t.read("cgroup/svc/io.coloc"), "");
    }

    #[test]
    fn plan_and_apply_write_the_files() {
        let t = FakeTree::loaded_machine();
        t.file("cgroup/svc/io.coloc", "");
        let a = SetArgs {
            memory_priority: Some("7".into()),
            memory_wmark_scale_factor: Some("100".into()),
            cpu_class: Some("online-expel".into()),
            io_class: vec!["8:16=online".into()],
            io_target: vec!["8:16=1500".into()],
            ..args()
        };
        let p = plan(&t.roots(), "/svc", &a).unwrap();
        let done = apply(&p).unwrap();
        assert_eq!(done.len(), 4);
        assert_eq!(t.read("cgroup/svc/memory.priority"), "7\n");
        assert_eq!(t.read("cgroup/svc/memory.wmark_scale_factor"), "100\n");
        assert_eq!(t.read("cgroup/svc/cpu.bvt_warp_ns"), "2\n");
        assert_eq!(
            t.read("cgroup/svc/io.coloc"),
            "8:16 class=online target=1500\n"
        );
        // Untouched knobs stay as they were.
        assert_eq!(t.read("cgroup/svc/memory.wmark_ratio"), "0\n");
    }

    #[test]
    fn missing_file_names_module_and_writes_nothing() {
        let t = FakeTree::loaded_machine();
        let a = SetArgs {
            memory_priority: Some("3".into()),
            io_class: vec!["8:16=offline".into()],
            ..args()
        };
        let err = plan(&t.roots(), "svc", &a).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::MissingFile { .. }), "{text}");
        assert!(text.starts_with("io.coloc not found in "), "{text}");
        assert!(text.contains("is coloc_io loaded and the io controller enabled in the parent's cgroup.subtree_control?"));
        assert!(text.contains("coloc_io is not loaded"), "{text}");
        assert!(
            !t.path("cgroup/svc/io.coloc").exists(),
            "must not create the file"
        );
        assert_eq!(t.read("cgroup/svc/memory.priority"), "0\n");
    }

    #[test]
    fn unknown_cgroup_and_root_only_files() {
        let t = FakeTree::loaded_machine();
        let prio = SetArgs {
            memory_priority: Some("3".into()),
            ..args()
        };
        let err = plan(&t.roots(), "no/such", &prio).unwrap_err();
        assert!(
            err.to_string().starts_with("cgroup 'no/such' not found"),
            "{err}"
        );
        let p = problems(plan(&t.roots(), "/", &prio).unwrap_err());
        assert!(
            p[0].contains("memory.priority does not exist on the root cgroup"),
            "{p:?}"
        );
        // The machine-wide OOM switch is on the root, and may be set there.
        let oom = SetArgs {
            memory_use_priority_oom: Some("1".into()),
            ..args()
        };
        apply(&plan(&t.roots(), "/", &oom).unwrap()).unwrap();
        assert_eq!(t.read("cgroup/memory.use_priority_oom"), "1\n");
    }

    #[test]
    fn kernel_refusal_names_file_errno_and_what_was_done() {
        let t = FakeTree::loaded_machine();
        // A directory in place of the file: open(O_WRONLY) fails with EISDIR,
        // standing in for the kernel's EINVAL/ERANGE/ENODEV.
        std::fs::remove_file(t.path("cgroup/svc/cpu.bvt_warp_ns")).unwrap();
        t.mkdir("cgroup/svc/cpu.bvt_warp_ns");
        t.file("cgroup/svc/io.coloc", "");
        let a = SetArgs {
            memory_priority: Some("4".into()),
            cpu_class: Some("online".into()),
            io_class: vec!["8:16=online".into()],
            ..args()
        };
        let err = apply(&plan(&t.roots(), "svc", &a).unwrap()).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("writing '1' to "), "{text}");
        assert!(text.contains("cpu.bvt_warp_ns failed: EISDIR: "), "{text}");
        assert!(
            text.contains("already written: ") && text.contains("memory.priority"),
            "{text}"
        );
        // memory comes before cpu and was written; io comes after and was not.
        assert_eq!(t.read("cgroup/svc/memory.priority"), "4\n");
        assert_eq!(t.read("cgroup/svc/io.coloc"), "");
    }
}
