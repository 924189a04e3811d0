//! One struct per subsystem. Defaults are what a single-district deployment
//! needs; `deploy/mhero.example.toml` documents every key.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Deserialize;

use super::Secret;
use crate::core::time::SendingHours;

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub node: NodeConfig,
    pub database: DatabaseConfig,
    pub api: ApiConfig,
    pub contacts: ContactsConfig,
    pub outbox: OutboxConfig,
    pub sending: SendingConfig,
    pub optout: OptoutConfig,
    pub links: Vec<LinkConfig>,
    pub routes: Vec<RouteConfig>,
    pub triggers: Vec<TriggerConfig>,
    pub flows: FlowsConfig,
    pub webhooks: WebhooksConfig,
    pub metrics: MetricsConfig,
    pub sip: super::SipConfig,
    pub trunks: Vec<super::TrunkConfig>,
    pub registries: Vec<super::RegistryConfig>,
    pub console: ConsoleConfig,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct NodeConfig {
    /// Stable name of this gateway process; rows it claims carry it so a
    /// restart can reconcile them. Defaults to the host name.
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` (WAL mode) or `postgres://...`.
    pub url: Secret,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::new("sqlite://mhero.db"),
            max_connections: 8,
        }
    }
}

/// What a token or an operator account may do. `viewer` reads; `sender`
/// also sends, starts flows and manages contacts and groups; `admin` also
/// manages accounts, links, triggers, flow imports and tokens. `operator`,
/// the name `sender` had before operator accounts existed, is still
/// accepted on input (config, API, CLI) and means `sender`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    #[serde(alias = "operator")]
    Sender,
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Sender, Role::Admin];

    /// The name used in config, the store, the API and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Sender => "sender",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        if s == "operator" {
            return Ok(Role::Sender);
        }
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown role {s:?} (viewer, sender or admin)"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub name: String,
    pub token: Secret,
    pub role: Role,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// Tokens accepted besides those created through the API. With none
    /// anywhere, the first start creates an admin token and prints it.
    pub tokens: Vec<TokenConfig>,
    /// Largest request body accepted; a broadcast to 100k listed contacts
    /// is about 4 MB of UUIDs.
    pub max_body_bytes: usize,
    /// Where the gateway writes an admin token it makes (mode 0600). Unset:
    /// `mhero.token` beside a SQLite database file, else in the working
    /// directory.
    pub token_file: Option<std::path::PathBuf>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tokens: vec![],
            max_body_bytes: 8 * 1024 * 1024,
            token_file: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` without a token. Off: a scrape needs a viewer (or
    /// better) token, as queue depths and link names are the ministry's.
    pub public: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ContactsConfig {
    /// ISO 3166 country for numbers written without `+` (e.g. `TZ`).
    pub default_country: Option<String>,
    pub default_timezone: String,
    pub default_language: String,
}

impl Default for ContactsConfig {
    fn default() -> Self {
        ContactsConfig {
            default_country: None,
            default_timezone: "UTC".into(),
            default_language: "eng".into(),
        }
    }
}

/// What to do with a message that was handed to a link that cannot say
/// whether it went out before a crash (SMPP with no response seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownAfterCrash {
    /// Send again, recording that it may be a duplicate.
    Resend,
    /// Mark failed with a reason, for an operator to decide.
    Fail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OutboxConfig {
    /// Messages claimed per query. Small enough that a reply queued behind a
    /// claimed bulk batch waits at most a fraction of a second.
    pub claim_batch: u32,
    /// How often an idle link looks for new work (new local work wakes it).
    pub poll_interval_ms: u64,
    /// Delay before each retry of a temporary failure.
    pub retry_backoff_secs: Vec<u64>,
    /// Attempts before a temporarily failing message is failed for good.
    pub max_attempts: u32,
    pub unknown_after_crash: UnknownAfterCrash,
    /// How often this node says it is alive.
    pub heartbeat_secs: u64,
    /// After this long without a heartbeat another node reconciles a node's
    /// in-flight messages.
    pub node_dead_after_secs: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            claim_batch: 200,
            poll_interval_ms: 200,
            retry_backoff_secs: vec![30, 300, 1800],
            max_attempts: 4,
            unknown_after_crash: UnknownAfterCrash::Resend,
            heartbeat_secs: 5,
            node_dead_after_secs: 60,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SendingConfig {
    /// Local hours bulk sends may reach a handset, `HH:MM-HH:MM` in the
    /// recipient's time zone; empty for any time.
    pub hours: String,
    #[serde(skip)]
    pub parsed_hours: Option<SendingHours>,
    /// What one SMS segment costs, for the estimate a send's review shows;
    /// none configured shows no cost.
    pub price_per_segment: Option<f64>,
    /// The currency of `price_per_segment` (e.g. `TZS`), shown beside it.
    pub currency: String,
}

impl SendingConfig {
    pub fn window(&self) -> SendingHours {
        self.parsed_hours.unwrap_or(SendingHours::ALWAYS)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OptoutConfig {
    /// Words (alone in a message) that opt a contact out, per language code;
    /// a word on any list is honoured for every contact (see
    /// `dispatch::optout`), the list only says which language it is.
    /// `default` holds words of no particular language.
    pub stop_words: BTreeMap<String, Vec<String>>,
    pub start_words: BTreeMap<String, Vec<String>>,
    /// Confirmation sent once, per language: the contact's, else the word's
    /// (a contact with no language), else `contacts.default_language`, else
    /// `default`.
    pub stop_reply: BTreeMap<String, String>,
    pub start_reply: BTreeMap<String, String>,
}

impl Default for OptoutConfig {
    /// The languages of the shipped flows: English, French, Swahili and
    /// Portuguese. Each confirmation names the word that undoes it in the
    /// same language.
    fn default() -> Self {
        let words = |lists: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            lists
                .iter()
                .map(|(lang, ws)| (lang.to_string(), ws.iter().map(|w| w.to_string()).collect()))
                .collect()
        };
        let texts = |list: &[(&str, &str)]| -> BTreeMap<String, String> {
            list.iter().map(|(l, t)| (l.to_string(), t.to_string())).collect()
        };
        const STOPPED_ENG: &str = "You will receive no more messages. Reply START to subscribe again.";
        const STARTED_ENG: &str = "You are subscribed again. Reply STOP to opt out.";
        OptoutConfig {
            stop_words: words(&[
                ("eng", &["STOP", "UNSUBSCRIBE", "STOPALL", "QUIT"]),
                ("fra", &["ARRÊT", "ARRET", "STOP", "DÉSABONNER"]),
                ("swa", &["ACHA", "SITISHA"]),
                ("por", &["PARAR", "SAIR", "CANCELAR"]),
            ]),
            start_words: words(&[
                ("eng", &["START", "UNSTOP"]),
                ("fra", &["DÉMARRER", "REPRENDRE"]),
                ("swa", &["ANZA", "ENDELEA"]),
                ("por", &["INICIAR", "VOLTAR"]),
            ]),
            stop_reply: texts(&[
                ("default", STOPPED_ENG),
                ("eng", STOPPED_ENG),
                (
                    "fra",
                    "Vous ne recevrez plus de messages. Répondez REPRENDRE pour vous réabonner.",
                ),
                ("swa", "Hutapokea ujumbe zaidi. Jibu ANZA ili kujiunga tena."),
                (
                    "por",
                    "Não receberá mais mensagens. Responda INICIAR para voltar a recebê-las.",
                ),
            ]),
            start_reply: texts(&[
                ("default", STARTED_ENG),
                ("eng", STARTED_ENG),
                (
                    "fra",
                    "Votre abonnement est rétabli. Répondez ARRET pour vous désabonner.",
                ),
                ("swa", "Umejiunga tena. Jibu ACHA ili kujiondoa."),
                (
                    "por",
                    "Voltará a receber as nossas mensagens. Responda PARAR para cancelar.",
                ),
            ]),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKindName {
    Simulator,
    Smpp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    pub name: String,
    pub kind: LinkKindName,
    /// Messages (segments) per second; 0 means no limit.
    #[serde(default)]
    pub rate: f64,
    /// How long a message this link sent may still get its delivery
    /// receipt; until then it keeps its broadcast open (see
    /// `dispatch::settle`). An SMPP link without `registered_delivery` asks
    /// for no receipts, so its sent messages are settled at once.
    #[serde(default = "default_receipt_wait_secs")]
    pub receipt_wait_secs: u64,
    #[serde(default)]
    pub simulator: SimulatorConfig,
    /// Settings of an SMPP link (`[links.smpp]`): host, credentials, binds,
    /// window, rates, encodings; see `smpp::SmppConfig`.
    #[serde(default)]
    pub smpp: Option<crate::smpp::SmppConfig>,
}

/// An SMSC retries an undelivered message for its validity period (48 h is
/// the common default when the submit names none) and reports the outcome,
/// an expiry included, by its end: a receipt that has not come by then will
/// not come.
pub const DEFAULT_RECEIPT_WAIT_SECS: u64 = 48 * 3600;

fn default_receipt_wait_secs() -> u64 {
    DEFAULT_RECEIPT_WAIT_SECS
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Delay per send, to mimic a carrier's round trip.
    pub latency_ms: u64,
    /// Numbers starting with this prefix fail permanently (for failure paths).
    pub fail_prefix: Option<String>,
    /// Numbers starting with this prefix fail temporarily.
    pub retry_prefix: Option<String>,
    /// Numbers ending with this suffix are refused as an SMSC refuses an
    /// invalid number: failed with `ESME_RINVDSTADR (0x0B)`, the reason an
    /// SMPP link would store (for failure reasons in words). Simulator only.
    pub refuse_suffix: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// E.164 prefix such as `+25568`; empty for the default route.
    #[serde(default)]
    pub prefix: String,
    /// Links in order of preference; later ones take over when earlier
    /// ones are unhealthy.
    pub links: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchType {
    /// The keyword is the first word of the message.
    First,
    /// The keyword is the whole message.
    Only,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerConfig {
    /// Empty for a catch-all trigger.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "default_match", rename = "match")]
    pub match_type: MatchType,
    /// A fixed reply.
    pub reply: Option<String>,
    /// Flow UUID to start.
    pub flow: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub exclude_groups: Vec<String>,
}

fn default_match() -> MatchType {
    MatchType::First
}

impl TriggerConfig {
    /// `(field, problem)` when the trigger cannot work.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.reply.as_deref().is_none_or(|r| r.trim().is_empty()) && self.flow.is_none() {
            return Err(("reply".into(), "a trigger needs a reply or a flow".into()));
        }
        for (i, k) in self.keywords.iter().enumerate() {
            if k.split_whitespace().count() != 1 {
                return Err((format!("keywords[{i}]"), "must be exactly one word".into()));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowsConfig {
    /// RapidPro exports imported at every start (flows, triggers,
    /// campaigns, fields, groups), e.g. `["flows/case_report.json"]`.
    pub imports: Vec<String>,
    /// How often waits that timed out and sessions that expired are looked
    /// for, in milliseconds.
    pub timeout_poll_ms: u64,
    /// How often campaign schedules are brought in step with group
    /// membership and date fields, in seconds.
    pub campaign_sync_secs: u64,
    /// Contacts started per batch of a flow start.
    pub start_batch: u32,
}

impl Default for FlowsConfig {
    fn default() -> Self {
        FlowsConfig {
            imports: Vec::new(),
            timeout_poll_ms: 1000,
            campaign_sync_secs: 60,
            start_batch: 100,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Hosts a flow's `call_webhook` may reach (`example.org` also allows
    /// its subdomains); empty allows any public host.
    pub allowed_hosts: Vec<String>,
    /// Allow loopback, private and link-local addresses (off: a flow must
    /// not reach into the ministry's network).
    pub allow_private: bool,
    pub timeout_secs: u64,
    /// Response bytes kept for the flow; the rest is cut off.
    pub max_response_bytes: usize,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allowed_hosts: Vec::new(),
            allow_private: false,
            timeout_secs: 10,
            max_response_bytes: 10_000,
        }
    }
}

/// Whether the console's session cookie is marked `Secure` (sent over
/// HTTPS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SecureCookies {
    /// `true` or `false`.
    Always(bool),
    /// `"auto"`: when the request came over TLS, as a trusted proxy says
    /// in `X-Forwarded-Proto` (see `trust_forwarded`).
    Auto(AutoWord),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoWord {
    Auto,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    pub secure_cookies: SecureCookies,
    /// Believe `X-Forwarded-Proto` and `X-Forwarded-For` (set this only
    /// behind a reverse proxy that writes them): they then decide `Secure`
    /// cookies and the client address logins are throttled by.
    pub trust_forwarded: bool,
    /// A session unused this long ends (a shared office computer left on).
    pub idle_timeout_mins: u64,
    /// A session ends this long after its login, used or not.
    pub session_lifetime_hours: u64,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            secure_cookies: SecureCookies::Auto(AutoWord::Auto),
            trust_forwarded: false,
            idle_timeout_mins: 8 * 60,
            session_lifetime_hours: 7 * 24,
        }
    }
}
