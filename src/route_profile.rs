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
                "Add the handler for {operation} on {route}; clients are waiting on it.".to_owned(),
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
    let mechanism = |word: &str, signs: &[&str]| Mechanism {
        word: word.to_owned(),
        signs: signs.iter().map(|s| s.to_string()).collect(),
    };
    ProfileFile {
        name,
        description: format!("{operation}: {upper} {path} ({shown})"),
        system_prompt: format!(
            "You are the Svix Maintainer AI, an expert in the internal svix-server Rust \
             architecture, specializing in {operation} endpoint operations with Axum and aide."
        ),
        inputs: Inputs {
            files: vec![shown.clone()],
            crates: Vec::new(),
            focus: format!("**/{shown}"),
        },
        roots: vec![RootRule {
            method: method.to_owned(),
            last_segment: last_segment.to_owned(),
        }],
        vocabulary,
        mechanisms: vec![
            mechanism("queue", &["queue"]),
            mechanism("cache", &["cache"]),
            mechanism("transaction", &["transaction", "txn", "begin"]),
        ],
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
