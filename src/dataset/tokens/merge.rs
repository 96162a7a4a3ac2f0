//! Byte-pair merging as tiktoken does it (`_byte_pair_merge` and, for long pieces,
//! `_byte_pair_merge_large` in its `lib.rs`), reduced to the count of tokens it leaves: the
//! adjacent pair whose joined bytes have the lowest rank merges first, the leftmost on a tie,
//! until no joined pair is a token.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::table::Table;

/// Where tiktoken switches to its heap: the same merges either way, found faster.
const LARGE: usize = 100;

/// How many tokens `piece` (which is not itself one token) becomes.
pub fn token_count(table: &Table, piece: &[u8]) -> usize {
    if piece.len() < 2 {
        return piece.len();
    }
    if piece.len() < LARGE {
        small(table, piece)
    } else {
        large(table, piece)
    }
}

fn rank_of(table: &Table, bytes: &[u8]) -> u32 {
    table.rank(bytes).unwrap_or(u32::MAX)
}

/// Parts as (start, rank of the pair starting there); each merge rescans for the lowest.
fn small(table: &Table, piece: &[u8]) -> usize {
    let mut parts: Vec<(usize, u32)> = Vec::with_capacity(piece.len() + 1);
    let mut min_rank = (u32::MAX, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = rank_of(table, &piece[i..i + 2]);
        if rank < min_rank.0 {
            min_rank = (rank, i);
        }
        parts.push((i, rank));
    }
    parts.push((piece.len() - 1, u32::MAX));
    parts.push((piece.len(), u32::MAX));
    // The rank of the pair at `i` once `i + 1` is gone: parts `i` to `i + 3` still stand.
    let pair_rank = |parts: &[(usize, u32)], i: usize| {
        if i + 3 < parts.len() {
            rank_of(table, &piece[parts[i].0..parts[i + 3].0])
        } else {
            u32::MAX
        }
    };
    while min_rank.0 != u32::MAX {
        let i = min_rank.1;
        if i > 0 {
            parts[i - 1].1 = pair_rank(&parts, i - 1);
        }
        parts[i].1 = pair_rank(&parts, i);
        parts.remove(i + 1);
        min_rank = (u32::MAX, usize::MAX);
        for (i, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min_rank.0 {
                min_rank = (rank, i);
            }
        }
    }
    parts.len() - 1
}

/// One token of a long piece being merged: where it ends, where the token before it starts,
/// where the token after it ends and the rank of the pair they would make.
struct Part {
    prev: usize,
    end: usize,
    next_end: usize,
    next_rank: u32,
}

/// A heap of candidate merges (rank, then start, lowest first); a candidate whose rank no longer
/// matches its part's is stale and skipped.
fn large(table: &Table, piece: &[u8]) -> usize {
    let mut parts: Vec<Part> = (0..piece.len())
        .map(|i| Part {
            prev: i.wrapping_sub(1),
            end: i + 1,
            next_end: i + 2,
            next_rank: u32::MAX,
        })
        .collect();
    let mut heap = BinaryHeap::with_capacity(piece.len());
    for i in 0..piece.len() - 1 {
        let rank = rank_of(table, &piece[i..i + 2]);
        if rank != u32::MAX {
            heap.push(Reverse((rank, i)));
            parts[i].next_rank = rank;
        }
    }
    let candidate = |parts: &mut Vec<Part>, heap: &mut BinaryHeap<_>, start: usize, end: usize| {
        parts[start].next_end = end;
        parts[start].next_rank = u32::MAX;
        if end <= piece.len() {
            let rank = rank_of(table, &piece[start..end]);
            if rank != u32::MAX {
                heap.push(Reverse((rank, start)));
                parts[start].next_rank = rank;
            }
        }
    };
    let mut tokens = piece.len();
    while let Some(Reverse((rank, left))) = heap.pop() {
        if rank != parts[left].next_rank {
            continue;
        }
        let right = parts[left].end;
        let right_end = parts[left].next_end;
        let right_next_end = parts[right].next_end;
        parts[left].end = right_end;
        candidate(&mut parts, &mut heap, left, right_next_end);
        if right_end < parts.len() {
            parts[right_end].prev = left;
        }
        if left > 0 {
            let prev = parts[left].prev;
            candidate(&mut parts, &mut heap, prev, right_end);
        }
        parts[right].next_rank = u32::MAX;
        tokens -= 1;
    }
    tokens
}
