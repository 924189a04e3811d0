//! Loads arbitrary bytes as a RapidPro export (migrations, required-field
//! checks, validation); every flow that loads must survive a JSON round
//! trip unchanged and run to a wait or the end without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::flow::definition::export::Export;
use mhero::flow::definition::read_flow;
use mhero::flow::services::NoServices;
use mhero::flow::session;
use mhero::flow::session_assets::SessionAssets;
use mhero::flow::trigger::Trigger;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(export) = Export::from_value(raw.clone()) else {
        return;
    };
    for flow in &export.flows {
        let json = serde_json::to_value(flow).expect("a loaded flow serialises");
        let again = read_flow(&json).expect("a loaded flow reads back");
        assert_eq!(&again, flow);
    }
    let Ok(assets) = SessionAssets::from_value(raw) else {
        return;
    };
    for flow in &assets.flows {
        let trigger: Trigger = serde_json::from_value(serde_json::json!({
            "type": "manual",
            "flow": {"uuid": flow.uuid, "name": flow.name},
            "contact": {"uuid": "0d4b1f6e-2a61-4c1b-9d7e-5f3c2b1a0e9d", "urns": ["tel:+250788123456"]}
        }))
        .expect("a fixed trigger reads");
        let _ = session::start(&assets, &NoServices, trigger, mhero::flow::clock::system());
    }
});
