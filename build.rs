//! Writes each tiktoken encoding's rank table (`src/dataset/tokens/table.rs` says the layout)
//! into OUT_DIR, from the tables tiktoken-rs embeds: the counter then starts with nothing to
//! decode, and holds a few MiB where tiktoken-rs's own tables hold tens.

use std::path::Path;

#[allow(dead_code)]
#[path = "src/dataset/tokens/table.rs"]
mod table;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/dataset/tokens/table.rs");
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    write_table(out, "o200k_base", tiktoken_rs::o200k_base());
    write_table(out, "cl100k_base", tiktoken_rs::cl100k_base());
}

fn write_table(out: &Path, name: &str, bpe: anyhow::Result<tiktoken_rs::CoreBPE>) {
    let bpe = bpe.unwrap_or_else(|e| panic!("tiktoken-rs cannot load {name}: {e}"));
    let special = bpe.special_tokens();
    let is_special = |bytes: &[u8]| std::str::from_utf8(bytes).is_ok_and(|s| special.contains(s));
    // The ordinary tokens are ranks 0 up to the first rank that is none of them.
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    while let Ok(bytes) = bpe.decode_bytes(&[tokens.len() as u32]) {
        if is_special(&bytes) {
            break;
        }
        tokens.push(bytes);
    }
    // No ordinary token may lie past that gap: the table would miss it.
    let first_missing = tokens.len() as u32;
    for rank in first_missing..first_missing + 4096 {
        if let Ok(bytes) = bpe.decode_bytes(&[rank]) {
            assert!(
                is_special(&bytes),
                "{name}: ordinary token {rank} lies past the gap at {first_missing}"
            );
        }
    }
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for token in &tokens {
        bytes.extend_from_slice(token);
        ends.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    }
    let slots = table::build_slots(tokens.iter().map(Vec::as_slice));
    for (part, blob) in [("bytes", &bytes), ("ends", &ends), ("slots", &slots)] {
        let path = out.join(format!("{name}.{part}"));
        std::fs::write(&path, blob).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
