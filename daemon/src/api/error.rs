//! API errors: an HTTP status plus `{"error":{"code","message"}}`, always valid JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dogebox_shared::wire::{
    CODE_AMBIGUOUS, CODE_BAD_REQUEST, CODE_CONFLICT, CODE_FORBIDDEN, CODE_INTERNAL, CODE_NOT_FOUND, ErrorBody,
    ErrorDetail,
};

use crate::listen::PeerCred;
use crate::pups::{PupError, ResolveError};
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, CODE_BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, CODE_NOT_FOUND, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, CODE_CONFLICT, message)
    }
    pub fn ambiguous(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, CODE_AMBIGUOUS, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, CODE_INTERNAL, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_string(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Duplicate(m) = e {
            return ApiError::conflict(m);
        }
        tracing::error!(error = %e, "store error");
        ApiError::internal(e.to_string())
    }
}

impl From<ResolveError> for ApiError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::NotFound { .. } => ApiError::not_found(e.to_string()),
            ResolveError::Ambiguous { .. } => ApiError::ambiguous(e.to_string()),
        }
    }
}

impl From<PupError> for ApiError {
    fn from(e: PupError) -> Self {
        match e {
            PupError::Resolve(r) => r.into(),
            PupError::Conflict(m) => ApiError::conflict(m),
            PupError::Store(s) => s.into(),
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// Every error answer is JSON, including the ones axum's extractors and router make
/// themselves (405, 413, a bad path or query): rewrite those into [`ErrorBody`].
pub async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mut message = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        crate::pups::resolve::shorten(text.trim())
    };
    if status == StatusCode::METHOD_NOT_ALLOWED {
        message = "method not allowed: reads are GET, changes are POST /v1/actions".to_string();
    }
    let code = match status {
        StatusCode::NOT_FOUND => CODE_NOT_FOUND,
        StatusCode::FORBIDDEN => CODE_FORBIDDEN,
        s if s.is_client_error() => CODE_BAD_REQUEST,
        _ => CODE_INTERNAL,
    };
    ApiError::new(status, code, message).into_response()
}

/// The answer to a peer the socket policy does not allow.
pub fn forbidden_peer(peer: &PeerCred) -> axum::response::Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        CODE_FORBIDDEN,
        format!(
            "uid {} may not use the dogebox daemon; add the user to the '{}' group",
            peer.uid,
            crate::listen::peer::ADMIN_GROUP
        ),
    )
    .into_response()
}
