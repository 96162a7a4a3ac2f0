//! Whether an example's text says more than its code shows, worked out from the texts alone:
//! not with `check`, which the pipeline already ran on every example it gives, so that a fault
//! slipping past it (or a check that no longer looks) fails a test.

/// The faults of one example's text: a code span left open or spread over lines; a backticked
/// span of the reasoning not in the code, or of the request in neither the code nor `file` (a
/// route path from the router); a double-quoted text of the reasoning (a doc comment, a
/// message) left open or not in the code. A quoted doc comment may mark the code names it
/// carries as code (issue 18: backticked when quoted), so a quotation is compared with its
/// backticks, and the code's, taken out; and it may quote a paragraph wrapped over several
/// `///` lines (issue 21), so it is also compared with each doc comment's lines joined by a
/// space.
pub fn ungrounded(request: &str, reasoning: &str, code: &str, file: &str) -> Vec<String> {
    let mut faults = Vec::new();
    for (what, text, within) in [("request", request, file), ("reasoning", reasoning, code)] {
        if !text.matches('`').count().is_multiple_of(2) {
            faults.push(format!("the {what} leaves a code span open"));
        }
        for span in text.split('`').skip(1).step_by(2) {
            if span.contains(['\r', '\n']) {
                faults.push(format!("the {what} quotes `{span}` across lines"));
            } else if !code.contains(span) && !within.contains(span) {
                faults.push(format!("the {what} quotes `{span}`, not in the code"));
            }
        }
    }
    let (quotations, open) = quotations(reasoning);
    if open {
        faults.push("the reasoning leaves a quotation open".to_owned());
    }
    let unmarked_code = code.replace('`', "");
    let joined_docs = joined_doc_lines(&unmarked_code);
    for quoted in quotations {
        let unmarked = quoted.replace('`', "");
        if !code.contains(&quoted)
            && !unmarked_code.contains(&unmarked)
            && !joined_docs.contains(&unmarked)
        {
            faults.push(format!(
                "the reasoning quotes \"{quoted}\", not in the code"
            ));
        }
    }
    faults
}

/// The code with every run of `///` doc lines as one line of text, their lines joined by a
/// space: `/// a\n    /// b` reads `a b`.
fn joined_doc_lines(code: &str) -> String {
    let mut out = String::new();
    let mut in_doc = false;
    for line in code.lines() {
        match line.trim_start().strip_prefix("///") {
            Some(text) => {
                out.push_str(if in_doc { " " } else { "\n" });
                out.push_str(text.trim());
                in_doc = true;
            }
            None => {
                out.push('\n');
                out.push_str(line);
                in_doc = false;
            }
        }
    }
    out
}

/// The double-quoted texts of a prose, outside code spans (a quotation may hold a code span: a
/// doc comment naming a type), and whether the last one is left open.
fn quotations(text: &str) -> (Vec<String>, bool) {
    let (mut in_code, mut quote) = (false, None::<String>);
    let mut found = Vec::new();
    for c in text.chars() {
        match (&mut quote, c) {
            (Some(_), '"') => found.extend(quote.take()),
            (Some(quoted), c) => quoted.push(c),
            (None, '`') => in_code = !in_code,
            (None, '"') if !in_code => quote = Some(String::new()),
            (None, _) => {}
        }
    }
    (found, quote.is_some())
}
