//! `kill -9` of the daemon in the middle of an install: the next CLI call starts it
//! again, the job is `interrupted`, the pup is not left `installing`, and installing it
//! again works.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;

use dogebox_tests::*;

#[test]
fn kill_9_during_build_is_recovered() {
    let d = Daemon::start();
    let mut src = Source::with("dbxt.crash", &[TestPup::http("slow-pup", 8080).slow_build(180)]);
    d.add_source(src.path());

    let out = d
        .cli(&["--json", "pup", "install", "slow-pup", "--detach"])
        .ok();
    let job = job_id_of(&out);
    let running = wait_for(secs(90), "the install job to reach the build step", || {
        let j = d.cli_json(&["jobs", "show", &job]);
        assert!(
            !j["status"]
                .as_str()
                .is_some_and(|s| s == "failed" || s == "succeeded"),
            "job ended early: {j}"
        );
        (j["step"] == "build").then_some(j)
    });
    assert_eq!(running["status"], "running", "{running}");

    d.kill_daemon();

    // The next call re-activates the daemon, which finds the job it was running.
    let j = d.cli_json(&["jobs", "show", &job]);
    assert!(d.main_pid() > 0, "the CLI call re-activated the daemon");
    assert_eq!(j["status"], "interrupted", "{j}");
    if let Some(p) = d.pup("slow-pup") {
        assert_ne!(
            p["installation"], "installing",
            "never installing forever: {p}"
        );
        assert_eq!(
            p["installation"], "broken",
            "an interrupted install is broken (or gone): {p}"
        );
        assert!(
            p["brokenReason"].as_str().is_some_and(|r| !r.is_empty()),
            "with a reason: {p}"
        );
        let id = p["id"].as_str().unwrap();
        assert_eq!(
            d.pup_units(id),
            Vec::<String>::new(),
            "no unit of the interrupted pup is left"
        );
    }

    // A second install succeeds. The source now has a version that builds at once
    // (builds see nothing of the host, so a test cannot signal a running builder).
    src.add(&TestPup::http("slow-pup", 8080));
    d.install("slow-pup").ok();
    let pups = d.pups();
    let ready = pups
        .iter()
        .find(|p| p["name"] == "slow-pup" && p["installation"] == "ready")
        .unwrap_or_else(|| panic!("slow-pup is ready after the second install: {pups:?}"));
    assert_eq!(ready["status"], "running", "{ready}");
    let page = wait_for_page(&Daemon::web_ui_addr(ready));
    assert!(page.contains("slow-pup"), "{page}");
}

/// A later moment of the install: units exist and the daemon waits for them to run.
/// After the kill the restarted daemon removes what the install made (units, source
/// copy, the storage it created) and says so; nothing is left `installing`.
#[test]
fn kill_9_while_waiting_for_the_services_is_recovered() {
    let d = Daemon::start();
    let src = Source::with("dbxt.crash2", &[TestPup::http("late-kill", 8080)]);
    d.add_source(src.path());

    let out = d.cli(&["--json", "pup", "install", "late-kill", "--detach"]).ok();
    let job = job_id_of(&out);
    let (pup_id, units) = wait_for(secs(120), "the install to wait for its running services", || {
        let j = d.cli_json(&["jobs", "show", &job]);
        assert!(
            !j["status"].as_str().is_some_and(|s| s == "failed" || s == "succeeded"),
            "job ended before the kill: {j}"
        );
        if j["step"] != "verify-running" {
            return None;
        }
        let id = j["pupId"].as_str()?.to_string();
        let units = d.pup_units(&id);
        (!units.is_empty()).then_some((id, units))
    });
    assert!(units.iter().any(|u| u.ends_with(".service")), "units exist before the kill: {units:?}");

    d.kill_daemon();

    let j = d.cli_json(&["jobs", "show", &job]);
    assert_eq!(j["status"], "interrupted", "{j}");
    let p = d.expect_pup(&pup_id);
    assert_eq!(p["installation"], "broken", "{p}");
    assert_eq!(p["brokenReason"], "install_interrupted", "{p}");
    assert_eq!(d.pup_units(&pup_id), Vec::<String>::new(), "the interrupted install's units are gone");
    assert!(!d.pup_source_dir(&pup_id).exists(), "the copied source is gone");
    let storage = p["storageDir"].as_str().unwrap();
    assert!(!std::path::Path::new(storage).exists(), "storage this install created is gone: {storage}");
    assert!(
        fs::read_dir(d.data_dir.join("tmp")).map(|mut r| r.next().is_none()).unwrap_or(true),
        "no half-made copies are left in the scratch folder"
    );

    // Installing again reuses the record and works.
    d.install("late-kill").ok();
    let p = d.expect_pup(&pup_id);
    assert_eq!(p["installation"], "ready", "{p}");
    assert_eq!(p["status"], "running", "{p}");
}

/// After the service manager reloads its units (`systemctl daemon-reload`, which a
/// NixOS rebuild also does), a pup's units still load, and a service that crashes is
/// restarted by systemd (systemd 252 could not read back an `ExecStartEx=` it wrote).
#[test]
fn units_survive_a_daemon_reload_and_crashes_are_restarted() {
    let d = Daemon::start();
    let src = Source::with("dbxt.reload", &[TestPup::http("reloaded", 8080)]);
    d.add_source(src.path());
    d.install("reloaded").ok();
    let p = d.wait_status("reloaded", "running");
    let unit = p["services"][0]["unit"].as_str().unwrap().to_string();
    let prop = |name: &str| {
        systemctl(&["show", "-p", name, "--value", &unit])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    systemctl(&["daemon-reload"]).ok();
    assert_eq!(prop("LoadState"), "loaded", "the unit loads after a reload");
    let pid = prop("MainPID");
    sh("kill", &["-SEGV", &pid]).ok();
    wait_until(secs(30), "systemd to restart the crashed service", || {
        prop("NRestarts").parse::<u32>().unwrap_or(0) >= 1 && prop("ActiveState") == "active"
    });
    assert_ne!(prop("MainPID"), pid, "a new process");
    let page = wait_for_page(&Daemon::web_ui_addr(&d.wait_status("reloaded", "running")));
    assert!(page.contains("reloaded"), "{page}");
}
