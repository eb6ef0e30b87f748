//! Turning wire types into text: tables, key/value blocks, durations. Pure functions returning
//! strings, so they can be tested; `output` writes them.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use comfy_table::{ContentArrangement, Table, presets};
use dogebox_shared::wire::{
    Action, Installation, JobRecord, OutdatedPup, PupView, SourceKind, SourceListingState,
    SourceView, StoreDetail, StoreListing, StoreVersion, WebUi,
};
use serde_json::Value;

/// Escapes control, bidi and zero-width characters: names, messages and log lines come from
/// manifests and builds, and must not drive the terminal. Newlines are kept when `multiline`.
pub fn sanitize(text: &str, multiline: bool) -> Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !(multiline && (c == '\n' || c == '\t')))
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The first 8 characters of an id, as tables show it.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((at, _)) => &id[..at],
        None => id,
    }
}

fn table(headers: &[&str], width: Option<u16>) -> Table {
    let mut table = Table::new();
    // Borderless columns, like `docker ps`: easy to read and to grep.
    table.load_preset(presets::NOTHING);
    table.set_header(headers.iter().copied());
    match width {
        Some(w) => {
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_width(w);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

fn finish(mut table: Table) -> String {
    // No left margin, two blanks between columns; and no trailing blanks on the lines.
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `ready`, or `broken (nix_hash_mismatch)`.
pub fn installation(pup: &PupView) -> String {
    match (&pup.installation, &pup.broken_reason) {
        (Installation::Broken, Some(reason)) => format!("broken ({})", sanitize(reason, false)),
        (state, _) => state.as_str().to_string(),
    }
}

fn ports(uis: &[WebUi]) -> String {
    uis.iter()
        .map(|ui| ui.port.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `1.0.0`, `1.0.0 (held)`, or `1.0.0 → 1.1.0` while an upgrade runs.
fn list_version(pup: &PupView) -> String {
    let mut v = sanitize(&pup.version, false).into_owned();
    if let Some(to) = &pup.upgrading_to {
        let _ = write!(v, " → {}", sanitize(to, false));
    }
    if pup.held {
        v.push_str(" (held)");
    }
    v
}

/// `pup list`. `width` is the terminal width, `None` when not on a terminal (no wrapping).
pub fn pup_table(pups: &[PupView], width: Option<u16>) -> String {
    let mut t = table(
        &[
            "ID",
            "NAME",
            "VERSION",
            "INSTALLATION",
            "STATUS",
            "IP",
            "WEB UI",
        ],
        width,
    );
    for pup in pups {
        t.add_row(vec![
            short_id(&pup.id).to_string(),
            sanitize(&pup.name, false).into_owned(),
            list_version(pup),
            installation(pup),
            pup.status.as_str().to_string(),
            pup.ip.clone(),
            ports(&pup.web_uis),
        ]);
    }
    finish(t)
}

fn kind(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Disk => "disk",
        SourceKind::Git => "git",
    }
}

pub fn source_table(sources: &[SourceView], now_ms: i64, width: Option<u16>) -> String {
    let mut t = table(&["ID", "NAME", "TYPE", "LOCATION", "ADDED"], width);
    for s in sources {
        t.add_row(vec![
            s.id.clone(),
            sanitize(&s.name, false).into_owned(),
            kind(s.kind).to_string(),
            sanitize(&s.location, false).into_owned(),
            ago(s.added_at, now_ms),
        ]);
    }
    finish(t)
}

/// What the VERSIONS column says for an installed pup its source no longer offers.
pub const NOT_OFFERED: &str = "none: not offered by its source any more";

pub fn store_table(listing: &StoreListing, width: Option<u16>) -> String {
    let mut t = table(
        &[
            "SOURCE",
            "NAME",
            "LATEST",
            "VERSIONS",
            "INSTALLED",
            "DESCRIPTION",
        ],
        width,
    );
    for p in &listing.pups {
        let installed = p
            .installed
            .iter()
            .map(|id| short_id(id))
            .collect::<Vec<_>>()
            .join(", ");
        let versions = if p.offered {
            sanitize(&p.versions.join(", "), false).into_owned()
        } else {
            NOT_OFFERED.to_string()
        };
        t.add_row(vec![
            p.source_id.clone(),
            sanitize(&p.name, false).into_owned(),
            sanitize(&p.latest_version, false).into_owned(),
            versions,
            installed,
            sanitize(&p.short_description, false).into_owned(),
        ]);
    }
    finish(t)
}

/// The warning for a git source whose last refresh failed; `None` when it did not.
pub fn refresh_warning(state: &SourceListingState) -> Option<String> {
    let why = state.refresh_error.as_deref()?;
    let when = state
        .refresh_failed_at
        .map(|t| format!(" at {}", timestamp(t)))
        .unwrap_or_default();
    let shown = match state.listed_at {
        Some(t) => format!("showing the listing from {}", timestamp(t)),
        None => "it has never been listed, so none of its pups are shown".to_string(),
    };
    Some(format!(
        "warning: source {}: refresh failed{when}: {}; {shown}",
        sanitize(&state.source_id, false),
        sanitize(why, false)
    ))
}

/// `pup outdated`.
pub fn outdated_table(pups: &[OutdatedPup], width: Option<u16>) -> String {
    let mut t = table(&["PUP", "ID", "CURRENT", "LATEST", "SOURCE"], width);
    for p in pups {
        t.add_row(vec![
            sanitize(&p.name, false).into_owned(),
            short_id(&p.pup_id).to_string(),
            sanitize(&p.current, false).into_owned(),
            sanitize(&p.latest, false).into_owned(),
            sanitize(&p.source_id, false).into_owned(),
        ]);
    }
    finish(t)
}

/// `2 held pup(s) not shown: Hello Web 0.1.0 (0.2.0 available), …`
pub fn held_note(held: &[OutdatedPup]) -> String {
    let list = held
        .iter()
        .map(|p| {
            format!(
                "{} {} ({} available)",
                sanitize(&p.name, false),
                sanitize(&p.current, false),
                sanitize(&p.latest, false)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} held pup(s) not shown: {list}; 'dogebox pup unhold <pup>' offers them again",
        held.len()
    )
}

/// `PNG` for `data:image/png;base64,…`, `SVG` for `image/svg+xml`; `None` when not a data URL.
pub fn logo_format(logo: &str) -> Option<String> {
    let mime = logo.strip_prefix("data:")?.split([';', ',']).next()?;
    let sub = mime.split_once('/')?.1;
    let sub = sub.split('+').next().unwrap_or(sub);
    if sub.is_empty()
        || !sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return None;
    }
    Some(if sub == "jpeg" {
        "JPEG".into()
    } else {
        sub.to_ascii_uppercase()
    })
}

/// `store show`: the pup, then every version (highest first, as the daemon sends them).
/// The logo is only named, never printed.
pub fn store_details(d: &StoreDetail) -> String {
    let installed = if d.installed.is_empty() {
        "no".to_string()
    } else {
        d.installed
            .iter()
            .map(|id| short_id(id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let logo = match d.logo.as_deref() {
        None | Some("") => "none".to_string(),
        Some(l) => match logo_format(l) {
            Some(f) => format!("yes ({f})"),
            None => "yes".to_string(),
        },
    };
    let mut out = kv(&[
        ("name", sanitize(&d.name, false).into_owned()),
        (
            "source",
            format!(
                "{} (id {})",
                sanitize(&d.source_name, false),
                sanitize(&d.source_id, false)
            ),
        ),
        ("latest", sanitize(&d.latest_version, false).into_owned()),
        ("installed", installed),
        ("logo", logo),
    ]);
    for v in &d.versions {
        out.push_str("\n\n");
        out.push_str(&version_block(v));
    }
    out
}

fn version_block(v: &StoreVersion) -> String {
    let mut notes = Vec::new();
    if v.pre_release {
        notes.push("pre-release".to_string());
    }
    if let Some(tag) = &v.tag {
        notes.push(format!("tag {}", sanitize(tag, false)));
    }
    let mut head = format!("version {}", sanitize(&v.version, false));
    if !notes.is_empty() {
        let _ = write!(head, " ({})", notes.join(", "));
    }
    let m = &v.manifest;
    let or_none = |lines: Vec<String>| {
        if lines.is_empty() {
            "none".to_string()
        } else {
            lines.join("\n")
        }
    };
    let description = text(&m["meta"]["shortDescription"]);
    let interfaces = items(&m["interfaces"])
        .map(|i| join_words(&[text(&i["name"]), text(&i["version"])]))
        .collect();
    let dependencies = items(&m["dependencies"])
        .map(|d| {
            let mut line = join_words(&[text(&d["interfaceName"]), text(&d["interfaceVersion"])]);
            if d["optional"].as_bool() == Some(true) {
                line.push_str(" (optional)");
            }
            line
        })
        .collect();
    let mut config = Vec::new();
    for section in items(&m["config"]["sections"]) {
        let section_name = match text(&section["name"]) {
            n if n.is_empty() => text(&section["label"]),
            n => n,
        };
        for f in items(&section["fields"]) {
            let name = text(&f["name"]);
            let mut line = if section_name.is_empty() {
                name
            } else {
                format!("{section_name}/{name}")
            };
            let kind = text(&f["type"]);
            if !kind.is_empty() {
                let _ = write!(line, " {kind}");
            }
            if f["required"].as_bool() == Some(true) {
                line.push_str(", required");
            }
            if !f["default"].is_null() {
                let _ = write!(
                    line,
                    ", default {}",
                    sanitize(&f["default"].to_string(), false)
                );
            }
            config.push(line);
        }
    }
    let exposes = items(&m["container"]["exposes"])
        .map(|e| {
            let port = e["port"]
                .as_i64()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let mut line = join_words(&[text(&e["name"]), text(&e["type"]), port]);
            let mut flags = Vec::new();
            if e["webUI"].as_bool() == Some(true) {
                flags.push("web UI");
            }
            if e["listenOnHost"].as_bool() == Some(true) {
                flags.push("listen on host");
            }
            if !flags.is_empty() {
                let _ = write!(line, " ({})", flags.join(", "));
            }
            line
        })
        .collect();
    let rows = kv(&[
        (
            "description",
            if description.is_empty() {
                "none".into()
            } else {
                description
            },
        ),
        ("interfaces", or_none(interfaces)),
        ("dependencies", or_none(dependencies)),
        ("config", or_none(config)),
        ("exposes", or_none(exposes)),
    ]);
    let mut out = head;
    for line in rows.lines() {
        let _ = write!(out, "\n  {line}");
    }
    out
}

/// The elements of a JSON array; nothing for `null` or any other value.
fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// A manifest string, sanitized; `""` when absent or not a string.
fn text(v: &Value) -> String {
    sanitize(v.as_str().unwrap_or(""), false).into_owned()
}

fn join_words(words: &[String]) -> String {
    words
        .iter()
        .filter(|w| !w.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn job_table(jobs: &[JobRecord], now_ms: i64, width: Option<u16>) -> String {
    let mut t = table(
        &[
            "ID", "ACTION", "TARGET", "STATUS", "STEP", "CREATED", "TOOK",
        ],
        width,
    );
    for j in jobs {
        let step = if j.status.is_finished() {
            sanitize(&j.step, false).into_owned()
        } else {
            format!("{}% {}", j.progress, sanitize(&j.step, false))
        };
        t.add_row(vec![
            short_id(&j.id).to_string(),
            j.action.clone(),
            clip(&sanitize(&target(j), false), 40),
            j.status.as_str().to_string(),
            step,
            ago(j.created, now_ms),
            took(j, now_ms),
        ]);
    }
    finish(t)
}

/// At most `max` characters, with `…` when cut: one long value must not widen a table
/// beyond the screen (`jobs show` prints it whole).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// What a job acts on: the pup's name when known, else what the request named.
pub fn target(job: &JobRecord) -> String {
    if let Some(name) = &job.pup_name {
        return name.clone();
    }
    match &job.request {
        Action::Install { name, .. } => name.clone(),
        Action::Start { pup }
        | Action::Stop { pup }
        | Action::Restart { pup }
        | Action::Uninstall { pup }
        | Action::Purge { pup }
        | Action::Upgrade { pup, .. }
        | Action::Rollback { pup }
        | Action::Hold { pup }
        | Action::Unhold { pup } => pup.clone(),
        Action::SourceAdd { location } => location.clone(),
        Action::SourceRemove { source } => source.clone(),
        Action::StoreRefresh { source } => source.clone().unwrap_or_else(|| "every source".into()),
    }
}

fn took(job: &JobRecord, now_ms: i64) -> String {
    match (job.started, job.finished) {
        (Some(s), Some(f)) => duration(f - s),
        (Some(s), None) => format!("{}…", duration(now_ms - s)),
        _ => String::new(),
    }
}

/// `850ms`, `12s`, `3m05s`, `2h10m`, `4d3h`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// `3m05s ago`, from Unix milliseconds.
pub fn ago(ts_ms: i64, now_ms: i64) -> String {
    if ts_ms <= 0 {
        return String::new();
    }
    format!("{} ago", duration(now_ms - ts_ms))
}

/// `2026-12-03 10:53:02 UTC`, from Unix milliseconds.
pub fn timestamp(ts_ms: i64) -> String {
    let secs = ts_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), to avoid a date crate.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `http://host:port/` for each web UI.
pub fn web_urls(pup: &PupView, host: &str) -> Vec<String> {
    pup.web_uis
        .iter()
        .map(|ui| format!("http://{host}:{}/", ui.port))
        .collect()
}

/// Aligned `key: value` lines; values spanning lines are indented under the first.
fn kv(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (key, value) in rows {
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        let _ = writeln!(out, "{:width$} {first}", format!("{key}:"));
        for line in lines {
            let _ = writeln!(out, "{:width$} {line}", "");
        }
    }
    out.trim_end().to_string()
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// `pup show`.
pub fn pup_details(pup: &PupView, host: &str, now_ms: i64) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("id", pup.id.clone()),
        ("name", sanitize(&pup.name, false).into_owned()),
        ("version", sanitize(&pup.version, false).into_owned()),
        (
            "held",
            if pup.held {
                "yes: not offered for upgrade".into()
            } else {
                "no".into()
            },
        ),
        (
            "previous version",
            match &pup.previous_version {
                Some(v) => format!("{} (rollback available)", sanitize(v, false)),
                None => "none".into(),
            },
        ),
    ];
    if let Some(to) = &pup.upgrading_to {
        rows.push(("upgrading to", sanitize(to, false).into_owned()));
    }
    rows.extend([
        (
            "source",
            format!(
                "{} ({}, {}, id {})",
                sanitize(&pup.source.name, false),
                kind(pup.source.kind),
                sanitize(&pup.source.location, false),
                pup.source.id
            ),
        ),
        ("installation", pup.installation.as_str().to_string()),
    ]);
    if pup.installation == Installation::Broken {
        rows.push((
            "broken reason",
            sanitize(pup.broken_reason.as_deref().unwrap_or("unknown"), false).into_owned(),
        ));
        if let Some(message) = &pup.broken_message {
            rows.push(("broken message", sanitize(message, true).into_owned()));
        }
    }
    rows.push(("status", pup.status.as_str().to_string()));
    rows.push(("enabled", yes_no(pup.enabled)));
    rows.push(("needs config", yes_no(pup.needs_conf)));
    rows.push(("needs deps", yes_no(pup.needs_deps)));
    rows.push(("ip", pup.ip.clone()));
    let uis = pup
        .web_uis
        .iter()
        .map(|ui| {
            format!(
                "{} http://{host}:{}/ (internal port {})",
                sanitize(&ui.name, false),
                ui.port,
                ui.internal
            )
        })
        .collect::<Vec<_>>();
    rows.push((
        "web UI",
        if uis.is_empty() {
            "none".into()
        } else {
            uis.join("\n")
        },
    ));
    let services = pup
        .services
        .iter()
        .map(|s| {
            format!(
                "{} {} {} ({})",
                sanitize(&s.name, false),
                sanitize(&s.unit, false),
                sanitize(&s.active_state, false),
                sanitize(&s.sub_state, false)
            )
        })
        .collect::<Vec<_>>();
    rows.push((
        "services",
        if services.is_empty() {
            "none".into()
        } else {
            services.join("\n")
        },
    ));
    rows.push(("storage", sanitize(&pup.storage_dir, false).into_owned()));
    if pup.installed_at > 0 {
        rows.push((
            "installed",
            format!(
                "{} ({})",
                timestamp(pup.installed_at),
                ago(pup.installed_at, now_ms)
            ),
        ));
    }
    kv(&rows)
}

/// `jobs show`.
pub fn job_details(job: &JobRecord, now_ms: i64) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("id", job.id.clone()),
        ("action", job.action.clone()),
        ("target", sanitize(&target(job), false).into_owned()),
        ("status", job.status.as_str().to_string()),
        ("progress", format!("{}%", job.progress)),
        ("step", sanitize(&job.step, false).into_owned()),
        ("message", sanitize(&job.message, true).into_owned()),
    ];
    if let Some(error) = &job.error {
        rows.push(("error", sanitize(error, true).into_owned()));
    }
    if let Some(id) = &job.pup_id {
        rows.push(("pup", id.clone()));
    }
    rows.push((
        "created",
        format!("{} ({})", timestamp(job.created), ago(job.created, now_ms)),
    ));
    if let Some(started) = job.started {
        rows.push(("started", timestamp(started)));
    }
    if let Some(finished) = job.finished {
        rows.push(("finished", timestamp(finished)));
    }
    let took = took(job, now_ms);
    if !took.is_empty() {
        rows.push(("took", took));
    }
    kv(&rows)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use dogebox_shared::wire::{JobStatus, RunStatus, ServiceState, SourceRef};

    #[test]
    fn clip_keeps_short_values_and_cuts_long_ones() {
        assert_eq!(clip("hello-web", 40), "hello-web");
        let c = clip(&"x".repeat(300), 40);
        assert_eq!(c.chars().count(), 40);
        assert!(c.ends_with('…'));
    }

    pub(crate) fn pup(id: &str, name: &str) -> PupView {
        PupView {
            id: id.into(),
            name: name.into(),
            version: "0.1.0".into(),
            source: SourceRef {
                id: "src1".into(),
                name: "examples".into(),
                location: "/srv/examples".into(),
                kind: SourceKind::Disk,
            },
            installation: Installation::Ready,
            broken_reason: None,
            broken_message: None,
            status: RunStatus::Running,
            enabled: true,
            needs_conf: false,
            needs_deps: false,
            ip: "10.69.0.2".into(),
            web_uis: vec![WebUi {
                name: "web".into(),
                port: 10000,
                internal: 8080,
            }],
            services: vec![ServiceState {
                name: "server".into(),
                unit: "dbx-pup-1a2b3c4d-server.service".into(),
                active_state: "active".into(),
                sub_state: "running".into(),
            }],
            storage_dir: "/var/lib/dogebox/pups/storage/1a2b".into(),
            installed_at: 1_764_759_182_000,
            held: false,
            previous_version: None,
            upgrading_to: None,
            manifest: None,
        }
    }

    #[test]
    fn pup_table_has_the_columns_and_shows_why_a_pup_is_broken() {
        let good = pup("1a2b3c4d5e6f7a8b", "Hello Web");
        let mut bad = pup("9f8e7d6c5b4a3210", "Broken Pup");
        bad.installation = Installation::Broken;
        bad.broken_reason = Some("nix_hash_mismatch".into());
        bad.status = RunStatus::Stopped;
        bad.ip = String::new();
        bad.web_uis.clear();
        let text = pup_table(&[good, bad], None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            header,
            [
                "ID",
                "NAME",
                "VERSION",
                "INSTALLATION",
                "STATUS",
                "IP",
                "WEB",
                "UI"
            ]
        );
        assert!(
            lines[1].contains("1a2b3c4d ") && !lines[1].contains("1a2b3c4d5"),
            "{text}"
        );
        assert!(
            lines[1].contains("Hello Web") && lines[1].contains("ready"),
            "{text}"
        );
        assert!(
            lines[1].contains("running") && lines[1].contains("10.69.0.2"),
            "{text}"
        );
        assert!(lines[1].trim_end().ends_with("10000"), "{text}");
        assert!(
            lines[2].contains("9f8e7d6c") && lines[2].contains("broken (nix_hash_mismatch)"),
            "{text}"
        );
        assert!(lines[2].contains("stopped"), "{text}");
        // Columns line up: every row's STATUS starts where the header's does.
        let at = lines[0].find("STATUS").expect("header");
        assert_eq!(&lines[1][at..at + 7], "running");
        assert_eq!(&lines[2][at..at + 7], "stopped");
    }

    #[test]
    fn names_cannot_drive_the_terminal() {
        let p = pup("1", "evil\u{1b}[2J\u{202e}name");
        let text = pup_table(&[p], None);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("evil\\u{1b}[2J\\u{202e}name"), "{text}");
        assert_eq!(sanitize("a\nb", true), "a\nb");
        assert_eq!(sanitize("a\nb", false), "a\\u{a}b");
    }

    #[test]
    fn pup_details_show_services_and_the_broken_message() {
        let mut p = pup("1a2b3c4d5e6f", "Hello Web");
        p.installation = Installation::Broken;
        p.broken_reason = Some("nix_build_failed".into());
        p.broken_message = Some("line one\nerror: builder failed".into());
        let text = pup_details(&p, "127.0.0.1", p.installed_at + 90_000);
        assert!(
            text.contains("broken reason:    nix_build_failed"),
            "{text}"
        );
        assert!(
            text.contains("broken message:   line one\n                  error: builder failed"),
            "{text}"
        );
        assert!(
            text.contains(
                "services:         server dbx-pup-1a2b3c4d-server.service active (running)"
            ),
            "{text}"
        );
        assert!(
            text.contains("web UI:           web http://127.0.0.1:10000/ (internal port 8080)"),
            "{text}"
        );
        assert!(text.contains("(1m30s ago)"), "{text}");
        assert!(
            text.contains("held:             no\nprevious version: none\n"),
            "{text}"
        );
        assert!(!text.contains("upgrading to"), "{text}");
    }

    #[test]
    fn held_previous_and_upgrading_pups_say_so() {
        let mut p = pup("1a2b3c4d5e6f", "Hello Web");
        p.held = true;
        p.previous_version = Some("0.0.9".into());
        let text = pup_details(&p, "127.0.0.1", p.installed_at);
        assert!(
            text.contains("held:             yes: not offered for upgrade"),
            "{text}"
        );
        assert!(
            text.contains("previous version: 0.0.9 (rollback available)"),
            "{text}"
        );
        let table = pup_table(std::slice::from_ref(&p), None);
        assert!(table.contains("0.1.0 (held)"), "{table}");
        p.held = false;
        p.installation = Installation::Upgrading;
        p.upgrading_to = Some("0.2.0".into());
        assert!(pup_details(&p, "h", 0).contains("upgrading to:     0.2.0"));
        assert!(pup_table(&[p], None).contains("0.1.0 → 0.2.0"));
    }

    fn store_pup(name: &str, offered: bool) -> dogebox_shared::wire::StorePup {
        dogebox_shared::wire::StorePup {
            source_id: "src1".into(),
            name: name.into(),
            latest_version: "1.0.0".into(),
            versions: if offered {
                vec!["1.0.0".into(), "0.9.0".into()]
            } else {
                vec![]
            },
            short_description: "a pup".into(),
            installed: vec!["1a2b3c4d5e6f".into()],
            offered,
        }
    }

    #[test]
    fn store_table_marks_pups_no_longer_offered() {
        let listing = StoreListing {
            pups: vec![store_pup("kept", true), store_pup("gone", false)],
            errors: vec![],
            sources: vec![],
        };
        let text = store_table(&listing, None);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[1].contains("1.0.0, 0.9.0") && !lines[1].contains(NOT_OFFERED),
            "{text}"
        );
        assert!(
            lines[2].contains("gone") && lines[2].contains(NOT_OFFERED),
            "{text}"
        );
        assert!(lines[2].contains("1a2b3c4d"), "{text}");
    }

    #[test]
    fn refresh_warning_names_the_source_the_error_and_both_times() {
        let mut state = SourceListingState {
            source_id: "git1".into(),
            listed_at: Some(1_764_759_182_000),
            refresh_error: None,
            refresh_failed_at: Some(1_764_762_782_000),
        };
        assert_eq!(refresh_warning(&state), None);
        state.refresh_error = Some("git ls-remote: could not resolve host".into());
        assert_eq!(
            refresh_warning(&state).as_deref(),
            Some(
                "warning: source git1: refresh failed at 2025-12-03 11:53:02 UTC: git ls-remote: could not resolve host; \
                 showing the listing from 2025-12-03 10:53:02 UTC"
            )
        );
        state.listed_at = None;
        assert!(
            refresh_warning(&state)
                .expect("warns")
                .ends_with("it has never been listed, so none of its pups are shown")
        );
    }

    fn outdated(name: &str) -> OutdatedPup {
        OutdatedPup {
            pup_id: "9f8e7d6c5b4a".into(),
            name: name.into(),
            source_id: "src1".into(),
            current: "0.1.0".into(),
            latest: "0.3.0".into(),
            newer: vec!["0.3.0".into(), "0.2.0".into()],
        }
    }

    #[test]
    fn outdated_table_and_held_note() {
        let text = outdated_table(&[outdated("Hello Web")], None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["PUP", "ID", "CURRENT", "LATEST", "SOURCE"]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["Hello", "Web", "9f8e7d6c", "0.1.0", "0.3.0", "src1"]
        );
        assert_eq!(
            held_note(&[outdated("hodl")]),
            "1 held pup(s) not shown: hodl 0.1.0 (0.3.0 available); 'dogebox pup unhold <pup>' offers them again"
        );
    }

    #[test]
    fn logo_formats() {
        assert_eq!(
            logo_format("data:image/png;base64,iVBOR").as_deref(),
            Some("PNG")
        );
        assert_eq!(
            logo_format("data:image/svg+xml;base64,PHN2").as_deref(),
            Some("SVG")
        );
        assert_eq!(
            logo_format("data:image/jpeg;base64,/9j/").as_deref(),
            Some("JPEG")
        );
        assert_eq!(logo_format("iVBORw0KGgo"), None);
        assert_eq!(logo_format("data:image/\u{1b}[2J;base64,x"), None);
    }

    #[test]
    fn store_details_list_every_version_and_never_the_logo() {
        let manifest = serde_json::json!({
            "meta": {"name": "Dogecoin Core", "version": "1.14.9", "shortDescription": "The reference node"},
            "interfaces": [{"name": "core-rpc", "version": "1.0.0", "permissionGroups": []}],
            "dependencies": [{"interfaceName": "tor", "interfaceVersion": ">=0.4", "optional": true}],
            "config": {"sections": [{"name": "rpc", "label": "RPC", "fields": [
                {"name": "rpcUser", "type": "text", "required": true, "default": "doge"},
                {"name": "rpcPort", "type": "number", "required": false, "default": null}
            ]}]},
            "container": {"exposes": [
                {"name": "rpc", "type": "http", "port": 22555, "webUI": true},
                {"name": "p2p", "type": "tcp", "port": 22556, "listenOnHost": true}
            ]}
        });
        let detail = StoreDetail {
            source_id: "src1".into(),
            source_name: "examples".into(),
            name: "Dogecoin Core".into(),
            latest_version: "1.14.9".into(),
            logo: Some("data:image/png;base64,iVBORw0KGgoAAAA".into()),
            installed: vec![],
            versions: vec![
                StoreVersion {
                    version: "1.15.0-rc.1".into(),
                    pre_release: true,
                    tag: Some("v1.15.0-rc.1".into()),
                    manifest: serde_json::json!({"meta": {}, "interfaces": null}),
                },
                StoreVersion {
                    version: "1.14.9".into(),
                    pre_release: false,
                    tag: None,
                    manifest,
                },
            ],
        };
        let text = store_details(&detail);
        assert!(!text.contains("iVBOR"), "{text}");
        assert!(
            text.starts_with("name:      Dogecoin Core\nsource:    examples (id src1)\n"),
            "{text}"
        );
        assert!(
            text.contains("installed: no\nlogo:      yes (PNG)"),
            "{text}"
        );
        let rc = text
            .find("version 1.15.0-rc.1 (pre-release, tag v1.15.0-rc.1)")
            .expect("rc block");
        let stable = text.find("version 1.14.9\n").expect("stable block");
        assert!(rc < stable, "highest first: {text}");
        assert!(text[rc..stable].contains("  interfaces:   none"), "{text}");
        let block = &text[stable..];
        for want in [
            "  description:  The reference node",
            "  interfaces:   core-rpc 1.0.0",
            "  dependencies: tor >=0.4 (optional)",
            "  config:       rpc/rpcUser text, required, default \"doge\"\n                rpc/rpcPort number\n",
            "  exposes:      rpc http 22555 (web UI)\n                p2p tcp 22556 (listen on host)",
        ] {
            assert!(block.contains(want), "missing {want:?} in\n{block}");
        }
    }

    #[test]
    fn durations_and_timestamps() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(12_400), "12s");
        assert_eq!(duration(185_000), "3m05s");
        assert_eq!(duration(7_800_000), "2h10m");
        assert_eq!(duration(-5), "0ms");
        assert_eq!(timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(timestamp(1_764_759_182_000), "2025-12-03 10:53:02 UTC");
    }

    #[test]
    fn job_table_shows_progress_while_running() {
        let job = JobRecord {
            id: "0123456789abcdef".into(),
            action: "install".into(),
            request: Action::Install {
                name: "hello-web".into(),
                version: None,
                source: None,
                pre: false,
            },
            status: JobStatus::Running,
            progress: 40,
            step: "build".into(),
            message: "building".into(),
            error: None,
            pup_id: None,
            pup_name: None,
            created: 1000,
            started: Some(2000),
            finished: None,
            result: None,
        };
        let text = job_table(&[job], 14_000, None);
        assert!(text.contains("01234567 "), "{text}");
        assert!(
            text.contains("hello-web") && text.contains("40% build") && text.contains("12s…"),
            "{text}"
        );
    }
}
