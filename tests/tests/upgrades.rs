//! Upgrades that can never lose a pup: the id, storage and config stay; a version
//! that does not stay healthy is rolled back (state, build and storage); a new
//! required config field stops the upgrade before anything changes; held pups are
//! never offered; `pup rollback` goes back to the kept version and its snapshot;
//! and a `kill -9` at any step leaves the old or the new version running.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;
use std::path::PathBuf;

use serde_json::{Value, json};

use dogebox_tests::*;

fn storage_file(d: &Daemon, id: &str, name: &str) -> PathBuf {
    d.data_dir.join("pups/storage").join(id).join(name)
}

fn read(path: &PathBuf) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn upgrade_health_gate_config_hold_and_rollback() {
    let d = Daemon::start();
    let mut src = Source::new("dbxt.upgrades");
    let pup = |v: &str| TestPup::http("upg", 8080).version(v);
    src.add_in(
        "v1",
        &pup("1.0.0").pre_start("[ -f /storage/data.txt ] || echo 'written by 1.0.0' > /storage/data.txt"),
    );
    src.add_in("v1.1", &pup("1.1.0").pre_start("echo 'seen by 1.1.0' >> /storage/data.txt"));
    // Up for a moment, clobbers the storage, then crashes: the health gate fails it.
    src.add_in(
        "v1.2",
        &pup("1.2.0")
            .pre_start("echo 'clobbered by 1.2.0' > /storage/data.txt")
            .crash_after(3),
    );
    // Adds a required field without a default (and one with a default).
    let config = json!({"sections": [{"name": "rpc", "label": "RPC", "fields": [
        {"name": "RPC_PASSWORD", "label": "RPC password", "type": "password", "required": true},
        {"name": "RPC_PORT", "label": "RPC port", "type": "number", "default": 22555}
    ]}]});
    src.add_in(
        "v1.3",
        &pup("1.3.0")
            .config(config)
            .pre_start("printf '%s %s' \"$RPC_PASSWORD\" \"$RPC_PORT\" > /storage/rpc.txt"),
    );
    d.add_source(src.path());

    d.cli(&["pup", "install", "upg", "--version", "1.0.0"]).ok();
    let before = d.wait_status("upg", "running");
    let id = before["id"].as_str().unwrap().to_string();
    let port = before["webUIs"][0]["port"].clone();
    let data = storage_file(&d, &id, "data.txt");
    assert_eq!(read(&data), "written by 1.0.0\n");

    let outdated = d.cli_json(&["pup", "outdated"]);
    assert_eq!(outdated["pups"][0]["latest"], "1.3.0", "{outdated}");

    // A good upgrade keeps the id, storage and web UI port.
    d.cli(&["pup", "upgrade", "upg", "--to", "1.1.0", "--health-time", "2"]).ok();
    let p = d.wait_status("upg", "running");
    assert_eq!((p["id"].as_str(), p["version"].as_str()), (Some(id.as_str()), Some("1.1.0")), "{p}");
    assert_eq!(p["webUIs"][0]["port"], port, "the web UI keeps its host port: {p}");
    assert_eq!(p["previousVersion"], "1.0.0", "{p}");
    assert!(wait_for_page(&Daemon::web_ui_addr(&p)).contains("upg 1.1.0"));
    assert_eq!(read(&data), "written by 1.0.0\nseen by 1.1.0\n");
    let down = d.cli(&["pup", "upgrade", "upg", "--to", "1.0.0"]).code_is(5);
    assert!(down.stderr.contains("--downgrade"), "a downgrade is asked for explicitly: {}", down.stderr);

    // A version that does not stay up is rolled back: state, build and storage.
    let out = d.cli(&["pup", "upgrade", "upg", "--to", "1.2.0", "--health-time", "10"]);
    assert!(!out.success(), "the upgrade fails: {}", out.text());
    assert!(out.text().contains("rolled back"), "and says why: {}", out.text());
    let p = d.wait_status("upg", "running");
    assert_eq!(p["version"], "1.1.0", "{p}");
    assert_eq!(p["installation"], "ready", "{p}");
    let text = read(&data);
    assert!(!text.contains("clobbered"), "the storage snapshot was put back: {text:?}");
    // Only the kept generation's snapshot (taken before 1.1.0) is left.
    let snaps: Vec<String> = fs::read_dir(d.data_dir.join("snapshots").join(&id))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(snaps, ["0"], "the used snapshot's folder is gone");
    assert!(text.starts_with("written by 1.0.0\nseen by 1.1.0\n"), "{text:?}");
    assert!(wait_for_page(&Daemon::web_ui_addr(&p)).contains("upg 1.1.0"));
    // Without a snapshot the rollback keeps the storage as the new version left it,
    // and says so.
    let out = d.cli(&["pup", "upgrade", "upg", "--to", "1.2.0", "--health-time", "10", "--no-snapshot"]);
    assert!(!out.success(), "{}", out.text());
    assert!(out.text().contains("--no-snapshot"), "the size note and the rollback note: {}", out.text());
    let p = d.wait_status("upg", "running");
    assert_eq!(p["version"], "1.1.0", "{p}");
    assert!(read(&data).contains("clobbered by 1.2.0"), "no snapshot, nothing put back");
    fs::write(&data, "written by 1.0.0\nseen by 1.1.0\n").unwrap();

    let jobs = d.cli_json(&["jobs"]);
    let failed = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["action"] == "upgrade" && j["status"] == "failed")
        .unwrap_or_else(|| panic!("a failed upgrade job: {jobs}"));
    assert!(failed["error"].as_str().unwrap().contains("health check"), "{failed}");

    // A new required field without a value stops the upgrade before anything changes.
    let out = d.cli(&["pup", "upgrade", "upg", "--to", "1.3.0"]);
    assert!(!out.success(), "{}", out.text());
    assert!(out.text().contains("RPC_PASSWORD") && out.text().contains("--set"), "{}", out.text());
    assert_eq!(d.expect_pup("upg")["version"], "1.1.0");

    // Held: not offered, not upgraded.
    d.cli(&["pup", "hold", "upg"]).ok();
    let outdated = d.cli_json(&["pup", "outdated"]);
    assert_eq!(outdated["pups"], json!([]), "{outdated}");
    assert_eq!(outdated["held"][0]["name"], "upg", "{outdated}");
    let out = d.cli(&["pup", "upgrade", "upg", "--to", "1.3.0", "--set", "RPC_PASSWORD=s3cret"]);
    assert!(!out.success() && out.text().contains("held"), "{}", out.text());
    d.cli(&["pup", "unhold", "upg"]).ok();

    // With the value given: config carried over, new defaults added.
    d.cli(&["pup", "upgrade", "upg", "--to", "1.3.0", "--set", "RPC_PASSWORD=s3cret", "--health-time", "2"]).ok();
    let p = d.wait_status("upg", "running");
    assert_eq!(p["version"], "1.3.0", "{p}");
    let rpc = storage_file(&d, &id, "rpc.txt");
    wait_until(secs(10), "the pup to write rpc.txt", || rpc.exists());
    assert_eq!(read(&rpc), "s3cret 22555", "the pup sees its config");
    let env = read(&d.data_dir.join("pups/config").join(format!("{id}.env")));
    assert_eq!(env, "RPC_PASSWORD=s3cret\nRPC_PORT=22555\n");

    // A kept version that cannot run (its build is gone) is refused: nothing changes.
    let build = d.data_dir.join("builds").join(format!("{id}.1"));
    let hidden = build.with_extension("hidden");
    fs::rename(&build, &hidden).unwrap();
    let refused = d.cli(&["--yes", "pup", "rollback", "upg"]);
    assert!(!refused.success() && refused.text().contains("build is incomplete"), "{}", refused.text());
    let p = d.wait_status("upg", "running");
    assert_eq!((p["version"].as_str(), p["previousVersion"].as_str()), (Some("1.3.0"), Some("1.1.0")), "{p}");
    fs::rename(&hidden, &build).unwrap();

    // Rollback: back to 1.1.0 and to the storage as it was before this upgrade.
    d.cli(&["--yes", "pup", "rollback", "upg"]).ok();
    let p = d.wait_status("upg", "running");
    assert_eq!(p["version"], "1.1.0", "{p}");
    assert!(!rpc.exists(), "storage is the snapshot from before 1.3.0");
    assert_eq!(p["previousVersion"], Value::Null, "{p}");
    let again = d.cli(&["--yes", "pup", "rollback", "upg"]);
    assert!(!again.success(), "nothing further to go back to: {}", again.text());

    // Uninstall and purge leave no generation or snapshot behind.
    d.cli(&["pup", "uninstall", "upg"]).ok();
    d.cli(&["--yes", "pup", "purge", "upg"]).ok();
    let left: Vec<String> = ["pups", "builds", "snapshots"]
        .iter()
        .flat_map(|dir| fs::read_dir(d.data_dir.join(dir)).into_iter().flatten().flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&id))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// The upgrade and rollback steps the daemon's failpoints know (`upgrade:*` kills
/// the daemon at each of them once, in turn).
const STEPS: [&str; 11] = [
    "prepare", "copy", "build", "stop", "snapshot", "switch", "start", "health", "finish", "rollback", "restored",
];

#[test]
fn kill_9_at_every_upgrade_step_leaves_a_version_running() {
    let d = Daemon::start_with(DaemonOptions {
        extra_args: vec!["--failpoint".into(), "upgrade:*".into()],
        ..Default::default()
    });
    let mut src = Source::new("dbxt.upgrade-crash");
    let version = |n: usize| format!("1.0.{n}");
    for n in 0..16 {
        src.add_in(&format!("v{n}"), &TestPup::http("crashy", 8080).version(&version(n)));
    }
    d.add_source(src.path());
    d.cli(&["pup", "install", "crashy", "--version", "1.0.0"]).ok();
    let id = d.wait_status("crashy", "running")["id"].as_str().unwrap().to_string();
    let keep = storage_file(&d, &id, "keep.txt");
    fs::write(&keep, "precious").unwrap();

    let fired = |step: &str| d.data_dir.join(format!("failpoint-{step}.fired")).exists();
    // After a kill the next CLI call starts the daemon again, which recovers.
    let settle = |allowed: &[String]| -> String {
        let p = wait_for(secs(90), "the pup to be ready and running again", || {
            // A call can meet the daemon dying again (a failpoint in recovery).
            let out = d.cli(&["--json", "pup", "show", "crashy"]);
            let p: Value = if out.success() { out.json() } else { return None };
            (p["installation"] == "ready" && p["status"] == "running").then_some(p)
        });
        let v = p["version"].as_str().unwrap().to_string();
        assert!(allowed.contains(&v), "version {v} is one of {allowed:?}: {p}");
        assert_eq!(read(&keep), "precious", "storage intact");
        assert_eq!(p["id"], id.as_str());
        v
    };

    let mut current = 0;
    let mut next = 1;
    // Each attempt dies at the next step that has not fired yet.
    while STEPS[..9].iter().any(|s| !fired(s)) {
        assert!(next < 16, "ran out of versions before every step fired");
        let (from, to) = (version(current), version(next));
        let _ = d.cli(&["pup", "upgrade", "crashy", "--to", &to, "--health-time", "2"]);
        let now = settle(&[from.clone(), to.clone()]);
        if now == to {
            current = next;
            next += 1;
        }
    }
    // The rollback steps: a manual rollback, killed twice (an upgrade first when
    // there is nothing kept to go back to).
    for step in ["rollback", "restored"] {
        if d.expect_pup("crashy")["previousVersion"].is_null() {
            d.cli(&["pup", "upgrade", "crashy", "--to", &version(next), "--health-time", "2"]).ok();
            next += 1;
        }
        let p = d.expect_pup("crashy");
        let now = p["version"].as_str().unwrap().to_string();
        let prev = p["previousVersion"].as_str().unwrap().to_string();
        let _ = d.cli(&["--yes", "pup", "rollback", "crashy"]);
        settle(&[now, prev]);
        assert!(fired(step), "the {step} failpoint fired");
    }
    for step in STEPS {
        assert!(fired(step), "the daemon was killed at {step}");
    }
    // The upgrade steps die inside a job, which is then interrupted (the rollback
    // steps may also die during the recovery of an earlier kill, outside any job).
    let jobs = d.cli_json(&["jobs"]);
    let interrupted = jobs
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["action"] == "upgrade" && j["status"] == "interrupted")
        .count();
    assert!(interrupted >= 9, "each kill in an upgrade left it interrupted: {interrupted} of 9");
}

/// A daemon killed while the upgrade waits for a slow old version to stop (it
/// ignores SIGTERM, so systemd takes its stop timeout): after the restart the pup
/// comes back running, although its units were still on their way down.
#[test]
fn kill_9_while_the_old_version_is_stopping() {
    let d = Daemon::start();
    let mut src = Source::new("dbxt.slow-stop");
    let stubborn = |v: &str| TestPup::http("stubborn", 8080).version(v).pre_start("trap '' TERM");
    src.add_in("v1", &stubborn("1.0.0"));
    src.add_in("v2", &stubborn("2.0.0"));
    d.add_source(src.path());
    d.cli(&["pup", "install", "stubborn", "--version", "1.0.0"]).ok();
    d.wait_status("stubborn", "running");

    let job = job_id_of(&d.cli(&["--json", "pup", "upgrade", "stubborn", "--health-time", "1", "--detach"]).ok());
    wait_for(secs(60), "the upgrade to be stopping the old version", || {
        let j = d.cli_json(&["jobs", "show", &job]);
        assert!(j["status"] == "running" || j["status"] == "queued", "ended early: {j}");
        (j["step"] == "stop").then_some(())
    });
    std::thread::sleep(secs(1));
    d.kill_daemon();

    // The next call starts the daemon again; the pup must come back by itself.
    let p = wait_for(secs(90), "the pup to run again", || {
        let out = d.cli(&["--json", "pup", "show", "stubborn"]);
        let p: Value = if out.success() { out.json() } else { return None };
        (p["installation"] == "ready" && p["status"] == "running").then_some(p)
    });
    assert_eq!(p["version"], "1.0.0", "the upgrade had not switched: {p}");
    assert_eq!(d.cli_json(&["jobs", "show", &job])["status"], "interrupted");
}
