//! What a git commit message says once the bookkeeping around it is gone: history mode pairs
//! svix-server commit messages with the code they changed, and only the maintainer's own words
//! belong in a training example. This module cleans a raw message ([`clean`]), measures it
//! ([`word_count`]), spots reverts ([`is_revert`]) and reads the merged PR's number
//! ([`pr_number`]). Pure text in, text out: no git, no I/O.
//!
//! What goes, and why:
//! - the `(#1466)` GitHub appends to a squash-merged subject: a number, not a description;
//! - trailers (`Signed-off-by:`, `Co-authored-by:`, …): who, not what;
//! - issue and PR URLs, and lines that only point at issues (`Fixes #1933`): pointers a model
//!   cannot follow;
//! - the `---------` row GitHub puts above its `Co-authored-by:` block, once nothing follows it.
//!
//! Everything else stays word for word, including the `* ` list of squashed commits GitHub
//! writes into a squash-merge body: those are the maintainer's words too.

/// A commit message with the bookkeeping removed: the subject line and the body below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub subject: String,
    pub body: String,
}

impl Cleaned {
    /// The message as git shows it: the subject, then a blank line and the body when there is
    /// one.
    pub fn text(&self) -> String {
        if self.body.is_empty() {
            self.subject.clone()
        } else {
            format!("{}\n\n{}", self.subject, self.body)
        }
    }
}

/// Trailer keys whose lines are removed, compared case-insensitively: git itself treats
/// `Co-authored-by` and `Co-Authored-By` as one key.
const DROPPED_TRAILER_KEYS: [&str; 9] = [
    "signed-off-by",
    "co-authored-by",
    "reviewed-by",
    "acked-by",
    "tested-by",
    "reported-by",
    "suggested-by",
    "helped-by",
    "change-id",
];

/// Words that may sit beside issue references on a line that only points at issues
/// (`Fixes #1`, `Related to #4`, `See: <url>`). Compared lowercased. Such a line is dropped only
/// when it holds at least one reference, so a body line that is just `Fixed.` stays.
const REFERENCE_WORDS: [&str; 24] = [
    "fix",
    "fixes",
    "fixed",
    "close",
    "closes",
    "closed",
    "resolve",
    "resolves",
    "resolved",
    "ref",
    "refs",
    "reference",
    "references",
    "see",
    "related",
    "relates",
    "to",
    "part",
    "of",
    "and",
    "issue",
    "issues",
    "pr",
    "pull",
];

/// URL path segments that, followed by a number, make a URL point at an issue or a pull/merge
/// request (GitHub's `issues/12`, `pull/12`; GitLab's `issues/12`, `merge_requests/12`).
const ISSUE_PATH_SEGMENTS: [&str; 4] = ["issues", "pull", "pulls", "merge_requests"];

/// The shortest abbreviated hash git prints, so `This reverts commit abc` is not read as one.
const MIN_ABBREVIATED_HASH: usize = 7;

/// `raw` with the bookkeeping removed (see the module documentation). Line endings become `\n`.
pub fn clean(raw: &str) -> Cleaned {
    let normalized = normalize_line_endings(raw);
    let mut lines = normalized.lines();
    let subject = lines
        .by_ref()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(|line| split_trailing_pr_numbers(line).0.to_owned())
        .unwrap_or_default();
    let kept: Vec<String> = lines.filter_map(clean_body_line).collect();
    Cleaned {
        subject,
        body: tidy_blank_lines(kept).join("\n"),
    }
}

/// How many words the cleaned message has, subject and body: whitespace-separated tokens with
/// at least one letter or digit, so a lone `-` or `*` bullet is not a word.
pub fn word_count(cleaned: &Cleaned) -> usize {
    [&cleaned.subject, &cleaned.body]
        .into_iter()
        .flat_map(|text| text.split_whitespace())
        .filter(|token| token.chars().any(char::is_alphanumeric))
        .count()
}

/// Whether `raw` undoes another commit: its subject is `Revert "…"` (git's default) or
/// `Revert …` / `revert: …` with something after it, or the message says
/// `This reverts commit <hash>` (what `git revert` writes into the body).
pub fn is_revert(raw: &str) -> bool {
    let normalized = normalize_line_endings(raw);
    let subject = first_non_empty_line(&normalized);
    subject_says_revert(subject) || mentions_reverted_commit(&normalized)
}

/// The number of the PR the subject's trailing `(#N)` names, if it has one. With several
/// (`Fix x (#12) (#13)`, a PR that landed again through another) it is the last: the PR that
/// merged this commit. Takes the subject line; a whole message works too, as only its first
/// non-empty line is read.
pub fn pr_number(raw_subject: &str) -> Option<u32> {
    let normalized = normalize_line_endings(raw_subject);
    split_trailing_pr_numbers(first_non_empty_line(&normalized)).1
}

fn normalize_line_endings(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn first_non_empty_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
}

/// `subject` without its trailing `(#N)` suffixes (and the spaces before them), and the last
/// such N. The suffix must be exactly `(#` digits `)`, so `(see #12 for context)` stays.
fn split_trailing_pr_numbers(subject: &str) -> (&str, Option<u32>) {
    let mut rest = subject.trim_end();
    let mut last_number = None;
    while let Some((before, number)) = strip_one_pr_suffix(rest) {
        last_number.get_or_insert(number);
        rest = before.trim_end();
    }
    (rest, last_number)
}

fn strip_one_pr_suffix(text: &str) -> Option<(&str, u32)> {
    let inner_start = text.strip_suffix(')')?.rfind("(#")?;
    let digits = &text[inner_start + "(#".len()..text.len() - ")".len()];
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let number = digits.parse().ok()?;
    Some((&text[..inner_start], number))
}

/// A body line with issue URLs taken out and trailing whitespace trimmed, or `None` when the
/// line is a dropped trailer or, once its URLs are gone, only points at issues. Leading
/// whitespace stays: it indents code and nested lists.
fn clean_body_line(line: &str) -> Option<String> {
    let (without_urls, removed_a_url) = remove_issue_urls(line);
    let without_urls = without_urls.trim_end();
    // Judged after the cut, so a URL glued before a trailer cannot smuggle the trailer in.
    if is_dropped_trailer(without_urls) {
        return None;
    }
    let points_only_at_issues =
        (removed_a_url || has_issue_reference(without_urls)) && only_reference_words(without_urls);
    if points_only_at_issues {
        return None;
    }
    Some(without_urls.to_owned())
}

fn is_dropped_trailer(line: &str) -> bool {
    let Some((key, _value)) = line.trim_start().split_once(':') else {
        return false;
    };
    DROPPED_TRAILER_KEYS
        .iter()
        .any(|dropped| key.eq_ignore_ascii_case(dropped))
}

/// `line` with every issue or PR URL removed, and whether there was one. A URL wrapped as
/// `<url>` or `(url)` goes with its brackets; a Markdown link `[text](url)` keeps its text.
/// Where a URL was cut out, the space it leaves is closed up so the prose around it still reads.
fn remove_issue_urls(line: &str) -> (String, bool) {
    let mut text = line.to_owned();
    let mut removed_any = false;
    let mut search_from = 0;
    while let Some(url) = find_url(&text, search_from) {
        // A URL a sentence introduces with a colon ("the serde_json flatten issue with
        // RawValue: URL") is what the sentence points at: cutting it would leave the colon
        // dangling. Unless all before it is a reference word ("Fixes: URL").
        let before_url = text[..url.start].trim_end();
        let introduced = before_url.ends_with(':')
            && text[url.end..].trim().is_empty()
            && !only_reference_words(before_url.trim_end_matches(':'));
        if !is_issue_url(&text[url.clone()]) || introduced {
            search_from = url.end;
            continue;
        }
        let (cut, replacement) = url_cut(&text, url);
        let before = &text[..cut.start];
        let after = &text[cut.end..];
        // A link's text takes the URL's place, so only an outright removal leaves a gap.
        let (before, after) = if replacement.is_empty() {
            close_up(before, after)
        } else {
            (before, after)
        };
        text = format!("{before}{replacement}{after}");
        // A cut can join the text on either side into a new URL, so look again from the start.
        search_from = 0;
        removed_any = true;
    }
    (text, removed_any)
}

/// The byte range of the first `http://` or `https://` URL at or after `from`. A URL ends at
/// whitespace or a closing bracket or quote; sentence punctuation right after it is not part
/// of it.
fn find_url(text: &str, from: usize) -> Option<std::ops::Range<usize>> {
    let tail = &text[from..];
    let start = from
        + ["https://", "http://"]
            .iter()
            .filter_map(|scheme| tail.find(scheme))
            .min()?;
    let length = text[start..]
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"' | '\'' | '`'))
        .unwrap_or(text.len() - start);
    let url = text[start..start + length].trim_end_matches(['.', ',', ':', ';', '!', '?']);
    Some(start..start + url.len())
}

/// Whether `url`'s path has an `issues`/`pull`/`pulls`/`merge_requests` segment followed by
/// a number, as `https://github.com/svix/svix-webhooks/issues/1933` and
/// `https://github.com/org/repo/pull/12/files#diff-1` do.
fn is_issue_url(url: &str) -> bool {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = without_scheme.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    segments.windows(2).any(|pair| {
        ISSUE_PATH_SEGMENTS.contains(&pair[0])
            && !pair[1].is_empty()
            && pair[1].bytes().all(|byte| byte.is_ascii_digit())
    })
}

/// What to cut around the URL at `url`, and what to put in its place: a Markdown link's text,
/// or nothing.
fn url_cut(text: &str, url: std::ops::Range<usize>) -> (std::ops::Range<usize>, &str) {
    let before = &text[..url.start];
    let after = &text[url.end..];
    if before.ends_with("](") && after.starts_with(')') {
        let link_close = url.start - "](".len();
        if let Some(link_open) = text[..link_close].rfind('[') {
            let link_text = &text[link_open + 1..link_close];
            return (link_open..url.end + ")".len(), link_text);
        }
    }
    let wrapped = (before.ends_with('(') && after.starts_with(')'))
        || (before.ends_with('<') && after.starts_with('>'));
    if wrapped {
        return (url.start - 1..url.end + 1, "");
    }
    (url, "")
}

/// `before` and `after` a cut, with the doubled space or the space before punctuation the cut
/// left behind removed.
fn close_up<'a>(before: &'a str, after: &'a str) -> (&'a str, &'a str) {
    let before_ends_open = before.is_empty() || before.ends_with(char::is_whitespace);
    if before_ends_open && after.starts_with(char::is_whitespace) {
        return (before, after.trim_start());
    }
    if before.ends_with(char::is_whitespace) && after.starts_with([',', '.', ';', ':', '!', '?']) {
        return (before.trim_end(), after);
    }
    (before, after)
}

/// The line's tokens with surrounding punctuation (list bullets, commas, a `Fixes:` colon)
/// stripped; punctuation-only tokens come out empty.
fn reference_tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split_whitespace().map(|token| {
        token.trim_matches(|c: char| {
            matches!(
                c,
                ',' | ';'
                    | ':'
                    | '.'
                    | '!'
                    | '?'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '<'
                    | '>'
                    | '*'
                    | '-'
                    | '"'
                    | '\''
                    | '`'
            )
        })
    })
}

fn has_issue_reference(line: &str) -> bool {
    reference_tokens(line).any(is_issue_reference)
}

/// Whether every token of `line` is punctuation, a reference word or an issue reference.
fn only_reference_words(line: &str) -> bool {
    reference_tokens(line).all(|token| {
        token.is_empty()
            || is_issue_reference(token)
            || REFERENCE_WORDS.contains(&token.to_lowercase().as_str())
    })
}

/// `#1933` or `svix/svix-webhooks#1933`.
fn is_issue_reference(token: &str) -> bool {
    let Some((repository, number)) = token.split_once('#') else {
        return false;
    };
    let number_ok = !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit());
    let repository_ok = repository.is_empty()
        || repository.split_once('/').is_some_and(|(owner, name)| {
            [owner, name].iter().all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            })
        });
    number_ok && repository_ok
}

/// `lines` with no blank line at either end, no run of blank lines, and no `---------` row
/// left at the end (where GitHub puts one above `Co-authored-by:` trailers, now removed).
fn tidy_blank_lines(lines: Vec<String>) -> Vec<String> {
    let mut tidy: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        let is_blank = line.is_empty();
        let previous_blank = tidy.last().is_none_or(|previous| previous.is_empty());
        if !(is_blank && previous_blank) {
            tidy.push(line);
        }
    }
    while tidy
        .last()
        .is_some_and(|line| line.is_empty() || is_dash_row(line))
    {
        tidy.pop();
    }
    tidy
}

fn is_dash_row(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && line.bytes().all(|byte| byte == b'-')
}

fn subject_says_revert(subject: &str) -> bool {
    let Some(keyword) = subject.get(..6) else {
        return false;
    };
    if !keyword.eq_ignore_ascii_case("revert") {
        return false;
    }
    let rest = &subject[6..];
    let after_separator = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix(char::is_whitespace));
    after_separator.is_some_and(|what| !what.trim().is_empty())
}

/// Whether `text` says `This reverts commit <hash>`, the hash at least abbreviated-length hex.
fn mentions_reverted_commit(text: &str) -> bool {
    const PHRASE: &str = "this reverts commit ";
    let lowered = text.to_ascii_lowercase();
    lowered.match_indices(PHRASE).any(|(at, _)| {
        let after = &lowered[at + PHRASE.len()..];
        let hash_length = after
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(after.len());
        let hash_ends_word = after[hash_length..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        hash_length >= MIN_ABBREVIATED_HASH && hash_ends_word
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(subject: &str, body: &str) -> Cleaned {
        Cleaned {
            subject: subject.to_owned(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn squash_merge_subject_loses_its_pr_number_and_keeps_its_body() {
        let raw = "Return 409 on duplicate message insert (#1466)\n\nEnsure that we don't return a 5xx when user attempts to insert a duplicate message (i.e., due to msg-uid conflict)";
        assert_eq!(
            clean(raw),
            cleaned(
                "Return 409 on duplicate message insert",
                "Ensure that we don't return a 5xx when user attempts to insert a duplicate message (i.e., due to msg-uid conflict)"
            )
        );
    }

    #[test]
    fn subject_keeps_quotes_backticks_and_trailing_period() {
        assert_eq!(
            clean("Server: support accepting msg payload also as \"data\". (#536)").subject,
            "Server: support accepting msg payload also as \"data\"."
        );
        assert_eq!(
            clean("Support `payloadRetentionPeriod` for messages (#405)").subject,
            "Support `payloadRetentionPeriod` for messages"
        );
    }

    #[test]
    fn subject_without_pr_number_is_unchanged() {
        let raw = "server: Add support for creating application in cmg";
        assert_eq!(clean(raw), cleaned(raw, ""));
        assert_eq!(clean(raw).text(), raw);
    }

    #[test]
    fn pr_numbers_without_space_or_several_are_all_removed() {
        assert_eq!(clean("Bump axum(#1466)").subject, "Bump axum");
        assert_eq!(
            clean("server: fix retry schedule (#12) (#13)").subject,
            "server: fix retry schedule"
        );
        assert_eq!(clean("Fix (#12)(#13)  ").subject, "Fix");
    }

    #[test]
    fn parentheses_that_are_not_a_bare_pr_number_stay() {
        for subject in [
            "Fix endpoint secret rotation (see #12)",
            "Fix endpoint secret rotation (#)",
            "Fix endpoint secret rotation (#12a)",
            "Fix endpoint secret rotation (#12) for real",
            "Use u64 (not i64)",
        ] {
            assert_eq!(clean(subject).subject, subject);
            assert_eq!(pr_number(subject), None, "{subject}");
        }
    }

    #[test]
    fn subject_is_the_first_non_empty_line_trimmed() {
        let raw = "\n\n   Add OpenTelemetry tracing (#301)   \n\nTraces go to the collector.";
        assert_eq!(
            clean(raw),
            cleaned("Add OpenTelemetry tracing", "Traces go to the collector.")
        );
    }

    #[test]
    fn empty_message_cleans_to_nothing() {
        assert_eq!(clean(""), Cleaned::default());
        assert_eq!(clean("  \n\r\n \n"), Cleaned::default());
        assert_eq!(clean("").text(), "");
    }

    #[test]
    fn bookkeeping_lines_are_removed_from_the_body() {
        let raw = "\
Fix panic when endpoint has no secret (#1940)

The worker unwrapped the secret, which is optional for endpoints created
before secrets were mandatory.

Fixes #1933
https://github.com/svix/svix-webhooks/issues/1933

Signed-off-by: Alice Example <alice@example.com>

---------

Co-authored-by: Bob Example <bob@example.com>
Co-Authored-By: Carol Example <carol@example.com>
";
        assert_eq!(
            clean(raw),
            cleaned(
                "Fix panic when endpoint has no secret",
                "The worker unwrapped the secret, which is optional for endpoints created\nbefore secrets were mandatory."
            )
        );
    }

    #[test]
    fn squashed_commit_list_is_kept() {
        let raw = "\
Add Redis cluster support for the queue (#1102)

* Add Redis cluster support for the queue

* Use `bb8_redis` cluster connection

* Address review comments

---------

Co-authored-by: Jane Doe <jane@example.com>";
        assert_eq!(
            clean(raw),
            cleaned(
                "Add Redis cluster support for the queue",
                "* Add Redis cluster support for the queue\n\n* Use `bb8_redis` cluster connection\n\n* Address review comments"
            )
        );
    }

    #[test]
    fn every_trailer_key_is_removed_whatever_its_case() {
        let raw = "\
Tweak worker shutdown

Drain in-flight deliveries before exiting.
Signed-off-by: A <a@b.c>
CO-AUTHORED-BY: B <b@c.d>
Reviewed-by: C <c@d.e>
Acked-by: D <d@e.f>
Tested-by: E <e@f.g>
Reported-by: F <f@g.h>
Suggested-by: G <g@h.i>
Helped-by: H <h@i.j>
Change-Id: I0123456789abcdef
";
        assert_eq!(
            clean(raw).body,
            "Drain in-flight deliveries before exiting."
        );
    }

    #[test]
    fn lines_that_merely_start_like_a_trailer_word_stay() {
        let raw = "Tweak worker shutdown\n\nSigned-off-by is no longer required.\nNote: the queue is drained first.";
        assert_eq!(
            clean(raw).body,
            "Signed-off-by is no longer required.\nNote: the queue is drained first."
        );
    }

    #[test]
    fn bare_reference_lines_are_removed() {
        for line in [
            "Fixes #1933",
            "fixes #1933",
            "Closes #12",
            "Resolves #7",
            "Fixes: #1",
            "Ref #3",
            "Related to #4",
            "See #5",
            "#1234",
            "Fixes svix/svix-webhooks#1933",
            "Fixes #1, #2 and #3",
            "Closes #12.",
            "- Fixes #12",
        ] {
            let raw = format!("Fix retries\n\nRetry on 429.\n{line}\n");
            assert_eq!(clean(&raw).body, "Retry on 429.", "{line}");
        }
    }

    #[test]
    fn prose_lines_mentioning_an_issue_stay() {
        let raw = "Fix retries\n\nThis fixes #1933 by retrying on 429.\nFixed.\nSee the docs.";
        assert_eq!(
            clean(raw).body,
            "This fixes #1933 by retrying on 429.\nFixed.\nSee the docs."
        );
    }

    #[test]
    fn issue_url_lines_are_removed() {
        for line in [
            "https://github.com/svix/svix-webhooks/issues/1933",
            "https://github.com/org/repo/pull/12",
            "http://github.com/org/repo/pull/12/files#diff-1",
            "https://github.com/svix/svix-webhooks/issues/1933#issuecomment-42",
            "See https://github.com/svix/svix-webhooks/issues/1933",
            "Fixes https://github.com/svix/svix-webhooks/issues/1933.",
            "Closes: <https://github.com/svix/svix-webhooks/pull/7>",
            "  https://github.com/svix/svix-webhooks/issues/1933  ",
            "[#1933](https://github.com/svix/svix-webhooks/issues/1933)",
        ] {
            let raw = format!("Fix retries\n\nRetry on 429.\n{line}\n");
            assert_eq!(clean(&raw).body, "Retry on 429.", "{line}");
        }
    }

    #[test]
    fn issue_urls_inside_prose_are_cut_out() {
        let raw = "\
Fix retries

Reported in https://github.com/svix/svix-webhooks/issues/1933 by a customer.
Like the last one (https://github.com/svix/svix-webhooks/pull/12), it retried forever.
As in [the original PR](https://github.com/svix/svix-webhooks/pull/12), we back off.
Seen at https://github.com/svix/svix-webhooks/issues/1933.";
        assert_eq!(
            clean(raw).body,
            "Reported in by a customer.\nLike the last one, it retried forever.\nAs in the original PR, we back off.\nSeen at."
        );
    }

    #[test]
    fn other_urls_stay() {
        let raw = "\
Document the retry schedule

See https://docs.svix.com/retries for the schedule.
https://github.com/svix/svix-webhooks/blob/main/server/README.md";
        assert_eq!(
            clean(raw).body,
            "See https://docs.svix.com/retries for the schedule.\nhttps://github.com/svix/svix-webhooks/blob/main/server/README.md"
        );
    }

    #[test]
    fn blank_line_runs_collapse_and_ends_are_trimmed() {
        let raw = "Subject\n\n\n\nFirst paragraph.   \n\n\nFixes #1\n\nSecond paragraph.\t\n\n\n";
        assert_eq!(clean(raw).body, "First paragraph.\n\nSecond paragraph.");
    }

    #[test]
    fn indentation_inside_the_body_is_kept() {
        let raw = "Subject\n\nExample:\n\n    svix-server migrate\n  * nested item";
        assert_eq!(
            clean(raw).body,
            "Example:\n\n    svix-server migrate\n  * nested item"
        );
    }

    #[test]
    fn dash_row_is_removed_only_when_it_ends_the_body() {
        let kept = "Subject\n\nAbove\n\n---------\n\nBelow";
        assert_eq!(clean(kept).body, "Above\n\n---------\n\nBelow");
        let trailing = "Subject\n\nAbove\n---------\n\n---\nCo-authored-by: X <x@y.z>";
        assert_eq!(clean(trailing).body, "Above");
    }

    #[test]
    fn crlf_becomes_lf() {
        let raw = "Fix retries (#9)\r\n\r\nRetry on 429.\r\nAnd on 503.\r\n\r\nSigned-off-by: A <a@b.c>\r\n";
        let cleaned = clean(raw);
        assert_eq!(cleaned.subject, "Fix retries");
        assert_eq!(cleaned.body, "Retry on 429.\nAnd on 503.");
        assert!(!cleaned.text().contains('\r'));
    }

    #[test]
    fn text_joins_subject_and_body_with_a_blank_line() {
        assert_eq!(cleaned("Subject", "").text(), "Subject");
        assert_eq!(
            cleaned("Subject", "Body\nmore").text(),
            "Subject\n\nBody\nmore"
        );
    }

    #[test]
    fn words_are_tokens_with_a_letter_or_digit() {
        assert_eq!(word_count(&clean("Fmt")), 1);
        assert_eq!(word_count(&clean("fix")), 1);
        assert_eq!(word_count(&clean("Fix typo in docs")), 4);
        assert_eq!(word_count(&clean("Fix typo in docs (#77)")), 4);
        assert_eq!(word_count(&clean("Bump - deps\n\n* a\n* b -- c")), 5);
        assert_eq!(word_count(&Cleaned::default()), 0);
        assert_eq!(
            word_count(&clean("Fix retries\n\nSigned-off-by: A <a@b.c>\nFixes #1")),
            2
        );
    }

    #[test]
    fn reverts_are_recognised() {
        let raw = "Revert \"Change to RawValue (#885)\"\n\nThis reverts commit 0123abc4567890def0123abc4567890def012345.";
        assert!(is_revert(raw));
        assert!(is_revert("Revert \"Change to RawValue (#885)\""));
        assert!(is_revert("Revert the RawValue change"));
        assert!(is_revert("revert: the RawValue change"));
        assert!(is_revert("\r\n  Revert \"x\""));
        assert!(is_revert(
            "Go back to serde_json::Value\n\nThis reverts commit 0123abc."
        ));
    }

    #[test]
    fn non_reverts_are_not_reverts() {
        for raw in [
            "Revert",
            "Revert   ",
            "Reverted handling of empty payloads",
            "Reverting is now supported for endpoints",
            "Add revert support",
            "Fix retries\n\nThis reverts commit abc.",
            "Fix retries\n\nThis reverts commit 0123abcz.",
            "",
        ] {
            assert!(!is_revert(raw), "{raw:?}");
        }
    }

    #[test]
    fn pr_number_is_the_last_trailing_number() {
        assert_eq!(
            pr_number("Return 409 on duplicate message insert (#1466)"),
            Some(1466)
        );
        assert_eq!(pr_number("Bump axum(#1466)"), Some(1466));
        assert_eq!(pr_number("Fix retries (#12) (#13)"), Some(13));
        assert_eq!(pr_number("Fix retries (#12)\n\nBody (#99)"), Some(12));
        assert_eq!(
            pr_number("server: Add support for creating application in cmg"),
            None
        );
        assert_eq!(pr_number("Fix retries (#99999999999)"), None);
        assert_eq!(pr_number(""), None);
    }

    #[test]
    fn cleaning_is_idempotent_on_realistic_messages() {
        for raw in [
            "Return 409 on duplicate message insert (#1466)\n\nEnsure that we don't return a 5xx.",
            "Add Redis cluster support (#1102)\n\n* One\n\n* Two\n\n---------\n\nCo-authored-by: J <j@x>",
            "Fix retries\n\nReported in https://github.com/svix/svix-webhooks/issues/1933 by a customer.\nFixes #1933",
        ] {
            let once = clean(raw);
            assert_eq!(clean(&once.text()), once, "{raw}");
        }
    }

    #[test]
    fn odd_unicode_does_not_panic() {
        for raw in [
            "Fix ünïcødé (#１２)",
            "Revert",
            "Revertü",
            "Réparer\n\nThis reverts commit ééééééé",
            "x\n\nhttps://github.com/ö/ä/issues/１",
            "x\n\n[ü](https://github.com/a/b/pull/1)",
            "x\n\n](https://github.com/a/b/pull/1)",
            "x\n\n(https://github.com/a/b/pull/1",
            "x\n\nhttps://",
            "(#",
            ")",
        ] {
            let cleaned = clean(raw);
            let _ = (word_count(&cleaned), is_revert(raw), pr_number(raw));
        }
    }

    /// Text built from the pieces the cleaner looks for, so random messages hit its edge
    /// cases (URLs next to brackets, refs next to punctuation, multi-byte characters) often.
    fn message_fragments() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let fragment = prop_oneof![
            Just("https://github.com/svix/svix-webhooks/issues/1933".to_owned()),
            Just("http://x/pull/12".to_owned()),
            Just("[".to_owned()),
            Just("](".to_owned()),
            Just("(".to_owned()),
            Just(")".to_owned()),
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("(#12)".to_owned()),
            Just("#7".to_owned()),
            Just("Fixes".to_owned()),
            Just("See".to_owned()),
            Just("Signed-off-by:".to_owned()),
            Just("---------".to_owned()),
            Just("Revert".to_owned()),
            Just("This reverts commit 0123abc".to_owned()),
            Just("* ".to_owned()),
            Just(" ".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\r".to_owned()),
            Just(".".to_owned()),
            Just(",".to_owned()),
            "[a-zé１]{1,4}",
        ];
        proptest::collection::vec(fragment, 0..24).prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 1000,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5_71C5),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        #[test]
        fn cleaning_never_panics_and_is_idempotent(raw in message_fragments()) {
            let once = clean(&raw);
            let _ = (word_count(&once), is_revert(&raw), pr_number(&raw));
            proptest::prop_assert!(!once.text().contains('\r'));
            if !once.subject.is_empty() {
                proptest::prop_assert_eq!(clean(&once.text()), once);
            }
        }
    }

    #[test]
    fn a_url_a_sentence_introduces_with_a_colon_stays() {
        let cleaned = clean(
            "Create message: change to RawValue instead of Value (#885)\n\nIncludes a hack to workaround the serde_json flatten issue with\nRawValue: https://github.com/serde-rs/json/issues/599\n\nFixes: https://github.com/svix/svix-webhooks/issues/1454\n",
        );
        assert_eq!(
            cleaned.body,
            "Includes a hack to workaround the serde_json flatten issue with\nRawValue: https://github.com/serde-rs/json/issues/599"
        );
    }
}
