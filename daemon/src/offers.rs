//! What the sources offer, as `store`, `store show` and `pup outdated` see it: disk
//! sources read afresh, git sources from their cached listings (refreshed here when
//! older than `--source-max-age`).

use std::collections::BTreeMap;

use dogebox_shared::wire::{
    Installation, OutdatedListing, OutdatedPup, SourceError as WireSourceError, SourceKind, SourceListingState,
    StoreDetail, StoreListing, StorePup, StoreVersion,
};

use crate::api::error::ApiError;
use crate::daemon::{Daemon, Offer};
use crate::pups::resolve::near_names;
use crate::sources::{self, OfferedPup, catalog};

impl Daemon {
    /// Every pup version every source offers, with the sources that failed to list.
    /// Disk sources are read afresh; git sources answer from their cached listing.
    pub fn offers(&self) -> Result<(Vec<Offer>, Vec<WireSourceError>), ApiError> {
        let mut offers = Vec::new();
        let mut errors = Vec::new();
        for source in self.store.sources()? {
            let listing = match source.kind {
                SourceKind::Disk => sources::list(&source).map_err(|e| e.to_string()),
                SourceKind::Git => {
                    let cached = catalog::cached(&self.store, &source.id);
                    match (&cached.refresh_error, cached.listed_at) {
                        (Some(e), None) => Err(format!("cannot be listed: {e}")),
                        _ => Ok(sources::Listing { pups: cached.pups, errors: cached.errors }),
                    }
                }
            };
            match listing {
                Ok(listing) => {
                    for e in listing.errors {
                        errors.push(WireSourceError { source_id: source.id.clone(), error: e });
                    }
                    for p in listing.pups {
                        offers.push((source.clone(), p));
                    }
                }
                Err(e) => errors.push(WireSourceError { source_id: source.id.clone(), error: e }),
            }
        }
        Ok((offers, errors))
    }

    /// List git sources whose cached listing is older than `--source-max-age` (or
    /// every git source, or the one named, with `force`).
    pub async fn refresh_sources(&self, force: bool, only: Option<&str>) -> Result<Vec<SourceListingState>, ApiError> {
        let max_age = std::time::Duration::from_secs(self.cfg.source_max_age);
        let mut states = Vec::new();
        for source in self.store.sources()?.into_iter().filter(|s| s.kind == SourceKind::Git) {
            if only.is_some_and(|id| id != source.id) {
                continue;
            }
            let mut listing = catalog::cached(&self.store, &source.id);
            if force || listing.is_stale(max_age) {
                let only_if_stale = (!force).then_some(max_age);
                listing = catalog::refresh(&self.cfg, &self.store, &source, only_if_stale).await;
            }
            states.push(SourceListingState {
                source_id: source.id.clone(),
                listed_at: listing.listed_at,
                refresh_error: listing.refresh_error,
                refresh_failed_at: listing.refresh_failed_at,
            });
        }
        Ok(states)
    }

    /// The store from what sources offer now (refresh stale git sources first).
    pub fn store_listing(&self, sources_state: Vec<SourceListingState>) -> Result<StoreListing, ApiError> {
        let (offers, errors) = self.offers()?;
        let records = self.store.pups()?;
        let mut grouped: BTreeMap<(String, String), Vec<&OfferedPup>> = BTreeMap::new();
        for (source, p) in &offers {
            grouped.entry((source.id.clone(), p.name.clone())).or_default().push(p);
        }
        let installed_of = |source_id: &str, name: &str| -> Vec<String> {
            records
                .iter()
                .filter(|r| r.source.id == source_id && r.name == name && r.installation != Installation::Uninstalled)
                .map(|r| r.id.clone())
                .collect()
        };
        let mut pups: Vec<StorePup> = grouped
            .into_iter()
            .map(|((source_id, name), mut versions)| {
                versions.sort_by(|a, b| b.semver.cmp_precedence(&a.semver));
                let latest = latest(&versions).unwrap_or(versions[0]);
                StorePup {
                    installed: installed_of(&source_id, &name),
                    latest_version: latest.version.clone(),
                    short_description: latest.manifest.short_description().to_string(),
                    versions: versions.iter().map(|v| v.version.clone()).collect(),
                    offered: true,
                    source_id,
                    name,
                }
            })
            .collect();
        // Installed pups their source no longer offers stay visible, flagged.
        for r in records.iter().filter(|r| r.installation != Installation::Uninstalled) {
            if !pups.iter().any(|p| p.source_id == r.source.id && p.name == r.name) {
                pups.push(StorePup {
                    source_id: r.source.id.clone(),
                    name: r.name.clone(),
                    latest_version: r.version.clone(),
                    versions: Vec::new(),
                    short_description: r.manifest.short_description().to_string(),
                    installed: installed_of(&r.source.id, &r.name),
                    offered: false,
                });
            }
        }
        pups.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.source_id.cmp(&b.source_id)));
        pups.dedup_by(|a, b| a.source_id == b.source_id && a.name == b.name);
        Ok(StoreListing { pups, errors, sources: sources_state })
    }

    /// One pup of the store with every version in full.
    pub fn store_detail(&self, name: &str, source: Option<&str>) -> Result<StoreDetail, ApiError> {
        let (offers, errors) = self.offers()?;
        let records = self.store.pups()?;
        let (source_view, mut versions) = match self.offers_named(&offers, &errors, name, source) {
            Ok(found) => found,
            Err(e) => {
                // An installed pup its source dropped: say so rather than "no such pup".
                let lower = name.to_lowercase();
                let installed = records.iter().find(|r| {
                    r.name.to_lowercase() == lower
                        && r.installation != Installation::Uninstalled
                        && source.is_none_or(|s| s == r.source.id)
                });
                return Err(match installed {
                    Some(r) => ApiError::not_found(format!(
                        "{} {} is installed (id {}) but is not offered by its source {} any more",
                        r.name,
                        r.version,
                        &r.id[..8.min(r.id.len())],
                        r.source.id
                    )),
                    None => e,
                });
            }
        };
        versions.sort_by(|a, b| b.semver.cmp_precedence(&a.semver));
        let latest = latest(&versions).unwrap_or(versions[0]);
        Ok(StoreDetail {
            source_id: source_view.id.clone(),
            source_name: source_view.name.clone(),
            name: latest.name.clone(),
            latest_version: latest.version.clone(),
            logo: latest.logo.clone(),
            installed: records
                .iter()
                .filter(|r| r.source.id == source_view.id && r.name == latest.name && r.installation != Installation::Uninstalled)
                .map(|r| r.id.clone())
                .collect(),
            versions: versions
                .iter()
                .map(|v| StoreVersion {
                    version: v.version.clone(),
                    pre_release: !v.semver.pre.is_empty(),
                    tag: v.tag().map(str::to_string),
                    manifest: serde_json::to_value(&v.manifest).unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// Installed pups with newer versions in their own source.
    pub fn outdated(&self, pre: bool) -> Result<OutdatedListing, ApiError> {
        let (offers, errors) = self.offers()?;
        let mut listing = OutdatedListing { pups: Vec::new(), held: Vec::new(), errors };
        for rec in self.records()?.into_iter().filter(|r| r.installation == Installation::Ready) {
            let Ok(current) = dogebox_shared::version::parse_version(&rec.version) else { continue };
            let mut newer: Vec<&OfferedPup> = offers
                .iter()
                .filter(|(s, p)| s.id == rec.source.id && p.name == rec.name)
                .map(|(_, p)| p)
                .filter(|p| p.semver.cmp_precedence(&current).is_gt() && (pre || p.semver.pre.is_empty()))
                .collect();
            if newer.is_empty() {
                continue;
            }
            newer.sort_by(|a, b| b.semver.cmp_precedence(&a.semver));
            let entry = OutdatedPup {
                pup_id: rec.id.clone(),
                name: rec.name.clone(),
                source_id: rec.source.id.clone(),
                current: rec.version.clone(),
                latest: newer[0].version.clone(),
                newer: newer.iter().map(|p| p.version.clone()).collect(),
            };
            if rec.held { listing.held.push(entry) } else { listing.pups.push(entry) }
        }
        Ok(listing)
    }

    /// The versions of one pup name: from the given source, or from the only source
    /// that offers the name.
    pub(crate) fn offers_named<'a>(
        &self,
        offers: &'a [Offer],
        listing_errors: &[WireSourceError],
        name: &str,
        source: Option<&str>,
    ) -> Result<(&'a dogebox_shared::wire::SourceView, Vec<&'a OfferedPup>), ApiError> {
        if let Some(src) = source
            && !self.store.sources()?.iter().any(|s| s.id == src) {
                return Err(ApiError::not_found(format!(
                    "no source {:?}; see 'dogebox source list'",
                    crate::pups::resolve::shorten(src)
                )));
            }
        let lower = name.to_lowercase();
        let matching: Vec<&Offer> = offers
            .iter()
            .filter(|(s, p)| p.name.to_lowercase() == lower && source.is_none_or(|id| s.id == id))
            .collect();
        if matching.is_empty() {
            let near = near_names(offers.iter().map(|(_, p)| p.name.as_str()), name);
            // A pup whose manifest is invalid is not offered; say so rather than hide it.
            let unreadable = match listing_errors.len() {
                0 => String::new(),
                n => format!(" ({n} pup folder(s) or tag(s) in your sources could not be read; 'dogebox store' shows why)"),
            };
            return Err(ApiError::not_found(format!(
                "no source offers a pup named {:?}{}{unreadable}",
                crate::pups::resolve::shorten(name),
                if near.is_empty() { "; see 'dogebox store'".to_string() } else { format!("; did you mean {}?", near.join(", ")) }
            )));
        }
        let mut source_ids: Vec<&str> = matching.iter().map(|(s, _)| s.id.as_str()).collect();
        source_ids.sort();
        source_ids.dedup();
        if source_ids.len() > 1 {
            return Err(ApiError::ambiguous(format!(
                "{name:?} is offered by several sources ({}); choose one with --source",
                source_ids.join(", ")
            )));
        }
        let source_view = matching
            .iter()
            .find(|(s, _)| s.id == source_ids[0])
            .map(|(s, _)| s)
            .ok_or_else(|| ApiError::internal("source vanished while planning"))?;
        Ok((source_view, matching.iter().map(|(_, p)| p).collect()))
    }

}

/// The newest version that is not a pre-release.
pub(crate) fn latest<'a>(sorted_desc: &[&'a OfferedPup]) -> Option<&'a OfferedPup> {
    sorted_desc.iter().copied().find(|p| p.semver.pre.is_empty())
}
