//! HTTP routes. `/v1` is the CLI API on the Unix socket (see `dogebox_shared::wire`).

pub mod error;
mod logs;
mod stream;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dogebox_shared::wire::{Accepted, Action, JobRecord, OutdatedListing, PupView, SourceView, StoreDetail, StoreListing};
use serde::Deserialize;

use crate::daemon::Daemon;
use crate::pups::{PupError, resolve_ref};
use error::ApiError;

type AppState = Arc<Daemon>;

pub fn router(daemon: Arc<Daemon>) -> Router {
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/pups", get(list_pups))
        .route("/v1/pups/{reference}", get(show_pup))
        .route("/v1/pups/{reference}/logs", get(logs::pup_logs))
        .route("/v1/sources", get(list_sources))
        .route("/v1/store", get(store))
        .route("/v1/store/{name}", get(store_detail))
        .route("/v1/outdated", get(outdated))
        .route("/v1/jobs", get(list_jobs))
        .route("/v1/jobs/{id}", get(show_job))
        .route("/v1/jobs/{id}/events", get(stream::job_events))
        .route("/v1/events", get(stream::all_events))
        .route("/v1/actions", post(action))
        .fallback(|| async { ApiError::not_found("no such route; the API is under /v1") })
        .layer(axum::middleware::map_response(error::json_errors))
        .with_state(daemon)
}

/// A router for the TCP socket until the web API exists: it says so in JSON.
pub fn web_placeholder() -> Router {
    Router::new().fallback(|| async {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the web API is not available in this version")
    })
}

async fn status(State(d): State<AppState>) -> Json<dogebox_shared::wire::DaemonStatus> {
    Json(d.status())
}

async fn list_pups(State(d): State<AppState>) -> Result<Json<Vec<PupView>>, ApiError> {
    Ok(Json(d.pups.views().await?))
}

async fn show_pup(State(d): State<AppState>, Path(reference): Path<String>) -> Result<Json<PupView>, ApiError> {
    let records = d.pups.records()?;
    let rec = resolve_ref(&records, &reference).map_err(PupError::from)?;
    let mut view = d.pups.view(rec).await;
    view.manifest = serde_json::to_value(&rec.manifest).ok();
    Ok(Json(view))
}

async fn list_sources(State(d): State<AppState>) -> Result<Json<Vec<SourceView>>, ApiError> {
    Ok(Json(d.store.sources()?))
}

/// Listing reads the file system (disk sources): keep it off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<Json<T>, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("listing failed: {e}")))?.map(Json)
}

async fn store(State(d): State<AppState>) -> Result<Json<StoreListing>, ApiError> {
    // Git listings older than --source-max-age are refreshed first.
    let states = d.refresh_sources(false, None).await?;
    blocking(move || d.store_listing(states)).await
}

#[derive(Deserialize)]
struct DetailQuery {
    source: Option<String>,
}

async fn store_detail(
    State(d): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Json<StoreDetail>, ApiError> {
    d.refresh_sources(false, None).await?;
    blocking(move || d.store_detail(&name, q.source.as_deref())).await
}

#[derive(Deserialize)]
struct OutdatedQuery {
    #[serde(default)]
    pre: bool,
}

async fn outdated(State(d): State<AppState>, Query(q): Query<OutdatedQuery>) -> Result<Json<OutdatedListing>, ApiError> {
    d.refresh_sources(false, None).await?;
    blocking(move || d.outdated(q.pre)).await
}

#[derive(Deserialize)]
struct JobsQuery {
    limit: Option<usize>,
}

async fn list_jobs(State(d): State<AppState>, Query(q): Query<JobsQuery>) -> Result<Json<Vec<JobRecord>>, ApiError> {
    Ok(Json(d.store.jobs(q.limit.unwrap_or(100).min(10_000))?))
}

/// A job by id, or by a unique id prefix of at least 4 characters.
pub(crate) fn find_job(d: &Daemon, id: &str) -> Result<JobRecord, ApiError> {
    if let Some(j) = d.store.job(id)? {
        return Ok(j);
    }
    if id.len() >= 4 {
        let mut matches: Vec<JobRecord> = d.store.jobs(10_000)?.into_iter().filter(|j| j.id.starts_with(id)).collect();
        match matches.len() {
            0 => {}
            1 => return Ok(matches.remove(0)),
            n => return Err(ApiError::ambiguous(format!("{id:?} matches {n} jobs; give more of the id"))),
        }
    }
    Err(ApiError::not_found(format!("no job {id:?}; see 'dogebox jobs'")))
}

async fn show_job(State(d): State<AppState>, Path(id): Path<String>) -> Result<Json<JobRecord>, ApiError> {
    Ok(Json(find_job(&d, &id)?))
}

async fn action(State(d): State<AppState>, body: axum::body::Bytes) -> Response {
    let action: Action = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return ApiError::bad_request(format!(
                "invalid action: {e}; expected {{\"action\": \"install\"|\"start\"|\"stop\"|\"restart\"|\"uninstall\"|\"purge\"|\"upgrade\"|\"rollback\"|\"hold\"|\"unhold\"|\"source-add\"|\"source-remove\"|\"store-refresh\", ...}}"
            ))
            .into_response();
        }
    };
    match d.submit(action) {
        Ok(job) => (StatusCode::ACCEPTED, Json(Accepted { job: job.id })).into_response(),
        Err(e) => e.into_response(),
    }
}
