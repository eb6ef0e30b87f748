//! One module per noun. Each `run` turns parsed arguments into client calls and hands the
//! answers to `render`/`output`; none builds a URL or JSON by hand.

pub mod assets;
pub mod jobs;
pub mod pup;
pub mod source;
pub mod store;
pub mod wait;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::client::{Client, ClientError};
use crate::errors::{CliError, Exit};
use crate::output::Output;

/// What every command needs: the client, the output, and the global answers.
pub struct Ctx {
    pub client: Client,
    pub out: Output,
    pub yes: bool,
}

impl Ctx {
    /// The terminal width for tables, or `None` when stdout is not a terminal (no wrapping).
    pub fn table_width(&self) -> Option<u16> {
        if self.out.stdout_tty { comfy_table::Table::new().width() } else { None }
    }

    /// Asks before a destructive action. Without a terminal there is no one to ask, so only
    /// `--yes` lets it go ahead.
    pub fn confirm(&self, question: &str, what: &str) -> Result<bool> {
        if self.yes {
            return Ok(true);
        }
        let usage = || {
            CliError::Usage(format!("{what} needs confirmation; pass --yes to go ahead without a terminal"))
        };
        if !self.out.stdin_tty {
            return Err(usage().into());
        }
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(|_| usage().into())
    }
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Ctx { client: Client::new(&cli.socket), out: Output::detect(cli.json), yes: cli.yes };
    let result = dispatch(&ctx, cli.command).await;
    match result {
        Err(err) if matches!(err.downcast_ref::<ClientError>(), Some(ClientError::Protocol(_))) => {
            Err(explain_protocol(&ctx, err).await)
        }
        other => other,
    }
}

/// An answer the CLI cannot read most often means the daemon is another version: ask it, and
/// say which side to update. Any failure to ask leaves the original error as it was.
async fn explain_protocol(ctx: &Ctx, err: anyhow::Error) -> anyhow::Error {
    let Ok(status) = ctx.client.status().await else { return err };
    let ours = dogebox_shared::wire::PROTOCOL;
    let advice = match status.protocol.cmp(&ours) {
        std::cmp::Ordering::Equal => return err,
        std::cmp::Ordering::Less => "the daemon is older than this CLI; update dogeboxd",
        std::cmp::Ordering::Greater => "the daemon is newer than this CLI; update dogebox",
    };
    ClientError::Protocol(format!(
        "dogeboxd {} speaks protocol {}, this CLI speaks {ours}: {advice} ({})",
        status.version,
        status.protocol,
        crate::errors::message(&err)
    ))
    .into()
}

async fn dispatch(ctx: &Ctx, command: Command) -> Result<ExitCode> {
    match command {
        Command::Source(cmd) => source::run(ctx, cmd).await,
        Command::Store(args) => store::run(ctx, args).await,
        Command::Pup(cmd) => pup::run(ctx, cmd).await,
        Command::Jobs(args) => jobs::run(ctx, args).await,
        Command::Completions(args) => assets::completions(ctx, args),
        Command::GenerateAssets(args) => assets::generate(ctx, &args.dir),
    }
}

/// The host to show in web UI addresses: over SSH the machine's hostname (127.0.0.1 would
/// point at the user's own computer), otherwise 127.0.0.1.
pub fn web_host() -> String {
    if std::env::var_os("SSH_CONNECTION").is_some()
        && let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname")
        && !name.trim().is_empty()
    {
        return name.trim().to_string();
    }
    "127.0.0.1".to_string()
}

pub fn ok() -> ExitCode {
    Exit::Ok.into()
}
