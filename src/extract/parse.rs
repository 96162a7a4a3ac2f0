//! The parse stage: a file's items read in two passes. Every top-level item is summarized as
//! it is parsed; the caller looks at the summaries alone (plain data) and chooses the items it
//! needs to see again; only those are visited. The syntax tree never leaves this module's
//! threads, and no syn type comes back.
//!
//! A file is cut into pieces on item boundaries ([`crate::extract::pieces`]) and its pieces are
//! parsed on as many threads as the machine has cores (threads with a large stack, since parsing
//! recurses once per nesting level). A small file keeps its trees until the chosen items are
//! visited; a large one drops each piece's tree as soon as it is summarized, and parses the
//! chosen items again one by one, so that memory stays that of a few pieces whatever the size.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};

use crate::extract::pieces;
use crate::extract::source::{self, Located, LocatedError, Parsed, SourceFile};

/// Which top-level item of a file: the `index`th of the `piece`th piece. Ordered as the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemKey {
    pub piece: usize,
    pub index: usize,
}

impl ItemKey {
    /// The items of the `piece`th piece, each with its key and where it stands in the text.
    pub fn of_piece(
        parsed: &Parsed,
        piece: usize,
    ) -> impl Iterator<Item = (ItemKey, &syn::Item, Range<usize>)> {
        parsed
            .file
            .items
            .iter()
            .zip(&parsed.ranges)
            .enumerate()
            .map(move |(index, (item, range))| (ItemKey { piece, index }, item, range.clone()))
    }
}

/// An item to visit again: a top-level item, or the method at `method` among that impl
/// block's items, as a stand-alone function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub item: ItemKey,
    pub method: Option<usize>,
}

/// Pieces are at least this long: below it a piece costs more than it saves.
const SMALLEST_PIECE: usize = 4 << 10;

/// Pieces are at most this long, so that the trees held at once stay small.
const LARGEST_PIECE: usize = 32 << 10;

/// Files up to this size keep their trees between the passes; larger ones parse the chosen
/// items again. syn's tree takes about 55 times the text.
const KEEP_TREES_UP_TO: usize = 256 << 10;

/// Parses `source`, calls `summarize` on every top-level item (with its key and byte range),
/// hands the summaries (in file order) to `choose`, and calls `visit` on each item it chose
/// (with the item's place in its list). Returns what `choose` kept and what `visit` made, in
/// the chosen order.
///
/// `meanwhile` runs on the calling thread while the file is parsed, and `choose` gets what it
/// made; an error of its wins over a parse error, as if it had run first.
pub fn two_passes<M, S, C, T>(
    source: &SourceFile,
    meanwhile: impl FnOnce() -> anyhow::Result<M>,
    summarize: impl Fn(Located, ItemKey, &syn::Item, Range<usize>) -> S + Sync,
    choose: impl FnOnce(M, Vec<S>) -> anyhow::Result<(C, Vec<Chosen>)>,
    visit: impl Fn(&C, usize, Located, &syn::Item) -> T + Sync,
) -> anyhow::Result<(C, Vec<T>)>
where
    S: Send,
    C: Send + Sync,
    T: Send,
{
    // On one of the pool's threads (a crate's or a history's files, parsed side by side) the
    // file is read right here; otherwise on the pool, a few pieces per thread.
    let threads = if source::on_pool_thread() {
        1
    } else {
        source::pool()?.current_num_threads()
    };
    let len = source.text.len();
    // A few pieces per thread, taken as threads come free, even out pieces of unequal cost.
    let target = (len / (4 * threads)).clamp(SMALLEST_PIECE, LARGEST_PIECE);
    let pieces = pieces::pieces(&source.text, target);
    let workers = threads.min(pieces.len()).max(1);
    let keep_trees = len <= KEEP_TREES_UP_TO;
    let plan = Plan {
        source,
        pieces: &pieces,
        workers,
        keep_trees,
    };
    plan.run_or_parse_whole(meanwhile, &summarize, choose, &visit)
}

#[derive(Clone, Copy)]
struct Plan<'a> {
    source: &'a SourceFile,
    pieces: &'a [Range<usize>],
    /// How many of the pool's threads parse.
    workers: usize,
    keep_trees: bool,
}

enum Outcome<C, T, M, F> {
    Done(C, Vec<T>),
    /// A piece failed to parse: `choose` was not called, and comes back with what
    /// `meanwhile` made.
    PieceFailed(M, F),
}

/// What a worker sends for one piece: its summaries, or why it would not parse.
type PieceSummaries<S> = (usize, Result<Vec<S>, LocatedError>);

/// What a worker sends once it has visited the chosen items of its pieces.
type Visits<T> = Result<Vec<(usize, T)>, String>;

/// Where a worker sends its pieces' summaries, and then what it made of the chosen items.
type Channels<'c, S, T> = (
    &'c mpsc::Sender<PieceSummaries<S>>,
    &'c mpsc::Sender<Visits<T>>,
);

/// What a thread keeps of a piece it parsed until the chosen items are visited.
enum Held {
    /// The piece's tree, its items' byte ranges with it.
    Tree(Parsed),
    /// Only its items' byte ranges: the chosen ones are parsed again.
    Ranges(Vec<Range<usize>>),
}

/// The pieces one thread parsed, each with its index.
type Parsed_ = Vec<(usize, Held)>;

impl Plan<'_> {
    /// Runs the plan; when a piece does not parse alone (the cut was wrong, or the file does
    /// not parse), parses the file whole, which gives the file's own error at its own place.
    fn run_or_parse_whole<M, S, C, T>(
        &self,
        meanwhile: impl FnOnce() -> anyhow::Result<M>,
        summarize: &(impl Fn(Located, ItemKey, &syn::Item, Range<usize>) -> S + Sync),
        choose: impl FnOnce(M, Vec<S>) -> anyhow::Result<(C, Vec<Chosen>)>,
        visit: &(impl Fn(&C, usize, Located, &syn::Item) -> T + Sync),
    ) -> anyhow::Result<(C, Vec<T>)>
    where
        S: Send,
        C: Send + Sync,
        T: Send,
    {
        match self.run(meanwhile, summarize, choose, visit)? {
            Outcome::Done(kept, made) => Ok((kept, made)),
            Outcome::PieceFailed(made_meanwhile, choose) => {
                let whole = 0..self.source.text.len();
                let plan = Plan {
                    pieces: std::slice::from_ref(&whole),
                    workers: 1,
                    keep_trees: true,
                    ..*self
                };
                match plan.run(|| Ok(made_meanwhile), summarize, choose, visit)? {
                    Outcome::Done(kept, made) => Ok((kept, made)),
                    Outcome::PieceFailed(..) => {
                        unreachable!("a whole file's failure is an error")
                    }
                }
            }
        }
    }

    fn run<M, S, C, T, F>(
        &self,
        meanwhile: impl FnOnce() -> anyhow::Result<M>,
        summarize: &(impl Fn(Located, ItemKey, &syn::Item, Range<usize>) -> S + Sync),
        choose: F,
        visit: &(impl Fn(&C, usize, Located, &syn::Item) -> T + Sync),
    ) -> anyhow::Result<Outcome<C, T, M, F>>
    where
        S: Send,
        C: Send + Sync,
        T: Send,
        F: FnOnce(M, Vec<S>) -> anyhow::Result<(C, Vec<Chosen>)>,
    {
        // On a pool thread the file is read right here; any other thread may have a small
        // stack, so the parsing goes to the pool even when one thread does it all.
        if source::on_pool_thread() {
            return self.run_here(meanwhile, summarize, choose, visit);
        }
        // What `choose` kept and chose, for the workers to visit; None when the run stops.
        let decided: OnceLock<Option<(C, Vec<Chosen>)>> = OnceLock::new();
        let next_piece = AtomicUsize::new(0);
        let (summaries_tx, summaries_rx) = mpsc::channel::<PieceSummaries<S>>();
        let (made_tx, made_rx) = mpsc::channel::<Visits<T>>();
        let outcome: anyhow::Result<Outcome<(), T, M, F>> =
            source::pool()?.in_place_scope(|scope| {
                for _ in 0..self.workers {
                    let summaries_tx = summaries_tx.clone();
                    let made_tx = made_tx.clone();
                    let (decided, next_piece) = (&decided, &next_piece);
                    scope.spawn(move |_| {
                        let channels = (&summaries_tx, &made_tx);
                        // A worker that panics is an internal error, reported as one.
                        let work = std::panic::AssertUnwindSafe(|| {
                            self.work(next_piece, summarize, visit, decided, channels)
                        });
                        if std::panic::catch_unwind(work).is_err() {
                            let _ = made_tx.send(Err("a parsing thread panicked".to_owned()));
                        }
                    });
                }
                drop(summaries_tx);
                drop(made_tx);
                let stop = |err: anyhow::Error| {
                    let _ = decided.set(None);
                    Err(err)
                };
                let made_meanwhile = match meanwhile() {
                    Ok(made) => made,
                    Err(err) => return stop(err),
                };
                let mut by_piece: Vec<Option<Vec<S>>> =
                    (0..self.pieces.len()).map(|_| None).collect();
                for (piece, summaries) in summaries_rx.iter().take(self.pieces.len()) {
                    match summaries {
                        Ok(summaries) => by_piece[piece] = Some(summaries),
                        Err(_) if self.pieces.len() > 1 => {
                            let _ = decided.set(None);
                            return Ok(Outcome::PieceFailed(made_meanwhile, choose));
                        }
                        Err(err) => return stop(err.into()),
                    }
                }
                let all: Option<Vec<Vec<S>>> = by_piece.into_iter().collect();
                let Some(all) = all else {
                    return stop(internal("a parsing thread stopped"));
                };
                let (kept, chosen) =
                    match choose(made_meanwhile, all.into_iter().flatten().collect()) {
                        Ok(decision) => decision,
                        Err(err) => return stop(err),
                    };
                let count = chosen.len();
                if decided.set(Some((kept, chosen))).is_err() {
                    unreachable!("only this thread decides");
                }
                let mut made: Vec<Option<T>> = (0..count).map(|_| None).collect();
                let mut failed = None;
                for part in made_rx.iter() {
                    match part {
                        Ok(part) => part
                            .into_iter()
                            .for_each(|(k, value)| made[k] = Some(value)),
                        Err(err) => failed = failed.or(Some(err)),
                    }
                }
                if let Some(err) = failed {
                    return Err(internal(&err));
                }
                let made: Option<Vec<T>> = made.into_iter().collect();
                match made {
                    Some(made) => Ok(Outcome::Done((), made)),
                    None => Err(internal("a parsing thread stopped")),
                }
            });
        match outcome? {
            Outcome::Done((), made) => match decided.into_inner() {
                Some(Some((kept, _))) => Ok(Outcome::Done(kept, made)),
                _ => unreachable!("decided before the visits"),
            },
            Outcome::PieceFailed(made, choose) => Ok(Outcome::PieceFailed(made, choose)),
        }
    }

    /// The plan on the calling thread alone: `meanwhile`, every piece, `choose`, the visits.
    fn run_here<M, S, C, T, F>(
        &self,
        meanwhile: impl FnOnce() -> anyhow::Result<M>,
        summarize: &(impl Fn(Located, ItemKey, &syn::Item, Range<usize>) -> S + Sync),
        choose: F,
        visit: &(impl Fn(&C, usize, Located, &syn::Item) -> T + Sync),
    ) -> anyhow::Result<Outcome<C, T, M, F>>
    where
        F: FnOnce(M, Vec<S>) -> anyhow::Result<(C, Vec<Chosen>)>,
    {
        let made_meanwhile = meanwhile()?;
        let mut trees: Parsed_ = Vec::new();
        let mut all = Vec::new();
        for piece in 0..self.pieces.len() {
            match self.parse_and_summarize(piece, summarize, &mut trees) {
                Ok(summaries) => all.extend(summaries),
                Err(_) if self.pieces.len() > 1 => {
                    return Ok(Outcome::PieceFailed(made_meanwhile, choose));
                }
                Err(err) => return Err(err.into()),
            }
        }
        let (kept, chosen) = choose(made_meanwhile, all)?;
        let made = self.visit_chosen(&trees, &kept, &chosen, visit);
        forget_trees(trees);
        let made = made.map_err(|err| internal(&err))?;
        Ok(Outcome::Done(
            kept,
            made.into_iter().map(|(_, value)| value).collect(),
        ))
    }

    /// One worker: parse and summarize pieces as long as some are left (the next one is
    /// `next_piece`), then visit the chosen items that stand in the pieces it parsed.
    fn work<S, C, T>(
        &self,
        next_piece: &AtomicUsize,
        summarize: &(impl Fn(Located, ItemKey, &syn::Item, Range<usize>) -> S + Sync),
        visit: &(impl Fn(&C, usize, Located, &syn::Item) -> T + Sync),
        decided: &OnceLock<Option<(C, Vec<Chosen>)>>,
        (summaries_tx, made_tx): Channels<S, T>,
    ) {
        let mut trees: Parsed_ = Vec::new();
        loop {
            let piece = next_piece.fetch_add(1, Ordering::Relaxed);
            if piece >= self.pieces.len() {
                break;
            }
            let summaries = self.parse_and_summarize(piece, summarize, &mut trees);
            let failed = summaries.is_err();
            if summaries_tx.send((piece, summaries)).is_err() || failed {
                return;
            }
        }
        let Some((kept, chosen)) = decided.wait() else {
            return;
        };
        let _ = made_tx.send(self.visit_chosen(&trees, kept, chosen, visit));
        forget_trees(trees);
    }

    /// Parses one piece and summarizes its items; its tree is kept in `trees` when the plan
    /// keeps trees, else only its items' byte ranges are.
    fn parse_and_summarize<S>(
        &self,
        piece: usize,
        summarize: &(impl Fn(Located, ItemKey, &syn::Item, Range<usize>) -> S + Sync),
        trees: &mut Parsed_,
    ) -> Result<Vec<S>, LocatedError> {
        let source = self.source;
        let parsed = source.parse_piece(self.pieces[piece].clone())?;
        // Spans count from the piece's first byte.
        let at = Located {
            source,
            base: self.pieces[piece].start,
        };
        let summaries = ItemKey::of_piece(&parsed, piece)
            .map(|(key, item, range)| summarize(at, key, item, range))
            .collect();
        if self.keep_trees {
            trees.push((piece, Held::Tree(parsed)));
        } else {
            let ranges = parsed.ranges.clone();
            drop(parsed);
            // The span map holds a copy of every text parsed on this thread.
            proc_macro2::extra::invalidate_current_thread_spans();
            trees.push((piece, Held::Ranges(ranges)));
        }
        Ok(summaries)
    }

    /// Visits the chosen items that stand in `trees`' pieces, each with its place among the
    /// chosen: from the kept tree, or parsed again on its own.
    fn visit_chosen<C, T>(
        &self,
        trees: &Parsed_,
        kept: &C,
        chosen: &[Chosen],
        visit: &(impl Fn(&C, usize, Located, &syn::Item) -> T + Sync),
    ) -> Visits<T> {
        let source = self.source;
        // Piece → what this thread holds of it, if it parsed it.
        let mut held: Vec<Option<&Held>> = vec![None; self.pieces.len()];
        for (piece, piece_held) in trees {
            held[*piece] = Some(piece_held);
        }
        let mut made = Vec::new();
        for (k, target) in chosen.iter().enumerate() {
            let index = target.item.index;
            let value = match held[target.item.piece] {
                None => continue,
                // Spans of a kept piece count from the piece's first byte.
                Some(Held::Tree(parsed)) => {
                    let at = Located {
                        source,
                        base: self.pieces[target.item.piece].start,
                    };
                    visit_one(kept, k, at, &parsed.file.items[index], target, visit)
                }
                // Those of an item parsed again count from the item's.
                Some(Held::Ranges(ranges)) => {
                    let node = ranges[index].clone();
                    let item = source
                        .parse_item(node.clone())
                        .map_err(|err| format!("an item no longer parses: {err}"))?;
                    let at = Located {
                        source,
                        base: node.start,
                    };
                    let value = visit_one(kept, k, at, &item, target, visit);
                    drop(item);
                    proc_macro2::extra::invalidate_current_thread_spans();
                    value
                }
            };
            made.push((k, value));
        }
        Ok(made)
    }
}

/// The second pass of [`two_passes`] for a file whose items were read before (from its pieces,
/// in a history): each chosen item parsed again on its own from `nodes[k]`, its byte range in
/// the file, and visited with its place `k`, as a large file's chosen items are.
pub fn visit_again<C, T>(
    source: &SourceFile,
    kept: &C,
    nodes: &[Range<usize>],
    visit: impl Fn(&C, usize, Located, &syn::Item) -> T,
) -> anyhow::Result<Vec<T>> {
    let mut made = Vec::with_capacity(nodes.len());
    for (k, node) in nodes.iter().enumerate() {
        let item = source.parse_item(node.clone())?;
        let at = Located {
            source,
            base: node.start,
        };
        made.push(visit(kept, k, at, &item));
    }
    Ok(made)
}

/// Visits `item`, or the chosen method of it.
fn visit_one<C, T>(
    kept: &C,
    k: usize,
    at: Located,
    item: &syn::Item,
    target: &Chosen,
    visit: &impl Fn(&C, usize, Located, &syn::Item) -> T,
) -> T {
    match method_of(item, target.method) {
        Some(method) => visit(kept, k, at, &method),
        None => visit(kept, k, at, item),
    }
}

/// Drops a thread's trees and the span map that locates them: proc-macro2 keeps a copy of
/// every text parsed on a thread, and a pool thread parses file after file (a history's
/// versions). No span outlives the visits.
fn forget_trees(trees: Parsed_) {
    drop(trees);
    proc_macro2::extra::invalidate_current_thread_spans();
}

fn internal(what: &str) -> anyhow::Error {
    anyhow::anyhow!("internal error: {what}")
}

/// The method at `position` in an impl block, as a stand-alone function.
fn method_of(item: &syn::Item, position: Option<usize>) -> Option<syn::Item> {
    let syn::Item::Impl(imp) = item else {
        return None;
    };
    match imp.items.get(position?)? {
        syn::ImplItem::Fn(f) => Some(method_as_fn(f)),
        _ => None,
    }
}

/// A method of an impl block as a stand-alone function: its spans, and so its byte ranges,
/// are the original's. Crate mode picks single methods from other files.
pub fn method_as_fn(f: &syn::ImplItemFn) -> syn::Item {
    syn::Item::Fn(syn::ItemFn {
        attrs: f.attrs.clone(),
        vis: f.vis.clone(),
        modifiers: f.modifiers.clone(),
        sig: f.sig.clone(),
        block: Box::new(f.block.clone()),
    })
}

/// The last identifier of a type's path (`crate::a::Foo<T>` → `Foo`), looking through references.
pub fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        syn::Type::Group(g) => type_name(&g.elem),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::extract::select;

    fn fixture(name: &str) -> SourceFile {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        SourceFile::read(&path).unwrap()
    }

    /// Per item: its key, what it summarizes to, its byte range.
    type Summaries = Vec<(ItemKey, String, Range<usize>)>;

    /// Every item's boundaries and byte range, and for every function the text of its body's
    /// first statement, read through `plan`: what summaries and visits see.
    fn read_through(plan: &Plan) -> (Summaries, Vec<String>) {
        let summarize = |at: Located, key: ItemKey, item: &syn::Item, node: Range<usize>| {
            // The item's boundaries, its impl methods' among them, as read in its piece.
            let read = select::read_item(at, key, item, node.clone(), true, false);
            let name = format!("{:?}", read.boundaries());
            (key, name, node)
        };
        let choose = |(), all: Summaries| {
            let chosen = all
                .iter()
                .map(|(key, _, _)| Chosen {
                    item: *key,
                    method: None,
                })
                .collect();
            Ok((all, chosen))
        };
        let visit = |_: &Summaries, _: usize, at: Located, item: &syn::Item| match item {
            syn::Item::Fn(f) => f
                .block
                .stmts
                .first()
                .map(|stmt| at.slice(at.node_range(stmt)).to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        match plan.run(|| Ok(()), &summarize, choose, &visit).unwrap() {
            Outcome::Done(all, made) => {
                // Keys differ between plans; what they key does not.
                let all = all
                    .into_iter()
                    .map(|(_, name, node)| (ItemKey { piece: 0, index: 0 }, name, node))
                    .collect();
                (all, made)
            }
            Outcome::PieceFailed(..) => panic!("a piece failed to parse"),
        }
    }

    #[test]
    fn pieces_threads_and_parsing_again_read_what_the_whole_file_reads() {
        for name in ["message.rs", "message_2022.rs", "application.rs"] {
            let source = fixture(name);
            let whole = 0..source.text.len();
            let one = Plan {
                source: &source,
                pieces: std::slice::from_ref(&whole),
                workers: 1,
                keep_trees: true,
            };
            let expected = read_through(&one);
            let pieces = pieces::pieces(&source.text, 512);
            assert!(
                pieces.len() > 3,
                "{name} is cut into {} pieces",
                pieces.len()
            );
            for (workers, keep_trees) in [(1, true), (2, true), (3, false)] {
                let plan = Plan {
                    source: &source,
                    pieces: &pieces,
                    workers,
                    keep_trees,
                };
                assert_eq!(
                    read_through(&plan),
                    expected,
                    "{name}: {workers} workers, trees kept: {keep_trees}"
                );
                // On a pool thread the plan runs on that thread alone.
                let pool = source::pool().unwrap();
                assert_eq!(
                    pool.install(|| read_through(&plan)),
                    expected,
                    "{name} on a pool thread, trees kept: {keep_trees}"
                );
            }
        }
    }

    #[test]
    fn an_error_in_a_later_piece_is_reported_at_its_place_in_the_file() {
        let mut text = fixture("message.rs").text;
        text.push_str("\nfn broken() {\n    let x = ;\n}\n");
        let line = text.lines().count() - 1;
        let source = SourceFile::from_text(Path::new("t.rs"), text);
        let pieces = pieces::pieces(&source.text, 512);
        let plan = Plan {
            source: &source,
            pieces: &pieces,
            workers: 2,
            keep_trees: false,
        };
        let err = plan
            .run_or_parse_whole(
                || Ok(()),
                &|_, _, _, _| (),
                |(), _: Vec<()>| Ok(((), Vec::new())),
                &|_: &(), _, _, _| (),
            )
            .unwrap_err();
        let located = err.downcast_ref::<LocatedError>().unwrap();
        assert_eq!((located.line, located.column), (line, 13), "{located}");
        assert_eq!(located.message, source.parse().unwrap_err().message);
    }

    #[test]
    fn a_wrong_cut_costs_a_parse_of_the_whole_file_not_the_output() {
        let source = fixture("message.rs");
        // A cut in the middle of an item: neither piece parses alone; the file parses whole.
        let middle = source.text.find("pub struct MessageIn").unwrap() + 10;
        let wrong = [0..middle, middle..source.text.len()];
        let plan = Plan {
            source: &source,
            pieces: &wrong,
            workers: 2,
            keep_trees: true,
        };
        let ranges = |plan: &Plan| {
            plan.run_or_parse_whole(
                || Ok(()),
                &|_, _, _, node: Range<usize>| node,
                |(), all: Vec<Range<usize>>| Ok((all, Vec::new())),
                &|_: &Vec<Range<usize>>, _, _, _| (),
            )
            .unwrap()
            .0
        };
        assert_eq!(ranges(&plan), source.parse().unwrap().ranges);
    }
}
