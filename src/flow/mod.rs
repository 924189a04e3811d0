//! The RapidPro flow engine (spec 13.x and 14.x) and the Excellent expression
//! language. Pure: it takes triggers and resumes and returns events and a
//! serialisable session; it must not know tokio, sqlx or sockets.

pub mod actions;
pub mod assets;
pub mod cases;
pub mod clock;
pub mod contact;
pub mod context;
pub mod definition;
pub mod eval;
pub mod events;
pub mod expressions;
pub mod ids;
pub mod resume;
pub mod routers;
pub mod run;
pub mod services;
pub mod session;
pub mod session_assets;
pub mod smart_groups;
pub mod sprint;
pub mod trigger;
pub mod waits;
