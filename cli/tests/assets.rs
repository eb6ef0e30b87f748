//! The checked-in completions/ and man/ must be what the current CLI generates.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "cargo run -p dogebox -- generate-assets .";

fn files_under(root: &Path, sub: &str) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(root.join(sub)) else { return BTreeSet::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| format!("{sub}/{}", e.file_name().to_string_lossy()))
        .collect()
}

#[test]
fn checked_in_completions_and_man_pages_are_fresh() {
    let repo: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().expect("temp dir");
    let status = Command::new(env!("CARGO_BIN_EXE_dogebox"))
        .arg("generate-assets")
        .arg(tmp.path())
        .env_clear()
        .status()
        .expect("run dogebox generate-assets");
    assert!(status.success(), "generate-assets failed: {status}");

    let mut problems = Vec::new();
    for sub in ["completions", "man"] {
        let fresh = files_under(tmp.path(), sub);
        let checked_in = files_under(&repo, sub);
        assert!(!fresh.is_empty(), "generate-assets wrote nothing into {sub}/");
        for name in &fresh {
            let want = std::fs::read(tmp.path().join(name)).expect("read generated file");
            match std::fs::read(repo.join(name)) {
                Ok(have) if have == want => {}
                Ok(_) => problems.push(format!("{name} is stale")),
                Err(_) => problems.push(format!("{name} is missing")),
            }
        }
        for name in checked_in.difference(&fresh) {
            problems.push(format!("{name} is no longer generated"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate from the repository root with: {REGENERATE}",
        problems.join("\n")
    );
}
