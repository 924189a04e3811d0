//! The engine's outside services as this gateway offers them: `call_webhook`
//! goes out through reqwest with a timeout, a cap on the response kept, and
//! a host allowlist; loopback, private and link-local addresses are refused
//! unless configured (a flow author must not reach into the ministry's
//! network through the gateway). An address in the URL is checked before
//! the call; a host name is checked as it resolves, inside the client's
//! resolver, so the address checked is the address connected
//! ([`resolver`]). No redirects are followed and no proxy is used: either
//! would connect somewhere the check never saw.
//!
//! The engine is synchronous and runs on a blocking thread; the call is made
//! on the runtime from there.

mod private;
mod resolver;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

pub use self::private::is_private;
use self::resolver::{refuse_none, CheckedResolver, Refuse, SystemLookup};
use crate::config::WebhooksConfig;
use crate::flow::services::{HttpCall, ServiceOutcome, Services};

/// The status the engine sees when no response came back (connection
/// refused, timeout, refused by policy): its webhook result is `Failure`.
const NO_RESPONSE: u16 = 0;

#[derive(Clone)]
pub struct HostServices {
    client: reqwest::Client,
    config: WebhooksConfig,
    refuse: Refuse,
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
        let refuse = if config.allow_private {
            refuse_none
        } else {
            is_private
        };
        HostServices::with_lookup(config, runtime, Arc::new(SystemLookup), refuse)
    }

    /// With `lookup` resolving host names and `refuse` deciding which
    /// addresses are off limits (a test's resolver and policy).
    fn with_lookup(
        config: WebhooksConfig,
        runtime: Handle,
        lookup: Arc<dyn reqwest::dns::Resolve>,
        refuse: Refuse,
    ) -> HostServices {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver::new(lookup, refuse)))
            .user_agent(concat!("mhero/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        HostServices {
            client,
            config,
            refuse,
            runtime,
        }
    }

    /// Whether the policy lets a flow call `url`, as far as the URL tells:
    /// its scheme, the allowlist, and an address written in it. A host
    /// name's addresses are checked when the call resolves it.
    pub fn check(&self, url: &str) -> Result<url::Url, WebhookRefused> {
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
        if let Ok(ip) = host.parse::<IpAddr>() {
            if (self.refuse)(ip) {
                return Err(WebhookRefused::Private(host, ip));
            }
        }
        Ok(parsed)
    }

    async fn call(&self, call: &HttpCall) -> ServiceOutcome {
        let url = match self.check(&call.url) {
            Ok(u) => u,
            Err(e) => return refused(&call.url, &e),
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
                if let Some(refusal) = refusal_in(&e) {
                    return refused(&call.url, refusal);
                }
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

/// What the engine sees of a call the policy refused: an `error` event
/// naming the reason, and no response.
fn refused(url: &str, e: &WebhookRefused) -> ServiceOutcome {
    tracing::warn!(%url, error = %e, "webhook refused");
    ServiceOutcome {
        events: vec![crate::flow::events::EventKind::error(format!(
            "webhook refused: {e}"
        ))],
        status: Some(NO_RESPONSE),
        body: None,
    }
}

/// The resolver's refusal, where a failed call came from one (reqwest
/// wraps it in its connect error).
fn refusal_in(e: &reqwest::Error) -> Option<&WebhookRefused> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<WebhookRefused>() {
            return Some(r);
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use reqwest::dns::{Addrs, Name, Resolve, Resolving};

    use super::*;
    use crate::flow::events::EventKind;

    fn config(allowed: &[&str], private: bool) -> WebhooksConfig {
        WebhooksConfig {
            allowed_hosts: allowed.iter().map(|s| s.to_string()).collect(),
            allow_private: private,
            timeout_secs: 5,
            ..Default::default()
        }
    }

    fn services(allowed: &[&str], private: bool) -> HostServices {
        HostServices::new(config(allowed, private), Handle::current())
    }

    /// A name server that answers each lookup with the next address of
    /// its list (the last one from then on), counting lookups: a name that
    /// rebinds between a check and a connect.
    struct Rebinding {
        answers: Vec<IpAddr>,
        lookups: Arc<AtomicUsize>,
    }

    impl Resolve for Rebinding {
        fn resolve(&self, _: Name) -> Resolving {
            let n = self.lookups.fetch_add(1, Ordering::SeqCst);
            let ip = self.answers[n.min(self.answers.len() - 1)];
            Box::pin(async move { Ok(Box::new(std::iter::once(SocketAddr::new(ip, 0))) as Addrs) })
        }
    }

    fn rebinding(answers: &[&str], refuse: Refuse) -> (HostServices, Arc<AtomicUsize>) {
        let lookups = Arc::new(AtomicUsize::new(0));
        let lookup = Rebinding {
            answers: answers.iter().map(|a| a.parse().unwrap()).collect(),
            lookups: lookups.clone(),
        };
        let s = HostServices::with_lookup(config(&[], false), Handle::current(), Arc::new(lookup), refuse);
        (s, lookups)
    }

    /// An HTTP server on `ip` (port 0, or `port`) answering `reply`,
    /// counting the requests it got.
    async fn server(ip: &str, port: u16, reply: &'static str) -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind((ip, port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { reply }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (port, hits)
    }

    fn get(url: String) -> HttpCall {
        HttpCall {
            method: "GET".into(),
            url,
            headers: vec![],
            body: String::new(),
        }
    }

    fn refusal(o: &ServiceOutcome) -> String {
        assert_eq!(o.status, Some(NO_RESPONSE), "{o:?}");
        match o.events.as_slice() {
            [EventKind::Error { text }] => text.clone(),
            other => panic!("expected one error event, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        let s = services(&[], false);
        for url in [
            "http://127.0.0.1:9/x",
            "http://10.1.2.3/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest",
            "http://[::ffff:127.0.0.1]/x",
            // IPv4-compatible, NAT64 (well-known and local-use) and 6to4
            // forms of loopback and private addresses.
            "http://[::127.0.0.1]/x",
            "http://[::a9fe:a9fe]/latest",
            "http://[64:ff9b::127.0.0.1]/x",
            "http://[64:ff9b::a00:1]/x",
            "http://[64:ff9b:1::a00:1]/x",
            "http://[2002:7f00:1::1]/x",
        ] {
            assert!(
                matches!(s.check(url), Err(WebhookRefused::Private(..))),
                "{url}: {:?}",
                s.check(url)
            );
        }
        assert_eq!(s.check("ftp://example.org/").unwrap_err(), WebhookRefused::BadUrl);
        assert!(s.check("http://8.8.8.8/x").is_ok());
        assert!(s.check("http://[64:ff9b::8.8.8.8]/x").is_ok());
        let open = services(&[], true);
        assert!(open.check("http://127.0.0.1:9/x").is_ok());
        assert!(open.check("http://[64:ff9b::a00:1]/x").is_ok());
    }

    #[tokio::test]
    async fn allowlist_matches_hosts_and_subdomains() {
        let s = services(&["moh.example.org"], true);
        assert!(s.check("https://moh.example.org/api").is_ok());
        assert!(s.check("https://dhis2.moh.example.org/api").is_ok());
        assert_eq!(
            s.check("https://evilmoh.example.org/").unwrap_err(),
            WebhookRefused::NotAllowed("evilmoh.example.org".into())
        );
    }

    #[tokio::test]
    async fn a_name_is_refused_for_the_address_it_resolves_to() {
        // The system's resolver: `localhost` is loopback, whatever its name says.
        let (port, hits) = server("127.0.0.1", 0, "reached").await;
        let s = services(&[], false);
        let out = s.call(&get(format!("http://localhost:{port}/"))).await;
        let text = refusal(&out);
        assert!(
            text.contains("host localhost resolves to a private address"),
            "{text}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        // Allowed, the same call goes through the same resolver and arrives.
        let out = services(&[], true)
            .call(&get(format!("http://localhost:{port}/")))
            .await;
        assert_eq!(
            (out.status, out.body.as_deref()),
            (Some(200), Some("reached")),
            "{out:?}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        // A name in NAT64 form of a private address, looked up once.
        let (s, lookups) = rebinding(&["64:ff9b::a00:5"], is_private);
        let text = refusal(&s.call(&get("http://intranet.moh.test/".into())).await);
        assert!(
            text.contains("host intranet.moh.test resolves to a private address 64:ff9b::a00:5"),
            "{text}"
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_address_checked_is_the_address_connected() {
        // The name answers 127.0.0.1 first and 127.0.0.2 afterwards; this
        // policy refuses only 127.0.0.2. A second lookup between check and
        // connect would reach the server on 127.0.0.2.
        let (port, first) = server("127.0.0.1", 0, "checked").await;
        let (_, second) = server("127.0.0.2", port, "rebound").await;
        let refuse: Refuse = |ip| ip == IpAddr::from([127, 0, 0, 2]);
        let (s, lookups) = rebinding(&["127.0.0.1", "127.0.0.2"], refuse);
        let out = s.call(&get(format!("http://rebind.test:{port}/"))).await;
        assert_eq!(
            (out.status, out.body.as_deref()),
            (Some(200), Some("checked")),
            "{out:?}"
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
        assert_eq!(
            (first.load(Ordering::SeqCst), second.load(Ordering::SeqCst)),
            (1, 0)
        );
        // Policy and lookup are one step: the answer that is refused is
        // never connected to either.
        let (s, _) = rebinding(&["127.0.0.2"], refuse);
        let text = refusal(&s.call(&get(format!("http://rebind.test:{port}/"))).await);
        assert!(text.contains("resolves to a private address 127.0.0.2"), "{text}");
        assert_eq!(second.load(Ordering::SeqCst), 0);
    }
}
