//! `dogebox pup …`

use std::process::ExitCode;

use anyhow::Result;
use dogebox_shared::wire::Action;
use http_body_util::BodyExt as _;

use super::{Ctx, ok, wait, web_host};
use crate::cli::{PupAction, PupCommand};
use crate::client::ClientError;
use crate::errors::Exit;
use crate::render;

pub async fn run(ctx: &Ctx, cmd: PupCommand) -> Result<ExitCode> {
    match cmd {
        PupCommand::Install { name, version, source, detach } => {
            wait::submit(ctx, Action::Install { name, version, source }, detach.detach).await
        }
        PupCommand::List => list(ctx).await,
        PupCommand::Show(p) => show(ctx, &p.pup).await,
        PupCommand::Logs { pup, follow, lines } => logs(ctx, &pup.pup, lines, follow).await,
        PupCommand::Start(a) => act(ctx, a, |pup| Action::Start { pup }).await,
        PupCommand::Stop(a) => act(ctx, a, |pup| Action::Stop { pup }).await,
        PupCommand::Restart(a) => act(ctx, a, |pup| Action::Restart { pup }).await,
        PupCommand::Uninstall(a) => act(ctx, a, |pup| Action::Uninstall { pup }).await,
        PupCommand::Purge(a) => purge(ctx, a).await,
    }
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
        ctx.out.note("no pups installed; 'dogebox store' lists what the sources offer");
    } else {
        ctx.out.print(&render::pup_table(&pups, ctx.table_width()))?;
    }
    Ok(ok())
}

async fn show(ctx: &Ctx, pup: &str) -> Result<ExitCode> {
    let view = ctx.client.pup(pup).await?;
    if ctx.out.json {
        ctx.out.json(&view)?;
    } else {
        ctx.out.print(&render::pup_details(&view, &web_host(), render::now_ms()))?;
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
            let Some(data) = frame.data_ref() else { continue };
            if !escape {
                ctx.out.print_raw(data)?;
                continue;
            }
            pending.extend_from_slice(data);
            if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
                let complete: Vec<u8> = pending.drain(..=end).collect();
                let text = String::from_utf8_lossy(&complete);
                ctx.out.print_raw(render::sanitize(&text, true).as_bytes())?;
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
