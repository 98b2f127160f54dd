//! `ovs-egress`: the agent. `ovs-egress --config FILE [--flag value ...]`; every key of the YAML
//! file is also a flag, and a flag wins over the file (see `ovs_egress::agent::config`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ovs_egress::agent::{self, Settings};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "ovs-egress",
    version,
    about = "Static egress (SNAT) IPs for Kubernetes pods, programmed directly into Open vSwitch"
)]
struct Cli {
    /// YAML configuration file (camelCase keys, e.g. nodeName, transportIP, manifestDir).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = match cli.config.as_deref().map(Settings::from_file).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("ovs-egress: {e}");
            return ExitCode::from(2);
        }
    };
    let cfg = match cli.settings.or(file).resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ovs-egress: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    tracing::info!(node = %cfg.node_name, "ovs-egress {} starting", env!("CARGO_PKG_VERSION"));
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ovs-egress: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(agent::run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
