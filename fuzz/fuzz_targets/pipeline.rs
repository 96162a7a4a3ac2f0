//! The whole pipeline on arbitrary bytes: it must return lines or a clean error, never panic,
//! and never fail its own exactness and grounding checks (an "internal error").
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use svix_distill::source::SourceFile;
use svix_distill::{Options, generate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SourceFile::from_text(Path::new("fuzz.rs"), text.to_owned());
    if let Err(err) = generate(&source, &Options::default()) {
        let message = format!("{err:#}");
        assert!(!message.starts_with("internal error"), "{message}");
    }
});
