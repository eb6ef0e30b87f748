//! The persisted record of one pup, and how it is shown on the wire.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use dogebox_shared::manifest::Manifest;
use dogebox_shared::wire::{Installation, PupView, RunStatus, ServiceState, SourceRef, WebUi};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupRecord {
    /// 32 lowercase hex characters; stable across reinstalls and upgrades.
    pub id: String,
    pub name: String,
    pub version: String,
    pub source: SourceRef,
    /// Where in the source the pup folder is (absolute path for disk sources).
    pub location: String,
    pub installation: Installation,
    pub broken_reason: Option<String>,
    pub broken_message: Option<String>,
    /// Whether the user wants it running.
    pub enabled: bool,
    pub ip: Ipv4Addr,
    pub web_uis: Vec<WebUi>,
    pub manifest: Manifest,
    pub installed_at: i64,
    /// The system user the pup's services run as (its own); `None` in records made
    /// before pups had their own users.
    #[serde(default)]
    pub user: Option<String>,
    /// True while an install runs that created the storage folder itself: a failed or
    /// interrupted install then removes it again (a reinstall keeps existing storage).
    #[serde(default)]
    pub storage_is_new: bool,
    /// Which generation of unpacked source and build the pup runs: 0 for the first
    /// install, one more for every upgrade. Each has its own folders, so an upgrade
    /// builds beside the running version and a rollback finds the old one whole.
    #[serde(default)]
    pub generation: u64,
    /// Config values by field name, as strings (dogeboxd's form).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// A held pup is never offered for upgrade.
    #[serde(default)]
    pub held: bool,
    /// An upgrade or rollback under way. Written before anything changes, so a daemon
    /// that dies half-way knows on restart what to go back to.
    #[serde(default)]
    pub upgrade: Option<UpgradeState>,
    /// The generation the last upgrade replaced, kept (source, build, storage
    /// snapshot) so `pup rollback` can go back to it.
    #[serde(default)]
    pub previous: Option<Kept>,
}

/// What differs between two versions of one pup: everything else (id, address,
/// storage, user, enabled) stays with the pup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Generation {
    pub number: u64,
    pub version: String,
    pub location: String,
    pub manifest: Manifest,
    pub web_uis: Vec<WebUi>,
    pub config: BTreeMap<String, String>,
}

/// A replaced generation kept for rollback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    pub generation: Generation,
    /// Whether a snapshot of the storage, taken just before the upgrade, is kept
    /// (at `Config::snapshot_dir(id, generation.number)`).
    pub snapshot: bool,
    /// Unix milliseconds: when this generation stopped running.
    pub replaced_at: i64,
}

/// Where an upgrade (or rollback) stands; each phase says what a restart must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradePhase {
    /// `to` is being copied and built beside the running `from`: a restart throws
    /// `to` away and `from` goes on running.
    Preparing,
    /// `from` is stopped and its storage being copied: a restart throws away the
    /// half-made snapshot and `to`, and starts `from` again.
    Snapshotting,
    /// The record is `to` and its services start or are on probation: a restart
    /// rolls back (it was never proven).
    Switched,
    /// Going back to `from`: a restart finishes going back.
    RollingBack,
    /// `to` is proven: a restart finishes the bookkeeping.
    Finishing,
}

impl UpgradePhase {
    pub fn as_str(self) -> &'static str {
        match self {
            UpgradePhase::Preparing => "preparing",
            UpgradePhase::Snapshotting => "snapshotting",
            UpgradePhase::Switched => "switched",
            UpgradePhase::RollingBack => "rolling-back",
            UpgradePhase::Finishing => "finishing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeState {
    pub phase: UpgradePhase,
    /// The generation that ran before; what a rollback returns to.
    pub from: Generation,
    /// The generation being brought in (for a manual rollback: the one left).
    pub to: Generation,
    /// Whether the storage is snapshotted (at `Config::snapshot_dir(id, from.number)`).
    pub snapshot: bool,
    /// A `pup rollback` to a kept generation, rather than an upgrade.
    #[serde(default)]
    pub manual_rollback: bool,
}

impl PupRecord {
    /// The version-specific part of the record as it is now.
    pub fn current(&self) -> Generation {
        Generation {
            number: self.generation,
            version: self.version.clone(),
            location: self.location.clone(),
            manifest: self.manifest.clone(),
            web_uis: self.web_uis.clone(),
            config: self.config.clone(),
        }
    }

    /// A copy of the record as it is at `generation` (for its folders and units).
    pub fn at(&self, generation: &Generation) -> PupRecord {
        let mut rec = self.clone();
        rec.apply(generation);
        rec
    }

    /// Make `generation` the one the record describes.
    pub fn apply(&mut self, generation: &Generation) {
        self.generation = generation.number;
        self.version = generation.version.clone();
        self.location = generation.location.clone();
        self.manifest = generation.manifest.clone();
        self.web_uis = generation.web_uis.clone();
        self.config = generation.config.clone();
    }
}

impl PupRecord {
    pub fn view(&self, status: RunStatus, services: Vec<ServiceState>, storage_dir: String) -> PupView {
        PupView {
            id: self.id.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            source: self.source.clone(),
            installation: self.installation,
            broken_reason: self.broken_reason.clone(),
            broken_message: self.broken_message.clone(),
            status,
            enabled: self.enabled,
            needs_conf: crate::pups::config_values::needs_conf(&self.manifest, &self.config),
            needs_deps: false,
            ip: self.ip.to_string(),
            web_uis: self.web_uis.clone(),
            services,
            storage_dir,
            installed_at: self.installed_at,
            held: self.held,
            previous_version: self.previous.as_ref().map(|k| k.generation.version.clone()),
            // Until the switch; after it the record already is the new version.
            upgrading_to: self
                .upgrade
                .as_ref()
                .filter(|u| !u.manual_rollback && u.to.number != self.generation)
                .map(|u| u.to.version.clone()),
            manifest: None,
        }
    }
}
