// SCRATCH: checks the harness with stand-in daemons. Not committed.
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;
use dogebox_tests::*;

const STANDIN: &str = r#"
import os, socket, sys
print("LISTEN_FDS=", os.environ.get("LISTEN_FDS"), "LISTEN_PID=", os.environ.get("LISTEN_PID"), "pid", os.getpid(), "NIX_REMOTE=", os.environ.get("NIX_REMOTE"), "DBUS=", os.environ.get("DBUS_SESSION_BUS_ADDRESS"), "args", sys.argv, flush=True)
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.recv(1000)
    c.sendall(b"HTTP/1.0 200 OK\r\n\r\n[]")
    c.close()
"#;

fn talk(d: &Daemon) -> String {
    let mut s = UnixStream::connect(&d.socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /v1/pups HTTP/1.0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn socket_activation_with_standin() {
    let d = Daemon::start_with(DaemonOptions {
        exec_override: Some(vec!["/usr/bin/python3".into(), "-c".into(), STANDIN.into(), "x".into()]),
        ..Default::default()
    });
    assert_eq!(systemctl(&["is-active", &d.socket_unit()]).stdout.trim(), "active");
    assert_ne!(d.service_state(), "active", "not started before a connection");
    assert_eq!(d.main_pid(), 0);
    let r = talk(&d);
    assert!(r.contains("200 OK"), "{r}");
    let pid = d.main_pid();
    assert!(pid > 0);
    eprintln!("log: {}", d.log());
    d.kill_daemon();
    eprintln!("after kill: socket {} service {}", systemctl(&["is-active", &d.socket_unit()]).stdout.trim(), d.service_state());
    let r = talk(&d);
    assert!(r.contains("200 OK"), "{r}");
    assert!(d.main_pid() > 0 && d.main_pid() != pid);
    eprintln!("log: {}", d.log());
    eprintln!("{}", fs_list(&d));
    eprintln!("diag: {}", d.diagnostics());
}

fn fs_list(d: &Daemon) -> String {
    run(Command::new("ls").arg("-la").arg(d.root()), Duration::from_secs(5)).stdout
}

#[test]
fn true_standin_is_triggered() {
    let d = Daemon::start_with(DaemonOptions { exec_override: Some(vec!["/bin/true".into()]), ..Default::default() });
    let before = systemctl(&["show", "-p", "ExecMainStartTimestampMonotonic", "--value", &d.service_unit()]).stdout;
    let _ = UnixStream::connect(&d.socket).unwrap();
    wait_until(secs(10), "service triggered", || {
        systemctl(&["show", "-p", "ExecMainStartTimestampMonotonic", "--value", &d.service_unit()]).stdout.trim() != "0"
    });
    eprintln!("before={before:?} slots n={} net={}", d.n, d.network);
    let d2 = Daemon::start_with(DaemonOptions { exec_override: Some(vec!["/bin/true".into()]), ..Default::default() });
    assert_ne!(d.n, d2.n);
}

#[test]
fn test_pups_build() {
    require_env();
    let gate = test_root().join(format!("gate-{}", unique_token()));
    let src = Source::with("dbxt.scratch", &[
        TestPup::http("ok-pup", 8080),
        TestPup::http("fail-pup", 8080).failing_build("DBXT-MARKER: such fail"),
        TestPup::http("slow-pup", 8080).slow_build_until(30, &gate),
        TestPup::http("hash-pup", 8080).wrong_hash(),
    ]);
    eprintln!("{}", std::fs::read_to_string(src.path().join("dogebox.json")).unwrap());
    eprintln!("{}", std::fs::read_to_string(src.path().join("hash-pup/manifest.json")).unwrap());
    eprintln!("{}", std::fs::read_to_string(src.path().join("slow-pup/pup.nix")).unwrap());
    let build = |name: &str| run(Command::new("nix-build").args(["--no-out-link","--option","sandbox","false","--option","build-users-group","","--option","substituters",""])
        .arg(src.path().join(name).join("pup.nix")).args(["-A","web"]).env_remove("NIX_REMOTE"), Duration::from_secs(120));
    let ok = build("ok-pup").ok();
    let fail = build("fail-pup");
    assert!(!fail.success() && fail.stderr.contains("DBXT-MARKER: such fail"), "{fail}");
    let t = std::time::Instant::now();
    let g2 = gate.clone();
    std::thread::spawn(move || { std::thread::sleep(Duration::from_secs(2)); std::fs::write(&g2, "").unwrap(); });
    build("slow-pup").ok();
    eprintln!("slow took {:?}", t.elapsed());
    assert!(t.elapsed() >= Duration::from_secs(2) && t.elapsed() < Duration::from_secs(10));
    // run the ok pup as the pup user with a storage bind, check it answers
    let out_path = ok.stdout.trim().to_string();
    let st = test_root().join(format!("st-{}", unique_token()));
    std::fs::create_dir_all(&st).unwrap();
    sh("chown", &["dogebox-pup", st.to_str().unwrap()]).ok();
    let unit = format!("scratch-{}", std::process::id());
    systemctl(&["--version"]);
    run(Command::new("systemd-run").args(["--user", "--unit", &unit, "-p", "User=dogebox-pup", "-p", &format!("BindPaths={}:/storage", st.display()), "-E", "DBX_PUP_ID=abcdef", "-p", "PrivateTmp=yes"]).arg(format!("{out_path}/bin/run.sh")), Duration::from_secs(20)).ok();
    let page = wait_for_page("127.0.0.1:8080");
    assert!(page.contains("ok-pup pup abcdef"), "{page}");
    systemctl(&["stop", &unit]);
    wait_until(secs(10), "stopped", || !answers_200("127.0.0.1:8080"));
}
