//! Whole-process benchmark of svix-distill against a bare syn parse-and-slice of the same input
//! (examples/bare_parse.rs), on one file and on a generated crate of several hundred files.
//! Prints medians of repeated runs, the ratios, and svix-distill's peak memory. Nothing is
//! asserted: the figures go in the README.
//! History mode runs against `git log --follow -p` on the same file: on a repository of 60
//! commits it builds from the fixture, and on svix-webhooks' message.rs when SVIX_REPO names a
//! checkout (or a bare clone) of it.
//! `cargo run --release --example bench [-- RUNS]`

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::copy_dir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a command to completion, returning wall time and peak resident memory in KiB.
// The child is reaped by wait4, which also reports its peak memory; std's wait cannot.
#[allow(clippy::zombie_processes)]
fn measure(program: &Path, args: &[&str]) -> (Duration, i64) {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the program starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with valid pointers to locals.
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    (start.elapsed(), usage.ru_maxrss)
}

fn median(program: &Path, args: &[&str], runs: usize) -> (Duration, i64) {
    let mut times = Vec::new();
    let mut peak = 0;
    measure(program, args);
    for _ in 0..runs {
        let (time, rss) = measure(program, args);
        times.push(time);
        peak = peak.max(rss);
    }
    times.sort();
    (times[times.len() / 2], peak)
}

/// A crate of `copies` × 3 modules made from the fixtures, with the fixture crate's message
/// creation as its focus.
fn corpus(dir: &Path, copies: usize) -> (usize, u64) {
    let src = dir.join("src");
    copy_dir(&repo().join("fixtures/crate/src"), &src);
    let gen_dir = src.join("generated");
    std::fs::create_dir_all(&gen_dir).unwrap();
    let fixtures = ["message.rs", "message_2022.rs", "message_misc.rs"];
    let mut module_list = String::new();
    for i in 0..copies {
        for (j, name) in fixtures.iter().enumerate() {
            let module = format!("m{i}_{j}");
            std::fs::copy(
                repo().join("fixtures").join(name),
                gen_dir.join(format!("{module}.rs")),
            )
            .unwrap();
            module_list.push_str(&format!("pub mod {module};\n"));
        }
    }
    std::fs::write(gen_dir.join("mod.rs"), module_list).unwrap();
    let (mut files, mut bytes) = (0, 0);
    for entry in walkdir::WalkDir::new(&src)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() {
            files += 1;
            bytes += entry.metadata().unwrap().len();
        }
    }
    (files, bytes)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(21);
    let built = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "--bin",
            "svix-distill",
            "--example",
            "bare_parse",
        ])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(built.success());
    let release = repo().join("target/release");
    let tool = release.join("svix-distill");
    let bare = release.join("examples/bare_parse");
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out.jsonl");
    let out = out.to_str().unwrap();

    let file = repo().join("fixtures/message.rs");
    let file = file.to_str().unwrap();
    let (tool_time, tool_rss) = median(&tool, &[file, "-o", out], runs);
    let (bare_time, _) = median(&bare, &[file], runs);
    println!("one file (fixtures/message.rs), median of {runs} runs:");
    println!(
        "  svix-distill {:>8.2} ms   bare parse {:>8.2} ms   ratio {:.2}x   peak {:.1} MiB",
        tool_time.as_secs_f64() * 1e3,
        bare_time.as_secs_f64() * 1e3,
        tool_time.as_secs_f64() / bare_time.as_secs_f64(),
        tool_rss as f64 / 1024.0
    );

    let tree = scratch.path().join("crate");
    let (files, bytes) = corpus(&tree, 200);
    let tree = tree.to_str().unwrap();
    let (tool_time, tool_rss) = median(&tool, &[tree, "-o", out], runs);
    let (bare_time, bare_rss) = median(&bare, &[tree], runs);
    println!(
        "generated crate ({files} files, {:.1} MB), median of {runs} runs:",
        bytes as f64 / 1e6
    );
    println!(
        "  svix-distill {:>8.2} ms   bare parallel parse {:>8.2} ms   ratio {:.2}x   peak {:.1} MiB (bare {:.1} MiB)",
        tool_time.as_secs_f64() * 1e3,
        bare_time.as_secs_f64() * 1e3,
        tool_time.as_secs_f64() / bare_time.as_secs_f64(),
        tool_rss as f64 / 1024.0,
        bare_rss as f64 / 1024.0
    );

    history(&tool, scratch.path(), runs);

    // ast-grep is not a dependency: set AST_GREP to its binary (for example one installed with
    // `npm install --prefix DIR @ast-grep/cli`) to compare with it listing every function.
    if let Some(ast_grep) = std::env::var_os("AST_GREP") {
        let rule = scratch.path().join("functions.yml");
        std::fs::write(
            &rule,
            "id: every-function\nlanguage: rust\nseverity: info\nrule:\n  kind: function_item\n",
        )
        .unwrap();
        let rule = rule.to_str().unwrap();
        let args = ["scan", "--rule", rule, "--json=stream", tree];
        let (grep_time, grep_rss) = median(Path::new(&ast_grep), &args, runs);
        println!(
            "  ast-grep scan (every function_item) {:>8.2} ms   svix-distill is {:.2}x its time   peak {:.1} MiB",
            grep_time.as_secs_f64() * 1e3,
            tool_time.as_secs_f64() / grep_time.as_secs_f64(),
            grep_rss as f64 / 1024.0
        );
    }
}

/// A repository whose message.rs changes in each of `commits` commits: the handler's cache
/// lifetime, one literal, a commit at a time.
fn history_corpus(dir: &Path, commits: usize) -> String {
    let path = "server/svix-server/src/v1/endpoints/message.rs";
    let text = std::fs::read_to_string(repo().join("fixtures/message.rs")).unwrap();
    let mut built = support::git::TestRepo::init_bare(dir);
    for i in 0..commits {
        let version = text.replace(
            "Duration::from_secs(60)",
            &format!("Duration::from_secs({})", 60 + i),
        );
        built.commit(
            &format!("Keep the application view for {} seconds", 60 + i),
            &[(path, Some(&version))],
        );
    }
    path.to_owned()
}

/// History mode against `git log --follow -p` on the same file (git is needed for the floor
/// only; svix-distill reads the repository itself).
fn history(tool: &Path, scratch: &Path, runs: usize) {
    let git = Path::new("git");
    let synthetic = scratch.join("history.git");
    let path = history_corpus(&synthetic, 60);
    let mut inputs = vec![(
        "generated repository, 60 commits".to_owned(),
        synthetic,
        path.clone(),
    )];
    if let Some(svix) = std::env::var_os("SVIX_REPO") {
        inputs.push((
            "svix-webhooks, message.rs".to_owned(),
            PathBuf::from(svix),
            path,
        ));
    }
    for (name, repo, path) in inputs {
        let repo = repo.to_str().unwrap();
        let (tool_time, tool_rss) = median(tool, &["history", repo, "--path", &path, "-q"], runs);
        println!("history of {name}, median of {runs} runs:");
        let git_args = ["-C", repo, "log", "--follow", "-p", "--", &path];
        let floor = Command::new(git)
            .arg("--version")
            .output()
            .is_ok()
            .then(|| median(git, &git_args, runs));
        match floor {
            Some((git_time, _)) => println!(
                "  svix-distill history {:>8.2} ms   git log --follow -p {:>8.2} ms   ratio {:.2}x   peak {:.1} MiB",
                tool_time.as_secs_f64() * 1e3,
                git_time.as_secs_f64() * 1e3,
                tool_time.as_secs_f64() / git_time.as_secs_f64(),
                tool_rss as f64 / 1024.0
            ),
            None => println!(
                "  svix-distill history {:>8.2} ms   (no git binary for the floor)   peak {:.1} MiB",
                tool_time.as_secs_f64() * 1e3,
                tool_rss as f64 / 1024.0
            ),
        }
    }
}
