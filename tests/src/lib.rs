//! Harness for the integration tests in `tests/`: they drive the real `dogebox` and
//! `dogeboxd` binaries against a real systemd user manager, real `nix-build` and real
//! network namespaces, and assert only what a user sees (CLI output, exit codes, HTTP).
//!
//! Run them through `dev/test`: it builds the binaries and starts a private systemd
//! user manager (`dev/with-systemd`). Outside of it every integration test fails with a
//! message saying so; none is skipped.
//!
//! The pieces:
//! - [`Daemon`]: one `dogeboxd` per test, started by real socket activation
//!   (`dbxt-<n>.socket` + `dbxt-<n>.service` in `$XDG_CONFIG_HOME/systemd/user`), with its
//!   own data dir, socket and pup network `10.69.<n>.0/24`. Dropping it uninstalls what is
//!   left and removes the units.
//! - [`Daemon::cli`] runs the real CLI against that daemon and returns an [`Out`].
//! - [`Source`] and [`TestPup`] write a disk source on the fly (correct hash, wrong hash,
//!   failing build, slow build, HTTP server on a chosen port).
//! - [`wait_until`] / [`wait_for`]: bounded polling instead of sleeps.
//! - [`http_get`]: a tiny HTTP/1.0 GET over TCP.

#![allow(clippy::unwrap_used)]

pub mod corpus;

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The system user pups run as; `dev/test` and `.ci/run` create it.
pub const PUP_USER: &str = "dogebox-pup";

/// Default limit for one CLI call (an install includes a nix build).
pub const CLI_TIMEOUT: Duration = Duration::from_secs(240);

/// How long a pup's service may take to answer once the CLI says it runs.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------
// Binaries and environment
// ---------------------------------------------------------------------------------

/// The folder holding the built `dogebox` and `dogeboxd` binaries: the cargo profile
/// folder this test binary lives in (`target/<profile>/deps/<test>` → `target/<profile>`),
/// else `$CARGO_TARGET_DIR/<profile>`, else `<workspace>/target/debug`.
/// Panics with "run cargo build --workspace --bins first" when they are missing.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let mut candidates = Vec::new();
        if let Ok(dir) = std::env::var("DOGEBOX_BIN_DIR") {
            candidates.push(PathBuf::from(dir));
        }
        let exe = std::env::current_exe().unwrap_or_default();
        // target/<profile>/deps/<test-binary>: the profile folder is two levels up.
        for anc in exe.ancestors().skip(1).take(3) {
            candidates.push(anc.to_path_buf());
        }
        let profile = exe
            .ancestors()
            .nth(2)
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "debug".into());
        if let Ok(target) = std::env::var("CARGO_TARGET_DIR") {
            candidates.push(Path::new(&target).join(&profile));
            candidates.push(Path::new(&target).join("debug"));
        }
        candidates.push(workspace_dir().join("target").join(&profile));
        candidates.push(workspace_dir().join("target/debug"));
        for dir in &candidates {
            if dir.join("dogebox").is_file() && dir.join("dogeboxd").is_file() {
                return dir.clone();
            }
        }
        panic!(
            "the dogebox and dogeboxd binaries were not found (looked in {}): \
             run cargo build --workspace --bins first (dev/test does)",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    })
}

/// Path of the built `dogebox` CLI.
pub fn dogebox_bin() -> PathBuf {
    bin_dir().join("dogebox")
}

/// Path of the built `dogeboxd` daemon.
pub fn dogeboxd_bin() -> PathBuf {
    bin_dir().join("dogeboxd")
}

/// The workspace root (parent of this crate).
pub fn workspace_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The example source shipped in `examples/`.
pub fn examples_dir() -> PathBuf {
    let dir = workspace_dir().join("examples");
    dir.canonicalize().unwrap_or(dir)
}

/// Checks that the tests run where they can work: root, a systemd user manager on
/// `$DBUS_SESSION_BUS_ADDRESS`, `nix-build`, `ip`, the pup user and the binaries.
/// Panics with a message naming what is missing and saying to use `dev/test`.
pub fn require_env() {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = RESULT.get_or_init(|| {
        let mut missing = Vec::new();
        match fs::metadata("/proc/self") {
            Ok(m) if m.uid() == 0 => {}
            _ => missing.push("root (the daemon creates network namespaces)".to_string()),
        }
        for var in [
            "DBUS_SESSION_BUS_ADDRESS",
            "XDG_RUNTIME_DIR",
            "XDG_CONFIG_HOME",
        ] {
            if std::env::var_os(var).is_none_or(|v| v.is_empty()) {
                missing.push(format!("${var} (set by dev/with-systemd)"));
            }
        }
        if missing.is_empty() {
            let state = systemctl(&["is-system-running"]);
            let s = state.stdout.trim();
            if !matches!(s, "running" | "degraded" | "starting") {
                missing.push(format!(
                    "a systemd user manager answering `systemctl --user` (it said {s:?} {})",
                    state.stderr.trim()
                ));
            }
        }
        if !command_works("nix-build", &["--version"]) {
            missing.push("nix-build (apt-get install nix-bin)".into());
        }
        if !command_works("ip", &["-V"]) {
            missing.push("ip (apt-get install iproute2)".into());
        }
        if !Path::new("/usr/bin/python3").exists() {
            missing.push("/usr/bin/python3 (the test pups serve HTTP with it)".into());
        }
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        if !passwd
            .lines()
            .any(|l| l.split(':').next() == Some(PUP_USER))
        {
            missing.push(format!(
                "the system user {PUP_USER} (useradd --system --no-create-home \
                 --shell /usr/sbin/nologin {PUP_USER})"
            ));
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing.join("; "))
        }
    });
    if let Err(missing) = result {
        panic!(
            "the integration tests need a prepared machine; missing: {missing}. \
             Run them through dev/test (as root: `bash dev/test`), which starts a private \
             systemd user manager; .ci/run also installs the packages."
        );
    }
    // Resolve the binaries now so a missing build fails here with its own message.
    let _ = bin_dir();
}

fn command_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------
// Running programs
// ---------------------------------------------------------------------------------

/// What a finished program printed and how it exited.
#[derive(Clone)]
pub struct Out {
    /// The command line, for messages.
    pub cmdline: String,
    /// Exit code; `None` if killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics (showing the output) unless the exit code is 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(self.success(), "expected success from {self}");
        self
    }

    /// Panics (showing the output) unless the exit code is `code`.
    #[track_caller]
    pub fn code_is(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "unexpected exit code from {self}");
        self
    }

    /// stdout parsed as JSON; panics (showing the output) if it is not JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}) from {self}"))
    }

    /// stdout and stderr together, for "the message names X" checks.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` (exit {:?})\n--- stdout ---\n{}\n--- stderr ---\n{}\n---",
            self.cmdline,
            self.code,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Runs `cmd` to the end with stdin closed, killing it after `timeout`
/// (a hung program fails the test instead of hanging it).
pub fn run(cmd: &mut Command, timeout: Duration) -> Out {
    let cmdline = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            return Out {
                cmdline,
                code: Some(127),
                stdout: String::new(),
                stderr: e.to_string(),
            };
        }
    };
    let reader = |r: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out_t = reader(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err_t = reader(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let mut stderr = err_t.join().unwrap_or_default();
    if timed_out {
        stderr.push_str(&format!("\n[harness: killed after {timeout:?}]"));
    }
    Out {
        cmdline,
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        stdout,
        stderr,
    }
}

/// `systemctl --user ARGS…` (observing units from tests is allowed; only the daemon
/// must use D-Bus).
pub fn systemctl(args: &[&str]) -> Out {
    run(
        Command::new("systemctl").arg("--user").args(args),
        Duration::from_secs(60),
    )
}

/// Any program, with the default timeout of one minute.
pub fn sh(program: &str, args: &[&str]) -> Out {
    run(Command::new(program).args(args), Duration::from_secs(60))
}

// ---------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------

/// Polls `cond` (every 100 ms) until it is true; panics naming `what` after `timeout`.
#[track_caller]
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    wait_for(timeout, what, || cond().then_some(()))
}

/// Polls `f` (every 100 ms) until it returns `Some`; panics naming `what` after `timeout`.
#[track_caller]
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() >= timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Like [`wait_for`] but returns `None` at the timeout instead of panicking.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= timeout {
            return None;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

// ---------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------

/// An HTTP answer: status code and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// `GET http://<addr><path>` with HTTP/1.0 and 5-second timeouts. `addr` is
/// `host:port`. Connection errors come back as `Err`.
pub fn http_get(addr: &str, path: &str) -> io::Result<HttpResponse> {
    let sa: SocketAddr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
    let t = Duration::from_secs(5);
    let mut s = TcpStream::connect_timeout(&sa, t)?;
    s.set_read_timeout(Some(t))?;
    s.set_write_timeout(Some(t))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: dogebox-tests\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not an HTTP answer: {head:?}"),
            )
        })?;
    Ok(HttpResponse {
        status,
        body: body.to_string(),
    })
}

/// Whether `GET /` on `addr` answers 200 now.
pub fn answers_200(addr: &str) -> bool {
    matches!(http_get(addr, "/"), Ok(r) if r.status == 200)
}

/// Waits until `GET /` on `addr` answers 200 and returns the body.
#[track_caller]
pub fn wait_for_page(addr: &str) -> String {
    let mut last = String::new();
    let r = poll(ANSWER_TIMEOUT, || match http_get(addr, "/") {
        Ok(r) if r.status == 200 => Some(r.body),
        Ok(r) => {
            last = format!("HTTP {}", r.status);
            None
        }
        Err(e) => {
            last = e.to_string();
            None
        }
    });
    r.unwrap_or_else(|| {
        panic!("http://{addr}/ did not answer 200 within {ANSWER_TIMEOUT:?} (last: {last})")
    })
}

// ---------------------------------------------------------------------------------
// The daemon fixture
// ---------------------------------------------------------------------------------

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, unique token (pid, time and a counter), for names and nonces.
pub fn unique_token() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{}-{}", std::process::id(), n, t % 1_000_000_000)
}

/// Where tests keep their data dirs and sources: `$DOGEBOX_TEST_TMP`, else
/// `/var/lib/dogebox-tests` (not /tmp: pups' units may use PrivateTmp).
pub fn test_root() -> PathBuf {
    let root = std::env::var_os("DOGEBOX_TEST_TMP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/dogebox-tests"));
    fs::create_dir_all(&root).unwrap_or_else(|e| panic!("creating {}: {e}", root.display()));
    root
}

pub(crate) fn tempdir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(test_root())
        .unwrap_or_else(|e| panic!("creating a temp dir: {e}"));
    // Readable by the pup user (sources are copied by the daemon, but keep it simple).
    let _ = fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755));
    dir
}

/// Machine-wide, not per user manager: two test runs side by side (each with its own
/// manager) share the cgroup tree and the host's network.
fn slot_dir() -> PathBuf {
    std::env::var_os("DOGEBOX_TEST_SLOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/dbxt-slots"))
}

/// A slot 1..=254, unique among the daemons of every test process on the machine: a
/// lock file `/run/dbxt-slots/<n>` holding the owner's pid
/// (reclaimed when that process is gone). The slot gives the unit names `dbxt-<n>` and
/// the pup network `10.69.<n>.0/24`.
fn claim_slot() -> u32 {
    let dir = slot_dir();
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    static LOCAL: Mutex<()> = Mutex::new(());
    let _guard = LOCAL.lock().unwrap_or_else(|e| e.into_inner());
    let me = std::process::id();
    for _round in 0..2 {
        for n in 1..=254u32 {
            let path = dir.join(n.to_string());
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = write!(f, "{me}");
                    return n;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let owner: Option<u32> = fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse().ok());
                    match owner {
                        Some(pid) if pid != me && !Path::new(&format!("/proc/{pid}")).exists() => {
                            let _ = fs::remove_file(&path);
                        }
                        _ => {}
                    }
                }
                Err(e) => panic!("claiming test slot {}: {e}", path.display()),
            }
        }
    }
    panic!(
        "no free test slot in {} (254 daemons at once?)",
        dir.display()
    );
}

/// Options for [`Daemon::start_with`].
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// `--idle-exit SECS`; `None` passes no flag.
    pub idle_exit: Option<u64>,
    /// Extra daemon arguments.
    pub extra_args: Vec<String>,
    /// Replaces the whole `ExecStart=` command (only to check the harness itself with a
    /// stand-in program).
    pub exec_override: Option<Vec<String>>,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        // Long enough not to exit in the middle of a test step, short enough that a
        // daemon left behind by a crashed test goes away.
        DaemonOptions {
            idle_exit: Some(300),
            extra_args: Vec::new(),
            exec_override: None,
        }
    }
}

/// One `dogeboxd` started through real socket activation in the user manager, with its
/// own data dir, socket and pup network. Drop stops and removes everything.
pub struct Daemon {
    /// Slot number: units `dbxt-<n>.{socket,service}`, network `10.69.<n>.0/24`.
    pub n: u32,
    dir: Option<tempfile::TempDir>,
    root: PathBuf,
    pub data_dir: PathBuf,
    pub socket: PathBuf,
    /// The daemon's stdout and stderr.
    pub log_file: PathBuf,
    /// `10.69.<n>.0/24`.
    pub network: String,
    unit_dir: PathBuf,
    /// Pup ids seen through this fixture, for cleanup.
    seen_pups: Mutex<BTreeSet<String>>,
}

impl Daemon {
    /// A daemon with the default options.
    pub fn start() -> Daemon {
        Daemon::start_with(DaemonOptions::default())
    }

    /// A daemon with `--idle-exit secs`.
    pub fn with_idle_exit(secs: u64) -> Daemon {
        Daemon::start_with(DaemonOptions {
            idle_exit: Some(secs),
            ..Default::default()
        })
    }

    pub fn start_with(opts: DaemonOptions) -> Daemon {
        require_env();
        let n = claim_slot();
        let dir = tempdir(&format!("dbxt-{n}-"));
        let root = dir.path().to_path_buf();
        let data_dir = root.join("data");
        fs::create_dir_all(&data_dir).unwrap();
        let socket = root.join("dogeboxd.sock");
        let log_file = root.join("dogeboxd.log");
        let network = format!("10.69.{n}.0/24");
        let unit_dir =
            PathBuf::from(std::env::var_os("XDG_CONFIG_HOME").unwrap()).join("systemd/user");
        fs::create_dir_all(&unit_dir).unwrap();

        let d = Daemon {
            n,
            dir: Some(dir),
            root,
            data_dir,
            socket,
            log_file,
            network,
            unit_dir,
            seen_pups: Mutex::new(BTreeSet::new()),
        };
        // A test process killed earlier may have left units under this slot.
        d.remove_units();

        let exec: Vec<String> = match &opts.exec_override {
            Some(cmd) => cmd.clone(),
            None => {
                let mut v: Vec<String> = vec![
                    dogeboxd_bin().display().to_string(),
                    "--data-dir".into(),
                    d.data_dir.display().to_string(),
                    "--runtime".into(),
                    "systemd".into(),
                    "--systemd-scope".into(),
                    "user".into(),
                    "--socket".into(),
                    d.socket.display().to_string(),
                    "--network".into(),
                    d.network.clone(),
                    "--pup-user".into(),
                    PUP_USER.into(),
                    "--log-level".into(),
                    "debug".into(),
                    // No binary cache is reachable here; asking one costs seconds a build.
                    "--nix-option".into(),
                    "substituters=".into(),
                ];
                if let Some(s) = opts.idle_exit {
                    v.push("--idle-exit".into());
                    v.push(s.to_string());
                }
                v.extend(opts.extra_args.iter().cloned());
                v
            }
        };
        let socket_unit = format!(
            "[Unit]\nDescription=dogeboxd test socket (slot {n})\n\n\
             [Socket]\nListenStream={}\nSocketMode=0600\nRemoveOnStop=yes\n",
            unit_escape(&d.socket.display().to_string())
        );
        let service_unit = format!(
            "[Unit]\nDescription=dogeboxd test daemon (slot {n})\n\
             Requires={sock}\nAfter={sock}\n\
             # Crash tests kill the daemon many times in a row.\n\
             StartLimitIntervalSec=0\n\n\
             [Service]\nType=notify\nKillMode=mixed\nExecStart={exec}\n\
             # The user manager's environment.d sets NIX_REMOTE=daemon, but no nix-daemon\n\
             # runs here: let nix pick the local store.\n\
             UnsetEnvironment=NIX_REMOTE\n\
             Environment=RUST_BACKTRACE=1\n\
             StandardOutput=append:{log}\nStandardError=inherit\n",
            sock = d.socket_unit(),
            exec = exec
                .iter()
                .map(|a| exec_quote(a))
                .collect::<Vec<_>>()
                .join(" "),
            log = unit_escape(&d.log_file.display().to_string()),
        );
        fs::write(d.unit_dir.join(d.socket_unit()), socket_unit).unwrap();
        fs::write(d.unit_dir.join(d.service_unit()), service_unit).unwrap();
        systemctl(&["daemon-reload"]).ok();
        systemctl(&["start", &d.socket_unit()]).ok();
        wait_until(secs(10), "the test socket to listen", || d.socket.exists());
        d
    }

    /// `dbxt-<n>.socket`
    pub fn socket_unit(&self) -> String {
        format!("dbxt-{}.socket", self.n)
    }

    /// `dbxt-<n>.service`
    pub fn service_unit(&self) -> String {
        format!("dbxt-{}.service", self.n)
    }

    /// The fixture's own folder (data dir, socket, log live in it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `10.69.<n>.` — every pup IP of this daemon starts with it.
    pub fn ip_prefix(&self) -> String {
        format!("10.69.{}.", self.n)
    }

    /// Whether `ip` is a pup address inside this daemon's network (not network, host
    /// or broadcast address).
    pub fn ip_in_network(&self, ip: &str) -> bool {
        match ip
            .strip_prefix(&self.ip_prefix())
            .and_then(|h| h.parse::<u32>().ok())
        {
            Some(h) => (2..=254).contains(&h),
            None => false,
        }
    }

    /// Runs `dogebox --socket <sock> ARGS…` with [`CLI_TIMEOUT`].
    pub fn cli(&self, args: &[&str]) -> Out {
        self.cli_timeout(args, CLI_TIMEOUT)
    }

    pub fn cli_timeout(&self, args: &[&str], timeout: Duration) -> Out {
        let mut cmd = Command::new(dogebox_bin());
        cmd.arg("--socket").arg(&self.socket).args(args);
        cmd.env_remove("DOGEBOX_SOCKET")
            .env("NO_COLOR", "1")
            .env("TERM", "dumb");
        let out = run(&mut cmd, timeout);
        self.note_pups_in(&out.stdout);
        out
    }

    /// `dogebox --json ARGS…`, which must succeed; its stdout as JSON.
    #[track_caller]
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.cli(&all).ok().json()
    }

    /// `pup list --json` as an array.
    #[track_caller]
    pub fn pups(&self) -> Vec<Value> {
        match self.cli_json(&["pup", "list"]) {
            Value::Array(v) => v,
            other => panic!("pup list --json is not an array: {other}"),
        }
    }

    /// The pup with this id or name from `pup list --json`, if any.
    #[track_caller]
    pub fn pup(&self, id_or_name: &str) -> Option<Value> {
        let pups = self.pups();
        pups.iter()
            .find(|p| p["id"] == id_or_name)
            .or_else(|| pups.iter().find(|p| p["name"] == id_or_name))
            .cloned()
    }

    /// Like [`Daemon::pup`] but panics when it is not listed.
    #[track_caller]
    pub fn expect_pup(&self, id_or_name: &str) -> Value {
        self.pup(id_or_name)
            .unwrap_or_else(|| panic!("pup {id_or_name} is not in `pup list`: {:?}", self.pups()))
    }

    /// Waits until the pup's `status` (from `pup list --json`) is `status`.
    #[track_caller]
    pub fn wait_status(&self, id_or_name: &str, status: &str) -> Value {
        let mut last = Value::Null;
        poll(secs(60), || {
            let p = self.pup(id_or_name)?;
            last = p.clone();
            (p["status"] == status).then_some(p)
        })
        .unwrap_or_else(|| panic!("pup {id_or_name} did not reach status {status}; last: {last}"))
    }

    /// `source add <dir>`, which must succeed.
    #[track_caller]
    pub fn add_source(&self, location: &Path) -> Out {
        self.cli(&["source", "add", &location.display().to_string()])
            .ok()
    }

    /// `pup install <name>` (waits until it runs); returns the CLI's result.
    pub fn install(&self, name: &str) -> Out {
        self.cli(&["pup", "install", name])
    }

    /// The host address of the first web UI of a pup view (`127.0.0.1:<port>`).
    #[track_caller]
    pub fn web_ui_addr(pup: &Value) -> String {
        let port = pup["webUIs"][0]["port"]
            .as_u64()
            .unwrap_or_else(|| panic!("pup has no webUIs[0].port: {pup}"));
        format!("127.0.0.1:{port}")
    }

    /// The daemon's main pid from systemd (0 when not running).
    pub fn main_pid(&self) -> u32 {
        systemctl(&["show", "-p", "MainPID", "--value", &self.service_unit()])
            .stdout
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// `systemctl --user is-active dbxt-<n>.service` (`active`, `inactive`, `failed`, …).
    pub fn service_state(&self) -> String {
        systemctl(&["is-active", &self.service_unit()])
            .stdout
            .trim()
            .to_string()
    }

    /// `kill -9` the daemon's main process and wait until systemd sees it gone.
    #[track_caller]
    pub fn kill_daemon(&self) {
        let pid = self.main_pid();
        assert!(
            pid > 0,
            "the daemon is not running (no MainPID for {})",
            self.service_unit()
        );
        sh("kill", &["-9", &pid.to_string()]).ok();
        wait_until(secs(30), "systemd to see the killed daemon gone", || {
            self.main_pid() == 0
        });
    }

    /// Units of a pup (`dbx-<id>*`) systemd knows about, in any state.
    pub fn pup_units(&self, id: &str) -> Vec<String> {
        let out = systemctl(&[
            "list-units",
            "--all",
            "--plain",
            "--no-legend",
            &format!("dbx-{id}*"),
        ]);
        out.stdout
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|u| u.starts_with("dbx-"))
            .map(str::to_string)
            .collect()
    }

    /// Where the daemon unpacks a pup's source (`<data>/pups/<id>`).
    pub fn pup_source_dir(&self, id: &str) -> PathBuf {
        self.data_dir.join("pups").join(id)
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    /// What helps to understand a failure: unit states, daemon log tail, job list.
    pub fn diagnostics(&self) -> String {
        let mut s = String::new();
        let status = systemctl(&[
            "status",
            "--no-pager",
            "--lines=0",
            &self.socket_unit(),
            &self.service_unit(),
        ]);
        s.push_str(&format!("== systemctl status\n{}\n", status.stdout));
        let units = systemctl(&["list-units", "--all", "--plain", "--no-legend", "dbx-*"]);
        s.push_str(&format!("== pup units\n{}\n", units.stdout));
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let from = lines.len().saturating_sub(150);
        s.push_str(&format!(
            "== {} (last {} lines)\n{}\n",
            self.log_file.display(),
            lines.len() - from,
            lines[from..].join("\n")
        ));
        s
    }

    fn note_pups_in(&self, stdout: &str) {
        // Remember every pup id we see, so Drop can clean up even after a failed step.
        let Ok(v) = serde_json::from_str::<Value>(stdout.trim()) else {
            return;
        };
        let mut ids = Vec::new();
        collect_pup_ids(&v, &mut ids);
        if let Ok(mut seen) = self.seen_pups.lock() {
            seen.extend(ids);
        }
    }

    fn remove_units(&self) {
        let _ = systemctl(&["stop", &self.socket_unit(), &self.service_unit()]);
        let _ = fs::remove_file(self.unit_dir.join(self.socket_unit()));
        let _ = fs::remove_file(self.unit_dir.join(self.service_unit()));
        let _ = systemctl(&["daemon-reload"]);
        let _ = systemctl(&["reset-failed", &self.socket_unit(), &self.service_unit()]);
    }
}

fn collect_pup_ids(v: &Value, ids: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_pup_ids(x, ids)),
        Value::Object(o) => {
            for key in ["id", "pupId"] {
                if let Some(Value::String(id)) = o.get(key)
                    && id.len() == 32
                    && id.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    ids.push(id.clone());
                }
            }
            o.values().for_each(|x| collect_pup_ids(x, ids));
        }
        _ => {}
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!(
                "\n===== dogeboxd test slot {} diagnostics =====\n{}",
                self.n,
                self.diagnostics()
            );
        }
        // Best effort: uninstall and purge what is left, through the daemon (purge also
        // removes each pup's system user).
        let t = secs(60);
        let out = self.cli_timeout(&["--json", "pup", "list"], t);
        if let Ok(Value::Array(pups)) = serde_json::from_str::<Value>(out.stdout.trim()) {
            for p in pups {
                let id = p["id"].as_str().unwrap_or_default().to_string();
                if id.is_empty() {
                    continue;
                }
                if p["installation"] != "uninstalled" {
                    let _ = self.cli_timeout(&["pup", "uninstall", &id], t);
                }
                let _ = self.cli_timeout(&["--yes", "pup", "purge", &id], t);
            }
        }
        // Whatever the daemon could not remove: stop its pups' units directly.
        let ids: Vec<String> = self
            .seen_pups
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            let pattern = format!("dbx-{id}*");
            let _ = systemctl(&["stop", &pattern]);
            let _ = systemctl(&["reset-failed", &pattern]);
        }
        self.remove_units();
        let _ = fs::remove_file(slot_dir().join(self.n.to_string()));
        if std::env::var_os("DOGEBOX_TEST_KEEP").is_some()
            && let Some(dir) = self.dir.take()
        {
            eprintln!("keeping {}", dir.keep().display());
        }
    }
}

/// Escapes a value for a unit file setting (`%` specifiers).
fn unit_escape(s: &str) -> String {
    s.replace('%', "%%")
}

/// One `ExecStart=` word: double-quoted, with `\`, `"`, `$`, `%`, newline and tab escaped.
fn exec_quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => q.push_str("\\\\"),
            '"' => q.push_str("\\\""),
            '$' => q.push_str("$$"),
            '%' => q.push_str("%%"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The job id printed by an action with `--detach` (plain or `--json`: a string, an
/// object with `job` or `id`, or the last word of the output).
#[track_caller]
pub fn job_id_of(out: &Out) -> String {
    let text = out.stdout.trim();
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        let id = match &v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o
                .get("job")
                .and_then(|j| {
                    j.as_str()
                        .map(str::to_string)
                        .or_else(|| j["id"].as_str().map(str::to_string))
                })
                .or_else(|| o.get("id").and_then(|i| i.as_str()).map(str::to_string)),
            _ => None,
        };
        if let Some(id) = id {
            return id;
        }
    }
    text.split_whitespace()
        .last()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no job id in the output of {out}"))
}

// ---------------------------------------------------------------------------------
// Disk sources made on the fly
// ---------------------------------------------------------------------------------

/// Lowercase hex sha256 of a file's bytes (what `nixFileSha256` holds).
pub fn sha256_file(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    hex::encode(Sha256::digest(&bytes))
}

/// How a test pup's build behaves.
#[derive(Debug, Clone)]
pub enum Build {
    /// Builds at once.
    Ok,
    /// The builder prints `message` on stderr and exits 1.
    Fail { message: String },
    /// The builder sleeps `secs` seconds.
    Slow { secs: u64 },
}

/// A pup for a [`Source`]: one service `web` (`/bin/run.sh`) serving an HTTP page on
/// `port` (the page names the pup and its `DBX_PUP_ID`), exposed as a web UI.
#[derive(Debug, Clone)]
pub struct TestPup {
    pub name: String,
    pub version: String,
    pub port: u16,
    pub web_ui: bool,
    pub build: Build,
    /// `Some` writes this value as `nixFileSha256` instead of the right hash.
    pub hash_override: Option<String>,
    /// Shell lines the service runs before it serves (as the pup, in its sandbox).
    pub pre_start: String,
    /// `Some(n)`: the service exits with status 1 after serving for `n` seconds.
    pub crash_after: Option<u64>,
    /// The manifest's `config` object.
    pub config: Option<Value>,
    /// Ship [`TestPup::LOGO`] as `logo.png` (`meta.logoPath`).
    pub logo: bool,
}

impl TestPup {
    /// A pup serving HTTP on `port` inside its namespace, with a web UI.
    pub fn http(name: &str, port: u16) -> TestPup {
        TestPup {
            name: name.into(),
            version: "1.0.0".into(),
            port,
            web_ui: true,
            build: Build::Ok,
            hash_override: None,
            pre_start: String::new(),
            crash_after: None,
            config: None,
            logo: false,
        }
    }

    /// The bytes written as `logo.png` by [`TestPup::with_logo`] (a PNG signature and
    /// a header are enough: nothing decodes it).
    pub const LOGO: &'static [u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

    pub fn with_logo(mut self) -> Self {
        self.logo = true;
        self
    }

    /// Shell lines run before the server starts (e.g. writing to `/storage`).
    pub fn pre_start(mut self, sh: &str) -> Self {
        self.pre_start = sh.into();
        self
    }

    /// The service serves for `secs` seconds, then exits with status 1.
    pub fn crash_after(mut self, secs: u64) -> Self {
        self.crash_after = Some(secs);
        self
    }

    /// The manifest's `config` object (`{"sections": [...]}`).
    pub fn config(mut self, config: Value) -> Self {
        self.config = Some(config);
        self
    }

    pub fn version(mut self, v: &str) -> Self {
        self.version = v.into();
        self
    }

    pub fn no_web_ui(mut self) -> Self {
        self.web_ui = false;
        self
    }

    /// `nixFileSha256` is a valid-looking but wrong hash (see [`TestPup::wrong_hash_value`]).
    pub fn wrong_hash(mut self) -> Self {
        self.hash_override = Some(Self::wrong_hash_value().into());
        self
    }

    /// The hash [`TestPup::wrong_hash`] writes: 64 lowercase hex digits that are not the
    /// nix file's sha256.
    pub fn wrong_hash_value() -> &'static str {
        "1f0f2c3e6b3f5d4b4c3a6a0d8f9e2b7c5a1d0e9f8c7b6a5d4e3f2a1b0c9d8e7f"
    }

    /// The build fails after printing `message`.
    pub fn failing_build(mut self, message: &str) -> Self {
        self.build = Build::Fail {
            message: message.into(),
        };
        self
    }

    /// The build sleeps `secs` seconds.
    pub fn slow_build(mut self, secs: u64) -> Self {
        self.build = Build::Slow { secs };
        self
    }

    /// The `pup.nix` text.
    pub fn nix_file(&self) -> String {
        let serve = format!(
            "/usr/bin/python3 -m http.server {port} --bind 0.0.0.0 --directory /storage/www",
            port = self.port
        );
        let run = match self.crash_after {
            None => format!("exec {serve}\n"),
            Some(n) => format!("{serve} &\nsleep {n}\necho 'crashing on purpose' >&2\nexit 1\n"),
        };
        let script = format!(
            "#!/bin/sh\n\
             set -eu\n\
             PATH=/usr/bin:/bin\n\
             export PATH\n\
             {pre}\n\
             mkdir -p /storage/www\n\
             printf '<!doctype html><title>{name}</title><p>{name} {version} pup %s on %s</p>\\n' \"${{DBX_PUP_ID:-unknown}}\" \"${{DBX_PUP_IP:-unknown}}\" > /storage/www/index.html\n\
             {run}",
            name = self.name,
            version = self.version,
            pre = self.pre_start,
        );
        let (pre, nonce) = match &self.build {
            Build::Ok => (String::new(), String::new()),
            Build::Fail { message } => (
                format!("echo {} >&2\nexit 1\n", shell_quote(message)),
                String::new(),
            ),
            Build::Slow { secs } => {
                let ticks = secs * 5;
                (
                    format!(
                        "echo 'slow build: waiting' >&2\n\
                         i=0\n\
                         while [ \"$i\" -lt {ticks} ]; do\nsleep 0.2\ni=$((i + 1))\ndone\n"
                    ),
                    unique_token(),
                )
            }
        };
        let builder = format!(
            "set -e\n{pre}mkdir -p \"$out/bin\"\nprintf '%s' \"$runScript\" > \"$out/bin/run.sh\"\nchmod 0555 \"$out/bin/run.sh\"\n"
        );
        format!(
            "# Generated by the dogebox integration tests.\n\
             {{ pkgs ? {{ }}, ... }}:\n\
             {{\n  web = derivation {{\n    name = {drv};\n    system = builtins.currentSystem;\n    \
             builder = \"/bin/sh\";\n    PATH = \"/usr/bin:/bin\";\n    nonce = {nonce};\n    \
             runScript = {script};\n    args = [ \"-c\" {builder} ];\n  }};\n}}\n",
            drv = nix_string(&format!("{}-{}", self.name, self.version)),
            nonce = nix_string(&nonce),
            script = nix_string(&script),
            builder = nix_string(&builder),
        )
    }

    /// The `manifest.json` value, given the nix file's real hash.
    pub fn manifest(&self, nix_sha256: &str) -> Value {
        let exposes = if self.web_ui || self.port > 0 {
            json!([{
                "name": "web",
                "type": "http",
                "port": self.port,
                "interfaces": [],
                "listenOnHost": false,
                "webUI": self.web_ui,
            }])
        } else {
            json!([])
        };
        json!({
            "manifestVersion": 1,
            "config": self.config.clone(),
            "meta": {
                "name": self.name,
                "version": self.version,
                "shortDescription": format!("test pup {}", self.name),
                "logoPath": if self.logo { Some("logo.png") } else { None },
            },
            "container": {
                "build": {
                    "nixFile": "pup.nix",
                    "nixFileSha256": self.hash_override.clone().unwrap_or_else(|| nix_sha256.to_string()),
                },
                "services": [{ "name": "web", "command": { "exec": "/bin/run.sh" } }],
                "exposes": exposes,
            },
        })
    }
}

/// A disk source in a temp dir: `dogebox.json` listing one folder per pup.
pub struct Source {
    dir: tempfile::TempDir,
    pub id: String,
    pups: Vec<String>,
}

impl Source {
    /// An empty source with this `dogebox.json` id.
    pub fn new(id: &str) -> Source {
        let s = Source {
            dir: tempdir("dbxt-src-"),
            id: id.into(),
            pups: Vec::new(),
        };
        s.write_index();
        s
    }

    /// A source holding these pups.
    pub fn with(id: &str, pups: &[TestPup]) -> Source {
        let mut s = Source::new(id);
        for p in pups {
            s.add(p);
        }
        s
    }

    /// The folder to pass to `source add`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the pup's folder (`<name>/manifest.json`, `<name>/pup.nix`) and lists it.
    pub fn add(&mut self, pup: &TestPup) -> PathBuf {
        let name = pup.name.clone();
        self.add_in(&name, pup)
    }

    /// Writes the pup into folder `folder` and lists it (several folders may hold
    /// versions of one pup).
    pub fn add_in(&mut self, folder: &str, pup: &TestPup) -> PathBuf {
        let dir = self.dir.path().join(folder);
        write_pup_folder(&dir, pup);
        if !self.pups.iter().any(|p| p == folder) {
            self.pups.push(folder.to_string());
        }
        self.write_index();
        dir
    }

    fn write_index(&self) {
        let index = json!({
            "id": self.id,
            "name": format!("test source {}", self.id),
            "description": "written by the dogebox integration tests",
            "pups": self.pups.iter().map(|p| json!({"location": p})).collect::<Vec<_>>(),
        });
        fs::write(
            self.dir.path().join("dogebox.json"),
            serde_json::to_string_pretty(&index).unwrap(),
        )
        .unwrap();
    }
}

/// Write `manifest.json` and `pup.nix` of a test pup into `dir`.
pub fn write_pup_folder(dir: &Path, pup: &TestPup) {
    fs::create_dir_all(dir).unwrap();
    let nix = dir.join("pup.nix");
    fs::write(&nix, pup.nix_file()).unwrap();
    let manifest = pup.manifest(&sha256_file(&nix));
    fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    if pup.logo {
        fs::write(dir.join("logo.png"), TestPup::LOGO).unwrap();
    }
}

/// A git repository source built on the fly: the work tree is rewritten, committed
/// and tagged for each version set. No network: the daemon reads it by path.
pub struct GitRepo {
    dir: tempfile::TempDir,
    pub id: String,
}

impl GitRepo {
    pub fn new(id: &str) -> GitRepo {
        let r = GitRepo {
            dir: tempdir("dbxt-git-"),
            id: id.into(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    /// The repository folder (`source add` takes it as a git source).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run git in the repository; panics on failure.
    pub fn git(&self, args: &[&str]) -> Out {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(self.dir.path())
            .args([
                "-c",
                "user.name=dogebox tests",
                "-c",
                "user.email=tests@dogebox.invalid",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
            ])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.dir.path());
        run(&mut cmd, secs(30)).ok()
    }

    /// Make the work tree hold exactly these pups (folder = name), listed in
    /// `dogebox.json`.
    pub fn set_pups(&self, pups: &[TestPup]) {
        for entry in fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry.file_name() != ".git" {
                let p = entry.path();
                if p.is_dir() {
                    fs::remove_dir_all(&p).unwrap();
                } else {
                    fs::remove_file(&p).unwrap();
                }
            }
        }
        for pup in pups {
            write_pup_folder(&self.dir.path().join(&pup.name), pup);
        }
        let index = json!({
            "id": self.id,
            "name": format!("test git source {}", self.id),
            "description": "a git repository written by the dogebox integration tests",
            "pups": pups.iter().map(|p| json!({"location": p.name})).collect::<Vec<_>>(),
        });
        fs::write(
            self.dir.path().join("dogebox.json"),
            serde_json::to_string_pretty(&index).unwrap(),
        )
        .unwrap();
    }

    /// Overwrite one file of the work tree (to break a manifest, say).
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, content).unwrap();
    }

    /// Commit everything and tag it (annotated when `annotated`).
    pub fn tag(&self, tag: &str, annotated: bool) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", tag]);
        if annotated {
            self.git(&["tag", "-a", "-m", tag, tag]);
        } else {
            self.git(&["tag", tag]);
        }
    }
}

/// A Nix double-quoted string literal.
pub fn nix_string(s: &str) -> String {
    let mut q = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => q.push_str("\\\\"),
            '"' => q.push_str("\\\""),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            '$' if chars.peek() == Some(&'{') => q.push_str("\\$"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A single-quoted POSIX shell word.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_strings_escape_interpolation_and_quotes() {
        assert_eq!(
            nix_string(r#"a "b" ${c} $d \e"#),
            r#""a \"b\" \${c} $d \\e""#
        );
    }

    #[test]
    fn exec_words_are_quoted() {
        assert_eq!(exec_quote("/a b/$x%"), "\"/a b/$$x%%\"");
    }

    #[test]
    fn job_ids_are_found_in_plain_and_json_output() {
        let out = |s: &str| Out {
            cmdline: String::new(),
            code: Some(0),
            stdout: s.into(),
            stderr: String::new(),
        };
        assert_eq!(job_id_of(&out("{\"job\":\"abc\"}")), "abc");
        assert_eq!(
            job_id_of(&out("{\"id\":\"abc\",\"status\":\"queued\"}")),
            "abc"
        );
        assert_eq!(job_id_of(&out("started job abc\n")), "abc");
    }
}
