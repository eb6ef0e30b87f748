//! Every pup has its own network namespace and IP: two pups listening on the same
//! internal port run side by side, each at its own IP and on its own host port.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use dogebox_tests::*;

#[test]
fn two_pups_on_port_8080_both_answer() {
    let d = Daemon::start();
    let src = Source::with(
        "dbxt.same-port",
        &[TestPup::http("port-a", 8080), TestPup::http("port-b", 8080)],
    );
    d.add_source(src.path());
    d.install("port-a").ok();
    d.install("port-b").ok();

    let a = d.expect_pup("port-a");
    let b = d.expect_pup("port-b");
    for p in [&a, &b] {
        assert_eq!(p["installation"], "ready", "{p}");
        assert_eq!(p["status"], "running", "{p}");
        assert!(d.ip_in_network(p["ip"].as_str().unwrap_or_default()), "{p}");
        assert_eq!(p["webUIs"][0]["internal"], 8080, "{p}");
    }
    assert_ne!(a["ip"], b["ip"], "each pup has its own IP");
    assert_ne!(
        a["webUIs"][0]["port"], b["webUIs"][0]["port"],
        "each web UI has its own host port"
    );

    for p in [&a, &b] {
        let name = p["name"].as_str().unwrap();
        let id = p["id"].as_str().unwrap();
        let ip = p["ip"].as_str().unwrap();
        let at_ip = wait_for_page(&format!("{ip}:8080"));
        assert!(
            at_ip.contains(name) && at_ip.contains(id),
            "http://{ip}:8080/ is {name}'s page: {at_ip}"
        );
        let at_host = wait_for_page(&Daemon::web_ui_addr(p));
        assert!(
            at_host.contains(name) && at_host.contains(id),
            "{name}'s web UI is its own page: {at_host}"
        );
    }
}
