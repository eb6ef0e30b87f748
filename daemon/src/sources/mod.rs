//! Pup sources: where pups come from. This module knows disk sources (a folder with a
//! `dogebox.json` index, or a single pup folder); git sources come later.

use std::path::{Path, PathBuf};

use dogebox_shared::index::SourceIndex;
use dogebox_shared::manifest::Manifest;
use dogebox_shared::version::parse_version;
use dogebox_shared::wire::{SourceKind, SourceView};
use serde::{Deserialize, Serialize};

use crate::jobs::bus::now_ms;

pub mod catalog;
pub mod git;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source location {0:?} is not an absolute path; give the full path to a folder")]
    NotAbsolute(String),
    #[error("source location {path} does not exist or cannot be read: {source}")]
    Missing {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("source location {0} is not a folder")]
    NotADir(String),
    #[error("{path} has neither dogebox.json nor manifest.json, so it is not a pup source")]
    NotASource { path: String },
    #[error("source id {0:?} is not allowed: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")]
    BadId(String),
    #[error("{path}/dogebox.json: {message}")]
    BadIndex { path: String, message: String },
    #[error("{path}: {message}")]
    BadPup { path: String, message: String },
}

/// Where an offered pup's files are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Origin {
    /// A folder on this machine.
    Disk { dir: PathBuf },
    /// A folder of a git repository at a tag.
    #[serde(rename_all = "camelCase")]
    Git { url: String, tag: String, commit: String, sub_path: String },
}

/// One pup version a source offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferedPup {
    pub name: String,
    pub version: String,
    pub semver: semver::Version,
    pub origin: Origin,
    pub manifest: Manifest,
    /// The logo as a `data:` URL, when the manifest names a PNG or JPEG that exists.
    #[serde(default)]
    pub logo: Option<String>,
}

impl OfferedPup {
    /// Where the pup comes from, for people: the folder, or `tag v1.2.0, folder core`.
    pub fn location(&self) -> String {
        match &self.origin {
            Origin::Disk { dir } => dir.display().to_string(),
            Origin::Git { tag, sub_path, .. } => format!("tag {tag}, folder {sub_path}"),
        }
    }

    /// The git tag it comes from, if any.
    pub fn tag(&self) -> Option<&str> {
        match &self.origin {
            Origin::Git { tag, .. } => Some(tag),
            Origin::Disk { .. } => None,
        }
    }
}

/// A logo file as a `data:` URL (dogeboxd renders PNG and JPEG only).
pub fn logo_data_url(path: &str, bytes: &[u8]) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    let mime = if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        return None;
    };
    Some(data_url(mime, bytes))
}

pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A pup folder ready to copy from; for git, a scratch clone removed on drop.
pub struct Checkout {
    folder: PathBuf,
    _clone: Option<tempfile::TempDir>,
}

impl Checkout {
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

/// Make the offered pup's folder available to copy: a disk folder as it is, a git
/// pup by a shallow clone of its tag into scratch space under `tmp`.
pub async fn checkout(cfg: &crate::config::Config, offer: &OfferedPup, tmp: &Path) -> Result<Checkout, String> {
    match &offer.origin {
        Origin::Disk { dir } => Ok(Checkout { folder: dir.clone(), _clone: None }),
        Origin::Git { url, tag, commit, sub_path } => {
            let scratch = tempfile::Builder::new()
                .prefix("clone-")
                .tempdir_in(tmp)
                .map_err(|e| format!("creating a scratch folder in {}: {e}", tmp.display()))?;
            let dest = scratch.path().join("repo");
            let timeout = std::time::Duration::from_secs(cfg.git_timeout);
            git::clone_tag(url, tag, commit, &dest, timeout).await.map_err(|e| e.to_string())?;
            let rel = dogebox_shared::paths::safe_relative_path("pups[].location", sub_path).map_err(|e| e.to_string())?;
            let root = std::fs::canonicalize(&dest).map_err(|e| format!("reading the clone: {e}"))?;
            let folder = pup_folder_inside(&root, &root.join(rel))?;
            Ok(Checkout { folder, _clone: Some(scratch) })
        }
    }
}

/// What a scan of a source found: the pups, and the folders that could not be read
/// (reported, without hiding the valid pups).
#[derive(Debug, Default)]
pub struct Listing {
    pub pups: Vec<OfferedPup>,
    pub errors: Vec<String>,
}

/// Inspect a location the user wants to add and derive the source's id, name and
/// description (from `dogebox.json`, or from the folder name for a single pup).
pub fn inspect(location: &str) -> Result<SourceView, SourceError> {
    let path = Path::new(location);
    if !path.is_absolute() {
        return Err(SourceError::NotAbsolute(location.to_string()));
    }
    let dir = std::fs::canonicalize(path)
        .map_err(|source| SourceError::Missing { path: location.to_string(), source })?;
    if !dir.is_dir() {
        return Err(SourceError::NotADir(dir.display().to_string()));
    }
    let shown = dir.display().to_string();
    let (id, name, description) = if let Some(index) = read_index(&dir)? {
        if !is_source_id(index.id()) {
            return Err(SourceError::BadId(crate::pups::resolve::shorten(index.id())));
        }
        (index.id().to_string(), index.name().to_string(), index.description().to_string())
    } else if dir.join("manifest.json").exists() {
        Manifest::load_dir(&dir).map_err(|e| SourceError::BadPup { path: shown.clone(), message: e.to_string() })?;
        let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        (source_id_from(&base), base, String::new())
    } else {
        return Err(SourceError::NotASource { path: shown });
    };
    Ok(SourceView { id, name, description, location: shown, kind: SourceKind::Disk, added_at: now_ms() })
}

/// Source ids end up in commands, tables and messages: keep them plain.
pub fn is_source_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 100
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// An id for a single-pup folder, from its name: other characters become `-`.
pub(crate) fn source_id_from(folder_name: &str) -> String {
    let mapped: String = folder_name
        .chars()
        .take(100)
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    let trimmed = mapped.trim_start_matches(['.', '_', '-']);
    if trimmed.is_empty() { "disk-source".to_string() } else { trimmed.to_string() }
}

fn read_index(dir: &Path) -> Result<Option<SourceIndex>, SourceError> {
    SourceIndex::load_dir(dir).map_err(|e| SourceError::BadIndex { path: dir.display().to_string(), message: e.to_string() })
}

/// Scan a source for the pups it offers. Disk sources are read afresh every time.
pub fn list(source: &SourceView) -> Result<Listing, SourceError> {
    let dir = PathBuf::from(&source.location);
    let meta = std::fs::metadata(&dir).map_err(|e| SourceError::Missing { path: source.location.clone(), source: e })?;
    if !meta.is_dir() {
        return Err(SourceError::NotADir(source.location.clone()));
    }
    let Some(index) = read_index(&dir)? else {
        // A single pup folder.
        if !dir.join("manifest.json").exists() {
            return Err(SourceError::NotASource { path: source.location.clone() });
        }
        let mut listing = Listing::default();
        match read_pup(&dir) {
            Ok(p) => listing.pups.push(p),
            Err(e) => listing.errors.push(e.to_string()),
        }
        return Ok(listing);
    };
    let rel = index
        .pup_paths()
        .map_err(|e| SourceError::BadIndex { path: source.location.clone(), message: e.to_string() })?;
    let real_root = std::fs::canonicalize(&dir).map_err(|e| SourceError::Missing { path: source.location.clone(), source: e })?;
    let mut listing = Listing::default();
    for folder in rel.iter().map(|p| dir.join(p)) {
        match disk_pup_folder_inside(&real_root, &folder).and_then(|f| read_pup(&f)) {
            // One name + version is one pup version: the first folder listed wins.
            Ok(p) => match listing.pups.iter().find(|o| o.name == p.name && o.semver == p.semver) {
                Some(first) => listing.errors.push(format!(
                    "{}: {} {} is already offered by {}; skipped",
                    folder.display(),
                    p.name,
                    p.version,
                    first.location()
                )),
                None => listing.pups.push(p),
            },
            Err(e) => listing.errors.push(e.to_string()),
        }
    }
    Ok(listing)
}

/// The index's folder, resolved; refused when a link takes it out of the source.
fn pup_folder_inside(real_root: &Path, folder: &Path) -> Result<PathBuf, String> {
    disk_pup_folder_inside(real_root, folder).map_err(|e| e.to_string())
}

fn disk_pup_folder_inside(real_root: &Path, folder: &Path) -> Result<PathBuf, SourceError> {
    let shown = folder.display().to_string();
    let real = std::fs::canonicalize(folder)
        .map_err(|e| SourceError::BadPup { path: shown.clone(), message: format!("listed in dogebox.json but cannot be read: {e}") })?;
    if !real.starts_with(real_root) {
        return Err(SourceError::BadPup {
            path: shown,
            message: format!("resolves to {}, outside the source folder", real.display()),
        });
    }
    if !real.join("manifest.json").exists() {
        return Err(SourceError::BadPup { path: shown, message: "listed in dogebox.json but has no manifest.json".to_string() });
    }
    Ok(real)
}

/// Logos larger than this are not shown.
pub const LOGO_LIMIT: u64 = 2 * 1024 * 1024;

/// Read one pup folder.
fn read_pup(folder: &Path) -> Result<OfferedPup, SourceError> {
    let shown = folder.display().to_string();
    let manifest = Manifest::load_dir(folder).map_err(|e| SourceError::BadPup { path: shown.clone(), message: e.to_string() })?;
    let semver = parse_version(manifest.version_str())
        .map_err(|e| SourceError::BadPup { path: shown.clone(), message: e.to_string() })?;
    let logo = manifest.logo_path().and_then(|p| {
        let path = dogebox_shared::paths::safe_relative_path("meta.logoPath", p).ok()?;
        let bytes = dogebox_shared::paths::read_regular_file(&folder.join(path), LOGO_LIMIT).ok()?;
        logo_data_url(p, &bytes)
    });
    Ok(OfferedPup {
        name: manifest.name().to_string(),
        version: semver.to_string(),
        semver,
        origin: Origin::Disk { dir: folder.to_path_buf() },
        manifest,
        logo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ids() {
        assert!(is_source_id("dogeorg.pups"));
        assert!(is_source_id("dogebox-wg.pup-templates"));
        for bad in ["", "../../x", "a b", "x/y", "-rf", "s\u{1b}[31m", &"a".repeat(101)] {
            assert!(!is_source_id(bad), "{bad:?}");
        }
        assert_eq!(source_id_from("my pup"), "my-pup");
        assert_eq!(source_id_from("-rf"), "rf");
        assert_eq!(source_id_from("..."), "disk-source");
    }
}
