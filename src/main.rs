//! `mhero`: wiring only. Everything lives in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    match mhero::cli::run(mhero::cli::Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mhero: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
