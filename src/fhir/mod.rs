//! A thin FHIR R4 client and the resources the registry sync uses. Knows
//! `core`, never flows or SQL.
