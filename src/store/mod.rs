//! All SQL lives here (SQLite and PostgreSQL).
