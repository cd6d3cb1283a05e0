//! Fuzzes extraction: no input may panic, every reported range must lie on character
//! boundaries inside the input, and every value must parse again as its own type.
#![no_main]

use casefile::ioc::{self, IocType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for found in ioc::extract(text) {
        assert!(found.start <= found.end && found.end <= text.len(), "range out of bounds");
        assert!(text.is_char_boundary(found.start) && text.is_char_boundary(found.end));
        let kind = found.indicator.kind;
        if kind != IocType::FileName {
            let again = ioc::parse_indicator(&found.indicator.value, Some(kind));
            assert!(again.is_ok(), "{kind} `{}` does not parse: {again:?}", found.indicator.value);
        }
    }
});
