//! Getting the listening sockets: from systemd socket activation when LISTEN_FDS is
//! set (a Unix socket for the CLI API, optionally a TCP socket for the web API), or by
//! binding `--socket` ourselves.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::sys::socket::{AddressFamily, SockaddrLike, SockaddrStorage, getsockname};

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("reading LISTEN_FDS from systemd: {0}")]
    Activation(std::io::Error),
    #[error("systemd passed {0} sockets but none is a Unix stream socket for the CLI API")]
    NoUnixSocket(usize),
    #[error("cannot bind {path}: {source}")]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is in use by a running daemon")]
    InUse { path: PathBuf },
    #[error("socket setup: {0}")]
    Io(#[from] std::io::Error),
}

pub struct Listeners {
    pub unix: tokio::net::UnixListener,
    pub tcp: Option<tokio::net::TcpListener>,
    /// Set when we bound the Unix socket ourselves: remove it on exit. A socket systemd
    /// owns is left alone, or the next activation would have nothing to listen on.
    pub bound_path: Option<PathBuf>,
    pub activated: bool,
}

/// Take the sockets systemd passed, or bind `socket` when there are none.
pub fn acquire(socket: &Path, group: Option<nix::unistd::Gid>) -> Result<Listeners, SocketError> {
    let fds: Vec<RawFd> = sd_notify::listen_fds().map_err(SocketError::Activation)?.collect();
    if fds.is_empty() {
        return bind_unix(socket, group);
    }
    let mut unix = None;
    let mut tcp = None;
    for fd in fds.iter().copied() {
        // SAFETY: systemd hands these descriptors to this process (LISTEN_PID was
        // checked by sd_notify) and nothing else in the process owns them.
        #[allow(unsafe_code)]
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        let family = getsockname::<SockaddrStorage>(fd).ok().and_then(|a| a.family());
        match family {
            Some(AddressFamily::Unix) if unix.is_none() => {
                let std = std::os::unix::net::UnixListener::from(owned);
                std.set_nonblocking(true)?;
                unix = Some(tokio::net::UnixListener::from_std(std)?);
            }
            Some(AddressFamily::Inet | AddressFamily::Inet6) if tcp.is_none() => {
                let std = std::net::TcpListener::from(owned);
                std.set_nonblocking(true)?;
                tcp = Some(tokio::net::TcpListener::from_std(std)?);
            }
            other => tracing::warn!(fd, ?other, "ignoring an unexpected socket from systemd"),
        }
    }
    let unix = unix.ok_or(SocketError::NoUnixSocket(fds.len()))?;
    Ok(Listeners { unix, tcp, bound_path: None, activated: true })
}

fn bind_unix(path: &Path, group: Option<nix::unistd::Gid>) -> Result<Listeners, SocketError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| SocketError::Bind { path: path.to_path_buf(), source })?;
    }
    if path.exists() {
        // A socket file left by a crashed daemon is stale if nobody answers on it.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(SocketError::InUse { path: path.to_path_buf() });
        }
        std::fs::remove_file(path).map_err(|source| SocketError::Bind { path: path.to_path_buf(), source })?;
    }
    let std = std::os::unix::net::UnixListener::bind(path)
        .map_err(|source| SocketError::Bind { path: path.to_path_buf(), source })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(gid) = group
        && let Err(e) = nix::unistd::chown(path, None, Some(gid)) {
            tracing::warn!(error = %e, "cannot give the socket to the dogebox group");
        }
    std.set_nonblocking(true)?;
    Ok(Listeners {
        unix: tokio::net::UnixListener::from_std(std)?,
        tcp: None,
        bound_path: Some(path.to_path_buf()),
        activated: false,
    })
}
