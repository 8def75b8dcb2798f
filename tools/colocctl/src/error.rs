//! Errors that end a command. Reads of optional files never produce one:
//! a missing knob is reported as "absent" (see [`crate::reading`]).

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// One or more command-line values failed validation; nothing was written.
    Invalid(Vec<String>),
    /// The cgroup named on the command line does not exist.
    CgroupNotFound { name: String, path: PathBuf },
    /// A knob file to be written does not exist; `hint` says what to load
    /// or enable. Checked for every file before the first write.
    MissingFile {
        file: String,
        cgroup: PathBuf,
        hint: String,
    },
    /// The kernel refused a write.
    Write {
        path: PathBuf,
        content: String,
        source: io::Error,
        /// Files written successfully before this one, so the user knows
        /// what changed.
        done: Vec<PathBuf>,
    },
    /// A directory that must be readable (the start of a tree walk) was not.
    Read { path: PathBuf, source: io::Error },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(problems) => {
                write!(f, "invalid arguments, nothing written:")?;
                for p in problems {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            Error::CgroupNotFound { name, path } => {
                write!(
                    f,
                    "cgroup '{name}' not found ({} does not exist)",
                    path.display()
                )
            }
            Error::MissingFile { file, cgroup, hint } => write!(
                f,
                "{file} not found in {}: {hint}; nothing written",
                cgroup.display()
            ),
            Error::Write {
                path,
                content,
                source,
                done,
            } => {
                write!(
                    f,
                    "writing '{}' to {} failed: {}",
                    content.trim_end(),
                    path.display(),
                    describe_io_error(source)
                )?;
                if done.is_empty() {
                    write!(f, " (nothing was written before it)")
                } else {
                    let list: Vec<String> = done.iter().map(|p| p.display().to_string()).collect();
                    write!(f, " (already written: {})", list.join(", "))
                }
            }
            Error::Read { path, source } => {
                write!(
                    f,
                    "cannot read {}: {}",
                    path.display(),
                    describe_io_error(source)
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Write { source, .. } | Error::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// "ERANGE: Numerical result out of range (os error 34)": the errno name is
/// what the admin guide documents, the text is what people recognise.
pub fn describe_io_error(err: &io::Error) -> String {
    match err.raw_os_error().and_then(errno_name) {
        Some(name) => format!("{name}: {err}"),
        None => err.to_string(),
    }
}

/// Names of the errnos the coloc knobs and cgroup files return.
fn errno_name(code: i32) -> Option<&'static str> {
    Some(match code {
        1 => "EPERM",
        2 => "ENOENT",
        5 => "EIO",
        12 => "ENOMEM",
        13 => "EACCES",
        16 => "EBUSY",
        19 => "ENODEV",
        21 => "EISDIR",
        22 => "EINVAL",
        28 => "ENOSPC",
        34 => "ERANGE",
        95 => "EOPNOTSUPP",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_carry_errno_name_and_text() {
        let erange = io::Error::from_raw_os_error(34);
        let text = describe_io_error(&erange);
        assert!(text.starts_with("ERANGE: "), "{text}");
        assert!(text.contains("os error 34"), "{text}");
        // Not an errno: left as it is.
        let other = io::Error::other("boom");
        assert_eq!(describe_io_error(&other), "boom");
    }
}
