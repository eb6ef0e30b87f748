//! Installs that fail leave the pup `broken` with dogeboxd's reason and the error text,
//! and nothing half-made behind.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use dogebox_tests::*;

#[test]
fn wrong_nix_hash_leaves_the_pup_broken_with_both_hashes() {
    let d = Daemon::start();
    let src = Source::with(
        "dbxt.wrong-hash",
        &[TestPup::http("bad-hash", 8080).wrong_hash()],
    );
    d.add_source(src.path());

    let out = d.install("bad-hash");
    assert_eq!(out.code, Some(1), "a failed install exits 1: {out}");
    assert!(
        out.text().contains(TestPup::wrong_hash_value()),
        "the CLI names the wrong hash: {out}"
    );

    let p = d.expect_pup("bad-hash");
    assert_eq!(p["installation"], "broken", "{p}");
    assert_eq!(p["brokenReason"], "nix_hash_mismatch", "{p}");
    let message = p["brokenMessage"].as_str().unwrap_or_default();
    let actual = sha256_file(&src.path().join("bad-hash/pup.nix"));
    assert!(
        message.contains(TestPup::wrong_hash_value()),
        "brokenMessage names the manifest's hash: {p}"
    );
    assert!(
        message.contains(&actual),
        "brokenMessage names the file's real hash {actual}: {p}"
    );

    let id = p["id"].as_str().unwrap();
    assert_eq!(
        d.pup_units(id),
        Vec::<String>::new(),
        "no unit of the broken pup is left"
    );
    assert!(
        !d.pup_source_dir(id).exists(),
        "the copied source folder {} is removed",
        d.pup_source_dir(id).display()
    );
}

#[test]
fn failed_build_leaves_the_pup_broken_with_the_build_log() {
    let d = Daemon::start();
    let marker = format!("DBXT-BUILD-FAILED-{}", unique_token());
    let src = Source::with(
        "dbxt.failing-build",
        &[TestPup::http("bad-build", 8080)
            .failing_build(&format!("{marker}: much broken, very error"))],
    );
    d.add_source(src.path());

    let out = d.install("bad-build");
    assert_eq!(out.code, Some(1), "a failed install exits 1: {out}");

    let p = d.expect_pup("bad-build");
    assert_eq!(p["installation"], "broken", "{p}");
    assert_eq!(p["brokenReason"], "nix_apply_failed", "{p}");
    let message = p["brokenMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains(&marker),
        "brokenMessage holds the end of the build log ({marker}): {p}"
    );

    let id = p["id"].as_str().unwrap();
    assert_eq!(
        d.pup_units(id),
        Vec::<String>::new(),
        "no unit of the broken pup is left"
    );
}
