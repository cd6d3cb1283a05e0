//! Fuzzes `AlertReader` over arbitrary input, read in small chunks so alerts straddle
//! buffer boundaries, and checks that every alert's bytes parse on their own.
#![no_main]

use std::io::{BufReader, Cursor};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = BufReader::with_capacity(13, Cursor::new(data));
    let reader = casefile::alert::AlertReader::new(input).with_max_alert_bytes(4096);
    let mut last_alert_line = 0;
    for item in reader {
        match item {
            Ok(raw) => {
                assert!(casefile::alert::parse_alert(&raw.bytes).is_ok());
                assert!(raw.line >= last_alert_line.max(1), "alert lines go back");
                last_alert_line = raw.line;
            }
            // An unclosed array is reported at the line where it opened, so error lines
            // may go back.
            Err(error) => assert!(error.line >= 1),
        }
    }
});
