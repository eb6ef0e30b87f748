//! Pup sources: where pups come from. This module knows disk sources (a folder with a
//! `dogebox.json` index, or a single pup folder); git sources come later.

use std::path::{Path, PathBuf};

use dogebox_shared::index::SourceIndex;
use dogebox_shared::manifest::Manifest;
use dogebox_shared::version::parse_version;
use dogebox_shared::wire::{SourceKind, SourceView};

use crate::jobs::bus::now_ms;

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
    #[error("{path}/dogebox.json: {message}")]
    BadIndex { path: String, message: String },
    #[error("{path}: {message}")]
    BadPup { path: String, message: String },
}

/// One pup version a source offers.
#[derive(Debug, Clone)]
pub struct OfferedPup {
    pub name: String,
    pub version: String,
    pub semver: semver::Version,
    /// The pup folder.
    pub dir: PathBuf,
    pub manifest: Manifest,
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
        (index.id().to_string(), index.name().to_string(), index.description().to_string())
    } else if dir.join("manifest.json").exists() {
        let manifest = Manifest::load_dir(&dir).map_err(|e| SourceError::BadPup { path: shown.clone(), message: e.to_string() })?;
        let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| manifest.name().to_string());
        (base.clone(), base, String::new())
    } else {
        return Err(SourceError::NotASource { path: shown });
    };
    Ok(SourceView { id, name, description, location: shown, kind: SourceKind::Disk, added_at: now_ms() })
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
    let folders: Vec<PathBuf> = if let Some(index) = read_index(&dir)? {
        let rel = index
            .pup_paths()
            .map_err(|e| SourceError::BadIndex { path: source.location.clone(), message: e.to_string() })?;
        rel.iter().map(|p| dir.join(p)).collect()
    } else {
        vec![dir.clone()]
    };
    let mut listing = Listing::default();
    for folder in folders {
        match read_pup(&folder) {
            Ok(Some(p)) => listing.pups.push(p),
            Ok(None) => {}
            Err(e) => listing.errors.push(e.to_string()),
        }
    }
    Ok(listing)
}

/// Read one pup folder; `None` when it is not a pup folder at all (no manifest).
fn read_pup(folder: &Path) -> Result<Option<OfferedPup>, SourceError> {
    let shown = folder.display().to_string();
    if !folder.join("manifest.json").exists() {
        return Ok(None);
    }
    let manifest = Manifest::load_dir(folder).map_err(|e| SourceError::BadPup { path: shown.clone(), message: e.to_string() })?;
    let semver = parse_version(manifest.version_str())
        .map_err(|e| SourceError::BadPup { path: shown.clone(), message: e.to_string() })?;
    Ok(Some(OfferedPup {
        name: manifest.name().to_string(),
        version: semver.to_string(),
        semver,
        dir: folder.to_path_buf(),
        manifest,
    }))
}
