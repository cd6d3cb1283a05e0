//! Fuzzes validation: no input may panic, and a canonical value must be a fixed point, parsing
//! to itself again.
#![no_main]

use casefile::ioc::{self, IocType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = IocType::ALL.get(usize::from(selector) % (IocType::ALL.len() + 1)).copied();
    let _ = ioc::detect(text);
    let _ = ioc::refang(text);
    if let Ok(indicator) = ioc::parse_indicator(text, kind) {
        let again = ioc::parse_indicator(&indicator.value, Some(indicator.kind));
        assert_eq!(again.as_ref().ok(), Some(&indicator), "not a fixed point: {again:?}");
        let _ = ioc::benign_reason(&indicator);
        let _ = ioc::defang(indicator.kind, &indicator.value);
    }
});
