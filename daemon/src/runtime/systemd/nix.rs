//! Building a pup's services with `nix-build`.
//!
//! The pup's nix file is a function of `pkgs` returning one derivation per service
//! (pups.md §3.4). A fixed wrapper expression imports it; the file's path and the
//! service name reach Nix only as `--argstr` values, never as Nix code.

use std::collections::VecDeque;
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use crate::runtime::{LineSink, RuntimeError};

/// How many lines of output a build error carries.
const LOG_TAIL_LINES: usize = 40;

/// `pkgs` is bound lazily, so a nix file that never touches it builds without nixpkgs.
/// `builtins.getAttr` (not `-A`) so a service name containing `.` is one attribute.
const WRAPPER: &str = r#"{ pupFile, service }:
let
  pkgs = import <nixpkgs> { };
  pup = import (/. + pupFile) { inherit pkgs; };
in
if builtins.hasAttr service pup
then builtins.getAttr service pup
else throw "the pup's nix file has no attribute for service '${service}'"
"#;

pub(crate) struct NixBuilder {
    pub(crate) nix_build: PathBuf,
    pub(crate) nix_path: Option<String>,
    pub(crate) options: Vec<(String, String)>,
}

impl NixBuilder {
    /// Build `service` from `nix_file`, leaving the out-link (a GC root) at `out_link`.
    /// Returns the store path of the output.
    pub(crate) async fn build(
        &self,
        nix_file: &Path,
        service: &str,
        out_link: &Path,
        log: LineSink<'_>,
    ) -> Result<PathBuf, RuntimeError> {
        let file = absolute_utf8(nix_file, "nix file")?;
        let link = absolute_utf8(out_link, "build out-link")?;

        let mut cmd = Command::new(&self.nix_build);
        cmd.arg("-E")
            .arg(WRAPPER)
            .args(["--argstr", "pupFile", file])
            .args(["--argstr", "service", service])
            .args(["-o", link]);
        for (k, v) in &self.options {
            cmd.args(["--option", k, v]);
        }
        if let Some(p) = &self.nix_path {
            cmd.env("NIX_PATH", p);
        }
        if wants_missing_daemon() {
            // Debian's nix-bin sets NIX_REMOTE=daemon for every systemd user manager
            // (environment.d), even where no nix-daemon runs; as root we can build
            // against the store directly, which is what "auto" (empty) does.
            cmd.env_remove("NIX_REMOTE");
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);

        tracing::info!(service, nix_file = %nix_file.display(), "nix-build");
        let mut child = cmd.spawn().map_err(|e| RuntimeError::Io {
            context: format!("running {}", self.nix_build.display()),
            source: e,
        })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(RuntimeError::Build {
                log_tail: "nix-build: no output pipes".into(),
            });
        };
        let tail = stream_lines(stdout, stderr, log).await;
        let status = child.wait().await.map_err(|e| RuntimeError::Io {
            context: "waiting for nix-build".into(),
            source: e,
        })?;
        if !status.success() {
            tracing::warn!(service, %status, "nix-build failed");
            let mut log_tail = Vec::from(tail).join("\n");
            if log_tail.is_empty() {
                log_tail = format!("nix-build exited with {status}");
            }
            return Err(RuntimeError::Build { log_tail });
        }
        output_of(out_link).await
    }
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

/// Forward every line of both pipes to `log` as it arrives; return the last lines.
async fn stream_lines(
    stdout: impl AsyncRead + Unpin,
    stderr: impl AsyncRead + Unpin,
    log: LineSink<'_>,
) -> VecDeque<String> {
    let mut tail = VecDeque::with_capacity(LOG_TAIL_LINES);
    let mut out = BufReader::new(stdout);
    let mut err = BufReader::new(stderr);
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        // read_until is cancel-safe: a partial line stays in its buffer.
        let (from_stdout, r) = tokio::select! {
            r = out.read_until(b'\n', &mut out_buf), if out_open => (true, r),
            r = err.read_until(b'\n', &mut err_buf), if err_open => (false, r),
        };
        let buf = if from_stdout {
            &mut out_buf
        } else {
            &mut err_buf
        };
        if let Some(line) = take_line(buf) {
            log(&line);
            if tail.len() == LOG_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        // EOF or a read error both end that pipe; the exit status tells the rest.
        if !matches!(r, Ok(n) if n > 0) {
            if from_stdout {
                out_open = false;
            } else {
                err_open = false;
            }
        }
    }
    tail
}

fn take_line(buf: &mut Vec<u8>) -> Option<String> {
    if buf.is_empty() {
        return None;
    }
    let line = String::from_utf8_lossy(buf)
        .trim_end_matches(['\n', '\r'])
        .to_owned();
    buf.clear();
    Some(line)
}

/// Path of the nix-daemon's socket, where Nix looks for it by default.
const NIX_DAEMON_SOCKET: &str = "/nix/var/nix/daemon-socket/socket";

/// Whether the environment asks for a nix-daemon that is not there.
fn wants_missing_daemon() -> bool {
    std::env::var_os("NIX_REMOTE").is_some_and(|v| v == "daemon")
        && !Path::new(NIX_DAEMON_SOCKET).exists()
}
