//! Any telephone-event payload, fed through the tracker: no panics, and a decoded
//! block re-encodes to its first four bytes (bar the reserved bit).
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mhero::sip::media::event_tracker::EventTracker;
use mhero::sip::media::telephone_event::TelephoneEvent;

fuzz_target!(|data: &[u8]| {
    let mut tracker = EventTracker::new();
    for (i, chunk) in data.chunks(8).enumerate() {
        if let Ok(event) = TelephoneEvent::decode(&chunk[..chunk.len().min(4)]) {
            let wire = event.encode().expect("decoded volume fits");
            assert_eq!(wire[0], chunk[0]);
            assert_eq!(wire[1], chunk[1] & 0xBF);
            let ts = u32::from(*chunk.last().unwrap_or(&0));
            tracker.on_packet(u32::from(chunk[0] & 1), ts, &event, Duration::from_millis(i as u64 * 20));
        }
    }
});
