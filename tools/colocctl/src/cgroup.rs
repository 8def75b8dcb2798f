//! Naming cgroups, and what each coloc cgroup file needs in order to exist.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::{Error, Roots};

/// A cgroup that exists, named relative to the cgroup root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cgroup {
    /// "/" for the root, "/a/b" below it: how the kernel names cgroups in
    /// /proc/PID/cgroup.
    pub name: String,
    pub dir: PathBuf,
}

impl Cgroup {
    pub fn is_root(&self) -> bool {
        self.name == "/"
    }

    pub fn file(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }
}

/// Finds the cgroup `arg` names: a path relative to the cgroup root
/// ("kubepods/pod1", with or without a leading "/"), or the full path under
/// the mount ("/sys/fs/cgroup/kubepods/pod1"), which SREs paste.
pub fn lookup(roots: &Roots, arg: &str) -> Result<Cgroup, Error> {
    let rel = relative_part(&roots.cgroup, arg)?;
    let dir = roots.cgroup.join(&rel);
    if !dir.is_dir() {
        return Err(Error::CgroupNotFound {
            name: arg.to_string(),
            path: dir,
        });
    }
    Ok(Cgroup {
        name: display_name(&rel),
        dir,
    })
}

/// The part of `arg` below the cgroup root, refusing "..": a name must not
/// lead out of the cgroup tree.
fn relative_part(root: &Path, arg: &str) -> Result<PathBuf, Error> {
    let path = Path::new(arg);
    let below = path.strip_prefix(root).unwrap_or(path);
    let mut rel = PathBuf::new();
    for c in below.components() {
        match c {
            Component::Normal(part) => rel.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::Invalid(vec![format!(
                    "cgroup '{arg}': '..' is not allowed, name it from the cgroup root"
                )]))
            }
        }
    }
    Ok(rel)
}

/// "/" + the components of `rel`.
pub fn display_name(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("/{}", parts.join("/"))
}

/// What makes a coloc cgroup file appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOrigin {
    pub module: &'static str,
    pub controller: &'static str,
    /// False for files the kernel creates on non-root cgroups only.
    pub on_root: bool,
}

/// The module and controller behind a coloc cgroup file, by its name.
pub fn origin(file: &str) -> Option<FileOrigin> {
    let (module, controller) = match file.split_once('.')?.0 {
        "memory" => ("coloc_mem", "memory"),
        "cpu" => ("coloc_cpu", "cpu"),
        "io" => ("coloc_io", "io"),
        _ => return None,
    };
    // Only the OOM switch and the statistics exist on the root cgroup.
    let on_root = matches!(file, "memory.use_priority_oom" | "memory.exstat");
    Some(FileOrigin {
        module,
        controller,
        on_root,
    })
}

/// Says why `file` is missing in `cgroup`: the question every missing file
/// raises, plus what could be checked (module loaded? controller enabled?).
pub fn missing_hint(roots: &Roots, cgroup: &Cgroup, file: &str) -> String {
    let Some(o) = origin(file) else {
        return "no such file".to_string();
    };
    let question = format!(
        "is {} loaded and the {} controller enabled in the parent's cgroup.subtree_control?",
        o.module, o.controller
    );
    match diagnose(roots, cgroup, o) {
        Some(finding) => format!("{question} ({finding})"),
        None => question,
    }
}

fn diagnose(roots: &Roots, cgroup: &Cgroup, o: FileOrigin) -> Option<String> {
    if !roots.module_dir(o.module).exists() {
        return Some(format!("{} is not loaded", o.module));
    }
    if cgroup.is_root() {
        return None;
    }
    let parent_control = cgroup.dir.parent()?.join("cgroup.subtree_control");
    let enabled = fs::read_to_string(&parent_control).ok()?;
    if !enabled.split_whitespace().any(|c| c == o.controller) {
        return Some(format!(
            "{} lists '{}', without {}",
            parent_control.display(),
            enabled.trim(),
            o.controller
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeTree;

    #[test]
    fn names_relative_absolute_and_root() {
        let t = FakeTree::loaded_machine();
        t.mkdir("cgroup/a/b");
        let roots = t.roots();
        assert_eq!(lookup(&roots, "a/b").unwrap().name, "/a/b");
        assert_eq!(lookup(&roots, "/a/b/").unwrap().dir, t.path("cgroup/a/b"));
        let full = t.path("cgroup/a").display().to_string();
        assert_eq!(lookup(&roots, &full).unwrap().name, "/a");
        assert!(lookup(&roots, "/").unwrap().is_root());
        assert!(matches!(
            lookup(&roots, "a/../../etc"),
            Err(Error::Invalid(_))
        ));
        let err = lookup(&roots, "nope").unwrap_err();
        assert!(matches!(err, Error::CgroupNotFound { .. }));
        assert!(err.to_string().contains("cgroup 'nope' not found"), "{err}");
    }

    #[test]
    fn missing_file_hints_name_module_and_controller() {
        let t = FakeTree::loaded_machine();
        t.mkdir("cgroup/svc/io_less");
        let roots = t.roots();
        let svc = lookup(&roots, "svc").unwrap();
        // coloc_io is not loaded in the fake machine.
        let h = missing_hint(&roots, &svc, "io.coloc");
        assert!(
            h.starts_with("is coloc_io loaded and the io controller enabled"),
            "{h}"
        );
        assert!(h.ends_with("(coloc_io is not loaded)"), "{h}");
        // coloc_mem is loaded; without a readable cgroup.subtree_control in
        // the parent there is nothing more to say than the question.
        let child = lookup(&roots, "svc/io_less").unwrap();
        let h = missing_hint(&roots, &child, "memory.priority");
        assert!(
            h.contains("is coloc_mem loaded and the memory controller"),
            "{h}"
        );
        assert!(h.ends_with('?'), "{h}");
        // The parent enables cpu only: that is the reason.
        t.file("cgroup/svc/cgroup.subtree_control", "cpu\n");
        let h = missing_hint(&roots, &child, "memory.priority");
        assert!(h.contains("lists 'cpu', without memory"), "{h}");
    }
}
