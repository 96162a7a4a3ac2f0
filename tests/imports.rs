//! The house rules of `src/`, read from its own text: every module's `crate::` imports (in `use`
//! declarations, `{…}` groups spanning lines included, and paths written inline in code), no
//! cycle between modules, and between folders only the edges that point down:
//!
//! ```text
//! top (main, lib, cli, commands, report, profile, pipeline, protected) → any folder
//! write   → dataset, extract
//! history → dataset, extract
//! dataset → extract
//! extract → nothing outside extract
//! ```
//!
//! Code under `#[cfg(test)]` is not counted: a unit test may build its input with the top (a
//! profile, a whole pipeline run), and the library does not depend on it. The test-only edges
//! that point up are printed, for the record. `cargo test --test imports -- --nocapture` prints
//! the folder graph.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The folders below the top, and the folders each may import from.
const ALLOWED: [(&str, &[&str]); 4] = [
    ("write", &["dataset", "extract"]),
    ("history", &["dataset", "extract"]),
    ("dataset", &["extract"]),
    ("extract", &[]),
];

/// One module (`extract::select`, or `crate` for lib.rs) and the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Library code and test code read apart.
struct Graphs {
    code: Graph,
    tests: Graph,
}

/// Blanks comments, string and character literals (with spaces, keeping every line), so that a
/// `crate::` in a doc comment or in a test's source text is not read as an import.
fn strip(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |out: &mut String, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
        } else if (c[i] == 'r' || c[i] == 'b')
            && !c[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
            && raw_string_start(&c, i).is_some()
        {
            let (hashes, body) = raw_string_start(&c, i).unwrap();
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut j = body;
            while j < c.len() && !c[j..].starts_with(&close) {
                j += 1;
            }
            let end = (j + close.len()).min(c.len());
            for &ch in &c[i..end] {
                blank(&mut out, ch);
            }
            i = end;
        } else if c[i] == '"' {
            blank(&mut out, c[i]);
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    blank(&mut out, c[i]);
                    i += 1;
                }
                if i < c.len() {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            if i < c.len() {
                blank(&mut out, c[i]);
                i += 1;
            }
        } else if c[i] == '\'' {
            // A character literal ('x', '\n', '\u{..}'); anything else is a lifetime.
            let end = if next == Some('\\') {
                (i + 2..c.len()).find(|&j| c[j] == '\'').map(|j| j + 1)
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for &ch in &c[i..end] {
                        blank(&mut out, ch);
                    }
                    i = end;
                }
                None => {
                    out.push(c[i]);
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `r"`, `r#"`, `br##"`…: the number of `#` and where the body starts.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if c[j] == 'b' {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|&&ch| ch == '#').count();
    j += hashes;
    (c.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// The text with every `#[cfg(test)]` item cut out, and the cut-out text (stripped text in).
fn split_tests(text: &str) -> (String, String) {
    let (mut code, mut tests) = (String::new(), String::new());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        code.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (k, ch) in item.char_indices().skip("#[cfg(test)]".len()) {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        tests.push_str(&item[..end]);
        rest = &item[end..];
    }
    code.push_str(rest);
    (code, tests)
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Every path that starts with `crate::` in stripped text, `{…}` groups expanded:
/// `crate::{a, b::{c, d}}` gives `a`, `b::c`, `b::d`.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let c: Vec<char> = text.chars().collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while i + 7 <= c.len() {
        let starts = c[i..i + 7].iter().copied().eq("crate::".chars());
        if starts && (i == 0 || !is_ident(c[i - 1])) {
            let mut j = i + 7;
            tree(&c, &mut j, Vec::new(), &mut paths);
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    paths
}

fn skip_space(c: &[char], j: &mut usize) {
    while *j < c.len() && c[*j].is_whitespace() {
        *j += 1;
    }
}

/// One use-tree after a `::`: a path of identifiers, then maybe a `{…}` group of trees.
fn tree(c: &[char], j: &mut usize, mut prefix: Vec<String>, paths: &mut Vec<Vec<String>>) {
    loop {
        skip_space(c, j);
        if c.get(*j) == Some(&'{') {
            *j += 1;
            loop {
                skip_space(c, j);
                match c.get(*j) {
                    Some('}') => {
                        *j += 1;
                        return;
                    }
                    Some(',') => *j += 1,
                    None => return,
                    _ => {
                        let before = *j;
                        tree(c, j, prefix.clone(), paths);
                        // `as name`, or anything the grammar here does not know: skip to the
                        // next `,` or `}` of this group.
                        while *j < c.len() && c[*j] != ',' && c[*j] != '}' {
                            *j += 1;
                        }
                        if *j == before {
                            *j += 1;
                        }
                    }
                }
            }
        }
        let start = *j;
        while *j < c.len() && is_ident(c[*j]) {
            *j += 1;
        }
        let segment: String = c[start..*j].iter().collect();
        if !segment.is_empty() && segment != "self" {
            prefix.push(segment);
        }
        let mut k = *j;
        skip_space(c, &mut k);
        if c.get(k) == Some(&':') && c.get(k + 1) == Some(&':') {
            *j = k + 2;
        } else {
            paths.push(prefix);
            return;
        }
    }
}

/// Paths that start at a child module without `crate::` (in lib.rs `commands::generate`, in
/// history/mod.rs `git::Repo`), written out from the crate root.
fn qualify_children(text: &str, module: &str, modules: &BTreeSet<String>) -> String {
    let prefix = if module == "crate" || module == "main" {
        String::new()
    } else {
        format!("{module}::")
    };
    let children: BTreeSet<&str> = modules
        .iter()
        .filter_map(|m| m.strip_prefix(prefix.as_str()))
        .filter(|rest| !rest.is_empty() && !rest.contains("::") && *rest != "crate")
        .collect();
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let starts_word = is_ident(c[i])
            && (i == 0 || !(is_ident(c[i - 1]) || matches!(c[i - 1], ':' | '.' | '$')));
        if starts_word {
            let end = (i..c.len()).find(|&j| !is_ident(c[j])).unwrap_or(c.len());
            let word: String = c[i..end].iter().collect();
            if children.contains(word.as_str())
                && c.get(end) == Some(&':')
                && c.get(end + 1) == Some(&':')
            {
                out.push_str("crate::");
                out.push_str(&prefix);
            }
            out.push_str(&word);
            i = end;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The module a source file defines: `src/extract/select.rs` → `extract::select`,
/// `src/extract/mod.rs` → `extract`, `src/lib.rs` → `crate`, `src/main.rs` → `main`.
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [one] if one == "lib" => "crate".to_string(),
        _ => parts.join("::"),
    }
}

/// The folder a module belongs to: the first part of its path when that is a folder, `top`
/// otherwise.
fn folder_of(module: &str, folders: &BTreeSet<String>) -> String {
    let first = module.split("::").next().unwrap_or(module);
    if folders.contains(first) {
        first.to_string()
    } else {
        "top".to_string()
    }
}

/// The longest known module a path names (`extract::units::Imports` → `extract::units`); a
/// name defined in lib.rs (`crate::CheckFailed`) is the module `crate`.
fn target(path: &[String], modules: &BTreeSet<String>) -> String {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_else(|| "crate".to_string())
}

/// The import graphs of a set of files (path under `src/`, text).
fn graphs(files: &[(PathBuf, String)]) -> Graphs {
    let modules: BTreeSet<String> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut graphs = Graphs {
        code: Graph::new(),
        tests: Graph::new(),
    };
    for (path, text) in files {
        let module = module_of(path);
        let mut stripped = strip(text);
        if module == "main" {
            stripped = stripped.replace("svix_distill::", "crate::");
        }
        let stripped = qualify_children(&stripped, &module, &modules);
        let (code, tests) = split_tests(&stripped);
        for (part, graph) in [(code, &mut graphs.code), (tests, &mut graphs.tests)] {
            let imports = graph.entry(module.clone()).or_default();
            for path in crate_paths(&part) {
                let to = target(&path, &modules);
                if to != module {
                    imports.insert(to);
                }
            }
        }
    }
    graphs
}

/// Every cycle's modules (strongly connected components of more than one module), Tarjan's way.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found.sort();
    s.found
}

/// Folder → folder edges, each with the module imports that make it.
fn folder_edges(graph: &Graph) -> BTreeMap<(String, String), Vec<String>> {
    let folders: BTreeSet<String> = ALLOWED.iter().map(|(f, _)| f.to_string()).collect();
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (from, imports) in graph {
        for to in imports {
            let (a, b) = (folder_of(from, &folders), folder_of(to, &folders));
            if a != b {
                edges
                    .entry((a, b))
                    .or_default()
                    .push(format!("{from} → {to}"));
            }
        }
    }
    edges
}

fn allowed(from: &str, to: &str) -> bool {
    from == "top"
        || ALLOWED
            .iter()
            .any(|(f, tos)| *f == from && tos.contains(&to))
}

/// What breaks the rules: each cycle, and each folder edge not allowed, with its imports.
fn faults(graph: &Graph) -> Vec<String> {
    let mut faults: Vec<String> = cycles(graph)
        .into_iter()
        .map(|c| format!("import cycle between {}", c.join(", ")))
        .collect();
    for ((from, to), why) in folder_edges(graph) {
        if !allowed(&from, &to) {
            faults.push(format!("{from}/ must not import {to}: {}", why.join("; ")));
        }
    }
    faults
}

fn print_graph(graph: &Graph) -> String {
    let mut out = String::new();
    for ((from, to), why) in folder_edges(graph) {
        let _ = writeln!(out, "{from} → {to} ({} imports)", why.len());
    }
    out
}

#[test]
fn src_imports_point_down_and_never_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = support::rust_files(&root, &root);
    assert!(files.len() > 20, "src/ read: {} files", files.len());
    let graphs = graphs(&files);
    let graph = print_graph(&graphs.code);
    println!("folder imports (library code):\n{graph}");
    let folders: BTreeSet<String> = ALLOWED.iter().map(|(f, _)| f.to_string()).collect();
    println!("test-only imports that point up (not checked):");
    for (from, imports) in &graphs.tests {
        for to in imports {
            let (a, b) = (folder_of(from, &folders), folder_of(to, &folders));
            if a != b && !allowed(&a, &b) && !graphs.code[from].contains(to) {
                println!("  {from} → {to}");
            }
        }
    }
    let faults = faults(&graphs.code);
    assert!(
        faults.is_empty(),
        "{}\n\nfolder imports:\n{graph}",
        faults.join("\n")
    );
}

fn file(path: &str, text: &str) -> (PathBuf, String) {
    (PathBuf::from(path), text.to_string())
}

#[test]
fn groups_over_lines_and_inline_paths_are_read_and_comments_and_strings_are_not() {
    let files = [
        file("lib.rs", "pub mod extract;\npub struct Flag;"),
        file(
            "extract/mod.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub mod d;\nfn f() { d::f(); a::S; }",
        ),
        file(
            "extract/a.rs",
            "use crate::extract::{\n    b::One,\n    c,\n};\nstruct S;",
        ),
        file("extract/d.rs", "fn f() { crate::extract::a::f(); }"),
        file(
            "extract/b.rs",
            "// use crate::extract::a;\n/// [`crate::extract::a`]\nconst T: &str = r#\"crate::extract::a\"#;\nconst U: char = '\"';\nfn f<'a>(x: &'a str) { let _ = \"crate::extract::a\"; crate::Flag; }",
        ),
        file(
            "extract/c.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { use crate::extract::a; }",
        ),
    ];
    let graphs = graphs(&files);
    let edges = |m: &str| graphs.code[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(edges("extract::a"), ["extract::b", "extract::c"]);
    assert_eq!(edges("extract::b"), ["crate"]);
    // A child module named without `crate::`, as lib.rs and a folder's mod.rs name theirs.
    assert_eq!(edges("extract"), ["extract::a", "extract::d"]);
    assert!(edges("extract::c").is_empty());
    assert_eq!(
        graphs.tests["extract::c"].iter().collect::<Vec<_>>(),
        ["extract::a"]
    );
}

#[test]
fn a_cycle_and_an_upward_import_are_faults() {
    let files = [
        file(
            "lib.rs",
            "pub mod extract; pub mod dataset; pub mod profile;",
        ),
        file("profile.rs", "use crate::extract::a::A;"),
        file("extract/mod.rs", "pub mod a; pub mod b;"),
        file("extract/a.rs", "use crate::extract::b::B; pub struct A;"),
        file("extract/b.rs", "pub struct B(crate::extract::a::A);"),
        file("dataset/mod.rs", "pub mod d;"),
        file("dataset/d.rs", "use crate::profile::P;"),
    ];
    assert_eq!(
        faults(&graphs(&files).code),
        [
            "import cycle between extract::a, extract::b",
            "dataset/ must not import top: dataset::d → profile",
        ]
    );
    // The same files with the cycle and the upward import taken out pass.
    let files = [
        file(
            "lib.rs",
            "pub mod extract; pub mod dataset; pub mod profile;",
        ),
        file("profile.rs", "use crate::extract::a::A;"),
        file("extract/mod.rs", "pub mod a; pub mod b;"),
        file("extract/a.rs", "use crate::extract::b::B; pub struct A;"),
        file("extract/b.rs", "pub struct B;"),
        file("dataset/mod.rs", "pub mod d;"),
        file("dataset/d.rs", "use crate::extract::b::B;"),
    ];
    assert!(faults(&graphs(&files).code).is_empty());
}
