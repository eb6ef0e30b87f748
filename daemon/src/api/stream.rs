//! NDJSON change streams.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use dogebox_shared::wire::{CHANGE_JOB, Change, JobRecord};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::{AppState, find_job};
use crate::api::error::ApiError;

fn line(change: &Change) -> Bytes {
    let mut v = serde_json::to_vec(change).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

fn ndjson(rx: mpsc::Receiver<Bytes>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    ([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(stream)).into_response()
}

/// The job as it is now, then its changes, until it ends.
pub async fn job_events(State(d): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    // Subscribe before reading the record so nothing falls between the two.
    let mut rx = d.bus.subscribe();
    let job = find_job(&d, &id)?;
    let (tx, out) = mpsc::channel::<Bytes>(64);
    let bus = d.bus.clone();
    let daemon = d.clone();
    tokio::spawn(async move {
        let snapshot = bus.snapshot(&job.id, CHANGE_JOB, job.error.as_deref().unwrap_or(""), &job);
        if tx.send(line(&snapshot)).await.is_err() || job.status.is_finished() {
            return;
        }
        loop {
            match rx.recv().await {
                Ok(change) if change.id == job.id => {
                    let ended = change.kind == CHANGE_JOB
                        && serde_json::from_value::<JobRecord>(change.update.clone()).is_ok_and(|j| j.status.is_finished());
                    if tx.send(line(&change)).await.is_err() || ended {
                        return;
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    // Too slow a reader: send the job as it is now instead of the missed changes.
                    let Ok(Some(now)) = daemon.store.job(&job.id) else { return };
                    let snap = bus.snapshot(&now.id, CHANGE_JOB, now.error.as_deref().unwrap_or(""), &now);
                    if tx.send(line(&snap)).await.is_err() || now.status.is_finished() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    Ok(ndjson(out))
}

/// Every change, forever.
pub async fn all_events(State(d): State<AppState>) -> Response {
    let mut rx = d.bus.subscribe();
    let (tx, out) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(change) => {
                    if tx.send(line(&change)).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "event watcher too slow; changes dropped"),
                Err(RecvError::Closed) => return,
            }
        }
    });
    ndjson(out)
}
