//! Git sources, built on the fly with several tags: every SemVer tag is a set of pup
//! versions, a broken tag is skipped and reported without hiding the others, a
//! version offered by several tags comes from the highest one, pre-releases are
//! never "latest", listings are cached until refreshed, a failed refresh keeps the
//! last good listing, and an installed pup its source dropped stays visible.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use serde_json::Value;

use dogebox_tests::*;

fn store_pup<'a>(store: &'a Value, name: &str) -> &'a Value {
    store["pups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} is in the store: {store}"))
}

fn versions(p: &Value) -> Vec<String> {
    p["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn tags_are_versions_and_the_store_follows_the_repository() {
    let d = Daemon::start();
    let repo = GitRepo::new("dbxt.git");
    let alpha = |v: &str| TestPup::http("alpha", 8080).version(v).with_logo();
    let beta = TestPup::http("beta", 8081).version("1.0.0");
    let gamma = TestPup::http("gamma", 8082).version("0.1.0");

    repo.set_pups(&[alpha("1.0.0"), beta.clone()]);
    repo.tag("v1.0.0", false);
    // Without the `v`, annotated; beta 1.0.0 again (a duplicate version); gamma is new.
    repo.set_pups(&[alpha("1.1.0"), beta.clone(), gamma.clone()]);
    repo.tag("1.1.0", true);
    // A broken manifest: the whole tag is skipped.
    repo.set_pups(&[alpha("1.2.0"), beta.clone()]);
    repo.write("alpha/manifest.json", "{ this is not json");
    repo.tag("v1.2.0", false);
    // A pre-release; beta and gamma are gone from this tag.
    repo.set_pups(&[alpha("2.0.0-rc.1")]);
    repo.tag("v2.0.0-rc.1", false);
    repo.tag("not-a-version", false);

    // A local path to a repository is a git source, not a disk folder.
    d.add_source(repo.path());
    let sources = d.cli_json(&["source", "list"]);
    assert_eq!(sources[0]["type"], "git", "{sources}");
    assert_eq!(sources[0]["id"], "dbxt.git", "{sources}");

    let store = d.cli_json(&["store"]);
    let a = store_pup(&store, "alpha");
    assert_eq!(
        versions(a),
        ["2.0.0-rc.1", "1.1.0", "1.0.0"],
        "SemVer order, the broken tag's 1.2.0 absent: {a}"
    );
    assert_eq!(a["latestVersion"], "1.1.0", "latest is never a pre-release: {a}");
    assert_eq!(versions(store_pup(&store, "beta")), ["1.0.0"], "one 1.0.0 although two tags offer it");
    assert_eq!(versions(store_pup(&store, "gamma")), ["0.1.0"]);
    let errors = store["errors"].to_string();
    assert!(errors.contains("v1.2.0") && errors.contains("alpha"), "the broken tag is reported: {errors}");

    // The duplicate resolves to the highest tag that has it.
    let beta_detail = d.cli_json(&["store", "show", "beta"]);
    assert_eq!(beta_detail["versions"][0]["tag"], "1.1.0", "{beta_detail}");
    let alpha_detail = d.cli_json(&["store", "show", "alpha"]);
    let logo = alpha_detail["logo"].as_str().unwrap_or_default();
    assert!(logo.starts_with("data:image/png;base64,"), "logo as a data URL: {alpha_detail}");
    assert_eq!(alpha_detail["versions"][0]["preRelease"], true, "{alpha_detail}");
    assert_eq!(alpha_detail["versions"][1]["manifest"]["meta"]["version"], "1.1.0");

    let found = d.cli_json(&["store", "search", "GAMM"]);
    let names: Vec<&str> = found["pups"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gamma"], "{found}");

    // Adding it again, by path or by URL, is a clear error.
    let again = d.cli(&["source", "add", &repo.path().display().to_string()]);
    assert!(!again.success() && again.text().contains("already"), "{}", again.text());
    let by_url = d.cli(&["source", "add", &format!("file://{}", repo.path().display())]);
    assert!(!by_url.success() && by_url.text().contains("already"), "{}", by_url.text());

    // Install clones the tag: the latest stable version.
    d.install("alpha").ok();
    let p = d.wait_status("alpha", "running");
    assert_eq!(p["version"], "1.1.0", "{p}");
    let page = wait_for_page(&Daemon::web_ui_addr(&p));
    assert!(page.contains("alpha 1.1.0"), "{page}");
    d.install("gamma").ok();

    // A new tag is not seen until the listing is refreshed.
    repo.set_pups(&[alpha("1.3.0"), beta.clone()]);
    repo.tag("v1.3.0", false);
    assert_eq!(store_pup(&d.cli_json(&["store"]), "alpha")["latestVersion"], "1.1.0", "cached");
    let fresh = d.cli_json(&["store", "--refresh"]);
    assert_eq!(store_pup(&fresh, "alpha")["latestVersion"], "1.3.0", "{fresh}");
    let outdated = d.cli_json(&["pup", "outdated"]);
    assert_eq!(outdated["pups"][0]["name"], "alpha", "{outdated}");
    assert_eq!(outdated["pups"][0]["latest"], "1.3.0", "{outdated}");
    let with_pre = d.cli_json(&["pup", "outdated", "--pre"]);
    assert_eq!(with_pre["pups"][0]["latest"], "2.0.0-rc.1", "pre-releases only when asked: {with_pre}");

    // gamma's only tag goes: it stays listed as installed, flagged.
    repo.git(&["tag", "-d", "1.1.0"]);
    let fresh = d.cli_json(&["store", "--refresh"]);
    let g = store_pup(&fresh, "gamma");
    assert_eq!(g["offered"], false, "{g}");
    assert_eq!(g["installed"].as_array().unwrap().len(), 1, "{g}");
    let text = d.cli(&["store"]).ok().text();
    assert!(text.contains("not offered"), "the table says so: {text}");
    let shown = d.cli(&["store", "show", "gamma"]).code_is(3);
    assert!(shown.stderr.contains("is installed") && shown.stderr.contains("not offered"), "{}", shown.stderr);

    // The repository disappears: the refresh fails, the last listing stays, and why.
    let moved = repo.path().with_extension("moved");
    std::fs::rename(repo.path(), &moved).unwrap();
    let out = d.cli(&["--json", "store", "--refresh"]);
    std::fs::rename(&moved, repo.path()).unwrap();
    let kept: Value = out.json();
    assert_eq!(store_pup(&kept, "alpha")["latestVersion"], "1.3.0", "last good listing: {kept}");
    let state = &kept["sources"][0];
    assert!(state["refreshError"].as_str().is_some_and(|e| !e.is_empty()), "{state}");
    assert!(out.stderr.contains("refresh failed"), "a warning: {}", out.stderr);
}

/// With `--source-max-age`, a listing older than that is read again by `store`
/// itself; removing the source removes its cached repository. A stopped pup that is
/// upgraded is proven running and then stopped again.
#[test]
fn old_listings_are_refreshed_and_removed_sources_leave_nothing() {
    let d = Daemon::start_with(DaemonOptions {
        extra_args: vec!["--source-max-age".into(), "1".into()],
        ..Default::default()
    });
    let repo = GitRepo::new("dbxt.git-age");
    let pup = |v: &str| TestPup::http("aging", 8080).version(v);
    repo.set_pups(&[pup("1.0.0")]);
    repo.tag("v1.0.0", false);
    d.add_source(repo.path());
    d.install("aging").ok();
    d.cli(&["pup", "stop", "aging"]).ok();

    repo.set_pups(&[pup("1.1.0")]);
    repo.tag("v1.1.0", false);
    std::thread::sleep(secs(2));
    let store = d.cli_json(&["store"]);
    assert_eq!(store_pup(&store, "aging")["latestVersion"], "1.1.0", "listed again: {store}");

    d.cli(&["pup", "upgrade", "aging", "--health-time", "1"]).ok();
    let p = d.expect_pup("aging");
    assert_eq!((p["version"].as_str(), p["status"].as_str()), (Some("1.1.0"), Some("stopped")), "{p}");

    let id = p["id"].as_str().unwrap().to_string();
    d.cli(&["pup", "uninstall", &id]).ok();
    d.cli(&["--yes", "pup", "purge", &id]).ok();
    d.cli(&["--yes", "source", "remove", "dbxt.git-age"]).ok();
    let cache = d.data_dir.join("git");
    let left: Vec<_> = std::fs::read_dir(&cache).into_iter().flatten().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "git cache left behind: {left:?}");
}

/// Without `dogebox.json` the repository's root is the pup; the source's id comes
/// from the repository's name.
#[test]
fn a_repository_whose_root_is_the_pup() {
    let d = Daemon::start();
    let repo = GitRepo::new("unused");
    write_pup_folder(repo.path(), &TestPup::http("rooted", 8080).version("0.1.0"));
    repo.tag("v0.1.0", false);
    d.add_source(repo.path());
    let sources = d.cli_json(&["source", "list"]);
    let folder = repo.path().file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(sources[0]["id"], folder.as_str(), "{sources}");
    assert_eq!(sources[0]["name"], "rooted", "{sources}");
    d.install("rooted").ok();
    let p = d.wait_status("rooted", "running");
    assert!(wait_for_page(&Daemon::web_ui_addr(&p)).contains("rooted 0.1.0"));
}

/// A broken newest tag does not stop the source being added: the highest tag that
/// can be read names it, and the broken one is reported.
#[test]
fn a_broken_newest_tag_is_skipped_when_adding() {
    let d = Daemon::start();
    let repo = GitRepo::new("dbxt.git-broken-top");
    repo.set_pups(&[TestPup::http("steady", 8080).version("1.0.0")]);
    repo.tag("v1.0.0", false);
    repo.write("steady/manifest.json", "{\"manifestVersion\": 2}");
    repo.tag("v1.1.0", false);
    d.add_source(repo.path());
    let store = d.cli_json(&["store"]);
    assert_eq!(versions(store_pup(&store, "steady")), ["1.0.0"], "{store}");
    assert!(store["errors"].to_string().contains("tag v1.1.0"), "{store}");
    assert_eq!(d.cli_json(&["source", "list"])[0]["id"], "dbxt.git-broken-top");
}
