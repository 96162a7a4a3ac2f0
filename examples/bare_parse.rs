//! The floor the benchmark measures svix-distill against: read every `.rs` file given (or
//! under a folder given), parse it with syn and slice out every function, nothing else. With
//! a folder the files are parsed in parallel, as directory mode does.
//! `cargo run --release --example bare_parse -- PATH`

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use syn::spanned::Spanned;

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.into_path())
        .collect()
}

fn slice_functions(path: &Path) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0;
    };
    let total = match syn::parse_file(&text) {
        Ok(file) => file
            .items
            .iter()
            .filter(|item| matches!(item, syn::Item::Fn(_)))
            .map(|item| text[item.span().byte_range()].len())
            .sum(),
        Err(_) => 0,
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    total
}

fn main() {
    let path = PathBuf::from(std::env::args().nth(1).expect("usage: bare_parse PATH"));
    let files = rust_files(&path);
    let bytes: usize = files.par_iter().map(|f| slice_functions(f)).sum();
    println!("{} files, {bytes} bytes of functions", files.len());
}
