//! Printers for `--list`, `validate`, `stats`, `review`, `routes` and `--check`, from plain
//! data: the library makes the reports, these turn them into text; `output.rs` writes the text.

use std::path::Path;

use crate::dataset::stats::Stats;
use crate::dataset::validate::{Report, Spread};
use crate::extract::routes::{RouteRow, RouteTable};
use crate::extract::select::Via;
use crate::extract::tree::CrateChoice;
use crate::pipeline::ListRow;
use crate::write::llm::review::{Reviewed, Verdict};

/// The `--list` table: kind, name, line range, reason; in directory mode the file first.
pub fn list_table(rows: &[ListRow]) -> String {
    let file_width = rows
        .iter()
        .filter_map(|r| r.file.as_ref().map(String::len))
        .max();
    let kind_width = rows.iter().map(|r| r.kind.len()).max().unwrap_or(0);
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let lines: Vec<String> = rows
        .iter()
        .map(|r| format!("{}-{}", r.lines.0, r.lines.1))
        .collect();
    let lines_width = lines.iter().map(String::len).max().unwrap_or(0);
    rows.iter()
        .zip(&lines)
        .map(|(r, l)| {
            let file = match (file_width, &r.file) {
                (Some(width), Some(file)) => format!("{file:width$}  "),
                _ => String::new(),
            };
            format!(
                "{file}{:kind_width$}  {:name_width$}  {:lines_width$}  {}\n",
                r.kind, r.name, l, r.reason
            )
        })
        .collect()
}

/// The warning for an example left out: its unit and where it is (the file relative to
/// `input` when that is a folder; the commit in history mode), the check that failed, and the
/// words at fault.
pub fn dropped_line(dropped: &crate::dataset::example::Dropped, input: &Path) -> String {
    let mut place = Vec::new();
    if let Some(commit) = &dropped.commit {
        // Nine hex digits, as the history's `--list` shows commits.
        place.push(commit.get(..9).unwrap_or(commit).to_owned());
    }
    if let Some(path) = &dropped.path {
        // In crate mode a path is shown from the crate folder; a single file as given.
        let shown = match path.strip_prefix(input) {
            Ok(relative) if input.is_dir() => relative,
            _ => path,
        };
        place.push(shown.display().to_string());
    }
    place.push(format!("variant {}", dropped.variant));
    format!(
        "{} ({}) left out: {}: \"{}\"",
        dropped.unit,
        place.join(", "),
        dropped.reason,
        dropped.excerpt
    )
}

/// Why OUT does not hold `expected`: missing, or the first line that differs with a short
/// excerpt of both sides. None when it is current.
pub fn staleness(path: &Path, expected: &str, found: Option<&str>) -> Option<String> {
    let Some(found) = found else {
        return Some(format!(
            "{} does not exist; run without --check to write it",
            path.display()
        ));
    };
    if found == expected {
        return None;
    }
    let mut expected_lines = expected.split_inclusive('\n');
    let mut found_lines = found.split_inclusive('\n');
    let mut line = 1;
    loop {
        let (e, f) = (expected_lines.next(), found_lines.next());
        if e != f {
            let e = e.unwrap_or("");
            let f = f.unwrap_or("");
            let column = e.chars().zip(f.chars()).take_while(|(a, b)| a == b).count();
            return Some(format!(
                "{} is stale: first difference at line {line}\n  expected: {}\n  found:    {}",
                path.display(),
                excerpt(e, column),
                excerpt(f, column),
            ));
        }
        line += 1;
    }
}

/// About 60 characters of `line` around character `column`, marked where it was cut.
fn excerpt(line: &str, column: usize) -> String {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.is_empty() {
        return "(nothing)".to_owned();
    }
    let start = column.saturating_sub(20);
    let text: String = line.chars().skip(start).take(60).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if line.chars().count() > start + 60 {
        "…"
    } else {
        ""
    };
    format!("{before}{text}{after}")
}

/// `validate`'s report: each fault as `FILE:LINE: message`, warnings likewise, then a summary
/// and the token figures.
pub fn validate_report(
    path: &Path,
    report: &Report,
    tokens: &Spread,
    encoding: &str,
    over_budget: Option<usize>,
) -> String {
    let file = path.display();
    let mut out = String::new();
    for fault in &report.faults {
        out.push_str(&format!("{file}:{}: {}\n", fault.line, fault.message));
    }
    for warning in &report.warnings {
        out.push_str(&format!(
            "{file}:{}: warning: {}\n",
            warning.line, warning.message
        ));
    }
    let lines = report.lines.len();
    let wire = report.format.name();
    if report.faults.is_empty() && lines == 0 {
        out.push_str(&format!("{file}: empty, no examples\n"));
    } else if report.faults.is_empty() {
        out.push_str(&format!("{file}: {lines} examples ({wire}), no faults\n"));
    } else {
        out.push_str(&format!(
            "{file}: {} fault(s) in {} line(s) read as {wire}\n",
            report.faults.len(),
            lines
                + report
                    .faults
                    .iter()
                    .filter(|f| !report.lines.iter().any(|l| l.number == f.line))
                    .count()
        ));
    }
    out.push_str(&format!(
        "tokens ({encoding}, message contents): min {}, median {}, max {}, total {}\n",
        tokens.min, tokens.median, tokens.max, tokens.total
    ));
    if let Some(budget) = over_budget {
        out.push_str(&format!(
            "{file}: {} tokens, over the --token-budget of {budget}\n",
            tokens.total
        ));
    }
    out
}

/// `stats` as a short table.
pub fn stats_table(path: &Path, stats: &Stats) -> String {
    let mut out = format!("{}\n", path.display());
    let row = |out: &mut String, key: &str, value: String| {
        out.push_str(&format!("  {key:<15} {value}\n"));
    };
    row(&mut out, "format", stats.format.clone());
    row(&mut out, "examples", stats.examples.to_string());
    row(&mut out, "units", stats.units.to_string());
    let facts: Vec<String> = stats
        .facts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    row(&mut out, "facts", facts.join(", "));
    row(
        &mut out,
        "tokens",
        format!(
            "min {}, median {}, max {}, total {} ({})",
            stats.tokens.min,
            stats.tokens.median,
            stats.tokens.max,
            stats.tokens.total,
            stats.encoding
        ),
    );
    if let Some(largest) = &stats.largest {
        row(
            &mut out,
            "largest",
            format!("line {} ({} tokens)", largest.line, largest.tokens),
        );
    }
    row(
        &mut out,
        "repeated shapes",
        format!(
            "{:.1}% of reasoning sentences",
            stats.repeated_shapes * 100.0
        ),
    );
    row(
        &mut out,
        "near-duplicates",
        format!(
            "{} pair(s) of requests or reasonings (word 5-gram Jaccard >= {})",
            stats.near_duplicates,
            crate::dataset::quality::NEAR_DUPLICATE_THRESHOLD
        ),
    );
    row(
        &mut out,
        "distinctness",
        format!(
            "{:.3} (distinct word 3-grams of the requests / all)",
            stats.request_distinctness
        ),
    );
    row(
        &mut out,
        "member-only",
        format!(
            "{} request line(s) that only name members",
            stats.member_only_request_lines
        ),
    );
    if let Some(tally) = &stats.model {
        row(&mut out, "model", tally.counts());
    }
    out
}

/// `stats --json`: one JSON object and a newline.
pub fn stats_json(stats: &Stats) -> String {
    // A struct of strings and numbers always serializes.
    serde_json::to_string(stats).unwrap_or_default() + "\n"
}

/// `review`'s report: per line `line N: M unsupported` and each sentence flagged with why, or
/// why the line has no verdict.
pub fn review_report(lines: &[Reviewed]) -> String {
    let mut out = String::new();
    for reviewed in lines {
        let line = reviewed.line;
        match &reviewed.verdict {
            Verdict::Flagged(flags) => {
                out.push_str(&format!("line {line}: {} unsupported\n", flags.len()));
                for flag in flags {
                    out.push_str(&format!(
                        "  - \"{}\"\n    why: {}\n",
                        flag.sentence, flag.why
                    ));
                }
            }
            Verdict::NotRead(why) => out.push_str(&format!("line {line}: not read: {why}\n")),
            Verdict::NoVerdict(why) => {
                out.push_str(&format!("line {line}: no verdict: {why}\n"));
            }
        }
    }
    out
}

/// `review --json`: one object per line, `{"line":N,"unsupported":[{"sentence":…,"why":…}]}`,
/// or `{"line":N,"error":…}` for a line not read or with no verdict.
pub fn review_json(lines: &[Reviewed]) -> String {
    lines
        .iter()
        .map(|reviewed| {
            let value = match &reviewed.verdict {
                Verdict::Flagged(flags) => serde_json::json!({
                    "line": reviewed.line,
                    "unsupported": flags
                        .iter()
                        .map(|f| serde_json::json!({"sentence": f.sentence, "why": f.why}))
                        .collect::<Vec<_>>(),
                }),
                Verdict::NotRead(why) => serde_json::json!({
                    "line": reviewed.line,
                    "error": format!("not read: {why}"),
                }),
                Verdict::NoVerdict(why) => serde_json::json!({
                    "line": reviewed.line,
                    "error": why,
                }),
            };
            format!("{value}\n")
        })
        .collect()
}

/// `profiles`: each built-in profile's name, its root routes and what it is for.
pub fn profiles_table(profiles: &[crate::profile::Profile]) -> String {
    let width = profiles.iter().map(|p| p.name().len()).max().unwrap_or(0);
    let roots: Vec<String> = profiles.iter().map(|p| p.describe_roots()).collect();
    let roots_width = roots.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    profiles
        .iter()
        .zip(&roots)
        .map(|(p, r)| {
            let pad = roots_width - r.chars().count();
            format!(
                "{:width$}  {r}{:pad$}  {}\n",
                p.name(),
                "",
                p.file.description
            )
        })
        .collect()
}

/// Which crate a run at a repository root reads, when it is not INPUT itself: the crate, and
/// the others that also hold a focus file.
pub fn crate_choice(input: &Path, choice: &CrateChoice, focus: &str) -> Option<String> {
    if choice.candidates.is_empty() {
        return None;
    }
    let chosen = choice.root.display();
    if choice.candidates.len() == 1 {
        return Some(format!(
            "reading the crate {chosen}, whose files match --focus {focus}"
        ));
    }
    let all: Vec<String> = choice
        .candidates
        .iter()
        .map(|c| c.display().to_string())
        .collect();
    Some(format!(
        "{} crates under {} have files matching --focus {focus} ({}): reading {chosen}",
        all.len(),
        input.display(),
        all.join(", ")
    ))
}

/// `history --list`: one line per commit: short id, kept (with its example count) or dropped
/// (with why), the items it added (+), changed (~), removed (-) and moved to another file
/// unchanged (>, a folder's history), and its subject.
pub fn history_table(rows: &[crate::history::CommitRow]) -> String {
    let outcomes: Vec<String> = rows
        .iter()
        .map(|r| match &r.outcome {
            Ok(n) => format!("kept {n}"),
            Err(why) => format!("dropped: {why}"),
        })
        .collect();
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            // A whole file coming or going is a count, not a list of every item in it.
            let names = |sign: char, names: &[String]| -> Vec<String> {
                if names.len() > 6 {
                    vec![format!("{sign}{} items", names.len())]
                } else {
                    names.iter().map(|n| format!("{sign}{n}")).collect()
                }
            };
            let mut parts: Vec<String> = Vec::new();
            parts.extend(names('+', &r.added));
            parts.extend(names('~', &r.changed));
            parts.extend(names('-', &r.removed));
            parts.extend(names('>', &r.moved));
            if parts.is_empty() {
                "·".to_owned()
            } else {
                parts.join(" ")
            }
        })
        .collect();
    let outcome_width = outcomes
        .iter()
        .map(|o| o.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .zip(&outcomes)
        .zip(&items)
        .map(|((r, outcome), items)| {
            format!(
                "{}  {outcome:outcome_width$}  {}  [{items}]\n",
                r.short, r.subject
            )
        })
        .collect()
}

/// The summary of a history run: commits read, kept, and dropped by reason.
pub fn history_summary(history: &crate::history::History) -> String {
    let kept = history.rows.iter().filter(|r| r.outcome.is_ok()).count();
    let followed = match history.folder {
        true => "a .rs file of the folder",
        false => "the file",
    };
    let mut summary = format!(
        "{} commit(s) changed {followed}: {kept} kept ({} examples)",
        history.rows.len(),
        history.examples.len()
    );
    let dropped = history.dropped_counts();
    if !dropped.is_empty() {
        let reasons: Vec<String> = dropped
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        summary.push_str(&format!(", dropped {}", reasons.join(", ")));
    }
    summary
}

/// `routes`: a header, then one aligned row per route: method, full path, handler, where it is
/// defined, operation id, how it is registered (aide or axum), the built-in profile whose root
/// it is (`profiles[i]` for route i); a last column of `#[cfg(…)]` conditions when a route has
/// any. `-` marks an empty cell.
pub fn routes_table(routes: &[RouteRow], profiles: &[Option<&str>]) -> String {
    let with_cfg = routes.iter().any(|r| !r.cfg.is_empty());
    let mut header = [
        "METHOD",
        "PATH",
        "HANDLER",
        "FILE:LINE",
        "OPERATION",
        "VIA",
        "PROFILE",
    ]
    .map(str::to_owned)
    .to_vec();
    if with_cfg {
        header.push("CFG".to_owned());
    }
    let mut rows = vec![header];
    for (route, profile) in routes.iter().zip(profiles) {
        let mut row = vec![
            route.method.clone(),
            route.path.clone(),
            route.handler.clone(),
            route
                .defined
                .as_ref()
                .map_or("-".to_owned(), |p| p.to_string()),
            route.operation_id.clone().unwrap_or_else(|| "-".to_owned()),
            route.via.label().to_owned(),
            profile.unwrap_or("-").to_owned(),
        ];
        if with_cfg {
            row.push(if route.cfg.is_empty() {
                "-".to_owned()
            } else {
                route.cfg.join(", ")
            });
        }
        rows.push(row);
    }
    aligned(&rows)
}

/// Rows of cells as columns two spaces apart, each as wide as its widest cell (the last one
/// unpadded).
fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            let cells = rows.iter().filter_map(|r| r.get(c));
            cells.map(|cell| cell.chars().count()).max().unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c] - cell.chars().count();
                line.push_str(&format!("{cell}{:pad$}  ", ""));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `routes --json`: one object per route and line, keys in this order: `method`, `path`,
/// `handler`, `file` and `line` (where the handler is defined; null when no function of the
/// crate is it), `operation_id` (null when none), `via` (`aide` or `axum`), `profile` (null when
/// none), `registered` (`file:line` of the route's path), `cfg` and `routers` (lists).
pub fn routes_json(routes: &[RouteRow], profiles: &[Option<&str>]) -> String {
    routes
        .iter()
        .zip(profiles)
        .map(|(route, profile)| {
            let value = serde_json::json!({
                "method": route.method,
                "path": route.path,
                "handler": route.handler,
                "file": route.defined.as_ref().map(|p| p.file.display().to_string()),
                "line": route.defined.as_ref().map(|p| p.line),
                "operation_id": route.operation_id,
                "via": route.via.label(),
                "profile": profile,
                "registered": route.registered.to_string(),
                "cfg": route.cfg,
                "routers": route.routers,
            });
            format!("{value}\n")
        })
        .collect()
}

/// What `routes` found, for stderr, the table having gone to `destination` (None: stdout):
/// `wrote 52 routes (47 through aide, 5 through axum) to OUT, from 12 routers in 85 files`.
pub fn routes_summary(table: &RouteTable, destination: Option<&Path>) -> String {
    let aide = table.routes.iter().filter(|r| r.via == Via::Aide).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let routes = format!(
        "{} ({aide} through aide, {} through axum)",
        plural(table.routes.len(), "route"),
        table.routes.len() - aide
    );
    let found = format!(
        "from {} in {}",
        plural(table.routers, "router"),
        plural(table.files, "file")
    );
    match destination {
        Some(path) => format!("wrote {routes} to {}, {found}", path.display()),
        None => format!("{routes} {found}"),
    }
}

/// Which crate `routes` reads, when it is not CRATE itself: the crate, and the others found.
pub fn routes_crate_choice(input: &Path, choice: &CrateChoice) -> Option<String> {
    match choice.candidates.len() {
        0 => None,
        1 => Some(format!("reading the crate {}", choice.root.display())),
        n => Some(format!(
            "{n} crates under {} ({}): reading {} (give CRATE to read another)",
            input.display(),
            choice
                .candidates
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            choice.root.display()
        )),
    }
}

/// One operation of an `--all-routes` run, as its summary table gives it.
pub struct OperationRow {
    pub name: String,
    pub examples: usize,
    pub units: usize,
    /// Items it reaches that an earlier operation's dataset holds.
    pub shared: usize,
    /// o200k_base tokens of its requests, reasonings and code.
    pub tokens: usize,
}

/// The summary table of an `--all-routes` run: one row per dataset written, then the totals.
pub fn operations_table(rows: &[OperationRow]) -> String {
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .chain(["OPERATION".len(), "all".len()])
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "{:<width$}  {:>8}  {:>5}  {:>6}  {:>7}\n",
        "OPERATION", "EXAMPLES", "UNITS", "SHARED", "TOKENS"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<width$}  {:>8}  {:>5}  {:>6}  {:>7}\n",
            row.name, row.examples, row.units, row.shared, row.tokens
        ));
    }
    let sum = |f: fn(&OperationRow) -> usize| rows.iter().map(f).sum::<usize>();
    out.push_str(&format!(
        "{:<width$}  {:>8}  {:>5}  {:>6}  {:>7}",
        "all",
        sum(|r| r.examples),
        sum(|r| r.units),
        sum(|r| r.shared),
        sum(|r| r.tokens)
    ));
    out
}
