//! A build that never finishes cannot hold a pup hostage: an uninstall posted meanwhile
//! cancels it, and `--build-timeout` stops it on its own.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use dogebox_tests::*;

fn wait_for_build_step(d: &Daemon, job: &str) -> String {
    wait_for(secs(90), "the install to reach the build step", || {
        let j = d.cli_json(&["jobs", "show", job]);
        assert!(!j["status"].as_str().is_some_and(|s| s != "running" && s != "queued"), "job ended early: {j}");
        (j["step"] == "build").then(|| j["pupId"].as_str().unwrap_or_default().to_string())
    })
}

#[test]
fn uninstall_cancels_a_build_that_never_ends() {
    let d = Daemon::start();
    let src = Source::with("dbxt.stuck", &[TestPup::http("stuck", 8080).slow_build(3000)]);
    d.add_source(src.path());
    let job = job_id_of(&d.cli(&["--json", "pup", "install", "stuck", "--detach"]).ok());
    let pup_id = wait_for_build_step(&d, &job);

    // The uninstall waits for nothing: it stops the build and then removes the pup.
    let out = d.cli_timeout(&["pup", "uninstall", "stuck"], secs(120)).ok();
    let j = d.cli_json(&["jobs", "show", &job]);
    assert_eq!(j["status"], "failed", "{j}");
    assert!(j["error"].as_str().unwrap_or_default().contains("cancelled"), "{j}");
    let p = d.expect_pup(&pup_id);
    assert_eq!(p["installation"], "uninstalled", "{p}\n{}", out.stderr);
    assert_eq!(d.pup_units(&pup_id), Vec::<String>::new(), "no unit (build or service) is left");
}

#[test]
fn a_build_over_the_timeout_is_stopped_and_reported() {
    let d = Daemon::start_with(DaemonOptions { extra_args: vec!["--build-timeout".into(), "3".into()], ..Default::default() });
    let src = Source::with("dbxt.slow", &[TestPup::http("too-slow", 8080).slow_build(3000)]);
    d.add_source(src.path());
    let out = d.cli_timeout(&["pup", "install", "too-slow"], secs(120)).code_is(1);
    let p = d.expect_pup("too-slow");
    assert_eq!(p["installation"], "broken", "{p}");
    assert_eq!(p["brokenReason"], "nix_apply_failed", "{p}");
    let msg = p["brokenMessage"].as_str().unwrap_or_default();
    assert!(msg.contains("3 s"), "the message says the build timed out: {msg}\n{}", out.stderr);
    assert_eq!(d.pup_units(p["id"].as_str().unwrap()), Vec::<String>::new());
}
