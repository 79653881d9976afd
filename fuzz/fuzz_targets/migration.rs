//! Migration text → facts → the whole analysis and every editor feature.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::exercise(common::MIGRATION, data);
});
