//! The loader on any bytes: a record with no problem, or problems and no record; never a panic.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checked = xp::rules::check_bytes(Path::new("fuzz.yaml"), data);
    assert_eq!(checked.record.is_some(), checked.problems.is_empty());
    for problem in &checked.problems {
        assert!(problem.line >= 1 && problem.column >= 1);
    }
});
