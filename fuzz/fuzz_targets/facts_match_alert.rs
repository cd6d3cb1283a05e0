//! Fuzzes `parse_facts`, which ingest runs on every alert with a parser that skips the
//! fields it does not read, against `parse_alert`, which reads the whole alert: both must
//! accept the same input, and agree on what they both read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fields = ["rule.id", "agent.id", "data.srcip", "data.win.eventdata.targetUserName"]
        .map(String::from);
    let facts = casefile::alert::parse_facts(data, &fields);
    let alert = casefile::alert::parse_alert(data);
    match (facts, alert) {
        (Ok(facts), Ok(alert)) => {
            assert_eq!(facts.id, alert.id);
            assert_eq!(facts.timestamp, alert.timestamp);
            assert_eq!(facts.rule_id, alert.rule.id);
            assert_eq!(facts.rule_level, alert.rule.level);
            assert_eq!(facts.observables, alert.observables);
            let key = casefile::alert::dedupe_key(data, &fields).expect("the alert parsed");
            assert_eq!(facts.dedupe_key, key);
        }
        // Each reports the first problem it meets, which may differ.
        (Err(_), Err(_)) => {}
        (facts, alert) => panic!(
            "parse_facts: {:?}, parse_alert: {:?}",
            facts.map(|facts| facts.rule_id),
            alert.map(|alert| alert.rule.id)
        ),
    }
});
