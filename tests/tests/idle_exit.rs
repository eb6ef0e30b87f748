//! With `--idle-exit`, the daemon exits when nothing happens; pups and their web UIs keep
//! running without it, and the next CLI call starts it again through the socket.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Instant;

use dogebox_tests::*;

#[test]
fn idle_exit_keeps_pups_serving_and_the_next_call_reactivates() {
    let d = Daemon::with_idle_exit(2);
    d.add_source(&examples_dir());
    d.install("hello-web").ok();
    let p = d.expect_pup("hello-web");
    assert_eq!(p["status"], "running", "{p}");
    let addr = Daemon::web_ui_addr(&p);
    wait_for_page(&addr);

    wait_until(secs(30), "the idle daemon to exit", || {
        d.main_pid() == 0 && d.service_state() != "active"
    });

    // The web UI is served without the daemon (and does not wake it up).
    let page = wait_for_page(&addr);
    assert!(page.contains(p["id"].as_str().unwrap()), "{page}");
    assert_eq!(
        d.main_pid(),
        0,
        "serving the web UI must not start the daemon"
    );

    // The next CLI call re-activates it and sees the pup still running.
    let t = Instant::now();
    let out = d.cli(&["--json", "pup", "list"]).ok();
    eprintln!("pup list after idle exit answered in {:?}", t.elapsed());
    let again = out
        .json()
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == p["id"]).cloned())
        .unwrap_or_else(|| panic!("hello-web is still listed: {out}"));
    assert_eq!(again["status"], "running", "{again}");
    assert_eq!(again["installation"], "ready", "{again}");
    assert_eq!(again["webUIs"], p["webUIs"], "the web UI keeps its port");
    // Plain output works too.
    let plain = d.cli(&["pup", "list"]).ok();
    assert!(plain.stdout.contains("hello-web"), "{plain}");
}
