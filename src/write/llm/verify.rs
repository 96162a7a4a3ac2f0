//! Verification: the deterministic checks every model draft meets before it is accepted,
//! beside those `dataset/check.rs` applies to every writer's text. A model invents; these
//! checks hold its words to what the brief shows: its names to the code and the context, its
//! statuses, methods, paths and crates to the code and the file's imports, its mechanisms to
//! their signs. Each failure says what to change, quoting the words at fault, because it is
//! sent back to the model once.
//!
//! What a draft may name: the reasoning, the example's code and the brief's context (in
//! history mode also the code before the commit); the request, besides these, its whole file
//! (a maintainer asking for a change may point at anything the file has). Both may name the
//! route the brief carries.
//!
//! The checks, by the name a [`Failure`] gives: `empty` and `length` (the bounds below),
//! `ungrounded name`, `unquoted name` (the reasoning's rule of `dataset/check.rs`),
//! `mechanism`, `status code`, `http method`, `route path`, `crate name`, `fenced code`,
//! `code line`, `lists the answer`.

use crate::extract::text::{has_word, is_identifier_char};
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use super::prompt::Draft;
use crate::dataset::check::{
    Mechanism, backticked_at, excerpt, unquoted_identifiers, unshown_mechanisms,
};
use crate::extract::facts::Fact;
use crate::extract::text::{code_names, is_keyword};
use crate::write::Brief;

/// One check a draft fails: which (a short stable name, e.g. `ungrounded name`) and the
/// words at fault, said so that the model can fix them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub check: &'static str,
    pub detail: String,
}

/// A request's length in characters, trimmed. The template writer's requests on real svix code
/// (140 examples, three profiles and five files) run from 141 to 1194, 316 the median: a
/// request is a sentence or a short issue, never an essay.
pub const REQUEST_CHARS: RangeInclusive<usize> = 40..=1200;
/// A reasoning's length in characters, trimmed. The template writer's run from 147 to 4398,
/// 526 the median; those above 4000 read a long chain line by line. Under 150 says no why.
pub const REASONING_CHARS: RangeInclusive<usize> = 150..=4000;
/// How many of the items the answer defines a request may name: more is listing the answer.
pub const MAX_ITEMS_NAMED: usize = 2;
/// How long (in characters, trimmed) a line of the code must be before quoting it whole counts
/// as copying the answer: shorter lines (`}`, `Ok(())`, `let len = x;`) are said in passing.
pub const MIN_CODE_LINE: usize = 20;
/// How many such lines the reasoning may quote, each as a backticked span of its own.
pub const MAX_QUOTED_LINES: usize = 1;

/// HTTP methods as a text names them (in capitals, as words).
const HTTP_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The crates a draft may name only when the code, the context or the file's `use`
/// declarations do: each spelling a text may use, and the name code writes it with. Words that
/// are also plain English or plain concepts (`http`, `url`, `time`, `uuid`, `anyhow`,
/// `futures`) are left out: a text uses them without naming a crate.
const CRATES: [(&str, &str); 30] = [
    ("axum", "axum"),
    ("aide", "aide"),
    ("validator", "validator"),
    ("serde", "serde"),
    ("serde_json", "serde_json"),
    ("serde-json", "serde_json"),
    ("schemars", "schemars"),
    ("sea_orm", "sea_orm"),
    ("sea-orm", "sea_orm"),
    ("seaorm", "sea_orm"),
    ("sea_query", "sea_query"),
    ("sea-query", "sea_query"),
    ("tokio", "tokio"),
    ("redis", "redis"),
    ("chrono", "chrono"),
    ("hyper", "hyper"),
    ("tower_http", "tower_http"),
    ("tower-http", "tower_http"),
    ("tracing", "tracing"),
    ("reqwest", "reqwest"),
    ("sqlx", "sqlx"),
    ("diesel", "diesel"),
    ("thiserror", "thiserror"),
    ("jsonwebtoken", "jsonwebtoken"),
    ("bb8", "bb8"),
    ("lapin", "lapin"),
    ("rdkafka", "rdkafka"),
    ("opentelemetry", "opentelemetry"),
    ("utoipa", "utoipa"),
    ("ksuid", "ksuid"),
];

/// The standard library's roots: a path through them names no crate of the answer.
const STD_ROOTS: [&str; 3] = ["std", "core", "alloc"];

/// HTTP statuses a text may state only when the code shows the number or the name (as
/// `http::StatusCode` spells it; svix's own helper names besides, `HttpError::too_large`,
/// `http_error_on_conflict`). A number not here (`256 bytes`) is not read as a status.
const STATUSES: [(&str, &str); 46] = [
    ("100", "CONTINUE"),
    ("101", "SWITCHING_PROTOCOLS"),
    ("200", "OK"),
    ("201", "CREATED"),
    ("202", "ACCEPTED"),
    ("203", "NON_AUTHORITATIVE_INFORMATION"),
    ("204", "NO_CONTENT"),
    ("205", "RESET_CONTENT"),
    ("206", "PARTIAL_CONTENT"),
    ("301", "MOVED_PERMANENTLY"),
    ("302", "FOUND"),
    ("303", "SEE_OTHER"),
    ("304", "NOT_MODIFIED"),
    ("307", "TEMPORARY_REDIRECT"),
    ("308", "PERMANENT_REDIRECT"),
    ("400", "BAD_REQUEST"),
    ("401", "UNAUTHORIZED"),
    ("402", "PAYMENT_REQUIRED"),
    ("403", "FORBIDDEN"),
    ("403", "PERMISSION_DENIED"),
    ("404", "NOT_FOUND"),
    ("405", "METHOD_NOT_ALLOWED"),
    ("406", "NOT_ACCEPTABLE"),
    ("408", "REQUEST_TIMEOUT"),
    ("409", "CONFLICT"),
    ("409", "ON_CONFLICT"),
    ("410", "GONE"),
    ("411", "LENGTH_REQUIRED"),
    ("412", "PRECONDITION_FAILED"),
    ("413", "PAYLOAD_TOO_LARGE"),
    ("413", "TOO_LARGE"),
    ("414", "URI_TOO_LONG"),
    ("415", "UNSUPPORTED_MEDIA_TYPE"),
    ("416", "RANGE_NOT_SATISFIABLE"),
    ("422", "UNPROCESSABLE_ENTITY"),
    ("425", "TOO_EARLY"),
    ("426", "UPGRADE_REQUIRED"),
    ("428", "PRECONDITION_REQUIRED"),
    ("429", "TOO_MANY_REQUESTS"),
    ("431", "REQUEST_HEADER_FIELDS_TOO_LARGE"),
    ("451", "UNAVAILABLE_FOR_LEGAL_REASONS"),
    ("500", "INTERNAL_SERVER_ERROR"),
    ("501", "NOT_IMPLEMENTED"),
    ("502", "BAD_GATEWAY"),
    ("503", "SERVICE_UNAVAILABLE"),
    ("504", "GATEWAY_TIMEOUT"),
];

/// Every check `draft` fails for `brief`; empty when it passes. In history mode the request is
/// the commit's own message, not the model's: only the reasoning is checked.
pub fn verify(draft: &Draft, brief: &Brief, mechanisms: &[Mechanism]) -> Vec<Failure> {
    let grounds = Grounds::of(brief);
    let mut out = Vec::new();
    let mut fields = Vec::new();
    if brief.history.is_none() {
        fields.push(Field {
            name: "request",
            text: &draft.request,
            bounds: REQUEST_CHARS,
            sources: grounds.request_sources(),
        });
    }
    fields.push(Field {
        name: "reasoning",
        text: &draft.reasoning,
        bounds: REASONING_CHARS,
        sources: grounds.reasoning_sources(),
    });
    for field in &fields {
        length(field, &mut out);
        names(field, &grounds, &mut out);
        mechanisms_shown(field, &grounds, mechanisms, &mut out);
        statuses(field, &mut out);
        methods(field, &grounds, &mut out);
        paths(field, &grounds, &mut out);
        crates(field, &grounds, &mut out);
        copied_code(field, brief.code, &mut out);
    }
    if brief.history.is_none() {
        listed_items(&draft.request, brief, &mut out);
    }
    out
}

/// What a draft is held to, gathered once from the brief.
struct Grounds<'b> {
    code: &'b str,
    /// History mode: the code before the commit.
    before: Option<&'b str>,
    context: Vec<&'b str>,
    file_text: &'b str,
    /// The route's path, whole and piece by piece, and its method (`post`).
    route_paths: Vec<String>,
    route_method: Option<&'b str>,
    /// What names the crates a draft may speak of, lowercased (a doc comment's `Redis` counts):
    /// the code, the code before the commit, the context and the file's `use` declarations.
    crate_text: String,
    /// The code the mechanisms' signs are looked for in: the example's (and in history mode
    /// the code before the commit too), as `dataset/check.rs` does.
    mechanism_code: String,
}

impl<'b> Grounds<'b> {
    fn of(brief: &'b Brief<'b>) -> Grounds<'b> {
        let before = brief
            .history
            .and_then(|h| h.change)
            .map(|change| change.before_code);
        let (route_paths, route_method) = match brief.route {
            Some(Fact::Route {
                method,
                path_pieces,
            }) => {
                let mut paths = vec![path_pieces.concat()];
                paths.extend(path_pieces.iter().cloned());
                (paths, Some(method.as_str()))
            }
            _ => (Vec::new(), None),
        };
        Grounds {
            code: brief.code,
            before,
            context: brief.context.iter().map(|c| c.text.as_str()).collect(),
            file_text: brief.file_text,
            route_paths,
            route_method,
            crate_text: [brief.code, before.unwrap_or_default()]
                .into_iter()
                .chain(brief.context.iter().map(|c| c.text.as_str()))
                .chain([use_declarations(brief.file_text).as_str()])
                .collect::<Vec<_>>()
                .join("\n")
                .to_lowercase(),
            mechanism_code: match before {
                Some(before) => format!("{before}\n{}", brief.code),
                None => brief.code.to_owned(),
            },
        }
    }

    /// The texts a reasoning may name things from: the code, the code before the commit and
    /// the context.
    fn reasoning_sources(&self) -> Vec<&'b str> {
        let mut sources = vec![self.code];
        sources.extend(self.before);
        sources.extend(self.context.iter().copied());
        sources
    }

    /// A request's: the reasoning's and the whole file.
    fn request_sources(&self) -> Vec<&'b str> {
        let mut sources = self.reasoning_sources();
        sources.push(self.file_text);
        sources
    }
}

/// One field of a draft and what it may name.
struct Field<'d> {
    name: &'static str,
    text: &'d str,
    bounds: RangeInclusive<usize>,
    sources: Vec<&'d str>,
}

impl Field<'_> {
    fn fail(&self, check: &'static str, out: &mut Vec<Failure>, detail: String) {
        out.push(Failure { check, detail });
    }

    /// The words around byte `at` of the field, quoted.
    fn around(&self, at: usize) -> String {
        format!("\"{}\"", excerpt(self.text, at))
    }

    fn grounded_word(&self, word: &str) -> bool {
        self.sources.iter().any(|s| has_word(s, word))
    }

    /// A name in the prose: a word of a source, or the JSON name serde gives a field of one
    /// (`payloadRetentionPeriod` for `payload_retention_period` under
    /// `rename_all = "camelCase"`).
    fn grounded_name(&self, word: &str) -> bool {
        self.grounded_word(word)
            || self
                .sources
                .iter()
                .any(|s| s.contains("rename_all = \"camelCase\"") && has_word(s, &snake_case(word)))
    }

    fn grounded_text(&self, text: &str) -> bool {
        self.sources.iter().any(|s| s.contains(text))
    }
}

/// Each `use` declaration of a file (from its `use` to its `;`), joined by newlines.
fn use_declarations(file_text: &str) -> String {
    let mut uses = String::new();
    let mut inside = false;
    for line in file_text.lines() {
        let trimmed = line.trim_start();
        let opens = ["use ", "pub use ", "pub(crate) use ", "extern crate "]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if opens || inside {
            uses.push_str(line);
            uses.push('\n');
            inside = !line.contains(';');
        }
    }
    uses
}

fn length(field: &Field, out: &mut Vec<Failure>) {
    let chars = field.text.trim().chars().count();
    if chars == 0 {
        field.fail(
            "empty",
            out,
            format!("the {} is missing or empty: write it", field.name),
        );
    } else if !field.bounds.contains(&chars) {
        field.fail(
            "length",
            out,
            format!(
                "the {} is {chars} characters long; write between {} and {}",
                field.name,
                field.bounds.start(),
                field.bounds.end()
            ),
        );
    }
}

/// Every backticked span stands verbatim in a source (or is the route), and every code-like
/// word outside backticks (snake_case, an inner capital, `a::b`, `f()`) names only words of a
/// source; in the reasoning such a word stands in backticks, as `dataset/check.rs` requires.
/// Crates, statuses, methods and paths are left to their own checks.
fn names(field: &Field, grounds: &Grounds, out: &mut Vec<Failure>) {
    let mut seen = BTreeSet::new();
    for (span, at) in backticked_at(field.text) {
        let owned_elsewhere = crate_of(span).is_some()
            || HTTP_METHODS.contains(&span)
            || status_number(span).is_some()
            || span.starts_with('/');
        // A fence's body is the fence check's.
        let grounded = span.trim().is_empty()
            || span.contains('\n')
            || field.grounded_text(span)
            || grounds.route_paths.iter().any(|p| p == span);
        if !owned_elsewhere && !grounded && seen.insert(span) {
            field.fail(
                "ungrounded name",
                out,
                format!(
                    "the {} quotes `{span}`, which is not in the code or its context: quote only what they hold verbatim, or drop it ({})",
                    field.name,
                    field.around(at)
                ),
            );
        }
    }
    for ProseName { word, at, names } in prose_names(field.text) {
        let missing: Vec<&str> = names
            .into_iter()
            .filter(|name| !field.grounded_name(name))
            .collect();
        if missing.is_empty() || !seen.insert(word) {
            continue;
        }
        let which = if missing == [word] {
            String::new()
        } else {
            format!(" ({} is not there)", missing.join(", "))
        };
        field.fail(
            "ungrounded name",
            out,
            format!(
                "the {} names {word}, which is not in the code or its context{which}: name only what they define or use ({})",
                field.name,
                field.around(at)
            ),
        );
    }
    if field.name != "reasoning" {
        return;
    }
    for (word, at) in unquoted_identifiers(field.text) {
        if seen.insert(word) {
            field.fail(
                "unquoted name",
                out,
                format!(
                    "the reasoning names {word} outside backticks: write `{word}` ({})",
                    field.around(at)
                ),
            );
        }
    }
}

/// A word of prose that reads as code, and the names it is made of.
struct ProseName<'t> {
    /// The word, stripped of the prose's punctuation around it (`permissions::Organization`).
    word: &'t str,
    at: usize,
    /// Its names, each of which must stand in a source (`permissions`, `Organization`).
    names: Vec<&'t str>,
}

/// The words of a text's prose (outside backticks) that hold code names: runs of letters,
/// digits and `_` that read as code (see [`code_names`]), stand in a path (`a::b`) or are
/// called (`f()`, not a plural's `(s)`). Rust's keywords, the standard library's roots and
/// crate names are not names to look for.
fn prose_names(text: &str) -> Vec<ProseName<'_>> {
    let mut found = Vec::new();
    for (segment, offset) in outside_backticks(text) {
        for word in segment.split_whitespace() {
            if word.trim_start_matches(['(', '"', '\'']).starts_with('/') {
                continue; // a URL path's placeholders are the path check's
            }
            let names: Vec<&str> = identifier_runs(word)
                .into_iter()
                .filter(|&(start, run)| {
                    let after = &word[start + run.len()..];
                    let in_path = after.starts_with("::") || word[..start].ends_with("::");
                    let called = after.starts_with('(') && !plural_mark(after);
                    let named = !code_names(run).is_empty();
                    let exempt = is_keyword(run)
                        || STD_ROOTS.contains(&run)
                        || crate_of(run).is_some()
                        || !run.chars().any(char::is_alphabetic);
                    (in_path || called || named) && !exempt
                })
                .map(|(_, run)| run)
                .collect();
            if names.is_empty() {
                continue;
            }
            let trimmed = word.trim_matches(|c: char| {
                matches!(
                    c,
                    '"' | '\'' | '“' | '”' | '‘' | '’' | ',' | '.' | ';' | ':' | '!' | '?'
                )
            });
            // `word` is a slice of `segment`: where it starts follows from the pointers.
            let at = offset + (trimmed.as_ptr() as usize - segment.as_ptr() as usize);
            found.push(ProseName {
                word: trimmed,
                at,
                names,
            });
        }
    }
    found
}

/// Whether a parenthesis after a word is prose's `(s)`, `(es)`, `(n)` rather than a call.
fn plural_mark(after: &str) -> bool {
    after[1..].find(')').is_some_and(|close| {
        let inside = &after[1..1 + close];
        (1..=2).contains(&inside.len()) && inside.bytes().all(|b| b.is_ascii_lowercase())
    })
}

/// The parts of a text outside backticks, each with where it starts.
fn outside_backticks(text: &str) -> impl Iterator<Item = (&str, usize)> {
    let mut offset = 0;
    text.split('`').enumerate().filter_map(move |(i, part)| {
        let at = offset;
        offset += part.len() + 1;
        (i % 2 == 0).then_some((part, at))
    })
}

/// The maximal runs of identifier characters in a text, each with where it starts.
fn identifier_runs(text: &str) -> Vec<(usize, &str)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (is_identifier_char(c), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                runs.push((from, &text[from..at]));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// `eventType` → `event_type`.
fn snake_case(word: &str) -> String {
    let mut snake = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        if c.is_uppercase() {
            snake.push('_');
        }
        snake.extend(c.to_lowercase());
    }
    snake
}

/// The crate a word names, as code writes it (`sea-orm` → `sea_orm`), case aside.
fn crate_of(word: &str) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    CRATES
        .iter()
        .find(|(spelling, _)| *spelling == lower)
        .map(|&(_, name)| name)
}

/// The number of a status a text states by number (`404`).
fn status_number(word: &str) -> Option<&'static str> {
    STATUSES
        .iter()
        .find(|(number, _)| *number == word)
        .map(|&(number, _)| number)
}

/// A mechanism word (queue, cache, transaction) only where the code shows one of its signs.
fn mechanisms_shown(
    field: &Field,
    grounds: &Grounds,
    mechanisms: &[Mechanism],
    out: &mut Vec<Failure>,
) {
    // ASCII lowercasing keeps every byte where it was: the excerpt is of the text as written.
    let lower = field.text.to_ascii_lowercase();
    for (mechanism, at) in unshown_mechanisms(&lower, &grounds.mechanism_code, mechanisms) {
        field.fail(
            "mechanism",
            out,
            format!(
                "the {} speaks of a {} (\"{}\"), but the code shows no sign of one ({}): say it only of code that shows it",
                field.name,
                mechanism.word,
                excerpt(field.text, at),
                mechanism.signs.join(", ")
            ),
        );
    }
}

/// A status number only when the sources show it: the number itself (`JsonStatus<202, …>`),
/// or its name as a word (`StatusCode::NOT_FOUND`, `HttpError::not_found`,
/// `http_error_on_conflict`).
fn statuses(field: &Field, out: &mut Vec<Failure>) {
    let mut seen = BTreeSet::new();
    for (number, at) in numbers(field.text) {
        let Some(number) = status_number(number) else {
            continue;
        };
        if seen.contains(number) || status_shown(number, &field.sources) {
            continue;
        }
        seen.insert(number);
        field.fail(
            "status code",
            out,
            format!(
                "the {} states status {number}, which the code does not return or name: state only the statuses it shows ({})",
                field.name,
                field.around(at)
            ),
        );
    }
}

fn status_shown(number: &str, sources: &[&str]) -> bool {
    let names: Vec<&str> = STATUSES
        .iter()
        .filter(|(n, _)| *n == number)
        .map(|&(_, name)| name)
        .collect();
    sources.iter().any(|source| {
        has_word(source, number)
            || identifier_runs(source).into_iter().any(|(_, ident)| {
                names.iter().any(|name| {
                    let lower = name.to_ascii_lowercase();
                    // `Ok` is Rust's, not a status: 200 only as `OK`.
                    ident == *name
                        || (*name != "OK" && ident.eq_ignore_ascii_case(name))
                        || (name.contains('_')
                            && ident.to_ascii_lowercase().ends_with(&format!("_{lower}")))
                })
            })
    })
}

/// The whole numbers of a text (not part of a version, a decimal or a word), with where each
/// starts.
fn numbers(text: &str) -> Vec<(&str, usize)> {
    identifier_runs(text)
        .into_iter()
        .filter(|(at, run)| {
            let before = text[..*at].chars().next_back();
            let rest = &text[at + run.len()..];
            let decimal = rest.starts_with(['.', ',']) && rest[1..].starts_with(char::is_numeric);
            run.bytes().all(|b| b.is_ascii_digit()) && before != Some('.') && !decimal
        })
        .map(|(at, run)| (run, at))
        .collect()
}

/// An HTTP method in capitals only when the route has it or the sources name it
/// (`post_with`, `Method::POST`).
fn methods(field: &Field, grounds: &Grounds, out: &mut Vec<Failure>) {
    let mut seen = BTreeSet::new();
    for (at, word) in identifier_runs(field.text) {
        if !HTTP_METHODS.contains(&word) || !seen.insert(word) {
            continue;
        }
        let lower = word.to_ascii_lowercase();
        let shown = grounds
            .route_method
            .is_some_and(|m| m.eq_ignore_ascii_case(word))
            || field.grounded_word(word)
            || field.grounded_word(&lower)
            || field.grounded_word(&format!("{lower}_with"));
        if !shown {
            field.fail(
                "http method",
                out,
                format!(
                    "the {} says {word}, but neither the route nor the code has that method: drop it ({})",
                    field.name,
                    field.around(at)
                ),
            );
        }
    }
}

/// A URL path (`/app/{app_id}/msg/`) only as the route or the sources write it.
fn paths(field: &Field, grounds: &Grounds, out: &mut Vec<Failure>) {
    let mut seen = BTreeSet::new();
    for (path, at) in url_paths(field.text) {
        let bare = path.trim_end_matches('/');
        let forms = [bare.to_owned(), format!("{bare}/")];
        let shown = forms
            .iter()
            .any(|form| grounds.route_paths.iter().any(|r| r == form) || field.grounded_text(form));
        if !shown && seen.insert(path) {
            field.fail(
                "route path",
                out,
                format!(
                    "the {} gives the path {path}, which neither the route nor the code has: give the path as they write it, or none ({})",
                    field.name,
                    field.around(at)
                ),
            );
        }
    }
}

/// The URL paths of a text: a word that starts with `/` and holds a letter, trailing
/// punctuation aside.
fn url_paths(text: &str) -> Vec<(&str, usize)> {
    let path_char =
        |c: char| is_identifier_char(c) || matches!(c, '/' | '{' | '}' | ':' | '-' | '.' | '*');
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find('/') {
        let start = at + i;
        let before = text[..start].chars().next_back();
        let len = text[start..]
            .find(|c: char| !path_char(c))
            .unwrap_or(text.len() - start);
        at = start + len.max(1);
        if before.is_some_and(|c| path_char(c) || c == '<') {
            continue; // inside a word (`and/or`, `a/b`) or a type
        }
        let path = text[start..start + len].trim_end_matches(['.', ':', ',']);
        if path.chars().any(char::is_alphabetic) {
            found.push((path, start));
        }
    }
    found
}

/// A crate only when the code, its context or the file's `use` declarations name it.
fn crates(field: &Field, grounds: &Grounds, out: &mut Vec<Failure>) {
    // ASCII lowercasing keeps every byte where it was: the excerpt is of the text as written.
    let lower = field.text.to_ascii_lowercase();
    let mut seen = BTreeSet::new();
    for (spelling, name) in CRATES {
        let Some(at) = find_word(&lower, spelling) else {
            continue;
        };
        if !has_segment(&grounds.crate_text, name) && seen.insert(name) {
            field.fail(
                "crate name",
                out,
                format!(
                    "the {} names the crate {spelling}, which neither the code nor the file's imports use: drop it ({})",
                    field.name,
                    field.around(at)
                ),
            );
        }
    }
}

/// Whether `word` stands in `hay` between characters that are not letters or digits: a crate
/// is named by `aide_annotate` or `sea_orm::Set` as much as by `aide` or `sea_orm`.
fn has_segment(hay: &str, word: &str) -> bool {
    memchr::memmem::find_iter(hay.as_bytes(), word.as_bytes()).any(|at| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Where `word` first stands in `hay` as a whole word (a hyphen ends a word: `sea-orm`'s
/// `sea` is not `sea_orm`'s).
fn find_word(hay: &str, word: &str) -> Option<usize> {
    memchr::memmem::find_iter(hay.as_bytes(), word.as_bytes()).find(|&at| {
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        let joins = |c: char| is_identifier_char(c) || c == '-';
        !before.is_some_and(joins) && !after.is_some_and(joins)
    })
}

/// No fenced code, and no whole line of the answer's code (trimmed, at least
/// [`MIN_CODE_LINE`] characters): the code is the answer, the text says why. The reasoning may
/// quote [`MAX_QUOTED_LINES`] such line as a backticked span of its own (an attribute, a
/// one-line body it is about); more is reading the code aloud, and a line outside such a span is
/// copying it. A request quotes none: it would be giving the answer.
fn copied_code(field: &Field, code: &str, out: &mut Vec<Failure>) {
    if let Some(at) = field.text.find("```") {
        field.fail(
            "fenced code",
            out,
            format!(
                "the {} holds a fenced code block (```): write prose, with names in single backticks ({})",
                field.name,
                field.around(at)
            ),
        );
    }
    let mut seen = BTreeSet::new();
    let mut quoted = Vec::new();
    for line in code.lines().map(str::trim) {
        if line.chars().count() < MIN_CODE_LINE || !seen.insert(line) || !field.text.contains(line)
        {
            continue;
        }
        let spans = backticked_at(field.text)
            .filter(|(span, _)| span.trim() == line)
            .count();
        let inline = field.name == "reasoning"
            && spans == memchr::memmem::find_iter(field.text.as_bytes(), line.as_bytes()).count();
        if inline {
            quoted.push(line);
        } else {
            field.fail(
                "code line",
                out,
                format!(
                    "the {} copies the line `{line}` of the answer's code: say what it is for instead",
                    field.name
                ),
            );
        }
    }
    if quoted.len() > MAX_QUOTED_LINES {
        field.fail(
            "code line",
            out,
            format!(
                "the {} quotes {} whole lines of the answer's code ({}): quote at most {MAX_QUOTED_LINES}, and say what the code is for rather than reading it",
                field.name,
                quoted.len(),
                quoted
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

/// The request names at most [`MAX_ITEMS_NAMED`] of the items the answer defines.
fn listed_items(request: &str, brief: &Brief, out: &mut Vec<Failure>) {
    let mut named: Vec<&str> = brief
        .items
        .iter()
        .map(|item| item.name)
        .filter(|name| {
            !is_keyword(name)
                && name.chars().all(is_identifier_char)
                && has_word(brief.code, name)
                && has_word(request, name)
        })
        .collect();
    named.sort_unstable();
    named.dedup();
    if named.len() > MAX_ITEMS_NAMED {
        out.push(Failure {
            check: "lists the answer",
            detail: format!(
                "the request names {} items the answer defines ({}): name at most {MAX_ITEMS_NAMED}; state the need and leave the members to the answer",
                named.len(),
                named
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::dataset::example::Voice;
    use crate::extract::units::Role;
    use crate::write::{BriefItem, ChangeBrief, ContextItem, HistoryBrief};

    /// The example's code: a body type, a serde default and a handler that enqueues.
    const CODE: &str = r#"use axum::{Json, extract::State};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageIn {
    pub event_type: String,
    #[serde(default = "default_retention")]
    pub payload_retention_period: i64,
}

fn default_retention() -> i64 {
    90
}

#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<JsonStatus<202, MessageOut>> {
    let msg = create_message_inner(db, queue_tx, data).await?;
    Ok(JsonStatus(msg))
}"#;

    /// The rest of the file: its imports, another handler and the router.
    const REST: &str = r#"use sea_orm::DatabaseConnection;
use serde::Deserialize;

async fn get_message(Path(id): Path<MessageId>) -> Result<Json<MessageOut>> {
    let msg = find(id).await?.ok_or_else(|| HttpError::not_found(None, None))?;
    Ok(Json(msg))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg/", post_with(create_message, op))
}
"#;

    const CALLEE: &str = "pub(crate) async fn create_message_inner(db: &DatabaseConnection, queue_tx: TaskQueueProducer, data: MessageIn) -> Result<MessageOut>";

    const REQUEST: &str = "Clients need to send a message to an application. Could `create_message` accept a `MessageIn` body and hand the delivery off, so the call returns before any webhook goes out?";

    const REASONING: &str = "Delivery happens later, so the handler answers 202 through `JsonStatus<202, MessageOut>`: `create_message_inner` takes the `queue_tx` producer and the queue's workers send the webhook. `ValidatedJson` lets axum reject a malformed body before the handler runs.";

    fn mechanisms() -> Vec<Mechanism> {
        [
            ("queue", &["queue"][..]),
            ("transaction", &["transaction", "txn"]),
        ]
        .into_iter()
        .map(|(word, signs)| Mechanism {
            word: word.to_owned(),
            signs: signs.iter().map(|s| (*s).to_owned()).collect(),
        })
        .collect()
    }

    /// The failures' check names for a draft of the handler's example (in history mode when
    /// `before` is given: the code before the commit).
    fn checks(request: &str, reasoning: &str, before: Option<&str>) -> Vec<&'static str> {
        let vocabulary = BTreeMap::new();
        let file_text = format!("{REST}\n{CODE}\n");
        let route = Fact::Route {
            method: "post".to_owned(),
            path_pieces: vec!["/app/{app_id}/msg/".to_owned()],
        };
        let change = before.map(|before_code| ChangeBrief {
            before_code,
            changes: &[],
        });
        let brief = Brief {
            vocabulary: &vocabulary,
            key: "chain:create_message".to_owned(),
            role: Role::Handler,
            name: "create_message".to_owned(),
            items: ["MessageIn", "default_retention", "create_message"]
                .into_iter()
                .map(|name| BriefItem { name, facts: &[] })
                .collect(),
            primary: 2,
            callees: Vec::new(),
            route: before.is_none().then_some(&route),
            called_by_root: false,
            field_of: None,
            file_facts: std::sync::Arc::from(Vec::new()),
            code: CODE,
            file_text: &file_text,
            path: Path::new("src/v1/endpoints/message.rs"),
            context: vec![ContextItem {
                kind: "callee",
                name: "create_message_inner".to_owned(),
                path: "src/core/message_app.rs".into(),
                line: 12,
                text: CALLEE.to_owned(),
            }],
            variant: 0,
            voice: Voice::Issue,
            history: before.map(|_| HistoryBrief {
                message: "Enqueue messages instead of sending them inline",
                change,
            }),
        };
        let draft = Draft {
            request: request.to_owned(),
            reasoning: reasoning.to_owned(),
        };
        verify(&draft, &brief, &mechanisms())
            .into_iter()
            .map(|f| f.check)
            .collect()
    }

    /// The reasoning of the good draft with `extra` added as its last sentence.
    fn reasoning_with(extra: &str) -> String {
        format!("{REASONING} {extra}")
    }

    #[test]
    fn a_grounded_draft_passes() {
        assert_eq!(checks(REQUEST, REASONING, None), Vec::<&str>::new());
    }

    #[test]
    fn an_empty_field_fails() {
        assert_eq!(checks("  ", REASONING, None), ["empty"]);
        assert_eq!(checks(REQUEST, "", None), ["empty"]);
    }

    #[test]
    fn a_field_out_of_bounds_fails() {
        assert_eq!(checks("Add it.", REASONING, None), ["length"]);
        let long = REASONING.repeat(4001 / REASONING.len() + 1);
        assert!(long.chars().count() > *REASONING_CHARS.end());
        assert_eq!(checks(REQUEST, &long, None), ["length"]);
        // At the bounds, it passes.
        let at_least = format!("{REQUEST:<40}");
        assert_eq!(checks(&at_least[..40], REASONING, None), Vec::<&str>::new());
    }

    #[test]
    fn a_name_neither_the_code_nor_the_context_holds_fails() {
        // Backticked, or code-like in the prose: snake_case, an inner capital, a path, a call.
        for extra in [
            "It also calls `send_now`.",
            "It also calls send_now first.",
            "It returns a MessageStatus.",
            "It checks permissions::Organization first.",
            "It calls flush() at the end.",
        ] {
            assert_eq!(
                checks(REQUEST, &reasoning_with(extra), None),
                ["ungrounded name"],
                "{extra}"
            );
        }
        // The callee's signature is context: its parameter type may be named. A plural's
        // `(s)`, a crate's path and the JSON name serde gives a field are not unknown names.
        for extra in [
            "The producer is a `TaskQueueProducer`.",
            "It serializes the event(s) once, as axum::Json would.",
            "The body's \"payloadRetentionPeriod\" may be left out.",
        ] {
            assert_eq!(
                checks(REQUEST, &reasoning_with(extra), None),
                Vec::<&str>::new(),
                "{extra}"
            );
        }
    }

    /// The request may point at anything its file has; the reasoning only at the code and
    /// the context.
    #[test]
    fn the_request_may_name_the_file_and_the_reasoning_may_not() {
        let request = format!("{REQUEST} It should work like `get_message`.");
        assert_eq!(checks(&request, REASONING, None), Vec::<&str>::new());
        assert_eq!(
            checks(
                REQUEST,
                &reasoning_with("It works like `get_message`."),
                None
            ),
            ["ungrounded name"]
        );
    }

    #[test]
    fn a_name_outside_backticks_in_the_reasoning_fails() {
        assert_eq!(
            checks(REQUEST, &reasoning_with("It passes queue_tx on."), None),
            ["unquoted name"]
        );
    }

    #[test]
    fn a_mechanism_the_code_does_not_show_fails() {
        let extra = "Both writes share one transaction.";
        assert_eq!(checks(REQUEST, &reasoning_with(extra), None), ["mechanism"]);
        // The queue has its signs in the code (`queue_tx`): the good draft speaks of it.
        assert!(REASONING.contains("queue's workers"));
    }

    #[test]
    fn a_status_the_code_does_not_show_fails() {
        let extra = "A missing application is a 404.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            ["status code"]
        );
        // The file's `HttpError::not_found` is a 404 the request may ask about; a number that
        // is no status is not read as one.
        let request = format!("{REQUEST} An unknown message should be a 404.");
        assert_eq!(checks(&request, REASONING, None), Vec::<&str>::new());
        let extra = "Retention defaults to 90 days, at most 365.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_method_the_route_does_not_have_fails() {
        let request = format!("{REQUEST} It is a PUT on the application.");
        assert_eq!(checks(&request, REASONING, None), ["http method"]);
        // The route has it (the reasoning may not look at the router in the file).
        let extra = "It is a POST on the application.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_path_the_route_does_not_have_fails() {
        let request = format!("{REQUEST} Serve it at /app/{{app_id}}/message.");
        assert_eq!(checks(&request, REASONING, None), ["route path"]);
        let extra = "It is served at /app/{app_id}/msg/.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            Vec::<&str>::new()
        );
        // `and/or` is no path.
        let request = format!("{REQUEST} Retry and/or log.");
        assert_eq!(checks(&request, REASONING, None), Vec::<&str>::new());
    }

    #[test]
    fn a_crate_the_code_does_not_import_fails() {
        let extra = "Redis keeps the task until a worker takes it.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            ["crate name"]
        );
        // sea-orm is imported by the file, serde by the code's derive and the file.
        let extra = "sea-orm's connection is borrowed and serde reads the body.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn fenced_code_fails() {
        let extra = "It ends:\n```rust\nOk(JsonStatus(msg))\n```";
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            ["fenced code"]
        );
    }

    #[test]
    fn a_line_of_the_code_fails() {
        // In the request, even backticked; in the reasoning, outside a span of its own.
        let line = "let msg = create_message_inner(db, queue_tx, data).await?;";
        let request = format!("{REQUEST} Something like `{line}`.");
        assert_eq!(checks(&request, REASONING, None), ["code line"]);
        let extra = format!("It runs {line} and returns.");
        assert_eq!(
            checks(REQUEST, &reasoning_with(&extra), None),
            ["unquoted name", "unquoted name", "code line"]
        );
        // One line quoted on its own is a reference; two are reading the code aloud.
        let one = "The id comes from `#[aide_annotate(op_id = \"v1.message.create\")]`.";
        assert_eq!(
            checks(REQUEST, &reasoning_with(one), None),
            Vec::<&str>::new()
        );
        let two = format!("{one} The call is `{line}`.");
        assert_eq!(checks(REQUEST, &reasoning_with(&two), None), ["code line"]);
    }

    #[test]
    fn a_request_naming_three_items_of_the_answer_fails() {
        let request = format!("{REQUEST} `default_retention` gives the default.");
        assert_eq!(checks(&request, REASONING, None), ["lists the answer"]);
        assert_eq!(
            [
                REQUEST.contains("create_message"),
                REQUEST.contains("MessageIn")
            ],
            [true, true],
            "two items pass"
        );
    }

    /// History mode: the request is the commit's own; the reasoning may name the code before
    /// the commit, and is checked as always.
    #[test]
    fn history_checks_the_reasoning_only() {
        let before = "async fn create_message(db: DatabaseConnection) { send_inline(db).await }";
        assert_eq!(checks("", REASONING, Some(before)), Vec::<&str>::new());
        let extra = "It no longer calls `send_inline`.";
        assert_eq!(
            checks("", &reasoning_with(extra), Some(before)),
            Vec::<&str>::new()
        );
        assert_eq!(
            checks(REQUEST, &reasoning_with(extra), None),
            ["ungrounded name"]
        );
        assert_eq!(checks("", "", Some(before)), ["empty"]);
    }
}
