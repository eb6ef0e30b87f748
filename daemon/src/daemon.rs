//! The daemon's shared state behind one handle, and the dispatch of actions to jobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use dogebox_shared::wire::{
    Action, DaemonStatus, Installation, JobRecord, PROTOCOL, SourceError as WireSourceError, StoreListing, StorePup,
};
use serde_json::json;

use crate::api::error::ApiError;
use crate::config::Config;
use crate::jobs::Jobs;
use crate::jobs::bus::Bus;
use crate::listen::Activity;
use crate::pups::record::PupRecord;
use crate::pups::resolve::near_names;
use crate::pups::{InstallPlan, PupError, Pups, require_purgeable, require_ready, resolve_ref};
use crate::runtime::Runtime;
use crate::sources::{self, OfferedPup};
use crate::store::Store;

/// Per lock key: the token of the install that registered it, and its cancel handle.
type InstallCancels = std::collections::HashMap<String, (String, crate::runtime::CancelHandle)>;

/// A pup version, with the source that offers it.
pub type Offer = (dogebox_shared::wire::SourceView, OfferedPup);

pub struct Daemon {
    pub cfg: Arc<Config>,
    pub store: Arc<Store>,
    pub bus: Arc<Bus>,
    pub jobs: Arc<Jobs>,
    pub pups: Arc<Pups>,
    /// Per pup (lock key), a way to stop its install: an uninstall posted while the
    /// install still runs (a build that never ends, say) cancels it instead of waiting.
    installs: std::sync::Mutex<InstallCancels>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("recovering pups after a restart: {0}")]
    Recover(#[from] PupError),
}

impl Daemon {
    /// Open the state and bring it back in order after a crash (jobs left running are
    /// interrupted, pups left half-way are cleaned up), before any client is served.
    pub async fn open(cfg: Config, runtime: Arc<dyn Runtime>, activity: Arc<Activity>) -> Result<Arc<Self>, StartError> {
        // Scratch space holds only half-made copies of a process that is gone.
        if let Err(e) = std::fs::remove_dir_all(cfg.tmp_dir())
            && e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, "cannot empty the scratch folder");
            }
        for dir in [cfg.data_dir.clone(), cfg.tmp_dir(), cfg.data_dir.join("logs")] {
            std::fs::create_dir_all(&dir)
                .map_err(|source| StartError::DataDir { path: dir.display().to_string(), source })?;
        }
        // Only root (the daemon) may look inside: it holds every pup's storage, config
        // and logs, and pups run as an unprivileged user. Units get their folders bound
        // in by systemd, so they need no way through.
        std::fs::set_permissions(&cfg.data_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|source| StartError::DataDir { path: cfg.data_dir.display().to_string(), source })?;
        let cfg = Arc::new(cfg);
        let store = Arc::new(Store::open(&cfg.db_path())?);
        let bus = Arc::new(Bus::new());
        let jobs = Arc::new(Jobs::new(store.clone(), bus.clone(), activity));
        let pups = Arc::new(Pups::new(cfg.clone(), store.clone(), bus.clone(), runtime));
        jobs.recover()?;
        pups.recover().await?;
        Ok(Arc::new(Daemon { cfg, store, bus, jobs, pups, installs: Default::default() }))
    }

    /// Enabled pups win: start every ready, enabled pup whose units are all down (after a
    /// reboot, or a restart of the service manager, which forgets transient units).
    pub async fn reconcile(self: &Arc<Self>) {
        let Ok(views) = self.pups.views().await else { return };
        for view in views.iter().filter(|v| v.installation == Installation::Ready && v.enabled) {
            if view.status == dogebox_shared::wire::RunStatus::Stopped {
                tracing::info!(pup = %view.id, "enabled pup is not running; starting it");
                if let Err(e) = self.submit(Action::Start { pup: view.id.clone() }) {
                    tracing::warn!(pup = %view.id, error = %e.message, "cannot start enabled pup");
                }
            }
        }
    }

    pub fn status(&self) -> DaemonStatus {
        DaemonStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            protocol: PROTOCOL,
            pid: std::process::id(),
            data_dir: self.cfg.data_dir.display().to_string(),
            runtime: self.pups.runtime().name().to_string(),
        }
    }

    /// Every pup version every source offers, with the sources that failed to list.
    pub fn offers(&self) -> Result<(Vec<Offer>, Vec<WireSourceError>), ApiError> {
        let mut offers = Vec::new();
        let mut errors = Vec::new();
        for source in self.store.sources()? {
            match sources::list(&source) {
                Ok(listing) => {
                    for e in listing.errors {
                        errors.push(WireSourceError { source_id: source.id.clone(), error: e });
                    }
                    for p in listing.pups {
                        offers.push((source.clone(), p));
                    }
                }
                Err(e) => errors.push(WireSourceError { source_id: source.id.clone(), error: e.to_string() }),
            }
        }
        Ok((offers, errors))
    }

    pub fn store_listing(&self) -> Result<StoreListing, ApiError> {
        let (offers, errors) = self.offers()?;
        let records = self.store.pups()?;
        let mut grouped: BTreeMap<(String, String), Vec<&OfferedPup>> = BTreeMap::new();
        for (source, p) in &offers {
            grouped.entry((source.id.clone(), p.name.clone())).or_default().push(p);
        }
        let pups = grouped
            .into_iter()
            .map(|((source_id, name), mut versions)| {
                versions.sort_by(|a, b| b.semver.cmp_precedence(&a.semver));
                let latest = latest(&versions).unwrap_or(versions[0]);
                StorePup {
                    installed: records
                        .iter()
                        .filter(|r| r.source.id == source_id && r.name == name && r.installation != Installation::Uninstalled)
                        .map(|r| r.id.clone())
                        .collect(),
                    source_id,
                    name,
                    latest_version: latest.version.clone(),
                    short_description: latest.manifest.short_description().to_string(),
                    versions: versions.iter().map(|v| v.version.clone()).collect(),
                }
            })
            .collect();
        Ok(StoreListing { pups, errors })
    }

    fn records(&self) -> Result<Vec<PupRecord>, ApiError> {
        Ok(self.store.pups()?)
    }

    /// Check an action against the current state and queue its job. Anything that can
    /// be refused is refused here, with a clear error, before a job exists.
    pub fn submit(self: &Arc<Self>, action: Action) -> Result<JobRecord, ApiError> {
        match &action {
            Action::Install { name, version, source } => {
                let plan = self.plan_install(name, version.as_deref(), source.as_deref())?;
                let key = lock_key(&plan.source.id, &plan.offer.name);
                let pup = plan.existing.as_ref().map(|p| (p.id.clone(), p.name.clone()));
                let this = self.clone();
                let (handle, cancel) = crate::runtime::Cancel::new();
                let token = crate::jobs::new_id();
                self.lock_installs().insert(key.clone(), (token.clone(), handle));
                Ok(self.jobs.submit(action.clone(), key.clone(), pup, move |ctx| async move {
                    // Re-check now that earlier jobs for this pup have finished.
                    let result = match this.refresh_plan(plan) {
                        Ok(plan) => this.pups.install(&ctx, plan, &cancel).await.map(Some),
                        Err(e) => Err(e),
                    };
                    let mut installs = this.lock_installs();
                    if installs.get(&key).is_some_and(|(t, _)| *t == token) {
                        installs.remove(&key);
                    }
                    drop(installs);
                    result
                })?)
            }
            Action::Start { pup } | Action::Stop { pup } | Action::Restart { pup } | Action::Uninstall { pup } | Action::Purge { pup } => {
                let records = self.records()?;
                let rec = resolve_ref(&records, pup).map_err(PupError::from)?;
                match &action {
                    Action::Start { .. } => require_ready(rec, "start")?,
                    Action::Stop { .. } => require_ready(rec, "stop")?,
                    Action::Restart { .. } => require_ready(rec, "restart")?,
                    Action::Purge { .. } => require_purgeable(rec)?,
                    _ => {}
                }
                let id = rec.id.clone();
                let key = lock_key(&rec.source.id, &rec.name);
                if matches!(action, Action::Uninstall { .. })
                    && let Some((_, install)) = self.lock_installs().get(&key) {
                        tracing::info!(pup = %rec.id, "uninstall posted during the install: cancelling the install");
                        install.cancel();
                    }
                let this = self.clone();
                let kind = action.clone();
                Ok(self.jobs.submit(action.clone(), key, Some((rec.id.clone(), rec.name.clone())), move |ctx| async move {
                    let pups = &this.pups;
                    let result = match kind {
                        Action::Start { .. } => pups.start(&ctx, &id).await,
                        Action::Stop { .. } => pups.stop(&ctx, &id).await,
                        Action::Restart { .. } => pups.restart(&ctx, &id).await,
                        Action::Uninstall { .. } => pups.uninstall(&ctx, &id).await,
                        _ => pups.purge(&ctx, &id).await,
                    };
                    result.map(Some)
                })?)
            }
            Action::SourceAdd { location } => {
                let view = sources::inspect(location).map_err(|e| ApiError::bad_request(e.to_string()))?;
                self.check_new_source(&view)?;
                let this = self.clone();
                Ok(self.jobs.submit(action.clone(), "sources".to_string(), None, move |ctx| async move {
                    ctx.step("add", 50, &format!("adding source {} ({})", view.id, view.location));
                    this.check_new_source(&view).map_err(|e| e.message)?;
                    this.store.insert_source(&view).map_err(|e| e.to_string())?;
                    ctx.step("done", 100, &format!("source {} added", view.id));
                    Ok::<_, String>(Some(json!(view)))
                })?)
            }
            Action::SourceRemove { source } => {
                self.check_source_removable(source)?;
                let this = self.clone();
                let id = source.clone();
                Ok(self.jobs.submit(action.clone(), "sources".to_string(), None, move |ctx| async move {
                    this.check_source_removable(&id).map_err(|e| e.message)?;
                    this.store.delete_source(&id).map_err(|e| e.to_string())?;
                    ctx.step("done", 100, &format!("source {id} removed"));
                    Ok::<_, String>(Some(json!({ "sourceId": id })))
                })?)
            }
        }
    }

    fn lock_installs(&self) -> std::sync::MutexGuard<'_, InstallCancels> {
        self.installs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_new_source(&self, view: &dogebox_shared::wire::SourceView) -> Result<(), ApiError> {
        for s in self.store.sources()? {
            if s.id == view.id {
                return Err(ApiError::conflict(format!("a source with id {} already exists (at {})", s.id, s.location)));
            }
            if s.location == view.location {
                return Err(ApiError::conflict(format!("the source at {} is already added as {}", s.location, s.id)));
            }
        }
        Ok(())
    }

    fn check_source_removable(&self, id: &str) -> Result<(), ApiError> {
        let sources = self.store.sources()?;
        if !sources.iter().any(|s| s.id == id) {
            let ids: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
            return Err(ApiError::not_found(format!(
                "no source {:?}; the sources are: {}",
                crate::pups::resolve::shorten(id),
                if ids.is_empty() { "(none)".to_string() } else { ids.join(", ") }
            )));
        }
        let users: Vec<String> = self
            .records()?
            .into_iter()
            .filter(|p| p.source.id == id)
            .map(|p| format!("{} ({}, {})", p.name, &p.id[..8], p.installation.as_str()))
            .collect();
        if !users.is_empty() {
            return Err(ApiError::conflict(format!(
                "source {id} is still used by {}; uninstall and purge them first",
                users.join(", ")
            )));
        }
        Ok(())
    }

    fn plan_install(&self, name: &str, version: Option<&str>, source: Option<&str>) -> Result<InstallPlan, ApiError> {
        let (offers, listing_errors) = self.offers()?;
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
                n => format!(" ({n} pup folder(s) in your sources could not be read; 'dogebox store' shows why)"),
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
        let mut candidates: Vec<&OfferedPup> = matching.iter().map(|(_, p)| p).collect();
        candidates.sort_by(|a, b| b.semver.cmp_precedence(&a.semver));
        let chosen = match version {
            Some(v) => {
                let wanted = dogebox_shared::version::parse_version(v).map_err(|e| ApiError::bad_request(e.to_string()))?;
                candidates.iter().copied().find(|p| p.semver.cmp_precedence(&wanted).is_eq()).ok_or_else(|| {
                    ApiError::not_found(format!(
                        "{name} {v} is not offered; versions: {}",
                        candidates.iter().map(|p| p.version.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                })?
            }
            None => latest(&candidates).unwrap_or(candidates[0]),
        };
        let source_view = matching
            .iter()
            .find(|(s, _)| s.id == source_ids[0])
            .map(|(s, _)| s.clone())
            .ok_or_else(|| ApiError::internal("source vanished while planning"))?;
        let plan = InstallPlan { source: source_view, offer: chosen.clone(), existing: None };
        self.refresh_plan(plan).map_err(ApiError::from)
    }

    /// Attach the existing record of this pup, if any; refuse when it is installed.
    fn refresh_plan(&self, mut plan: InstallPlan) -> Result<InstallPlan, PupError> {
        let records = self.store.pups()?;
        let existing = records.into_iter().find(|r| r.source.id == plan.source.id && r.name == plan.offer.name);
        match existing {
            Some(r) if matches!(r.installation, Installation::Broken | Installation::Uninstalled) => plan.existing = Some(r),
            Some(r) => {
                return Err(PupError::Conflict(format!(
                    "{} is already installed (id {}, {}); uninstall it first to reinstall",
                    r.name,
                    &r.id[..8],
                    r.installation.as_str()
                )));
            }
            None => plan.existing = None,
        }
        Ok(plan)
    }
}

/// The newest version that is not a pre-release.
fn latest<'a>(sorted_desc: &[&'a OfferedPup]) -> Option<&'a OfferedPup> {
    sorted_desc.iter().copied().find(|p| p.semver.pre.is_empty())
}

/// Jobs for one pup (same source and name) run one after another.
fn lock_key(source: &str, name: &str) -> String {
    format!("pup:{source}/{name}")
}
