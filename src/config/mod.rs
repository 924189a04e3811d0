//! Configuration: a TOML file plus `MHERO_<SECTION>__<KEY>` environment
//! overrides, parsed once into one typed struct per subsystem. Every problem
//! (unknown key, wrong type, bad value) is collected with its path, so
//! `mhero check-config` reports them all at once.

mod load;
mod registries;
mod secret;
mod sections;
mod trunks;

pub use load::{load, load_str, ConfigErrors};
pub use registries::*;
pub use secret::Secret;
pub use sections::*;
pub use trunks::{InboundRoute, RegisterConfig, SipConfig, TrunkConfig};
