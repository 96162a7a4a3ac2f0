//! How selected items group into units, the code of one example each: one top-level item per
//! unit, trivial serde/schemars helpers and marker impls folded into the unit they serve, and one
//! composite unit per root holding its same-file call chain.

use std::collections::BTreeMap;

use crate::facts::Fact;
use crate::select::{Inventory, Kind, Selection};

/// Helpers this short join the unit that names them instead of standing alone: at most this many
/// statements, spread over at most `TRIVIAL_BODY_LINES` lines (a `json!` literal is one statement
/// over several lines).
const TRIVIAL_STATEMENTS: usize = 3;
const TRIVIAL_BODY_LINES: usize = 5;

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
    let syn::Item::Fn(f) = e.item else {
        return false;
    };
    // Signature line and closing brace line are not body.
    let body_lines = (e.lines.1 - e.lines.0).saturating_sub(1).max(1);
    f.block.stmts.len() <= TRIVIAL_STATEMENTS && body_lines <= TRIVIAL_BODY_LINES
}

pub fn build_units(
    inventory: &Inventory,
    selection: &Selection,
    facts: &BTreeMap<usize, Vec<Fact>>,
) -> Vec<Unit> {
    let selected: Vec<usize> = selection.items.iter().map(|s| s.entry).collect();
    let fn_named = |name: &str| inventory.fn_index(name).filter(|i| selected.contains(i));

    // Trivial helpers, and which struct units name them.
    let mut helpers_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut trivial: Vec<usize> = Vec::new();
    for &entry in &selected {
        for fact in facts.get(&entry).into_iter().flatten() {
            if let Fact::Field(field) = fact {
                for name in field.default_fn.iter().chain(field.example_fn.iter()) {
                    if let Some(helper) = fn_named(name)
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

    // Marker impls (`impl Eq for T {}`) join the next impl of the same type, else the type.
    let mut joined_to: BTreeMap<usize, usize> = BTreeMap::new();
    for &entry in &selected {
        let e = &inventory.entries[entry];
        let is_marker =
            matches!(e.item, syn::Item::Impl(i) if i.trait_.is_some() && i.items.is_empty());
        if !is_marker {
            continue;
        }
        let Some(ty) = &e.self_ty else { continue };
        let host = inventory
            .impls_of(ty)
            .iter()
            .copied()
            .find(|&i| i > entry && selected.contains(&i) && !is_marker_impl(inventory, i))
            .or_else(|| inventory.type_index(ty).filter(|t| selected.contains(t)));
        if let Some(host) = host {
            joined_to.insert(entry, host);
        }
    }

    // Constants join the unit of the item that led to them (a description beside a handler in
    // the router, a limit used by a method).
    for s in &selection.items {
        let kind = inventory.entries[s.entry].kind;
        if !matches!(kind, Kind::Const | Kind::Static) {
            continue;
        }
        let host = s.reason.subject().and_then(|name| {
            selected
                .iter()
                .copied()
                .find(|&i| inventory.entries[i].name == name && !joined_to.contains_key(&i))
        });
        if let Some(host) = host {
            joined_to.insert(s.entry, host);
        }
    }

    let mut units = Vec::new();
    for &entry in &selected {
        if trivial.contains(&entry) || joined_to.contains_key(&entry) {
            continue;
        }
        if inventory.entries[entry].kind == Kind::Use {
            continue;
        }
        let mut entries = vec![entry];
        entries.extend(helpers_of.get(&entry).into_iter().flatten().copied());
        entries.extend(
            joined_to
                .iter()
                .filter(|&(_, &host)| host == entry)
                .map(|(&marker, _)| marker),
        );
        entries.sort_unstable();
        entries.dedup();
        units.push(Unit {
            kind: UnitKind::Item,
            primary: entry,
            entries,
        });
    }

    for &root in &selection.roots {
        let mut chain = vec![root];
        let mut i = 0;
        while i < chain.len() {
            for fact in facts.get(&chain[i]).into_iter().flatten() {
                if let Fact::Delegates { callee, .. } = fact
                    && let Some(f) = fn_named(callee)
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

fn is_marker_impl(inventory: &Inventory, entry: usize) -> bool {
    matches!(inventory.entries[entry].item, syn::Item::Impl(i) if i.trait_.is_some() && i.items.is_empty())
}
