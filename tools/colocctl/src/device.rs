//! Naming a disk on the command line: "MAJ:MIN" or a block device path.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::error::describe_io_error;
use crate::formats::DevNum;

/// Resolves "8:16" as it is, or "/dev/sdb" through stat(2) to its device
/// number. The kernel takes only whole disks; a partition passes here and
/// is refused by the write with ENODEV.
pub fn resolve(spec: &str) -> Result<DevNum, String> {
    if spec.starts_with('/') || spec.starts_with('.') {
        return resolve_path(Path::new(spec));
    }
    spec.parse()
        .map_err(|_| format!("device '{spec}': expected MAJ:MIN or a /dev path"))
}

fn resolve_path(path: &Path) -> Result<DevNum, String> {
    let meta = fs::metadata(path)
        .map_err(|e| format!("device {}: {}", path.display(), describe_io_error(&e)))?;
    if !meta.file_type().is_block_device() {
        return Err(format!("device {}: not a block device", path.display()));
    }
    Ok(split_dev_t(meta.rdev()))
}

/// Linux's dev_t encoding (glibc's gnu_dev_major/minor): 12 bits of major
/// and 20 of minor, split so old 16-bit numbers keep their layout.
pub fn split_dev_t(rdev: u64) -> DevNum {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    DevNum {
        major: major as u32,
        minor: minor as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::FakeTree;

    #[test]
    fn dev_t_decoding_matches_glibc() {
        // makedev(8, 16) and makedev(259, 1) (an NVMe partition), and a
        // minor above 255 that uses the high bits.
        assert_eq!(
            split_dev_t(0x0810),
            DevNum {
                major: 8,
                minor: 16
            }
        );
        assert_eq!(
            split_dev_t(0x10301),
            DevNum {
                major: 259,
                minor: 1
            }
        );
        let big = (300u64 & 0xff) | ((300u64 & !0xff) << 12) | (8 << 8);
        assert_eq!(
            split_dev_t(big),
            DevNum {
                major: 8,
                minor: 300
            }
        );
    }

    #[test]
    fn specs_that_are_not_block_devices_are_refused() {
        assert_eq!(
            resolve("8:16"),
            Ok(DevNum {
                major: 8,
                minor: 16
            })
        );
        assert!(resolve("sda").unwrap_err().contains("expected MAJ:MIN"));
        let t = FakeTree::new();
        let plain = t.file("disk", "");
        let err = resolve(plain.to_str().unwrap()).unwrap_err();
        assert!(err.contains("not a block device"), "{err}");
        let err = resolve(t.path("nope").to_str().unwrap()).unwrap_err();
        assert!(err.contains("ENOENT"), "{err}");
        // A character device is not a disk either.
        if Path::new("/dev/null").exists() {
            assert!(resolve("/dev/null")
                .unwrap_err()
                .contains("not a block device"));
        }
    }
}
