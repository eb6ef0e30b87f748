//! Disk sources: what the store shows when a pup folder is bad, duplicates refused,
//! and index folders that leave the source refused.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;

use dogebox_tests::*;

#[test]
fn a_bad_pup_is_reported_without_hiding_the_good_ones() {
    let d = Daemon::start();
    let mut src = Source::with("dbxt.mixed", &[TestPup::http("good-pup", 8080)]);
    // A second pup whose manifest names a path outside its folder.
    let bad = src.add(&TestPup::http("bad-pup", 8080));
    let manifest = bad.join("manifest.json");
    let text = fs::read_to_string(&manifest).unwrap().replace("\"pup.nix\"", "\"../../etc/passwd\"");
    fs::write(&manifest, text).unwrap();
    d.add_source(src.path());

    let store = d.cli_json(&["store"]);
    let names: Vec<&str> = store["pups"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, vec!["good-pup"], "{store}");
    let errors = store["errors"].to_string();
    assert!(errors.contains("bad-pup") && errors.contains("nixFile"), "the error names the folder and the field: {errors}");

    let out = d.cli(&["pup", "install", "bad-pup"]).code_is(3);
    assert!(out.stderr.contains("could not be read"), "{}", out.stderr);
}

#[test]
fn duplicates_and_escaping_index_folders_are_refused() {
    let d = Daemon::start();
    let src = Source::with("dbxt.dup", &[TestPup::http("one", 8080)]);
    d.add_source(src.path());
    let again = d.cli(&["source", "add", &src.path().display().to_string()]).code_is(5);
    assert!(again.stderr.contains("already"), "{}", again.stderr);
    // Another folder, another id, the same name.
    let twin = Source::new("dbxt.twin");
    fs::write(
        twin.path().join("dogebox.json"),
        json!({"id": "dbxt.twin", "name": "test source dbxt.dup", "pups": []}).to_string(),
    )
    .unwrap();
    let named = d.cli(&["source", "add", &twin.path().display().to_string()]).code_is(5);
    assert!(named.stderr.contains("named") && named.stderr.contains("dbxt.dup"), "{}", named.stderr);

    // Two folders with the same name + version: one version, the second reported.
    let mut twice = Source::new("dbxt.twice");
    twice.add_in("first", &TestPup::http("same", 8080));
    twice.add_in("second", &TestPup::http("same", 8080));
    d.add_source(twice.path());
    let store = d.cli_json(&["store"]);
    let same = store["pups"].as_array().unwrap().iter().find(|p| p["name"] == "same").unwrap();
    assert_eq!(same["versions"], json!(["1.0.0"]), "{store}");
    assert!(store["errors"].to_string().contains("already offered"), "{store}");

    // An index whose folder is a link to a pup outside the source.
    let outside = Source::with("dbxt.outside", &[TestPup::http("elsewhere", 8080)]);
    let sneaky = Source::new("dbxt.sneaky");
    std::os::unix::fs::symlink(outside.path().join("elsewhere"), sneaky.path().join("elsewhere")).unwrap();
    fs::write(
        sneaky.path().join("dogebox.json"),
        json!({"id": "dbxt.sneaky", "name": "sneaky", "pups": [{"location": "elsewhere"}]}).to_string(),
    )
    .unwrap();
    d.add_source(sneaky.path());
    let store = d.cli_json(&["store"]);
    assert!(
        !store["pups"].as_array().unwrap().iter().any(|p| p["name"] == "elsewhere"),
        "a linked-in folder is not offered: {store}"
    );
    assert!(store["errors"].to_string().contains("outside the source folder"), "{store}");
}
