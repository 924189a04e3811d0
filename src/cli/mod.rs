//! The `mhero` command line. Each subcommand parses its arguments here and
//! calls into the library; `main.rs` only dispatches.

pub mod flow;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mhero",
    version,
    about = "mHero gateway: SMS and voice to health workers"
)]
pub struct Cli {
    /// Configuration file (TOML). Without one, the embedded defaults run a
    /// SQLite file in the working directory with the simulator link.
    #[arg(long, short, global = true, env = "MHERO_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Validate the configuration, reporting every problem at once.
    CheckConfig,
    /// Check RapidPro flow exports, or run a flow in the terminal.
    Flow(flow::FlowArgs),
}
