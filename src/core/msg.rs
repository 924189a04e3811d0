//! Messages and their lifecycle.
//!
//! Outbound: `queued` (persisted, waiting for its link) → `wired` (claimed by a
//! node and handed to a link, not yet acknowledged) → `sent` (the link or
//! carrier accepted it) → `delivered` (handset receipt). `errored` is a
//! temporary failure that will be retried; `failed` is final, with a reason.
//! `cancelled` is final too: its send was cancelled before the message was
//! handed to a link, so it is never claimed and never counted as failed.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Urn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MsgStatus {
    /// Inbound message persisted, not yet acted on (a restart acts on it).
    Pending,
    /// Inbound message persisted and acted on.
    Handled,
    Queued,
    Wired,
    Sent,
    Delivered,
    Errored,
    Failed,
    /// Outbound message whose broadcast was cancelled before it went out.
    Cancelled,
    /// Outbound message held by its broadcast's pause; queued again (or
    /// errored, if it had been tried) when the broadcast resumes.
    Paused,
}

/// What answered an inbound message, stored when it is marked handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HandledBy {
    /// A flow took it: a keyword trigger started one, or a waiting flow
    /// resumed with it.
    Flow,
    /// A keyword trigger's fixed reply.
    Trigger,
    /// An opt-out or opt-in word.
    Optout,
    /// A blocked or stopped contact's message, left alone.
    Ignored,
    /// A flow failed on it.
    Failed,
    /// Nothing matched: a person should read it (the inbox's "not
    /// understood").
    None,
}

/// Replies inside a conversation go ahead of bulk sends on the same link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Bulk = 0,
    Reply = 1,
}

impl Priority {
    pub fn from_i64(v: i64) -> Priority {
        if v >= 1 {
            Priority::Reply
        } else {
            Priority::Bulk
        }
    }
}

macro_rules! str_enum {
    ($ty:ty { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok(Self::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($ty))),
                }
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(Direction { In => "in", Out => "out" });
str_enum!(MsgStatus {
    Pending => "pending",
    Handled => "handled",
    Queued => "queued",
    Wired => "wired",
    Sent => "sent",
    Delivered => "delivered",
    Errored => "errored",
    Failed => "failed",
    Cancelled => "cancelled",
    Paused => "paused",
});
str_enum!(HandledBy {
    Flow => "flow",
    Trigger => "trigger",
    Optout => "optout",
    Ignored => "ignored",
    Failed => "failed",
    None => "none",
});

/// An outbound message as a link sees it: everything needed to put it on
/// the wire, nothing about flows or broadcasts.
#[derive(Debug, Clone)]
pub struct OutMsg {
    pub id: i64,
    pub uuid: Uuid,
    pub urn: Urn,
    pub text: String,
    pub segments: u32,
    pub priority: Priority,
    /// How many times a send was attempted before this one.
    pub attempts: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_wire_names() {
        for s in [
            MsgStatus::Pending,
            MsgStatus::Handled,
            MsgStatus::Queued,
            MsgStatus::Wired,
            MsgStatus::Sent,
            MsgStatus::Delivered,
            MsgStatus::Errored,
            MsgStatus::Failed,
            MsgStatus::Cancelled,
            MsgStatus::Paused,
        ] {
            assert_eq!(s.as_str().parse::<MsgStatus>().unwrap(), s);
        }
        assert!("bogus".parse::<MsgStatus>().is_err());
    }
}
