//! The DreamFactory filter parser and its translation to a core condition, on any input: no
//! panic, no stack overflow, no runaway time (libFuzzer's `-timeout` catches slow inputs), and
//! the limits hold: anything longer than `MAX_LEN` bytes is refused.

#![no_main]

use libfuzzer_sys::fuzz_target;
use usergate_dialect_dreamfactory::convert::query::filter_cond;
use usergate_dialect_dreamfactory::filter::{FilterError, MAX_LEN, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(input);
    if input.len() > MAX_LEN {
        assert_eq!(parsed, Err(FilterError::TooLong));
    }
    // The handler's path: parse, then translate (errors are 400s, never panics).
    let _ = filter_cond(input);
});
