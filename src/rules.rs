//! Reasoning rules: the insights that take more than one fact to see (why `ref db` is borrowed
//! while the queue handle is moved, why a path parameter is validated by hand, why the queue
//! send comes after the transaction). A rule is data, kept in the profile's templates: its id,
//! the signals it needs and the sentences it yields. A signal is a named reading of a unit's
//! facts, defined here once; a rule fires for an item when every signal it needs reads true
//! there, and its sentence is filled from what those signals read.

use serde::{Deserialize, Serialize};

use crate::facts::{Fact, FieldFact};

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
const SHARED_RULES: &str = include_str!("../templates/rules.toml");

/// The shared rules with a profile's own in place of those of the same id, and its new ones
/// after them; checked against the signal table and the fact kinds.
pub fn load(own: &[Rule]) -> Result<Vec<Rule>, String> {
    let file: RuleFile = toml::from_str(SHARED_RULES)
        .map_err(|e| format!("templates/rules.toml: {}", e.to_string().trim_end()))?;
    let mut rules = file.rule;
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

/// What a signal read: values to fill a rule's sentence with.
pub type Vars = Vec<(&'static str, String)>;

/// Where a rule is evaluated: one item of a unit, with the rest of the unit and of the file
/// in view.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub facts: &'a [Fact],
    /// Every item of the unit with its facts, in source order.
    pub unit: &'a [(String, &'a [Fact])],
    /// Every selected item of the file with its facts (context: which types hold which).
    pub file: &'a [(String, &'a [Fact])],
}

impl<'a> Scope<'a> {
    fn unit_facts(&self) -> impl Iterator<Item = &'a Fact> + 'a {
        self.unit.iter().flat_map(|(_, facts)| facts.iter())
    }

    fn file_facts(&self) -> impl Iterator<Item = &'a Fact> + 'a {
        self.file.iter().flat_map(|(_, facts)| facts.iter())
    }

    fn fields(&self) -> impl Iterator<Item = &'a FieldFact> + 'a {
        self.facts.iter().filter_map(|f| match f {
            Fact::Field(field) => Some(field),
            _ => None,
        })
    }

    /// The newtypes over raw JSON the file defines.
    fn raw_json_types(&self) -> Vec<&'a str> {
        self.file_facts()
            .filter_map(|f| match f {
                Fact::Newtype {
                    item,
                    raw_json: true,
                    ..
                } => Some(item.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A named reading of a scope: None when it does not hold.
pub struct Signal {
    pub name: &'static str,
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

fn position(facts: &[Fact], pred: impl Fn(&Fact) -> bool) -> Option<usize> {
    facts.iter().position(pred)
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
            if moved.is_empty() {
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
        doc: "a Path extractor binds an application id",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::Extractor {
                    role: crate::facts::ExtractorRole::Path,
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
        doc: "the whole body is a call to a same-file function that gets the path binding",
        read: |s| {
            let path_field = s.facts.iter().find_map(|f| match f {
                Fact::Extractor {
                    role: crate::facts::ExtractorRole::Path,
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
        doc: "the unit answers a missing record with not_found and also calls a create_app… \
              function",
        read: |s| {
            let not_found = s
                .unit_facts()
                .any(|f| matches!(f, Fact::ErrorCtor { path } if path.ends_with("not_found")));
            let create = s.unit_facts().find_map(|f| match f {
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
        doc: "the errors of a `.validate()` call are mapped with a \"path\" location and an \
              unprocessable-entity constructor",
        read: |s| {
            let ctor = s.facts.iter().find_map(|f| match f {
                Fact::ErrorCtor { path } if path.ends_with("unprocessable_entity") => {
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
        doc: "an aide annotation on an item with a doc comment of several lines",
        read: |s| {
            let long_doc = s
                .facts
                .iter()
                .any(|f| matches!(f, Fact::Doc { lines, .. } if *lines > 1));
            let vars = s.facts.iter().find_map(|f| match f {
                Fact::AideAnnotate { item, op_id, attr } => Some(vec![
                    ("attr", attr.clone()),
                    ("op_id", op_id.clone()),
                    ("item", item.clone()),
                ]),
                _ => None,
            })?;
            long_doc.then_some(vars)
        },
    },
    Signal {
        name: "renamed_under_rename_all",
        doc: "a container rename_all and a field with a rename of its own",
        read: |s| {
            let rename_all = s.facts.iter().find_map(|f| match f {
                Fact::SerdeContainer { rename_all } => Some(rename_all.clone()),
                _ => None,
            })?;
            s.fields().find_map(|field| {
                field.rename.as_ref().map(|wire| {
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
        doc: "a field checked by a custom validator whose bounds its schemars attribute \
              repeats (every number of the schema rule stands in the validator's condition)",
        read: |s| {
            s.fields().find_map(|field| {
                let rule = field
                    .schema_args
                    .iter()
                    .find(|a| a.starts_with("length("))?;
                let validator = field.validate_fns.first()?;
                let condition = s.file_facts().find_map(|f| match f {
                    Fact::ValidatorFn {
                        name,
                        condition: Some(condition),
                        ..
                    } if name == validator => Some(condition),
                    _ => None,
                })?;
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
        name: "default_is_example",
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
        doc: "fields left out of the output when they are None",
        read: |s| {
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
        doc: "PartialEq is written by hand (and Eq is a marker impl) for a raw-JSON newtype that \
              another type of the file holds in a field while deriving Eq",
        read: |s| {
            let raw = s.raw_json_types();
            let self_ty = s.facts.iter().find_map(|f| match f {
                Fact::TraitImpl {
                    trait_name,
                    self_ty,
                    ..
                } if trait_name == "PartialEq" && raw.contains(&self_ty.as_str()) => {
                    Some(self_ty.clone())
                }
                _ => None,
            })?;
            let eq_body = s.facts.iter().find_map(|f| match f {
                Fact::Method {
                    name,
                    body: Some(body),
                    ..
                } if name == "eq" => Some(body.clone()),
                _ => None,
            })?;
            let marker = s.unit_facts().any(|f| {
                matches!(f, Fact::MarkerImpl { trait_name, self_ty: t } if trait_name == "Eq" && *t == self_ty)
            });
            let holder_derives_eq = s.file.iter().any(|(_, facts)| {
                let derives_eq = facts
                    .iter()
                    .any(|f| matches!(f, Fact::Derives { list, .. } if list.iter().any(|d| d == "Eq")));
                let holds = facts.iter().any(|f| {
                    matches!(f, Fact::Field(field) if field.ty.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == self_ty))
                });
                derives_eq && holds
            });
            (marker && holder_derives_eq).then(|| vec![("self_ty", self_ty), ("eq_body", eq_body)])
        },
    },
    Signal {
        name: "schema_from_json_value",
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
                } if name == "fmt" && body.contains(".get()") => Some(vec![
                    ("self_ty", self_ty.clone()),
                    ("display_body", body.clone()),
                ]),
                _ => None,
            })
        },
    },
    Signal {
        name: "object_check_on_raw_json",
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
        doc: "a field of the file names this validator in `custom(function = ..)`",
        read: |s| {
            let name = s.facts.iter().find_map(|f| match f {
                Fact::ValidatorFn { name, .. } => Some(name.clone()),
                _ => None,
            })?;
            let used = s
                .file_facts()
                .any(|f| matches!(f, Fact::Field(field) if field.validate_fns.contains(&name)));
            used.then(|| vec![("validator", name)])
        },
    },
    Signal {
        name: "model_in_conversion",
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
        name: "upsert_status",
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
        doc: "a conflict error is built in the body (not only mapped from an insert)",
        read: |s| {
            s.facts.iter().find_map(|f| match f {
                Fact::ErrorCtor { path } if path.ends_with("conflict") => {
                    Some(vec![("conflict_ctor", path.clone())])
                }
                _ => None,
            })
        },
    },
    Signal {
        name: "explicit_commit",
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
