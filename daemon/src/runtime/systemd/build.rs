//! Running one `nix-build` inside a hardened transient unit.
//!
//! Without a nix-daemon the build runs as root with no sandbox, so the pup's nix file
//! (its evaluation and its builders) must not see more of the machine than a build
//! needs. The unit gets no capabilities, a read-only file system except the nix store
//! and the pup's build folder, no home folders, a private /tmp and /dev, and an empty
//! tmpfs over the daemon's data folder with only the pup's source (read-only) and
//! build folder put back. Output goes to a log file that is tailed into the job's
//! line sink; the unit's result decides success. The unit is removed afterwards,
//! whatever happened.

use std::collections::VecDeque;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use nix::sys::stat::SFlag;
use tokio::io::AsyncReadExt;
use tokio::time::{Instant, sleep, sleep_until};

use super::nix::BuildCommand;
use super::units::{Prop, Systemd, prop};
use super::{micros, path_str};
use crate::runtime::{Cancel, LineSink, RuntimeError};

/// How many lines of output a build error carries.
const LOG_TAIL_LINES: usize = 40;
/// How often the log is read and the unit's state checked.
const POLL: Duration = Duration::from_millis(100);
/// systemd's own grace between SIGTERM and SIGKILL when a build is stopped.
const BUILD_STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long we wait for a stop before killing it ourselves.
const BUILD_STOP_WAIT: Duration = Duration::from_secs(10);
/// Added to the caller's timeout for systemd's RuntimeMaxSec=, which only matters
/// if the daemon dies while a build runs.
const RUNTIME_MAX_SLACK: Duration = Duration::from_secs(60);

/// Where root service managers look for the nodes that `InaccessiblePaths=` and
/// `ProtectHome=yes` mount over hidden paths. Only systemd as PID 1 creates them.
const INACCESSIBLE_DIR: &str = "/run/systemd/inaccessible";

/// Files no build may read, even as root (missing ones are skipped: `-`).
const HIDDEN_FILES: [&str; 4] = [
    "-/etc/shadow",
    "-/etc/gshadow",
    // A root process on the manager's bus could start an unconfined unit.
    "-/run/dbus/system_bus_socket",
    "-/run/systemd/private",
];

/// One build: the unit, the command it runs and the folders it may see.
pub(crate) struct BuildUnit<'a> {
    pub(crate) unit: String,
    pub(crate) description: String,
    pub(crate) command: BuildCommand,
    /// Hidden behind an empty tmpfs, except for `source_dir` and `build_dir`.
    pub(crate) data_dir: PathBuf,
    pub(crate) source_dir: &'a Path,
    pub(crate) build_dir: &'a Path,
    pub(crate) out_link: PathBuf,
    pub(crate) log_file: PathBuf,
}

/// How waiting for a build unit ended.
enum Ended {
    Finished,
    Timeout,
    Cancelled,
}

/// The folder both `source` and `build` live in (the daemon's data dir, from the
/// layout `<data>/pups/<id>` and `<data>/builds/<id>`). Refuses a result so close to
/// `/` that hiding it would hide the system, or one that contains the nix store.
pub(crate) fn data_dir_of(source: &Path, build: &Path) -> Result<PathBuf, RuntimeError> {
    let invalid = |why: &str| RuntimeError::Io {
        context: format!(
            "pup folders {} and {}",
            source.display(),
            build.display()
        ),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_owned()),
    };
    fn normal(p: &Path) -> Option<Vec<Component<'_>>> {
        let mut parts = p.components();
        if parts.next() != Some(Component::RootDir) {
            return None;
        }
        let rest: Vec<Component<'_>> = parts.collect();
        rest.iter()
            .all(|c| matches!(c, Component::Normal(_)))
            .then_some(rest)
    }
    let (Some(s), Some(b)) = (normal(source), normal(build)) else {
        return Err(invalid("must be absolute paths without `.` or `..`"));
    };
    let common: PathBuf = std::iter::once(Component::RootDir)
        .chain(s.iter().zip(&b).take_while(|(x, y)| x == y).map(|(x, _)| *x))
        .collect();
    let depth = common.components().count() - 1;
    if depth < 2 || common == source || common == build {
        return Err(invalid(
            "must be two separate folders under a common data folder at least two levels below /",
        ));
    }
    if Path::new("/nix/store").starts_with(&common) {
        return Err(invalid("their common folder contains the nix store"));
    }
    Ok(common)
}

/// Create the nodes that root service managers mount over inaccessible paths, if
/// systemd (not being PID 1 here) has not. Without them every unit using
/// `InaccessiblePaths=` or `ProtectHome=yes` fails with 226/NAMESPACE.
pub(crate) fn ensure_inaccessible_nodes() {
    if !nix::unistd::Uid::effective().is_root() {
        return;
    }
    let dir = Path::new(INACCESSIBLE_DIR);
    let mut made = Vec::new();
    let mut mkdir = |p: &Path, mode: u32| match std::fs::DirBuilder::new().mode(mode).create(p) {
        Ok(()) => {
            made.push(p.display().to_string());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    };
    let result = mkdir(dir, 0o755)
        .and_then(|()| mkdir(&dir.join("dir"), 0o000))
        .and_then(|()| {
            // Mode 0 from the start (no window with a readable node); concurrent
            // callers race harmlessly on create_new.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o000)
                .open(dir.join("reg"))
            {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                Err(e) => Err(e),
            }
        })
        .and_then(|()| {
            for (name, kind) in [
                ("chr", SFlag::S_IFCHR),
                ("blk", SFlag::S_IFBLK),
                ("fifo", SFlag::S_IFIFO),
                ("sock", SFlag::S_IFSOCK),
            ] {
                mknod(&dir.join(name), kind)?;
            }
            Ok(())
        });
    match result {
        Ok(()) if !made.is_empty() => {
            tracing::info!(dir = INACCESSIBLE_DIR, "created systemd's inaccessible nodes")
        }
        Ok(()) => {}
        Err(e) => tracing::warn!(
            dir = INACCESSIBLE_DIR,
            error = %e,
            "cannot create systemd's inaccessible nodes; hardened build units may fail with 226/NAMESPACE"
        ),
    }
}

/// A mode-0 node of `kind` (device 0:0), unless something is already there.
fn mknod(path: &Path, kind: nix::sys::stat::SFlag) -> std::io::Result<()> {
    match nix::sys::stat::mknod(path, kind, nix::sys::stat::Mode::empty(), 0) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => Ok(()),
        Err(e) => Err(std::io::Error::from(e)),
    }
}

impl BuildUnit<'_> {
    fn props(&self, timeout: Duration) -> Result<Vec<Prop>, RuntimeError> {
        let cmd = &self.command;
        let source = path_str(self.source_dir)?.to_owned();
        let build = path_str(self.build_dir)?.to_owned();
        let data = path_str(&self.data_dir)?.to_owned();
        let log = path_str(&self.log_file)?.to_owned();
        #[allow(clippy::unnecessary_cast)] // c_ulong is u32 on 32-bit targets
        let rec = libc::MS_REC as u64;
        let mut hidden: Vec<String> = HIDDEN_FILES.iter().map(|s| (*s).to_owned()).collect();
        hidden.extend(session_bus_paths());

        Ok(vec![
            prop("Description", self.description.as_str())?,
            // RemainAfterExit: the unit (and its Result) stays until we remove it.
            prop("Type", "exec")?,
            prop("RemainAfterExit", true)?,
            // Plain ExecStart: systemd 252 writes ExecStartEx= into the transient file
            // and cannot read it back after a daemon-reload. systemd expands `$x` in
            // ExecStart's argv, so no argument may hold a `$` (the wrapper has none).
            prop(
                "ExecStart",
                vec![(cmd.program.clone(), super::plain_argv(cmd.argv.clone())?, false)],
            )?,
            prop("Environment", cmd.env.clone())?,
            prop("UnsetEnvironment", cmd.unset_env.clone())?,
            prop("WorkingDirectory", "/")?,
            prop("StandardOutputFileToAppend", log.as_str())?,
            prop("StandardErrorFileToAppend", log.as_str())?,
            prop("TimeoutStopUSec", micros(BUILD_STOP_TIMEOUT))?,
            prop("RuntimeMaxUSec", micros(timeout.saturating_add(RUNTIME_MAX_SLACK)))?,
            // Root without capabilities: no DAC override (mode-0 nodes really are
            // unreadable), no ptrace of the daemon through /proc/<pid>/root.
            prop("CapabilityBoundingSet", 0u64)?,
            prop("NoNewPrivileges", true)?,
            prop("ProtectSystem", "strict")?,
            // nix writes the store and its database; nix-build writes the out-link.
            prop(
                "ReadWritePaths",
                vec!["/nix/store".to_owned(), "/nix/var".to_owned(), build.clone()],
            )?,
            prop("ProtectHome", "yes")?,
            prop("PrivateTmp", true)?,
            prop("PrivateDevices", true)?,
            prop("InaccessiblePaths", hidden)?,
            // The DB, other pups' sources, storage and config are all under here.
            prop("TemporaryFileSystem", vec![(data, "mode=0755".to_owned())])?,
            prop(
                "BindReadOnlyPaths",
                vec![(source.clone(), source, false, rec)],
            )?,
            prop("BindPaths", vec![(build.clone(), build, false, rec)])?,
            prop("ProtectKernelTunables", true)?,
            prop("ProtectKernelModules", true)?,
            prop("ProtectKernelLogs", true)?,
            prop("ProtectControlGroups", true)?,
            prop("ProtectClock", true)?,
            prop("ProtectHostname", true)?,
            prop("RestrictSUIDSGID", true)?,
            prop("RestrictRealtime", true)?,
            prop("LockPersonality", true)?,
        ])
    }

    /// Run the build to its end, its timeout or its cancellation, streaming the log
    /// to `sink`. The unit is gone when this returns.
    /// `deadline` ends the build; `timeout` is the whole budget it came from (for
    /// the error).
    pub(crate) async fn run(
        &self,
        systemd: &Systemd,
        sink: LineSink<'_>,
        deadline: Instant,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<(), RuntimeError> {
        let unit = std::slice::from_ref(&self.unit);
        // A leftover from a daemon that died mid-build.
        systemd.remove(unit, true, BUILD_STOP_WAIT).await?;
        if cancel.is_cancelled() {
            return Err(RuntimeError::Cancelled("before the build started".into()));
        }
        let link_before = tokio::fs::read_link(&self.out_link).await.ok();
        let mut log = LogTail::open(&self.log_file).await?;

        tracing::info!(
            unit = %self.unit,
            via_daemon = self.command.via_daemon,
            "starting nix-build in a build unit"
        );
        let left = deadline.saturating_duration_since(Instant::now());
        systemd
            .start_transient(&self.unit, self.props(left)?, Vec::new())
            .await?;

        // Right after StartTransientUnit the unit is still inactive with its start job
        // queued (for longer on a loaded machine). With RemainAfterExit a build that
        // ran ends `active/exited` or `failed`; `inactive` only counts once the unit
        // has been seen to start, and never while a job is pending.
        let mut started = false;
        let ended = loop {
            log.forward(sink).await;
            match systemd.state(&self.unit).await? {
                None => break Ended::Finished,
                Some(s) if s.active == "failed" || s.sub == "exited" => break Ended::Finished,
                Some(s) if s.active == "inactive" => {
                    if started && !systemd.has_job(&self.unit).await? {
                        break Ended::Finished;
                    }
                }
                Some(_) => started = true,
            }
            tokio::select! {
                _ = sleep(POLL) => {}
                _ = sleep_until(deadline) => break Ended::Timeout,
                _ = cancel.cancelled() => break Ended::Cancelled,
            }
        };

        let result = match ended {
            Ended::Finished => systemd.service_result(&self.unit).await,
            Ended::Timeout | Ended::Cancelled => Ok(None),
        };
        // Stop (forcefully, killing if needed) and unload, whatever happened.
        let removed = systemd.remove(unit, true, BUILD_STOP_WAIT).await;
        log.forward(sink).await;
        log.flush(sink);

        match ended {
            Ended::Finished => {}
            Ended::Timeout | Ended::Cancelled => {
                self.drop_new_link(link_before.as_deref()).await;
                removed?;
                return Err(match ended {
                    Ended::Timeout => {
                        tracing::warn!(unit = %self.unit, secs = timeout.as_secs(), "build timed out");
                        RuntimeError::Timeout(timeout.as_secs())
                    }
                    _ => {
                        tracing::info!(unit = %self.unit, "build cancelled");
                        RuntimeError::Cancelled("stopped while building".into())
                    }
                });
            }
        }
        removed?;
        match result? {
            Some(r) if r.succeeded() => Ok(()),
            other => {
                let how = other.map_or_else(
                    || "the build unit vanished before its result was read".to_owned(),
                    |r| format!("nix-build failed (result {}, status {})", r.result, r.status),
                );
                tracing::warn!(unit = %self.unit, "{how}");
                let mut log_tail = Vec::from(log.tail).join("\n");
                if log_tail.is_empty() {
                    log_tail = how;
                }
                Err(RuntimeError::Build { log_tail })
            }
        }
    }

    /// Remove an out-link the stopped build made (it may have finished just as it
    /// was stopped); a link from an earlier build stays.
    async fn drop_new_link(&self, before: Option<&Path>) {
        let now = tokio::fs::read_link(&self.out_link).await.ok();
        if now.is_some()
            && now.as_deref() != before
            && let Err(e) = tokio::fs::remove_file(&self.out_link).await
        {
            tracing::warn!(link = %self.out_link.display(), error = %e, "removing out-link");
        }
    }
}

/// The user manager's bus socket and private socket, when driving one: a build there
/// runs as the manager's own user and could otherwise ask it for any unit.
fn session_bus_paths() -> Vec<String> {
    let mut out = Vec::new();
    if let Some(addr) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS")
        && let Some(addr) = addr.to_str()
    {
        for part in addr.split(';') {
            if let Some(path) = part
                .strip_prefix("unix:")
                .and_then(|kv| kv.split(',').find_map(|kv| kv.strip_prefix("path=")))
                && path.starts_with('/')
            {
                out.push(format!("-{path}"));
            }
        }
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR")
        && let Some(dir) = dir.to_str()
        && dir.starts_with('/')
    {
        out.push(format!("-{dir}/systemd/private"));
    }
    out
}

/// Follows the build log from the start, line by line.
struct LogTail {
    file: tokio::fs::File,
    partial: Vec<u8>,
    tail: VecDeque<String>,
}

impl LogTail {
    /// Truncate (or create) the log, so it holds only this build's output.
    async fn open(path: &Path) -> Result<Self, RuntimeError> {
        let io = |e| RuntimeError::Io {
            context: format!("opening the build log {}", path.display()),
            source: e,
        };
        tokio::fs::File::create(path).await.map_err(io)?;
        let file = tokio::fs::File::open(path).await.map_err(io)?;
        Ok(Self {
            file,
            partial: Vec::new(),
            tail: VecDeque::with_capacity(LOG_TAIL_LINES),
        })
    }

    /// Send every complete line written since the last call.
    async fn forward(&mut self, sink: LineSink<'_>) {
        let mut buf = [0u8; 8192];
        loop {
            match self.file.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => self.partial.extend_from_slice(&buf[..n]),
                Err(e) => {
                    tracing::debug!(error = %e, "reading the build log");
                    break;
                }
            }
        }
        while let Some(pos) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=pos).collect();
            self.emit(&line, sink);
        }
    }

    /// Send a last line that has no newline.
    fn flush(&mut self, sink: LineSink<'_>) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.emit(&line, sink);
        }
    }

    fn emit(&mut self, raw: &[u8], sink: LineSink<'_>) {
        let line = String::from_utf8_lossy(raw)
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        sink(&line);
        if self.tail.len() == LOG_TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_is_the_common_parent() {
        let d = data_dir_of(
            Path::new("/var/lib/dogebox/pups/abc"),
            Path::new("/var/lib/dogebox/builds/abc"),
        );
        assert_eq!(d.ok(), Some(PathBuf::from("/var/lib/dogebox")));
        // Too close to /, nested in each other, or relative: refused.
        assert!(data_dir_of(Path::new("/srv/a"), Path::new("/var/b")).is_err());
        assert!(data_dir_of(Path::new("/var/a"), Path::new("/var/b")).is_err());
        assert!(data_dir_of(Path::new("/x/y/a"), Path::new("/x/y/a/b")).is_err());
        assert!(data_dir_of(Path::new("x/y/a"), Path::new("x/y/b")).is_err());
        assert!(data_dir_of(Path::new("/x/y/../a"), Path::new("/x/y/b")).is_err());
    }
}
