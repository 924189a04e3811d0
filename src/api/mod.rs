//! The REST API (axum), OpenAPI document and Prometheus metrics.
