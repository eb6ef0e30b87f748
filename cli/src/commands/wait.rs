//! Submitting an action and following its job to the end.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use dogebox_shared::wire::{
    self, Action, Change, JobRecord, JobStatus, LogLine, Progress, PupView, SourceView,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Ctx, ok, web_host};
use crate::client::ClientError;
use crate::errors::Exit;
use crate::render::{sanitize, short_id};

/// How often a broken event stream is re-opened before giving up; the backoff doubles from
/// 250 ms, so this covers a daemon restart of several seconds.
const RECONNECTS: u32 = 6;

/// Sends the action; then either prints the job id (`detach`) or waits for the job.
pub async fn submit(ctx: &Ctx, action: Action, detach: bool) -> Result<ExitCode> {
    let accepted = ctx.client.act(&action).await?;
    if detach {
        if ctx.out.json {
            ctx.out.json(&accepted)?;
        } else {
            ctx.out.print(&accepted.job)?;
        }
        return Ok(ok());
    }
    follow(ctx, &accepted.job).await
}

/// Follows a job until it ends, then reports it. Ctrl-C stops waiting, not the job.
pub async fn follow(ctx: &Ctx, id: &str) -> Result<ExitCode> {
    match wait_for(ctx, id, Display::new(ctx)).await? {
        Some(job) => report(ctx, &job).await,
        None => Ok(Exit::Interrupted.into()),
    }
}

/// Sends the action and waits for its job without step lines or a summary (a bar only on a
/// terminal, cleared at the end). `None` when the job succeeded; otherwise the job is
/// reported as [`follow`] would and the exit code comes back.
pub async fn run_quietly(ctx: &Ctx, action: Action) -> Result<Option<ExitCode>> {
    let accepted = ctx.client.act(&action).await?;
    let display = if ctx.out.stderr_tty {
        Display::new(ctx)
    } else {
        Display::Silent
    };
    match wait_for(ctx, &accepted.job, display).await? {
        Some(job) if job.status == JobStatus::Succeeded => Ok(None),
        Some(job) => report(ctx, &job).await.map(Some),
        None => Ok(Some(Exit::Interrupted.into())),
    }
}

/// Watches a job with `display` until it ends; `None` when Ctrl-C stopped the wait (said so).
async fn wait_for(ctx: &Ctx, id: &str, mut display: Display) -> Result<Option<JobRecord>> {
    let outcome = tokio::select! {
        job = watch(ctx, id, &mut display) => Some(job),
        _ = tokio::signal::ctrl_c() => None,
    };
    display.clear();
    match outcome {
        Some(job) => job.map(Some),
        None => {
            ctx.out.note(&format!(
                "dogebox: stopped waiting; job {id} goes on in the daemon ('dogebox jobs watch {id}' follows it)"
            ));
            Ok(None)
        }
    }
}

fn retryable(err: &ClientError) -> bool {
    matches!(
        err,
        ClientError::Connect { .. } | ClientError::Closed { .. }
    )
}

/// Reads the job's event stream until the job has ended. When the stream breaks (a daemon
/// restart), asks for the job record and reconnects, a few times, before giving up.
async fn watch(ctx: &Ctx, id: &str, display: &mut Display) -> Result<JobRecord> {
    let mut last_seq = 0u64;
    let mut failures = 0u32;
    loop {
        let mut last_error = None;
        match ctx.client.job_events(id).await {
            Ok(mut stream) => loop {
                match stream.next().await {
                    Ok(Some(change)) => {
                        failures = 0;
                        // seq only grows, also across restarts: anything else is a stale repeat.
                        if change.seq <= last_seq && last_seq != 0 {
                            continue;
                        }
                        last_seq = change.seq;
                        if let Some(job) = display.apply(&change)?
                            && job.status.is_finished()
                        {
                            return Ok(job);
                        }
                    }
                    Ok(None) => break,
                    Err(e) if retryable(&e) => {
                        last_error = Some(e);
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            },
            Err(e) if retryable(&e) => last_error = Some(e),
            Err(e) => return Err(e.into()),
        }
        // The stream ended or broke: the record says whether the job is over.
        match ctx.client.job(id).await {
            Ok(job) if job.status.is_finished() => return Ok(job),
            Ok(job) => display.job(&job),
            Err(e) if retryable(&e) => last_error = Some(e),
            Err(e) => return Err(e.into()),
        }
        failures += 1;
        if failures > RECONNECTS {
            let why = last_error
                .map(|e| e.to_string())
                .unwrap_or_else(|| "the event stream keeps ending before the job does".to_string());
            return Err(anyhow::Error::new(ClientError::Closed {
                socket: ctx.client.socket().to_path_buf(),
                reason: format!("gave up following job {id}: {why}"),
            }));
        }
        tokio::time::sleep(Duration::from_millis(250 << (failures - 1).min(4))).await;
    }
}

/// Progress while waiting: a bar on a terminal, step lines otherwise; both on stderr.
/// `Silent` shows nothing (a quick job whose success needs no words).
enum Display {
    Bar(ProgressBar),
    Lines {
        out: crate::output::Output,
        step: String,
    },
    Silent,
}

impl Display {
    fn new(ctx: &Ctx) -> Self {
        if !ctx.out.stderr_tty {
            return Display::Lines {
                out: ctx.out,
                step: String::new(),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {wide_msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Display::Bar(bar)
    }

    /// Applies one change; returns the job record when the change carried one.
    fn apply(&mut self, change: &Change) -> Result<Option<JobRecord>> {
        let bad = |e: serde_json::Error| {
            ClientError::Protocol(format!(
                "a '{}' event has an unexpected shape ({e})",
                change.kind
            ))
        };
        match change.kind.as_str() {
            wire::CHANGE_JOB => {
                let job: JobRecord = serde_json::from_value(change.update.clone()).map_err(bad)?;
                self.job(&job);
                Ok(Some(job))
            }
            wire::CHANGE_PROGRESS => {
                let p: Progress = serde_json::from_value(change.update.clone()).map_err(bad)?;
                self.show(p.progress, &p.step, &p.msg);
                Ok(None)
            }
            wire::CHANGE_LOG => {
                let line: LogLine = serde_json::from_value(change.update.clone()).map_err(bad)?;
                // Build output is too much for plain lines; on the bar it shows what is going on.
                if let Display::Bar(bar) = self {
                    bar.set_message(sanitize(&line.line, false).into_owned());
                }
                Ok(None)
            }
            // Other kinds (pup changes) are not needed to follow a job.
            _ => Ok(None),
        }
    }

    fn job(&mut self, job: &JobRecord) {
        self.show(job.progress, &job.step, &job.message);
    }

    fn show(&mut self, progress: u8, step: &str, message: &str) {
        let text = match (step.is_empty(), message.is_empty()) {
            (true, _) => message.to_string(),
            (false, true) => step.to_string(),
            (false, false) => format!("{step}: {message}"),
        };
        let text = sanitize(&text, false).into_owned();
        match self {
            Display::Bar(bar) => {
                bar.set_position(u64::from(progress.min(100)));
                bar.set_message(text);
            }
            Display::Lines { out, step: last } => {
                if !step.is_empty() && step != last {
                    *last = step.to_string();
                    out.note(&format!("[{progress:>3}%] {text}"));
                }
            }
            Display::Silent => {}
        }
    }

    fn clear(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Prints the outcome of a finished job and picks the exit code.
pub async fn report(ctx: &Ctx, job: &JobRecord) -> Result<ExitCode> {
    if ctx.out.json {
        ctx.out.json(job)?;
    }
    if job.status != JobStatus::Succeeded {
        let error = match (&job.error, job.status) {
            (Some(e), _) if !e.is_empty() => e.clone(),
            (_, JobStatus::Interrupted) => {
                "the job was interrupted (the daemon stopped while it ran)".into()
            }
            _ => format!("the job {} {}", job.id, job.status.as_str()),
        };
        ctx.out.note(&format!("error: {}", sanitize(&error, true)));
        return Ok(Exit::JobFailed.into());
    }
    if !ctx.out.json {
        ctx.out.print(&summary(ctx, job).await)?;
    }
    Ok(ok())
}

/// The one-line result of a successful job.
async fn summary(ctx: &Ctx, job: &JobRecord) -> String {
    let pup_ref = job
        .pup_id
        .clone()
        .unwrap_or_else(|| crate::render::target(job));
    let fallback = || {
        let name = job
            .pup_name
            .clone()
            .unwrap_or_else(|| crate::render::target(job));
        match &job.pup_id {
            Some(id) => format!("{} (id {}…)", sanitize(&name, false), short_id(id)),
            None => sanitize(&name, false).into_owned(),
        }
    };
    match &job.request {
        Action::Install { .. } | Action::Start { .. } | Action::Restart { .. } => {
            let verb = match job.request {
                Action::Install { .. } => "installed",
                Action::Start { .. } => "started",
                _ => "restarted",
            };
            // The pup's web UIs are only known once it runs, so ask for them now.
            match ctx.client.pup(&pup_ref).await {
                Ok(pup) => format!("{verb} {}", pup_line(&pup, &web_host())),
                Err(_) => format!("{verb} {}", fallback()),
            }
        }
        Action::Stop { .. } => format!("stopped {}", fallback()),
        Action::Uninstall { .. } => format!(
            "uninstalled {}; its storage is kept ('dogebox pup purge {}' deletes it)",
            fallback(),
            short_id(&pup_ref)
        ),
        Action::Purge { .. } => format!("purged {} and its storage", fallback()),
        Action::SourceAdd { location } => {
            match job.result.clone().map(serde_json::from_value::<SourceView>) {
                Some(Ok(s)) => format!(
                    "added source {} (id {}); 'dogebox store' lists its pups",
                    sanitize(&s.name, false),
                    s.id
                ),
                _ => format!("added source {}", sanitize(location, false)),
            }
        }
        Action::SourceRemove { source } => format!("removed source {source}"),
        Action::Upgrade { .. }
        | Action::Rollback { .. }
        | Action::Hold { .. }
        | Action::Unhold { .. } => match ctx.client.pup(&pup_ref).await {
            Ok(pup) => version_line(&job.request, &pup, &web_host()),
            Err(_) => match job.request {
                Action::Upgrade { .. } => format!("upgraded {}", fallback()),
                Action::Rollback { .. } => format!("rolled back {}", fallback()),
                Action::Hold { .. } => format!("{} is held", fallback()),
                _ => format!("{} is no longer held", fallback()),
            },
        },
        Action::StoreRefresh { .. } => "listed the sources afresh".to_string(),
    }
}

/// The result of an upgrade, rollback, hold or unhold, from the pup as it is afterwards.
fn version_line(request: &Action, pup: &PupView, host: &str) -> String {
    let name = sanitize(&pup.name, false);
    let version = sanitize(&pup.version, false);
    let id = short_id(&pup.id);
    let urls = crate::render::web_urls(pup, host);
    let web = if urls.is_empty() {
        String::new()
    } else {
        format!(" — web UI: {}", urls.join(", "))
    };
    match request {
        Action::Upgrade { .. } => match &pup.previous_version {
            Some(from) => format!(
                "upgraded {name} from {} to {version} (id {id}…){web}; 'dogebox pup rollback {id}' goes back",
                sanitize(from, false)
            ),
            None => format!("upgraded {name} to {version} (id {id}…){web}"),
        },
        Action::Rollback { .. } => format!("rolled back {name} to {version} (id {id}…){web}"),
        Action::Hold { .. } => format!("{name} is held at {version}"),
        _ => format!(
            "{name} is no longer held (at {version}); 'dogebox pup outdated' shows its upgrades"
        ),
    }
}

/// `Hello Web 0.1.0 (id 1a2b3c4d…) — web UI: http://127.0.0.1:10000/`
pub fn pup_line(pup: &PupView, host: &str) -> String {
    let mut line = format!(
        "{} {} (id {}…)",
        sanitize(&pup.name, false),
        sanitize(&pup.version, false),
        short_id(&pup.id)
    );
    let urls = crate::render::web_urls(pup, host);
    if !urls.is_empty() {
        line.push_str(" — web UI: ");
        line.push_str(&urls.join(", "));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines_say_what_changed() {
        let mut pup = crate::render::tests::pup("1a2b3c4d5e6f", "Hello Web");
        pup.version = "0.2.0".into();
        pup.previous_version = Some("0.1.0".into());
        let upgrade = Action::Upgrade {
            pup: "hello".into(),
            to: None,
            pre: false,
            no_snapshot: false,
            health_time: None,
            set: Default::default(),
            downgrade: false,
        };
        assert_eq!(
            version_line(&upgrade, &pup, "127.0.0.1"),
            "upgraded Hello Web from 0.1.0 to 0.2.0 (id 1a2b3c4d…) — web UI: http://127.0.0.1:10000/; \
             'dogebox pup rollback 1a2b3c4d' goes back"
        );
        let hold = Action::Hold {
            pup: "hello".into(),
        };
        assert_eq!(version_line(&hold, &pup, "h"), "Hello Web is held at 0.2.0");
    }

    #[test]
    fn pup_line_names_the_web_ui() {
        let pup = crate::render::tests::pup("1a2b3c4d5e6f", "Hello Web");
        assert_eq!(
            pup_line(&pup, "127.0.0.1"),
            "Hello Web 0.1.0 (id 1a2b3c4d…) — web UI: http://127.0.0.1:10000/"
        );
    }
}
