//! The built binary against real Unix sockets: no socket at all, and a tiny fake daemon that
//! answers canned HTTP/1.1 responses (a protocol test of the client, not of dogeboxd).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixListener;

async fn dogebox(socket: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dogebox"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run dogebox")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn no_daemon_means_exit_4_and_names_the_socket() {
    let out = dogebox(Path::new("/nonexistent/x.sock"), &["pup", "list"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "stderr: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.starts_with("dogebox: cannot connect to the daemon at /nonexistent/x.sock (No such file or directory)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("systemctl start dogeboxd.socket"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
}

/// One canned answer; `Broken` sends the head and a partial chunked body, then hangs up.
enum Reply {
    Full {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    Broken {
        partial: String,
    },
}

fn json_reply(status: u16, body: Value) -> Reply {
    Reply::Full {
        status,
        content_type: "application/json",
        body: body.to_string(),
    }
}

fn ndjson(lines: &[Value]) -> Reply {
    let body = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    Reply::Full {
        status: 200,
        content_type: "application/x-ndjson",
        body,
    }
}

/// A fake daemon: each "METHOD /path" has a queue of replies; the last one repeats.
struct Fake {
    socket: PathBuf,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    _dir: tempfile::TempDir,
}

impl Fake {
    fn start(routes: Vec<(&str, Vec<Reply>)>) -> Fake {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("d.sock");
        let listener = UnixListener::bind(&socket).expect("bind");
        let routes: HashMap<String, VecDeque<Reply>> = routes
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        let routes = Arc::new(Mutex::new(routes));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let routes = routes.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let Some((key, body)) = read_request(&mut conn).await else {
                        return;
                    };
                    seen.lock().expect("lock").push((key.clone(), body));
                    let reply = {
                        let mut routes = routes.lock().expect("lock");
                        match routes.get_mut(&key) {
                            Some(q) if q.len() > 1 => q.pop_front(),
                            Some(q) => q.front().map(|r| match r {
                                Reply::Full {
                                    status,
                                    content_type,
                                    body,
                                } => Reply::Full {
                                    status: *status,
                                    content_type,
                                    body: body.clone(),
                                },
                                Reply::Broken { partial } => Reply::Broken {
                                    partial: partial.clone(),
                                },
                            }),
                            None => None,
                        }
                    };
                    let raw = match reply {
                        Some(Reply::Full {
                            status,
                            content_type,
                            body,
                        }) => format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        ),
                        Some(Reply::Broken { partial }) => format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{partial}\r\n",
                            partial.len()
                        ),
                        None => {
                            let body = json!({"error": {"code": "not_found", "message": format!("no route {key}")}}).to_string();
                            format!(
                                "HTTP/1.1 404 X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            )
                        }
                    };
                    let _ = conn.write_all(raw.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        Fake {
            socket,
            requests,
            _dir: dir,
        }
    }

    fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().expect("lock").clone()
    }
}

/// Reads one request; returns ("GET /v1/pups", body).
async fn read_request(conn: &mut tokio::net::UnixStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut words = head.split_whitespace();
    let key = format!("{} {}", words.next()?, words.next()?);
    Some((key, String::from_utf8_lossy(&buf[head_end..]).into_owned()))
}

fn pup_json() -> Value {
    json!({
        "id": "1a2b3c4d5e6f7a8b9c0d",
        "name": "Hello Web",
        "version": "0.1.0",
        "source": {"id": "src1", "name": "examples", "location": "/srv/examples", "type": "disk"},
        "installation": "ready",
        "brokenReason": null,
        "brokenMessage": null,
        "status": "running",
        "enabled": true,
        "needsConf": false,
        "needsDeps": false,
        "ip": "10.69.0.2",
        "webUIs": [{"name": "web", "port": 10000, "internal": 8080}],
        "services": [{"name": "server", "unit": "pup-1a2b-server.service", "activeState": "active", "subState": "running"}],
        "storageDir": "/var/lib/dogebox/pups/storage/1a2b3c4d5e6f7a8b9c0d",
        "installedAt": 1764759182000i64,
        "held": false,
        "previousVersion": null,
        "upgradingTo": null
    })
}

fn job_json(status: &str, progress: u8, step: &str, error: Option<&str>) -> Value {
    let done = matches!(status, "succeeded" | "failed" | "interrupted");
    json!({
        "id": "job-0001", "action": "install",
        "request": {"action": "install", "name": "hello-web"},
        "status": status, "progress": progress, "step": step, "message": format!("{step} going"),
        "error": error, "pupId": "1a2b3c4d5e6f7a8b9c0d", "pupName": "Hello Web",
        "created": 1000, "started": 1500, "finished": if done { Some(9000) } else { None },
        "result": null
    })
}

/// A daemon that accepts one action and streams its job failing at `step`.
fn failing_job(progress: u8, step: &str, error: &str) -> Fake {
    Fake::start(vec![
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
        (
            "GET /v1/jobs/job-0001/events",
            vec![ndjson(&[change(
                1,
                "job",
                job_json("failed", progress, step, Some(error)),
            )])],
        ),
    ])
}

fn change(seq: u64, kind: &str, update: Value) -> Value {
    json!({"id": "job-0001", "seq": seq, "ts": 1000 + seq, "error": "", "type": kind, "update": update})
}

fn progress(seq: u64, pct: u8, step: &str) -> Value {
    change(
        seq,
        "progress",
        json!({"jobId": "job-0001", "pupId": null, "progress": pct, "step": step, "msg": format!("{step} going")}),
    )
}

#[tokio::test]
async fn pup_list_json_prints_what_the_daemon_sent() {
    let fake = Fake::start(vec![(
        "GET /v1/pups",
        vec![json_reply(200, json!([pup_json()]))],
    )]);
    let out = dogebox(&fake.socket, &["pup", "list", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(printed, json!([pup_json()]));
}

#[tokio::test]
async fn pup_list_table_on_a_pipe() {
    let fake = Fake::start(vec![(
        "GET /v1/pups",
        vec![json_reply(200, json!([pup_json()]))],
    )]);
    let out = dogebox(&fake.socket, &["pup", "list"]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("ID "), "{stdout}");
    assert!(
        stdout.contains("1a2b3c4d ") && stdout.contains("Hello Web") && stdout.contains("10000"),
        "{stdout}"
    );
}

#[tokio::test]
async fn unknown_pup_prints_the_daemons_message_and_exits_3() {
    let body = json!({"error": {"code": "not_found", "message": "no pup matches 'helo'; did you mean 'hello-web'?"}});
    let fake = Fake::start(vec![("GET /v1/pups/helo", vec![json_reply(404, body)])]);
    let out = dogebox(&fake.socket, &["pup", "show", "helo"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stderr),
        "dogebox: no pup matches 'helo'; did you mean 'hello-web'?\n"
    );
}

#[tokio::test]
async fn ambiguous_is_3_and_conflict_is_5_and_a_foreign_body_is_6() {
    let fake = Fake::start(vec![
        (
            "GET /v1/pups/h",
            vec![json_reply(
                409,
                json!({"error": {"code": "ambiguous", "message": "'h' matches hello-web and hodl"}}),
            )],
        ),
        (
            "POST /v1/actions",
            vec![json_reply(
                409,
                json!({"error": {"code": "conflict", "message": "hello-web is already running"}}),
            )],
        ),
        (
            "GET /v1/jobs",
            vec![Reply::Full {
                status: 502,
                content_type: "text/plain",
                body: "bad gateway\n".into(),
            }],
        ),
    ]);
    let out = dogebox(&fake.socket, &["pup", "show", "h"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let out = dogebox(&fake.socket, &["pup", "start", "hello-web"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "dogebox: hello-web is already running\n");
    let out = dogebox(&fake.socket, &["jobs"]).await;
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(
        text(&out.stderr),
        "dogebox: the daemon answered HTTP 502: bad gateway\n"
    );
}

#[tokio::test]
async fn install_waits_for_the_job_and_prints_the_web_ui() {
    let fake = Fake::start(vec![
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
        (
            "GET /v1/jobs/job-0001/events",
            vec![ndjson(&[
                change(1, "job", job_json("running", 0, "resolve", None)),
                progress(2, 40, "build"),
                change(
                    3,
                    "log",
                    json!({"jobId": "job-0001", "pupId": null, "line": "building…"}),
                ),
                progress(4, 90, "start"),
                change(5, "job", job_json("succeeded", 100, "verify", None)),
            ])],
        ),
        (
            "GET /v1/pups/1a2b3c4d5e6f7a8b9c0d",
            vec![json_reply(200, pup_json())],
        ),
    ]);
    let out = dogebox(&fake.socket, &["pup", "install", "hello-web"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(
        text(&out.stdout),
        "installed Hello Web 0.1.0 (id 1a2b3c4d…) — web UI: http://127.0.0.1:10000/\n"
    );
    // Not a terminal: step changes as plain lines on stderr.
    assert!(
        stderr.contains("[ 40%] build: build going") && stderr.contains("[ 90%] start"),
        "{stderr}"
    );
    let requests = fake.requests();
    let (_, body) = requests
        .iter()
        .find(|(k, _)| k == "POST /v1/actions")
        .expect("an action was posted");
    assert_eq!(
        serde_json::from_str::<Value>(body).expect("json"),
        json!({"action": "install", "name": "hello-web"})
    );
}

#[tokio::test]
async fn a_broken_stream_is_reconnected() {
    let first = format!(
        "{}\n",
        change(1, "job", job_json("running", 10, "build", None))
    );
    let fake = Fake::start(vec![
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
        (
            "GET /v1/jobs/job-0001/events",
            vec![
                Reply::Broken { partial: first },
                ndjson(&[
                    // A repeat of what was seen before the break is dropped by seq.
                    change(1, "job", job_json("running", 10, "build", None)),
                    change(7, "job", job_json("succeeded", 100, "verify", None)),
                ]),
            ],
        ),
        (
            "GET /v1/jobs/job-0001",
            vec![json_reply(200, job_json("running", 50, "build", None))],
        ),
        (
            "GET /v1/pups/1a2b3c4d5e6f7a8b9c0d",
            vec![json_reply(200, pup_json())],
        ),
    ]);
    let out = dogebox(&fake.socket, &["pup", "install", "hello-web", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let record: Value =
        serde_json::from_slice(&out.stdout).expect("stdout is the final job record");
    assert_eq!(record["status"], "succeeded");
    let keys: Vec<String> = fake.requests().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys.iter()
            .filter(|k| *k == "GET /v1/jobs/job-0001/events")
            .count(),
        2,
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|k| k == "GET /v1/jobs/job-0001"),
        "re-fetched the job: {keys:?}"
    );
}

#[tokio::test]
async fn a_failed_job_exits_1_with_its_error() {
    let error = "nixFileSha256 mismatch: manifest says aa11, file is bb22";
    let fake = failing_job(30, "verify", error);
    let out = dogebox(&fake.socket, &["--json", "pup", "install", "hello-web"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.lines().last(),
        Some(format!("error: {error}").as_str()),
        "{stderr}"
    );
    let record: Value = serde_json::from_slice(&out.stdout).expect("stdout is the job record");
    assert_eq!(record["error"], error);
}

#[tokio::test]
async fn detach_prints_the_job_id() {
    let fake = Fake::start(vec![(
        "POST /v1/actions",
        vec![json_reply(202, json!({"job": "job-0001"}))],
    )]);
    let out = dogebox(&fake.socket, &["pup", "stop", "hello-web", "--detach"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "job-0001\n");
    let out = dogebox(
        &fake.socket,
        &["--json", "pup", "stop", "hello-web", "--detach"],
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).expect("json"),
        json!({"job": "job-0001"})
    );
    let posted: Vec<Value> = fake
        .requests()
        .into_iter()
        .map(|(_, body)| serde_json::from_str(&body).expect("json body"))
        .collect();
    assert_eq!(posted[0], json!({"action": "stop", "pup": "hello-web"}));
}

#[tokio::test]
async fn purge_without_a_terminal_needs_yes() {
    let fake = Fake::start(vec![(
        "POST /v1/actions",
        vec![json_reply(202, json!({"job": "job-0001"}))],
    )]);
    let out = dogebox(&fake.socket, &["pup", "purge", "hello-web"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pass --yes"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        fake.requests().is_empty(),
        "nothing may be sent before confirmation"
    );
    let out = dogebox(
        &fake.socket,
        &["pup", "purge", "hello-web", "--yes", "--detach"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dogebox(&fake.socket, &["source", "remove", "src1"]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn an_unreadable_answer_from_a_newer_daemon_says_which_side_to_update() {
    let status = json!({"version": "0.9.0", "protocol": 2, "pid": 7, "dataDir": "/var/lib/dogebox", "runtime": "systemd"});
    let fake = Fake::start(vec![
        (
            "GET /v1/pups",
            vec![json_reply(200, json!({"pups": "not a list"}))],
        ),
        ("GET /v1/status", vec![json_reply(200, status)]),
    ]);
    let out = dogebox(&fake.socket, &["pup", "list"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("protocol 2, this CLI speaks 1") && stderr.contains("update dogebox"),
        "{stderr}"
    );
}

fn store_pup(name: &str, description: &str, offered: bool) -> Value {
    json!({
        "sourceId": "src1", "name": name, "latestVersion": "1.0.0",
        "versions": if offered { json!(["1.0.0", "0.9.0"]) } else { json!([]) },
        "shortDescription": description, "installed": [], "offered": offered
    })
}

fn store_listing() -> Value {
    json!({
        "pups": [
            store_pup("Dogecoin Core", "The reference node", true),
            store_pup("hello-web", "A tiny WEB page", true),
            store_pup("old-web", "Gone from its source", false),
        ],
        "errors": [],
        "sources": [
            {"sourceId": "git1", "listedAt": 1764759182000i64, "refreshError": "could not resolve host", "refreshFailedAt": 1764762782000i64},
            {"sourceId": "git2", "listedAt": 1764759182000i64, "refreshError": null, "refreshFailedAt": null}
        ]
    })
}

#[tokio::test]
async fn store_search_filters_names_and_descriptions() {
    let fake = Fake::start(vec![(
        "GET /v1/store",
        vec![json_reply(200, store_listing())],
    )]);
    let out = dogebox(&fake.socket, &["store", "search", "web"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout.contains("hello-web") && stdout.contains("old-web") && !stdout.contains("Dogecoin"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not offered by its source any more"),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        "warning: source git1: refresh failed at 2025-12-03 11:53:02 UTC: could not resolve host; \
         showing the listing from 2025-12-03 10:53:02 UTC\n"
    );

    let out = dogebox(&fake.socket, &["store", "search", "NODE", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let mut want = store_listing();
    want["pups"] = json!([store_pup("Dogecoin Core", "The reference node", true)]);
    assert_eq!(printed, want);

    let out = dogebox(&fake.socket, &["store", "search", "wallet"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("dogebox: no pup in the store matches 'wallet'"),
        "{}",
        text(&out.stderr)
    );
    // The listing is read with the plain path: there is no refresh query any more.
    assert!(
        fake.requests().iter().all(|(k, _)| k == "GET /v1/store"),
        "{:?}",
        fake.requests()
    );
}

#[tokio::test]
async fn store_refresh_runs_a_quiet_job_then_lists() {
    let mut job = job_json("succeeded", 100, "done", None);
    job["action"] = json!("store-refresh");
    job["request"] = json!({"action": "store-refresh"});
    let fake = Fake::start(vec![
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
        (
            "GET /v1/jobs/job-0001/events",
            vec![ndjson(&[progress(1, 10, "refresh"), change(2, "job", job)])],
        ),
        ("GET /v1/store", vec![json_reply(200, store_listing())]),
    ]);
    let out = dogebox(&fake.socket, &["store", "--refresh", "--json"]).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        !stderr.contains("refresh going"),
        "quiet while it succeeds: {stderr}"
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the listing");
    assert_eq!(printed, store_listing());
    let requests = fake.requests();
    assert_eq!(requests[0].0, "POST /v1/actions");
    assert_eq!(
        serde_json::from_str::<Value>(&requests[0].1).expect("json"),
        json!({"action": "store-refresh"})
    );
    assert_eq!(
        requests.last().map(|(k, _)| k.as_str()),
        Some("GET /v1/store")
    );
}

#[tokio::test]
async fn store_show_encodes_the_name_and_never_prints_the_logo() {
    let detail = json!({
        "sourceId": "src1", "sourceName": "examples", "name": "Dogecoin Core", "latestVersion": "1.14.9",
        "logo": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg", "installed": ["1a2b3c4d5e6f7a8b9c0d"],
        "versions": [{"version": "1.14.9", "preRelease": false, "tag": "v1.14.9", "manifest": {
            "meta": {"shortDescription": "The reference node"},
            "container": {"exposes": [{"name": "rpc", "type": "http", "port": 22555, "webUI": true}]}
        }}]
    });
    let fake = Fake::start(vec![(
        "GET /v1/store/Dogecoin%20Core?source=src1",
        vec![json_reply(200, detail.clone())],
    )]);
    let out = dogebox(
        &fake.socket,
        &["store", "show", "Dogecoin Core", "--source", "src1"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("logo:      yes (PNG)") && !stdout.contains("iVBOR"),
        "{stdout}"
    );
    assert!(stdout.contains("installed: 1a2b3c4d\n"), "{stdout}");
    assert!(
        stdout.contains("version 1.14.9 (tag v1.14.9)\n  description:  The reference node"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  exposes:      rpc http 22555 (web UI)"),
        "{stdout}"
    );
    let out = dogebox(
        &fake.socket,
        &[
            "--json",
            "store",
            "show",
            "Dogecoin Core",
            "--source",
            "src1",
        ],
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).expect("json"),
        detail
    );
}

#[tokio::test]
async fn upgrade_posts_set_values_and_a_bad_set_is_a_usage_error() {
    let fake = Fake::start(vec![(
        "POST /v1/actions",
        vec![json_reply(202, json!({"job": "job-0001"}))],
    )]);
    let out = dogebox(
        &fake.socket,
        &["pup", "upgrade", "hello-web", "--set", "nope"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("'nope'") && text(&out.stderr).contains("FIELD=VALUE"),
        "{}",
        text(&out.stderr)
    );
    let out = dogebox(
        &fake.socket,
        &[
            "pup",
            "upgrade",
            "hello-web",
            "--to",
            "0.2.0",
            "--no-snapshot",
            "--health-time",
            "5",
            "--set",
            "rpcUser=doge",
            "--set",
            "url=http://x/?a=b",
            "--detach",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "job-0001\n");
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        1,
        "the bad --set sent nothing: {requests:?}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&requests[0].1).expect("json"),
        json!({"action": "upgrade", "pup": "hello-web", "to": "0.2.0", "noSnapshot": true, "healthTime": 5,
               "set": {"rpcUser": "doge", "url": "http://x/?a=b"}})
    );
}

#[tokio::test]
async fn a_failed_upgrade_exits_1_with_the_jobs_error() {
    let error = "the new version did not stay up for 30s (server exited); rolled back to 0.1.0";
    let fake = failing_job(80, "health", error);
    let out = dogebox(&fake.socket, &["pup", "upgrade", "hello-web"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).lines().last(),
        Some(format!("error: {error}").as_str())
    );
}

#[tokio::test]
async fn rollback_needs_yes_and_an_earlier_version() {
    let fake = Fake::start(vec![
        ("GET /v1/pups/hello-web", vec![json_reply(200, pup_json())]),
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
    ]);
    let out = dogebox(&fake.socket, &["pup", "rollback", "hello-web"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pass --yes"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        fake.requests().is_empty(),
        "nothing may be sent before confirmation"
    );
    // pup_json has no previousVersion: refused here, with the conflict code, and nothing posted.
    let out = dogebox(&fake.socket, &["pup", "rollback", "hello-web", "--yes"]).await;
    assert_eq!(out.status.code(), Some(5));
    assert!(
        text(&out.stderr).contains("has no earlier version"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        fake.requests().iter().all(|(k, _)| k != "POST /v1/actions"),
        "{:?}",
        fake.requests()
    );

    let mut upgraded = pup_json();
    upgraded["version"] = json!("0.2.0");
    upgraded["previousVersion"] = json!("0.1.0");
    let fake = Fake::start(vec![
        ("GET /v1/pups/hello-web", vec![json_reply(200, upgraded)]),
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
    ]);
    let out = dogebox(
        &fake.socket,
        &["pup", "rollback", "hello-web", "--yes", "--detach"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, body) = fake
        .requests()
        .into_iter()
        .find(|(k, _)| k == "POST /v1/actions")
        .expect("posted");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        json!({"action": "rollback", "pup": "1a2b3c4d5e6f7a8b9c0d"})
    );
}

#[tokio::test]
async fn hold_says_at_which_version() {
    let mut held = pup_json();
    held["held"] = json!(true);
    let mut job = job_json("succeeded", 100, "done", None);
    job["action"] = json!("hold");
    job["request"] = json!({"action": "hold", "pup": "hello-web"});
    let fake = Fake::start(vec![
        (
            "POST /v1/actions",
            vec![json_reply(202, json!({"job": "job-0001"}))],
        ),
        (
            "GET /v1/jobs/job-0001/events",
            vec![ndjson(&[change(1, "job", job)])],
        ),
        (
            "GET /v1/pups/1a2b3c4d5e6f7a8b9c0d",
            vec![json_reply(200, held)],
        ),
    ]);
    let out = dogebox(&fake.socket, &["pup", "hold", "hello-web"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello Web is held at 0.1.0\n");
}

#[tokio::test]
async fn outdated_lists_upgrades_and_names_the_held_ones() {
    let entry = |id: &str, name: &str| json!({"pupId": id, "name": name, "sourceId": "src1", "current": "0.1.0", "latest": "0.3.0", "newer": ["0.3.0", "0.2.0"]});
    let listing = json!({"pups": [entry("1a2b3c4d5e6f", "Hello Web")], "held": [entry("9f8e7d6c5b4a", "hodl")], "errors": []});
    let none = json!({"pups": [], "held": [], "errors": []});
    let fake = Fake::start(vec![
        (
            "GET /v1/outdated?pre=true",
            vec![json_reply(200, listing.clone())],
        ),
        ("GET /v1/outdated?pre=false", vec![json_reply(200, none)]),
    ]);
    let out = dogebox(&fake.socket, &["pup", "outdated", "--pre"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("PUP ") && stdout.contains("1a2b3c4d ") && stdout.contains("0.3.0"),
        "{stdout}"
    );
    assert!(!stdout.contains("hodl"), "{stdout}");
    assert!(
        text(&out.stderr).contains("1 held pup(s) not shown: hodl 0.1.0 (0.3.0 available)"),
        "{}",
        text(&out.stderr)
    );
    let out = dogebox(&fake.socket, &["--json", "pup", "outdated", "--pre"]).await;
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).expect("json"),
        listing
    );
    let out = dogebox(&fake.socket, &["pup", "outdated"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "every pup is up to date\n");
}
