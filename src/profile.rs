//! The `Profile`: everything that ties the engine to one svix-server operation (its system
//! prompt, default inputs, which routes are roots, its vocabulary, the mechanisms the checker
//! watches and its templates), loaded from TOML. The built-in profiles are embedded; a user's
//! own is a TOML file given by path. Nothing outside this module and `profiles/` names an
//! operation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::render::Templates;
use crate::rules::{self, Rule};

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

/// Which routes are roots: a router registration for `method` whose path ends in the literal
/// segment `last_segment` (`/app/{app_id}/msg`, `/app/:app_id/msg/` and a nested `"/msg/"`
/// under `"/app/:app_id"` all end in `msg`; `/app/{app_id}/msg/{msg_id}` does not).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RootRule {
    pub method: String,
    pub last_segment: String,
}

impl RootRule {
    /// Whether a route registered for `method` on `path` (its pieces joined) is a root.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if !method.eq_ignore_ascii_case(&self.method) {
            return false;
        }
        path.split('/')
            .rfind(|segment| !segment.is_empty())
            .is_some_and(|last| last == self.last_segment)
    }

    /// `POST …/msg`, for messages.
    pub fn describe(&self) -> String {
        format!("{} …/{}", self.method.to_uppercase(), self.last_segment)
    }
}

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

/// A word that names a mechanism, and what in an example's code must show for the reasoning to
/// use it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanism {
    pub word: String,
    pub signs: Vec<String>,
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
}

/// What history mode keeps of a commit, beyond the changes to the operation's items.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryRules {
    /// A cleaned message with fewer words than this says too little to be a request.
    #[serde(default = "default_min_words")]
    pub min_words: usize,
    /// Edits of form that change no behaviour; a commit whose items change only so is dropped.
    /// `paths`: only how paths are qualified (`crate::core::types::MessageId` becomes
    /// `MessageId`).
    #[serde(default = "default_mechanical")]
    pub mechanical: Vec<Mechanical>,
}

impl Default for HistoryRules {
    fn default() -> HistoryRules {
        HistoryRules {
            min_words: default_min_words(),
            mechanical: default_mechanical(),
        }
    }
}

fn default_min_words() -> usize {
    3
}

fn default_mechanical() -> Vec<Mechanical> {
    vec![Mechanical::Paths]
}

/// An edit of form a profile can name as mechanical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mechanical {
    /// Only the qualification of paths changed.
    Paths,
}

/// A loaded profile: its TOML fields and its templates, checked and with the vocabulary filled
/// in.
#[derive(Debug)]
pub struct Profile {
    pub file: ProfileFile,
    pub templates: Templates,
    /// The shared reasoning rules with the profile's own, the vocabulary filled in.
    pub rules: Vec<Rule>,
}

/// The vocabulary every profile gives, since the shared templates use it.
const VOCABULARY: [&str; 4] = ["resource", "resources", "a_resource", "operation"];

impl Profile {
    /// Parses and checks a profile; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> anyhow::Result<Profile> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{origin}: not a valid profile: {}",
                e.to_string().trim_end()
            )
        })?;
        if file.roots.is_empty() {
            anyhow::bail!("{origin}: a profile needs at least one [[roots]] rule");
        }
        for word in VOCABULARY {
            if !file.vocabulary.contains_key(word) {
                anyhow::bail!("{origin}: [vocabulary] has no `{word}`");
            }
        }
        let templates = Templates::new(&file.templates, &file.vocabulary)
            .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        let mut rules = rules::load(&file.rules).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        Templates::fill_vocabulary(
            rules
                .iter_mut()
                .flat_map(|rule| rule.say.iter_mut().chain(rule.ask.iter_mut())),
            &file.vocabulary,
        );
        Ok(Profile {
            file,
            templates,
            rules,
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
        self.file.roots.iter().any(|r| r.matches(method, path))
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

    /// The mechanism words the checker watches, with their signs in code.
    pub fn mechanisms(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.file
            .mechanisms
            .iter()
            .map(|m| (m.word.as_str(), m.signs.as_slice()))
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

/// Every built-in profile, loaded.
pub fn built_ins() -> anyhow::Result<Vec<Profile>> {
    BUILT_IN
        .iter()
        .map(|(name, text)| Profile::from_toml(text, &format!("built-in profile {name}")))
        .collect()
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
        };
        assert!(app.matches("post", "/app"));
        assert!(app.matches("post", "/app/"));
        assert!(!app.matches("post", "/app/{app_id}"));
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
}
