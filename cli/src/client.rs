//! HTTP/1.1 client for dogeboxd's `/v1` API over its Unix socket.
//!
//! One method per route, each returning `dogebox_shared::wire` types. Failures are sorted into
//! [`ClientError`] kinds here, so the exit code and the retry decisions are made on kinds,
//! never on message text.

use std::io;
use std::path::{Path, PathBuf};

use dogebox_shared::wire::{
    Accepted, Action, Change, DaemonStatus, ErrorBody, JobRecord, OutdatedListing, PupView,
    SourceView, StoreDetail, StoreListing,
};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use hyperlocal::UnixConnector;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing accepted the connection on the socket.
    #[error("cannot connect to the daemon at {} ({}){}", socket.display(), io_reason(source), connect_hint(source))]
    Connect { socket: PathBuf, source: io::Error },

    /// The connection was made but broke before a full answer arrived
    /// (for example the daemon crashed or restarted).
    #[error("the daemon at {} closed the connection ({reason}); check 'journalctl -u dogeboxd'", socket.display())]
    Closed { socket: PathBuf, reason: String },

    /// The daemon answered with an error status.
    #[error("{}", api_message(*status, code, message))]
    Api {
        status: u16,
        code: String,
        message: String,
    },

    /// The daemon answered something this CLI does not understand.
    #[error("unexpected answer from the daemon: {0}")]
    Protocol(String),
}

/// `No such file or directory (os error 2)` → `No such file or directory`.
pub fn io_reason(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn connect_hint(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::PermissionDenied => {
            "; the socket is only open to root and the 'dogebox' group (or set DOGEBOX_SOCKET)"
        }
        _ => "; start it with 'systemctl start dogeboxd.socket' or set DOGEBOX_SOCKET",
    }
}

fn api_message(status: u16, code: &str, message: &str) -> String {
    if message.is_empty() {
        let reason = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error");
        format!("the daemon answered HTTP {status} {reason}")
    } else if code.is_empty() {
        // Not a wire::ErrorBody: show the status so the text has some context.
        format!("the daemon answered HTTP {status}: {message}")
    } else {
        message.to_string()
    }
}

/// A client bound to one socket path. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    socket: PathBuf,
    http: HttpClient<UnixConnector, Full<Bytes>>,
}

impl Client {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        let http = HttpClient::builder(TokioExecutor::new()).build(UnixConnector);
        Client {
            socket: socket.into(),
            http,
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub async fn status(&self) -> Result<DaemonStatus, ClientError> {
        self.get_json("/v1/status").await
    }

    pub async fn pups(&self) -> Result<Vec<PupView>, ClientError> {
        self.get_json("/v1/pups").await
    }

    pub async fn pup(&self, pup: &str) -> Result<PupView, ClientError> {
        self.get_json(&format!("/v1/pups/{}", encode(pup))).await
    }

    /// The log body, to be read as it arrives.
    pub async fn pup_logs(
        &self,
        pup: &str,
        lines: u32,
        follow: bool,
    ) -> Result<Incoming, ClientError> {
        let path = format!("/v1/pups/{}/logs?n={lines}&follow={follow}", encode(pup));
        self.stream(&path).await
    }

    pub async fn sources(&self) -> Result<Vec<SourceView>, ClientError> {
        self.get_json("/v1/sources").await
    }

    /// The store as listed now; `Action::StoreRefresh` lists the sources afresh.
    pub async fn store(&self) -> Result<StoreListing, ClientError> {
        self.get_json("/v1/store").await
    }

    /// One pup of the store, every version in full. Names can have spaces: encoded.
    pub async fn store_detail(
        &self,
        name: &str,
        source: Option<&str>,
    ) -> Result<StoreDetail, ClientError> {
        self.get_json(&store_detail_path(name, source)).await
    }

    pub async fn outdated(&self, pre: bool) -> Result<OutdatedListing, ClientError> {
        self.get_json(&format!("/v1/outdated?pre={pre}")).await
    }

    pub async fn jobs(&self) -> Result<Vec<JobRecord>, ClientError> {
        self.get_json("/v1/jobs").await
    }

    pub async fn job(&self, id: &str) -> Result<JobRecord, ClientError> {
        self.get_json(&format!("/v1/jobs/{}", encode(id))).await
    }

    /// The NDJSON stream of a job's changes; read it with [`ChangeStream`].
    pub async fn job_events(&self, id: &str) -> Result<ChangeStream, ClientError> {
        let body = self
            .stream(&format!("/v1/jobs/{}/events", encode(id)))
            .await?;
        Ok(ChangeStream {
            body,
            buf: Vec::new(),
            socket: self.socket.clone(),
        })
    }

    pub async fn act(&self, action: &Action) -> Result<Accepted, ClientError> {
        let body = serde_json::to_vec(action)
            .map_err(|e| ClientError::Protocol(format!("cannot encode the action: {e}")))?;
        let response = self
            .send(Method::POST, "/v1/actions", Bytes::from(body))
            .await?;
        let response = self.check(response).await?;
        self.decode("/v1/actions", response).await
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self.send(Method::GET, path, Bytes::new()).await?;
        let response = self.check(response).await?;
        self.decode(path, response).await
    }

    async fn stream(&self, path: &str) -> Result<Incoming, ClientError> {
        let response = self.send(Method::GET, path, Bytes::new()).await?;
        Ok(self.check(response).await?.into_body())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<hyper::Response<Incoming>, ClientError> {
        let uri = unix_uri(&self.socket, path)?;
        let mut request = Request::builder().method(method).uri(uri);
        if !body.is_empty() {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(body)).map_err(|e| {
            ClientError::Protocol(format!("cannot build the request for {path}: {e}"))
        })?;
        self.http
            .request(request)
            .await
            .map_err(|err| self.classify(&err))
    }

    /// Sorts a transport failure: a failed connect (nobody listening) versus a connection that
    /// broke after it was made.
    fn classify(&self, err: &hyper_util::client::legacy::Error) -> ClientError {
        let io_err = find_io_error(err);
        if err.is_connect() {
            let source = match io_err {
                Some(e) => io::Error::new(e.kind(), io_reason(e)),
                None => io::Error::other(err.to_string()),
            };
            return ClientError::Connect {
                socket: self.socket.clone(),
                source,
            };
        }
        ClientError::Closed {
            socket: self.socket.clone(),
            reason: error_chain(err),
        }
    }

    /// Passes a success through; turns any other status into [`ClientError::Api`].
    async fn check(
        &self,
        response: hyper::Response<Incoming>,
    ) -> Result<hyper::Response<Incoming>, ClientError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = self.read_all(response.into_body()).await?;
        Err(api_error(status.as_u16(), &bytes))
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        path: &str,
        response: hyper::Response<Incoming>,
    ) -> Result<T, ClientError> {
        let bytes = self.read_all(response.into_body()).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Protocol(format!(
                "the answer to {path} is not what this CLI expects ({e})"
            ))
        })
    }

    async fn read_all(&self, body: Incoming) -> Result<Bytes, ClientError> {
        body.collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| ClientError::Closed {
                socket: self.socket.clone(),
                reason: error_chain(&e),
            })
    }
}

/// Builds the error of a non-success answer; copes with bodies that are not an [`ErrorBody`].
pub fn api_error(status: u16, body: &[u8]) -> ClientError {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        return ClientError::Api {
            status,
            code: parsed.error.code,
            message: parsed.error.message,
        };
    }
    let text = String::from_utf8_lossy(body);
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let message: String = first_line.chars().take(200).collect();
    ClientError::Api {
        status,
        code: String::new(),
        message,
    }
}

/// Reads NDJSON [`Change`] lines from a job's event stream.
pub struct ChangeStream {
    body: Incoming,
    buf: Vec<u8>,
    socket: PathBuf,
}

impl ChangeStream {
    /// The next change; `Ok(None)` when the stream ended cleanly.
    pub async fn next(&mut self) -> Result<Option<Change>, ClientError> {
        loop {
            if let Some(at) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=at).collect();
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue; // keep-alive blank lines
                }
                return serde_json::from_slice(line).map(Some).map_err(|e| {
                    ClientError::Protocol(format!("a job event is not a Change ({e})"))
                });
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        self.buf.extend_from_slice(data);
                    }
                }
                Some(Err(e)) => {
                    return Err(ClientError::Closed {
                        socket: self.socket.clone(),
                        reason: error_chain(&e),
                    });
                }
                None => {
                    // A last line without its newline still counts.
                    if self.buf.trim_ascii().is_empty() {
                        return Ok(None);
                    }
                    self.buf.push(b'\n');
                }
            }
        }
    }
}

fn find_io_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a io::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            return Some(io_err);
        }
        current = e.source();
    }
    None
}

/// `a: b: c` from an error and its sources, skipping repeats.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = match e.downcast_ref::<io::Error>() {
            Some(io_err) => io_reason(io_err),
            None => e.to_string(),
        };
        if !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// hyperlocal's URI form: `unix://<hex of the socket path>:0<path>`. Built here rather than
/// with `hyperlocal::Uri::new`, which panics on a path it cannot parse.
fn unix_uri(socket: &Path, path: &str) -> Result<hyper::Uri, ClientError> {
    use std::fmt::Write as _;
    let mut hex = String::with_capacity(socket.as_os_str().len() * 2);
    for byte in socket.as_os_str().as_encoded_bytes() {
        let _ = write!(hex, "{byte:02x}");
    }
    format!("unix://{hex}:0{path}")
        .parse()
        .map_err(|e| ClientError::Protocol(format!("cannot form a request for {path}: {e}")))
}

fn store_detail_path(name: &str, source: Option<&str>) -> String {
    match source {
        Some(id) => format!("/v1/store/{}?source={}", encode(name), encode(id)),
        None => format!("/v1/store/{}", encode(name)),
    }
}

/// Percent-encodes one path segment or query value: a pup name is user input.
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_is_decoded() {
        let err = api_error(404, br#"{"error":{"code":"not_found","message":"no pup named 'cor'; did you mean 'core'?"}}"#);
        match &err {
            ClientError::Api {
                status,
                code,
                message,
            } => {
                assert_eq!(*status, 404);
                assert_eq!(code, "not_found");
                assert!(message.contains("did you mean"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.to_string(), "no pup named 'cor'; did you mean 'core'?");
    }

    #[test]
    fn a_body_that_is_not_an_error_body_still_says_something() {
        let err = api_error(502, b"\n  upstream exploded\nmore");
        assert_eq!(
            err.to_string(),
            "the daemon answered HTTP 502: upstream exploded"
        );
        let err = api_error(500, b"");
        assert_eq!(
            err.to_string(),
            "the daemon answered HTTP 500 Internal Server Error"
        );
    }

    #[test]
    fn connect_error_names_socket_and_remedy() {
        let err = ClientError::Connect {
            socket: "/run/dogebox/dogeboxd.sock".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        let text = err.to_string();
        assert!(
            text.starts_with("cannot connect to the daemon at /run/dogebox/dogeboxd.sock ("),
            "{text}"
        );
        assert!(text.contains("systemctl start dogeboxd.socket"), "{text}");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode("hello-web_1.0"), "hello-web_1.0");
        assert_eq!(encode("a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(encode("ü"), "%C3%BC");
    }

    #[test]
    fn store_detail_path_encodes_name_and_source() {
        assert_eq!(
            store_detail_path("Dogecoin Core", None),
            "/v1/store/Dogecoin%20Core"
        );
        assert_eq!(
            store_detail_path("a/b", Some("s 1")),
            "/v1/store/a%2Fb?source=s%201"
        );
    }

    #[test]
    fn unix_uri_matches_hyperlocal() {
        let ours = unix_uri(Path::new("/tmp/x.sock"), "/v1/pups?x=1").expect("uri");
        let theirs: hyper::Uri = hyperlocal::Uri::new("/tmp/x.sock", "/v1/pups?x=1").into();
        assert_eq!(ours, theirs);
    }
}
