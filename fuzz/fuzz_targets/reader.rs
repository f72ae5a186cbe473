//! The two YAML readers on any text: whenever the fast reader takes a text, its tree (every
//! node, value, line, column and byte) is the full parser's, so no file is read differently.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(doc) = xp::yaml::fast::parse(text) {
        assert_eq!(
            xp::yaml::parse_full(text),
            Ok(doc),
            "the readers differ on {text:?}"
        );
    }
});
