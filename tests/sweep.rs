//! The route sweep: every route of every fixture, as a profile of its own
//! (`svix_distill::route_profile`), run through the binary in single-file and in crate mode.
//! No run may fail with an internal or input error (exit 2), and every dataset written must
//! pass `validate --source` with the profile it was made with. scripts/route-sweep.sh does the
//! same over a svix-webhooks history.

use std::path::{Path, PathBuf};
use std::process::Command;

use svix_distill::dataset::validate;
use svix_distill::extract::source::SourceFile;
use svix_distill::profile::Profile;
use svix_distill::route_profile::{self, RouteProfile};

const BIN: &str = env!("CARGO_BIN_EXE_svix-distill");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One generation run: which profile, on what, and what single-file mode may say instead of
/// writing (a route whose handler is defined in another module has nothing to select there).
struct Run {
    profile: PathBuf,
    input: PathBuf,
    /// What `validate --source` is given: the file, or the crate folder.
    source: PathBuf,
    may_find_it_elsewhere: bool,
    label: String,
}

/// Writes each route's profile into `dir` and plans its runs: single-file on the file with the
/// route; crate mode on `crate_root` (which holds that file, relative to it as `route.file`).
fn plan(routes: Vec<RouteProfile>, dir: &Path, single: &Path, crate_root: &Path) -> Vec<Run> {
    let mut runs = Vec::new();
    for route in routes {
        let profile = dir.join(format!("{}.toml", route.profile.name));
        assert!(!profile.exists(), "{} twice", profile.display());
        std::fs::write(&profile, route.to_toml()).unwrap();
        let label = format!(
            "{} {} {} ({})",
            route.file.display(),
            route.method.to_uppercase(),
            route.path,
            route.profile.name
        );
        runs.push(Run {
            profile: profile.clone(),
            input: single.to_path_buf(),
            source: single.to_path_buf(),
            may_find_it_elsewhere: route.handler_elsewhere,
            label: format!("{label}, single file"),
        });
        runs.push(Run {
            profile,
            input: crate_root.to_path_buf(),
            source: crate_root.to_path_buf(),
            may_find_it_elsewhere: false,
            label: format!("{label}, crate"),
        });
    }
    runs
}

/// Runs one generation and validates what it wrote; a fault, or None when all is well.
fn sweep_one(run: &Run, out: &Path) -> Option<String> {
    let generated = Command::new(BIN)
        .arg("-p")
        .arg(&run.profile)
        .arg(&run.input)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&generated.stderr);
    match generated.status.code() {
        Some(0) => {}
        // Explained: the router names a handler this file does not define.
        Some(1) if run.may_find_it_elsewhere && stderr.contains("defined in another module") => {
            return None;
        }
        code => return Some(format!("{}: exit {code:?}: {stderr}", run.label)),
    }
    let lines = std::fs::read_to_string(out).unwrap_or_default();
    if lines.is_empty() {
        return Some(format!("{}: exit 0 and nothing written", run.label));
    }
    let (profile, sources) = validation_inputs(&run.profile, &run.source);
    let settings = validate::Settings {
        sources: &sources,
        ..validate::Settings::new(profile.system_prompt(), &profile.file.mechanisms)
    };
    let report = validate::validate(&lines, &settings);
    (!report.faults.is_empty()).then(|| {
        let faults: Vec<String> = report
            .faults
            .iter()
            .map(|f| format!("line {}: {}", f.line, f.message))
            .collect();
        format!("{}: validate failed: {}", run.label, faults.join("; "))
    })
}

/// What `validate --source SOURCE -p PROFILE` checks a dataset against, less the token
/// counts (they only warn): run in process, as loading the tokenizer takes a second a run.
fn validation_inputs(profile: &Path, source: &Path) -> (Profile, Vec<validate::Source>) {
    let profile = Profile::load(&profile.display().to_string()).unwrap();
    let sources = svix_distill::extract::source::source_files(source)
        .unwrap()
        .iter()
        .map(|file| validate::Source::new(SourceFile::read(file).unwrap()).unwrap())
        .collect();
    (profile, sources)
}

#[test]
fn every_route_of_every_fixture_generates_and_validates_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    // The single files, each also read as a crate of one file.
    let mut singles: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    singles.sort();
    for file in &singles {
        let name = file.file_name().unwrap();
        let crate_root = dir.path().join("crates").join(name);
        std::fs::create_dir_all(crate_root.join("src")).unwrap();
        std::fs::copy(file, crate_root.join("src").join(name)).unwrap();
        let routes = route_profile::route_profiles(file).unwrap();
        runs.extend(plan(routes, dir.path(), file, &crate_root));
    }
    // The fixture crate: each route single-file on the file with the router, and the crate.
    let crate_root = repo().join("fixtures/crate");
    let routes = route_profile::route_profiles(&crate_root).unwrap();
    for route in routes {
        let file = crate_root.join(&route.file);
        runs.extend(plan(vec![route], dir.path(), &file, &crate_root));
    }
    // Every fixture file with a router, and the crate's imported handler, are in the sweep.
    for must in [
        "application.rs POST /app ",
        "message_2022.rs GET /app/:app_id/msg/:msg_id/ ",
        "src/v1/endpoints/auth.rs POST /auth/logout ",
        "src/v1/endpoints/endpoint/mod.rs POST /app/{app_id}/endpoint ",
    ] {
        assert!(
            runs.iter().any(|r| r.label.starts_with(must)),
            "no route {must}"
        );
    }
    // Two threads: each run is its own process, so the sweep is mostly waiting on them.
    let faults: Vec<String> = std::thread::scope(|scope| {
        let halves: Vec<_> = (0..2)
            .map(|half| {
                let runs = &runs;
                let out = dir.path().join(format!("out-{half}.jsonl"));
                scope.spawn(move || {
                    runs.iter()
                        .skip(half)
                        .step_by(2)
                        .filter_map(|run| sweep_one(run, &out))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(
        faults.is_empty(),
        "{} of {} runs failed:\n{}",
        faults.len(),
        runs.len(),
        faults.join("\n")
    );
}
