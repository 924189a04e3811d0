//! `mhero token create|revoke|list`: API tokens made and revoked on the
//! configured database directly, with no server running (a running one
//! sees the change at its next request). `create` prints the secret alone
//! on stdout, once, so `TOKEN=$(mhero token create --role viewer)` works.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use crate::config::Role;
use crate::store::{Store, StoreError};

/// Random hex digits in a name made up for a token created without one.
const GENERATED_NAME_DIGITS: usize = 8;

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print its secret (shown this once).
    Create {
        /// What it is for, e.g. `prometheus` (letters, digits, . _ -);
        /// default: the role and a random suffix.
        #[arg(long)]
        name: Option<String>,
        /// viewer (read), operator (also write), or admin (also triggers,
        /// flow imports and tokens).
        #[arg(long)]
        role: Role,
    },
    /// Revoke a token by name; it stops working at once.
    Revoke { name: String },
    /// List tokens: name, role, created, source (never a secret).
    List,
}

pub async fn run(config_path: Option<&Path>, args: TokenArgs) -> anyhow::Result<()> {
    let config = crate::config::load(config_path)?;
    let store = Store::open(config.database.url.expose(), 1)
        .await
        .context("opening the database")?;
    let configured = |name: &str| config.api.tokens.iter().any(|t| t.name == name);
    let result = match args.command {
        TokenCommand::Create { name, role } => {
            let name = name.unwrap_or_else(|| {
                let suffix = &crate::store::new_secret()[..GENERATED_NAME_DIGITS];
                format!("{}-{suffix}", role.name())
            });
            if configured(&name) {
                bail!("a token named {name:?} is in the config file; choose another name");
            }
            let secret = store.create_token(&name, role).await?;
            // The secret exists nowhere else: if it cannot be shown, it
            // must not keep working.
            let shown = writeln!(std::io::stdout().lock(), "{secret}");
            if let Err(e) = shown {
                store.revoke_token(&name).await?;
                bail!("could not print the new token ({e}); it was revoked again");
            }
            eprintln!(
                "token {name:?} ({}) created; its secret above is shown this once",
                role.name()
            );
            Ok(())
        }
        TokenCommand::Revoke { name } => match store.revoke_token(&name).await {
            Ok(()) => {
                eprintln!("token {name:?} revoked");
                Ok(())
            }
            Err(StoreError::NotFound(_)) if configured(&name) => Err(anyhow::anyhow!(
                "token {name:?} is in the config file ([api] tokens): remove it there and restart the gateway"
            )),
            Err(e) => Err(e.into()),
        },
        TokenCommand::List => {
            let mut out = String::new();
            for t in &config.api.tokens {
                out.push_str(&format!("{}\t{}\t-\tconfig\n", t.name, t.role.name()));
            }
            for t in store.list_tokens().await? {
                out.push_str(&format!(
                    "{}\t{}\t{}\tdatabase\n",
                    t.name,
                    t.role.name(),
                    t.created_on
                ));
            }
            std::io::stdout()
                .lock()
                .write_all(out.as_bytes())
                .context("printing the tokens")
        }
    };
    store.close().await;
    result
}
