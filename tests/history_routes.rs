//! History over every route, on a repository the test builds itself: a widget module whose two
//! handlers (create, update) share a name check. A commit that changes the check is in the
//! first operation's dataset only (route order) and counted as shared in the other's; a commit
//! that changes one handler is in that handler's operation's dataset only. Every example's code
//! is exact against its commits (`validate --repo` on the folder).

mod support;

use std::path::Path;

use support::cli::{example_commits, ok, read_json, run};
use support::edit;
use support::git::TestRepo;

const CARGO: &str = "server/svix-server/Cargo.toml";
const LIB: &str = "server/svix-server/src/lib.rs";
const V1: &str = "server/svix-server/src/v1/mod.rs";
const ENDPOINTS: &str = "server/svix-server/src/v1/endpoints/mod.rs";
const WIDGET: &str = "server/svix-server/src/v1/endpoints/widget.rs";

const CHECK: &str = r#"/// A widget's name must say something.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(HttpError::bad_request(None, None).into());
    }
    Ok(())
}
"#;

const CREATE: &str = r#"/// Create a widget.
async fn create_widget(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<WidgetIn>,
) -> Result<JsonStatus<201, WidgetOut>> {
    check_name(&data.name)?;
    let widget = widget::ActiveModel::new(data.name).insert(db).await?;
    Ok(JsonStatus(widget.into()))
}
"#;

const UPDATE: &str = r#"/// Update a widget.
async fn update_widget(
    State(AppState { ref db, .. }): State<AppState>,
    Path(widget_id): Path<String>,
    ValidatedJson(data): ValidatedJson<WidgetIn>,
) -> Result<Json<WidgetOut>> {
    check_name(&data.name)?;
    let mut widget: widget::ActiveModel = find_widget(db, &widget_id).await?.into();
    widget.name = Set(data.name);
    let widget = widget.update(db).await?;
    Ok(Json(widget.into()))
}
"#;

const ROUTER: &str = r#"pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route("/widget", post(create_widget))
        .api_route("/widget/{widget_id}", put(update_widget))
}
"#;

fn widget_file(check: &str, update: &str) -> String {
    [
        "use axum::extract::{Path, State};\n\nuse crate::AppState;\n",
        check,
        CREATE,
        update,
        ROUTER,
    ]
    .join("\n")
}

struct Built {
    repo: TestRepo,
    helper: String,
    handler: String,
}

fn build(dir: &Path) -> Built {
    build_at(dir, "server/svix-server/", &[])
}

/// The repository with the crate under `prefix` instead of server/svix-server/, and `more`
/// files in its first commit.
fn build_at(dir: &Path, prefix: &str, more: &[(&str, Option<&str>)]) -> Built {
    let at = |path: &str| path.replacen("server/svix-server/", prefix, 1);
    let (cargo, lib, v1, endpoints) = (at(CARGO), at(LIB), at(V1), at(ENDPOINTS));
    let widget = at(WIDGET);
    let widget = widget.as_str();
    let mut first = vec![
        (cargo.as_str(), Some("[package]\nname = \"svix-server\"\n")),
        (lib.as_str(), Some("pub mod v1;\n\npub struct AppState;\n")),
        (v1.as_str(), Some("pub mod endpoints;\n")),
        (endpoints.as_str(), Some("pub mod widget;\n")),
    ];
    let file = widget_file(CHECK, UPDATE);
    first.push((widget, Some(&file)));
    first.extend_from_slice(more);
    let mut repo = TestRepo::init(dir);
    repo.commit("Add the widget endpoints (#1)", &first);
    let check = edit(
        CHECK,
        "    if name.is_empty() {",
        "    if name.trim().is_empty() || name.len() > 256 {",
    );
    let helper = repo.commit(
        "Reject blank and overlong widget names",
        &[(widget, Some(&widget_file(&check, UPDATE)))],
    );
    let update = edit(
        UPDATE,
        "    widget.name = Set(data.name);\n",
        "    if data.name != widget.name.clone().unwrap() {\n        widget.name = Set(data.name);\n    }\n",
    );
    let handler = repo.commit(
        "Leave an unchanged widget name alone on update",
        &[(widget, Some(&widget_file(&check, &update)))],
    );
    Built {
        repo,
        helper,
        handler,
    }
}

/// `history --all-routes -o OUT` on the built repository: its stderr and the manifest.
fn all_routes(built: &Built, out: &Path) -> (String, serde_json::Value) {
    let repo = built.repo.path().to_str().unwrap();
    let written = ok(run(&[
        "history",
        repo,
        "--all-routes",
        "-o",
        out.to_str().unwrap(),
    ]));
    let stderr = String::from_utf8(written.stderr).unwrap();
    (stderr, read_json(&out.join("manifest.json")))
}

/// The commits each operation's examples come from, in the manifest's (route) order, and the
/// items each counts as shared, with the operation that holds them.
fn commits_and_shared(manifest: &serde_json::Value) -> Vec<(Vec<String>, Vec<String>)> {
    manifest["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| {
            let commits = example_commits(&op["dataset"]);
            let shared = op["shared"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("{} in {}", s["item"].as_str().unwrap(), s["in"]))
                .collect();
            (commits, shared)
        })
        .collect()
}

#[test]
fn a_shared_helper_is_in_the_first_operations_dataset_and_shared_in_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&dir.path().join("work"));
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let out = dir.path().join("h");
    let (stderr, manifest) = all_routes(&built, &out);
    assert!(
        stderr.contains("following server/svix-server/src/v1/endpoints"),
        "{stderr}"
    );
    let names: Vec<&str> = manifest["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["operation"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let found = commits_and_shared(&manifest);
    // The helper's change: in the first operation's dataset only; the handler's: in its own.
    assert_eq!(found[0].0, [built.helper.as_str()]);
    assert_eq!(found[1].0, [built.handler.as_str()]);
    assert!(found[0].1.is_empty(), "{:?}", found[0].1);
    assert_eq!(found[1].1, [format!("check_name in \"{}\"", names[0])]);
    // Each operation's dataset is written with its own profile, derived from its route.
    for (op, name) in manifest["operations"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&names)
    {
        assert_eq!(op["dataset"]["profile"], *name);
        let text = std::fs::read_to_string(out.join(format!("{name}.jsonl"))).unwrap();
        assert_eq!(text.lines().count(), 1, "{name}: {text}");
    }
    assert!(
        std::fs::read_to_string(out.join("README.md"))
            .unwrap()
            .contains(names[1])
    );
    // Every slice is exact against its own commit.
    let report = ok(run(&[
        "validate",
        out.to_str().unwrap(),
        "--repo",
        &repo,
        "--manifest",
        out.join("manifest.json").to_str().unwrap(),
    ]));
    let report = String::from_utf8(report.stdout).unwrap();
    assert_eq!(report.matches("no faults").count(), 2, "{report}");
}

/// `history --route` follows one operation with the profile generation's `--route` gives it:
/// the update route's history holds the helper's change and the handler's, both its own.
#[test]
fn one_route_follows_its_own_operation() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&dir.path().join("work"));
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let manifest = dir.path().join("m.json");
    ok(run(&[
        "history",
        &repo,
        "--route",
        "PUT /widget/{widget_id}",
        "-o",
        dir.path().join("u.jsonl").to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]));
    assert_eq!(
        example_commits(&read_json(&manifest)),
        [built.helper.as_str(), built.handler.as_str()]
    );
}

/// The crate a history follows is the one a run on the repository's work tree reads: a
/// repository whose root is a crate (a `src/` of its own) is followed there, though it also
/// holds a crate under server/svix-server, the built-in profiles' default folder.
#[test]
fn a_repository_that_is_a_crate_is_followed_at_its_root() {
    let dir = tempfile::tempdir().unwrap();
    const OTHER_ROUTER: &str = "pub fn router() -> ApiRouter<AppState> {\n    ApiRouter::new().api_route(\"/gadget\", post(create_gadget))\n}\n\nasync fn create_gadget() {}\n";
    let other = [
        (CARGO, Some("[package]\nname = \"svix-server\"\n")),
        (LIB, Some("pub mod v1;\n\npub struct AppState;\n")),
        (V1, Some("pub mod endpoints;\n")),
        (ENDPOINTS, Some("pub mod gadget;\n")),
        (
            "server/svix-server/src/v1/endpoints/gadget.rs",
            Some(OTHER_ROUTER),
        ),
    ];
    let built = build_at(&dir.path().join("work"), "", &other);
    let (stderr, manifest) = all_routes(&built, &dir.path().join("h"));
    assert!(stderr.contains("following src/v1/endpoints"), "{stderr}");
    let found = commits_and_shared(&manifest);
    assert_eq!(found.len(), 2, "{manifest:#}");
    assert_eq!(found[0].0, [built.helper.as_str()]);
    assert_eq!(found[1].0, [built.handler.as_str()]);
}
