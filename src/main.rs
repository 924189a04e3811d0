use clap::Parser;
use mhero::cli::{Cli, Command};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Flow(args) => {
            if !mhero::cli::flow::run(args)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Serve | Command::Migrate | Command::CheckConfig => {
            anyhow::bail!("not yet wired")
        }
    }
}
