//! The gateway's vocabulary: URNs, contacts, messages, the contact query
//! language and the seam every link kind implements. No I/O lives here, so
//! every other module may depend on it.

pub mod contact;
pub mod failure;
pub mod link;
pub mod msg;
pub mod password;
pub mod query;
pub mod rate;
pub mod segments;
pub mod time;
pub mod urn;

pub use contact::{Contact, ContactStatus, FieldType, FieldValue};
pub use link::{Link, LinkEvent, LinkKind, Reconciled, SendOutcome};
pub use msg::{Direction, HandledBy, MsgStatus, OutMsg, Priority};
pub use urn::Urn;
