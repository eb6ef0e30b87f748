//! `dogebox pup …`

use std::process::ExitCode;

use std::collections::BTreeMap;

use anyhow::Result;
use dogebox_shared::wire::Action;
use http_body_util::BodyExt as _;

use super::{Ctx, ok, wait, web_host};
use crate::cli::{PupAction, PupCommand, UpgradeArgs};
use crate::client::ClientError;
use crate::errors::{CliError, Exit};
use crate::render;

pub async fn run(ctx: &Ctx, cmd: PupCommand) -> Result<ExitCode> {
    match cmd {
        PupCommand::Install {
            name,
            version,
            source,
            pre,
            detach,
        } => {
            wait::submit(
                ctx,
                Action::Install {
                    name,
                    version,
                    source,
                    pre,
                },
                detach.detach,
            )
            .await
        }
        PupCommand::List => list(ctx).await,
        PupCommand::Show(p) => show(ctx, &p.pup).await,
        PupCommand::Logs { pup, follow, lines } => logs(ctx, &pup.pup, lines, follow).await,
        PupCommand::Start(a) => act(ctx, a, |pup| Action::Start { pup }).await,
        PupCommand::Stop(a) => act(ctx, a, |pup| Action::Stop { pup }).await,
        PupCommand::Restart(a) => act(ctx, a, |pup| Action::Restart { pup }).await,
        PupCommand::Uninstall(a) => act(ctx, a, |pup| Action::Uninstall { pup }).await,
        PupCommand::Purge(a) => purge(ctx, a).await,
        PupCommand::Outdated { pre } => outdated(ctx, pre).await,
        PupCommand::Upgrade(a) => upgrade(ctx, a).await,
        PupCommand::Rollback(a) => rollback(ctx, a).await,
        PupCommand::Hold(a) => act(ctx, a, |pup| Action::Hold { pup }).await,
        PupCommand::Unhold(a) => act(ctx, a, |pup| Action::Unhold { pup }).await,
    }
}

/// The `--set` pairs as the map the daemon takes; a field given twice is a usage error.
pub fn set_map(pairs: Vec<(String, String)>) -> Result<BTreeMap<String, String>, CliError> {
    let mut map = BTreeMap::new();
    for (field, value) in pairs {
        if map.contains_key(&field) {
            return Err(CliError::Usage(format!(
                "--set {field}=… is given more than once"
            )));
        }
        map.insert(field, value);
    }
    Ok(map)
}

async fn upgrade(ctx: &Ctx, a: UpgradeArgs) -> Result<ExitCode> {
    let action = Action::Upgrade {
        pup: a.pup.pup,
        to: a.to,
        pre: a.pre,
        no_snapshot: a.no_snapshot,
        health_time: a.health_time,
        set: set_map(a.set)?,
        downgrade: a.downgrade,
    };
    wait::submit(ctx, action, a.detach.detach).await
}

async fn rollback(ctx: &Ctx, a: PupAction) -> Result<ExitCode> {
    // Without a terminal only --yes lets it go ahead; nothing is asked of the daemon before.
    if !ctx.yes && !ctx.out.stdin_tty {
        ctx.confirm("", "rolling back a pup")?;
    }
    let view = ctx.client.pup(&a.pup.pup).await?;
    let name = render::sanitize(&view.name, false);
    let Some(previous) = view.previous_version.as_deref() else {
        ctx.out.note(&format!(
            "dogebox: {name} ({}) has no earlier version to go back to (one is kept after each upgrade)",
            render::short_id(&view.id)
        ));
        return Ok(Exit::Refused.into());
    };
    let question = format!(
        "Roll back {name} from {} to {}? Its storage goes back to the snapshot taken before the upgrade; changes since are lost.",
        render::sanitize(&view.version, false),
        render::sanitize(previous, false)
    );
    if !ctx.confirm(&question, "rolling back a pup")? {
        ctx.out.note("dogebox: nothing was rolled back");
        return Ok(Exit::JobFailed.into());
    }
    // The id, not the reference as typed: the pup confirmed is the pup rolled back.
    wait::submit(ctx, Action::Rollback { pup: view.id }, a.detach.detach).await
}

async fn outdated(ctx: &Ctx, pre: bool) -> Result<ExitCode> {
    let listing = ctx.client.outdated(pre).await?;
    for e in &listing.errors {
        ctx.out.note(&format!(
            "warning: source {}: {}",
            e.source_id,
            render::sanitize(&e.error, false)
        ));
    }
    if ctx.out.json {
        ctx.out.json(&listing)?;
        return Ok(ok());
    }
    match (listing.pups.is_empty(), listing.held.is_empty()) {
        (true, true) => ctx.out.note("every pup is up to date"),
        (true, false) => ctx.out.note("every pup that is not held is up to date"),
        (false, _) => ctx
            .out
            .print(&render::outdated_table(&listing.pups, ctx.table_width()))?,
    }
    if !listing.held.is_empty() {
        ctx.out.note(&render::held_note(&listing.held));
    }
    Ok(ok())
}

/// The reference goes to the daemon as typed: it resolves ids, prefixes and names.
async fn act(ctx: &Ctx, a: PupAction, action: fn(String) -> Action) -> Result<ExitCode> {
    wait::submit(ctx, action(a.pup.pup), a.detach.detach).await
}

async fn purge(ctx: &Ctx, a: PupAction) -> Result<ExitCode> {
    let pup = a.pup.pup;
    if !ctx.yes && ctx.out.stdin_tty {
        // Resolve first, so the question names the pup and its storage and an unknown name
        // fails before anything is asked.
        let view = ctx.client.pup(&pup).await?;
        let question = format!(
            "Delete {} ({}) and its storage {}? This cannot be undone",
            render::sanitize(&view.name, false),
            render::short_id(&view.id),
            render::sanitize(&view.storage_dir, false)
        );
        if !ctx.confirm(&question, "purging a pup")? {
            ctx.out.note("dogebox: nothing was purged");
            return Ok(Exit::JobFailed.into());
        }
    } else if !ctx.confirm("", "purging a pup")? {
        return Ok(Exit::JobFailed.into());
    }
    wait::submit(ctx, Action::Purge { pup }, a.detach.detach).await
}

async fn list(ctx: &Ctx) -> Result<ExitCode> {
    let pups = ctx.client.pups().await?;
    if ctx.out.json {
        ctx.out.json(&pups)?;
    } else if pups.is_empty() {
        ctx.out
            .note("no pups installed; 'dogebox store' lists what the sources offer");
    } else {
        ctx.out
            .print(&render::pup_table(&pups, ctx.table_width()))?;
    }
    Ok(ok())
}

async fn show(ctx: &Ctx, pup: &str) -> Result<ExitCode> {
    let view = ctx.client.pup(pup).await?;
    if ctx.out.json {
        ctx.out.json(&view)?;
    } else {
        ctx.out
            .print(&render::pup_details(&view, &web_host(), render::now_ms()))?;
    }
    Ok(ok())
}

/// Streams the log body to stdout as it arrives; on a terminal, line by line and escaped.
async fn logs(ctx: &Ctx, pup: &str, lines: u32, follow: bool) -> Result<ExitCode> {
    let mut body = ctx.client.pup_logs(pup, lines, follow).await?;
    let escape = ctx.out.stdout_tty;
    let mut pending: Vec<u8> = Vec::new();
    let copy = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ClientError::Closed {
                socket: ctx.client.socket().to_path_buf(),
                reason: e.to_string(),
            })?;
            let Some(data) = frame.data_ref() else {
                continue;
            };
            if !escape {
                ctx.out.print_raw(data)?;
                continue;
            }
            pending.extend_from_slice(data);
            if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
                let complete: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&complete);
                ctx.out
                    .print_raw(render::sanitize(&text, true).as_bytes())?;
            }
        }
        if !pending.is_empty() {
            let text = String::from_utf8_lossy(&pending).into_owned();
            ctx.out.print(&render::sanitize(&text, true))?;
        }
        anyhow::Ok(())
    };
    tokio::select! {
        result = copy => result.map(|()| ok()),
        _ = tokio::signal::ctrl_c() => Ok(Exit::Interrupted.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_pairs_become_a_map_and_a_repeat_is_refused() {
        let map =
            set_map(vec![("a".into(), "1".into()), ("b".into(), String::new())]).expect("map");
        assert_eq!(map.get("a").map(String::as_str), Some("1"));
        assert_eq!(map.get("b").map(String::as_str), Some(""));
        let err =
            set_map(vec![("a".into(), "1".into()), ("a".into(), "2".into())]).expect_err("repeat");
        assert!(err.to_string().contains("--set a="), "{err}");
    }
}
