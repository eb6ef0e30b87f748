//! `dogebox.json`: the source index at the root of a git repository or disk folder, listing the
//! pup folders it contains.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::manifest::{ParseError, Shape, parse_json};
use crate::paths::{
    METADATA_FILE_LIMIT, PathError, ReadError, read_regular_file, safe_relative_path,
};

/// File name of the index at a source's root.
pub const INDEX_FILE: &str = "dogebox.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceIndex {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub pups: Option<Vec<IndexPup>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexPup {
    /// Pup folder relative to the source root; `.` is the root itself.
    pub location: Option<String>,
}

/// dogeboxd's messages for the first four; the rest are checks it lacked.
#[derive(Debug, Error)]
pub enum IndexError {
    #[error("failed to read dogebox.json: {0}")]
    Read(ReadError),
    #[error("failed to unmarshal content: {0}")]
    Parse(ParseError),
    #[error("missing field: id")]
    MissingId,
    #[error("missing field: name")]
    MissingName,
    #[error("missing field: location in pups")]
    MissingLocation,
    #[error(transparent)]
    Location(PathError),
}

static INDEX: Shape = Shape::Obj(&[
    ("id", Shape::Str),
    ("name", Shape::Str),
    ("description", Shape::Str),
    ("pups", Shape::Arr(&Shape::Obj(&[("location", Shape::Str)]))),
]);

impl SourceIndex {
    /// Parses only (Go-style: case-insensitive keys, unknown keys ignored, null = absent).
    pub fn parse(bytes: &[u8]) -> Result<SourceIndex, IndexError> {
        parse_json(bytes, &INDEX).map_err(IndexError::Parse)
    }

    /// Parses and validates.
    pub fn load(bytes: &[u8]) -> Result<SourceIndex, IndexError> {
        let index = Self::parse(bytes)?;
        index.validate()?;
        Ok(index)
    }

    /// Reads `<dir>/dogebox.json` if it exists (a regular file, not a symlink), then parses and
    /// validates it. `Ok(None)` when there is no index, so the folder itself is the pup.
    pub fn load_dir(dir: &Path) -> Result<Option<SourceIndex>, IndexError> {
        let path = dir.join(INDEX_FILE);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            _ => {}
        }
        let bytes = read_regular_file(&path, METADATA_FILE_LIMIT).map_err(IndexError::Read)?;
        Self::load(&bytes).map(Some)
    }

    /// dogeboxd's checks (id, name, every location present), then every location must be a
    /// safe relative path. An empty or absent `pups` is allowed.
    pub fn validate(&self) -> Result<(), IndexError> {
        if self.id().is_empty() {
            return Err(IndexError::MissingId);
        }
        if self.name().is_empty() {
            return Err(IndexError::MissingName);
        }
        if self.pups().iter().any(|p| p.location().is_empty()) {
            return Err(IndexError::MissingLocation);
        }
        self.pup_paths().map(|_| ())
    }

    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    pub fn description(&self) -> &str {
        self.description.as_deref().unwrap_or("")
    }

    pub fn pups(&self) -> &[IndexPup] {
        self.pups.as_deref().unwrap_or(&[])
    }

    /// Each `pups[].location`, checked and normalised, in index order; ready to join onto the
    /// source root.
    pub fn pup_paths(&self) -> Result<Vec<PathBuf>, IndexError> {
        self.pups()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                safe_relative_path(&format!("pups[{i}].location"), p.location())
                    .map_err(IndexError::Location)
            })
            .collect()
    }
}

impl IndexPup {
    pub fn location(&self) -> &str {
        self.location.as_deref().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> String {
        match SourceIndex::load(json.as_bytes()) {
            Ok(i) => panic!("accepted {json}: {i:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn dogeboxd_messages_in_order() {
        assert_eq!(err(r#"{"name":"n"}"#), "missing field: id");
        assert_eq!(err(r#"{"id":"","name":"n"}"#), "missing field: id");
        assert_eq!(err(r#"{"id":"i"}"#), "missing field: name");
        assert_eq!(
            err(r#"{"id":"i","name":"n","pups":[{"location":"a"},{}]}"#),
            "missing field: location in pups"
        );
        assert_eq!(
            err(r#"{"id":"i","name":"n","pups":[{"location":null}]}"#),
            "missing field: location in pups"
        );
        assert_eq!(err("null"), "missing field: id");
        assert!(err("{").starts_with("failed to unmarshal content: "));
        assert_eq!(
            err(r#"{"id":"i","name":"n","pups":[{"location":7}]}"#),
            "failed to unmarshal content: pups[0].location: invalid type: integer `7`, expected a string"
        );
    }

    #[test]
    fn locations_must_stay_inside_the_source() {
        for bad in ["../x", "/etc", "a/../../b", "a//b"] {
            let json = format!(
                r#"{{"id":"i","name":"n","pups":[{{"location":"ok"}},{{"location":"{bad}"}}]}}"#
            );
            let msg = err(&json);
            assert!(
                msg.starts_with(&format!("pups[1].location {bad:?} ")),
                "{msg}"
            );
        }
    }

    #[test]
    fn empty_pups_dot_location_and_case_insensitive_keys() {
        let index = SourceIndex::load(br#"{"ID":"i","Name":"n","PUPS":null,"extra":1}"#);
        assert!(
            matches!(&index, Ok(i) if i.pups().is_empty() && i.id() == "i"),
            "{index:?}"
        );
        let index = SourceIndex::load(br#"{"id":"i","name":"n","pups":[{"Location":"."}]}"#);
        let paths = index.and_then(|i| i.pup_paths()).ok();
        assert_eq!(paths, Some(vec![PathBuf::from(".")]));
    }
}
