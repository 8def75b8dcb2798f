//! Parsers for the file formats of docs/admin-guide.rst, in cgroup-v2.rst's
//! terms: single value, flat (one item per line), flat keyed ("key value"
//! lines) and nested keyed ("MAJ:MIN key=value ..." lines).
//!
//! Parsers are strict about what they rely on and ignore keys they do not
//! know, so a newer kernel that adds a key does not break an older colocctl.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A single value file holding a decimal integer ("5\n", "-1\n").
pub fn parse_int(text: &str) -> Result<i64, String> {
    let t = text.trim();
    t.parse()
        .map_err(|_| format!("expected an integer, got '{t}'"))
}

/// A single value file holding a word or version ("0.1.0\n").
pub fn parse_word(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return Err(format!("expected one value, got '{t}'"));
    }
    Ok(t.to_string())
}

/// A flat file: one item per line (`features`). Empty means none.
pub fn parse_list(text: &str) -> Result<Vec<String>, String> {
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// One line of `/sys/kernel/coloc/hooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hook {
    pub hook: String,
    pub module: String,
}

/// `/sys/kernel/coloc/hooks`: "HOOK MODULE" lines.
pub fn parse_hooks(text: &str) -> Result<Vec<Hook>, String> {
    nonblank_lines(text)
        .map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [hook, module] => Ok(Hook {
                    hook: hook.to_string(),
                    module: module.to_string(),
                }),
                _ => Err(format!("expected 'HOOK MODULE', got '{line}'")),
            },
        )
        .collect()
}

/// A flat keyed file of counters (`memory.exstat`, `/sys/kernel/coloc/cpu/stat`).
pub fn parse_counters(text: &str) -> Result<BTreeMap<String, u64>, String> {
    flat_pairs(text)?
        .into_iter()
        .map(|(k, v)| {
            let n = v
                .parse()
                .map_err(|_| format!("{k}: expected a count, got '{v}'"))?;
            Ok((k, n))
        })
        .collect()
}

/// `cpu.coloc_stat`: the class in force and whether the cgroup is offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CpuStat {
    pub class: i64,
    pub offline: bool,
}

pub fn parse_cpu_stat(text: &str) -> Result<CpuStat, String> {
    let pairs: BTreeMap<String, String> = flat_pairs(text)?.into_iter().collect();
    let class = required(&pairs, "class")?;
    let offline = match required(&pairs, "offline")?.as_str() {
        "0" => false,
        "1" => true,
        other => return Err(format!("offline: expected 0 or 1, got '{other}'")),
    };
    let class = class
        .parse()
        .map_err(|_| format!("class: expected an integer, got '{class}'"))?;
    Ok(CpuStat { class, offline })
}

/// A block device number, the key of nested keyed io files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevNum {
    pub major: u32,
    pub minor: u32,
}

impl fmt::Display for DevNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

impl FromStr for DevNum {
    type Err = String;

    /// "MAJ:MIN", decimal, as the kernel prints and expects it.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected MAJ:MIN, got '{s}'");
        let (major, minor) = s.split_once(':').ok_or_else(bad)?;
        let number = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse::<u32>().map_err(|_| bad())
        };
        Ok(DevNum {
            major: number(major)?,
            minor: number(minor)?,
        })
    }
}

impl Serialize for DevNum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One line of `io.coloc`: a disk's setting in this cgroup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IoSetting {
    pub dev: DevNum,
    pub class: String,
    pub target_us: u64,
}

pub fn parse_io_coloc(text: &str) -> Result<Vec<IoSetting>, String> {
    nested_keyed(text)?
        .into_iter()
        .map(|(dev, keys)| {
            Ok(IoSetting {
                dev,
                class: required(&keys, "class")?,
                target_us: count(&keys, "target")?,
            })
        })
        .collect()
}

/// One line of `io.coloc_stat`: a disk this cgroup has done I/O on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IoCgroupStat {
    pub dev: DevNum,
    pub class: String,
    pub target_us: u64,
    pub delayed: u64,
    pub delay_us: u64,
    pub completions: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
}

pub fn parse_io_coloc_stat(text: &str) -> Result<Vec<IoCgroupStat>, String> {
    nested_keyed(text)?
        .into_iter()
        .map(|(dev, keys)| {
            Ok(IoCgroupStat {
                dev,
                class: required(&keys, "class")?,
                target_us: count(&keys, "target")?,
                delayed: count(&keys, "delayed")?,
                delay_us: count(&keys, "delay_us")?,
                completions: count(&keys, "completions")?,
                p50_us: count(&keys, "p50_us")?,
                p90_us: count(&keys, "p90_us")?,
                p99_us: count(&keys, "p99_us")?,
            })
        })
        .collect()
}

/// The bound on offline bios in flight: a number, or "max" for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Max,
    Bios(u64),
}

impl Serialize for Limit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Limit::Max => serializer.serialize_str("max"),
            Limit::Bios(n) => serializer.serialize_u64(*n),
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Max => write!(f, "max"),
            Limit::Bios(n) => write!(f, "{n}"),
        }
    }
}

/// One line of `/sys/kernel/coloc/io/stat`: the policy's state on a disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IoDiskStat {
    pub dev: DevNum,
    pub offline_limit: Limit,
    pub offline_inflight: u64,
    pub missed_windows: u64,
    pub delayed: u64,
}

pub fn parse_io_disk_stat(text: &str) -> Result<Vec<IoDiskStat>, String> {
    nested_keyed(text)?
        .into_iter()
        .map(|(dev, keys)| {
            let offline_limit = match required(&keys, "offline_limit")?.as_str() {
                "max" => Limit::Max,
                _ => Limit::Bios(count(&keys, "offline_limit")?),
            };
            Ok(IoDiskStat {
                dev,
                offline_limit,
                offline_inflight: count(&keys, "offline_inflight")?,
                missed_windows: count(&keys, "missed_windows")?,
                delayed: count(&keys, "delayed")?,
            })
        })
        .collect()
}

fn nonblank_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// "key value" lines, in file order; a repeated key is malformed.
fn flat_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut seen = BTreeMap::new();
    let mut pairs = Vec::new();
    for line in nonblank_lines(text) {
        let (key, value) = match line.split_whitespace().collect::<Vec<_>>()[..] {
            [k, v] => (k.to_string(), v.to_string()),
            _ => return Err(format!("expected 'key value', got '{line}'")),
        };
        if seen.insert(key.clone(), ()).is_some() {
            return Err(format!("key '{key}' repeated"));
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// One line of a nested keyed file: the disk and its keys.
type NestedRow = (DevNum, BTreeMap<String, String>);

/// "MAJ:MIN key=value ..." lines.
fn nested_keyed(text: &str) -> Result<Vec<NestedRow>, String> {
    nonblank_lines(text)
        .map(|line| {
            let mut tokens = line.split_whitespace();
            let dev: DevNum = tokens.next().unwrap_or_default().parse()?;
            let mut keys = BTreeMap::new();
            for token in tokens {
                let (k, v) = token
                    .split_once('=')
                    .ok_or_else(|| format!("expected key=value, got '{token}' in '{line}'"))?;
                if keys.insert(k.to_string(), v.to_string()).is_some() {
                    return Err(format!("key '{k}' repeated in '{line}'"));
                }
            }
            Ok((dev, keys))
        })
        .collect()
}

fn required(keys: &BTreeMap<String, String>, key: &str) -> Result<String, String> {
    keys.get(key)
        .cloned()
        .ok_or_else(|| format!("key '{key}' missing"))
}

fn count(keys: &BTreeMap<String, String>, key: &str) -> Result<u64, String> {
    let v = required(keys, key)?;
    v.parse()
        .map_err(|_| format!("{key}: expected a count, got '{v}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values() {
        assert_eq!(parse_int("5\n"), Ok(5));
        assert_eq!(parse_int("-1\n"), Ok(-1));
        assert!(parse_int("").is_err());
        assert!(parse_int("1 2\n").is_err());
        assert_eq!(parse_word("0.1.0\n"), Ok("0.1.0".to_string()));
        assert!(parse_word("\n").is_err());
    }

    #[test]
    fn features_and_hooks() {
        assert_eq!(
            parse_list("core\nmemory\n\ncpu\n").unwrap(),
            ["core", "memory", "cpu"]
        );
        assert!(parse_list("").unwrap().is_empty());
        let hooks = parse_hooks("coloc_oom_hook coloc_mem\ncoloc_io_hook coloc_io\n").unwrap();
        assert_eq!(hooks.len(), 2);
        assert_eq!(hooks[1].hook, "coloc_io_hook");
        assert_eq!(hooks[1].module, "coloc_io");
        assert!(parse_hooks("").unwrap().is_empty());
        assert!(parse_hooks("lonely\n").is_err());
    }

    #[test]
    fn memory_exstat_counters() {
        let text = "wmark_reclaim_work_ms 12\nwmark_reclaimed_pages 4096\npriority_oom_kills 1\n";
        let m = parse_counters(text).unwrap();
        assert_eq!(m["wmark_reclaim_work_ms"], 12);
        assert_eq!(m["wmark_reclaimed_pages"], 4096);
        assert_eq!(m["priority_oom_kills"], 1);
        assert!(parse_counters("a -1\n").is_err());
        assert!(parse_counters("a 1\na 2\n").is_err());
        assert!(parse_counters("a\n").is_err());
    }

    #[test]
    fn cpu_coloc_stat() {
        assert_eq!(
            parse_cpu_stat("class -1\noffline 1\n"),
            Ok(CpuStat {
                class: -1,
                offline: true
            })
        );
        assert_eq!(parse_cpu_stat("class 2\noffline 0\n").unwrap().class, 2);
        assert!(parse_cpu_stat("class 1\n").is_err());
        assert!(parse_cpu_stat("class x\noffline 0\n").is_err());
        assert!(parse_cpu_stat("class 1\noffline 2\n").is_err());
    }

    #[test]
    fn device_numbers() {
        assert_eq!(
            "8:16".parse(),
            Ok(DevNum {
                major: 8,
                minor: 16
            })
        );
        assert_eq!(
            DevNum {
                major: 254,
                minor: 1
            }
            .to_string(),
            "254:1"
        );
        for bad in [
            "",
            "8",
            "8:",
            ":1",
            "8:x",
            "+8:1",
            "8:16:1",
            "99999999999:0",
        ] {
            assert!(bad.parse::<DevNum>().is_err(), "{bad}");
        }
    }

    #[test]
    fn io_coloc_lines() {
        let s =
            parse_io_coloc("8:16 class=online target=2000\n8:0 class=offline target=0\n").unwrap();
        assert_eq!(
            s[0],
            IoSetting {
                dev: DevNum {
                    major: 8,
                    minor: 16
                },
                class: "online".into(),
                target_us: 2000
            }
        );
        assert_eq!(s[1].class, "offline");
        assert!(parse_io_coloc("").unwrap().is_empty());
        assert!(
            parse_io_coloc("8:16 class=online\n").is_err(),
            "target missing"
        );
        assert!(parse_io_coloc("8:16 class online\n").is_err());
    }

    #[test]
    fn io_coloc_stat_lines() {
        let line = "8:16 class=offline target=0 delayed=1494 delay_us=12678923 completions=2197 \
                    p50_us=1024 p90_us=1024 p99_us=16384 future_key=7\n";
        let s = parse_io_coloc_stat(line).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].delayed, 1494);
        assert_eq!(s[0].delay_us, 12678923);
        assert_eq!(s[0].p99_us, 16384);
        assert_eq!(s[0].class, "offline");
        assert!(parse_io_coloc_stat("8:16 class=offline target=0\n").is_err());
    }

    #[test]
    fn io_disk_stat_with_max_limit() {
        let s = parse_io_disk_stat(
            "254:1 offline_limit=1 offline_inflight=1 missed_windows=91 delayed=1494\n\
             8:0 offline_limit=max offline_inflight=0 missed_windows=0 delayed=0\n",
        )
        .unwrap();
        assert_eq!(s[0].offline_limit, Limit::Bios(1));
        assert_eq!(s[0].missed_windows, 91);
        assert_eq!(s[1].offline_limit, Limit::Max);
        assert_eq!(serde_json::to_value(&s[1]).unwrap()["offline_limit"], "max");
        assert_eq!(serde_json::to_value(&s[0]).unwrap()["offline_limit"], 1);
    }
}
