use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use dogeboxd::config::{Config, SystemdScope};
use dogeboxd::daemon::Daemon;
use dogeboxd::listen::{self, Activity, PeerPolicy};
use dogeboxd::runtime::Runtime;
use dogeboxd::runtime::systemd::{Scope, SystemdConfig, SystemdRuntime};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cfg = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&cfg.log_level).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // Colour only on a terminal: under systemd stderr is a journal stream or a file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dogeboxd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("dogeboxd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cfg: Config) -> anyhow::Result<()> {
    let activity = Arc::new(Activity::default());
    let policy = Arc::new(PeerPolicy::from_system());
    let listeners = listen::acquire(&cfg.socket, policy.group()).context("setting up the API socket")?;

    let runtime: Arc<dyn Runtime> = Arc::new(
        SystemdRuntime::connect(runtime_config(&cfg))
        .await
        .context("connecting to systemd")?,
    );
    let idle_exit = cfg.idle_exit;
    let daemon = Daemon::open(cfg, runtime, activity.clone()).await.context("opening the daemon state")?;
    tracing::info!(
        activated = listeners.activated,
        idle_exit,
        data_dir = %daemon.cfg.data_dir.display(),
        "dogeboxd ready"
    );
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    {
        let daemon = daemon.clone();
        tokio::spawn(async move { daemon.reconcile().await });
    }

    if let Some(tcp) = listeners.tcp {
        tokio::spawn(async move {
            if let Err(e) = axum::serve(tcp, dogeboxd::api::web_placeholder()).await {
                tracing::warn!(error = %e, "web API socket stopped");
            }
        });
    }

    let stop = {
        let activity = activity.clone();
        async move {
            let idle = async {
                if idle_exit == 0 {
                    std::future::pending::<()>().await
                } else {
                    listen::idle_for(activity, Duration::from_secs(idle_exit)).await;
                    tracing::info!(seconds = idle_exit, "idle; exiting until the next connection");
                }
            };
            tokio::select! {
                _ = idle => {}
                _ = shutdown_signal() => tracing::info!("stopping on signal"),
            }
        }
    };
    listen::serve_unix(listeners.unix, dogeboxd::api::router(daemon), activity, policy, stop).await;
    if let Some(path) = listeners.bound_path {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn runtime_config(cfg: &Config) -> SystemdConfig {
    let scope = match cfg.systemd_scope {
        SystemdScope::System => Scope::System,
        SystemdScope::User => Scope::User,
    };
    let mut rc = SystemdConfig::new(scope, cfg.pup_user.clone());
    rc.nix_path = cfg.nix_path.clone();
    // Builds run as the daemon itself: no build users, and no sandbox (which needs
    // them); the nix file's hash was checked before it is built.
    rc.nix_options = vec![
        ("sandbox".to_string(), "false".to_string()),
        ("build-users-group".to_string(), String::new()),
    ];
    rc.nix_options.extend(cfg.nix_options.iter().cloned());
    rc
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
