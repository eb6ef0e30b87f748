//! `dogebox`: the command-line tool for Dogebox. It talks to dogeboxd over a Unix socket.

// All output goes through `output::Output`, so `--json` stays pure and errors keep one prefix.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod client;
mod commands;
mod errors;
mod output;
mod render;

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Parser as _;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            // `dogebox pup logs | head` closes the pipe early; that is not an error.
            if errors::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            output::Output::detect(false).note(&format!("dogebox: {}", errors::message(&err)));
            errors::exit_for(&err).into()
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = cli::Cli::parse();
    // One thread is plenty for one request at a time, and starts faster.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(commands::run(cli))
}
