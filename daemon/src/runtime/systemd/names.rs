//! Every name the systemd runtime derives from a pup: unit names, the network
//! namespace, interface names, build links. Kept in one place so `start`, `stop` and
//! `destroy` (possibly in a restarted daemon) always agree.

use sha2::{Digest, Sha256};

use crate::runtime::RuntimeError;

/// Prefix shared by every unit, namespace and interface this runtime creates.
pub(crate) const PREFIX: &str = "dbx";

/// The interface name of the pup's end of the veth pair, inside its namespace.
pub(crate) const PUP_IFACE: &str = "eth0";

/// Linux interface names hold at most 15 bytes (IFNAMSIZ minus the NUL).
const IFNAME_MAX: usize = 15;

/// Ids go into unit names, paths and interface names: refuse anything that is not
/// exactly 32 lowercase hex characters, even though the core validates them too.
pub(crate) fn check_id(id: &str) -> Result<(), RuntimeError> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(RuntimeError::Systemd(format!(
            "invalid pup id {id:?}: expected 32 lowercase hex characters"
        )))
    }
}

fn hash_hex(s: &str, len: usize) -> String {
    let mut h = hex::encode(Sha256::digest(s.as_bytes()));
    h.truncate(len);
    h
}

/// Whether `name` matches the manifest rule `[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`.
fn is_valid_service_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphanumeric() => {}
        _ => return false,
    }
    name.len() <= 64 && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A form of a service name that is safe in unit and file names. Valid names are kept
/// as they are (readable units); anything else is sanitised and suffixed with a hash,
/// and starts with `_`, which a valid name never does, so the two can never collide.
pub(crate) fn safe_service_name(name: &str) -> String {
    if is_valid_service_name(name) {
        return name.to_owned();
    }
    let cleaned: String = name
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("_{cleaned}-{}", hash_hex(name, 8))
}

/// Glob matching every unit of the pup (services, web UI sockets and proxies).
pub(crate) fn unit_pattern(id: &str) -> String {
    format!("{PREFIX}-{id}-*")
}

/// Glob matching the pup's build units only.
pub(crate) fn build_pattern(id: &str) -> String {
    format!("{PREFIX}-{id}-build-*")
}

/// `dbx-<id>-svc-<service>.service`
pub(crate) fn service_unit(id: &str, service: &str) -> String {
    format!("{PREFIX}-{id}-svc-{}.service", safe_service_name(service))
}

/// `dbx-<id>-build-<service>.service`: the transient unit running that service's
/// nix-build.
pub(crate) fn build_unit(id: &str, service: &str) -> String {
    format!("{PREFIX}-{id}-build-{}.service", safe_service_name(service))
}

/// `dbx-<id>-web-<host port>`, without suffix: the `.socket` and its `.service`
/// (systemd pairs them by this shared name).
pub(crate) fn web_unit_base(id: &str, host_port: u16) -> String {
    format!("{PREFIX}-{id}-web-{host_port}")
}

/// The name under `/run/netns`.
pub(crate) fn netns(id: &str) -> String {
    format!("{PREFIX}-{id}")
}

/// The host end of the veth pair. Hashing the id (instead of taking its first
/// characters) keeps ids that share a prefix apart.
pub(crate) fn host_iface(id: &str) -> String {
    let name = format!("{PREFIX}{}", hash_hex(id, IFNAME_MAX - PREFIX.len()));
    debug_assert!(name.len() <= IFNAME_MAX);
    name
}

/// The out-link of a service's build under the pup's `build_dir`.
pub(crate) fn build_link(service: &str) -> String {
    format!("svc-{}", safe_service_name(service))
}

/// The log of a service's last build under the pup's `build_dir`.
pub(crate) fn build_log(service: &str) -> String {
    format!("build-{}.log", safe_service_name(service))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn ids_are_checked() {
        assert!(check_id(ID).is_ok());
        assert!(check_id("0123456789ABCDEF0123456789abcdef").is_err());
        assert!(check_id("../../etc").is_err());
        assert!(check_id("").is_err());
    }

    #[test]
    fn valid_service_names_are_kept() {
        assert_eq!(safe_service_name("web"), "web");
        assert_eq!(safe_service_name("my_svc.v2-x"), "my_svc.v2-x");
        assert_eq!(service_unit(ID, "web"), format!("dbx-{ID}-svc-web.service"));
    }

    #[test]
    fn odd_service_names_are_sanitised_and_distinct() {
        let a = safe_service_name("../etc/passwd");
        let b = safe_service_name("__etc_passwd");
        assert!(a.starts_with('_'));
        assert!(!a.contains('/') && !a.contains(".."));
        assert_ne!(a, b);
        assert_ne!(safe_service_name("a b"), safe_service_name("a_b"));
        let long = "x".repeat(300);
        assert!(safe_service_name(&long).len() < 64);
    }

    #[test]
    fn interface_names_fit_ifnamsiz() {
        let h = host_iface(ID);
        assert_eq!(h.len(), 15);
        assert_ne!(h, host_iface("0123456789abcdef0123456789abcdee"));
    }
}
