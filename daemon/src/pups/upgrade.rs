//! Upgrades and rollbacks that can never lose a pup.
//!
//! An upgrade builds the new version as a new *generation* (its own source and build
//! folders) while the old one keeps running, then stops the old one, snapshots the
//! storage, switches the record, starts the new one and keeps it on probation (the
//! health gate). Anything that fails before the switch throws the new generation
//! away; anything after it rolls back: state, build and storage. Each phase is in
//! the record before its work starts ([`UpgradePhase`]), so a daemon killed at any
//! point finishes in either the old or the new version on restart, never neither.
//!
//! After a proven upgrade the old generation and its snapshot are kept (one, the
//! latest) for `pup rollback`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dogebox_shared::wire::{Installation, SourceView};
use serde_json::json;

use super::record::{Generation, Kept, PupRecord, UpgradePhase, UpgradeState};
use super::{Pups, PupError, alloc, config_values, log_tail, snapshot};
use crate::jobs::JobCtx;
use crate::jobs::bus::now_ms;
use crate::runtime::{Cancel, PupSpec, RuntimeError};
use crate::sources::OfferedPup;

/// Everything an upgrade needs, decided before its job is queued.
#[derive(Debug, Clone)]
pub struct UpgradePlan {
    pub source: SourceView,
    pub offer: OfferedPup,
    pub snapshot: bool,
    pub health_time: Duration,
    pub set: BTreeMap<String, String>,
}

/// Refuse an upgrade (or rollback) the pup's state does not allow.
pub fn require_upgradable(rec: &PupRecord, what: &str) -> Result<(), PupError> {
    super::require_ready(rec, what)?;
    if rec.held && what == "upgrade" {
        return Err(PupError::Conflict(format!(
            "{} is held at {}; 'dogebox pup unhold {}' first",
            rec.name,
            rec.version,
            &rec.id[..8.min(rec.id.len())]
        )));
    }
    Ok(())
}

/// Why `pup rollback` has nowhere to go.
pub fn nothing_kept(name: &str) -> String {
    format!("{name} has no earlier version to go back to (one is kept after each upgrade)")
}

fn failed(message: String) -> PupError {
    PupError::Conflict(message)
}

impl Pups {
    pub async fn upgrade(
        &self,
        ctx: &JobCtx,
        id: &str,
        plan: UpgradePlan,
        cancel: &Cancel,
    ) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        require_upgradable(&rec, "upgrade")?;
        let from = rec.current();
        let target = plan.offer.version.clone();
        ctx.step("check", 5, &format!("upgrading {} {} to {target}", rec.name, from.version));

        // Everything that can refuse the upgrade, before anything changes.
        let config = config_values::migrate(&rec.config, &plan.offer.manifest, &plan.set, true)
            .map_err(|e| failed(format!("cannot upgrade {} to {target}: {e}", rec.name)))?;
        let all = self.store.pups()?;
        let web_exposes: Vec<_> = plan.offer.manifest.exposes().iter().filter(|e| e.web_ui()).collect();
        let web_uis = alloc::web_uis_for_upgrade(&all, &rec, &web_exposes)
            .ok_or_else(|| failed("no free host port ≥ 10000 is left for the new version's web UIs".into()))?;
        let storage = self.cfg.storage_dir(&rec.id);
        let storage_bytes = snapshot::size_of(&storage);
        if plan.snapshot {
            snapshot::check_space(&self.cfg.data_dir, storage_bytes).map_err(|e| failed(e.to_string()))?;
        }
        let number = rec.generation.max(rec.previous.as_ref().map_or(0, |k| k.generation.number)) + 1;
        let to = Generation {
            number,
            version: target.clone(),
            location: plan.offer.location(),
            manifest: plan.offer.manifest.clone(),
            web_uis,
            config,
        };
        rec.installation = Installation::Upgrading;
        rec.upgrade = Some(UpgradeState {
            phase: UpgradePhase::Preparing,
            from: from.clone(),
            to: to.clone(),
            snapshot: plan.snapshot,
            manual_rollback: false,
        });
        self.publish(&rec).await?;
        self.failpoint("prepare");

        // Copy and build beside the running version.
        if let Err(e) = self.prepare_generation(ctx, &mut rec, &plan, cancel).await {
            self.abandon_upgrade(&mut rec, false).await;
            return Err(failed(format!(
                "upgrade of {} to {target} failed: {e}; {} {} is still running, nothing was changed",
                rec.name, rec.name, from.version
            )));
        }

        // Stop the old version and snapshot its storage.
        self.set_phase(&mut rec, UpgradePhase::Snapshotting)?;
        self.failpoint("stop");
        ctx.step("stop", 55, &format!("stopping {} {}", rec.name, from.version));
        let mut prepared = self.runtime.stop(&self.spec(&rec)).await.map_err(|e| e.to_string());
        self.failpoint("snapshot");
        if prepared.is_ok() {
            let size = snapshot::human_bytes(storage_bytes);
            if plan.snapshot {
                ctx.step("snapshot", 60, &format!("taking a snapshot of the storage ({size})"));
                prepared = snapshot::take(&storage, &self.cfg.snapshot_dir(&rec.id, from.number))
                    .await
                    .map_err(|e| e.to_string());
            } else {
                ctx.step("snapshot", 60, &format!("no snapshot (--no-snapshot): the storage ({size}) is kept as it is"));
            }
        }
        if let Err(e) = prepared {
            self.abandon_upgrade(&mut rec, true).await;
            return Err(failed(format!(
                "upgrade of {} to {target} failed before the switch: {e}; {} was started again, nothing was changed",
                rec.name, from.version
            )));
        }

        // Switch the record to the new generation and put it on probation.
        rec.apply(&to);
        self.set_phase(&mut rec, UpgradePhase::Switched)?;
        self.publish(&rec).await?;
        self.failpoint("switch");
        let probation = self.start_on_probation(ctx, &rec, plan.health_time).await;
        if let Err(why) = probation {
            ctx.step("rollback", 90, &format!("{target} is not healthy: rolling back to {}", from.version));
            let outcome = self.roll_back(&mut rec, true).await;
            return Err(failed(format!(
                "upgrade of {} to {target} was rolled back: {why}\n{}",
                rec.name,
                match outcome {
                    Ok(note) => note,
                    Err(e) => format!("the rollback itself failed: {e}"),
                }
            )));
        }
        self.failpoint("health");
        if !rec.enabled {
            // It was stopped before the upgrade: proven, and stopped again.
            self.runtime.stop(&self.spec(&rec)).await?;
        }

        // Proven.
        self.set_phase(&mut rec, UpgradePhase::Finishing)?;
        self.failpoint("finish");
        self.finish_upgrade(&mut rec).await?;
        let state = if rec.enabled { "running" } else { "stopped again, as it was before" };
        ctx.step("done", 100, &format!("{} is upgraded from {} to {target} and {state}", rec.name, from.version));
        Ok(json!({ "pupId": rec.id, "from": from.version, "to": target }))
    }

    /// Copy the new version's pup folder into its generation, check its hash, build it.
    async fn prepare_generation(
        &self,
        ctx: &JobCtx,
        rec: &mut PupRecord,
        plan: &UpgradePlan,
        cancel: &Cancel,
    ) -> Result<(), PupError> {
        let Some(to) = rec.upgrade.as_ref().map(|u| u.to.clone()) else {
            return Err(failed("the upgrade state is missing".into()));
        };
        let mut next = rec.at(&to);
        // A folder of this number can only be a leftover of an earlier crash.
        self.discard_generation(&rec.id, to.number).await;
        ctx.step("copy", 15, &format!("fetching {} {}", plan.offer.name, plan.offer.version));
        let dest = self.cfg.pup_dir_at(&rec.id, to.number);
        let manifest = self.fetch_offer(&plan.offer, &dest).await?;
        if manifest.name() != rec.name || manifest.version_str() != plan.offer.manifest.version_str() {
            return Err(failed(format!(
                "the source changed while it was fetched: it now holds {:?} {:?}",
                manifest.name(),
                manifest.version_str()
            )));
        }
        next.manifest = manifest.clone();
        if let Some(u) = rec.upgrade.as_mut() {
            u.to.manifest = manifest;
        }
        self.save(rec)?;
        self.failpoint("copy");
        ctx.step("verify", 25, "checking nixFileSha256");
        self.verify_nix_hash(&next)?;
        if cancel.is_cancelled() {
            return Err(failed("the upgrade was cancelled".into()));
        }
        ctx.step("build", 30, "building with nix-build (the old version keeps running)");
        let sink = |line: &str| ctx.log(line);
        let timeout = Duration::from_secs(self.cfg.build_timeout);
        self.runtime.build(&self.spec(&next), &sink, timeout, cancel).await.map_err(|e| match e {
            RuntimeError::Cancelled(_) => failed("the upgrade was cancelled".into()),
            other => failed(other.to_string()),
        })?;
        self.failpoint("build");
        Ok(())
    }

    fn set_phase(&self, rec: &mut PupRecord, phase: UpgradePhase) -> Result<(), PupError> {
        if let Some(u) = rec.upgrade.as_mut() {
            u.phase = phase;
        }
        self.save(rec)
    }

    /// Start the switched record's services and hold them to the health gate: they
    /// must reach running and then stay active for `hold`. A pup that was stopped is
    /// started for the gate too (an upgrade is only kept once it has been seen to run).
    async fn start_on_probation(&self, ctx: &JobCtx, rec: &PupRecord, hold: Duration) -> Result<(), String> {
        self.write_config(rec).map_err(|e| format!("writing the config file: {e}"))?;
        let spec = self.spec(rec);
        ctx.step("start", 70, &format!("starting {} {}", rec.name, rec.version));
        self.runtime.create_network(&spec).await.map_err(|e| e.to_string())?;
        self.runtime.start(&spec).await.map_err(|e| e.to_string())?;
        self.failpoint("start");
        ctx.step(
            "health",
            80,
            &format!("health check: every service must stay running for {} s", hold.as_secs()),
        );
        self.wait_running(&spec).await?;
        self.stay_running(&spec, hold).await
    }

    async fn stay_running(&self, spec: &PupSpec, hold: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let st = self.runtime.status(spec).await.map_err(|e| e.to_string())?;
            if let Some(svc) = st.services.iter().find(|s| s.active_state != "active") {
                return Err(format!(
                    "service {} went {}/{} {:.0} s into the {} s health check; last log lines:\n{}",
                    svc.name,
                    svc.active_state,
                    svc.sub_state,
                    start.elapsed().as_secs_f64(),
                    hold.as_secs(),
                    log_tail(&spec.log_file, 20)
                ));
            }
            if start.elapsed() >= hold {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Give up an upgrade that has not switched yet: the new generation (and a
    /// half-made snapshot) go, the record is the old version again. With `restart`,
    /// the old version is started again if it is enabled; otherwise reconcile does.
    async fn abandon_upgrade(&self, rec: &mut PupRecord, restart: bool) {
        let Some(up) = rec.upgrade.take() else { return };
        if let Err(e) = self.runtime.stop_builds(&self.spec(&rec.at(&up.to))).await {
            tracing::warn!(pup = %rec.id, error = %e, "stopping the new version's build");
        }
        self.discard_generation(&rec.id, up.to.number).await;
        if up.phase == UpgradePhase::Snapshotting
            && let Err(e) = snapshot::discard(&self.cfg.snapshot_dir(&rec.id, up.from.number)).await
        {
            tracing::warn!(pup = %rec.id, error = %e, "removing a half-made snapshot");
        }
        rec.apply(&up.from);
        rec.installation = Installation::Ready;
        if let Err(e) = self.publish(rec).await {
            tracing::error!(pup = %rec.id, error = %e, "saving the pup after an abandoned upgrade");
        }
        if restart
            && rec.enabled
            && let Err(e) = self.run_units(rec).await
        {
            tracing::error!(pup = %rec.id, error = %e, "starting the old version again");
        }
    }

    /// Go back to `upgrade.from`: stop what runs, put the storage snapshot back, make
    /// the record the old generation and drop the other one. Safe to repeat at any
    /// point. With `start`, the old version is started and awaited (recovery leaves
    /// that to reconcile). Returns a note on what was restored.
    async fn roll_back(&self, rec: &mut PupRecord, start: bool) -> Result<String, PupError> {
        let Some(mut up) = rec.upgrade.clone() else {
            return Err(failed("there is no upgrade to roll back".into()));
        };
        up.phase = UpgradePhase::RollingBack;
        rec.upgrade = Some(up.clone());
        rec.installation = Installation::Upgrading;
        self.save(rec)?;
        self.failpoint("rollback");
        let spec = self.spec(rec);
        self.runtime.stop_builds(&spec).await?;
        self.runtime.stop(&spec).await?;
        let storage = self.cfg.storage_dir(&rec.id);
        let restored = if up.snapshot {
            snapshot::restore(&storage, &self.cfg.snapshot_dir(&rec.id, up.from.number))
                .await
                .map_err(|e| failed(e.to_string()))?
        } else {
            false
        };
        self.failpoint("restored");
        if up.snapshot
            && let Err(e) = snapshot::discard(&self.cfg.snapshot_dir(&rec.id, up.from.number)).await
        {
            tracing::warn!(pup = %rec.id, error = %e, "removing the used snapshot's folder");
        }
        rec.apply(&up.from);
        self.write_config(rec).map_err(|e| failed(format!("writing the config file: {e}")))?;
        if up.manual_rollback {
            rec.previous = None;
        }
        rec.upgrade = None;
        rec.installation = Installation::Ready;
        self.publish(rec).await?;
        self.discard_generation(&rec.id, up.to.number).await;
        let storage_note = match (up.snapshot, restored) {
            (true, true) => "the storage was restored from the snapshot taken before the upgrade",
            (true, false) => "the storage snapshot had already been put back",
            (false, _) => "there was no storage snapshot (--no-snapshot), so the storage is as the new version left it",
        };
        if start && rec.enabled {
            self.run_units(rec).await.map_err(|e| {
                failed(format!("{} {} was restored but does not run: {e}", rec.name, rec.version))
            })?;
            return Ok(format!("{} {} is running again; {storage_note}.", rec.name, rec.version));
        }
        Ok(format!("{} is back at {}; {storage_note}.", rec.name, rec.version))
    }

    /// The new generation is proven: keep the old one for `pup rollback` and drop the
    /// one kept before. Safe to repeat.
    async fn finish_upgrade(&self, rec: &mut PupRecord) -> Result<(), PupError> {
        let Some(up) = rec.upgrade.take() else { return Ok(()) };
        let older = rec.previous.take();
        rec.previous = Some(Kept { generation: up.from.clone(), snapshot: up.snapshot, replaced_at: now_ms() });
        rec.installation = Installation::Ready;
        self.publish(rec).await?;
        if let Some(old) = older.filter(|o| o.generation.number != up.from.number) {
            self.discard_generation(&rec.id, old.generation.number).await;
            if let Err(e) = snapshot::discard(&self.cfg.snapshot_dir(&rec.id, old.generation.number)).await {
                tracing::warn!(pup = %rec.id, error = %e, "removing an old snapshot");
            }
        }
        Ok(())
    }

    /// `pup rollback`: go back to the generation the last upgrade replaced.
    pub async fn rollback(&self, ctx: &JobCtx, id: &str) -> Result<serde_json::Value, PupError> {
        let mut rec = self.record(id)?;
        require_upgradable(&rec, "roll back")?;
        let Some(kept) = rec.previous.clone() else {
            return Err(failed(nothing_kept(&rec.name)));
        };
        let current = rec.current();
        // The kept generation must be whole before anything is stopped: a rollback
        // that cannot start the old version must leave the current one running.
        ctx.step("check", 5, &format!("checking the kept version {}", kept.generation.version));
        self.check_kept(&rec, &kept).await?;
        ctx.step("rollback", 10, &format!("rolling {} back from {} to {}", rec.name, current.version, kept.generation.version));
        rec.upgrade = Some(UpgradeState {
            phase: UpgradePhase::RollingBack,
            from: kept.generation.clone(),
            to: current.clone(),
            snapshot: kept.snapshot,
            manual_rollback: true,
        });
        rec.installation = Installation::Upgrading;
        self.publish(&rec).await?;
        let note = self.roll_back(&mut rec, true).await?;
        ctx.step("done", 100, &note);
        Ok(json!({ "pupId": rec.id, "from": current.version, "to": kept.generation.version }))
    }

    /// A kept generation can be gone back to: its unpacked source, its build and (if
    /// one was taken) its storage snapshot are all still there.
    pub(crate) async fn check_kept(&self, rec: &PupRecord, kept: &Kept) -> Result<(), PupError> {
        let old = rec.at(&kept.generation);
        let refuse = |why: String| {
            failed(format!(
                "cannot roll {} back to {}: {why}; nothing was changed ({} keeps running). Upgrade to a version from the store instead.",
                rec.name, kept.generation.version, rec.version
            ))
        };
        let dir = self.cfg.pup_dir_at(&rec.id, kept.generation.number);
        if !dir.is_dir() {
            return Err(refuse(format!("its unpacked source {} is missing", dir.display())));
        }
        self.runtime.check_built(&self.spec(&old)).await.map_err(|e| refuse(format!("its build is incomplete ({e})")))?;
        let snap = snapshot::taken(&self.cfg.snapshot_dir(&rec.id, kept.generation.number));
        if kept.snapshot && !snap.is_dir() {
            return Err(refuse(format!("its storage snapshot {} is missing", snap.display())));
        }
        Ok(())
    }

    /// At start-up: finish whatever an upgrade or rollback was doing when the daemon
    /// died, so the pup is the old or the new version, ready, and reconcile starts it.
    pub(super) async fn recover_upgrade(&self, rec: &mut PupRecord) -> Result<(), PupError> {
        let Some(phase) = rec.upgrade.as_ref().map(|u| u.phase) else {
            return Err(failed("no upgrade state".into()));
        };
        tracing::warn!(pup = %rec.id, phase = phase.as_str(), "an upgrade was interrupted; recovering");
        match phase {
            UpgradePhase::Preparing | UpgradePhase::Snapshotting => {
                self.abandon_upgrade(rec, false).await;
                Ok(())
            }
            UpgradePhase::Switched | UpgradePhase::RollingBack => self.roll_back(rec, false).await.map(|_| ()),
            UpgradePhase::Finishing => self.finish_upgrade(rec).await,
        }
    }

    /// Remove one generation's source and build folders.
    async fn discard_generation(&self, id: &str, number: u64) {
        if let Err(e) = self.remove_generation(id, number) {
            tracing::warn!(pup = %id, error = %e, "removing a generation");
        }
    }

    /// Bring the record's units up and wait until every service runs.
    async fn run_units(&self, rec: &PupRecord) -> Result<(), String> {
        let spec = self.spec(rec);
        self.runtime.create_network(&spec).await.map_err(|e| e.to_string())?;
        self.runtime.start(&spec).await.map_err(|e| e.to_string())?;
        self.wait_running(&spec).await
    }

    pub(super) fn write_config(&self, rec: &PupRecord) -> std::io::Result<()> {
        config_values::write_env_file(&self.cfg.config_env(&rec.id), &rec.config)
    }

    /// Test hook (`--failpoint upgrade:<step>`, or `upgrade:*` for every step): die
    /// by SIGKILL at this step, once per data dir.
    fn failpoint(&self, step: &str) {
        let Some(fp) = self.cfg.failpoint.as_deref() else { return };
        if !matches!(fp.strip_prefix("upgrade:"), Some(s) if s == step || s == "*") {
            return;
        }
        let marker = self.cfg.data_dir.join(format!("failpoint-{step}.fired"));
        if marker.exists() || std::fs::write(&marker, b"").is_err() {
            return;
        }
        tracing::error!(step, "failpoint reached: killing the daemon");
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}
