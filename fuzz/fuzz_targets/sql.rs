//! A raw SQL string (what `execute` is given) → the DDL recogniser.
#![no_main]

use ecto_ash_lsp::syntax::sql::parse_sql;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    for statement in parse_sql(sql) {
        assert!(
            statement.span.start <= statement.span.end && statement.span.end <= sql.len(),
            "statement span {:?} outside {} bytes",
            statement.span,
            sql.len()
        );
        assert!(
            sql.is_char_boundary(statement.span.start) && sql.is_char_boundary(statement.span.end)
        );
    }
});
