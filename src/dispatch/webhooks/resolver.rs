//! Name resolution for webhooks, with the address policy inside it: a host
//! name is resolved once, every address it resolves to is checked, and
//! reqwest connects to exactly those addresses. Checking a lookup of our
//! own and letting reqwest look the name up again would let a name that
//! answers a public address first and `127.0.0.1` next (DNS rebinding)
//! reach the gateway's own host.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::WebhookRefused;

/// Which addresses are refused (`is_private`, or none when private
/// addresses are allowed).
pub type Refuse = fn(IpAddr) -> bool;

/// Refuses no address: `webhooks.allow_private = true`.
pub fn refuse_none(_: IpAddr) -> bool {
    false
}

/// Wraps the lookup (the system's, or a test's) with the check.
pub struct CheckedResolver {
    lookup: Arc<dyn Resolve>,
    refuse: Refuse,
}

impl CheckedResolver {
    pub fn new(lookup: Arc<dyn Resolve>, refuse: Refuse) -> CheckedResolver {
        CheckedResolver { lookup, refuse }
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let lookup = self.lookup.resolve(name);
        let refuse = self.refuse;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match lookup.await {
                Ok(a) => a.collect(),
                Err(_) => return Err(Box::new(WebhookRefused::Unresolved(host)) as _),
            };
            if addrs.is_empty() {
                return Err(Box::new(WebhookRefused::Unresolved(host)) as _);
            }
            // One private answer refuses the host: a name that mixes them is
            // either misconfigured or aiming at us.
            if let Some(a) = addrs.iter().find(|a| refuse(a.ip())) {
                return Err(Box::new(WebhookRefused::Private(host, a.ip())) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The operating system's resolver (getaddrinfo, through tokio).
pub struct SystemLookup;

impl Resolve for SystemLookup {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port (or the scheme's) in.
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
