//! Talking to the systemd manager over D-Bus: transient units, their state, stopping
//! and clearing them. Nothing here knows about pups; `mod.rs` decides which units.
//!
//! State is read by polling with uncached proxies rather than through signals: a
//! signal stream that nobody drains can stall the connection, and polling a few
//! units every 50 ms for a few seconds is cheap.
//!
//! A broken connection is replaced and the call retried once. On the test machines
//! this happens for real: every root `systemd --user` shares the cgroup-v1
//! `name=systemd` tree, so another manager stopping *its* `dbus.service` kills ours
//! (same cgroup path), and the next call fails with EPIPE.

use std::time::Duration;

use tokio::time::{Instant, sleep};
use zbus::proxy::CacheProperties;
use zbus::{Connection, OwnedObjectPath, OwnedVariant, Variant};
use zbus_systemd::systemd1::{ManagerProxy, ServiceProxy, UnitProxy};

use super::Scope;
use crate::runtime::RuntimeError;

const POLL: Duration = Duration::from_millis(50);
const NO_SUCH_UNIT: &str = "org.freedesktop.systemd1.NoSuchUnit";
const UNIT_EXISTS: &str = "org.freedesktop.systemd1.UnitExists";

/// One property of a transient unit, as StartTransientUnit takes it.
pub(crate) type Prop = (String, OwnedVariant);

/// Build a property from anything that converts to a D-Bus value.
pub(crate) fn prop<'a>(name: &str, value: impl Into<Variant<'a>>) -> Result<Prop, RuntimeError> {
    let v = OwnedVariant::try_from(value.into())
        .map_err(|e| RuntimeError::Systemd(format!("property {name}: {e}")))?;
    Ok((name.to_owned(), v))
}

fn clone_props(props: &[Prop]) -> zbus::Result<Vec<Prop>> {
    props
        .iter()
        .map(|(k, v)| Ok((k.clone(), v.try_clone()?)))
        .collect()
}

fn clone_aux(aux: &[(String, Vec<Prop>)]) -> zbus::Result<Vec<(String, Vec<Prop>)>> {
    aux.iter()
        .map(|(name, props)| Ok((name.clone(), clone_props(props)?)))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitState {
    pub(crate) active: String,
    pub(crate) sub: String,
}

impl UnitState {
    /// Not running and not about to (inactive, failed, or gone).
    pub(crate) fn is_down(&self) -> bool {
        matches!(self.active.as_str(), "inactive" | "failed")
    }
}

/// How a service's main process ended, from its `Service` interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceResult {
    /// `success`, `exit-code`, `signal`, `timeout`, …
    pub(crate) result: String,
    /// Exit status, or the signal number when it was killed.
    pub(crate) status: i32,
}

impl ServiceResult {
    pub(crate) fn succeeded(&self) -> bool {
        self.result == "success" && self.status == 0
    }
}

/// One connection to the bus and the manager proxy on it. `generation` tells a
/// broken connection from the one that replaced it.
#[derive(Clone)]
struct Bus {
    conn: Connection,
    manager: ManagerProxy<'static>,
    generation: u64,
}

pub(crate) struct Systemd {
    scope: Scope,
    bus: tokio::sync::Mutex<Bus>,
}

fn is_no_such_unit(e: &zbus::Error) -> bool {
    is_error(e, NO_SUCH_UNIT)
}

fn is_error(e: &zbus::Error, name: &str) -> bool {
    matches!(e, zbus::Error::MethodError(n, _, _) if n.as_str() == name)
}

/// The connection itself is gone (the bus daemon restarted, or was killed).
fn is_disconnected(e: &zbus::Error) -> bool {
    matches!(e, zbus::Error::InputOutput(_))
}

async fn open_bus(scope: Scope, generation: u64) -> Result<Bus, RuntimeError> {
    let conn = match scope {
        Scope::System => Connection::system().await,
        Scope::User => {
            if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
                return Err(RuntimeError::Systemd(
                    "user scope needs DBUS_SESSION_BUS_ADDRESS (the user manager's bus)".into(),
                ));
            }
            Connection::session().await
        }
    }
    .map_err(|e| RuntimeError::Systemd(format!("connecting to the {scope:?} bus: {e}")))?;
    // Uncached: the manager's properties are not used, so do not subscribe to them.
    let manager = ManagerProxy::builder(&conn)
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    Ok(Bus {
        conn,
        manager,
        generation,
    })
}

impl Systemd {
    pub(crate) async fn connect(scope: Scope) -> Result<Self, RuntimeError> {
        let bus = open_bus(scope, 0).await?;
        Ok(Self {
            scope,
            bus: tokio::sync::Mutex::new(bus),
        })
    }

    async fn current(&self) -> Bus {
        self.bus.lock().await.clone()
    }

    /// Replace a broken connection (once, however many callers saw it break).
    async fn reconnect(&self, broken: u64) -> Result<Bus, RuntimeError> {
        let mut bus = self.bus.lock().await;
        if bus.generation == broken {
            tracing::warn!(scope = ?self.scope, "D-Bus connection lost; reconnecting");
            *bus = open_bus(self.scope, broken + 1).await?;
        }
        Ok(bus.clone())
    }

    /// Run a D-Bus call; if the connection broke, reconnect and run it once more.
    /// Every call made through here is safe to repeat.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, zbus::Error>
    where
        F: Fn(Bus) -> Fut,
        Fut: std::future::Future<Output = zbus::Result<T>>,
    {
        let bus = self.current().await;
        let generation = bus.generation;
        match f(bus).await {
            Err(e) if is_disconnected(&e) => match self.reconnect(generation).await {
                Ok(bus) => f(bus).await,
                Err(re) => {
                    tracing::warn!(error = %re, "reconnecting to D-Bus failed");
                    Err(e)
                }
            },
            r => r,
        }
    }

    async fn get_unit(&self, unit: &str) -> Result<Option<(Bus, OwnedObjectPath)>, RuntimeError> {
        let r = self
            .call(|bus| async move {
                let path = bus.manager.get_unit(unit.to_owned()).await?;
                Ok((bus, path))
            })
            .await;
        match r {
            Ok(found) => Ok(Some(found)),
            Err(e) if is_no_such_unit(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn unit_proxy(
        bus: &Bus,
        path: OwnedObjectPath,
    ) -> Result<UnitProxy<'static>, RuntimeError> {
        Ok(UnitProxy::builder(&bus.conn)
            .path(path)
            .cache_properties(CacheProperties::No)
            .build()
            .await?)
    }

    /// The unit's state, or `None` when systemd has no such unit loaded.
    /// Uses GetUnit (not LoadUnit) so asking never loads anything.
    pub(crate) async fn state(&self, unit: &str) -> Result<Option<UnitState>, RuntimeError> {
        // A unit can be garbage-collected between GetUnit and the property read:
        // then the second GetUnit says it is gone.
        for _ in 0..2 {
            let Some((bus, path)) = self.get_unit(unit).await? else {
                return Ok(None);
            };
            let proxy = Self::unit_proxy(&bus, path).await?;
            match (proxy.active_state().await, proxy.sub_state().await) {
                (Ok(active), Ok(sub)) => return Ok(Some(UnitState { active, sub })),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::debug!(unit, error = %e, "reading unit state")
                }
            }
        }
        Err(RuntimeError::Systemd(format!(
            "cannot read the state of {unit}"
        )))
    }

    /// The result of a service unit's main process, or `None` when it is not loaded.
    pub(crate) async fn service_result(
        &self,
        unit: &str,
    ) -> Result<Option<ServiceResult>, RuntimeError> {
        let Some((bus, path)) = self.get_unit(unit).await? else {
            return Ok(None);
        };
        let proxy = ServiceProxy::builder(&bus.conn)
            .path(path)
            .cache_properties(CacheProperties::No)
            .build()
            .await?;
        Ok(Some(ServiceResult {
            result: proxy.result().await?,
            status: proxy.exec_main_status().await?,
        }))
    }

    /// Whether the unit still has a job queued or running.
    pub(crate) async fn has_job(&self, unit: &str) -> Result<bool, RuntimeError> {
        let Some((bus, path)) = self.get_unit(unit).await? else {
            return Ok(false);
        };
        // An unreadable Job property is an error, not "no job": taking a queued
        // unit for a finished one reads a result it never had.
        let (id, _) = Self::unit_proxy(&bus, path).await?.job().await?;
        Ok(id != 0)
    }

    /// Names of loaded units matching a glob, in any state.
    pub(crate) async fn list(&self, pattern: &str) -> Result<Vec<String>, RuntimeError> {
        let units = self
            .call(|bus| async move {
                bus.manager
                    .list_units_by_patterns(Vec::new(), vec![pattern.to_owned()])
                    .await
            })
            .await?;
        Ok(units.into_iter().map(|u| u.0).collect())
    }

    /// Active and sub state of every loaded unit matching a glob, in one call.
    pub(crate) async fn states(&self, pattern: &str) -> Result<std::collections::HashMap<String, UnitState>, RuntimeError> {
        let units = self
            .call(|bus| async move {
                bus.manager
                    .list_units_by_patterns(Vec::new(), vec![pattern.to_owned()])
                    .await
            })
            .await?;
        Ok(units.into_iter().map(|u| (u.0, UnitState { active: u.3, sub: u.4 })).collect())
    }

    /// Create and start a transient unit (with optional auxiliary units, e.g. the
    /// service a socket activates).
    pub(crate) async fn start_transient(
        &self,
        unit: &str,
        props: Vec<Prop>,
        aux: Vec<(String, Vec<Prop>)>,
    ) -> Result<(), RuntimeError> {
        tracing::info!(unit, "starting transient unit");
        let attempts = std::sync::atomic::AtomicUsize::new(0);
        let r = self
            .call(|bus| {
                attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // OwnedVariant is not Clone; a retry needs its own copy.
                let args = clone_props(&props).and_then(|p| Ok((p, clone_aux(&aux)?)));
                async move {
                    let (props, aux) = args?;
                    bus.manager
                        .start_transient_unit(unit.to_owned(), "replace".into(), props, aux)
                        .await
                }
            })
            .await;
        match r {
            Ok(_) => Ok(()),
            // Only after a retry: the first attempt got through before the bus broke.
            Err(e) if is_error(&e, UNIT_EXISTS) && attempts.into_inner() > 1 => Ok(()),
            Err(e) if is_error(&e, UNIT_EXISTS) => Err(RuntimeError::Systemd(format!(
                "starting {unit}: systemd says a unit of that name exists although none is loaded \
                 (a leftover transient unit file of an earlier service manager?): {e}"
            ))),
            Err(e) => Err(RuntimeError::Systemd(format!("starting {unit}: {e}"))),
        }
    }

    /// Wait until the unit's start job is done; return its state then.
    pub(crate) async fn wait_started(
        &self,
        unit: &str,
        timeout: Duration,
    ) -> Result<UnitState, RuntimeError> {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.has_job(unit).await? {
                let state = self.state(unit).await?.unwrap_or_else(|| UnitState {
                    active: "inactive".into(),
                    sub: "dead".into(),
                });
                return Ok(state);
            }
            if Instant::now() >= deadline {
                return Err(RuntimeError::Systemd(format!(
                    "{unit} did not finish starting within {}s",
                    timeout.as_secs()
                )));
            }
            sleep(POLL).await;
        }
    }

    /// Stop the units and wait until each is down or gone. `force` makes the stop job
    /// irreversible and, if that is not enough in time, kills the processes.
    pub(crate) async fn stop(
        &self,
        units: &[String],
        force: bool,
        timeout: Duration,
    ) -> Result<(), RuntimeError> {
        let mode = if force {
            "replace-irreversibly"
        } else {
            "replace"
        };
        let mut loaded = Vec::new();
        for unit in units {
            // StopUnit on an unknown name would load it (as "not-found") first.
            if self.state(unit).await?.is_some() {
                loaded.push(unit.clone());
            }
        }
        let units = loaded.as_slice();
        for unit in units {
            match self
                .call(|bus| async move { bus.manager.stop_unit(unit.clone(), mode.into()).await })
                .await
            {
                Ok(_) => tracing::info!(unit, "stopping unit"),
                Err(e) if is_no_such_unit(&e) => {}
                Err(e) => return Err(RuntimeError::Systemd(format!("stopping {unit}: {e}"))),
            }
        }
        let left = self.wait_down(units, timeout).await?;
        if left.is_empty() {
            return Ok(());
        }
        if !force {
            return Err(RuntimeError::Systemd(format!(
                "units did not stop within {}s: {}",
                timeout.as_secs(),
                left.join(", ")
            )));
        }
        for unit in &left {
            tracing::warn!(unit, "unit did not stop in time; killing it");
            let killed = self
                .call(|bus| async move {
                    bus.manager
                        .kill_unit(unit.clone(), "all".into(), libc::SIGKILL)
                        .await
                })
                .await;
            if let Err(e) = killed
                && !is_no_such_unit(&e)
            {
                return Err(RuntimeError::Systemd(format!("killing {unit}: {e}")));
            }
        }
        let left = self.wait_down(&left, Duration::from_secs(10)).await?;
        if left.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Systemd(format!(
                "units survived SIGKILL: {}",
                left.join(", ")
            )))
        }
    }

    /// Poll until every unit is down or gone; return those that are not by the deadline.
    async fn wait_down(
        &self,
        units: &[String],
        timeout: Duration,
    ) -> Result<Vec<String>, RuntimeError> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut left = Vec::new();
            for unit in units {
                if let Some(s) = self.state(unit).await?
                    && !s.is_down()
                {
                    left.push(unit.clone());
                }
            }
            if left.is_empty() || Instant::now() >= deadline {
                return Ok(left);
            }
            sleep(POLL).await;
        }
    }

    /// Clear the failed state so systemd garbage-collects the (transient) units.
    pub(crate) async fn reset_failed(&self, units: &[String]) {
        for unit in units {
            // Errors only mean there is nothing to reset (unit gone, or not failed).
            if let Err(e) = self
                .call(|bus| async move { bus.manager.reset_failed_unit(unit.clone()).await })
                .await
            {
                tracing::debug!(unit, error = %e, "reset-failed");
            }
        }
    }

    /// Wait until systemd has unloaded the units; return those still loaded.
    pub(crate) async fn wait_gone(
        &self,
        units: &[String],
        timeout: Duration,
    ) -> Result<Vec<String>, RuntimeError> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut left = Vec::new();
            for unit in units {
                if self.state(unit).await?.is_some() {
                    left.push(unit.clone());
                }
            }
            if left.is_empty() || Instant::now() >= deadline {
                return Ok(left);
            }
            sleep(POLL).await;
        }
    }

    /// Stop, reset and wait until the units are unloaded, so the same names can be
    /// created again as transient units.
    pub(crate) async fn remove(
        &self,
        units: &[String],
        force: bool,
        timeout: Duration,
    ) -> Result<(), RuntimeError> {
        if units.is_empty() {
            return Ok(());
        }
        self.stop(units, force, timeout).await?;
        self.reset_failed(units).await;
        let left = self.wait_gone(units, Duration::from_secs(10)).await?;
        if left.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Systemd(format!(
                "units are still loaded: {}",
                left.join(", ")
            )))
        }
    }
}
