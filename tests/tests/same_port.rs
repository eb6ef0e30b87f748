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

/// Each pup runs as its own user with storage only it can open, and it cannot see
/// the other pup's processes; purge removes the user again.
#[test]
fn pups_run_as_separate_users_and_cannot_see_each_other() {
    use std::os::unix::fs::MetadataExt;
    let d = Daemon::start();
    let src = Source::with("dbxt.users", &[TestPup::http("user-a", 8080), TestPup::http("user-b", 8080)]);
    d.add_source(src.path());
    d.install("user-a").ok();
    d.install("user-b").ok();
    let mut uids = Vec::new();
    for name in ["user-a", "user-b"] {
        let p = d.expect_pup(name);
        let id = p["id"].as_str().unwrap();
        let unit = p["services"][0]["unit"].as_str().unwrap();
        let pid = systemctl(&["show", "-p", "MainPID", "--value", unit]).stdout.trim().to_string();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let uid: u32 = status.lines().find(|l| l.starts_with("Uid:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_ne!(uid, 0, "{name} does not run as root");
        let storage = std::fs::metadata(p["storageDir"].as_str().unwrap()).unwrap();
        assert_eq!(storage.uid(), uid, "{name}'s storage belongs to its user");
        assert_eq!(storage.mode() & 0o777, 0o700, "{name}'s storage is private");
        let user = format!("dbx-{}", &id[..12]);
        assert_eq!(sh("id", &["-u", &user]).stdout.trim(), uid.to_string(), "{name} runs as {user}");
        uids.push((uid, pid, user));
    }
    assert_ne!(uids[0].0, uids[1].0, "two pups, two users");
    // As user-a, in user-a's mount namespace (its /proc), user-b's process is not there.
    let other = &uids[1].1;
    let uid_a = uids[0].0.to_string();
    let seen = sh(
        "nsenter",
        &["-t", &uids[0].1, "-m", "-S", &uid_a, "-G", &uid_a, "/bin/ls", &format!("/proc/{other}")],
    );
    assert!(!seen.success(), "user-a can see user-b's process {other}: {}", seen.stdout);

    d.cli(&["pup", "uninstall", "user-a"]).ok();
    d.cli(&["--yes", "pup", "purge", "user-a"]).ok();
    assert!(!sh("id", &["-u", &uids[0].2]).success(), "purge removed {}", uids[0].2);
}

/// Storage kept from a pup that ran as the shared user (before pups had their own)
/// is given to the pup's own user when it is installed again, files inside included.
#[test]
fn kept_storage_of_the_shared_user_is_given_to_the_pup() {
    let d = Daemon::start();
    let src = Source::with("dbxt.legacy", &[TestPup::http("legacy", 8080)]);
    d.add_source(src.path());
    d.install("legacy").ok();
    let id = d.wait_status("legacy", "running")["id"].as_str().unwrap().to_string();
    d.cli(&["pup", "uninstall", &id]).ok();
    let storage = d.data_dir.join("pups/storage").join(&id);
    sh("chown", &["-R", &format!("{PUP_USER}:{PUP_USER}"), &storage.display().to_string()]).ok();

    d.install("legacy").ok();
    let p = d.wait_status("legacy", "running");
    assert!(wait_for_page(&Daemon::web_ui_addr(&p)).contains("legacy"));
    let owner = |path: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).unwrap().uid()
    };
    let index = storage.join("www/index.html");
    assert_eq!(owner(&index), owner(&storage), "files inside belong to the pup's user too");
    assert_ne!(owner(&storage), owner(std::path::Path::new("/")), "not root's");
}
