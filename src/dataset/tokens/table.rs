//! The layout of one encoding's rank table, shared by `build.rs` (which writes it from
//! tiktoken-rs's own tables) and the counter (which reads it from the binary).
//!
//! Three blobs, every number a little-endian `u32`: `bytes`, each token's bytes in rank order,
//! back to back; `ends`, where each rank's bytes end in `bytes`; `slots`, an open-addressing
//! hash table (linear probing, a power of two long, at most half full) of `rank + 1`, 0 for an
//! empty slot. Ranks are the token ids, 0 up without a gap (the ordinary tokens; special tokens
//! are never counted as such). Nothing is decoded or hashed at start-up.

/// A hash of a token's bytes (FNV-1a, 64-bit): the same on the machine that builds and the one
/// that runs.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// How many slots a table of `tokens` tokens has: a power of two, at least twice as many.
#[allow(dead_code)] // for build.rs
pub fn slot_count(tokens: usize) -> usize {
    (tokens * 2).next_power_of_two()
}

/// The `u32` at index `i` of a little-endian blob.
#[inline]
pub fn read_u32(blob: &[u8], i: usize) -> u32 {
    let at = i * 4;
    u32::from_le_bytes([blob[at], blob[at + 1], blob[at + 2], blob[at + 3]])
}

/// The table's three blobs, as `build.rs` wrote them.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    pub bytes: &'a [u8],
    pub ends: &'a [u8],
    pub slots: &'a [u8],
}

impl<'a> Table<'a> {
    /// The bytes of token `rank`.
    #[inline]
    pub fn token(&self, rank: u32) -> &'a [u8] {
        let rank = rank as usize;
        let start = if rank == 0 {
            0
        } else {
            read_u32(self.ends, rank - 1) as usize
        };
        &self.bytes[start..read_u32(self.ends, rank) as usize]
    }

    /// The rank of the token whose bytes are `bytes`, if there is one.
    #[inline]
    pub fn rank(&self, bytes: &[u8]) -> Option<u32> {
        let mask = self.slots.len() / 4 - 1;
        let mut slot = hash(bytes) as usize & mask;
        loop {
            let held = read_u32(self.slots, slot);
            if held == 0 {
                return None;
            }
            if self.token(held - 1) == bytes {
                return Some(held - 1);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// The `slots` blob for tokens given in rank order.
#[allow(dead_code)] // for build.rs
pub fn build_slots<'t>(tokens: impl ExactSizeIterator<Item = &'t [u8]>) -> Vec<u8> {
    let count = slot_count(tokens.len());
    let mask = count - 1;
    let mut slots = vec![0u32; count];
    for (rank, token) in tokens.enumerate() {
        let mut slot = hash(token) as usize & mask;
        while slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        slots[slot] = rank as u32 + 1;
    }
    slots.iter().flat_map(|s| s.to_le_bytes()).collect()
}
