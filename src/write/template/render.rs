//! Requests and reasoning from facts. Wording lives in `templates/`, loaded with `include_str!`
//! and looked up through one table keyed by section name (a fact kind, a role, a voice); this
//! module only decides which section applies and what fills it.

use std::collections::BTreeMap;

use crate::dataset::example::Voice;
use crate::extract::facts::{
    Change, DocsChange, ExtractorRole, Fact, FieldFact, PathCondition, RefusedOn,
};
use crate::extract::text::{StableHash, missing};
use crate::extract::units::{Role, Work};
use crate::write::template::rules;

/// The shared templates, worded for any resource through the profile's vocabulary
/// (`{resource}`, `{operation}`): sections keyed by fact kind, role and voice.
const TEMPLATE_FILES: [(&str, &str); 2] = [
    ("requests", include_str!("../../../templates/requests.txt")),
    (
        "reasoning",
        include_str!("../../../templates/reasoning.txt"),
    ),
];

/// The one table of template sections, by what asks for them, each with the placeholders the
/// renderer fills it with. A fact kind's sentences come from the sections listed beside its kind
/// (a qualifier after the dot where the fact's shape changes what can truthfully be said); the
/// rest frame a request or a reasoning. `section!` refuses at compile time any name not in this
/// table, and a profile that lacks one of them fails to load, so no sentence can render from a
/// missing section. The placeholders are what a template of the section may name besides the
/// vocabulary: a profile's template naming another is refused when it loads, and the renderer
/// fills a section with exactly these (checked on every fill in debug builds), so the two
/// cannot drift apart.
pub const SECTIONS: &[(&str, &[SectionRow])] = &[
    (
        "doc",
        &[
            ("doc", &["item", "summary", "lines"]),
            ("doc.long", &["item", "summary", "lines"]),
        ],
    ),
    (
        "aide_annotate",
        &[
            ("aide", &["item", "op_id", "attr"]),
            ("aide.hidden", &["item", "op_id", "attr"]),
            ("detail.aide", &["op_id"]),
            ("detail.aide_hidden", &["op_id"]),
        ],
    ),
    ("hidden_from_docs", &[("detail.hidden_from_docs", &[])]),
    ("instrument", &[("instrument", &["item"])]),
    ("allow_lint", &[("allow_lint", &["item", "lint"])]),
    (
        "signature",
        &[
            ("signature.helper", &["item", "params", "ty"]),
            ("signature.returns", &["item", "params", "ty"]),
            ("signature.returns_only", &["item", "params", "ty"]),
        ],
    ),
    (
        "state",
        &[
            ("state.state_rest", &["state_ty", "bindings"]),
            ("state.state", &["state_ty", "bindings"]),
            ("state.extension", &["state_ty", "bindings"]),
            ("state.ref", &["ref_text"]),
        ],
    ),
    (
        "extractor",
        &[
            ("extractor.query", &["wrapper", "ty", "binding", "fields"]),
            (
                "extractor.query_plain",
                &["wrapper", "ty", "binding", "fields"],
            ),
            ("extractor.path", &["wrapper", "ty", "binding", "fields"]),
            ("extractor.body", &["wrapper", "ty", "binding", "fields"]),
            (
                "extractor.body_plain",
                &["wrapper", "ty", "binding", "fields"],
            ),
            ("detail.body", &["ty"]),
            ("detail.body.resource", &["ty"]),
            ("detail.query", &["ty"]),
            ("extractor.passed", &["name", "root"]),
        ],
    ),
    (
        "permission",
        &[
            ("permission", &["ty", "fields"]),
            ("permission.bare", &["ty", "fields"]),
            ("detail.permission", &["ty"]),
        ],
    ),
    (
        "returns",
        &[
            ("returns.status", &["ty", "status", "body"]),
            ("returns.body", &["ty", "status", "body"]),
            ("returns.plain", &["ty", "status", "body"]),
            ("detail.status", &["status", "body"]),
        ],
    ),
    (
        "delegates",
        &[
            ("delegates", &["callee"]),
            ("calls_local", &["callee"]),
            ("detail.delegates", &["callee"]),
        ],
    ),
    ("validate_call", &[("validate_call", &["receiver"])]),
    (
        "scoped_lookup",
        &[
            ("scoped_lookup", &["entity", "method", "scope"]),
            ("scoped_lookup.keyed", &["entity", "method", "scope"]),
            ("scoped_lookup.bare", &["method", "scope"]),
            ("detail.lookup", &[]),
        ],
    ),
    (
        "crate_helper",
        &[
            ("crate_helper", &["name"]),
            ("crate_helper.many", &["list"]),
        ],
    ),
    (
        "cache_fetch",
        &[("cache", &["call", "ttl"]), ("detail.cache", &["call"])],
    ),
    (
        "transaction",
        &[
            ("transaction", &["method", "inserts"]),
            ("transaction.begin", &["method"]),
            ("detail.transaction", &[]),
        ],
    ),
    ("commit", &[("commit", &[])]),
    (
        "conflict",
        &[("conflict", &["via"]), ("detail.conflict", &[])],
    ),
    (
        "active_model",
        &[
            ("active_model", &["ty", "set_fields", "base"]),
            ("active_model.new", &["ty"]),
            ("active_model.new_many", &["list"]),
        ],
    ),
    (
        "set_fields",
        &[
            ("set_fields", &["target", "fields"]),
            ("detail.set_fields", &[]),
        ],
    ),
    ("insert", &[("insert", &["receiver"])]),
    (
        "queue_send",
        &[
            ("queue", &["queue", "task", "guard"]),
            ("queue.guarded", &["queue", "task", "guard"]),
            ("queue.loop", &["queue", "task", "guard"]),
            ("detail.queue", &[]),
            ("detail.queue_guarded", &[]),
        ],
    ),
    (
        "error_ctor",
        &[
            ("error", &["path"]),
            ("error.always", &["path"]),
            ("error.many", &["list"]),
            ("detail.errors", &[]),
        ],
    ),
    (
        "status_const",
        &[
            ("status_const", &["path"]),
            ("detail.status_const", &["path", "body"]),
            ("detail.error_status", &["path"]),
        ],
    ),
    (
        "local_assoc",
        &[("local_assoc", &["path"]), ("local_assoc.many", &["list"])],
    ),
    ("tracing", &[("tracing", &["mac", "item"])]),
    ("expect", &[("expect", &["message"])]),
    (
        "derives",
        &[
            ("derives", &["item", "list", "mechanisms"]),
            ("derives.mechanisms", &["item", "list", "mechanisms"]),
        ],
    ),
    (
        "serde_container",
        &[
            ("serde_container", &["rename_all"]),
            ("detail.rename_all", &["rename_all"]),
        ],
    ),
    (
        "field",
        &[
            ("field", &["name", "ty", "clauses"]),
            ("field.untyped", &["name", "ty", "clauses"]),
            ("fields", &["item", "list", "count"]),
            ("detail.spec", &["wire", "spec"]),
            ("detail.wire_name", &["name", "wire"]),
            ("joined_helper.default", &["list", "count"]),
            ("joined_helper.example", &["list", "count"]),
            ("joined_helper.both", &["list", "count"]),
        ],
    ),
    (
        "newtype",
        &[
            ("newtype", &["item", "inner"]),
            ("newtype.raw", &["item", "inner"]),
            ("detail.newtype_raw", &["inner"]),
        ],
    ),
    (
        "trait_impl",
        &[
            ("trait_impl", &["trait_name", "self_ty", "methods", "assoc"]),
            (
                "trait_impl.schema",
                &["trait_name", "self_ty", "methods", "assoc"],
            ),
            (
                "trait_impl.assoc",
                &["trait_name", "self_ty", "methods", "assoc"],
            ),
        ],
    ),
    (
        "marker_impl",
        &[("marker_impl", &["trait_name", "self_ty"])],
    ),
    (
        "inherent_impl",
        &[("inherent_impl", &["self_ty", "methods"])],
    ),
    (
        "validator_fn",
        &[
            ("validator_fn", &["name", "arg_ty", "condition"]),
            ("validator_fn.message", &["message"]),
            ("detail.validator", &[]),
            ("detail.rejects", &["message"]),
        ],
    ),
    (
        "method",
        &[
            ("method", &["name", "inputs", "returns", "body"]),
            ("method.body", &["name", "inputs", "returns", "body"]),
            ("method.unit", &["name", "inputs", "returns", "body"]),
        ],
    ),
    (
        "branch",
        &[
            ("branch", &["condition"]),
            ("detail.branch", &["condition"]),
        ],
    ),
    ("method_of", &[("method_of", &["method", "self_ty"])]),
    ("cache_delete", &[("cache_delete", &["receiver", "key"])]),
    (
        "refuses",
        &[
            ("refuses.if", REFUSES),
            ("refuses.else", REFUSES),
            ("refuses.arm", REFUSES),
            ("refuses.missing", REFUSES),
            (
                "refuses.either",
                &["condition", "error", "message", "otherwise"],
            ),
            ("detail.refuses", &["message"]),
            ("detail.refuses_missing", &["message"]),
        ],
    ),
    (
        "builds_self",
        &[
            ("builds_self", &["fields", "from"]),
            ("builds_self.plain", &["fields", "from"]),
            ("builds_self.base", &["fields", "base"]),
        ],
    ),
    (
        "sets_value",
        &[("sets_value", &["target", "field", "value"])],
    ),
    ("update", &[("update", &["receiver"])]),
    (
        "delete_row",
        &[
            ("delete_row", &["receiver"]),
            ("delete_row.entity", &["receiver"]),
        ],
    ),
    (
        "on_some_paths",
        &[
            ("sometimes.call", &["name"]),
            ("sometimes.new_row", &["ty"]),
            ("sometimes.insert", &["receiver"]),
            ("sometimes.update", &["receiver"]),
            ("sometimes.delete_row", &["receiver"]),
            ("sometimes.delete_row.entity", &["receiver"]),
            ("sometimes.cache_delete", &["receiver", "key"]),
            ("sometimes.sets_value", &["target", "field", "value"]),
            ("sometimes.status", &["path"]),
            ("sometimes.if", &["condition"]),
            ("sometimes.else", &["condition"]),
            ("sometimes.arm", &["condition"]),
            ("sometimes.if.all", &["condition", "count"]),
            ("sometimes.else.all", &["condition", "count"]),
            ("sometimes.arm.all", &["condition", "count"]),
        ],
    ),
    ("outside_openapi", &[("detail.outside_openapi", &["via"])]),
    (
        "builds_extractor",
        &[
            ("builds_extractor", &["callee", "wrapper", "ty"]),
            ("detail.builds_extractor", &["callee", "ty"]),
        ],
    ),
    (
        "whole_extractor",
        &[("state.whole", &["state_ty", "bindings"])],
    ),
    // Read only by reasoning rules (write/template/rules.rs).
    ("read_from", &[]),
    ("note_comment", &[]),
    ("body_comment", &[]),
    // Request-only: the route is quoted in the ask, never asserted in the reasoning.
    ("route", &[]),
    // Framing, by voice and by role.
    (
        "voice",
        &[
            ("voice.issue", VOICE),
            ("voice.feature", VOICE),
            ("voice.chat", VOICE),
            ("voice.review", VOICE),
        ],
    ),
    (
        "purpose",
        &[
            ("purpose.handler", PURPOSE),
            ("purpose.chain", PURPOSE),
            ("purpose.helper", PURPOSE),
            ("purpose.helper_of_root", PURPOSE),
            ("purpose.check", PURPOSE),
            ("purpose.validator", PURPOSE),
            ("purpose.body", PURPOSE),
            ("purpose.query", PURPOSE),
            ("purpose.response", PURPOSE),
            ("purpose.response_item", PURPOSE),
            ("purpose.model", PURPOSE),
            ("purpose.trait_impl", PURPOSE),
            ("purpose.inherent_impl", PURPOSE),
            ("purpose.attr_helper", PURPOSE),
            ("purpose.constant", PURPOSE),
            ("purpose.cache_invalidation", PURPOSE),
            ("purpose.error_constructor", PURPOSE),
            ("purpose.error_mapping", PURPOSE),
            ("purpose.builder", PURPOSE),
            ("purpose.conversion", PURPOSE),
        ],
    ),
    (
        "title",
        &[
            ("title.handler", ASK),
            ("title.stub", ASK),
            ("title.chain", ASK),
            ("title.helper", ASK),
            ("title.check", ASK),
            ("title.validator", ASK),
            ("title.attr_helper", ASK),
            ("title.constant", ASK),
            ("title.body", ASK),
            ("title.query", ASK),
            ("title.response", ASK),
            ("title.model", ASK),
            ("title.trait_impl", ASK),
            ("title.inherent_impl", ASK),
            ("title.helper_of_root", ASK),
            ("title.helper_writes", ASK),
            ("title.cache_invalidation", ASK),
            ("title.error_constructor", ASK),
            ("title.error_mapping", ASK),
            ("title.builder", ASK),
            ("title.conversion", ASK),
        ],
    ),
    (
        "ask",
        &[
            ("ask.handler", ASK),
            ("ask.stub", ASK),
            ("ask.handler_doc", ASK),
            ("ask.chain", ASK),
            ("ask.chain_doc", ASK),
            ("ask.helper", ASK),
            ("ask.check", ASK),
            ("ask.validator", ASK),
            ("ask.attr_helper", ASK),
            ("ask.constant", ASK),
            ("ask.body", ASK),
            ("ask.body.rules", ASK),
            ("ask.body.resource", ASK),
            ("ask.body.resource.rules", ASK),
            ("ask.query", ASK),
            ("ask.response", ASK),
            ("ask.response.resource", ASK),
            ("ask.model", ASK),
            ("ask.field_type", ASK),
            ("ask.trait_impl", ASK),
            ("ask.inherent_impl", ASK),
            ("ask.helper_of_root", ASK),
            ("ask.helper_writes", ASK),
            ("ask.cache_invalidation", ASK),
            ("ask.error_constructor", ASK),
            ("ask.error_mapping", ASK),
            ("ask.builder", ASK),
            ("ask.conversion", ASK),
        ],
    ),
    (
        "unit",
        &[
            ("detail.check", &[]),
            ("detail.default", &[]),
            ("detail.fields", &["list"]),
            ("detail.params", &["list"]),
            ("detail.cache_delete", &[]),
            ("detail.builder", &["sources"]),
        ],
    ),
    (
        "change",
        &[
            ("change.before_code", &[]),
            ("change.renamed", &["old", "name"]),
            ("change.op_id", &["old", "new"]),
            ("change.uses", &["name", "list"]),
            ("change.drops", &["name", "list"]),
            ("change.literals", CHANGED_LITERALS),
            ("change.literals_added", CHANGED_LITERALS),
            ("change.literals_removed", CHANGED_LITERALS),
            ("change.shape", &["name"]),
            ("change.borrows_more", &["name"]),
            ("change.borrows_less", &["name"]),
            ("change.visibility", &["name"]),
            ("change.fields_added", &["name", "list"]),
            ("change.fields_removed", &["name", "list"]),
            ("change.field_validated", &["field", "rules"]),
            ("change.field_attrs", &["list"]),
            ("change.doc", &["name", "summary"]),
            ("change.docs", &["name"]),
            ("change.docs_added", &["name"]),
            ("change.docs_removed", &["name"]),
            ("change.visibility_more", &["name"]),
            ("change.visibility_less", &["name"]),
            ("change.derives_added", &["name", "list", "mechanisms"]),
            ("change.derives_added_why", &["name", "list", "mechanisms"]),
            ("change.derives_removed", &["name", "list"]),
            ("change.sets", &["name", "ty", "list"]),
            ("change.body_last", &["name", "wrapper"]),
            ("change.reordered", &["name"]),
        ],
    ),
];

/// A section's name and the placeholders the renderer fills it with.
pub type SectionRow = (&'static str, &'static [&'static str]);

/// What a request's frame is filled with: its title, its ask (and the ask starting lowercase,
/// to follow "I need to"), its detail lines.
const VOICE: &[&str] = &["title", "ask", "ask_lower", "details"];
/// What a unit's opening sentence may name.
const PURPOSE: &[&str] = &[
    "name",
    "callees",
    "trait_name",
    "self_ty",
    "arg_ty",
    "sources",
];
/// What a refusal's sentence is filled with: the condition (or the arm's pattern), what a
/// lookup found nothing of, the error, and its message as a clause (`: "…"`, or nothing).
const REFUSES: &[&str] = &["condition", "subject", "error", "message"];
/// What a request's title and ask may name.
const ASK: &[&str] = &[
    "name",
    "callees",
    "route",
    "trait_name",
    "self_ty",
    "arg_ty",
    "doc",
    "doc_end",
    "field_of",
];
/// The literals a history change added and removed.
const CHANGED_LITERALS: &[&str] = &["name", "new", "old"];

/// A template section the renderer may ask for, with the placeholders it fills it with: only
/// `section!` makes one, and only from a name in [`SECTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    name: &'static str,
    fills: &'static [&'static str],
}

impl Section {
    /// Checks `name` against the table; in a `const` block (as `section!` puts it) a name not in
    /// the table is a compile error.
    pub const fn named(name: &'static str) -> Section {
        let mut kind = 0;
        while kind < SECTIONS.len() {
            let sections = SECTIONS[kind].1;
            let mut i = 0;
            while i < sections.len() {
                if const_str_eq(sections[i].0, name) {
                    return Section {
                        name,
                        fills: sections[i].1,
                    };
                }
                i += 1;
            }
            kind += 1;
        }
        panic!("not a template section in render::SECTIONS")
    }

    pub fn name(self) -> &'static str {
        self.name
    }
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A section by literal name, checked against [`SECTIONS`] at compile time.
macro_rules! section {
    ($name:literal) => {
        const { $crate::write::template::render::Section::named($name) }
    };
}

/// Every section name in the table.
fn all_section_names() -> impl Iterator<Item = &'static str> {
    SECTIONS
        .iter()
        .flat_map(|(_, sections)| sections.iter().map(|(name, _)| *name))
}

/// The placeholders the renderer fills section `name` with, or None when it uses no such
/// section.
pub fn section_fills(name: &str) -> Option<&'static [&'static str]> {
    SECTIONS
        .iter()
        .flat_map(|(_, sections)| sections.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, fills)| *fills)
}

/// The placeholders `text` names, in order: `{name}` with an identifier inside, the only form
/// `fill` replaces with a value (other braces are text).
pub fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|after| {
        let name = &after[..after.find('}')?];
        let mut chars = name.chars();
        let starts = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        (starts && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
    })
}

/// The first placeholder of `text` that neither `fills` nor the vocabulary (a word as keyed, or
/// capitalized: `{Operation}`) gives a value: it would reach the data as written.
pub fn unknown_placeholder<'t>(
    text: &'t str,
    fills: &[&str],
    vocabulary: &BTreeMap<String, String>,
) -> Option<&'t str> {
    // The capitalized keys are built only for a name that is none of the others: a run over
    // every route checks each operation's templates, thousands of placeholders.
    placeholders(text).find(|name| {
        !fills.contains(name)
            && !vocabulary.contains_key(*name)
            && !vocabulary.keys().any(|key| capitalized(key) == *name)
    })
}

/// Why a profile's wording does not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    /// The profile's own variant it is about (section, index), for the profile to point at.
    pub own_variant: Option<(&'static str, usize)>,
}

impl TemplateError {
    fn plain(message: String) -> TemplateError {
        TemplateError {
            message,
            own_variant: None,
        }
    }
}

/// One profile's wording: every section of [`SECTIONS`] with at least one variant, the
/// vocabulary filled in (a shared section's the first time it is asked for: a run over every
/// route loads a profile per operation, and each writes a few examples).
#[derive(Debug, Clone)]
pub struct Templates {
    sections: BTreeMap<&'static str, Variants>,
    /// Each vocabulary key and its word, then each capitalized, as [`fill`] takes them.
    vars: Vec<(String, String)>,
    /// The vocabulary's `resource`, as words (`message attempt`).
    resource: Vec<String>,
}

/// A section's variants for one profile.
#[derive(Debug, Clone)]
enum Variants {
    /// The profile's own, filled and checked when it was loaded.
    Own(Vec<String>),
    /// A shared section, checked when the profile was loaded, filled on first use.
    Shared(&'static SharedSection, std::sync::OnceLock<Vec<String>>),
}

impl PartialEq for Templates {
    fn eq(&self, other: &Templates) -> bool {
        self.resource == other.resource
            && self.sections.len() == other.sections.len()
            && self.sections.keys().all(|&name| {
                other.sections.contains_key(name)
                    && self.variants_of(name) == other.variants_of(name)
            })
    }
}

impl Eq for Templates {}

impl Templates {
    /// The shared templates, with a profile's own sections in place of the shared ones of the
    /// same name, and `{word}` replaced by the vocabulary's words.
    pub fn new(
        overrides: &BTreeMap<String, Vec<String>>,
        vocabulary: &BTreeMap<String, String>,
    ) -> Result<Templates, TemplateError> {
        let unknown: Vec<&str> = overrides
            .keys()
            .map(String::as_str)
            .filter(|name| !all_section_names().any(|n| n == *name))
            .collect();
        if !unknown.is_empty() {
            return Err(TemplateError::plain(format!(
                "[templates] names no section the renderer uses: {}",
                unknown.join(", ")
            )));
        }
        // Parsed once, with what each section asks of a vocabulary: a run over every route
        // loads a profile per operation.
        static SHARED: std::sync::OnceLock<BTreeMap<&'static str, SharedSection>> =
            std::sync::OnceLock::new();
        let shared = SHARED.get_or_init(shared_sections);
        let capitalized = capitalized_vocabulary(vocabulary);
        let vars = vocabulary_vars(vocabulary, &capitalized);
        let mut sections = BTreeMap::new();
        for (name, fills) in SECTIONS.iter().flat_map(|(_, sections)| sections.iter()) {
            let variants = match overrides.get(*name) {
                Some(own) => Variants::Own(own_variants(name, fills, own, vocabulary, &vars)?),
                None => match shared.get(name) {
                    Some(section) => {
                        section.check(name, fills, &vars)?;
                        Variants::Shared(section, std::sync::OnceLock::new())
                    }
                    None => Variants::Own(Vec::new()),
                },
            };
            if variants.is_empty() {
                return Err(TemplateError::plain(format!(
                    "template section [{name}] has no variant"
                )));
            }
            sections.insert(*name, variants);
        }
        let resource = vocabulary
            .get("resource")
            .map(|r| r.split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default();
        let vars = vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Ok(Templates {
            sections,
            vars,
            resource,
        })
    }

    /// Whether a type's name is the resource's words and nothing but a role beside them
    /// (`MessageAttemptOut` for `message attempt`, `EndpointUpdate` for `endpoint`), so that
    /// calling a value of it "the resource" is true to its name. `EndpointHeadersPatchIn` is
    /// an endpoint's headers, `EndpointSecretOut` its secret: neither is the endpoint.
    pub fn names_resource(&self, ty: &str) -> bool {
        /// The words a type of the resource itself may carry beside the resource's own.
        const ROLES: [&str; 9] = [
            "in", "out", "patch", "update", "create", "request", "response", "common", "put",
        ];
        let name = ty.rsplit("::").next().unwrap_or(ty);
        let name = name.split('<').next().unwrap_or(name);
        let words = camel_words(name);
        let n = self.resource.len();
        n > 0
            && (0..words.len().saturating_sub(n - 1)).any(|at| {
                words[at..at + n] == self.resource[..]
                    && words[..at]
                        .iter()
                        .chain(&words[at + n..])
                        .all(|w| ROLES.contains(&w.as_str()))
            })
    }

    /// `{word}` replaced by the vocabulary's words in each of `texts`, other placeholders
    /// left as they are.
    pub fn fill_vocabulary<'t>(
        texts: impl IntoIterator<Item = &'t mut String>,
        vocabulary: &BTreeMap<String, String>,
    ) {
        let capitalized = capitalized_vocabulary(vocabulary);
        let vars = vocabulary_vars(vocabulary, &capitalized);
        for text in texts {
            *text = fill(text, &vars);
        }
    }

    fn variants(&self, section: Section) -> &[String] {
        self.variants_of(section.name)
    }

    fn variants_of(&self, name: &str) -> &[String] {
        match self.sections.get(name) {
            Some(Variants::Own(own)) => own,
            Some(Variants::Shared(section, filled)) => {
                filled.get_or_init(|| section.filled(&self.vars))
            }
            None => &[],
        }
    }
}

impl Variants {
    fn is_empty(&self) -> bool {
        match self {
            Variants::Own(own) => own.is_empty(),
            Variants::Shared(section, _) => section.variants.is_empty(),
        }
    }
}

/// A profile's own variants of section `name`, each checked for placeholders nothing fills,
/// then filled with the vocabulary.
fn own_variants(
    name: &'static str,
    fills: &[&str],
    own: &[String],
    vocabulary: &BTreeMap<String, String>,
    vars: &[(&str, String)],
) -> Result<Vec<String>, TemplateError> {
    let written: Vec<&str> = own.iter().map(|t| t.trim_matches('\n')).collect();
    for (index, text) in written.iter().enumerate() {
        if let Some(unknown) = unknown_placeholder(text, fills, vocabulary) {
            return Err(TemplateError {
                message: unknown_message(name, fills, unknown),
                own_variant: Some((name, index)),
            });
        }
    }
    Ok(written.iter().map(|t| fill(t, vars)).collect())
}

fn unknown_message(name: &str, fills: &[&str], unknown: &str) -> String {
    let known = match fills {
        [] => "the vocabulary only".to_owned(),
        fills => format!("{} and the vocabulary", fills.join(", ")),
    };
    format!("unknown placeholder {{{unknown}}}: [{name}] is filled with {known}")
}

/// A section of the shared templates (`templates/`), with what filling it in looks up, read
/// once for every profile that loads.
#[derive(Debug)]
struct SharedSection {
    variants: Vec<&'static str>,
    /// Every placeholder of the variants, each once, in the order they are first written.
    placeholders: Vec<&'static str>,
    /// For each variant, each key [`fill`] would look up in it: the text after each `{` up to
    /// the next `}`.
    keys: Vec<Vec<&'static str>>,
}

fn shared_sections() -> BTreeMap<&'static str, SharedSection> {
    let mut texts = BTreeMap::new();
    for (_, text) in TEMPLATE_FILES {
        parse_sections(text, &mut texts);
    }
    texts
        .into_iter()
        .map(|(name, variants)| {
            let mut placeholders: Vec<&'static str> = Vec::new();
            for name in variants.iter().flat_map(|t| self::placeholders(t)) {
                if !placeholders.contains(&name) {
                    placeholders.push(name);
                }
            }
            let keys = variants.iter().map(|t| fill_keys(t)).collect();
            let section = SharedSection {
                variants,
                placeholders,
                keys,
            };
            (name, section)
        })
        .collect()
}

/// The keys [`fill`] looks up in `text`.
fn fill_keys(text: &str) -> Vec<&str> {
    text.match_indices('{')
        .filter_map(|(open, _)| {
            let after = &text[open + 1..];
            after.find('}').map(|close| &after[..close])
        })
        .collect()
}

impl SharedSection {
    /// Whether the vocabulary (`vars`) and `fills` give a value to every placeholder of the
    /// variants; an error names the first one neither gives.
    fn check(
        &self,
        name: &str,
        fills: &[&str],
        vars: &[(&str, String)],
    ) -> Result<(), TemplateError> {
        // `vars` holds each vocabulary key, and each capitalized.
        if let Some(unknown) = self.placeholders.iter().find(|placeholder| {
            !fills.contains(placeholder) && !vars.iter().any(|(key, _)| key == *placeholder)
        }) {
            let message = unknown_message(name, fills, unknown);
            return Err(TemplateError::plain(format!("templates/: {message}")));
        }
        Ok(())
    }

    /// The variants with the vocabulary filled in, as [`fill`] fills them (a variant that names
    /// none of its words is copied as it is), once [`SharedSection::check`] has passed them.
    fn filled<K: AsRef<str>>(&self, vars: &[(K, String)]) -> Vec<String> {
        self.variants
            .iter()
            .zip(&self.keys)
            .map(|(text, keys)| {
                if keys
                    .iter()
                    .any(|k| vars.iter().any(|(key, _)| key.as_ref() == *k))
                {
                    fill(text, vars)
                } else {
                    (*text).to_owned()
                }
            })
            .collect()
    }
}

/// The lowercase words of a CamelCase name: `MessageAttemptOut` → message, attempt, out.
fn camel_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in name.chars() {
        if c.is_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        if c.is_alphanumeric()
            && let Some(word) = words.last_mut()
        {
            word.extend(c.to_lowercase());
        }
    }
    words.retain(|w| !w.is_empty());
    words
}

/// Each vocabulary word also capitalized, under its key capitalized: `{Operation}` opens a
/// sentence with "Message creation".
fn capitalized_vocabulary(vocabulary: &BTreeMap<String, String>) -> Vec<(String, String)> {
    vocabulary
        .iter()
        .map(|(k, v)| (capitalized(k), capitalized(v)))
        .collect()
}

/// `s` with its first character upper-case.
fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn vocabulary_vars<'v>(
    vocabulary: &'v BTreeMap<String, String>,
    capitalized: &'v [(String, String)],
) -> Vec<(&'v str, String)> {
    vocabulary
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain(capitalized.iter().map(|(k, v)| (k.as_str(), v.clone())))
        .collect()
}

/// `[name]` starts a section; `---` alone on a line separates variants; `#` lines are comments.
fn parse_sections<'t>(text: &'t str, map: &mut BTreeMap<&'t str, Vec<&'t str>>) {
    let mut current: Option<&'t str> = None;
    let mut variant_start: Option<usize> = None;
    let mut offset = 0;
    let finish = |name: Option<&'t str>,
                  start: Option<usize>,
                  end: usize,
                  map: &mut BTreeMap<&'t str, Vec<&'t str>>| {
        if let (Some(name), Some(start)) = (name, start) {
            let body = text[start..end].trim_matches('\n');
            if !body.is_empty() {
                map.entry(name).or_default().push(body);
            }
        }
    };
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            finish(current, variant_start, offset, map);
            current = Some(&text[offset + 1..offset + trimmed.len() - 1]);
            variant_start = Some(offset + line.len());
        } else if trimmed == "---" {
            finish(current, variant_start, offset, map);
            variant_start = Some(offset + line.len());
        } else if trimmed.starts_with('#') && current.is_none() {
            variant_start = None;
        }
        offset += line.len();
    }
    finish(current, variant_start, text.len(), map);
}

/// A request's frame in `voice`; a commit's message has none.
fn frame(voice: Voice) -> Option<Section> {
    match voice {
        Voice::Issue => Some(section!("voice.issue")),
        Voice::Feature => Some(section!("voice.feature")),
        Voice::Chat => Some(section!("voice.chat")),
        Voice::Review => Some(section!("voice.review")),
        Voice::Commit => None,
    }
}

/// Whether a helper is where the handler's work happens: the handler calls it, and either some
/// item's whole body is that call or the helper itself writes (rows, a queue). A helper the
/// handler calls for a step (`limit_message_join`) is asked and said to be a step only.
fn does_the_work(unit: &UnitView) -> bool {
    let writes = unit.items.get(unit.primary).is_some_and(|(_, facts)| {
        facts.iter().any(|f| {
            matches!(
                f,
                // A queue send is work, but not a write: the rows stay as they were.
                Fact::Insert { .. } | Fact::Update { .. } | Fact::Transaction { .. }
            )
        })
    });
    unit.called_by_root && (writes || unit.file.delegated_whole(&unit.name))
}

/// Whether the unit's own body does nothing but fail (`api_not_implemented`): a handler that is
/// a stub, never to be asked for as a working operation.
fn is_stub(unit: &UnitView) -> bool {
    unit.items.get(unit.primary).is_some_and(|(_, facts)| {
        facts
            .iter()
            .any(|f| matches!(f, Fact::ErrorCtor { always: true, .. }))
    })
}

/// The section that titles a unit: by its work when the code shows one, else by its role.
fn title(unit: &UnitView) -> Section {
    match unit.work {
        Some(Work::CacheInvalidation) => return section!("title.cache_invalidation"),
        Some(Work::ErrorConstructor) => return section!("title.error_constructor"),
        Some(Work::ErrorMapping) => return section!("title.error_mapping"),
        Some(Work::Builder) => return section!("title.builder"),
        Some(Work::Conversion) => return section!("title.conversion"),
        None => {}
    }
    match unit.role {
        Role::Handler if is_stub(unit) => section!("title.stub"),
        Role::Handler => section!("title.handler"),
        Role::Chain => section!("title.chain"),
        Role::Helper if does_the_work(unit) && unit.file.delegated_whole(&unit.name) => {
            section!("title.helper_of_root")
        }
        Role::Helper if does_the_work(unit) => section!("title.helper_writes"),
        Role::Helper => section!("title.helper"),
        Role::Check => section!("title.check"),
        Role::Validator => section!("title.validator"),
        Role::Body => section!("title.body"),
        Role::Query => section!("title.query"),
        Role::Response => section!("title.response"),
        Role::Model => section!("title.model"),
        Role::TraitImpl => section!("title.trait_impl"),
        Role::InherentImpl => section!("title.inherent_impl"),
        Role::AttrHelper => section!("title.attr_helper"),
        Role::Constant => section!("title.constant"),
    }
}

/// The section that asks for a unit: by its work when the code shows one, else by its role.
fn ask(unit: &UnitView) -> Section {
    match unit.work {
        Some(Work::CacheInvalidation) => return section!("ask.cache_invalidation"),
        Some(Work::ErrorConstructor) => return section!("ask.error_constructor"),
        Some(Work::ErrorMapping) => return section!("ask.error_mapping"),
        Some(Work::Builder) => return section!("ask.builder"),
        Some(Work::Conversion) => return section!("ask.conversion"),
        None => {}
    }
    match unit.role {
        Role::Handler if is_stub(unit) => section!("ask.stub"),
        Role::Handler => section!("ask.handler"),
        Role::Chain => section!("ask.chain"),
        // The handler is only unpacking the request when its body is the call; a helper it
        // calls to write, among other steps of its own, is asked for as the write step.
        Role::Helper if does_the_work(unit) && unit.file.delegated_whole(&unit.name) => {
            section!("ask.helper_of_root")
        }
        Role::Helper if does_the_work(unit) => section!("ask.helper_writes"),
        Role::Helper => section!("ask.helper"),
        Role::Check => section!("ask.check"),
        Role::Validator => section!("ask.validator"),
        Role::Body => section!("ask.body"),
        Role::Query => section!("ask.query"),
        Role::Response => section!("ask.response"),
        Role::Model => section!("ask.model"),
        Role::TraitImpl => section!("ask.trait_impl"),
        Role::InherentImpl => section!("ask.inherent_impl"),
        Role::AttrHelper => section!("ask.attr_helper"),
        Role::Constant => section!("ask.constant"),
    }
}

/// What the renderer needs to know of one unit: plain data, no syn.
#[derive(Debug, Clone)]
pub struct UnitView<'a> {
    /// Stable key for phrasing choices.
    pub key: String,
    pub role: Role,
    /// What the primary item does, when its code shows one of the kinds of work with sections
    /// of their own (see [`crate::extract::units::work_of`]).
    pub work: Option<Work>,
    pub name: String,
    /// For a chain, the functions after the root, in source order.
    pub callees: Vec<String>,
    /// (item name, its facts) in source order.
    pub items: Vec<(String, &'a [Fact])>,
    /// Index in `items` of the item the unit is about.
    pub primary: usize,
    /// The route of a root handler, when the router names one.
    pub route: Option<&'a Fact>,
    /// Whether a root handler calls the unit's primary item.
    pub called_by_root: bool,
    /// The type whose field has the unit's primary item as its type, when that is why it was
    /// selected.
    pub field_of: Option<String>,
    /// Every selected item of the file with its facts: what rules may look up beyond the unit.
    pub file: &'a rules::FileFacts,
}

/// What chooses among a section's variants: a stable hash of `text` picks a starting variant,
/// and `rotation` (the example's variant number) moves on from it, so two examples of the same
/// unit never phrase a sentence the same way when the section has a second variant.
#[derive(Debug, Clone)]
pub struct Salt<'t> {
    templates: &'t Templates,
    /// The salt's text hashed so far (`stable_hash` of the text, before its end mark): each
    /// choice hashes only its key on top, and a sub-salt only its extra text.
    text: StableHash,
    rotation: u64,
    /// How often each variant has been used in the examples already made, when the caller
    /// steers toward variety: the least-used variant is preferred, the hash breaks ties.
    usage: Option<&'t Usage>,
    /// Every choice made through this salt and the salts made from it, for the caller to
    /// commit to `usage` if it keeps the text.
    picks: Option<&'t std::cell::RefCell<Vec<(String, usize)>>>,
}

/// How many times each variant of each section or rule has been used, by key.
#[derive(Debug, Default)]
pub struct Usage(BTreeMap<String, Vec<usize>>);

impl Usage {
    /// Records the choices of a text that was kept.
    pub fn commit(&mut self, picks: &[(String, usize)]) {
        for (key, index) in picks {
            let counts = self.0.entry(key.clone()).or_default();
            if counts.len() <= *index {
                counts.resize(index + 1, 0);
            }
            counts[*index] += 1;
        }
    }
}

impl<'t> Salt<'t> {
    pub fn new(templates: &'t Templates, text: &str, rotation: usize) -> Salt<'t> {
        let mut hash = StableHash::new();
        hash.bytes(text.as_bytes());
        Salt {
            templates,
            text: hash,
            rotation: rotation as u64,
            usage: None,
            picks: None,
        }
    }

    /// A salt that prefers the variants `usage` has seen least, and records its choices.
    pub fn steered(
        mut self,
        usage: &'t Usage,
        picks: &'t std::cell::RefCell<Vec<(String, usize)>>,
    ) -> Salt<'t> {
        self.usage = Some(usage);
        self.picks = Some(picks);
        self
    }

    /// The salt of `{text}/{extra}`.
    fn sub(&self, extra: &str) -> Salt<'t> {
        self.sub_of(&[extra])
    }

    /// The salt of `{text}/` and then `parts` one after another.
    fn sub_of(&self, parts: &[&str]) -> Salt<'t> {
        let mut text = self.text.clone();
        text.byte(b'/');
        for part in parts {
            text.bytes(part.as_bytes());
        }
        Salt {
            text,
            ..self.clone()
        }
    }

    /// `stable_hash(&[text, key])`, the salt's text hashed with `key` after it.
    fn hash_with(&self, key: &str) -> u64 {
        let mut hash = self.text.clone();
        hash.end_part();
        hash.bytes(key.as_bytes());
        hash.end_part();
        hash.finish()
    }

    /// Which of `count` variants to use under `key`: from a stable hash of the salt, moved on
    /// by the rotation, and, when steered, the least-used one from there on.
    fn choose(&self, key: &str, count: usize) -> usize {
        if count == 0 {
            return 0;
        }
        let start = (self.hash_with(key).wrapping_add(self.rotation) % count as u64) as usize;
        let index = match self.usage.and_then(|usage| usage.0.get(key)) {
            Some(counts) => (0..count)
                .map(|step| (start + step) % count)
                .min_by_key(|&i| counts.get(i).copied().unwrap_or(0))
                .unwrap_or(start),
            None => start,
        };
        if let Some(picks) = self.picks {
            picks.borrow_mut().push((key.to_owned(), index));
        }
        index
    }
}

/// One variant of a section, chosen by the salt. Every `Section` is in the table and every
/// loaded `Templates` has a variant for each, so there is always one to pick.
fn pick<'t>(section: Section, salt: &Salt<'t>) -> &'t str {
    let variants = salt.templates.variants(section);
    if variants.is_empty() {
        return "";
    }
    &variants[salt.choose(section.name(), variants.len())]
}

/// One variant of `section`, chosen by the salt, filled with `vars`: exactly the placeholders
/// [`SECTIONS`] declares for it (checked here in debug builds, so the tests catch a renderer
/// that fills a section otherwise than the table says and the load-time check assumes).
fn fill_in(section: Section, salt: &Salt, vars: &[(&str, String)]) -> String {
    debug_assert!(
        vars.iter().all(|(key, _)| section.fills.contains(key))
            && section
                .fills
                .iter()
                .all(|f| vars.iter().any(|(key, _)| key == f)),
        "[{}] is filled with {:?}, but SECTIONS declares {:?}",
        section.name,
        vars.iter().map(|(key, _)| key).collect::<Vec<_>>(),
        section.fills
    );
    fill(pick(section, salt), vars)
}

/// Makes the article a template wrote before a filled-in word agree with its sound: "a
/// `{ty}`" reads "an `ApplicationIn`" but still "a `MessageOut`" and "a `uid`".
fn agree_article(out: &mut String, value: &str) {
    let head = out.strip_suffix('`').unwrap_or(out);
    let Some(rest) = head.strip_suffix("a ").or_else(|| head.strip_suffix("A ")) else {
        return;
    };
    let alone = rest.is_empty() || rest.ends_with(|c: char| c.is_whitespace() || c == '(');
    if alone && starts_with_vowel_sound(value.trim_start_matches('`')) {
        let at = rest.len() + 1;
        out.insert(at, 'n');
    }
}

/// Whether an English reader says a word (an identifier or a type) starting with a vowel:
/// `a`, `e`, `i` and `o`, and `u` in "un…" (not "uni…"), "up…" and "um…"; "uid", "usize",
/// "Url" and "Uuid" start with a "you".
fn starts_with_vowel_sound(word: &str) -> bool {
    let mut lower = [0u8; 3];
    for (slot, b) in lower.iter_mut().zip(word.bytes()) {
        *slot = b.to_ascii_lowercase();
    }
    match lower {
        [b'a' | b'e' | b'i' | b'o', ..] => true,
        [b'u', b'n', b'i'] => false,
        [b'u', b'n' | b'p' | b'm', _] => true,
        _ => false,
    }
}

/// Replaces `{key}` with its value in one pass, so braces inside values (route paths) are safe.
fn fill<K: AsRef<str>>(template: &str, vars: &[(K, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let key = close.map(|c| &after[..c]);
        match key.and_then(|k| vars.iter().find(|(name, _)| name.as_ref() == k)) {
            Some((_, value)) => {
                agree_article(&mut out, value);
                out.push_str(value);
                rest = &after[close.unwrap_or(0) + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A quotation without its closing full stop, since the sentence around it brings its own.
fn unstop(text: &str) -> String {
    text.trim_end_matches('.').to_owned()
}

fn tick(s: &str) -> String {
    format!("`{s}`")
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn ticked_list(items: &[String]) -> String {
    list(&items.iter().map(|i| tick(i)).collect::<Vec<_>>())
}

fn route_text(route: Option<&Fact>, name: &str) -> String {
    match route {
        Some(Fact::Route { path_pieces, .. }) => match path_pieces.as_slice() {
            [one] => tick(one),
            [prefix @ .., last] => format!(
                "{} (nested under {})",
                tick(last),
                list(&prefix.iter().map(|p| tick(p)).collect::<Vec<_>>())
            ),
            [] => format!("the `{name}` route"),
        },
        // No route read for it (the router not found): never "the handler behind the `x`
        // handler".
        _ => "its route".to_owned(),
    }
}

/// An impl's methods for its sentence: the detailed entries when the item has them, else the
/// names.
fn method_list(names: &[String], context: &ItemContext) -> String {
    if context.methods.is_empty() {
        ticked_list(names)
    } else {
        list(&context.methods)
    }
}

/// Whether any field among an item's facts carries validator rules.
fn has_field_rules(facts: &[Fact]) -> bool {
    facts
        .iter()
        .any(|f| matches!(f, Fact::Field(field) if !field.validate.is_empty()))
}

/// What a fact's sentence may need to know of the item's other facts.
struct ItemContext {
    has_aide: bool,
    /// Whether its route hides the operation from the published docs.
    hidden: bool,
    /// The extractor parameters bound whole (`state: State<AppState>`).
    whole: Vec<String>,
    /// Whether any field of the item carries validator rules.
    field_rules: bool,
    /// The item's methods as list entries (name, and body when it is one short expression),
    /// for the impl's sentence.
    methods: Vec<String>,
}

/// A fact's sentence for the reasoning, or None where the fact is not for prose. Each group of
/// facts has its own function, named for the part of the item it speaks of.
fn reasoning_sentence(fact: &Fact, context: &ItemContext, salt: &Salt) -> Option<String> {
    match fact {
        Fact::Route { .. }
        | Fact::ReadFrom { .. }
        | Fact::NoteComment { .. }
        | Fact::BodyComment { .. }
        | Fact::Signature { .. } => None,
        // Said by `item_sentences_kept`, which knows the item's name.
        Fact::Tracing { .. } => None,
        Fact::Doc { .. }
        | Fact::AideAnnotate { .. }
        | Fact::Instrument { .. }
        | Fact::AllowLint { .. } => annotation_sentence(fact, context, salt),
        Fact::State { .. } | Fact::Extractor { .. } | Fact::Permission { .. } => {
            input_sentence(fact, context, salt)
        }
        Fact::Returns { .. } => returns_sentence(fact, salt),
        Fact::Delegates { .. }
        | Fact::ValidateCall { .. }
        | Fact::ScopedLookup { .. }
        | Fact::CrateHelper { .. }
        | Fact::CacheFetch { .. } => call_sentence(fact, salt),
        Fact::Transaction { .. }
        | Fact::Commit
        | Fact::Conflict { .. }
        | Fact::ActiveModel { .. }
        | Fact::SetFields { .. }
        | Fact::Insert { .. } => database_sentence(fact, salt),
        Fact::QueueSend { .. } => queue_sentence(fact, salt),
        Fact::ErrorCtor { .. }
        | Fact::StatusConst { .. }
        | Fact::LocalAssoc { .. }
        | Fact::Expect { .. } => path_sentence(fact, salt),
        Fact::Derives { .. }
        | Fact::SerdeContainer { .. }
        | Fact::Field(_)
        | Fact::Newtype { .. } => type_sentence(fact, context, salt),
        Fact::TraitImpl { .. }
        | Fact::MarkerImpl { .. }
        | Fact::InherentImpl { .. }
        | Fact::Method { .. }
        | Fact::Branch { .. }
        | Fact::MethodOf { .. } => impl_sentence(fact, context, salt),
        Fact::ValidatorFn { .. } => validator_fn_sentence(fact, salt),
        Fact::CacheDelete { .. }
        | Fact::Refuses { .. }
        | Fact::BuildsSelf { .. }
        | Fact::SetsValue { .. }
        | Fact::Update { .. }
        | Fact::DeleteRow { .. }
        | Fact::BuildsExtractor { .. } => work_sentence(fact, salt),
        // One with its branch named is said with the rest of that branch's steps
        // (`one_branch_sentences`).
        Fact::OnSomePaths { fact, .. } => sometimes_sentence(fact, salt),
        // Request-only (the router is not in the code), or read by the state's sentence.
        Fact::OutsideOpenApi { .. } | Fact::HiddenFromDocs | Fact::WholeExtractor { .. } => None,
    }
}

/// Whether a finder's first argument is the organization or the application (`org_id`,
/// `app.id`, `app.org_id`): only then is the lookup kept inside one tenant.
fn keys_a_tenant(scope: &str) -> bool {
    let scope = scope
        .trim()
        .trim_end_matches(".clone()")
        .trim_end_matches(".to_owned()");
    let last = scope.rsplit(['.', ':']).next().unwrap_or(scope).trim();
    matches!(last, "org_id" | "app_id")
        || (last == "id" && scope.trim_start_matches('&').starts_with("app."))
}

/// Everything the item does in the branch `when`, then which branch that is (worded with
/// `branch_salt`, the salt of the first of those steps).
fn one_branch_sentences(
    name: &str,
    facts: &[Fact],
    when: &PathCondition,
    keep: &dyn Fn(&Fact) -> bool,
    salt: &Salt,
    branch_salt: &Salt,
) -> Vec<String> {
    let whats: Vec<String> = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            keep(f) && matches!(f, Fact::OnSomePaths { when: Some(w), .. } if w == when)
        })
        .filter_map(|(j, f)| {
            sometimes_sentence(f.on_any_path(), &salt.sub_of(&[name, "/", &j.to_string()]))
        })
        .collect();
    branch_sentences(whats, when, branch_salt)
}

/// What one branch does, then which branch it is: one sentence for one thing, "those steps"
/// for several.
fn branch_sentences(mut whats: Vec<String>, when: &PathCondition, salt: &Salt) -> Vec<String> {
    let single = whats.len() == 1;
    let (section, condition) = match when {
        PathCondition::If(c) if single => (section!("sometimes.if"), c),
        PathCondition::If(c) => (section!("sometimes.if.all"), c),
        PathCondition::Else(c) if single => (section!("sometimes.else"), c),
        PathCondition::Else(c) => (section!("sometimes.else.all"), c),
        PathCondition::Arm(p) if single => (section!("sometimes.arm"), p),
        PathCondition::Arm(p) => (section!("sometimes.arm.all"), p),
    };
    if !whats.is_empty() {
        // "The last two steps", never "those steps": a step said just before them may be
        // another branch's.
        let condition = ("condition", condition.clone());
        let vars = if single {
            vec![condition]
        } else {
            vec![condition, ("count", rules::count_word(whats.len()))]
        };
        whats.extend(says(section, salt, &vars));
    }
    whats
}

/// A call or a write that happens in some branches only, said as such: never "it calls X"
/// where X runs only when no key was sent.
fn sometimes_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    let (section, fills) = match fact {
        Fact::Delegates { callee: name, .. } | Fact::CrateHelper { name } => {
            (section!("sometimes.call"), vec![("name", name.clone())])
        }
        Fact::ActiveModel { ty, .. } => (section!("sometimes.new_row"), vec![("ty", ty.clone())]),
        Fact::Insert { receiver } => (
            section!("sometimes.insert"),
            vec![("receiver", receiver.clone())],
        ),
        Fact::Update { receiver } => (
            section!("sometimes.update"),
            vec![("receiver", receiver.clone())],
        ),
        Fact::DeleteRow { receiver } if receiver.contains("::") => (
            section!("sometimes.delete_row.entity"),
            vec![("receiver", receiver.clone())],
        ),
        Fact::DeleteRow { receiver } => (
            section!("sometimes.delete_row"),
            vec![("receiver", receiver.clone())],
        ),
        Fact::CacheDelete { receiver, key } => (
            section!("sometimes.cache_delete"),
            vec![("receiver", receiver.clone()), ("key", key.clone())],
        ),
        Fact::SetsValue {
            target,
            field,
            value,
        } => (
            section!("sometimes.sets_value"),
            vec![
                ("target", target.clone()),
                ("field", field.clone()),
                ("value", value.clone()),
            ],
        ),
        Fact::StatusConst { path } => (section!("sometimes.status"), vec![("path", path.clone())]),
        _ => return None,
    };
    says(section, salt, &fills)
}

/// What the body does beyond calls and writes of its own kinds: a cache entry deleted, an error
/// answered where it cannot go on, a value built field by field, a column set to a fixed value
/// and the row saved, an extractor built for a callee. None for any other fact.
fn work_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    match fact {
        Fact::CacheDelete { receiver, key } => says(
            section!("cache_delete"),
            salt,
            &[("receiver", receiver.clone()), ("key", key.clone())],
        ),
        Fact::Refuses { .. } => refusal_sentence(fact, salt),
        // The fields read from its parameters, from them; else every field it fills.
        // A struct update: the named fields are set, the rest come from the base.
        Fact::BuildsSelf {
            fields,
            base: Some(base),
            ..
        } => says(
            section!("builds_self.base"),
            salt,
            &[("fields", ticked_list(fields)), ("base", base.clone())],
        ),
        // Copies are said to come from a parameter only when they all come from one.
        Fact::BuildsSelf {
            fields,
            read,
            copied_from,
            ..
        } => {
            let copies = !read.is_empty() && copied_from.len() == 1;
            says(
                if copies {
                    section!("builds_self")
                } else {
                    section!("builds_self.plain")
                },
                salt,
                &[
                    ("fields", ticked_list(if copies { read } else { fields })),
                    ("from", ticked_list(copied_from)),
                ],
            )
        }
        Fact::SetsValue {
            target,
            field,
            value,
        } => says(
            section!("sets_value"),
            salt,
            &[
                ("target", target.clone()),
                ("field", field.clone()),
                ("value", value.clone()),
            ],
        ),
        Fact::Update { receiver } => {
            says(section!("update"), salt, &[("receiver", receiver.clone())])
        }
        // `evtype.delete(db)`, or a call through the entity (`Entity::delete_by_id`).
        Fact::DeleteRow { receiver } => says(
            if receiver.contains("::") {
                section!("delete_row.entity")
            } else {
                section!("delete_row")
            },
            salt,
            &[("receiver", receiver.clone())],
        ),
        Fact::BuildsExtractor {
            callee,
            wrapper,
            ty,
        } => says(
            section!("builds_extractor"),
            salt,
            &[
                ("callee", callee.clone()),
                ("wrapper", wrapper.clone()),
                ("ty", ty.clone()),
            ],
        ),
        _ => None,
    }
}

/// The sentence of an `if` whose branch and `else` both answer with an error, from the `if`'s
/// refusal and the `else`'s among `facts`; None when the `else` has none.
fn either_sentence(fact: &Fact, facts: &[Fact], salt: &Salt) -> Option<String> {
    let Fact::Refuses {
        condition: Some(condition),
        error,
        message,
        ..
    } = fact
    else {
        return None;
    };
    let otherwise = facts.iter().find_map(|f| match f {
        Fact::Refuses {
            on: RefusedOn::Else,
            condition: Some(c),
            error,
            ..
        } if c == condition => Some(error.clone()),
        _ => None,
    })?;
    says(
        section!("refuses.either"),
        salt,
        &[
            ("condition", condition.clone()),
            ("error", error.clone()),
            ("message", refusal_message(message.as_ref())),
            ("otherwise", otherwise),
        ],
    )
}

/// A refusal's message as the clause that ends its sentence (`: "…"`), or nothing.
fn refusal_message(message: Option<&String>) -> String {
    message
        .map(|m| format!(": \"{}\"", unstop(m)))
        .unwrap_or_default()
}

/// Where the code answers with an error instead of going on: the condition or arm, the error and
/// the sentence it carries.
fn refusal_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    let Fact::Refuses {
        on,
        condition,
        subject,
        error,
        message,
    } = fact
    else {
        return None;
    };
    let section = match on {
        RefusedOn::If => section!("refuses.if"),
        RefusedOn::Else => section!("refuses.else"),
        RefusedOn::Arm => section!("refuses.arm"),
        RefusedOn::Missing => section!("refuses.missing"),
    };
    if condition.is_none() && !matches!(on, RefusedOn::Missing) {
        return None;
    }
    let subject = match subject {
        Some(entity) if entity.ends_with("::Entity") => format!("no `{entity}` row matches"),
        Some(call) if call.contains("::") => format!("`{call}` returns nothing"),
        Some(value) => format!("`{value}` comes up empty"),
        None => "the chain before it yields nothing".to_owned(),
    };
    let message = refusal_message(message.as_ref());
    says(
        section,
        salt,
        &[
            ("condition", condition.clone().unwrap_or_default()),
            ("subject", subject),
            ("error", error.clone()),
            ("message", message),
        ],
    )
}

/// A section filled in, as a sentence.
fn says(section: Section, salt: &Salt, vars: &[(&str, String)]) -> Option<String> {
    Some(fill_in(section, salt, vars))
}

/// What the item's doc comment and attributes say of it: its summary, its aide annotation, its
/// tracing span, a lint it allows. None for any other fact.
fn annotation_sentence(fact: &Fact, context: &ItemContext, salt: &Salt) -> Option<String> {
    let has_aide = context.has_aide;
    match fact {
        Fact::Doc {
            item,
            summary,
            lines,
        } => {
            let section = if has_aide && *lines > 1 {
                section!("doc.long")
            } else {
                section!("doc")
            };
            says(
                section,
                salt,
                &[
                    ("item", item.clone()),
                    ("summary", unstop(summary)),
                    ("lines", lines.to_string()),
                ],
            )
        }
        Fact::AideAnnotate { item, op_id, attr } => says(
            if context.hidden {
                section!("aide.hidden")
            } else {
                section!("aide")
            },
            salt,
            &[
                ("item", item.clone()),
                ("op_id", op_id.clone()),
                ("attr", attr.clone()),
            ],
        ),
        Fact::Instrument { item } => says(section!("instrument"), salt, &[("item", item.clone())]),
        Fact::AllowLint { item, lint } => says(
            section!("allow_lint"),
            salt,
            &[("item", item.clone()), ("lint", lint.clone())],
        ),
        _ => None,
    }
}

/// What the handler takes in: its state, an extractor (query, path or body), the permission it
/// demands. None for any other fact.
fn input_sentence(fact: &Fact, context: &ItemContext, salt: &Salt) -> Option<String> {
    match fact {
        Fact::State {
            wrapper,
            state_ty,
            bindings,
            rest,
        } => {
            let names: Vec<String> = bindings.iter().map(|b| b.text.clone()).collect();
            // `state: State<AppState>`: the extractor kept whole, nothing destructured.
            if let [binding] = bindings.as_slice()
                && wrapper == "State"
                && context.whole.contains(&binding.name)
            {
                return says(
                    section!("state.whole"),
                    salt,
                    &[
                        ("state_ty", state_ty.clone().unwrap_or_default()),
                        ("bindings", ticked_list(&names)),
                    ],
                );
            }
            let section = match (wrapper.as_str(), state_ty, rest) {
                ("State", Some(_), true) => section!("state.state_rest"),
                ("State", Some(_), false) => section!("state.state"),
                _ => section!("state.extension"),
            };
            let mut text = fill_in(
                section,
                salt,
                &[
                    ("state_ty", state_ty.clone().unwrap_or_default()),
                    ("bindings", ticked_list(&names)),
                ],
            );
            if let Some(by_ref) = bindings.iter().find(|b| b.by_ref) {
                text.push(' ');
                text.push_str(&fill_in(
                    section!("state.ref"),
                    salt,
                    &[("ref_text", by_ref.text.clone())],
                ));
            }
            Some(text)
        }
        Fact::Extractor {
            role,
            wrapper,
            ty,
            binding,
            fields,
        } => {
            let section = match role {
                ExtractorRole::Query if wrapper.starts_with("Validated") => {
                    section!("extractor.query")
                }
                ExtractorRole::Query => section!("extractor.query_plain"),
                ExtractorRole::Path => section!("extractor.path"),
                ExtractorRole::Body if wrapper.starts_with("Validated") => {
                    section!("extractor.body")
                }
                ExtractorRole::Body => section!("extractor.body_plain"),
            };
            let fields = if fields.is_empty() {
                String::new()
            } else {
                format!(", binding {}", ticked_list(fields))
            };
            says(
                section,
                salt,
                &[
                    ("wrapper", wrapper.clone()),
                    ("ty", ty.clone()),
                    ("binding", binding.clone().unwrap_or_default()),
                    ("fields", fields),
                ],
            )
        }
        Fact::Permission { ty, fields } => says(
            if fields.is_empty() {
                section!("permission.bare")
            } else {
                section!("permission")
            },
            salt,
            &[("ty", ty.clone()), ("fields", ticked_list(fields))],
        ),
        _ => None,
    }
}

/// What the handler returns: its type, with the status and body when the code names them.
/// None for any other fact.
fn returns_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    let Fact::Returns { ty, status, body } = fact else {
        return None;
    };
    let section = match (status, body) {
        (Some(_), Some(_)) => section!("returns.status"),
        (None, Some(_)) => section!("returns.body"),
        _ => section!("returns.plain"),
    };
    says(
        section,
        salt,
        &[
            ("ty", ty.clone()),
            ("status", status.clone().unwrap_or_default()),
            ("body", body.clone().unwrap_or_default()),
        ],
    )
}

/// What the code calls: the function it delegates to, a validation, a scoped lookup, a crate
/// helper, a cache fetch. None for any other fact.
fn call_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    match fact {
        Fact::Delegates {
            callee, whole_body, ..
        } => says(
            if *whole_body {
                section!("delegates")
            } else {
                section!("calls_local")
            },
            salt,
            &[("callee", callee.clone())],
        ),
        Fact::ValidateCall { receiver, .. } => says(
            section!("validate_call"),
            salt,
            &[("receiver", receiver.clone())],
        ),
        Fact::ScopedLookup {
            entity,
            method,
            scope,
        } => {
            // Only a finder keyed by the organization or the application keeps the query inside
            // one tenant; `secure_find_by_msg(msg_id)` filters by the message alone, the tenant
            // was checked by an earlier lookup.
            let tenant = scope.as_deref().is_some_and(keys_a_tenant);
            let scope = scope
                .as_ref()
                .map(|s| format!(" keyed by `{s}`"))
                .unwrap_or_default();
            match entity {
                Some(entity) => says(
                    if tenant {
                        section!("scoped_lookup")
                    } else {
                        section!("scoped_lookup.keyed")
                    },
                    salt,
                    &[
                        ("entity", entity.clone()),
                        ("method", method.clone()),
                        ("scope", scope),
                    ],
                ),
                None => says(
                    section!("scoped_lookup.bare"),
                    salt,
                    &[("method", method.clone()), ("scope", scope)],
                ),
            }
        }
        Fact::CrateHelper { name } => {
            says(section!("crate_helper"), salt, &[("name", name.clone())])
        }
        Fact::CacheFetch { call, ttl } => {
            let ttl = ttl
                .as_ref()
                .map(|t| format!(" with a time-to-live of `{t}`"))
                .unwrap_or_default();
            says(
                section!("cache"),
                salt,
                &[("call", call.clone()), ("ttl", ttl)],
            )
        }
        _ => None,
    }
}

/// What the code writes to the database: the transaction, its commit, a conflict, the active
/// model built and its fields, the insert. None for any other fact.
fn database_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    match fact {
        Fact::Transaction { method, inserts } => {
            if inserts.is_empty() {
                says(
                    section!("transaction.begin"),
                    salt,
                    &[("method", method.clone())],
                )
            } else {
                says(
                    section!("transaction"),
                    salt,
                    &[
                        ("method", method.clone()),
                        ("inserts", ticked_list(inserts)),
                    ],
                )
            }
        }
        Fact::Commit => says(section!("commit"), salt, &[]),
        Fact::Conflict { via } => says(section!("conflict"), salt, &[("via", via.clone())]),
        Fact::ActiveModel {
            ty,
            set_fields,
            base,
        } => {
            if set_fields.is_empty() {
                return says(section!("active_model.new"), salt, &[("ty", ty.clone())]);
            }
            let base = base
                .as_ref()
                .map(|b| format!(", taking the rest from `{b}`"))
                .unwrap_or_default();
            says(
                section!("active_model"),
                salt,
                &[
                    ("ty", ty.clone()),
                    ("set_fields", ticked_list(set_fields)),
                    ("base", base),
                ],
            )
        }
        Fact::SetFields { target, fields } => says(
            section!("set_fields"),
            salt,
            &[("target", target.clone()), ("fields", ticked_list(fields))],
        ),
        Fact::Insert { receiver } => {
            says(section!("insert"), salt, &[("receiver", receiver.clone())])
        }
        _ => None,
    }
}

/// What the code sends to a queue: the task, and the guard or loop around the send. None for
/// any other fact.
fn queue_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    let Fact::QueueSend {
        queue,
        task,
        guard,
        in_loop,
    } = fact
    else {
        return None;
    };
    let task = task
        .as_ref()
        .map(|t| format!(" (a task built by `{t}`)"))
        .unwrap_or_default();
    let section = match (guard, in_loop) {
        (Some(_), _) => section!("queue.guarded"),
        (None, true) => section!("queue.loop"),
        (None, false) => section!("queue"),
    };
    says(
        section,
        salt,
        &[
            ("queue", queue.clone()),
            ("task", task),
            ("guard", guard.clone().unwrap_or_default()),
        ],
    )
}

/// A path or a macro the code names on its way: an error constructor, a status constant, a
/// local associated item, an `expect`'s message. None for any other fact.
fn path_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    match fact {
        Fact::ErrorCtor { path, always } => says(
            if *always {
                section!("error.always")
            } else {
                section!("error")
            },
            salt,
            &[("path", path.clone())],
        ),
        Fact::StatusConst { path } => {
            says(section!("status_const"), salt, &[("path", path.clone())])
        }
        Fact::LocalAssoc { path } => says(section!("local_assoc"), salt, &[("path", path.clone())]),
        Fact::Expect { message } => says(section!("expect"), salt, &[("message", message.clone())]),
        _ => None,
    }
}

/// What a type is made of: its derives (and the mechanisms they bring), its serde renaming, a
/// field, a newtype's inner type. None for any other fact.
fn type_sentence(fact: &Fact, context: &ItemContext, salt: &Salt) -> Option<String> {
    match fact {
        Fact::Derives {
            item,
            list: derives,
        } => {
            let field_rules = &context.field_rules;
            let mechanisms = derive_mechanisms(derives, *field_rules);
            let section = if mechanisms.is_empty() {
                section!("derives")
            } else {
                section!("derives.mechanisms")
            };
            says(
                section,
                salt,
                &[
                    ("item", item.clone()),
                    ("list", ticked_list(derives)),
                    ("mechanisms", list(&mechanisms)),
                ],
            )
        }
        Fact::SerdeContainer { rename_all } => says(
            section!("serde_container"),
            salt,
            &[("rename_all", rename_all.clone())],
        ),
        Fact::Field(field) => says(
            if field.ty.is_empty() {
                section!("field.untyped")
            } else {
                section!("field")
            },
            salt,
            &[
                ("name", field.name.clone()),
                ("ty", field.ty.clone()),
                ("clauses", field_clauses(field)),
            ],
        ),
        Fact::Newtype {
            item,
            inner,
            raw_json,
        } => says(
            if *raw_json {
                section!("newtype.raw")
            } else {
                section!("newtype")
            },
            salt,
            &[("item", item.clone()), ("inner", inner.clone())],
        ),
        _ => None,
    }
}

/// What an impl holds: the trait (or none) and its methods, a method's shape, a branch in it,
/// the type a method belongs to. None for any other fact.
fn impl_sentence(fact: &Fact, context: &ItemContext, salt: &Salt) -> Option<String> {
    match fact {
        Fact::TraitImpl {
            trait_name,
            self_ty,
            methods,
            assoc_types,
        } => {
            let section = if trait_name.ends_with("JsonSchema") {
                section!("trait_impl.schema")
            } else if !assoc_types.is_empty() {
                section!("trait_impl.assoc")
            } else {
                section!("trait_impl")
            };
            says(
                section,
                salt,
                &[
                    ("trait_name", trait_name.clone()),
                    ("self_ty", self_ty.clone()),
                    ("methods", method_list(methods, context)),
                    ("assoc", ticked_list(assoc_types)),
                ],
            )
        }
        Fact::MarkerImpl {
            trait_name,
            self_ty,
        } => says(
            section!("marker_impl"),
            salt,
            &[
                ("trait_name", trait_name.clone()),
                ("self_ty", self_ty.clone()),
            ],
        ),
        Fact::InherentImpl { self_ty, methods } => says(
            section!("inherent_impl"),
            salt,
            &[
                ("self_ty", self_ty.clone()),
                ("methods", method_list(methods, context)),
            ],
        ),
        Fact::Method {
            name,
            receiver,
            params,
            returns,
            body,
        } => Some(method_sentence(
            name,
            receiver.as_ref(),
            params,
            returns.as_ref(),
            body.as_ref(),
            salt,
        )),
        Fact::Branch { condition } => says(
            section!("branch"),
            salt,
            &[("condition", condition.clone())],
        ),
        Fact::MethodOf {
            method,
            self_ty,
            named: true,
        } => says(
            section!("method_of"),
            salt,
            &[("method", method.clone()), ("self_ty", self_ty.clone())],
        ),
        _ => None,
    }
}

/// What a validator function checks: its argument, its test, and the first message it gives.
/// None for any other fact.
fn validator_fn_sentence(fact: &Fact, salt: &Salt) -> Option<String> {
    let Fact::ValidatorFn {
        name,
        arg_ty,
        messages,
        condition,
    } = fact
    else {
        return None;
    };
    let condition = condition
        .as_ref()
        .map(|c| format!(" (the test is `{c}`)"))
        .unwrap_or_default();
    let mut text = fill_in(
        section!("validator_fn"),
        salt,
        &[
            ("name", name.clone()),
            ("arg_ty", arg_ty.clone()),
            ("condition", condition),
        ],
    );
    if let Some(message) = messages.first() {
        text.push(' ');
        text.push_str(&fill_in(
            section!("validator_fn.message"),
            salt,
            &[("message", unstop(message))],
        ));
    }
    Some(text)
}

fn method_sentence(
    name: &str,
    receiver: Option<&String>,
    params: &[String],
    returns: Option<&String>,
    body: Option<&String>,
    salt: &Salt,
) -> String {
    let mut inputs: Vec<String> = receiver.into_iter().cloned().collect();
    inputs.extend(params.iter().cloned());
    let inputs = if inputs.is_empty() {
        "no arguments".to_owned()
    } else {
        ticked_list(&inputs)
    };
    let section = match (returns, body) {
        (_, Some(_)) => section!("method.body"),
        (Some(_), None) => section!("method"),
        (None, None) => section!("method.unit"),
    };
    fill_in(
        section,
        salt,
        &[
            ("name", name.to_owned()),
            ("inputs", inputs),
            ("returns", returns.cloned().unwrap_or_default()),
            ("body", body.cloned().unwrap_or_default()),
        ],
    )
}

/// What a derive list brings in; `field_rules` says whether the type's fields carry validator
/// rules, since a `Validate` with none only satisfies a bound elsewhere.
fn derive_mechanisms(derives: &[String], field_rules: bool) -> Vec<String> {
    let has = |name: &str| derives.iter().any(|d| d.ends_with(name));
    let mut out = Vec::new();
    if has("Deserialize") || has("Serialize") {
        out.push("serde for the wire format".to_owned());
    }
    if has("Validate") {
        out.push(if field_rules {
            "validator for the field rules".to_owned()
        } else {
            "a `Validate` impl with no rules of its own".to_owned()
        });
    }
    if has("JsonSchema") {
        out.push("schemars for its JSON Schema".to_owned());
    }
    out
}

/// What a field sentence says beyond name and type: its doc, wire name, its own validation
/// rules and a default. Aliases, `nested`, `Option::is_none` skipping, schema skipping and an
/// example that is also the default are left to the rules, which say why.
fn field_clauses(field: &FieldFact) -> String {
    let mut clauses = Vec::new();
    if let Some(doc) = &field.doc {
        clauses.push(format!("documented as \"{}\"", unstop(doc)));
    }
    if let Some(rename) = &field.rename {
        clauses.push(format!("named `{rename}` on the wire"));
    }
    if let Some(default) = &field.default_fn {
        clauses.push(format!("defaulting through `{default}`"));
    }
    if field.default {
        clauses.push("optional on input, where its type's default fills it in".to_owned());
    }
    if field.flatten {
        clauses.push(format!(
            "flattened by serde, so its own fields sit at this type's level of the JSON rather \
             than under `{}`",
            field.name
        ));
    }
    if let Some(skip) = field
        .skip_serializing_if
        .as_ref()
        .filter(|s| *s != "Option::is_none")
    {
        clauses.push(format!("left out of the output when `{skip}` holds"));
    }
    let own_rules: Vec<String> = field
        .validate
        .iter()
        .filter(|v| *v != "nested")
        .cloned()
        .collect();
    if !own_rules.is_empty() {
        clauses.push(format!("validated with {}", ticked_list(&own_rules)));
    }
    if let Some(example) = field
        .example_fn
        .as_ref()
        .filter(|e| field.default_fn.as_ref() != Some(*e))
    {
        clauses.push(format!("with a schemars example from `{example}`"));
    }
    if clauses.is_empty() {
        String::new()
    } else {
        format!(", {}", list(&clauses))
    }
}

/// Facts whose sentences read better merged into one listing them all: the one-value section,
/// the many-value section and the placeholder the value fills.
struct Merged {
    one: Section,
    many: Section,
    key: &'static str,
}

const MERGED_ERRORS: Merged = Merged {
    one: section!("error"),
    many: section!("error.many"),
    key: "path",
};
const MERGED_HELPERS: Merged = Merged {
    one: section!("crate_helper"),
    many: section!("crate_helper.many"),
    key: "name",
};
const MERGED_NEW_ROWS: Merged = Merged {
    one: section!("active_model.new"),
    many: section!("active_model.new_many"),
    key: "ty",
};
const MERGED_ASSOCS: Merged = Merged {
    one: section!("local_assoc"),
    many: section!("local_assoc.many"),
    key: "path",
};

fn merged_kind(fact: &Fact) -> Option<(&'static Merged, String)> {
    match fact {
        // The one error of a body that always fails has a sentence of its own.
        Fact::ErrorCtor {
            path,
            always: false,
        } => Some((&MERGED_ERRORS, path.clone())),
        Fact::CrateHelper { name } => Some((&MERGED_HELPERS, name.clone())),
        Fact::LocalAssoc { path } => Some((&MERGED_ASSOCS, path.clone())),
        Fact::ActiveModel { ty, set_fields, .. } if set_fields.is_empty() => {
            Some((&MERGED_NEW_ROWS, ty.clone()))
        }
        _ => None,
    }
}

fn merged_sentence(kind: &Merged, values: &[String], salt: &Salt) -> String {
    match values {
        [one] => fill_in(kind.one, salt, &[(kind.key, one.clone())]),
        many => fill_in(kind.many, salt, &[("list", ticked_list(many))]),
    }
}

/// A method as one list entry: its name, and its body when that is one short expression.
fn method_entry(fact: &Fact) -> Option<String> {
    match fact {
        Fact::Method {
            name,
            body: Some(body),
            ..
        } => Some(format!("`{name}` (`{body}`)")),
        Fact::Method {
            name,
            returns: Some(returns),
            ..
        } => Some(format!("`{name}`, returning `{returns}`")),
        Fact::Method { name, .. } => Some(format!("`{name}`")),
        _ => None,
    }
}

/// A field as one list entry: name, type and what its attributes say that no rule explains.
fn field_entry(field: &FieldFact) -> String {
    let clauses = field_clauses(field);
    if field.ty.is_empty() {
        format!("`{}`{clauses}", field.name)
    } else {
        format!("`{}` (`{}`{clauses})", field.name, field.ty)
    }
}

/// What an item's sentences need that no phrasing changes: worked out once per unit, then
/// used by every candidate phrasing.
struct ItemPrep {
    has_extractors: bool,
    /// The values of each kind of fact said once as a list, by its one-value section's name.
    merged: BTreeMap<&'static str, Vec<String>>,
    context: ItemContext,
    has_impl: bool,
    fields: Vec<String>,
    plain_returns: Option<String>,
}

impl ItemPrep {
    /// Worded knowing all of the item's facts; lists (merged values, fields) take only the
    /// facts `keep` holds.
    fn of(facts: &[Fact], keep: &dyn Fn(&Fact) -> bool) -> ItemPrep {
        let has_aide = facts.iter().any(|f| matches!(f, Fact::AideAnnotate { .. }));
        let has_extractors = facts.iter().any(|f| {
            matches!(
                f,
                Fact::State { .. } | Fact::Extractor { .. } | Fact::Permission { .. }
            )
        });
        // An error said with where it is answered needs no sentence of its own.
        let refused: Vec<&str> = facts
            .iter()
            .filter_map(|f| match f {
                Fact::Refuses { error, .. } => Some(error.as_str()),
                _ => None,
            })
            .collect();
        // Keyed by the one-value section's name, which tells the merged kinds apart.
        let mut merged: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for fact in facts.iter().filter(|f| keep(f)) {
            if let Fact::ErrorCtor { path, .. } = fact
                && refused.contains(&path.as_str())
            {
                continue;
            }
            if let Some((kind, value)) = merged_kind(fact) {
                let values = merged.entry(kind.one.name()).or_default();
                if !values.contains(&value) {
                    values.push(value);
                }
            }
        }
        // Listed in the impl's sentence, with bodies, when some method is one short expression:
        // otherwise the list would only repeat the names the impl's sentence gives.
        let methods: Vec<String> = if facts
            .iter()
            .any(|f| matches!(f, Fact::Method { body: Some(_), .. }))
        {
            facts.iter().filter_map(method_entry).collect()
        } else {
            Vec::new()
        };
        let context = ItemContext {
            has_aide,
            hidden: facts.iter().any(|f| matches!(f, Fact::HiddenFromDocs)),
            whole: facts
                .iter()
                .filter_map(|f| match f {
                    Fact::WholeExtractor { binding, .. } => Some(binding.clone()),
                    _ => None,
                })
                .collect(),
            field_rules: has_field_rules(facts),
            methods,
        };
        let has_impl = facts
            .iter()
            .any(|f| matches!(f, Fact::TraitImpl { .. } | Fact::InherentImpl { .. }));
        let fields: Vec<String> = facts
            .iter()
            .filter(|f| keep(f))
            .filter_map(|f| match f {
                Fact::Field(field) => Some(field_entry(field)),
                _ => None,
            })
            .collect();
        let plain_returns = facts.iter().find_map(|f| match f {
            Fact::Returns {
                ty, status: None, ..
            } if !has_extractors => Some(ty.clone()),
            _ => None,
        });
        ItemPrep {
            has_extractors,
            merged,
            context,
            has_impl,
            fields,
            plain_returns,
        }
    }
}

/// What a helper takes and gives back, from its signature; None when it takes nothing and its
/// result is not a plain value.
fn signature_sentence(
    name: &str,
    params: &[String],
    plain_returns: &Option<String>,
    salt: &Salt,
) -> Option<String> {
    let section = match (plain_returns, params.is_empty()) {
        (Some(_), false) => section!("signature.returns"),
        (Some(_), true) => section!("signature.returns_only"),
        (None, false) => section!("signature.helper"),
        (None, true) => return None,
    };
    Some(fill_in(
        section,
        salt,
        &[
            ("item", name.to_owned()),
            ("params", ticked_list(params)),
            ("ty", plain_returns.clone().unwrap_or_default()),
        ],
    ))
}

/// The sentences for one item's facts, in code order. Facts of one kind that would each make a
/// sentence of the same shape (the fields of a struct, the methods of an impl, a helper's
/// parameters and result) are said once, as a list.
fn item_sentences(name: &str, facts: &[Fact], prep: &ItemPrep, salt: &Salt) -> Vec<String> {
    item_sentences_kept(name, facts, prep, &|_| true, salt)
}

/// The sentences of the facts `keep` holds (the same `keep` as `prep`'s), each worded knowing
/// all of the item's facts.
fn item_sentences_of(
    name: &str,
    facts: &[Fact],
    keep: &dyn Fn(&Fact) -> bool,
    salt: &Salt,
) -> Vec<String> {
    item_sentences_kept(name, facts, &ItemPrep::of(facts, keep), keep, salt)
}

fn item_sentences_kept(
    name: &str,
    facts: &[Fact],
    prep: &ItemPrep,
    keep: &dyn Fn(&Fact) -> bool,
    salt: &Salt,
) -> Vec<String> {
    let ItemPrep {
        has_extractors,
        merged,
        context,
        has_impl,
        fields,
        plain_returns,
    } = prep;
    let (has_extractors, has_impl) = (*has_extractors, *has_impl);
    let mut out = Vec::new();
    let mut emitted: Vec<&str> = Vec::new();
    let mut branches_said: Vec<&PathCondition> = Vec::new();
    for (i, fact) in facts.iter().enumerate() {
        if !keep(fact) {
            continue;
        }
        let fact_salt = salt.sub_of(&[name, "/", &i.to_string()]);
        if let Some((kind, _)) = merged_kind(fact) {
            let key = kind.one.name();
            if !emitted.contains(&key)
                && let Some(values) = merged.get(key)
            {
                emitted.push(key);
                out.push(merged_sentence(kind, values, &fact_salt));
            }
            continue;
        }
        match fact {
            // `if c { A } else { B }`, both errors: one sentence for the two sides.
            Fact::Refuses {
                on: RefusedOn::If, ..
            } => match either_sentence(fact, facts, &fact_salt) {
                Some(sentence) => {
                    emitted.push("refuses.either");
                    out.push(sentence);
                }
                None => out.extend(reasoning_sentence(fact, context, &fact_salt)),
            },
            Fact::Refuses {
                on: RefusedOn::Else,
                condition: Some(condition),
                ..
            } if emitted.contains(&"refuses.either")
                && facts.iter().any(|f| {
                    matches!(f, Fact::Refuses { on: RefusedOn::If, condition: Some(c), .. }
                        if c == condition)
                }) => {}
            // A call in a condition the refusal's sentence quotes says nothing more alone.
            Fact::Delegates {
                callee,
                whole_body: false,
                ..
            } if facts.iter().any(|f| {
                matches!(f, Fact::Refuses { condition: Some(c), .. }
                    if c.contains(&format!("{callee}(")))
            }) => {}
            Fact::Branch { condition }
                if facts.iter().any(
                    |f| matches!(f, Fact::Refuses { condition: Some(c), .. } if c == condition),
                ) => {}
            Fact::Signature { .. } if has_extractors => {}
            Fact::Signature { params, .. } => {
                out.extend(signature_sentence(name, params, plain_returns, &fact_salt));
            }
            // What one branch does, said together where that branch is first met.
            Fact::OnSomePaths { when: Some(w), .. } if !branches_said.contains(&w) => {
                branches_said.push(w);
                out.extend(one_branch_sentences(name, facts, w, keep, salt, &fact_salt));
            }
            Fact::OnSomePaths { when: Some(_), .. } => {}
            Fact::Returns { status: None, .. } if !has_extractors => {}
            Fact::Method { .. } if has_impl => {}
            Fact::Field(_) if fields.len() == 1 => {
                out.extend(reasoning_sentence(fact, context, &fact_salt));
            }
            Fact::Field(_) => {
                if !emitted.contains(&"fields") {
                    emitted.push("fields");
                    out.push(fill_in(
                        section!("fields"),
                        &fact_salt,
                        &[
                            ("item", name.to_owned()),
                            ("list", fields.join("; ")),
                            ("count", fields.len().to_string()),
                        ],
                    ));
                }
            }
            // Named, never "it": after a sentence about a function the item calls, "it" reads
            // as that function, and the log call is not in it.
            Fact::Tracing { mac } => out.extend(says(
                section!("tracing"),
                &fact_salt,
                &[("mac", mac.clone()), ("item", name.to_owned())],
            )),
            _ => out.extend(reasoning_sentence(fact, context, &fact_salt)),
        }
    }
    name_the_subject_after_callees(name, facts, &mut out);
    out
}

/// After a sentence that names a function the item calls, a sentence opening with "It" reads as
/// about that function ("`generate_app_token` is defined outside this file. It builds errors of
/// its own with ..." said of the handler's own error): such a sentence names the item instead.
fn name_the_subject_after_callees(name: &str, facts: &[Fact], out: &mut [String]) {
    let callees: Vec<String> = facts
        .iter()
        .filter_map(|f| match f.on_any_path() {
            Fact::Delegates { callee, .. } => Some(callee.as_str()),
            Fact::CrateHelper { name } => Some(name.as_str()),
            Fact::LocalAssoc { path } => Some(path.as_str()),
            _ => None,
        })
        .filter(|callee| *callee != name)
        .map(|callee| format!("`{callee}`"))
        .collect();
    for i in 1..out.len() {
        if !callees.iter().any(|c| out[i - 1].contains(c.as_str())) {
            continue;
        }
        let renamed = if let Some(rest) = out[i].strip_prefix("It ") {
            format!("`{name}` {rest}")
        } else if let Some(rest) = out[i].strip_prefix("Its ") {
            format!("`{name}`'s {rest}")
        } else {
            continue;
        };
        out[i] = renamed;
    }
}

/// The trait and self type of the unit's primary impl block.
fn impl_names(unit: &UnitView) -> (String, String) {
    let facts = unit.items.get(unit.primary).map_or(&[][..], |(_, f)| f);
    for fact in facts {
        match fact {
            Fact::TraitImpl {
                trait_name,
                self_ty,
                ..
            }
            | Fact::MarkerImpl {
                trait_name,
                self_ty,
            } => return (trait_name.clone(), self_ty.clone()),
            Fact::InherentImpl { self_ty, .. } => return (String::new(), self_ty.clone()),
            _ => {}
        }
    }
    (String::new(), String::new())
}

/// What a trivial helper carried by a struct's unit is for (the struct's serde default, its
/// schemars example, or both) and its list entry, with what it returns.
fn joined_helper(unit: &UnitView, name: &str, facts: &[Fact]) -> Option<(Section, String)> {
    let ty = facts.iter().find_map(|f| match f {
        Fact::Returns { ty, .. } => Some(ty.clone()),
        _ => None,
    })?;
    let fields = unit
        .items
        .get(unit.primary)
        .map_or(&[][..], |(_, f)| f)
        .iter()
        .filter_map(|f| match f {
            Fact::Field(field) => Some(field),
            _ => None,
        });
    let (mut default, mut example) = (false, false);
    // The fields it serves, named: "when a field is missing" is only true of these.
    let mut served: Vec<String> = Vec::new();
    for field in fields {
        let (d, e) = (
            field.default_fn.as_deref() == Some(name),
            field.example_fn.as_deref() == Some(name),
        );
        if d || e {
            served.push(field.name.clone());
        }
        default |= d;
        example |= e;
    }
    let section = match (default, example) {
        (true, true) => section!("joined_helper.both"),
        (true, false) => section!("joined_helper.default"),
        (false, true) => section!("joined_helper.example"),
        (false, false) => return None,
    };
    Some((
        section,
        format!("`{name}` (returning `{ty}`) for {}", ticked_list(&served)),
    ))
}

/// The type a validator unit checks, or the error an error mapping takes, or nothing.
fn validated_type(unit: &UnitView) -> String {
    let facts = unit.items.iter().flat_map(|(_, f)| f.iter());
    if unit.work == Some(Work::ErrorMapping) {
        return facts
            .filter_map(|f| match f {
                Fact::Signature { arg_types, .. } => arg_types.first().cloned(),
                _ => None,
            })
            .next()
            .unwrap_or_default();
    }
    facts
        .filter_map(|f| match f {
            Fact::ValidatorFn { arg_ty, .. } => Some(arg_ty.clone()),
            _ => None,
        })
        .next()
        .unwrap_or_default()
}

/// The opening sentence: what the unit is, from its role and what selection knows of it.
fn purpose(unit: &UnitView, salt: &Salt) -> String {
    let (trait_name, self_ty) = impl_names(unit);
    let arg_ty = validated_type(unit);
    let section = match unit.work {
        Some(Work::CacheInvalidation) => Some(section!("purpose.cache_invalidation")),
        Some(Work::ErrorConstructor) => Some(section!("purpose.error_constructor")),
        Some(Work::ErrorMapping) => Some(section!("purpose.error_mapping")),
        Some(Work::Builder) => Some(section!("purpose.builder")),
        Some(Work::Conversion) => Some(section!("purpose.conversion")),
        None => None,
    };
    let section = section.unwrap_or(match unit.role {
        Role::Handler => section!("purpose.handler"),
        Role::Chain => section!("purpose.chain"),
        Role::Helper if does_the_work(unit) => section!("purpose.helper_of_root"),
        Role::Helper => section!("purpose.helper"),
        Role::Check => section!("purpose.check"),
        Role::Validator => section!("purpose.validator"),
        Role::Body => section!("purpose.body"),
        Role::Query => section!("purpose.query"),
        Role::Response if unit.file.only_listed(&unit.name) => section!("purpose.response_item"),
        Role::Response => section!("purpose.response"),
        Role::Model => section!("purpose.model"),
        Role::TraitImpl => section!("purpose.trait_impl"),
        Role::InherentImpl => section!("purpose.inherent_impl"),
        Role::AttrHelper => section!("purpose.attr_helper"),
        Role::Constant => section!("purpose.constant"),
    });
    fill_in(
        section,
        salt,
        &[
            ("name", unit.name.clone()),
            ("callees", ticked_list(&unit.callees)),
            ("trait_name", trait_name),
            ("self_ty", self_ty),
            ("arg_ty", arg_ty),
            ("sources", sources(unit)),
        ],
    )
}

/// What a constructor builds its value from: the parameters its fields read, or its
/// arguments in general.
fn sources(unit: &UnitView) -> String {
    let from = unit
        .items
        .iter()
        .flat_map(|(_, f)| f.iter())
        .find_map(|f| match f {
            Fact::BuildsSelf { from, .. } if !from.is_empty() => Some(from.clone()),
            _ => None,
        });
    match from {
        Some(from) => ticked_list(&from),
        None => "its arguments".to_owned(),
    }
}

/// One variant of a rule's sentence, chosen like a section's.
fn rule_sentence(fired: &rules::Fired, salt: &Salt) -> String {
    let variants = &fired.rule.say;
    let index = salt.choose(&format!("rule:{}", fired.rule.id), variants.len());
    let template = variants.get(index).map_or("", String::as_str);
    fill(template, &fired.vars)
}

/// What the reasoning of one unit says, and which rules it drew on.
pub struct Reasoning {
    pub text: String,
    /// The ids of the rules that fired, in the order their sentences appear.
    pub rules: Vec<String>,
}

/// The rules that fire for each item of a unit (in the unit's item order), and the plan of its
/// reasoning. Firing reads facts only, never the phrasing, so a unit's insights are worked out
/// once and serve every candidate rendering of its request and reasoning.
pub struct Insights<'r>(Vec<Vec<rules::Fired<'r>>>, Vec<Planned>);

/// One item of a reasoning, in the order the reasoning speaks of them.
struct Planned {
    index: usize,
    /// The item's rules that fire here first (a rule says its piece once per unit), by their
    /// place among the item's fired rules.
    fired: Vec<usize>,
    /// The item's facts less those a firing rule replaces.
    kept: Vec<Fact>,
    prep: ItemPrep,
    /// A struct's trivial helper, said with its kind in one shared sentence when it is one.
    is_helper_fn: bool,
    /// In a chain, a callee that takes extractors itself: the root's name, for the sentence
    /// saying its extractors are the values the root passes, not a second extraction.
    passed_from: Option<String>,
    joined: Option<(Section, String)>,
}

pub fn insights<'r>(unit: &UnitView, rules: &'r [rules::Rule]) -> Insights<'r> {
    let fired: Vec<Vec<rules::Fired>> = unit
        .items
        .iter()
        .map(|(_, facts)| {
            let scope = rules::Scope {
                facts,
                unit: &unit.items,
                file: unit.file,
            };
            rules::fire(rules, &scope)
        })
        .collect();
    let plan = plan_reasoning(unit, &fired);
    Insights(fired, plan)
}

/// The items of a reasoning in order, with what each says.
fn plan_reasoning(unit: &UnitView, fired: &[Vec<rules::Fired>]) -> Vec<Planned> {
    let mut fired_ids: Vec<&str> = Vec::new();
    // A chain reads in code order; any other unit speaks of its primary item first.
    let mut order: Vec<usize> = (0..unit.items.len()).collect();
    if unit.role != Role::Chain {
        order.sort_by_key(|&i| i != unit.primary);
    }
    let mut plan = Vec::new();
    for index in order {
        let (name, facts) = &unit.items[index];
        let here: Vec<usize> = fired[index]
            .iter()
            .enumerate()
            .filter(|(_, f)| !fired_ids.contains(&f.rule.id.as_str()))
            .map(|(i, _)| i)
            .collect();
        let replaced: Vec<&str> = here
            .iter()
            .flat_map(|&i| fired[index][i].rule.replaces.iter().map(String::as_str))
            .collect();
        // A chain's callee that takes extractors (a handler of its own route) gets them from
        // its root, not from the request: its sentences about extraction would say otherwise.
        let takes_extractors = |f: &Fact| {
            matches!(
                f,
                Fact::State { .. }
                    | Fact::Extractor { .. }
                    | Fact::Permission { .. }
                    | Fact::WholeExtractor { .. }
            )
        };
        let callee_of_root = unit.role == Role::Chain && index != unit.primary;
        let passed_from = (callee_of_root && facts.iter().any(takes_extractors))
            .then(|| unit.items[unit.primary].0.clone());
        let kept: Vec<Fact> = facts
            .iter()
            .filter(|f| !replaced.contains(&f.kind()))
            .filter(|f| !callee_of_root || !takes_extractors(f))
            // Its parameters are all extractors: without them its signature "takes nothing".
            .filter(|f| {
                passed_from.is_none()
                    || !matches!(f, Fact::Signature { params, .. } if params.is_empty())
            })
            .cloned()
            .collect();
        let is_helper_fn = index != unit.primary
            && unit.role.is_struct()
            && facts.iter().any(|f| matches!(f, Fact::Signature { .. }));
        let joined = if is_helper_fn {
            joined_helper(unit, name, facts)
        } else {
            None
        };
        fired_ids.extend(here.iter().map(|&i| fired[index][i].rule.id.as_str()));
        plan.push(Planned {
            index,
            fired: here,
            prep: ItemPrep::of(&kept, &|_| true),
            kept,
            is_helper_fn,
            passed_from,
            joined,
        });
    }
    plan
}

/// The reasoning block: what the unit is, then each item's facts in code order, each followed
/// by the insights the rules draw from them. No sentence is there unless facts earn it.
pub fn render_reasoning(unit: &UnitView, salt: &Salt, insights: &Insights) -> Reasoning {
    let mut paragraphs = vec![purpose(unit, salt)];
    let mut fired_ids = Vec::new();
    // Sentences about a struct's trivial helpers share one paragraph, one sentence per use.
    let mut said: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut helper_sentences = Vec::new();
    let mut helpers: Vec<(Section, Vec<String>)> = Vec::new();
    for planned in &insights.1 {
        let (name, _) = &unit.items[planned.index];
        let fired: Vec<&rules::Fired> = planned
            .fired
            .iter()
            .map(|&i| &insights.0[planned.index][i])
            .collect();
        let mut sentences = match &planned.joined {
            Some((section, entry)) => {
                match helpers.iter_mut().find(|(s, _)| s == section) {
                    Some((_, entries)) => entries.push(entry.clone()),
                    None => helpers.push((*section, vec![entry.clone()])),
                }
                Vec::new()
            }
            None => item_sentences(name, &planned.kept, &planned.prep, salt),
        };
        if let Some(root) = &planned.passed_from {
            sentences.insert(
                0,
                fill_in(
                    section!("extractor.passed"),
                    &salt.sub(name),
                    &[("name", name.clone()), ("root", root.clone())],
                ),
            );
        }
        let mut rule_sentences: Vec<String> =
            fired.iter().map(|f| rule_sentence(f, salt)).collect();
        // The insights' order is free; vary it between examples.
        if rule_sentences.len() > 1 {
            let turn = (salt.hash_with(name).wrapping_add(salt.rotation)
                % rule_sentences.len() as u64) as usize;
            rule_sentences.rotate_left(turn);
        }
        fired_ids.extend(fired.iter().map(|f| f.rule.id.clone()));
        sentences.extend(rule_sentences);
        // No sentence twice in one reasoning (two constructors building the same field gave
        // "The value is built field by field: `status`." twice).
        sentences.retain(|s| said.insert(s.clone()));
        if planned.is_helper_fn {
            helper_sentences.extend(sentences);
            continue;
        }
        if sentences.is_empty() {
            continue;
        }
        // Long runs read better split: a paragraph per five sentences.
        for chunk in sentences.chunks(5) {
            paragraphs.push(chunk.join(" "));
        }
    }
    for (section, entries) in &helpers {
        helper_sentences.push(fill_in(
            *section,
            salt,
            &[
                ("list", list(entries)),
                ("count", entries.len().to_string()),
            ],
        ));
    }
    if !helper_sentences.is_empty() {
        paragraphs.push(helper_sentences.join(" "));
    }
    Reasoning {
        text: paragraphs.join("\n\n"),
        rules: fired_ids,
    }
}

/// A field's name on the wire: its own `rename`, else what the container's `rename_all` makes
/// of it.
fn wire_name(field: &FieldFact, facts: &[Fact]) -> String {
    if let Some(rename) = &field.rename {
        return rename.clone();
    }
    match facts.iter().find_map(|f| match f {
        Fact::SerdeContainer { rename_all } => Some(rename_all),
        _ => None,
    }) {
        Some(rule) => rules::renamed(&field.name, rule),
        None => field.name.clone(),
    }
}

/// What an API spec would say of a field, from its attributes: whether it may be left out, its
/// bounds, other names it is accepted under, and the rule its custom validator states in its
/// own error message. None when there is nothing to say beyond its name.
fn field_spec(field: &FieldFact, file: &rules::FileFacts) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(doc) = &field.doc {
        parts.push(lowercase_first(&unstop(doc)));
    }
    let optional = field.ty.starts_with("Option<");
    if field.default_fn.is_some() {
        parts.push("may be left out, a default applies".to_owned());
    } else if optional {
        parts.push("optional".to_owned());
    }
    for rule in &field.validate {
        if let Some(bounds) = bounds_in_words(rule) {
            parts.push(bounds);
        }
    }
    for validator in &field.validate_fns {
        if file.message_of(validator).is_some() {
            parts.push("checked by a custom rule".to_owned());
        }
    }
    let names: Vec<String> = field
        .aliases
        .iter()
        .filter(|a| **a != field.name)
        .map(|a| format!("\"{a}\""))
        .collect();
    if !names.is_empty() {
        parts.push(format!("also accepted as {}", list(&names)));
    }
    if field.schema_skip {
        parts.push("kept out of the public schema".to_owned());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `range(min = 5, max = 90)` → "from 5 to 90"; `length(min = 1)` → "at least 1 long".
fn bounds_in_words(rule: &str) -> Option<String> {
    let (kind, args) = rule.split_once('(')?;
    let value = |key: &str| {
        args.trim_end_matches(')').split(',').find_map(|part| {
            let (k, v) = part.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
    };
    let (min, max) = (value("min"), value("max"));
    let unit = match kind.trim() {
        "range" => "",
        "length" => " long",
        _ => return None,
    };
    match (min, max) {
        (Some(min), Some(max)) => Some(format!("from {min} to {max}{unit}")),
        (Some(min), None) => Some(format!("at least {min}{unit}")),
        (None, Some(max)) => Some(format!("at most {max}{unit}")),
        (None, None) => None,
    }
}

/// The request's details, one line each and none twice: what each fact asks of the endpoint,
/// of its effects and of its types, what the unit's role asks, what the rules that fired ask;
/// a default line when there is nothing else.
fn request_details(unit: &UnitView, salt: &Salt, insights: &Insights) -> Vec<String> {
    let mut details = Details {
        lines: Vec::new(),
        salt,
    };
    let mut errors = false;
    let mut refusals = false;
    // A rule that asks for what it says stands in for the plain lines of the facts it
    // replaces: "the rows of one message are written together" says what "write the rows
    // inside one transaction" would, and more.
    let asked_for: Vec<&str> = insights
        .0
        .iter()
        .flatten()
        .filter(|fired| !fired.rule.ask.is_empty())
        .flat_map(|fired| fired.rule.replaces.iter().map(String::as_str))
        .collect();
    for (index, (name, facts)) in unit.items.iter().enumerate() {
        // A chain's route is its root's: what a callee would read from a request of its own
        // (its extractors, its aide operation, its status) is not asked of this one.
        let route_facts = unit.role != Role::Chain || index == unit.primary;
        for fact in facts.iter() {
            if route_facts {
                endpoint_detail(unit, name, facts, fact, &mut details);
            }
            if !asked_for.contains(&fact.kind()) {
                refusals |= effect_detail(unit, facts, fact, &mut details);
            }
            type_detail(unit, index, facts, fact, &mut details);
            errors |= matches!(fact, Fact::ErrorCtor { .. } | Fact::Refuses { .. });
        }
    }
    role_detail(unit.role, errors, refusals, &mut details);
    rule_details(insights, &mut details);
    if details.lines.is_empty() {
        shape_detail(unit, &mut details);
    }
    if details.lines.is_empty() {
        details.push(section!("detail.default"), &[]);
    }
    details.lines
}

/// What the code's shape asks for, when nothing else does: a type's fields, a function's
/// parameters. Better a list of names the code holds than "follow the conventions".
fn shape_detail(unit: &UnitView, details: &mut Details) {
    let Some((_, facts)) = unit.items.get(unit.primary) else {
        return;
    };
    let fields: Vec<String> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::Field(field) => Some(field.name.clone()),
            _ => None,
        })
        .collect();
    if !fields.is_empty() {
        details.push(section!("detail.fields"), &[("list", ticked_list(&fields))]);
        return;
    }
    let params = facts.iter().find_map(|f| match f {
        Fact::Signature { params, .. } if !params.is_empty() => Some(params),
        _ => None,
    });
    if let Some(params) = params {
        details.push(section!("detail.params"), &[("list", ticked_list(params))]);
    }
}

/// The request's detail lines as they are gathered: a line already there is not added again.
struct Details<'a, 't> {
    lines: Vec<String>,
    salt: &'a Salt<'t>,
}

impl Details<'_, '_> {
    /// Adds a section, filled in.
    fn push(&mut self, section: Section, vars: &[(&str, String)]) {
        let line = fill_in(section, self.salt, vars);
        self.push_line(line);
    }

    /// Adds a line as it is.
    fn push_line(&mut self, line: String) {
        if !self.lines.contains(&line) {
            self.lines.push(line);
        }
    }
}

/// What the endpoint answers and takes: a status with its body, the body and query it reads,
/// the permission it demands, its aide operation, the function a handler delegates to.
fn endpoint_detail(
    unit: &UnitView,
    item: &str,
    facts: &[Fact],
    fact: &Fact,
    details: &mut Details,
) {
    let answers = matches!(unit.role, Role::Handler | Role::Chain);
    match fact {
        Fact::Returns {
            status: Some(status),
            body: Some(body),
            ..
        } if answers => details.push(
            section!("detail.status"),
            &[("status", status.clone()), ("body", body.clone())],
        ),
        Fact::StatusConst { path } if answers => {
            let body = facts.iter().find_map(|f| match f {
                Fact::Returns { body: Some(b), .. } => Some(b.clone()),
                _ => None,
            });
            if let Some(body) = body {
                details.push(
                    section!("detail.status_const"),
                    &[("path", path.clone()), ("body", body)],
                );
            }
        }
        Fact::Extractor { role, ty, .. } => match role {
            // The resource only for a type that names it: `EndpointUpdate` carries an
            // endpoint, `EventExampleIn` does not.
            ExtractorRole::Body => details.push(
                if details.salt.templates.names_resource(ty) {
                    section!("detail.body.resource")
                } else {
                    section!("detail.body")
                },
                &[("ty", ty.clone())],
            ),
            ExtractorRole::Query => details.push(section!("detail.query"), &[("ty", ty.clone())]),
            ExtractorRole::Path => {}
        },
        Fact::Permission { ty, .. } => {
            details.push(section!("detail.permission"), &[("ty", ty.clone())])
        }
        // Without an `op_id`, `aide_annotate` names the operation after the function.
        // A hidden operation is registered, never documented.
        Fact::AideAnnotate { op_id, .. } => details.push(
            if facts.iter().any(|f| matches!(f, Fact::HiddenFromDocs)) {
                section!("detail.aide_hidden")
            } else {
                section!("detail.aide")
            },
            &[(
                "op_id",
                if op_id.is_empty() {
                    item.to_owned()
                } else {
                    op_id.clone()
                },
            )],
        ),
        Fact::Delegates {
            callee,
            whole_body: true,
            ..
        } if unit.role == Role::Handler => {
            details.push(section!("detail.delegates"), &[("callee", callee.clone())])
        }
        Fact::OutsideOpenApi { via } => {
            details.push(section!("detail.outside_openapi"), &[("via", via.clone())])
        }
        Fact::HiddenFromDocs => details.push(section!("detail.hidden_from_docs"), &[]),
        Fact::BuildsExtractor { callee, ty, .. } => details.push(
            section!("detail.builds_extractor"),
            &[("callee", callee.clone()), ("ty", ty.clone())],
        ),
        _ => {}
    }
}

/// Whether some item of the unit extracts a request body (`Json`, `ValidatedJson`, ...).
fn takes_a_body(unit: &UnitView) -> bool {
    unit.items
        .iter()
        .flat_map(|(_, facts)| facts.iter())
        .any(|f| {
            matches!(
                f,
                Fact::Extractor {
                    role: ExtractorRole::Body,
                    ..
                }
            )
        })
}

/// Whether an item writes a row on every path: a commit, an insert, an update, a delete.
fn writes(facts: &[Fact]) -> bool {
    facts.iter().any(|f| {
        matches!(
            f,
            Fact::Commit | Fact::Insert { .. } | Fact::Update { .. } | Fact::DeleteRow { .. }
        )
    })
}

/// What the code does on its way: a cache fetch or delete, a transaction, a queue send (and
/// its guard), a conflict check, a scoped lookup, fields set, a refusal with its message.
/// Whether it asked for a refusal.
fn effect_detail(unit: &UnitView, facts: &[Fact], fact: &Fact, details: &mut Details) -> bool {
    match fact {
        // An internal error (`Error::database(..)`) reaches the client as a bare 500: its text
        // is logged, never read by the client.
        Fact::Refuses {
            on,
            subject,
            error,
            message: Some(message),
            ..
        } if !error.starts_with("Error::") => {
            // "A missing record" only where a row was looked up: an empty `Option` of the
            // code's own (`example.ok_or_else(..)`) is refused in general words.
            let section = match (on, subject) {
                (RefusedOn::Missing, Some(entity)) if entity.ends_with("::Entity") => {
                    section!("detail.refuses_missing")
                }
                _ => section!("detail.refuses"),
            };
            details.push(section, &[("message", unstop(message))]);
            return true;
        }
        Fact::CacheDelete { .. } if unit.work == Some(Work::CacheInvalidation) => {
            details.push(section!("detail.cache_delete"), &[])
        }
        Fact::CacheFetch { call, .. } => {
            details.push(section!("detail.cache"), &[("call", call.clone())])
        }
        // "One transaction for the writes" only where something is written through it.
        Fact::Transaction { inserts, .. } if !inserts.is_empty() || writes(facts) => {
            details.push(section!("detail.transaction"), &[])
        }
        Fact::QueueSend { guard, .. } => {
            details.push(section!("detail.queue"), &[]);
            if guard.is_some() {
                details.push(section!("detail.queue_guarded"), &[]);
            }
        }
        Fact::Conflict { .. } => details.push(section!("detail.conflict"), &[]),
        Fact::ScopedLookup { scope, .. } if scope.as_deref().is_some_and(keys_a_tenant) => {
            details.push(section!("detail.lookup"), &[])
        }
        // "The incoming fields" only where a body comes in: without one, the values set are
        // the code's own (`deleted = Set(true)`), not the input's.
        Fact::SetFields { .. } if takes_a_body(unit) => {
            details.push(section!("detail.set_fields"), &[])
        }
        _ => {}
    }
    false
}

/// What the types ask: a body or query field's spec, a validator's message, a raw JSON
/// newtype, a response's renaming and wire names, an impl's branch on a flag.
fn type_detail(unit: &UnitView, index: usize, facts: &[Fact], fact: &Fact, details: &mut Details) {
    let wire = matches!(unit.role, Role::Response | Role::Model);
    match fact {
        // The spec of the fields, in a unit's first example; later ones ask otherwise.
        Fact::Field(field)
            if matches!(unit.role, Role::Body | Role::Query)
                && index == unit.primary
                && details.salt.rotation == 0 =>
        {
            if let Some(constraints) = field_spec(field, unit.file) {
                details.push(
                    section!("detail.spec"),
                    &[("wire", wire_name(field, facts)), ("spec", constraints)],
                );
            }
        }
        Fact::ValidatorFn { messages, .. } => match messages.first() {
            Some(message) => {
                details.push(section!("detail.rejects"), &[("message", message.clone())])
            }
            None => details.push(section!("detail.validator"), &[]),
        },
        Fact::Newtype {
            inner,
            raw_json: true,
            ..
        } => details.push(section!("detail.newtype_raw"), &[("inner", inner.clone())]),
        Fact::SerdeContainer { rename_all } if wire => details.push(
            section!("detail.rename_all"),
            &[("rename_all", rename_all.clone())],
        ),
        Fact::Field(field) if wire && field.rename.is_some() => details.push(
            section!("detail.wire_name"),
            &[
                ("name", field.name.clone()),
                ("wire", field.rename.clone().unwrap_or_default()),
            ],
        ),
        Fact::StatusConst { path } if unit.work == Some(Work::ErrorConstructor) => {
            details.push(section!("detail.error_status"), &[("path", path.clone())])
        }
        Fact::BuildsSelf { from, .. }
            if !from.is_empty() && matches!(unit.work, Some(Work::Builder | Work::Conversion)) =>
        {
            details.push(
                section!("detail.builder"),
                &[("sources", ticked_list(from))],
            )
        }
        Fact::Branch { condition }
            if matches!(unit.role, Role::InherentImpl | Role::TraitImpl)
                && condition.chars().all(|c| c.is_alphanumeric() || c == '_') =>
        {
            details.push(
                section!("detail.branch"),
                &[("condition", condition.clone())],
            )
        }
        _ => {}
    }
}

/// What the unit's role asks: a check's line (when no refusal said what it refuses), or the
/// errors a helper or chain returns.
fn role_detail(role: Role, errors: bool, refusals: bool, details: &mut Details) {
    if role == Role::Check {
        if !refusals {
            details.push(section!("detail.check"), &[]);
        }
    } else if errors && matches!(role, Role::Helper | Role::Chain) {
        details.push(section!("detail.errors"), &[]);
    }
}

/// What the rules see in the code, as needs: one line each, where the rule words one.
fn rule_details(insights: &Insights, details: &mut Details) {
    let mut asked: Vec<&str> = Vec::new();
    for fired_here in &insights.0 {
        for fired in fired_here {
            if fired.rule.ask.is_empty() || asked.contains(&fired.rule.id.as_str()) {
                continue;
            }
            asked.push(&fired.rule.id);
            let index = details
                .salt
                .choose(&format!("ask:{}", fired.rule.id), fired.rule.ask.len());
            details.push_line(fill(&fired.rule.ask[index], &fired.vars));
        }
    }
}

/// The request in one voice: a title, an ask and a list of details, all from facts.
pub fn render_request(unit: &UnitView, voice: Voice, salt: &Salt, insights: &Insights) -> String {
    let route = route_text(unit.route, &unit.name);
    let (trait_name, self_ty) = impl_names(unit);
    let arg_ty = validated_type(unit);
    // The API documentation of the root, when it has one: the best statement of the need.
    let doc = unit
        .items
        .get(unit.primary)
        .and_then(|(_, facts)| {
            facts.iter().find_map(|f| match f {
                Fact::Doc { summary, .. } => Some(summary.clone()),
                _ => None,
            })
        })
        // Quoted once per unit, in its first example, and by the handler only: the chain
        // states the same need in its own words. Never for an operation hidden from the docs:
        // no API docs promise anything of it.
        .filter(|_| unit.role == Role::Handler && salt.rotation == 0)
        .filter(|_| {
            !unit
                .items
                .iter()
                .flat_map(|(_, facts)| facts.iter())
                .any(|f| matches!(f, Fact::HiddenFromDocs))
        })
        // A doc comment is the API docs' text only where `aide_annotate` makes it the
        // operation's description; before aide (svix-server 0.x) it is the code's own comment.
        .filter(|_| {
            unit.items.get(unit.primary).is_some_and(|(_, facts)| {
                facts.iter().any(|f| matches!(f, Fact::AideAnnotate { .. }))
            })
        });
    // A body type is asked for with rules only when a field of it has one: `EventExampleIn`
    // derives Validate and declares none.
    let body_rules = unit
        .items
        .get(unit.primary)
        .is_some_and(|(_, facts)| has_field_rules(facts));
    let ask_section = match (unit.role, &doc) {
        (Role::Model, _) if unit.field_of.is_some() => section!("ask.field_type"),
        (Role::Handler, Some(_)) if !is_stub(unit) => section!("ask.handler_doc"),
        (Role::Chain, Some(_)) => section!("ask.chain_doc"),
        _ => match ask(unit) {
            Section {
                name: "ask.body", ..
            } if body_rules && salt.templates.names_resource(&unit.name) => {
                section!("ask.body.resource.rules")
            }
            Section {
                name: "ask.body", ..
            } if body_rules => section!("ask.body.rules"),
            // Said to carry the resource only when its name says so: `MessageEndpointOut` is
            // no message attempt, whatever operation selected it.
            section if !salt.templates.names_resource(&unit.name) => section,
            Section {
                name: "ask.body", ..
            } => section!("ask.body.resource"),
            Section {
                name: "ask.response",
                ..
            } => section!("ask.response.resource"),
            section => section,
        },
    };
    let vars = [
        ("name", unit.name.clone()),
        ("callees", ticked_list(&unit.callees)),
        ("route", route),
        ("trait_name", trait_name),
        ("self_ty", self_ty),
        ("arg_ty", arg_ty),
        // A quoted doc that ends without a stop gets one after the quote, so the request's
        // next sentence does not run on from it.
        (
            "doc_end",
            match &doc {
                Some(d) if !d.ends_with(['.', '!', '?']) => ".".to_owned(),
                _ => String::new(),
            },
        ),
        ("doc", doc.unwrap_or_default()),
        ("field_of", unit.field_of.clone().unwrap_or_default()),
    ];
    let title = fill_in(title(unit), salt, &vars);
    let ask = fill_in(ask_section, salt, &vars);
    let ask_lower = lowercase_first(&ask);
    let mut details = request_details(unit, salt, insights);
    // A unit's later examples ask from another angle: part of the needs, starting elsewhere.
    if salt.rotation > 0 && details.len() > 2 {
        let start = salt.rotation as usize % details.len();
        details.rotate_left(start);
        details.truncate(details.len().div_ceil(2));
    }
    let details = details.join("\n");
    let Some(frame) = frame(voice) else {
        return [ask, details].join("\n");
    };
    fill_in(
        frame,
        salt,
        &[
            ("title", title),
            ("ask", ask),
            ("ask_lower", ask_lower),
            ("details", details),
        ],
    )
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Leave code spans and acronyms alone.
        Some(c) if c.is_uppercase() && chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// The fields of a struct's facts, by name.
fn fields_of(facts: &[Fact]) -> Vec<&FieldFact> {
    facts
        .iter()
        .filter_map(|f| match f {
            Fact::Field(field) => Some(field),
            _ => None,
        })
        .collect()
}

/// The sentences saying what changed in one item: renamed, fields gained, lost or
/// re-attributed, derives, fields newly set, arguments reordered, the doc comment rewritten,
/// names in and out; when none of these, the literals, visibility, borrows or shape.
fn change_sentences(change: &Change, after: &[Fact], salt: &Salt) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(renamed_sentence(change, salt));
    let (before_fields, after_fields) = (fields_of(change.before), fields_of(after));
    let (added, removed) = field_sentences(change, &before_fields, &after_fields, salt, &mut out);
    let field_rules = after_fields.iter().any(|f| !f.validate.is_empty());
    let (derived, underived) = derive_sentences(change, after, field_rules, salt, &mut out);
    let newly_set = set_field_sentences(change, after, salt, &mut out);
    out.extend(argument_order_sentence(change, after, salt));
    out.extend(doc_change_sentence(change, after, salt));
    out.extend(op_id_change_sentence(change, after, salt));
    let said = [added, removed, derived, underived, newly_set].concat();
    name_sentences(change, &said, salt, &mut out);
    if out.is_empty() {
        out.push(quiet_change_sentence(change, salt));
    }
    out
}

/// The operation id an item's `aide_annotate` names, when it has one.
fn op_id_of(facts: &[Fact]) -> Option<&str> {
    facts.iter().find_map(|f| match f {
        Fact::AideAnnotate { op_id, .. } => Some(op_id.as_str()),
        _ => None,
    })
}

/// The operation id an annotation the item already had now gives: a change of the id, not an
/// annotation added.
fn op_id_change_sentence(change: &Change, after: &[Fact], salt: &Salt) -> Option<String> {
    let (old, new) = (op_id_of(change.before)?, op_id_of(after)?);
    (old != new).then(|| {
        fill_in(
            section!("change.op_id"),
            salt,
            &[("old", old.to_owned()), ("new", new.to_owned())],
        )
    })
}

/// The item's old name, when the commit renamed it.
fn renamed_sentence(change: &Change, salt: &Salt) -> Option<String> {
    let old = change.renamed_from.as_ref()?;
    Some(fill_in(
        section!("change.renamed"),
        salt,
        &[("old", old.clone()), ("name", change.name.clone())],
    ))
}

/// Fields added and removed, fields given new validator rules, fields whose attributes alone
/// changed. Returns the names of the fields added and removed (said here, not again).
fn field_sentences(
    change: &Change,
    before_fields: &[&FieldFact],
    after_fields: &[&FieldFact],
    salt: &Salt,
    out: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let name = &change.name;
    let s = |section: Section, vars: &[(&str, String)]| fill_in(section, salt, vars);
    let added: Vec<String> = after_fields
        .iter()
        .filter(|f| !before_fields.iter().any(|b| b.name == f.name))
        .map(|f| f.name.clone())
        .collect();
    let removed: Vec<String> = before_fields
        .iter()
        .filter(|b| !after_fields.iter().any(|f| f.name == b.name))
        .map(|b| b.name.clone())
        .collect();
    if !added.is_empty() {
        out.push(s(
            section!("change.fields_added"),
            &[("name", name.clone()), ("list", ticked_list(&added))],
        ));
    }
    if !removed.is_empty() {
        out.push(s(
            section!("change.fields_removed"),
            &[("name", name.clone()), ("list", ticked_list(&removed))],
        ));
    }
    let mut reattributed = Vec::new();
    for field in after_fields {
        let Some(old) = before_fields.iter().find(|b| b.name == field.name) else {
            continue;
        };
        let new_rules: Vec<String> = field
            .validate
            .iter()
            .filter(|r| !old.validate.contains(r))
            .cloned()
            .collect();
        if !new_rules.is_empty() {
            out.push(s(
                section!("change.field_validated"),
                &[
                    ("field", field.name.clone()),
                    ("rules", ticked_list(&new_rules)),
                ],
            ));
        } else if (field.rename != old.rename
            || field.aliases != old.aliases
            || field.default_fn != old.default_fn
            || field.default != old.default
            || field.flatten != old.flatten
            || field.skip_serializing_if != old.skip_serializing_if
            || field.schema_skip != old.schema_skip
            || field.schema_args != old.schema_args
            || field.validate != old.validate
            || field.example_fn != old.example_fn)
            && field.ty == old.ty
        {
            reattributed.push(field.name.clone());
        }
    }
    if !reattributed.is_empty() {
        out.push(s(
            section!("change.field_attrs"),
            &[("list", ticked_list(&reattributed))],
        ));
    }
    (added, removed)
}

/// Derives added (with the mechanisms they bring) and removed. Returns the derives added and
/// removed.
fn derive_sentences(
    change: &Change,
    after: &[Fact],
    field_rules: bool,
    salt: &Salt,
    out: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let name = &change.name;
    let derives = |facts: &[Fact]| -> Vec<String> {
        facts
            .iter()
            .flat_map(|f| match f {
                Fact::Derives { list, .. } => list.clone(),
                _ => Vec::new(),
            })
            .collect()
    };
    let (old_derives, new_derives) = (derives(change.before), derives(after));
    let derived: Vec<String> = missing(&new_derives, &old_derives);
    let underived: Vec<String> = missing(&old_derives, &new_derives);
    let mechanisms = derive_mechanisms(&derived, field_rules);
    if !derived.is_empty() {
        let section = if mechanisms.is_empty() {
            section!("change.derives_added")
        } else {
            section!("change.derives_added_why")
        };
        out.push(fill_in(
            section,
            salt,
            &[
                ("name", name.clone()),
                ("list", ticked_list(&derived)),
                ("mechanisms", list(&mechanisms)),
            ],
        ));
    }
    if !underived.is_empty() {
        out.push(fill_in(
            section!("change.derives_removed"),
            salt,
            &[("name", name.clone()), ("list", ticked_list(&underived))],
        ));
    }
    (derived, underived)
}

/// Fields an active model sets now that it did not before (the model itself already built
/// before the commit). Returns those fields.
fn set_field_sentences(
    change: &Change,
    after: &[Fact],
    salt: &Salt,
    out: &mut Vec<String>,
) -> Vec<String> {
    let mut newly_set = Vec::new();
    for fact in after {
        let Fact::ActiveModel { ty, set_fields, .. } = fact else {
            continue;
        };
        let old: Vec<String> = change
            .before
            .iter()
            .filter_map(|f| match f {
                Fact::ActiveModel {
                    ty: t, set_fields, ..
                } if t == ty => Some(set_fields.clone()),
                _ => None,
            })
            .next()
            .unwrap_or_default();
        let fresh = missing(set_fields, &old);
        if !fresh.is_empty()
            && change
                .before
                .iter()
                .any(|f| matches!(f, Fact::ActiveModel { ty: t, .. } if t == ty))
        {
            out.push(fill_in(
                section!("change.sets"),
                salt,
                &[
                    ("name", change.name.clone()),
                    ("ty", ty.clone()),
                    ("list", ticked_list(&fresh)),
                ],
            ));
            newly_set.extend(fresh);
        }
    }
    newly_set
}

/// The same arguments in a new order: the body extractor moved last, or a plain reorder.
fn argument_order_sentence(change: &Change, after: &[Fact], salt: &Salt) -> Option<String> {
    let name = &change.name;
    let arg_types = |facts: &[Fact]| -> Vec<String> {
        facts
            .iter()
            .find_map(|f| match f {
                Fact::Signature { arg_types, .. } => Some(arg_types.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let (old_args, new_args) = (arg_types(change.before), arg_types(after));
    let sorted = |args: &[String]| {
        let mut args = args.to_vec();
        args.sort();
        args
    };
    if old_args == new_args || old_args.is_empty() || sorted(&old_args) != sorted(&new_args) {
        return None;
    }
    let body = after.iter().find_map(|f| match f {
        Fact::Extractor {
            role: ExtractorRole::Body,
            wrapper,
            ..
        } => Some(wrapper.clone()),
        _ => None,
    });
    Some(match body {
        Some(wrapper) if new_args.last() == Some(&wrapper) && old_args.last() != Some(&wrapper) => {
            fill_in(
                section!("change.body_last"),
                salt,
                &[("name", name.clone()), ("wrapper", wrapper)],
            )
        }
        _ => fill_in(
            section!("change.reordered"),
            salt,
            &[("name", name.clone())],
        ),
    })
}

/// The doc comment's new summary when it was reworded, else that docs were added, removed or
/// reworded.
fn doc_change_sentence(change: &Change, after: &[Fact], salt: &Salt) -> Option<String> {
    let name = &change.name;
    let doc = |facts: &[Fact]| {
        facts.iter().find_map(|f| match f {
            Fact::Doc { summary, .. } => Some(summary.clone()),
            _ => None,
        })
    };
    if let (Some(old), Some(new), Some(DocsChange::Reworded)) =
        (doc(change.before), doc(after), change.docs)
        && old != new
    {
        Some(fill_in(
            section!("change.doc"),
            salt,
            &[("name", name.clone()), ("summary", new)],
        ))
    } else if let Some(docs) = change.docs {
        let section = match docs {
            DocsChange::Added => section!("change.docs_added"),
            DocsChange::Removed => section!("change.docs_removed"),
            DocsChange::Reworded => section!("change.docs"),
        };
        Some(fill_in(section, salt, &[("name", name.clone())]))
    } else {
        None
    }
}

/// The names the new code uses and the old one did, and those it dropped, leaving out what
/// `said` holds (fields, derives, fields set) and the item's own names.
fn name_sentences(change: &Change, said: &[String], salt: &Salt, out: &mut Vec<String>) {
    let name = &change.name;
    // Field names were said above; the rest of what is new or gone is said by name.
    // Types, paths and snake_case names say more than a plain method name (`get`, `expect`):
    // they go first, and four are enough.
    let unsaid = |names: &[String]| -> Vec<String> {
        let mut kept: Vec<String> = names
            .iter()
            .filter(|n| !said.contains(n))
            .filter(|n| change.renamed_from.as_ref() != Some(*n) && **n != change.name)
            .cloned()
            .collect();
        kept.sort_by_key(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        kept.truncate(4);
        kept
    };
    let (new_names, gone_names) = (unsaid(&change.new_names), unsaid(&change.gone_names));
    if !new_names.is_empty() {
        out.push(fill_in(
            section!("change.uses"),
            salt,
            &[("name", name.clone()), ("list", ticked_list(&new_names))],
        ));
    }
    if !gone_names.is_empty() {
        out.push(fill_in(
            section!("change.drops"),
            salt,
            &[("name", name.clone()), ("list", ticked_list(&gone_names))],
        ));
    }
}

/// For a change nothing above speaks of: the literals added or removed, else the visibility,
/// else the borrows, else that the shape changed.
fn quiet_change_sentence(change: &Change, salt: &Salt) -> String {
    let name = &change.name;
    let literals = |l: &[String]| ticked_list(&l.iter().take(3).cloned().collect::<Vec<_>>());
    let section = match (
        change.new_literals.is_empty(),
        change.gone_literals.is_empty(),
    ) {
        (false, false) => Some(section!("change.literals")),
        (false, true) => Some(section!("change.literals_added")),
        (true, false) => Some(section!("change.literals_removed")),
        (true, true) => None,
    };
    if let Some(section) = section {
        return fill_in(
            section,
            salt,
            &[
                ("name", name.clone()),
                ("new", literals(&change.new_literals)),
                ("old", literals(&change.gone_literals)),
            ],
        );
    }
    if change.visibility_only {
        let section = match change.pub_delta {
            d if d > 0 => section!("change.visibility_more"),
            d if d < 0 => section!("change.visibility_less"),
            _ => section!("change.visibility"),
        };
        return fill_in(section, salt, &[("name", name.clone())]);
    }
    if let Some(delta) = change.borrow_only {
        let section = if delta > 0 {
            section!("change.borrows_more")
        } else {
            section!("change.borrows_less")
        };
        return fill_in(section, salt, &[("name", name.clone())]);
    }
    fill_in(section!("change.shape"), salt, &[("name", name.clone())])
}

/// The reasoning of a commit's change to existing items (history mode): what changed in each,
/// then why the new code is so, from the sentences and rules of the facts the commit added.
/// `unit.items[i]` holds the facts after the commit of the item `changes[i]` is about.
pub fn render_change_reasoning(
    unit: &UnitView,
    changes: &[Change],
    salt: &Salt,
    insights: &Insights,
) -> Reasoning {
    let mut what = Vec::new();
    let mut why = Vec::new();
    let mut fired_ids: Vec<String> = Vec::new();
    for (index, ((name, facts), change)) in unit.items.iter().zip(changes).enumerate() {
        let item_salt = salt.sub(name);
        what.extend(change_sentences(change, facts, &item_salt));
        let is_new = |fact: &Fact| is_new_fact(fact, change.before);
        // What the change sentences said already (fields, docs, the signature, derives) does
        // not earn a rule of its own.
        // An annotation the item had before changed its id at most, which the change
        // sentences say; it was not added.
        let annotated_before = op_id_of(change.before).is_some();
        let said = |fact: &Fact| {
            matches!(
                fact,
                Fact::Field(_) | Fact::Doc { .. } | Fact::Signature { .. } | Fact::Derives { .. }
            ) || (annotated_before && matches!(fact, Fact::AideAnnotate { .. }))
        };
        let added_kinds: Vec<&str> = facts
            .iter()
            .filter(|f| is_new(f) && !said(f))
            .map(Fact::kind)
            .collect();
        let fired: Vec<&rules::Fired> = insights.0[index]
            .iter()
            .filter(|f| !fired_ids.contains(&f.rule.id))
            .filter(|f| {
                let sentence = rule_sentence(f, &item_salt);
                f.rule
                    .replaces
                    .iter()
                    .any(|k| added_kinds.contains(&k.as_str()))
                    || crate::dataset::check::backticked(&sentence)
                        .any(|span| change.new_names.iter().any(|n| n == span))
            })
            .collect();
        let replaced: Vec<&str> = fired
            .iter()
            .flat_map(|f| f.rule.replaces.iter().map(String::as_str))
            .collect();
        // Fields and docs were said in the change sentences; the other new facts explain
        // themselves through their usual sentences.
        let keep = |fact: &Fact| is_new(fact) && !replaced.contains(&fact.kind()) && !said(fact);
        let sentences = item_sentences_of(name, facts, &keep, &item_salt)
            .into_iter()
            .chain(fired.iter().map(|f| rule_sentence(f, &item_salt)));
        for sentence in sentences {
            // Sentences of several items share a paragraph, so "It" would point at the wrong
            // one: each names its item.
            let sentence = match sentence.strip_prefix("It ") {
                Some(rest) => format!("`{name}` {rest}"),
                None => sentence,
            };
            // Two items changed alike (a value built the same way in each) say it once.
            if !why.contains(&sentence) {
                why.push(sentence);
            }
        }
        fired_ids.extend(fired.iter().map(|f| f.rule.id.clone()));
    }
    let mut paragraphs: Vec<String> = what.chunks(5).map(|c| c.join(" ")).collect();
    paragraphs.extend(why.chunks(5).map(|c| c.join(" ")));
    Reasoning {
        text: paragraphs.join("\n\n"),
        rules: fired_ids,
    }
}

/// Whether a fact says something the item's facts before the commit did not: its kind is new,
/// or it quotes a name none of them quoted. A fact that changed only in what it already said
/// (an impl's methods listed again, a path now qualified) is not news.
fn is_new_fact(fact: &Fact, before: &[Fact]) -> bool {
    if before.contains(fact) {
        return false;
    }
    // `std::time::Duration::from_secs(30)` says what `Duration::from_secs(30)` said.
    fn unqualified(span: &str) -> String {
        let parts: Vec<&str> = span.split("::").collect();
        let last = parts.len() - 1;
        parts
            .iter()
            .enumerate()
            .filter(|&(i, part)| {
                i == last || !part.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
            .map(|(_, part)| *part)
            .collect::<Vec<_>>()
            .join("::")
    }
    let same_kind: Vec<&Fact> = before.iter().filter(|f| f.kind() == fact.kind()).collect();
    if same_kind.is_empty() {
        return true;
    }
    let said: Vec<String> = same_kind
        .iter()
        .flat_map(|f| f.quoted())
        .map(|s| unqualified(&s))
        .collect();
    fact.quoted()
        .iter()
        .any(|span| !said.contains(&unqualified(span)))
}

/// A history request: the maintainer's message as written and, for a change to existing
/// code, that code as it stood before the commit.
pub fn render_history_request(message: &str, before_code: Option<&str>, salt: &Salt) -> String {
    match before_code {
        None => message.to_owned(),
        Some(code) => format!(
            "{message}\n\n{}\n\n```rust\n{code}\n```",
            fill_in(section!("change.before_code"), salt, &[])
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::text::stable_hash;

    #[test]
    fn only_a_finder_keyed_by_the_organization_or_the_application_keeps_one_tenant() {
        for tenant in [
            "app.id",
            "app.id.clone()",
            "&app.org_id",
            "org_id",
            "app_id",
        ] {
            assert!(keys_a_tenant(tenant), "{tenant}");
        }
        for other in ["msg_id", "msg.id.clone()", "endp.id", "id", "data.id"] {
            assert!(!keys_a_tenant(other), "{other}");
        }
    }

    /// Regression: "Follow-up from the last review of the {resource} endpoints" claimed a
    /// review nothing in the source shows (and read "endpoint endpoints"). No request framing
    /// may claim earlier context.
    #[test]
    fn no_request_framing_claims_earlier_context() {
        let requests = TEMPLATE_FILES[0].1.to_lowercase();
        for phrase in [
            "follow-up",
            "last review",
            "review comment",
            "review note",
            "as discussed",
            "as agreed",
            "{resource} endpoints",
        ] {
            assert!(
                !requests.contains(phrase),
                "{phrase:?} in templates/requests.txt"
            );
        }
    }

    /// Regression: a validating body extractor was said to mean "the handler never sees an
    /// invalid payload" for a body type whose `Validate` derive has no rules; and a permission
    /// extractor was said to be passed "first" when it came last. The extractor's sentences
    /// say what it runs, never that the value is valid, and no order.
    #[test]
    fn extractor_sentences_claim_neither_validity_nor_order() {
        let section = |file: usize, name: &str| -> String {
            let text = TEMPLATE_FILES[file].1;
            let start = text.find(&format!("[{name}]\n")).expect(name);
            let rest = &text[start + name.len() + 3..];
            rest[..rest.find("\n[").unwrap_or(rest.len())].to_owned()
        };
        let reasoning = section(1, "extractor.body").to_lowercase();
        for phrase in [
            "invalid",
            "known to be valid",
            "passed its rules",
            "already validated",
        ] {
            assert!(!reasoning.contains(phrase), "{phrase:?} in extractor.body");
        }
        let permission = section(0, "detail.permission");
        for word in [" first", " last", " before", " after"] {
            assert!(!permission.contains(word), "{word:?} in detail.permission");
        }
    }

    #[test]
    fn a_filled_in_word_gets_the_article_its_sound_needs() {
        let vars = |value: &str| vec![("ty", value.to_owned())];
        let cases = [
            (
                "Clients get a `{ty}` back.",
                "ApplicationIn",
                "Clients get an `ApplicationIn` back.",
            ),
            (
                "Clients get a `{ty}` back.",
                "MessageOut",
                "Clients get a `MessageOut` back.",
            ),
            ("It takes a `{ty}`.", "uid", "It takes a `uid`."),
            ("It takes a `{ty}`.", "Uuid", "It takes a `Uuid`."),
            (
                "It takes a `{ty}`.",
                "UnitStruct",
                "It takes a `UnitStruct`.",
            ),
            ("It takes a `{ty}`.", "UpdateIn", "It takes an `UpdateIn`."),
            (
                "A `{ty}` comes back.",
                "Option<u16>",
                "An `Option<u16>` comes back.",
            ),
            ("(a {ty})", "ordinal", "(an ordinal)"),
            // Only the article, never a word that ends in "a".
            ("Data `{ty}`, via {ty}.", "id", "Data `id`, via id."),
        ];
        for (template, value, want) in cases {
            assert_eq!(
                fill(template, &vars(value)),
                want,
                "{template} with {value}"
            );
        }
    }

    #[test]
    fn every_fact_kind_has_a_row_in_the_section_table() {
        let rows: Vec<&str> = SECTIONS.iter().map(|(kind, _)| *kind).collect();
        for kind in Fact::KINDS {
            assert!(
                rows.contains(kind),
                "fact kind {kind} has no row in SECTIONS"
            );
        }
        let mut seen = Vec::new();
        for name in all_section_names() {
            assert!(!seen.contains(&name), "[{name}] is in two rows");
            seen.push(name);
        }
    }

    #[test]
    fn every_built_in_profile_words_every_section_twice() {
        for profile in crate::profile::built_ins().unwrap() {
            for name in all_section_names() {
                let variants = profile.templates.variants_of(name);
                assert!(
                    variants.len() >= 2,
                    "{}: [{name}] has {} variant(s)",
                    profile.name(),
                    variants.len()
                );
            }
        }
    }

    #[test]
    fn shared_templates_have_only_table_sections() {
        let mut shared = BTreeMap::new();
        for (_, text) in TEMPLATE_FILES {
            parse_sections(text, &mut shared);
        }
        for name in shared.keys() {
            assert!(
                all_section_names().any(|n| n == *name),
                "templates/ has [{name}], which no row of SECTIONS names"
            );
        }
    }

    #[test]
    fn a_profile_missing_a_section_or_naming_an_unknown_one_is_refused() {
        let vocabulary = BTreeMap::new();
        let unknown = BTreeMap::from([("no.such".to_owned(), vec!["x".to_owned()])]);
        assert_eq!(
            Templates::new(&unknown, &vocabulary).unwrap_err().message,
            "[templates] names no section the renderer uses: no.such"
        );
        let emptied = BTreeMap::from([("doc".to_owned(), Vec::new())]);
        assert_eq!(
            Templates::new(&emptied, &vocabulary).unwrap_err().message,
            "template section [doc] has no variant"
        );
    }

    /// Regression: without a finishing mix, FNV-1a's lowest bit is the parity of the input, so
    /// every two-variant choice for one salt flipped together and a unit ran out of distinct
    /// phrasings after 8 examples.
    #[test]
    fn the_low_bit_of_the_hash_is_mixed() {
        let salts: Vec<String> = (0..64).map(|i| format!("unit#{i}")).collect();
        let agree = salts
            .iter()
            .filter(|s| stable_hash(&[s, "open.issue"]) % 2 == stable_hash(&[s, "doc"]) % 2)
            .count();
        assert!((16..=48).contains(&agree), "{agree} of 64 agree");
    }

    #[test]
    fn placeholders_are_braced_identifiers_as_fill_reads_them() {
        let text = "{a} {Ab_1} {not one} {} {{b}} {1x} `{c}` {open";
        assert_eq!(
            placeholders(text).collect::<Vec<_>>(),
            ["a", "Ab_1", "b", "c"]
        );
        let vocabulary = BTreeMap::from([("operation".to_owned(), "x".to_owned())]);
        let unknown = |text| unknown_placeholder(text, &["item"], &vocabulary);
        assert_eq!(unknown("{item} {operation} {Operation}"), None);
        assert_eq!(unknown("{item} {Item} {route}"), Some("Item"));
    }

    #[test]
    fn every_section_is_declared_once_with_distinct_placeholders() {
        for (_, sections) in SECTIONS {
            for (name, fills) in *sections {
                assert_eq!(section_fills(name), Some(*fills), "[{name}]");
                for (i, fill) in fills.iter().enumerate() {
                    assert!(
                        !fills[..i].contains(fill),
                        "[{name}] declares {{{fill}}} twice"
                    );
                }
            }
        }
        assert_eq!(section_fills("no.such"), None);
    }

    #[test]
    fn fill_is_single_pass() {
        let out = fill(
            "on {route} now",
            &[("route", "`/app/{app_id}/msg`".to_owned())],
        );
        assert_eq!(out, "on `/app/{app_id}/msg` now");
        assert_eq!(fill::<&str>("{unknown} x", &[]), "{unknown} x");
    }
}
