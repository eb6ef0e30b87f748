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

    /// Answer yes to confirmations (needed for purge, rollback and source remove without a terminal).
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

    /// List, search and show the pups and versions that the sources offer.
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
    /// Add a source: a git repository (https://, ssh://, git@host:path, file:// or the
    /// path of a local repository), whose SemVer tags are its versions; or a folder with
    /// a dogebox.json index, or a single pup folder.
    #[command(after_help = EXIT_CODES)]
    Add {
        /// URL or path of the source.
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

/// Without a subcommand, `dogebox store` lists the store.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StoreArgs {
    /// List every source afresh before listing (git sources fetch their tags again).
    #[arg(long)]
    pub refresh: bool,

    #[command(subcommand)]
    pub command: Option<StoreCommand>,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// List the pups whose name or short description contains TERM (ignoring case).
    #[command(after_help = EXIT_CODES)]
    Search {
        /// Text to look for.
        term: String,
        /// List every source afresh first (git sources fetch their tags again).
        #[arg(long)]
        refresh: bool,
    },
    /// Show one pup of the store: every version with its interfaces, dependencies, config
    /// fields and ports.
    #[command(after_help = EXIT_CODES)]
    Show {
        /// Name of the pup, as shown by `dogebox store`.
        name: String,
        /// Source to show it from (needed when several sources offer the name).
        #[arg(long, value_name = "ID")]
        source: Option<String>,
    },
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
        /// Without --version: the latest version even if it is a pre-release.
        #[arg(long, conflicts_with = "version")]
        pre: bool,
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
    /// List installed pups that their source offers a newer version of.
    #[command(after_help = EXIT_CODES)]
    Outdated {
        /// Count pre-releases as newer versions too.
        #[arg(long)]
        pre: bool,
    },
    /// Upgrade a pup to a newer version, keeping its id, storage and config. A new version
    /// that does not stay up is rolled back.
    #[command(after_help = EXIT_CODES)]
    Upgrade(UpgradeArgs),
    /// Go back to the version the last upgrade replaced, and to the storage snapshot taken
    /// before it (asks for confirmation).
    #[command(after_help = EXIT_CODES)]
    Rollback(PupAction),
    /// Hold a pup at its version: it is not offered for upgrade until unheld.
    #[command(after_help = EXIT_CODES)]
    Hold(PupAction),
    /// Offer a held pup for upgrade again.
    #[command(after_help = EXIT_CODES)]
    Unhold(PupAction),
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub pup: PupRef,
    /// Version to upgrade to (default: the newest one its source offers).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Without --to, upgrade to a pre-release when it is the newest version.
    #[arg(long)]
    pub pre: bool,
    /// Do not snapshot the storage first (a rollback then keeps the storage as it is).
    #[arg(long)]
    pub no_snapshot: bool,
    /// Seconds the new version must keep running to count as healthy (default: the
    /// daemon's, 30). 0 leaves only the check that every service starts and stays up
    /// for a moment.
    #[arg(long, value_name = "SECS")]
    pub health_time: Option<u64>,
    /// Allow --to to name a version older than the installed one ('pup rollback' goes
    /// back to the kept version and its storage instead).
    #[arg(long, requires = "to")]
    pub downgrade: bool,
    /// A config value for a field the new version adds or requires; repeat for several.
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, String)>,
    #[command(flatten)]
    pub detach: Detach,
}

/// `FIELD=VALUE` of `--set`: split at the first `=`; the value may be empty or hold `=`.
pub fn parse_set(arg: &str) -> Result<(String, String), String> {
    let Some((field, value)) = arg.split_once('=') else {
        return Err("expected FIELD=VALUE, for example --set rpcUser=doge".into());
    };
    if field.is_empty() {
        return Err("the field name before '=' is empty".into());
    }
    if field.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the field name {field:?} has a blank or control character in it"
        ));
    }
    Ok((field.to_string(), value.to_string()))
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
        assert!(matches!(
            cli.command,
            Command::Jobs(JobsArgs { command: None })
        ));
        let cli = Cli::try_parse_from(["dogebox", "jobs", "watch", "ab12"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Jobs(JobsArgs {
                command: Some(JobsCommand::Watch { .. })
            })
        ));
    }

    #[test]
    fn every_pup_action_takes_detach() {
        for verb in [
            "start",
            "stop",
            "restart",
            "uninstall",
            "purge",
            "upgrade",
            "rollback",
            "hold",
            "unhold",
        ] {
            Cli::try_parse_from(["dogebox", "pup", verb, "core", "--detach"])
                .unwrap_or_else(|e| panic!("pup {verb} --detach: {e}"));
        }
        Cli::try_parse_from([
            "dogebox",
            "pup",
            "install",
            "core",
            "--version",
            "1.2.3",
            "--detach",
        ])
        .expect("install parses");
    }

    #[test]
    fn set_takes_field_equals_value() {
        assert_eq!(
            parse_set("rpcUser=doge"),
            Ok(("rpcUser".into(), "doge".into()))
        );
        assert_eq!(parse_set("empty="), Ok(("empty".into(), String::new())));
        assert_eq!(
            parse_set("url=http://x/?a=b"),
            Ok(("url".into(), "http://x/?a=b".into()))
        );
        assert!(
            parse_set("rpcUser")
                .expect_err("no =")
                .contains("FIELD=VALUE")
        );
        assert!(parse_set("=doge").expect_err("no field").contains("empty"));
        assert!(parse_set("rpc user=doge").is_err());
    }

    #[test]
    fn upgrade_flags() {
        let cli = Cli::try_parse_from([
            "dogebox",
            "pup",
            "upgrade",
            "core",
            "--to",
            "2.0.0",
            "--pre",
            "--no-snapshot",
            "--health-time",
            "30",
            "--set",
            "a=1",
            "--set",
            "b=x=y",
            "--detach",
        ])
        .expect("parses");
        match cli.command {
            Command::Pup(PupCommand::Upgrade(a)) => {
                assert_eq!(a.pup.pup, "core");
                assert_eq!(a.to.as_deref(), Some("2.0.0"));
                assert!(a.pre && a.no_snapshot && a.detach.detach);
                assert_eq!(a.health_time, Some(30));
                assert_eq!(
                    a.set,
                    [
                        ("a".to_string(), "1".to_string()),
                        ("b".into(), "x=y".into())
                    ]
                );
            }
            other => panic!("parsed as {other:?}"),
        }
        let err = Cli::try_parse_from(["dogebox", "pup", "upgrade", "core", "--set", "nope"])
            .expect_err("a --set without =");
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        assert!(err.to_string().contains("'nope'"), "{err}");
    }

    #[test]
    fn store_without_subcommand_lists() {
        let cli = Cli::try_parse_from(["dogebox", "store", "--refresh"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Store(StoreArgs {
                refresh: true,
                command: None
            })
        ));
        let cli = Cli::try_parse_from(["dogebox", "store", "search", "doge", "--refresh"])
            .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Store(StoreArgs {
                command: Some(StoreCommand::Search { refresh: true, .. }),
                ..
            })
        ));
        let cli = Cli::try_parse_from([
            "dogebox",
            "store",
            "show",
            "Dogecoin Core",
            "--source",
            "s1",
        ])
        .expect("parses");
        match cli.command {
            Command::Store(StoreArgs {
                command: Some(StoreCommand::Show { name, source }),
                ..
            }) => {
                assert_eq!(name, "Dogecoin Core");
                assert_eq!(source.as_deref(), Some("s1"));
            }
            other => panic!("parsed as {other:?}"),
        }
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
