//! Paths that come from manifests and source indexes (`nixFile`, `logoPath`, `pups[].location`).
//!
//! dogeboxd joined these onto a folder without checking them, so `../../etc/shadow` or an
//! absolute path escaped the pup folder. Everything here is checked as text, before any join.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

const ALLOWED: &str =
    "only a relative path inside the folder is allowed, such as \"pup.nix\" or \"sub/dir\"";

/// Why a manifest or index path was rejected. `field` is the JSON path of the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PathError {
    #[error("{field} is empty; {ALLOWED}")]
    Empty { field: String },
    #[error("{field} {value:?} is an absolute path; {ALLOWED}")]
    Absolute { field: String, value: String },
    #[error("{field} {value:?} contains a \"..\" component; {ALLOWED}")]
    ParentDir { field: String, value: String },
    #[error("{field} {value:?} contains an empty path component (\"//\"); {ALLOWED}")]
    EmptyComponent { field: String, value: String },
    #[error("{field} contains a NUL character; {ALLOWED}")]
    Nul { field: String },
}

/// Checks that `value` names something inside the folder it will be joined onto and returns it
/// as a normalised relative path (`.` components dropped; `.` itself stays `.`).
///
/// Rejected: empty, absolute (leading `/`), any `..` component, empty components (`a//b`), NUL.
/// A single trailing `/` is tolerated because hand-written indexes use `"core/"`.
pub fn safe_relative_path(field: &str, value: &str) -> Result<PathBuf, PathError> {
    let err_value = || (field.to_owned(), value.to_owned());
    if value.is_empty() {
        return Err(PathError::Empty {
            field: field.to_owned(),
        });
    }
    if value.contains('\0') {
        return Err(PathError::Nul {
            field: field.to_owned(),
        });
    }
    if value.starts_with('/') {
        let (field, value) = err_value();
        return Err(PathError::Absolute { field, value });
    }
    let trimmed = value.strip_suffix('/').unwrap_or(value);
    let mut out = PathBuf::new();
    for part in trimmed.split('/') {
        match part {
            "" => {
                let (field, value) = err_value();
                return Err(PathError::EmptyComponent { field, value });
            }
            ".." => {
                let (field, value) = err_value();
                return Err(PathError::ParentDir { field, value });
            }
            "." => {}
            normal => out.push(normal),
        }
    }
    // Belt and braces: the textual checks above must leave only normal components.
    debug_assert!(out.components().all(|c| matches!(c, Component::Normal(_))));
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Ok(out)
}

/// Why a small metadata file (manifest.json, dogebox.json) could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} is not a regular file (symbolic links are not followed)")]
    NotRegularFile { path: PathBuf },
    #[error("{path} is larger than {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },
}

/// Size cap for manifest.json and dogebox.json: real ones are a few KiB.
pub const METADATA_FILE_LIMIT: u64 = 1024 * 1024;

/// Reads a metadata file that must be a regular file (not a symlink that could point outside the
/// pup folder, not a FIFO that would block) and at most `limit` bytes.
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |error| ReadError::Io {
        path: path.to_owned(),
        error,
    };
    let meta = fs::symlink_metadata(path).map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegularFile {
            path: path.to_owned(),
        });
    }
    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(value: &str) -> PathBuf {
        match safe_relative_path("f", value) {
            Ok(p) => p,
            Err(e) => panic!("{value:?} rejected: {e}"),
        }
    }

    #[test]
    fn accepts_plain_relative_paths() {
        assert_eq!(ok("pup.nix"), PathBuf::from("pup.nix"));
        assert_eq!(ok("sub/dir/logo.png"), PathBuf::from("sub/dir/logo.png"));
        assert_eq!(ok("./pup.nix"), PathBuf::from("pup.nix"));
        assert_eq!(ok("."), PathBuf::from("."));
        assert_eq!(ok("core/"), PathBuf::from("core"));
        // Dots inside a name are not a parent reference.
        assert_eq!(ok("..hidden/a..b"), PathBuf::from("..hidden/a..b"));
    }

    #[test]
    fn rejects_traversal_and_absolute() {
        type IsExpected = fn(&PathError) -> bool;
        let cases: &[(&str, IsExpected)] = &[
            ("../x", |e| matches!(e, PathError::ParentDir { .. })),
            ("a/../../b", |e| matches!(e, PathError::ParentDir { .. })),
            ("a/..", |e| matches!(e, PathError::ParentDir { .. })),
            ("..", |e| matches!(e, PathError::ParentDir { .. })),
            ("/etc/passwd", |e| matches!(e, PathError::Absolute { .. })),
            ("/", |e| matches!(e, PathError::Absolute { .. })),
            ("a//b", |e| matches!(e, PathError::EmptyComponent { .. })),
            ("a\0b", |e| matches!(e, PathError::Nul { .. })),
            ("", |e| matches!(e, PathError::Empty { .. })),
        ];
        for (value, is_expected) in cases {
            match safe_relative_path("meta.logoPath", value) {
                Ok(p) => panic!("{value:?} accepted as {p:?}"),
                Err(e) => assert!(is_expected(&e), "{value:?}: unexpected error {e:?}"),
            }
        }
    }

    #[test]
    fn messages_name_field_value_and_what_is_allowed() {
        let e = safe_relative_path("container.build.nixFile", "../x")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "container.build.nixFile \"../x\" contains a \"..\" component; only a relative path \
                 inside the folder is allowed, such as \"pup.nix\" or \"sub/dir\""
            )
        );
        let e = safe_relative_path("meta.logoPath", "/etc/passwd")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "meta.logoPath \"/etc/passwd\" is an absolute path; only a relative path inside \
                 the folder is allowed, such as \"pup.nix\" or \"sub/dir\""
            )
        );
    }
}
