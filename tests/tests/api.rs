//! The socket API answers every error as `{"error":{"code","message"}}`, including the
//! ones the HTTP layer makes itself, and refuses bad actions before a job exists.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use dogebox_tests::*;

/// One HTTP/1.1 request over the daemon's socket; returns (status, body).
fn raw(d: &Daemon, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = UnixStream::connect(&d.socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: dogebox\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The daemon may answer (413) before reading a large body; a broken pipe then is fine.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status: u16 = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, dechunk(&body))
}

/// Undo chunked transfer coding if present (axum streams some bodies).
fn dechunk(body: &str) -> String {
    let Some((first, _)) = body.split_once("\r\n") else { return body.to_string() };
    if usize::from_str_radix(first.trim(), 16).is_err() || body.trim_start().starts_with('{') {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((len, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn error_code(status: u16, body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {body:?}"));
    let msg = v["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message: {v}"));
    assert!(!msg.is_empty(), "{v}");
    v["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code: {v}")).to_string()
}

#[test]
fn every_error_answer_is_json_with_a_code() {
    let d = Daemon::start();
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("GET", "/v1/actions", vec![], 405, "bad_request"),
        ("POST", "/v1/actions", b"{not json".to_vec(), 400, "bad_request"),
        ("POST", "/v1/actions", br#"{"action":"explode"}"#.to_vec(), 400, "bad_request"),
        ("POST", "/v1/actions", vec![b' '; 3 * 1024 * 1024], 413, "bad_request"),
        ("GET", "/v1/pups/%ff%fe", vec![], 400, "bad_request"),
        ("GET", "/v1/jobs?limit=abc", vec![], 400, "bad_request"),
        ("GET", "/v1/pups/nosuchpup", vec![], 404, "not_found"),
        ("GET", "/v1/jobs/nosuchjob", vec![], 404, "not_found"),
        ("GET", "/nowhere", vec![], 404, "not_found"),
        ("POST", "/v1/actions", br#"{"action":"start","pup":"nosuchpup"}"#.to_vec(), 404, "not_found"),
        ("POST", "/v1/actions", br#"{"action":"source-add","location":"relative/path"}"#.to_vec(), 400, "bad_request"),
    ];
    for (method, path, body, want_status, want_code) in cases {
        let (status, text) = raw(&d, method, path, &body);
        assert_eq!(status, want_status, "{method} {path}: {text}");
        assert_eq!(error_code(status, &text), want_code, "{method} {path}: {text}");
    }
    // Refused actions made no job.
    let jobs = d.cli_json(&["jobs"]);
    assert_eq!(jobs.as_array().map(Vec::len), Some(0), "{jobs}");
}

#[test]
fn a_huge_name_is_not_echoed_back_whole() {
    let d = Daemon::start();
    let name = "x".repeat(200_000);
    let body = serde_json::to_vec(&json!({"action": "install", "name": name})).unwrap();
    let (status, text) = raw(&d, "POST", "/v1/actions", &body);
    assert_eq!(status, 404, "{}", &text[..text.len().min(300)]);
    assert!(text.len() < 2000, "the error repeats the input: {} bytes", text.len());
}
