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

/// `count` host ports ≥ 10000 that no pup holds and that can be bound right now.
pub fn free_ports(pups: &[PupRecord], count: usize) -> Option<Vec<u16>> {
    let used: HashSet<u16> = pups.iter().flat_map(|p| p.web_uis.iter().map(|w| w.port)).collect();
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
