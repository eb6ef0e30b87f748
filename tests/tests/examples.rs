//! The example source in `examples/` is well formed: every listed pup's manifest
//! carries the sha256 of its nix file (`dev/update-hashes` fixes them), and every nix
//! file builds offline, without nixpkgs.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;
use std::path::Path;
use std::time::Duration;

use dogebox_tests::{Value, examples_dir, run, sha256_file};

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `(folder name, manifest)` for every pup `examples/dogebox.json` lists.
fn example_pups() -> Vec<(String, Value)> {
    let dir = examples_dir();
    let index = read_json(&dir.join("dogebox.json"));
    assert_eq!(index["id"], "dogebox.examples", "examples/dogebox.json id");
    assert!(
        index["name"].as_str().is_some_and(|n| !n.is_empty()),
        "examples/dogebox.json needs a name"
    );
    let pups = index["pups"]
        .as_array()
        .expect("examples/dogebox.json has a pups array");
    pups.iter()
        .map(|p| {
            let loc = p["location"]
                .as_str()
                .expect("every pups entry has a location")
                .to_string();
            let manifest = read_json(&dir.join(&loc).join("manifest.json"));
            (loc, manifest)
        })
        .collect()
}

#[test]
fn the_example_source_lists_hello_web_and_doge_ticker() {
    let names: Vec<String> = example_pups()
        .iter()
        .map(|(_, m)| m["meta"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    for want in ["hello-web", "doge-ticker"] {
        assert!(
            names.iter().any(|n| n == want),
            "examples/dogebox.json should list {want}: {names:?}"
        );
    }
    let hello = example_pups()
        .into_iter()
        .find(|(l, _)| l == "hello-web")
        .map(|(_, m)| m)
        .unwrap();
    let web_uis: Vec<&Value> = hello["container"]["exposes"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["webUI"] == true).collect())
        .unwrap_or_default();
    assert_eq!(web_uis.len(), 1, "hello-web exposes one web UI");
    assert_eq!(web_uis[0]["port"], 8080);
}

#[test]
fn example_manifests_carry_the_sha256_of_their_nix_files() {
    let dir = examples_dir();
    for (loc, manifest) in example_pups() {
        assert_eq!(manifest["manifestVersion"], 1, "{loc}: manifestVersion");
        let build = &manifest["container"]["build"];
        let nix_file = build["nixFile"]
            .as_str()
            .unwrap_or_else(|| panic!("{loc}: no container.build.nixFile"));
        let want = sha256_file(&dir.join(&loc).join(nix_file));
        assert_eq!(
            build["nixFileSha256"].as_str(),
            Some(want.as_str()),
            "examples/{loc}/manifest.json has a stale nixFileSha256: run dev/update-hashes"
        );
    }
}

#[test]
fn example_nix_files_build_offline_without_nixpkgs() {
    let dir = examples_dir();
    let have_nix = run(
        std::process::Command::new("nix-build").arg("--version"),
        Duration::from_secs(30),
    )
    .success();
    assert!(
        have_nix,
        "nix-build is needed (apt-get install nix-bin); run the tests through dev/test"
    );
    for (loc, manifest) in example_pups() {
        let nix_file = dir
            .join(&loc)
            .join(manifest["container"]["build"]["nixFile"].as_str().unwrap());
        for service in manifest["container"]["services"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let name = service["name"].as_str().unwrap();
            let exec = service["command"]["exec"].as_str().unwrap();
            let out = run(
                std::process::Command::new("nix-build")
                    .args(["--no-out-link", "--option", "sandbox", "false"])
                    .args([
                        "--option",
                        "build-users-group",
                        "",
                        "--option",
                        "substituters",
                        "",
                    ])
                    .args([
                        "-E",
                        "{ pupFile, service }: (import (/. + pupFile) { pkgs = { }; }).${service}",
                    ])
                    .arg("--argstr")
                    .arg("pupFile")
                    .arg(&nix_file)
                    .args(["--argstr", "service", name])
                    .env_remove("NIX_REMOTE")
                    .env_remove("NIX_PATH"),
                Duration::from_secs(300),
            );
            assert!(out.success(), "{loc}: service {name} does not build: {out}");
            let store_path = out
                .stdout
                .trim()
                .lines()
                .last()
                .unwrap_or_default()
                .to_string();
            let program = Path::new(&store_path).join(exec.trim_start_matches('/'));
            let meta = fs::metadata(&program)
                .unwrap_or_else(|e| panic!("{loc}: {} missing: {e}", program.display()));
            use std::os::unix::fs::PermissionsExt;
            assert!(
                meta.permissions().mode() & 0o111 != 0,
                "{loc}: {} is not executable",
                program.display()
            );
        }
    }
}
