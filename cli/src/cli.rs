//! Command-line definitions (clap derive). Nothing here does I/O: `commands::*` runs them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Where the daemon listens when neither `--socket` nor `$DOGEBOX_SOCKET` says otherwise.
pub const DEFAULT_SOCKET: &str = "/run/dogebox/dogeboxd.sock";

const GLOBAL: &str = "Global options";

const EXIT_CODES: &str = "\
Exit codes:
    0  success
    1  the job failed or was interrupted (or a confirmation was declined)
    2  usage error
    3  not found, or a name that matches several pups
    4  cannot reach the daemon
    5  refused by the daemon (bad request, forbidden, or not possible in the current state)
    6  internal error in the daemon, or an answer the CLI does not understand
  130  interrupted by Ctrl-C (a running job goes on in the daemon)";

/// Install and manage pups on a Dogebox.
///
/// Every command talks to dogeboxd over its Unix socket. Changes run as jobs in the daemon:
/// the CLI waits for the job to end (unless --detach) and shows its progress.
#[derive(Debug, Parser)]
// No propagate_version: `pup install --version V` is a pup version, not ours.
#[command(name = "dogebox", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Path of the daemon's Unix socket.
    // hide_env_values: the generated man pages must not depend on the environment they were built in.
    #[arg(long, global = true, value_name = "PATH", env = "DOGEBOX_SOCKET",
          default_value = DEFAULT_SOCKET, hide_env_values = true, help_heading = GLOBAL)]
    pub socket: PathBuf,

    /// Print JSON on stdout instead of tables and messages.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,

    /// Answer yes to confirmations (needed for purge and source remove without a terminal).
    #[arg(long, short = 'y', global = true, help_heading = GLOBAL)]
    pub yes: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list and remove pup sources.
    #[command(subcommand, after_help = EXIT_CODES)]
    Source(SourceCommand),

    /// List the pups and versions that the sources offer.
    #[command(after_help = EXIT_CODES)]
    Store(StoreArgs),

    /// Install, run and inspect pups.
    #[command(subcommand, after_help = EXIT_CODES)]
    Pup(PupCommand),

    /// List jobs, or show and follow one.
    #[command(after_help = EXIT_CODES)]
    Jobs(JobsArgs),

    /// Print shell completions.
    Completions(CompletionsArgs),

    /// Write completions and man pages into DIR/completions and DIR/man (for packaging).
    #[command(hide = true)]
    GenerateAssets(GenerateAssetsArgs),
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Add a source: a folder with a dogebox.json index, or a single pup folder.
    #[command(after_help = EXIT_CODES)]
    Add {
        /// Path (or URL) of the source.
        location: String,
    },
    /// List the sources.
    #[command(after_help = EXIT_CODES)]
    List,
    /// Remove a source (refused while an installed pup uses it).
    #[command(after_help = EXIT_CODES)]
    Remove {
        /// Id of the source, as shown by `dogebox source list`.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Re-read every source before listing.
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct Detach {
    /// Print the job id and return instead of waiting for the job to end.
    #[arg(long)]
    pub detach: bool,
}

/// A pup reference: an id, a unique id prefix or a name.
#[derive(Debug, Args)]
pub struct PupRef {
    /// Pup id, unique id prefix, or name.
    #[arg(value_name = "PUP")]
    pub pup: String,
}

#[derive(Debug, Subcommand)]
pub enum PupCommand {
    /// Install a pup from the store; waits until it runs.
    #[command(after_help = EXIT_CODES)]
    Install {
        /// Name of the pup, as shown by `dogebox store`.
        name: String,
        /// Version to install (default: the latest stable one).
        #[arg(long, value_name = "V")]
        version: Option<String>,
        /// Source to install from (needed when several sources offer the name).
        #[arg(long, value_name = "ID")]
        source: Option<String>,
        #[command(flatten)]
        detach: Detach,
    },
    /// List installed pups.
    #[command(after_help = EXIT_CODES)]
    List,
    /// Show one pup: state, services, web UIs and, when broken, why.
    #[command(after_help = EXIT_CODES)]
    Show(PupRef),
    /// Print a pup's logs.
    #[command(after_help = EXIT_CODES)]
    Logs {
        #[command(flatten)]
        pup: PupRef,
        /// Keep printing new lines as they come (Ctrl-C to stop).
        #[arg(short = 'f', long)]
        follow: bool,
        /// Number of past lines to print.
        #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 100)]
        lines: u32,
    },
    /// Start a pup; waits until it runs.
    #[command(after_help = EXIT_CODES)]
    Start(PupAction),
    /// Stop a pup.
    #[command(after_help = EXIT_CODES)]
    Stop(PupAction),
    /// Restart a pup; waits until it runs again.
    #[command(after_help = EXIT_CODES)]
    Restart(PupAction),
    /// Stop and remove a pup; its storage is kept (see purge).
    #[command(after_help = EXIT_CODES)]
    Uninstall(PupAction),
    /// Delete an uninstalled pup's storage and record (asks for confirmation).
    #[command(after_help = EXIT_CODES)]
    Purge(PupAction),
}

#[derive(Debug, Args)]
pub struct PupAction {
    #[command(flatten)]
    pub pup: PupRef,
    #[command(flatten)]
    pub detach: Detach,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JobsArgs {
    #[command(subcommand)]
    pub command: Option<JobsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Show one job.
    #[command(after_help = EXIT_CODES)]
    Show {
        /// Job id or unique id prefix.
        id: String,
    },
    /// Follow a job until it ends, with its progress.
    #[command(after_help = EXIT_CODES)]
    Watch {
        /// Job id or unique id prefix.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl From<Shell> for clap_complete::Shell {
    fn from(shell: Shell) -> Self {
        match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        }
    }
}

#[derive(Debug, Args)]
pub struct GenerateAssetsArgs {
    /// Root folder; files go to DIR/completions and DIR/man.
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["dogebox", "pup", "list", "--json", "--socket", "/x.sock"])
            .expect("parses");
        assert!(cli.json);
        assert_eq!(cli.socket, PathBuf::from("/x.sock"));
        assert!(matches!(cli.command, Command::Pup(PupCommand::List)));
    }

    #[test]
    fn jobs_without_subcommand_lists() {
        let cli = Cli::try_parse_from(["dogebox", "jobs"]).expect("parses");
        assert!(matches!(cli.command, Command::Jobs(JobsArgs { command: None })));
        let cli = Cli::try_parse_from(["dogebox", "jobs", "watch", "ab12"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Jobs(JobsArgs { command: Some(JobsCommand::Watch { .. }) })
        ));
    }

    #[test]
    fn every_pup_action_takes_detach() {
        for verb in ["start", "stop", "restart", "uninstall", "purge"] {
            Cli::try_parse_from(["dogebox", "pup", verb, "core", "--detach"])
                .unwrap_or_else(|e| panic!("pup {verb} --detach: {e}"));
        }
        Cli::try_parse_from(["dogebox", "pup", "install", "core", "--version", "1.2.3", "--detach"])
            .expect("install parses");
    }

    #[test]
    fn logs_flags() {
        let cli = Cli::try_parse_from(["dogebox", "pup", "logs", "core", "-f", "-n", "5"])
            .expect("parses");
        match cli.command {
            Command::Pup(PupCommand::Logs { follow, lines, .. }) => {
                assert!(follow);
                assert_eq!(lines, 5);
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
