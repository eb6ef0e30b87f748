//! Wire types of the `/v1` API between the `dogebox` CLI and `dogeboxd`.
//!
//! Everything here is JSON with camelCase keys. Routes (all under the Unix socket):
//!
//! | method + path                | body / answer                                         |
//! |------------------------------|-------------------------------------------------------|
//! | `GET /v1/status`             | [`DaemonStatus`]                                      |
//! | `GET /v1/pups`               | `[PupView]`                                           |
//! | `GET /v1/pups/{ref}`         | [`PupView`] (ref = id, unique id prefix or name)      |
//! | `GET /v1/pups/{ref}/logs?n=N&follow=bool` | plain text, one log line per line; follows while `follow` |
//! | `GET /v1/sources`            | `[SourceView]`                                        |
//! | `GET /v1/store`              | [`StoreListing`]                                      |
//! | `GET /v1/store/{name}?source=ID` | [`StoreDetail`]                                   |
//! | `GET /v1/outdated?pre=bool`  | [`OutdatedListing`]                                   |
//! | `GET /v1/jobs`               | `[JobRecord]`, newest first                           |
//! | `GET /v1/jobs/{id}`          | [`JobRecord`] (id or unique prefix)                   |
//! | `GET /v1/jobs/{id}/events`   | NDJSON of [`Change`]; first line is the job as it is now, ends when the job ends |
//! | `GET /v1/events`             | NDJSON of every [`Change`], never ends                |
//! | `POST /v1/actions`           | [`Action`] → `202` [`Accepted`]                       |
//!
//! Errors are an HTTP status plus [`ErrorBody`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol number; bumped on an incompatible change of anything in this module.
pub const PROTOCOL: u32 = 1;

/// Every change of state the CLI or a script can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum Action {
    /// Install a pup by name from the store. Without `version`, the latest
    /// stable version; without `source`, the only source that offers the name.
    Install {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
        /// Let "latest" be a pre-release.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pre: bool,
    },
    Start { pup: String },
    Stop { pup: String },
    Restart { pup: String },
    /// Stop and remove a pup; its storage is kept.
    Uninstall { pup: String },
    /// Remove an uninstalled pup's storage and record.
    Purge { pup: String },
    /// Add a source; the job's `result` is the new [`SourceView`].
    SourceAdd { location: String },
    /// Remove a source by id; refused while an installed pup uses it.
    SourceRemove { source: String },
    /// Upgrade a pup to `to`, or to the newest version its source offers (a
    /// pre-release only with `pre`). Keeps the pup's id, storage and config.
    Upgrade {
        pup: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pre: bool,
        /// Skip the storage snapshot (a rollback then keeps the storage as it is).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        no_snapshot: bool,
        /// Seconds the new version must stay running; the daemon's default otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        health_time: Option<u64>,
        /// Config values for fields the new version adds or requires.
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        set: std::collections::BTreeMap<String, String>,
        /// Allow `to` to be older than the installed version.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        downgrade: bool,
    },
    /// Go back to the version the last upgrade replaced (and its storage snapshot).
    Rollback { pup: String },
    /// Never offer this pup for upgrade.
    Hold { pup: String },
    Unhold { pup: String },
    /// List every source afresh (git sources fetch their tags again).
    StoreRefresh {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
}

impl Action {
    /// Short machine name of the action, as stored in [`JobRecord::action`].
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Install { .. } => "install",
            Action::Start { .. } => "start",
            Action::Stop { .. } => "stop",
            Action::Restart { .. } => "restart",
            Action::Uninstall { .. } => "uninstall",
            Action::Purge { .. } => "purge",
            Action::SourceAdd { .. } => "source-add",
            Action::SourceRemove { .. } => "source-remove",
            Action::Upgrade { .. } => "upgrade",
            Action::Rollback { .. } => "rollback",
            Action::Hold { .. } => "hold",
            Action::Unhold { .. } => "unhold",
            Action::StoreRefresh { .. } => "store-refresh",
        }
    }
}

/// Answer to `POST /v1/actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub job: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Interrupted)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }
}

/// A job, as persisted before it runs and updated as it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    /// [`Action::kind`] of the request.
    pub action: String,
    pub request: Action,
    pub status: JobStatus,
    /// 0–100.
    pub progress: u8,
    /// Name of the current (or last) step, e.g. `build`.
    pub step: String,
    /// Last human message of the job.
    pub message: String,
    /// Why the job failed or was interrupted.
    pub error: Option<String>,
    pub pup_id: Option<String>,
    pub pup_name: Option<String>,
    /// Unix milliseconds.
    pub created: i64,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    /// What a successful job produced (for `source-add`, the source).
    pub result: Option<Value>,
}

/// One event on a stream: the envelope dogeboxd sends the web UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Job id for job and progress changes, `"internal"` for system changes.
    pub id: String,
    /// Strictly increasing, also across daemon restarts.
    pub seq: u64,
    /// Unix milliseconds.
    pub ts: i64,
    /// Job error, `""` when none.
    pub error: String,
    /// `job` (update: [`JobRecord`]), `progress` (update: [`Progress`]),
    /// `pup` (update: [`PupView`]), `pup_purged` (update: `{"pupId"}`),
    /// `log` (update: [`LogLine`]).
    #[serde(rename = "type")]
    pub kind: String,
    pub update: Value,
}

pub const CHANGE_JOB: &str = "job";
pub const CHANGE_PROGRESS: &str = "progress";
pub const CHANGE_PUP: &str = "pup";
pub const CHANGE_PUP_PURGED: &str = "pup_purged";
pub const CHANGE_LOG: &str = "log";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub job_id: String,
    pub pup_id: Option<String>,
    pub progress: u8,
    pub step: String,
    pub msg: String,
}

/// A line of a job's output (for example the build log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    pub job_id: String,
    pub pup_id: Option<String>,
    pub line: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Installation {
    Installing,
    Ready,
    Broken,
    Uninstalling,
    Uninstalled,
    Purging,
    Upgrading,
}

impl Installation {
    pub fn as_str(self) -> &'static str {
        match self {
            Installation::Installing => "installing",
            Installation::Ready => "ready",
            Installation::Broken => "broken",
            Installation::Uninstalling => "uninstalling",
            Installation::Uninstalled => "uninstalled",
            Installation::Purging => "purging",
            Installation::Upgrading => "upgrading",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Stopped,
    Starting,
    Running,
    Stopping,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Stopped => "stopped",
            RunStatus::Starting => "starting",
            RunStatus::Running => "running",
            RunStatus::Stopping => "stopping",
        }
    }
}

/// A published web UI: `port` is the host port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebUi {
    pub name: String,
    pub port: u16,
    /// The port inside the pup's network namespace.
    pub internal: u16,
}

/// The state of one systemd unit of a pup, read from systemd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceState {
    /// The manifest's service name.
    pub name: String,
    pub unit: String,
    pub active_state: String,
    pub sub_state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    pub id: String,
    pub name: String,
    pub location: String,
    #[serde(rename = "type")]
    pub kind: SourceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Disk,
    Git,
}

/// A pup as `pup list` and `pup show` see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PupView {
    pub id: String,
    pub name: String,
    pub version: String,
    pub source: SourceRef,
    pub installation: Installation,
    /// One of dogeboxd's reasons (`nix_hash_mismatch`, …); `null` unless broken.
    pub broken_reason: Option<String>,
    /// The error text behind `brokenReason` (for a build failure, the end of the build log).
    pub broken_message: Option<String>,
    pub status: RunStatus,
    pub enabled: bool,
    pub needs_conf: bool,
    pub needs_deps: bool,
    pub ip: String,
    #[serde(rename = "webUIs")]
    pub web_uis: Vec<WebUi>,
    pub services: Vec<ServiceState>,
    pub storage_dir: String,
    pub installed_at: i64,
    /// A held pup is never offered for upgrade.
    #[serde(default)]
    pub held: bool,
    /// The version `pup rollback` would return to, if one is kept.
    #[serde(default)]
    pub previous_version: Option<String>,
    /// While an upgrade runs: the version it brings in.
    #[serde(default)]
    pub upgrading_to: Option<String>,
    /// The pup's manifest, only in `GET /v1/pups/{ref}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub location: String,
    #[serde(rename = "type")]
    pub kind: SourceKind,
    pub added_at: i64,
}

impl SourceView {
    pub fn to_ref(&self) -> SourceRef {
        SourceRef {
            id: self.id.clone(),
            name: self.name.clone(),
            location: self.location.clone(),
            kind: self.kind,
        }
    }
}

/// One pup name offered by one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorePup {
    pub source_id: String,
    pub name: String,
    pub latest_version: String,
    /// Every version offered, highest first.
    pub versions: Vec<String>,
    pub short_description: String,
    /// Ids of installed pups with this name from this source.
    pub installed: Vec<String>,
    /// False for an installed pup its source no longer offers (then `versions` is
    /// empty and `latestVersion` is the installed version).
    #[serde(default = "yes")]
    pub offered: bool,
}

fn yes() -> bool {
    true
}

/// `GET /v1/store/{name}`: one pup of one source, every version in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreDetail {
    pub source_id: String,
    pub source_name: String,
    pub name: String,
    pub latest_version: String,
    /// The latest version's logo as a `data:image/…;base64,…` URL (dogeboxd's
    /// `logoBase64`).
    pub logo: Option<String>,
    pub installed: Vec<String>,
    /// Highest first.
    pub versions: Vec<StoreVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreVersion {
    pub version: String,
    pub pre_release: bool,
    /// The git tag it comes from (git sources).
    pub tag: Option<String>,
    /// The manifest (interfaces, dependencies, config, exposes, …).
    pub manifest: Value,
}

/// `GET /v1/outdated?pre=bool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutdatedListing {
    /// Installed pups with a newer version, held ones left out.
    pub pups: Vec<OutdatedPup>,
    /// Held pups that have a newer version (never offered for upgrade).
    pub held: Vec<OutdatedPup>,
    pub errors: Vec<SourceError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutdatedPup {
    pub pup_id: String,
    pub name: String,
    pub source_id: String,
    pub current: String,
    pub latest: String,
    /// Every newer version, highest first.
    pub newer: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceError {
    pub source_id: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreListing {
    pub pups: Vec<StorePup>,
    /// Sources whose listing failed; the others are still listed.
    pub errors: Vec<SourceError>,
    /// Per git source: when it was last listed, and why the last refresh failed.
    #[serde(default)]
    pub sources: Vec<SourceListingState>,
}

/// How fresh a source's listing is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceListingState {
    pub source_id: String,
    /// Unix ms of the listing shown (`None`: never listed).
    pub listed_at: Option<i64>,
    /// Why the last refresh failed (the listing shown is then the last good one).
    pub refresh_error: Option<String>,
    pub refresh_failed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonStatus {
    pub version: String,
    pub protocol: u32,
    pub pid: u32,
    pub data_dir: String,
    pub runtime: String,
}

/// Error body: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// One of the `CODE_*` constants.
    pub code: String,
    /// One human sentence.
    pub message: String,
}

/// The request was malformed or a value is not allowed (HTTP 400).
pub const CODE_BAD_REQUEST: &str = "bad_request";
/// The pup, source or job named does not exist (HTTP 404).
pub const CODE_NOT_FOUND: &str = "not_found";
/// A name matches several things (HTTP 409).
pub const CODE_AMBIGUOUS: &str = "ambiguous";
/// The action is not possible in the current state (HTTP 409).
pub const CODE_CONFLICT: &str = "conflict";
/// The caller may not do this (HTTP 403).
pub const CODE_FORBIDDEN: &str = "forbidden";
/// Something failed inside the daemon (HTTP 500).
pub const CODE_INTERNAL: &str = "internal";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_json_is_tagged_with_kebab_case_names() {
        let a = Action::SourceAdd { location: "/x".into() };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json, serde_json::json!({"action": "source-add", "location": "/x"}));
        let back: Action = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
        let install: Action =
            serde_json::from_str(r#"{"action":"install","name":"core"}"#).unwrap();
        assert_eq!(install, Action::Install { name: "core".into(), version: None, source: None, pre: false });
    }

    #[test]
    fn unknown_action_is_rejected() {
        assert!(serde_json::from_str::<Action>(r#"{"action":"explode"}"#).is_err());
    }
}
