//! The whole pipeline on arbitrary bytes: it must return lines or a clean error, never panic,
//! and never fail its own exactness and grounding checks (an "internal error").
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use svix_distill::extract::source::SourceFile;
use svix_distill::pipeline::Options;

/// The pipeline under the default profile (message creation), as the CLI runs it.
fn generate(
    source: &SourceFile,
    options: &Options,
) -> Result<svix_distill::pipeline::Extracted, Box<dyn std::error::Error>> {
    let profile = svix_distill::profile::Profile::load(svix_distill::profile::DEFAULT)?;
    let generated = svix_distill::pipeline::extract(source, &profile, options)?;
    // An example left out for failing its check is the generator failing it, like an internal
    // error.
    if let Some(dropped) = generated.dropped.first() {
        return Err(format!("internal error: {} left out: {}", dropped.unit, dropped.reason).into());
    }
    Ok(generated)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SourceFile::from_text(Path::new("fuzz.rs"), text.to_owned());
    if let Err(err) = generate(&source, &Options::default()) {
        let message = err.to_string();
        assert!(!message.starts_with("internal error"), "{message}");
    }
});
