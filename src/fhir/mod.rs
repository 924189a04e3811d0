//! A thin FHIR R4 client and the resources the registry sync uses. Knows
//! `core`, never flows or SQL.
//!
//! - [`resources`]: the dozen R4 resource types we read and write, serde
//!   structs that keep unknown fields so read-modify-PUT loses nothing.
//! - [`mhero`]: the shapes today's iHRIS/emNutt mHero stack reads and writes
//!   (identifier systems, the opt-out tag, the workflow `Basic`, the
//!   per-recipient `CommunicationRequest` extensions, the schedule extension).
//! - [`write_back`]: builders of valid R4 `Communication` and
//!   `QuestionnaireResponse` with deterministic ids, so re-running is idempotent.
//! - [`mapping`]: registry resources → [`mapping::RegistryWorker`], pure.
//! - [`registry`]: fetches what `mapping` needs, whole or changed since a time.
//! - [`client`]: the HTTP client (auth, paging, batch/transaction, retries).

pub mod client;
pub mod mapping;
pub mod mhero;
pub mod registry;
pub mod resources;
pub mod write_back;

pub use client::{BatchItemError, EntryOutcome, FhirAuth, FhirClient, FhirConfig, FhirError, RetryPolicy};
