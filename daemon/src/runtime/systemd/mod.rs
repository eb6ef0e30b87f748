//! The `systemd` runtime: nix-build, network namespaces, units over D-Bus.
//!
//! Each manifest service becomes a transient unit `dbx-<id>-svc-<service>.service`
//! running inside the pup's network namespace `/run/netns/dbx-<id>`. Each web UI
//! becomes a transient socket `dbx-<id>-web-<host port>.socket` whose auxiliary
//! service runs `systemd-socket-proxyd` to the pup's IP, so published ports keep
//! working while the daemon is not running. All of a pup's units share the prefix
//! `dbx-<id>-`, which is how `stop` and `destroy` find them (even units of services
//! that a newer manifest no longer has).
//!
//! Each service is built by `nix-build` in a hardened transient unit
//! `dbx-<id>-build-<service>.service` (see `build.rs`), which sees the pup's source
//! and build folders but nothing else of the daemon's data folder: the common parent
//! of `source_dir` and `build_dir`.
//!
//! Behaviour worth knowing when calling it:
//! - `start` leaves units that are already up alone, so it does not apply a changed
//!   spec: stop first. It fails if a service could not even be executed (services
//!   are `Type=exec`), or if a web UI's host port is taken.
//! - `status` covers the service units only; web UI sockets are not part of it.
//! - Unit cgroups are named after the units, and on cgroup v1 hosts without systemd
//!   as PID 1 all managers share one tree: pup ids must be unique machine-wide.

mod build;
mod names;
mod netns;
pub(crate) mod nix;
mod units;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dogebox_shared::wire::{RunStatus, ServiceState};

use self::netns::{Network, PupNet};
use self::nix::NixBuilder;
use self::units::{Prop, Systemd, UnitState, prop};
use super::{LineSink, PupSpec, PupStatus, Runtime, RuntimeError, ServiceSpec, WebUiSpec};

/// Which service manager to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The system manager, on the system bus (the product).
    System,
    /// A user manager, on the session bus at `$DBUS_SESSION_BUS_ADDRESS` (tests,
    /// `dev/with-systemd`).
    User,
}

#[derive(Debug, Clone)]
pub struct SystemdConfig {
    pub scope: Scope,
    /// Passed to nix-build as `NIX_PATH`; `None` keeps the daemon's own environment.
    pub nix_path: Option<String>,
    /// The system user every pup service runs as (`dogebox-pup` in the product).
    pub pup_user: String,
    /// The `nix-build` program; a bare name is looked up on `PATH`.
    pub nix_build: PathBuf,
    /// Extra `--option NAME VALUE` pairs for nix-build (for example
    /// `sandbox false` on machines without build users).
    pub nix_options: Vec<(String, String)>,
    /// iproute2's `ip`; a bare name is looked up on `PATH`.
    pub ip: PathBuf,
    /// `systemd-socket-proxyd`, which forwards a web UI's host port to the pup.
    pub socket_proxyd: PathBuf,
}

impl SystemdConfig {
    /// A config with the usual program locations (Debian layout for the proxy).
    pub fn new(scope: Scope, pup_user: impl Into<String>) -> Self {
        Self {
            scope,
            nix_path: None,
            pup_user: pup_user.into(),
            nix_build: PathBuf::from("nix-build"),
            nix_options: Vec::new(),
            ip: PathBuf::from("ip"),
            socket_proxyd: PathBuf::from("/lib/systemd/systemd-socket-proxyd"),
        }
    }
}

/// How long systemd may take to stop a service before it kills it.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long we wait for stops (a little longer than systemd's own timeout).
const STOP_WAIT: Duration = Duration::from_secs(20);
/// How long a start job may take (Type=exec: until the program has been executed).
const START_WAIT: Duration = Duration::from_secs(30);
const RESTART_DELAY: Duration = Duration::from_secs(3);

pub struct SystemdRuntime {
    cfg: SystemdConfig,
    systemd: Systemd,
    nix: NixBuilder,
    net: Network,
}

impl SystemdRuntime {
    /// Connect to the manager's bus. Fails if the bus cannot be reached.
    pub async fn connect(mut cfg: SystemdConfig) -> Result<Self, RuntimeError> {
        // Absolute paths from trusted folders, decided once: never the manager's PATH.
        for (what, program) in [("iproute2's ip", &mut cfg.ip), ("nix-build", &mut cfg.nix_build)] {
            *program = nix::trusted_program(program).ok_or_else(|| RuntimeError::Io {
                context: format!("finding {what} ({}) in /usr/sbin, /usr/bin, /sbin or /bin", program.display()),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })?;
        }
        if cfg.socket_proxyd.is_relative() {
            // ExecStart= needs an absolute path.
            return Err(RuntimeError::Systemd(format!(
                "socket_proxyd must be an absolute path, not {}",
                cfg.socket_proxyd.display()
            )));
        }
        let systemd = Systemd::connect(cfg.scope).await?;
        let nix = NixBuilder {
            nix_build: cfg.nix_build.clone(),
            nix_path: cfg.nix_path.clone(),
            options: cfg.nix_options.clone(),
        };
        let net = Network { ip: cfg.ip.clone() };
        Ok(Self {
            cfg,
            systemd,
            nix,
            net,
        })
    }

    /// Every unit of the pup that systemd has loaded, plus the ones the spec names
    /// (a unit being created right now may not be listed yet).
    async fn all_units(&self, spec: &PupSpec) -> Result<Vec<String>, RuntimeError> {
        let mut units = self.systemd.list(&names::unit_pattern(&spec.id)).await?;
        for svc in &spec.services {
            units.push(names::service_unit(&spec.id, &svc.name));
        }
        for ui in &spec.web_uis {
            let base = names::web_unit_base(&spec.id, ui.host_port);
            units.push(format!("{base}.socket"));
            units.push(format!("{base}.service"));
        }
        units.sort();
        units.dedup();
        Ok(units)
    }

    /// Make room for a fresh transient unit: `Ok(true)` if it is already up (leave it),
    /// `Ok(false)` once no unit of that name is loaded.
    async fn prepare(&self, units: &[String]) -> Result<bool, RuntimeError> {
        let Some(main) = units.first() else {
            return Ok(false);
        };
        match self.systemd.state(main).await? {
            // Nothing loaded under the main name; an aux unit may still linger.
            None if units.len() == 1 => return Ok(false),
            None => {}
            Some(s) if matches!(s.active.as_str(), "active" | "activating" | "reloading") => {
                return Ok(true);
            }
            Some(s) => tracing::debug!(unit = %main, state = %s.active, "replacing leftover unit"),
        }
        // Leftovers (failed, stopped but still referenced, or a stray aux unit).
        self.systemd.remove(units, false, STOP_WAIT).await?;
        Ok(false)
    }

    fn service_props(
        &self,
        spec: &PupSpec,
        svc: &ServiceSpec,
        output: &Path,
        exec: &Path,
    ) -> Result<Vec<Prop>, RuntimeError> {
        let exec = path_str(exec)?.to_owned();
        let workdir = nix::inside_output(output, &svc.cwd).ok_or_else(|| RuntimeError::Io {
            context: format!("service {}: working directory {:?}", svc.name, svc.cwd),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "leaves the build output",
            ),
        })?;
        // Service env wins over the pup's env.
        let mut env: BTreeMap<&str, &str> = BTreeMap::new();
        for (k, v) in spec.env.iter().chain(svc.env.iter()) {
            env.insert(k, v);
        }
        let env: Vec<String> = env.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let log = path_str(&spec.log_file)?.to_owned();
        let netns = path_str(&netns::netns_path(&spec.id))?.to_owned();
        let config_env = path_str(&spec.config_env)?.to_owned();
        // Flags of a(ssbt) bind entries: MS_REC, like BindPaths= without `norbind`.
        #[allow(clippy::unnecessary_cast)] // c_ulong is u32 on 32-bit targets
        let rec = libc::MS_REC as u64;

        Ok(vec![
            prop(
                "Description",
                format!("Dogebox pup {} service {}", spec.id, svc.name),
            )?,
            prop("Type", "exec")?,
            // Plain ExecStart (systemd 252 cannot reload an ExecStartEx= it wrote); the
            // path comes from a manifest, and a `$` or `%` in it is refused rather than
            // left for systemd to expand.
            prop("ExecStart", vec![(exec.clone(), plain_argv(vec![exec])?, false)])?,
            prop("User", spec.user.as_str())?,
            // Other users' processes (other pups) are not even visible in /proc.
            prop("ProtectProc", "invisible")?,
            prop("Restart", "on-failure")?,
            prop("RestartUSec", micros(RESTART_DELAY))?,
            prop("TimeoutStopUSec", micros(STOP_TIMEOUT))?,
            prop("NetworkNamespacePath", netns)?,
            prop(
                "BindReadOnlyPaths",
                vec![(
                    path_str(&spec.source_dir)?.to_owned(),
                    "/pup".to_owned(),
                    false,
                    rec,
                )],
            )?,
            prop(
                "BindPaths",
                vec![(
                    path_str(&spec.storage_dir)?.to_owned(),
                    "/storage".to_owned(),
                    false,
                    rec,
                )],
            )?,
            prop("Environment", env)?,
            // What a service manager passes on of its own (a user manager's bus and
            // folders, its pid, Debian's Nix settings): the pup has no use for them.
            prop("UnsetEnvironment", manager_env())?,
            // `true` = ignore a missing file (`EnvironmentFile=-…`): config comes later.
            prop("EnvironmentFiles", vec![(config_env, true)])?,
            prop("WorkingDirectory", path_str(&workdir)?)?,
            prop("ProtectSystem", "strict")?,
            prop("PrivateTmp", true)?,
            prop("NoNewPrivileges", true)?,
            prop("StandardOutputFileToAppend", log.as_str())?,
            prop("StandardErrorFileToAppend", log.as_str())?,
        ])
    }

    fn web_props(
        &self,
        spec: &PupSpec,
        ui: &WebUiSpec,
    ) -> Result<(Vec<Prop>, Vec<Prop>), RuntimeError> {
        let proxyd = path_str(&self.cfg.socket_proxyd)?.to_owned();
        let target = SocketAddr::from((spec.ip, ui.internal_port)).to_string();
        let what = format!(
            "Dogebox pup {} web UI {} (port {})",
            spec.id, ui.name, ui.host_port
        );
        // A bare port listens on all addresses (IPv6 dual-stack, or IPv4 if no IPv6).
        let socket = vec![
            prop("Description", what.clone())?,
            prop(
                "Listen",
                vec![("Stream".to_owned(), ui.host_port.to_string())],
            )?,
        ];
        let service = vec![
            prop("Description", what)?,
            prop(
                "ExecStart",
                vec![(proxyd.clone(), vec![proxyd, target], false)],
            )?,
            prop("User", self.cfg.pup_user.as_str())?,
            prop("UnsetEnvironment", manager_env())?,
            prop("ProtectSystem", "strict")?,
            prop("PrivateTmp", true)?,
            prop("NoNewPrivileges", true)?,
            prop("TimeoutStopUSec", micros(STOP_TIMEOUT))?,
        ];
        Ok((socket, service))
    }

    async fn start_service(&self, spec: &PupSpec, svc: &ServiceSpec) -> Result<(), RuntimeError> {
        let unit = names::service_unit(&spec.id, &svc.name);
        if self.prepare(std::slice::from_ref(&unit)).await? {
            tracing::debug!(unit, "already running");
            return Ok(());
        }
        let link = spec.build_dir.join(names::build_link(&svc.name));
        let output = nix::output_of(&link).await?;
        let exec = nix::exec_path(&svc.name, &output, &svc.exec).await?;
        let props = self.service_props(spec, svc, &output, &exec)?;
        self.systemd
            .start_transient(&unit, props, Vec::new())
            .await?;
        let state = self.systemd.wait_started(&unit, START_WAIT).await?;
        if state.active != "active" {
            // systemd's own reason (exit status, or e.g. 200/CHDIR, 218/CAPABILITIES):
            // the pup's log is often empty when the program never ran.
            let why = match self.systemd.service_result(&unit).await {
                Ok(Some(r)) => format!(", result {} with status {}", r.result, r.status),
                _ => String::new(),
            };
            return Err(RuntimeError::Systemd(format!(
                "service {} ({unit}) failed to start ({}/{}{why}); see {}",
                svc.name,
                state.active,
                state.sub,
                spec.log_file.display()
            )));
        }
        Ok(())
    }

    async fn start_web_ui(&self, spec: &PupSpec, ui: &WebUiSpec) -> Result<(), RuntimeError> {
        let base = names::web_unit_base(&spec.id, ui.host_port);
        let socket = format!("{base}.socket");
        let service = format!("{base}.service");
        if self.prepare(&[socket.clone(), service.clone()]).await? {
            return Ok(());
        }
        let port_error = |why: String| RuntimeError::Network {
            pup: spec.id.clone(),
            message: format!("web UI {}: host port {} {why}", ui.name, ui.host_port),
        };
        if let Err(e) = port_is_free(ui.host_port) {
            return Err(port_error(format!("is already in use ({e})")));
        }
        let (socket_props, service_props) = self.web_props(spec, ui)?;
        self.systemd
            .start_transient(
                &socket,
                socket_props,
                vec![(service.clone(), service_props)],
            )
            .await?;
        let state = self.systemd.wait_started(&socket, START_WAIT).await?;
        if state.active != "active" {
            // Leave nothing failed behind, so a retry can create the units again.
            self.systemd.reset_failed(&[socket, service]).await;
            return Err(port_error(format!(
                "could not be opened by systemd ({}/{}); is something else listening?",
                state.active, state.sub
            )));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Runtime for SystemdRuntime {
    fn name(&self) -> &'static str {
        "systemd"
    }

    async fn build(
        &self,
        spec: &PupSpec,
        log: LineSink<'_>,
        timeout: Duration,
        cancel: &super::Cancel,
    ) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        let deadline = tokio::time::Instant::now() + timeout;
        let data_dir = build::data_dir_of(&spec.source_dir, &spec.build_dir)?;
        if !spec.nix_file.starts_with(&spec.source_dir) {
            // The build unit only sees the source folder.
            return Err(RuntimeError::Io {
                context: format!("nix file {}", spec.nix_file.display()),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("is not inside {}", spec.source_dir.display()),
                ),
            });
        }
        tokio::fs::create_dir_all(&spec.build_dir)
            .await
            .map_err(|e| RuntimeError::Io {
                context: format!("creating {}", spec.build_dir.display()),
                source: e,
            })?;
        build::ensure_inaccessible_nodes();
        for svc in &spec.services {
            let out_link = spec.build_dir.join(names::build_link(&svc.name));
            let unit = build::BuildUnit {
                unit: names::build_unit(&spec.id, &svc.name),
                description: format!("Dogebox pup {} build of {}", spec.id, svc.name),
                command: self.nix.command(&spec.nix_file, &svc.name, &out_link)?,
                data_dir: data_dir.clone(),
                source_dir: &spec.source_dir,
                build_dir: &spec.build_dir,
                log_file: spec.build_dir.join(names::build_log(&svc.name)),
                out_link,
            };
            tracing::info!(pup = %spec.id, service = %svc.name, unit = %unit.unit, "nix-build");
            unit.run(&self.systemd, log, deadline, timeout, cancel).await?;
            let output = nix::output_of(&unit.out_link).await?;
            nix::exec_path(&svc.name, &output, &svc.exec).await?;
            tracing::info!(pup = %spec.id, service = %svc.name, output = %output.display(), "built");
        }
        Ok(())
    }

    async fn check_built(&self, spec: &PupSpec) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        for svc in &spec.services {
            let output = nix::output_of(&spec.build_dir.join(names::build_link(&svc.name))).await?;
            nix::exec_path(&svc.name, &output, &svc.exec).await?;
        }
        Ok(())
    }

    async fn create_network(&self, spec: &PupSpec) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        self.net
            .create(&PupNet {
                id: &spec.id,
                ip: spec.ip,
                host_ip: spec.host_ip,
            })
            .await
    }

    async fn start(&self, spec: &PupSpec) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        self.net.check_ready(&spec.id).await?;
        for dir in [&spec.source_dir, &spec.storage_dir] {
            // systemd would fail the unit with a bare "226/NAMESPACE".
            if !dir.is_dir() {
                return Err(RuntimeError::Io {
                    context: format!("pup {}: {} (bound into the pup)", spec.id, dir.display()),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            }
        }
        if let Some(dir) = spec.log_file.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| RuntimeError::Io {
                    context: format!("creating the log folder {}", dir.display()),
                    source: e,
                })?;
        }
        for svc in &spec.services {
            self.start_service(spec, svc).await?;
        }
        for ui in &spec.web_uis {
            self.start_web_ui(spec, ui).await?;
        }
        Ok(())
    }

    async fn stop(&self, spec: &PupSpec) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        let units = self.all_units(spec).await?;
        self.systemd.stop(&units, false, STOP_WAIT).await?;
        self.systemd.reset_failed(&units).await;
        Ok(())
    }

    async fn stop_builds(&self, spec: &PupSpec) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        let units = self.systemd.list(&names::build_pattern(&spec.id)).await?;
        if units.is_empty() {
            return Ok(());
        }
        self.systemd.stop(&units, false, STOP_WAIT).await?;
        self.systemd.reset_failed(&units).await;
        Ok(())
    }

    async fn status(&self, spec: &PupSpec) -> Result<PupStatus, RuntimeError> {
        names::check_id(&spec.id)?;
        let mut services = Vec::with_capacity(spec.services.len());
        for svc in &spec.services {
            let unit = names::service_unit(&spec.id, &svc.name);
            let state = self
                .systemd
                .state(&unit)
                .await?
                .unwrap_or_else(|| UnitState {
                    active: "inactive".into(),
                    sub: "dead".into(),
                });
            services.push(ServiceState {
                name: svc.name.clone(),
                unit,
                active_state: state.active,
                sub_state: state.sub,
            });
        }
        Ok(PupStatus {
            status: aggregate(&services),
            services,
        })
    }

    async fn statuses(&self, specs: &[PupSpec]) -> Result<Vec<PupStatus>, RuntimeError> {
        for spec in specs {
            names::check_id(&spec.id)?;
        }
        // One ListUnitsByPatterns for every pup: a unit that is not loaded is down.
        let loaded = self.systemd.states(&format!("{}-*", names::PREFIX)).await?;
        Ok(specs
            .iter()
            .map(|spec| {
                let services: Vec<ServiceState> = spec
                    .services
                    .iter()
                    .map(|svc| {
                        let unit = names::service_unit(&spec.id, &svc.name);
                        let (active, sub) = loaded
                            .get(&unit)
                            .map_or(("inactive", "dead"), |s| (s.active.as_str(), s.sub.as_str()));
                        ServiceState {
                            name: svc.name.clone(),
                            active_state: active.to_owned(),
                            sub_state: sub.to_owned(),
                            unit,
                        }
                    })
                    .collect();
                PupStatus { status: aggregate(&services), services }
            })
            .collect())
    }

    async fn destroy(&self, spec: &PupSpec) -> Result<(), RuntimeError> {
        names::check_id(&spec.id)?;
        // Best effort: try every step, report the first failure.
        let units = self.all_units(spec).await;
        let units_done = match units {
            Ok(units) => self.systemd.remove(&units, true, STOP_WAIT).await,
            Err(e) => Err(e),
        };
        let net_done = self.net.destroy(&spec.id).await;
        let build_done = match tokio::fs::remove_dir_all(&spec.build_dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RuntimeError::Io {
                context: format!("removing {}", spec.build_dir.display()),
                source: e,
            }),
        };
        units_done?;
        net_done?;
        build_done
    }
}

/// The pup's status from its service units: all active → running; anything on its
/// way up (including a restart pending) → starting; on its way down → stopping;
/// otherwise stopped. A failed or dead unit is stopped, never "starting".
fn aggregate(services: &[ServiceState]) -> RunStatus {
    if services.is_empty() {
        return RunStatus::Stopped;
    }
    let is = |states: &[&str]| {
        services
            .iter()
            .any(|s| states.contains(&s.active_state.as_str()))
    };
    if services.iter().all(|s| s.active_state == "active") {
        RunStatus::Running
    } else if is(&["activating", "reloading"])
        || services.iter().any(|s| s.sub_state == "auto-restart")
    {
        RunStatus::Starting
    } else if is(&["deactivating"]) {
        RunStatus::Stopping
    } else {
        RunStatus::Stopped
    }
}

/// Fail if something on this machine already listens on the port (IPv4 or IPv6).
/// Only "in use" counts: other bind errors (no IPv6, a low port for a non-root
/// caller) say nothing about whether systemd can listen there.
fn port_is_free(port: u16) -> std::io::Result<()> {
    let addrs = [
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
    ];
    for addr in addrs {
        match TcpListener::bind(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Variables a service manager puts in every unit's environment that a pup must not
/// see: the manager's bus and runtime folders, its pid, and Debian's Nix settings.
const MANAGER_ENV: [&str; 9] = [
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_DIRS",
    "MANAGERPID",
    "NIX_REMOTE",
    "NIX_PATH",
    "NIX_PROFILES",
    "QT_ACCESSIBILITY",
];

fn manager_env() -> Vec<String> {
    MANAGER_ENV.iter().map(|s| s.to_string()).collect()
}

/// An argv systemd runs as given: `$` (environment expansion at start) and `%`
/// (specifiers, when a transient unit's file is read again after a daemon-reload)
/// would change it, and control characters (but newline and tab, which systemd
/// quotes) have no place in it.
pub(crate) fn plain_argv(argv: Vec<String>) -> Result<Vec<String>, RuntimeError> {
    let control = |c: char| c.is_control() && c != '\n' && c != '\t';
    if let Some(bad) = argv.iter().find(|a| a.contains(['$', '%']) || a.chars().any(control)) {
        return Err(RuntimeError::Io {
            context: format!("command argument {bad:?}"),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "'$', '%' and control characters are not allowed in a command systemd runs",
            ),
        });
    }
    Ok(argv)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn path_str(p: &Path) -> Result<&str, RuntimeError> {
    p.to_str().ok_or_else(|| RuntimeError::Io {
        context: format!("path {}", p.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not UTF-8"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(active: &str, sub: &str) -> ServiceState {
        ServiceState {
            name: "s".into(),
            unit: "u".into(),
            active_state: active.into(),
            sub_state: sub.into(),
        }
    }

    #[test]
    fn argv_systemd_would_expand_is_refused() {
        assert!(plain_argv(vec!["/nix/store/x/bin/run.sh".into(), "a\nb".into()]).is_ok());
        for bad in ["/bin/$HOME", "/bin/${x}", "/bin/%h", "a\u{1b}[31m"] {
            assert!(plain_argv(vec![bad.into()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn aggregate_status() {
        use RunStatus::*;
        assert_eq!(aggregate(&[]), Stopped);
        assert_eq!(
            aggregate(&[svc("active", "running"), svc("active", "running")]),
            Running
        );
        assert_eq!(
            aggregate(&[svc("active", "running"), svc("activating", "start")]),
            Starting
        );
        assert_eq!(aggregate(&[svc("activating", "auto-restart")]), Starting);
        assert_eq!(
            aggregate(&[
                svc("active", "running"),
                svc("deactivating", "stop-sigterm")
            ]),
            Stopping
        );
        assert_eq!(aggregate(&[svc("failed", "failed")]), Stopped);
        assert_eq!(
            aggregate(&[svc("inactive", "dead"), svc("active", "running")]),
            Stopped
        );
        assert_eq!(aggregate(&[svc("inactive", "dead")]), Stopped);
    }
}
