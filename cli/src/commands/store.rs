//! `dogebox store`

use std::process::ExitCode;

use anyhow::Result;

use super::{Ctx, ok};
use crate::cli::StoreArgs;
use crate::render;

pub async fn run(ctx: &Ctx, args: StoreArgs) -> Result<ExitCode> {
    let listing = ctx.client.store(args.refresh).await?;
    // A source that failed to list does not hide the others; say which one and why.
    for e in &listing.errors {
        ctx.out.note(&format!(
            "warning: source {} could not be listed: {}",
            e.source_id,
            render::sanitize(&e.error, false)
        ));
    }
    if ctx.out.json {
        ctx.out.json(&listing)?;
    } else if listing.pups.is_empty() {
        ctx.out.note("the sources offer no pups; add a source with 'dogebox source add <folder>'");
    } else {
        ctx.out.print(&render::store_table(&listing, ctx.table_width()))?;
    }
    Ok(ok())
}
