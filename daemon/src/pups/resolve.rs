//! Finding the pup a user means: an id, a unique id prefix, or a name.

use crate::pups::record::PupRecord;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no pup {reference:?} is installed{}", near_hint(.near))]
    NotFound { reference: String, near: Vec<String> },
    #[error("{reference:?} matches several pups: {}; use the id", .matches.join(", "))]
    Ambiguous { reference: String, matches: Vec<String> },
}

fn near_hint(near: &[String]) -> String {
    if near.is_empty() { String::new() } else { format!("; did you mean {}?", near.join(", ")) }
}

/// Shortest id prefix accepted, so a stray character does not pick a pup.
const MIN_PREFIX: usize = 4;

pub fn resolve_ref<'a>(pups: &'a [PupRecord], reference: &str) -> Result<&'a PupRecord, ResolveError> {
    if let Some(p) = pups.iter().find(|p| p.id == reference) {
        return Ok(p);
    }
    let lower = reference.to_lowercase();
    let by_name: Vec<&PupRecord> = pups.iter().filter(|p| p.name.to_lowercase() == lower).collect();
    match by_name.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            return Err(ResolveError::Ambiguous {
                reference: reference.to_string(),
                matches: many.iter().map(|p| format!("{} ({}, from {})", p.id, p.name, p.source.id)).collect(),
            });
        }
    }
    if reference.len() >= MIN_PREFIX && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
        let by_prefix: Vec<&PupRecord> = pups.iter().filter(|p| p.id.starts_with(&lower)).collect();
        match by_prefix.as_slice() {
            [one] => return Ok(one),
            [] => {}
            many => {
                return Err(ResolveError::Ambiguous {
                    reference: reference.to_string(),
                    matches: many.iter().map(|p| format!("{} ({})", p.id, p.name)).collect(),
                });
            }
        }
    }
    Err(ResolveError::NotFound { reference: reference.to_string(), near: near_names(pups.iter().map(|p| p.name.as_str()), reference) })
}

/// Names that look like what was typed: containing it, or within two edits.
pub fn near_names<'a>(names: impl Iterator<Item = &'a str>, typed: &str) -> Vec<String> {
    let typed = typed.to_lowercase();
    let mut out: Vec<String> = names
        .filter(|n| {
            let n = n.to_lowercase();
            n.contains(&typed) || typed.contains(&n) || edit_distance(&n, &typed) <= 2
        })
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out.truncate(5);
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_catch_typos_and_parts() {
        let names = ["hello-web", "doge-ticker", "core"];
        assert_eq!(near_names(names.iter().copied(), "helo-web"), vec!["hello-web"]);
        assert_eq!(near_names(names.iter().copied(), "ticker"), vec!["doge-ticker"]);
        assert!(near_names(names.iter().copied(), "zzzzzzzz").is_empty());
    }
}
