//! Pups: the lifecycle (install, start, stop, restart, uninstall, purge), recovery
//! after a crash, and how a pup looks to clients.

pub mod alloc;
pub mod config_values;
pub mod copy;
pub mod record;
pub mod resolve;
pub mod snapshot;
pub mod upgrade;
pub mod users;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dogebox_shared::hash::sha256_hex;
use dogebox_shared::manifest::Manifest;
use dogebox_shared::wire::{CHANGE_PUP, CHANGE_PUP_PURGED, Installation, PupView, RunStatus, SourceView, WebUi};
use serde_json::json;

use crate::config::Config;
use crate::jobs::JobCtx;
use crate::jobs::bus::{Bus, now_ms};
use crate::runtime::{Cancel, PupSpec, Runtime, RuntimeError, ServiceSpec, WebUiSpec};
use crate::sources::OfferedPup;
use crate::store::{Store, StoreError};
use record::PupRecord;
pub use resolve::{ResolveError, resolve_ref};

/// dogeboxd's broken reasons (pups.md §3.8), plus `install_interrupted`.
pub mod reason {
    pub const DOWNLOAD_FAILED: &str = "download_failed";
    pub const NIX_FILE_MISSING: &str = "nix_file_missing";
    pub const NIX_HASH_MISMATCH: &str = "nix_hash_mismatch";
    pub const NIX_APPLY_FAILED: &str = "nix_apply_failed";
    pub const STORAGE_CREATION_FAILED: &str = "storage_creation_failed";
    pub const ENABLE_FAILED: &str = "enable_failed";
    pub const STATE_UPDATE_FAILED: &str = "state_update_failed";
    /// Ours: the daemon died during the install (dogeboxd says download_failed).
    pub const INSTALL_INTERRUPTED: &str = "install_interrupted";
    /// Ours: an interrupted upgrade could not be finished or rolled back at start-up.
    pub const UPGRADE_RECOVERY_FAILED: &str = "upgrade_recovery_failed";
    /// Ours: an uninstall stopped the install.
    pub const INSTALL_CANCELLED: &str = "install_cancelled";
}

#[derive(Debug, thiserror::Error)]
pub enum PupError {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error("{0}")]
    Conflict(String),
    /// A lifecycle step failed; the pup is left broken with `reason`.
    #[error("{message}")]
    Step { reason: &'static str, message: String },
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An install stopped by an uninstall posted while it ran.
fn install_cancelled() -> PupError {
    PupError::Step { reason: reason::INSTALL_CANCELLED, message: "the install was cancelled by an uninstall".into() }
}

/// A failed install step: the error's text, under dogeboxd's reason for the step.
fn step_err<E: std::fmt::Display>(reason: &'static str) -> impl FnOnce(E) -> PupError {
    move |e| PupError::Step { reason, message: e.to_string() }
}

/// Everything an install needs, decided before the job is queued.
#[derive(Debug, Clone)]
pub struct InstallPlan {
    pub source: SourceView,
    pub offer: OfferedPup,
    /// A broken or uninstalled record of the same pup: reinstalled in place, keeping its
    /// id, address and storage.
    pub existing: Option<PupRecord>,
}

pub struct Pups {
    pub cfg: Arc<Config>,
    store: Arc<Store>,
    bus: Arc<Bus>,
    runtime: Arc<dyn Runtime>,
}

impl Pups {
    pub fn new(cfg: Arc<Config>, store: Arc<Store>, bus: Arc<Bus>, runtime: Arc<dyn Runtime>) -> Self {
        Pups { cfg, store, bus, runtime }
    }

    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.runtime
    }

    /// The runtime's view of a pup record.
    pub fn spec(&self, rec: &PupRecord) -> PupSpec {
        let cfg = &self.cfg;
        let source_dir = cfg.pup_dir_at(&rec.id, rec.generation);
        let mut env = BTreeMap::new();
        env.insert("DBX_PUP_ID".to_string(), rec.id.clone());
        env.insert("DBX_PUP_IP".to_string(), rec.ip.to_string());
        env.insert("DBX_HOST".to_string(), cfg.network.host_ip().to_string());
        // dogeboxd's internal router port; the router itself comes with the web API.
        env.insert("DBX_PORT".to_string(), "80".to_string());
        PupSpec {
            user: rec.user.clone().unwrap_or_else(|| cfg.pup_user.clone()),
            id: rec.id.clone(),
            ip: rec.ip,
            host_ip: cfg.network.host_ip(),
            nix_file: source_dir.join(rec.manifest.nix_file()),
            source_dir,
            storage_dir: cfg.storage_dir(&rec.id),
            build_dir: cfg.build_dir_at(&rec.id, rec.generation),
            log_file: cfg.log_file(&rec.id),
            config_env: cfg.config_env(&rec.id),
            services: rec
                .manifest
                .services()
                .iter()
                .map(|s| ServiceSpec {
                    name: s.name().to_string(),
                    exec: s.exec().to_string(),
                    cwd: s.cwd().to_string(),
                    env: s.env().clone(),
                })
                .collect(),
            env,
            web_uis: rec
                .web_uis
                .iter()
                .map(|w| WebUiSpec { name: w.name.clone(), host_port: w.port, internal_port: w.internal })
                .collect(),
        }
    }

    fn save(&self, rec: &PupRecord) -> Result<(), PupError> {
        self.store.put_pup(rec)?;
        Ok(())
    }

    /// Persist and tell watchers.
    async fn publish(&self, rec: &PupRecord) -> Result<(), PupError> {
        self.save(rec)?;
        let view = self.view(rec).await;
        self.bus.emit("internal", CHANGE_PUP, "", &view);
        Ok(())
    }

    pub async fn view(&self, rec: &PupRecord) -> PupView {
        let storage = self.cfg.storage_dir(&rec.id).display().to_string();
        if !has_units(rec) {
            return rec.view(RunStatus::Stopped, Vec::new(), storage);
        }
        match self.runtime.status(&self.spec(rec)).await {
            Ok(st) => rec.view(st.status, st.services, storage),
            Err(e) => {
                tracing::warn!(pup = %rec.id, error = %e, "cannot read pup status");
                rec.view(RunStatus::Stopped, Vec::new(), storage)
            }
        }
    }

    pub async fn views(&self) -> Result<Vec<PupView>, PupError> {
        let recs = self.store.pups()?;
        let live: Vec<&PupRecord> = recs.iter().filter(|r| has_units(r)).collect();
        let specs: Vec<PupSpec> = live.iter().map(|r| self.spec(r)).collect();
        let mut statuses = match self.runtime.statuses(&specs).await {
            Ok(st) => live.iter().map(|r| r.id.as_str()).zip(st).collect::<std::collections::HashMap<_, _>>(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read pup statuses");
                Default::default()
            }
        };
        Ok(recs
            .iter()
            .map(|rec| {
                let storage = self.cfg.storage_dir(&rec.id).display().to_string();
                match statuses.remove(rec.id.as_str()) {
                    Some(st) => rec.view(st.status, st.services, storage),
                    None => rec.view(RunStatus::Stopped, Vec::new(), storage),
                }
            })
            .collect())
    }

    pub fn records(&self) -> Result<Vec<PupRecord>, PupError> {
        Ok(self.store.pups()?)
    }

    pub fn record(&self, id: &str) -> Result<PupRecord, PupError> {
        self.store.pup(id)?.ok_or_else(|| PupError::Conflict(format!("pup {id} no longer exists")))
    }

    // ----- install -----

    pub async fn install(&self, ctx: &JobCtx, plan: InstallPlan, cancel: &Cancel) -> Result<serde_json::Value, PupError> {
        let mut rec = self.begin_install(ctx, &plan).await?;
        ctx.set_pup(&rec.id, &rec.name);
        match self.install_steps(ctx, &plan, &mut rec, cancel).await {
            Ok(()) => {
                rec.installation = Installation::Ready;
                rec.enabled = true;
                rec.broken_reason = None;
                rec.broken_message = None;
                rec.storage_is_new = false;
                self.publish(&rec).await?;
                ctx.step("done", 100, &format!("{} {} is running", rec.name, rec.version));
                Ok(json!({ "pupId": rec.id }))
            }
            Err(err) => {
                let (reason, message) = match &err {
                    PupError::Step { reason, message } => (*reason, message.clone()),
                    other => (reason::STATE_UPDATE_FAILED, other.to_string()),
                };
                ctx.step("cleanup", 99, "removing what the install made");
                self.clean_failed_install(&rec).await;
                rec.installation = Installation::Broken;
                rec.enabled = false;
                rec.broken_reason = Some(reason.to_string());
                rec.broken_message = Some(message.clone());
                rec.storage_is_new = false;
                rec.web_uis.clear();
                self.publish(&rec).await?;
                Err(PupError::Step { reason, message })
            }
        }
    }

    /// Create (or reset) the record in `installing`, with an address and web UI ports.
    async fn begin_install(&self, ctx: &JobCtx, plan: &InstallPlan) -> Result<PupRecord, PupError> {
        ctx.step("resolve", 5, &format!("installing {} {} from {}", plan.offer.name, plan.offer.version, plan.source.name));
        let all = self.store.pups()?;
        let others: Vec<PupRecord> = all.iter().filter(|p| plan.existing.as_ref().is_none_or(|e| e.id != p.id)).cloned().collect();
        let web_exposes: Vec<_> = plan.offer.manifest.exposes().iter().filter(|e| e.web_ui()).collect();
        let ports = alloc::free_ports(&others, web_exposes.len())
            .ok_or_else(|| PupError::Conflict("no free host port ≥ 10000 is left for the web UI".into()))?;
        let web_uis = web_exposes
            .iter()
            .zip(ports)
            .map(|(e, port)| WebUi { name: e.name().to_string(), port, internal: e.port() })
            .collect();
        // A reinstall keeps the id, address, storage and config of the existing record.
        let config = plan.existing.as_ref().map(|e| e.config.clone()).unwrap_or_default();
        let (id, ip, user) = match &plan.existing {
            Some(old) => (old.id.clone(), old.ip, old.user.clone()),
            None => {
                let ip = alloc::next_ip(&self.cfg.network, &others).ok_or_else(|| {
                    PupError::Conflict(format!("the pup network {} has no free address left", self.cfg.network))
                })?;
                (crate::jobs::new_id(), ip, None)
            }
        };
        let rec = PupRecord {
            id,
            name: plan.offer.name.clone(),
            version: plan.offer.version.clone(),
            source: plan.source.to_ref(),
            location: plan.offer.location(),
            installation: Installation::Installing,
            broken_reason: None,
            broken_message: None,
            enabled: false,
            ip,
            web_uis,
            manifest: plan.offer.manifest.clone(),
            installed_at: now_ms(),
            user,
            storage_is_new: false,
            generation: 0,
            config,
            held: plan.existing.as_ref().is_some_and(|e| e.held),
            upgrade: None,
            previous: None,
        };
        self.publish(&rec).await?;
        Ok(rec)
    }

    async fn install_steps(
        &self,
        ctx: &JobCtx,
        plan: &InstallPlan,
        rec: &mut PupRecord,
        cancel: &Cancel,
    ) -> Result<(), PupError> {
        let check_cancel = || {
            if cancel.is_cancelled() {
                Err(install_cancelled())
            } else {
                Ok(())
            }
        };
        // copy
        ctx.step("copy", 15, &format!("fetching {} {} ({})", plan.offer.name, plan.offer.version, plan.offer.location()));
        let dest = self.cfg.pup_dir_at(&rec.id, rec.generation);
        let manifest = self.fetch_offer(&plan.offer, &dest).await?;
        if manifest.name() != rec.name {
            return Err(PupError::Step {
                reason: reason::DOWNLOAD_FAILED,
                message: format!("the pup folder changed while it was copied: it is now {:?}", manifest.name()),
            });
        }
        rec.manifest = manifest;
        self.save(rec)?;

        // verify
        ctx.step("verify", 25, "checking nixFileSha256");
        self.verify_nix_hash(rec)?;

        // build
        check_cancel()?;
        ctx.step("build", 30, "building with nix-build");
        let spec = self.spec(rec);
        let sink = |line: &str| ctx.log(line);
        let timeout = Duration::from_secs(self.cfg.build_timeout);
        self.runtime.build(&spec, &sink, timeout, cancel).await.map_err(|e| match e {
            RuntimeError::Cancelled(_) => install_cancelled(),
            other => PupError::Step { reason: reason::NIX_APPLY_FAILED, message: other.to_string() },
        })?;
        check_cancel()?;

        // storage
        ctx.step("storage", 75, "creating storage");
        self.create_storage(rec).map_err(step_err(reason::STORAGE_CREATION_FAILED))?;
        rec.config = config_values::migrate(&rec.config, &rec.manifest, &BTreeMap::new(), false)
            .map_err(step_err(reason::STORAGE_CREATION_FAILED))?;
        self.save(rec)?;
        self.write_config(rec).map_err(step_err(reason::STORAGE_CREATION_FAILED))?;
        // Again: the record now names the pup's own user.
        let spec = self.spec(rec);

        // units + start
        check_cancel()?;
        ctx.step("network", 80, &format!("creating the pup network at {}", rec.ip));
        self.runtime.create_network(&spec).await.map_err(step_err(reason::ENABLE_FAILED))?;
        ctx.step("start", 85, "starting services");
        self.runtime.start(&spec).await.map_err(step_err(reason::ENABLE_FAILED))?;
        ctx.step("verify-running", 90, "waiting for every service to run");
        self.wait_running(&spec).await.map_err(step_err(reason::ENABLE_FAILED))?;
        Ok(())
    }

    /// Put the offered pup folder at `dest` (from a disk folder, or a shallow clone of
    /// its git tag) and read its manifest back: the files on disk are what gets built.
    pub(crate) async fn fetch_offer(&self, offer: &OfferedPup, dest: &Path) -> Result<Manifest, PupError> {
        let tmp_root = self.cfg.tmp_dir();
        let fail = step_err(reason::DOWNLOAD_FAILED);
        std::fs::create_dir_all(&tmp_root).map_err(|e| fail(format!("creating {}: {e}", tmp_root.display())))?;
        let checkout = crate::sources::checkout(&self.cfg, offer, &tmp_root).await.map_err(step_err(reason::DOWNLOAD_FAILED))?;
        let tmp = tmp_root.join(format!("copy-{}", crate::jobs::new_id()));
        let result = copy::copy_pup_dir(checkout.folder(), &tmp).map_err(|e| e.to_string()).and_then(|()| {
            remove_dir_if_exists(dest)?;
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
            }
            std::fs::rename(&tmp, dest).map_err(|e| format!("moving the copy to {}: {e}", dest.display()))
        });
        drop(checkout);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result.map_err(step_err(reason::DOWNLOAD_FAILED))?;
        Manifest::load_dir(dest).map_err(step_err(reason::DOWNLOAD_FAILED))
    }

    /// The unpacked nix file must have the manifest's `nixFileSha256`.
    pub(crate) fn verify_nix_hash(&self, rec: &PupRecord) -> Result<(), PupError> {
        let nix_path = self.cfg.pup_dir_at(&rec.id, rec.generation).join(rec.manifest.nix_file());
        let bytes = std::fs::read(&nix_path).map_err(|e| PupError::Step {
            reason: reason::NIX_FILE_MISSING,
            message: format!("nix file {} cannot be read: {e}", rec.manifest.nix_file()),
        })?;
        let actual = sha256_hex(&bytes);
        let expected = rec.manifest.nix_file_sha256();
        if actual != expected {
            return Err(PupError::Step {
                reason: reason::NIX_HASH_MISMATCH,
                message: format!(
                    "nix file {} has sha256 {actual}, but the manifest's nixFileSha256 is {expected}",
                    rec.manifest.nix_file()
                ),
            });
        }
        Ok(())
    }

    fn create_storage(&self, rec: &mut PupRecord) -> Result<(), String> {
        let dir = self.cfg.storage_dir(&rec.id);
        // Its own user: made (and recorded) before anything is given to it.
        let name = users::user_name_for(&rec.id);
        if rec.user.as_deref() != Some(name.as_str()) {
            rec.user = Some(name.clone());
            self.save(rec).map_err(|e| e.to_string())?;
        }
        let user = users::ensure(&name)?;
        if !dir.exists() {
            // Recorded before the folder exists, so a crash right after mkdir still
            // knows the folder is this install's to remove.
            rec.storage_is_new = true;
            self.save(rec).map_err(|e| e.to_string())?;
            std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        // Storage kept from before (a reinstall, or a pup that ran as the shared user
        // before pups had their own): everything in it becomes the pup's.
        let owner = std::fs::symlink_metadata(&dir).map(|m| std::os::unix::fs::MetadataExt::uid(&m)).ok();
        if owner.is_some_and(|uid| uid != user.uid.as_raw()) {
            give_tree(&dir, user.uid.as_raw(), user.gid.as_raw())
                .map_err(|e| format!("giving the kept storage {} to {name}: {e}", dir.display()))?;
        }
        // lchown: never follow a link someone may have put in place of the folder.
        std::os::unix::fs::lchown(&dir, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .map_err(|e| format!("giving {} to {name}: {e}", dir.display()))?;
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| format!("setting the mode of {}: {e}", dir.display()))?;
        let logs = self.cfg.log_file(&rec.id);
        if let Some(parent) = logs.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        Ok(())
    }

    /// Wait until every unit is active and has stayed so for a moment (a service that
    /// crashes right after starting is caught here, not reported as running).
    async fn wait_running(&self, spec: &PupSpec) -> Result<(), String> {
        const SETTLE: Duration = Duration::from_millis(1500);
        let deadline = Instant::now() + Duration::from_secs(self.cfg.start_timeout);
        let mut running_since: Option<Instant> = None;
        loop {
            let st = self.runtime.status(spec).await.map_err(|e| e.to_string())?;
            let crashed = st.services.iter().find(|s| s.active_state == "failed" || s.sub_state == "auto-restart");
            if let Some(svc) = crashed {
                return Err(format!(
                    "service {} exited right after starting ({}/{}); last log lines:\n{}",
                    svc.name,
                    svc.active_state,
                    svc.sub_state,
                    log_tail(&spec.log_file, 20)
                ));
            }
            if st.status == RunStatus::Running {
                let since = *running_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SETTLE {
                    return Ok(());
                }
            } else {
                running_since = None;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "services did not reach running within {} s (status {}); last log lines:\n{}",
                    self.cfg.start_timeout,
                    st.status.as_str(),
                    log_tail(&spec.log_file, 20)
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Undo what a failed or interrupted install made; the record itself stays.
    async fn clean_failed_install(&self, rec: &PupRecord) {
        if let Err(e) = self.runtime.destroy(&self.spec(rec)).await {
            tracing::warn!(pup = %rec.id, error = %e, "cleanup after a failed install: runtime");
        }
        if let Err(e) = remove_dir_if_exists(&self.cfg.pup_dir_at(&rec.id, rec.generation)) {
            tracing::warn!(pup = %rec.id, error = %e, "cleanup after a failed install: source copy");
        }
        if rec.storage_is_new {
            if let Err(e) = remove_dir_if_exists(&self.cfg.storage_dir(&rec.id)) {
                tracing::warn!(pup = %rec.id, error = %e, "cleanup after a failed install: storage");
            }
            // A new pup's user goes with its storage.
            if let Some(Err(e)) = rec.user.as_deref().map(users::remove) {
                tracing::warn!(pup = %rec.id, error = %e, "cleanup after a failed install: user");
            }
        }
    }

    // ----- start / stop -----

    pub async fn start(&self, ctx: &JobCtx, id: &str) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        require_ready(&rec, "start")?;
        rec.enabled = true;
        self.publish(&rec).await?;
        let spec = self.spec(&rec);
        ctx.step("network", 20, &format!("preparing the pup network at {}", rec.ip));
        self.runtime.create_network(&spec).await?;
        ctx.step("start", 50, "starting services");
        if let Err(e) = self.runtime.start(&spec).await {
            // Half started (a web UI port taken, say) is not started: undo it.
            let _ = self.runtime.stop(&spec).await;
            rec.enabled = false;
            self.publish(&rec).await?;
            return Err(e.into());
        }
        ctx.step("verify-running", 80, "waiting for every service to run");
        if let Err(message) = self.wait_running(&spec).await {
            // Do not leave a crash loop behind a failed start.
            let _ = self.runtime.stop(&spec).await;
            rec.enabled = false;
            self.publish(&rec).await?;
            return Err(PupError::Conflict(message));
        }
        self.publish(&rec).await?;
        ctx.step("done", 100, &format!("{} is running", rec.name));
        Ok(json!({ "pupId": rec.id }))
    }

    pub async fn stop(&self, ctx: &JobCtx, id: &str) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        require_ready(&rec, "stop")?;
        rec.enabled = false;
        self.save(&rec)?;
        ctx.step("stop", 30, "stopping services");
        self.runtime.stop(&self.spec(&rec)).await?;
        self.publish(&rec).await?;
        ctx.step("done", 100, &format!("{} is stopped", rec.name));
        Ok(json!({ "pupId": rec.id }))
    }

    pub async fn restart(&self, ctx: &JobCtx, id: &str) -> Result<serde_json::Value, PupError> {
        let rec = self.record(id)?;
        require_ready(&rec, "restart")?;
        ctx.step("stop", 10, "stopping services");
        self.runtime.stop(&self.spec(&rec)).await?;
        self.start(ctx, id).await
    }

    /// `pup hold` / `unhold`: a held pup is never offered for upgrade.
    pub async fn set_held(&self, ctx: &JobCtx, id: &str, held: bool) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        rec.held = held;
        self.publish(&rec).await?;
        let msg = if held {
            format!("{} is held at {}: it is not offered for upgrade", rec.name, rec.version)
        } else {
            format!("{} is no longer held", rec.name)
        };
        ctx.step("done", 100, &msg);
        Ok(json!({ "pupId": rec.id, "held": held }))
    }

    // ----- uninstall / purge -----

    pub async fn uninstall(&self, ctx: &JobCtx, id: &str) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        if rec.installation == Installation::Uninstalled {
            ctx.step("done", 100, &format!("{} is already uninstalled", rec.name));
            return Ok(json!({ "pupId": rec.id }));
        }
        rec.installation = Installation::Uninstalling;
        rec.enabled = false;
        self.publish(&rec).await?;
        ctx.step("stop", 30, "stopping and removing services");
        self.finish_uninstall(&mut rec).await?;
        ctx.step("done", 100, &format!("{} is uninstalled; its storage is kept", rec.name));
        Ok(json!({ "pupId": rec.id }))
    }

    /// Idempotent: also finishes an uninstall a crash interrupted.
    async fn finish_uninstall(&self, rec: &mut PupRecord) -> Result<(), PupError> {
        self.runtime.destroy(&self.spec(rec)).await?;
        self.remove_generations(rec).map_err(PupError::Conflict)?;
        rec.installation = Installation::Uninstalled;
        rec.upgrade = None;
        rec.previous = None;
        rec.broken_reason = None;
        rec.broken_message = None;
        rec.web_uis.clear();
        self.publish(rec).await
    }

    pub async fn purge(&self, ctx: &JobCtx, id: &str) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        require_purgeable(&rec)?;
        rec.installation = Installation::Purging;
        self.publish(&rec).await?;
        ctx.step("purge", 50, "removing storage");
        self.finish_purge(&rec)?;
        ctx.step("done", 100, &format!("{} is purged", rec.name));
        Ok(json!({ "pupId": rec.id }))
    }

    fn finish_purge(&self, rec: &PupRecord) -> Result<(), PupError> {
        remove_dir_if_exists(&self.cfg.storage_dir(&rec.id)).map_err(PupError::Conflict)?;
        self.remove_generations(rec).map_err(PupError::Conflict)?;
        let _ = std::fs::remove_file(self.cfg.log_file(&rec.id));
        let _ = std::fs::remove_file(self.cfg.config_env(&rec.id));
        if let Some(user) = &rec.user {
            users::remove(user).map_err(PupError::Conflict)?;
        }
        self.store.delete_pup(&rec.id)?;
        self.bus.emit("internal", CHANGE_PUP_PURGED, "", json!({ "pupId": rec.id }));
        Ok(())
    }

    /// One generation's unpacked source and build folders.
    fn remove_generation(&self, id: &str, number: u64) -> Result<(), String> {
        remove_dir_if_exists(&self.cfg.pup_dir_at(id, number))?;
        remove_dir_if_exists(&self.cfg.build_dir_at(id, number))
    }

    /// Every generation's source and build folders, and every storage snapshot.
    fn remove_generations(&self, rec: &PupRecord) -> Result<(), String> {
        let mut numbers: Vec<u64> = vec![0, rec.generation];
        numbers.extend(rec.previous.iter().map(|k| k.generation.number));
        numbers.extend(rec.upgrade.iter().flat_map(|u| [u.from.number, u.to.number]));
        numbers.sort_unstable();
        numbers.dedup();
        for n in numbers {
            self.remove_generation(&rec.id, n)?;
        }
        remove_dir_if_exists(&self.cfg.snapshots_of(&rec.id))
    }

    // ----- recovery -----

    /// Bring every pup a dead daemon left mid-way to a state that says what happened.
    /// Runs at start-up, after interrupted jobs were marked; idempotent.
    pub async fn recover(&self) -> Result<(), PupError> {
        for mut rec in self.store.pups()? {
            match rec.installation {
                Installation::Upgrading | Installation::Broken if rec.upgrade.is_some() => {
                    // One pup that cannot be brought back must not keep the daemon
                    // (and every other pup) down: it is left broken, saying why.
                    if let Err(e) = self.recover_upgrade(&mut rec).await {
                        tracing::error!(pup = %rec.id, error = %e, "recovering an interrupted upgrade failed");
                        rec.installation = Installation::Broken;
                        rec.broken_reason = Some(reason::UPGRADE_RECOVERY_FAILED.to_string());
                        rec.broken_message = Some(format!(
                            "the daemon stopped during an upgrade and going back failed: {e}; the next start tries again, or uninstall it (storage is kept)"
                        ));
                        self.save(&rec)?;
                    }
                }
                Installation::Installing | Installation::Upgrading => {
                    tracing::warn!(pup = %rec.id, "install was interrupted; cleaning up");
                    self.clean_failed_install(&rec).await;
                    rec.installation = Installation::Broken;
                    rec.enabled = false;
                    rec.broken_reason = Some(reason::INSTALL_INTERRUPTED.to_string());
                    rec.broken_message = Some(
                        "the daemon stopped during the install; what it had made was removed. Install it again, or uninstall it."
                            .to_string(),
                    );
                    rec.storage_is_new = false;
                    rec.web_uis.clear();
                    self.publish(&rec).await?;
                }
                Installation::Uninstalling => {
                    tracing::warn!(pup = %rec.id, "uninstall was interrupted; finishing it");
                    self.finish_uninstall(&mut rec).await?;
                }
                Installation::Purging => {
                    tracing::warn!(pup = %rec.id, "purge was interrupted; finishing it");
                    self.finish_purge(&rec)?;
                }
                Installation::Ready | Installation::Broken | Installation::Uninstalled => {}
            }
        }
        Ok(())
    }
}

/// Whether the runtime may have units for this pup (worth asking systemd about).
fn has_units(rec: &PupRecord) -> bool {
    !matches!(rec.installation, Installation::Uninstalled | Installation::Purging)
}

pub fn require_ready(rec: &PupRecord, what: &str) -> Result<(), PupError> {
    if rec.installation == Installation::Ready {
        Ok(())
    } else {
        Err(PupError::Conflict(format!(
            "cannot {what} {}: it is {}{}",
            rec.name,
            rec.installation.as_str(),
            rec.broken_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        )))
    }
}

pub fn require_purgeable(rec: &PupRecord) -> Result<(), PupError> {
    if rec.installation == Installation::Uninstalled {
        Ok(())
    } else {
        Err(PupError::Conflict(format!(
            "cannot purge {}: it is {}; uninstall it first (dogebox pup uninstall {})",
            rec.name,
            rec.installation.as_str(),
            &rec.id[..8.min(rec.id.len())]
        )))
    }
}

/// `lchown` everything below `dir`, never following a link (the pup made them; it
/// is stopped while this runs).
fn give_tree(dir: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        std::os::unix::fs::lchown(&path, Some(uid), Some(gid))?;
        if entry.file_type()?.is_dir() {
            give_tree(&path, uid, gid)?;
        }
    }
    Ok(())
}

fn remove_dir_if_exists(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("removing {}: {e}", dir.display())),
    }
}

/// The last `n` lines of a file, or a note that there is none.
pub fn log_tail(path: &Path, n: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(_) => "(no log output)".to_string(),
    }
}
