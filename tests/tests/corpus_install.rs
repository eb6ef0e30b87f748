//! The corpus of real manifests and indexes (see `dogebox_tests::corpus`): every file
//! parses and validates, each index lists exactly the pups it has manifests for, and every
//! corpus pup installs and runs by its real name from a generated source whose nix files
//! are offline stand-ins, so the real names, versions, services and exposes drive the
//! whole path (store, install, units, web UIs, uninstall, purge).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use dogebox_shared::index::SourceIndex;
use dogebox_shared::manifest::Manifest;
use dogebox_tests::corpus::{
    CorpusPup, corpus_dir, corpus_dirs, corpus_indexes, corpus_manifest_repos, html_escape,
    stand_in_sources, write_stand_in_source,
};
use dogebox_tests::*;

#[track_caller]
fn parse_and_validate(what: &str, bytes: &[u8]) -> Manifest {
    let m = Manifest::parse(bytes).unwrap_or_else(|e| panic!("{what} does not parse: {e}"));
    if let Err(e) = m.validate() {
        panic!("{what} does not validate: {e}");
    }
    m
}

#[test]
fn indexes_list_exactly_their_manifests_and_every_file_parses() {
    for corpus in corpus_dirs() {
        let indexes = corpus_indexes(&corpus);
        assert!(
            indexes.len() >= 2,
            "{}: expected at least the two real indexes, found {:?}",
            corpus.display(),
            indexes.iter().map(|i| &i.repo).collect::<Vec<_>>()
        );
        // Every manifests/<repo>/ folder belongs to an index, and the other way round.
        let repos: BTreeSet<String> = indexes.iter().map(|i| i.repo.clone()).collect();
        assert_eq!(
            corpus_manifest_repos(&corpus),
            repos,
            "{}: the folders under manifests/ are the indexes' names",
            corpus.display()
        );
        let mut ids = BTreeSet::new();
        for index in &indexes {
            let path = index.path();
            let parsed = SourceIndex::load(index.text.as_bytes())
                .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
            assert_eq!(parsed.id(), index.id(), "{}", path.display());
            assert!(
                ids.insert(index.id().to_string()),
                "{}: id {} is used twice in the corpus",
                path.display(),
                index.id()
            );

            let locations = index.locations();
            let listed: BTreeSet<String> = locations.iter().cloned().collect();
            assert_eq!(
                listed.len(),
                locations.len(),
                "{}: a location is listed twice: {locations:?}",
                path.display()
            );
            assert_eq!(
                listed,
                index.manifest_locations(),
                "{}: pups[].location must be exactly the manifests in {}",
                path.display(),
                index.manifests_dir().display()
            );

            let mut names = BTreeSet::new();
            for pup in index.pups() {
                let what = pup.manifest_path.display().to_string();
                let bytes = std::fs::read(&pup.manifest_path).unwrap();
                let m = parse_and_validate(&what, &bytes);
                assert_eq!(m.name(), pup.name(), "{what}");
                assert_eq!(m.version_str(), pup.version(), "{what}");
                assert!(
                    names.insert(m.name().to_string()),
                    "{what}: {} is offered twice by {}",
                    m.name(),
                    index.id()
                );
                let services: Vec<&str> = m.services().iter().map(|s| s.name()).collect();
                let ours: Vec<String> = pup.services().into_iter().map(|s| s.name).collect();
                assert_eq!(services, ours, "{what}: services");
            }
        }
    }
}

/// The generated source is the real one but for the nix files: the same index, the
/// same manifests but `nixFileSha256`, which is the stand-in's hash.
#[test]
fn stand_in_sources_keep_the_real_index_and_manifests() {
    let corpus = corpus_dir();
    for index in corpus_indexes(&corpus) {
        let dir = tempfile::tempdir().unwrap();
        let pups = write_stand_in_source(&index, dir.path());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("dogebox.json")).unwrap(),
            index.text,
            "dogebox.json of {} is copied as it is",
            index.id()
        );
        for pup in pups {
            let folder = dir.path().join(&pup.location);
            let what = folder.join("manifest.json").display().to_string();
            let written: Value = serde_json::from_str(
                &std::fs::read_to_string(folder.join("manifest.json")).unwrap(),
            )
            .unwrap();
            let sha = sha256_file(&folder.join(pup.nix_file()));
            assert_eq!(
                written["container"]["build"]["nixFileSha256"], sha,
                "{what} carries the stand-in's hash"
            );
            let mut back = written.clone();
            back["container"]["build"]["nixFileSha256"] =
                pup.manifest["container"]["build"]["nixFileSha256"].clone();
            assert_eq!(back, pup.manifest, "{what}: only nixFileSha256 differs");
            let m = parse_and_validate(&what, written.to_string().as_bytes());
            for svc in m.services() {
                let attr = nix_string(svc.name());
                assert!(
                    std::fs::read_to_string(folder.join(pup.nix_file()))
                        .unwrap()
                        .contains(&format!("  {attr} = mk {{")),
                    "{what}: the stand-in has an attribute for service {}",
                    svc.name()
                );
            }
        }
    }
}

/// Every key path of `want` exists in `got` with an equal value (extra keys in `got`
/// are fine; arrays match element by element). Returns the first difference.
fn kept(want: &Value, got: &Value, at: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let here = format!("{at}.{k}");
                match b.get(k) {
                    Some(w) => kept(v, w, &here)?,
                    None => return Err(format!("{here} is missing")),
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                kept(v, w, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        _ if want == got => Ok(()),
        _ => Err(format!("{at} is {got}, the manifest says {want}")),
    }
}

/// The installed pup `name` from source `source` in `pup list --json`.
fn listed(d: &Daemon, source: &str, name: &str) -> Option<Value> {
    d.pups()
        .into_iter()
        .find(|p| p["source"]["id"] == source && p["name"] == name)
}

/// Install one corpus pup by its real name and check what a user sees; `Err` says what
/// was wrong (the exact CLI output when the daemon refused it).
fn install_and_check(
    d: &Daemon,
    pup: &CorpusPup,
    folder: &Path,
    needs_source: bool,
) -> Result<String, String> {
    let name = pup.name();
    let mut args = vec!["pup", "install", name];
    if needs_source {
        args.extend(["--source", &pup.source_id]);
    }
    let started = Instant::now();
    let out = d.cli(&args);
    let took = started.elapsed();
    if !out.success() {
        let state = listed(d, &pup.source_id, name)
            .map(|p| {
                format!(
                    "\npup list: installation {} brokenReason {} brokenMessage {}",
                    p["installation"], p["brokenReason"], p["brokenMessage"]
                )
            })
            .unwrap_or_default();
        return Err(format!("the install was refused: {out}{state}"));
    }
    let p = listed(d, &pup.source_id, name)
        .ok_or_else(|| format!("installed, but not in pup list: {:?}", d.pups()))?;
    let id = p["id"].as_str().unwrap_or_default().to_string();
    let mut wrong = Vec::new();
    if p["installation"] != "ready" {
        wrong.push(format!("installation is {}, not ready", p["installation"]));
    }
    if p["status"] != "running" {
        wrong.push(format!("status is {}, not running", p["status"]));
    }
    if p["version"] != pup.version() {
        wrong.push(format!(
            "version is {}, not {}",
            p["version"],
            pup.version()
        ));
    }
    if p["brokenReason"] != Value::Null {
        wrong.push(format!("brokenReason is {}", p["brokenReason"]));
    }
    // A required config field with no default leaves the pup needing config
    // (Dogecoin Core Remote, Core Gateway); the rest need none.
    let needs_conf = pup.manifest["config"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|sec| sec["fields"].as_array().into_iter().flatten())
        .any(|f| {
            f["required"] == true
                && (f["default"].is_null() || f["default"].as_str().is_some_and(|d| d.trim().is_empty()))
        });
    if p["needsConf"] != needs_conf {
        wrong.push(format!("needsConf is {}, expected {needs_conf}", p["needsConf"]));
    }

    // One service state per manifest service, each active.
    let want: Vec<String> = pup.services().into_iter().map(|s| s.name).collect();
    let states = p["services"].as_array().cloned().unwrap_or_default();
    let got: Vec<String> = states
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_string())
        .collect();
    if got.iter().collect::<BTreeSet<_>>() != want.iter().collect::<BTreeSet<_>>()
        || got.len() != want.len()
    {
        wrong.push(format!("services are {got:?}, the manifest has {want:?}"));
    }
    for s in &states {
        if s["activeState"] != "active" {
            wrong.push(format!(
                "service {} is {}/{}",
                s["name"], s["activeState"], s["subState"]
            ));
        }
    }

    // `pup show` carries the real manifest (with the stand-in's hash).
    let show = d.cli_json(&["pup", "show", &id]);
    let real = pup.stand_in_manifest(&sha256_file(&folder.join(pup.nix_file())));
    if let Err(e) = kept(&real, &show["manifest"], "manifest") {
        wrong.push(format!("pup show --json: {e}"));
    }

    // One published web UI per webUI expose, answering with the pup's own page.
    let web_uis = p["webUIs"].as_array().cloned().unwrap_or_default();
    let want_uis = pup.web_uis();
    let got_uis: Vec<(String, u64)> = web_uis
        .iter()
        .map(|w| {
            (
                w["name"].as_str().unwrap_or_default().to_string(),
                w["internal"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let want_pairs: Vec<(String, u64)> = want_uis
        .iter()
        .map(|(n, port)| (n.clone(), u64::from(*port)))
        .collect();
    if got_uis != want_pairs {
        wrong.push(format!(
            "webUIs are {got_uis:?} (name, internal port), the manifest's webUI exposes are {want_pairs:?}"
        ));
    }
    for w in &web_uis {
        let port = w["port"].as_u64().unwrap_or_default();
        let internal = u16::try_from(w["internal"].as_u64().unwrap_or_default()).unwrap_or(0);
        let addr = format!("127.0.0.1:{port}");
        check_page(
            &mut wrong,
            pup,
            &addr,
            internal,
            &format!("web UI {}", w["name"]),
        );
    }

    // Every exposed port answers at the pup's own address (the first service serves
    // them all, so every expose of the real manifest is reachable).
    let ip = p["ip"].as_str().unwrap_or_default();
    if !d.ip_in_network(ip) {
        wrong.push(format!("ip {ip:?} is not in {}", d.network));
    }
    for (port, names) in pup.expose_ports() {
        let addr = format!("{ip}:{port}");
        check_page(&mut wrong, pup, &addr, port, &format!("expose {names:?}"));
    }

    if wrong.is_empty() {
        Ok(format!(
            "{name} {} ({} services, {} web UIs) installed in {:.1}s",
            pup.version(),
            want.len(),
            web_uis.len(),
            took.as_secs_f64()
        ))
    } else {
        Err(format!("{}\npup list: {p}", wrong.join("\n")))
    }
}

/// `GET http://addr/` must answer 200 with the stand-in's page for `port`.
fn check_page(wrong: &mut Vec<String>, pup: &CorpusPup, addr: &str, port: u16, what: &str) {
    let mut last = String::new();
    let page = poll(ANSWER_TIMEOUT, || match http_get(addr, "/") {
        Ok(r) if r.status == 200 => Some(r.body),
        Ok(r) => {
            last = format!("HTTP {}: {}", r.status, r.body);
            None
        }
        Err(e) => {
            last = e.to_string();
            None
        }
    });
    match page {
        None => wrong.push(format!(
            "{what}: http://{addr}/ did not answer 200 within {ANSWER_TIMEOUT:?} (last: {last})"
        )),
        Some(body) => {
            let text = pup.page_text(port);
            if !body.contains(&text) || !body.contains(&html_escape(pup.name())) {
                wrong.push(format!(
                    "{what}: http://{addr}/ is not {}'s page (expected {text:?}): {body}",
                    pup.name()
                ));
            }
        }
    }
}

#[test]
fn every_corpus_pup_installs_by_its_real_name_and_runs() {
    let t0 = Instant::now();
    let d = Daemon::start();
    let sources = stand_in_sources(&corpus_dir());
    for s in &sources {
        d.add_source(s.path());
    }

    // The sources carry the real ids, names and descriptions.
    let listed_sources = d.cli_json(&["source", "list"]);
    for s in &sources {
        let found = listed_sources
            .as_array()
            .and_then(|a| a.iter().find(|v| v["id"] == s.id()))
            .unwrap_or_else(|| panic!("source list shows {}: {listed_sources}", s.id()));
        assert_eq!(found["name"], s.index.name(), "{found}");
        assert_eq!(found["description"], s.index.description(), "{found}");
    }

    // The store offers exactly the corpus's pups, with their real versions and short
    // descriptions.
    let store = d.cli_json(&["store"]);
    assert_eq!(
        store["errors"],
        json!([]),
        "no source has listing errors: {store}"
    );
    let offered: BTreeSet<(String, String, String, String)> = store["pups"]
        .as_array()
        .unwrap_or_else(|| panic!("store --json has no pups array: {store}"))
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            (
                s("sourceId"),
                s("name"),
                s("latestVersion"),
                s("shortDescription"),
            )
        })
        .collect();
    let pups: Vec<&CorpusPup> = sources.iter().flat_map(|s| s.pups.iter()).collect();
    let expected: BTreeSet<(String, String, String, String)> = pups
        .iter()
        .map(|p| {
            (
                p.source_id.clone(),
                p.name().to_string(),
                p.version().to_string(),
                p.short_description().to_string(),
            )
        })
        .collect();
    assert_eq!(
        offered, expected,
        "store --json lists exactly the corpus's pups (source, name, version, short description)"
    );
    let store_len = store["pups"].as_array().map_or(0, Vec::len);
    assert_eq!(
        store_len,
        pups.len(),
        "one store entry per corpus pup: {store}"
    );

    // Install every pup by name, one after another.
    let mut sources_of: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &pups {
        *sources_of.entry(p.name()).or_default() += 1;
    }
    let mut failures = Vec::new();
    for (source, pup) in sources
        .iter()
        .flat_map(|s| s.pups.iter().map(move |p| (s, p)))
    {
        let needs_source = sources_of[pup.name()] > 1;
        let folder = source.path().join(&pup.location);
        match install_and_check(&d, pup, &folder, needs_source) {
            Ok(line) => eprintln!("corpus: {line}"),
            Err(e) => {
                eprintln!("corpus: {} FAILED", pup.name());
                failures.push(format!(
                    "{} {} ({} in {}): {e}",
                    pup.name(),
                    pup.version(),
                    pup.location,
                    pup.source_id
                ));
            }
        }
    }
    let installed = d.pups();

    // Uninstall and purge all of them; nothing is left.
    for p in &installed {
        let id = p["id"].as_str().unwrap();
        if p["installation"] != "uninstalled" {
            d.cli(&["pup", "uninstall", id]).ok();
        }
        d.cli(&["--yes", "pup", "purge", id]).ok();
        wait_until(secs(30), "the purged pup's units to be gone", || {
            d.pup_units(id).is_empty()
        });
    }
    assert_eq!(d.pups(), Vec::<Value>::new(), "purge leaves no pup");
    for s in &sources {
        d.cli(&["--yes", "source", "remove", s.id()]).ok();
    }

    assert!(
        failures.is_empty(),
        "{} of {} corpus pups did not install and run as their manifests say:\n\n{}",
        failures.len(),
        pups.len(),
        failures.join("\n\n")
    );
    assert_eq!(
        installed.len(),
        pups.len(),
        "one installed pup per corpus pup: {installed:?}"
    );
    eprintln!(
        "corpus: {} pups installed, checked and purged in {:.0}s",
        pups.len(),
        t0.elapsed().as_secs_f64()
    );
}
