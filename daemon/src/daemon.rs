//! The daemon's shared state behind one handle, and the dispatch of actions to jobs.

use std::collections::BTreeMap;
use std::sync::Arc;

use dogebox_shared::wire::{Action, DaemonStatus, Installation, JobRecord, PROTOCOL};
use serde_json::json;

use crate::api::error::ApiError;
use crate::config::Config;
use crate::jobs::Jobs;
use crate::jobs::bus::Bus;
use crate::listen::Activity;
use crate::pups::record::PupRecord;
use crate::pups::config_values;
use crate::pups::upgrade::{UpgradePlan, require_upgradable};
use crate::pups::{InstallPlan, PupError, Pups, require_purgeable, require_ready, resolve_ref};
use crate::runtime::Runtime;
use crate::offers::latest;
use crate::sources::{self, OfferedPup, catalog};
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
            // Stopping too: a daemon killed while stopping the old version of an
            // upgrade comes back to units that are still on their way down.
            if matches!(view.status, dogebox_shared::wire::RunStatus::Stopped | dogebox_shared::wire::RunStatus::Stopping) {
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

    pub(crate) fn records(&self) -> Result<Vec<PupRecord>, ApiError> {
        Ok(self.store.pups()?)
    }

    /// Check an action against the current state and queue its job. Anything that can
    /// be refused is refused here, with a clear error, before a job exists.
    pub fn submit(self: &Arc<Self>, action: Action) -> Result<JobRecord, ApiError> {
        match &action {
            Action::Install { name, version, source, pre } => {
                let plan = self.plan_install(name, version.as_deref(), source.as_deref(), *pre)?;
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
                    this.forget_cancel(&key, &token);
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
            Action::Upgrade { pup, to, pre, no_snapshot, health_time, set, downgrade } => {
                let records = self.records()?;
                let rec = resolve_ref(&records, pup).map_err(PupError::from)?;
                require_upgradable(rec, "upgrade")?;
                let ask = UpgradeAsk {
                    to: to.as_deref(),
                    pre: *pre,
                    downgrade: *downgrade,
                    snapshot: !*no_snapshot,
                    health_time: *health_time,
                    set,
                };
                let plan = self.plan_upgrade(rec, ask)?;
                // A new required field with no value is refused before a job exists.
                config_values::migrate(&rec.config, &plan.offer.manifest, set, true).map_err(|e| {
                    ApiError::bad_request(format!("cannot upgrade {} to {}: {e}", rec.name, plan.offer.version))
                })?;
                let key = lock_key(&rec.source.id, &rec.name);
                let id = rec.id.clone();
                let this = self.clone();
                let (handle, cancel) = crate::runtime::Cancel::new();
                let token = crate::jobs::new_id();
                self.lock_installs().insert(key.clone(), (token.clone(), handle));
                Ok(self.jobs.submit(action.clone(), key.clone(), Some((rec.id.clone(), rec.name.clone())), move |ctx| async move {
                    let result = this.pups.upgrade(&ctx, &id, plan, &cancel).await.map(Some);
                    this.forget_cancel(&key, &token);
                    result
                })?)
            }
            Action::Rollback { pup } | Action::Hold { pup } | Action::Unhold { pup } => {
                let records = self.records()?;
                let rec = resolve_ref(&records, pup).map_err(PupError::from)?;
                if matches!(action, Action::Rollback { .. }) {
                    require_upgradable(rec, "roll back")?;
                    if rec.previous.is_none() {
                        return Err(ApiError::conflict(crate::pups::upgrade::nothing_kept(&rec.name)));
                    }
                }
                let id = rec.id.clone();
                let this = self.clone();
                let kind = action.clone();
                let key = lock_key(&rec.source.id, &rec.name);
                Ok(self.jobs.submit(action.clone(), key, Some((rec.id.clone(), rec.name.clone())), move |ctx| async move {
                    let result = match kind {
                        Action::Rollback { .. } => this.pups.rollback(&ctx, &id).await,
                        Action::Hold { .. } => this.pups.set_held(&ctx, &id, true).await,
                        _ => this.pups.set_held(&ctx, &id, false).await,
                    };
                    result.map(Some)
                })?)
            }
            Action::StoreRefresh { source } => {
                if let Some(id) = source
                    && !self.store.sources()?.iter().any(|s| &s.id == id)
                {
                    return Err(ApiError::not_found(format!(
                        "no source {:?}; see 'dogebox source list'",
                        crate::pups::resolve::shorten(id)
                    )));
                }
                let this = self.clone();
                let only = source.clone();
                Ok(self.jobs.submit(action.clone(), "store-refresh".to_string(), None, move |ctx| async move {
                    ctx.step("refresh", 10, "listing git sources afresh");
                    let states = this.refresh_sources(true, only.as_deref()).await.map_err(|e| e.message)?;
                    let failed: Vec<String> = states
                        .iter()
                        .filter_map(|s| s.refresh_error.as_ref().map(|e| format!("{}: {e}", s.source_id)))
                        .collect();
                    let msg = match (states.len(), failed.len()) {
                        (0, _) => "no git sources to refresh (disk sources are always read afresh)".to_string(),
                        (n, 0) => format!("{n} git source(s) listed afresh"),
                        (n, f) => format!("{} of {n} git source(s) listed afresh; {f} failed and keep their last listing: {}", n - f, failed.join("; ")),
                    };
                    ctx.step("done", 100, &msg);
                    Ok::<_, String>(Some(json!({ "sources": states })))
                })?)
            }
            Action::SourceAdd { location } => {
                if let Some(loc) = sources::git::classify(location).map_err(|e| ApiError::bad_request(e.to_string()))? {
                    return self.submit_git_source_add(action.clone(), loc);
                }
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
                    // Its cached listing went with the row; its git cache goes too.
                    if let Err(e) = std::fs::remove_dir_all(this.cfg.git_cache_dir(&id))
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!(source = %id, error = %e, "removing the git cache");
                    }
                    ctx.step("done", 100, &format!("source {id} removed"));
                    Ok::<_, String>(Some(json!({ "sourceId": id })))
                })?)
            }
        }
    }

    /// Adding a git source reads the repository (network), so all of it happens in the job.
    fn submit_git_source_add(self: &Arc<Self>, action: Action, loc: sources::git::GitLocation) -> Result<JobRecord, ApiError> {
        if let Some(s) = self.store.sources()?.into_iter().find(|s| s.location == loc.shown) {
            return Err(ApiError::conflict(format!("the source at {} is already added as {}", s.location, s.id)));
        }
        let this = self.clone();
        // Its own key: a remote that hangs must not hold up every other source job.
        let key = format!("source-add:{}", loc.shown);
        Ok(self.jobs.submit(action, key, None, move |ctx| async move {
            ctx.step("inspect", 20, &format!("reading the tags of {}", loc.shown));
            let view = catalog::inspect(&this.cfg, &loc).await?;
            this.check_new_source(&view).map_err(|e| e.message)?;
            this.store.insert_source(&view).map_err(|e| e.to_string())?;
            ctx.step("list", 50, &format!("listing every tag of {}", view.id));
            let listing = catalog::refresh(&this.cfg, &this.store, &view, None).await;
            let msg = match &listing.refresh_error {
                Some(e) => format!("source {} added, but listing it failed: {e}", view.id),
                None => format!(
                    "source {} added: {} pup version(s){}",
                    view.id,
                    listing.pups.len(),
                    if listing.errors.is_empty() { String::new() } else { format!(", {} tag(s) skipped", listing.errors.len()) }
                ),
            };
            ctx.step("done", 100, &msg);
            Ok::<_, String>(Some(json!(view)))
        })?)
    }

    /// The version an upgrade goes to.
    fn plan_upgrade(&self, rec: &PupRecord, ask: UpgradeAsk<'_>) -> Result<UpgradePlan, ApiError> {
        let UpgradeAsk { to, pre, downgrade, snapshot, health_time, set } = ask;
        let (offers, _) = self.offers()?;
        let mut versions: Vec<&Offer> =
            offers.iter().filter(|(s, p)| s.id == rec.source.id && p.name == rec.name).collect();
        if versions.is_empty() {
            return Err(ApiError::conflict(format!(
                "{} is not offered by its source {} any more, so there is nothing to upgrade to",
                rec.name, rec.source.id
            )));
        }
        versions.sort_by(|a, b| b.1.semver.cmp_precedence(&a.1.semver));
        let current = dogebox_shared::version::parse_version(&rec.version).map_err(|e| ApiError::internal(e.to_string()))?;
        let listed = || versions.iter().map(|(_, p)| p.version.as_str()).collect::<Vec<_>>().join(", ");
        let chosen = match to {
            Some(v) => {
                let wanted = dogebox_shared::version::parse_version(v).map_err(|e| ApiError::bad_request(e.to_string()))?;
                let found = versions.iter().find(|(_, p)| p.semver.cmp_precedence(&wanted).is_eq()).ok_or_else(|| {
                    ApiError::not_found(format!("{} {v} is not offered by {}; versions: {}", rec.name, rec.source.id, listed()))
                })?;
                if found.1.semver.cmp_precedence(&current).is_eq() {
                    return Err(ApiError::conflict(format!("{} is already at {}", rec.name, rec.version)));
                }
                if found.1.semver.cmp_precedence(&current).is_lt() && !downgrade {
                    return Err(ApiError::conflict(format!(
                        "{v} is older than the installed {}; pass --downgrade to go to it anyway, or 'dogebox pup rollback' to return to the kept version with its storage",
                        rec.version
                    )));
                }
                found
            }
            None => versions
                .iter()
                .find(|(_, p)| p.semver.cmp_precedence(&current).is_gt() && (pre || p.semver.pre.is_empty()))
                .ok_or_else(|| {
                    let pre_note = if !pre
                        && versions.iter().any(|(_, p)| p.semver.cmp_precedence(&current).is_gt())
                    {
                        " (newer pre-releases exist: add --pre)"
                    } else {
                        ""
                    };
                    ApiError::conflict(format!("{} {} is the newest version{pre_note}", rec.name, rec.version))
                })?,
        };
        let secs = health_time.unwrap_or(self.cfg.upgrade_health_time);
        if secs > 3600 {
            return Err(ApiError::bad_request(format!("health time {secs} s is too long; at most 3600")));
        }
        Ok(UpgradePlan {
            source: chosen.0.clone(),
            offer: chosen.1.clone(),
            snapshot,
            health_time: std::time::Duration::from_secs(secs),
            set: set.clone(),
        })
    }

    /// Drop the cancel handle a finished install or upgrade registered (unless a
    /// newer job has replaced it).
    fn forget_cancel(&self, key: &str, token: &str) {
        let mut installs = self.lock_installs();
        if installs.get(key).is_some_and(|(t, _)| t == token) {
            installs.remove(key);
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
            if s.name == view.name {
                return Err(ApiError::conflict(format!(
                    "a source named {:?} already exists ({}); source names must differ",
                    s.name, s.id
                )));
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

    fn plan_install(&self, name: &str, version: Option<&str>, source: Option<&str>, pre: bool) -> Result<InstallPlan, ApiError> {
        let (offers, listing_errors) = self.offers()?;
        let (source_view, mut candidates) = self.offers_named(&offers, &listing_errors, name, source)?;
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
            None if pre => candidates[0],
            None => latest(&candidates).ok_or_else(|| {
                ApiError::not_found(format!(
                    "{name} is offered only as pre-releases ({}); install one with --pre or --version",
                    candidates.iter().map(|p| p.version.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?,
        };
        let plan = InstallPlan { source: source_view.clone(), offer: chosen.clone(), existing: None };
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

/// What an upgrade action asks for.
struct UpgradeAsk<'a> {
    to: Option<&'a str>,
    pre: bool,
    downgrade: bool,
    snapshot: bool,
    health_time: Option<u64>,
    set: &'a BTreeMap<String, String>,
}


/// Jobs for one pup (same source and name) run one after another.
fn lock_key(source: &str, name: &str) -> String {
    format!("pup:{source}/{name}")
}
