//! `dogebox store …`

use std::process::ExitCode;

use anyhow::Result;
use dogebox_shared::wire::{Action, StoreListing, StorePup};

use super::{Ctx, ok, wait};
use crate::cli::{StoreArgs, StoreCommand};
use crate::errors::Exit;
use crate::render;

pub async fn run(ctx: &Ctx, args: StoreArgs) -> Result<ExitCode> {
    match args.command {
        None => list(ctx, args.refresh).await,
        Some(StoreCommand::Search { term, refresh }) => search(ctx, &term, refresh).await,
        Some(StoreCommand::Show { name, source }) => show(ctx, &name, source.as_deref()).await,
    }
}

/// The listing, after a refresh job when asked for one. `Err(code)` when the refresh failed
/// (already reported, as a failed job is).
async fn listing(ctx: &Ctx, refresh: bool) -> Result<Result<StoreListing, ExitCode>> {
    if refresh
        && let Some(code) = wait::run_quietly(ctx, Action::StoreRefresh { source: None }).await?
    {
        return Ok(Err(code));
    }
    let listing = ctx.client.store().await?;
    // A source that failed to list does not hide the others; say which one and why.
    for e in &listing.errors {
        ctx.out.note(&format!(
            "warning: source {}: {}",
            e.source_id,
            render::sanitize(&e.error, false)
        ));
    }
    for warning in listing.sources.iter().filter_map(render::refresh_warning) {
        ctx.out.note(&warning);
    }
    Ok(Ok(listing))
}

async fn list(ctx: &Ctx, refresh: bool) -> Result<ExitCode> {
    let listing = match listing(ctx, refresh).await? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    if ctx.out.json {
        ctx.out.json(&listing)?;
    } else if listing.pups.is_empty() {
        ctx.out
            .note("the sources offer no pups; add a source with 'dogebox source add <folder>'");
    } else {
        ctx.out
            .print(&render::store_table(&listing, ctx.table_width()))?;
    }
    Ok(ok())
}

/// True when `term` is in the pup's name or short description, ignoring case.
pub fn matches(pup: &StorePup, term: &str) -> bool {
    let term = term.to_lowercase();
    pup.name.to_lowercase().contains(&term) || pup.short_description.to_lowercase().contains(&term)
}

/// The listing with only the pups that match; errors and source states stay as they are.
pub fn filter(mut listing: StoreListing, term: &str) -> StoreListing {
    listing.pups.retain(|p| matches(p, term));
    listing
}

async fn search(ctx: &Ctx, term: &str, refresh: bool) -> Result<ExitCode> {
    let listing = match listing(ctx, refresh).await? {
        Ok(l) => filter(l, term),
        Err(code) => return Ok(code),
    };
    if ctx.out.json {
        ctx.out.json(&listing)?;
    }
    if listing.pups.is_empty() {
        ctx.out.note(&format!(
            "dogebox: no pup in the store matches '{}' (names and short descriptions are searched)",
            render::sanitize(term, false)
        ));
        return Ok(Exit::NotFound.into());
    }
    if !ctx.out.json {
        ctx.out
            .print(&render::store_table(&listing, ctx.table_width()))?;
    }
    Ok(ok())
}

async fn show(ctx: &Ctx, name: &str, source: Option<&str>) -> Result<ExitCode> {
    let detail = ctx.client.store_detail(name, source).await?;
    if ctx.out.json {
        ctx.out.json(&detail)?;
    } else {
        ctx.out.print(&render::store_details(&detail))?;
    }
    Ok(ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pup(name: &str, description: &str) -> StorePup {
        StorePup {
            source_id: "src1".into(),
            name: name.into(),
            latest_version: "1.0.0".into(),
            versions: vec!["1.0.0".into()],
            short_description: description.into(),
            installed: vec![],
            offered: true,
        }
    }

    #[test]
    fn search_matches_names_and_descriptions_ignoring_case() {
        let core = pup("Dogecoin Core", "The reference node");
        assert!(matches(&core, "dogecoin"));
        assert!(matches(&core, "COIN c"));
        assert!(matches(&core, "NODE"));
        assert!(!matches(&core, "wallet"));
        assert!(matches(&pup("Ünïcode", ""), "üNÏ"));
        let listing = StoreListing {
            pups: vec![
                core,
                pup("hello-web", "A tiny web page"),
                pup("hodl", "keeps coins"),
            ],
            errors: vec![],
            sources: vec![],
        };
        let found = filter(listing.clone(), "web");
        assert_eq!(
            found
                .pups
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["hello-web"]
        );
        assert!(filter(listing.clone(), "nothing like this").pups.is_empty());
        assert_eq!(filter(listing, "").pups.len(), 3);
    }
}
