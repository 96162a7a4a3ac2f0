//! `syn::visit` visitors that read a unit's items into plain, serializable facts, in the order
//! the code states them. Every piece of text a fact carries is an identifier or an exact
//! single-line slice of the source, so the renderer can quote it in backticks safely.
//! No syn type leaves this module.

use quote::ToTokens as _;
use serde::Serialize;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Item};

use crate::extract::select::{Entry, Inventory, ItemRead, Kind};
use crate::extract::source::Located;
use std::collections::HashSet;
use std::ops::Range;

/// A state or extension binding: `ref db`, `queue_tx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub name: String,
    pub by_ref: bool,
    /// The verbatim pattern when it is more than the name (`ref db`).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractorRole {
    Body,
    Query,
    Path,
}

/// One field of a struct, with its attribute arguments as verbatim slices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldFact {
    pub name: String,
    pub ty: String,
    pub doc: Option<String>,
    pub rename: Option<String>,
    pub aliases: Vec<String>,
    pub default_fn: Option<String>,
    /// `#[serde(default)]` with no function: absent on input, the type's `Default` fills it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// `#[serde(flatten)]`: the field's own fields stand at this type's level in the JSON.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flatten: bool,
    pub skip_serializing_if: Option<String>,
    pub validate: Vec<String>,
    pub validate_fns: Vec<String>,
    pub example_fn: Option<String>,
    pub schema_skip: bool,
    /// Other schemars arguments as written (`length(min = 1, max = 5)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema_args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    /// The route that registers a root handler; only for requests, since the router is not part
    /// of any unit's code.
    Route {
        method: String,
        path_pieces: Vec<String>,
    },
    Doc {
        item: String,
        summary: String,
        lines: usize,
    },
    AideAnnotate {
        item: String,
        op_id: String,
        /// The attribute exactly as written.
        attr: String,
    },
    Instrument {
        item: String,
    },
    AllowLint {
        item: String,
        lint: String,
    },
    Signature {
        item: String,
        is_async: bool,
        visibility: String,
        params: Vec<String>,
        /// The plain parameters whose type is a reference (`db: &DatabaseConnection`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        ref_params: Vec<String>,
        /// Every parameter's type name (its last path segment), in order: where an extractor
        /// stands among the others.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        arg_types: Vec<String>,
    },
    State {
        wrapper: String,
        state_ty: Option<String>,
        bindings: Vec<Binding>,
        /// Whether the pattern ends in `..`, ignoring the other fields.
        rest: bool,
    },
    Extractor {
        role: ExtractorRole,
        wrapper: String,
        ty: String,
        binding: Option<String>,
        fields: Vec<String>,
    },
    Permission {
        ty: String,
        fields: Vec<String>,
    },
    Returns {
        ty: String,
        status: Option<String>,
        body: Option<String>,
    },
    /// A call to a function of this file; `whole_body` when the call is all the body does.
    Delegates {
        callee: String,
        whole_body: bool,
        /// The arguments as written, where each fits on one line.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
    },
    ValidateCall {
        receiver: String,
        /// String literals in the closure its errors are mapped with (`"path"`).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        locations: Vec<String>,
    },
    /// `let name = receiver.method(..);`: a value read from a local binding.
    ReadFrom {
        name: String,
        receiver: String,
        expr: String,
    },
    /// A `// FIXME`, `// TODO` or `// NOTE` comment directly above the item.
    NoteComment {
        marker: String,
        text: String,
    },
    /// The first plain `//` comment inside a function's body, its lines joined: what the
    /// author wrote to explain the code.
    BodyComment {
        text: String,
    },
    ScopedLookup {
        entity: Option<String>,
        method: String,
        scope: Option<String>,
    },
    CrateHelper {
        name: String,
    },
    CacheFetch {
        call: String,
        ttl: Option<String>,
    },
    Transaction {
        method: String,
        inserts: Vec<String>,
    },
    Commit,
    Conflict {
        via: String,
    },
    ActiveModel {
        ty: String,
        set_fields: Vec<String>,
        base: Option<String>,
    },
    SetFields {
        target: String,
        fields: Vec<String>,
    },
    Insert {
        receiver: String,
    },
    QueueSend {
        queue: String,
        task: Option<String>,
        guard: Option<String>,
        in_loop: bool,
    },
    ErrorCtor {
        path: String,
        /// The body is nothing but `Err(..)` of this error: every call fails with it.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        always: bool,
    },
    StatusConst {
        path: String,
    },
    LocalAssoc {
        path: String,
    },
    Tracing {
        mac: String,
    },
    Expect {
        message: String,
    },
    Derives {
        item: String,
        list: Vec<String>,
    },
    SerdeContainer {
        rename_all: String,
    },
    Field(FieldFact),
    Newtype {
        item: String,
        inner: String,
        raw_json: bool,
    },
    TraitImpl {
        trait_name: String,
        self_ty: String,
        methods: Vec<String>,
        assoc_types: Vec<String>,
    },
    MarkerImpl {
        trait_name: String,
        self_ty: String,
    },
    InherentImpl {
        self_ty: String,
        methods: Vec<String>,
    },
    ValidatorFn {
        name: String,
        arg_ty: String,
        messages: Vec<String>,
        condition: Option<String>,
    },
    /// A method of an impl block: its receiver, parameters, result and, when it is one short
    /// expression, its body.
    Method {
        name: String,
        receiver: Option<String>,
        params: Vec<String>,
        returns: Option<String>,
        body: Option<String>,
    },
    Branch {
        condition: String,
    },
    /// A method taken on its own, out of its impl block; `named` when its own code names the
    /// type (only then may a sentence name it).
    MethodOf {
        method: String,
        self_ty: String,
        named: bool,
    },
    /// An entry deleted from a cache: `cache.delete(&cache_key)`.
    CacheDelete {
        receiver: String,
        key: String,
    },
    /// An error the code answers with where it cannot go on: the value of an `if`'s branch or
    /// of its `else` (`if c { return Err(..) }`, `if c { Ok(()) } else { Err(..) }`), of a
    /// `match` arm, or of a lookup that finds nothing (`.ok_or_else(|| HttpError::not_found(..))`).
    Refuses {
        on: RefusedOn,
        /// The `if`'s condition or the arm's pattern, as written.
        condition: Option<String>,
        /// For a lookup, the entity it reads (`message::Entity`).
        subject: Option<String>,
        /// The error's constructor (`HttpError::bad_request`).
        error: String,
        /// A sentence the error carries, as written in a string literal.
        message: Option<String>,
    },
    /// A function whose result is `Self { .. }`: the fields it fills, which of them read its
    /// parameters, and those parameters. With a base (`Self { schemas: None, ..model.into() }`)
    /// the named fields are only the ones it sets; every other field comes from `base`, the
    /// base expression as written.
    BuildsSelf {
        fields: Vec<String>,
        /// The fields copied unchanged from a parameter's field of the same name.
        read: Vec<String>,
        from: Vec<String>,
        /// The parameters `read` copies from.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        copied_from: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        base: Option<String>,
    },
    /// A column set to a fixed value: `attempt.response = Set("EXPUNGED".to_string())`.
    SetsValue {
        target: String,
        field: String,
        value: String,
    },
    /// An existing row saved: `attempt.update(db).await`.
    Update {
        receiver: String,
    },
    /// A row deleted: `evtype.delete(db).await` (one argument, awaited on the spot).
    DeleteRow {
        receiver: String,
    },
    /// A call or a write that stands inside an `if` or `match` branch: it happens on some
    /// paths, not every time (`generate_secret` only when no key was sent). Only the kinds
    /// [`BodyVisitor::on_this_path`] names are wrapped.
    OnSomePaths {
        fact: Box<Fact>,
        /// When it happens, where one branch alone decides (the branch stands directly in the
        /// body, after no early return) and the condition fits on a line.
        #[serde(skip_serializing_if = "Option::is_none")]
        when: Option<PathCondition>,
    },
    /// A root that its router registers with plain axum routing (`.route(path,
    /// axum::routing::get(h))`) where the others go through aide: the operation is left out of
    /// the OpenAPI document. `via` is the method router as written.
    OutsideOpenApi {
        via: String,
    },
    /// A root whose registration hides it from the published API docs (aide's
    /// `op.hidden(true)`): no request may ask for it to be documented.
    HiddenFromDocs,
    /// A call of a local function passing an extractor the body builds itself
    /// (`ValidatedJson(AppPortalAccessIn { .. })`): the callee's extractor gets no request.
    BuildsExtractor {
        callee: String,
        wrapper: String,
        ty: String,
    },
    /// An extractor parameter bound whole (`state: State<AppState>`), not destructured.
    WholeExtractor {
        binding: String,
        wrapper: String,
    },
}

/// Where a [`Fact::Refuses`] error is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedOn {
    /// The `if`'s branch: when the condition holds.
    If,
    /// The `else` branch: when the condition does not hold.
    Else,
    /// A `match` arm, its pattern as the condition.
    Arm,
    /// A lookup that finds nothing.
    Missing,
}

/// The fact kinds only the template writer reads (its roles and their sentences), as one
/// pattern: a writer that shows facts to a model matches them with this and shows none of
/// them, so that adding one changes nothing it says.
macro_rules! read_by_templates_only {
    () => {
        $crate::extract::facts::Fact::CacheDelete { .. }
            | $crate::extract::facts::Fact::Refuses { .. }
            | $crate::extract::facts::Fact::BuildsSelf { .. }
            | $crate::extract::facts::Fact::SetsValue { .. }
            | $crate::extract::facts::Fact::Update { .. }
            | $crate::extract::facts::Fact::DeleteRow { .. }
            | $crate::extract::facts::Fact::OutsideOpenApi { .. }
            | $crate::extract::facts::Fact::HiddenFromDocs
            | $crate::extract::facts::Fact::BuildsExtractor { .. }
            | $crate::extract::facts::Fact::WholeExtractor { .. }
    };
}
pub(crate) use read_by_templates_only;

/// Names every variant of `Fact` once, as the match in [`Fact::kind`] (with no wildcard, so a
/// new variant does not compile until it is listed) and as [`Fact::KINDS`].
macro_rules! fact_kinds {
    ($($variant:ident => $name:literal),* $(,)?) => {
        impl Fact {
            /// Every fact kind, as [`Fact::kind`] names it (and as the JSON `kind` tag spells it).
            pub const KINDS: &'static [&'static str] = &[$($name),*];

            /// The fact's kind: the key of its row in the renderer's section table.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Fact::$variant { .. } => $name,)*
                }
            }
        }
    };
}

fact_kinds! {
    Route => "route",
    Doc => "doc",
    AideAnnotate => "aide_annotate",
    Instrument => "instrument",
    AllowLint => "allow_lint",
    Signature => "signature",
    State => "state",
    Extractor => "extractor",
    Permission => "permission",
    Returns => "returns",
    Delegates => "delegates",
    ValidateCall => "validate_call",
    ScopedLookup => "scoped_lookup",
    CrateHelper => "crate_helper",
    CacheFetch => "cache_fetch",
    Transaction => "transaction",
    Commit => "commit",
    Conflict => "conflict",
    ActiveModel => "active_model",
    SetFields => "set_fields",
    Insert => "insert",
    QueueSend => "queue_send",
    ErrorCtor => "error_ctor",
    StatusConst => "status_const",
    LocalAssoc => "local_assoc",
    Tracing => "tracing",
    Expect => "expect",
    Derives => "derives",
    SerdeContainer => "serde_container",
    Field => "field",
    Newtype => "newtype",
    TraitImpl => "trait_impl",
    MarkerImpl => "marker_impl",
    InherentImpl => "inherent_impl",
    ValidatorFn => "validator_fn",
    Method => "method",
    Branch => "branch",
    MethodOf => "method_of",
    ReadFrom => "read_from",
    NoteComment => "note_comment",
    BodyComment => "body_comment",
    CacheDelete => "cache_delete",
    Refuses => "refuses",
    BuildsSelf => "builds_self",
    SetsValue => "sets_value",
    Update => "update",
    DeleteRow => "delete_row",
    OnSomePaths => "on_some_paths",
    OutsideOpenApi => "outside_openapi",
    HiddenFromDocs => "hidden_from_docs",
    BuildsExtractor => "builds_extractor",
    WholeExtractor => "whole_extractor",
}

/// The branch a [`Fact::OnSomePaths`] stands in, as the code writes its condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "branch", content = "condition", rename_all = "snake_case")]
pub enum PathCondition {
    /// The `then` block of `if cond`.
    If(String),
    /// The `else` block of `if cond`.
    Else(String),
    /// The arm of a `match` with this pattern (no guard).
    Arm(String),
}

impl Fact {
    /// The fact itself, whether it happens on every path or in some branches only
    /// ([`Fact::OnSomePaths`]): for readers to whom that makes no difference.
    pub fn on_any_path(&self) -> &Fact {
        match self {
            Fact::OnSomePaths { fact, .. } => fact,
            fact => fact,
        }
    }

    /// Every piece of text the renderer may put in backticks for this fact, as it would appear.
    /// A fact is kept only when all of them stand verbatim in its item's source: an escape, a
    /// line break inside a path or a CRLF inside a string literal makes parsed text differ from
    /// written text, and such a fact is dropped rather than quoted wrongly.
    pub fn quoted(&self) -> Vec<String> {
        fn spans(text: &str) -> Vec<String> {
            text.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        }
        let mut out: Vec<String> = Vec::new();
        let mut push = |s: &str| {
            if !s.is_empty() {
                out.push(s.to_owned());
            }
        };
        match self {
            Fact::Route { .. } | Fact::Commit => {}
            Fact::Doc { item, summary, .. } => {
                push(item);
                spans(summary).iter().for_each(|s| push(s));
            }
            Fact::AideAnnotate { item, op_id, attr } => {
                [item, op_id, attr].into_iter().for_each(|s| push(s))
            }
            Fact::Instrument { item } => push(item),
            Fact::AllowLint { item, lint } => [item, lint].into_iter().for_each(|s| push(s)),
            Fact::Signature { item, params, .. } => {
                push(item);
                params.iter().for_each(|s| push(s));
            }
            Fact::ReadFrom {
                name,
                receiver,
                expr,
            } => [name, receiver, expr].into_iter().for_each(|s| push(s)),
            Fact::NoteComment { marker, .. } => push(marker),
            Fact::BodyComment { .. } => {}
            Fact::State {
                state_ty, bindings, ..
            } => {
                state_ty.iter().for_each(|s| push(s));
                bindings.iter().for_each(|b| push(&b.text));
            }
            Fact::Extractor {
                wrapper,
                ty,
                binding,
                fields,
                ..
            } => {
                [wrapper, ty]
                    .into_iter()
                    .chain(binding)
                    .chain(fields)
                    .for_each(|s| push(s));
            }
            Fact::Permission { ty, fields } => {
                std::iter::once(ty).chain(fields).for_each(|s| push(s))
            }
            Fact::Returns { ty, status, body } => std::iter::once(ty)
                .chain(status)
                .chain(body)
                .for_each(|s| push(s)),
            Fact::Delegates { callee, .. } => push(callee),
            Fact::ValidateCall { receiver, .. } => push(receiver),
            Fact::ScopedLookup {
                entity,
                method,
                scope,
            } => entity
                .iter()
                .chain(scope)
                .chain([method])
                .for_each(|s| push(s)),
            Fact::CrateHelper { name } => push(name),
            Fact::CacheFetch { call, ttl } => {
                std::iter::once(call).chain(ttl).for_each(|s| push(s))
            }
            Fact::Transaction { method, inserts } => {
                std::iter::once(method).chain(inserts).for_each(|s| push(s))
            }
            Fact::Conflict { via } => push(via),
            Fact::ActiveModel {
                ty,
                set_fields,
                base,
            } => std::iter::once(ty)
                .chain(set_fields)
                .chain(base)
                .for_each(|s| push(s)),
            Fact::SetFields { target, fields } => {
                std::iter::once(target).chain(fields).for_each(|s| push(s))
            }
            Fact::Insert { receiver } => push(receiver),
            Fact::QueueSend {
                queue, task, guard, ..
            } => std::iter::once(queue)
                .chain(task)
                .chain(guard)
                .for_each(|s| push(s)),
            Fact::ErrorCtor { path, .. }
            | Fact::StatusConst { path }
            | Fact::LocalAssoc { path } => push(path),
            Fact::Tracing { mac } => push(mac),
            Fact::Expect { message } => push(&format!("expect(\"{message}\")")),
            Fact::Derives { item, list } => std::iter::once(item).chain(list).for_each(|s| push(s)),
            Fact::SerdeContainer { rename_all } => {
                push(rename_all);
                push(&format!("rename_all = \"{rename_all}\""));
            }
            Fact::Field(field) => {
                [&field.name, &field.ty]
                    .into_iter()
                    .chain(&field.rename)
                    .chain(&field.aliases)
                    .chain(&field.default_fn)
                    .chain(&field.skip_serializing_if)
                    .chain(&field.validate)
                    .chain(&field.example_fn)
                    .for_each(|s| push(s));
                field
                    .doc
                    .iter()
                    .flat_map(|d| spans(d))
                    .for_each(|s| push(&s));
            }
            Fact::Newtype { item, inner, .. } => [item, inner].into_iter().for_each(|s| push(s)),
            Fact::TraitImpl {
                trait_name,
                self_ty,
                methods,
                assoc_types,
            } => {
                [trait_name, self_ty]
                    .into_iter()
                    .chain(methods)
                    .chain(assoc_types)
                    .for_each(|s| push(s));
            }
            Fact::MarkerImpl {
                trait_name,
                self_ty,
            } => {
                push(trait_name);
                push(self_ty);
                push(&format!("impl {trait_name} for {self_ty}"));
            }
            Fact::InherentImpl { self_ty, methods } => {
                push(self_ty);
                push(&format!("impl {self_ty}"));
                methods.iter().for_each(|s| push(s));
            }
            Fact::ValidatorFn {
                name,
                arg_ty,
                messages,
                condition,
            } => {
                [name, arg_ty]
                    .into_iter()
                    .chain(condition)
                    .for_each(|s| push(s));
                messages
                    .iter()
                    .flat_map(|m| spans(m))
                    .for_each(|s| push(&s));
            }
            Fact::Method {
                name,
                receiver,
                params,
                returns,
                body,
            } => {
                std::iter::once(name)
                    .chain(receiver)
                    .chain(params)
                    .chain(returns)
                    .chain(body)
                    .for_each(|s| push(s));
            }
            Fact::Branch { condition } => push(condition),
            Fact::MethodOf {
                method,
                self_ty,
                named,
            } => {
                push(method);
                if *named {
                    push(self_ty);
                }
            }
            Fact::CacheDelete { receiver, key } => {
                [receiver, key].into_iter().for_each(|s| push(s))
            }
            Fact::Refuses {
                condition,
                subject,
                error,
                ..
            } => condition
                .iter()
                .chain(subject)
                .chain([error])
                .for_each(|s| push(s)),
            Fact::BuildsSelf {
                fields, from, base, ..
            } => fields.iter().chain(from).chain(base).for_each(|s| push(s)),
            Fact::SetsValue {
                target,
                field,
                value,
            } => [target, field, value].into_iter().for_each(|s| push(s)),
            Fact::Update { receiver } | Fact::DeleteRow { receiver } => push(receiver),
            Fact::OnSomePaths { fact, .. } => fact.quoted().iter().for_each(|s| push(s)),
            // The router is not part of any unit's code: only requests quote it.
            Fact::OutsideOpenApi { .. } | Fact::HiddenFromDocs => {}
            Fact::BuildsExtractor {
                callee,
                wrapper,
                ty,
            } => [callee, wrapper, ty].into_iter().for_each(|s| push(s)),
            Fact::WholeExtractor { binding, wrapper } => {
                [binding, wrapper].into_iter().for_each(|s| push(s))
            }
        }
        out
    }
}

/// Names the file defines at top level, so that calls can be told local from foreign.
#[derive(Debug, Default, Clone)]
pub struct LocalNames {
    pub fns: std::collections::HashSet<String>,
    pub types: std::collections::HashSet<String>,
    /// The methods the file's impl blocks define, as `Type::method`; None when not known, and
    /// then any associated function of a local type counts as the file's own.
    pub methods: Option<std::collections::HashSet<String>>,
}

/// [`LocalNames`] as a key: every set sorted. Two files with equal keys read the same item
/// into the same facts, as far as names go ([`LocalNames::key`] takes every field).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalNamesKey {
    fns: Vec<String>,
    types: Vec<String>,
    methods: Option<Vec<String>>,
}

impl LocalNames {
    /// The names the inventory's file defines.
    pub fn of_inventory(inventory: &Inventory) -> LocalNames {
        LocalNames::of(&inventory.entries, &inventory.impl_fns)
    }

    /// [`LocalNames::of_inventory`] of the inventory `reads` make, without making it.
    pub fn of_reads(reads: &[ItemRead]) -> LocalNames {
        LocalNames::of(
            reads.iter().flat_map(ItemRead::entries),
            reads.iter().flat_map(ItemRead::impl_fns),
        )
    }

    fn of<'a>(
        entries: impl IntoIterator<Item = &'a Entry>,
        impl_fns: impl IntoIterator<Item = &'a String>,
    ) -> LocalNames {
        let mut names = LocalNames::default();
        for e in entries {
            match e.kind {
                Kind::Fn => {
                    names.fns.insert(e.name.clone());
                }
                Kind::Struct | Kind::Enum | Kind::Type | Kind::Trait => {
                    names.types.insert(e.name.clone());
                }
                _ => {}
            }
        }
        names.methods = Some(impl_fns.into_iter().cloned().collect());
        names
    }

    /// What an item's facts depend on in these names, as a key a cache of facts can hold: the
    /// names that `item` (its text) mentions. Facts only ask of names the item's own paths
    /// spell (`is_fn`, `is_type`, `defines_method` of `Type::method`), so two files whose
    /// names differ only in names the item never mentions read it into the same facts, and
    /// a version that adds a function elsewhere in the file reads its other items from the
    /// cache.
    pub fn key_for(&self, item: &str) -> LocalNamesKey {
        // Destructured whole: a field added to `LocalNames` does not compile until it is here,
        // so a cache keyed by this cannot forget it.
        let LocalNames {
            fns,
            types,
            methods,
        } = self;
        let mentioned = |set: &std::collections::HashSet<String>| {
            let mut names: Vec<String> = set
                .iter()
                .filter(|name| {
                    name.split("::")
                        .all(|part| crate::extract::text::has_word(item, part))
                })
                .cloned()
                .collect();
            names.sort_unstable();
            names
        };
        LocalNamesKey {
            fns: mentioned(fns),
            types: mentioned(types),
            methods: methods.as_ref().map(mentioned),
        }
    }

    fn is_fn(&self, name: &str) -> bool {
        self.fns.contains(name)
    }
    fn is_type(&self, name: &str) -> bool {
        self.types.contains(name)
    }
    /// Whether `Type::method` is defined in this file: a trait's default method
    /// (`ApplicationOut::list_response` of a derived `ModelOut`) is not, though its type is.
    fn defines_method(&self, path: &str) -> bool {
        self.methods.as_ref().is_none_or(|m| m.contains(path))
    }
}

/// Exact source text of a node, when it fits on one line: only such text is ever quoted.
fn one_line(source: &Located, node: &impl Spanned) -> Option<String> {
    let text = source.slice(source.node_range(node));
    (!text.contains('\n') && !text.is_empty() && text.len() <= 100).then(|| text.to_owned())
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn last_segment(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Whether text can be quoted in prose as `"…"`: a `"` inside would end the quotation early,
/// and an odd number of backticks would open a code span that never closes.
fn quotable(text: &str) -> bool {
    !text.contains('"') && text.matches('`').count().is_multiple_of(2)
}

/// The longest a doc's first paragraph may be to be quoted whole; a longer one is quoted up to
/// the end of its first sentence.
const DOC_SUMMARY_CHARS: usize = 300;

/// A doc comment's first paragraph, its lines joined: a sentence wrapped over two lines is
/// quoted whole, not cut at the line's end. None when it cannot be quoted as written.
fn doc_summary(lines: &[String]) -> Option<String> {
    let paragraph: Vec<&str> = lines
        .iter()
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .map(String::as_str)
        .collect();
    let joined = paragraph.join(" ");
    let summary = if joined.chars().count() > DOC_SUMMARY_CHARS {
        match joined.find(". ") {
            Some(end) => joined[..=end].to_owned(),
            None => paragraph.first()?.to_string(),
        }
    } else {
        joined
    };
    (!summary.is_empty() && quotable(&summary)).then_some(summary)
}

fn doc_fact(item: &str, attrs: &[syn::Attribute]) -> Option<Fact> {
    let lines = doc_lines(attrs);
    let summary = doc_summary(&lines)?;
    Some(Fact::Doc {
        item: item.to_owned(),
        summary,
        lines: lines.len(),
    })
}

/// A doc comment may name code in plain words (`'current_key / old_keys'`), and a reasoning
/// that quotes it would then carry names outside backticks. Each name the item's own code uses
/// (an identifier of its tokens, not of its docs) is put in backticks; a doc text that names
/// anything else is not quoted at all: the doc fact is dropped, a field keeps no doc.
fn backtick_doc_names(item: &Item, facts: &mut Vec<Fact>) {
    // Read off the tokens only for a doc that names something: most name nothing.
    let mut idents: Option<std::collections::BTreeSet<String>> = None;
    let mut grounded = |name: &str| {
        idents
            .get_or_insert_with(|| {
                let mut found = std::collections::BTreeSet::new();
                crate::extract::select::identifiers(item, &mut found);
                found
            })
            .contains(name)
    };
    facts.retain_mut(|fact| match fact {
        Fact::Doc { summary, .. } => match names_backticked(summary, &mut grounded) {
            Some(text) => {
                *summary = text;
                true
            }
            None => false,
        },
        Fact::Field(field) => {
            if let Some(doc) = &field.doc {
                field.doc = names_backticked(doc, &mut grounded);
            }
            true
        }
        _ => true,
    });
}

/// `text` with each code name outside its code spans put in backticks, or None when one of
/// them is not `grounded`. The text has whole code spans only ([`quotable`]).
fn names_backticked(text: &str, grounded: &mut impl FnMut(&str) -> bool) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for (i, segment) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(segment);
            continue;
        }
        let mut done = 0;
        for name in crate::extract::text::code_names(segment) {
            if !grounded(&segment[name.clone()]) {
                return None;
            }
            out.push_str(&segment[done..name.start]);
            out.push('`');
            out.push_str(&segment[name.clone()]);
            out.push('`');
            done = name.end;
        }
        out.push_str(&segment[done..]);
    }
    Some(out)
}

/// `#[name(a = "x", b(..), c)]` as (key, string value, verbatim text) triples.
fn attr_args(source: &Located, attr: &syn::Attribute) -> Vec<(String, Option<String>, String)> {
    let syn::Meta::List(list) = &attr.meta else {
        return Vec::new();
    };
    let parser = syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated;
    let Ok(metas) = syn::parse::Parser::parse2(parser, list.tokens.clone()) else {
        return Vec::new();
    };
    metas
        .iter()
        .map(|meta| {
            let key = path_text(meta.path());
            let value = match meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    Expr::Path(p) => Some(path_text(&p.path)),
                    _ => None,
                },
                syn::Meta::List(inner) => {
                    // `custom(function = "f")`: the function named inside.
                    let inner_args = syn::parse::Parser::parse2(parser, inner.tokens.clone());
                    inner_args.ok().and_then(|args| {
                        args.iter().find_map(|m| match m {
                            syn::Meta::NameValue(nv) if nv.path.is_ident("function") => {
                                match &nv.value {
                                    Expr::Lit(syn::ExprLit {
                                        lit: syn::Lit::Str(s),
                                        ..
                                    }) => Some(s.value()),
                                    Expr::Path(p) => Some(path_text(&p.path)),
                                    _ => None,
                                }
                            }
                            _ => None,
                        })
                    })
                }
                syn::Meta::Path(_) => None,
            };
            let text = one_line(source, meta).unwrap_or_else(|| key.clone());
            (key, value, text)
        })
        .collect()
}

fn field_fact(source: &Located, field: &syn::Field, name: &syn::Ident) -> FieldFact {
    let mut fact = FieldFact {
        name: name.to_string(),
        ty: one_line(source, &field.ty).unwrap_or_default(),
        doc: doc_summary(&doc_lines(&field.attrs)),
        rename: None,
        aliases: Vec::new(),
        default_fn: None,
        default: false,
        flatten: false,
        skip_serializing_if: None,
        validate: Vec::new(),
        validate_fns: Vec::new(),
        example_fn: None,
        schema_skip: false,
        schema_args: Vec::new(),
    };
    for attr in &field.attrs {
        let ns = last_segment(attr.path());
        for (key, value, text) in attr_args(source, attr) {
            match (ns.as_str(), key.as_str()) {
                ("serde", "rename") => fact.rename = value,
                ("serde", "alias") => fact.aliases.extend(value),
                ("serde", "default") => {
                    fact.default = value.is_none();
                    fact.default_fn = value;
                }
                ("serde", "flatten") => fact.flatten = true,
                ("serde", "skip_serializing_if") => fact.skip_serializing_if = value,
                ("validate", _) => {
                    if key == "custom" {
                        fact.validate_fns.extend(value);
                    }
                    fact.validate.push(text);
                }
                ("schemars", "example") => fact.example_fn = value,
                ("schemars", "skip") => fact.schema_skip = true,
                ("schemars", _) => fact.schema_args.push(text),
                _ => {}
            }
        }
        // `#[validate]` alone (validator < 0.16) means nested validation.
        if ns == "validate" && matches!(attr.meta, syn::Meta::Path(_)) {
            fact.validate.push("#[validate]".to_owned());
        }
    }
    fact
}

fn struct_facts(source: &Located, s: &syn::ItemStruct, out: &mut Vec<Fact>) {
    let name = s.ident.to_string();
    out.extend(doc_fact(&name, &s.attrs));
    let mut derives = Vec::new();
    for attr in &s.attrs {
        if attr.path().is_ident("derive") {
            derives.extend(attr_args(source, attr).into_iter().map(|(k, _, _)| k));
        } else if attr.path().is_ident("serde") {
            for (key, value, _) in attr_args(source, attr) {
                if let ("rename_all", Some(v)) = (key.as_str(), value) {
                    out.push(Fact::SerdeContainer { rename_all: v });
                }
            }
        }
    }
    if !derives.is_empty() {
        // After the doc comment, before the container attributes: the order of the source.
        let at = usize::from(matches!(out.first(), Some(Fact::Doc { .. })));
        out.insert(
            at,
            Fact::Derives {
                item: name.clone(),
                list: derives,
            },
        );
    }
    match &s.fields {
        syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
            let inner = one_line(source, &fields.unnamed[0].ty).unwrap_or_default();
            let raw_json = inner.contains("RawValue");
            out.push(Fact::Newtype {
                item: name,
                inner,
                raw_json,
            });
        }
        // A tuple struct of several fields yields no field facts: its fields have no names,
        // and an index (`0`, `1`) is nowhere in the source to be quoted.
        syn::Fields::Unnamed(_) | syn::Fields::Unit => {}
        syn::Fields::Named(fields) => {
            for field in &fields.named {
                if let Some(name) = &field.ident {
                    out.push(Fact::Field(field_fact(source, field, name)));
                }
            }
        }
    }
}

fn impl_facts(source: &Located, imp: &syn::ItemImpl, names: &LocalNames, out: &mut Vec<Fact>) {
    let self_ty = crate::extract::parse::type_name(&imp.self_ty).unwrap_or_default();
    let self_name = self_ty.clone();
    let methods: Vec<String> = imp
        .items
        .iter()
        .filter_map(|i| match i {
            syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    match &imp.trait_ {
        Some((path, _)) if imp.items.is_empty() => out.push(Fact::MarkerImpl {
            trait_name: one_line(source, path).unwrap_or_else(|| last_segment(path)),
            self_ty,
        }),
        Some((path, _)) => {
            let assoc_types = imp
                .items
                .iter()
                .filter_map(|i| match i {
                    syn::ImplItem::Type(t) => one_line(source, t),
                    _ => None,
                })
                .collect();
            out.push(Fact::TraitImpl {
                trait_name: one_line(source, path).unwrap_or_else(|| last_segment(path)),
                self_ty,
                methods,
                assoc_types,
            });
        }
        None => out.push(Fact::InherentImpl { self_ty, methods }),
    }
    for item in &imp.items {
        if let syn::ImplItem::Fn(f) = item {
            out.extend(doc_fact(&f.sig.ident.to_string(), &f.attrs));
            let method = method_fact(source, f);
            // A body of one short expression is quoted whole by the method's entry.
            let quoted_whole = matches!(&method, Fact::Method { body: Some(_), .. });
            out.push(method);
            out.extend(branch_facts(source, &f.block));
            body_facts(source, &f.block, names, out);
            // Constructors that fill the same fields (`new_ok`, `new_error`) are one sentence.
            let built = builds_self(source, &f.sig, &f.block, Some(&self_name));
            if let Some(fact) = built.filter(|fact| !quoted_whole && !out.contains(fact)) {
                out.push(fact);
            }
        }
    }
}

fn method_fact(source: &Located, f: &syn::ImplItemFn) -> Fact {
    let mut receiver = None;
    let mut params = Vec::new();
    for input in &f.sig.inputs {
        match input {
            syn::FnArg::Receiver(r) => receiver = one_line(source, r),
            syn::FnArg::Typed(t) => {
                if let syn::Pat::Ident(id) = &*t.pat {
                    params.push(id.ident.to_string());
                }
            }
        }
    }
    let returns = match &f.sig.output {
        syn::ReturnType::Type(_, ty) => one_line(source, &**ty),
        syn::ReturnType::Default => None,
    };
    // A body that is one short expression says more quoted than described.
    let body = match f.block.stmts.as_slice() {
        [syn::Stmt::Expr(e, None)] => one_line(source, e).filter(|t| t.len() <= 60),
        _ => None,
    };
    Fact::Method {
        name: f.sig.ident.to_string(),
        receiver,
        params,
        returns,
        body,
    }
}

/// The conditions of the `if`s at the top level of a body (also `let x = if ..`), which carry
/// most of what a short method decides.
fn branch_facts(source: &Located, block: &syn::Block) -> Vec<Fact> {
    block
        .stmts
        .iter()
        .filter_map(|stmt| {
            let expr = match stmt {
                syn::Stmt::Expr(e, _) => e,
                syn::Stmt::Local(l) => &l.init.as_ref()?.expr,
                _ => return None,
            };
            match expr {
                Expr::If(i) => one_line(source, &*i.cond).filter(|t| t.len() <= 60),
                _ => None,
            }
        })
        .take(2)
        .map(|condition| Fact::Branch { condition })
        .collect()
}

fn fn_facts(source: &Located, f: &syn::ItemFn, names: &LocalNames, out: &mut Vec<Fact>) {
    let name = f.sig.ident.to_string();
    out.extend(doc_fact(&name, &f.attrs));
    for attr in &f.attrs {
        let path = attr.path();
        let last = last_segment(path);
        if last == "aide_annotate" {
            let op_id = attr_args(source, attr)
                .into_iter()
                .find(|(k, _, _)| k == "op_id")
                .and_then(|(_, v, _)| v)
                .unwrap_or_default();
            out.push(Fact::AideAnnotate {
                item: name.clone(),
                op_id,
                attr: one_line(source, attr).unwrap_or_else(|| "aide_annotate".to_owned()),
            });
        } else if last == "instrument" {
            out.push(Fact::Instrument { item: name.clone() });
        } else if path.is_ident("allow") {
            for (lint, _, text) in attr_args(source, attr) {
                let _ = lint;
                out.push(Fact::AllowLint {
                    item: name.clone(),
                    lint: text,
                });
            }
        }
    }
    if let Some(validator) = validator_fn(source, f) {
        out.push(validator);
        return;
    }
    let mut params = Vec::new();
    let mut ref_params = Vec::new();
    let mut arg_types = Vec::new();
    let mut states: Vec<Fact> = Vec::new();
    let mut extractors = Vec::new();
    let mut whole = Vec::new();
    for input in &f.sig.inputs {
        let syn::FnArg::Typed(arg) = input else {
            continue;
        };
        let ty_name = crate::extract::parse::type_name(&arg.ty).unwrap_or_default();
        arg_types.push(ty_name.clone());
        let fact = param_fact(source, &arg.pat, &arg.ty, &ty_name);
        if fact.is_some()
            && let syn::Pat::Ident(id) = &*arg.pat
        {
            whole.push(Fact::WholeExtractor {
                binding: id.ident.to_string(),
                wrapper: ty_name.clone(),
            });
        }
        match fact {
            Some(state @ Fact::State { .. }) => merge_state(&mut states, state),
            Some(fact) => extractors.push(fact),
            None => {
                if let syn::Pat::Ident(id) = &*arg.pat {
                    params.push(id.ident.to_string());
                    if matches!(&*arg.ty, syn::Type::Reference(_)) {
                        ref_params.push(id.ident.to_string());
                    }
                }
            }
        }
    }
    out.push(Fact::Signature {
        item: name.clone(),
        is_async: f.sig.asyncness.is_some(),
        visibility: one_line(source, &f.vis).unwrap_or_default(),
        params,
        ref_params,
        arg_types,
    });
    out.extend(states);
    out.extend(extractors);
    out.extend(whole);
    if let syn::ReturnType::Type(_, ty) = &f.sig.output {
        out.push(returns_fact(source, ty));
    }
    body_facts(source, &f.block, names, out);
    out.extend(builds_self(source, &f.sig, &f.block, None));
}

/// A body whose value is `Self { .. }` (or the impl's own type by name, `self_ty`), possibly in
/// `Ok(..)`: the fields it fills and the parameters their values read.
fn builds_self(
    source: &Located,
    sig: &syn::Signature,
    block: &syn::Block,
    self_ty: Option<&str>,
) -> Option<Fact> {
    let syn::Stmt::Expr(last, None) = block.stmts.last()? else {
        return None;
    };
    let mut value = last;
    while let Expr::Call(call) = value
        && matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Ok"))
        && call.args.len() == 1
    {
        value = &call.args[0];
    }
    let Expr::Struct(built) = value else {
        return None;
    };
    let name = built.path.get_ident()?.to_string();
    if name != "Self" && Some(name.as_str()) != self_ty {
        return None;
    }
    let fields: Vec<String> = built
        .fields
        .iter()
        .filter_map(|f| match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        })
        .collect();
    // `fn from((app, metadata): (Model, Meta))`: each name the parameters bind.
    #[derive(Default)]
    struct Bound(Vec<String>);
    impl<'ast> Visit<'ast> for Bound {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
        }
    }
    let mut bound = Bound::default();
    for input in &sig.inputs {
        if let syn::FnArg::Typed(t) = input {
            bound.visit_pat(&t.pat);
        }
    }
    let params = bound.0;
    /// The local names an expression reads (`model` of `model.uid`, not `uid`).
    #[derive(Default)]
    struct Reads(HashSet<String>);
    impl<'ast> Visit<'ast> for Reads {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(ident) = p.path.get_ident() {
                self.0.insert(ident.to_string());
            }
        }
    }
    // A field is read from a parameter only when it copies the parameter's field of the same
    // name as it is (`url: model.url`): a converted (`model.created_at.into()`), renamed
    // (`endpoint_id: model.endp_id`), computed or wrapped (`typ: ErrorType::Http(h)`) value is
    // not, and is not said to be.
    let mut all = Reads::default();
    let mut read = Vec::new();
    let mut copied_from = Vec::new();
    for field in &built.fields {
        let mut reads = Reads::default();
        reads.visit_expr(&field.expr);
        if let syn::Member::Named(name) = &field.member
            && let Expr::Field(access) = copied(&field.expr)
            && let syn::Member::Named(accessed) = &access.member
            && accessed == name
            && let Expr::Path(base) = &*access.base
            && let Some(param) = base.path.get_ident()
            && params.iter().any(|p| param == p)
        {
            read.push(name.to_string());
            if !copied_from.contains(&param.to_string()) {
                copied_from.push(param.to_string());
            }
        }
        all.0.extend(reads.0);
    }
    // `..model.into()`: the rest comes from the base, which may read the parameters too.
    let base = match &built.rest {
        Some(rest) => {
            // A base that cannot be quoted on one line is still a base: no sentence then.
            let text = one_line(source, &**rest)?;
            all.visit_expr(rest);
            Some(text)
        }
        None => None,
    };
    let from: Vec<String> = params.into_iter().filter(|p| all.0.contains(p)).collect();
    (!fields.is_empty()).then_some(Fact::BuildsSelf {
        fields,
        read,
        from,
        copied_from,
        base,
    })
}

/// The expression a copy is of: `note.id` of `note.id.clone()` or `note.id.to_owned()`, which
/// change nothing of the value; any other expression as it is.
fn copied(expr: &Expr) -> &Expr {
    match expr {
        Expr::MethodCall(call)
            if call.args.is_empty() && (call.method == "clone" || call.method == "to_owned") =>
        {
            &call.receiver
        }
        other => other,
    }
}

/// Adds a `State` or `Extension` parameter to the handler's state facts, so that a binding is
/// only ever listed with the wrapper (and state type) it really came out of. `Extension`s merge
/// into one fact, which names a type only while they all share it; a `State` merges only with a
/// `State` of the same type (axum extracts several through `FromRef`).
fn merge_state(states: &mut Vec<Fact>, fact: Fact) {
    let Fact::State {
        wrapper,
        state_ty,
        bindings,
        rest,
    } = fact
    else {
        return;
    };
    let same = states.iter_mut().find(|f| {
        matches!(f, Fact::State { wrapper: w, state_ty: t, .. }
            if *w == wrapper && (wrapper == "Extension" || *t == state_ty))
    });
    match same {
        Some(Fact::State {
            state_ty: ty,
            bindings: all,
            rest: any_rest,
            ..
        }) => {
            if *ty != state_ty {
                *ty = None;
            }
            all.extend(bindings);
            *any_rest |= rest;
        }
        _ => states.push(Fact::State {
            wrapper,
            state_ty,
            bindings,
            rest,
        }),
    }
}

/// A validator function: takes one reference and returns a `ValidationError` result.
fn validator_fn(source: &Located, f: &syn::ItemFn) -> Option<Fact> {
    let output = match &f.sig.output {
        syn::ReturnType::Type(_, ty) => one_line(source, &**ty)?,
        syn::ReturnType::Default => return None,
    };
    if !output.contains("ValidationError") || f.sig.inputs.len() != 1 {
        return None;
    }
    let syn::FnArg::Typed(arg) = f.sig.inputs.first()? else {
        return None;
    };
    let mut strings = StringCollector::default();
    strings.visit_block(&f.block);
    let condition = f.block.stmts.iter().find_map(|stmt| {
        let expr = match stmt {
            syn::Stmt::Expr(e, _) => e,
            syn::Stmt::Local(l) => &l.init.as_ref()?.expr,
            _ => return None,
        };
        match expr {
            Expr::If(i) => one_line(source, &*i.cond),
            _ => None,
        }
    });
    Some(Fact::ValidatorFn {
        name: f.sig.ident.to_string(),
        arg_ty: crate::extract::parse::type_name(&arg.ty).unwrap_or_default(),
        messages: strings.found,
        condition,
    })
}

#[derive(Default)]
struct StringCollector {
    found: Vec<String>,
}

impl<'ast> Visit<'ast> for StringCollector {
    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        let value = lit.value();
        if value.contains(' ') && quotable(&value) {
            self.found.push(value);
        }
    }
}

/// One-word string literals (`"path"`, `"app_id_or_uid"`), as an error's location names them.
#[derive(Default)]
struct WordLiterals(Vec<String>);

impl WordLiterals {
    fn take(&mut self, value: String) {
        if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.0.push(value);
        }
    }

    /// Macro arguments (`vec!["path".to_owned()]`) are tokens, not syntax: read their string
    /// literals from the tokens.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Literal(lit) => {
                    if let Ok(s) = syn::parse2::<syn::LitStr>(lit.into_token_stream()) {
                        self.take(s.value());
                    }
                }
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for WordLiterals {
    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        self.take(lit.value());
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
    }
}

fn pattern_bindings(source: &Located, pat: &syn::Pat) -> Vec<Binding> {
    let mut out = Vec::new();
    match pat {
        syn::Pat::Ident(id) => out.push(Binding {
            name: id.ident.to_string(),
            by_ref: id.by_ref.is_some(),
            text: one_line(source, id).unwrap_or_else(|| id.ident.to_string()),
        }),
        syn::Pat::Struct(s) => {
            for field in &s.fields {
                out.extend(pattern_bindings(source, &field.pat));
            }
        }
        syn::Pat::TupleStruct(t) => {
            for elem in &t.elems {
                out.extend(pattern_bindings(source, elem));
            }
        }
        syn::Pat::Tuple(t) => {
            for elem in &t.elems {
                out.extend(pattern_bindings(source, elem));
            }
        }
        syn::Pat::Reference(r) => out.extend(pattern_bindings(source, &r.pat)),
        syn::Pat::Type(t) => out.extend(pattern_bindings(source, &t.pat)),
        _ => {}
    }
    out
}

/// Whether a struct pattern inside `pat` ends in `..`.
fn has_rest(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Struct(s) => s.rest.is_some() || s.fields.iter().any(|f| has_rest(&f.pat)),
        syn::Pat::TupleStruct(t) => t.elems.iter().any(has_rest),
        syn::Pat::Tuple(t) => t.elems.iter().any(has_rest),
        syn::Pat::Reference(r) => has_rest(&r.pat),
        syn::Pat::Type(t) => has_rest(&t.pat),
        _ => false,
    }
}

fn inner_type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => crate::extract::parse::type_name(t),
        _ => None,
    })
}

fn param_fact(source: &Located, pat: &syn::Pat, ty: &syn::Type, ty_name: &str) -> Option<Fact> {
    let bindings = pattern_bindings(source, pat);
    let names: Vec<String> = bindings.iter().map(|b| b.name.clone()).collect();
    let ty_text = one_line(source, ty).unwrap_or_else(|| ty_name.to_owned());
    match ty_name {
        "State" | "Extension" => {
            let state_ty = inner_type_name(ty);
            Some(Fact::State {
                wrapper: ty_name.to_owned(),
                state_ty,
                bindings,
                rest: has_rest(pat),
            })
        }
        "ValidatedJson" | "Json" => Some(Fact::Extractor {
            role: ExtractorRole::Body,
            wrapper: ty_name.to_owned(),
            ty: inner_type_name(ty).unwrap_or_default(),
            binding: names.first().cloned(),
            fields: Vec::new(),
        }),
        "ValidatedQuery" | "Query" => Some(Fact::Extractor {
            role: ExtractorRole::Query,
            wrapper: ty_name.to_owned(),
            ty: inner_type_name(ty).unwrap_or_default(),
            binding: None,
            fields: names,
        }),
        // `_: Path<ApplicationPath>` reads nothing the body uses: no sentence says it does.
        "Path" if matches!(pat, syn::Pat::Wild(_)) => None,
        "Path" => {
            let inner = inner_type_name(ty).unwrap_or_else(|| ty_text.clone());
            // `Path<(ApplicationIdOrUid, MessageIdOrUid)>` over several lines has no one-line
            // text: "`Path` extracts `Path`" would say nothing, so nothing is said.
            (inner != ty_name).then(|| Fact::Extractor {
                role: ExtractorRole::Path,
                wrapper: ty_name.to_owned(),
                ty: inner,
                binding: None,
                fields: names,
            })
        }
        _ if ty_text.contains("permissions::") || ty_name.starts_with("Authenticated") => {
            Some(Fact::Permission {
                ty: ty_text,
                fields: names,
            })
        }
        _ => None,
    }
}

fn returns_fact(source: &Located, ty: &syn::Type) -> Fact {
    let text = one_line(source, ty)
        .unwrap_or_else(|| crate::extract::parse::type_name(ty).unwrap_or_default());
    let mut status = None;
    let mut body = None;
    // Look inside `Result<..>` for `JsonStatus<202, T>` or `(StatusCode, Json<T>)`.
    let mut finder = ReturnFinder::default();
    finder.visit_type(ty);
    if let Some((code, t)) = finder.json_status {
        status = Some(code);
        body = Some(t);
    } else if let Some(t) = finder.json {
        body = Some(t);
    }
    Fact::Returns {
        ty: text,
        status,
        body,
    }
}

#[derive(Default)]
struct ReturnFinder {
    json_status: Option<(String, String)>,
    json: Option<String>,
}

impl<'ast> Visit<'ast> for ReturnFinder {
    fn visit_path_segment(&mut self, seg: &'ast syn::PathSegment) {
        if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
            let mut code = None;
            let mut ty = None;
            for arg in &args.args {
                match arg {
                    syn::GenericArgument::Const(Expr::Lit(l)) => {
                        if let syn::Lit::Int(i) = &l.lit {
                            code = Some(i.base10_digits().to_owned());
                        }
                    }
                    syn::GenericArgument::Type(t) => {
                        if ty.is_none() {
                            ty = crate::extract::parse::type_name(t);
                        }
                        if let syn::Type::Path(p) = t
                            && p.qself.is_none()
                            && p.path.get_ident().is_some()
                            && let Ok(n) = p.path.segments[0].ident.to_string().parse::<u16>()
                        {
                            code = Some(n.to_string());
                        }
                    }
                    _ => {}
                }
            }
            if seg.ident == "JsonStatus" {
                if let (Some(c), Some(t)) = (code, ty) {
                    self.json_status = Some((c, t));
                }
            } else if seg.ident == "Json" && self.json.is_none() {
                self.json = ty;
            }
        }
        visit::visit_path_segment(self, seg);
    }
}

/// Walks a function body in source order, emitting facts as statements state them.
struct BodyVisitor<'s> {
    source: &'s Located<'s>,
    /// The text of the body visited.
    body: &'s str,
    names: &'s LocalNames,
    /// The functions the body defines inside itself (`fn apply_status_filter(..)` in a
    /// handler): calls of them are neither this file's functions nor the crate's.
    nested: Vec<String>,
    out: Vec<Fact>,
    /// Conditions of the `if`s we are inside the then-branch of.
    guards: Vec<String>,
    loops: usize,
    in_transaction: Option<usize>,
    /// The key of each fact emitted once, with its index in `out`.
    seen: Vec<(String, usize)>,
    /// The call the whole body is made of, when it is one (see [`whole_body_call`]).
    whole_call: Option<*const syn::ExprCall>,
    /// Whether an `if`'s condition is being read.
    in_condition: bool,
    /// How many `if` or `match` branches the code visited stands inside.
    branches: usize,
    /// The condition of each of those branches, outermost first, where it fits on a line.
    conditions: Vec<Option<PathCondition>>,
    /// Whether an earlier `if` at the top returned `Ok` early.
    returned_early: bool,
}

impl BodyVisitor<'_> {
    /// Emits a fact once per unit body: repeating "it builds errors with X" helps nobody.
    fn once(&mut self, key: String, fact: Fact) {
        let fact = self.on_this_path(fact);
        match self.seen.iter().find(|(k, _)| *k == key) {
            None => {
                self.seen.push((key, self.out.len()));
                self.out.push(fact);
            }
            // Met in a branch first, then where every path passes: it happens every time.
            Some(&(_, at)) if !matches!(fact, Fact::OnSomePaths { .. }) => {
                if matches!(self.out[at], Fact::OnSomePaths { .. }) {
                    self.out[at] = fact;
                }
            }
            // Met in two branches: no one condition is when it happens.
            Some(&(_, at)) => {
                if let (Fact::OnSomePaths { when: first, .. }, Fact::OnSomePaths { when, .. }) =
                    (&mut self.out[at], &fact)
                    && first != when
                {
                    *first = None;
                }
            }
        }
    }

    /// A call of a function of this file: the delegation, and any extractor built for it.
    fn local_call(&mut self, call: &syn::ExprCall, last: &str) {
        let last = last.to_owned();
        self.once(
            format!("call:{last}"),
            Fact::Delegates {
                callee: last.clone(),
                whole_body: self.whole_call.is_some_and(|c| std::ptr::eq(c, call)),
                args: call
                    .args
                    .iter()
                    .map_while(|a| one_line(self.source, a))
                    .collect(),
            },
        );
        for arg in &call.args {
            if let Some((wrapper, ty)) = built_extractor(arg) {
                self.once(
                    format!("built:{last}:{wrapper}:{ty}"),
                    Fact::BuildsExtractor {
                        callee: last.clone(),
                        wrapper,
                        ty,
                    },
                );
            }
        }
    }

    /// `messagecontent::Entity::delete_by_id(id)`: rows deleted through the entity, as a
    /// [`Fact::DeleteRow`] of the call's path. Whether the call was one.
    fn entity_delete(&mut self, segments: &[String], text: &str) -> bool {
        let [.., entity, last] = segments else {
            return false;
        };
        let deletes = entity == "Entity" && matches!(last.as_str(), "delete_by_id" | "delete_many");
        if deletes {
            self.once(
                format!("delete:{text}"),
                Fact::DeleteRow {
                    receiver: text.to_owned(),
                },
            );
        }
        deletes
    }

    /// `fact` as this place in the body has it: a call or a write inside an `if` or `match`
    /// branch is wrapped in [`Fact::OnSomePaths`], so that no sentence says it always happens.
    fn on_this_path(&self, fact: Fact) -> Fact {
        let branchy = matches!(
            fact,
            Fact::Delegates {
                whole_body: false,
                ..
            } | Fact::CrateHelper { .. }
                | Fact::ActiveModel { .. }
                | Fact::Insert { .. }
                | Fact::Update { .. }
                | Fact::DeleteRow { .. }
                | Fact::CacheDelete { .. }
                | Fact::SetsValue { .. }
        );
        if self.branches > 0 && branchy {
            let when = match self.conditions.as_slice() {
                [only] if !self.returned_early => only.clone(),
                _ => None,
            };
            Fact::OnSomePaths {
                fact: Box::new(fact),
                when,
            }
        } else {
            fact
        }
    }

    /// A [`Fact::Refuses`], once for each place and error.
    fn refuses(
        &mut self,
        on: RefusedOn,
        condition: Option<String>,
        subject: Option<String>,
        (error, message): (String, Option<String>),
    ) {
        let key = format!("refuses:{on:?}:{condition:?}:{subject:?}:{error}:{message:?}");
        self.once(
            key,
            Fact::Refuses {
                on,
                condition,
                subject,
                error,
                message,
            },
        );
    }
}

impl BodyVisitor<'_> {
    /// `cache.delete(&key)`: one argument, on a receiver whose name says it is a cache.
    fn cache_delete(&mut self, call: &syn::ExprMethodCall) {
        let Some(receiver) = receiver_name(&call.receiver) else {
            return;
        };
        if call.args.len() != 1 || !receiver.to_lowercase().contains("cache") {
            return;
        }
        if let Some(key) = one_line(self.source, &call.args[0]) {
            let key = key.trim_start_matches('&').to_owned();
            self.once(
                format!("cache_delete:{key}"),
                Fact::CacheDelete { receiver, key },
            );
        }
    }

    /// `.ok_or_else(|| HttpError::not_found(..))`: the error when what comes before yields
    /// nothing.
    fn missing(&mut self, call: &syn::ExprMethodCall) {
        let error = match &call.args[0] {
            Expr::Closure(c) => expr_error(&c.body),
            other => expr_error(other),
        };
        if let Some(error) = error {
            let subject = lookup_subject(&call.receiver);
            self.refuses(RefusedOn::Missing, None, subject, error);
        }
    }
}

/// The wrappers a body may put around the one call it makes and still be only that call.
const RESULT_WRAPPERS: [&str; 4] = ["Ok", "Some", "Json", "JsonStatus"];

/// The call a body is made of, when the body is one statement that does nothing but that call,
/// awaited, `?`-ed, converted or wrapped: `Ok(JsonStatus(inner(..).await?))`,
/// `handler(state, path).await`. A call inside a condition, a closure or an argument is not.
fn whole_body_call(block: &syn::Block) -> Option<&syn::ExprCall> {
    let [syn::Stmt::Expr(expr, _)] = block.stmts.as_slice() else {
        return None;
    };
    let mut e = expr;
    loop {
        e = match e {
            Expr::Try(t) => &t.expr,
            Expr::Await(a) => &a.base,
            Expr::Paren(p) => &p.expr,
            Expr::Group(g) => &g.expr,
            Expr::Return(r) => r.expr.as_deref()?,
            Expr::MethodCall(m)
                if (m.method == "into" && m.args.is_empty()) || m.method == "map_err" =>
            {
                &m.receiver
            }
            Expr::Call(c) => match &*c.func {
                Expr::Path(p)
                    if c.args.len() == 1
                        && p.path
                            .get_ident()
                            .is_some_and(|i| RESULT_WRAPPERS.iter().any(|w| i == w)) =>
                {
                    &c.args[0]
                }
                _ => return Some(c),
            },
            _ => return None,
        }
    }
}

/// The extractors a handler can be handed already built.
const EXTRACTOR_WRAPPERS: [&str; 5] = ["ValidatedJson", "Json", "ValidatedQuery", "Query", "Path"];

/// `ValidatedJson(AppPortalAccessIn { .. })` as an argument: the wrapper and the type built.
fn built_extractor(arg: &Expr) -> Option<(String, String)> {
    let Expr::Call(call) = arg else { return None };
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    let wrapper = p.path.get_ident()?.to_string();
    if !EXTRACTOR_WRAPPERS.contains(&wrapper.as_str()) || call.args.len() != 1 {
        return None;
    }
    let Expr::Struct(built) = &call.args[0] else {
        return None;
    };
    Some((wrapper, last_segment(&built.path)))
}

/// The error a block ends with, as [`expr_error`] reads its last statement (its value, or a
/// `return` ending it).
fn block_error(block: &syn::Block) -> Option<(String, Option<String>)> {
    match block.stmts.last()? {
        syn::Stmt::Expr(e, None) => expr_error(e),
        syn::Stmt::Expr(e @ Expr::Return(_), Some(_)) => expr_error(e),
        _ => None,
    }
}

/// The error constructor an expression comes down to (`return Err(HttpError::not_found(..)
/// .into())`, `HttpError::conflict(None, None).into()`, `Error::database(e)`) with the sentence
/// its arguments carry, if any.
fn expr_error(expr: &Expr) -> Option<(String, Option<String>)> {
    let mut e = expr;
    loop {
        e = match e {
            Expr::Return(r) => r.expr.as_deref()?,
            Expr::Paren(p) => &p.expr,
            Expr::Group(g) => &g.expr,
            Expr::Block(b) => match b.block.stmts.as_slice() {
                [syn::Stmt::Expr(inner, _)] => inner,
                _ => return block_error(&b.block),
            },
            Expr::MethodCall(m) if m.method == "into" && m.args.is_empty() => &m.receiver,
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return None };
                if p.path.is_ident("Err") && c.args.len() == 1 {
                    &c.args[0]
                } else {
                    let segments: Vec<String> = p
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect();
                    let n = segments.len();
                    if n < 2 || !is_error_type(&segments[n - 2]) {
                        return None;
                    }
                    let mut sentences = SentenceLiterals::default();
                    for arg in &c.args {
                        sentences.visit_expr(arg);
                    }
                    return Some((segments.join("::"), sentences.0));
                }
            }
            _ => return None,
        }
    }
}

/// The first string literal that reads as a sentence (three words or more, quotable as
/// written), in macros' arguments too: the message an error carries.
#[derive(Default)]
struct SentenceLiterals(Option<String>);

impl<'ast> Visit<'ast> for SentenceLiterals {
    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        let value = lit.value();
        let written = lit.token().to_string();
        if self.0.is_none()
            && value.split_whitespace().count() >= 3
            && !value.contains('{')
            && quotable(&value)
            && !value.contains('`')
            && written == format!("\"{value}\"")
        {
            self.0 = Some(value);
        }
    }

    /// Only a macro's template is its text: what follows are values put into it.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = syn::parse::Parser::parse2(parser, mac.tokens.clone())
            && let Some(first) = exprs.first()
        {
            self.visit_expr(first);
        }
    }

    /// A method's arguments are not the error's text: `.expect("we just checked")` is a panic
    /// message, not what a client is told. Only the receiver (`"text".to_owned()`) may be.
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.visit_expr(&call.receiver);
    }
}

/// What an `Option` that turns out empty comes from (see [`Fact::Refuses`]): the entity a
/// lookup chain starts from (`message::Entity` of
/// `message::Entity::secure_find_by_id_or_uid(..).one(db).await?`), the function a chain
/// starts with (`CreateMessageApp::layered_fetch`), or a local value (`example`).
fn lookup_subject(expr: &Expr) -> Option<String> {
    let mut e = expr;
    loop {
        e = match e {
            Expr::MethodCall(m) => &m.receiver,
            Expr::Try(t) => &t.expr,
            Expr::Await(a) => &a.base,
            Expr::Paren(p) => &p.expr,
            Expr::Path(p) => return p.path.get_ident().map(ToString::to_string),
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return None };
                let segments: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let n = segments.len();
                return if n >= 3 && segments[n - 2] == "Entity" {
                    Some(segments[..n - 1].join("::"))
                } else {
                    (n >= 2).then(|| segments.join("::"))
                };
            }
            _ => return None,
        }
    }
}

/// Whether an expression holds a literal at its head: `"EXPUNGED".to_string()`, `false`, `0`.
fn literal_headed(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) => true,
        Expr::MethodCall(m) => literal_headed(&m.receiver),
        Expr::Paren(p) => literal_headed(&p.expr),
        _ => false,
    }
}

/// Methods that only test or convert a value; a guard is named by the call they wrap.
const ADAPTER_METHODS: [&str; 10] = [
    "is_empty", "is_some", "is_none", "is_ok", "is_err", "as_ref", "clone", "to_owned", "unwrap",
    "len",
];

/// Method names in an expression, outermost first.
fn method_names(expr: &Expr) -> Vec<String> {
    #[derive(Default)]
    struct M(Vec<String>);
    impl<'ast> Visit<'ast> for M {
        fn visit_expr_method_call(&mut self, c: &'ast syn::ExprMethodCall) {
            self.0.push(c.method.to_string());
            visit::visit_expr_method_call(self, c);
        }
    }
    let mut m = M::default();
    m.visit_expr(expr);
    m.0
}

fn receiver_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => receiver_name(&f.base),
        },
        Expr::Reference(r) => receiver_name(&r.expr),
        Expr::Paren(p) => receiver_name(&p.expr),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "clone" | "to_owned") =>
        {
            receiver_name(&m.receiver)
        }
        _ => None,
    }
}

fn arg_mentions(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Path(p) => p.path.is_ident(name),
        Expr::Reference(r) => arg_mentions(&r.expr, name),
        Expr::MethodCall(m) => m.method == "clone" && arg_mentions(&m.receiver, name),
        _ => false,
    }
}

/// A level or span macro of tracing (the same names as log's): `error!` logs an error, it does
/// not build one.
fn is_logging_macro(name: &str) -> bool {
    matches!(
        name,
        "error" | "warn" | "info" | "debug" | "trace" | "event" | "span"
    ) || name.ends_with("_span")
}

/// `ActiveModel::new`, under any module path: the constructor that starts a new row.
fn is_active_model_new(path: &syn::Path) -> bool {
    let n = path.segments.len();
    n >= 2 && path.segments[n - 1].ident == "new" && path.segments[n - 2].ident == "ActiveModel"
}

fn is_error_type(name: &str) -> bool {
    name == "Error" || name.ends_with("Error")
}

impl<'ast> Visit<'ast> for BodyVisitor<'_> {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        // `let payload = data.payload();`: read before `data` may be moved further down.
        if let syn::Pat::Ident(name) = &local.pat
            && let Some(init) = &local.init
            && let Expr::MethodCall(call) = &*init.expr
            && let Some(receiver) = receiver_name(&call.receiver)
            && let Some(expr) = one_line(self.source, &*init.expr)
        {
            self.out.push(Fact::ReadFrom {
                name: name.ident.to_string(),
                receiver,
                expr,
            });
        }
        visit::visit_local(self, local);
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        if !matches!(&*e.cond, Expr::Let(_))
            && let Some(condition) = one_line(self.source, &*e.cond).filter(|c| c.len() <= 80)
        {
            let otherwise = match &e.else_branch {
                Some((_, other)) => match &**other {
                    Expr::Block(b) => block_error(&b.block),
                    _ => None,
                },
                None => None,
            };
            for (on, error) in [
                (RefusedOn::If, block_error(&e.then_branch)),
                (RefusedOn::Else, otherwise),
            ] {
                // Nested inside another branch, the condition alone is not when it refuses
                // (`if https_only { if scheme != "https" { .. } }`): the refusal is kept, its
                // condition is not stated.
                let condition =
                    (self.branches == 0 && !self.returned_early).then(|| condition.clone());
                if let Some(error) = error {
                    self.refuses(on, condition, None, error);
                }
            }
        }
        let outer = std::mem::replace(&mut self.in_condition, true);
        self.visit_expr(&e.cond);
        self.in_condition = outer;
        let methods = method_names(&e.cond);
        let guard = methods
            .iter()
            .find(|m| !ADAPTER_METHODS.contains(&m.as_str()))
            .cloned();
        // `if !https_only { return Ok(()); }`: what follows runs only when that did not
        // return, so no later condition is the whole of when it refuses.
        let returns_ok = e.then_branch.stmts.iter().any(|s| {
            matches!(s, syn::Stmt::Expr(Expr::Return(r), _)
                if r.expr.as_deref().is_some_and(|v| matches!(v,
                    Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Ok")))))
        });
        self.guards.push(guard.unwrap_or_default());
        self.branches += 1;
        // `if let` binds rather than tests: its branch gets no condition.
        let condition = (!matches!(&*e.cond, Expr::Let(_)))
            .then(|| one_line(self.source, &e.cond))
            .flatten()
            .filter(|c| c.len() <= 60);
        self.conditions
            .push(condition.clone().map(PathCondition::If));
        self.visit_block(&e.then_branch);
        self.conditions.pop();
        self.guards.pop();
        if let Some((_, other)) = &e.else_branch {
            // An `else if` chain's later branches hold only when the earlier ones did not.
            let otherwise = matches!(&**other, Expr::Block(_))
                .then_some(condition)
                .flatten();
            self.conditions.push(otherwise.map(PathCondition::Else));
            self.visit_expr(other);
            self.conditions.pop();
        }
        self.branches -= 1;
        if returns_ok && self.branches == 0 {
            self.returned_early = true;
        }
    }

    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        for arm in &e.arms {
            // A guarded arm's pattern alone is not its condition, nor is a nested one's.
            if !matches!(arm.pat, syn::Pat::Guard(_))
                && self.branches == 0
                && !self.returned_early
                && let Some(error) = expr_error(&arm.body)
                && let Some(pattern) = one_line(self.source, &arm.pat).filter(|p| p.len() <= 60)
            {
                self.refuses(RefusedOn::Arm, Some(pattern), None, error);
            }
        }
        self.visit_expr(&e.expr);
        self.branches += 1;
        for arm in &e.arms {
            let pattern = (!matches!(arm.pat, syn::Pat::Wild(_) | syn::Pat::Guard(_)))
                .then(|| one_line(self.source, &arm.pat))
                .flatten()
                .filter(|p| p.len() <= 60);
            self.conditions.push(pattern.map(PathCondition::Arm));
            self.visit_arm(arm);
            self.conditions.pop();
        }
        self.branches -= 1;
    }

    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.visit_expr(&e.expr);
        self.loops += 1;
        self.visit_block(&e.body);
        self.loops -= 1;
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*call.func {
            let segments: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let last = segments.last().cloned().unwrap_or_default();
            let text = one_line(self.source, &p.path).unwrap_or_else(|| segments.join("::"));
            if segments.len() == 1 && self.names.is_fn(&last) {
                self.local_call(call, &last);
            } else if call.args.iter().any(|a| arg_mentions(a, "cache"))
                && ["fetch", "cache", "get", "load"]
                    .iter()
                    .any(|verb| last.contains(verb))
            {
                // A read through the cache; a call that only passes the cache along
                // (`create_message_inner(db, queue_tx, cache, ..)`) is not one.
                let ttl = call.args.iter().find_map(|a| {
                    let t = one_line(self.source, a)?;
                    t.contains("Duration::").then_some(t)
                });
                self.once(
                    format!("cache:{text}"),
                    Fact::CacheFetch {
                        call: text.clone(),
                        ttl,
                    },
                );
            } else if self.entity_delete(&segments, &text) {
                // Recorded there.
            } else if last.starts_with("secure_find") {
                let entity = (segments.len() > 1).then(|| {
                    let n = p.path.segments.len();
                    p.path
                        .segments
                        .iter()
                        .take(n - 1)
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::")
                });
                let entity = entity.filter(|e| self.body.contains(e.as_str()));
                self.once(
                    format!("lookup:{text}"),
                    Fact::ScopedLookup {
                        entity,
                        method: last.clone(),
                        scope: call
                            .args
                            .first()
                            .and_then(|a| one_line(self.source, a))
                            .filter(|t| t.len() <= 40),
                    },
                );
            } else if segments.len() >= 2 && is_error_type(&segments[segments.len() - 2]) {
                self.once(
                    format!("err:{text}"),
                    Fact::ErrorCtor {
                        path: text.clone(),
                        always: false,
                    },
                );
            } else if last == "new_task" {
                // Recorded with the queue send it feeds.
            } else if is_active_model_new(&p.path) {
                self.once(
                    format!("am:{text}"),
                    Fact::ActiveModel {
                        ty: text.clone(),
                        set_fields: Vec::new(),
                        base: None,
                    },
                );
            } else if segments.len() == 2
                && self.names.is_type(&segments[0])
                && self.names.defines_method(&text)
                // `HttpErrorBody::Validation(..)`: an enum variant, not an associated function.
                && !last.starts_with(|c: char| c.is_ascii_uppercase())
            {
                self.once(
                    format!("assoc:{text}"),
                    Fact::LocalAssoc { path: text.clone() },
                );
            } else if segments.len() == 1
                && last
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                && !matches!(last.as_str(), "vec" | "drop")
            {
                self.once(
                    format!("helper:{last}"),
                    Fact::CrateHelper { name: last.clone() },
                );
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let method = call.method.to_string();
        match method.as_str() {
            "transaction" => {
                let mut inserts = InsertCollector::default();
                for arg in &call.args {
                    inserts.visit_expr(arg);
                }
                self.out.push(Fact::Transaction {
                    method,
                    inserts: inserts.0,
                });
                self.visit_expr(&call.receiver);
                let outer = self.in_transaction.replace(self.out.len());
                for arg in &call.args {
                    self.visit_expr(arg);
                }
                self.in_transaction = outer;
                return;
            }
            "begin" if call.args.is_empty() => {
                self.out.push(Fact::Transaction {
                    method,
                    inserts: Vec::new(),
                });
            }
            "commit" if call.args.is_empty() => self.out.push(Fact::Commit),
            "validate" if call.args.is_empty() => {
                if let Some(r) = receiver_name(&call.receiver) {
                    self.once(
                        format!("validate:{r}"),
                        Fact::ValidateCall {
                            receiver: r,
                            locations: Vec::new(),
                        },
                    );
                }
            }
            // `x.validate().map_err(|e| …("path"…))`: where the errors are said to be.
            "map_err"
                if matches!(&*call.receiver, Expr::MethodCall(inner)
                    if inner.method == "validate" && inner.args.is_empty()) =>
            {
                if let Expr::MethodCall(inner) = &*call.receiver
                    && let Some(r) = receiver_name(&inner.receiver)
                {
                    let mut words = WordLiterals::default();
                    for arg in &call.args {
                        words.visit_expr(arg);
                    }
                    self.once(
                        format!("validate:{r}"),
                        Fact::ValidateCall {
                            receiver: r,
                            locations: words.0,
                        },
                    );
                }
            }
            "map_err" | "or_else" | "and_then" => {
                if let Some(Expr::Path(p)) = call.args.first() {
                    let name = last_segment(&p.path);
                    if name.contains("conflict") {
                        self.once(format!("conflict:{name}"), Fact::Conflict { via: name });
                    }
                }
            }
            "delete" | "remove" => self.cache_delete(call),
            // After the lookup it ends: said once the chain before it is read.
            "ok_or_else" | "ok_or" if call.args.len() == 1 => {
                visit::visit_expr_method_call(self, call);
                self.missing(call);
                return;
            }
            "expect" => {
                if let Some(Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) = call.args.first()
                    && quotable(&s.value())
                {
                    self.once("expect".into(), Fact::Expect { message: s.value() });
                }
            }
            "send" => {
                if let Some(queue) = receiver_name(&call.receiver).filter(|q| q.contains("queue")) {
                    let mut tasks = TaskFinder::default();
                    tasks.visit_expr_method_call(call);
                    let task = tasks.0;
                    let guard = self.guards.iter().rev().find(|g| !g.is_empty()).cloned();
                    let in_loop = self.loops > 0;
                    self.once(
                        format!("queue:{queue}"),
                        Fact::QueueSend {
                            queue,
                            task,
                            guard,
                            in_loop,
                        },
                    );
                }
            }
            _ => {}
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_await(&mut self, e: &'ast syn::ExprAwait) {
        // Inside a `transaction` closure the inserts are listed on the transaction instead.
        if self.in_transaction.is_none()
            && let Some(r) = database_insert(e)
        {
            self.once(format!("insert:{r}"), Fact::Insert { receiver: r });
        }
        // sea-orm's `ActiveModelTrait::update(self, db)`: one argument, awaited on the spot.
        if let Expr::MethodCall(call) = &*e.base
            && call.method == "update"
            && call.args.len() == 1
            && let Some(receiver) = receiver_name(&call.receiver)
        {
            self.once(format!("update:{receiver}"), Fact::Update { receiver });
        }
        // sea-orm's `ModelTrait::delete(self, db)` / `ActiveModelTrait::delete`: the row goes.
        if let Expr::MethodCall(call) = &*e.base
            && call.method == "delete"
            && call.args.len() == 1
            && let Some(receiver) = receiver_name(&call.receiver)
            && !receiver.to_lowercase().contains("cache")
        {
            self.once(format!("delete:{receiver}"), Fact::DeleteRow { receiver });
        }
        visit::visit_expr_await(self, e);
    }

    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        let last = last_segment(&e.path);
        if last == "ActiveModel" {
            let set_fields = e
                .fields
                .iter()
                .filter(|f| matches!(&f.expr, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Set"))))
                .filter_map(|f| match &f.member {
                    syn::Member::Named(n) => Some(n.to_string()),
                    syn::Member::Unnamed(_) => None,
                })
                .collect();
            let base = e.rest.as_ref().and_then(|r| one_line(self.source, &**r));
            let ty = one_line(self.source, &e.path).unwrap_or(last);
            let row = self.on_this_path(Fact::ActiveModel {
                ty,
                set_fields,
                base,
            });
            self.out.push(row);
            // The base (`..message::ActiveModel::new(..)`) is already this fact's `base`: read
            // its arguments, but do not let it start a second row.
            if let Some(Expr::Call(call)) = e.rest.as_deref()
                && matches!(&*call.func, Expr::Path(p) if is_active_model_new(&p.path))
            {
                self.visit_path(&e.path);
                for field in &e.fields {
                    self.visit_field_value(field);
                }
                self.visit_expr(&call.func);
                for arg in &call.args {
                    self.visit_expr(arg);
                }
                return;
            }
        }
        visit::visit_expr_struct(self, e);
    }

    fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
        // `x.f = Set("EXPUNGED".to_string())`, under any path to `Set`: a fixed value.
        if let (Expr::Field(field), Expr::Call(call)) = (&*e.left, &*e.right)
            && matches!(&*call.func, Expr::Path(p) if last_segment(&p.path) == "Set")
            && let [value] = call.args.iter().collect::<Vec<_>>().as_slice()
            && (literal_headed(value) || matches!(value, Expr::Path(p) if p.path.is_ident("None")))
            && let (Some(target), syn::Member::Named(name)) =
                (receiver_name(&field.base), &field.member)
            && let Some(value) = one_line(self.source, *value)
            // A row also lent out mutably (`data.update_model(&mut evtype)`) may have any column
            // rewritten after: the fixed value is not what it is saved with.
            && !self.body.contains(&format!("&mut {target}"))
        {
            let set = self.on_this_path(Fact::SetsValue {
                target,
                field: name.to_string(),
                value,
            });
            self.out.push(set);
        }
        if let (Expr::Field(field), Expr::Call(call)) = (&*e.left, &*e.right)
            && matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Set"))
            && let (Some(target), syn::Member::Named(name)) =
                (receiver_name(&field.base), &field.member)
        {
            match self.out.last_mut() {
                Some(Fact::SetFields { target: t, fields }) if *t == target => {
                    fields.push(name.to_string())
                }
                _ => self.out.push(Fact::SetFields {
                    target,
                    fields: vec![name.to_string()],
                }),
            }
        }
        visit::visit_expr_assign(self, e);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() == 2
            && segments[0] == "StatusCode"
            && let Some(text) = one_line(self.source, path)
        {
            self.once(format!("status:{text}"), Fact::StatusConst { path: text });
        }
        // A conflict test in a condition (`if is_conflict_err(&e)`) maps no write's error.
        if segments.len() == 1
            && segments[0].contains("conflict")
            && !self.names.is_fn(&segments[0])
            && !self.in_condition
        {
            let name = segments[0].clone();
            self.once(format!("conflict:{name}"), Fact::Conflict { via: name });
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let text = path_text(&mac.path);
        if text.starts_with("tracing") {
            self.once(
                format!("tracing:{text}"),
                Fact::Tracing { mac: text.clone() },
            );
        } else if is_logging_macro(&last_segment(&mac.path)) {
            // A bare `error!` logs: it is tracing's or log's, which the unit cannot tell
            // without the file's imports, so it yields no fact rather than a guessed one.
        } else if text.contains("err") {
            self.once(
                format!("err:{text}"),
                Fact::ErrorCtor {
                    path: format!("{text}!"),
                    always: false,
                },
            );
        }
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        if let Ok(exprs) = syn::parse::Parser::parse2(parser, mac.tokens.clone()) {
            for e in &exprs {
                self.visit_expr(e);
            }
        }
    }

    fn visit_item(&mut self, item: &'ast Item) {
        // Nested items are their own business; a nested fn's name is kept, so that its calls
        // (which may come before it) are not taken for the crate's helpers.
        if let Item::Fn(f) = item {
            self.nested.push(f.sig.ident.to_string());
        }
    }
}

/// The receiver of a database insert: sea-orm's `ActiveModelTrait::insert(self, db)` takes one
/// argument, the connection or transaction, and is async, so it is a method `insert` of exactly
/// one argument awaited on the spot (`msg.insert(&txn).await`). Collections' inserts never pass:
/// `HeaderMap`/`HashMap::insert(k, v)` and `Vec::insert(i, x)` take two arguments, and
/// `HashSet::insert(x)` is not awaited. An insert whose future is stored and awaited later is
/// missed, which only loses a fact.
fn database_insert(e: &syn::ExprAwait) -> Option<String> {
    match &*e.base {
        Expr::MethodCall(call) if call.method == "insert" && call.args.len() == 1 => {
            receiver_name(&call.receiver)
        }
        _ => None,
    }
}

#[derive(Default)]
struct InsertCollector(Vec<String>);

impl<'ast> Visit<'ast> for InsertCollector {
    fn visit_expr_await(&mut self, e: &'ast syn::ExprAwait) {
        if let Some(r) = database_insert(e)
            && !self.0.contains(&r)
        {
            self.0.push(r);
        }
        visit::visit_expr_await(self, e);
    }
}

#[derive(Default)]
struct TaskFinder(Option<String>);

impl<'ast> Visit<'ast> for TaskFinder {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*call.func
            && self.0.is_none()
            && last_segment(&p.path) == "new_task"
        {
            self.0 = Some(path_text(&p.path));
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_item(&mut self, _: &'ast Item) {
        // A task built in a nested fn or impl is not one this body sends, as in `BodyVisitor`.
    }
}

fn body_facts(source: &Located, block: &syn::Block, names: &LocalNames, out: &mut Vec<Fact>) {
    let braces = block.brace_token.span;
    let mut v = BodyVisitor {
        source,
        body: source.slice(source.span_range(braces.open(), braces.close())),
        names,
        nested: Vec::new(),
        out: Vec::new(),
        guards: Vec::new(),
        loops: 0,
        in_transaction: None,
        seen: Vec::new(),
        whole_call: whole_body_call(block).map(|c| c as *const syn::ExprCall),
        in_condition: false,
        branches: 0,
        conditions: Vec::new(),
        returned_early: false,
    };
    v.visit_block(block);
    let nested = std::mem::take(&mut v.nested);
    v.out.retain(
        |f| !matches!(f.on_any_path(), Fact::CrateHelper { name } if nested.contains(name)),
    );
    // A queue send fed by tasks built earlier (`tasks.push(T::new_task(..))`) names that task.
    let mut tasks = TaskFinder::default();
    tasks.visit_block(block);
    // `Err(HttpError::not_implemented(None, None).into())` and nothing else: the one error it
    // builds is every call's answer.
    let only_err = matches!(
        block.stmts.as_slice(),
        [syn::Stmt::Expr(Expr::Call(call), None)]
            if matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Err"))
    );
    let errors = v
        .out
        .iter()
        .filter(|f| matches!(f, Fact::ErrorCtor { .. }))
        .count();
    // `StatusCode::OK` and `StatusCode::INTERNAL_SERVER_ERROR` in one body: each is the status
    // on some paths, neither is the response's status.
    let statuses = v
        .out
        .iter()
        .filter(|f| matches!(f, Fact::StatusConst { .. }))
        .count();
    for fact in &mut v.out {
        if statuses > 1 && matches!(fact, Fact::StatusConst { .. }) {
            let status = std::mem::replace(fact, Fact::Commit);
            *fact = Fact::OnSomePaths {
                fact: Box::new(status),
                when: None,
            };
        }
        if let Fact::QueueSend { task, .. } = fact
            && task.is_none()
        {
            task.clone_from(&tasks.0);
        }
        if let Fact::ErrorCtor { always, .. } = fact {
            *always = only_err && errors == 1;
        }
    }
    out.extend(v.out);
}

/// Reads one item into facts, in the order its code states them, keeping only facts whose
/// quotable text stands verbatim in the item.
pub fn item_facts(
    source: &Located,
    item: &Item,
    node: Range<usize>,
    names: &LocalNames,
) -> Vec<Fact> {
    let mut out = Vec::new();
    match item {
        Item::Fn(f) => fn_facts(source, f, names, &mut out),
        Item::Struct(s) => struct_facts(source, s, &mut out),
        Item::Impl(i) => impl_facts(source, i, names, &mut out),
        Item::Enum(e) => out.extend(doc_fact(&e.ident.to_string(), &e.attrs)),
        _ => {}
    }
    backtick_doc_names(item, &mut out);
    let written = source.slice(node.clone());
    // A backtick inside a quoted text would close the code span it is quoted in.
    out.retain(|fact| {
        fact.quoted()
            .iter()
            .all(|q| !q.contains('`') && written.contains(q.as_str()))
    });
    // The plain `//` block directly above the item is part of its slice but not of the AST.
    let above = source.slice(source.with_leading_comments(node.clone()).start..node.start);
    out.extend(note_comment(above));
    // Comments in a body are not in the AST either: read them from the text.
    if let Item::Fn(function) = item {
        let braces = function.block.brace_token.span;
        out.extend(body_comments(
            source.slice(source.span_range(braces.open(), braces.close())),
        ));
    }
    out
}

/// The longest a body comment may be to be quoted whole.
const BODY_COMMENT_CHARS: usize = 240;

/// The first run of plain `//` lines in a body, joined with spaces, as a fact; a run of fewer
/// than four words, or one that cannot be quoted as written, gives nothing.
fn body_comments(body: &str) -> Vec<Fact> {
    let mut runs: Vec<Vec<&str>> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for line in body.lines() {
        let trimmed = line.trim();
        let comment = trimmed
            .strip_prefix("//")
            .filter(|_| !trimmed.starts_with("///") && !trimmed.starts_with("//!"));
        match comment {
            Some(text) => run.push(text.trim()),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    runs.iter()
        .filter_map(|run| body_comment(&run.join(" ")))
        .take(BODY_COMMENTS)
        .collect()
}

/// The most comments of one body that are quoted.
const BODY_COMMENTS: usize = 3;

/// One run of `//` lines, joined, as a fact when it is worth quoting: four words or more, short
/// enough, quotable, and no marker comment.
fn body_comment(text: &str) -> Option<Fact> {
    let text = text.trim();
    let words = text.split_whitespace().count();
    (words >= 4
        && text.len() <= BODY_COMMENT_CHARS
        && quotable(text)
        && !text.contains('`')
        && !["FIXME", "TODO", "NOTE"]
            .iter()
            .any(|m| text.starts_with(m)))
    .then(|| Fact::BodyComment {
        text: unstop_text(text),
    })
}

/// The first `// FIXME`, `// TODO` or `// NOTE` line of a comment block, as a fact.
fn note_comment(block: &str) -> Option<Fact> {
    block.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("//")?.trim();
        let marker = ["FIXME", "TODO", "NOTE"]
            .into_iter()
            .find(|m| rest.starts_with(m))?;
        let text = rest[marker.len()..]
            .trim_start_matches(|c: char| c == ':' || c == '(' || c.is_whitespace())
            .trim();
        (!text.is_empty() && quotable(text) && !text.contains('`')).then(|| Fact::NoteComment {
            marker: marker.to_owned(),
            text: unstop_text(text),
        })
    })
}

/// A comment's text without its closing full stop, since the sentence quoting it brings one.
fn unstop_text(text: &str) -> String {
    text.trim_end_matches('.').to_owned()
}

/// What one commit did to one item, read off both versions (history mode).
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub name: String,
    /// The item's name before the commit, when the commit renamed it.
    pub renamed_from: Option<String>,
    /// The item's facts before the commit.
    pub before: &'a [Fact],
    /// Names the item uses after the commit and not before, in order of appearance; and the
    /// other way round. Each stands in the code it is said of.
    pub new_names: Vec<String>,
    pub gone_names: Vec<String>,
    /// String and number literals, likewise, as written.
    pub new_literals: Vec<String>,
    pub gone_literals: Vec<String>,
    /// How the item's doc comments changed, if they did.
    pub docs: Option<DocsChange>,
    /// Whether only `pub` markers changed.
    pub visibility_only: bool,
    /// How many more `pub` markers the item has than before (fewer when negative).
    pub pub_delta: isize,
    /// How many more `&` the item has than before, when that is all that changed.
    pub borrow_only: Option<isize>,
}

/// How a commit changed an item's doc comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocsChange {
    /// Doc lines were added; every old one is still there.
    Added,
    /// Doc lines were removed; no new one came.
    Removed,
    Reworded,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::source::SourceFile;
    use std::path::Path;

    /// A cache of facts keyed by [`LocalNames::key_for`] reads an item again when a name it
    /// mentions comes or goes, and from the cache when only other names do.
    #[test]
    fn the_names_key_of_an_item_holds_the_local_names_it_mentions() {
        let names = |fns: &[&str], methods: &[&str]| LocalNames {
            fns: fns.iter().map(|s| s.to_string()).collect(),
            types: ["EndpointOut".to_owned(), "AppOut".to_owned()].into(),
            methods: Some(methods.iter().map(|s| s.to_string()).collect()),
        };
        let item = "// calls `validate`\nasync fn create(db: &Db) -> EndpointOut {\n    EndpointOut::from_model(validate(db)?)\n}\n";
        let before = names(&["create", "validate"], &["EndpointOut::from_model"]);
        let key = before.key_for(item);
        assert_eq!(key.fns, ["create", "validate"]);
        assert_eq!(key.types, ["EndpointOut"]);
        assert_eq!(
            key.methods.as_deref(),
            Some(&["EndpointOut::from_model".to_owned()][..])
        );
        // A function added elsewhere in the file, and a method of another type: same key.
        let other = names(
            &["create", "validate", "delete"],
            &["EndpointOut::from_model", "AppOut::from_model"],
        );
        assert_eq!(other.key_for(item), key);
        // The method it calls gone (moved to another file), or a function it calls: not.
        assert_ne!(names(&["create", "validate"], &[]).key_for(item), key);
        assert_ne!(
            names(&["create"], &["EndpointOut::from_model"]).key_for(item),
            key
        );
    }

    fn facts(text: &str) -> Vec<Fact> {
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let names = LocalNames {
            fns: ["inner".to_owned()].into(),
            types: ["MsgOut".to_owned()].into(),
            methods: None,
        };
        file.items
            .iter()
            .zip(&file.ranges)
            .flat_map(|(i, node)| item_facts(&Located::whole(&source), i, node.clone(), &names))
            .collect()
    }

    /// Regression: svix's `rotate_key` doc reads "… the latest 'current_key / old_keys' for the
    /// endpoint/sink,"; quoted as written, the reasoning named `current_key` outside backticks
    /// and the whole run failed its check. A doc's code names are backticked when the item's
    /// code uses them; a doc (or field doc) naming anything else is not quoted at all.
    #[test]
    fn names_in_a_doc_are_backticked_when_the_code_uses_them_or_the_doc_is_not_quoted() {
        let text = r#"
/// Takes a `KeyRing` holding the latest 'current_key / old_keys' of the endpoint,
/// and returns the ring after one rotation.
fn rotate_key(ring: KeyRing) -> KeyRing {
    KeyRing { current_key: None, old_keys: ring.old_keys }
}

/// Rotates the secret; see get_endpoint_secret to read it.
fn rotate(ring: KeyRing) -> KeyRing {
    rotate_key(ring)
}

struct RotateIn {
    /// Becomes the new current_key.
    key: Option<String>,
    /// Kept as old_key until it expires.
    old_key: Option<String>,
}
"#;
        let docs: Vec<String> = facts(text)
            .iter()
            .filter_map(|f| match f {
                Fact::Doc { item, summary, .. } => Some(format!("{item}: {summary}")),
                Fact::Field(field) => Some(format!("{}: {:?}", field.name, field.doc)),
                _ => None,
            })
            .collect();
        insta::assert_debug_snapshot!(docs, @r#"
        [
            "rotate_key: Takes a `KeyRing` holding the latest '`current_key` / `old_keys`' of the endpoint, and returns the ring after one rotation.",
            "key: None",
            "old_key: Some(\"Kept as `old_key` until it expires.\")",
        ]
        "#);
    }

    #[test]
    fn handler_extractors_and_status() {
        let text = r#"
/// Creates a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    ValidatedQuery(Q { with_content }): ValidatedQuery<Q>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MsgIn>,
) -> Result<JsonStatus<202, MsgOut>> {
    Ok(JsonStatus(inner(db, data).await?))
}
"#;
        insta::assert_debug_snapshot!(facts(text).iter().map(|f| serde_json::to_string(f).unwrap()).collect::<Vec<_>>(), @r##"
        [
            "{\"kind\":\"doc\",\"item\":\"create\",\"summary\":\"Creates a message.\",\"lines\":1}",
            "{\"kind\":\"aide_annotate\",\"item\":\"create\",\"op_id\":\"v1.message.create\",\"attr\":\"#[aide_annotate(op_id = \\\"v1.message.create\\\")]\"}",
            "{\"kind\":\"signature\",\"item\":\"create\",\"is_async\":true,\"visibility\":\"\",\"params\":[],\"arg_types\":[\"State\",\"ValidatedQuery\",\"Organization\",\"ValidatedJson\"]}",
            "{\"kind\":\"state\",\"wrapper\":\"State\",\"state_ty\":\"AppState\",\"bindings\":[{\"name\":\"db\",\"by_ref\":true,\"text\":\"ref db\"},{\"name\":\"queue_tx\",\"by_ref\":false,\"text\":\"queue_tx\"}],\"rest\":true}",
            "{\"kind\":\"extractor\",\"role\":\"query\",\"wrapper\":\"ValidatedQuery\",\"ty\":\"Q\",\"binding\":null,\"fields\":[\"with_content\"]}",
            "{\"kind\":\"permission\",\"ty\":\"permissions::Organization\",\"fields\":[\"org_id\"]}",
            "{\"kind\":\"extractor\",\"role\":\"body\",\"wrapper\":\"ValidatedJson\",\"ty\":\"MsgIn\",\"binding\":\"data\",\"fields\":[]}",
            "{\"kind\":\"returns\",\"ty\":\"Result<JsonStatus<202, MsgOut>>\",\"status\":\"202\",\"body\":\"MsgOut\"}",
            "{\"kind\":\"delegates\",\"callee\":\"inner\",\"whole_body\":true,\"args\":[\"db\",\"data\"]}",
        ]
        "##);
    }

    /// Facts of every item of `text`, with the file's own top-level functions and types as its
    /// local names, the way `read_facts` in lib.rs gathers them from the inventory.
    fn facts_of(text: &str) -> Vec<Fact> {
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let mut names = LocalNames::default();
        for item in &file.items {
            let (set, ident) = match item {
                Item::Fn(f) => (&mut names.fns, &f.sig.ident),
                Item::Struct(s) => (&mut names.types, &s.ident),
                Item::Enum(e) => (&mut names.types, &e.ident),
                Item::Type(t) => (&mut names.types, &t.ident),
                Item::Trait(t) => (&mut names.types, &t.ident),
                _ => continue,
            };
            set.insert(ident.to_string());
        }
        file.items
            .iter()
            .zip(&file.ranges)
            .flat_map(|(i, node)| item_facts(&Located::whole(&source), i, node.clone(), &names))
            .collect()
    }

    /// One fact a line, as JSON: compact, and every field shows.
    fn render(text: &str) -> String {
        facts_of(text)
            .iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    const NOTES_AND_READS: &str = r#"
// FIXME: This can and should be a derive macro.
impl ModelIn for MsgIn {
    type ActiveModel = message::ActiveModel;
    fn update_model(self, model: &mut message::ActiveModel) {}
}

// A plain comment says nothing that is a note.
async fn inner(db: &DatabaseConnection, data: MsgIn, app_id: AppId) -> Result<()> {
    // The path is not validated by any extractor,
    // so it is checked here.
    app_id.validate().map_err(|e| HttpError::unprocessable_entity(errors(vec!["path".to_owned()], e)))?;
    let payload = data.payload();
    let msg = message::ActiveModel { app_id: Set(app_id), ..data.into() };
    Ok(())
}
"#;

    #[test]
    fn notes_above_items_validation_locations_and_reads_before_a_move() {
        insta::assert_snapshot!(render(NOTES_AND_READS), @r#"
        {"kind":"trait_impl","trait_name":"ModelIn","self_ty":"MsgIn","methods":["update_model"],"assoc_types":["type ActiveModel = message::ActiveModel;"]}
        {"kind":"method","name":"update_model","receiver":"self","params":["model"],"returns":null,"body":null}
        {"kind":"note_comment","marker":"FIXME","text":"This can and should be a derive macro"}
        {"kind":"signature","item":"inner","is_async":true,"visibility":"","params":["db","data","app_id"],"ref_params":["db"],"arg_types":["DatabaseConnection","MsgIn","AppId"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"validate_call","receiver":"app_id","locations":["path"]}
        {"kind":"error_ctor","path":"HttpError::unprocessable_entity"}
        {"kind":"crate_helper","name":"errors"}
        {"kind":"read_from","name":"payload","receiver":"data","expr":"data.payload()"}
        {"kind":"active_model","ty":"message::ActiveModel","set_fields":["app_id"],"base":"data.into()"}
        {"kind":"body_comment","text":"The path is not validated by any extractor, so it is checked here"}
        "#);
    }

    const STRUCT_FIELDS: &str = r#"
/// The message as a client sends it.
#[derive(Clone, Debug, Deserialize, Serialize, Validate, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageIn {
    /// Optional unique identifier for the message.
    #[validate]
    #[serde(rename = "eventId", alias = "uid", alias = "msgId", skip_serializing_if = "Option::is_none")]
    pub uid: Option<MessageUid>,
    #[validate(custom(function = "validate_event_type"), length(min = 1, max = 256))]
    #[schemars(example = "event_type_example")]
    pub event_type: EventTypeName,
    #[serde(default = "default_true")]
    #[validate(custom = "validate_no_control_chars")]
    pub with_content: bool,
    #[serde(default)]
    #[schemars(skip)]
    pub application: Option<ApplicationIn>,
}
"#;

    /// Derives come after the doc and before the container's `rename_all`; each field carries
    /// its serde, validator (nested, `custom(function = ..)` and the older `custom = ..`) and
    /// schemars arguments, a bare `#[serde(default)]` naming no function.
    #[test]
    fn struct_fields_read_serde_validator_and_schemars_arguments() {
        insta::assert_snapshot!(render(STRUCT_FIELDS), @r##"
        {"kind":"doc","item":"MessageIn","summary":"The message as a client sends it.","lines":1}
        {"kind":"derives","item":"MessageIn","list":["Clone","Debug","Deserialize","Serialize","Validate","JsonSchema"]}
        {"kind":"serde_container","rename_all":"camelCase"}
        {"kind":"field","name":"uid","ty":"Option<MessageUid>","doc":"Optional unique identifier for the message.","rename":"eventId","aliases":["uid","msgId"],"default_fn":null,"skip_serializing_if":"Option::is_none","validate":["#[validate]"],"validate_fns":[],"example_fn":null,"schema_skip":false}
        {"kind":"field","name":"event_type","ty":"EventTypeName","doc":null,"rename":null,"aliases":[],"default_fn":null,"skip_serializing_if":null,"validate":["custom(function = \"validate_event_type\")","length(min = 1, max = 256)"],"validate_fns":["validate_event_type"],"example_fn":"event_type_example","schema_skip":false}
        {"kind":"field","name":"with_content","ty":"bool","doc":null,"rename":null,"aliases":[],"default_fn":"default_true","skip_serializing_if":null,"validate":["custom = \"validate_no_control_chars\""],"validate_fns":["validate_no_control_chars"],"example_fn":null,"schema_skip":false}
        {"kind":"field","name":"application","ty":"Option<ApplicationIn>","doc":null,"rename":null,"aliases":[],"default_fn":null,"default":true,"skip_serializing_if":null,"validate":[],"validate_fns":[],"example_fn":null,"schema_skip":true}
        "##);
    }

    const NEWTYPES: &str = r#"
/// The payload, kept as the JSON it came in.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct RawPayload(pub Box<RawValue>);

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct EventTypeName(pub String);

/// How an attempt was triggered.
#[derive(Clone, Copy, Debug)]
pub enum MessageAttemptTriggerType {
    Scheduled,
    Manual,
}
"#;

    /// A one-field tuple struct is a newtype, flagged when it wraps raw JSON; an enum yields
    /// only its doc.
    #[test]
    fn newtypes_flag_raw_json_and_enums_yield_only_their_doc() {
        insta::assert_snapshot!(render(NEWTYPES), @r#"
        {"kind":"doc","item":"RawPayload","summary":"The payload, kept as the JSON it came in.","lines":1}
        {"kind":"derives","item":"RawPayload","list":["Clone","Debug","Serialize","Deserialize","JsonSchema"]}
        {"kind":"newtype","item":"RawPayload","inner":"Box<RawValue>","raw_json":true}
        {"kind":"derives","item":"EventTypeName","list":["Clone","Debug","Hash","PartialEq","Eq"]}
        {"kind":"newtype","item":"EventTypeName","inner":"String","raw_json":false}
        {"kind":"doc","item":"MessageAttemptTriggerType","summary":"How an attempt was triggered.","lines":1}
        "#);
    }

    const TUPLE_STRUCT: &str = r#"
#[derive(Clone, Copy, Debug)]
pub struct Window(pub u16, pub u32);

pub struct Span(pub usize, pub usize, pub Option<String>);
"#;

    /// Regression: the fields of a tuple struct of two or more were named by index, and such a
    /// fact survived the verbatim-quote filter only when its index happened to occur in the
    /// item (`Window(pub u16, pub u32)` kept field `1`, because `u16` contains a 1). They yield
    /// no field facts at all now: an index is not a name the source writes.
    #[test]
    fn tuple_struct_fields_are_not_named_by_index() {
        insta::assert_snapshot!(render(TUPLE_STRUCT), @r#"{"kind":"derives","item":"Window","list":["Clone","Copy","Debug"]}"#);
    }

    const IMPLS: &str = r#"
impl From<MessageIn> for MessageOut {
    fn from(data: MessageIn) -> Self {
        Self {
            event_type: data.event_type,
            payload: data.payload,
        }
    }
}

impl Deref for EventTypeName {
    type Target = String;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Eq for MessageId {}

impl MessageStatus {
    /// Whether no further attempt will be made.
    pub fn is_final(&self, attempts: u16) -> bool {
        if attempts >= MAX_ATTEMPTS {
            return true;
        }
        let done = if self.is_success() { true } else { false };
        done || matches!(self, MessageStatus::Fail)
    }

    pub fn from_code(code: i16) -> Self {
        Self::from(code)
    }
}
"#;

    /// Trait, marker and inherent impls, then per method its doc, its signature (the body only
    /// when it is one short line) and the conditions of its top-level `if`s.
    #[test]
    fn impl_blocks_name_traits_markers_methods_and_branches() {
        insta::assert_snapshot!(render(IMPLS), @r#"
        {"kind":"trait_impl","trait_name":"From<MessageIn>","self_ty":"MessageOut","methods":["from"],"assoc_types":[]}
        {"kind":"method","name":"from","receiver":null,"params":["data"],"returns":"Self","body":null}
        {"kind":"builds_self","fields":["event_type","payload"],"read":["event_type","payload"],"from":["data"],"copied_from":["data"]}
        {"kind":"trait_impl","trait_name":"Deref","self_ty":"EventTypeName","methods":["deref"],"assoc_types":["type Target = String;"]}
        {"kind":"method","name":"deref","receiver":"&self","params":[],"returns":"&Self::Target","body":"&self.0"}
        {"kind":"marker_impl","trait_name":"Eq","self_ty":"MessageId"}
        {"kind":"inherent_impl","self_ty":"MessageStatus","methods":["is_final","from_code"]}
        {"kind":"doc","item":"is_final","summary":"Whether no further attempt will be made.","lines":1}
        {"kind":"method","name":"is_final","receiver":"&self","params":["attempts"],"returns":"bool","body":null}
        {"kind":"branch","condition":"attempts >= MAX_ATTEMPTS"}
        {"kind":"branch","condition":"self.is_success()"}
        {"kind":"method","name":"from_code","receiver":null,"params":["code"],"returns":"Self","body":"Self::from(code)"}
        "#);
    }

    const VALIDATOR: &str = r#"
pub fn validate_event_type(name: &str) -> Result<(), ValidationError> {
    if name.len() > 256 {
        let mut error = ValidationError::new("length");
        error.message = Some(Cow::from("Event type names must be at most 256 characters long"));
        return Err(error);
    }
    Ok(())
}
"#;

    /// A function of one argument returning a `ValidationError` result is a validator: only its
    /// messages (strings with a space) and its first condition are read, not its signature.
    #[test]
    fn validator_functions_read_their_messages_and_condition() {
        insta::assert_snapshot!(render(VALIDATOR), @r#"{"kind":"validator_fn","name":"validate_event_type","arg_ty":"str","messages":["Event type names must be at most 256 characters long"],"condition":"name.len() > 256"}"#);
    }

    const HANDLER_SIGNATURES: &str = r#"
/// List attempts by message ID.
///
/// Attempts are listed newest first, and the `status` filter keeps those in that state.
#[aide_annotate(op_id = "v1.message-attempt.list-by-msg")]
#[tracing::instrument(skip_all)]
#[allow(clippy::too_many_arguments, unused_variables)]
pub(crate) async fn list_attempts_by_msg(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedQuery(pagination): ValidatedQuery<Pagination<ReversibleIterator<MessageAttemptId>>>,
    Path(ApplicationMsgPath { app_id, msg_id }): Path<ApplicationMsgPath>,
    AuthenticatedApplication { permissions, app }: AuthenticatedApplication,
    Json(data): Json<AttemptListIn>,
    limit: usize,
) -> Result<(StatusCode, Json<ListResponse<MessageAttemptOut>>)> {
    todo!()
}

async fn get_message(
    Extension(ref db): Extension<DatabaseConnection>,
    Extension(queue_tx): Extension<TaskQueueProducer>,
    Path((app_id, msg_id)): Path<(ApplicationIdOrUid, MessageIdOrUid)>,
    Query(GetMessageQuery { with_content }): Query<GetMessageQuery>,
    _: permissions::Application,
) -> Result<Json<MessageOut>> {
    todo!()
}
"#;

    /// A handler's doc (counting every line), attributes, the state it destructures (several
    /// `Extension`s merge into one, which names no type when theirs differ), its body, query and path extractors (a tuple path keeps its
    /// whole type), its permission and its return type; plain parameters stay in the signature.
    #[test]
    fn handler_signatures_read_attributes_state_extractors_and_returns() {
        insta::assert_snapshot!(render(HANDLER_SIGNATURES), @r##"
        {"kind":"doc","item":"list_attempts_by_msg","summary":"List attempts by message ID.","lines":3}
        {"kind":"aide_annotate","item":"list_attempts_by_msg","op_id":"v1.message-attempt.list-by-msg","attr":"#[aide_annotate(op_id = \"v1.message-attempt.list-by-msg\")]"}
        {"kind":"instrument","item":"list_attempts_by_msg"}
        {"kind":"allow_lint","item":"list_attempts_by_msg","lint":"clippy::too_many_arguments"}
        {"kind":"allow_lint","item":"list_attempts_by_msg","lint":"unused_variables"}
        {"kind":"signature","item":"list_attempts_by_msg","is_async":true,"visibility":"pub(crate)","params":["limit"],"arg_types":["State","ValidatedQuery","Path","AuthenticatedApplication","Json","usize"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"db","by_ref":true,"text":"ref db"}],"rest":true}
        {"kind":"extractor","role":"query","wrapper":"ValidatedQuery","ty":"Pagination","binding":null,"fields":["pagination"]}
        {"kind":"extractor","role":"path","wrapper":"Path","ty":"ApplicationMsgPath","binding":null,"fields":["app_id","msg_id"]}
        {"kind":"permission","ty":"AuthenticatedApplication","fields":["permissions","app"]}
        {"kind":"extractor","role":"body","wrapper":"Json","ty":"AttemptListIn","binding":"data","fields":[]}
        {"kind":"returns","ty":"Result<(StatusCode, Json<ListResponse<MessageAttemptOut>>)>","status":null,"body":"ListResponse"}
        {"kind":"signature","item":"get_message","is_async":true,"visibility":"","params":[],"arg_types":["Extension","Extension","Path","Query","Application"]}
        {"kind":"state","wrapper":"Extension","state_ty":null,"bindings":[{"name":"db","by_ref":true,"text":"ref db"},{"name":"queue_tx","by_ref":false,"text":"queue_tx"}],"rest":false}
        {"kind":"extractor","role":"path","wrapper":"Path","ty":"Path<(ApplicationIdOrUid, MessageIdOrUid)>","binding":null,"fields":["app_id","msg_id"]}
        {"kind":"extractor","role":"query","wrapper":"Query","ty":"GetMessageQuery","binding":null,"fields":["with_content"]}
        {"kind":"permission","ty":"permissions::Application","fields":[]}
        {"kind":"returns","ty":"Result<Json<MessageOut>>","status":null,"body":"MessageOut"}
        "##);
    }

    const STATE_AND_EXTENSION: &str = r#"
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    Extension(queue_tx): Extension<TaskQueueProducer>,
) {}
"#;

    /// Regression: an `Extension` binding was merged into the `State` fact before it, so the
    /// state sentence claimed `queue_tx` was destructured from `AppState`. Each wrapper kind
    /// now keeps its own fact.
    #[test]
    fn state_and_extension_bindings_stay_in_separate_facts() {
        insta::assert_snapshot!(render(STATE_AND_EXTENSION), @r#"
        {"kind":"signature","item":"create_message","is_async":true,"visibility":"","params":[],"arg_types":["State","Extension"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"db","by_ref":true,"text":"ref db"}],"rest":true}
        {"kind":"state","wrapper":"Extension","state_ty":"TaskQueueProducer","bindings":[{"name":"queue_tx","by_ref":false,"text":"queue_tx"}],"rest":false}
        "#);
    }

    const BODY_LOOKUPS: &str = r#"
pub struct MessageOut {
    pub id: MessageId,
}

async fn create_message_inner(db: &DatabaseConnection) -> Result<message::Model> {
    todo!()
}

async fn create_message(
    State(AppState { ref db, ref cache, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    data.validate()?;
    let app = application::Entity::secure_find_by_id_or_uid(org_id.clone(), app_id)
        .one(db)
        .await?;
    let endpoints = fetch_endpoints_cached(&cache, &app.id, Duration::from_secs(30)).await?;
    let msg = create_message_inner(db).await?;
    let payload = validate_payload_size(&data)?;
    Ok(Json(MessageOut::from_msg(msg, payload)))
}
"#;

    /// A body's `validate()`, scoped lookup, cached read with its TTL, call to a function of
    /// this file (not the whole body), helper from elsewhere and associated function of a local
    /// type, in source order.
    #[test]
    fn handler_bodies_name_lookups_validation_cache_and_local_calls() {
        insta::assert_snapshot!(render(BODY_LOOKUPS), @r#"
        {"kind":"field","name":"id","ty":"MessageId","doc":null,"rename":null,"aliases":[],"default_fn":null,"skip_serializing_if":null,"validate":[],"validate_fns":[],"example_fn":null,"schema_skip":false}
        {"kind":"signature","item":"create_message_inner","is_async":true,"visibility":"","params":["db"],"ref_params":["db"],"arg_types":["DatabaseConnection"]}
        {"kind":"returns","ty":"Result<message::Model>","status":null,"body":null}
        {"kind":"signature","item":"create_message","is_async":true,"visibility":"","params":[],"arg_types":["State","ValidatedJson"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"db","by_ref":true,"text":"ref db"},{"name":"cache","by_ref":true,"text":"ref cache"}],"rest":true}
        {"kind":"extractor","role":"body","wrapper":"ValidatedJson","ty":"MessageIn","binding":"data","fields":[]}
        {"kind":"returns","ty":"Result<Json<MessageOut>>","status":null,"body":"MessageOut"}
        {"kind":"validate_call","receiver":"data"}
        {"kind":"scoped_lookup","entity":"application::Entity","method":"secure_find_by_id_or_uid","scope":"org_id.clone()"}
        {"kind":"cache_fetch","call":"fetch_endpoints_cached","ttl":"Duration::from_secs(30)"}
        {"kind":"delegates","callee":"create_message_inner","whole_body":false,"args":["db"]}
        {"kind":"crate_helper","name":"validate_payload_size"}
        {"kind":"local_assoc","path":"MessageOut::from_msg"}
        "#);
    }

    const BODY_ERRORS: &str = r#"
async fn delete_endpoint(db: &DatabaseConnection, app: application::Model) -> Result<StatusCode> {
    let endp = endpoint::Entity::secure_find(app.id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    if endp.deleted {
        tracing::warn!("endpoint {} was already deleted", endp.id);
        return Err(err_generic!("endpoint already deleted"));
    }
    let key = endp.key.as_ref().expect("endpoint keys are set on creation");
    endp.update(db).await.map_err(http_error_on_conflict)?;
    Ok(StatusCode::NO_CONTENT)
}
"#;

    /// Error constructors (a path and an `err_*!` macro), a tracing macro, an `expect` message,
    /// the conflict mapper and a `StatusCode` constant.
    #[test]
    fn handler_bodies_name_errors_status_codes_tracing_and_expect() {
        insta::assert_snapshot!(render(BODY_ERRORS), @r#"
        {"kind":"signature","item":"delete_endpoint","is_async":true,"visibility":"","params":["db","app"],"ref_params":["db"],"arg_types":["DatabaseConnection","Model"]}
        {"kind":"returns","ty":"Result<StatusCode>","status":null,"body":null}
        {"kind":"scoped_lookup","entity":"endpoint::Entity","method":"secure_find","scope":"app.id"}
        {"kind":"error_ctor","path":"HttpError::not_found"}
        {"kind":"refuses","on":"missing","condition":null,"subject":"endpoint::Entity","error":"HttpError::not_found","message":null}
        {"kind":"tracing","mac":"tracing::warn"}
        {"kind":"error_ctor","path":"err_generic!"}
        {"kind":"expect","message":"endpoint keys are set on creation"}
        {"kind":"conflict","via":"http_error_on_conflict"}
        {"kind":"update","receiver":"endp"}
        {"kind":"status_const","path":"StatusCode::NO_CONTENT"}
        "#);
    }

    const LOGGING_MACROS: &str = r#"
use tracing::{error, warn};

fn sign(key: &EndpointSecret, msg: &[u8]) -> Result<String> {
    let Some(key) = key.as_ref() else {
        error!("failed to sign");
        log::error!("no key for {}", msg.len());
        let _span = error_span!("sign");
        return Err(err_generic!("no key"));
    };
    if key.is_empty() {
        warn!("empty key");
        tracing::error!("empty key");
        return Err(HttpError::conflict(None, None));
    }
    Ok(String::new())
}
"#;

    /// Regression: a bare `error!("failed to sign")` (tracing's, imported by `use
    /// tracing::error`) was read as an error constructor because its name contains "err". A
    /// level or span macro is a `Tracing` fact when written `tracing::…`, otherwise nothing;
    /// `err_*!` macros and `…Error::…` calls stay error constructors.
    #[test]
    fn logging_macros_are_never_error_constructors() {
        insta::assert_snapshot!(render(LOGGING_MACROS), @r#"
        {"kind":"signature","item":"sign","is_async":false,"visibility":"","params":["key","msg"],"ref_params":["key","msg"],"arg_types":["EndpointSecret",""]}
        {"kind":"returns","ty":"Result<String>","status":null,"body":null}
        {"kind":"error_ctor","path":"err_generic!"}
        {"kind":"refuses","on":"if","condition":"key.is_empty()","subject":null,"error":"HttpError::conflict","message":null}
        {"kind":"tracing","mac":"tracing::error"}
        {"kind":"error_ctor","path":"HttpError::conflict"}
        "#);
    }

    const DATABASE: &str = r#"
async fn create_message_app(db: &DatabaseConnection, data: MessageIn, app: application::Model) -> Result<message::Model> {
    let msg = message::ActiveModel {
        event_type: Set(data.event_type),
        payload: Set(data.payload),
        ..Default::default()
    };
    let dest = messagedestination::ActiveModel::new(msg.id.clone().unwrap(), endp.id);
    let msg = db
        .transaction(|txn| {
            Box::pin(async move {
                let msg = msg.insert(txn).await?;
                dest.insert(txn).await?;
                Ok(msg)
            })
        })
        .await?;
    Ok(msg)
}

async fn update_app(db: &DatabaseConnection, app: application::Model, data: ApplicationIn) -> Result<application::Model> {
    let txn = db.begin().await?;
    let mut app: application::ActiveModel = app.into();
    app.name = Set(data.name);
    app.uid = Set(data.uid);
    let app = app.update(&txn).await?;
    let metadata = applicationmetadata::ActiveModel::new(app.id.clone(), data.metadata);
    metadata.insert(&txn).await.map_err(http_error_on_conflict)?;
    txn.commit().await?;
    Ok(app)
}
"#;

    /// A struct-literal `ActiveModel` names its `Set` fields and base, `ActiveModel::new` is its
    /// own fact, inserts inside a `transaction` closure are listed on it rather than as
    /// `Insert`s, `begin`/`commit` bracket a write, and consecutive `Set` assignments to one
    /// target merge.
    #[test]
    fn database_writes_read_transactions_active_models_and_inserts() {
        insta::assert_snapshot!(render(DATABASE), @r#"
        {"kind":"signature","item":"create_message_app","is_async":true,"visibility":"","params":["db","data","app"],"ref_params":["db"],"arg_types":["DatabaseConnection","MessageIn","Model"]}
        {"kind":"returns","ty":"Result<message::Model>","status":null,"body":null}
        {"kind":"active_model","ty":"message::ActiveModel","set_fields":["event_type","payload"],"base":"Default::default()"}
        {"kind":"active_model","ty":"messagedestination::ActiveModel::new","set_fields":[],"base":null}
        {"kind":"transaction","method":"transaction","inserts":["msg","dest"]}
        {"kind":"signature","item":"update_app","is_async":true,"visibility":"","params":["db","app","data"],"ref_params":["db"],"arg_types":["DatabaseConnection","Model","ApplicationIn"]}
        {"kind":"returns","ty":"Result<application::Model>","status":null,"body":null}
        {"kind":"transaction","method":"begin","inserts":[]}
        {"kind":"set_fields","target":"app","fields":["name","uid"]}
        {"kind":"update","receiver":"app"}
        {"kind":"active_model","ty":"applicationmetadata::ActiveModel::new","set_fields":[],"base":null}
        {"kind":"conflict","via":"http_error_on_conflict"}
        {"kind":"insert","receiver":"metadata"}
        {"kind":"commit"}
        "#);
    }

    const ACTIVE_MODEL_BASE: &str = r#"
async fn create_message(db: &DatabaseConnection, app: application::Model, data: MessageIn) {
    let msg = message::ActiveModel {
        event_type: Set(data.event_type),
        ..message::ActiveModel::new(app.id.clone(), app.org_id.clone())
    };
}
"#;

    /// Regression: the base of a struct-literal `ActiveModel` also yielded an `ActiveModel::new`
    /// fact, so the text said a second, fresh row started from it. The base belongs to the
    /// struct literal's fact only.
    #[test]
    fn active_model_base_is_not_a_second_active_model() {
        insta::assert_snapshot!(render(ACTIVE_MODEL_BASE), @r#"
        {"kind":"signature","item":"create_message","is_async":true,"visibility":"","params":["db","app","data"],"ref_params":["db"],"arg_types":["DatabaseConnection","Model","MessageIn"]}
        {"kind":"active_model","ty":"message::ActiveModel","set_fields":["event_type"],"base":"message::ActiveModel::new(app.id.clone(), app.org_id.clone())"}
        "#);
    }

    const COLLECTION_INSERTS: &str = r#"
async fn sign_and_store(db: &DatabaseConnection, msg: message::ActiveModel, id: HeaderValue) -> Result<()> {
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", id);
    let mut seen = HashSet::new();
    seen.insert(msg.id.clone());
    let msg = msg.insert(db).await?;
    db.transaction(|txn| {
        Box::pin(async move {
            headers.insert("svix-signature", sig);
            dest.insert(txn).await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
"#;

    /// Regression: every `.insert(..)` outside a transaction was an `Insert` ("goes into the
    /// database"), `headers.insert("svix-id", id)` on a `HeaderMap` included. Only sea-orm's
    /// shape counts, one argument and awaited, outside a transaction and on it alike.
    #[test]
    fn only_awaited_one_argument_inserts_are_database_inserts() {
        insta::assert_snapshot!(render(COLLECTION_INSERTS), @r#"
        {"kind":"signature","item":"sign_and_store","is_async":true,"visibility":"","params":["db","msg","id"],"ref_params":["db"],"arg_types":["DatabaseConnection","ActiveModel","HeaderValue"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"insert","receiver":"msg"}
        {"kind":"transaction","method":"transaction","inserts":["dest"]}
        "#);
    }

    const QUEUE: &str = r#"
async fn create_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<JsonStatus<202, MessageOut>> {
    if !msg_dests.is_empty() && app.has_active_endpoints(db).await? {
        queue_tx
            .send(MessageTask::new_task(msg.id.clone(), app.id, trigger), None)
            .await?;
    }
    Ok(JsonStatus(msg.into()))
}

async fn resend_all(queue_tx: TaskQueueProducer, msgs: Vec<message::Model>) -> Result<()> {
    for msg in msgs {
        queue_tx
            .send(MessageTask::new_task(msg.id, msg.app_id, trigger), None)
            .await?;
    }
    Ok(())
}

async fn resend_batch(state: &AppState, msg: message::Model) -> Result<()> {
    let task = QueueTask::MessageBatch(MessageTaskBatch::new_task(msg.id, msg.app_id, trigger));
    state.queue_tx.send(task, None).await?;
    done_tx.send(()).unwrap();
    Ok(())
}
"#;

    /// A send on a queue names the task it carries (also one built earlier in the body), the
    /// method guarding it and whether it runs in a loop; a `send` on anything else is no fact.
    #[test]
    fn queue_sends_name_their_task_guard_and_loop() {
        insta::assert_snapshot!(render(QUEUE), @r#"
        {"kind":"signature","item":"create_message","is_async":true,"visibility":"","params":[],"arg_types":["State","ValidatedJson"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"db","by_ref":true,"text":"ref db"},{"name":"queue_tx","by_ref":false,"text":"queue_tx"}],"rest":true}
        {"kind":"extractor","role":"body","wrapper":"ValidatedJson","ty":"MessageIn","binding":"data","fields":[]}
        {"kind":"returns","ty":"Result<JsonStatus<202, MessageOut>>","status":"202","body":"MessageOut"}
        {"kind":"queue_send","queue":"queue_tx","task":"MessageTask::new_task","guard":"has_active_endpoints","in_loop":false}
        {"kind":"signature","item":"resend_all","is_async":true,"visibility":"","params":["queue_tx","msgs"],"arg_types":["TaskQueueProducer","Vec"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"queue_send","queue":"queue_tx","task":"MessageTask::new_task","guard":null,"in_loop":true}
        {"kind":"signature","item":"resend_batch","is_async":true,"visibility":"","params":["state","msg"],"ref_params":["state"],"arg_types":["AppState","Model"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"queue_send","queue":"queue_tx","task":"MessageTaskBatch::new_task","guard":null,"in_loop":false}
        "#);
    }

    const NESTED_TASK: &str = r#"
async fn resend(queue_tx: TaskQueueProducer, other: QueueTask) -> Result<()> {
    fn later(a: MessageId, b: ApplicationId, c: MessageAttemptTriggerType) -> QueueTask {
        MessageTask::new_task(a, b, c)
    }
    queue_tx.send(other, None).await?;
    Ok(())
}
"#;

    /// Regression: the task lookup for a queue send looked inside items nested in the body, so
    /// `queue_tx.send(other, None)` was said to carry the `MessageTask::new_task` that a nested
    /// `fn later` builds. The send names no task when its body builds none.
    #[test]
    fn queue_send_task_ignores_tasks_built_in_nested_items() {
        insta::assert_snapshot!(render(NESTED_TASK), @r#"
        {"kind":"signature","item":"resend","is_async":true,"visibility":"","params":["queue_tx","other"],"arg_types":["TaskQueueProducer","QueueTask"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"queue_send","queue":"queue_tx","task":null,"guard":null,"in_loop":false}
        "#);
    }

    const UNQUOTABLE: &str = r#"
/// The "raw" payload, as it was sent.
pub struct RawIn {
    /// Kept as sent: see `RawValue.
    pub payload: Box<RawValue>,
    #[serde(rename = "event\u{2d}type")]
    pub event_type: String,
}

/// Reads the `id, which is always set.
fn msg_id(msg: &MessageOut) -> String {
    msg.id.clone().expect("the \"id\" is set")
}

fn app_id(app: &ApplicationOut) -> String {
    app.id.clone().expect("`id` is set")
}

fn validate_uid(uid: &str) -> Result<(), ValidationError> {
    let mut error = ValidationError::new("uid");
    error.message = Some(Cow::from("The \"uid\" must not be empty"));
    Err(error)
}
"#;

    /// Text with a `"`, an unbalanced backtick, a backtick span or an escape cannot stand quoted
    /// as written, so the fact that would quote it is dropped (or, for a field doc or a
    /// validator message, just that text).
    #[test]
    fn text_that_cannot_be_quoted_as_written_drops_its_fact() {
        insta::assert_snapshot!(render(UNQUOTABLE), @r#"
        {"kind":"field","name":"payload","ty":"Box<RawValue>","doc":null,"rename":null,"aliases":[],"default_fn":null,"skip_serializing_if":null,"validate":[],"validate_fns":[],"example_fn":null,"schema_skip":false}
        {"kind":"signature","item":"msg_id","is_async":false,"visibility":"","params":["msg"],"ref_params":["msg"],"arg_types":["MessageOut"]}
        {"kind":"returns","ty":"String","status":null,"body":null}
        {"kind":"signature","item":"app_id","is_async":false,"visibility":"","params":["app"],"ref_params":["app"],"arg_types":["ApplicationOut"]}
        {"kind":"returns","ty":"String","status":null,"body":null}
        {"kind":"validator_fn","name":"validate_uid","arg_ty":"str","messages":[],"condition":null}
        "#);
    }

    const FOREIGN_CALLS: &str = r#"
async fn create_message(db: &DatabaseConnection, data: MessageIn) -> Result<MessageOut> {
    let msg = create_message_inner(db, data).await?;
    let app = crate::core::app::get_app(db).await?;
    let out = msg.message_out(db).await?;
    Ok(out)
}

async fn resend(db: &DatabaseConnection, data: MessageIn) -> Result<MessageOut> {
    create_message(db, data).await
}
"#;

    /// Only a one-segment call to a function this file defines is `Delegates`; a function of
    /// another module, a method, or a function the file does not define is not.
    #[test]
    fn calls_to_functions_the_file_does_not_define_are_not_delegates() {
        let facts = facts_of(FOREIGN_CALLS);
        let delegates: Vec<_> = facts
            .iter()
            .filter(|f| matches!(f, Fact::Delegates { .. }))
            .collect();
        assert_eq!(
            delegates,
            [&Fact::Delegates {
                callee: "create_message".into(),
                whole_body: true,
                args: vec!["db".into(), "data".into()],
            }]
        );
        insta::assert_snapshot!(render(FOREIGN_CALLS), @r#"
        {"kind":"signature","item":"create_message","is_async":true,"visibility":"","params":["db","data"],"ref_params":["db"],"arg_types":["DatabaseConnection","MessageIn"]}
        {"kind":"returns","ty":"Result<MessageOut>","status":null,"body":null}
        {"kind":"crate_helper","name":"create_message_inner"}
        {"kind":"signature","item":"resend","is_async":true,"visibility":"","params":["db","data"],"ref_params":["db"],"arg_types":["DatabaseConnection","MessageIn"]}
        {"kind":"returns","ty":"Result<MessageOut>","status":null,"body":null}
        {"kind":"delegates","callee":"create_message","whole_body":true,"args":["db","data"]}
        "#);
    }

    /// What the roles of issue 21 read: a cache entry deleted, errors answered where the code
    /// cannot go on (an `if`, its `else`, a `match` arm, a lookup finding nothing), a value built
    /// as `Self { .. }`, a column set to a fixed value and the row saved, an extractor built for
    /// a callee, a `State` kept whole.
    const WORK: &str = r#"
enum NoteBody {
    Plain(String),
}

struct NoteKey;

impl NoteCache {
    pub async fn invalidate(cache: &Cache, note_id: &NoteId) -> Result<()> {
        let cache_key = NoteKey::new(note_id);
        cache.delete(&cache_key).await.map_err(Error::cache)
    }
}

pub fn error_on_duplicate(db_err: DbErr) -> Error {
    if is_duplicate(&db_err) {
        HttpError::conflict(None, None).into()
    } else {
        Error::database(db_err)
    }
}

fn is_duplicate(db_err: &DbErr) -> bool {
    false
}

fn check_scheme(url: &Url) -> Result<()> {
    if url.scheme() == "https" {
        Ok(())
    } else {
        Err(HttpError::bad_request(None, Some("Note links must use https here".to_owned())).into())
    }
}

impl NoteOut {
    pub fn new(owner: Option<&OwnerUid>, note: &note::Model) -> Self {
        let body = NoteBody::Plain(note.text.clone());
        Self {
            id: note.id.clone(),
            owner: owner.cloned(),
            body,
        }
    }
}

async fn wipe_note(
    state: State<AppState>,
    Path(NotePath { note_id }): Path<NotePath>,
    permissions::Organization { org_id }: permissions::Organization,
) -> Result<StatusCode> {
    let State(AppState { ref db, .. }) = state;
    let mut note = note::Entity::secure_find_by_id(org_id, note_id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, Some("No note with that id".to_string())))?;
    if note.locked {
        return Err(HttpError::conflict(None, Some("The note is locked for now".to_owned())).into());
    }
    let owner = match (&note.owner, org_id) {
        (None, _) => return Err(HttpError::bad_request(None, Some("A note needs its owner".to_owned())).into()),
        (Some(owner), _) => owner,
    };
    note.text = sea_orm::Set("WIPED".to_string());
    note.update(db).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn legacy_wipe(
    state: State<AppState>,
    permissions: permissions::Organization,
) -> Result<StatusCode> {
    wipe_note(state, Path(NotePath { note_id: NoteId::default() }), permissions).await
}

async fn listed(state: State<AppState>) -> Result<Json<Vec<NoteOut>>> {
    list_notes(state).await.map(|Json(list)| Json(list.into_iter().collect()))
}

async fn list_notes(state: State<AppState>) -> Result<Json<Vec<NoteOut>>> {
    Ok(Json(Vec::new()))
}
"#;

    /// A value built from a base, a row deleted on one path and kept on the other, and an
    /// error whose text is formatted around an `expect`'s panic message.
    const BASE_DELETE_EXPECT: &str = r#"
impl NoteOut {
    fn without_body(model: note::Model) -> Self {
        Self {
            body: None,
            ..model.into()
        }
    }
}

async fn drop_note(db: &DatabaseConnection, note: note::Model, purge: bool) -> Result<()> {
    if purge {
        note.delete(db).await?;
    } else {
        let mut note: note::ActiveModel = note.into();
        note.deleted = Set(true);
        note.update(db).await?;
    }
    Ok(())
}

fn check_count(keys: &[Key]) -> Result<()> {
    if keys.len() > MAX_KEYS {
        return Err(HttpError::bad_request(
            Some("limit_reached".to_owned()),
            Some(format!("Too many: {}", keys.first().expect("we just checked that it is there").id)),
        )
        .into());
    }
    Ok(())
}
"#;

    #[test]
    fn a_call_in_a_branch_happens_on_some_paths_unless_every_path_makes_it_too() {
        let facts = facts_of(
            r#"
fn make_key() -> Key { Key::new() }
fn log_it() {}
fn store() {}
async fn rotate(key: Option<Key>, old: bool) -> Result<()> {
    let key = if let Some(key) = key { key } else { make_key() };
    if old { log_it(); }
    log_it();
    store();
    match key { Key::A => store(), _ => {} }
    Ok(())
}
"#,
        );
        let calls: Vec<(bool, &str)> = facts
            .iter()
            .filter_map(|f| match f {
                Fact::Delegates { callee, .. } => Some((false, callee.as_str())),
                Fact::OnSomePaths { fact, .. } => match &**fact {
                    Fact::Delegates { callee, .. } => Some((true, callee.as_str())),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        // `make_key` only where no key came; `log_it` first in a branch, then on every path;
        // `store` on every path, then again in an arm.
        assert_eq!(
            calls,
            [(true, "make_key"), (false, "log_it"), (false, "store")]
        );
    }

    #[test]
    fn a_base_a_deleted_row_and_an_expect_message_are_read_as_what_they_are() {
        insta::assert_snapshot!(render(BASE_DELETE_EXPECT), @r#"
        {"kind":"inherent_impl","self_ty":"NoteOut","methods":["without_body"]}
        {"kind":"method","name":"without_body","receiver":null,"params":["model"],"returns":"Self","body":null}
        {"kind":"builds_self","fields":["body"],"read":[],"from":["model"],"base":"model.into()"}
        {"kind":"signature","item":"drop_note","is_async":true,"visibility":"","params":["db","note","purge"],"ref_params":["db"],"arg_types":["DatabaseConnection","Model","bool"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"on_some_paths","fact":{"kind":"delete_row","receiver":"note"},"when":{"branch":"if","condition":"purge"}}
        {"kind":"on_some_paths","fact":{"kind":"sets_value","target":"note","field":"deleted","value":"true"},"when":{"branch":"else","condition":"purge"}}
        {"kind":"set_fields","target":"note","fields":["deleted"]}
        {"kind":"on_some_paths","fact":{"kind":"update","receiver":"note"},"when":{"branch":"else","condition":"purge"}}
        {"kind":"signature","item":"check_count","is_async":false,"visibility":"","params":["keys"],"ref_params":["keys"],"arg_types":[""]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"refuses","on":"if","condition":"keys.len() > MAX_KEYS","subject":null,"error":"HttpError::bad_request","message":null}
        {"kind":"error_ctor","path":"HttpError::bad_request"}
        {"kind":"expect","message":"we just checked that it is there"}
        "#);
    }

    #[test]
    fn bodies_name_cache_deletes_refusals_built_values_overwrites_and_built_extractors() {
        insta::assert_snapshot!(render(WORK), @r#"
        {"kind":"inherent_impl","self_ty":"NoteCache","methods":["invalidate"]}
        {"kind":"method","name":"invalidate","receiver":null,"params":["cache","note_id"],"returns":"Result<()>","body":null}
        {"kind":"local_assoc","path":"NoteKey::new"}
        {"kind":"cache_delete","receiver":"cache","key":"cache_key"}
        {"kind":"signature","item":"error_on_duplicate","is_async":false,"visibility":"pub","params":["db_err"],"arg_types":["DbErr"]}
        {"kind":"returns","ty":"Error","status":null,"body":null}
        {"kind":"refuses","on":"if","condition":"is_duplicate(&db_err)","subject":null,"error":"HttpError::conflict","message":null}
        {"kind":"refuses","on":"else","condition":"is_duplicate(&db_err)","subject":null,"error":"Error::database","message":null}
        {"kind":"delegates","callee":"is_duplicate","whole_body":false,"args":["&db_err"]}
        {"kind":"error_ctor","path":"HttpError::conflict"}
        {"kind":"error_ctor","path":"Error::database"}
        {"kind":"signature","item":"is_duplicate","is_async":false,"visibility":"","params":["db_err"],"ref_params":["db_err"],"arg_types":["DbErr"]}
        {"kind":"returns","ty":"bool","status":null,"body":null}
        {"kind":"signature","item":"check_scheme","is_async":false,"visibility":"","params":["url"],"ref_params":["url"],"arg_types":["Url"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        {"kind":"refuses","on":"else","condition":"url.scheme() == \"https\"","subject":null,"error":"HttpError::bad_request","message":"Note links must use https here"}
        {"kind":"error_ctor","path":"HttpError::bad_request"}
        {"kind":"inherent_impl","self_ty":"NoteOut","methods":["new"]}
        {"kind":"method","name":"new","receiver":null,"params":["owner","note"],"returns":"Self","body":null}
        {"kind":"builds_self","fields":["id","owner","body"],"read":["id"],"from":["owner","note"],"copied_from":["note"]}
        {"kind":"signature","item":"wipe_note","is_async":true,"visibility":"","params":[],"arg_types":["State","Path","Organization"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"state","by_ref":false,"text":"state"}],"rest":false}
        {"kind":"extractor","role":"path","wrapper":"Path","ty":"NotePath","binding":null,"fields":["note_id"]}
        {"kind":"permission","ty":"permissions::Organization","fields":["org_id"]}
        {"kind":"whole_extractor","binding":"state","wrapper":"State"}
        {"kind":"returns","ty":"Result<StatusCode>","status":null,"body":null}
        {"kind":"scoped_lookup","entity":"note::Entity","method":"secure_find_by_id","scope":"org_id"}
        {"kind":"error_ctor","path":"HttpError::not_found"}
        {"kind":"refuses","on":"missing","condition":null,"subject":"note::Entity","error":"HttpError::not_found","message":"No note with that id"}
        {"kind":"refuses","on":"if","condition":"note.locked","subject":null,"error":"HttpError::conflict","message":"The note is locked for now"}
        {"kind":"error_ctor","path":"HttpError::conflict"}
        {"kind":"refuses","on":"arm","condition":"(None, _)","subject":null,"error":"HttpError::bad_request","message":"A note needs its owner"}
        {"kind":"error_ctor","path":"HttpError::bad_request"}
        {"kind":"sets_value","target":"note","field":"text","value":"\"WIPED\".to_string()"}
        {"kind":"update","receiver":"note"}
        {"kind":"status_const","path":"StatusCode::NO_CONTENT"}
        {"kind":"signature","item":"legacy_wipe","is_async":true,"visibility":"","params":[],"arg_types":["State","Organization"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"state","by_ref":false,"text":"state"}],"rest":false}
        {"kind":"permission","ty":"permissions::Organization","fields":["permissions"]}
        {"kind":"whole_extractor","binding":"state","wrapper":"State"}
        {"kind":"whole_extractor","binding":"permissions","wrapper":"Organization"}
        {"kind":"returns","ty":"Result<StatusCode>","status":null,"body":null}
        {"kind":"delegates","callee":"wipe_note","whole_body":true,"args":["state","Path(NotePath { note_id: NoteId::default() })","permissions"]}
        {"kind":"builds_extractor","callee":"wipe_note","wrapper":"Path","ty":"NotePath"}
        {"kind":"signature","item":"listed","is_async":true,"visibility":"","params":[],"arg_types":["State"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"state","by_ref":false,"text":"state"}],"rest":false}
        {"kind":"whole_extractor","binding":"state","wrapper":"State"}
        {"kind":"returns","ty":"Result<Json<Vec<NoteOut>>>","status":null,"body":"Vec"}
        {"kind":"delegates","callee":"list_notes","whole_body":false,"args":["state"]}
        {"kind":"signature","item":"list_notes","is_async":true,"visibility":"","params":[],"arg_types":["State"]}
        {"kind":"state","wrapper":"State","state_ty":"AppState","bindings":[{"name":"state","by_ref":false,"text":"state"}],"rest":false}
        {"kind":"whole_extractor","binding":"state","wrapper":"State"}
        {"kind":"returns","ty":"Result<Json<Vec<NoteOut>>>","status":null,"body":"Vec"}
        "#);
    }

    const NESTED: &str = r#"
async fn handler(db: &DatabaseConnection) -> Result<()> {
    fn helper(queue_tx: &TaskQueueProducer) {
        tracing::info!("nested");
        if StatusCode::OK.is_success() {
            helper_call(HttpError::bad_request(None, None));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends() {
        tracing::info!("in a test");
        assert_eq!(StatusCode::OK, StatusCode::OK);
    }
}
"#;

    /// A function's body facts stop at items nested in it, and a module (such as a
    /// `#[cfg(test)]` one) yields no facts at all.
    #[test]
    fn nested_items_and_test_modules_yield_no_facts() {
        insta::assert_snapshot!(render(NESTED), @r#"
        {"kind":"signature","item":"handler","is_async":true,"visibility":"","params":["db"],"ref_params":["db"],"arg_types":["DatabaseConnection"]}
        {"kind":"returns","ty":"Result<()>","status":null,"body":null}
        "#);
    }

    /// Every source the tests above read; a source must be listed here to count for coverage.
    const SOURCES: [&str; 21] = [
        NOTES_AND_READS,
        STRUCT_FIELDS,
        NEWTYPES,
        TUPLE_STRUCT,
        IMPLS,
        VALIDATOR,
        HANDLER_SIGNATURES,
        STATE_AND_EXTENSION,
        BODY_LOOKUPS,
        BODY_ERRORS,
        LOGGING_MACROS,
        DATABASE,
        ACTIVE_MODEL_BASE,
        COLLECTION_INSERTS,
        QUEUE,
        NESTED_TASK,
        UNQUOTABLE,
        FOREIGN_CALLS,
        WORK,
        NESTED,
        BASE_DELETE_EXPECT,
    ];

    /// Kinds that the pipeline makes, not this module.
    const MADE_OUTSIDE: [&str; 4] = ["route", "method_of", "outside_openapi", "hidden_from_docs"];

    /// Fails when a `Fact` variant is added without a test source that produces it.
    #[test]
    fn every_fact_kind_is_produced_by_some_test_source() {
        let produced: std::collections::BTreeSet<&str> = SOURCES
            .iter()
            .flat_map(|text| facts_of(text))
            .flat_map(|fact| [fact.kind(), fact.on_any_path().kind()])
            .collect();
        let missing: Vec<&str> = Fact::KINDS
            .iter()
            .copied()
            .filter(|k| !produced.contains(k) && !MADE_OUTSIDE.contains(k))
            .collect();
        assert!(missing.is_empty(), "no test source produces {missing:?}");
    }
}
