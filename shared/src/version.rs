//! Pup versions (`meta.version`). Real SemVer 2.0 precedence via the `semver` crate; dogeboxd
//! compared with Go x/mod/semver, which wants a leading `v` and accepts `v1` / `v1.2`.

use semver::Version;
use thiserror::Error;

/// A version string that is not SemVer even after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{value:?} is not a valid version: {reason}; use SemVer such as 1.2.3 \
     (a leading v and the short forms 1 and 1.2 are accepted)"
)]
pub struct VersionError {
    pub value: String,
    /// The `semver` crate's explanation.
    pub reason: String,
}

/// Parses a pup version. One leading `v` is dropped, and the short forms `1` and `1.2` (digits
/// only, no pre-release or build) are padded with `.0`, so `v1.2` is `1.2.0`.
///
/// Compare results with `Ord` or [`Version::cmp_precedence`] (the latter ignores build
/// metadata, as SemVer precedence does); never compare the strings.
pub fn parse_version(input: &str) -> Result<Version, VersionError> {
    let body = input.strip_prefix('v').unwrap_or(input);
    let padded = pad_short_form(body);
    Version::parse(padded.as_deref().unwrap_or(body)).map_err(|e| VersionError {
        value: input.to_owned(),
        reason: e.to_string(),
    })
}

fn pad_short_form(body: &str) -> Option<String> {
    let parts: Vec<&str> = body.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match parts.len() {
        1 if numeric => Some(format!("{body}.0.0")),
        2 if numeric => Some(format!("{body}.0")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn v(s: &str) -> Version {
        match parse_version(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        assert_eq!(v("v1.2.3").to_string(), "1.2.3");
        assert_eq!(v("v1.2").to_string(), "1.2.0");
        assert_eq!(v("1.2").to_string(), "1.2.0");
        assert_eq!(v("1").to_string(), "1.0.0");
        assert_eq!(v("v1").to_string(), "1.0.0");
        assert_eq!(v("0.1.0-rc.1+build.5").to_string(), "0.1.0-rc.1+build.5");
    }

    #[test]
    fn rejects_non_semver() {
        for bad in [
            "", "v", "vv1.2.3", "1.2.3.4", "1.", "1..2", "01.2.3", "1.2-rc.1", "latest", " 1.2.3",
            "V1.2.3",
        ] {
            let err = parse_version(bad).err();
            assert!(err.is_some(), "{bad:?} accepted");
            let msg = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                msg.starts_with(&format!("{bad:?} is not a valid version: ")),
                "{msg}"
            );
            assert!(
                msg.ends_with("(a leading v and the short forms 1 and 1.2 are accepted)"),
                "{msg}"
            );
        }
    }

    #[test]
    fn precedence_is_semver_not_string() {
        assert!(v("0.0.10") > v("0.0.9"));
        assert!(v("0.1.0-rc.1") < v("0.1.0"));
        assert!(v("0.1.0-alpha") < v("0.1.0-alpha.1"));
        assert!(v("0.1.0-rc.2") < v("0.1.0-rc.10"));
        assert!(v("1.10.0") > v("1.9.0"));
        assert_eq!(v("v1.2"), v("1.2.0"));
        assert_eq!(v("1.0.0+a").cmp_precedence(&v("1.0.0+b")), Ordering::Equal);
    }
}
