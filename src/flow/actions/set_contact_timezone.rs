//! `set_contact_timezone`: set (or clear) the contact's IANA timezone.

use super::exec::Outcome;
use crate::flow::definition::Flow;
use crate::flow::events::EventKind;
use crate::flow::sprint::Sprinter;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetContactTimezone {
    pub uuid: String,
    #[serde(default)]
    pub timezone: String,
}

impl SetContactTimezone {
    /// Runs the action in the sprint `s` of a run in `flow`.
    pub fn execute(&self, s: &mut Sprinter<'_>, _flow: &Flow) -> Outcome {
        let a = self;
        let Some(timezone) = s.template_ok(&a.timezone) else {
            return Outcome::Continue;
        };
        let timezone = timezone.trim().to_owned();
        if !timezone.is_empty() && timezone.parse::<chrono_tz::Tz>().is_err() {
            s.error(format!("unrecognized timezone: '{timezone}'"));
        } else if s.session.contact.timezone != timezone {
            s.session.contact.timezone = timezone.clone();
            s.emit(EventKind::ContactTimezoneChanged { timezone });
        }
        Outcome::Continue
    }
}
