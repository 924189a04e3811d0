//! The RapidPro flow engine (spec 13.x and 14.x) and the Excellent expression
//! language. Pure: it takes triggers and resumes and returns events and a
//! serialisable session; it must not know tokio, sqlx or sockets.

pub mod actions;
pub mod assets;
pub mod cases;
pub mod definition;
pub mod eval;
pub mod expressions;
pub mod routers;
pub mod waits;
