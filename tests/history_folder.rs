//! History over a folder, on a repository the test builds itself: the endpoint module is one
//! file, its handler changes, the module is split into `endpoint/mod.rs` and `endpoint/crud.rs`
//! in one commit, and later commits change the moved handler and move a helper on with a change.
//! The handler's past before the split is found, the pure move gives no example (counted), and
//! every example's code is exact against its commits.

mod support;

use std::path::Path;

use support::cli::{example_commits, ok, read_json, readable, run};
use support::edit;
use support::git::TestRepo;

const FOLDER: &str = "server/svix-server/src/v1/endpoints";
const SINGLE: &str = "server/svix-server/src/v1/endpoints/endpoint.rs";
const MOD: &str = "server/svix-server/src/v1/endpoints/endpoint/mod.rs";
const CRUD: &str = "server/svix-server/src/v1/endpoints/endpoint/crud.rs";
const MESSAGE: &str = "server/svix-server/src/v1/endpoints/message.rs";
const ENDPOINTS_MOD: &str = "server/svix-server/src/v1/endpoints/mod.rs";

const TYPES: &str = r#"/// What clients send to add an endpoint to an application.
#[derive(Clone, Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct EndpointIn {
    /// Where deliveries go.
    #[validate(url)]
    pub url: String,
}

/// What the API answers with.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    pub id: String,
    pub url: String,
}
"#;

const INSERT: &str = r#"async fn insert_endpoint(
    db: &DatabaseConnection,
    app: application::Model,
    data: EndpointIn,
) -> Result<endpoint::Model> {
    let txn = db.begin().await?;
    let endp = endpoint::ActiveModel::new(app.id.clone(), data.url)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(endp)
}
"#;

const CHECK_URL: &str = r#"/// Rejects plain-HTTP URLs when the server is configured for HTTPS only.
fn check_endpoint_url(url: &str, https_only: bool) -> Result<()> {
    if https_only && !url.starts_with("https://") {
        return Err(HttpError::unprocessable_entity(vec![ValidationErrorItem {
            loc: vec!["body".to_owned(), "url".to_owned()],
            msg: "Endpoint URL schemes must be https when endpoint_https_only is set.".to_owned(),
            ty: "value_error".to_owned(),
        }])
        .into());
    }
    Ok(())
}
"#;

/// The URL check once moved beside the types, letting a local server use plain HTTP.
const CHECK_URL_MOVED: &str = r#"/// Rejects plain-HTTP URLs when the server is configured for HTTPS only; a server on the
/// same machine may still use plain HTTP.
pub(super) fn check_endpoint_url(url: &str, https_only: bool) -> Result<()> {
    let local = url.starts_with("http://localhost");
    if https_only && !url.starts_with("https://") && !local {
        return Err(HttpError::unprocessable_entity(vec![ValidationErrorItem {
            loc: vec!["body".to_owned(), "url".to_owned()],
            msg: "Endpoint URL schemes must be https when endpoint_https_only is set.".to_owned(),
            ty: "value_error".to_owned(),
        }])
        .into());
    }
    Ok(())
}
"#;

/// The handler before it checks the URL.
const CREATE_V1: &str = r#"/// Create a new endpoint for the application.
async fn create_endpoint(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<EndpointIn>,
) -> Result<JsonStatus<201, EndpointOut>> {
    let endp = insert_endpoint(db, app, data).await?;
    Ok(JsonStatus(endp.into()))
}
"#;

const LIST: &str = r#"/// List the application's endpoints.
async fn list_endpoints(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
) -> Result<Json<Vec<EndpointOut>>> {
    let found = endpoint::Entity::secure_find(app.id).all(db).await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}
"#;

const MESSAGE_V1: &str = r#"use crate::AppState;

/// List the application's messages.
async fn list_messages(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
) -> Result<Json<Vec<MessageOut>>> {
    let found = message::Entity::secure_find(app.id).all(db).await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", get(list_messages))
}
"#;

/// The handler once it checks the URL, as `with_check` writes it.
fn create_checked(check: &str) -> String {
    let create = edit(CREATE_V1, "ref db, .. }", "ref db, ref cfg, .. }");
    edit(
        &create,
        "    let endp = insert_endpoint",
        &format!(
            "    {check}(&data.url, cfg.endpoint_https_only)?;\n    let endp = insert_endpoint"
        ),
    )
}

/// The module as one file: its imports, types, helpers, handlers and router.
fn single_file(helpers: &[&str], create: &str) -> String {
    let mut parts = vec![
        "use axum::extract::State;\nuse sea_orm::TransactionTrait;\nuse serde::{Deserialize, Serialize};\nuse validator::Validate;\n\nuse crate::AppState;\n".to_owned(),
        TYPES.to_owned(),
    ];
    parts.extend(helpers.iter().map(|h| h.to_string()));
    parts.push(create.to_owned());
    parts.push(LIST.to_owned());
    parts.push(
        "pub fn router() -> ApiRouter<AppState> {\n    ApiRouter::new().api_route(\n        \"/app/{app_id}/endpoint\",\n        post(create_endpoint).get(list_endpoints),\n    )\n}\n"
            .to_owned(),
    );
    parts.join("\n")
}

/// The split module's `mod.rs`: the types, what `extra` adds, and the router, which names the
/// handlers of `crud`.
fn split_mod(extra: &[&str]) -> String {
    let mut parts = vec![
        "mod crud;\n\nuse serde::{Deserialize, Serialize};\nuse validator::Validate;\n\nuse crate::AppState;\n".to_owned(),
        TYPES.to_owned(),
    ];
    parts.extend(extra.iter().map(|h| h.to_string()));
    parts.push(
        "pub fn router() -> ApiRouter<AppState> {\n    ApiRouter::new().api_route(\n        \"/app/{app_id}/endpoint\",\n        post(crud::create_endpoint).get(crud::list_endpoints),\n    )\n}\n"
            .to_owned(),
    );
    parts.join("\n")
}

/// The split module's `crud.rs`: the helpers and the handlers, which the parent module routes.
fn split_crud(helpers: &[&str], create: &str) -> String {
    let mut parts = vec![
        "use axum::extract::State;\nuse sea_orm::TransactionTrait;\n\nuse super::{EndpointIn, EndpointOut};\nuse crate::AppState;\n".to_owned(),
    ];
    parts.extend(helpers.iter().map(|h| h.to_string()));
    parts.push(edit(
        create,
        "async fn create_endpoint",
        "pub(super) async fn create_endpoint",
    ));
    parts.push(edit(
        LIST,
        "async fn list_endpoints",
        "pub(super) async fn list_endpoints",
    ));
    parts.join("\n")
}

/// The commits' full ids, for the assertions.
struct Built {
    repo: TestRepo,
    before_split: String,
    split: String,
    after_split: String,
    moved_on: String,
}

fn build(dir: &Path) -> Built {
    let mut repo = TestRepo::init(dir);
    repo.commit(
        "Add the endpoint endpoints (#1)",
        &[
            (ENDPOINTS_MOD, Some("pub mod endpoint;\npub mod message;\n")),
            (SINGLE, Some(&single_file(&[INSERT], CREATE_V1))),
            (MESSAGE, Some(MESSAGE_V1)),
        ],
    );
    let checked = create_checked("check_endpoint_url");
    let before_split = repo.commit(
        "Reject plain-HTTP endpoint URLs when the server requires HTTPS",
        &[(SINGLE, Some(&single_file(&[INSERT, CHECK_URL], &checked)))],
    );
    repo.commit(
        "List messages newest first",
        &[(
            MESSAGE,
            Some(&edit(
                MESSAGE_V1,
                "secure_find(app.id).all(db)",
                "secure_find(app.id).order_by_desc(message::Column::CreatedAt).all(db)",
            )),
        )],
    );
    // A change below the folder that touches no Rust file is no commit of its history.
    repo.commit(
        "Describe the endpoint module",
        &[(
            "server/svix-server/src/v1/endpoints/README.md",
            Some("Endpoints.\n"),
        )],
    );
    let split = repo.commit(
        "Split the endpoint module into smaller submodules (#320)",
        &[
            (SINGLE, None),
            (MOD, Some(&split_mod(&[]))),
            (CRUD, Some(&split_crud(&[CHECK_URL, INSERT], &checked))),
        ],
    );
    let conflict = edit(
        &checked,
        "insert_endpoint(db, app, data).await?",
        "insert_endpoint(db, app, data)\n        .await\n        .map_err(http_error_on_conflict)?",
    );
    let after_split = repo.commit(
        "Return 409 when the endpoint already exists",
        &[(CRUD, Some(&split_crud(&[CHECK_URL, INSERT], &conflict)))],
    );
    let moved_create = edit(
        &conflict,
        "    check_endpoint_url(",
        "    super::check_endpoint_url(",
    );
    let moved_on = repo.commit(
        "Let a local endpoint use plain HTTP, and keep the URL check beside the endpoint types",
        &[
            (MOD, Some(&split_mod(&[CHECK_URL_MOVED]))),
            (CRUD, Some(&split_crud(&[INSERT], &moved_create))),
        ],
    );
    Built {
        repo,
        before_split,
        split,
        after_split,
        moved_on,
    }
}

#[test]
fn a_split_module_keeps_its_past() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&dir.path().join("work"));
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let history = |extra: &[&str]| {
        let args = [
            &[
                "history",
                &repo,
                "-p",
                "endpoint-creation",
                "--path",
                FOLDER,
            ],
            extra,
        ]
        .concat();
        ok(run(&args))
    };
    let list = String::from_utf8(history(&["--list"]).stdout).unwrap();
    insta::assert_snapshot!("history_folder_list", list);

    let data = dir.path().join("h.jsonl");
    let manifest = dir.path().join("h.manifest.json");
    let (data_s, manifest_s) = (data.to_str().unwrap(), manifest.to_str().unwrap());
    let written = history(&[
        "--format",
        "reasoning",
        "-o",
        data_s,
        "--manifest",
        manifest_s,
    ]);
    let stderr = String::from_utf8(written.stderr).unwrap();
    assert!(
        stderr.contains("6 commit(s) changed a .rs file of the folder: 3 kept (4 examples)")
            && stderr.contains("1 moved"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&data).unwrap();
    insta::assert_snapshot!("history_folder_examples", readable(&text));

    let manifest = read_json(&manifest);
    let examples = manifest["examples"].as_array().unwrap();
    let of_commit = |commit: &str| -> Vec<&serde_json::Value> {
        examples.iter().filter(|e| e["commit"] == commit).collect()
    };
    let paths = |slices: &serde_json::Value| -> Vec<String> {
        let mut paths: Vec<String> = slices
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["path"].as_str().unwrap().to_owned())
            .collect();
        paths.dedup();
        paths
    };
    // Before the split: the handler's change in the single file, and the new check.
    let before = of_commit(&built.before_split);
    assert_eq!(before.len(), 2, "{examples:#?}");
    assert_eq!(paths(&before[0]["slices"]), [SINGLE]);
    assert_eq!(paths(&before[0]["request_slices"]), [SINGLE]);
    // The split moved every item unchanged but for its visibility: no example.
    assert!(of_commit(&built.split).is_empty());
    // After it: the moved handler's change, its code before from crud.rs at the split.
    let after = of_commit(&built.after_split);
    assert_eq!(after.len(), 1);
    assert_eq!(paths(&after[0]["slices"]), [CRUD]);
    assert_eq!(paths(&after[0]["request_slices"]), [CRUD]);
    for slice in after[0]["request_slices"].as_array().unwrap() {
        assert_eq!(slice["commit"], built.split.as_str());
    }
    // The check moved on with a change: its code before stands in crud.rs, after in mod.rs,
    // beside the handler's own edit in crud.rs.
    let moved = of_commit(&built.moved_on);
    assert_eq!(moved.len(), 1);
    assert_eq!(paths(&moved[0]["request_slices"]), [CRUD]);
    let after_paths = paths(&moved[0]["slices"]);
    assert!(
        after_paths.contains(&MOD.to_owned()) && after_paths.contains(&CRUD.to_owned()),
        "{after_paths:?}"
    );
    assert!(text.contains("let local = url.starts_with(\\\"http://localhost\\\");"));

    // Every slice, after and before, is exact against its own commit.
    let report = ok(run(&[
        "validate",
        data_s,
        "-p",
        "endpoint-creation",
        "--repo",
        &repo,
        "--manifest",
        manifest_s,
    ]));
    let report = String::from_utf8(report.stdout).unwrap();
    assert!(
        report.contains("4 examples (reasoning), no faults"),
        "{report}"
    );
}

/// The motivation, pinned: crud.rs alone follows the split back into endpoint.rs (as git's
/// rename detection does), but has no router of its own, so its changes after the split give
/// nothing; the folder's history above finds them.
#[test]
fn one_file_of_the_split_finds_nothing_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(dir.path());
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let manifest = dir.path().join("crud.manifest.json");
    let alone = run(&[
        "history",
        &repo,
        "-p",
        "endpoint-creation",
        "--path",
        CRUD,
        "--manifest",
        manifest.to_str().unwrap(),
        "-o",
        dir.path().join("crud.jsonl").to_str().unwrap(),
    ]);
    ok(alone);
    assert_eq!(
        example_commits(&read_json(&manifest)),
        [built.before_split.as_str(); 2]
    );
}

/// The seam a run over every route splits a commit by: each item carries the root handlers
/// that reach it, and a pair splits into one per operation. With listing endpoints a root too,
/// a commit that changes both operations' code is about both, and each part holds only its
/// own items, with their code before.
#[test]
fn a_commit_splits_by_the_operations_that_reach_its_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut built = build(&dir.path().join("work"));
    let crud = std::fs::read_to_string(built.repo.path().join(CRUD)).unwrap();
    let scoped = edit(
        &edit(
            &crud,
            "endpoint::Entity::secure_find(app.id)",
            "endpoint::Entity::secure_find(app.org_id)",
        ),
        "endpoint::ActiveModel::new(app.id.clone(), data.url)",
        "endpoint::ActiveModel::new(app.id.clone(), app.org_id.clone(), data.url)",
    );
    let both = built.repo.commit(
        "Scope endpoint queries to the application's organization",
        &[(CRUD, Some(&scoped))],
    );
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let toml = std::fs::read_to_string(manifest_dir.join("profiles/endpoint-creation.toml"))
        .unwrap()
        .replacen(
            "[[roots]]",
            "[[roots]]\nmethod = \"get\"\nlast_segment = \"endpoint\"\n\n[[roots]]",
            1,
        );
    let profile_path = dir.path().join("endpoints.toml");
    std::fs::write(&profile_path, toml).unwrap();
    let profile = svix_distill::profile::Profile::load(profile_path.to_str().unwrap()).unwrap();
    let repo = svix_distill::history::git::Repo::open(built.repo.path()).unwrap();
    let options = svix_distill::history::HistoryOptions {
        paths: vec![FOLDER.to_owned()],
        since: None,
        until: "HEAD".to_owned(),
        imports: svix_distill::extract::units::Imports::None,
        context_for_writer: false,
    };
    let read = svix_distill::history::folder::read_folder(
        &repo,
        &options,
        &Default::default(),
        &profile.file.roots,
        |file, choice, _| svix_distill::pipeline::summarize_chosen(file, &profile, false, choice),
    )
    .unwrap();
    let both = gix::ObjectId::from_hex(both.as_bytes()).unwrap();
    let commit = read.commits.iter().find(|c| c.id == both).unwrap();
    let (_, pair) =
        svix_distill::history::folder::pair_commit(commit, &read, &profile.file.history, FOLDER);
    let pair = pair.unwrap();
    assert_eq!(pair.operations(), ["create_endpoint", "list_endpoints"]);
    let names = |part: &svix_distill::history::Pair| -> Vec<String> {
        let changed = part.changed.as_ref().unwrap();
        changed.items.iter().map(|p| p.item.name.clone()).collect()
    };
    let listing = pair.for_operation("list_endpoints").unwrap();
    assert_eq!(names(&listing), ["list_endpoints"]);
    let before = &listing.changed.as_ref().unwrap().before_code;
    assert!(
        before.starts_with("/// List the application's endpoints."),
        "{before}"
    );
    assert!(before.contains("secure_find(app.id)") && !before.contains("insert"));
    let creating = pair.for_operation("create_endpoint").unwrap();
    assert_eq!(names(&creating), ["insert_endpoint"]);
    assert!(pair.for_operation("delete_endpoint").is_none());
}

/// A folder as shell completion gives it, ending in `/`, is the same folder: the same
/// examples, their slices naming the same paths.
#[test]
fn a_folder_ending_in_a_slash_is_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let built = build(&dir.path().join("work"));
    let repo = built.repo.path().to_str().unwrap().to_owned();
    let examples = |folder: &str| -> serde_json::Value {
        let manifest = dir.path().join("m.json");
        let data = dir.path().join("d.jsonl");
        let args = [
            "history",
            &repo,
            "-p",
            "endpoint-creation",
            "--path",
            folder,
            "-o",
            data.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ];
        ok(run(&args));
        read_json(&manifest)["examples"].clone()
    };
    let plain = examples(FOLDER);
    assert!(plain.to_string().contains(CRUD));
    assert_eq!(examples(&format!("{FOLDER}/")), plain);
}
