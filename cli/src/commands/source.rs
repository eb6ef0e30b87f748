//! `dogebox source …`

use std::process::ExitCode;

use anyhow::Result;
use dogebox_shared::wire::Action;

use super::{Ctx, ok, wait};
use crate::cli::SourceCommand;
use crate::errors::Exit;
use crate::render;

pub async fn run(ctx: &Ctx, cmd: SourceCommand) -> Result<ExitCode> {
    match cmd {
        SourceCommand::Add { location } => {
            wait::submit(ctx, Action::SourceAdd { location: absolute(&location) }, false).await
        }
        SourceCommand::List => list(ctx).await,
        SourceCommand::Remove { id } => remove(ctx, id).await,
    }
}

/// A relative folder means "relative to where I am", but the daemon runs elsewhere: send an
/// existing local folder as an absolute path. Anything else (URLs) goes as it is.
fn absolute(location: &str) -> String {
    if location.contains("://") || !std::path::Path::new(location).exists() {
        return location.to_string();
    }
    match std::path::absolute(location) {
        Ok(path) => path.to_string_lossy().into_owned(),
        Err(_) => location.to_string(),
    }
}

async fn list(ctx: &Ctx) -> Result<ExitCode> {
    let sources = ctx.client.sources().await?;
    if ctx.out.json {
        ctx.out.json(&sources)?;
    } else if sources.is_empty() {
        ctx.out.note("no sources; add one with 'dogebox source add <folder>'");
    } else {
        ctx.out.print(&render::source_table(&sources, render::now_ms(), ctx.table_width()))?;
    }
    Ok(ok())
}

async fn remove(ctx: &Ctx, id: String) -> Result<ExitCode> {
    let question = if !ctx.yes && ctx.out.stdin_tty {
        // Name the source in the question when it is known; the daemon has the last word.
        let name = ctx
            .client
            .sources()
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .map(|s| format!("{} ({})", render::sanitize(&s.name, false), render::sanitize(&s.location, false)));
        format!("Remove source {}?", name.unwrap_or_else(|| id.clone()))
    } else {
        String::new()
    };
    if !ctx.confirm(&question, "removing a source")? {
        ctx.out.note("dogebox: the source was not removed");
        return Ok(Exit::JobFailed.into());
    }
    wait::submit(ctx, Action::SourceRemove { source: id }, false).await
}

#[cfg(test)]
mod tests {
    use super::absolute;

    #[test]
    fn relative_folders_become_absolute_and_urls_stay() {
        assert!(absolute(".").starts_with('/'));
        assert_eq!(absolute("no/such/folder"), "no/such/folder");
        assert_eq!(absolute("/srv/pups"), "/srv/pups");
        assert_eq!(absolute("https://example.invalid/pups.git"), "https://example.invalid/pups.git");
    }
}
