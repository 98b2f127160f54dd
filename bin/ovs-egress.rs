//! `ovs-egress`: the agent. `ovs-egress --config FILE [--flag value ...]`; every key of the YAML
//! file is also a flag, and a flag wins over the file (see `ovs_egress::agent::config`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ovs_egress::agent::config::SourceKind;
use ovs_egress::agent::{self, AgentConfig, Settings};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "ovs-egress",
    version,
    about = "Static egress (SNAT) IPs for Kubernetes pods, programmed directly into Open vSwitch"
)]
struct Cli {
    /// YAML configuration file (camelCase keys, e.g. nodeName, transportIP, manifestDir, source).
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
    let settings = cli.settings.or(file);
    // Configuration errors end the agent before anything starts. With the Kubernetes source the
    // node's own settings may come from its Node object, so resolving waits for the API.
    let kind = match settings.source_kind() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ovs-egress: {e}");
            return ExitCode::from(2);
        }
    };
    let early = match kind {
        SourceKind::Manifests => match settings.clone().resolve() {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("ovs-egress: {e}");
                return ExitCode::from(2);
            }
        },
        SourceKind::Kubernetes => None,
    };
    let level = settings.log_level.clone().unwrap_or_else(|| "info".into());
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
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
    let cfg = match early {
        Some(c) => c,
        None => match rt.block_on(resolve_from_cluster(settings)) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("ovs-egress: {e}");
                return ExitCode::from(2);
            }
        },
    };
    tracing::info!(node = %cfg.node_name, "ovs-egress {} starting", env!("CARGO_PKG_VERSION"));
    match rt.block_on(agent::run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `source: kubernetes`: `transportIP` / `podCIDR` not configured come from this node's Node
/// object (in-cluster service account, else `KUBECONFIG`), then the settings are resolved.
/// Other configuration errors are reported before the API is asked anything, and a client
/// that cannot be built from the environment ends the agent here.
#[cfg(feature = "kube")]
async fn resolve_from_cluster(mut settings: Settings) -> Result<AgentConfig, String> {
    use ovs_egress::agent::config::ConfigError;
    use ovs_egress::agent::k8s::{client_from_env, node_settings};
    let first = settings.clone().resolve();
    let needs_node = matches!(
        &first,
        Err(ConfigError::Missing {
            key: "transportIP" | "podCIDR",
            ..
        })
    );
    if !needs_node {
        first.as_ref().map_err(|e| e.to_string())?;
    }
    let client = client_from_env()
        .await
        .map_err(|e| format!("no Kubernetes client (in-cluster or KUBECONFIG): {e}"))?;
    if !needs_node {
        return first.map_err(|e| e.to_string());
    }
    node_settings::fill_from_node(&client, &mut settings, std::time::Duration::from_secs(1))
        .await
        .map_err(|e| e.to_string())?;
    settings.resolve().map_err(|e| e.to_string())
}

/// Without the `kube` feature `source: kubernetes` is refused by `Settings::source_kind`; this
/// only reports that.
#[cfg(not(feature = "kube"))]
async fn resolve_from_cluster(settings: Settings) -> Result<AgentConfig, String> {
    settings.resolve().map_err(|e| e.to_string())
}
