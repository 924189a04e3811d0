//! The reference harness's airtime service, as a test double: a DT One
//! client (number lookup → the operator's fixed-value products → an
//! auto-confirmed transaction) talking to the case's HTTP mocks, with every
//! exchange logged as the reference's Go client writes it. The engine turns
//! what this returns into `airtime_transferred` and the result.

use base64::Engine as _;
use mhero::flow::services::{AirtimeTransfer, HttpCall, HttpLog, HttpTrace, ProviderCall};
use serde_json::{Number, Value};

use super::mock_http::MockServices;

const API: &str = "https://dvs-api.dtone.com/v1";

/// The credentials the reference's harness configures its DT One service with.
const KEY: &str = "nyaruka";
const SECRET: &str = "123456789";

/// DT One's client is Go's default one.
const USER_AGENT: &str = "Go-http-client/1.1";

/// One call to the API, logged.
fn call(
    services: &MockServices,
    logs: &mut Vec<HttpLog>,
    method: &str,
    url: String,
    body: Option<String>,
) -> HttpTrace {
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    let mut headers = vec![("Authorization".to_owned(), format!("Basic {credentials}"))];
    if body.is_some() {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    let call = HttpCall {
        method: method.to_owned(),
        url,
        headers,
        body: body.unwrap_or_default(),
    };
    let trace = services.exchange(&call, USER_AGENT);
    let status = match trace.status_code {
        None => "connection_error",
        Some(200..=299) => "success",
        Some(_) => "response_error",
    };
    logs.push(HttpLog {
        url: call.url,
        status_code: trace.status_code,
        request: trace.request.clone(),
        response: trace.response.clone(),
        elapsed_ms: trace.elapsed_ms,
        retries: 0,
        status: status.to_owned(),
        created_on: String::new(),
    });
    trace
}

/// The parsed body of a successful exchange; otherwise why it failed
/// (DT One's first error message), prefixed with `what`.
fn answer(trace: &HttpTrace, what: &str) -> Result<Value, String> {
    let body: Value = trace
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    match trace.status_code {
        Some(200..=299) => Ok(body),
        None => Err(format!("{what}: unable to connect to server")),
        Some(status) => {
            let message = body["errors"][0]["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("status {status}"));
            Err(format!("{what}: {message}"))
        }
    }
}

fn number(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) => Some(n.clone()),
        _ => None,
    }
}

/// The biggest product whose destination amount fits what the flow offers
/// in that currency: (product id, currency, amount).
fn choose(products: &Value, amounts: &[(String, Number)]) -> Option<(Value, String, Number)> {
    let offered = |unit: &str| {
        amounts
            .iter()
            .find(|(c, _)| c == unit)
            .and_then(|(_, a)| a.as_f64())
    };
    products
        .as_array()?
        .iter()
        .filter_map(|p| {
            let unit = p["destination"]["unit"].as_str()?;
            let amount = number(&p["destination"]["amount"])?;
            (amount.as_f64()? <= offered(unit)?).then(|| (p["id"].clone(), unit.to_owned(), amount))
        })
        .max_by(|a, b| {
            a.2.as_f64()
                .partial_cmp(&b.2.as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
}

fn transfer_steps(
    services: &MockServices,
    logs: &mut Vec<HttpLog>,
    transfer_uuid: &str,
    recipient: &str,
    amounts: &[(String, Number)],
) -> Result<AirtimeTransfer, String> {
    let number = recipient
        .strip_prefix("tel:")
        .unwrap_or(recipient)
        .split('?')
        .next()
        .unwrap_or_default();
    let lookup = call(
        services,
        logs,
        "POST",
        format!("{API}/lookup/mobile-number"),
        Some(serde_json::json!({"mobile_number": number}).to_string()),
    );
    let operators = answer(&lookup, "number lookup failed")?;
    let operator = operators
        .as_array()
        .and_then(|ops| ops.iter().find(|o| o["identified"] == true))
        .map(|o| o["id"].clone())
        .ok_or_else(|| format!("unable to find operator for number {number}"))?;
    let url = format!("{API}/products?type=FIXED_VALUE_RECHARGE&operator_id={operator}&per_page=100");
    let products = answer(&call(services, logs, "GET", url, None), "product fetch failed")?;
    let (product, currency, amount) =
        choose(&products, amounts).ok_or("unable to find a suitable product for operator")?;
    let request = format!(
        r#"{{"external_id":"{transfer_uuid}","product_id":{product},"auto_confirm":true,"credit_party_identifier":{{"mobile_number":"{number}"}}}}"#
    );
    let done = call(
        services,
        logs,
        "POST",
        format!("{API}/async/transactions"),
        Some(request),
    );
    let transaction = answer(&done, "transaction creation failed")?;
    Ok(AirtimeTransfer {
        external_id: transaction["id"].to_string(),
        sender: String::new(),
        recipient: recipient.to_owned(),
        currency,
        amount,
    })
}

/// Transfers airtime to `recipient`, choosing from `amounts`.
pub fn transfer(
    services: &MockServices,
    transfer_uuid: &str,
    sender: &str,
    recipient: &str,
    amounts: &[(String, Number)],
) -> ProviderCall<AirtimeTransfer> {
    let mut logs = Vec::new();
    let result =
        transfer_steps(services, &mut logs, transfer_uuid, recipient, amounts).map(|t| AirtimeTransfer {
            sender: sender.to_owned(),
            ..t
        });
    ProviderCall {
        http_logs: logs,
        result,
    }
}
