//! Shell completions and man pages, generated from the clap definitions.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::CommandFactory as _;

use super::{Ctx, ok};
use crate::cli::{Cli, CompletionsArgs, Shell};

const BIN: &str = "dogebox";

pub fn completions(ctx: &Ctx, args: CompletionsArgs) -> Result<ExitCode> {
    ctx.out.print_raw(&completion(args.shell))?;
    Ok(ok())
}

fn completion(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::from(shell),
        &mut public_command(),
        BIN,
        &mut buf,
    );
    buf
}

/// The command tree without hidden subcommands. clap_complete would offer them, and clap has
/// no way to drop a subcommand, so the top level is rebuilt from its parts.
fn public_command() -> clap::Command {
    let full = Cli::command();
    let mut cmd = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .about(full.get_about().cloned().unwrap_or_default())
        .subcommand_required(true);
    for arg in full.get_arguments() {
        cmd = cmd.arg(arg.clone());
    }
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        cmd = cmd.subcommand(sub.clone());
    }
    cmd
}

/// Every generated file, by path relative to the output root.
pub fn assets() -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    files.insert(
        "completions/dogebox.bash".to_string(),
        completion(Shell::Bash),
    );
    files.insert("completions/_dogebox".to_string(), completion(Shell::Zsh));
    files.insert(
        "completions/dogebox.fish".to_string(),
        completion(Shell::Fish),
    );
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // build() names subcommands `dogebox-pup-install`, which become the page names.
    cmd.build();
    man_pages(&cmd, &mut files)?;
    Ok(files)
}

fn man_pages(cmd: &clap::Command, files: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        man_pages(sub, files)?;
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render(&mut buf).context("cannot render a man page")?;
    files.insert(format!("man/{}", man.get_filename()), buf);
    Ok(())
}

/// Writes every asset under `dir`, and removes man pages of commands that no longer exist.
pub fn generate(ctx: &Ctx, dir: &Path) -> Result<ExitCode> {
    let files = assets()?;
    for sub in ["completions", "man"] {
        let folder = dir.join(sub);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    let man_dir = dir.join("man");
    let entries = std::fs::read_dir(&man_dir)
        .with_context(|| format!("cannot read {}", man_dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", man_dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(BIN)
            && name.ends_with(".1")
            && !files.contains_key(&format!("man/{name}"))
        {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove the stale {}", entry.path().display()))?;
        }
    }
    for (rel, bytes) in &files {
        let path = dir.join(rel);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    ctx.out.note(&format!(
        "wrote {} files under {}",
        files.len(),
        dir.display()
    ));
    Ok(ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_is_a_page_per_visible_subcommand() {
        let files = assets().expect("assets");
        for page in [
            "man/dogebox.1",
            "man/dogebox-pup.1",
            "man/dogebox-pup-install.1",
            "man/dogebox-jobs-watch.1",
            "man/dogebox-store-search.1",
            "man/dogebox-store-show.1",
            "man/dogebox-pup-upgrade.1",
            "man/dogebox-pup-rollback.1",
        ] {
            assert!(
                files.contains_key(page),
                "missing {page}: {:?}",
                files.keys()
            );
        }
        assert!(
            !files
                .keys()
                .any(|k| k.contains("generate-assets") || k.contains("-help")),
            "{:?}",
            files.keys()
        );
        for shell in [
            "completions/dogebox.bash",
            "completions/_dogebox",
            "completions/dogebox.fish",
        ] {
            let text = String::from_utf8_lossy(&files[shell]);
            assert!(text.contains("uninstall"), "{shell} misses a command");
            assert!(
                !text.contains("generate-assets"),
                "{shell} offers the hidden command"
            );
        }
    }
}
