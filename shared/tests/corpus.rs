//! The real manifests and indexes in the shared corpus: every one must parse, validate and
//! round-trip without losing a field.

use std::path::{Path, PathBuf};

use dogebox_shared::index::SourceIndex;
use dogebox_shared::manifest::{ExposeKind, Manifest};
use serde_json::Value;

/// The corpora to check: `DOGEBOX_CORPUS` alone when set; otherwise the copy in this
/// repository plus the shared corpus beside the checkout when it exists.
fn corpus_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("DOGEBOX_CORPUS") {
        let dir = PathBuf::from(dir);
        assert!(dir.join("manifests").is_dir(), "DOGEBOX_CORPUS={} has no manifests/ folder", dir.display());
        return vec![dir];
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = here.join("tests/corpus");
    assert!(own.join("manifests").is_dir(), "the corpus copy is missing at {}", own.display());
    let mut dirs = vec![own];
    let shared = here.join("../../shared/corpus");
    if shared.join("manifests").is_dir() {
        dirs.push(shared);
    }
    dirs
}

/// The corpus the fact checks below read (the first of [`corpus_dirs`]).
fn corpus_dir() -> PathBuf {
    corpus_dirs().remove(0)
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every key path of `input` must exist in `output` with an equal value. Extra keys in
/// `output` are fine; arrays must match element by element.
fn assert_kept(input: &Value, output: &Value, at: &str, file: &Path) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let here = format!("{at}.{k}");
                match b.get(k) {
                    Some(w) => assert_kept(v, w, &here, file),
                    None => panic!("{}: {here} lost in round trip", file.display()),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{}: {at} length changed", file.display());
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                assert_kept(v, w, &format!("{at}[{i}]"), file);
            }
        }
        _ => assert_eq!(input, output, "{}: {at} changed", file.display()),
    }
}

fn parse_ok(path: &Path) -> (Manifest, Value) {
    let bytes = read(path);
    let manifest = Manifest::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Err(e) = manifest.validate() {
        panic!("{}: {e}", path.display());
    }
    let input: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (manifest, input)
}

#[test]
fn every_corpus_manifest_parses_validates_and_round_trips() {
    let mut files = Vec::new();
    for dir in corpus_dirs() {
        let found = json_files(&dir.join("manifests"));
        assert!(found.len() >= 17, "expected at least 9 + 8 manifests in {}, found {found:?}", dir.display());
        files.extend(found);
    }
    for path in &files {
        let (manifest, input) = parse_ok(path);
        let output =
            serde_json::to_value(&manifest).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_kept(&input, &output, "", path);
        // Serialising and parsing again gives the same manifest.
        let again = Manifest::parse(output.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(again, manifest, "{}", path.display());
        assert!(manifest.version().is_ok(), "{}", path.display());
    }
}

#[test]
fn round_trip_check_catches_a_lost_field() {
    // The checker itself must fail when a field is missing or changed.
    let input: Value = serde_json::json!({ "a": { "b": null, "c": [1, { "d": 2 }] } });
    let lost = serde_json::json!({ "a": { "c": [1, { "d": 2 }] } });
    let changed = serde_json::json!({ "a": { "b": null, "c": [1, { "d": 3 }] } });
    let file = Path::new("test");
    assert!(std::panic::catch_unwind(|| assert_kept(&input, &lost, "", file)).is_err());
    assert!(std::panic::catch_unwind(|| assert_kept(&input, &changed, "", file)).is_err());
    assert_kept(
        &input,
        &serde_json::json!({ "a": { "b": null, "c": [1, { "d": 2, "e": 0 }] }, "x": 1 }),
        "",
        file,
    );
}

#[test]
fn dogecoin_core_facts() {
    let (core, _) = parse_ok(&corpus_dir().join("manifests/dogebox-wg-pups/core.json"));
    assert_eq!(
        (core.name(), core.version_str()),
        ("Dogecoin Core", "0.0.9")
    );
    assert_eq!(core.nix_file(), "pup.nix");
    assert_eq!(
        core.nix_file_sha256(),
        "3af99d529f30e51c1f0a01bfe547b28ad1a40de7145a6c3d36538bf8518abbf5"
    );
    let names: Vec<&str> = core.services().iter().map(|s| s.name()).collect();
    assert_eq!(names, ["dogecoind", "monitor", "logger"]);
    assert!(
        core.services()
            .iter()
            .all(|s| s.env().is_empty() && s.cwd().is_empty())
    );
    // 22555 twice, as http and as tcp: must be accepted.
    let rpc: Vec<ExposeKind> = core
        .exposes()
        .iter()
        .filter(|e| e.port() == 22555)
        .filter_map(|e| e.kind())
        .collect();
    assert_eq!(rpc, [ExposeKind::Http, ExposeKind::Tcp]);
    assert!(core.exposes()[0].listen_on_host());
    assert!(core.requires_internet());
    assert_eq!(
        core.upstream_versions().get("Core").map(String::as_str),
        Some("v1.14.9")
    );
    assert_eq!(core.interfaces().len(), 3);
    assert_eq!(core.metrics().len(), 7);
}

#[test]
fn config_sections_and_no_dependencies_of_core_remote() {
    let (m, _) = parse_ok(&corpus_dir().join("manifests/dogebox-wg-pups/core-remote.json"));
    let fields: Vec<&str> = m.config_fields().map(|f| f.name()).collect();
    assert!(
        fields.contains(&"REMOTE_HOST") && fields.contains(&"RPC_PASSWORD"),
        "{fields:?}"
    );
    assert!(m.dependencies().is_empty());
}

#[test]
fn dependencies_of_core_gateway() {
    let (m, _) = parse_ok(&corpus_dir().join("manifests/dogebox-wg-pups/core-gateway.json"));
    let deps: Vec<(&str, &str, &[String])> = m
        .dependencies()
        .iter()
        .map(|d| {
            (
                d.interface_name(),
                d.interface_version(),
                d.permission_groups(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("core-rpc", "0.0.1", &["RPC".to_owned()][..]),
            ("core-zmq", "0.0.1", &["ZMQ".to_owned()][..])
        ]
    );
    assert!(
        m.dependencies()
            .iter()
            .all(|d| d.source.is_some() && !d.optional())
    );
}

fn index(name: &str) -> SourceIndex {
    let path = corpus_dir().join("indexes").join(name);
    SourceIndex::load(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn locations(index: &SourceIndex) -> Vec<String> {
    let paths = index.pup_paths().unwrap_or_else(|e| panic!("{e}"));
    paths.iter().map(|p| p.display().to_string()).collect()
}

#[test]
fn indexes_list_exactly_their_pups() {
    let pups = index("dogebox-wg-pups.json");
    assert_eq!(
        (pups.id(), pups.name()),
        ("dogeorg.pups", "Dogecoin Foundation")
    );
    assert_eq!(
        locations(&pups),
        [
            "core",
            "gigawallet",
            "dogenet",
            "dogemap",
            "identity",
            "spv",
            "spv_enclave",
            "core-remote",
            "core-gateway"
        ]
    );
    let templates = index("dogebox-wg-pup-templates.json");
    assert_eq!(templates.id(), "dogebox-wg.pup-templates");
    assert_eq!(
        locations(&templates),
        [
            "nextjs", "golang", "php", "rust", "python", "nodejs", "c", "cpp"
        ]
    );

    // Each listed location has its manifest in the corpus, and nothing else is there.
    for (idx, folder) in [
        (&pups, "dogebox-wg-pups"),
        (&templates, "dogebox-wg-pup-templates"),
    ] {
        let mut listed = locations(idx);
        listed.sort();
        let dir = corpus_dir().join("manifests").join(folder);
        let mut present: Vec<String> = json_files(&dir)
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        present.sort();
        assert_eq!(listed, present, "{folder}");
    }
}
