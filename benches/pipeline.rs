//! `cargo bench`: how long the whole pipeline takes per file, against the floor of a bare syn
//! parse that slices every item, on each fixture. Medians of repeated runs; no timing is asserted.

use std::path::Path;
use std::time::{Duration, Instant};

use svix_distill::extract::source::SourceFile;
use svix_distill::pipeline::Options;

/// The pipeline under the default profile (message creation), as the CLI runs it.
fn generate(
    source: &SourceFile,
    options: &Options,
) -> anyhow::Result<svix_distill::pipeline::Extracted> {
    let profile = svix_distill::profile::Profile::load(svix_distill::profile::DEFAULT)?;
    svix_distill::pipeline::extract(source, &profile, options)
}

const RUNS: usize = 200;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    // One warm-up run, then the measured ones.
    f();
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn bare_parse_and_slice(text: &str) -> usize {
    let file = syn::parse_file(text).expect("fixtures parse");
    file.items
        .iter()
        .map(|item| {
            let range = syn::spanned::Spanned::span(item).byte_range();
            text[range].len()
        })
        .sum()
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        // The message-creation fixtures; the others are for other profiles.
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("message"))
        })
        .collect();
    names.sort();
    println!(
        "{:<20} {:>7} {:>10} {:>12} {:>12} {:>6}",
        "fixture", "bytes", "examples", "pipeline", "bare parse", "ratio"
    );
    for path in names {
        let source = SourceFile::read(&path).unwrap();
        let options = Options::default();
        let examples = generate(&source, &options).unwrap().examples.len();
        // Each run starts from an empty span table, as a fresh process does.
        let pipeline = time(|| {
            std::hint::black_box(generate(&source, &options).unwrap());
            proc_macro2::extra::invalidate_current_thread_spans();
        });
        let bare = time(|| {
            std::hint::black_box(bare_parse_and_slice(&source.text));
            proc_macro2::extra::invalidate_current_thread_spans();
        });
        println!(
            "{:<20} {:>7} {:>10} {:>10.2}ms {:>10.2}ms {:>5.1}x",
            path.file_name().unwrap().to_string_lossy(),
            source.text.len(),
            examples,
            pipeline.as_secs_f64() * 1e3,
            bare.as_secs_f64() * 1e3,
            pipeline.as_secs_f64() / bare.as_secs_f64(),
        );
    }
}
