//! Reading optional kernel files.
//!
//! A coloc file exists exactly while its module is loaded (and, in a cgroup,
//! while its controller is enabled), so "missing" is a normal answer, not an
//! error: every read yields a [`Reading`] that is a value, absent, or
//! unreadable (permission, malformed content), and the commands show all
//! three without failing.

use std::fmt::Display;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Serialize, Serializer};

use crate::error::describe_io_error;

/// The outcome of reading one optional file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading<T> {
    Value(T),
    /// The file does not exist (module not loaded, controller not enabled).
    Absent,
    /// The file exists but could not be read or parsed; the text says why.
    Unreadable(String),
}

impl<T> Reading<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Reading::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Reading::Absent)
    }

    /// Text for humans: the formatted value, "absent" or "unreadable (why)".
    pub fn show_with(&self, format: impl FnOnce(&T) -> String) -> String {
        match self {
            Reading::Value(v) => format(v),
            Reading::Absent => "absent".to_string(),
            Reading::Unreadable(why) => format!("unreadable ({why})"),
        }
    }

    /// Text for a table cell: "-" for absent, "?" for unreadable (the reason
    /// is listed under the table).
    pub fn cell_with(&self, format: impl FnOnce(&T) -> String) -> String {
        match self {
            Reading::Value(v) => format(v),
            Reading::Absent => "-".to_string(),
            Reading::Unreadable(_) => "?".to_string(),
        }
    }
}

impl<T: Display> Reading<T> {
    pub fn show(&self) -> String {
        self.show_with(|v| v.to_string())
    }

    pub fn cell(&self) -> String {
        self.cell_with(|v| v.to_string())
    }
}

/// In JSON a reading is its value, or null when absent or unreadable (the
/// reason for the latter is in the enclosing object's "errors" list).
impl<T: Serialize> Serialize for Reading<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Reading::Value(v) => v.serialize(serializer),
            _ => serializer.serialize_none(),
        }
    }
}

/// Reads files and remembers why the unreadable ones failed, so the output
/// can list the reasons once.
#[derive(Debug, Default)]
pub struct Reader {
    pub errors: Vec<String>,
}

impl Reader {
    /// Reads `path` and parses it with `parse`.
    pub fn read<T>(
        &mut self,
        path: &Path,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Reading<T> {
        let reading = read_file(path, parse);
        if let Reading::Unreadable(why) = &reading {
            self.errors.push(format!("{}: {why}", path.display()));
        }
        reading
    }
}

/// Reads and parses one file, without recording anything.
pub fn read_file<T>(path: &Path, parse: impl FnOnce(&str) -> Result<T, String>) -> Reading<T> {
    match fs::read_to_string(path) {
        Ok(text) => match parse(&text) {
            Ok(v) => Reading::Value(v),
            Err(why) => Reading::Unreadable(format!("malformed: {why}")),
        },
        Err(err) if vanished(&err) => Reading::Absent,
        Err(err) => Reading::Unreadable(describe_io_error(&err)),
    }
}

/// True for errors that mean the file is not there: never created, or
/// removed by a module unload between open and read (kernfs answers ENODEV).
fn vanished(err: &io::Error) -> bool {
    const ENODEV: i32 = 19;
    err.kind() == io::ErrorKind::NotFound || err.raw_os_error() == Some(ENODEV)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeTree;

    #[test]
    fn missing_file_is_absent_and_not_an_error() {
        let t = FakeTree::new();
        let mut r = Reader::default();
        let got = r.read(&t.path("nothing/here"), |s| Ok(s.to_string()));
        assert_eq!(got, Reading::Absent);
        assert!(r.errors.is_empty());
        assert_eq!(got.show(), "absent");
        assert_eq!(got.cell(), "-");
    }

    #[test]
    fn malformed_file_is_unreadable_and_recorded() {
        let t = FakeTree::new();
        t.file("x", "garbage\n");
        let mut r = Reader::default();
        let got: Reading<i64> = r.read(&t.path("x"), crate::formats::parse_int);
        assert!(matches!(&got, Reading::Unreadable(why) if why.starts_with("malformed")));
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].contains("/x: malformed"), "{:?}", r.errors);
        assert_eq!(got.cell(), "?");
        assert_eq!(serde_json::to_string(&got).unwrap(), "null");
    }
}
