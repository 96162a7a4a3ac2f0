//! How selected items group into units, the code of one example each: one top-level item per
//! unit, trivial serde/schemars helpers and marker impls folded into the unit they serve, and one
//! composite unit per root holding its same-file call chain. Also what each unit is (its role),
//! how many examples it gets, and the exact code it carries.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;

use crate::extract::facts::{self, Fact};
use crate::extract::select::{self, Inventory, Kind, Selection};
use crate::extract::source::SourceFile;

/// Which `use` declarations an example's code carries as context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Imports {
    /// The file's use declarations, as one exact slice.
    #[default]
    All,
    /// Only the whole use declarations that name something the unit uses.
    Used,
    /// No use declarations.
    None,
}

/// The default plan aims at about this many examples per file.
const TARGET_EXAMPLES: usize = 20;

/// By default no unit gets more examples than this, so a file of few units gives fewer
/// examples rather than the same code explained over and over (`--variants` sets any number).
const MOST_EXAMPLES_PER_UNIT: usize = 2;

/// Helpers this short join the unit that names them instead of standing alone: at most this many
/// statements, spread over at most `TRIVIAL_BODY_LINES` lines (a `json!` literal is one statement
/// over several lines).
const TRIVIAL_STATEMENTS: usize = 3;
const TRIVIAL_BODY_LINES: usize = 5;

/// Impls of at most this many lines join the unit of their type.
const SMALL_IMPL_LINES: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    /// One top-level item, with any trivial helpers it names.
    Item,
    /// A root handler with the same-file functions it calls, transitively.
    Chain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub kind: UnitKind,
    /// The entry the unit is about.
    pub primary: usize,
    /// Every entry whose code the unit carries, in source order.
    pub entries: Vec<usize>,
}

impl Unit {
    /// A stable key, independent of paths and positions, for hashing phrasing choices.
    pub fn key(&self, inventory: &Inventory) -> String {
        let names: Vec<&str> = self
            .entries
            .iter()
            .map(|&e| inventory.entries[e].name.as_str())
            .collect();
        let prefix = match self.kind {
            UnitKind::Item => "item",
            UnitKind::Chain => "chain",
        };
        format!("{prefix}:{}", names.join("+"))
    }
}

fn is_trivial(inventory: &Inventory, entry: usize) -> bool {
    let e = &inventory.entries[entry];
    let Some(statements) = inventory.statement_count(entry) else {
        return false;
    };
    // Signature line and closing brace line are not body.
    let body_lines = (e.lines.1 - e.lines.0).saturating_sub(1).max(1);
    statements <= TRIVIAL_STATEMENTS && body_lines <= TRIVIAL_BODY_LINES
}

/// The units the selected items form: each item with what folds into it (trivial helpers,
/// small impls, constants), then one chain per root that calls local functions.
pub fn build_units(
    inventory: &Inventory,
    selection: &Selection,
    facts: &BTreeMap<usize, Vec<Fact>>,
) -> Vec<Unit> {
    let selected: Vec<usize> = selection.items.iter().map(|s| s.entry).collect();
    let is_selected: HashSet<usize> = selected.iter().copied().collect();
    let (helpers_of, trivial) = trivial_helpers(inventory, selection, facts, &is_selected);
    let mut joined_to = small_impls(inventory, &selected, &is_selected);
    let const_hosts = const_hosts(inventory, selection, &selected);
    let const_units = const_destinations(inventory, &joined_to, &const_hosts, &helpers_of);
    joined_to.extend(const_units);
    let mut units = item_units(inventory, &selected, &trivial, &helpers_of, &joined_to);
    units.extend(chain_units(inventory, selection, facts, &is_selected));
    units
}

/// A selected function by name.
fn selected_fn(inventory: &Inventory, is_selected: &HashSet<usize>, name: &str) -> Option<usize> {
    inventory.fn_index(name).filter(|i| is_selected.contains(i))
}

/// Trivial helpers (a field's default or example function, short and not a root), and which
/// struct units name them: (helpers by struct, every trivial helper).
fn trivial_helpers(
    inventory: &Inventory,
    selection: &Selection,
    facts: &BTreeMap<usize, Vec<Fact>>,
    is_selected: &HashSet<usize>,
) -> (BTreeMap<usize, Vec<usize>>, HashSet<usize>) {
    let mut helpers_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut trivial: Vec<usize> = Vec::new();
    for s in &selection.items {
        let entry = s.entry;
        for fact in facts.get(&entry).into_iter().flatten() {
            if let Fact::Field(field) = fact {
                for name in field.default_fn.iter().chain(field.example_fn.iter()) {
                    if let Some(helper) = selected_fn(inventory, is_selected, name)
                        && is_trivial(inventory, helper)
                        && !selection.roots.contains(&helper)
                    {
                        let list = helpers_of.entry(entry).or_default();
                        if !list.contains(&helper) {
                            list.push(helper);
                        }
                        if !trivial.contains(&helper) {
                            trivial.push(helper);
                        }
                    }
                }
            }
        }
    }
    (helpers_of, trivial.into_iter().collect())
}

/// A type and its small impls (trait or inherent, markers included) are read together, as a
/// reviewer reads them: `RawPayload` with its five impls is one example. A large impl (real
/// logic, such as a conversion of several dozen lines) stays a unit of its own. Returns each
/// small impl's type.
fn small_impls(
    inventory: &Inventory,
    selected: &[usize],
    is_selected: &HashSet<usize>,
) -> BTreeMap<usize, usize> {
    let mut joined_to: BTreeMap<usize, usize> = BTreeMap::new();
    for &entry in selected {
        let e = &inventory.entries[entry];
        if e.kind != Kind::Impl || e.lines.1 - e.lines.0 + 1 > SMALL_IMPL_LINES {
            continue;
        }
        let Some(ty) = &e.self_ty else { continue };
        if let Some(host) = inventory.type_index(ty).filter(|t| is_selected.contains(t)) {
            joined_to.insert(entry, host);
        }
    }
    joined_to
}

/// Constants join the unit of the item that led to them (a description beside a handler in
/// the router, a limit used by a method): each constant or static's host, the first selected
/// entry of the name it was reached from.
fn const_hosts(
    inventory: &Inventory,
    selection: &Selection,
    selected: &[usize],
) -> BTreeMap<usize, usize> {
    // Selected entries by name, in source order, for finding a constant's host.
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &entry in selected {
        by_name
            .entry(inventory.entries[entry].name.as_str())
            .or_default()
            .push(entry);
    }
    let mut const_hosts: BTreeMap<usize, usize> = BTreeMap::new();
    for s in &selection.items {
        let kind = inventory.entries[s.entry].kind;
        if !matches!(kind, Kind::Const | Kind::Static) {
            continue;
        }
        let host = s
            .reason
            .subject()
            .and_then(|name| by_name.get(name).and_then(|entries| entries.first()));
        if let Some(&host) = host {
            const_hosts.insert(s.entry, host);
        }
    }
    const_hosts
}

/// Where each constant ends up. Its host may itself be folded into another unit (a small impl
/// into its type's, a trivial helper into its struct's, a constant into its host's): the
/// constant follows it there, or it would stand alone as a unit with nothing to say but that
/// it is a constant. Returns (constant, the unit's entry) pairs.
fn const_destinations(
    inventory: &Inventory,
    joined_to: &BTreeMap<usize, usize>,
    const_hosts: &BTreeMap<usize, usize>,
    helpers_of: &BTreeMap<usize, Vec<usize>>,
) -> Vec<(usize, usize)> {
    let helper_owner = |helper: usize| {
        helpers_of
            .iter()
            .find(|(_, helpers)| helpers.contains(&helper))
            .map(|(&owner, _)| owner)
    };
    // The entry each folded entry goes with, one step at a time.
    let step = |entry: usize| {
        joined_to
            .get(&entry)
            .or_else(|| const_hosts.get(&entry))
            .copied()
            .or_else(|| helper_owner(entry))
    };
    let mut const_units = Vec::new();
    for &constant in const_hosts.keys() {
        let mut at = constant;
        // Constants naming each other in a loop (which the compiler refuses) have no unit to
        // join: the walk gives up, and each stands alone.
        for _ in 0..inventory.entries.len() {
            match step(at) {
                Some(next) => at = next,
                None => {
                    const_units.push((constant, at));
                    break;
                }
            }
        }
    }
    const_units
}

/// One unit per selected item that folds into no other (and is not a `use`), holding its
/// trivial helpers and what joined it.
fn item_units(
    inventory: &Inventory,
    selected: &[usize],
    trivial: &HashSet<usize>,
    helpers_of: &BTreeMap<usize, Vec<usize>>,
    joined_to: &BTreeMap<usize, usize>,
) -> Vec<Unit> {
    let mut joined_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (&joined, &host) in joined_to {
        joined_of.entry(host).or_default().push(joined);
    }
    let mut units = Vec::new();
    for &entry in selected {
        if trivial.contains(&entry) || joined_to.contains_key(&entry) {
            continue;
        }
        if inventory.entries[entry].kind == Kind::Use {
            continue;
        }
        let mut entries = vec![entry];
        entries.extend(helpers_of.get(&entry).into_iter().flatten().copied());
        entries.extend(joined_of.get(&entry).into_iter().flatten().copied());
        entries.sort_unstable();
        entries.dedup();
        units.push(Unit {
            kind: UnitKind::Item,
            primary: entry,
            entries,
        });
    }
    units
}

/// One chain unit per root that delegates to selected local functions: the root and every
/// function it reaches that way.
fn chain_units(
    inventory: &Inventory,
    selection: &Selection,
    facts: &BTreeMap<usize, Vec<Fact>>,
    is_selected: &HashSet<usize>,
) -> Vec<Unit> {
    let mut units = Vec::new();
    for &root in &selection.roots {
        let mut chain = vec![root];
        let mut i = 0;
        while i < chain.len() {
            for fact in facts.get(&chain[i]).into_iter().flatten() {
                if let Fact::Delegates { callee, .. } = fact.on_any_path()
                    && let Some(f) = selected_fn(inventory, is_selected, callee)
                    && !chain.contains(&f)
                {
                    chain.push(f);
                }
            }
            i += 1;
        }
        if chain.len() >= 2 {
            chain.sort_unstable();
            units.push(Unit {
                kind: UnitKind::Chain,
                primary: root,
                entries: chain,
            });
        }
    }
    units
}

/// Local struct names that a root handler takes as body or query, or returns: a type only a
/// helper returns (`AppPortalAccessOut`, which `dashboard_access` unwraps) is not what the
/// operation answers with, and the body of a handler the root calls (`AppPortalAccessIn`,
/// which `dashboard_access` builds and hands to `app_portal_access`) is not the root's body.
pub struct TypeRoles {
    body: BTreeSet<String>,
    query: BTreeSet<String>,
    response: BTreeSet<String>,
}

pub fn type_roles(
    facts: &BTreeMap<usize, Vec<Fact>>,
    inventory: &Inventory,
    roots: &[usize],
) -> TypeRoles {
    let structs: std::collections::HashSet<&str> = inventory
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Struct)
        .map(|e| e.name.as_str())
        .collect();
    let mut roles = TypeRoles {
        body: BTreeSet::new(),
        query: BTreeSet::new(),
        response: BTreeSet::new(),
    };
    let all = facts
        .iter()
        .flat_map(|(entry, facts)| facts.iter().map(move |f| (*entry, f)));
    for (entry, fact) in all {
        match fact {
            Fact::Extractor { role, ty, .. } if roots.contains(&entry) => match role {
                facts::ExtractorRole::Body => {
                    roles.body.insert(ty.clone());
                }
                facts::ExtractorRole::Query => {
                    roles.query.insert(ty.clone());
                }
                facts::ExtractorRole::Path => {}
            },
            Fact::Returns { ty, .. } if roots.contains(&entry) => {
                for word in crate::extract::text::words(ty) {
                    if structs.contains(word) {
                        roles.response.insert(word.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    roles
}

pub fn role_of(
    unit: &Unit,
    inventory: &Inventory,
    selection: &Selection,
    facts: &[Fact],
    types: &TypeRoles,
) -> Role {
    let entry = &inventory.entries[unit.primary];
    if unit.kind == UnitKind::Chain {
        return Role::Chain;
    }
    match entry.kind {
        Kind::Fn | Kind::Method if selection.roots.contains(&unit.primary) => Role::Handler,
        Kind::Fn | Kind::Method => {
            if facts.iter().any(|f| matches!(f, Fact::ValidatorFn { .. })) {
                Role::Validator
            } else if matches!(
                selection.reason(unit.primary),
                Some(select::Reason::NamedInAttribute(_))
            ) {
                Role::AttrHelper
            } else if facts
                .iter()
                .any(|f| matches!(f, Fact::Returns { ty, .. } if ty.contains("<()") || ty == "()"))
                && raises_errors(facts)
            {
                Role::Check
            } else {
                Role::Helper
            }
        }
        Kind::Impl => {
            if facts.iter().any(|f| matches!(f, Fact::InherentImpl { .. })) {
                Role::InherentImpl
            } else {
                Role::TraitImpl
            }
        }
        _ if types.body.contains(&entry.name) => Role::Body,
        _ if types.query.contains(&entry.name) => Role::Query,
        _ if types.response.contains(&entry.name) => Role::Response,
        Kind::Const | Kind::Static => Role::Constant,
        _ => Role::Model,
    }
}

/// Whether a function's own code fails with errors it builds or a validation it runs: what
/// makes a function returning nothing a check rather than a step that merely may fail.
fn raises_errors(facts: &[Fact]) -> bool {
    facts.iter().any(|f| {
        matches!(
            f,
            Fact::ErrorCtor { .. } | Fact::Refuses { .. } | Fact::ValidateCall { .. }
        )
    })
}

/// What a unit's primary item does, where its code shows one of these kinds of work: finer
/// than its [`Role`], which says where selection met it. Each has its own request and
/// reasoning sections; a unit with none is worded by its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Deletes an entry from a cache (`cache.delete(&key)`).
    CacheInvalidation,
    /// Builds a value of an error type (`HttpError::not_found`, `unprocessable_entity`).
    ErrorConstructor,
    /// Turns an error value into the API's error (`http_error_on_conflict(db_err: DbErr)`).
    ErrorMapping,
    /// Builds `Self { .. }` from its parameters (`EndpointEvent::new(app_uid, endp)`).
    Builder,
    /// A `From` (or `TryFrom`) impl: one type turned into another (`From<Model> for ..Out`).
    Conversion,
}

impl Work {
    pub fn name(self) -> &'static str {
        match self {
            Work::CacheInvalidation => "cache_invalidation",
            Work::ErrorConstructor => "error_constructor",
            Work::ErrorMapping => "error_mapping",
            Work::Builder => "builder",
            Work::Conversion => "conversion",
        }
    }
}

/// Whether a type name is an error type's: `Error`, `HttpError`, `DbErr`.
fn is_error_type(name: &str) -> bool {
    name.ends_with("Error") || name.ends_with("Err")
}

/// The type a function returns, as its outermost name (`Error` of `Error`, `Self` of `Self`),
/// with `Self` read as the impl's own type when the facts name it.
fn returned_type(facts: &[Fact]) -> Option<String> {
    let ty = facts.iter().find_map(|f| match f {
        Fact::Returns { ty, .. } => Some(ty.as_str()),
        _ => None,
    })?;
    let outer = ty.split(['<', ' ']).next().unwrap_or(ty);
    let outer = outer.rsplit("::").next().unwrap_or(outer);
    if outer == "Self" {
        return facts.iter().find_map(|f| match f {
            Fact::MethodOf { self_ty, .. } => Some(self_ty.clone()),
            _ => None,
        });
    }
    Some(outer.to_owned())
}

/// What a unit of `role` does, read off its primary item's facts (see [`Work`]): the code
/// shows it (a cache delete, an error type returned, a `Self { .. }` built, a `From` impl),
/// never the item's name.
pub fn work_of(role: Role, facts: &[Fact]) -> Option<Work> {
    match role {
        Role::Helper | Role::Check => {}
        Role::TraitImpl => {
            let from = facts.iter().any(|f| {
                matches!(f, Fact::TraitImpl { trait_name, .. }
                    if trait_name.starts_with("From<") || trait_name.starts_with("TryFrom<"))
            });
            return from.then_some(Work::Conversion);
        }
        _ => return None,
    }
    if facts.iter().any(|f| matches!(f, Fact::CacheDelete { .. })) {
        return Some(Work::CacheInvalidation);
    }
    let returned = returned_type(facts);
    if returned.as_deref().is_some_and(is_error_type) {
        let takes_an_error = facts.iter().any(|f| {
            matches!(f, Fact::Signature { arg_types, .. }
                if arg_types.iter().any(|t| is_error_type(t)))
        });
        return Some(if takes_an_error {
            Work::ErrorMapping
        } else {
            Work::ErrorConstructor
        });
    }
    let builds = facts.iter().any(|f| matches!(f, Fact::BuildsSelf { .. }));
    let returns_self = facts
        .iter()
        .any(|f| matches!(f, Fact::Returns { ty, .. } if ty == "Self"));
    (builds && returns_self).then_some(Work::Builder)
}

/// What an example of a unit is, as the manifest names it: its work when the code shows one,
/// else its role.
pub fn kind_name(role: Role, facts: &[Fact]) -> &'static str {
    work_of(role, facts).map_or(role.name(), Work::name)
}

/// How many examples each unit gets: `--variants N` for all, or a plan that reaches about
/// `TARGET_EXAMPLES`, giving the extra ones to the most valuable units first: by role (the
/// handler chain, the handler, the shared implementation, the body), then the larger unit
/// (`sizes`, lines of code) first.
pub fn plan_variants(roles: &[Role], sizes: &[usize], requested: Option<usize>) -> Vec<usize> {
    if let Some(n) = requested {
        return vec![n; roles.len()];
    }
    let cap = |_: Role| MOST_EXAMPLES_PER_UNIT;
    let count = roles.len().max(1);
    let base = (TARGET_EXAMPLES / count).max(1);
    let mut plan: Vec<usize> = roles.iter().map(|&r| base.min(cap(r))).collect();
    let mut extra = TARGET_EXAMPLES.saturating_sub(plan.iter().sum());
    let mut order: Vec<usize> = (0..roles.len()).collect();
    order.sort_by_key(|&i| {
        let size = sizes.get(i).copied().unwrap_or(0);
        (roles[i].priority(), std::cmp::Reverse(size), i)
    });
    // Extra examples go round in that order, as long as a unit is under its cap.
    while extra > 0 {
        let mut gave = false;
        for &i in &order {
            if extra > 0 && plan[i] < cap(roles[i]) {
                plan[i] += 1;
                extra -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    plan
}

fn use_runs(source: &SourceFile, inventory: &Inventory, keep: &[usize]) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for &u in keep {
        let range = inventory.entries[u].range.clone();
        match runs.last_mut() {
            Some(last)
                if source.text[last.end..range.start].trim().is_empty()
                    && inventory.entries[..u]
                        .iter()
                        .rev()
                        .take_while(|e| e.range.end > last.end)
                        .all(|e| e.kind == Kind::Use) =>
            {
                last.end = range.end;
            }
            _ => runs.push(range),
        }
    }
    runs
}

/// The byte ranges a unit's code is made of, in order: the kept `use` declarations (adjacent
/// ones as one run), then the unit's items. The code is these slices joined by one blank line.
pub fn unit_slices(
    source: &SourceFile,
    inventory: &Inventory,
    selection: &Selection,
    unit: &Unit,
    identifiers: &BTreeMap<usize, BTreeSet<String>>,
    imports: Imports,
) -> Vec<Range<usize>> {
    let kept_uses: Vec<usize> = match imports {
        Imports::None => Vec::new(),
        Imports::All => selection.uses.clone(),
        Imports::Used => {
            let used: BTreeSet<&str> = unit
                .entries
                .iter()
                .flat_map(|e| identifiers.get(e).into_iter().flatten())
                .map(String::as_str)
                .collect();
            selection
                .uses
                .iter()
                .copied()
                .filter(|&u| {
                    inventory
                        .names_brought_in(u)
                        .iter()
                        .any(|leaf| leaf.as_deref().is_some_and(|name| used.contains(name)))
                })
                .collect()
        }
    };
    let mut slices = use_runs(source, inventory, &kept_uses);
    slices.extend(
        unit.entries
            .iter()
            .map(|&e| inventory.entries[e].range.clone()),
    );
    slices
}

/// What a unit is, for the purpose of asking for it and reasoning about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Handler,
    Chain,
    Helper,
    Check,
    Validator,
    Body,
    Query,
    Response,
    Model,
    TraitImpl,
    InherentImpl,
    /// A small function named from an attribute (a serde default, a schemars example).
    AttrHelper,
    /// A `const` or `static` no other unit took in.
    Constant,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Handler => "handler",
            Role::Chain => "chain",
            Role::Helper => "helper",
            Role::Check => "check",
            Role::Validator => "validator",
            Role::Body => "body",
            Role::Query => "query",
            Role::Response => "response",
            Role::Model => "model",
            Role::TraitImpl => "trait_impl",
            Role::InherentImpl => "inherent_impl",
            Role::AttrHelper => "attr_helper",
            Role::Constant => "constant",
        }
    }

    /// A struct's role: its fields are what it is about.
    pub fn is_struct(self) -> bool {
        matches!(
            self,
            Role::Body | Role::Query | Role::Response | Role::Model
        )
    }

    /// Units worth more examples when the default plan has room for extra ones.
    pub fn priority(self) -> u8 {
        match self {
            Role::Chain => 0,
            Role::Handler => 1,
            Role::Helper => 2,
            Role::Body => 3,
            _ => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::profile::Profile;

    /// Each unit's key, for a source under the message-creation profile.
    fn units_of(text: &str) -> String {
        let source = SourceFile::from_text(Path::new("t.rs"), text.to_owned());
        let file = source.parse().unwrap();
        let inventory = Inventory::new(&source, &file);
        let profile = Profile::load(crate::profile::DEFAULT).unwrap();
        let selection =
            select::select_creation_items(&inventory, &profile.file.roots, &[]).unwrap();
        let names = facts::LocalNames {
            fns: inventory
                .entries
                .iter()
                .filter(|e| e.kind == Kind::Fn)
                .map(|e| e.name.clone())
                .collect(),
            types: Default::default(),
            methods: None,
        };
        let facts: BTreeMap<usize, Vec<Fact>> = selection
            .items
            .iter()
            .map(|s| {
                let e = &inventory.entries[s.entry];
                (
                    s.entry,
                    facts::item_facts(
                        &crate::extract::source::Located::whole(&source),
                        &file.items[e.item.index],
                        e.node.clone(),
                        &names,
                    ),
                )
            })
            .collect();
        build_units(&inventory, &selection, &facts)
            .iter()
            .map(|u| u.key(&inventory))
            .collect::<Vec<_>>()
            .join("\n")
    }

    const SOURCE: &str = r#"
fn default_true() -> bool { true }

fn long_default() -> u32 {
    let a = 1;
    let b = 2;
    let c = 3;
    let d = 4;
    a + b + c + d
}

#[derive(Deserialize)]
pub struct MsgIn {
    #[serde(default = "default_true")]
    a: bool,
    #[serde(default = "long_default")]
    b: u32,
    payload: Payload,
}

pub struct Payload(Box<RawValue>);
impl PartialEq for Payload { fn eq(&self, o: &Self) -> bool { true } }
impl Eq for Payload {}

async fn create(ValidatedJson(data): ValidatedJson<MsgIn>) -> Result<Json<u8>> {
    inner(data).await
}

async fn inner(data: MsgIn) -> Result<Json<u8>> { todo!() }

fn router() -> Router { Router::new().route("/app/{app_id}/msg", post(create)) }
"#;

    #[test]
    fn a_type_and_its_small_impls_and_short_helpers_are_one_unit_and_roots_get_a_chain() {
        insta::assert_snapshot!(units_of(SOURCE), @r"
        item:long_default
        item:default_true+MsgIn
        item:Payload+impl PartialEq for Payload+impl Eq for Payload
        item:create
        item:inner
        chain:create+inner
        ");
    }

    /// A constant goes where the item that uses it goes: `MAX` is used by a small impl folded
    /// into its type's unit, `HALF` by `MAX` and `DEFAULT` by a trivial serde default. It used to
    /// stand alone, a unit whose reasoning could say only that it is a constant.
    #[test]
    fn a_constant_follows_its_user_into_the_unit_that_user_joined() {
        let source = r#"
const HALF: usize = 2;
const MAX: usize = 10 * HALF;
const DEFAULT: u32 = 7;

fn default_limit() -> u32 { DEFAULT }

#[derive(Deserialize)]
pub struct NoteIn {
    #[serde(default = "default_limit")]
    limit: u32,
}

pub struct NoteOut { size: usize }

impl NoteOut {
    fn of(n: usize) -> Self { Self { size: n.min(MAX) } }
}

async fn create(ValidatedJson(data): ValidatedJson<NoteIn>) -> Result<Json<NoteOut>> {
    Ok(Json(NoteOut::of(1)))
}

fn router() -> Router { Router::new().route("/app/{app_id}/msg", post(create)) }
"#;
        insta::assert_snapshot!(units_of(source), @r"
        item:DEFAULT+default_limit+NoteIn
        item:HALF+MAX+NoteOut+impl NoteOut
        item:create
        ");
    }

    #[test]
    fn the_default_plan_reaches_twenty_giving_extras_to_chains_then_larger_units() {
        // Few units: each is capped at 2, so fewer than 20 in all.
        let roles = [Role::Body, Role::Chain, Role::Handler, Role::Model];
        assert_eq!(plan_variants(&roles, &[9; 4], None), vec![2, 2, 2, 2]);
        let roles = [
            Role::Body,
            Role::Model,
            Role::Chain,
            Role::Handler,
            Role::Helper,
            Role::Query,
        ];
        assert_eq!(plan_variants(&roles, &[1; 6], None), vec![2; 6]);
        assert_eq!(plan_variants(&roles, &[1; 6], Some(3)), vec![3; 6]);
        // Fourteen units: one each, and the 6 extra ones to the chain, handler and helper
        // first, then the larger units.
        let mut roles = vec![Role::Model; 14];
        roles[5] = Role::Chain;
        roles[9] = Role::Handler;
        let mut sizes = vec![5; 14];
        sizes[13] = 40;
        let plan = plan_variants(&roles, &sizes, None);
        assert_eq!(plan, vec![2, 2, 2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2]);
        // Many units: 20 / 12 = 1 each; among units of one rank the larger gets an extra first.
        let mut sizes = [5; 12];
        sizes[11] = 40;
        let plan = plan_variants(&[Role::Model; 12], &sizes, None);
        assert_eq!(plan, vec![2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2]);
    }
}
