//! Handing out pup addresses and web UI host ports.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use crate::config::Network;
use crate::pups::record::PupRecord;

/// Host ports for web UIs start here (as in dogeboxd).
pub const FIRST_WEB_UI_PORT: u16 = 10000;

/// The lowest address of the network that no pup record holds.
pub fn next_ip(network: &Network, pups: &[PupRecord]) -> Option<Ipv4Addr> {
    let used: HashSet<Ipv4Addr> = pups.iter().map(|p| p.ip).collect();
    network.pup_ips().find(|ip| !used.contains(ip))
}

/// Every host port a pup may publish: its current web UIs, and those of a generation
/// it may go back to (kept for rollback, or the two sides of an upgrade).
fn held_ports(p: &PupRecord) -> impl Iterator<Item = u16> + '_ {
    let kept = p.previous.iter().flat_map(|k| k.generation.web_uis.iter());
    let upgrading = p.upgrade.iter().flat_map(|u| u.from.web_uis.iter().chain(u.to.web_uis.iter()));
    p.web_uis.iter().chain(kept).chain(upgrading).map(|w| w.port)
}

/// `count` host ports ≥ 10000 that no pup holds and that can be bound right now.
pub fn free_ports(pups: &[PupRecord], count: usize) -> Option<Vec<u16>> {
    let used: HashSet<u16> = pups.iter().flat_map(held_ports).collect();
    let mut found = Vec::with_capacity(count);
    for port in FIRST_WEB_UI_PORT..=u16::MAX {
        if found.len() == count {
            break;
        }
        if used.contains(&port) {
            continue;
        }
        // A port we cannot bind now would fail when systemd listens on it.
        if std::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok() {
            found.push(port);
        }
    }
    (found.len() == count).then_some(found)
}

/// The web UIs of a pup's next version: a web UI whose name the pup already
/// publishes keeps its host port (bookmarks keep working); new ones get free ports.
/// `all` holds every pup record, this pup's included.
pub fn web_uis_for_upgrade(
    all: &[PupRecord],
    own: &PupRecord,
    exposes: &[&dogebox_shared::manifest::Expose],
) -> Option<Vec<dogebox_shared::wire::WebUi>> {
    let kept = |name: &str| own.web_uis.iter().find(|w| w.name == name).map(|w| w.port);
    let missing = exposes.iter().filter(|e| kept(e.name()).is_none()).count();
    let mut fresh = free_ports(all, missing)?.into_iter();
    exposes
        .iter()
        .map(|e| {
            let port = kept(e.name()).or_else(|| fresh.next())?;
            Some(dogebox_shared::wire::WebUi { name: e.name().to_string(), port, internal: e.port() })
        })
        .collect()
}
