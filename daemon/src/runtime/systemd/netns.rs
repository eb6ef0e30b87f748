//! The pup's network: its own namespace (`/run/netns/<name>`) joined to the host by a
//! veth pair, with /32 addresses and routes on both ends.
//!
//! Driven through iproute2's `ip` with argv (no shell). Each step checks the current
//! state or uses an idempotent verb (`replace`), so re-running after a crash finishes
//! the job. The namespace must be created inside the service manager's mount
//! namespace, or `NetworkNamespacePath=` sees only an empty file (DESIGN.md).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use super::names;
use crate::runtime::RuntimeError;

const NETNS_DIR: &str = "/run/netns";

pub(crate) struct Network {
    pub(crate) ip: PathBuf,
}

/// What the caller needs to know about one pup's network.
pub(crate) struct PupNet<'a> {
    pub(crate) id: &'a str,
    pub(crate) ip: Ipv4Addr,
    pub(crate) host_ip: Ipv4Addr,
}

struct Out {
    ok: bool,
    stderr: String,
}

pub(crate) fn netns_path(id: &str) -> PathBuf {
    Path::new(NETNS_DIR).join(names::netns(id))
}

impl Network {
    async fn run(&self, pup: &str, args: &[&str]) -> Result<Out, RuntimeError> {
        tracing::debug!(?args, "ip");
        let out = Command::new(&self.ip)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| RuntimeError::Network {
                pup: pup.to_owned(),
                message: format!("cannot run {}: {e}", self.ip.display()),
            })?;
        Ok(Out {
            ok: out.status.success(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }

    /// Run a step that must succeed.
    async fn must(&self, pup: &str, args: &[&str]) -> Result<(), RuntimeError> {
        let out = self.run(pup, args).await?;
        if out.ok {
            Ok(())
        } else {
            Err(RuntimeError::Network {
                pup: pup.to_owned(),
                message: format!("ip {}: {}", args.join(" "), out.stderr),
            })
        }
    }

    /// Whether the namespace file is a live namespace (not a stale or foreign file).
    async fn netns_alive(&self, pup: &str, ns: &str) -> Result<bool, RuntimeError> {
        Ok(self.run(pup, &["-n", ns, "link", "show", "lo"]).await?.ok)
    }

    async fn link_exists(
        &self,
        pup: &str,
        ns: Option<&str>,
        dev: &str,
    ) -> Result<bool, RuntimeError> {
        let out = match ns {
            Some(ns) => {
                self.run(pup, &["-n", ns, "link", "show", "dev", dev])
                    .await?
            }
            None => self.run(pup, &["link", "show", "dev", dev]).await?,
        };
        Ok(out.ok)
    }

    pub(crate) async fn create(&self, net: &PupNet<'_>) -> Result<(), RuntimeError> {
        let id = net.id;
        let ns = names::netns(id);
        let host = names::host_iface(id);
        let pup_cidr = format!("{}/32", net.ip);
        let host_cidr = format!("{}/32", net.host_ip);
        let pup_ip = net.ip.to_string();
        let host_ip = net.host_ip.to_string();

        self.ensure_netns(id, &ns).await?;

        // A veth pair only exists as a pair: if either end is missing, start over.
        let host_ok = self.link_exists(id, None, &host).await?;
        let peer_ok = self.link_exists(id, Some(&ns), names::PUP_IFACE).await?;
        if !(host_ok && peer_ok) {
            if host_ok {
                self.must(id, &["link", "del", "dev", &host]).await?;
            }
            if peer_ok {
                self.must(id, &["-n", &ns, "link", "del", "dev", names::PUP_IFACE])
                    .await?;
            }
            // The peer is created directly inside the namespace: no temporary host name.
            self.must(
                id,
                &[
                    "link",
                    "add",
                    &host,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    names::PUP_IFACE,
                    "netns",
                    &ns,
                ],
            )
            .await?;
        }

        // Host side: its gateway address and a /32 route to the pup.
        self.must(id, &["addr", "replace", &host_cidr, "dev", &host])
            .await?;
        self.must(id, &["link", "set", "dev", &host, "up"]).await?;
        self.must(
            id,
            &["route", "replace", &pup_cidr, "dev", &host, "src", &host_ip],
        )
        .await?;

        // Pup side: loopback, its address, the host as on-link gateway.
        self.must(id, &["-n", &ns, "link", "set", "dev", "lo", "up"])
            .await?;
        self.must(
            id,
            &[
                "-n",
                &ns,
                "addr",
                "replace",
                &pup_cidr,
                "dev",
                names::PUP_IFACE,
            ],
        )
        .await?;
        self.must(
            id,
            &["-n", &ns, "link", "set", "dev", names::PUP_IFACE, "up"],
        )
        .await?;
        self.must(
            id,
            &[
                "-n",
                &ns,
                "route",
                "replace",
                &host_cidr,
                "dev",
                names::PUP_IFACE,
                "src",
                &pup_ip,
            ],
        )
        .await?;
        self.must(
            id,
            &[
                "-n",
                &ns,
                "route",
                "replace",
                "default",
                "via",
                &host_ip,
                "dev",
                names::PUP_IFACE,
            ],
        )
        .await?;
        tracing::info!(pup = id, %net.ip, netns = %ns, veth = %host, "pup network ready");
        Ok(())
    }

    async fn ensure_netns(&self, id: &str, ns: &str) -> Result<(), RuntimeError> {
        if netns_path(id).exists() {
            if self.netns_alive(id, ns).await? {
                return Ok(());
            }
            // A leftover file (crash, or made from another mount namespace): replace it.
            tracing::warn!(
                pup = id,
                netns = ns,
                "stale network namespace file; recreating"
            );
            self.delete_netns(id, ns).await?;
        }
        let out = self.run(id, &["netns", "add", ns]).await?;
        // Another caller may have won the race; what matters is that it is alive now.
        if out.ok || self.netns_alive(id, ns).await? {
            Ok(())
        } else {
            Err(RuntimeError::Network {
                pup: id.to_owned(),
                message: format!("ip netns add {ns}: {}", out.stderr),
            })
        }
    }

    async fn delete_netns(&self, id: &str, ns: &str) -> Result<(), RuntimeError> {
        let out = self.run(id, &["netns", "delete", ns]).await?;
        if out.ok || !netns_path(id).exists() {
            return Ok(());
        }
        // `ip netns delete` refuses a file that is not a mount point; remove it directly.
        match tokio::fs::remove_file(netns_path(id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RuntimeError::Network {
                pup: id.to_owned(),
                message: format!(
                    "ip netns delete {ns}: {}; removing the file: {e}",
                    out.stderr
                ),
            }),
        }
    }

    /// Remove the veth pair and the namespace; fine when they are already gone.
    pub(crate) async fn destroy(&self, id: &str) -> Result<(), RuntimeError> {
        let ns = names::netns(id);
        let host = names::host_iface(id);
        if self.link_exists(id, None, &host).await? {
            self.must(id, &["link", "del", "dev", &host]).await?;
        }
        if netns_path(id).exists() {
            self.delete_netns(id, &ns).await?;
        }
        Ok(())
    }

    /// For `start`: a unit with a missing namespace fails with an obscure exit code.
    pub(crate) async fn check_ready(&self, id: &str) -> Result<(), RuntimeError> {
        let ns = names::netns(id);
        if netns_path(id).exists() && self.netns_alive(id, &ns).await? {
            Ok(())
        } else {
            Err(RuntimeError::Network {
                pup: id.to_owned(),
                message: format!(
                    "network namespace {} is missing; create the pup's network first",
                    netns_path(id).display()
                ),
            })
        }
    }
}
