//! Evaluates arbitrary templates (and the same text as a bare expression,
//! a router-test operand and a pattern): must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mhero::flow::expressions::Environment;

#[path = "../exercise.rs"]
mod exercise;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        exercise::exercise(text, &exercise::context(), &Environment::default());
    }
});
