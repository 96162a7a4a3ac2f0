//! The parse stage: a file's items read in two passes. Every top-level item is summarized as
//! it is parsed; the caller looks at the summaries alone (plain data) and chooses the items it
//! needs to see again; only those are visited. The syntax tree never leaves this module's
//! threads, and no syn type comes back.

use std::ops::Range;

use crate::select;
use crate::source::{self, Located, SourceFile};

/// An item to visit again: the `item`th top-level item of the file, or the method at
/// `method` among that impl block's items, as a stand-alone function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub item: usize,
    pub method: Option<usize>,
}

/// Parses `source`, calls `summarize` on every top-level item (with its index and byte range),
/// hands the summaries to `choose`, and calls `visit` on each item it chose (with the item's
/// place in its list). Returns what `choose` kept and what `visit` made, in the chosen order.
pub fn two_passes<S, C, T>(
    source: &SourceFile,
    summarize: impl Fn(Located, usize, &syn::Item, Range<usize>) -> S + Sync,
    choose: impl FnOnce(Vec<S>) -> anyhow::Result<(C, Vec<Chosen>)> + Send,
    visit: impl Fn(&C, usize, Located, &syn::Item) -> T + Sync,
) -> anyhow::Result<(C, Vec<T>)>
where
    S: Send,
    C: Send + Sync,
    T: Send,
{
    source::on_big_stack(|| {
        let parsed = source.parse()?;
        let at = Located::whole(source);
        let summaries = parsed
            .file
            .items
            .iter()
            .zip(&parsed.ranges)
            .enumerate()
            .map(|(i, (item, node))| summarize(at, i, item, node.clone()))
            .collect();
        let (kept, chosen) = choose(summaries)?;
        let made = chosen
            .iter()
            .enumerate()
            .map(|(k, target)| {
                let item = &parsed.file.items[target.item];
                match method_of(item, target.method) {
                    Some(method) => visit(&kept, k, at, &method),
                    None => visit(&kept, k, at, item),
                }
            })
            .collect();
        Ok((kept, made))
    })?
}

/// The method at `position` in an impl block, as a stand-alone function.
fn method_of(item: &syn::Item, position: Option<usize>) -> Option<syn::Item> {
    let syn::Item::Impl(imp) = item else {
        return None;
    };
    match imp.items.get(position?)? {
        syn::ImplItem::Fn(f) => Some(select::method_as_fn(f)),
        _ => None,
    }
}
