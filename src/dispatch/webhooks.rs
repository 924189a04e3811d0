//! The engine's outside services as this gateway offers them: `call_webhook`
//! goes out through reqwest with a timeout, a cap on the response kept, and
//! a host allowlist; loopback, private and link-local addresses are refused
//! unless configured (a flow author must not reach into the ministry's
//! network through the gateway).
//!
//! The engine is synchronous and runs on a blocking thread; the call is made
//! on the runtime from there.

use std::net::IpAddr;
use std::time::Duration;

use tokio::runtime::Handle;

use crate::config::WebhooksConfig;
use crate::flow::services::{HttpCall, ServiceOutcome, Services};

/// The status the engine sees when no response came back (connection
/// refused, timeout, refused by policy): its webhook result is `Failure`.
const NO_RESPONSE: u16 = 0;

#[derive(Clone)]
pub struct HostServices {
    client: reqwest::Client,
    config: WebhooksConfig,
    runtime: Handle,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookRefused {
    #[error("not a valid http(s) URL")]
    BadUrl,
    #[error("host {0} is not in webhooks.allowed_hosts")]
    NotAllowed(String),
    #[error("host {0} resolves to a private address {1} (set webhooks.allow_private to permit)")]
    Private(String, IpAddr),
    #[error("host {0} does not resolve")]
    Unresolved(String),
}

impl HostServices {
    pub fn new(config: WebhooksConfig, runtime: Handle) -> HostServices {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mhero/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        HostServices {
            client,
            config,
            runtime,
        }
    }

    /// Whether the policy lets a flow call `url`.
    pub async fn check(&self, url: &str) -> Result<url::Url, WebhookRefused> {
        let parsed = url::Url::parse(url).map_err(|_| WebhookRefused::BadUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(WebhookRefused::BadUrl);
        }
        let host = parsed
            .host_str()
            .ok_or(WebhookRefused::BadUrl)?
            .to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if !self.config.allowed_hosts.is_empty()
            && !self.config.allowed_hosts.iter().any(|a| {
                let a = a.to_ascii_lowercase();
                host == a || host.ends_with(&format!(".{a}"))
            })
        {
            return Err(WebhookRefused::NotAllowed(host));
        }
        if !self.config.allow_private {
            let port = parsed.port_or_known_default().unwrap_or(80);
            let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => tokio::net::lookup_host((host.as_str(), port))
                    .await
                    .map_err(|_| WebhookRefused::Unresolved(host.clone()))?
                    .map(|a| a.ip())
                    .collect(),
            };
            if let Some(ip) = addrs.into_iter().find(|ip| is_private(*ip)) {
                return Err(WebhookRefused::Private(host, ip));
            }
        }
        Ok(parsed)
    }

    async fn call(&self, call: &HttpCall) -> ServiceOutcome {
        let url = match self.check(&call.url).await {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(url = %call.url, error = %e, "webhook refused");
                return ServiceOutcome {
                    events: vec![crate::flow::events::EventKind::error(format!(
                        "webhook refused: {e}"
                    ))],
                    status: Some(NO_RESPONSE),
                    body: None,
                };
            }
        };
        let method = reqwest::Method::from_bytes(call.method.to_ascii_uppercase().as_bytes())
            .unwrap_or(reqwest::Method::GET);
        let mut req = self.client.request(method, url);
        for (k, v) in &call.headers {
            req = req.header(k, v);
        }
        if !call.body.is_empty() {
            req = req.body(call.body.clone());
        }
        match req.send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let mut body = Vec::new();
                let cap = self.config.max_response_bytes;
                while let Ok(Some(chunk)) = resp.chunk().await {
                    let room = cap.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= cap {
                        break;
                    }
                }
                ServiceOutcome {
                    events: Vec::new(),
                    status: Some(status),
                    body: Some(String::from_utf8_lossy(&body).into_owned()),
                }
            }
            Err(e) => {
                tracing::info!(url = %call.url, error = %e, "webhook call failed");
                ServiceOutcome {
                    events: Vec::new(),
                    status: Some(NO_RESPONSE),
                    body: None,
                }
            }
        }
    }
}

impl Services for HostServices {
    fn webhook(&self, call: &HttpCall) -> Option<ServiceOutcome> {
        Some(self.runtime.block_on(self.call(call)))
    }
}

/// Addresses a flow may not reach unless allowed: loopback, private,
/// link-local, unspecified, carrier-grade NAT and unique-local.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(allowed: &[&str], private: bool) -> HostServices {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        HostServices::new(
            WebhooksConfig {
                allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
                allow_private: private,
                ..Default::default()
            },
            rt.handle().clone(),
        )
    }

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        let s = services(&[], false);
        assert!(matches!(
            s.check("http://127.0.0.1:9/x").await,
            Err(WebhookRefused::Private(..))
        ));
        assert!(matches!(
            s.check("http://10.1.2.3/x").await,
            Err(WebhookRefused::Private(..))
        ));
        assert!(matches!(
            s.check("http://[::1]/x").await,
            Err(WebhookRefused::Private(..))
        ));
        assert!(matches!(
            s.check("http://169.254.169.254/latest").await,
            Err(WebhookRefused::Private(..))
        ));
        assert_eq!(
            s.check("ftp://example.org/").await.unwrap_err(),
            WebhookRefused::BadUrl
        );
        assert!(s.check("http://8.8.8.8/x").await.is_ok());
        let open = services(&[], true);
        assert!(open.check("http://127.0.0.1:9/x").await.is_ok());
    }

    #[tokio::test]
    async fn allowlist_matches_hosts_and_subdomains() {
        let s = services(&["moh.example.org"], true);
        assert!(s.check("https://moh.example.org/api").await.is_ok());
        assert!(s.check("https://dhis2.moh.example.org/api").await.is_ok());
        assert_eq!(
            s.check("https://evilmoh.example.org/").await.unwrap_err(),
            WebhookRefused::NotAllowed("evilmoh.example.org".into())
        );
    }
}
