//! Reasoning rules: the insights that take more than one fact to see (why `ref db` is borrowed
//! while the queue handle is moved, why a path parameter is validated by hand, why the queue
//! send comes after the transaction). A rule is data, kept in the profile's templates: its id,
//! the signals it needs and the sentences it yields. A signal is a named reading of a unit's
//! facts, defined here once; a rule fires for an item when every signal it needs reads true
//! there, and its sentence is filled from what those signals read.

use serde::{Deserialize, Serialize};

use std::collections::{HashMap, HashSet};

use crate::extract::facts::{Fact, FieldFact};

/// One rule as written in a rules file (`templates/rules.toml`, or a profile's `[[rules]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// What the rule explains, for the people who edit rules.
    pub about: String,
    /// The signals that must all read true, by name (see [`SIGNALS`]); `!name` must read false.
    pub needs: Vec<String>,
    /// Fact kinds whose plain sentences this rule's sentence stands in for.
    #[serde(default)]
    pub replaces: Vec<String>,
    /// The sentence's variants; `{name}` is filled from the signals' readings.
    pub say: Vec<String>,
    /// The same insight as a request would state the need: a detail line's variants.
    #[serde(default)]
    pub ask: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<Rule>,
}

/// The shared rules, worded in the profiles' vocabulary.
const SHARED_RULES: &str = include_str!("../../../templates/rules.toml");

/// The shared rules with a profile's own in place of those of the same id, and its new ones
/// after them; checked against the signal table and the fact kinds.
pub fn load(own: &[Rule]) -> Result<Vec<Rule>, String> {
    // Parsed once: a run over every route loads a profile per operation.
    static SHARED: std::sync::OnceLock<Result<Vec<Rule>, String>> = std::sync::OnceLock::new();
    let shared = SHARED.get_or_init(|| {
        toml::from_str::<RuleFile>(SHARED_RULES)
            .map(|file| file.rule)
            .map_err(|e| format!("templates/rules.toml: {}", e.to_string().trim_end()))
    });
    let mut rules = shared.clone()?;
    for rule in own {
        match rules.iter_mut().find(|r| r.id == rule.id) {
            Some(shared) => *shared = rule.clone(),
            None => rules.push(rule.clone()),
        }
    }
    check(&rules)?;
    Ok(rules)
}

fn check(rules: &[Rule]) -> Result<(), String> {
    for (i, rule) in rules.iter().enumerate() {
        if rules[..i].iter().any(|r| r.id == rule.id) {
            return Err(format!("rule {} is defined twice", rule.id));
        }
        if rule.say.is_empty() {
            return Err(format!("rule {} says nothing", rule.id));
        }
        if rule.needs.is_empty() {
            return Err(format!("rule {} needs no signal", rule.id));
        }
        for need in &rule.needs {
            let need = need.strip_prefix('!').unwrap_or(need);
            if !SIGNALS.iter().any(|s| s.name == need) {
                return Err(format!("rule {} needs an unknown signal: {need}", rule.id));
            }
        }
        for kind in &rule.replaces {
            if !Fact::KINDS.contains(&kind.as_str()) {
                return Err(format!(
                    "rule {} replaces an unknown fact kind: {kind}",
                    rule.id
                ));
            }
        }
    }
    Ok(())
}

/// The placeholders a rule's sentences may name besides the vocabulary: what the signals it
/// needs read (a `!signal` reads nothing).
pub fn fills(rule: &Rule) -> Vec<&'static str> {
    let mut fills = Vec::new();
    for need in &rule.needs {
        let Some(signal) = SIGNALS.iter().find(|s| s.name == need.as_str()) else {
            continue;
        };
        for give in signal.gives {
            if !fills.contains(give) {
                fills.push(*give);
            }
        }
    }
    fills
}

/// What a signal read: values to fill a rule's sentence with.
pub type Vars = Vec<(&'static str, String)>;

/// Where a rule is evaluated: one item of a unit, with the rest of the unit and of the file
/// in view.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub facts: &'a [Fact],
    /// Every item of the unit with its facts, in source order.
    pub unit: &'a [(String, &'a [Fact])],
    /// What rules may look up beyond the unit, across every selected item of the file.
    pub file: &'a FileFacts,
}

/// What rules and requests look up across a file's selected items, indexed once per file so
/// that a lookup costs the same whatever the file's size.
#[derive(Debug, Default)]
pub struct FileFacts {
    /// The newtypes over raw JSON the file defines, in order.
    raw_json: Vec<String>,
    /// Each validator's condition and first error message, from the first validator of that
    /// name that has one.
    conditions: HashMap<String, String>,
    messages: HashMap<String, String>,
    /// Validators some field names in `custom(function = ..)`.
    named_validators: HashSet<String>,
    /// The words of the field types of every item that derives `Eq`.
    held_by_eq: HashSet<String>,
    /// The functions some item's whole body is a call of (`create_message_inner`).
    delegated_whole: HashSet<String>,
    /// The type words some function returns inside a `ListResponse<..>`, and those it returns
    /// otherwise (`Json<MessageOut>`).
    listed: HashSet<String>,
    returned: HashSet<String>,
}

impl FileFacts {
    /// The index of every selected item's facts: its own copy of what it needs, so that a
    /// writer keeps it for a whole file.
    pub fn new<'a>(file: impl IntoIterator<Item = &'a [Fact]>) -> FileFacts {
        let mut index = FileFacts::default();
        for facts in file {
            let derives_eq = facts
                .iter()
                .any(|f| matches!(f, Fact::Derives { list, .. } if list.iter().any(|d| d == "Eq")));
            for fact in facts {
                match fact {
                    Fact::Newtype {
                        item,
                        raw_json: true,
                        ..
                    } => index.raw_json.push(item.clone()),
                    Fact::ValidatorFn {
                        name,
                        condition,
                        messages,
                        ..
                    } => {
                        if let Some(condition) = condition
                            && !index.conditions.contains_key(name)
                        {
                            index.conditions.insert(name.clone(), condition.clone());
                        }
                        if let Some(message) = messages.first()
                            && !index.messages.contains_key(name)
                        {
                            index.messages.insert(name.clone(), message.clone());
                        }
                    }
                    Fact::Delegates {
                        callee,
                        whole_body: true,
                        ..
                    } => {
                        index.delegated_whole.insert(callee.clone());
                    }
                    Fact::Returns { ty, .. } => {
                        let mut rest = ty.as_str();
                        let mut words = |text: &str| {
                            text.split(|c: char| !c.is_alphanumeric() && c != '_')
                                .filter(|w| !w.is_empty())
                                .for_each(|w| {
                                    index.returned.insert(w.to_owned());
                                })
                        };
                        while let Some(at) = rest.find("ListResponse<") {
                            words(&rest[..at]);
                            let after = &rest[at + "ListResponse<".len()..];
                            let end = after
                                .find(|c: char| !c.is_alphanumeric() && c != '_')
                                .unwrap_or(after.len());
                            index.listed.insert(after[..end].to_owned());
                            rest = &after[end..];
                        }
                        words(rest);
                    }
                    Fact::Field(field) => {
                        index
                            .named_validators
                            .extend(field.validate_fns.iter().cloned());
                        if derives_eq {
                            index.held_by_eq.extend(
                                field
                                    .ty
                                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                                    .filter(|w| !w.is_empty())
                                    .map(str::to_owned),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        index
    }

    /// The condition of the file's validator `name`.
    pub fn condition_of(&self, name: &str) -> Option<&str> {
        self.conditions.get(name).map(String::as_str)
    }

    /// Whether some selected item's whole body is a call of `name`.
    pub fn delegated_whole(&self, name: &str) -> bool {
        self.delegated_whole.contains(name)
    }

    /// Whether functions return `name` only as the items of a `ListResponse`: a page of them,
    /// never one alone.
    pub fn only_listed(&self, name: &str) -> bool {
        self.listed.contains(name) && !self.returned.contains(name)
    }

    /// The first error message of the file's validator `name`.
    pub fn message_of(&self, name: &str) -> Option<&str> {
        self.messages.get(name).map(String::as_str)
    }
}

impl<'a> Scope<'a> {
    fn unit_facts(&self) -> impl Iterator<Item = &'a Fact> + 'a {
        self.unit.iter().flat_map(|(_, facts)| facts.iter())
    }

    /// Whether the item derives `name` (`Serialize`, or a path ending in it).
    fn derives(&self, name: &str) -> bool {
        self.facts.iter().any(|f| {
            matches!(f, Fact::Derives { list, .. }
                if list.iter().any(|d| d == name || d.ends_with(&format!("::{name}"))))
        })
    }

    fn fields(&self) -> impl Iterator<Item = &'a FieldFact> + 'a {
        self.facts.iter().filter_map(|f| match f {
            Fact::Field(field) => Some(field),
            _ => None,
        })
    }

    /// The newtypes over raw JSON the file defines.
    fn raw_json_types(&self) -> Vec<&'a str> {
        self.file.raw_json.iter().map(String::as_str).collect()
    }
}

/// A named reading of a scope: None when it does not hold.
pub struct Signal {
    pub name: &'static str,
    /// The values it reads when it holds, by the placeholder they fill: exactly these, so a
    /// rule's sentences may name them (checked when a profile loads) and find them filled.
    pub gives: &'static [&'static str],
    /// What it reads true on, for people writing rules.
    pub doc: &'static str,
    read: fn(&Scope) -> Option<Vars>,
}

fn tick(text: &str) -> String {
    format!("`{text}`")
}

fn ticked_list(items: &[String]) -> String {
    let ticked: Vec<String> = items.iter().map(|i| tick(i)).collect();
    match ticked.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A small count in words, for "the two columns".
pub(crate) fn count_word(n: usize) -> String {
    const WORDS: [&str; 9] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    ];
    WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

fn position(facts: &[Fact], pred: impl Fn(&Fact) -> bool) -> Option<usize> {
    facts.iter().position(pred)
}

/// What serde's `rename_all` makes of a snake_case field name, for the common rules; an
/// unknown rule leaves the name as it is.
pub(crate) fn renamed(name: &str, rule: &str) -> String {
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    let capital = |w: &str| {
        let mut chars = w.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect::<String>())
            .unwrap_or_default()
    };
    match rule {
        "camelCase" => words
            .iter()
            .enumerate()
            .map(|(i, w)| if i == 0 { w.to_string() } else { capital(w) })
            .collect(),
        "PascalCase" => words.iter().map(|w| capital(w)).collect(),
        "kebab-case" => words.join("-"),
        "SCREAMING_SNAKE_CASE" => name.to_uppercase(),
        "lowercase" => name.replace('_', ""),
        "UPPERCASE" => name.replace('_', "").to_uppercase(),
        _ => name.to_owned(),
    }
}

/// Numbers written in a text (`length(min = 1, max = 5)` → 1, 5).
fn numbers(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every signal, by name. A rule may only name these.
pub const SIGNALS: &[Signal] = &[
    Signal {
        name: "state_ref",
        gives: &["ref_binding", "ref_name"],
        doc: "a State binding is taken by reference (`ref db`)",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::State { bindings, .. } => bindings.iter().find(|b| b.by_ref).map(|b| {
                    vec![
                        ("ref_binding", b.text.clone()),
                        ("ref_name", b.name.clone()),
                    ]
                }),
                _ => None,
            })
        },
    },
    Signal {
        name: "state_moved",
        gives: &["moved"],
        doc: "some State bindings are taken by value",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::State { bindings, .. } => {
                    let moved: Vec<String> = bindings
                        .iter()
                        .filter(|b| !b.by_ref)
                        .map(|b| b.name.clone())
                        .collect();
                    (!moved.is_empty()).then(|| vec![("moved", ticked_list(&moved))])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "hands_moved_to_callee",
        gives: &["callee"],
        doc: "every by-value State binding is an argument of the call to a same-file function",
        read: |s| {
            let moved: Vec<&str> = s
                .facts
                .iter()
                .find_map(|f| match f {
                    Fact::State { bindings, .. } => Some(
                        bindings
                            .iter()
                            .filter(|b| !b.by_ref)
                            .map(|b| b.name.as_str())
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default();
            // `let queue_tx = queue_tx.clone();`: the callee gets a clone, not the moved value.
            let cloned = s.facts.iter().any(|f| {
                matches!(f, Fact::ReadFrom { receiver, expr, .. }
                    if moved.contains(&receiver.as_str()) && expr.ends_with(".clone()"))
            });
            if moved.is_empty() || cloned {
                return None;
            }
            s.facts.iter().find_map(|f| match f {
                Fact::Delegates { callee, args, .. }
                    if moved.iter().all(|m| args.iter().any(|a| a == m)) =>
                {
                    Some(vec![("callee", callee.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "callee_borrows_only_the_ref",
        gives: &["callee"],
        doc: "the unit shows the called function's signature: the by-reference binding is a \
              reference parameter there and the moved ones are not",
        read: |s| {
            let (ref_name, moved): (&str, Vec<&str>) = s.facts.iter().find_map(|f| match f {
                Fact::State { bindings, .. } => {
                    let r = bindings.iter().find(|b| b.by_ref)?;
                    Some((
                        r.name.as_str(),
                        bindings
                            .iter()
                            .filter(|b| !b.by_ref)
                            .map(|b| b.name.as_str())
                            .collect(),
                    ))
                }
                _ => None,
            })?;
            let callee = s.facts.iter().find_map(|f| match f {
                Fact::Delegates { callee, .. } => Some(callee.as_str()),
                _ => None,
            })?;
            let (_, callee_facts) = s.unit.iter().find(|(name, _)| name == callee)?;
            callee_facts.iter().find_map(|f| match f {
                Fact::Signature {
                    params, ref_params, ..
                } if ref_params.iter().any(|p| p == ref_name)
                    && moved.iter().all(|m| {
                        params.iter().any(|p| p == m) && !ref_params.contains(&m.to_string())
                    }) =>
                {
                    Some(vec![("callee", callee.to_owned())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "org_permission",
        gives: &["permission"],
        doc: "authorization is an organization-level permission extractor",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Permission { ty, .. } if ty.ends_with("Organization") => {
                    Some(vec![("permission", ty.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "app_in_path",
        gives: &["path_field"],
        doc: "a Path extractor binds an application id",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Extractor {
                    role: crate::extract::facts::ExtractorRole::Path,
                    fields,
                    ..
                } => fields
                    .iter()
                    .find(|field| field.starts_with("app"))
                    .map(|field| vec![("path_field", field.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "passes_path_on",
        gives: &["callee"],
        doc: "the whole body is a call to a same-file function that gets the path binding",
        read: |s| {
            let path_field = s.facts.iter().find_map(|f| match f {
                Fact::Extractor {
                    role: crate::extract::facts::ExtractorRole::Path,
                    fields,
                    ..
                } => fields.first().cloned(),
                _ => None,
            })?;
            s.facts.iter().find_map(|f| match f {
                Fact::Delegates {
                    callee,
                    whole_body: true,
                    args,
                } if args.contains(&path_field) => Some(vec![("callee", callee.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "creates_missing_app",
        gives: &["create_fn"],
        doc: "the unit answers a missing record with not_found and also calls a create_app… \
              function",
        read: |s| {
            let not_found = s
                .unit_facts()
                .any(|f| matches!(f, Fact::ErrorCtor { path, .. } if path.ends_with("not_found")));
            // Creating is what happens when the lookup finds nothing: a branch, by nature.
            let create = s
                .unit_facts()
                .map(Fact::on_any_path)
                .find_map(|f| match f {
                    Fact::CrateHelper { name } | Fact::Delegates { callee: name, .. }
                        if name.starts_with("create_app") =>
                    {
                        Some(name.clone())
                    }
                    _ => None,
                })?;
            not_found.then(|| vec![("create_fn", create)])
        },
    },
    Signal {
        name: "validates_param_by_hand",
        gives: &["receiver"],
        doc: "`x.validate()` is called on a parameter of the function",
        read: |s| {
            let params: Vec<&String> = s
                .facts
                .iter()
                .filter_map(|f| match f {
                    Fact::Signature { params, .. } => Some(params.iter()),
                    _ => None,
                })
                .flatten()
                .collect();
            s.facts.iter().find_map(|f| match f {
                Fact::ValidateCall { receiver, .. } if params.contains(&receiver) => {
                    Some(vec![("receiver", receiver.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "validation_error_in_path",
        gives: &["location", "error_ctor"],
        doc: "the errors of a `.validate()` call are mapped with a \"path\" location and an \
              unprocessable-entity constructor",
        read: |s| {
            let ctor = s.facts.iter().find_map(|f| match f {
                Fact::ErrorCtor { path, .. } if path.ends_with("unprocessable_entity") => {
                    Some(path.clone())
                }
                _ => None,
            })?;
            s.facts.iter().find_map(|f| match f {
                Fact::ValidateCall { locations, .. } if locations.iter().any(|l| l == "path") => {
                    Some(vec![
                        ("location", "\"path\"".to_owned()),
                        ("error_ctor", ctor.clone()),
                    ])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "reads_before_move",
        gives: &["read_name", "read_expr", "receiver", "base"],
        doc: "a value is read from a binding before a struct literal's `..binding.into()` \
              moves it",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::ReadFrom {
                    name,
                    receiver,
                    expr,
                } => s.facts.iter().find_map(|g| match g {
                    Fact::ActiveModel {
                        base: Some(base), ..
                    } if *base == format!("{receiver}.into()") => Some(vec![
                        ("read_name", name.clone()),
                        ("read_expr", expr.clone()),
                        ("receiver", receiver.clone()),
                        ("base", base.clone()),
                    ]),
                    _ => None,
                }),
                _ => None,
            })
        },
    },
    Signal {
        name: "queue_after_transaction",
        gives: &["queue"],
        doc: "the queue send comes after the transaction in the code",
        read: |s| {
            let txn = position(s.facts, |f| matches!(f, Fact::Transaction { .. }))?;
            let send = position(s.facts, |f| matches!(f, Fact::QueueSend { .. }))?;
            let queue = match &s.facts[send] {
                Fact::QueueSend { queue, .. } => queue.clone(),
                _ => return None,
            };
            (txn < send).then(|| vec![("queue", queue)])
        },
    },
    Signal {
        name: "writes_together",
        gives: &["inserts", "txn_method"],
        doc: "a transaction closure inserts two or more rows",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Transaction { method, inserts } if inserts.len() >= 2 => Some(vec![
                    ("inserts", ticked_list(inserts)),
                    ("txn_method", method.clone()),
                ]),
                _ => None,
            })
        },
    },
    Signal {
        name: "insert_conflict",
        gives: &["via"],
        doc: "an insert's error is mapped through a conflict helper",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Conflict { via } => Some(vec![("via", via.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "status_202",
        gives: &["status_ty"],
        doc: "the return type fixes the status at 202",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Returns {
                    ty,
                    status: Some(status),
                    ..
                } if status == "202" => Some(vec![("status_ty", ty.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "queue_in_unit",
        gives: &["queue"],
        doc: "some item of the unit sends on a queue",
        read: |s| {
            s.unit_facts().find_map(|f| match f {
                Fact::QueueSend { queue, .. } => Some(vec![("queue", queue.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "cache_with_ttl",
        gives: &["cache_call", "ttl"],
        doc: "a cached fetch with an explicit time to live",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::CacheFetch {
                    call,
                    ttl: Some(ttl),
                } => Some(vec![("cache_call", call.clone()), ("ttl", ttl.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "aide_doc_description",
        gives: &["attr", "op_id", "item"],
        doc: "an aide annotation on an item with a doc comment of several lines",
        read: |s| {
            let long_doc = s
                .facts
                .iter()
                .any(|f| matches!(f, Fact::Doc { lines, .. } if *lines > 1));
            // Without an `op_id`, `aide_annotate` names the operation after the function.
            let vars = s.facts.iter().find_map(|f| match f {
                Fact::AideAnnotate { item, op_id, attr } => Some(vec![
                    ("attr", attr.clone()),
                    ("op_id", if op_id.is_empty() { item } else { op_id }.clone()),
                    ("item", item.clone()),
                ]),
                _ => None,
            })?;
            long_doc.then_some(vars)
        },
    },
    Signal {
        name: "renamed_under_rename_all",
        gives: &["rename_all", "field", "wire"],
        doc: "a container rename_all and a field with a rename of its own",
        read: |s| {
            let rename_all = s.facts.iter().find_map(|f| match f {
                Fact::SerdeContainer { rename_all } => Some(rename_all.clone()),
                _ => None,
            })?;
            s.fields().find_map(|field| {
                let wire = field.rename.as_ref()?;
                (*wire != renamed(&field.name, &rename_all)).then(|| {
                    vec![
                        ("rename_all", rename_all.clone()),
                        ("field", field.name.clone()),
                        ("wire", wire.clone()),
                    ]
                })
            })
        },
    },
    Signal {
        name: "aliased_field",
        gives: &["field", "aliases"],
        doc: "a field with serde aliases other than its own name",
        read: |s| {
            s.fields().find_map(|field| {
                let aliases: Vec<String> = field
                    .aliases
                    .iter()
                    .filter(|a| **a != field.name)
                    .cloned()
                    .collect();
                (!aliases.is_empty()).then(|| {
                    vec![
                        ("field", field.name.clone()),
                        ("aliases", ticked_list(&aliases)),
                    ]
                })
            })
        },
    },
    Signal {
        name: "schema_restates_custom_rule",
        gives: &["field", "schema_rule", "validator"],
        doc: "a field checked by a custom validator whose bounds its schemars attribute \
              repeats (every number of the schema rule stands in the validator's condition)",
        read: |s| {
            s.fields().find_map(|field| {
                let rule = field
                    .schema_args
                    .iter()
                    .find(|a| a.starts_with("length("))?;
                let validator = field.validate_fns.first()?;
                let condition = s.file.condition_of(validator)?;
                let wanted = numbers(rule);
                let have = numbers(condition);
                (!wanted.is_empty() && wanted.iter().all(|n| have.contains(n))).then(|| {
                    vec![
                        ("field", field.name.clone()),
                        ("schema_rule", rule.clone()),
                        ("validator", validator.clone()),
                    ]
                })
            })
        },
    },
    Signal {
        name: "schema_hidden_field",
        gives: &["field"],
        doc: "a field kept out of the schema with schemars skip",
        read: |s| {
            s.fields().find_map(|field| {
                field
                    .schema_skip
                    .then(|| vec![("field", field.name.clone())])
            })
        },
    },
    Signal {
        name: "deserialized_only",
        gives: &[],
        doc: "the item derives serde's Deserialize and not Serialize: it is only ever read",
        read: |s| (s.derives("Deserialize") && !s.derives("Serialize")).then(Vec::new),
    },
    Signal {
        name: "serialized_only",
        gives: &[],
        doc: "the item derives serde's Serialize and not Deserialize: it is only ever written",
        read: |s| (s.derives("Serialize") && !s.derives("Deserialize")).then(Vec::new),
    },
    Signal {
        name: "serde_both_ways",
        gives: &[],
        doc: "the item derives both Serialize and Deserialize: nothing in the derives says \
              whether it is read or written",
        read: |s| (s.derives("Serialize") && s.derives("Deserialize")).then(Vec::new),
    },
    Signal {
        name: "default_is_example",
        gives: &["field", "default_fn"],
        doc: "one function is a field's serde default and its schemars example",
        read: |s| {
            s.fields()
                .find_map(|field| match (&field.default_fn, &field.example_fn) {
                    (Some(default), Some(example)) if default == example => Some(vec![
                        ("field", field.name.clone()),
                        ("default_fn", default.clone()),
                    ]),
                    _ => None,
                })
        },
    },
    Signal {
        name: "bounded_with_default",
        gives: &["field", "range", "default_fn"],
        doc: "a field with a range rule and a serde default",
        read: |s| {
            s.fields().find_map(|field| {
                let range = field.validate.iter().find(|v| v.starts_with("range("))?;
                let default = field.default_fn.as_ref()?;
                Some(vec![
                    ("field", field.name.clone()),
                    ("range", range.clone()),
                    ("default_fn", default.clone()),
                ])
            })
        },
    },
    Signal {
        name: "nested_validation",
        gives: &["nested"],
        doc: "fields validated with `nested`",
        read: |s| {
            let nested: Vec<String> = s
                .fields()
                .filter(|f| f.validate.iter().any(|v| v == "nested"))
                .map(|f| f.name.clone())
                .collect();
            (!nested.is_empty()).then(|| vec![("nested", ticked_list(&nested))])
        },
    },
    Signal {
        name: "omitted_when_none",
        gives: &["omitted"],
        doc: "fields of a serialized type left out of the output when they are None",
        read: |s| {
            if !s.derives("Serialize") {
                return None;
            }
            let omitted: Vec<String> = s
                .fields()
                .filter(|f| f.skip_serializing_if.as_deref() == Some("Option::is_none"))
                .map(|f| f.name.clone())
                .collect();
            (!omitted.is_empty()).then(|| vec![("omitted", ticked_list(&omitted))])
        },
    },
    Signal {
        name: "raw_json_newtype",
        gives: &["item", "inner"],
        doc: "a newtype over serde_json's RawValue",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Newtype {
                    item,
                    inner,
                    raw_json: true,
                } => Some(vec![("item", item.clone()), ("inner", inner.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "eq_by_hand_for_raw_json",
        gives: &["self_ty", "eq_body"],
        doc: "PartialEq is written by hand (and Eq is a marker impl) for a raw-JSON newtype that \
              another type of the file holds in a field while deriving Eq",
        read: |s| {
            // Read at the `Eq` marker or the `PartialEq` impl, whichever comes first, so the
            // sentence stands in for the marker's own.
            let raw = s.raw_json_types();
            let self_ty = s.facts.iter().find_map(|f| match f {
                Fact::TraitImpl {
                    trait_name,
                    self_ty,
                    ..
                }
                | Fact::MarkerImpl {
                    trait_name,
                    self_ty,
                } if (trait_name == "PartialEq" || trait_name == "Eq")
                    && raw.contains(&self_ty.as_str()) =>
                {
                    Some(self_ty.clone())
                }
                _ => None,
            })?;
            let eq_body = s.unit_facts().find_map(|f| match f {
                Fact::Method {
                    name,
                    body: Some(body),
                    ..
                } if name == "eq" => Some(body.clone()),
                _ => None,
            })?;
            let partial_eq = s.unit_facts().any(|f| {
                matches!(f, Fact::TraitImpl { trait_name, self_ty: t, .. } if trait_name == "PartialEq" && *t == self_ty)
            });
            if !partial_eq {
                return None;
            }
            let marker = s.unit_facts().any(|f| {
                matches!(f, Fact::MarkerImpl { trait_name, self_ty: t } if trait_name == "Eq" && *t == self_ty)
            });
            let holder_derives_eq = s.file.held_by_eq.contains(self_ty.as_str());
            (marker && holder_derives_eq).then(|| vec![("self_ty", self_ty), ("eq_body", eq_body)])
        },
    },
    Signal {
        name: "schema_from_json_value",
        gives: &["self_ty", "schema_body"],
        doc: "a hand-written JsonSchema impl whose schema is serde_json::Value's",
        read: |s| {
            let self_ty = s.facts.iter().find_map(|f| match f {
                Fact::TraitImpl {
                    trait_name,
                    self_ty,
                    ..
                } if trait_name.ends_with("JsonSchema") => Some(self_ty.clone()),
                _ => None,
            })?;
            s.facts.iter().find_map(|f| match f {
                Fact::Method {
                    body: Some(body), ..
                } if body.starts_with("serde_json::Value::") => Some(vec![
                    ("self_ty", self_ty.clone()),
                    ("schema_body", body.clone()),
                ]),
                _ => None,
            })
        },
    },
    Signal {
        name: "display_as_text",
        gives: &["self_ty", "display_body"],
        doc: "a hand-written Display impl of a raw-JSON newtype that writes its text",
        read: |s| {
            let raw = s.raw_json_types();
            let self_ty = s.facts.iter().find_map(|f| match f {
                Fact::TraitImpl {
                    trait_name,
                    self_ty,
                    ..
                } if trait_name.ends_with("Display") && raw.contains(&self_ty.as_str()) => {
                    Some(self_ty.clone())
                }
                _ => None,
            })?;
            s.facts.iter().find_map(|f| match f {
                Fact::Method {
                    name,
                    body: Some(body),
                    ..
                } if name == "fmt" && body.contains("write_str(self.0.get())") => Some(vec![
                    ("self_ty", self_ty.clone()),
                    ("display_body", body.clone()),
                ]),
                _ => None,
            })
        },
    },
    Signal {
        name: "object_check_on_raw_json",
        gives: &["condition"],
        doc: "a validator of a raw-JSON newtype whose test is `starts_with('{')`",
        read: |s| {
            let raw = s.raw_json_types();
            s.facts.iter().find_map(|f| match f {
                Fact::ValidatorFn {
                    arg_ty,
                    condition: Some(condition),
                    ..
                } if raw.contains(&arg_ty.as_str()) && condition.contains("starts_with('{')") => {
                    Some(vec![("condition", condition.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "validator_named_by_a_field",
        gives: &["validator"],
        doc: "a field of the file names this validator in `custom(function = ..)`",
        read: |s| {
            let name = s.facts.iter().find_map(|f| match f {
                Fact::ValidatorFn { name, .. } => Some(name.clone()),
                _ => None,
            })?;
            let used = s.file.named_validators.contains(name.as_str());
            used.then(|| vec![("validator", name)])
        },
    },
    Signal {
        name: "model_in_conversion",
        gives: &["self_ty", "set_fields"],
        doc: "a ModelIn impl whose update_model sets columns",
        read: |s| {
            let self_ty = s.facts.iter().find_map(|f| match f {
                Fact::TraitImpl {
                    trait_name,
                    self_ty,
                    ..
                } if trait_name == "ModelIn" => Some(self_ty.clone()),
                _ => None,
            })?;
            s.facts.iter().find_map(|f| match f {
                Fact::SetFields { fields, .. } => Some(vec![
                    ("self_ty", self_ty.clone()),
                    ("set_fields", ticked_list(fields)),
                ]),
                _ => None,
            })
        },
    },
    Signal {
        name: "note_comment",
        gives: &["marker", "comment"],
        doc: "a FIXME, TODO or NOTE comment directly above the item",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::NoteComment { marker, text } => {
                    Some(vec![("marker", marker.clone()), ("comment", text.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "body_comment",
        gives: &["comment"],
        doc: "plain comments of four words or more inside the function's body (up to three), \
              each quoted, in order",
        read: |s| {
            let quotes: Vec<String> = s
                .facts
                .iter()
                .filter_map(|f| match f {
                    Fact::BodyComment { text } => Some(format!("\"{text}\"")),
                    _ => None,
                })
                .collect();
            (!quotes.is_empty()).then(|| vec![("comment", quotes.join("; further on, "))])
        },
    },
    Signal {
        name: "upsert_status",
        gives: &["status_ty"],
        doc: "the return type is JsonStatusUpsert",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Returns { ty, .. } if ty.contains("JsonStatusUpsert") => {
                    Some(vec![("status_ty", ty.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "conflict_answered_early",
        gives: &["conflict_ctor"],
        doc: "a conflict error is built in the body (not only mapped from an insert), by a \
              function that does not itself return an error (an error mapping such as \
              `http_error_on_conflict` builds one after the insert failed)",
        read: |s| {
            let maps_errors = s.facts.iter().any(|f| {
                matches!(f, Fact::Returns { ty, .. }
                    if ty.split(['<', ' ']).next().is_some_and(|t| t.ends_with("Error")))
            });
            if maps_errors {
                return None;
            }
            s.facts.iter().find_map(|f| match f {
                Fact::ErrorCtor { path, .. } if path.ends_with("conflict") => {
                    Some(vec![("conflict_ctor", path.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "conflict_mapped_in_unit",
        gives: &["via"],
        doc: "some item of the unit maps an insert's error through a conflict helper",
        read: |s| {
            s.unit_facts().find_map(|f| match f {
                Fact::Conflict { via } => Some(vec![("via", via.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "writes_rows",
        gives: &[],
        doc: "some item of the unit writes to the database: an insert, an update, a transaction",
        read: |s| {
            s.unit_facts()
                .any(|f| {
                    matches!(
                        f,
                        Fact::Insert { .. } | Fact::Update { .. } | Fact::Transaction { .. }
                    )
                })
                .then(Vec::new)
        },
    },
    Signal {
        name: "null_when_none",
        gives: &["written_null"],
        doc: "a serialized type whose optional fields are partly skipped when None: the others \
              are written as null",
        read: |s| {
            let serialized = s.facts.iter().any(|f| {
                matches!(f, Fact::Derives { list, .. } if list.iter().any(|d| d.ends_with("Serialize")))
            });
            let skipped = s
                .fields()
                .any(|f| f.skip_serializing_if.as_deref() == Some("Option::is_none"));
            let written: Vec<String> = s
                .fields()
                .filter(|f| f.ty.starts_with("Option<") && f.skip_serializing_if.is_none())
                .map(|f| f.name.clone())
                .collect();
            (serialized && skipped && !written.is_empty())
                .then(|| vec![("written_null", ticked_list(&written))])
        },
    },
    Signal {
        name: "overwrites_and_keeps_the_row",
        gives: &[
            "target",
            "field",
            "value",
            "changes",
            "set_columns",
            "columns",
        ],
        doc: "a column set to a fixed value and the row saved with update, where no row is \
              deleted (a function that also deletes keeps the row on one path only); every \
              column the function assigns through `Set` on that row is counted",
        read: |s| {
            let (target, field, value) = s.facts.iter().find_map(|f| match f {
                Fact::SetsValue {
                    target,
                    field,
                    value,
                } => Some((target.clone(), field.clone(), value.clone())),
                _ => None,
            })?;
            let deletes = s.facts.iter().any(|f| matches!(f, Fact::DeleteRow { .. }));
            (!deletes
                && s.facts
                    .iter()
                    .any(|f| matches!(f, Fact::Update { receiver } if *receiver == target)))
            .then(|| {
                // Every column assigned through `Set` on the row, in order, each once.
                let mut set: Vec<String> = Vec::new();
                for f in s.facts {
                    if let Fact::SetFields { target: t, fields } = f
                        && *t == target
                    {
                        for name in fields {
                            if !set.contains(name) {
                                set.push(name.clone());
                            }
                        }
                    }
                }
                if !set.contains(&field) {
                    set.insert(0, field.clone());
                }
                let changes: Vec<String> = set
                    .iter()
                    .map(|name| {
                        let fixed = s.facts.iter().find_map(|f| match f {
                            Fact::SetsValue {
                                target: t,
                                field: c,
                                value,
                            } if *t == target && c == name => Some(value.clone()),
                            _ => None,
                        });
                        match fixed {
                            Some(v) => format!("`{name}` becomes `{v}`"),
                            None => format!("`{name}` is set through `Set`"),
                        }
                    })
                    .collect();
                let changes = match changes.as_slice() {
                    [one] => one.clone(),
                    [init @ .., last] => format!("{} and {last}", init.join(", ")),
                    [] => String::new(),
                };
                let columns = match set.len() {
                    1 => "the one column".to_owned(),
                    n => format!("the {} columns", count_word(n)),
                };
                vec![
                    ("target", target),
                    ("field", field),
                    ("value", value),
                    ("changes", changes),
                    ("set_columns", ticked_list(&set)),
                    ("columns", columns),
                ]
            })
        },
    },
    Signal {
        name: "explicit_commit",
        gives: &["begin"],
        doc: "a transaction opened with begin and committed with commit",
        read: |s| {
            let begin = s.facts.iter().find_map(|f| match f {
                Fact::Transaction { method, .. } if method == "begin" => Some(method.clone()),
                _ => None,
            })?;
            s.facts
                .iter()
                .any(|f| matches!(f, Fact::Commit))
                .then(|| vec![("begin", begin)])
        },
    },
    Signal {
        name: "many_arguments_allowed",
        gives: &["lint", "count"],
        doc: "clippy::too_many_arguments is allowed on a function of seven or more parameters",
        read: |s| {
            let lint = s.facts.iter().find_map(|f| match f {
                Fact::AllowLint { lint, .. } if lint.ends_with("too_many_arguments") => {
                    Some(lint.clone())
                }
                _ => None,
            })?;
            s.facts.iter().find_map(|f| match f {
                Fact::Signature { params, .. } if params.len() >= 7 => Some(vec![
                    ("lint", lint.clone()),
                    ("count", params.len().to_string()),
                ]),
                _ => None,
            })
        },
    },
    Signal {
        name: "whole_body_delegates",
        gives: &["callee"],
        doc: "the whole body is one call to a same-file function",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Delegates {
                    callee,
                    whole_body: true,
                    ..
                } => Some(vec![("callee", callee.clone())]),
                _ => None,
            })
        },
    },
    Signal {
        name: "plain_parameters",
        gives: &["params"],
        doc: "a function with parameters, none of them an extractor",
        read: |s| {
            let extractors = s.facts.iter().any(|f| {
                matches!(
                    f,
                    Fact::State { .. } | Fact::Extractor { .. } | Fact::Permission { .. }
                )
            });
            if extractors {
                return None;
            }
            s.facts.iter().find_map(|f| match f {
                Fact::Signature { params, .. } if !params.is_empty() => {
                    Some(vec![("params", ticked_list(params))])
                }
                _ => None,
            })
        },
    },
];

/// A rule that fired, with what its signals read.
#[derive(Debug)]
pub struct Fired<'r> {
    pub rule: &'r Rule,
    pub vars: Vars,
}

/// The rules that fire for one item, in the order the rules are written.
pub fn fire<'r>(rules: &'r [Rule], scope: &Scope) -> Vec<Fired<'r>> {
    let mut readings: Vec<(&str, Option<Vars>)> = Vec::new();
    let mut read = |name: &str| -> Option<Vars> {
        if let Some((_, vars)) = readings.iter().find(|(n, _)| *n == name) {
            return vars.clone();
        }
        let signal = SIGNALS.iter().find(|s| s.name == name)?;
        let vars = (signal.read)(scope);
        debug_assert!(
            vars.as_ref().is_none_or(|vars| {
                vars.iter().all(|(key, _)| signal.gives.contains(key))
                    && signal
                        .gives
                        .iter()
                        .all(|g| vars.iter().any(|(key, _)| key == g))
            }),
            "signal {} read {:?}, but gives {:?}",
            signal.name,
            vars,
            signal.gives
        );
        readings.push((signal.name, vars.clone()));
        vars
    };
    let mut fired = Vec::new();
    'rules: for rule in rules {
        let mut vars = Vars::new();
        for need in &rule.needs {
            if let Some(absent) = need.strip_prefix('!') {
                if read(absent).is_some() {
                    continue 'rules;
                }
                continue;
            }
            match read(need) {
                Some(found) => {
                    for (key, value) in found {
                        if !vars.iter().any(|(k, _)| *k == key) {
                            vars.push((key, value));
                        }
                    }
                }
                None => continue 'rules,
            }
        }
        fired.push(Fired { rule, vars });
    }
    fired
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use crate::extract::source::SourceFile;
    use crate::pipeline::{self, Options};
    use crate::profile::Profile;

    /// One rule's two sources: `fires` shows what the rule explains; the near miss is the same
    /// source with `near_miss` applied (each `from` standing exactly once when it is applied),
    /// which takes away the one fact the rule needs.
    struct RuleCase {
        rule: &'static str,
        /// The built-in profile whose root route the source's router registers.
        profile: &'static str,
        fires: &'static str,
        near_miss: &'static [(&'static str, &'static str)],
        /// What the near miss takes away.
        without: &'static str,
    }

    /// A handler that destructures the state, borrowing the connection and moving the queue
    /// into the function it delegates to.
    const STATE_SPLIT: &str = r#"
/// Create a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<JsonStatus<202, MessageOut>> {
    Ok(JsonStatus(create_message_inner(db, queue_tx, app, data).await?))
}

pub(crate) async fn create_message_inner(
    db: &DatabaseConnection,
    queue_tx: TaskQueueProducer,
    app: application::Model,
    data: MessageIn,
) -> Result<MessageOut> {
    let msg = message::ActiveModel::new(app.id.clone(), data);
    let msg = msg.insert(db).await?;
    queue_tx
        .send(&MessageTaskBatch::new_task(msg.id.clone(), app.id), None)
        .await?;
    Ok(msg.into())
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// An organization-level handler that creates the application named in the path when the
    /// body carries one and the lookup finds nothing.
    const CREATES_MISSING_APP: &str = r#"
/// Create a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    let existing = application::Entity::secure_find_by_id_or_uid(org_id.clone(), app_id)
        .one(db)
        .await?;
    let app = match (existing, data.application.clone()) {
        (Some(app), _) => app,
        (None, Some(app_in)) => create_app_from_app_in(db, app_in, org_id).await?,
        (None, _) => return Err(HttpError::not_found(None, None).into()),
    };
    let msg = message::ActiveModel::new(app.id, data.event_type);
    Ok(Json(msg.insert(db).await?.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// An organization-level handler that hands the unresolved path id to a function with
    /// plain parameters, which validates it by hand with a path location. The location stands
    /// inside `vec![..]`, as in svix-server, where syn does not see it without reading the
    /// macro's body.
    const PATH_PASSED_ON: &str = r#"
/// Create a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(create_message_inner(db, org_id, app_id, data).await?))
}

pub(crate) async fn create_message_inner(
    db: &DatabaseConnection,
    org_id: OrganizationId,
    app_id: ApplicationIdOrUid,
    data: MessageIn,
) -> Result<MessageOut> {
    app_id.validate().map_err(|e| HttpError::unprocessable_entity(validation_errors(vec!["path".to_owned()], e)))?;
    let app = application::Entity::secure_find_by_id_or_uid(org_id, app_id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    let msg = message::ActiveModel::new(app.id, data.event_type);
    Ok(msg.insert(db).await?.into())
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// The write path in one handler: a cached lookup, a value read before the body is moved
    /// into the row, two inserts in one transaction, a queue send after it, 202 Accepted.
    const WRITE_PATH: &str = r#"
/// Create a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, cache, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<JsonStatus<202, MessageOut>> {
    let app = CreateMessageApp::layered_fetch(&cache, db, org_id, app_id, Duration::from_secs(30))
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    let payload = data.payload_bytes();
    let msg = message::ActiveModel {
        app_id: Set(app.id.clone()),
        ..data.into()
    };
    let (msg, content) = db
        .transaction(|txn| {
            async move {
                let msg = msg.insert(txn).await.map_err(http_error_on_conflict)?;
                let content = messagecontent::ActiveModel::new(msg.id.clone(), payload);
                let content = content.insert(txn).await?;
                Ok((msg, content))
            }
            .boxed()
        })
        .await?;
    queue_tx.send(&MessageTaskBatch::new_task(msg.id.clone(), app.id), None).await?;
    Ok(JsonStatus(MessageOut::from_model(msg, content)))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A handler that writes nothing and queues its work: resend's shape.
    const QUEUED_ONLY: &str = r#"
/// Send a message again.
#[aide_annotate(op_id = "v1.message.resend")]
async fn resend_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
) -> Result<JsonStatus<202, EmptyResponse>> {
    let msg = message::Entity::secure_find_by_id(org_id, app_id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?;
    queue_tx.send(&MessageTask::new_task(msg.id.clone()), None).await?;
    Ok(JsonStatus(EmptyResponse {}))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(resend_message))
}
"#;

    /// A response type whose optional fields are partly skipped when unset.
    const PARTLY_SKIPPED: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct MessageOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<MessageUid>,
    pub schemas: Option<Schema>,
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A handler that overwrites a column with a marker and saves the row: expunge's shape.
    const OVERWRITE: &str = r#"
/// Forget the message's payload.
#[aide_annotate(op_id = "v1.message.expunge")]
async fn expunge_message(
    State(AppState { ref db, .. }): State<AppState>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
) -> Result<StatusCode> {
    let mut msg = message::Entity::secure_find_by_id(org_id, app_id)
        .one(db)
        .await?
        .ok_or_else(|| HttpError::not_found(None, None))?
        .into_active_model();
    msg.payload = sea_orm::Set("EXPUNGED".to_string());
    msg.update(db).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(expunge_message))
}
"#;

    /// A handler that checks for a duplicate first, with the insert of its callee still mapping
    /// a unique violation: two requests can both pass the check.
    const CHECKED_AND_MAPPED: &str = r#"
/// Create a new application.
#[aide_annotate(op_id = "v1.application.create")]
async fn create_application(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<ApplicationIn>,
) -> Result<Json<ApplicationOut>> {
    if let Some(ref uid) = data.uid {
        if application::Model::fetch_by_uid(db, &org_id, uid).await?.is_some() {
            return Err(HttpError::conflict(None, Some("uid already taken".to_owned())).into());
        }
    }
    Ok(Json(insert_application(db, org_id, data).await?.into()))
}

async fn insert_application(
    db: &DatabaseConnection,
    org_id: OrganizationId,
    data: ApplicationIn,
) -> Result<application::Model> {
    let mut app = application::ActiveModel::new(org_id);
    data.update_model(&mut app);
    Ok(app.insert(db).await.map_err(http_error_on_conflict)?)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app", post(create_application))
}
"#;

    /// A handler whose doc comment has a paragraph after its summary.
    const DOCUMENTED: &str = r#"
/// Create a message.
///
/// The message is stored first, then delivered to every endpoint subscribed to its type.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A request body whose fields carry serde, validator and schemars arguments.
    const BODY_FIELDS: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

fn default_retention_days() -> i64 {
    14
}

#[derive(Clone, Debug, Deserialize, Validate, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageIn {
    #[serde(rename = "eventId")]
    pub uid: Option<MessageUid>,
    #[serde(alias = "eventName")]
    pub event_type: EventTypeName,
    #[validate(nested)]
    pub application: Option<ApplicationIn>,
    #[validate(range(min = 1, max = 90))]
    #[serde(default = "default_retention_days")]
    #[schemars(example = "default_retention_days")]
    pub retention_days: i64,
    #[serde(default)]
    #[schemars(skip)]
    pub internal_tag: Option<String>,
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A response whose optional field is left out when unset.
    const RESPONSE_FIELDS: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub id: MessageId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<EventChannelSet>,
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A response whose one field is kept out of the schema: serde writes it.
    const RESPONSE_HIDDEN: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub id: MessageId,
    #[schemars(skip)]
    pub rate_limit: Option<u16>,
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// The same response, read back too: serde both writes and reads it.
    const RESPONSE_HIDDEN_BOTH: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub id: MessageId,
    #[schemars(skip)]
    pub rate_limit: Option<u16>,
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A field checked by a custom validator, whose bounds the schemars attribute restates.
    const CUSTOM_VALIDATOR: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

fn validate_event_type(name: &EventTypeName) -> Result<(), ValidationError> {
    if !(1..=256).contains(&name.0.len()) {
        return Err(ValidationError::new("event type length"));
    }
    Ok(())
}

#[derive(Clone, Debug, Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    #[validate(custom(function = "validate_event_type"))]
    #[schemars(length(min = 1, max = 256))]
    pub event_type: EventTypeName,
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A raw-JSON newtype with hand-written equality, held by a body that derives `Eq`.
    const RAW_EQ: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    pub event_type: EventTypeName,
    pub payload: RawPayload,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RawPayload(pub Box<RawValue>);

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Eq for RawPayload {}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A raw-JSON newtype with a hand-written schema and `Display`.
    const RAW_SCHEMA_DISPLAY: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    pub payload: RawPayload,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RawPayload(pub Box<RawValue>);

impl JsonSchema for RawPayload {
    fn schema_name() -> String {
        "RawPayload".to_owned()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        serde_json::Value::json_schema(gen)
    }
}

impl fmt::Display for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A custom validator that accepts only JSON objects in a raw-JSON field.
    const RAW_OBJECT_CHECK: &str = r#"
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<Json<MessageOut>> {
    Ok(Json(message::ActiveModel::from(data).insert(db).await?.into()))
}

#[derive(Clone, Debug, Deserialize, Validate, JsonSchema)]
pub struct MessageIn {
    #[validate(custom(function = "validate_payload_is_object"))]
    pub payload: RawPayload,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RawPayload(pub Box<RawValue>);

fn validate_payload_is_object(payload: &RawPayload) -> Result<(), ValidationError> {
    if payload.0.get().trim_start().starts_with('{') {
        Ok(())
    } else {
        Err(ValidationError::new("payload must be a JSON object"))
    }
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// Application creation: an existing uid answered up front (the existing application or a
    /// conflict), one return type for created or found, the body copied onto the row through
    /// `ModelIn`, a note above the impl.
    const APPLICATION: &str = r#"
/// Create a new application.
#[aide_annotate(op_id = "v1.application.create")]
async fn create_application(
    State(AppState { ref db, .. }): State<AppState>,
    ValidatedQuery(CreateApplicationQuery { get_if_exists }): ValidatedQuery<CreateApplicationQuery>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<ApplicationIn>,
) -> Result<JsonStatusUpsert<ApplicationOut>> {
    if let Some(ref uid) = data.uid {
        if let Some(app) = application::Model::fetch_by_uid(db, &org_id, uid).await? {
        // Taken: say so, or hand back the one that exists.
            if get_if_exists {
                return Ok(JsonStatusUpsert::Updated(app.into()));
            }
            return Err(HttpError::conflict(None, Some("uid already taken".to_owned())).into());
        }
    }
    let mut app = application::ActiveModel::new(org_id);
    data.update_model(&mut app);
    let app = app.insert(db).await?;
    Ok(JsonStatusUpsert::Created(app.into()))
}

#[derive(Clone, Debug, Deserialize, Validate, JsonSchema)]
pub struct ApplicationIn {
    pub name: String,
    pub uid: Option<ApplicationUid>,
}

// FIXME: metadata is written by a second query; move it into the same insert.
impl ModelIn for ApplicationIn {
    type ActiveModel = application::ActiveModel;

    fn update_model(self, model: &mut Self::ActiveModel) {
        model.name = Set(self.name);
        model.uid = Set(self.uid);
    }
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app", post(create_application))
}
"#;

    /// Endpoint creation: two inserts between an explicit `begin` and `commit`.
    const ENDPOINT: &str = r#"
/// Create a new endpoint.
#[aide_annotate(op_id = "v1.endpoint.create")]
pub(super) async fn create_endpoint(
    State(AppState { ref db, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<EndpointIn>,
) -> Result<JsonStatus<201, EndpointOut>> {
    let txn = db.begin().await?;
    let endp = endpoint::ActiveModel::new(app.id, data.url.clone());
    let endp = endp.insert(&txn).await?;
    let metadata = endpointmetadata::ActiveModel::new(endp.id.clone(), data.metadata);
    let metadata = metadata.insert(&txn).await?;
    txn.commit().await?;
    Ok(JsonStatus((endp, metadata.data).into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/endpoint", post(create_endpoint))
}
"#;

    /// A shared implementation of eight plain parameters, with clippy's lint allowed.
    const MANY_PARAMETERS: &str = r#"
/// Create a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, cache, .. }): State<AppState>,
    ValidatedQuery(CreateMessageQuery { with_content }): ValidatedQuery<CreateMessageQuery>,
    Path(ApplicationPath { app_id }): Path<ApplicationPath>,
    permissions::Organization { org_id }: permissions::Organization,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<JsonStatus<202, MessageOut>> {
    let out = create_message_inner(db, queue_tx, cache, with_content, data, org_id, app_id, None).await?;
    Ok(JsonStatus(out))
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_message_inner(
    db: &DatabaseConnection,
    queue_tx: TaskQueueProducer,
    cache: Cache,
    with_content: bool,
    data: MessageIn,
    org_id: OrganizationId,
    app_id: ApplicationIdOrUid,
    idempotency_key: Option<String>,
) -> Result<MessageOut> {
    let app = fetch_app(db, &cache, org_id, app_id).await?;
    let msg = message::ActiveModel::new(app.id.clone(), data, idempotency_key);
    let msg = msg.insert(db).await?;
    queue_tx.send(&MessageTaskBatch::new_task(msg.id.clone(), app.id), None).await?;
    Ok(MessageOut::from_model(msg, with_content))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    /// A function of plain parameters that forwards all its work to another one of the file.
    const THIN: &str = r#"
/// Create a message.
#[aide_annotate(op_id = "v1.message.create")]
async fn create_message(
    State(AppState { ref db, queue_tx, .. }): State<AppState>,
    permissions::Application { app }: permissions::Application,
    ValidatedJson(data): ValidatedJson<MessageIn>,
) -> Result<JsonStatus<202, MessageOut>> {
    Ok(JsonStatus(create_message_inner(db, queue_tx, app, data).await?))
}

pub(crate) async fn create_message_inner(
    db: &DatabaseConnection,
    queue_tx: TaskQueueProducer,
    app: application::Model,
    data: MessageIn,
) -> Result<MessageOut> {
    insert_message(db, queue_tx, app.id, data).await
}

async fn insert_message(
    db: &DatabaseConnection,
    queue_tx: TaskQueueProducer,
    app_id: ApplicationId,
    data: MessageIn,
) -> Result<MessageOut> {
    let msg = message::ActiveModel::new(app_id.clone(), data).insert(db).await?;
    queue_tx.send(&MessageTaskBatch::new_task(msg.id.clone(), app_id), None).await?;
    Ok(msg.into())
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route("/app/{app_id}/msg", post(create_message))
}
"#;

    const RULE_CASES: &[RuleCase] = &[
        RuleCase {
            rule: "borrow-the-connection-move-the-handles",
            profile: "message-creation",
            fires: STATE_SPLIT,
            near_miss: &[
                ("ref db", "db"),
                ("create_message_inner(db,", "create_message_inner(&db,"),
            ],
            without: "the `ref`: every binding is moved out of the state",
        },
        RuleCase {
            rule: "callee-signature-decides-the-pattern",
            profile: "message-creation",
            fires: STATE_SPLIT,
            near_miss: &[
                (
                    "queue_tx: TaskQueueProducer",
                    "queue_tx: &TaskQueueProducer",
                ),
                ("(db, queue_tx, app, data)", "(db, &queue_tx, app, data)"),
            ],
            without: "the owned queue parameter: the callee borrows the queue too",
        },
        RuleCase {
            rule: "organization-scope-for-an-app-that-may-not-exist",
            profile: "message-creation",
            fires: CREATES_MISSING_APP,
            near_miss: &[(
                "        (None, Some(app_in)) => create_app_from_app_in(db, app_in, org_id).await?,\n",
                "",
            )],
            without: "the inline creation: a missing application is only not found",
        },
        RuleCase {
            rule: "organization-scope-path-passed-on",
            profile: "message-creation",
            fires: PATH_PASSED_ON,
            near_miss: &[(
                "    Ok(Json(create_message_inner(db, org_id, app_id, data).await?))",
                "    let app_id = fetch_app(db, &org_id, app_id).await?.id.into();\n    \
                 Ok(Json(create_message_inner(db, org_id, app_id, data).await?))",
            )],
            without: "the unresolved hand-off: the handler looks the application up first",
        },
        RuleCase {
            rule: "validate-a-path-parameter-by-hand",
            profile: "message-creation",
            fires: PATH_PASSED_ON,
            near_miss: &[(
                "    app_id.validate().map_err(|e| HttpError::unprocessable_entity(\
                 validation_errors(vec![\"path\".to_owned()], e)))?;\n",
                "",
            )],
            without: "the `.validate()` call on the parameter",
        },
        RuleCase {
            rule: "validation-errors-located-in-the-path",
            profile: "message-creation",
            fires: PATH_PASSED_ON,
            near_miss: &[(
                r#".map_err(|e| HttpError::unprocessable_entity(validation_errors(vec!["path".to_owned()], e)))?"#,
                "?",
            )],
            without: "the error mapping: the errors go out through `?` with no path location",
        },
        RuleCase {
            rule: "read-before-the-move",
            profile: "message-creation",
            fires: WRITE_PATH,
            near_miss: &[("..data.into()", "..data.clone().into()")],
            without: "the move: the struct update consumes a clone of `data`",
        },
        RuleCase {
            rule: "enqueue-after-the-transaction",
            profile: "message-creation",
            fires: WRITE_PATH,
            near_miss: &[
                (
                    "    queue_tx.send(&MessageTaskBatch::new_task(msg.id.clone(), app.id), None).await?;\n",
                    "",
                ),
                (
                    "    let (msg, content) = db",
                    "    queue_tx.send(&MessageTaskBatch::new_task(msg.id.clone(), app.id), None).await?;\n    \
                     let (msg, content) = db",
                ),
            ],
            without: "the order: the send comes before the transaction",
        },
        RuleCase {
            rule: "accepted-because-work-continues",
            profile: "message-creation",
            fires: WRITE_PATH,
            near_miss: &[(
                "    queue_tx.send(&MessageTaskBatch::new_task(msg.id.clone(), app.id), None).await?;\n",
                "",
            )],
            without: "the queue send: nothing continues after the response",
        },
        RuleCase {
            rule: "rows-written-together",
            profile: "message-creation",
            fires: WRITE_PATH,
            near_miss: &[
                (
                    "                let content = content.insert(txn).await?;\n",
                    "",
                ),
                (
                    "    queue_tx.send(",
                    "    let content = content.insert(db).await?;\n    queue_tx.send(",
                ),
            ],
            without: "the second insert in the transaction: the content row is written after it",
        },
        RuleCase {
            rule: "duplicate-is-a-conflict",
            profile: "message-creation",
            fires: WRITE_PATH,
            near_miss: &[(".await.map_err(http_error_on_conflict)?", ".await?")],
            without: "the conflict mapping on the insert",
        },
        RuleCase {
            rule: "cached-with-a-ttl",
            profile: "message-creation",
            fires: WRITE_PATH,
            near_miss: &[(", Duration::from_secs(30))", ")")],
            without: "the time to live of the cached fetch",
        },
        RuleCase {
            rule: "doc-comment-is-the-api-description",
            profile: "message-creation",
            fires: DOCUMENTED,
            near_miss: &[(
                "///\n/// The message is stored first, then delivered to every endpoint subscribed \
                 to its type.\n",
                "",
            )],
            without: "the doc comment's second paragraph: a one-line doc",
        },
        RuleCase {
            rule: "own-name-under-rename-all",
            profile: "message-creation",
            fires: BODY_FIELDS,
            near_miss: &[("    #[serde(rename = \"eventId\")]\n", "")],
            without: "the field's own `rename`",
        },
        RuleCase {
            rule: "aliases-on-input",
            profile: "message-creation",
            fires: BODY_FIELDS,
            near_miss: &[("    #[serde(alias = \"eventName\")]\n", "")],
            without: "the `alias`",
        },
        RuleCase {
            rule: "schema-restates-the-custom-rule",
            profile: "message-creation",
            fires: CUSTOM_VALIDATOR,
            near_miss: &[("(1..=256)", "(1..=128)")],
            without: "the agreement: the validator checks 1..=128, the schema says max 256",
        },
        RuleCase {
            rule: "hidden-from-the-schema",
            profile: "message-creation",
            fires: BODY_FIELDS,
            near_miss: &[("    #[schemars(skip)]\n", "")],
            without: "schemars' `skip`",
        },
        RuleCase {
            rule: "hidden-output-from-the-schema",
            profile: "message-creation",
            fires: RESPONSE_HIDDEN,
            near_miss: &[("    #[schemars(skip)]\n", "")],
            without: "schemars' `skip`",
        },
        RuleCase {
            rule: "hidden-from-the-schema-only",
            profile: "message-creation",
            fires: RESPONSE_HIDDEN_BOTH,
            near_miss: &[(
                "Serialize, Deserialize, JsonSchema",
                "Serialize, JsonSchema",
            )],
            without: "`Deserialize`: serde only writes the field",
        },
        RuleCase {
            rule: "default-doubles-as-example",
            profile: "message-creation",
            fires: BODY_FIELDS,
            near_miss: &[(
                "example = \"default_retention_days\"",
                "example = \"example_retention_days\"",
            )],
            without: "the shared function: the example comes from another one",
        },
        RuleCase {
            rule: "bounded-field-with-a-default",
            profile: "message-creation",
            fires: BODY_FIELDS,
            near_miss: &[("    #[serde(default = \"default_retention_days\")]\n", "")],
            without: "the default of the bounded field",
        },
        RuleCase {
            rule: "nested-validation",
            profile: "message-creation",
            fires: BODY_FIELDS,
            near_miss: &[("    #[validate(nested)]\n", "")],
            without: "`nested`",
        },
        RuleCase {
            rule: "absent-rather-than-null",
            profile: "message-creation",
            fires: RESPONSE_FIELDS,
            near_miss: &[(
                "    #[serde(skip_serializing_if = \"Option::is_none\")]\n",
                "",
            )],
            without: "`skip_serializing_if`: an unset field is written as null",
        },
        RuleCase {
            rule: "raw-json-kept-as-sent",
            profile: "message-creation",
            fires: RAW_EQ,
            near_miss: &[("(pub Box<RawValue>)", "(pub serde_json::Value)")],
            without: "`RawValue`: the newtype holds a parsed value",
        },
        RuleCase {
            rule: "equality-by-hand-for-raw-json",
            profile: "message-creation",
            fires: RAW_EQ,
            near_miss: &[("PartialEq, Eq, Deserialize", "PartialEq, Deserialize")],
            without: "the holder's `Eq` derive",
        },
        RuleCase {
            rule: "schema-borrowed-from-json-value",
            profile: "message-creation",
            fires: RAW_SCHEMA_DISPLAY,
            near_miss: &[(
                "serde_json::Value::json_schema(gen)",
                "Map::<String, serde_json::Value>::json_schema(gen)",
            )],
            without: "`serde_json::Value`'s schema: the schema is a JSON object's",
        },
        RuleCase {
            rule: "display-the-text-as-sent",
            profile: "message-creation",
            fires: RAW_SCHEMA_DISPLAY,
            near_miss: &[("f.write_str(self.0.get())", "f.write_str(\"[raw JSON]\")")],
            without: "the text: `Display` writes a fixed placeholder",
        },
        RuleCase {
            rule: "object-check-without-parsing",
            profile: "message-creation",
            fires: RAW_OBJECT_CHECK,
            near_miss: &[(
                "payload.0.get().trim_start().starts_with('{')",
                "serde_json::from_str::<Map<String, serde_json::Value>>(payload.0.get()).is_ok()",
            )],
            without: "the first-character test: the validator parses the text",
        },
        RuleCase {
            rule: "custom-validator-shape",
            profile: "message-creation",
            fires: CUSTOM_VALIDATOR,
            near_miss: &[
                (
                    "    #[validate(custom(function = \"validate_event_type\"))]\n",
                    "",
                ),
                (
                    "    Ok(Json(message::ActiveModel",
                    "    validate_event_type(&data.event_type)?;\n    Ok(Json(message::ActiveModel",
                ),
            ],
            without: "the field naming the validator: the handler calls it instead",
        },
        RuleCase {
            rule: "model-in-copies-the-body",
            profile: "application-creation",
            fires: APPLICATION,
            near_miss: &[(
                "impl ModelIn for ApplicationIn {\n    type ActiveModel = application::ActiveModel;\n\n    \
                 fn update_model(self, model: &mut Self::ActiveModel) {",
                "impl ApplicationIn {\n    \
                 fn update_model(self, model: &mut application::ActiveModel) {",
            )],
            without: "`ModelIn`: the same method in an inherent impl",
        },
        RuleCase {
            rule: "note-comment",
            profile: "application-creation",
            fires: APPLICATION,
            near_miss: &[("// FIXME: metadata", "// Metadata")],
            without: "the `FIXME` marker: a plain comment",
        },
        RuleCase {
            rule: "comment-in-the-body",
            profile: "application-creation",
            fires: APPLICATION,
            near_miss: &[(
                "        // Taken: say so, or hand back the one that exists.\n",
                "",
            )],
            without: "the comment in the handler's body",
        },
        RuleCase {
            rule: "one-type-for-created-or-found",
            profile: "application-creation",
            fires: APPLICATION,
            near_miss: &[
                (
                    "            if get_if_exists {\n                \
                     return Ok(JsonStatusUpsert::Updated(app.into()));\n            }\n",
                    "",
                ),
                (
                    "Result<JsonStatusUpsert<ApplicationOut>>",
                    "Result<JsonStatus<201, ApplicationOut>>",
                ),
                (
                    "JsonStatusUpsert::Created(app.into())",
                    "JsonStatus(app.into())",
                ),
            ],
            without: "the found outcome: an existing uid is always a conflict, and 201 the only status",
        },
        RuleCase {
            rule: "conflict-answered-before-the-insert",
            profile: "application-creation",
            fires: APPLICATION,
            near_miss: &[
                (
                    "            return Err(HttpError::conflict(None, Some(\"uid already taken\".to_owned())).into());\n",
                    "",
                ),
                (
                    "app.insert(db).await?",
                    "app.insert(db).await.map_err(http_error_on_conflict)?",
                ),
            ],
            without: "the early answer: a taken uid falls through to the insert, whose error is \
                      mapped to a conflict",
        },
        RuleCase {
            rule: "conflict-checked-and-mapped",
            profile: "application-creation",
            fires: CHECKED_AND_MAPPED,
            near_miss: &[(
                "app.insert(db).await.map_err(http_error_on_conflict)?",
                "app.insert(db).await?",
            )],
            without: "the mapping on the insert: only the check answers with a conflict",
        },
        RuleCase {
            rule: "accepted-because-it-is-queued",
            profile: "message-creation",
            fires: QUEUED_ONLY,
            near_miss: &[(
                "    queue_tx.send(",
                "    let msg = msg.insert(db).await?;\n    queue_tx.send(",
            )],
            without: "the absence of writes: the handler inserts a row before it queues",
        },
        RuleCase {
            rule: "null-for-the-others",
            profile: "message-creation",
            fires: PARTLY_SKIPPED,
            near_miss: &[(
                "    pub schemas: Option<Schema>,",
                "    #[serde(skip_serializing_if = \"Option::is_none\")]\n    pub schemas: Option<Schema>,",
            )],
            without: "an optional field written as null: every one is skipped when unset",
        },
        RuleCase {
            rule: "overwrite-rather-than-delete",
            profile: "message-creation",
            fires: OVERWRITE,
            near_miss: &[(
                "    msg.update(db).await?;\n",
                "    msg.delete(db).await?;\n",
            )],
            without: "the update: the row is deleted after the column is set",
        },
        RuleCase {
            rule: "explicit-transaction",
            profile: "endpoint-creation",
            fires: ENDPOINT,
            near_miss: &[("    txn.commit().await?;\n", "")],
            without: "the `commit`",
        },
        RuleCase {
            rule: "many-parameters-on-purpose",
            profile: "message-creation",
            fires: MANY_PARAMETERS,
            near_miss: &[("#[allow(clippy::too_many_arguments)]\n", "")],
            without: "the `allow` of the lint",
        },
        RuleCase {
            rule: "thin-handler",
            profile: "message-creation",
            fires: THIN,
            near_miss: &[(
                "    insert_message(db, queue_tx, app.id, data).await",
                "    ensure_app_accepts_messages(&app)?;\n    \
                 insert_message(db, queue_tx, app.id, data).await",
            )],
            without: "the whole-body call: a check comes before it",
        },
        RuleCase {
            rule: "handler-only-extracts",
            profile: "message-creation",
            fires: STATE_SPLIT,
            near_miss: &[(
                "    Ok(JsonStatus(create_message_inner(db, queue_tx, app, data).await?))",
                "    let msg = create_message_inner(db, queue_tx, app, data).await?;\n    \
                 Ok(JsonStatus(msg))",
            )],
            without: "the whole-body call: the result is bound, then wrapped",
        },
    ];

    /// `text` with each edit applied in turn; an edit whose `from` does not stand exactly once
    /// is an error, so that a near miss never silently equals its source.
    fn near_miss(text: &str, edits: &[(&str, &str)]) -> Result<String, String> {
        let mut out = text.to_owned();
        for (from, to) in edits {
            match out.matches(from).count() {
                1 => out = out.replacen(from, to, 1),
                n => return Err(format!("the edit of {from:?} stands {n} times")),
            }
        }
        Ok(out)
    }

    /// `variants` examples of each unit of `text`, a file of its own, under `profile`.
    fn rule_case(
        profile: &Profile,
        text: &str,
        variants: usize,
    ) -> Result<pipeline::Extracted, String> {
        let source = SourceFile::from_text(Path::new("rule_case.rs"), text.to_owned());
        let options = Options {
            variants: Some(variants),
            ..Default::default()
        };
        pipeline::extract(&source, profile, &options).map_err(|e| format!("{e:#}"))
    }

    /// The ids of the rules whose sentences the examples of `text` carry, one example a unit.
    fn fired_rules(profile: &Profile, text: &str) -> Result<BTreeSet<String>, String> {
        let extracted = rule_case(profile, text, 1)?;
        Ok(extracted
            .examples
            .iter()
            .flat_map(|e| e.rules.iter().cloned())
            .collect())
    }

    /// Regression: a response's field kept out of the schema was called "accepted", and serde
    /// said to "still read it"; a request body's `skip_serializing_if` was said to drop a field
    /// "from the output". Direction follows the derives: read only for `Deserialize`, output
    /// only for `Serialize`.
    #[test]
    fn what_serde_reads_and_writes_follows_the_derives() {
        let profile = Profile::load("message-creation").unwrap();
        for text in [RESPONSE_HIDDEN, RESPONSE_HIDDEN_BOTH] {
            let fired = fired_rules(&profile, text).unwrap();
            assert!(!fired.contains("hidden-from-the-schema"), "{fired:?}");
            let extracted = rule_case(&profile, text, 4).unwrap();
            for example in &extracted.examples {
                for text in [&example.request, &example.reasoning] {
                    let lower = text.to_lowercase();
                    for phrase in ["accepted", "reads it", "serde accepts"] {
                        assert!(!lower.contains(phrase), "{phrase:?} in:\n{text}");
                    }
                }
            }
        }
        // A body that is only read: its `skip_serializing_if` drops nothing from any output.
        let body = near_miss(
            RESPONSE_FIELDS,
            &[(
                "Debug, Serialize, JsonSchema",
                "Debug, Deserialize, JsonSchema",
            )],
        )
        .unwrap();
        let fired = fired_rules(&profile, &body).unwrap();
        assert!(!fired.contains("absent-rather-than-null"), "{fired:?}");
    }

    /// Regression: a delete handler whose one branch deletes the row (`if expunge {
    /// msg.delete(db) } else { set; update }`) was said to always keep the row.
    #[test]
    fn a_function_that_also_deletes_the_row_is_not_said_to_keep_it() {
        let profile = Profile::load("message-creation").unwrap();
        let deletes_too = "    if expunge {\n        msg.delete(db).await?;\n    } else {\n        \
                           msg.update(db).await?;\n    }\n";
        let text = near_miss(OVERWRITE, &[("    msg.update(db).await?;\n", deletes_too)]).unwrap();
        let fired = fired_rules(&profile, &text).unwrap();
        assert!(!fired.contains("overwrite-rather-than-delete"), "{fired:?}");
    }

    /// Regression: a soft delete that sets two columns (`deleted = Set(true)`, `uid =
    /// Set(None)`) was asked as "change the one column" and said to save "the other columns as
    /// they were" with only the first named.
    #[test]
    fn an_overwrite_of_two_columns_is_worded_for_two() {
        let profile = Profile::load("message-creation").unwrap();
        let text = near_miss(
            OVERWRITE,
            &[(
                "    msg.update(db).await?;\n",
                "    msg.tag = Set(None);\n    msg.update(db).await?;\n",
            )],
        )
        .unwrap();
        let extracted = rule_case(&profile, &text, 6).unwrap();
        let mut seen = false;
        for example in &extracted.examples {
            if !example
                .rules
                .iter()
                .any(|r| r == "overwrite-rather-than-delete")
            {
                continue;
            }
            seen = true;
            for text in [&example.request, &example.reasoning] {
                assert!(!text.contains("the one column"), "{text}");
                if text.contains("`payload` becomes") {
                    assert!(text.contains("`tag`"), "{text}");
                }
            }
        }
        assert!(seen, "the rule never fired");
    }

    /// Regression: a `rename` that `rename_all` would give anyway (`rename = "eventType"` on
    /// `event_type` under camelCase) made the reasoning claim no case rule derives the name.
    #[test]
    fn a_rename_that_rename_all_already_gives_is_not_called_its_own() {
        let profile = Profile::load("message-creation").unwrap();
        let text = near_miss(
            BODY_FIELDS,
            &[(
                "#[serde(rename = \"eventId\")]",
                "#[serde(rename = \"uid\")]",
            )],
        )
        .unwrap();
        let fired = fired_rules(&profile, &text).unwrap();
        assert!(!fired.contains("own-name-under-rename-all"), "{fired:?}");
        assert_eq!(
            super::renamed("payload_retention_period", "camelCase"),
            "payloadRetentionPeriod"
        );
        assert_eq!(super::renamed("event_type", "kebab-case"), "event-type");
    }

    /// Regression: any `fmt` body with `.get()` in it (`write!(f, "{} bytes", self.0.get().len())`)
    /// made the reasoning claim `Display` writes the JSON text as stored.
    #[test]
    fn a_display_that_writes_something_else_is_not_said_to_write_the_text() {
        let profile = Profile::load("message-creation").unwrap();
        let text = near_miss(
            RAW_SCHEMA_DISPLAY,
            &[(
                "f.write_str(self.0.get())",
                "write!(f, \"{} bytes\", self.0.get().len())",
            )],
        )
        .unwrap();
        let fired = fired_rules(&profile, &text).unwrap();
        assert!(!fired.contains("display-the-text-as-sent"), "{fired:?}");
    }

    #[test]
    fn every_rule_fires_on_its_source_and_not_on_its_near_miss() {
        let mut faults = Vec::new();
        for case in RULE_CASES {
            let profile = Profile::load(case.profile).unwrap();
            let rule = case.rule;
            match fired_rules(&profile, case.fires) {
                Ok(fired) if fired.contains(rule) => {}
                Ok(fired) => faults.push(format!(
                    "{rule} does not fire on its source (fired: {fired:?})"
                )),
                Err(e) => faults.push(format!("{rule}: its source fails: {e}")),
            }
            let quiet =
                near_miss(case.fires, case.near_miss).and_then(|text| fired_rules(&profile, &text));
            match quiet {
                Ok(fired) if !fired.contains(rule) => {}
                Ok(_) => faults.push(format!(
                    "{rule} fires on its near miss, without {}",
                    case.without
                )),
                Err(e) => faults.push(format!("{rule}: its near miss fails: {e}")),
            }
        }
        assert!(faults.is_empty(), "\n{}", faults.join("\n"));
    }

    #[test]
    fn every_rule_has_a_case() -> anyhow::Result<()> {
        // The shared rules, and any a built-in profile adds of its own.
        let mut ids = BTreeSet::new();
        for profile in crate::profile::built_ins()? {
            ids.extend(profile.rules.into_iter().map(|r| r.id));
        }
        let missing: Vec<&String> = ids
            .iter()
            .filter(|id| !RULE_CASES.iter().any(|c| c.rule == id.as_str()))
            .collect();
        assert!(missing.is_empty(), "rules without a case: {missing:?}");
        let unknown: Vec<&str> = RULE_CASES
            .iter()
            .map(|c| c.rule)
            .filter(|id| !ids.contains(*id))
            .collect();
        assert!(unknown.is_empty(), "cases of no rule: {unknown:?}");
        Ok(())
    }
}
