//! The corpus of real pup manifests and source indexes (`shared/tests/corpus/`, or
//! `DOGEBOX_CORPUS`), and disk sources generated from it whose nix files are offline
//! stand-ins: each pup folder holds the real `manifest.json` (only
//! `container.build.nixFileSha256` changed, to the stand-in's hash) and a `pup.nix` with
//! one trivial derivation per manifest service, so the real names, versions, services and
//! exposes drive an install end to end without nixpkgs or a network.
//!
//! Corpus layout: `indexes/<repo>.json` is a repository's `dogebox.json`;
//! `manifests/<repo>/<location>.json` is the `manifest.json` of the pup at `<location>`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{nix_string, sha256_file, shell_quote, tempdir};

/// The corpus the daemon tests use: `$DOGEBOX_CORPUS` when set, else the copy kept in
/// this repository (`shared/tests/corpus`), which a clean clone always has.
pub fn corpus_dir() -> PathBuf {
    let dir = match std::env::var_os("DOGEBOX_CORPUS").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => crate::workspace_dir().join("shared/tests/corpus"),
    };
    assert!(
        dir.join("indexes").is_dir() && dir.join("manifests").is_dir(),
        "no corpus at {} (it needs indexes/ and manifests/; DOGEBOX_CORPUS overrides the \
         repository's copy in shared/tests/corpus)",
        dir.display()
    );
    dir
}

/// Every corpus to check without a daemon: `$DOGEBOX_CORPUS` alone when set; otherwise
/// the repository's copy plus the project's shared corpus beside the checkout
/// (`../shared/corpus`) when that exists.
pub fn corpus_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![corpus_dir()];
    if std::env::var_os("DOGEBOX_CORPUS").is_none_or(|v| v.is_empty()) {
        let shared = crate::workspace_dir().join("../shared/corpus");
        if shared.join("indexes").is_dir() && shared.join("manifests").is_dir() {
            dirs.push(shared);
        }
    }
    dirs
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Names (without `.json`) of the JSON files directly in `dir`, or its subfolders with
/// `dirs`, sorted.
fn entries(dir: &Path, dirs: bool) -> BTreeSet<String> {
    let list = fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    let mut out = BTreeSet::new();
    for entry in list {
        let path = entry
            .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
            .path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if dirs && path.is_dir() {
            out.insert(name);
        } else if !dirs
            && path.is_file()
            && let Some(stem) = name.strip_suffix(".json")
        {
            out.insert(stem.to_string());
        }
    }
    out
}

/// One repository of the corpus: its index and its manifests.
#[derive(Debug, Clone)]
pub struct CorpusIndex {
    /// The corpus it comes from.
    pub corpus: PathBuf,
    /// The repository's folder name (`indexes/<repo>.json`, `manifests/<repo>/`).
    pub repo: String,
    /// The real `dogebox.json`, as text.
    pub text: String,
    /// The real `dogebox.json`.
    pub json: Value,
}

impl CorpusIndex {
    pub fn path(&self) -> PathBuf {
        self.corpus
            .join("indexes")
            .join(format!("{}.json", self.repo))
    }

    pub fn id(&self) -> &str {
        self.json["id"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.json["name"].as_str().unwrap_or_default()
    }

    pub fn description(&self) -> &str {
        self.json["description"].as_str().unwrap_or_default()
    }

    /// `pups[].location`, in the index's order.
    #[track_caller]
    pub fn locations(&self) -> Vec<String> {
        let pups = self.json["pups"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no pups array", self.path().display()));
        pups.iter()
            .map(|p| {
                p["location"]
                    .as_str()
                    .unwrap_or_else(|| {
                        panic!("{}: a pup without location: {p}", self.path().display())
                    })
                    .to_string()
            })
            .collect()
    }

    /// The folder holding this repository's manifests.
    pub fn manifests_dir(&self) -> PathBuf {
        self.corpus.join("manifests").join(&self.repo)
    }

    /// The locations that have a manifest in the corpus (`manifests/<repo>/*.json`).
    pub fn manifest_locations(&self) -> BTreeSet<String> {
        entries(&self.manifests_dir(), false)
    }

    /// The manifest file of the pup at `location`.
    pub fn manifest_path(&self, location: &str) -> PathBuf {
        self.manifests_dir().join(format!("{location}.json"))
    }

    /// The pups the index lists, with their real manifests.
    #[track_caller]
    pub fn pups(&self) -> Vec<CorpusPup> {
        self.locations()
            .into_iter()
            .map(|location| {
                let path = self.manifest_path(&location);
                CorpusPup {
                    source_id: self.id().to_string(),
                    location,
                    manifest: read_json(&path),
                    manifest_path: path,
                }
            })
            .collect()
    }
}

/// The corpus's indexes (`indexes/*.json`), sorted by repository name.
pub fn corpus_indexes(corpus: &Path) -> Vec<CorpusIndex> {
    entries(&corpus.join("indexes"), false)
        .into_iter()
        .map(|repo| {
            let path = corpus.join("indexes").join(format!("{repo}.json"));
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            CorpusIndex {
                corpus: corpus.to_path_buf(),
                repo,
                text,
                json,
            }
        })
        .collect()
}

/// The repository folders under `manifests/`.
pub fn corpus_manifest_repos(corpus: &Path) -> BTreeSet<String> {
    entries(&corpus.join("manifests"), true)
}

/// One service of a manifest: what the stand-in must provide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusService {
    pub name: String,
    pub exec: String,
    pub cwd: String,
}

/// One pup of the corpus, with its real manifest.
#[derive(Debug, Clone)]
pub struct CorpusPup {
    /// The `id` of the index listing it.
    pub source_id: String,
    /// Its `pups[].location`.
    pub location: String,
    pub manifest_path: PathBuf,
    /// The real manifest.
    pub manifest: Value,
}

impl CorpusPup {
    fn str_at(&self, pointer: &str) -> &str {
        self.manifest
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `meta.name`
    pub fn name(&self) -> &str {
        self.str_at("/meta/name")
    }

    /// `meta.version`
    pub fn version(&self) -> &str {
        self.str_at("/meta/version")
    }

    /// `meta.shortDescription`
    pub fn short_description(&self) -> &str {
        self.str_at("/meta/shortDescription")
    }

    /// `container.build.nixFile`
    pub fn nix_file(&self) -> &str {
        self.str_at("/container/build/nixFile")
    }

    /// `container.services`, in order.
    #[track_caller]
    pub fn services(&self) -> Vec<CorpusService> {
        let list = self
            .manifest
            .pointer("/container/services")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{}: no container.services", self.manifest_path.display()));
        list.iter()
            .map(|s| CorpusService {
                name: s["name"].as_str().unwrap_or_default().to_string(),
                exec: s["command"]["exec"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                cwd: s["command"]["cwd"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }

    /// `container.exposes` (empty when absent or `null`).
    pub fn exposes(&self) -> Vec<Value> {
        self.manifest
            .pointer("/container/exposes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Every distinct port of `container.exposes`, with the names of the exposes on it.
    pub fn expose_ports(&self) -> Vec<(u16, Vec<String>)> {
        let mut ports: Vec<(u16, Vec<String>)> = Vec::new();
        for e in self.exposes() {
            let Some(port) = e["port"].as_u64().and_then(|p| u16::try_from(p).ok()) else {
                continue;
            };
            let name = e["name"].as_str().unwrap_or_default().to_string();
            match ports.iter_mut().find(|(p, _)| *p == port) {
                Some((_, names)) => names.push(name),
                None => ports.push((port, vec![name])),
            }
        }
        ports
    }

    /// `(expose name, port)` of each expose with `webUI: true`, in order.
    pub fn web_uis(&self) -> Vec<(String, u16)> {
        self.exposes()
            .iter()
            .filter(|e| e["webUI"] == true)
            .filter_map(|e| {
                let port = u16::try_from(e["port"].as_u64()?).ok()?;
                Some((e["name"].as_str().unwrap_or_default().to_string(), port))
            })
            .collect()
    }

    /// What the stand-in's page on `port` says (HTML-escaped where needed): names the
    /// pup, its version and the port.
    pub fn page_text(&self, port: u16) -> String {
        format!(
            "{} {} (stand-in) serving port {port}",
            html_escape(self.name()),
            html_escape(self.version())
        )
    }

    /// The stand-in `pup.nix`: one derivation per service, named like the service, whose
    /// output has the service's `command.exec` as an executable `/bin/sh` script (and its
    /// `command.cwd` as a folder). The first service serves every expose port with
    /// python's `http.server` (a page from [`CorpusPup::page_text`]) and waits; the others
    /// sleep. Nothing from nixpkgs: builds see only `/usr` and `/bin` of the host.
    #[track_caller]
    pub fn stand_in_nix(&self) -> String {
        let services = self.services();
        assert!(
            !services.is_empty(),
            "{}: no services",
            self.manifest_path.display()
        );
        let builder = "set -e\n\
             target=\"$out$execPath\"\n\
             mkdir -p \"$out\" \"$out$cwdPath\" \"$(dirname \"$target\")\"\n\
             printf '%s' \"$runScript\" > \"$target\"\n\
             chmod 0555 \"$target\"\n";
        let mut attrs = String::new();
        for (i, svc) in services.iter().enumerate() {
            let script = if i == 0 {
                self.serving_script(&svc.name)
            } else {
                self.sleeping_script(&svc.name)
            };
            attrs.push_str(&format!(
                "  {attr} = mk {{\n    service = {attr};\n    execPath = {exec};\n    \
                 cwdPath = {cwd};\n    runScript = {script};\n  }};\n",
                attr = nix_string(&svc.name),
                exec = nix_string(&svc.exec),
                cwd = nix_string(&cwd_path(&svc.cwd)),
                script = nix_string(&script),
            ));
        }
        format!(
            "# Generated by the dogebox integration tests: an offline stand-in for\n\
             # {name} {version} (corpus manifest {location}), one derivation per service.\n\
             {{ pkgs ? {{ }}, ... }}:\n\
             let\n  mk = {{ service, execPath, cwdPath, runScript }}: derivation {{\n    \
             name = {drv_prefix} + \"-\" + service;\n    system = builtins.currentSystem;\n    \
             builder = \"/bin/sh\";\n    PATH = \"/usr/bin:/bin\";\n    \
             inherit execPath cwdPath runScript;\n    args = [ \"-c\" {builder} ];\n  }};\n\
             in\n{{\n{attrs}}}\n",
            name = one_line(self.name()),
            version = one_line(self.version()),
            location = one_line(&self.location),
            drv_prefix = nix_string(&store_name(&format!(
                "{}-{}",
                self.location,
                self.version()
            ))),
            builder = nix_string(builder),
        )
    }

    /// The first service: one `http.server` per distinct expose port, in the background.
    fn serving_script(&self, service: &str) -> String {
        let mut s = format!(
            "#!/bin/sh\n\
             set -eu\n\
             PATH=/usr/bin:/bin\n\
             export PATH\n\
             echo {started}\n",
            started = shell_quote(&format!(
                "{} {} stand-in: service {service} serving every exposed port",
                self.name(),
                self.version()
            )),
        );
        for (port, names) in self.expose_ports() {
            let dir = format!("/storage/stand-in/{port}");
            let page = format!(
                "<!doctype html><title>{title}</title><p>{text} ({exposes}) for pup ",
                title = html_escape(self.name()),
                text = self.page_text(port),
                exposes = html_escape(&names.join(", ")),
            );
            s.push_str(&format!(
                "mkdir -p {dir}\n\
                 printf '%s%s</p>\\n' {page} \"${{DBX_PUP_ID:-unknown}}\" > {dir}/index.html\n\
                 /usr/bin/python3 -m http.server {port} --bind 0.0.0.0 --directory {dir} &\n",
                dir = shell_quote(&dir),
                page = shell_quote(&page),
            ));
        }
        s.push_str("wait\necho 'every server exited' >&2\nexit 1\n");
        s
    }

    /// Any later service: runs until stopped.
    fn sleeping_script(&self, service: &str) -> String {
        format!(
            "#!/bin/sh\n\
             PATH=/usr/bin:/bin\n\
             export PATH\n\
             echo {started}\n\
             exec sleep infinity\n",
            started = shell_quote(&format!(
                "{} {} stand-in: service {service} idles",
                self.name(),
                self.version()
            )),
        )
    }

    /// The real manifest with `container.build.nixFileSha256` set to `sha256`; nothing
    /// else changes.
    #[track_caller]
    pub fn stand_in_manifest(&self, sha256: &str) -> Value {
        let mut m = self.manifest.clone();
        let build = m
            .pointer_mut("/container/build")
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("{}: no container.build", self.manifest_path.display()));
        assert!(
            build.contains_key("nixFileSha256"),
            "{}: no container.build.nixFileSha256",
            self.manifest_path.display()
        );
        build.insert("nixFileSha256".into(), Value::String(sha256.into()));
        m
    }

    /// Write the pup's folder: the stand-in nix file at `container.build.nixFile` and the
    /// real manifest carrying its hash.
    #[track_caller]
    pub fn write_folder(&self, dir: &Path) {
        let nix_file = self.nix_file();
        assert!(
            !nix_file.is_empty() && !nix_file.starts_with('/') && !nix_file.contains(".."),
            "{}: container.build.nixFile {nix_file:?} is not a plain relative path",
            self.manifest_path.display()
        );
        let nix_path = dir.join(nix_file);
        if let Some(parent) = nix_path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
        }
        fs::write(&nix_path, self.stand_in_nix())
            .unwrap_or_else(|e| panic!("writing {}: {e}", nix_path.display()));
        let manifest = self.stand_in_manifest(&sha256_file(&nix_path));
        let path = dir.join("manifest.json");
        fs::write(
            &path,
            serde_json::to_string_pretty(&manifest).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// A disk source generated from one corpus index: the real `dogebox.json` and one
/// stand-in folder per listed pup.
pub struct CorpusSource {
    dir: tempfile::TempDir,
    pub index: CorpusIndex,
    pub pups: Vec<CorpusPup>,
}

impl CorpusSource {
    /// The folder to pass to `source add`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn id(&self) -> &str {
        self.index.id()
    }
}

/// Write the source of `index` into `dir` (which must exist): its real `dogebox.json`
/// byte for byte and, for each listed location, the pup's stand-in folder.
#[track_caller]
pub fn write_stand_in_source(index: &CorpusIndex, dir: &Path) -> Vec<CorpusPup> {
    let index_path = dir.join("dogebox.json");
    fs::write(&index_path, &index.text)
        .unwrap_or_else(|e| panic!("writing {}: {e}", index_path.display()));
    let pups = index.pups();
    for pup in &pups {
        pup.write_folder(&dir.join(&pup.location));
    }
    pups
}

/// One generated stand-in source per index of `corpus`, each in its own temp folder
/// under [`test_root`].
#[track_caller]
pub fn stand_in_sources(corpus: &Path) -> Vec<CorpusSource> {
    corpus_indexes(corpus)
        .into_iter()
        .map(|index| {
            let dir = tempdir(&format!("dbxt-corpus-{}-", index.repo));
            let pups = write_stand_in_source(&index, dir.path());
            CorpusSource { dir, index, pups }
        })
        .collect()
}


/// `&`, `<`, `>`, `"` and `'` as HTML entities.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A service's `cwd` as a path inside the build output (`""` stays `""`).
fn cwd_path(cwd: &str) -> String {
    let trimmed = cwd.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// `s` with every character a Nix store path name may not hold replaced by `-`.
fn store_name(s: &str) -> String {
    let name: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+-._?=".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    match name.strip_prefix('.') {
        Some(rest) => format!("x{rest}"),
        None => name,
    }
}

/// `s` with control characters (newlines) replaced, for a comment line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_keep_only_allowed_characters() {
        assert_eq!(store_name("Dogecoin Core-0.0.9"), "Dogecoin-Core-0.0.9");
        assert_eq!(store_name(".x/y+z"), "xx-y+z");
    }

    #[test]
    fn cwd_paths_are_rooted_in_the_output() {
        assert_eq!(cwd_path(""), "");
        assert_eq!(cwd_path("/"), "");
        assert_eq!(cwd_path("app/"), "/app");
    }
}
