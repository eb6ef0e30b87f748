//! How pups run. The [`Runtime`] trait hides the backend: `systemd` (any Linux with
//! systemd, driven over D-Bus) now, `nixos` (container modules + rebuild) later.
//!
//! The daemon core decides *what* runs (ids, IPs, host ports, paths, environment);
//! a runtime decides *how*. Every method is idempotent: calling it again after a
//! crash half-way through must finish the work, not fail on what already exists.

pub mod systemd;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use dogebox_shared::wire::{RunStatus, ServiceState};

/// Everything a runtime needs to know about one pup. Built by the daemon core from
/// the pup's record and manifest; all strings here are already validated
/// (ids are 32 lowercase hex, service names and env keys checked), but a runtime
/// still passes them to systemd and nix only as typed values or arguments, never
/// spliced into code.
#[derive(Debug, Clone)]
pub struct PupSpec {
    /// 32 lowercase hex characters.
    pub id: String,
    /// The pup's address inside its own network namespace.
    pub ip: Ipv4Addr,
    /// The host's address on the pup network (the gateway the pup sees as `DBX_HOST`).
    pub host_ip: Ipv4Addr,
    /// The system user the pup's services run as: one per pup, so pups cannot read,
    /// write or signal each other.
    pub user: String,
    /// The pup's unpacked source (`<data>/pups/<id>`), bound read-only at `/pup`.
    pub source_dir: PathBuf,
    /// The pup's storage (`<data>/pups/storage/<id>`), bound read-write at `/storage`.
    pub storage_dir: PathBuf,
    /// The pup's nix file, an absolute path inside `source_dir`.
    pub nix_file: PathBuf,
    /// Where the runtime keeps build results (nix out-links, which are also GC roots)
    /// (`<data>/builds/<id>`). The systemd runtime's build sees only this folder and
    /// `source_dir` of the folder the two share (the data dir, at least two levels
    /// below `/`), so both must live in it, and the nix file must not need anything
    /// else from it.
    pub build_dir: PathBuf,
    /// Every service's stdout and stderr are appended here.
    pub log_file: PathBuf,
    /// The pup's config as `KEY=value` lines, loaded into every service's environment
    /// if it exists. It lives outside the pup's storage, in a folder the pup cannot
    /// write: the service manager reads it as root, so a pup that could replace it
    /// with a symlink could read any root-only file into its environment.
    pub config_env: PathBuf,
    pub services: Vec<ServiceSpec>,
    /// Environment for every service (`DBX_PUP_ID`, `DBX_PUP_IP`, `DBX_HOST`, `DBX_PORT`, …).
    pub env: BTreeMap<String, String>,
    pub web_uis: Vec<WebUiSpec>,
}

#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// The manifest's service name: an attribute of the nix file's result.
    pub name: String,
    /// Path inside the service's build output, e.g. `/bin/run.sh`.
    pub exec: String,
    /// Working directory relative to the build output; empty = the output itself.
    pub cwd: String,
    /// The manifest's static env for this service (wins over [`PupSpec::env`]).
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUiSpec {
    pub name: String,
    /// Port published on the host (all addresses).
    pub host_port: u16,
    /// Port inside the pup's namespace that it forwards to.
    pub internal_port: u16,
}

/// What systemd says about a pup's units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupStatus {
    pub status: RunStatus,
    pub services: Vec<ServiceState>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// `nix-build` failed; `log_tail` is the end of its output.
    #[error("nix build failed: {log_tail}")]
    Build { log_tail: String },
    /// The build finished but an output lacks a service's `exec`.
    #[error("service {service}: {exec} does not exist in its build output {output}")]
    MissingExec { service: String, exec: String, output: String },
    #[error("the build was cancelled ({0})")]
    Cancelled(String),
    #[error("the build did not finish within {0} s and was stopped")]
    Timeout(u64),
    #[error("network setup for pup {pup} failed: {message}")]
    Network { pup: String, message: String },
    #[error("systemd: {0}")]
    Systemd(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<zbus::Error> for RuntimeError {
    fn from(e: zbus::Error) -> Self {
        RuntimeError::Systemd(e.to_string())
    }
}

/// Called with each line of build output as it arrives.
pub type LineSink<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// Tells a long runtime operation (a build) to give up: an uninstall of a pup that is
/// still installing sets it. Cheap to clone; every clone sees the same signal.
#[derive(Debug, Clone)]
pub struct Cancel(tokio::sync::watch::Receiver<bool>);

/// The sending side of a [`Cancel`].
#[derive(Debug)]
pub struct CancelHandle(tokio::sync::watch::Sender<bool>);

impl Cancel {
    pub fn new() -> (CancelHandle, Cancel) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (CancelHandle(tx), Cancel(rx))
    }

    /// A signal that never fires.
    pub fn never() -> Cancel {
        Cancel::new().1
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once cancelled (never, if the handle is dropped without cancelling).
    pub async fn cancelled(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl CancelHandle {
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

#[async_trait::async_trait]
pub trait Runtime: Send + Sync {
    /// Short name for status output (`systemd`).
    fn name(&self) -> &'static str;

    /// Build every service of the pup with `nix-build`, streaming output lines to `log`.
    /// Results are kept under `spec.build_dir` so a later `start` (even by a restarted
    /// daemon) finds them. Checks that each service's `exec` exists in its output.
    /// Gives up (stopping the build, returning [`RuntimeError::Cancelled`] or
    /// [`RuntimeError::Timeout`]) when `cancel` fires or `timeout` passes.
    async fn build(
        &self,
        spec: &PupSpec,
        log: LineSink<'_>,
        timeout: std::time::Duration,
        cancel: &Cancel,
    ) -> Result<(), RuntimeError>;

    /// Whether every service's build output (and its `exec`) is still there, so
    /// `start` can run it: checked before going back to a kept generation.
    async fn check_built(&self, spec: &PupSpec) -> Result<(), RuntimeError>;

    /// Create the pup's network namespace and veth pair with its IP (idempotent).
    async fn create_network(&self, spec: &PupSpec) -> Result<(), RuntimeError>;

    /// Start every service unit and web UI publication. Returns once systemd accepted
    /// the start jobs; use [`Runtime::status`] to see whether they came up.
    async fn start(&self, spec: &PupSpec) -> Result<(), RuntimeError>;

    /// Stop every service unit and web UI publication, and wait until they are down.
    async fn stop(&self, spec: &PupSpec) -> Result<(), RuntimeError>;

    /// Stop any build of the pup that is still running (one a dead daemon started),
    /// leaving its services alone.
    async fn stop_builds(&self, spec: &PupSpec) -> Result<(), RuntimeError>;

    /// Read the state of every unit of the pup from systemd.
    async fn status(&self, spec: &PupSpec) -> Result<PupStatus, RuntimeError>;

    /// The status of many pups at once, in the order given. Listings call this, so a
    /// backend should answer it with as few round trips as it can.
    async fn statuses(&self, specs: &[PupSpec]) -> Result<Vec<PupStatus>, RuntimeError> {
        let mut out = Vec::with_capacity(specs.len());
        for spec in specs {
            out.push(self.status(spec).await?);
        }
        Ok(out)
    }

    /// Remove everything the runtime made for the pup: units (force-stopped), network
    /// namespace, veth, build links. Storage and source folders are not touched.
    /// Succeeds when there is nothing left to remove.
    async fn destroy(&self, spec: &PupSpec) -> Result<(), RuntimeError>;
}
