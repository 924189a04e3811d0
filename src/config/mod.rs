//! Configuration: TOML + `MHERO_` environment overrides, parsed once into typed per-module structs.
