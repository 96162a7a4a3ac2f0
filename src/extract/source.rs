//! Finding and reading input files, parsing them with syn, and the only position arithmetic in
//! the crate: spans to byte ranges, byte offsets to `path:line:col` for humans.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;

/// Deeper bracket nesting than this is refused before syn sees it: syn's parser recurses once per
/// level, and a pathological file would otherwise overflow the stack.
pub const MAX_NESTING: usize = 256;

const BOM: &str = "\u{feff}";

/// The name `-` gives stdin as an input and stdout as OUT, as every Unix tool reads it.
pub fn is_stdio(path: &Path) -> bool {
    path == Path::new("-")
}

/// What stdin is called in messages and reports.
pub const STDIN: &str = "<stdin>";

/// A path as messages and reports name it: `<stdin>` for `-`.
pub fn shown(path: &Path) -> &Path {
    if is_stdio(path) {
        Path::new(STDIN)
    } else {
        path
    }
}

/// One Rust file as text. `text` is the file without a leading byte-order mark, so every byte
/// range a span gives indexes `text` directly.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user spelled it, for messages only.
    pub path: PathBuf,
    pub text: String,
    /// Whether the file's first line ends in CRLF: joins between slices follow the file.
    pub crlf: bool,
    /// Whether the text was read with a byte-order mark, left out of `text`.
    pub bom: bool,
    /// Where each line starts, worked out on first use: a line number is then a binary search,
    /// not a scan of the text before it.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// A failure tied to a place in a file, rendered like rustc: `path:line:col: message`, the
/// source line, and a caret under the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedError {
    pub path: PathBuf,
    pub line: usize,
    /// 1-based, counted in characters.
    pub column: usize,
    pub message: String,
    pub source_line: String,
}

/// Source lines longer than this are shown as a window around the column.
const SHOWN_LINE_CHARS: usize = 100;

impl fmt::Display for LocatedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        let chars: Vec<char> = self.source_line.chars().collect();
        let column = self.column.saturating_sub(1).min(chars.len());
        let (start, end) = if chars.len() <= SHOWN_LINE_CHARS {
            (0, chars.len())
        } else {
            let start = column.saturating_sub(SHOWN_LINE_CHARS / 2);
            (start, (start + SHOWN_LINE_CHARS).min(chars.len()))
        };
        let before = if start > 0 { "…" } else { "" };
        let after = if end < chars.len() { "…" } else { "" };
        let shown: String = chars[start..end].iter().collect();
        let caret_pad: String = before
            .chars()
            .map(|_| ' ')
            .chain(
                chars[start..column]
                    .iter()
                    .map(|&c| if c == '\t' { '\t' } else { ' ' }),
            )
            .collect();
        write!(
            f,
            "{}:{}:{}: {}\n{pad} |\n{} | {before}{shown}{after}\n{pad} | {caret_pad}^",
            self.path.display(),
            self.line,
            self.column,
            self.message,
            self.line,
        )
    }
}

impl std::error::Error for LocatedError {}

impl SourceFile {
    /// Reads `path` (stdin for `-`, named `<stdin>`), insisting on UTF-8 and naming the first
    /// bad byte when it is not.
    pub fn read(path: &Path) -> anyhow::Result<SourceFile> {
        if is_stdio(path) {
            // Read once: a run with the model writer passes over its input more than once.
            static STDIN_BYTES: std::sync::OnceLock<Result<Vec<u8>, String>> =
                std::sync::OnceLock::new();
            let bytes = STDIN_BYTES.get_or_init(|| {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
                    .map(|_| bytes)
                    .map_err(|e| e.to_string())
            });
            let bytes = bytes
                .clone()
                .map_err(|e| anyhow::anyhow!("cannot read {STDIN}: {e}"))?;
            return SourceFile::from_bytes(Path::new(STDIN), bytes);
        }
        if path.is_dir() {
            let has_rust = walkdir::WalkDir::new(path)
                .into_iter()
                .filter_map(Result::ok)
                .any(|e| {
                    e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs")
                });
            if has_rust {
                anyhow::bail!("{} is a folder, not a .rs file", path.display());
            }
            anyhow::bail!("{} is a folder with no .rs file", path.display());
        }
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        SourceFile::from_bytes(path, bytes)
    }

    fn from_bytes(path: &Path, bytes: Vec<u8>) -> anyhow::Result<SourceFile> {
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{} is not UTF-8 (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        Ok(SourceFile::from_text(path, text))
    }

    pub fn from_text(path: &Path, text: String) -> SourceFile {
        let (text, bom) = match text.strip_prefix(BOM) {
            Some(rest) => (rest.to_owned(), true),
            None => (text, false),
        };
        let crlf = text
            .find('\n')
            .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r');
        SourceFile {
            path: path.to_owned(),
            text,
            crlf,
            bom,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// The separator between two slices of a unit: exactly one blank line, in the file's own
    /// line ending.
    pub fn blank_line(&self) -> &'static str {
        if self.crlf { "\r\n\r\n" } else { "\n\n" }
    }

    /// Parses the whole file, with each top-level item's byte range. Nesting is bounded first,
    /// so no input can overflow the stack.
    pub fn parse(&self) -> Result<Parsed, LocatedError> {
        self.parse_piece(0..self.text.len())
    }

    /// Parses the items in `piece` of the file (a range [`crate::extract::pieces`] cut on item
    /// boundaries), with each one's byte range in the whole file.
    pub fn parse_piece(&self, piece: Range<usize>) -> Result<Parsed, LocatedError> {
        let base = piece.start;
        let text = &self.text[piece.clone()];
        // A shebang line is blanked rather than cut, so that byte offsets stay those of `text`.
        let text = if base == 0 {
            blank_shebang(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let at = |span: Span| span_range(span).start + base;
        let tokens: TokenStream = text.parse().map_err(|e: proc_macro2::LexError| {
            self.error_at_offset(at(e.span()), &format!("cannot tokenize: {e}"))
        })?;
        if let Some(deep) = too_deep(tokens.clone()) {
            return Err(self.error_at_offset(at(deep.span()), &deep.message()));
        }
        // Parsing the tokens already lexed, rather than the text again, halves the lexing.
        let parser = |input: syn::parse::ParseStream| parse_items(input, base);
        syn::parse::Parser::parse2(parser, tokens).map_err(|e| {
            let message = e.to_string();
            // syn reports running out of input at the call site, not at the end of the file.
            if message.contains("end of input") {
                self.error_at_offset(self.text[..piece.end].trim_end().len(), &message)
            } else {
                self.error_at_offset(at(e.span()), &message)
            }
        })
    }

    /// Parses one item standing at `node` in the file, as [`Self::parse_piece`] read it.
    pub fn parse_item(&self, node: Range<usize>) -> Result<syn::Item, LocatedError> {
        let base = node.start;
        syn::parse_str::<syn::Item>(&self.text[node])
            .map_err(|e| self.error_at_offset(span_range(e.span()).start + base, &e.to_string()))
    }

    /// The bytes of `text` that `node` covers, outer attributes and doc comments included.
    /// `Spanned` re-serializes the whole node to find its last token: for an item, use the
    /// ranges [`Parsed`] keeps instead.
    pub fn node_range(&self, node: &impl Spanned) -> Range<usize> {
        span_range(node.span())
    }

    /// An item's byte range from its node range, widened to take a plain `//` comment block
    /// that sits directly above it (no blank line between): such comments are not in the AST.
    pub fn with_leading_comments(&self, node: Range<usize>) -> Range<usize> {
        range_with_leading_comments(&self.text, node)
    }

    /// A method's byte range from its node range: widened as [`Self::with_leading_comments`]
    /// widens an item, then back to the start of its first line when only indentation stands
    /// before it there. A method cut from its `impl` then starts with the indentation its body
    /// keeps, so its lines line up: `    pub fn f() {` over `        body` rather than
    /// `pub fn f() {` at column 0 over a body indented 8.
    pub fn method_slice(&self, node: Range<usize>) -> Range<usize> {
        let range = self.with_leading_comments(node);
        let line_start = self.text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let indent = &self.text[line_start..range.start];
        if indent.chars().all(|c| c == ' ' || c == '\t') {
            line_start..range.end
        } else {
            range
        }
    }

    /// Where slices of this file may start and end: every top-level item, and every function
    /// inside an impl block, as `with_leading_comments` widens them, and also from the start of
    /// its line ([`Self::method_slice`], where a method's slice starts).
    pub fn item_ranges(&self) -> Result<Vec<Range<usize>>, LocatedError> {
        let parsed = self.parse()?;
        Ok(item_ranges_of(self, &parsed))
    }

    pub fn slice(&self, range: Range<usize>) -> &str {
        &self.text[range]
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        // The number of lines starting at or before the offset.
        starts.partition_point(|&start| start <= offset)
    }

    /// 1-based first and last line of a byte range (an empty range's last line is its first).
    pub fn line_span(&self, range: Range<usize>) -> (usize, usize) {
        (
            self.line_of(range.start),
            self.line_of(range.end.saturating_sub(1).max(range.start)),
        )
    }

    /// 1-based (line, column) of a byte offset, the column counted in characters: the one place
    /// a 0-based count becomes a column people read.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..offset].chars().count() + 1;
        (self.line_of(offset), column)
    }

    pub fn error_at_offset(&self, offset: usize, message: &str) -> LocatedError {
        let offset = offset.min(self.text.len());
        let (line, column) = self.line_column(offset);
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        LocatedError {
            path: self.path.clone(),
            line,
            column,
            message: message.to_owned(),
            source_line: self.text[line_start..line_end]
                .trim_end_matches('\r')
                .to_owned(),
        }
    }
}

/// Parsing and the visitors recurse once per nesting level; they run on a thread with this much
/// stack.
pub const PIPELINE_STACK: usize = 64 << 20;

/// The threads that parse and render, each with a large stack: made once, on first use, and
/// shared by every stage, so that a run makes its threads (and their allocator arenas) once.
pub fn pool() -> anyhow::Result<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Result<rayon::ThreadPool, String>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(PIPELINE_STACK)
            .thread_name(|i| format!("svix-distill-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| anyhow::anyhow!("cannot start the worker threads: {e}"))
}

/// Drops `value` on the pool, without waiting: the trees, versions and maps a run is done
/// with take tens of milliseconds to free (a whole history's, a hundred), which its last
/// steps need not wait for. The process may end first; its memory goes with it.
pub fn drop_aside<T: Send + 'static>(value: T) {
    match pool() {
        Ok(pool) => pool.spawn(move || drop(value)),
        Err(_) => drop(value),
    }
}

/// Runs `work` on the pool (so that the parallel iterators in it use the pool's threads), or
/// right here when the pool could not be made.
pub fn on_pool<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    match pool() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Whether the calling thread is one of [`pool`]'s, with its large stack.
pub fn on_pool_thread() -> bool {
    pool().is_ok_and(|pool| pool.current_thread_index().is_some())
}

/// Runs `work` on a scoped thread with a large stack, whatever thread calls it. Spans are only
/// valid on the thread that parsed, so everything that reads them runs inside `work`, and only
/// plain data comes back.
pub fn on_big_stack<T: Send>(work: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pipeline".to_owned())
            .stack_size(PIPELINE_STACK)
            .spawn_scoped(scope, work)
            .map_err(|e| anyhow::anyhow!("cannot start the pipeline thread: {e}"))?
            .join()
            .map_err(|_| anyhow::anyhow!("internal error: the pipeline panicked"))
    })
}

/// The item boundaries of an already parsed file (see [`SourceFile::item_ranges`]).
pub fn item_ranges_of(source: &SourceFile, parsed: &Parsed) -> Vec<Range<usize>> {
    let at = Located::whole(source);
    let mut ranges = Vec::new();
    for (item, node) in parsed.file.items.iter().zip(&parsed.ranges) {
        ranges.push(source.with_leading_comments(node.clone()));
        if let syn::Item::Impl(imp) = item {
            for inner in &imp.items {
                if let syn::ImplItem::Fn(f) = inner {
                    ranges.extend(method_boundaries(source, at.method_range(f)));
                }
            }
        }
    }
    ranges
}

/// Where a method's slice may start and end: from the start of its line (where the tool cuts
/// it, see [`SourceFile::method_slice`]) and, for datasets written before that, from its first
/// token.
pub fn method_boundaries(source: &SourceFile, node: Range<usize>) -> Vec<Range<usize>> {
    let from_token = source.with_leading_comments(node.clone());
    let from_line = source.method_slice(node);
    if from_line == from_token {
        vec![from_line]
    } else {
        vec![from_line, from_token]
    }
}

/// A file's syntax tree with the byte range of each top-level item (outer attributes and doc
/// comments included), read off the item's first and last tokens as it was parsed.
#[derive(Debug)]
pub struct Parsed {
    pub file: syn::File,
    /// `ranges[i]` is where `file.items[i]` stands in the text.
    pub ranges: Vec<Range<usize>>,
}

impl std::ops::Deref for Parsed {
    type Target = syn::File;

    fn deref(&self) -> &syn::File {
        &self.file
    }
}

/// syn's `File` parser, noting where each item starts (its first token) and ends (the last
/// token it took): constant work per item, where `Spanned` would print the item again.
fn parse_items(input: syn::parse::ParseStream, base: usize) -> syn::Result<Parsed> {
    let attrs = input.call(syn::Attribute::parse_inner)?;
    let mut items = Vec::new();
    let mut ranges = Vec::new();
    while !input.is_empty() {
        let first = input.cursor().span();
        items.push(input.parse::<syn::Item>()?);
        let last = input.cursor().prev_span();
        ranges.push(span_range(first).start + base..span_range(last).end + base);
    }
    Ok(Parsed {
        file: syn::File {
            shebang: None,
            frontmatter: None,
            attrs,
            items,
        },
        ranges,
    })
}

/// Where a parsed piece of a file stands in it: spans count from the piece's first byte, which
/// is `base` in the file. Every byte range read off a syntax tree goes through one of these.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    pub source: &'a SourceFile,
    pub base: usize,
}

impl<'a> Located<'a> {
    /// A file parsed whole.
    pub fn whole(source: &'a SourceFile) -> Located<'a> {
        Located { source, base: 0 }
    }

    /// The bytes of the file a span covers.
    pub fn range(&self, span: Span) -> Range<usize> {
        let range = span_range(span);
        range.start + self.base..range.end + self.base
    }

    /// The bytes from the start of `first` to the end of `last`.
    pub fn span_range(&self, first: Span, last: Span) -> Range<usize> {
        self.range(first).start..self.range(last).end
    }

    /// The bytes `node` covers, outer attributes and doc comments included. `Spanned` prints
    /// the whole node again to find its last token: fine for an expression, not for an item.
    pub fn node_range(&self, node: &impl Spanned) -> Range<usize> {
        self.range(node.span())
    }

    pub fn slice(&self, range: Range<usize>) -> &'a str {
        self.source.slice(range)
    }

    /// See [`SourceFile::with_leading_comments`].
    pub fn with_leading_comments(&self, node: Range<usize>) -> Range<usize> {
        self.source.with_leading_comments(node)
    }

    /// The byte range of a method of an impl block, from its first token (an attribute, the
    /// visibility or the signature's first keyword) to its body's closing brace.
    pub fn method_range(&self, f: &syn::ImplItemFn) -> Range<usize> {
        let first = f
            .attrs
            .first()
            .map(|a| a.pound_token.span)
            .unwrap_or(signature_start(
                &f.vis,
                f.modifiers.defaultness.map(|d| d.span),
                &f.sig,
            ));
        self.span_range(first, f.block.brace_token.span.close())
    }

    /// What outlines a top-level item (see [`Outline`]) whose tokens stand at `node`: nothing
    /// for an item a brief's context never quotes.
    pub fn outline(&self, item: &syn::Item, node: Range<usize>) -> Outline {
        let head = match item {
            syn::Item::Fn(f) => self.up_to_brace(
                signature_start(&f.vis, f.modifiers.defaultness.map(|d| d.span), &f.sig),
                f.block.brace_token.span.open(),
            ),
            syn::Item::Struct(_) | syn::Item::Enum(_) | syn::Item::Type(_) => node,
            syn::Item::Impl(imp) => {
                let first = imp
                    .modifiers
                    .defaultness
                    .map(|d| d.span)
                    .or(imp.unsafety.map(|u| u.span))
                    .unwrap_or(imp.impl_token.span);
                let members = imp
                    .items
                    .iter()
                    .filter_map(|inner| self.member(inner))
                    .collect();
                return Outline {
                    head: self.up_to_brace(first, imp.brace_token.span.open()),
                    members,
                };
            }
            _ => return Outline::default(),
        };
        Outline {
            head,
            members: Vec::new(),
        }
    }

    /// A method's signature: from its visibility or first keyword to its body, attributes and
    /// body left out.
    pub fn signature(&self, f: &syn::ImplItemFn) -> Range<usize> {
        let first = signature_start(&f.vis, f.modifiers.defaultness.map(|d| d.span), &f.sig);
        self.up_to_brace(first, f.block.brace_token.span.open())
    }

    /// An impl block's member as its outline quotes it: a function's signature, an associated
    /// type or constant whole (without attributes), by name.
    fn member(&self, inner: &syn::ImplItem) -> Option<(String, Range<usize>)> {
        let whole = |vis: &syn::Visibility, defaultness: Option<Span>, keyword: Span, semi| {
            let first = visibility_span(vis).or(defaultness).unwrap_or(keyword);
            self.span_range(first, semi)
        };
        match inner {
            syn::ImplItem::Fn(f) => Some((f.sig.ident.to_string(), self.signature(f))),
            syn::ImplItem::Type(t) => Some((
                t.ident.to_string(),
                whole(
                    &t.vis,
                    t.modifiers.defaultness.map(|d| d.span),
                    t.type_token.span,
                    t.semi_token.span,
                ),
            )),
            syn::ImplItem::Const(c) => Some((
                c.ident.to_string(),
                whole(
                    &c.vis,
                    c.modifiers.defaultness.map(|d| d.span),
                    c.const_token.span,
                    c.semi_token.span,
                ),
            )),
            _ => None,
        }
    }

    /// From the start of `first` to the brace `open`, the space before the brace left out.
    fn up_to_brace(&self, first: Span, open: Span) -> Range<usize> {
        let start = self.range(first).start;
        let end = self.range(open).start.max(start);
        start..start + self.source.text[start..end].trim_end().len()
    }
}

/// Where the parts of an item that outline it stand in its file, as byte ranges read off its
/// tokens: what a brief's context quotes of an item without its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// A function's signature (from its visibility or first keyword to its where clause: no
    /// attribute, no body); a struct's, enum's or type alias's whole definition, docs and
    /// attributes included; an impl block's header (`impl … for …`, up to its brace). Empty
    /// for any other item.
    pub head: Range<usize>,
    /// An impl block's members in order, by name: each function's signature, each associated
    /// type or constant whole.
    pub members: Vec<(String, Range<usize>)>,
}

/// The span of a visibility keyword, when there is one.
fn visibility_span(vis: &syn::Visibility) -> Option<Span> {
    match vis {
        syn::Visibility::Public(p) => Some(p.span),
        syn::Visibility::Restricted(r) => Some(r.pub_token.span),
        syn::Visibility::Inherited => None,
    }
}

/// A function's first token after its attributes: its visibility, `default`, or the
/// signature's first keyword.
fn signature_start(vis: &syn::Visibility, defaultness: Option<Span>, sig: &syn::Signature) -> Span {
    visibility_span(vis)
        .or(defaultness)
        .or(sig.constness.map(|c| c.span))
        .or(sig.asyncness.map(|a| a.span))
        .or(match &sig.safety {
            syn::Safety::Safe(s) => Some(s.span),
            syn::Safety::Unsafe(u) => Some(u.span),
            syn::Safety::Default => None,
        })
        .or(sig.abi.as_ref().map(|a| a.extern_token.span))
        .unwrap_or(sig.fn_token.span)
}

/// proc-macro2 counts every file it has lexed on this thread into one offset space; the range of
/// a span relative to its own file is what `byte_range` gives.
fn span_range(span: Span) -> Range<usize> {
    span.byte_range()
}

fn blank_shebang(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.starts_with("#!") || text[2..].trim_start().starts_with('[') {
        return std::borrow::Cow::Borrowed(text);
    }
    let end = text.find('\n').unwrap_or(text.len());
    let mut blanked = " ".repeat(end);
    blanked.push_str(&text[end..]);
    std::borrow::Cow::Owned(blanked)
}

/// How much recursion a token tree may cost syn's parser, and the visitors and drops that
/// follow it, in units of about 1.2 KiB of a test build's stack (a release build needs a
/// fraction of that): 20 MiB of the pipeline threads' 64, four times the deepest file among
/// five thousand of crates.io's (a generated Unicode table).
const RECURSION_BUDGET: usize = 16384;

/// What each kind of nesting costs, in those units, as measured on a test build: a delimited
/// group (a closure's block, the worst); a generic argument list (`A<A<u8>>`); a prefix
/// operator or keyword (`&&T`, `!!x`, `return return`) or a fn-pointer arrow
/// (`fn() -> fn() -> u8`); and any token of a statement, since a chain of binary operators or
/// method calls nests one level per operator.
const GROUP_UNITS: usize = 40;
const ANGLE_UNITS: usize = 48;
const PREFIX_UNITS: usize = 36;

/// Why a token tree is refused before syn sees it.
enum TooDeep {
    /// A group opens deeper than `MAX_NESTING` levels.
    Groups(Span),
    /// Generic arguments, prefix operators and long statements nest past the budget.
    Recursion(Span),
}

impl TooDeep {
    fn span(&self) -> Span {
        match self {
            TooDeep::Groups(span) | TooDeep::Recursion(span) => *span,
        }
    }

    fn message(&self) -> String {
        match self {
            TooDeep::Groups(_) => {
                format!("nesting deeper than {MAX_NESTING} levels; refusing to parse")
            }
            TooDeep::Recursion(_) => {
                "generic arguments, operators or one expression nested too deeply; refusing to \
                 parse"
                    .to_owned()
            }
        }
    }
}

/// One level of the token tree being walked: the statement at hand and what it nests.
struct Level {
    tokens: proc_macro2::token_stream::IntoIter,
    /// What the enclosing levels cost, this level's group included.
    base: usize,
    /// Tokens of the current statement.
    run: usize,
    /// Prefix operators (and fn-pointer arrows) in the current run of them.
    prefix: usize,
    /// Generic argument lists open in the current statement.
    angles: usize,
    /// Fn-pointer and closure return arrows (`->`) in the current statement.
    arrows: usize,
    /// Whether the last token ends an operand, so that `-` or `&` after it is binary.
    after_operand: bool,
    /// Whether the last token closed a brace group: a statement ends there unless `else`
    /// follows.
    after_brace: bool,
    /// The last token, when it was a joint `-` or `=` (the start of `->` or `=>`).
    arrow_start: Option<char>,
}

impl Level {
    fn new(tokens: TokenStream, base: usize) -> Level {
        Level {
            tokens: tokens.into_iter(),
            base,
            run: 0,
            prefix: 0,
            angles: 0,
            arrows: 0,
            after_operand: false,
            after_brace: false,
            arrow_start: None,
        }
    }

    fn cost(&self) -> usize {
        self.base
            + self.run
            + PREFIX_UNITS * (self.prefix + self.arrows)
            + ANGLE_UNITS * self.angles
    }

    fn end_statement(&mut self) {
        self.run = 0;
        self.prefix = 0;
        self.angles = 0;
        self.arrows = 0;
    }

    /// Takes one token of this level into account (a group as one token, before its insides).
    fn take(&mut self, token: &TokenTree) {
        if std::mem::take(&mut self.after_brace)
            && !matches!(token, TokenTree::Ident(i) if i == "else")
        {
            self.end_statement();
        }
        let arrow_start = self.arrow_start.take();
        self.run += 1;
        match token {
            TokenTree::Group(_) | TokenTree::Literal(_) => {
                self.prefix = 0;
                self.after_operand = true;
            }
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                match name.as_str() {
                    "return" | "break" | "yield" | "box" => {
                        self.prefix += 1;
                        self.after_operand = false;
                    }
                    // These continue a prefix (`&mut`, `&raw const`).
                    "mut" | "raw" | "const" => self.after_operand = false,
                    _ => {
                        self.prefix = 0;
                        self.after_operand = true;
                    }
                }
            }
            TokenTree::Punct(punct) => {
                let joint = punct.spacing() == proc_macro2::Spacing::Joint;
                match punct.as_char() {
                    ';' => {
                        self.end_statement();
                        self.after_operand = false;
                    }
                    ',' => {
                        // Generic arguments stay open across a comma (`HashMap<K, V>`).
                        self.run = 0;
                        self.prefix = 0;
                        self.after_operand = false;
                    }
                    '<' if !joint => {
                        self.angles += 1;
                        self.after_operand = false;
                    }
                    '>' if matches!(arrow_start, Some('-')) => {
                        self.arrows += 1;
                        self.after_operand = false;
                    }
                    // A match arm's `=>`: comparisons in its pattern's guard are done.
                    '>' if arrow_start.is_some() => {
                        self.angles = 0;
                        self.after_operand = false;
                    }
                    '>' => {
                        self.angles = self.angles.saturating_sub(1);
                        self.after_operand = true;
                    }
                    '.' | '?' => {}
                    '!' | '-' | '*' | '&' | '|' if !self.after_operand => self.prefix += 1,
                    c => {
                        if joint && matches!(c, '-' | '=') {
                            self.arrow_start = Some(c);
                        }
                        self.after_operand = false;
                    }
                }
            }
        }
    }
}

/// Walks the token tree without recursion and says where syn would nest too deeply: the first
/// group that opens deeper than `MAX_NESTING`, or the first token past the recursion budget.
fn too_deep(tokens: TokenStream) -> Option<TooDeep> {
    let mut stack = vec![Level::new(tokens, 0)];
    loop {
        let depth = stack.len();
        let Some(level) = stack.last_mut() else {
            break;
        };
        let Some(token) = level.tokens.next() else {
            stack.pop();
            continue;
        };
        level.take(&token);
        if level.cost() > RECURSION_BUDGET {
            let span = match &token {
                TokenTree::Group(group) => group.span_open(),
                other => other.span(),
            };
            return Some(TooDeep::Recursion(span));
        }
        if let TokenTree::Group(group) = token {
            if depth >= MAX_NESTING && group.delimiter() != Delimiter::None {
                return Some(TooDeep::Groups(group.span_open()));
            }
            let base = level.cost() + GROUP_UNITS;
            level.after_brace = group.delimiter() == Delimiter::Brace;
            stack.push(Level::new(group.stream(), base));
        }
    }
    None
}

fn range_with_leading_comments(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start;
    // Start of the line the item starts on; only take comments when the item starts a line.
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..start].trim().is_empty() {
        return range;
    }
    let mut cursor = line_start;
    while cursor > 0 {
        let prev_end = cursor - 1; // the '\n' ending the previous line
        let prev_start = text[..prev_end].rfind('\n').map_or(0, |i| i + 1);
        let line = text[prev_start..prev_end].trim();
        if line.starts_with("//") && !line.starts_with("///") && !line.starts_with("//!") {
            start = prev_start
                + (text[prev_start..prev_end].len()
                    - text[prev_start..prev_end].trim_start().len());
            cursor = prev_start;
        } else {
            break;
        }
    }
    start..range.end
}

/// Every `.rs` file a `--source` names: the file itself, or a folder's, in path order.
pub fn source_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("--source {}: a folder with no .rs file", path.display());
    }
    Ok(files)
}

/// A dataset's text, for validate and stats.
pub fn read_dataset(path: &Path) -> anyhow::Result<String> {
    if path.is_dir() {
        anyhow::bail!("{} is a folder; give a .jsonl file", path.display());
    }
    Ok(SourceFile::read(path)?.text)
}

/// The first of a profile's default inputs (its files, then its crate folders) that exists
/// under `cwd`.
pub fn find_default_input(
    cwd: &Path,
    files: &[String],
    crates: &[String],
) -> anyhow::Result<PathBuf> {
    files
        .iter()
        .map(|p| (cwd.join(p), true))
        .chain(crates.iter().map(|p| (cwd.join(p), false)))
        .find(|(p, is_file)| if *is_file { p.is_file() } else { p.is_dir() })
        .map(|(p, _)| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
        .ok_or_else(|| {
            let tried: Vec<&str> = files.iter().chain(crates).map(String::as_str).collect();
            anyhow::anyhow!(
                "no INPUT given and none of {} exists under the current folder",
                tried.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::from_text(Path::new("t.rs"), text.to_owned())
    }

    #[test]
    fn line_column_counts_characters_not_bytes() {
        // (text, byte offset, line, column)
        let table: &[(&str, usize, usize, usize)] = &[
            ("abc", 0, 1, 1),
            ("abc", 2, 1, 3),
            ("a\nbc", 3, 2, 2),
            ("©x", 2, 1, 2),
            ("// ©é\nfn", 8, 2, 1),
            ("a\r\nb", 3, 2, 1),
        ];
        for &(text, offset, line, column) in table {
            assert_eq!(
                file(text).line_column(offset),
                (line, column),
                "{text:?} @ {offset}"
            );
        }
    }

    #[test]
    fn running_out_of_input_points_at_the_end_of_the_file() {
        let err = file("struct A;\nfn f()\n\n").parse().unwrap_err();
        assert_eq!((err.line, err.column), (2, 7), "{err}");
    }

    #[test]
    fn item_slices_are_exact_with_non_ascii_and_crlf() {
        // (file, its first item with its doc comment, where that stands, counted apart from
        // this code)
        let cases = [
            (
                "// © 2022\n\n/// Doc ©\n#[derive(Debug)]\nstruct A { x: u8 }\n",
                "/// Doc ©\n#[derive(Debug)]\nstruct A { x: u8 }",
                12..58,
            ),
            (
                "// © 2022\r\n\r\n/// Doc ©\r\n#[derive(Debug)]\r\nstruct A { x: u8 }\r\n",
                "/// Doc ©\r\n#[derive(Debug)]\r\nstruct A { x: u8 }",
                14..62,
            ),
            // The mark is left out of the text: offsets count from after it.
            (
                "\u{feff}/// Dé\nfn f() { let s = \"ü\"; }\n",
                "/// Dé\nfn f() { let s = \"ü\"; }",
                0..32,
            ),
        ];
        for (text, item, expected) in cases {
            let src = file(text);
            let parsed = src.parse().unwrap();
            let range = src.with_leading_comments(parsed.ranges[0].clone());
            assert_eq!(src.slice(range.clone()), item, "{text:?}");
            assert_eq!(range, expected, "{text:?}");
        }
    }

    /// A method cut from its `impl` used to start at its first token, column 0 of the example,
    /// while its body kept the file's indentation of 8.
    #[test]
    fn a_method_slice_starts_at_the_start_of_its_line() {
        let src =
            file("impl A {\n    // why\n    /// Doc.\n    pub fn f() {\n        x()\n    }\n}\n");
        let parsed = src.parse().unwrap();
        let syn::Item::Impl(imp) = &parsed.file.items[0] else {
            panic!("not an impl")
        };
        let syn::ImplItem::Fn(f) = &imp.items[0] else {
            panic!("not a method")
        };
        let node = Located::whole(&src).method_range(f);
        assert_eq!(
            src.slice(src.method_slice(node.clone())),
            "    // why\n    /// Doc.\n    pub fn f() {\n        x()\n    }"
        );
        // Both the line's start and the first token are boundaries a slice may start at.
        let boundaries = method_boundaries(&src, node.clone());
        assert_eq!(boundaries.len(), 2);
        assert_eq!(
            src.slice(boundaries[1].clone()),
            "// why\n    /// Doc.\n    pub fn f() {\n        x()\n    }"
        );
        assert!(src.item_ranges().unwrap().contains(&boundaries[0]));
        assert!(src.item_ranges().unwrap().contains(&boundaries[1]));
        // Code before it on its line: the slice starts at its first token.
        let src = file("impl A { fn g() {} }\n");
        let parsed = src.parse().unwrap();
        let syn::Item::Impl(imp) = &parsed.file.items[0] else {
            panic!("not an impl")
        };
        let syn::ImplItem::Fn(f) = &imp.items[0] else {
            panic!("not a method")
        };
        let node = Located::whole(&src).method_range(f);
        assert_eq!(src.slice(src.method_slice(node)), "fn g() {}");
    }

    #[test]
    fn plain_comment_block_directly_above_joins_the_item() {
        let src = file("use a;\n\n// one\n// two\nfn f() {}\n\n// apart\n\nfn g() {}\n");
        let parsed = src.parse().unwrap();
        assert_eq!(
            src.slice(src.with_leading_comments(parsed.ranges[1].clone())),
            "// one\n// two\nfn f() {}"
        );
        assert_eq!(
            src.slice(src.with_leading_comments(parsed.ranges[2].clone())),
            "fn g() {}"
        );
    }

    #[test]
    fn parse_error_points_at_line_and_column() {
        let err = file("fn f() {\n    let x = ;\n}\n").parse().unwrap_err();
        assert_eq!((err.line, err.column), (2, 13));
        assert_eq!(err.source_line, "    let x = ;");
        let shown = err.to_string();
        assert!(shown.starts_with("t.rs:2:13: "), "{shown}");
        assert!(shown.ends_with("  |             ^"), "{shown}");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let body = format!("fn f() {{ {}{} }}", "(".repeat(60_000), ")".repeat(60_000));
        let err = file(&body).parse().unwrap_err();
        assert!(
            err.message.contains("nesting deeper than"),
            "{}",
            err.message
        );
    }

    #[test]
    fn nesting_without_brackets_is_refused_where_it_goes_too_deep() {
        // Each of these overflows a parsing thread's stack, the chains in a test build.
        let cases = [
            format!("type T = {}u8{};", "A<".repeat(50_000), ">".repeat(50_000)),
            format!("fn f() {{ let x = {}a; }}", "!".repeat(100_000)),
            format!("type T = {}u8;", "&".repeat(100_000)),
            format!("type T = {}u8;", "fn() -> ".repeat(100_000)),
            format!("fn f() {{ {}1; }}", "return ".repeat(100_000)),
            format!("fn f() {{ let x = 1{}; }}", " + 1".repeat(100_000)),
            format!("fn f() {{ a{}; }}", ".b()".repeat(100_000)),
        ];
        for text in cases {
            let err = file(&text).parse().unwrap_err();
            let start: String = text.chars().take(30).collect();
            assert!(
                err.message.contains("nested too deeply"),
                "{start}: {}",
                err.message
            );
            assert_eq!(err.line, 1);
            assert!(err.column > 100, "refused at column {}", err.column);
        }
    }

    #[test]
    fn deep_but_real_code_is_parsed() {
        // A long match of comparisons, a long builder chain, nested generics of a real depth.
        let arms: String = (0..2000)
            .map(|i| format!("x if x < {i} => {i},\n"))
            .collect();
        let chain = ".route(\"/a\", get(h))".repeat(2000);
        let text = format!(
            "fn f(x: u32) -> u32 {{ match x {{ {arms} _ => 0 }} }}\n\
             fn g() {{ Router::new(){chain}; }}\n\
             type T = Result<Vec<Option<Box<HashMap<String, Arc<Mutex<u8>>>>>>>;\n"
        );
        assert!(file(&text).parse().is_ok());
    }

    #[test]
    fn long_source_lines_are_shown_as_a_window_around_the_column() {
        let line = format!("fn f() {{ {} let = 1; }}", "x;".repeat(500));
        let err = file(&line).parse().unwrap_err();
        let shown = err.to_string();
        let source_row = shown.lines().nth(2).unwrap();
        assert!(source_row.chars().count() < 140, "{source_row}");
        assert!(source_row.contains("let = 1"), "{source_row}");
        let caret_row = shown.lines().nth(3).unwrap();
        // Columns on screen are characters: the `…` marker is one.
        let caret_at = caret_row.chars().position(|c| c == '^').unwrap();
        assert_eq!(source_row.chars().nth(caret_at), Some('='));
    }

    #[test]
    fn shebang_keeps_offsets() {
        let src = file("#!/usr/bin/env run\nfn f() {}\n");
        let parsed = src.parse().unwrap();
        assert_eq!(
            src.slice(src.with_leading_comments(parsed.ranges[0].clone())),
            "fn f() {}"
        );
    }
}
