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

    big_files(&tool, &bare, scratch.path(), runs);
    if let Some(svix) = std::env::var_os("SVIX_REPO") {
        svix_inputs(&tool, &bare, Path::new(&svix), scratch.path(), runs);
    }
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

/// `copies` copies of `text` in one file, every name the file defines suffixed with the copy's
/// number, so that each copy's items are items of their own. The `use` declarations at the top
/// stand once: a file with the same imports 400 times over would make every example's import
/// slice (`--imports all`) 400 times as long, an output that grows with the square of the input.
fn renamed_copies(text: &str, copies: usize) -> String {
    let file = syn::parse_file(text).expect("the source parses");
    let header_end = file
        .items
        .iter()
        .take_while(|item| matches!(item, syn::Item::Use(_)))
        .last()
        .map_or(0, |item| syn::spanned::Spanned::span(item).byte_range().end);
    let (header, text) = text.split_at(header_end);
    let mut defined = std::collections::BTreeSet::new();
    for item in &file.items {
        let name = match item {
            syn::Item::Fn(f) => f.sig.ident.to_string(),
            syn::Item::Struct(s) => s.ident.to_string(),
            syn::Item::Enum(e) => e.ident.to_string(),
            syn::Item::Const(c) => c.ident.to_string(),
            syn::Item::Static(s) => s.ident.to_string(),
            syn::Item::Type(t) => t.ident.to_string(),
            syn::Item::Trait(t) => t.ident.to_string(),
            _ => continue,
        };
        defined.insert(name);
    }
    let mut out = String::with_capacity(text.len() * copies + copies * 64);
    out.push_str(header);
    for copy in 0..copies {
        let mut word = String::new();
        for c in text.chars().chain(std::iter::once('\n')) {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                out.push_str(&word);
                if defined.contains(&word) {
                    out.push_str(&format!("_{copy}"));
                }
                word.clear();
            }
            out.push(c);
        }
    }
    out
}

/// One timed row: svix-distill against the floor on the same input.
fn row(tool: &Path, bare: &Path, name: &str, input: &Path, runs: usize) {
    let input = input.to_str().unwrap();
    let (tool_time, tool_rss) = median(tool, &[input, "-q"], runs);
    let (bare_time, bare_rss) = median(bare, &[input], runs);
    println!(
        "  {name:<34} svix-distill {:>9.2} ms {:>7.1} MiB   floor {:>9.2} ms {:>7.1} MiB   ratio {:.2}x",
        tool_time.as_secs_f64() * 1e3,
        tool_rss as f64 / 1024.0,
        bare_time.as_secs_f64() * 1e3,
        bare_rss as f64 / 1024.0,
        tool_time.as_secs_f64() / bare_time.as_secs_f64(),
    );
}

/// Single files of about 0.2, 0.8 and 3.9 MB made of renamed copies of the fixture.
fn big_files(tool: &Path, bare: &Path, scratch: &Path, runs: usize) {
    let text = std::fs::read_to_string(repo().join("fixtures/message.rs")).unwrap();
    println!(
        "one big file of renamed copies of fixtures/message.rs, median of {runs} runs (fewer for the largest):"
    );
    for copies in [22, 89, 433] {
        let path = scratch.join(format!("copies{copies}.rs"));
        std::fs::write(&path, renamed_copies(&text, copies)).unwrap();
        let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let runs = if copies > 100 { runs.min(5) } else { runs };
        row(
            tool,
            bare,
            &format!("{copies} copies ({size:.1} MB)"),
            &path,
            runs,
        );
    }
}

/// With SVIX_REPO: today's message.rs, 10, 40 and 200 renamed copies of it in one file, and 20
/// copies of `server/` as one folder. Nothing of svix's is kept: it lives in the scratch folder.
fn svix_inputs(tool: &Path, bare: &Path, svix: &Path, scratch: &Path, runs: usize) {
    let path = "server/svix-server/src/v1/endpoints/message.rs";
    let Some(text) = git_show(svix, &format!("HEAD:{path}")) else {
        println!("SVIX_REPO: cannot read {path}");
        return;
    };
    println!("svix-webhooks (SVIX_REPO), median of {runs} runs (fewer for the largest):");
    for copies in [1, 10, 40, 200] {
        let file = scratch.join(format!("svix{copies}.rs"));
        let made = if copies == 1 {
            text.clone()
        } else {
            renamed_copies(&text, copies)
        };
        std::fs::write(&file, made).unwrap();
        let size = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;
        let runs = if copies > 40 { runs.min(5) } else { runs };
        let name = if copies == 1 {
            "message.rs".to_owned()
        } else {
            format!("{copies} copies of message.rs ({size:.1} MB)")
        };
        row(tool, bare, &name, &file, runs);
    }
    // 20 copies of server/, each under its own folder, read as one crate folder.
    let server = scratch.join("server-once");
    std::fs::create_dir_all(&server).unwrap();
    let archive = Command::new("git")
        .arg("-C")
        .arg(svix)
        .args(["archive", "--format=tar", "HEAD", "server"])
        .output();
    let Ok(archive) = archive else {
        println!("SVIX_REPO: no git to export server/");
        return;
    };
    let mut untar = Command::new("tar")
        .args(["-x", "-C"])
        .arg(&server)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(untar.stdin.as_mut().unwrap(), &archive.stdout).unwrap();
    untar.wait().unwrap();
    let copies = scratch.join("server-20");
    for i in 0..20 {
        copy_dir(&server.join("server"), &copies.join(format!("copy{i}")));
    }
    let files = walkdir::WalkDir::new(&copies)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .count();
    let copies_dir = copies.join("copy0").join("svix-server");
    // The crate is the first copy's svix-server with the other 19 copies of server/ inside it.
    for i in 1..20 {
        let from = copies.join(format!("copy{i}"));
        let to = copies_dir.join("src").join(format!("copy{i}"));
        std::fs::rename(&from, &to).unwrap();
    }
    row(
        tool,
        bare,
        &format!("20 copies of server/ ({files} .rs files)"),
        &copies_dir,
        runs,
    );
}

fn git_show(repo: &Path, what: &str) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["show", what])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
