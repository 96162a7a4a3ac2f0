//! Whole-process benchmark of svix-distill against a bare syn parse-and-slice of the same input
//! (examples/bare_parse.rs), on one file and on a generated crate of several hundred files.
//! Prints medians of repeated runs, the ratios, and svix-distill's peak memory. Nothing is
//! asserted: the figures go in the README.
//! History mode runs against `git log --follow -p` on the same file: on a repository of 60
//! commits it builds from the fixture, and on svix-webhooks' message.rs when SVIX_REPO names a
//! checkout (or a bare clone) of it; then over svix-webhooks' endpoints folder (endpoint and
//! message creation), and `--all-routes` over every route's folders, against `git log -p` on
//! the endpoints folder.
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

/// What one run of a command took: wall time, CPU time (user and system, every thread) and
/// peak resident memory in KiB.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
    rss: i64,
}

/// Runs a command to completion.
// The child is reaped by wait4, which also reports its peak memory and CPU time; std's wait
// cannot.
#[allow(clippy::zombie_processes)]
fn measure(program: &Path, args: &[&str]) -> Run {
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
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        wall: start.elapsed(),
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        rss: usage.ru_maxrss,
    }
}

/// The median wall and CPU times of `runs` runs (after one to warm the caches) and the
/// largest peak memory.
fn median(program: &Path, args: &[&str], runs: usize) -> Run {
    measure(program, args);
    summarize((0..runs).map(|_| measure(program, args)).collect())
}

fn summarize(mut runs: Vec<Run>) -> Run {
    let rss = runs.iter().map(|r| r.rss).max().unwrap_or(0);
    runs.sort_by_key(|r| r.wall);
    let wall = runs[runs.len() / 2].wall;
    runs.sort_by_key(|r| r.cpu);
    Run {
        wall,
        cpu: runs[runs.len() / 2].cpu,
        rss,
    }
}

/// The tool and the floor on the same input, their runs taken in turns so that both see the
/// machine alike: medians of each.
fn paired(tool: (&Path, &[&str]), floor: (&Path, &[&str]), runs: usize) -> (Run, Run) {
    measure(tool.0, tool.1);
    measure(floor.0, floor.1);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ours.push(measure(tool.0, tool.1));
        theirs.push(measure(floor.0, floor.1));
    }
    (summarize(ours), summarize(theirs))
}

/// One row of the targets, as measured.
struct Target {
    input: String,
    ours: Run,
    floor: Run,
    /// The most the wall time may be over the floor's, and the most peak memory may be.
    ratio: f64,
    memory_mib: Option<f64>,
}

impl Target {
    fn ratio(&self) -> f64 {
        self.ours.wall.as_secs_f64() / self.floor.wall.as_secs_f64()
    }

    fn met(&self) -> bool {
        self.ratio() <= self.ratio
            && self
                .memory_mib
                .is_none_or(|most| self.ours.rss as f64 / 1024.0 <= most)
    }
}

fn print_targets(targets: &[Target]) {
    println!();
    println!("| input | svix-distill | CPU | peak | floor | floor peak | ratio | target | |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for t in targets {
        let memory = t
            .memory_mib
            .map_or(String::new(), |m| format!(", {m:.0} MiB"));
        println!(
            "| {} | {} | {} | {:.1} MiB | {} | {:.1} MiB | {:.2}x | {:.1}x{memory} | {} |",
            t.input,
            shown(t.ours.wall),
            shown(t.ours.cpu),
            t.ours.rss as f64 / 1024.0,
            shown(t.floor.wall),
            t.floor.rss as f64 / 1024.0,
            t.ratio(),
            t.ratio,
            if t.met() { "met" } else { "not met" },
        );
    }
}

fn shown(time: Duration) -> String {
    let ms = time.as_secs_f64() * 1e3;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1e3)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
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
    let mut targets = Vec::new();

    let file = repo().join("fixtures/message.rs");
    println!("one file, median of {runs} runs:");
    let (ours, floor) = row(&tool, &bare, "fixtures/message.rs", &file, runs);
    targets.push(Target {
        input: "fixtures/message.rs (9 KB)".to_owned(),
        ours,
        floor,
        ratio: 1.5,
        memory_mib: None,
    });

    let tree = scratch.path().join("crate");
    let (files, bytes) = corpus(&tree, 200);
    println!("generated crate, median of {runs} runs:");
    row(
        &tool,
        &bare,
        &format!("{files} files ({:.1} MB)", bytes as f64 / 1e6),
        &tree,
        runs,
    );

    big_files(&tool, &bare, scratch.path(), runs);
    if let Some(svix) = std::env::var_os("SVIX_REPO") {
        svix_inputs(
            &tool,
            &bare,
            Path::new(&svix),
            scratch.path(),
            runs,
            &mut targets,
        );
    }
    history(&tool, scratch.path(), runs);
    print_targets(&targets);

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
        let tree = tree.to_str().unwrap();
        let args = ["scan", "--rule", rule, "--json=stream", tree];
        let grep = median(Path::new(&ast_grep), &args, runs);
        let ours = median(&tool, &[tree, "-q"], runs);
        println!(
            "  ast-grep scan (every function_item) {:>8.2} ms   svix-distill is {:.2}x its time   peak {:.1} MiB",
            grep.wall.as_secs_f64() * 1e3,
            ours.wall.as_secs_f64() / grep.wall.as_secs_f64(),
            grep.rss as f64 / 1024.0
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

/// History mode against `git log --follow -p` on the same file, and over svix-webhooks'
/// endpoints folder against `git log -p` on the folder (git is needed for the floor only;
/// svix-distill reads the repository itself).
fn history(tool: &Path, scratch: &Path, runs: usize) {
    let git = Path::new("git");
    let synthetic = scratch.join("history.git");
    let path = history_corpus(&synthetic, 60);
    let file_args = |repo: &str| -> (Vec<String>, Vec<String>) {
        let ours = ["history", repo, "--path", &path, "-q"];
        let floor = ["-C", repo, "log", "--follow", "-p", "--", &path];
        (strings(&ours), strings(&floor))
    };
    let mut inputs = vec![(
        "generated repository, 60 commits".to_owned(),
        file_args(synthetic.to_str().unwrap()),
    )];
    if let Some(svix) = std::env::var_os("SVIX_REPO") {
        let svix = svix.to_str().unwrap().to_owned();
        inputs.push(("svix-webhooks, message.rs".to_owned(), file_args(&svix)));
        let folder = "server/svix-server/src/v1/endpoints";
        for profile in ["endpoint-creation", "message-creation"] {
            let ours = ["history", &svix, "-p", profile, "--path", folder, "-q"];
            let floor = ["-C", &svix, "log", "-p", "--", folder];
            let name = format!("svix-webhooks, v1/endpoints ({profile})");
            inputs.push((name, (strings(&ours), strings(&floor))));
        }
        // Every route's history (four folders and files, 258 commits) against the one folder
        // issue 21 measures it by.
        let out = scratch.join("all-routes");
        let out = out.to_str().unwrap();
        let ours = ["history", &svix, "--all-routes", "-o", out, "-q"];
        let floor = ["-C", &svix, "log", "-p", "--", folder];
        let name = "svix-webhooks, --all-routes".to_owned();
        inputs.push((name, (strings(&ours), strings(&floor))));
    }
    let has_git = Command::new(git).arg("--version").output().is_ok();
    for (name, (ours, floor)) in inputs {
        let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
        let floor: Vec<&str> = floor.iter().map(String::as_str).collect();
        println!("history of {name}, median of {runs} runs:");
        if !has_git {
            let measured = median(tool, &ours, runs);
            println!(
                "  svix-distill history {:>8.2} ms   (no git binary for the floor)   peak {:.1} MiB",
                measured.wall.as_secs_f64() * 1e3,
                measured.rss as f64 / 1024.0
            );
            continue;
        }
        // Runs in turns, so that both see the machine alike.
        let (measured, floor_run) = paired((tool, &ours), (git, &floor), runs);
        // `log --follow -p` or `log -p`: the floor's command, its paths left out.
        let shown = floor[2..]
            .iter()
            .take_while(|a| **a != "--")
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "  svix-distill history {:>8.2} ms (cpu {:.2} ms)   git {shown} {:>8.2} ms   ratio {:.2}x   peak {:.1} MiB",
            measured.wall.as_secs_f64() * 1e3,
            measured.cpu.as_secs_f64() * 1e3,
            floor_run.wall.as_secs_f64() * 1e3,
            measured.wall.as_secs_f64() / floor_run.wall.as_secs_f64(),
            measured.rss as f64 / 1024.0
        );
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
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

/// A timed row as printed: svix-distill's wall time, CPU and peak memory, the floor's, the ratio.
fn print_row(name: &str, ours: &Run, floor: &Run) {
    println!(
        "  {name:<38} svix-distill {:>9.2} ms (CPU {:>9.2} ms) {:>7.1} MiB   floor {:>9.2} ms {:>7.1} MiB   ratio {:.2}x",
        ours.wall.as_secs_f64() * 1e3,
        ours.cpu.as_secs_f64() * 1e3,
        ours.rss as f64 / 1024.0,
        floor.wall.as_secs_f64() * 1e3,
        floor.rss as f64 / 1024.0,
        ours.wall.as_secs_f64() / floor.wall.as_secs_f64(),
    );
}

/// One timed row: svix-distill against the floor on the same input.
fn row(tool: &Path, bare: &Path, name: &str, input: &Path, runs: usize) -> (Run, Run) {
    let input = input.to_str().unwrap();
    let (ours, floor) = paired((tool, &[input, "-q"]), (bare, &[input]), runs);
    print_row(name, &ours, &floor);
    (ours, floor)
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
fn svix_inputs(
    tool: &Path,
    bare: &Path,
    svix: &Path,
    scratch: &Path,
    runs: usize,
    targets: &mut Vec<Target>,
) {
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
            format!("message.rs ({:.0} KB)", size * 1e3)
        } else {
            format!("{copies} copies of message.rs ({size:.1} MB)")
        };
        let (ours, floor) = row(tool, bare, &name, &file, runs);
        targets.push(Target {
            input: name,
            ours,
            floor,
            ratio: if copies == 1 { 1.5 } else { 2.0 },
            memory_mib: (copies == 200).then_some(64.0),
        });
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
    // Every route of svix-server, one dataset per operation, against one bare parse of it.
    let svix_server = server.join("server").join("svix-server");
    let input = svix_server.to_str().unwrap();
    let out = scratch.join("all-routes");
    let args = [input, "--all-routes", "-o", out.to_str().unwrap(), "-q"];
    let (ours, floor) = paired((tool, &args), (bare, &[input]), runs);
    let name = "svix-server, --all-routes";
    print_row(name, &ours, &floor);
    targets.push(Target {
        input: name.to_owned(),
        ours,
        floor,
        ratio: 2.0,
        memory_mib: Some(64.0),
    });
    // N copies of server/ read as one crate: the first copy's svix-server with the other
    // copies inside its src/. Memory is to stay flat in N.
    for n in [1, 5, 20] {
        let copies = scratch.join(format!("server-{n}"));
        for i in 0..n {
            copy_dir(&server.join("server"), &copies.join(format!("copy{i}")));
        }
        let files = walkdir::WalkDir::new(&copies)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
            .count();
        let crate_dir = copies.join("copy0").join("svix-server");
        for i in 1..n {
            let from = copies.join(format!("copy{i}"));
            let to = crate_dir.join("src").join(format!("copy{i}"));
            std::fs::rename(&from, &to).unwrap();
        }
        let noun = if n == 1 { "copy" } else { "copies" };
        let name = format!("{n} {noun} of server/ ({files} .rs files)");
        let (ours, floor) = row(tool, bare, &name, &crate_dir, runs);
        targets.push(Target {
            input: name,
            ours,
            floor,
            ratio: 1.5,
            memory_mib: Some(24.0),
        });
    }
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
