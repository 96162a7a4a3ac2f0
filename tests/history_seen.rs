//! A folder's history reads each selected item once per distinct text and set of local names
//! (`SeenItems`): an item whose text stands the same in two versions of a file is seen once.
//! What is seen of it depends on the file's impl methods too (a call `Type::method(..)` is the
//! file's own only where the file defines that method), so two versions that define the same
//! functions and types but not the same methods must not share what was seen of an item.
//! Built here: the handler calls `EndpointOut::from_model`, defined in its file; one commit
//! scopes the handler to the organization and moves `from_model` into `models.rs`, the next
//! takes the scoping back. The handler's text after it is its text in the first commit, in a
//! file with the same functions and types, without the method.

mod support;

use std::path::Path;

use support::cli::{bin, ok};
use support::edit;
use support::git::TestRepo;

const FOLDER: &str = "server/svix-server/src/v1/endpoints";
const MOD: &str = "server/svix-server/src/v1/endpoints/mod.rs";
const ENDPOINT: &str = "server/svix-server/src/v1/endpoints/endpoint.rs";
const MODELS: &str = "server/svix-server/src/v1/endpoints/models.rs";

const HEAD: &str = r#"use axum::extract::State;

use crate::AppState;

/// What the API answers with.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    pub id: String,
    pub url: String,
}
"#;

const FROM_MODEL: &str = r#"impl EndpointOut {
    /// The endpoint as the API shows it.
    pub fn from_model(endp: endpoint::Model) -> Self {
        Self {
            id: endp.id,
            url: endp.url,
        }
    }
}
"#;

const CREATE: &str = r#"/// Create a new endpoint for the application.
async fn create_endpoint(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<EndpointIn>,
) -> Result<JsonStatus<201, EndpointOut>> {
    let endp = endpoint::ActiveModel::new(app.id.clone(), data.url)
        .insert(db)
        .await?;
    Ok(JsonStatus(EndpointOut::from_model(endp)))
}
"#;

const ROUTER: &str = r#"pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/endpoint", post(create_endpoint))
}
"#;

fn endpoint_file(from_model: &str, create: &str) -> String {
    [HEAD, from_model, create, ROUTER]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn build(dir: &Path) {
    let mut repo = TestRepo::init(dir);
    repo.commit(
        "Add the endpoint endpoints (#1)",
        &[
            (MOD, Some("pub mod endpoint;\n")),
            (ENDPOINT, Some(&endpoint_file(FROM_MODEL, CREATE))),
        ],
    );
    let scoped = edit(
        CREATE,
        "new(app.id.clone(), data.url)",
        "new(app.id.clone(), app.org_id.clone(), data.url)",
    );
    repo.commit(
        "Scope new endpoints to the application's organization, and build them in models.rs",
        &[
            (MOD, Some("pub mod endpoint;\npub mod models;\n")),
            (ENDPOINT, Some(&endpoint_file("", &scoped))),
            (
                MODELS,
                Some(&format!(
                    "use super::endpoint::EndpointOut;\n\n{FROM_MODEL}"
                )),
            ),
        ],
    );
    repo.commit(
        "Keep endpoints scoped by application only",
        &[(ENDPOINT, Some(&endpoint_file("", CREATE)))],
    );
}

/// The reasoning of each example `history` writes on the repository `build` made, with
/// `threads` threads reading the versions.
fn reasonings(repo: &Path, out: &Path, threads: &str) -> Vec<String> {
    ok(bin()
        .args([
            "history",
            repo.to_str().unwrap(),
            "-p",
            "endpoint-creation",
            "--path",
            FOLDER,
            "--format",
            "reasoning",
            "-o",
            out.to_str().unwrap(),
        ])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap());
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["messages"][2]["reasoning_content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Regression: the cache keyed the handler by its file's functions and types only, so the last
/// commit's handler (the same text as in the first commit, whose file defined
/// `EndpointOut::from_model`) was given the first commit's facts, and its reasoning said
/// "Part of the work is `EndpointOut::from_model`, an associated function of a type in this
/// file": on every run with one thread, on most with two (whichever version was read first
/// filled the cache).
#[test]
fn a_handler_seen_where_its_callee_was_local_is_read_again_where_it_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("work");
    build(&repo);
    let out = dir.path().join("h.jsonl");
    let first = reasonings(&repo, &out, "1");
    assert_eq!(first.len(), 2, "{first:#?}");
    assert!(first[0].contains("`org_id`"), "{}", first[0]);
    assert!(first[1].contains("`org_id`"), "{}", first[1]);
    for reasoning in &first {
        assert!(!reasoning.contains("from_model"), "{reasoning}");
    }
    for threads in ["2", "1", "2", "2"] {
        assert_eq!(
            reasonings(&repo, &out, threads),
            first,
            "{threads} thread(s)"
        );
    }
}
