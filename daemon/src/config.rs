//! Daemon settings from the command line (and environment).

use std::net::Ipv4Addr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuntimeKind {
    Systemd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SystemdScope {
    /// The system manager on the system bus.
    System,
    /// A user manager on the session bus at `$DBUS_SESSION_BUS_ADDRESS`.
    User,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "dogeboxd", version, about = "The Dogebox system manager daemon")]
pub struct Config {
    /// Where state (SQLite), pup sources, storage and logs live.
    #[arg(long, env = "DOGEBOXD_DATA_DIR", default_value = "/var/lib/dogebox")]
    pub data_dir: PathBuf,

    /// How pups run.
    #[arg(long, env = "DOGEBOXD_RUNTIME", value_enum, default_value = "systemd")]
    pub runtime: RuntimeKind,

    /// Which systemd manager runs the pups.
    #[arg(long, env = "DOGEBOXD_SYSTEMD_SCOPE", value_enum, default_value = "system")]
    pub systemd_scope: SystemdScope,

    /// Unix socket to bind when not started by socket activation.
    #[arg(long, env = "DOGEBOXD_SOCKET", default_value = "/run/dogebox/dogeboxd.sock")]
    pub socket: PathBuf,

    /// Exit after this many seconds with no job running and no client connected
    /// (0 = never). Socket activation starts the daemon again on the next connection.
    #[arg(long, env = "DOGEBOXD_IDLE_EXIT", default_value_t = 0)]
    pub idle_exit: u64,

    /// NIX_PATH for nix builds (for example `nixpkgs=/path/to/channel`).
    #[arg(long, env = "DOGEBOXD_NIX_PATH")]
    pub nix_path: Option<String>,

    /// An extra Nix setting for builds, as NAME=VALUE (repeatable), e.g.
    /// `substituters=` on a machine with no binary cache.
    #[arg(long = "nix-option", value_name = "NAME=VALUE", value_parser = parse_nix_option)]
    pub nix_options: Vec<(String, String)>,

    /// The system user web UI forwarders run as (each pup's services get a user of
    /// their own).
    #[arg(long, env = "DOGEBOXD_PUP_USER", default_value = "dogebox-pup")]
    pub pup_user: String,

    /// The pup network; the host takes its first address, pups the following ones.
    #[arg(long, env = "DOGEBOXD_NETWORK", default_value = "10.69.0.0/16", value_parser = parse_network)]
    pub network: Network,

    /// Seconds a pup's nix build may take before it is stopped.
    #[arg(long, env = "DOGEBOXD_BUILD_TIMEOUT", default_value_t = 1800)]
    pub build_timeout: u64,

    /// Seconds an install or start waits for every service to be running.
    #[arg(long, env = "DOGEBOXD_START_TIMEOUT", default_value_t = 60)]
    pub start_timeout: u64,

    /// Seconds an upgraded pup must stay running, every service active, before the
    /// upgrade counts as proven (otherwise it is rolled back).
    #[arg(long, env = "DOGEBOXD_UPGRADE_HEALTH_TIME", default_value_t = 30)]
    pub upgrade_health_time: u64,

    /// Seconds a git source's cached listing is used before the store lists it afresh.
    #[arg(long, env = "DOGEBOXD_SOURCE_MAX_AGE", default_value_t = 3600)]
    pub source_max_age: u64,

    /// Seconds a git command (listing tags, fetching, cloning) may take.
    #[arg(long, env = "DOGEBOXD_GIT_TIMEOUT", default_value_t = 300)]
    pub git_timeout: u64,

    /// Test hook: `upgrade:<step>` (or `upgrade:*`, every step) makes the daemon kill
    /// itself with SIGKILL when an upgrade or rollback reaches that step, once per
    /// data dir. Never set it on a real machine.
    #[arg(long, env = "DOGEBOXD_FAILPOINT", hide = true)]
    pub failpoint: Option<String>,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `dogeboxd=debug`.
    #[arg(long, env = "DOGEBOXD_LOG", default_value = "info")]
    pub log_level: String,
}

/// `<id>` for the first generation (the layout before upgrades existed), `<id>.<n>` after.
fn generation_name(id: &str, generation: u64) -> String {
    if generation == 0 { id.to_string() } else { format!("{id}.{generation}") }
}

/// An IPv4 network such as `10.69.0.0/16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub base: Ipv4Addr,
    pub prefix: u8,
}

impl Network {
    /// The host's own address on the pup network: the first one.
    pub fn host_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base) + 1)
    }

    /// Addresses pups may take, in order.
    pub fn pup_ips(&self) -> impl Iterator<Item = Ipv4Addr> {
        let base = u32::from(self.base);
        let size = 1u64 << (32 - u32::from(self.prefix));
        // Skip network, host, and broadcast addresses.
        (2..size.saturating_sub(1)).map(move |i| Ipv4Addr::from(base + i as u32))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
        u32::from(ip) & mask == u32::from(self.base)
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

pub fn parse_nix_option(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("nix option {s:?} must be written NAME=VALUE (VALUE may be empty)"))?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(format!("nix option name {name:?} may only contain letters, digits, '-' and '_'"));
    }
    Ok((name.to_string(), value.to_string()))
}

pub fn parse_network(s: &str) -> Result<Network, String> {
    let (addr, prefix) = s
        .split_once('/')
        .ok_or_else(|| format!("network {s:?} must be written ADDRESS/PREFIX, e.g. 10.69.0.0/16"))?;
    let base: Ipv4Addr = addr.parse().map_err(|_| format!("network address {addr:?} is not an IPv4 address"))?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| (8..=29).contains(p))
        .ok_or_else(|| format!("network prefix {prefix:?} must be a number from 8 to 29"))?;
    let mask = u32::MAX << (32 - u32::from(prefix));
    if u32::from(base) & !mask != 0 {
        return Err(format!("network {s} has host bits set; use {}/{prefix}", Ipv4Addr::from(u32::from(base) & mask)));
    }
    Ok(Network { base, prefix })
}

impl Config {
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("dogebox.db")
    }
    /// The unpacked source of each pup: `<data>/pups/<id>`.
    /// The unpacked source of a pup's first generation.
    pub fn pup_dir(&self, id: &str) -> PathBuf {
        self.pup_dir_at(id, 0)
    }
    /// The unpacked source of one generation: every upgrade makes a new generation
    /// beside the running one, so the old one stays whole until the new one is proven.
    pub fn pup_dir_at(&self, id: &str, generation: u64) -> PathBuf {
        self.data_dir.join("pups").join(generation_name(id, generation))
    }
    /// Build results (nix out-links, GC roots) of one generation.
    pub fn build_dir_at(&self, id: &str, generation: u64) -> PathBuf {
        self.data_dir.join("builds").join(generation_name(id, generation))
    }
    /// Where the storage snapshots taken before upgrades are kept, one per generation
    /// they were taken from.
    pub fn snapshot_dir(&self, id: &str, generation: u64) -> PathBuf {
        self.data_dir.join("snapshots").join(id).join(generation.to_string())
    }
    pub fn snapshots_of(&self, id: &str) -> PathBuf {
        self.data_dir.join("snapshots").join(id)
    }
    /// Bare git repositories caching what git sources hold (one per source id).
    pub fn git_cache_dir(&self, source_id: &str) -> PathBuf {
        self.data_dir.join("git").join(format!("{source_id}.git"))
    }
    pub fn storage_dir(&self, id: &str) -> PathBuf {
        self.data_dir.join("pups").join("storage").join(id)
    }
    /// A pup's config for its services' environment (root-owned, outside its storage).
    pub fn config_env(&self, id: &str) -> PathBuf {
        self.data_dir.join("pups").join("config").join(format!("{id}.env"))
    }
    pub fn build_dir(&self, id: &str) -> PathBuf {
        self.build_dir_at(id, 0)
    }
    pub fn log_file(&self, id: &str) -> PathBuf {
        self.data_dir.join("logs").join(format!("pup-{id}.log"))
    }
    /// Scratch space on the same file system as the data, so renames are atomic.
    pub fn tmp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_parsing_and_addresses() {
        let n = parse_network("10.69.0.0/16").unwrap();
        assert_eq!(n.host_ip(), Ipv4Addr::new(10, 69, 0, 1));
        let mut ips = n.pup_ips();
        assert_eq!(ips.next(), Some(Ipv4Addr::new(10, 69, 0, 2)));
        assert!(n.contains(Ipv4Addr::new(10, 69, 255, 3)));
        assert!(!n.contains(Ipv4Addr::new(10, 70, 0, 3)));
        let small = parse_network("10.69.7.0/29").unwrap();
        assert_eq!(small.pup_ips().count(), 5);
        assert!(parse_network("10.69.0.1/16").unwrap_err().contains("host bits"));
        assert!(parse_network("10.69.0.0").is_err());
        assert!(parse_network("10.69.0.0/31").is_err());
    }

    #[test]
    fn nix_options_parse() {
        assert_eq!(parse_nix_option("substituters=").unwrap(), ("substituters".into(), String::new()));
        assert_eq!(parse_nix_option("cores=2").unwrap(), ("cores".into(), "2".into()));
        assert!(parse_nix_option("substituters").is_err());
        assert!(parse_nix_option("a b=c").is_err());
    }
}
