//! Arbitrary bytes as the body of the links, campaigns, triggers, groups
//! and export-import endpoints (the first byte picks which) of a whole
//! gateway running in this process: no request may panic anything (the
//! handler, or a task acting on what it stored, such as the campaign
//! scheduler: libFuzzer's panic hook aborts on a panic caught by a
//! supervisor too), and every answer is a success or a 4xx.
//!
//! Run: `cargo +nightly fuzz run api_bodies fuzz/corpus/api_bodies fuzz/seeds/api_bodies`

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../api_gateway.rs"]
mod api_gateway;

use api_gateway::{InProcess, ENDPOINTS};

struct Harness {
    rt: tokio::runtime::Runtime,
    gw: InProcess,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let gw = rt.block_on(InProcess::start(dir.path()));
        Harness { rt, gw, _dir: dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let h = harness();
    let (method, path) = ENDPOINTS[usize::from(*selector) % ENDPOINTS.len()];
    let (status, answer) = h.rt.block_on(h.gw.call(method, path, body));
    assert!(
        (200..500).contains(&status),
        "{method} {path} answered {status}: {answer}"
    );
});
