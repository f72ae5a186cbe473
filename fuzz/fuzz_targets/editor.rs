//! The text editor on any record the loader accepts: every edit it makes reads back as exactly
//! the intended record (what xp checks before writing); an edit it cannot make is refused.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use xp::record::{LogEntry, Record};
use xp::rules::check_bytes;
use xp::record::edit::{NewValue, append_log_entry, scalar, set_field};

fn read(text: &str) -> Option<Record> {
    let checked = check_bytes(Path::new("fuzz.yaml"), text.as_bytes());
    assert!(
        checked.problems.is_empty(),
        "the edit broke a rule: {:?}\n{text}",
        checked.problems
    );
    checked.record
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let checked = check_bytes(Path::new("fuzz.yaml"), data);
    let (Some(record), Some(doc)) = (checked.record, checked.doc) else {
        return;
    };
    let entry = LogEntry {
        at: "9999-12-31T23:59:59.999Z".into(), // after any entry a record can hold
        who: Some("fuzz: #1".into()),
        note: "no\n- x: 'y'".into(),
    };
    if let Ok(out) = append_log_entry(text, &doc, &entry) {
        let mut expected = record.clone();
        expected.decision_log.push(entry);
        assert_eq!(read(&out), Some(expected), "append:\n{out}");
    }
    let edits: [(&str, NewValue, fn(&mut Record)); 4] = [
        ("title", scalar(" #: odd"), |r| r.title = " #: odd".into()),
        ("learning", scalar("on"), |r| r.learning = Some("on".into())),
        (
            "tags",
            NewValue::List(vec!["a".into(), "- b".into()]),
            |r| r.tags = Some(vec!["a".into(), "- b".into()]),
        ),
        ("confidence", NewValue::Scalar("42".into()), |r| {
            r.confidence = 42
        }),
    ];
    for (key, value, apply) in edits {
        if let Ok(out) = set_field(text, &doc, key, &value) {
            let mut expected = record.clone();
            apply(&mut expected);
            assert_eq!(read(&out), Some(expected), "{key}:\n{out}");
        }
    }
});
