//! `svix-distill routes` on the fixture crate in fixtures/routes (its README says what it holds):
//! the table and its JSON lines, the crate found from a checkout's root and from its src/, OUT,
//! and the errors: a file that does not parse (exit 2, `path:line:col`), a crate with no route
//! (exit 1), a missing folder, a file, and an OUT that is a file of the crate (exit 2); and
//! `--route`, which runs one route's operation from the table.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::copy_dir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `svix-distill routes ARGS` run in `cwd`.
fn routes_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
        .current_dir(cwd)
        .arg("routes")
        .args(args)
        .output()
        .unwrap()
}

fn routes(args: &[&str]) -> Output {
    routes_in(&repo(), args)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svix-distill"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The fixture crate copied into `dir` at `at`, as a cargo crate (the fixture has no
/// Cargo.toml, so that cargo never mistakes it for a package of this repository).
fn fixture_crate_at(dir: &Path, at: &str) -> PathBuf {
    let root = dir.join(at);
    copy_dir(&repo().join("fixtures/routes"), &root);
    std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"hooks\"\n").unwrap();
    root
}

#[test]
fn the_table_lists_every_route_in_router_order() {
    let run = routes(&["fixtures/routes"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(
        text(&run.stderr),
        "svix-distill: 22 routes (17 through aide, 5 through axum) from 9 routers in 11 files\n"
    );
    insta::assert_snapshot!("routes_table", text(&run.stdout));
}

#[test]
fn json_gives_one_object_per_route_and_line() {
    let run = routes(&["fixtures/routes", "--json", "-q"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(text(&run.stderr), "", "-q keeps the summary off stderr");
    let stdout = text(&run.stdout);
    insta::assert_snapshot!("routes_json", stdout);
    let table = text(&routes(&["fixtures/routes"]).stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // One line per row of the table (its header aside), in the same order.
    assert_eq!(lines.len(), table.lines().count() - 1);
    for (line, row) in lines.iter().zip(table.lines().skip(1)) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(line["method"], cells[0]);
        assert_eq!(line["path"], cells[1]);
        assert_eq!(line["handler"], cells[2]);
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "method",
                "path",
                "handler",
                "file",
                "line",
                "operation_id",
                "via",
                "profile",
                "registered",
                "cfg",
                "routers"
            ]
        );
    }
}

/// At a checkout's root (several crates, the server's among them) and from the crate's src/,
/// the table is the crate's, the same bytes as a run on the crate folder.
#[test]
fn the_crate_is_found_from_a_checkout_root_and_from_its_src() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_crate_at(dir.path(), "server/svix-server");
    let other = dir.path().join("bridge");
    std::fs::create_dir_all(other.join("src")).unwrap();
    std::fs::write(other.join("Cargo.toml"), "[package]\nname = \"bridge\"\n").unwrap();
    std::fs::write(
        other.join("src/lib.rs"),
        "pub fn router() -> Router { Router::new().route(\"/bridge\", get(h)) }\nasync fn h() {}\n",
    )
    .unwrap();
    let expected = routes(&["fixtures/routes"]).stdout;

    let at_root = routes_in(dir.path(), &[]);
    assert_eq!(at_root.status.code(), Some(0), "{}", text(&at_root.stderr));
    assert_eq!(text(&at_root.stdout), text(&expected));
    assert!(
        text(&at_root.stderr).starts_with(
            "svix-distill: 2 crates under . (bridge, server/svix-server): reading \
             server/svix-server (give CRATE to read another)\n"
        ),
        "{}",
        text(&at_root.stderr)
    );
    for (cwd, args) in [
        (dir.path().to_path_buf(), vec!["server/svix-server/src"]),
        (root.join("src"), vec![]),
        (root.join("src"), vec!["."]),
    ] {
        let run = routes_in(&cwd, &args);
        assert_eq!(text(&run.stdout), text(&expected), "{cwd:?} {args:?}");
    }
}

#[test]
fn out_gets_the_table_and_a_crate_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_crate_at(dir.path(), "hooks");
    let out = dir.path().join("routes.txt");
    let run = routes(&[root.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(run.stdout, b"");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        text(&routes(&["fixtures/routes"]).stdout)
    );
    assert!(text(&run.stderr).starts_with("svix-distill: wrote 22 routes"));

    let lib = root.join("src/lib.rs");
    let before = std::fs::read(&lib).unwrap();
    let refused = routes(&[root.to_str().unwrap(), "-o", lib.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("it is the crate source file"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(std::fs::read(&lib).unwrap(), before);
}

/// A file that does not parse may hold routers: no table, exit 2, the place said as rustc
/// says it.
#[test]
fn a_file_that_does_not_parse_stops_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = fixture_crate_at(dir.path(), "hooks");
    std::fs::write(
        root.join("src/v1/broken.rs"),
        "pub fn router() {\n    let x = ;\n}\n",
    )
    .unwrap();
    let run = routes(&[root.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(run.stdout, b"");
    let stderr = text(&run.stderr);
    let first = stderr.lines().next().unwrap();
    let expected = format!(
        "svix-distill: error: {}:2:13: expected an expression",
        root.join("src/v1/broken.rs").display()
    );
    assert_eq!(first, expected, "{stderr}");
    assert!(stderr.contains("2 |     let x = ;"), "{stderr}");
}

#[test]
fn a_crate_with_no_route_says_so_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("quiet");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        "pub fn load() -> Config { Figment::new().merge(Toml::string(\"\")).extract().unwrap() }\n",
    )
    .unwrap();
    let run = routes(&[root.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(run.stdout, b"");
    assert_eq!(
        text(&run.stderr),
        format!(
            "svix-distill: error: no route in {}: none of its 1 .rs file(s) registers one (with \
             route, api_route or api_route_with)\n",
            root.display()
        )
    );
}

#[test]
fn what_is_not_a_crate_folder_is_refused() {
    let missing = routes(&["no/such/crate"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr),
        "svix-distill: error: cannot read no/such/crate: no such folder\n"
    );
    let file = routes(&["fixtures/routes/src/lib.rs"]);
    assert_eq!(file.status.code(), Some(2));
    assert!(
        text(&file.stderr).contains("is not a folder"),
        "{}",
        text(&file.stderr)
    );
}

/// `--route` runs one route's operation: by operation id or method and path (the full path, or
/// the one its file registers), a derived profile where no built-in covers it, the built-in one
/// where one does; `profiles show --route` prints the derived profile to copy.
#[test]
fn a_route_is_enough_to_run() {
    let root = repo().join("fixtures/routes");
    let list = |args: &[&str]| {
        let run = bin().arg(&root).args(args).arg("--list").output().unwrap();
        (
            run.status.code(),
            String::from_utf8(run.stdout).unwrap(),
            String::from_utf8(run.stderr).unwrap(),
        )
    };
    let (code, by_id, _) = list(&["--route", "v1.auth.portal-access"]);
    assert_eq!(code, Some(0));
    assert!(by_id.contains("portal_access"), "{by_id}");
    assert!(!by_id.contains("console_access"), "{by_id}");
    let (_, by_path, _) = list(&["--route", "POST /api/v1/auth/portal-access/{app_id}"]);
    assert_eq!(by_path, by_id);
    let (_, unprefixed, _) = list(&["--route", "post /auth/portal-access/:id"]);
    assert_eq!(unprefixed, by_id);
    // A route kept out of OpenAPI runs too.
    let (code, console, _) = list(&["--route", "POST /auth/console-access/{app_id}"]);
    assert_eq!(code, Some(0));
    assert!(console.contains("console_access"), "{console}");
    // Covered by a built-in profile: that one is used, and said.
    let (code, _, said) = list(&["--route", "v1.message.create"]);
    assert_eq!(code, Some(0));
    assert!(
        said.contains("the built-in profile message-creation covers it"),
        "{said}"
    );
    // Names no route, or several.
    let (code, _, said) = list(&["--route", "v1.nothing"]);
    assert_eq!(code, Some(2));
    assert!(said.contains("no route of"), "{said}");
    let (code, _, said) = list(&["--route", "GET /{app_id}"]);
    assert_eq!(code, Some(2));
    assert!(said.contains("routes of"), "{said}");

    let shown = bin()
        .args([
            "profiles",
            "show",
            "--route",
            "v1.auth.portal-access",
            "--crate",
        ])
        .arg(&root)
        .output()
        .unwrap();
    let toml = String::from_utf8(shown.stdout).unwrap();
    assert!(toml.contains("name = \"v1.auth.portal-access\""), "{toml}");
    assert!(
        toml.contains("path = \"/api/v1/auth/portal-access/{app_id}\""),
        "{toml}"
    );
    // What it prints loads as the profile --route runs with.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("portal.toml");
    std::fs::write(&saved, &toml).unwrap();
    let (code, from_file, _) = list(&["-p", saved.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(from_file, by_id);
}
