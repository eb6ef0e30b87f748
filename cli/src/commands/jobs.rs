//! `dogebox jobs …`

use std::process::ExitCode;

use anyhow::Result;

use super::{Ctx, ok, wait};
use crate::cli::{JobsArgs, JobsCommand};
use crate::render;

pub async fn run(ctx: &Ctx, args: JobsArgs) -> Result<ExitCode> {
    match args.command {
        None => list(ctx).await,
        Some(JobsCommand::Show { id }) => show(ctx, &id).await,
        Some(JobsCommand::Watch { id }) => {
            // Resolve a prefix to the full id once, so reconnects ask for the same job.
            let job = ctx.client.job(&id).await?;
            wait::follow(ctx, &job.id).await
        }
    }
}

async fn list(ctx: &Ctx) -> Result<ExitCode> {
    let jobs = ctx.client.jobs().await?;
    if ctx.out.json {
        ctx.out.json(&jobs)?;
    } else if jobs.is_empty() {
        ctx.out.note("no jobs yet");
    } else {
        ctx.out.print(&render::job_table(&jobs, render::now_ms(), ctx.table_width()))?;
    }
    Ok(ok())
}

async fn show(ctx: &Ctx, id: &str) -> Result<ExitCode> {
    let job = ctx.client.job(id).await?;
    if ctx.out.json {
        ctx.out.json(&job)?;
    } else {
        ctx.out.print(&render::job_details(&job, render::now_ms()))?;
    }
    Ok(ok())
}
