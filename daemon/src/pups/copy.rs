//! Copying a pup folder out of its source: modes kept, symlinks recreated as links
//! (never followed), links that point outside the pup folder refused.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{link} is a symlink to {target}, which is outside the pup folder")]
    LinkEscapes { link: String, target: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> CopyError {
    let context = context.into();
    move |source| CopyError::Io { context, source }
}

/// Copy `from` to a fresh `to` (which must not exist).
pub fn copy_pup_dir(from: &Path, to: &Path) -> Result<(), CopyError> {
    copy_tree(from, to, Path::new(""))
}

fn copy_tree(root: &Path, to_root: &Path, rel: &Path) -> Result<(), CopyError> {
    let src = root.join(rel);
    let dst = to_root.join(rel);
    let meta = fs::symlink_metadata(&src).map_err(io_err(format!("reading {}", src.display())))?;
    fs::create_dir(&dst).map_err(io_err(format!("creating {}", dst.display())))?;
    fs::set_permissions(&dst, meta.permissions()).map_err(io_err(format!("setting mode of {}", dst.display())))?;
    let entries = fs::read_dir(&src).map_err(io_err(format!("listing {}", src.display())))?;
    for entry in entries {
        let entry = entry.map_err(io_err(format!("listing {}", src.display())))?;
        let child_rel = rel.join(entry.file_name());
        let child_src = root.join(&child_rel);
        let child_dst = to_root.join(&child_rel);
        let kind = entry.file_type().map_err(io_err(format!("reading {}", child_src.display())))?;
        if kind.is_symlink() {
            let target = fs::read_link(&child_src).map_err(io_err(format!("reading link {}", child_src.display())))?;
            if !link_stays_inside(&child_rel, &target) {
                return Err(CopyError::LinkEscapes {
                    link: child_rel.display().to_string(),
                    target: target.display().to_string(),
                });
            }
            std::os::unix::fs::symlink(&target, &child_dst)
                .map_err(io_err(format!("creating link {}", child_dst.display())))?;
        } else if kind.is_dir() {
            copy_tree(root, to_root, &child_rel)?;
        } else if kind.is_file() {
            fs::copy(&child_src, &child_dst).map_err(io_err(format!("copying {}", child_src.display())))?;
        } else {
            tracing::warn!(path = %child_src.display(), "skipping a special file in a pup folder");
        }
    }
    Ok(())
}

/// Whether a link at `link_rel` (relative to the pup root) with `target` resolves
/// inside the root, judged lexically (the target may not exist yet).
fn link_stays_inside(link_rel: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut parts: Vec<PathBuf> = link_rel.parent().map(|p| p.components().map(|c| PathBuf::from(c.as_os_str())).collect()).unwrap_or_default();
    for c in target.components() {
        match c {
            Component::Normal(p) => parts.push(PathBuf::from(p)),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_files_modes_and_inner_links_refuses_escaping_links() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("bin")).unwrap();
        fs::write(src.join("bin/run.sh"), "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(src.join("bin/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("bin/run.sh", src.join("start")).unwrap();
        copy_pup_dir(&src, &tmp.path().join("dst")).unwrap();
        let dst = tmp.path().join("dst");
        assert_eq!(fs::metadata(dst.join("bin/run.sh")).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(fs::read_link(dst.join("start")).unwrap(), PathBuf::from("bin/run.sh"));

        std::os::unix::fs::symlink("../../etc/passwd", src.join("bin/evil")).unwrap();
        let err = copy_pup_dir(&src, &tmp.path().join("dst2")).unwrap_err();
        assert!(err.to_string().contains("outside the pup folder"), "{err}");
    }

    #[test]
    fn link_judgement() {
        assert!(link_stays_inside(Path::new("a/b"), Path::new("../c")));
        assert!(!link_stays_inside(Path::new("a"), Path::new("../c")));
        assert!(!link_stays_inside(Path::new("a"), Path::new("/etc/passwd")));
    }
}
