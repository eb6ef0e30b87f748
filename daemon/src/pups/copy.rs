//! Copying a pup folder out of its source: modes kept, symlinks recreated as links
//! (never followed), links that point outside the pup folder refused.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{link} is a symlink to {target}, which is outside the pup folder (or points to nothing)")]
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
    copy_tree(from, to, Path::new(""))?;
    check_links_resolve_inside(to)
}

/// Each link was judged by its own text while copying; a chain of links (`a -> .`,
/// `b -> a/..`) can still leave the folder. So resolve every link in the finished copy
/// and refuse any that does not end inside it (a dangling link included: what it would
/// point to cannot be checked).
fn check_links_resolve_inside(root: &Path) -> Result<(), CopyError> {
    let real_root = fs::canonicalize(root).map_err(io_err(format!("resolving {}", root.display())))?;
    let mut stack = vec![real_root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
            let entry = entry.map_err(io_err(format!("listing {}", dir.display())))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io_err(format!("reading {}", path.display())))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_symlink() {
                let rel = path.strip_prefix(&real_root).unwrap_or(&path).display().to_string();
                let target = fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_default();
                match fs::canonicalize(&path) {
                    Ok(resolved) if resolved.starts_with(&real_root) => {}
                    _ => return Err(CopyError::LinkEscapes { link: rel, target }),
                }
            }
        }
    }
    Ok(())
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
    fn chains_of_links_that_leave_the_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("ok.txt"), "fine").unwrap();
        std::os::unix::fs::symlink(".", src.join("dd")).unwrap();
        std::os::unix::fs::symlink("dd/..", src.join("up")).unwrap();
        let err = copy_pup_dir(&src, &tmp.path().join("dst")).unwrap_err();
        assert!(err.to_string().contains("up is a symlink"), "{err}");

        let src2 = tmp.path().join("src2");
        fs::create_dir_all(&src2).unwrap();
        std::os::unix::fs::symlink("missing", src2.join("dangling")).unwrap();
        assert!(copy_pup_dir(&src2, &tmp.path().join("dst2")).is_err());

        let src3 = tmp.path().join("src3");
        fs::create_dir_all(src3.join("a")).unwrap();
        fs::write(src3.join("a/f"), "x").unwrap();
        std::os::unix::fs::symlink("a", src3.join("alias")).unwrap();
        std::os::unix::fs::symlink("alias/f", src3.join("f")).unwrap();
        copy_pup_dir(&src3, &tmp.path().join("dst3")).unwrap();
    }

    #[test]
    fn link_judgement() {
        assert!(link_stays_inside(Path::new("a/b"), Path::new("../c")));
        assert!(!link_stays_inside(Path::new("a"), Path::new("../c")));
        assert!(!link_stays_inside(Path::new("a"), Path::new("/etc/passwd")));
    }
}
