//! Listeners: sockets from systemd (LISTEN_FDS) or bound here, the accept loop with
//! peer-credential checks, and idle exit.

mod activity;
pub mod peer;
mod sockets;

pub use activity::{Activity, ActivityGuard};
pub use peer::{PeerCred, PeerPolicy};
pub use sockets::{Listeners, SocketError, acquire};

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::UnixListener;
use tower::ServiceExt;

/// Connections served at once; more wait in the socket's backlog.
const MAX_CONNECTIONS: usize = 256;
/// A client that sends no complete request head in this time is dropped, so idle or
/// stuck connections cannot pin the daemon (or its idle exit) forever.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve `app` on the Unix listener until `stop` resolves. Each connection counts as
/// activity (idle exit waits for it to close) and carries its peer's credentials.
pub async fn serve_unix(
    listener: UnixListener,
    app: Router,
    activity: Arc<Activity>,
    policy: Arc<PeerPolicy>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let slot = tokio::select! {
            _ = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let cred = match stream.peer_cred() {
            Ok(c) => PeerCred { uid: c.uid(), gid: c.gid(), pid: c.pid() },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read peer credentials; closing connection");
                continue;
            }
        };
        let allowed = policy.allows(&cred);
        let guard = activity.connection_opened();
        let app = app.clone();
        tokio::spawn(async move {
            let _open = guard;
            let _slot = slot;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(cred);
                let app = app.clone();
                async move {
                    if !allowed {
                        return Ok(crate::api::error::forbidden_peer(&cred));
                    }
                    app.oneshot(req.map(axum::body::Body::new)).await
                }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// Resolves once the daemon has been idle (no job, no connection) for `idle`.
pub async fn idle_for(activity: Arc<Activity>, idle: Duration) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if activity.idle_for() >= idle {
            return;
        }
    }
}
