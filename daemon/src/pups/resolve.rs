//! Finding the pup a user means: an id, a unique id prefix, or a name.

use crate::pups::record::PupRecord;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no pup {reference:?} is installed{}{}", near_hint(.near), prefix_hint(.reference))]
    NotFound { reference: String, near: Vec<String> },
    #[error("{reference:?} matches several pups: {}; use the id", .matches.join(", "))]
    Ambiguous { reference: String, matches: Vec<String> },
}

fn prefix_hint(reference: &str) -> &'static str {
    if !reference.is_empty() && reference.len() < MIN_PREFIX && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
        " (an id prefix needs at least 4 characters)"
    } else {
        ""
    }
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
    let looks_like_id = reference.len() >= MIN_PREFIX && reference.bytes().all(|b| b.is_ascii_hexdigit());
    // A name and an id prefix are weighed together: a pup named like another pup's
    // short id must not take that id over.
    let matches: Vec<&PupRecord> = pups
        .iter()
        .filter(|p| p.name.to_lowercase() == lower || (looks_like_id && p.id.starts_with(&lower)))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(ResolveError::NotFound {
            reference: shorten(reference),
            near: near_names(pups.iter().map(|p| p.name.as_str()), reference),
        }),
        many => Err(ResolveError::Ambiguous {
            reference: shorten(reference),
            matches: many.iter().map(|p| format!("{} ({}, from {})", p.id, p.name, p.source.id)).collect(),
        }),
    }
}

/// What the user typed, cut short enough to repeat in a message.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX { s.to_string() } else { format!("{}…", s.chars().take(MAX).collect::<String>()) }
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

    fn rec(id: &str, name: &str) -> PupRecord {
        let manifest = dogebox_shared::manifest::Manifest::parse(br#"{"manifestVersion":1}"#).unwrap();
        PupRecord {
            id: id.into(),
            name: name.into(),
            version: "1.0.0".into(),
            source: dogebox_shared::wire::SourceRef {
                id: "s".into(),
                name: "s".into(),
                location: "/s".into(),
                kind: dogebox_shared::wire::SourceKind::Disk,
            },
            location: "/s/x".into(),
            installation: dogebox_shared::wire::Installation::Ready,
            broken_reason: None,
            broken_message: None,
            enabled: true,
            ip: std::net::Ipv4Addr::new(10, 69, 0, 2),
            web_uis: vec![],
            manifest,
            installed_at: 0,
            user: None,
            storage_is_new: false,
            generation: 0,
            config: Default::default(),
            held: false,
            upgrade: None,
            previous: None,
        }
    }

    #[test]
    fn ids_prefixes_and_names() {
        let pups = vec![rec("5ee2c35e00000000000000000000aaaa", "hello-web"), rec("77770000000000000000000000000000", "5ee2c35e")];
        assert_eq!(resolve_ref(&pups, "hello-web").unwrap().name, "hello-web");
        assert_eq!(resolve_ref(&pups, "HELLO-web").unwrap().name, "hello-web");
        assert_eq!(resolve_ref(&pups, "7777").unwrap().name, "5ee2c35e");
        // A name that is another pup's id prefix is ambiguous, not a takeover.
        assert!(matches!(resolve_ref(&pups, "5ee2c35e"), Err(ResolveError::Ambiguous { .. })));
        assert_eq!(resolve_ref(&pups, "5ee2c35e00000000000000000000aaaa").unwrap().name, "hello-web");
        let short = resolve_ref(&pups, "5ee").unwrap_err().to_string();
        assert!(short.contains("at least 4"), "{short}");
        let long = resolve_ref(&pups, &"x".repeat(10_000)).unwrap_err().to_string();
        assert!(long.len() < 300, "a huge reference is not echoed whole");
    }

    #[test]
    fn near_names_catch_typos_and_parts() {
        let names = ["hello-web", "doge-ticker", "core"];
        assert_eq!(near_names(names.iter().copied(), "helo-web"), vec!["hello-web"]);
        assert_eq!(near_names(names.iter().copied(), "ticker"), vec!["doge-ticker"]);
        assert!(near_names(names.iter().copied(), "zzzzzzzz").is_empty());
    }
}
