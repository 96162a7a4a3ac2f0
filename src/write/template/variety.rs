//! The template writer's variety steering: what a run has said so far (sentence shapes,
//! request word 3-grams, the 5-grams of the latest reasonings, every text's hash), and the
//! choice, among a unit's fresh phrasings, of the one that repeats it least. Its state lives
//! in the [`TemplateWriter`](super::TemplateWriter) value, never in the pipeline.

use std::collections::{HashMap, HashSet};

use crate::dataset::example::Voice;
use crate::dataset::quality;
use crate::write::template::render::{self, Templates, UnitView};

/// How many phrasings to try for one example before deciding the unit has no new one left.
const PHRASING_ATTEMPTS: usize = 512;

/// Among the first this many fresh phrasings, the one that adds the least repetition is kept.
const VARIETY_CANDIDATES: usize = 4;

/// What the run has said so far, to steer each new example away from repeating it: reasoning
/// sentence shapes (names blanked), request word 3-grams, and the 5-gram sets of the latest
/// reasonings.
#[derive(Default)]
pub(super) struct Variety {
    usage: render::Usage,
    /// The stable hash of every sentence shape said so far.
    shapes: HashSet<u64, Prehashed>,
    request_grams: HashSet<u64, Prehashed>,
    /// The latest `CLOSENESS_WINDOW` reasonings' 5-gram sets; the `n`th reasoning kept is in
    /// slot `n % CLOSENESS_WINDOW`.
    window: Vec<Vec<u64>>,
    /// 5-gram → the slots of the window's reasonings that have it, one bit each: a
    /// candidate's overlap with all of them, in one pass over its own 5-grams.
    holders: HashMap<u64, u32, Prehashed>,
    /// How many reasonings have been kept.
    added: usize,
    /// Every request and reasoning kept so far, by a 128-bit hash of its text, to refuse an
    /// exact repeat in constant time without keeping a second copy of every text.
    said: HashSet<u128>,
    /// The current unit's sentence pieces, measured.
    pub(super) pieces: PieceCache,
}

/// Two independent 64-bit hashes of a text: a repeat is found by its key, and two different
/// texts share one with a chance of about one in 2^128.
fn text_key(text: &str) -> u128 {
    let bytes = text.as_bytes();
    (u128::from(key_hash(bytes, 0x243f_6a88_85a3_08d3)) << 64)
        | u128::from(key_hash(bytes, 0x1319_8a2e_0370_7344))
}

/// A fast hash of a text, eight bytes at a time, for keys that only tell texts apart within a
/// run (never stored, never shown): one seed, one hash.
fn key_hash(bytes: &[u8], seed: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    let mut last = [0; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = (hash ^ u64::from_le_bytes(last)).wrapping_mul(K);
    // splitmix64's finish.
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Sets and maps keyed by stable hashes ([`stable_hash`](crate::extract::text::stable_hash) and the n-grams made of them):
/// the keys are mixed already, so they are their own hash.
type Prehashed = std::hash::BuildHasherDefault<PrehashedKey>;

#[derive(Default)]
struct PrehashedKey(u64);

impl std::hash::Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys come here; anything else is folded in, never left unhashed.
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

/// How many of the latest reasonings a candidate is weighed against for closeness: enough to
/// steer a file's examples apart, and a bound that keeps a file of thousands of units linear.
/// `validate` still compares every pair.
const CLOSENESS_WINDOW: usize = 24;
const _: () = assert!(
    CLOSENESS_WINDOW <= u32::BITS as usize,
    "a slot is a bit of a u32"
);

/// What the repetition measures read off one candidate, kept so the chosen one is added to
/// the run without being measured again.
pub(super) struct Measured {
    shapes: Vec<u64>,
    request_grams: Vec<u64>,
    shingles: Vec<u64>,
}

impl Measured {
    /// The measures of one candidate, its reasoning's sentences looked up in `pieces` first:
    /// a unit's candidates share most of them.
    fn of(request: &str, reasoning: &str, pieces: &PieceCache) -> Measured {
        let mut shapes = Vec::new();
        let mut words = Vec::new();
        for piece in quality::sentence_pieces(reasoning) {
            let measured = pieces.measure(&piece);
            shapes.extend(measured.shape);
            words.extend_from_slice(&measured.words);
        }
        Measured {
            shapes,
            request_grams: quality::word_grams(request, 3),
            shingles: quality::shingles_of_words(&words)
                .unwrap_or_else(|| quality::shingles(reasoning)),
        }
    }
}

/// What one piece of a reasoning measures to: its sentence's shape and its words.
struct PieceMeasure {
    shape: Option<u64>,
    words: Vec<u64>,
}

type PieceMap = HashMap<u64, std::sync::Arc<PieceMeasure>, Prehashed>;

/// The measures of the sentence pieces of one unit's candidates, by a hash of the piece: the
/// candidates (made two at a time) and a unit's examples repeat most of their sentences.
/// Emptied for each unit, so that it stays small.
#[derive(Default)]
pub(super) struct PieceCache(std::sync::Mutex<PieceMap>);

impl PieceCache {
    fn measure(&self, piece: &quality::SentencePiece) -> std::sync::Arc<PieceMeasure> {
        let key = key_hash(piece.text.as_bytes(), u64::from(piece.ended));
        if let Some(found) = self.lock().get(&key) {
            return found.clone();
        }
        let measured = std::sync::Arc::new(PieceMeasure {
            shape: (!piece.sentence.is_empty()).then(|| quality::shape_hash(piece.sentence)),
            words: quality::words_of(piece.text),
        });
        self.lock().insert(key, measured.clone());
        measured
    }

    pub(super) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PieceMap> {
        // A poisoned lock only means another thread panicked mid-insert: the map is still a map.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Variety {
    /// How much a candidate repeats what is already there; lower is better.
    fn cost(&self, candidate: &Measured) -> f64 {
        let repeated_shapes = candidate
            .shapes
            .iter()
            .filter(|s| self.shapes.contains(s))
            .count();
        let grams = &candidate.request_grams;
        let repeated_grams = grams
            .iter()
            .filter(|g| self.request_grams.contains(g))
            .count();
        // The 5-grams the candidate shares with each reasoning of the window, by slot.
        let mut common = [0usize; CLOSENESS_WINDOW];
        for gram in &candidate.shingles {
            let mut slots = self.holders.get(gram).copied().unwrap_or(0);
            while slots != 0 {
                common[slots.trailing_zeros() as usize] += 1;
                slots &= slots - 1;
            }
        }
        // The order of the window does not matter to the largest similarity.
        let closest = self
            .window
            .iter()
            .zip(common)
            .map(|(other, shared)| {
                quality::jaccard_of_counts(shared, candidate.shingles.len(), other.len())
            })
            .fold(0.0, f64::max);
        // A near-duplicate reasoning outweighs everything else; then repeated sentence
        // templates; then repeated request phrasing.
        let near = if closest >= 0.4 { 100.0 * closest } else { 0.0 };
        near + repeated_shapes as f64 + repeated_grams as f64 / grams.len().max(1) as f64 * 4.0
    }

    pub(super) fn add(
        &mut self,
        kept: Measured,
        picks: &[(String, usize)],
        request: &str,
        reasoning: &str,
    ) {
        self.usage.commit(picks);
        self.said.insert(text_key(request));
        self.said.insert(text_key(reasoning));
        self.shapes.extend(kept.shapes);
        self.request_grams.extend(kept.request_grams);
        let slot = self.added % CLOSENESS_WINDOW;
        let bit = 1u32 << slot;
        if let Some(old) = self.window.get_mut(slot) {
            for gram in std::mem::take(old) {
                if let Some(slots) = self.holders.get_mut(&gram) {
                    *slots &= !bit;
                    if *slots == 0 {
                        self.holders.remove(&gram);
                    }
                }
            }
        }
        for &gram in &kept.shingles {
            *self.holders.entry(gram).or_insert(0) |= bit;
        }
        match self.window.get_mut(slot) {
            Some(place) => *place = kept.shingles,
            None => self.window.push(kept.shingles),
        }
        self.added += 1;
    }
}

/// One example's text as rendered, with the template choices it made.
pub(super) struct Rendered {
    pub(super) request: String,
    pub(super) reasoning: render::Reasoning,
    pub(super) picks: Vec<(String, usize)>,
    pub(super) measured: Measured,
}

/// Renders one example's request and reasoning: of the phrasings that repeat no earlier
/// example's request or reasoning, the first `VARIETY_CANDIDATES` are weighed and the one that
/// adds the least repetition is kept. None when the templates have no unseen phrasing left.
///
/// Phrasings are made two at a time, one on each side of a `rayon::join`: each depends only on
/// what the run has said before this example, so they are weighed in order as if made one by
/// one, and the choice is the same.
pub(super) fn render_unique(
    view: &UnitView,
    insights: &render::Insights,
    voice: Voice,
    variant: usize,
    templates: &Templates,
    variety: &Variety,
) -> Option<Rendered> {
    // One phrasing with its cost, or None when it repeats an earlier example.
    let attempt = |attempt: usize| -> Option<(f64, Rendered)> {
        let picks = std::cell::RefCell::new(Vec::new());
        let salt = render::Salt::new(templates, &format!("{}#{attempt}", view.key), variant)
            .steered(&variety.usage, &picks);
        let request = render::render_request(view, voice, &salt, insights);
        let reasoning = render::render_reasoning(view, &salt, insights);
        // A repeated request also covers a repeated (request, code) pair. A request and a
        // reasoning are never the same text, so one set serves both.
        let repeats = variety.said.contains(&text_key(&request))
            || variety.said.contains(&text_key(&reasoning.text));
        if repeats {
            return None;
        }
        let measured = Measured::of(&request, &reasoning.text, &variety.pieces);
        let cost = variety.cost(&measured);
        let picks = picks.into_inner();
        Some((
            cost,
            Rendered {
                request,
                reasoning,
                picks,
                measured,
            },
        ))
    };
    let mut best: Option<(f64, Rendered)> = None;
    let mut fresh = 0;
    for first in (0..PHRASING_ATTEMPTS).step_by(2) {
        let (one, two) = rayon::join(|| attempt(first), || attempt(first + 1));
        for (cost, rendered) in [one, two].into_iter().flatten() {
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, rendered));
            }
            fresh += 1;
            if fresh == VARIETY_CANDIDATES {
                return best.map(|(_, rendered)| rendered);
            }
        }
    }
    best.map(|(_, rendered)| rendered)
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_keys_tell_texts_of_every_length_apart() {
        // Lengths around the eight bytes a key takes at a time, and texts of zero bytes.
        let texts: Vec<String> = (0..40)
            .flat_map(|n| ["a", "b", "\u{0}"].map(|c| c.repeat(n)))
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(
                    super::text_key(a) == super::text_key(b),
                    a == b,
                    "{a:?} {b:?}"
                );
            }
        }
    }
}
