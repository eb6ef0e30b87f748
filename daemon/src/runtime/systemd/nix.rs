//! The `nix-build` command for a pup's services (run in a build unit, see `build.rs`).
//!
//! The pup's nix file is a function of `pkgs` returning one derivation per service
//! (pups.md §3.4). A fixed wrapper expression imports it; the file's path and the
//! service name reach Nix only as `--argstr` values, never as Nix code.

use std::path::{Component, Path, PathBuf};

use crate::runtime::RuntimeError;

/// `pkgs` is bound lazily, so a nix file that never touches it builds without nixpkgs.
/// `builtins.getAttr` (not `-A`) so a service name containing `.` is one attribute.
const WRAPPER: &str = r#"{ pupFile, service }:
let
  pkgs = import <nixpkgs> { };
  pup = import (/. + pupFile) { inherit pkgs; };
in
if builtins.hasAttr service pup
then builtins.getAttr service pup
else throw ("the pup's nix file has no attribute for service '" + service + "'")
"#;

pub(crate) struct NixBuilder {
    pub(crate) nix_build: PathBuf,
    pub(crate) nix_path: Option<String>,
    pub(crate) options: Vec<(String, String)>,
}

/// Options that only make sense when the builder runs as root without build users;
/// with a nix-daemon its sandboxed build users do the work instead.
const DIRECT_ONLY_OPTIONS: [&str; 2] = ["sandbox", "build-users-group"];

/// One `nix-build` run, as the build unit executes it.
#[derive(Debug)]
pub(crate) struct BuildCommand {
    /// Absolute path of the program (symlinks resolved, so it stays reachable when
    /// home folders are hidden).
    pub(crate) program: String,
    /// Full argv, starting with the name nix dispatches on (`nix-build`).
    pub(crate) argv: Vec<String>,
    /// `NAME=value` entries for the unit.
    pub(crate) env: Vec<String>,
    /// Variables to drop from the manager's environment.
    pub(crate) unset_env: Vec<String>,
    /// Whether the build goes through a nix-daemon.
    pub(crate) via_daemon: bool,
}

impl NixBuilder {
    /// The command that builds `service` from `nix_file`, leaving the out-link (a GC
    /// root) at `out_link`.
    pub(crate) fn command(
        &self,
        nix_file: &Path,
        service: &str,
        out_link: &Path,
    ) -> Result<BuildCommand, RuntimeError> {
        let file = absolute_utf8(nix_file, "nix file")?;
        let link = absolute_utf8(out_link, "build out-link")?;
        let program = resolve_program(&self.nix_build)?;
        // nix is one binary that picks its mode from argv[0].
        let argv0 = self
            .nix_build
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("nix-build")
            .to_owned();

        let via_daemon = nix_daemon_running();
        let mut argv = vec![argv0, "-E".to_owned(), WRAPPER.to_owned()];
        for (k, v) in [("pupFile", file), ("service", service)] {
            argv.extend(["--argstr".to_owned(), k.to_owned(), v.to_owned()]);
        }
        argv.extend(["-o".to_owned(), link.to_owned()]);
        for (k, v) in &self.options {
            if via_daemon && DIRECT_ONLY_OPTIONS.contains(&k.as_str()) {
                tracing::debug!(option = %k, "not passed: builds go through the nix-daemon");
                continue;
            }
            argv.extend(["--option".to_owned(), k.clone(), v.clone()]);
        }

        // HOME: nix writes its cache under ~/.cache; /tmp is the unit's private one.
        let mut env = vec!["HOME=/tmp".to_owned()];
        let mut unset_env = Vec::new();
        match &self.nix_path {
            Some(p) => env.push(format!("NIX_PATH={p}")),
            // Not the manager's NIX_PATH (Debian points it at per-user channels, which an
            // earlier build could have written): only what the daemon was told.
            None => unset_env.push("NIX_PATH".to_owned()),
        }
        if via_daemon {
            // Even as root: "auto" would pick the local store and skip the sandbox.
            env.push("NIX_REMOTE=daemon".to_owned());
        } else {
            // Debian's nix-bin sets NIX_REMOTE=daemon for every systemd user manager
            // (environment.d), even where no nix-daemon runs; as root we can build
            // against the store directly, which is what "auto" (unset) does.
            unset_env.push("NIX_REMOTE".to_owned());
        }
        Ok(BuildCommand {
            program,
            argv,
            env,
            unset_env,
            via_daemon,
        })
    }
}

/// Where bare program names are looked up, instead of `PATH`: the manager's PATH can
/// name folders a build may write to (Debian's nix-bin puts /nix/var/nix/profiles/…
/// first), and a program planted there would run as the daemon.
const TRUSTED_BIN_DIRS: [&str; 5] = ["/run/current-system/sw/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// A bare program name found in [`TRUSTED_BIN_DIRS`] (not resolved further, so a
/// multi-call binary still sees its own name); `None` for anything else.
pub(crate) fn trusted_program(program: &Path) -> Option<PathBuf> {
    if program.is_absolute() {
        return Some(program.to_path_buf());
    }
    if program.components().count() != 1 {
        return None;
    }
    TRUSTED_BIN_DIRS.iter().map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}

/// An absolute, symlink-free path for a program given absolute or as a bare name
/// looked up in [`TRUSTED_BIN_DIRS`].
fn resolve_program(program: &Path) -> Result<String, RuntimeError> {
    let not_found = || RuntimeError::Io {
        context: format!("finding {}", program.display()),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    };
    let found = if program.is_absolute() {
        Some(program.to_path_buf())
    } else {
        trusted_program(program)
    };
    let real = std::fs::canonicalize(found.ok_or_else(not_found)?).map_err(|e| RuntimeError::Io {
        context: format!("resolving {}", program.display()),
        source: e,
    })?;
    absolute_utf8(&real, "program").map(str::to_owned)
}

/// The store path an out-link points at.
pub(crate) async fn output_of(out_link: &Path) -> Result<PathBuf, RuntimeError> {
    let target = tokio::fs::read_link(out_link)
        .await
        .map_err(|e| RuntimeError::Io {
            context: format!(
                "reading build link {} (was the pup built?)",
                out_link.display()
            ),
            source: e,
        })?;
    Ok(match out_link.parent() {
        Some(dir) if target.is_relative() => dir.join(target),
        _ => target,
    })
}

/// `output` joined with a path given inside it (`/bin/run`, `share/www`); `None` if the
/// path would leave the output (`..`).
pub(crate) fn inside_output(output: &Path, rel: &str) -> Option<PathBuf> {
    let mut p = output.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(s) => p.push(s),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(p)
}

/// The absolute path of a service's executable, checked to exist as a file.
pub(crate) async fn exec_path(
    service: &str,
    output: &Path,
    exec: &str,
) -> Result<PathBuf, RuntimeError> {
    let missing = || RuntimeError::MissingExec {
        service: service.to_owned(),
        exec: exec.to_owned(),
        output: output.display().to_string(),
    };
    let path = inside_output(output, exec).ok_or_else(missing)?;
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() && path != output => Ok(path),
        _ => Err(missing()),
    }
}

fn absolute_utf8<'a>(p: &'a Path, what: &str) -> Result<&'a str, RuntimeError> {
    let invalid = |why: &str| RuntimeError::Io {
        context: format!("{what} {}", p.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_owned()),
    };
    if !p.is_absolute() {
        return Err(invalid("path must be absolute"));
    }
    p.to_str().ok_or_else(|| invalid("path is not UTF-8"))
}

/// Path of the nix-daemon's socket, where Nix looks for it by default.
const NIX_DAEMON_SOCKET: &str = "/nix/var/nix/daemon-socket/socket";

/// Whether a nix-daemon is there to build for us (its socket exists).
fn nix_daemon_running() -> bool {
    Path::new(NIX_DAEMON_SOCKET).exists()
}

#[cfg(test)]
mod trusted_tests {
    use super::*;

    #[test]
    fn bare_names_come_from_system_folders_only() {
        let sh = trusted_program(Path::new("sh")).expect("sh is in /bin or /usr/bin");
        assert!(TRUSTED_BIN_DIRS.iter().any(|d| sh.starts_with(d)), "{}", sh.display());
        assert_eq!(trusted_program(Path::new("/opt/x/nix-build")), Some(PathBuf::from("/opt/x/nix-build")));
        assert_eq!(trusted_program(Path::new("bin/ip")), None);
        assert_eq!(trusted_program(Path::new("no-such-program-dbx")), None);
    }
}
