//! `mhero`: wiring only. Everything lives in the library.

use clap::Parser;

/// mimalloc instead of glibc's allocator: the conversation path allocates
/// and frees many small buffers across threads (tokio workers and the
/// SQLite connection threads), where glibc's arenas spent a visible share
/// of the time consolidating and unlinking chunks (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match mhero::cli::run(mhero::cli::Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mhero: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
