//! The house rule on length, read from `src/` itself: no function or method over
//! [`LIMIT`] lines outside tests. A long function is split by what it says (each section of a
//! reasoning a function of its own), not by line count; this test keeps it so.
//!
//! Every `src/**/*.rs` is parsed with syn (spans give lines); a `#[cfg(test)]` module and a
//! `#[test]` function are skipped, with everything inside them. A data table (a function that
//! is one long literal list or one arm per variant) may be named in [`ALLOWED`] with the reason;
//! a function waiting to be split is named in [`TO_SPLIT`]; nothing else may run over.

mod support;

use std::path::Path;

use syn::spanned::Spanned;
use syn::visit::Visit;

/// The longest a function may be, in lines from its signature to its closing brace (doc
/// comments and attributes not counted).
const LIMIT: usize = 120;

/// Functions allowed over the limit, as `path::name` (`src/x/y.rs::name`), each with why:
/// only data tables belong here.
const ALLOWED: &[(&str, &str)] = &[(
    "src/extract/facts.rs::quoted",
    "a table: one arm per `Fact` variant, listing the fields that variant puts in backticks",
)];

/// Functions over the limit not yet split, as `path::name`: to be split by section and taken
/// out of this list (an entry that no longer runs over the limit fails the test).
/// `pipeline.rs::render_examples` is being split on another branch (the `Writer` seam).
const TO_SPLIT: &[&str] = &[];

/// One function over the limit: where it is and how long.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Long {
    file: String,
    name: String,
    line: usize,
    lines: usize,
}

/// Collects every function and method of one file, outside test code, longer than the limit.
struct Finder<'a> {
    file: &'a str,
    long: Vec<Long>,
}

/// Whether an item's attributes mark it test-only: `#[test]` or `#[cfg(test)]` (also inside
/// `all(…)`/`any(…)`, as `cfg(all(test, unix))`).
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        if path.is_ident("test") {
            return true;
        }
        if !path.is_ident("cfg") {
            return false;
        }
        let Ok(list) = attr.meta.require_list() else {
            return false;
        };
        list.tokens
            .clone()
            .into_iter()
            .any(|token| mentions_test(&token))
    })
}

/// Whether a `cfg(…)` token tree names `test` (not `not(test)`).
fn mentions_test(token: &proc_macro2::TokenTree) -> bool {
    match token {
        proc_macro2::TokenTree::Ident(ident) => ident == "test",
        proc_macro2::TokenTree::Group(group) => {
            let tokens: Vec<_> = group.stream().into_iter().collect();
            tokens.iter().any(mentions_test)
        }
        _ => false,
    }
}

impl Finder<'_> {
    /// Records a function whose signature-to-brace span runs over the limit.
    fn measure(&mut self, name: &syn::Ident, sig: &syn::Signature, block: &syn::Block) {
        let start = sig.span().start().line;
        let end = block.span().end().line;
        let lines = end + 1 - start;
        if lines > LIMIT {
            self.long.push(Long {
                file: self.file.to_string(),
                name: name.to_string(),
                line: start,
                lines,
            });
        }
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
        if !is_test(&node.attrs) {
            syn::visit::visit_item_mod(self, node);
        }
    }

    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        if is_test(&node.attrs) {
            return;
        }
        self.measure(&node.sig.ident, &node.sig, &node.block);
        syn::visit::visit_item_fn(self, node);
    }

    fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
        if !is_test(&node.attrs) {
            syn::visit::visit_item_impl(self, node);
        }
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        if is_test(&node.attrs) {
            return;
        }
        self.measure(&node.sig.ident, &node.sig, &node.block);
        syn::visit::visit_impl_item_fn(self, node);
    }

    fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
        if is_test(&node.attrs) {
            return;
        }
        if let Some(block) = &node.default {
            self.measure(&node.sig.ident, &node.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, node);
    }
}

/// Every function over the limit in one file's text, `file` naming it in the result.
fn long_functions(file: &str, text: &str) -> Vec<Long> {
    let syntax = syn::parse_file(text).unwrap_or_else(|err| panic!("{file}: {err}"));
    let mut finder = Finder {
        file,
        long: Vec::new(),
    };
    finder.visit_file(&syntax);
    finder.long
}

#[test]
fn no_function_in_src_runs_over_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = support::rust_files(&root.join("src"), root);
    assert!(files.len() > 20, "src/ read: {} files", files.len());
    let mut long = Vec::new();
    for (path, text) in &files {
        let file = path.to_string_lossy().replace('\\', "/");
        long.extend(long_functions(&file, text));
    }
    let listed: Vec<&str> = ALLOWED
        .iter()
        .map(|(name, _)| *name)
        .chain(TO_SPLIT.iter().copied())
        .collect();
    let allowed = |l: &Long| listed.contains(&format!("{}::{}", l.file, l.name).as_str());
    let offenders: Vec<String> = long
        .iter()
        .filter(|l| !allowed(l))
        .map(|l| format!("{}:{} {} ({} lines)", l.file, l.line, l.name, l.lines))
        .collect();
    assert!(
        offenders.is_empty(),
        "functions over {LIMIT} lines (split them by section, each section a function named \
         for what it says):\n{}",
        offenders.join("\n")
    );
    // A listed entry that no longer runs over the limit is stale: take it out.
    let stale: Vec<&str> = listed
        .iter()
        .copied()
        .filter(|name| {
            !long
                .iter()
                .any(|l| format!("{}::{}", l.file, l.name) == *name)
        })
        .collect();
    assert!(
        stale.is_empty(),
        "listed but not over {LIMIT} lines (take them out of the list): {stale:?}"
    );
}

#[test]
fn a_long_function_is_found_and_test_code_is_not() {
    let body = "    let x = 1;\n".repeat(LIMIT);
    let text = format!(
        "fn long() {{\n{body}}}\n\
         fn short() {{\n}}\n\
         struct S;\n\
         impl S {{\n    fn method(&self) {{\n{body}    }}\n}}\n\
         #[cfg(test)]\nmod tests {{\n    fn helper() {{\n{body}    }}\n}}\n\
         #[test]\nfn a_test() {{\n{body}}}\n"
    );
    let long = long_functions("src/x.rs", &text);
    let names: Vec<(&str, usize)> = long.iter().map(|l| (l.name.as_str(), l.lines)).collect();
    assert_eq!(names, [("long", LIMIT + 2), ("method", LIMIT + 2)]);
    let fits = format!("fn fits() {{\n{}}}\n", "    let x = 1;\n".repeat(LIMIT - 2));
    assert!(long_functions("src/x.rs", &fits).is_empty());
}
