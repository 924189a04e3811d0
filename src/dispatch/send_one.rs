//! One message sent now to one health worker, ahead of bulk traffic: what
//! `POST /api/v1/messages` and the console's inbox reply both do, with the
//! same checks (text, number, contact) and the same refusals.

use super::Gateway;
use crate::core::{Priority, Urn};
use crate::store::{MsgRow, StoreError};

/// Who a single send goes to: a contact (UUID), a number (its contact is
/// found or created), or both (that contact, over that number).
#[derive(Debug, Clone, Copy)]
pub struct SendTo<'a> {
    pub contact: Option<&'a str>,
    pub urn: Option<&'a str>,
}

impl Gateway {
    /// Queue `text` to `to` as a reply (ahead of bulk) and return the
    /// stored message. A bad field is [`StoreError::Invalid`]; a contact
    /// who is stopped, blocked or has no phone number is
    /// [`StoreError::Conflict`]: nothing was queued.
    pub async fn send_one(&self, to: SendTo<'_>, text: &str) -> Result<MsgRow, StoreError> {
        if text.trim().is_empty() {
            return Err(StoreError::invalid("text", "must not be empty"));
        }
        let country = self.config.contacts.default_country.as_deref();
        let urn = to
            .urn
            .map(|u| Urn::parse(u, country))
            .transpose()
            .map_err(|e| StoreError::invalid("urn", e.to_string()))?;
        let contact = match (to.contact, &urn) {
            (Some(c), _) => self.store.get_contact(c).await?,
            (None, Some(u)) => self.store.find_or_create_by_urn(u, None).await?.0,
            (None, None) => return Err(StoreError::invalid("contact", "give a contact or a urn")),
        };
        let id = self
            .send_to_contact(&contact, urn.as_ref(), text, Priority::Reply, false, None)
            .await?
            .ok_or_else(|| {
                StoreError::Conflict(format!(
                    "contact is {} or has no phone number: nothing was sent",
                    contact.status
                ))
            })?;
        let mut rows = self.store.get_msgs_by_ids(&[id]).await?;
        self.explain_waiting(&mut rows);
        rows.pop()
            .ok_or_else(|| StoreError::Corrupt(format!("message {id} not found after its insert")))
    }
}
