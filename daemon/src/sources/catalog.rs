//! What git sources offer: every SemVer tag is a set of pup versions. Listing a git
//! source fetches its tags (shallow) into a bare cache repository and reads each
//! tag's `dogebox.json` and manifests from there; the result is kept in the store,
//! so the store answers from the last good listing until it is refreshed (by
//! `store --refresh`, or when it is older than `--source-max-age`). A refresh that
//! fails keeps the last good listing and records why.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use dogebox_shared::version::parse_version;
use dogebox_shared::wire::{SourceKind, SourceView};
use serde::{Deserialize, Serialize};

use super::git::{self, GitLocation, RemoteTag};
use super::{OfferedPup, Origin, data_url, is_source_id, source_id_from};
use crate::config::Config;
use crate::jobs::bus::now_ms;
use crate::store::Store;

/// The cached listing of one git source.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitListing {
    /// Unix ms of the last good listing; `None` before the first.
    pub listed_at: Option<i64>,
    pub pups: Vec<OfferedPup>,
    /// Tags that were skipped, and why.
    pub errors: Vec<String>,
    pub refresh_error: Option<String>,
    pub refresh_failed_at: Option<i64>,
}

impl GitListing {
    /// Older than `max_age` since it was last listed, or since a refresh last failed:
    /// a remote that does not answer is not asked again on every read.
    pub fn is_stale(&self, max_age: Duration) -> bool {
        let last_try = self.listed_at.max(self.refresh_failed_at);
        match last_try {
            None => true,
            Some(t) => now_ms().saturating_sub(t) > i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// The SemVer tags, highest first (ties broken by the tag's name, so the order is
/// always the same).
fn version_tags(tags: Vec<RemoteTag>) -> Vec<(semver::Version, RemoteTag)> {
    let mut out: Vec<(semver::Version, RemoteTag)> =
        tags.into_iter().filter_map(|t| parse_version(&t.name).ok().map(|v| (v, t))).collect();
    out.sort_by(|(va, ta), (vb, tb)| vb.cmp_precedence(va).then_with(|| vb.cmp(va)).then_with(|| tb.name.cmp(&ta.name)));
    out
}

/// How many tags, from the highest, `source add` tries before giving up.
const INSPECT_TAGS: usize = 5;

fn timeout(cfg: &Config) -> Duration {
    Duration::from_secs(cfg.git_timeout)
}

/// Inspect a git location for `source add`: it must have a SemVer tag; the highest
/// tag's `dogebox.json` gives the id, name and description (without one, the root
/// must be a pup, and the id comes from the repository's name).
pub async fn inspect(cfg: &Config, loc: &GitLocation) -> Result<SourceView, String> {
    let tags = version_tags(git::remote_tags(&loc.url, timeout(cfg)).await.map_err(|e| e.to_string())?);
    if tags.is_empty() {
        return Err(format!("{} has no SemVer tags (such as v1.2.3 or 1.2.3), so it offers no versions", loc.shown));
    }
    let scratch = tempfile::Builder::new()
        .prefix("inspect-")
        .tempdir_in(cfg.tmp_dir())
        .map_err(|e| format!("creating a scratch folder: {e}"))?;
    let cache = scratch.path().join("cache.git");
    // The highest tag that can be read names the source (a broken newest tag is
    // skipped in listings, so it must not stop the source being added).
    let mut problems = Vec::new();
    let mut found = None;
    for (_, tag) in tags.iter().take(INSPECT_TAGS) {
        git::fetch_tags(&cache, &loc.url, std::slice::from_ref(tag), timeout(cfg)).await.map_err(|e| e.to_string())?;
        match git::read_tag(&cache, tag, timeout(cfg)).await {
            Ok(c) => {
                found = Some(c);
                break;
            }
            Err(e) if e.is_content_error() => problems.push(e.to_string()),
            Err(e) => return Err(e.to_string()),
        }
    }
    let Some(contents) = found else {
        return Err(format!(
            "none of the {} highest tags of {} can be used: {}",
            problems.len(),
            loc.shown,
            problems.join("; ")
        ));
    };
    let (id, name, description) = match &contents.index {
        Some(index) => {
            if !is_source_id(index.id()) {
                return Err(super::SourceError::BadId(crate::pups::resolve::shorten(index.id())).to_string());
            }
            (index.id().to_string(), index.name().to_string(), index.description().to_string())
        }
        None => {
            let name = contents.pups.first().map(|p| p.manifest.name().to_string()).unwrap_or_default();
            (source_id_from(&repo_name(&loc.shown)), name, String::new())
        }
    };
    Ok(SourceView { id, name, description, location: loc.shown.clone(), kind: SourceKind::Git, added_at: now_ms() })
}

/// `https://host/owner/pups.git` → `pups`.
fn repo_name(location: &str) -> String {
    let trimmed = location.trim_end_matches('/');
    let last = trimmed.rsplit(['/', ':']).next().unwrap_or(trimmed);
    last.strip_suffix(".git").unwrap_or(last).to_string()
}

/// Read every tag of the source afresh.
async fn list(cfg: &Config, source: &SourceView) -> Result<GitListing, String> {
    let loc = git::classify(&source.location)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{} is no longer a git repository", source.location))?;
    let tags = version_tags(git::remote_tags(&loc.url, timeout(cfg)).await.map_err(|e| e.to_string())?);
    let cache = cfg.git_cache_dir(&source.id);
    if let Some(parent) = cache.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let refs: Vec<RemoteTag> = tags.iter().map(|(_, t)| t.clone()).collect();
    git::fetch_tags(&cache, &loc.url, &refs, timeout(cfg)).await.map_err(|e| e.to_string())?;
    let mut listing = GitListing { listed_at: Some(now_ms()), ..Default::default() };
    // Highest tag first: the first tag to offer a name + version is the one kept.
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for (_, tag) in &tags {
        let contents = match git::read_tag(&cache, tag, timeout(cfg)).await {
            Ok(c) => c,
            Err(e) => {
                // Content errors already name the tag ("tag v1.2.0: folder x: …").
                listing.errors.push(if e.is_content_error() {
                    format!("skipped {e}")
                } else {
                    format!("skipped tag {}: {e}", tag.name)
                });
                continue;
            }
        };
        let mut offered = Vec::new();
        for p in contents.pups {
            match parse_version(p.manifest.version_str()) {
                Ok(v) => offered.push((v, p)),
                Err(e) => {
                    listing.errors.push(format!("skipped tag {}: folder {}: {e}", tag.name, p.sub_path));
                    offered.clear();
                    break;
                }
            }
        }
        for (semver, p) in offered {
            let key = (p.manifest.name().to_string(), semver.to_string());
            if !seen.insert(key) {
                continue;
            }
            let logo = p.logo.as_ref().map(|l| data_url(l.mime, &l.bytes));
            listing.pups.push(OfferedPup {
                name: p.manifest.name().to_string(),
                version: semver.to_string(),
                semver,
                origin: Origin::Git {
                    url: loc.url.clone(),
                    tag: tag.name.clone(),
                    commit: tag.commit.clone(),
                    sub_path: p.sub_path.clone(),
                },
                manifest: p.manifest,
                logo,
            });
        }
    }
    Ok(listing)
}

/// The last good listing kept in the store (empty if there is none yet).
pub fn cached(store: &Store, source_id: &str) -> GitListing {
    match store.listing(source_id) {
        Ok(Some(v)) => serde_json::from_value(v).unwrap_or_else(|e| {
            tracing::warn!(source = source_id, error = %e, "cached listing unreadable; it will be listed again");
            GitListing::default()
        }),
        Ok(None) => GitListing::default(),
        Err(e) => {
            tracing::warn!(source = source_id, error = %e, "reading the cached listing");
            GitListing::default()
        }
    }
}

/// One refresh at a time per source: they share the cache repository.
static LOCKS: LazyLock<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);

fn lock_for(source_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut locks = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    locks.entry(source_id.to_string()).or_default().clone()
}

/// List the source again and keep the result; on failure keep the last good
/// listing, with the reason. Returns what is now cached. With `max_age`, only when
/// the cached listing is older than that (checked again once this caller's turn
/// comes, so readers queued behind one refresh do not each list it again).
pub async fn refresh(cfg: &Config, store: &Store, source: &SourceView, max_age: Option<Duration>) -> GitListing {
    let lock = lock_for(&source.id);
    let _guard = lock.lock().await;
    if let Some(age) = max_age {
        let cached = cached(store, &source.id);
        if !cached.is_stale(age) {
            return cached;
        }
    }
    let listing = match list(cfg, source).await {
        Ok(fresh) => fresh,
        Err(e) => {
            tracing::warn!(source = %source.id, error = %e, "refreshing a git source failed; keeping the last listing");
            let mut old = cached(store, &source.id);
            old.refresh_error = Some(e);
            old.refresh_failed_at = Some(now_ms());
            old
        }
    };
    match serde_json::to_value(&listing) {
        Ok(v) => {
            if let Err(e) = store.put_listing(&source.id, &v) {
                tracing::warn!(source = %source.id, error = %e, "saving the listing");
            }
        }
        Err(e) => tracing::warn!(source = %source.id, error = %e, "encoding the listing"),
    }
    listing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str) -> RemoteTag {
        RemoteTag { name: name.into(), commit: "0".repeat(40) }
    }

    #[test]
    fn tags_sort_by_semver_precedence_and_skip_the_rest() {
        let sorted = version_tags(vec![
            tag("v0.0.9"),
            tag("0.1.0-rc.1"),
            tag("v0.0.10"),
            tag("latest"),
            tag("v0.1.0"),
            tag("0.1.0"),
        ]);
        let names: Vec<&str> = sorted.iter().map(|(_, t)| t.name.as_str()).collect();
        assert_eq!(names, ["v0.1.0", "0.1.0", "0.1.0-rc.1", "v0.0.10", "v0.0.9"]);
    }

    #[test]
    fn repo_names() {
        assert_eq!(repo_name("https://github.com/Dogebox-WG/pups.git"), "pups");
        assert_eq!(repo_name("git@github.com:me/my-pup.git"), "my-pup");
        assert_eq!(repo_name("/srv/git/thing/"), "thing");
    }
}
