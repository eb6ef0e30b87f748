//! Storage snapshots taken before an upgrade: a copy of the pup's storage folder
//! (`cp -a --reflink=auto`, so copy-on-write file systems share the blocks and the
//! copy is near-instant), and putting it back on rollback.
//!
//! Layout under `Config::snapshot_dir(id, generation)`: `storage.partial` while
//! the copy runs, renamed to `storage` when it is whole; `discarded` holds the
//! storage a rollback replaced until it is deleted. Every step can be repeated
//! after a crash.

use std::path::{Path, PathBuf};

use tokio::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("copying {from} to {to} failed: {message}")]
    Copy { from: String, to: String, message: String },
    #[error(
        "not enough free space for the storage snapshot: it needs {needed} and 64 MiB to spare, {free} are free; free some space or upgrade with --no-snapshot"
    )]
    NoSpace { needed: String, free: String },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> SnapshotError {
    let what = what.into();
    move |source| SnapshotError::Io { what, source }
}

/// The whole snapshot, once taken.
pub fn taken(snapshot_dir: &Path) -> PathBuf {
    snapshot_dir.join("storage")
}

/// Bytes of every file under `dir` (links are not followed).
pub fn size_of(dir: &Path) -> u64 {
    fn walk(dir: &Path, total: &mut u64) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                walk(&entry.path(), total);
            } else if meta.is_file() {
                *total += meta.len();
            }
        }
    }
    let mut total = 0;
    walk(dir, &mut total);
    total
}

/// Refuse a snapshot that cannot fit (with a margin), before anything changes.
pub fn check_space(data_dir: &Path, needed: u64) -> Result<(), SnapshotError> {
    let st = nix::sys::statvfs::statvfs(data_dir)
        .map_err(|e| SnapshotError::Io { what: format!("free space of {}", data_dir.display()), source: e.into() })?;
    let free = st.blocks_available() as u64 * st.fragment_size() as u64;
    // A reflink copy may need little, but a plain copy needs it all, plus room to spare.
    let margin = 64 * 1024 * 1024;
    if needed.saturating_add(margin) > free {
        return Err(SnapshotError::NoSpace { needed: human_bytes(needed), free: human_bytes(free) });
    }
    Ok(())
}

/// Copy `storage` into the snapshot folder. Anything already there (a leftover of
/// an attempt a crash cut short) is removed first: only a copy of the storage as it
/// is now can be trusted.
pub async fn take(storage: &Path, snapshot_dir: &Path) -> Result<(), SnapshotError> {
    let whole = taken(snapshot_dir);
    let partial = snapshot_dir.join("storage.partial");
    remove_if_exists(snapshot_dir).await?;
    tokio::fs::create_dir_all(snapshot_dir).await.map_err(io(format!("creating {}", snapshot_dir.display())))?;
    let cp = crate::runtime::systemd::nix::trusted_program(Path::new("cp"))
        .ok_or_else(|| SnapshotError::Io { what: "finding cp".into(), source: std::io::ErrorKind::NotFound.into() })?;
    // -a keeps owners, modes, times, links (as links) and hard links; nothing inside
    // the pup's storage is followed.
    let out = Command::new(cp)
        .arg("-a")
        .arg("--reflink=auto")
        .arg("--")
        .arg(storage)
        .arg(&partial)
        .env_clear()
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(io("running cp"))?;
    if !out.status.success() {
        let _ = remove_if_exists(&partial).await;
        return Err(SnapshotError::Copy {
            from: storage.display().to_string(),
            to: partial.display().to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    tokio::fs::rename(&partial, &whole).await.map_err(io(format!("renaming {}", partial.display())))?;
    Ok(())
}

/// Put the snapshot back in place of `storage`. Safe to repeat: once the snapshot
/// has moved into place there is nothing left to restore.
pub async fn restore(storage: &Path, snapshot_dir: &Path) -> Result<bool, SnapshotError> {
    let whole = taken(snapshot_dir);
    let discarded = snapshot_dir.join("discarded");
    let restored = if whole.is_dir() {
        if tokio::fs::symlink_metadata(storage).await.is_ok() {
            remove_if_exists(&discarded).await?;
            tokio::fs::rename(storage, &discarded).await.map_err(io(format!("moving {} aside", storage.display())))?;
        }
        tokio::fs::rename(&whole, storage).await.map_err(io(format!("restoring {}", storage.display())))?;
        true
    } else {
        false
    };
    remove_if_exists(&discarded).await?;
    Ok(restored)
}

/// Remove a snapshot folder and all it holds.
pub async fn discard(snapshot_dir: &Path) -> Result<(), SnapshotError> {
    remove_if_exists(snapshot_dir).await
}

async fn remove_if_exists(path: &Path) -> Result<(), SnapshotError> {
    match tokio::fs::remove_dir_all(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SnapshotError::Io { what: format!("removing {}", path.display()), source: e }),
    }
}

/// `12.3 MiB`-style sizes for messages.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn take_and_restore_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let storage = tmp.path().join("storage");
        std::fs::create_dir_all(storage.join("sub")).unwrap();
        std::fs::write(storage.join("sub/data"), b"before").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", storage.join("link")).unwrap();
        let snap = tmp.path().join("snap");
        take(&storage, &snap).await.unwrap();
        assert!(taken(&snap).join("link").symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(size_of(&storage), 6);

        std::fs::write(storage.join("sub/data"), b"after, changed by the new version").unwrap();
        std::fs::write(storage.join("new"), b"x").unwrap();
        assert!(restore(&storage, &snap).await.unwrap());
        assert_eq!(std::fs::read(storage.join("sub/data")).unwrap(), b"before");
        assert!(!storage.join("new").exists());
        // Again: nothing left to restore, storage untouched.
        assert!(!restore(&storage, &snap).await.unwrap());
        assert_eq!(std::fs::read(storage.join("sub/data")).unwrap(), b"before");
    }

    #[tokio::test]
    async fn a_crash_between_the_two_renames_is_finished() {
        let tmp = tempfile::tempdir().unwrap();
        let storage = tmp.path().join("storage");
        let snap = tmp.path().join("snap");
        std::fs::create_dir_all(taken(&snap)).unwrap();
        std::fs::write(taken(&snap).join("f"), b"old").unwrap();
        std::fs::create_dir_all(snap.join("discarded")).unwrap();
        // storage itself is gone (moved aside before the crash).
        assert!(restore(&storage, &snap).await.unwrap());
        assert_eq!(std::fs::read(storage.join("f")).unwrap(), b"old");
        assert!(!snap.join("discarded").exists());
    }

    #[test]
    fn a_snapshot_that_cannot_fit_is_refused_before_anything_changes() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(check_space(tmp.path(), 1024).is_ok());
        let err = check_space(tmp.path(), u64::MAX / 2).unwrap_err().to_string();
        assert!(err.contains("--no-snapshot") && err.contains("free"), "{err}");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
