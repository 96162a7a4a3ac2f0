//! Roles from what an item does (issue 21, item 6): on code no rule was written for, each unit is
//! asked for and explained as what its code shows it does, never as the step of the operation
//! where selection met it. The sources are written for these tests, modelled on the shapes of
//! svix-server's code that the templates used to get wrong: a cache invalidation called a
//! validation, error constructors and an error mapping asked to hold "the work of message
//! creation", a builder of an event payload likewise, a route left out of OpenAPI said to be
//! registered with aide and to read a body it builds itself.

mod support;

use std::path::Path;

use support::grounding::ungrounded;
use svix_distill::dataset::example::Example;
use svix_distill::extract::source::SourceFile;
use svix_distill::extract::tree::TreeOptions;
use svix_distill::pipeline::{Extracted, Options, extract, extract_tree};
use svix_distill::profile::Profile;

fn message() -> Profile {
    Profile::load("message-creation").unwrap()
}

fn options() -> Options {
    Options {
        variants: Some(3),
        ..Default::default()
    }
}

/// A small crate: the message handler's helper reaches, in other files, a cache invalidation,
/// two error constructors and an error mapping of `HttpError`, and an event's builder.
const CRATE: [(&str, &str); 8] = [
    ("src/lib.rs", "pub mod core;\npub mod error;\npub mod v1;\n"),
    (
        "src/core/mod.rs",
        "pub mod events;\npub mod message_app;\n\npub struct Cache;\n",
    ),
    (
        "src/core/message_app.rs",
        r#"use super::Cache;
use crate::error::{Error, Result};

pub struct CreateMessageApp {
    pub app_id: String,
}

impl CreateMessageApp {
    /// Drops the application kept in the cache, if it is there.
    pub async fn invalidate(cache: &Cache, app_id: &str) -> Result<()> {
        let cache_key = AppKey::new(app_id);
        cache.delete(&cache_key).await.map_err(Error::cache)
    }
}
"#,
    ),
    (
        "src/core/events.rs",
        r#"use crate::v1::endpoints::message::MessageIn;

pub struct MessageEvent {
    pub app_id: String,
    pub event_type: String,
}

impl MessageEvent {
    pub fn new(app_id: &str, msg: &MessageIn) -> Self {
        Self {
            app_id: app_id.to_owned(),
            event_type: msg.event_type.clone(),
        }
    }
}
"#,
    ),
    (
        "src/error.rs",
        r#"use hyper::StatusCode;
use sea_orm::DbErr;

pub struct HttpError {
    pub status: StatusCode,
    pub body: HttpErrorBody,
}

pub enum HttpErrorBody {
    Standard(String),
    Validation(Vec<String>),
}

impl HttpError {
    fn standard(status: StatusCode, detail: String) -> Self {
        Self {
            status,
            body: HttpErrorBody::Standard(detail),
        }
    }

    pub fn not_found(detail: Option<String>) -> Self {
        Self::standard(
            StatusCode::NOT_FOUND,
            detail.unwrap_or_else(|| "Entity not found".to_owned()),
        )
    }

    pub fn unprocessable_entity(detail: Vec<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: HttpErrorBody::Validation(detail),
        }
    }
}

/// Turns a database error into the API's error: a unique violation is a conflict.
pub fn http_error_on_conflict(db_err: DbErr) -> Error {
    if is_conflict_err(&db_err) {
        HttpError::conflict(None).into()
    } else {
        Error::database(db_err)
    }
}
"#,
    ),
    ("src/v1/mod.rs", "pub mod endpoints;\n"),
    ("src/v1/endpoints/mod.rs", "pub mod message;\n"),
    (
        "src/v1/endpoints/message.rs",
        r#"use crate::{
    core::{Cache, events::MessageEvent, message_app::CreateMessageApp},
    error::{HttpError, Result, http_error_on_conflict},
};

#[derive(Deserialize, Validate)]
pub struct MessageIn {
    pub event_type: String,
}

/// Creates a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, cache, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageIn>> {
    Ok(Json(create_message_inner(db, &cache, data).await?))
}

pub(crate) async fn create_message_inner(
    db: &DatabaseConnection,
    cache: &Cache,
    data: MessageIn,
) -> Result<MessageIn> {
    if data.event_type.is_empty() {
        return Err(HttpError::unprocessable_entity(Vec::new()).into());
    }
    let msg = message::ActiveModel::new(&data)
        .insert(db)
        .await
        .map_err(http_error_on_conflict)?;
    let app = application::Entity::find_by_id(msg.app_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None))?;
    CreateMessageApp::invalidate(cache, &app.id).await?;
    let _event = MessageEvent::new(&app.id, &data);
    Ok(data)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#,
    ),
];

fn crate_examples() -> Extracted {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in CRATE {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let profile = message();
    let tree = TreeOptions::for_focus(&profile.file.inputs.focus);
    let generated = extract_tree(dir.path(), &tree, &profile, &options()).unwrap();
    assert!(generated.dropped.is_empty(), "{:#?}", generated.dropped);
    for example in &generated.examples {
        let file =
            std::fs::read_to_string(dir.path().join(&example.slices[0].path)).unwrap_or_default();
        let faults = ungrounded(&example.request, &example.reasoning, &example.code, &file);
        assert!(faults.is_empty(), "{}: {faults:?}", example.unit);
    }
    generated
}

/// Eight examples of each unit of a message file, under the message-creation profile, with
/// `roots` added to the routed handlers.
fn message_file(text: &str, roots: &[&str]) -> Extracted {
    let source = SourceFile::from_text(Path::new("message.rs"), text.to_owned());
    let options = Options {
        variants: Some(8),
        roots: roots
            .iter()
            .map(|r| {
                (
                    r.to_string(),
                    svix_distill::extract::select::Reason::RootFlag,
                )
            })
            .collect(),
        ..Default::default()
    };
    extract(&source, &message(), &options).unwrap()
}

/// The examples of the unit `key`, at least one.
fn of<'e>(generated: &'e Extracted, key: &str) -> Vec<&'e Example> {
    let found: Vec<&Example> = generated
        .examples
        .iter()
        .filter(|e| e.unit == key)
        .collect();
    let keys: Vec<&str> = generated.examples.iter().map(|e| e.unit.as_str()).collect();
    assert!(!found.is_empty(), "no example of {key} among {keys:?}");
    found
}

/// Fails naming the example and the phrase when any example's request or reasoning holds one of
/// `phrases` (lowercase).
fn says_none(examples: &[&Example], phrases: &[&str]) {
    for example in examples {
        for (what, text) in [
            ("request", &example.request),
            ("reasoning", &example.reasoning),
        ] {
            let lower = text.to_lowercase();
            for phrase in phrases {
                assert!(
                    !lower.contains(phrase),
                    "{} {what} says {phrase:?}:\n{text}",
                    example.unit
                );
            }
        }
    }
}

/// The work of message creation, as the role-by-position text claimed it of any helper.
const THE_WORK: [&str; 4] = [
    "the work of message creation",
    "message creation logic",
    "one step of message creation",
    "one part of the work",
];

/// `CreateMessageApp::invalidate` deletes a cache entry: it used to be a "check" asked to "turn
/// bad combinations into a validation error" and said to check its input and fail early.
#[test]
fn a_cache_invalidation_is_asked_and_explained_as_one() {
    let generated = crate_examples();
    let examples = of(&generated, "item:invalidate");
    for example in &examples {
        assert_eq!(example.kind, "cache_invalidation");
        assert!(
            example.reasoning.contains("`cache_key`"),
            "{}",
            example.reasoning
        );
    }
    says_none(
        &examples,
        &[
            "validation error",
            "bad combinations",
            "fails early",
            "checks its input",
            "guard",
        ],
    );
    says_none(&examples, &THE_WORK);
}

/// Error constructors and an error mapping: asked to hold the operation's work before, and the
/// mapping (which runs after the insert failed) said to check for a duplicate before inserting.
#[test]
fn error_constructors_and_an_error_mapping_are_not_steps_of_the_operation() {
    let generated = crate_examples();
    for key in ["item:not_found", "item:unprocessable_entity"] {
        let examples = of(&generated, key);
        assert!(
            examples.iter().all(|e| e.kind == "error_constructor"),
            "{key}"
        );
        says_none(&examples, &THE_WORK);
        // `HttpErrorBody::Validation` is an enum variant, not an associated function.
        says_none(&examples, &["associated function"]);
    }
    let mapping = of(&generated, "item:http_error_on_conflict");
    assert!(mapping.iter().all(|e| e.kind == "error_mapping"));
    assert!(
        mapping.iter().all(|e| e.request.contains("`DbErr`")),
        "{:?}",
        mapping.iter().map(|e| &e.request).collect::<Vec<_>>()
    );
    says_none(&mapping, &THE_WORK);
    says_none(
        &mapping,
        &[
            "before the database",
            "explicit check",
            "check for a duplicate first",
            "hands over to",
        ],
    );
    assert!(
        mapping.iter().all(|e| e.rules.is_empty()),
        "no rule fits it: {:?}",
        mapping.iter().map(|e| &e.rules).collect::<Vec<_>>()
    );
}

/// `EndpointEvent::new` builds an event's payload: it was asked to hold "the work of endpoint
/// creation". A method cut from its impl keeps its indentation.
#[test]
fn a_builder_says_what_it_builds_from() {
    let generated = crate_examples();
    let examples = of(&generated, "item:new");
    for example in &examples {
        assert_eq!(example.kind, "builder");
        assert!(
            example.reasoning.contains("`app_id`") && example.reasoning.contains("`msg`"),
            "{}",
            example.reasoning
        );
        assert!(
            example.code.contains("\n\n    pub fn new("),
            "{}",
            example.code
        );
    }
    says_none(&examples, &THE_WORK);
}

/// A deprecated route registered with axum's own `route` beside aide's, whose handler builds
/// the body of the handler it calls: the shape of auth.rs's `dashboard_access` and attempt.rs's
/// `list_attempts_for_endpoint`.
const LEGACY: &str = r#"
#[derive(Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    pub event_type: String,
}

/// Deprecated: use the message creation route instead.
async fn legacy_create_message(
    state: State<AppState>,
    path: Path<ApplicationPath>,
    permissions: permissions::Organization,
) -> Result<Json<MessageOut>> {
    create_message(
        state,
        path,
        permissions,
        ValidatedJson(MessageIn {
            event_type: "ping".to_owned(),
        }),
    )
    .await
}

/// Creates a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    let msg = message::ActiveModel::new(org_id, app_id, data).insert(db).await?;
    Ok(Json(msg.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        // axum's own route: left out of the OpenAPI document on purpose
        .route(
            "/app/{app_id}/legacy/msg",
            axum::routing::post(legacy_create_message),
        )
        .api_route_with(
            "/app/{app_id}/msg",
            post_with(create_message, create_message_operation),
            tag,
        )
}
"#;

fn legacy_examples() -> Extracted {
    let source = SourceFile::from_text(Path::new("message.rs"), LEGACY.to_owned());
    let generated = extract(&source, &message(), &options()).unwrap();
    assert!(generated.dropped.is_empty(), "{:#?}", generated.dropped);
    generated
}

#[test]
fn a_route_left_out_of_openapi_says_so_and_is_never_said_to_be_registered_with_aide() {
    let generated = legacy_examples();
    let mut keys = vec!["item:legacy_create_message"];
    keys.extend(
        generated
            .examples
            .iter()
            .filter(|e| e.unit.starts_with("chain:legacy_create_message"))
            .map(|e| e.unit.as_str()),
    );
    assert!(keys.len() > 1, "no chain unit");
    let examples: Vec<&Example> = keys.iter().flat_map(|k| of(&generated, k)).collect();
    assert!(
        examples
            .iter()
            .any(|e| e.request.contains("`axum::routing::post`")
                && e.request.contains("OpenAPI document")),
        "no request says the route is left out of OpenAPI"
    );
    // Only the requests: a chain's reasoning may say, truly, that its callee is registered.
    for example in &examples {
        for phrase in ["v1.message.create", "operation id", "with aide under"] {
            assert!(
                !example.request.contains(phrase),
                "{} asks {phrase:?}:\n{}",
                example.unit,
                example.request
            );
        }
    }
    says_none(
        &handler_only(&examples),
        &["aide_annotate", "openapi description"],
    );
    // The routed handler's own example does say it.
    let routed = of(&generated, "item:create_message");
    assert!(
        routed
            .iter()
            .all(|e| !e.request.contains("OpenAPI document"))
    );
}

#[test]
fn a_handler_that_builds_its_callees_body_is_never_said_to_read_it_from_the_request() {
    let generated = legacy_examples();
    let chain: Vec<&Example> = generated
        .examples
        .iter()
        .filter(|e| e.unit.starts_with("chain:legacy_create_message"))
        .collect();
    let handler = of(&generated, "item:legacy_create_message");
    let examples: Vec<&Example> = chain.iter().chain(&handler).copied().collect();
    for example in &examples {
        assert!(
            example.reasoning.contains("`MessageIn`"),
            "{}: {}",
            example.unit,
            example.reasoning
        );
    }
    says_none(
        &examples,
        &[
            "body into `messagein`",
            "`messagein` json body",
            "json body arrives as `messagein`",
            "turns the json body into",
            "validating json extractor",
            "serde deserializes it",
            "deserializes and validates it",
        ],
    );
}

/// The examples about the legacy handler alone, not its chain.
fn handler_only<'e>(examples: &[&'e Example]) -> Vec<&'e Example> {
    examples
        .iter()
        .filter(|e| e.unit == "item:legacy_create_message")
        .copied()
        .collect()
}

/// A function that returns nothing but shows no failure of its own is not a check.
#[test]
fn a_function_returning_nothing_without_a_failure_of_its_own_is_no_check() {
    let text = r#"
/// Creates a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageIn>> {
    touch_app(db, &data).await?;
    ensure_named(&data)?;
    Ok(Json(data))
}

async fn touch_app(db: &DatabaseConnection, data: &MessageIn) -> Result<()> {
    application::Entity::touch(db, &data.app).await?;
    Ok(())
}

fn ensure_named(data: &MessageIn) -> Result<()> {
    if data.event_type.is_empty() {
        return Err(HttpError::bad_request(None, Some("A message needs its event type".to_owned())).into());
    }
    Ok(())
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;
    let source = SourceFile::from_text(Path::new("message.rs"), text.to_owned());
    let generated = extract(&source, &message(), &options()).unwrap();
    let touch = of(&generated, "item:touch_app");
    assert!(touch.iter().all(|e| e.kind == "helper"));
    says_none(
        &touch,
        &[
            "fails early",
            "guard",
            "validation error",
            "checks its input",
        ],
    );
    let check = of(&generated, "item:ensure_named");
    assert!(check.iter().all(|e| e.kind == "check"));
    assert!(
        check
            .iter()
            .all(|e| e.reasoning.contains("\"A message needs its event type\"")),
        "the check says what it refuses"
    );
}

/// A route its registration hides from the docs (`op.hidden(true)` in aide's transform).
const HIDDEN: &str = r#"
#[derive(Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    pub event_type: String,
}

/// Creates a message, for operators.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    let msg = message::ActiveModel::new(org_id, data).insert(db).await?;
    Ok(Json(msg.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route_with(
        "/app/{app_id}/msg",
        post_with(create_message, create_message_operation),
        move |op: TransformPathItem<'_>| op.tag("Admin".as_ref()).hidden(true),
    )
}
"#;

/// A hidden operation was asked to be "documented in the OpenAPI spec" and to do "what its API
/// docs will promise": it is registered with aide, and its docs are not published.
#[test]
fn a_route_hidden_from_the_docs_is_never_asked_to_be_documented() {
    let source = SourceFile::from_text(Path::new("message.rs"), HIDDEN.to_owned());
    let options = Options {
        variants: Some(6),
        ..Default::default()
    };
    let generated = extract(&source, &message(), &options).unwrap();
    let examples = of(&generated, "item:create_message");
    says_none(
        &examples,
        &[
            "openapi spec",
            "api docs will",
            "api reference",
            "documentation should read",
            "the documented behaviour",
            "promise to clients",
            "openapi description",
            "what documents the operation",
        ],
    );
    assert!(
        examples
            .iter()
            .any(|e| e.request.contains("published API docs")
                || e.request.contains("public API docs")),
        "no request says the operation is hidden"
    );
    // The same handler, routed without `hidden(true)`, is documented.
    let shown = HIDDEN.replace(".hidden(true)", "");
    let source = SourceFile::from_text(Path::new("message.rs"), shown);
    let generated = extract(&source, &message(), &options).unwrap();
    let examples = of(&generated, "item:create_message");
    assert!(
        examples.iter().any(|e| e.request.contains("OpenAPI spec")
            || e.request.contains("API docs will")
            || e.request.contains("API reference")
            || e.request.contains("documentation should read")),
        "the shown route is never asked to be documented"
    );
}

/// A handler with no body that sets columns of its own (a soft delete), and calls an
/// associated function its type only inherits from a trait defined elsewhere beside one the
/// file defines.
const NO_BODY: &str = r#"
#[derive(Clone, Serialize, ModelOut, JsonSchema)]
pub struct MessageOut {
    pub id: String,
}

impl MessageOut {
    fn tagged(id: String) -> Self {
        Self { id }
    }
}

/// Deletes a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
) -> Result<Json<ListResponse<MessageOut>>> {
    let mut app: application::ActiveModel = app.into();
    app.deleted = Set(true);
    app.uid = Set(None);
    app.update(db).await?;
    let _one = MessageOut::tagged(app.id.clone().unwrap());
    Ok(Json(MessageOut::list_response(Vec::new(), None, false)))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

/// A handler without a body was asked to "copy the incoming fields onto the database model";
/// a trait's default method (`list_response` of a derived trait) was said to be defined on a
/// type in this same file.
#[test]
fn no_body_no_incoming_fields_and_no_inherited_method_said_to_be_this_files() {
    let generated = message_file(NO_BODY, &[]);
    let examples = of(&generated, "item:create_message");
    says_none(
        &examples,
        &[
            "incoming fields",
            "from the input",
            "`messageout::list_response`",
        ],
    );
    // The file's own associated function is still said to be.
    assert!(
        examples
            .iter()
            .any(|e| e.reasoning.contains("`MessageOut::tagged`")),
        "the file's own associated function is not named"
    );
    // With a body, the fields set are the input's.
    let with_body = NO_BODY.replace(
        "    permissions::Application { app }: permissions::Application,\n",
        "    permissions::Application { app }: permissions::Application,\n    ValidatedJson(data): ValidatedJson<MessageIn>,\n",
    );
    let generated = message_file(&with_body, &[]);
    let examples = of(&generated, "item:create_message");
    assert!(
        examples
            .iter()
            .any(|e| e.request.contains("incoming fields") || e.request.contains("from the input")),
        "a handler with a body is never asked to fill the model from it"
    );
}

/// Regression: a type reached only from a route kept out of OpenAPI (axum's own `route`) was
/// said to derive `JsonSchema` "for the OpenAPI schema". The derive sentence says what schemars
/// gives, its JSON Schema, and never claims the OpenAPI document.
#[test]
fn a_schema_derive_does_not_claim_the_openapi_document() {
    let generated = legacy_examples();
    let examples: Vec<&Example> = generated.examples.iter().collect();
    assert!(
        examples
            .iter()
            .any(|e| e.reasoning.contains("`JsonSchema`")),
        "no example explains the JsonSchema derive"
    );
    says_none(&examples, &["schemars for the openapi schema"]);
}

/// The shapes behind the second blind fact-check's false sentences, as one message file: a body
/// type that names no message (the send-example body), a response type returned only as the
/// items of a `ListResponse`, a conversion that renames and converts some fields, an empty
/// `Option` of the code's own refused with a message (no record looked up), and a helper the
/// handler calls to write among steps of its own.
const SECOND_CHECK: &str = r#"
#[derive(Deserialize, JsonSchema, Validate)]
#[serde(rename_all = "camelCase")]
pub struct ExampleIn {
    pub event_type: String,
}

#[derive(Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptOut {
    pub url: String,
    pub status: i16,
    pub status_text: String,
    pub endpoint_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<messageattempt::Model> for AttemptOut {
    fn from(model: messageattempt::Model) -> Self {
        Self {
            url: model.url,
            status: model.status,
            status_text: model.status.into(),
            endpoint_id: model.endp_id,
            created_at: model.created_at.into(),
        }
    }
}

async fn store_message(db: &DatabaseConnection, event_type: String) -> Result<message::Model> {
    let msg = message::ActiveModel {
        event_type: Set(event_type),
        ..Default::default()
    };
    Ok(msg.insert(db).await?)
}

#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<ExampleIn>,
) -> Result<Json<ListResponse<AttemptOut>>> {
    let schema = lookup_schema(&data.event_type);
    let example = schema.and_then(|s| s.example());
    let example = example.ok_or_else(|| {
        HttpError::bad_request(
            Some("invalid_scheme".to_owned()),
            Some("Unable to generate an example from the schema".to_owned()),
        )
    })?;
    let stored = store_message(db, example).await?;
    let attempts = messageattempt::Entity::find_by_msg(stored.id).all(db).await?;
    Ok(Json(AttemptOut::list_response(
        attempts.into_iter().map(Into::into).collect(),
        None,
        false,
    )))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

/// Regression for the second blind fact-check: "take the message as an `ExampleIn` JSON body",
/// "the response body of message creation is `AttemptOut`" (a page of them is),
/// "`status_text`, `endpoint_id` … are read from `model`" (computed, renamed), "a missing record
/// is an error: …" (no record was looked up) and "the handler should just unpack the request and
/// call it" (it does more).
#[test]
fn what_the_second_fact_check_found_false_is_said_no_more() {
    let generated = message_file(SECOND_CHECK, &[]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(
        &all,
        &[
            "take the message as",
            "clients send a message as json",
            "the response body of message creation is `attemptout`",
            "`attemptout` is what message creation sends back",
            "a missing record",
            "if nothing is found",
            "when there is nothing to find",
            "record does not exist",
            "should just unpack the request",
            "only has to unpack the request",
            "are read from `model`",
        ],
    );
    // No sentence about copies names a computed, renamed or converted field.
    for example in &all {
        for sentence in example.reasoning.split(". ") {
            if sentence.contains("copied") || sentence.contains("straight from") {
                for field in ["`status_text`", "`endpoint_id`", "`created_at`"] {
                    assert!(
                        !sentence.contains(field),
                        "{field} is said to be copied: {sentence}"
                    );
                }
            }
        }
    }
    // What is true is still said: the copies, the page, the refusal's message, the write step.
    let reasoning: String = all.iter().map(|e| e.reasoning.as_str()).collect();
    let request: String = all.iter().map(|e| e.request.as_str()).collect();
    assert!(
        reasoning.contains("`url` and `status`"),
        "the copied fields are not named:\n{reasoning}"
    );
    assert!(
        of(
            &generated,
            "item:AttemptOut+impl From<messageattempt::Model> for AttemptOut"
        )
        .iter()
        .any(|e| e.reasoning.contains("page") || e.reasoning.contains("item of the list")),
        "a listed response type is not said to be the items of a page"
    );
    assert!(
        request.contains("Unable to generate an example from the schema"),
        "the refusal's message is not asked for"
    );
    assert!(
        of(&generated, "item:store_message")
            .iter()
            .any(|e| e.request.contains("writ")),
        "the write step is not asked for as one"
    );
}

/// The shapes behind the third blind fact-check's false sentences: a handler that always fails
/// (`api_not_implemented`), a refusal nested in another branch (`if https_only { if scheme !=
/// "https" { .. } }`), a row lent out mutably after a column is set (`update_model(&mut row)`),
/// and a `Path` extractor bound to `_`.
const THIRD_CHECK: &str = r#"
async fn check_url(url: &Url, https_only: bool) -> Result<()> {
    if https_only {
        if url.scheme() != "https" {
            return Err(HttpError::unprocessable_entity(None, Some("Only https here".to_owned())).into());
        }
    }
    Ok(())
}

async fn check_scheme(url: &Url, https_only: bool) -> Result<()> {
    if !https_only {
        return Ok(());
    }
    if url.scheme() == "wss" {
        Ok(())
    } else {
        Err(HttpError::unprocessable_entity(None, Some("Only wss here".to_owned())).into())
    }
}

#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    _: Path<ApplicationPath>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    check_url(&data.url, true).await?;
    check_scheme(&data.url, true).await?;
    let mut msg: message::ActiveModel = find(db).await?.into();
    msg.deleted = Set(false);
    data.update_model(&mut msg);
    let msg = msg.update(db).await?;
    Ok(Json(msg.into()))
}

pub async fn not_yet() -> Result<()> {
    Err(HttpError::not_implemented(None, None).into())
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route("/app/{app_id}/msg", post(create_message))
        .api_route("/app/{app_id}/msg/later", post(not_yet))
}
"#;

/// Regression for the third blind fact-check: "Some failures are reported with
/// `HttpError::not_implemented`" of a body with no success path; "Anything but `url.scheme() ==
/// "https"` leads to …" of a check that only runs when `https_only` holds; "`deleted` becomes
/// `false` … the row is saved with its other columns as they were" of a row `update_model`
/// rewrites; "`Path` gives me `ApplicationPath`" of a `_` binding.
#[test]
fn what_the_third_fact_check_found_false_is_said_no_more() {
    let generated = message_file(THIRD_CHECK, &["not_yet"]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(
        &all,
        &[
            "some failures are reported with `httperror::not_implemented`",
            "anything but",
            "unless `url.scheme()",
            "`url.scheme() != \"https\"`",
            "`url.scheme() == \"wss\"`",
            "becomes `false`",
            "the row itself stays",
            "keep the row",
            "`applicationpath`",
        ],
    );
    let reasoning: String = of(&generated, "item:not_yet")
        .iter()
        .map(|e| e.reasoning.as_str())
        .collect();
    assert!(
        reasoning.contains("no success path") || reasoning.contains("Whatever the request"),
        "a body that always fails is not said to:\n{reasoning}"
    );
}

const FOURTH_CHECK: &str = r#"
#[derive(Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    #[serde(default = "default_true")]
    pub with_content: bool,
    pub channels: Option<Vec<String>>,
    pub key: Option<String>,
}

fn default_true() -> bool {
    true
}

#[derive(Serialize, JsonSchema)]
pub struct KeyOut {
    pub key: String,
}

fn make_key(db: &DatabaseConnection) -> Result<KeyOut> {
    Ok(KeyOut { key: "k".to_owned() })
}

fn spawn_recovery(db: DatabaseConnection, queue_tx: TaskQueueProducer, id: MessageId) {}

#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    let msg = message::Entity::secure_find_by_id(app.id, data.id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    let attempts = messageattempt::Entity::secure_find_by_msg(msg.id.clone())
        .all(db)
        .await?;
    let key = if let Some(key) = data.key {
        key
    } else {
        make_key(db)?.key
    };
    let mut row: message::ActiveModel = msg.into();
    row.deleted = Set(true);
    row.uid = Set(None);
    let row = row.update(db).await?;
    let db = db.clone();
    let queue_tx = queue_tx.clone();
    spawn_recovery(db, queue_tx, row.id.clone());
    Ok(Json(row.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

/// Regression for the fourth blind fact-check (svix-server v1.10.0): a key generated only when
/// none was sent said to be generated every time; `secure_find_by_msg` said to keep one tenant
/// from another; `uid = Set(None)` said to be "assigned anew"; a type only a helper returns said
/// to be what the operation sends back; a serde default said to serve every missing field; a
/// binding cloned before the call said to be passed on "so nothing needs cloning".
#[test]
fn what_the_fourth_fact_check_found_false_is_said_no_more() {
    let generated = message_file(FOURTH_CHECK, &[]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(
        &all,
        &[
            "at this point it calls `make_key`",
            "along the way it calls `make_key`",
            "`make_key`, from this file, takes care of one step",
            "one step is `make_key`",
            "`messageattempt::entity` keeps the query inside",
            "assigned anew",
            "what message creation sends back",
            "response body of message creation is `keyout`",
            "when a field is missing",
            "nothing needs cloning",
            "without a clone",
        ],
    );
    for example in &all {
        for sentence in example.reasoning.split(". ") {
            if sentence.contains("secure_find_by_msg") {
                for claim in ["tenant", "organization", "scoped"] {
                    assert!(!sentence.contains(claim), "{sentence}");
                }
            }
        }
    }
    // What is true is still said: the key made on some paths, the cleared uid, the default's
    // field, the tenant scope of the lookup keyed by the application.
    let reasoning: String = all.iter().map(|e| e.reasoning.as_str()).collect();
    for said in [
        "`make_key`",
        "`uid` becomes `None`",
        "`default_true` (returning `bool`) for `with_content`",
    ] {
        assert!(reasoning.contains(said), "{said} is not said:\n{reasoning}");
    }
    assert!(
        [
            "some paths",
            "some of its branches",
            "Depending on the branch"
        ]
        .iter()
        .any(|s| reasoning.contains(s)),
        "the key made on some paths only is not said so:\n{reasoning}"
    );
}

const FIFTH_CHECK: &str = r#"
async fn layered_fetch(db: &DatabaseConnection, app_id: ApplicationId) -> Result<Option<AppOut>> {
    let txn = db.begin().await?;
    let app = application::Entity::secure_find_by_id(app_id, app_id.clone())
        .one(&txn)
        .await?;
    Ok(app.map(Into::into))
}

async fn destination_of(db: &DatabaseConnection, msg_id: MessageId) -> Result<EndpointId> {
    let dest = messagedestination::Entity::secure_find_by_msg(msg_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::database("No associated message with messagedestination"))?;
    Ok(dest.endp_id)
}

#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
) -> Result<NoContent> {
    let _ = layered_fetch(db, app.id.clone()).await?;
    let _ = destination_of(db, app.id.clone().into()).await?;
    let meta = applicationmetadata::ActiveModel::new(app.id.clone(), None);
    let mut row: application::ActiveModel = app.into();
    row.deleted = Set(true);
    row.uid = Set(None);
    row.update(db).await?;
    Ok(NoContent)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

/// Regression for the blind fact-check of svix-server v1.30.0: a transaction that only reads
/// said to make writes atomic; an internal `Error::database` asked for as a message the client
/// reads; an update said to replace only the columns set (a model's `before_save` may set
/// more); `ActiveModel::new` said to start "a fresh row"; a chain called the whole path.
#[test]
fn what_the_fifth_fact_check_found_false_is_said_no_more() {
    let generated = message_file(FIFTH_CHECK, &[]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(
        &all,
        &[
            "one transaction for the writes",
            "writes handed it",
            "writes that go through it",
            "only what",
            "as they were",
            "fresh row",
            "starts the new row",
            "the whole message creation path",
            "end to end",
        ],
    );
    // The reasoning may name the internal error and its logged text; no request asks for it
    // as what a client reads.
    for example in &all {
        assert!(
            !example.request.contains("No associated message"),
            "{}",
            example.request
        );
    }
    let reasoning: String = all.iter().map(|e| e.reasoning.as_str()).collect();
    for said in [
        "`begin`",
        "`uid` becomes `None`",
        "`deleted` becomes `true`",
    ] {
        assert!(reasoning.contains(said), "{said} is not said:\n{reasoning}");
    }
}

const SIXTH_CHECK: &str = r#"
pub async fn not_yet() -> Result<()> {
    Err(HttpError::not_implemented(None, None).into())
}

async fn resend_failed(db: DatabaseConnection, queue_tx: TaskQueueProducer, ids: Vec<MessageId>) -> Result<()> {
    for id in ids {
        queue_tx.send(MessageTask::new_task(id), None).await?;
    }
    Ok(())
}

#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { db, queue_tx, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
) -> Result<NoContent> {
    resend_failed(db, queue_tx, vec![]).await?;
    Ok(NoContent)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route("/app/{app_id}/msg", post(create_message))
        .api_route("/app/{app_id}/msg/later", post(not_yet))
}
"#;

/// Regression for the blind fact-check of svix-server v1.5.0: a stub handler asked for as if
/// the operation had to work ("Logout has to be possible over the API"); a helper that only
/// queues tasks said to be what the operation "writes through".
#[test]
fn what_the_sixth_fact_check_found_false_is_said_no_more() {
    let generated = message_file(SIXTH_CHECK, &["not_yet"]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(&all, &["writes through", "does the writing", "write step"]);
    says_none(
        &of(&generated, "item:not_yet"),
        &[
            "has to be possible",
            "we need a handler",
            "add the handler for",
        ],
    );
    let stub: String = of(&generated, "item:not_yet")
        .iter()
        .map(|e| e.request.as_str())
        .collect();
    assert!(stub.contains("not implemented"), "{stub}");
}

const SEVENTH_CHECK: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedQuery(query): ValidatedQuery<DropQuery>,
) -> Result<(StatusCode, Json<MessageOut>)> {
    let msg = message::Entity::secure_find_by_id(app.id, query.id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    // Hold on to it so that its id stays taken by this message.
    let mut row: message::ActiveModel = msg.into();
    if query.hard {
        row.payload = Set(None);
    } else {
        row.archived = Set(true);
    }
    let row = row.update(db).await?;
    // The content lives in its own table: delete it there.
    messagecontent::Entity::delete_by_id(row.id.clone()).exec(db).await?;
    let sent = queue_tx.send(QueueTask::Probe, None).await.is_ok();
    let status = if sent { StatusCode::OK } else { StatusCode::INTERNAL_SERVER_ERROR };
    Ok((status, Json(row.into())))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

/// Regression for the blind fact-check of svix-server v1.20.0 and v1.40.0: a handler that
/// deletes rows through `Entity::delete_by_id` asked "do not delete the row"; a status chosen
/// between two said to be the response's; a column set in one branch said to be set; a probe
/// sent on the queue said to hand the rest of the work to a worker "out of band".
#[test]
fn what_the_seventh_fact_check_found_false_is_said_no_more() {
    let generated = message_file(SEVENTH_CHECK, &[]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(
        &all,
        &[
            "do not delete the row",
            "keep the row",
            "the response status is `statuscode::ok`",
            "the status is spelled out as",
            "sets the response status explicitly",
            "on success",
            "out of band",
            "for the worker",
            "to a worker",
        ],
    );
    // The column set in one branch is said to be set on some paths only.
    for example in &all {
        for sentence in example.reasoning.split(". ") {
            if sentence.contains("`archived`") && sentence.contains("`true`") {
                assert!(sentence.contains("some"), "{sentence}");
            }
        }
    }
    let reasoning: String = all.iter().map(|e| e.reasoning.as_str()).collect();
    for said in [
        "`messagecontent::Entity::delete_by_id`",
        "\"Hold on to it so that its id stays taken by this message\"",
        "\"The content lives in its own table: delete it there\"",
    ] {
        assert!(reasoning.contains(said), "{said} is not said:\n{reasoning}");
    }
}

const EIGHTH_CHECK: &str = r#"
/// Fetches the messages of an application.
async fn list_messages(
    Extension(ref db): Extension<DatabaseConnection>,
    permissions::Application { app }: permissions::Application,
) -> Result<Json<ListResponse<MessageOut>>> {
    let msgs = message::Entity::secure_find(app.id).all(db).await?;
    Ok(Json(MessageOut::list_response(msgs.into_iter().map(Into::into).collect(), None, false)))
}

pub fn router() -> Router {
    Router::new().route("/app/:app_id/msg/", get(list_messages))
}
"#;

/// Regression for the blind fact-check of svix-server v0.60.0 and v0.80.0: before aide, a
/// handler's doc comment was quoted as what "its API docs will promise"; the API reference
/// text came from elsewhere (a static openapi.json, `openapi_desc(..)`).
#[test]
fn a_doc_comment_is_the_api_docs_only_under_aide() {
    let generated = message_file(EIGHTH_CHECK, &["list_messages"]);
    let handler = of(&generated, "item:list_messages");
    says_none(
        &handler,
        &[
            "api docs",
            "api reference",
            "promise to clients",
            "documented behaviour",
        ],
    );
}

/// The ninth check (v0.55.0, v1.65.0): `dashboard_access` builds `AppPortalAccessIn` itself and hands it to
/// `app_portal_access`, whose body it is; the type, a unit of dashboard access's dataset, was
/// called "the JSON body of dashboard access", which reads no body at all.
const NINTH_CHECK: &str = r#"
#[derive(Deserialize, Serialize, Validate, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppPortalAccessIn {
    #[serde(default)]
    pub feature_flags: Vec<String>,
}

async fn app_portal_access(
    State(AppState { ref db, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    ValidatedJson(data): ValidatedJson<AppPortalAccessIn>,
) -> Result<Json<DashboardAccessOut>> {
    let token = generate_token(db, &app_id, data.feature_flags).await?;
    Ok(Json(DashboardAccessOut { token }))
}

async fn dashboard_access(
    state: State<AppState>,
    path: Path<ApplicationPath>,
) -> Result<Json<DashboardAccessOut>> {
    let data = AppPortalAccessIn {
        feature_flags: Vec::new(),
    };
    app_portal_access(state, path, ValidatedJson(data)).await
}
"#;

#[test]
fn the_body_of_a_handler_the_root_calls_is_not_the_roots_body() {
    let generated = message_file(NINTH_CHECK, &["dashboard_access"]);
    let body = of(&generated, "item:AppPortalAccessIn");
    says_none(
        &body,
        &[
            "json body of",
            "body of message creation",
            "deserialized into",
            "as their json body",
            "json body clients send",
        ],
    );
    // The tenth (v0.75.0, v1.45.1): the callee's parameters are all extractors its caller fills, and its
    // signature was said to take nothing.
    let chain: Vec<&Example> = generated
        .examples
        .iter()
        .filter(|e| e.unit.starts_with("chain:"))
        .collect();
    let keys: Vec<&str> = generated.examples.iter().map(|e| e.unit.as_str()).collect();
    assert!(!chain.is_empty(), "no chain unit among {keys:?}");
    says_none(
        &chain,
        &[
            "`app_portal_access` takes nothing",
            "with no arguments",
            "no parameters",
        ],
    );
    // Read by a root, the same type is its body.
    let generated = message_file(NINTH_CHECK, &["app_portal_access"]);
    let body = of(&generated, "item:AppPortalAccessIn");
    assert!(
        body.iter().any(|e| {
            let text = format!("{}\n{}", e.request, e.reasoning).to_lowercase();
            text.contains("body")
        }),
        "{body:#?}"
    );
}

const ELEVENTH_CHECK: &str = r#"
#[derive(Deserialize, Validate)]
pub struct EventExampleIn {
    pub event_type: String,
}

/// Create a message, or revive an archived one.
pub async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<EventExampleIn>,
) -> Result<JsonStatus<201, MessageOut>> {
    fn only_live(query: Select<message::Entity>) -> Select<message::Entity> {
        query.filter(message::Column::Deleted.eq(false))
    }

    let found = only_live(message::Entity::secure_find(app.id.clone()))
        .one(db)
        .await?;
    let ret = match found {
        Some(msg) => {
            if msg.deleted {
                let mut msg: message::ActiveModel = msg.into();
                msg.deleted = Set(false);
                msg.update(db).await?
            } else {
                return Err(HttpError::conflict(None, None).into());
            }
        }
        None => {
            let msg = message::ActiveModel {
                app_id: Set(app.id.clone()),
                ..data.into()
            };
            msg.insert(db).await?
        }
    };
    resend_failed(db, &app).await?;
    Ok(JsonStatus(ret.into()))
}

async fn resend_failed(db: &DatabaseConnection, app: &application::Model) -> Result<()> {
    let attempts = messageattempt::Entity::secure_find(app.id.clone())
        .all(db)
        .await?;
    for attempt in attempts {
        if attempt.failed {
            tracing::error!("attempt failed");
        }
    }
    Ok(())
}
"#;

/// Regression for the blind fact-checks of svix-server v1.58.0, v1.85.0 and (ten examples)
/// HEAD: the steps of a match arm were summed up as "those steps", taking in a step of the other
/// arm said just before them; a function the handler defines inside its body was said to come
/// "from other modules"; a handler's log call was said to be "in it" right after a sentence
/// about its callee; a body type with no validation rule was asked for "with the rules below";
/// a chain was asked for as "the handler and the functions it calls" where some of its callees
/// are other units'.
#[test]
fn what_the_eleventh_fact_check_found_false_is_said_no_more() {
    let generated = message_file(ELEVENTH_CHECK, &["create_message"]);
    let all: Vec<&Example> = generated.examples.iter().collect();
    says_none(
        &all,
        &[
            "those steps",
            "all of that",
            "`only_live` from other modules",
            "`only_live` and",
            "call in it",
            "the functions it calls",
            "the functions behind it",
            "callees",
        ],
    );
    let body = of(&generated, "item:EventExampleIn");
    says_none(
        &body,
        &[
            "rules below",
            "rules it is validated against",
            "validation rules on",
        ],
    );
    let reasoning: String = all.iter().map(|e| e.reasoning.as_str()).collect();
    assert!(
        reasoning.contains("The last two steps") || reasoning.contains("Those last two steps"),
        "the `None` arm's two steps are not counted:\n{reasoning}"
    );
    // The log call is named with the function that makes it.
    for example in &all {
        for sentence in example.reasoning.split(". ") {
            if sentence.contains("`tracing::error`") {
                assert!(sentence.contains("`resend_failed`"), "{sentence}");
            }
        }
    }
    let chain: Vec<&Example> = all
        .iter()
        .copied()
        .filter(|e| e.unit.starts_with("chain:"))
        .collect();
    let keys: Vec<&str> = all.iter().map(|e| e.unit.as_str()).collect();
    assert!(!chain.is_empty(), "no chain unit among {keys:?}");
    for example in chain {
        assert!(
            example.request.contains("`resend_failed`"),
            "{}",
            example.request
        );
    }
}

const ELEVENTH_CHECK_UPDATE: &str = r#"
/// Rename a message.
pub async fn rename_message(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<MessagePatch>,
) -> Result<Json<MessageOut>> {
    let token = generate_token(app.id.clone())
        .map_err(|_| HttpError::internal_server_error(None, None))?;
    let msg = message::Entity::secure_find(app.id.clone())
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    let mut msg: message::ActiveModel = msg.into();
    msg.token = Set(token);
    let msg = msg.update(db).await.map_err(http_error_on_conflict)?;
    Ok(Json(msg.into()))
}
"#;

/// The rest of the v1.35.0 check: a duplicate "insert" said of a handler that only updates,
/// and the handler's own error said in a sentence opening with "It" right after the sentence
/// about a helper from another module, so that it read as the helper's.
#[test]
fn an_update_is_no_insert_and_it_after_a_callee_is_the_item_by_name() {
    let generated = message_file(ELEVENTH_CHECK_UPDATE, &["rename_message"]);
    let handler = of(&generated, "item:rename_message");
    says_none(&handler, &["insert"]);
    let mut after_callee = 0;
    for example in &handler {
        let sentences: Vec<&str> = example.reasoning.split(". ").collect();
        for pair in sentences.windows(2) {
            if pair[0].contains("`generate_token`") {
                after_callee += 1;
                assert!(!pair[1].starts_with("It "), "{}. {}", pair[0], pair[1]);
            }
        }
    }
    assert!(
        after_callee > 0,
        "no sentence names `generate_token`:\n{handler:#?}"
    );
}
