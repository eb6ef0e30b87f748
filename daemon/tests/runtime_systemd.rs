//! The systemd runtime against a real systemd user manager, real `nix-build` and real
//! network namespaces. These tests need root and the private manager; run them as:
//!
//!   DOGEBOX_SYSTEMD_STATE=/tmp/rt-sd dev/with-systemd -- cargo test -p dogeboxd --test runtime_systemd
//!
//! Outside that environment every test fails and says so: a skipped test would look
//! like a passing one. Ids are unique per run, IPs are free ones in 10.69.200.0/24
//! (host 10.69.200.1) and host ports are free ones ≥ 20000, so two runs of this suite
//! can overlap.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use dogebox_shared::wire::RunStatus;
use dogeboxd::runtime::systemd::{Scope, SystemdConfig, SystemdRuntime};
use dogeboxd::runtime::{Cancel, PupSpec, Runtime, RuntimeError, ServiceSpec, WebUiSpec};

/// Generous: these builds take well under a second.
const BUILD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{Instant, sleep, timeout};

const HOW_TO_RUN: &str = "these tests need root and a systemd manager; run them as:\n  \
     DOGEBOX_SYSTEMD_STATE=/tmp/rt-sd dev/with-systemd -- cargo test -p dogeboxd --test runtime_systemd";

const HOST_IP: Ipv4Addr = Ipv4Addr::new(10, 69, 200, 1);
const INTERNAL_PORT: u16 = 8080;
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/runtime");

fn require_environment() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!("DBUS_SESSION_BUS_ADDRESS is not set: {HOW_TO_RUN}");
    }
    if !nix::unistd::Uid::effective().is_root() {
        panic!("not running as root: {HOW_TO_RUN}");
    }
}

/// Services run as this existing user in these tests.
const PUP_USER: &str = "nobody";

fn config() -> SystemdConfig {
    let mut cfg = SystemdConfig::new(Scope::User, PUP_USER);
    // No build users, no binary cache on the test machines.
    cfg.nix_options = [
        ("sandbox", "false"),
        ("build-users-group", ""),
        ("substituters", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    // A nixpkgs that does not exist: the fixtures must build without forcing `pkgs`.
    cfg.nix_path = Some("nixpkgs=/var/empty/no-nixpkgs-here".into());
    cfg
}

async fn runtime() -> SystemdRuntime {
    require_environment();
    // RUST_LOG=dogeboxd=debug shows what the runtime does.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    match SystemdRuntime::connect(config()).await {
        Ok(rt) => rt,
        Err(e) => panic!("connecting to systemd: {e}\n{HOW_TO_RUN}"),
    }
}

/// Unique per test *and* per run: someone else may run this suite at the same time
/// (veths and routes live in the host's shared network namespace).
fn id_for(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!(
        "dogebox runtime_systemd {test} {} {nanos}",
        std::process::id()
    );
    let mut id = hex::encode(Sha256::digest(seed));
    id.truncate(32);
    id
}

/// A pup IP in 10.69.200.0/24 that no host route uses yet. An in-process counter
/// keeps parallel tests apart; the route check keeps concurrent runs apart.
fn free_pup_ip() -> Ipv4Addr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let offset = std::process::id() % 240;
    for _ in 0..240 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let last = 10 + (offset + n) % 240;
        let ip = Ipv4Addr::new(10, 69, 200, last as u8);
        let routes = std::process::Command::new("ip")
            .args(["-4", "route", "show", &format!("{ip}/32")])
            .output()
            .expect("run ip route");
        if routes.status.success() && routes.stdout.iter().all(u8::is_ascii_whitespace) {
            return ip;
        }
    }
    panic!("no free pup IP left in 10.69.200.0/24");
}

/// A pup on disk: source with the fixture nix file, storage, build dir, log file.
/// Dropping it while a test panics destroys whatever the runtime made for it.
struct Pup {
    spec: PupSpec,
    dir: tempfile::TempDir,
}

impl Pup {
    fn new(test: &str, fixture: &str, web_uis: Vec<WebUiSpec>) -> Self {
        // Under target/: units run with PrivateTmp, and /tmp paths are not needed.
        let dir = tempfile::Builder::new()
            .prefix(&format!("rt-{test}-"))
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir");
        let id = id_for(test);
        // The daemon's layout: the build unit sees only the source and build folders
        // of the data folder they share.
        let data = dir.path();
        let source = data.join("pups").join(&id);
        let storage = data.join("pups").join("storage").join(&id);
        std::fs::create_dir_all(&source).expect("source dir");
        std::fs::create_dir_all(&storage).expect("storage dir");
        // The service runs as `nobody` and writes to /storage.
        std::fs::set_permissions(
            &storage,
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .expect("chmod storage");
        let nix_file = source.join("pup.nix");
        std::fs::copy(Path::new(FIXTURES).join(fixture), &nix_file).expect("copy fixture");

        let ip = free_pup_ip();
        let env = BTreeMap::from([
            ("DBX_PUP_ID".to_owned(), id.clone()),
            ("DBX_PUP_IP".to_owned(), ip.to_string()),
            ("DBX_HOST".to_owned(), HOST_IP.to_string()),
            ("DBX_PORT".to_owned(), "80".to_owned()),
            // Overridden by the service's own env below.
            ("PORT".to_owned(), "1".to_owned()),
        ]);
        let spec = PupSpec {
            user: PUP_USER.to_owned(),
            id: id.clone(),
            ip,
            host_ip: HOST_IP,
            source_dir: source,
            storage_dir: storage,
            nix_file,
            build_dir: data.join("builds").join(&id),
            log_file: data.join("logs").join(format!("pup-{id}.log")),
            config_env: data.join("pups").join("config").join(format!("{id}.env")),
            services: vec![ServiceSpec {
                name: "web".into(),
                exec: "/bin/run".into(),
                cwd: String::new(),
                env: BTreeMap::from([("PORT".to_owned(), INTERNAL_PORT.to_string())]),
            }],
            env,
            web_uis,
        };
        Pup { spec, dir }
    }

    /// The folder holding the pup's source, build and storage (the daemon's data dir).
    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Build only the fixture's attribute `name` (exec `/bin/run`).
    fn only_service(mut self, name: &str) -> Self {
        self.spec.services = vec![ServiceSpec {
            name: name.into(),
            exec: "/bin/run".into(),
            cwd: String::new(),
            env: BTreeMap::new(),
        }];
        self
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from((self.spec.ip, INTERNAL_PORT))
    }
}

impl Drop for Pup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // The test's runtime is unwinding: clean up on a fresh one in its own thread.
        let spec = self.spec.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(tokio_rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            tokio_rt.block_on(async {
                if let Ok(rt) = SystemdRuntime::connect(config()).await
                    && let Err(e) = rt.destroy(&spec).await
                {
                    eprintln!("cleanup of pup {} failed: {e}", spec.id);
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Poll `check` until it returns Ok, or panic with its last error after `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + limit;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(e) if Instant::now() >= deadline => {
                panic!("{what}: still not true after {limit:?}: {e}")
            }
            Err(_) => sleep(Duration::from_millis(100)).await,
        }
    }
}

/// GET a path over plain HTTP/1.0; the body on status 200.
async fn http_get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf)
            .await
            .map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP header end")?;
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            return Err(format!(
                "unexpected answer: {}",
                head.lines().next().unwrap_or("")
            ));
        }
        Ok(body.to_owned())
    };
    timeout(Duration::from_secs(3), exchange)
        .await
        .map_err(|_| format!("{addr}: timed out"))?
}

async fn wait_status(rt: &SystemdRuntime, spec: &PupSpec, want: RunStatus) {
    eventually(
        &format!("pup status {}", want.as_str()),
        Duration::from_secs(20),
        || async {
            let st = rt.status(spec).await.map_err(|e| e.to_string())?;
            if st.status == want {
                Ok(())
            } else {
                Err(format!("{st:?}"))
            }
        },
    )
    .await
}

/// A host port ≥ 20000 that nothing listens on now, spread by test and run.
fn free_port(test: &str) -> u16 {
    let seed = Sha256::digest(format!("{test} {}", std::process::id()));
    let start = 20000 + (u16::from_be_bytes([seed[0], seed[1]]) % 20000);
    (start..u16::MAX)
        .find(|p| std::net::TcpListener::bind(("0.0.0.0", *p)).is_ok())
        .expect("a free port")
}

async fn build_ok(rt: &SystemdRuntime, spec: &PupSpec) -> Vec<String> {
    let lines = Mutex::new(Vec::new());
    let sink = |l: &str| {
        if let Ok(mut v) = lines.lock() {
            v.push(l.to_owned());
        }
    };
    if let Err(e) = rt.build(spec, &sink, BUILD_TIMEOUT, &Cancel::never()).await {
        panic!("build of {} failed: {e}", spec.id);
    }
    lines.into_inner().unwrap_or_default()
}

/// Everything the runtime leaves behind for a pup: loaded units, netns, veth, builds.
async fn leftovers(spec: &PupSpec) -> Vec<String> {
    let mut found = Vec::new();
    let conn = zbus::Connection::session().await.expect("session bus");
    let manager = zbus_systemd::systemd1::ManagerProxy::new(&conn)
        .await
        .expect("manager proxy");
    let units = manager
        .list_units_by_patterns(Vec::new(), vec![format!("dbx-{}-*", spec.id)])
        .await
        .expect("ListUnitsByPatterns");
    found.extend(units.into_iter().map(|u| format!("unit {} ({})", u.0, u.3)));
    let netns = PathBuf::from(format!("/run/netns/dbx-{}", spec.id));
    if netns.exists() {
        found.push(format!("netns {}", netns.display()));
    }
    // The host end is named "dbx" + 12 hex of sha256(id); check independently.
    let veth = format!(
        "dbx{}",
        &hex::encode(Sha256::digest(spec.id.as_bytes()))[..12]
    );
    let shown = tokio::process::Command::new("ip")
        .args(["link", "show", "dev", &veth])
        .output()
        .await
        .expect("run ip");
    if shown.status.success() {
        found.push(format!("veth {veth}"));
    }
    if spec.build_dir.exists() {
        found.push(format!("build dir {}", spec.build_dir.display()));
    }
    found
}

#[tokio::test]
async fn lifecycle_build_network_start_stop_destroy() {
    let rt = runtime().await;
    let t0 = Instant::now();
    let step = |what: &str| eprintln!("[{:>6.2}s] {what}", t0.elapsed().as_secs_f64());
    let port = free_port("lifecycle");
    let web = WebUiSpec {
        name: "main".into(),
        host_port: port,
        internal_port: INTERNAL_PORT,
    };
    let pup = Pup::new("lifecycle", "web.nix", vec![web]);
    let spec = &pup.spec;
    rt.destroy(spec).await.expect("clearing leftovers");

    step("build");
    let lines = build_ok(&rt, spec).await;
    assert!(!lines.is_empty(), "build output reaches the sink");
    assert!(
        spec.build_dir.join("svc-web").exists(),
        "out-link under build_dir"
    );

    // Nothing exists yet: a missing unit is inactive, the pup stopped.
    let st = rt.status(spec).await.expect("status");
    assert_eq!(st.status, RunStatus::Stopped);
    assert_eq!(st.services.len(), 1);
    assert_eq!(
        (
            st.services[0].active_state.as_str(),
            st.services[0].sub_state.as_str()
        ),
        ("inactive", "dead")
    );

    step("create_network");
    rt.create_network(spec).await.expect("create_network");
    rt.create_network(spec)
        .await
        .expect("create_network is idempotent");

    step("start");
    rt.start(spec).await.expect("start");
    wait_status(&rt, spec, RunStatus::Running).await;
    step("running");
    let body = eventually("HTTP at the pup IP", Duration::from_secs(20), || {
        http_get(pup.addr(), "/hello")
    })
    .await;
    assert_eq!(
        body, spec.id,
        "served from /storage, written by the service"
    );
    step("web UI");
    let host = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let body = eventually(
        "HTTP on the web UI host port",
        Duration::from_secs(20),
        || http_get(host, "/hello"),
    )
    .await;
    assert_eq!(body, spec.id);

    // Starting a running pup changes nothing.
    rt.start(spec).await.expect("second start is a no-op");
    assert_eq!(
        rt.status(spec).await.expect("status").status,
        RunStatus::Running
    );
    http_get(pup.addr(), "/hello")
        .await
        .expect("still answering");

    let log = std::fs::read_to_string(&spec.log_file).expect("log file");
    assert!(
        log.contains(&format!("web starting for pup {}", spec.id)),
        "stdout appended to the log: {log}"
    );

    step("stop");
    rt.stop(spec).await.expect("stop");
    let st = rt.status(spec).await.expect("status");
    assert_eq!(
        st.status,
        RunStatus::Stopped,
        "stop waits until the units are down: {st:?}"
    );
    assert!(
        http_get(pup.addr(), "/hello").await.is_err(),
        "service is gone"
    );
    assert!(
        http_get(host, "/hello").await.is_err(),
        "web UI socket is gone"
    );
    rt.stop(spec).await.expect("stop is idempotent");

    step("start again");
    rt.start(spec).await.expect("start again");
    wait_status(&rt, spec, RunStatus::Running).await;
    eventually("HTTP after restart", Duration::from_secs(20), || {
        http_get(pup.addr(), "/hello")
    })
    .await;
    eventually("web UI after restart", Duration::from_secs(20), || {
        http_get(host, "/hello")
    })
    .await;

    step("destroy");
    rt.destroy(spec).await.expect("destroy");
    assert_eq!(leftovers(spec).await, Vec::<String>::new());
    assert_eq!(
        rt.status(spec).await.expect("status").status,
        RunStatus::Stopped
    );
}

#[tokio::test]
async fn failing_build_reports_the_build_error() {
    let rt = runtime().await;
    let pup = Pup::new("broken-build", "broken.nix", Vec::new());
    let lines = Mutex::new(Vec::new());
    let sink = |l: &str| {
        if let Ok(mut v) = lines.lock() {
            v.push(l.to_owned());
        }
    };
    match rt.build(&pup.spec, &sink, BUILD_TIMEOUT, &Cancel::never()).await {
        Err(RuntimeError::Build { log_tail }) => {
            assert!(
                log_tail.contains("the build is broken on purpose"),
                "log tail: {log_tail}"
            );
        }
        other => panic!("expected RuntimeError::Build, got {other:?}"),
    }
    let lines = lines.into_inner().unwrap_or_default();
    assert!(
        lines.iter().any(|l| l.contains("broken on purpose")),
        "streamed: {lines:?}"
    );
    rt.destroy(&pup.spec).await.expect("destroy");
}

#[tokio::test]
async fn missing_service_attribute_or_exec_is_reported() {
    let rt = runtime().await;
    let mut pup = Pup::new("missing-exec", "web.nix", Vec::new());
    pup.spec.services[0].exec = "/bin/not-there".into();
    match rt.build(&pup.spec, &|_| {}, BUILD_TIMEOUT, &Cancel::never()).await {
        Err(RuntimeError::MissingExec { service, exec, .. }) => {
            assert_eq!((service.as_str(), exec.as_str()), ("web", "/bin/not-there"));
        }
        other => panic!("expected RuntimeError::MissingExec, got {other:?}"),
    }
    // A service the nix file has no attribute for is a build error naming it.
    pup.spec.services[0].name = "nosuch".into();
    match rt.build(&pup.spec, &|_| {}, BUILD_TIMEOUT, &Cancel::never()).await {
        Err(RuntimeError::Build { log_tail }) => assert!(log_tail.contains("nosuch"), "{log_tail}"),
        other => panic!("expected RuntimeError::Build, got {other:?}"),
    }
    rt.destroy(&pup.spec).await.expect("destroy");
}

#[tokio::test]
async fn two_pups_listen_on_the_same_internal_port() {
    let rt = runtime().await;
    let a = Pup::new("same-port-a", "web.nix", Vec::new());
    let b = Pup::new("same-port-b", "web.nix", Vec::new());
    for p in [&a, &b] {
        rt.destroy(&p.spec).await.expect("clearing leftovers");
        build_ok(&rt, &p.spec).await;
        rt.create_network(&p.spec).await.expect("create_network");
        rt.start(&p.spec).await.expect("start");
    }
    for p in [&a, &b] {
        wait_status(&rt, &p.spec, RunStatus::Running).await;
        let body = eventually("HTTP at each pup IP", Duration::from_secs(20), || {
            http_get(p.addr(), "/hello")
        })
        .await;
        assert_eq!(body, p.spec.id, "each IP answers with its own pup");
    }
    for p in [&a, &b] {
        rt.destroy(&p.spec).await.expect("destroy");
        assert_eq!(leftovers(&p.spec).await, Vec::<String>::new());
    }
}

#[tokio::test]
async fn web_ui_on_a_busy_host_port_is_a_clear_error() {
    let rt = runtime().await;
    let holder =
        std::net::TcpListener::bind(("0.0.0.0", free_port("busy-port"))).expect("hold a port");
    let port = holder.local_addr().expect("addr").port();
    let web = WebUiSpec {
        name: "main".into(),
        host_port: port,
        internal_port: INTERNAL_PORT,
    };
    let pup = Pup::new("busy-port", "web.nix", vec![web]);
    rt.destroy(&pup.spec).await.expect("clearing leftovers");
    build_ok(&rt, &pup.spec).await;
    rt.create_network(&pup.spec).await.expect("create_network");
    match rt.start(&pup.spec).await {
        Err(e @ RuntimeError::Network { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&port.to_string()) && msg.contains("in use"),
                "{msg}"
            );
        }
        other => panic!("expected a network error for port {port}, got {other:?}"),
    }
    drop(holder);
    rt.destroy(&pup.spec).await.expect("destroy");
    assert_eq!(leftovers(&pup.spec).await, Vec::<String>::new());
}

#[tokio::test]
async fn destroy_twice_and_destroy_of_nothing_succeed() {
    let rt = runtime().await;
    let pup = Pup::new("destroy-twice", "web.nix", Vec::new());
    rt.destroy(&pup.spec)
        .await
        .expect("destroy of a pup that has nothing");
    build_ok(&rt, &pup.spec).await;
    rt.create_network(&pup.spec).await.expect("create_network");
    rt.start(&pup.spec).await.expect("start");
    rt.destroy(&pup.spec).await.expect("first destroy");
    rt.destroy(&pup.spec).await.expect("second destroy");
    assert_eq!(leftovers(&pup.spec).await, Vec::<String>::new());
    // The network can be made again after a destroy.
    rt.create_network(&pup.spec)
        .await
        .expect("create_network after destroy");
    rt.destroy(&pup.spec).await.expect("third destroy");
    assert_eq!(leftovers(&pup.spec).await, Vec::<String>::new());
}

#[tokio::test]
async fn crashing_service_is_starting_not_running_and_stops_cleanly() {
    let rt = runtime().await;
    let mut pup = Pup::new("crash", "web.nix", Vec::new());
    pup.spec.services.push(ServiceSpec {
        name: "crash".into(),
        exec: "/bin/run".into(),
        cwd: "bin".into(),
        env: BTreeMap::new(),
    });
    let spec = &pup.spec;
    // Config the daemon writes later is read through EnvironmentFile=-….
    let config_dir = spec.config_env.parent().expect("config dir");
    std::fs::create_dir_all(config_dir).expect("mkdir config");
    std::fs::write(&spec.config_env, "CONFIG_VALUE=from-config\n").expect("config.env");

    build_ok(&rt, spec).await;
    rt.create_network(spec).await.expect("create_network");
    rt.start(spec).await.expect("start");

    // `crash` keeps failing and being restarted: the pup is starting, never running.
    let st = eventually(
        "crash unit waiting to restart",
        Duration::from_secs(20),
        || async {
            let st = rt.status(spec).await.map_err(|e| e.to_string())?;
            let crash = st
                .services
                .iter()
                .find(|s| s.name == "crash")
                .ok_or("no crash service")?;
            if crash.sub_state == "auto-restart" {
                Ok(st)
            } else {
                Err(format!("{st:?}"))
            }
        },
    )
    .await;
    assert_eq!(st.status, RunStatus::Starting, "{st:?}");

    let log = std::fs::read_to_string(&spec.log_file).expect("log file");
    let line = log
        .lines()
        .find(|l| l.starts_with("crash cwd="))
        .unwrap_or_default();
    assert!(
        line.contains("-dbx-test-crash/bin "),
        "cwd is the output joined with cwd: {log}"
    );
    assert!(
        line.ends_with("config=from-config"),
        "config.env is read: {log}"
    );

    rt.stop(spec).await.expect("stop");
    let st = rt.status(spec).await.expect("status");
    assert_eq!(st.status, RunStatus::Stopped, "{st:?}");
    assert!(
        st.services.iter().all(|s| s.active_state == "inactive"),
        "{st:?}"
    );

    rt.destroy(spec).await.expect("destroy");
    assert_eq!(leftovers(spec).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_service_that_cannot_be_executed_fails_start() {
    require_environment();
    let rt = SystemdRuntime::connect(config()).await.expect("connect");
    let mut pup = Pup::new("no-user", "web.nix", Vec::new());
    pup.spec.user = "dbx-no-such-user".into();
    build_ok(&rt, &pup.spec).await;
    rt.create_network(&pup.spec).await.expect("create_network");
    match rt.start(&pup.spec).await {
        Err(e @ RuntimeError::Systemd(_)) => {
            // systemd's reason is in the message: 217 is its exit status for "no such user".
            let msg = e.to_string();
            assert!(msg.contains("service web") && msg.contains("status 217"), "{msg}");
        }
        other => panic!("expected a systemd error, got {other:?}"),
    }
    let st = rt.status(&pup.spec).await.expect("status");
    assert_ne!(st.status, RunStatus::Running, "{st:?}");
    rt.destroy(&pup.spec).await.expect("destroy");
    assert_eq!(leftovers(&pup.spec).await, Vec::<String>::new());
}

/// Run a build of `pup` with a sink that records lines; the result and the lines.
async fn build_collect(
    rt: &SystemdRuntime,
    pup: &Pup,
    limit: Duration,
    cancel: &Cancel,
) -> (Result<(), RuntimeError>, Vec<String>) {
    let lines = Mutex::new(Vec::new());
    let sink = |l: &str| {
        if let Ok(mut v) = lines.lock() {
            v.push(l.to_owned());
        }
    };
    let r = rt.build(&pup.spec, &sink, limit, cancel).await;
    (r, lines.into_inner().unwrap_or_default())
}

/// Every regular file of every store path whose name contains `name`, read.
fn store_texts(name: &str) -> Vec<(PathBuf, String)> {
    fn walk(p: &Path, out: &mut Vec<(PathBuf, String)>) {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => {
                for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                    walk(&e.path(), out);
                }
            }
            Ok(m) if m.is_file() => {
                if let Ok(b) = std::fs::read(p) {
                    out.push((p.to_owned(), String::from_utf8_lossy(&b).into_owned()));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for e in std::fs::read_dir("/nix/store").expect("read /nix/store").flatten() {
        if e.file_name().to_string_lossy().contains(name) {
            walk(&e.path(), &mut out);
        }
    }
    out
}

/// Loaded `dbx-<id>-build-*` units.
async fn build_units(spec: &PupSpec) -> Vec<String> {
    let conn = zbus::Connection::session().await.expect("session bus");
    let manager = zbus_systemd::systemd1::ManagerProxy::new(&conn)
        .await
        .expect("manager proxy");
    manager
        .list_units_by_patterns(Vec::new(), vec![format!("dbx-{}-build-*", spec.id)])
        .await
        .expect("ListUnitsByPatterns")
        .into_iter()
        .map(|u| format!("{} ({}/{})", u.0, u.3, u.4))
        .collect()
}

fn shadow_line() -> String {
    let shadow = std::fs::read_to_string("/etc/shadow").expect("read /etc/shadow as root");
    let line = shadow.lines().next().unwrap_or_default().to_owned();
    assert!(line.len() > 8, "a recognisable first line of /etc/shadow: {line:?}");
    line
}

#[tokio::test]
async fn a_build_cannot_read_etc_shadow() {
    let rt = runtime().await;
    let secret = shadow_line();

    // At build time: the builder's copy holds no shadow content.
    let pup = Pup::new("steal-shadow", "hostile.nix", Vec::new()).only_service("shadow");
    let (r, lines) = build_collect(&rt, &pup, BUILD_TIMEOUT, &Cancel::never()).await;
    if let Ok(()) = r {
        let out = std::fs::read_to_string(pup.spec.build_dir.join("svc-shadow/bin/run"))
            .expect("builder output");
        assert!(!out.contains(&secret), "shadow leaked into the output");
        assert!(out.contains("Permission denied"), "builder saw: {out}");
    }
    assert!(!lines.iter().any(|l| l.contains(&secret)), "shadow leaked into the log");

    // At evaluation time: an error naming the file.
    let pup2 = Pup::new("steal-evalshadow", "hostile.nix", Vec::new()).only_service("evalshadow");
    match build_collect(&rt, &pup2, BUILD_TIMEOUT, &Cancel::never()).await.0 {
        Err(RuntimeError::Build { log_tail }) => {
            assert!(
                log_tail.contains("/etc/shadow") && log_tail.contains("Permission denied"),
                "{log_tail}"
            );
            assert!(!log_tail.contains(&secret));
        }
        other => panic!("expected RuntimeError::Build, got {other:?}"),
    }
    for (path, text) in store_texts("dbx-test-steal-") {
        assert!(!text.contains(&secret), "shadow text in {}", path.display());
    }
    assert_eq!(build_units(&pup.spec).await, Vec::<String>::new());
    assert_eq!(build_units(&pup2.spec).await, Vec::<String>::new());
    for p in [&pup, &pup2] {
        rt.destroy(&p.spec).await.expect("destroy");
    }
}

#[tokio::test]
async fn a_build_cannot_read_the_data_dir_beyond_its_own_folders() {
    let rt = runtime().await;
    let marker = format!("dbx-db-marker-{}", std::process::id());
    let pup = Pup::new("steal-db", "hostile.nix", Vec::new()).only_service("db");
    std::fs::write(pup.data_dir().join("dogebox.db"), &marker).expect("write db");
    // Another pup's storage next to ours.
    let other = pup.data_dir().join("pups").join("storage").join("other");
    std::fs::create_dir_all(&other).expect("other storage");
    std::fs::write(other.join("secret"), &marker).expect("other secret");

    build_ok(&rt, &pup.spec).await;
    let out = std::fs::read_to_string(pup.spec.build_dir.join("svc-db/bin/run"))
        .expect("builder output");
    assert!(!out.contains(&marker), "data dir content leaked: {out}");
    assert!(out.contains("db unreadable"), "{out}");
    assert!(!out.contains("storage"), "other pups' storage is visible: {out}");
    assert!(out.contains("pup.nix"), "its own source is visible: {out}");

    let pup2 = Pup::new("steal-evaldb", "hostile.nix", Vec::new()).only_service("evaldb");
    std::fs::write(pup2.data_dir().join("dogebox.db"), &marker).expect("write db");
    match build_collect(&rt, &pup2, BUILD_TIMEOUT, &Cancel::never()).await.0 {
        Err(RuntimeError::Build { log_tail }) => {
            assert!(log_tail.contains("dogebox.db"), "{log_tail}");
            assert!(!log_tail.contains(&marker), "{log_tail}");
        }
        other => panic!("expected RuntimeError::Build, got {other:?}"),
    }
    for p in [&pup, &pup2] {
        rt.destroy(&p.spec).await.expect("destroy");
        assert_eq!(leftovers(&p.spec).await, Vec::<String>::new());
    }
}

#[tokio::test]
async fn a_build_that_does_not_finish_is_stopped_at_its_timeout() {
    let rt = runtime().await;
    let pup = Pup::new("build-timeout", "hostile.nix", Vec::new()).only_service("sleep");
    let t0 = Instant::now();
    let (r, lines) = build_collect(&rt, &pup, Duration::from_secs(2), &Cancel::never()).await;
    match r {
        Err(RuntimeError::Timeout(2)) => {}
        other => panic!("expected RuntimeError::Timeout(2), got {other:?}"),
    }
    assert!(t0.elapsed() < Duration::from_secs(30), "took {:?}", t0.elapsed());
    assert!(lines.iter().any(|l| l.contains("sleeping")), "{lines:?}");
    assert_stopped_build_left_nothing(&rt, &pup).await;
}

/// After a stopped build: no build unit, no out-link, and nothing after `destroy`.
async fn assert_stopped_build_left_nothing(rt: &SystemdRuntime, pup: &Pup) {
    assert_eq!(build_units(&pup.spec).await, Vec::<String>::new());
    let link = pup.spec.build_dir.join("svc-sleep");
    assert!(std::fs::symlink_metadata(&link).is_err(), "out-link left: {}", link.display());
    rt.destroy(&pup.spec).await.expect("destroy");
    assert_eq!(leftovers(&pup.spec).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_cancelled_build_is_stopped() {
    let rt = runtime().await;
    let pup = Pup::new("build-cancel", "hostile.nix", Vec::new()).only_service("sleep");
    let (handle, cancel) = Cancel::new();
    // Cancel once the builder is known to be running.
    let sink = |l: &str| {
        if l.contains("dbx-fixture: sleeping") {
            handle.cancel();
        }
    };
    let t0 = Instant::now();
    match rt.build(&pup.spec, &sink, BUILD_TIMEOUT, &cancel).await {
        Err(RuntimeError::Cancelled(_)) => {}
        other => panic!("expected RuntimeError::Cancelled, got {other:?}"),
    }
    assert!(t0.elapsed() < Duration::from_secs(30), "took {:?}", t0.elapsed());
    assert_stopped_build_left_nothing(&rt, &pup).await;
}

#[tokio::test]
async fn build_output_reaches_the_sink_while_building() {
    let rt = runtime().await;
    let pup = Pup::new("build-live", "hostile.nix", Vec::new()).only_service("slow");
    let seen = Mutex::new(None);
    let sink = |l: &str| {
        if l.contains("dbx-fixture: marker before the end")
            && let Ok(mut s) = seen.lock()
        {
            s.get_or_insert_with(Instant::now);
        }
    };
    rt.build(&pup.spec, &sink, BUILD_TIMEOUT, &Cancel::never())
        .await
        .expect("build");
    let done = Instant::now();
    let seen = seen.into_inner().ok().flatten().expect("marker reached the sink");
    assert!(
        done.duration_since(seen) >= Duration::from_millis(1500),
        "the marker arrived only {:?} before the end",
        done.duration_since(seen)
    );
    assert_eq!(build_units(&pup.spec).await, Vec::<String>::new());
    rt.destroy(&pup.spec).await.expect("destroy");
}
