//! A resource snapshot's JSON → snapshot facts, then the codegen checks
//! that compare it with the resource and the migrations.
#![no_main]

#[path = "common.rs"]
mod common;

use ecto_ash_lsp::model::snapshots;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = snapshots::parse("priv/resource_snapshots/repo/extensions.json", text);
    if snapshots::parse(
        "priv/resource_snapshots/repo/users/20240101000000.json",
        text,
    )
    .is_ok()
    {
        common::exercise(
            "priv/resource_snapshots/repo/users/20240101000000.json",
            data,
        );
    }
});
