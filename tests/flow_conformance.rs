//! The flow engine's conformance tables (see `conformance/engine.rs`). This
//! harness exists until the shared `tests/conformance.rs` declares
//! `mod engine;`; then it can go.

#[path = "conformance/engine.rs"]
mod engine;
