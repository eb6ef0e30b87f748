//! The persisted record of one pup, and how it is shown on the wire.

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
            needs_conf: false,
            needs_deps: false,
            ip: self.ip.to_string(),
            web_uis: self.web_uis.clone(),
            services,
            storage_dir,
            installed_at: self.installed_at,
            manifest: None,
        }
    }
}
