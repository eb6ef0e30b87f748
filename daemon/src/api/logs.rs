//! `GET /v1/pups/{ref}/logs?n=N&follow=bool`: the end of a pup's log, then (with
//! follow) what is appended, as plain text.

use std::convert::Infallible;
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::AppState;
use crate::api::error::ApiError;
use crate::pups::{PupError, resolve_ref};

#[derive(Deserialize)]
pub struct LogQuery {
    n: Option<usize>,
    #[serde(default)]
    follow: bool,
}

pub async fn pup_logs(
    State(d): State<AppState>,
    Path(reference): Path<String>,
    Query(q): Query<LogQuery>,
) -> Result<Response, ApiError> {
    let records = d.pups.records()?;
    let rec = resolve_ref(&records, &reference).map_err(PupError::from)?;
    let path = d.cfg.log_file(&rec.id);
    let n = q.n.unwrap_or(100);
    let (head, mut offset) = match std::fs::read(&path) {
        Ok(bytes) => {
            let len = bytes.len() as u64;
            (tail_lines(&bytes, n), len)
        }
        Err(_) => (Vec::new(), 0),
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let follow = q.follow;
    tokio::spawn(async move {
        if !head.is_empty() && tx.send(Bytes::from(head)).await.is_err() {
            return;
        }
        if !follow {
            return;
        }
        loop {
            tokio::select! {
                _ = tx.closed() => return,
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
            let (chunk, new_offset) = read_from(&path, offset);
            offset = new_offset;
            if !chunk.is_empty() && tx.send(Bytes::from(chunk)).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], Body::from_stream(stream)).into_response())
}

/// The last `n` lines of `bytes`.
fn tail_lines(bytes: &[u8], n: usize) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut seen = 0;
    let mut start = 0;
    for (i, b) in body.iter().enumerate().rev() {
        if *b == b'\n' {
            seen += 1;
            if seen == n {
                start = i + 1;
                break;
            }
        }
    }
    bytes[start..].to_vec()
}

/// What was appended since `offset`; starts over when the file was truncated.
fn read_from(path: &std::path::Path, offset: u64) -> (Vec<u8>, u64) {
    let Ok(mut f) = std::fs::File::open(path) else { return (Vec::new(), offset) };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let from = if len < offset { 0 } else { offset };
    if f.seek(SeekFrom::Start(from)).is_err() {
        return (Vec::new(), offset);
    }
    let mut buf = Vec::new();
    match f.read_to_end(&mut buf) {
        Ok(_) => {
            let end = from + buf.len() as u64;
            (buf, end)
        }
        Err(_) => (Vec::new(), offset),
    }
}

#[cfg(test)]
mod tests {
    use super::tail_lines;

    #[test]
    fn tail_takes_last_lines() {
        assert_eq!(tail_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(tail_lines(b"a\nb\nc\n", 10), b"a\nb\nc\n");
        assert_eq!(tail_lines(b"a\nb\nc", 1), b"c");
        assert!(tail_lines(b"a\n", 0).is_empty());
    }
}
