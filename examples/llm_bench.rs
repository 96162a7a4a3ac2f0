//! The model writer's speed, against a local server that answers every call after a fixed
//! latency (tests/support: a real HTTP server on 127.0.0.1 and a stand-in model). Runs the
//! release binary on a fixture:
//! - live, critic off, `--llm-concurrency 4`: wall time against examples × latency / 4;
//! - live, critic on: against calls × latency / 4 (two calls an example, one round each);
//! - again from the full cache, no server: against the template writer's time (medians).
//!
//! No time is asserted. `cargo build --release && cargo run --release --example llm_bench --
//! [LATENCY_MS] [FILE]` (200 ms and fixtures/message.rs by default).

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the example knows where it is");
    // target/release/examples/llm_bench → target/release/svix-distill
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("svix-distill"))
        .expect("the example sits in target/<profile>/examples");
    assert!(
        bin.exists(),
        "build the binary first: cargo build --release"
    );
    bin
}

/// Runs the tool on `file` into `dir` with `args`, returning its wall time and stderr.
fn run(file: &str, dir: &Path, args: &[&str]) -> (Duration, String) {
    let start = Instant::now();
    let output = Command::new(binary())
        .arg(file)
        .arg("-o")
        .arg(dir.join("out.jsonl"))
        .args(args)
        .output()
        .expect("the binary runs");
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (took, stderr)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn examples_in(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("out.jsonl"))
        .expect("the run wrote its data")
        .lines()
        .count()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let latency_ms: u64 = args.next().map_or(200, |a| a.parse().expect("LATENCY_MS"));
    let file = args
        .next()
        .unwrap_or_else(|| "fixtures/message.rs".to_owned());
    let latency = Duration::from_millis(latency_ms);
    let model = [
        "--writer",
        "llm",
        "--llm-model",
        "bench",
        "--llm-concurrency",
        "4",
    ];
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);

    println!("latency {latency_ms} ms, {file}\n");
    println!("| run | calls | wall | bound | ratio |");
    println!("| --- | --- | --- | --- | --- |");
    for critic in ["off", "on"] {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let server = support::model::agreeable(latency);
        let url = server.url();
        let mut with = model.to_vec();
        with.extend(["--llm-critic", critic, "--llm-url", &url]);
        let (took, _) = run(&file, dir.path(), &with);
        let calls = server.requests().len();
        // Calls go out a round at a time, four at once.
        let bound = latency * u32::try_from(calls).expect("calls fit") / 4;
        println!(
            "| live, critic {critic} | {calls} | {} | calls × latency / 4 = {} | {:.2} |",
            ms(took),
            ms(bound),
            took.as_secs_f64() / bound.as_secs_f64()
        );
        if critic == "on" {
            // From the full cache, no server: against the templates.
            drop(server);
            let cached: Vec<Duration> = (0..7).map(|_| run(&file, dir.path(), &model).0).collect();
            let scratch = tempfile::tempdir().expect("a scratch folder");
            let templates: Vec<Duration> =
                (0..7).map(|_| run(&file, scratch.path(), &[]).0).collect();
            let (cached, templates) = (median(cached), median(templates));
            println!(
                "| rerun from the cache, critic on | 0 | {} | templates: {} | {:.2} |",
                ms(cached),
                ms(templates),
                cached.as_secs_f64() / templates.as_secs_f64()
            );
            println!("\n{} examples", examples_in(dir.path()));
        }
    }
}
