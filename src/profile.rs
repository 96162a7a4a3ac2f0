//! The `Profile`: everything that ties the engine to one svix-server operation (its system
//! prompt, default inputs, which routes are roots, its vocabulary, the mechanisms the checker
//! watches and its templates), loaded from TOML and checked whole as it loads. The built-in
//! profiles are embedded; a user's own is a TOML file given by path. Nothing outside this
//! module and `profiles/` names an operation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::dataset::check::Mechanism;
use crate::extract::select;
pub use crate::extract::select::RootRule;
pub use crate::history::{HistoryRules, Mechanical};
use crate::write::llm::prompt::{Prompts, PromptsTable};
use crate::write::template::render::{self, Templates};
use crate::write::template::rules::{self, Rule};

/// The built-in profiles, by name, as their TOML text; the first is the default.
const BUILT_IN: [(&str, &str); 3] = [
    (
        "message-creation",
        include_str!("../profiles/message-creation.toml"),
    ),
    (
        "application-creation",
        include_str!("../profiles/application-creation.toml"),
    ),
    (
        "endpoint-creation",
        include_str!("../profiles/endpoint-creation.toml"),
    ),
];

/// The profile used when `--profile` is not given.
pub const DEFAULT: &str = "message-creation";

/// Where the input is found when none is given.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// Candidate single files, tried in order below the current folder.
    #[serde(default)]
    pub files: Vec<String>,
    /// Candidate crate folders, tried after the files.
    #[serde(default)]
    pub crates: Vec<String>,
    /// In crate mode, the files whose routers are searched for roots (a glob below the crate).
    pub focus: String,
}

impl Inputs {
    /// The crate folders the default inputs name, in order: the crate folders, then the folder
    /// above each default file's `src/` (`server/svix-server` for
    /// `server/svix-server/src/v1/endpoints/message.rs`). A run at a repository root that finds
    /// several crates prefers these.
    pub fn crate_folders(&self) -> Vec<String> {
        let from_files = self
            .files
            .iter()
            .filter_map(|f| f.split_once("/src/").map(|(folder, _)| folder.to_owned()));
        let mut folders: Vec<String> = Vec::new();
        for folder in self.crates.iter().cloned().chain(from_files) {
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
        folders
    }
}

/// A profile as written in TOML.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub name: String,
    pub description: String,
    pub system_prompt: String,
    pub inputs: Inputs,
    pub roots: Vec<RootRule>,
    /// Words the templates use as `{resource}`, `{resources}`, `{a_resource}`, `{operation}`.
    pub vocabulary: BTreeMap<String, String>,
    #[serde(default)]
    pub mechanisms: Vec<Mechanism>,
    /// Template sections this profile words itself, replacing the shared ones: section name →
    /// its variants.
    #[serde(default)]
    pub templates: BTreeMap<String, Vec<String>>,
    /// Reasoning rules of its own: one with a shared rule's id replaces it, others are added.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// How history mode reads this operation's commits.
    #[serde(default)]
    pub history: HistoryRules,
    /// The language-model writer's prompts this profile words itself, laid over the built-in
    /// ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<PromptsTable>,
}

impl ProfileFile {
    /// Whether a route registered for `method` on `path` is one of this profile's roots.
    pub fn is_root_route(&self, method: &str, path: &str) -> bool {
        self.roots.iter().any(|r| r.matches(method, path))
    }
}

/// A loaded profile: its TOML fields and its templates, checked and with the vocabulary filled
/// in.
#[derive(Debug)]
pub struct Profile {
    pub file: ProfileFile,
    pub templates: Templates,
    /// The shared reasoning rules with the profile's own, the vocabulary filled in.
    pub rules: Vec<Rule>,
    /// The language-model writer's prompts: the built-in ones with the profile's `[llm]` table
    /// laid over them, the vocabulary filled in.
    pub llm: Prompts,
}

/// The vocabulary every profile gives, since the shared templates use it.
const VOCABULARY: [&str; 4] = ["resource", "resources", "a_resource", "operation"];

impl Profile {
    /// Parses and checks a profile; `origin` names it in errors. Everything a run would only
    /// find wrong later (a placeholder no one fills, an empty prompt or word, a method no router
    /// registers) is refused here, naming the key and, where toml gives one, its line.
    pub fn from_toml(text: &str, origin: &str) -> anyhow::Result<Profile> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{origin}: not a valid profile: {}",
                e.to_string().trim_end()
            )
        })?;
        let at = Origin { text, origin };
        check_fields(&file, &at)?;
        let templates =
            Templates::new(&file.templates, &file.vocabulary).map_err(|e| match e.own_variant {
                Some((section, index)) => at.refuse(
                    &[
                        Step::Key("templates"),
                        Step::Key(section),
                        Step::Index(index),
                    ],
                    e.message,
                ),
                None => anyhow::anyhow!("{origin}: {}", e.message),
            })?;
        let mut rules = rules::load(&file.rules).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        check_rule_placeholders(&file, &rules, &at)?;
        Templates::fill_vocabulary(
            rules
                .iter_mut()
                .flat_map(|rule| rule.say.iter_mut().chain(rule.ask.iter_mut())),
            &file.vocabulary,
        );
        let llm = Prompts::load(file.llm.as_ref(), &file.vocabulary).map_err(|e| {
            let key: Vec<Step> = std::iter::once("llm")
                .chain(e.key.iter().map(String::as_str))
                .map(Step::Key)
                .collect();
            at.refuse(&key, e.message)
        })?;
        Ok(Profile {
            file,
            templates,
            rules,
            llm,
        })
    }

    /// A built-in profile by name, or a TOML file by path (anything with a `/` or ending in
    /// `.toml`).
    pub fn load(name_or_path: &str) -> anyhow::Result<Profile> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Profile::from_toml(text, &format!("built-in profile {name}"));
        }
        let looks_like_path = name_or_path.contains(['/', '\\']) || name_or_path.ends_with(".toml");
        if !looks_like_path {
            anyhow::bail!(
                "no profile named {name_or_path} (built-in: {}; or give a path to a .toml file)",
                built_in_names().join(", ")
            );
        }
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read profile {}: {e}", path.display()))?;
        Profile::from_toml(&text, &path.display().to_string())
    }

    pub fn name(&self) -> &str {
        &self.file.name
    }

    pub fn system_prompt(&self) -> &str {
        &self.file.system_prompt
    }

    /// Whether a route registered for `method` on `path` is one of this profile's roots.
    pub fn is_root_route(&self, method: &str, path: &str) -> bool {
        self.file.is_root_route(method, path)
    }

    /// What this profile's roots look like, for messages: `POST …/msg`.
    pub fn describe_roots(&self) -> String {
        self.file
            .roots
            .iter()
            .map(RootRule::describe)
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// The built-in profiles' names, the default first.
pub fn built_in_names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(name, _)| *name).collect()
}

/// A built-in profile's TOML exactly as shipped, ready to copy and edit.
pub fn built_in_text(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A built-in profile as `profiles show` prints it: its TOML as shipped, then the built-in
/// `[llm]` table the language-model writer uses with it, so that a copy has every prompt at
/// hand to edit (and loads as the profile it copies).
pub fn shown_text(name: &str) -> Option<String> {
    built_in_text(name).map(|text| format!("{text}\n{}", crate::write::llm::prompt::BUILT_IN))
}

/// Every built-in profile, loaded.
pub fn built_ins() -> anyhow::Result<Vec<Profile>> {
    BUILT_IN
        .iter()
        .map(|(name, text)| Profile::from_toml(text, &format!("built-in profile {name}")))
        .collect()
}

/// Every built-in profile's TOML fields, read without loading its templates and rules: what
/// a run asks of the built-ins before it knows which it runs (their roots, their crates).
pub fn built_in_files() -> anyhow::Result<Vec<ProfileFile>> {
    BUILT_IN
        .iter()
        .map(|(name, text)| {
            toml::from_str(text)
                .map_err(|e| anyhow::anyhow!("built-in profile {name}: not a valid profile: {e}"))
        })
        .collect()
}

/// The crate folders the built-in profiles read by default, in their order, each once
/// (server/svix-server): where a folder holding several crates is looked into first.
pub fn built_in_crate_folders() -> anyhow::Result<Vec<String>> {
    let mut folders: Vec<String> = Vec::new();
    for file in built_in_files()? {
        for folder in file.inputs.crate_folders() {
            if !folders.contains(&folder) {
                folders.push(folder);
            }
        }
    }
    Ok(folders)
}

/// The fields a run reads as they are: the system prompt, the roots' methods, the vocabulary.
fn check_fields(file: &ProfileFile, at: &Origin) -> anyhow::Result<()> {
    let origin = at.origin;
    if file.system_prompt.trim().is_empty() {
        return Err(at.refuse(
            &[Step::Key("system_prompt")],
            "empty: every line carries it as its system message".to_owned(),
        ));
    }
    if file.roots.is_empty() {
        anyhow::bail!("{origin}: a profile needs at least one [[roots]] rule");
    }
    for (index, root) in file.roots.iter().enumerate() {
        let pattern = root.path.as_deref().unwrap_or_default();
        if root.last_segment.trim().is_empty() && pattern.trim().is_empty() {
            return Err(at.refuse(
                &[Step::Key("roots"), Step::Index(index)],
                "names no route: give `last_segment`, a `path` (`/` for the root), or both"
                    .to_owned(),
            ));
        }
        if !select::HTTP_METHODS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&root.method))
        {
            return Err(at.refuse(
                &[Step::Key("roots"), Step::Index(index), Step::Key("method")],
                format!(
                    "\"{}\" is not an HTTP method a router registers ({})",
                    root.method,
                    select::HTTP_METHODS.join(", ")
                ),
            ));
        }
    }
    for word in VOCABULARY {
        if !file.vocabulary.contains_key(word) {
            anyhow::bail!("{origin}: [vocabulary] has no `{word}`");
        }
    }
    for (key, word) in &file.vocabulary {
        if word.trim().is_empty() {
            return Err(at.refuse(
                &[Step::Key("vocabulary"), Step::Key(key)],
                format!("empty: the templates' {{{key}}} would read as nothing"),
            ));
        }
    }
    Ok(())
}

/// Every rule's `say` and `ask` lines name only what its signals read and the vocabulary; a
/// profile's own rule is pointed at in its file, a shared one in `templates/rules.toml`.
fn check_rule_placeholders(file: &ProfileFile, rules: &[Rule], at: &Origin) -> anyhow::Result<()> {
    for rule in rules {
        let own = file.rules.iter().position(|r| r.id == rule.id);
        let fills = rules::fills(rule);
        for (field, texts) in [("say", &rule.say), ("ask", &rule.ask)] {
            for (index, text) in texts.iter().enumerate() {
                let Some(unknown) = render::unknown_placeholder(text, &fills, &file.vocabulary)
                else {
                    continue;
                };
                let message = format!(
                    "unknown placeholder {{{unknown}}}: rule {} is filled with {}the vocabulary",
                    rule.id,
                    match fills.as_slice() {
                        [] => String::new(),
                        fills => format!("what its signals read ({}) and ", fills.join(", ")),
                    }
                );
                return Err(match own {
                    Some(own) => at.refuse(
                        &[
                            Step::Key("rules"),
                            Step::Index(own),
                            Step::Key(field),
                            Step::Index(index),
                        ],
                        message,
                    ),
                    None => anyhow::anyhow!("{}: templates/rules.toml: {message}", at.origin),
                });
            }
        }
    }
    Ok(())
}

/// A profile's text and its name in errors, to point a refusal at a key.
struct Origin<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Origin<'_> {
    /// `p.toml:9:10: roots[0].method: …`, the line and column where toml gives them.
    fn refuse(&self, key: &[Step], message: String) -> anyhow::Error {
        let at = match locate(self.text, key) {
            Some((line, column)) => format!("{}:{line}:{column}", self.origin),
            None => self.origin.to_owned(),
        };
        anyhow::anyhow!("{at}: {}: {message}", key_path(key))
    }
}

/// One step of a key's path in a profile's TOML: a table's key or an array's index.
#[derive(Debug, Clone, Copy)]
enum Step<'k> {
    Key(&'k str),
    Index(usize),
}

/// A key's path as TOML writes it: `roots[0].method`, `templates."ask.handler"[1]`.
fn key_path(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                let bare = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare {
                    path.push_str(key);
                } else {
                    path.push_str(&format!("{key:?}"));
                }
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Where the value at `steps` starts in the profile's text, as a 1-based line and column (in
/// characters), from toml's spans; None where the text does not parse or hold it.
fn locate(text: &str, steps: &[Step]) -> Option<(usize, usize)> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut value = toml::de::DeValue::Table(root.into_inner());
    let mut span = None;
    for step in steps {
        let found = match step {
            Step::Key(key) => value.get(*key),
            Step::Index(index) => value.get(*index),
        }?;
        span = Some(found.span());
        value = found.get_ref().clone();
    }
    let start = span?.start;
    let before = text.get(..start)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_crate_folders_come_from_crates_then_the_files_src_folders() {
        let table = [
            (
                "message-creation",
                vec!["server/svix-server", "svix-server"],
            ),
            (
                "endpoint-creation",
                vec!["server/svix-server", "svix-server"],
            ),
        ];
        for (name, expected) in table {
            let profile = Profile::load(name).unwrap();
            assert_eq!(profile.file.inputs.crate_folders(), expected, "{name}");
        }
    }

    #[test]
    fn every_built_in_profile_loads_with_every_template_section() {
        let profiles = built_ins().unwrap();
        let names: Vec<&str> = profiles.iter().map(Profile::name).collect();
        assert_eq!(names, built_in_names());
        assert_eq!(
            profiles[0].system_prompt(),
            "You are the Svix Maintainer AI, an expert in the internal svix-server Rust \
             architecture, specializing in message creation endpoint operations with Axum and aide."
        );
    }

    #[test]
    fn root_rules_match_the_last_literal_segment_only() {
        let rule = RootRule {
            method: "post".into(),
            last_segment: "msg".into(),
            path: None,
        };
        assert!(rule.matches("post", "/app/{app_id}/msg"));
        assert!(rule.matches("post", "/app/:app_id/msg/"));
        assert!(!rule.matches("get", "/app/{app_id}/msg"));
        assert!(!rule.matches("post", "/app/{app_id}/msg/{msg_id}"));
        assert!(!rule.matches(
            "post",
            "/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend"
        ));
        let app = RootRule {
            method: "post".into(),
            last_segment: "app".into(),
            path: None,
        };
        assert!(app.matches("post", "/app"));
        assert!(app.matches("post", "/app/"));
        assert!(!app.matches("post", "/app/{app_id}"));
    }

    #[test]
    fn root_rules_with_a_path_tell_routes_with_the_same_last_segment_apart() {
        let rule = |path: &str, last_segment: &str| RootRule {
            method: "post".into(),
            last_segment: last_segment.into(),
            path: Some(path.into()),
        };
        let portal = rule("/auth/app-portal-access/{app_id}", "");
        assert!(portal.matches("post", "/auth/app-portal-access/{app_id}"));
        assert!(portal.matches("POST", "/auth/app-portal-access/:app_id/"));
        assert!(portal.matches("post", "/api/v1/auth/app-portal-access/{id}"));
        assert!(!portal.matches("post", "/auth/dashboard-access/{app_id}"));
        assert!(!portal.matches("get", "/auth/app-portal-access/{app_id}"));
        assert!(!portal.matches("post", "/auth/app-portal-access"));
        // The full path, as `routes` prints it, names a route its file registers without the
        // prefix it is nested under.
        let full = rule("/api/v1/app/{app_id}/msg/", "");
        assert!(full.matches("post", "/app/{app_id}/msg"));
        assert!(!full.matches("post", "/app/{app_id}/msg/{msg_id}"));
        assert!(!full.matches("post", "/app/{app_id}/attempt/msg"));
        // Both given: both must hold.
        assert!(!rule("/app/{app_id}/msg", "app").matches("post", "/app/{app_id}/msg"));
        assert_eq!(full.describe(), "POST /api/v1/app/{app_id}/msg/");
        let root = rule("/", "");
        assert!(root.matches("post", "/"));
        assert!(!root.matches("post", "/app"));
    }

    #[test]
    fn a_profile_with_an_unknown_key_or_section_is_refused() {
        let base = built_in_text(DEFAULT).unwrap();
        let err = Profile::from_toml(&format!("colour = 1\n{base}"), "p.toml").unwrap_err();
        assert!(
            err.to_string().starts_with("p.toml: not a valid profile"),
            "{err}"
        );
        let mut file: ProfileFile = toml::from_str(base).unwrap();
        file.templates
            .insert("no.such.section".into(), vec!["x".into()]);
        let unknown = toml::to_string(&file).unwrap();
        let err = Profile::from_toml(&unknown, "p.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.toml: [templates] names no section the renderer uses: no.such.section"
        );
    }

    #[test]
    fn unknown_names_list_the_built_in_profiles() {
        let err = Profile::load("message").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no profile named message (built-in: message-creation, application-creation, \
             endpoint-creation; or give a path to a .toml file)"
        );
    }

    /// A small profile that loads, for the refusals below to break one thing each.
    const SMALL: &str = r#"name = "small"
description = "a profile for tests"
system_prompt = "You maintain svix-server."

[inputs]
focus = "**/x.rs"

[[roots]]
method = "post"
last_segment = "x"

[vocabulary]
resource = "x"
resources = "xs"
a_resource = "an x"
operation = "x creation"
"#;

    fn refusal(text: &str) -> String {
        match Profile::from_toml(text, "p.toml") {
            Ok(_) => panic!("loaded:\n{text}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn the_small_profile_loads_and_methods_are_any_case() {
        Profile::from_toml(SMALL, "p.toml").unwrap();
        for method in ["POST", "Patch", "delete", "get", "put"] {
            let text = SMALL.replace("method = \"post\"", &format!("method = \"{method}\""));
            Profile::from_toml(&text, "p.toml").unwrap();
        }
    }

    #[test]
    fn a_template_naming_an_unknown_placeholder_is_refused_at_its_line() {
        let text = format!(
            "{SMALL}\n[templates]\n\"ask.handler\" = [\n    \"Add it on {{route}}.\",\n    \
             \"Add {{nonsense}} please on {{route}}.\",\n]\n"
        );
        assert_eq!(
            refusal(&text),
            "p.toml:21:5: templates.\"ask.handler\"[1]: unknown placeholder {nonsense}: \
             [ask.handler] is filled with name, callees, route, trait_name, self_ty, arg_ty, doc, \
             doc_end, field_of \
             and the vocabulary"
        );
    }

    /// `{route}` is filled in a request's ask, but a reasoning sentence never gets it: named
    /// there it would reach the data as written.
    #[test]
    fn a_placeholder_of_another_section_is_refused() {
        let text = format!("{SMALL}\n[templates]\ndoc = [\"`{{item}}` serves {{route}}.\"]\n");
        assert_eq!(
            refusal(&text),
            "p.toml:19:8: templates.doc[0]: unknown placeholder {route}: [doc] is filled with \
             item, summary, lines and the vocabulary"
        );
        // The vocabulary fills every section, capitalized too.
        let text = format!("{SMALL}\n[templates]\ndoc = [\"{{Operation}}: `{{item}}`.\"]\n");
        Profile::from_toml(&text, "p.toml").unwrap();
    }

    #[test]
    fn a_rule_naming_a_placeholder_its_signals_do_not_read_is_refused() {
        let rule = "\n[[rules]]\nid = \"mine\"\nabout = \"a test\"\nneeds = [\"org_permission\"]\n";
        let good = format!("{SMALL}{rule}say = [\"`{{permission}}` checks the {{resource}}.\"]\n");
        Profile::from_toml(&good, "p.toml").unwrap();
        let bad = format!("{SMALL}{rule}say = [\"`{{permission}}`, then `{{callee}}`.\"]\n");
        assert_eq!(
            refusal(&bad),
            "p.toml:22:8: rules[0].say[0]: unknown placeholder {callee}: rule mine is filled \
             with what its signals read (permission) and the vocabulary"
        );
        let bad = format!("{SMALL}{rule}say = [\"`{{permission}}`.\"]\nask = [\"- {{nope}}\"]\n");
        assert_eq!(
            refusal(&bad),
            "p.toml:23:8: rules[0].ask[0]: unknown placeholder {nope}: rule mine is filled with \
             what its signals read (permission) and the vocabulary"
        );
    }

    #[test]
    fn an_empty_system_prompt_is_refused() {
        for empty in ["", "  ", "\\n\\t"] {
            let text = SMALL.replace("\"You maintain svix-server.\"", &format!("\"{empty}\""));
            assert_eq!(
                refusal(&text),
                "p.toml:3:17: system_prompt: empty: every line carries it as its system message"
            );
        }
    }

    #[test]
    fn a_method_no_router_registers_is_refused() {
        let text = SMALL.replace("method = \"post\"", "method = \"PUTT\"");
        assert_eq!(
            refusal(&text),
            "p.toml:9:10: roots[0].method: \"PUTT\" is not an HTTP method a router registers \
             (get, post, put, delete, patch, head, options, trace)"
        );
    }

    #[test]
    fn a_root_naming_no_route_is_refused() {
        let text = SMALL.replace("last_segment = \"x\"", "path = \" \"");
        assert_eq!(
            refusal(&text),
            "p.toml:8:1: roots[0]: names no route: give `last_segment`, a `path` (`/` for the root), or both"
        );
    }

    #[test]
    fn an_empty_vocabulary_word_is_refused() {
        let text = SMALL.replace("resources = \"xs\"", "resources = \" \"");
        assert_eq!(
            refusal(&text),
            "p.toml:14:13: vocabulary.resources: empty: the templates' {resources} would read as \
             nothing"
        );
    }

    #[test]
    fn an_llm_table_is_laid_over_the_built_in_prompts() {
        let built_in = Profile::from_toml(SMALL, "p.toml").unwrap().llm;
        let text = format!(
            "{SMALL}\n[llm]\nversion = 2\nsystem = \"You check {{resources}}.\"\n\n[llm.voices]\nchat = \"a note\"\n"
        );
        let own = Profile::from_toml(&text, "p.toml").unwrap().llm;
        assert_eq!((own.version, own.system.as_str()), (2, "You check xs."));
        assert_eq!(own.voices["chat"], "a note");
        assert_eq!(
            (&own.draft, &own.critic),
            (&built_in.draft, &built_in.critic)
        );
        assert_eq!(own.voices["issue"], built_in.voices["issue"]);
    }

    #[test]
    fn an_llm_table_is_refused_at_the_key_at_fault() {
        let table = |body: &str| format!("{SMALL}\n[llm]\n{body}\n");
        assert_eq!(
            refusal(&table(
                "version = 2\ndraft = \"Explain {brief} in {tone}.\""
            )),
            "p.toml:20:9: llm.draft: unknown placeholder {tone}: it is filled with brief, voice, \
             variant and the vocabulary"
        );
        assert_eq!(
            refusal(&table("draft = \"Explain {brief}.\"")),
            "p.toml:18:1: llm: changes the prompts but gives no `version` (the built-in prompts \
             are version 1): a new number names the new wording in the manifest"
        );
        assert_eq!(
            refusal(&table("version = 2\n[llm.voices]\nmemo = \"a memo\"")),
            "p.toml:21:8: llm.voices.memo: not a kind of request (issue, feature, chat, review)"
        );
    }

    #[test]
    fn a_shown_built_in_profile_loads_with_the_prompts_it_shows() {
        for name in built_in_names() {
            let shown = shown_text(name).unwrap();
            let copy = Profile::from_toml(&shown, "copy.toml").unwrap();
            let original = Profile::load(name).unwrap();
            assert_eq!(copy.llm, original.llm, "{name}");
            assert!(copy.file.llm.is_some() && original.file.llm.is_none());
        }
    }

    #[test]
    fn key_paths_quote_what_toml_would() {
        let path = key_path(&[
            Step::Key("templates"),
            Step::Key("ask.handler"),
            Step::Index(2),
        ]);
        assert_eq!(path, "templates.\"ask.handler\"[2]");
    }
}
