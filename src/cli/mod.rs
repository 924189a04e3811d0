//! The `mhero` command line. Each subcommand parses its arguments here and
//! calls into the library; `main.rs` only dispatches.

pub mod flow;
pub mod flow_prompts;
mod registry;
mod serve;
mod token;
mod token_file;

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
    /// Sync health-worker registries (FHIR R4, iHRIS) into the contacts.
    Registry(registry::RegistryArgs),
    /// Make, revoke and list API tokens (on the database; no restart needed).
    Token(token::TokenArgs),
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    init_logging();
    let path = cli.config.as_deref();
    let rt = tokio::runtime::Runtime::new()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => rt.block_on(serve::serve(path))?,
        Command::Flow(args) => {
            if !flow::run(args)? {
                return Ok(std::process::ExitCode::from(1));
            }
        }
        Command::Registry(args) => {
            if !rt.block_on(registry::run(path, args))? {
                return Ok(std::process::ExitCode::from(1));
            }
        }
        Command::Token(args) => rt.block_on(token::run(path, args))?,
        Command::Migrate => rt.block_on(async {
            let config = crate::config::load(path)?;
            let store = crate::store::Store::open(config.database.url.expose(), 1).await?;
            store.close().await;
            println!("database schema is up to date");
            anyhow::Ok(())
        })?,
        Command::CheckConfig => match crate::config::load(path) {
            Ok(c) => println!(
                "configuration OK: {} link(s), {} route(s), {} trigger(s), database {}",
                c.links.len(),
                c.routes.len(),
                c.triggers.len(),
                if c.database.url.expose().starts_with("sqlite:") {
                    "SQLite"
                } else {
                    "PostgreSQL"
                }
            ),
            Err(e) => {
                eprint!("{e}");
                return Ok(std::process::ExitCode::from(2));
            }
        },
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MHERO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
