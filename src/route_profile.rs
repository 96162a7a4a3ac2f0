//! Profiles made from routes: one per (HTTP method, last path segment) that a file's router
//! registers, so that every route of a file or a crate can be run through the pipeline. The
//! route sweep (tests/sweep.rs, and scripts/route-sweep.sh through
//! examples/route_profiles.rs) is built on it. The vocabulary comes from the path: plain words,
//! grammatical, not tuned to what the operation means.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::extract::select::{self, Route};
use crate::extract::source::SourceFile;
use crate::extract::tree::{self, ProgressHook, TreeOptions};
use crate::profile::{HistoryRules, Inputs, Mechanism, ProfileFile, RootRule};

/// One route's profile, with where the route was found.
#[derive(Debug, Clone)]
pub struct RouteProfile {
    /// The file whose router registers the route: relative to the folder walked, or the file
    /// itself when a file was given.
    pub file: PathBuf,
    /// Lowercase, as the router names it (`post`).
    pub method: String,
    /// The path's last non-empty segment, as written (`msg`, `{msg_id}`, `:msg_id`).
    pub last_segment: String,
    /// The first path registered for it in the file, its nested prefix included.
    pub path: String,
    /// Whether every handler registered for it is defined in another module (named through
    /// it, `crud::create_endpoint`, or imported by a `use`): single-file mode cannot find it,
    /// crate mode follows it.
    pub handler_elsewhere: bool,
    pub profile: ProfileFile,
}

impl RouteProfile {
    /// The profile as TOML, loadable with `--profile`.
    pub fn to_toml(&self) -> String {
        // A ProfileFile holds only strings, lists and tables: it always serializes.
        toml::to_string(&self.profile).unwrap_or_default()
    }
}

/// The routes a file's routers register, test code left out, and the names of the functions
/// the file defines at its top level (where single-file mode looks for handlers).
pub fn routes_of_file(path: &Path) -> anyhow::Result<(Vec<Route>, BTreeSet<String>)> {
    let source = SourceFile::read(path)?;
    let parsed = source.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(routes_in(&parsed))
}

fn routes_in(file: &syn::File) -> (Vec<Route>, BTreeSet<String>) {
    let defined = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Fn(f) if !select::is_test_item(&f.attrs) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    (select::find_routes_in(file), defined)
}

/// A profile for each distinct (method, last segment) of each file's routes: `root` is one
/// `.rs` file, or a folder walked as crate mode walks one (target/, tests/… left out). In
/// order of file, then of first registration. A route whose path has no segment (`/`) can be
/// no profile's root, and is left out.
pub fn route_profiles(root: &Path) -> anyhow::Result<Vec<RouteProfile>> {
    let files = if root.is_dir() {
        let options = TreeOptions {
            focus: String::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            depth: 0,
            progress: ProgressHook::default(),
        };
        tree::walk(root, &options)?
    } else {
        vec![root.to_path_buf()]
    };
    let mut out = Vec::new();
    for path in files {
        let relative = match path.strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => PathBuf::from(path.file_name().unwrap_or(path.as_os_str())),
        };
        let (routes, defined) =
            routes_of_file(&path).with_context(|| format!("reading {}", path.display()))?;
        out.extend(profiles_of_routes(&relative, &routes, &defined));
    }
    Ok(out)
}

/// One profile per distinct (method, last segment) of `routes`, found in `file`, which
/// defines the functions `defined`.
pub fn profiles_of_routes(
    file: &Path,
    routes: &[Route],
    defined: &BTreeSet<String>,
) -> Vec<RouteProfile> {
    let mut groups: Vec<((String, String), Vec<&Route>)> = Vec::new();
    for route in routes {
        let path = route.path();
        let Some(last) = path.split('/').rfind(|s| !s.is_empty()) else {
            continue;
        };
        let key = (route.method.to_lowercase(), last.to_owned());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(route),
            None => groups.push((key, vec![route])),
        }
    }
    groups
        .into_iter()
        .map(|((method, last_segment), group)| {
            let path = group[0].path();
            let noun = method_noun(&method, &path, routes);
            let profile = profile_for(file, &method, &last_segment, &path, noun);
            RouteProfile {
                file: file.to_path_buf(),
                handler_elsewhere: group
                    .iter()
                    .all(|r| r.handler_is_foreign() || !defined.contains(&r.handler)),
                method,
                last_segment,
                path,
                profile,
            }
        })
        .collect()
}

/// Whether a path segment is a parameter (`{id}`, `:id`, `*rest`) rather than a literal.
fn is_parameter(segment: &str) -> bool {
    segment.starts_with(['{', ':', '*'])
}

/// The noun a path names: its last literal segment, or failing that its last parameter's name
/// without `_id`; words split on `-` and `_`.
fn resource_words(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let raw = match segments.iter().rfind(|s| !is_parameter(s)) {
        Some(literal) => literal.to_string(),
        None => {
            let param = segments
                .last()
                .map(|s| s.trim_matches(|c| matches!(c, '{' | '}' | ':' | '*')))
                .unwrap_or_default();
            param.strip_suffix("_id").unwrap_or(param).to_owned()
        }
    };
    let words: Vec<String> = raw
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        "resource".to_owned()
    } else {
        words.join(" ")
    }
}

fn plural(noun: &str) -> String {
    if noun.ends_with("ss") || noun.ends_with("us") || noun.ends_with(['x', 'z']) {
        format!("{noun}es")
    } else if noun.ends_with('s') {
        noun.to_owned()
    } else if noun.ends_with("ch") || noun.ends_with("sh") {
        format!("{noun}es")
    } else if let Some(stem) = noun.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    }
}

fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// What a method does on `path`, as a noun after the resource (`endpoint creation`), or None
/// where the path's own words already name the action (`resend`). A POST creates only on a
/// collection, a path ending in a literal that the file also lists with a GET (`/app/{app_id}/msg`);
/// a POST elsewhere (`…/{endpoint_id}/resend`, `/auth/dashboard-access/{app_id}`) is the
/// action its words name. A GET retrieves (one item or a list: the path cannot tell a list
/// from a singleton such as `…/secret`).
fn method_noun(method: &str, path: &str, routes: &[Route]) -> Option<&'static str> {
    let last = path.split('/').rfind(|s| !s.is_empty()).unwrap_or_default();
    let on_collection = !is_parameter(last);
    let listed = routes.iter().any(|r| r.method == "get" && r.path() == path);
    match method {
        "post" if on_collection && listed => Some("creation"),
        "post" => None,
        "get" => Some("retrieval"),
        "put" | "patch" => Some("update"),
        "delete" => Some("deletion"),
        _ => Some("handling"),
    }
}

/// `v1/endpoints/endpoint/mod.rs` → `v1-endpoints-endpoint-mod`: lowercase letters, digits and
/// single dashes.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A route as `--route` and `--all-routes` name it: what a profile is derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRoute<'a> {
    /// Any case: `POST`.
    pub method: &'a str,
    /// The full path, as the route table prints it: `/api/v1/app/{app_id}/msg`.
    pub path: &'a str,
    /// The aide operation id, when the route has one: `v1.message.create`.
    pub operation_id: Option<&'a str>,
    /// The handler as the route table prints it: `attempt::list_messageattempts`.
    pub handler: &'a str,
    /// The file that defines the handler, relative to the crate folder (`/`-separated).
    pub handler_file: &'a str,
    /// The file whose router registers the route, relative to the crate folder.
    pub router_file: &'a str,
}

impl NamedRoute<'_> {
    /// The name its profile and its dataset take: the operation id, or
    /// `post-api-v1-app-app-id-msg` for a route without one.
    pub fn name(&self) -> String {
        match self.operation_id {
            Some(id) => id.to_owned(),
            None => format!("{}-{}", self.method.to_lowercase(), slug(self.path)),
        }
    }
}

/// The words of an operation id's last part, by which a CRUD verb becomes the noun the built-in
/// profiles use (`create` → `creation`).
fn operation_words(
    resource: &str,
    method: &str,
    path: &str,
    operation_id: Option<&str>,
    handler: &str,
) -> String {
    let Some(action) = operation_id.and_then(|id| id.rsplit('.').next()) else {
        // A GET whose handler says it lists (`list_messageattempts`) is a listing, whatever
        // its path ends in.
        let handler = handler.rsplit("::").next().unwrap_or(handler);
        let listed = handler.strip_prefix("list_");
        if method == "get" && (handler == "list" || listed.is_some()) {
            // `list_attempts_by_msg` names what it lists itself: the attempt listing by
            // message, whatever the path's last word (`msg`). One word (`messageattempts`)
            // says no more than the path.
            return match listed {
                Some(listed) if listed.contains('_') => listing_from_handler(listed),
                _ => format!("{resource} listing"),
            };
        }
        return match method_noun(method, path, &[]) {
            Some(noun) => format!("{resource} {noun}"),
            None => resource.to_owned(),
        };
    };
    let mut words: Vec<&str> = action
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| if w == "msg" { "message" } else { w })
        .collect();
    // `list-by-msg-deprecated`: the deprecated message attempt listing by message.
    if words.len() > 1 && words.last() == Some(&"deprecated") {
        words.pop();
        let phrase = operation_words(resource, method, path, Some(&words.join("-")), handler);
        return format!("deprecated {phrase}");
    }
    let Some((verb, rest)) = words.split_first() else {
        return resource.to_owned();
    };
    let Some(noun) = action_noun(verb) else {
        return format!("{resource} {}", words.join(" "));
    };
    match rest {
        [] => format!("{resource} {noun}"),
        // `list-by-endpoint`: the message attempt listing by endpoint.
        ["by", ..] => format!("{resource} {noun} {}", rest.join(" ")),
        // `list-attempted-messages`: what is listed names itself (attempted message listing).
        _ if *verb == "list" => {
            let mut object: Vec<String> = rest.iter().map(|w| w.to_string()).collect();
            if let Some(last) = object.last_mut()
                && let Some(one) = last.strip_suffix('s')
                && !one.ends_with('s')
            {
                *last = one.to_owned();
            }
            format!("{} {noun}", object.join(" "))
        }
        // `rotate-secret`: endpoint secret rotation.
        _ => format!("{resource} {} {noun}", rest.join(" ")),
    }
}

/// The listing a `list_…` handler's name says (`attempts_by_msg` → `attempt listing by
/// message`): what is listed, made singular, then what it is listed by.
fn listing_from_handler(listed: &str) -> String {
    let words: Vec<&str> = listed
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| if w == "msg" { "message" } else { w })
        .collect();
    let by = words.iter().position(|w| *w == "by").unwrap_or(words.len());
    let mut object: Vec<String> = words[..by].iter().map(|w| w.to_string()).collect();
    if let Some(last) = object.last_mut()
        && let Some(one) = last.strip_suffix('s')
        && !one.ends_with('s')
    {
        *last = one.to_owned();
    }
    let mut phrase = format!("{} listing", object.join(" "));
    if by < words.len() {
        phrase = format!("{phrase} {}", words[by..].join(" "));
    }
    phrase
}

/// The noun of an operation id's verb (`rotate` → `rotation`), for the verbs svix-server's ids
/// use; None for a word that is no verb of these.
fn action_noun(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "create" => "creation",
        "get" => "retrieval",
        "list" => "listing",
        "update" => "update",
        "patch" => "patch",
        "delete" => "deletion",
        "rotate" => "rotation",
        "recover" => "recovery",
        "send" => "sending",
        "resend" => "resend",
        "expunge" => "expunging",
        "redrive" => "redrive",
        _ => return None,
    })
}

/// The resource an operation id without dots names when it is a verb and a noun written as a
/// function name (`patch_event_type`: `event type`); None for any other id.
fn fn_name_resource(id: &str) -> Option<String> {
    if id.contains('.') {
        return None;
    }
    let words: Vec<&str> = id.split(['-', '_']).filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [verb, rest @ ..]
            if !rest.is_empty()
                && ["create", "get", "list", "update", "patch", "delete"].contains(verb) =>
        {
            Some(rest.join(" "))
        }
        _ => None,
    }
}

/// The profile of one route, in the built-in profiles' form: the root is the route's whole
/// path; the vocabulary comes from the operation id's middle part (`message-attempt`) or the
/// path's last literal segment, and the operation from the id's last part or the method; the
/// inputs are the handler's file alone and, for crate mode, the router's file as the focus.
pub fn derived(route: &NamedRoute) -> ProfileFile {
    let method = route.method.to_lowercase();
    let resource = match route
        .operation_id
        .map(|id| id.split('.').collect::<Vec<_>>())
    {
        Some(parts) if parts.len() >= 3 => parts[parts.len() - 2]
            .split(['-', '_'])
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        _ => route
            .operation_id
            .and_then(fn_name_resource)
            .unwrap_or_else(|| resource_words(route.path)),
    };
    // An id spelled as a function name (`patch_event_type`) has said its resource already: the
    // operation is its verb alone, not the verb and the resource again.
    let verb_id = route
        .operation_id
        .filter(|id| fn_name_resource(id).is_some())
        .and_then(|id| id.split(['-', '_']).next());
    let operation = operation_words(
        &resource,
        &method,
        route.path,
        // An id that is neither dotted nor a verb and a noun (`logout_api_v1_auth_logout__post`,
        // a generated one) says nothing the path does not: the path and method name it.
        verb_id.or(route.operation_id.filter(|id| id.contains('.'))),
        route.handler,
    );
    let mut profile = profile_for(
        Path::new(route.handler_file),
        &method,
        route
            .path
            .split('/')
            .rfind(|s| !s.is_empty())
            .unwrap_or_default(),
        route.path,
        None,
    );
    profile.name = route.name();
    profile.description = format!(
        "{operation}: {} {} ({})",
        method.to_uppercase(),
        route.path,
        route.handler_file
    );
    profile.system_prompt = system_prompt(&operation);
    profile.inputs.focus = format!("**/{}", route.router_file);
    profile.roots = vec![RootRule {
        method: method.clone(),
        last_segment: String::new(),
        path: Some(route.path.to_owned()),
    }];
    profile.vocabulary = BTreeMap::from([
        ("resource".to_owned(), resource.clone()),
        ("resources".to_owned(), plural(&resource)),
        ("a_resource".to_owned(), with_article(&resource)),
        ("operation".to_owned(), operation),
    ]);
    profile
}

const PROMPT_HEAD: &str = "You are the Svix Maintainer AI, an expert in the internal svix-server \
                           Rust architecture, specializing in ";
const PROMPT_TAIL: &str = " endpoint operations with Axum and aide.";

/// A derived profile's system prompt, in the built-in profiles' form.
pub fn system_prompt(operation: &str) -> String {
    format!("{PROMPT_HEAD}{operation}{PROMPT_TAIL}")
}

/// The operation a system prompt in the derived profiles' form names (`event type update`).
pub fn operation_of(system_prompt: &str) -> Option<&str> {
    system_prompt
        .strip_prefix(PROMPT_HEAD)?
        .strip_suffix(PROMPT_TAIL)
        .filter(|operation| !operation.trim().is_empty())
}

/// The mechanism words a derived profile's checker watches, with their signs.
pub fn mechanisms() -> Vec<Mechanism> {
    let mechanism = |word: &str, signs: &[&str]| Mechanism {
        word: word.to_owned(),
        signs: signs.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        mechanism("queue", &["queue"]),
        mechanism("cache", &["cache"]),
        mechanism("transaction", &["transaction", "txn", "begin"]),
    ]
}

fn profile_for(
    file: &Path,
    method: &str,
    last_segment: &str,
    path: &str,
    noun: Option<&str>,
) -> ProfileFile {
    let shown = file.to_string_lossy().replace('\\', "/");
    let stem = shown.strip_suffix(".rs").unwrap_or(&shown);
    let name = format!("{method}-{}-{}", slug(stem), slug(last_segment));
    let resource = resource_words(path);
    let operation = match noun {
        Some(noun) => format!("{resource} {noun}"),
        None => resource.clone(),
    };
    let upper = method.to_uppercase();
    let vocabulary = BTreeMap::from([
        ("resource".to_owned(), resource.clone()),
        ("resources".to_owned(), plural(&resource)),
        ("a_resource".to_owned(), with_article(&resource)),
        ("operation".to_owned(), operation.clone()),
    ]);
    // The shared handler title names POST; other methods say what they are.
    let mut templates = BTreeMap::new();
    if method != "post" {
        templates.insert(
            "title.handler".to_owned(),
            vec![
                format!("{upper} handler for {{route}}"),
                "the {resource} handler behind {route}".to_owned(),
            ],
        );
        templates.insert(
            "ask.handler".to_owned(),
            vec![
                format!("We need the {upper} handler behind {{route}}."),
                "Add the handler for {operation} on {route}.".to_owned(),
            ],
        );
        templates.insert(
            "title.chain".to_owned(),
            vec![
                "end-to-end {operation} behind {route}".to_owned(),
                format!("the full {upper} path for {{route}}"),
            ],
        );
    }
    ProfileFile {
        name,
        description: format!("{operation}: {upper} {path} ({shown})"),
        system_prompt: system_prompt(&operation),
        inputs: Inputs {
            files: vec![shown.clone()],
            crates: Vec::new(),
            focus: format!("**/{shown}"),
        },
        roots: vec![RootRule {
            method: method.to_owned(),
            last_segment: last_segment.to_owned(),
            path: None,
        }],
        vocabulary,
        mechanisms: mechanisms(),
        templates,
        rules: Vec::new(),
        history: HistoryRules::default(),
        llm: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    #[test]
    fn a_route_gives_a_profile_in_the_built_in_form() {
        let route = NamedRoute {
            method: "POST",
            path: "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
            operation_id: Some("v1.message-attempt.resend"),
            handler: "attempt::resend_webhook",
            handler_file: "src/v1/endpoints/attempt.rs",
            router_file: "src/v1/endpoints/attempt.rs",
        };
        let profile = derived(&route);
        assert_eq!(profile.name, "v1.message-attempt.resend");
        assert_eq!(profile.vocabulary["operation"], "message attempt resend");
        assert_eq!(profile.vocabulary["resources"], "message attempts");
        assert_eq!(
            operation_of(&profile.system_prompt),
            Some("message attempt resend")
        );
        assert_eq!(profile.roots[0].describe(), format!("POST {}", route.path));
        let loaded = Profile::from_toml(&toml::to_string(&profile).unwrap(), "derived").unwrap();
        assert!(loaded.is_root_route(
            "post",
            "/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend"
        ));
        assert!(!loaded.is_root_route("post", "/app/{app_id}/msg/{msg_id}/resend"));

        let create = NamedRoute {
            operation_id: Some("v1.event-type.create"),
            path: "/api/v1/event-type",
            ..route.clone()
        };
        assert_eq!(
            derived(&create).vocabulary["operation"],
            "event type creation"
        );
        let bare = NamedRoute {
            method: "GET",
            operation_id: None,
            path: "/api/v1/health/ping",
            ..route
        };
        // An id written as a function name names the resource once, not twice.
        let patch = NamedRoute {
            method: "PATCH",
            operation_id: Some("patch_event_type"),
            path: "/api/v1/event-type/{event_type_name}",
            ..route.clone()
        };
        assert_eq!(derived(&patch).vocabulary["operation"], "event type patch");
        let patch_app = NamedRoute {
            operation_id: Some("patch_application"),
            path: "/api/v1/app/{app_id}",
            ..patch
        };
        assert_eq!(
            derived(&patch_app).vocabulary["operation"],
            "application patch"
        );
        assert_eq!(derived(&patch_app).vocabulary["resource"], "application");
        // Ids with a verb and an object: the object, then the verb's noun.
        for (id, words) in [
            ("v1.endpoint.rotate-secret", "endpoint secret rotation"),
            ("v1.endpoint.send-example", "endpoint example sending"),
            (
                "v1.message-attempt.list-attempted-messages",
                "attempted message listing",
            ),
            (
                "v1.message-attempt.list-by-endpoint",
                "message attempt listing by endpoint",
            ),
            ("v1.admin.redrive-dlq", "admin dlq redrive"),
            (
                "v1.authentication.app-portal-access",
                "authentication app portal access",
            ),
        ] {
            let named = NamedRoute {
                operation_id: Some(id),
                ..route.clone()
            };
            assert_eq!(derived(&named).vocabulary["operation"], words, "{id}");
        }
        let generated = NamedRoute {
            method: "POST",
            operation_id: Some("logout_api_v1_auth_logout__post"),
            path: "/api/v1/auth/logout",
            handler: "utils::api_not_implemented",
            ..route.clone()
        };
        assert_eq!(derived(&generated).vocabulary["operation"], "logout");
        // Without an id, a GET whose handler lists is a listing though its path names a thing.
        let listed = NamedRoute {
            method: "GET",
            operation_id: None,
            path: "/api/v1/app/{app_id}/msg/{msg_id}/attempt",
            handler: "attempt::list_messageattempts",
            ..route.clone()
        };
        assert_eq!(derived(&listed).vocabulary["operation"], "attempt listing");
        // svix-server 0.x: no id, and the path ends in what attempts are listed by.
        let by_message = NamedRoute {
            method: "GET",
            operation_id: None,
            path: "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
            handler: "attempt::list_attempts_by_msg",
            ..route.clone()
        };
        assert_eq!(
            derived(&by_message).vocabulary["operation"],
            "attempt listing by message"
        );
        assert_eq!(bare.name(), "get-api-v1-health-ping");
        assert_eq!(derived(&bare).vocabulary["operation"], "ping retrieval");
    }

    #[test]
    fn a_derived_system_prompt_names_its_operation() {
        let prompt = system_prompt("event type update");
        assert_eq!(
            prompt,
            "You are the Svix Maintainer AI, an expert in the internal svix-server Rust \
             architecture, specializing in event type update endpoint operations with Axum and \
             aide."
        );
        assert_eq!(operation_of(&prompt), Some("event type update"));
        assert_eq!(operation_of(&system_prompt(" ")), None);
        assert_eq!(operation_of("You write Rust."), None);
    }

    #[test]
    fn words_come_from_the_last_literal_segment() {
        assert_eq!(resource_words("/app/{app_id}/event-type/"), "event type");
        assert_eq!(resource_words("/app/:app_id/msg/:msg_id"), "msg");
        assert_eq!(resource_words("/{app_id}"), "app");
        assert_eq!(plural("event type"), "event types");
        assert_eq!(plural("stats"), "stats");
        assert_eq!(plural("policy"), "policies");
        assert_eq!(plural("key"), "keys");
        assert_eq!(plural("status"), "statuses");
        assert_eq!(with_article("endpoint"), "an endpoint");
        assert_eq!(with_article("msg"), "a msg");
    }

    #[test]
    fn one_loadable_profile_per_method_and_last_segment() {
        let file: syn::File = syn::parse_str(
            r#"
            use crate::v1::utils::api_not_implemented;
            async fn create_endpoint() {}
            async fn list_endpoints() {}
            async fn get_endpoint() {}
            pub fn router() -> ApiRouter<AppState> {
                ApiRouter::new()
                    .api_route_with("/app/:app_id/endpoint/", post_with(create_endpoint, op).get_with(list_endpoints, op), t)
                    .api_route_with("/app/:app_id/endpoint/:endpoint_id/", get_with(get_endpoint, op).delete_with(crud::delete_endpoint, op), t)
                    .nest("/app/:app_id/endpoint/:endpoint_id", ApiRouter::new().route("/secret/rotate/", post(api_not_implemented)))
            }
            "#,
        )
        .unwrap();
        let (routes, defined) = routes_in(&file);
        let profiles =
            profiles_of_routes(Path::new("v1/endpoints/endpoint/mod.rs"), &routes, &defined);
        let seen: Vec<(&str, &str, bool)> = profiles
            .iter()
            .map(|p| {
                (
                    p.method.as_str(),
                    p.last_segment.as_str(),
                    p.handler_elsewhere,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("post", "endpoint", false),
                ("get", "endpoint", false),
                ("get", ":endpoint_id", false),
                ("delete", ":endpoint_id", true),
                ("post", "rotate", true),
            ]
        );
        for p in &profiles {
            let loaded = Profile::from_toml(&p.to_toml(), &p.profile.name).unwrap();
            assert!(
                loaded.is_root_route(&p.method, &p.path),
                "{}",
                p.profile.name
            );
        }
        let rotate = &profiles[4].profile;
        assert_eq!(rotate.name, "post-v1-endpoints-endpoint-mod-rotate");
        assert_eq!(rotate.inputs.focus, "**/v1/endpoints/endpoint/mod.rs");
        // A POST on an action creates nothing: the path's words name what it does. Only a
        // POST on a collection the file lists with a GET is a creation.
        assert_eq!(rotate.vocabulary["operation"], "rotate");
        assert_eq!(
            profiles[0].profile.vocabulary["operation"],
            "endpoint creation"
        );
        assert_eq!(
            profiles[1].profile.vocabulary["operation"],
            "endpoint retrieval"
        );
        let get = &profiles[2].profile;
        assert_eq!(get.vocabulary["a_resource"], "an endpoint");
        assert_eq!(get.vocabulary["operation"], "endpoint retrieval");
        assert_eq!(
            profiles[3].profile.vocabulary["operation"],
            "endpoint deletion"
        );
    }
}
