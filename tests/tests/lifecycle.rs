//! The whole life of a pup from the example source, as a user sees it through the CLI
//! and over HTTP: add the source, install, run, stop, start, uninstall, purge.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;
use std::path::PathBuf;

use dogebox_tests::*;

const EXAMPLES_ID: &str = "dogebox.examples";

#[test]
fn hello_web_install_stop_start_uninstall_purge() {
    let d = Daemon::start();

    // Source and store.
    d.add_source(&examples_dir());
    let sources = d.cli_json(&["source", "list"]);
    assert!(
        sources
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["id"] == EXAMPLES_ID)),
        "source list shows {EXAMPLES_ID}: {sources}"
    );
    let store = d.cli_json(&["store"]);
    let offered: Vec<&str> = store["pups"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    for want in ["hello-web", "doge-ticker"] {
        assert!(offered.contains(&want), "store lists {want}: {store}");
    }

    // Install: the CLI returns once the pup runs.
    d.install("hello-web").ok();
    let p = d.expect_pup("hello-web");
    assert_eq!(p["installation"], "ready", "{p}");
    assert_eq!(p["status"], "running", "{p}");
    assert_eq!(p["brokenReason"], Value::Null, "{p}");
    assert_eq!(p["version"], "0.1.0", "{p}");
    let id = p["id"].as_str().expect("pup id").to_string();
    let ip = p["ip"].as_str().expect("pup ip").to_string();
    assert!(
        d.ip_in_network(&ip),
        "pup IP {ip} is in the daemon's network {}",
        d.network
    );
    let web = &p["webUIs"][0];
    let port = web["port"]
        .as_u64()
        .unwrap_or_else(|| panic!("hello-web has a web UI: {p}"));
    assert!(port >= 10000, "web UI host port {port} is ≥ 10000");
    assert_eq!(web["internal"], 8080, "{p}");
    let storage = PathBuf::from(p["storageDir"].as_str().expect("storageDir"));
    assert!(storage.is_dir(), "storage dir {} exists", storage.display());

    // The web UI answers on the host port and the pup at its own IP; the page names the pup.
    let addr = Daemon::web_ui_addr(&p);
    let page = wait_for_page(&addr);
    assert!(
        page.contains(&id),
        "the page shows the pup id {id} (DBX_PUP_ID): {page}"
    );
    wait_for_page(&format!("{ip}:8080"));
    assert!(
        storage.join("www/index.html").is_file(),
        "the pup wrote into its /storage"
    );

    // The source cannot go while a pup from it is installed; the message names the pup.
    let refused = d.cli(&["--yes", "source", "remove", EXAMPLES_ID]);
    assert!(
        !refused.success(),
        "source remove must be refused: {refused}"
    );
    assert!(
        refused.text().contains("hello-web"),
        "the refusal names the pup: {refused}"
    );

    // Stop.
    d.cli(&["pup", "stop", "hello-web"]).ok();
    let p = d.expect_pup(&id);
    assert_eq!(p["status"], "stopped", "{p}");
    assert_eq!(p["installation"], "ready", "{p}");
    wait_until(secs(20), "the web UI to stop answering", || {
        !answers_200(&addr)
    });

    // Start again.
    d.cli(&["pup", "start", &id]).ok();
    let p = d.expect_pup(&id);
    assert_eq!(p["status"], "running", "{p}");
    let page = wait_for_page(&Daemon::web_ui_addr(&p));
    assert!(page.contains(&id), "{page}");

    // Uninstall keeps the storage.
    d.cli(&["pup", "uninstall", &id]).ok();
    let p = d.expect_pup(&id);
    assert_eq!(p["installation"], "uninstalled", "{p}");
    assert!(
        storage.is_dir(),
        "uninstall keeps the storage dir {}",
        storage.display()
    );
    wait_until(
        secs(20),
        "the web UI to stop answering after uninstall",
        || !answers_200(&addr),
    );
    wait_until(secs(20), "the pup's units to be removed", || {
        d.pup_units(&id).is_empty()
    });

    // Purge removes it all.
    d.cli(&["--yes", "pup", "purge", &id]).ok();
    assert!(
        d.pup(&id).is_none(),
        "purged pup is gone from pup list: {:?}",
        d.pups()
    );
    assert!(
        !storage.exists(),
        "purge removes the storage dir {}",
        storage.display()
    );

    // Now the source can go.
    d.cli(&["--yes", "source", "remove", EXAMPLES_ID]).ok();
    let sources = d.cli_json(&["source", "list"]);
    assert!(
        !sources
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["id"] == EXAMPLES_ID)),
        "source removed: {sources}"
    );
}

#[test]
fn doge_ticker_runs_in_the_background_and_writes_to_its_storage() {
    let d = Daemon::start();
    d.add_source(&examples_dir());
    d.install("doge-ticker").ok();
    let p = d.expect_pup("doge-ticker");
    assert_eq!(p["installation"], "ready", "{p}");
    assert_eq!(p["status"], "running", "{p}");
    assert_eq!(p["webUIs"], json!([]), "doge-ticker has no web UI: {p}");
    let log = PathBuf::from(p["storageDir"].as_str().expect("storageDir")).join("ticks.log");
    wait_until(secs(30), "two lines in /storage/ticks.log", || {
        fs::read_to_string(&log)
            .map(|s| s.lines().count() >= 2)
            .unwrap_or(false)
    });
    let text = fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(p["id"].as_str().unwrap()),
        "the ticker log names the pup: {text}"
    );

    // What it prints reaches `pup logs`; -n limits the lines.
    let out = d.cli(&["pup", "logs", "doge-ticker", "-n", "1"]).ok();
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let all = d.cli(&["pup", "logs", "doge-ticker"]).ok();
    assert!(all.stdout.contains("doge-ticker started") && all.stdout.contains("tick 1"), "{}", all.stdout);

    // The pup sees only its own environment, not the shell that started the manager
    // (dev/with-systemd exports this variable before it starts the manager).
    let key = "DOGEBOX_IN_PRIVATE_SYSTEMD";
    assert!(std::env::var_os(key).is_some(), "run through dev/test");
    let pid = sh("pgrep", &["-f", "-n", "/bin/ticker"]).stdout.trim().to_string();
    let environ = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    let environ = String::from_utf8_lossy(&environ);
    assert!(environ.contains("DBX_PUP_ID="), "read the pup's environment (pid {pid:?}): {environ}");
    assert!(!environ.contains(&format!("{key}=")), "{key} leaked into the pup: {environ}");
    // Nor what the user manager itself passes on (its bus, its folders, its pid).
    for key in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "MANAGERPID"] {
        assert!(!environ.contains(&format!("{key}=")), "{key} leaked into the pup: {environ}");
    }
}
