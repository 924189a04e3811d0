//! mHero gateway: one binary that reaches health workers by SMS and voice,
//! runs RapidPro flows, and keeps a FHIR health-worker registry in step.
//!
//! Read `docs/ARCHITECTURE.md` first. The modules, inner to outer:
//!
//! - [`core`]: the vocabulary (URNs, contacts, messages, the contact query
//!   language, the link seam). No I/O.
//! - [`config`]: the TOML file and `MHERO_` environment overrides, parsed once
//!   into one typed struct per subsystem; every bad key reported together.
//! - [`flow`]: the RapidPro flow engine and the Excellent expression language.
//!   Pure: no tokio, no sockets, no database.
//! - [`smpp`], [`sip`], [`fhir`]: carrier and registry peers. Each knows only
//!   `core`; none knows flows.
//! - [`store`]: all SQL (SQLite and PostgreSQL) lives here.
//! - [`links`]: the link set: routing by prefix, failover, per-link rate limits,
//!   and the in-process `simulator` link.
//! - [`dispatch`]: the only module that joins store, links, trunks and the
//!   engine: inbound handling, the outbox dispatcher, broadcasts, scheduling,
//!   and voice flows over calls (`dispatch::voice`).
//! - [`api`]: the REST API (axum), OpenAPI document and Prometheus metrics.
//! - [`cli`]: the `mhero` command line.

#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod config;
pub mod core;
pub mod dispatch;
pub mod fhir;
pub mod flow;
pub mod links;
pub mod sip;
pub mod smpp;
pub mod store;
