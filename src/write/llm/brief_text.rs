//! A [`Brief`] as the text a model reads: the unit's code, what it reaches, the facts read off
//! it (each a short phrase, the code names in backticks as the facts quote them) and the
//! template writer's reasoning as hints; in history mode the commit's message, both versions
//! and what changed. It fills the prompts' `{brief}`; the wording around it is the profile's.
//!
//! Compact on purpose: the code is shown whole, so a fact is said in a few words, never
//! restated; the cost target is a prompt of at most four times the code's tokens.

use std::fmt::Write as _;

use crate::extract::facts::{Change, DocsChange, ExtractorRole, Fact, FieldFact, PathCondition};
use crate::extract::units::Role;
use crate::write::{Brief, ChangeBrief, ContextItem, Text};

/// The whole brief, generation or history.
pub(super) fn brief_text(brief: &Brief, hints: Option<&Text>) -> String {
    let mut out = String::new();
    match &brief.history {
        None => {
            unit_line(&mut out, brief);
            let _ = writeln!(out, "\nThe code:\n{}", fenced("rust", brief.code));
        }
        Some(history) => {
            let _ = writeln!(
                out,
                "A commit to `{}` in {}. Its message:\n{}",
                brief.name,
                brief.path.display(),
                fenced("text", history.message.trim())
            );
            match &history.change {
                Some(change) => changed(&mut out, brief, change),
                None => {
                    let _ = writeln!(
                        out,
                        "\nThe items the commit added:\n{}",
                        fenced("rust", brief.code)
                    );
                }
            }
        }
    }
    context(&mut out, &brief.context);
    facts(&mut out, brief);
    if let Some(hints) = hints {
        hint_list(&mut out, &hints.reasoning);
    }
    out.trim_end().to_owned()
}

/// `Unit: `create_message`, a handler (…), in path.` and what ties it to the route.
fn unit_line(out: &mut String, brief: &Brief) {
    let _ = writeln!(
        out,
        "The unit: `{}`, {}, in {}.",
        brief.name,
        role_gloss(brief.role),
        brief.path.display()
    );
    if let Some(Fact::Route {
        method,
        path_pieces,
    }) = brief.route
    {
        let _ = writeln!(
            out,
            "The router registers it for {} {}.",
            method.to_uppercase(),
            path_pieces.concat()
        );
    }
    if brief.called_by_root {
        let _ = writeln!(out, "The route's handler calls it.");
    }
    if let Some(owner) = &brief.field_of {
        let _ = writeln!(out, "It is the type of a field of `{owner}`.");
    }
}

/// What a unit of each role is, in a few words.
fn role_gloss(role: Role) -> &'static str {
    match role {
        Role::Handler => "a handler (the function a route calls)",
        Role::Chain => "a handler with the functions of its file it calls",
        Role::Helper => "a helper function",
        Role::Check => "a check the handler runs",
        Role::Validator => "a custom validation function",
        Role::Body => "the type of a request body",
        Role::Query => "the type of a request's query parameters",
        Role::Response => "the type of a response body",
        Role::Model => "a type of the API",
        Role::TraitImpl => "a trait implementation",
        Role::InherentImpl => "an impl block of methods",
        Role::AttrHelper => "a function an attribute names (a serde default, a schemars example)",
        Role::Constant => "a constant",
    }
}

/// History: the items before the commit, after it, and what changed in each.
fn changed(out: &mut String, brief: &Brief, change: &ChangeBrief) {
    let _ = writeln!(
        out,
        "\nThe changed items before the commit:\n{}",
        fenced("rust", change.before_code)
    );
    let _ = writeln!(
        out,
        "\nAfter the commit (the example's code):\n{}",
        fenced("rust", brief.code)
    );
    let lines: Vec<String> = change.changes.iter().filter_map(change_line).collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "\nWhat changed:");
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
    }
}

/// One item's change in a line; None when nothing the change reads is worth saying.
fn change_line(change: &Change) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(old) = &change.renamed_from {
        parts.push(format!("renamed from `{old}`"));
    }
    for (what, list) in [
        ("new names", &change.new_names),
        ("names gone", &change.gone_names),
        ("new literals", &change.new_literals),
        ("literals gone", &change.gone_literals),
    ] {
        if !list.is_empty() {
            parts.push(format!("{what} {}", at_most(list, CHANGED_NAMES)));
        }
    }
    match change.docs {
        Some(DocsChange::Added) => parts.push("doc comments added".into()),
        Some(DocsChange::Removed) => parts.push("doc comments removed".into()),
        Some(DocsChange::Reworded) => parts.push("doc comments reworded".into()),
        None => {}
    }
    if change.visibility_only {
        parts.push("only `pub` markers changed".into());
    }
    if change.pub_delta != 0 {
        parts.push(format!("{:+} `pub` markers", change.pub_delta));
    }
    if let Some(borrows) = change.borrow_only {
        parts.push(format!("only borrows changed ({borrows:+} `&`)"));
    }
    (!parts.is_empty()).then(|| format!("`{}`: {}", change.name, parts.join("; ")))
}

/// The context items in one code block, each under a comment saying what and where it is.
fn context(out: &mut String, items: &[ContextItem]) {
    if items.is_empty() {
        return;
    }
    let mut block = String::new();
    for item in items {
        // An impl's name says what it is (`impl ModelIn for MessageIn`).
        let what = match item.name.starts_with("impl ") {
            true => item.name.clone(),
            false => format!("{} {}", item.kind, item.name),
        };
        let _ = writeln!(
            block,
            "// {what}, {}:{}\n{}",
            item.path.display(),
            item.line,
            item.text.trim_end()
        );
    }
    let _ = writeln!(
        out,
        "\nWhat the code reaches elsewhere in the crate (context, not part of the example):\n{}",
        fenced("rust", block.trim_end())
    );
}

/// One line per item: its name and the phrases of its facts, each said once.
fn facts(out: &mut String, brief: &Brief) {
    let mut lines = Vec::new();
    for item in &brief.items {
        let mut phrases: Vec<String> = Vec::new();
        for phrase in item.facts.iter().filter_map(fact_phrase) {
            if !phrases.contains(&phrase) {
                phrases.push(phrase);
            }
        }
        if !phrases.is_empty() {
            lines.push(format!("- `{}`: {}", item.name, phrases.join("; ")));
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "\nFacts read off the code:\n{}", lines.join("\n"));
    }
}

/// The template writer's reasoning, a sentence a line.
fn hint_list(out: &mut String, reasoning: &str) {
    let sentences = sentences(reasoning);
    if sentences.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nHints:");
    for sentence in sentences {
        let _ = writeln!(out, "- {sentence}");
    }
}

/// Which paths a [`Fact::OnSomePaths`] happens on.
fn branch_phrase(when: Option<&PathCondition>) -> String {
    match when {
        None => "on some paths only".to_owned(),
        Some(PathCondition::If(c)) => format!("only when `{c}`"),
        Some(PathCondition::Else(c)) => format!("only when `{c}` does not hold"),
        Some(PathCondition::Arm(p)) => format!("only in the `{p}` arm"),
    }
}

/// A fact in a few words, its code names in backticks; None for what is said elsewhere (the
/// route) or adds nothing to the code shown.
fn fact_phrase(fact: &Fact) -> Option<String> {
    let phrase = match fact {
        Fact::Route { .. } | Fact::Signature { .. } | Fact::MethodOf { .. } => return None,
        crate::extract::facts::read_by_templates_only!() => return None,
        Fact::OnSomePaths { fact, when } => {
            format!("{} ({})", fact_phrase(fact)?, branch_phrase(when.as_ref()))
        }
        Fact::Doc { summary, .. } => format!("doc \"{summary}\""),
        Fact::AideAnnotate { op_id, .. } => format!("aide operation id `{op_id}`"),
        Fact::Instrument { .. } => "instrumented for tracing".into(),
        Fact::AllowLint { lint, .. } => format!("allows `{lint}`"),
        Fact::State {
            state_ty, bindings, ..
        } => {
            let names: Vec<String> = bindings.iter().map(|b| b.name.clone()).collect();
            match names.as_slice() {
                [] => format!("state{} unused", part(" ", state_ty)),
                _ => format!("state{} giving {}", part(" ", state_ty), ticked(&names)),
            }
        }
        Fact::Extractor {
            role, wrapper, ty, ..
        } => format!("{} extracted by `{wrapper}` as `{ty}`", extracted(*role)),
        Fact::Permission { ty, .. } => format!("permission `{ty}`"),
        Fact::Returns { ty, status, .. } => {
            format!("returns `{ty}`{}", part(" with status ", status))
        }
        Fact::Delegates {
            callee,
            whole_body: true,
            ..
        } => format!("only calls `{callee}`"),
        Fact::Delegates { callee, .. } => format!("calls `{callee}`"),
        Fact::ValidateCall { receiver, .. } => format!("validates `{receiver}`"),
        Fact::ReadFrom { name, receiver, .. } => format!("reads `{name}` from `{receiver}`"),
        Fact::NoteComment { marker, text } => format!("{marker} comment \"{text}\""),
        Fact::BodyComment { text } => format!("comment \"{text}\""),
        Fact::ScopedLookup {
            entity,
            method,
            scope,
        } => format!(
            "looks up{} with `{method}`{}",
            part(" ", entity),
            part(" within ", scope)
        ),
        Fact::CrateHelper { name } => format!("uses the crate's `{name}`"),
        Fact::CacheFetch { call, ttl } => format!("cached `{call}`{}", part(" with ttl ", ttl)),
        Fact::Transaction { method, inserts } => format!(
            "a transaction with `{method}`{}",
            list_part(" inserting ", inserts)
        ),
        Fact::Commit => "commits the transaction".into(),
        Fact::Conflict { via } => format!("a conflict is turned into an error by `{via}`"),
        Fact::ActiveModel {
            ty,
            set_fields,
            base,
        } => format!(
            "builds `{ty}`{}{}",
            part(" from ", base),
            list_part(" setting ", set_fields)
        ),
        Fact::SetFields { target, fields } => format!("sets {} of `{target}`", ticked(fields)),
        Fact::Insert { receiver } => format!("inserts `{receiver}`"),
        Fact::QueueSend {
            queue,
            task,
            guard,
            in_loop,
        } => format!(
            "sends{} to `{queue}`{}{}",
            part(" ", task),
            part(" when ", guard),
            if *in_loop { " in a loop" } else { "" }
        ),
        Fact::ErrorCtor { path, .. } => format!("error `{path}`"),
        Fact::StatusConst { path } => format!("status `{path}`"),
        Fact::LocalAssoc { path } => format!("uses `{path}`"),
        Fact::Tracing { mac } => format!("logs with `{mac}!`"),
        Fact::Expect { message } => format!("expects \"{message}\""),
        Fact::Derives { list, .. } => format!("derives {}", ticked(list)),
        Fact::SerdeContainer { rename_all } => format!("serde renames all to `{rename_all}`"),
        Fact::Field(field) => field_phrase(field),
        Fact::Newtype {
            inner,
            raw_json: true,
            ..
        } => format!("wraps `{inner}` (raw JSON, kept unparsed)"),
        Fact::Newtype { inner, .. } => format!("wraps `{inner}`"),
        // The item's own name says which impl it is (`impl ModelIn for MessageIn`).
        Fact::TraitImpl { methods, .. } | Fact::InherentImpl { methods, .. }
            if methods.is_empty() =>
        {
            return None;
        }
        Fact::TraitImpl { methods, .. } | Fact::InherentImpl { methods, .. } => {
            format!("methods {}", ticked(methods))
        }
        Fact::MarkerImpl { .. } => "a marker impl, no methods".into(),
        Fact::ValidatorFn {
            arg_ty,
            messages,
            condition,
            ..
        } => {
            let messages: String = messages
                .iter()
                .map(|m| format!(", message \"{m}\""))
                .collect();
            format!(
                "validates a `{arg_ty}`{}{messages}",
                part(", failing when ", condition)
            )
        }
        Fact::Method { name, returns, .. } => format!("`{name}` returns `{}`", returns.as_ref()?),
        Fact::Branch { condition } => format!("branches on `{condition}`"),
    };
    Some(phrase)
}

fn extracted(role: ExtractorRole) -> &'static str {
    match role {
        ExtractorRole::Body => "body",
        ExtractorRole::Query => "query",
        ExtractorRole::Path => "path",
    }
}

/// `before` and the value in backticks, or nothing.
fn part(before: &str, value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|v| format!("{before}`{v}`"))
        .unwrap_or_default()
}

/// `before` and the names in backticks, or nothing.
fn list_part(before: &str, names: &[String]) -> String {
    match names {
        [] => String::new(),
        _ => format!("{before}{}", ticked(names)),
    }
}

/// A field in a few words: its name and which attributes shape it.
fn field_phrase(field: &FieldFact) -> String {
    let mut shaped: Vec<&str> = Vec::new();
    if field.rename.is_some() || !field.aliases.is_empty() {
        shaped.push("renamed");
    }
    if field.default_fn.is_some() || field.default {
        shaped.push("defaulted");
    }
    if field.flatten {
        shaped.push("flattened");
    }
    if field.skip_serializing_if.is_some() {
        shaped.push("skipped when empty");
    }
    if !field.validate.is_empty() || !field.validate_fns.is_empty() {
        shaped.push("validated");
    }
    if field.example_fn.is_some() || field.schema_skip || !field.schema_args.is_empty() {
        shaped.push("schema-annotated");
    }
    match shaped.as_slice() {
        [] => format!("field `{}`", field.name),
        _ => format!("field `{}` ({})", field.name, shaped.join(", ")),
    }
}

/// How many of a change's new or gone names are listed: both versions are shown, so the list
/// only points the eye, and a rewrite's fifty names would cost more than they say.
const CHANGED_NAMES: usize = 8;

/// The first `max` names in backticks, and how many more there are.
fn at_most(names: &[String], max: usize) -> String {
    match names.len().checked_sub(max) {
        Some(more) if more > 0 => format!("{} and {more} more", ticked(&names[..max])),
        _ => ticked(names),
    }
}

fn ticked(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` in a fence longer than any run of backticks inside it, so a doc comment's own fence
/// cannot close it.
pub(super) fn fenced(lang: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}", text.trim_end())
}

/// A text's sentences: split after `.`, `!` or `?` and a space, outside backticks and quotes.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut code, mut quote) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => code = !code,
            '"' if !code => quote = !quote,
            _ => {}
        }
        let ends = matches!(c, '.' | '!' | '?') && !code && !quote;
        if c.is_whitespace() && current.trim().is_empty() {
            continue;
        }
        current.push(if c == '\n' { ' ' } else { c });
        if ends && chars.peek().is_none_or(|n| n.is_whitespace()) {
            out.push(current.trim().to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_outside_code_and_quotes() {
        let text = "First `a.b()` runs. It says \"Stop. Now.\" then ends!\n\nNext one? Last";
        assert_eq!(
            sentences(text),
            [
                "First `a.b()` runs.",
                "It says \"Stop. Now.\" then ends!",
                "Next one?",
                "Last"
            ]
        );
    }

    #[test]
    fn facts_are_said_in_a_few_words() {
        use crate::extract::facts::Binding;
        let binding = |name: &str| Binding {
            name: name.into(),
            by_ref: false,
            text: name.into(),
        };
        let field = FieldFact {
            name: "uid".into(),
            ty: "Option<WidgetUid>".into(),
            doc: None,
            rename: Some("widgetId".into()),
            aliases: Vec::new(),
            default_fn: None,
            default: false,
            flatten: false,
            skip_serializing_if: Some("Option::is_none".into()),
            validate: vec!["nested".into()],
            validate_fns: Vec::new(),
            example_fn: None,
            schema_skip: false,
            schema_args: Vec::new(),
        };
        let facts = [
            Fact::State {
                wrapper: "State".into(),
                state_ty: Some("AppState".into()),
                bindings: vec![binding("db"), binding("queue_tx")],
                rest: true,
            },
            Fact::ScopedLookup {
                entity: Some("application".into()),
                method: "fetch_one".into(),
                scope: Some("org_id".into()),
            },
            Fact::ActiveModel {
                ty: "widget::ActiveModel".into(),
                set_fields: vec!["org_id".into()],
                base: Some("data".into()),
            },
            Fact::QueueSend {
                queue: "queue_tx".into(),
                task: None,
                guard: Some("!endpoints.is_empty()".into()),
                in_loop: true,
            },
            Fact::ValidatorFn {
                name: "validate_size".into(),
                arg_ty: "WidgetSet".into(),
                messages: vec!["Too many".into()],
                condition: Some("len > 5".into()),
            },
            Fact::Newtype {
                item: "RawBody".into(),
                inner: "Box<RawValue>".into(),
                raw_json: true,
            },
            Fact::Field(field),
            Fact::InherentImpl {
                self_ty: "Widget".into(),
                methods: Vec::new(),
            },
            Fact::Signature {
                item: "create_widget".into(),
                is_async: true,
                visibility: String::new(),
                params: Vec::new(),
                ref_params: Vec::new(),
                arg_types: Vec::new(),
            },
        ];
        let phrases: Vec<String> = facts.iter().filter_map(fact_phrase).collect();
        insta::assert_snapshot!(phrases.join("\n"), @r#"
            state `AppState` giving `db`, `queue_tx`
            looks up `application` with `fetch_one` within `org_id`
            builds `widget::ActiveModel` from `data` setting `org_id`
            sends to `queue_tx` when `!endpoints.is_empty()` in a loop
            validates a `WidgetSet`, failing when `len > 5`, message "Too many"
            wraps `Box<RawValue>` (raw JSON, kept unparsed)
            field `uid` (renamed, skipped when empty, validated)
            "#);
    }

    #[test]
    fn a_fence_outgrows_the_backticks_inside() {
        assert_eq!(fenced("rust", "fn a() {}\n"), "```rust\nfn a() {}\n```");
        assert_eq!(
            fenced("rust", "/// ```\n/// x\n/// ```\nfn a() {}"),
            "````rust\n/// ```\n/// x\n/// ```\nfn a() {}\n````"
        );
    }
}
