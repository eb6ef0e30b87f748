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
use hyper_util::rt::TokioIo;
use tokio::net::UnixListener;
use tower::ServiceExt;

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
    loop {
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
