//! The validation split: which examples go to `<OUT stem>.valid<ext>` instead of OUT, and the
//! shares that came out. Whole groups move, never single examples: a unit's variants (the same
//! code under other words) and the units that share an item with it (a function that is a unit
//! of its own and part of its handler's chain) never stand on both sides.
//!
//! How the share is reached. The target is FRACTION of the examples, T = FRACTION × N. Of the
//! counts whole groups can add up to, keeping a group on each side (when there are two or
//! more; a single group trains), the one nearest T is taken, the lower one on a tie: the
//! closest share whole groups allow. A subset sum over the groups finds it (a bitset of the
//! counts reachable so far, one shift per group: groups × N / 64 word operations). Which groups
//! make that count: the groups are ranked by the stable hash of their key (the key breaks a
//! tie), each count remembers the first group in that rank that made it reachable, and the
//! count is unwound from there; so the groups taken are as early in the rank as the count
//! allows, and with groups of one size they are simply the first ones.
//!
//! Why exact rather than a walk in hash order that takes each group bringing the count closer
//! (within half a group of T, one pass): the share is what was asked for, and the walk misses
//! it where it matters most, with few groups: on svix's application.rs (groups of 2, 4 and 6
//! examples) it puts 4 of 12 in the validation file for 0.2, where 2 of 12 is closer. What
//! keeps the choice stable is the rank, which depends on each group's key alone: a group that
//! comes or goes moves the target by a fraction of its size, and among equal counts the early
//! groups stay. Measured in the tests over 2000 random sets of groups, one group more moves
//! about one other on average (the walk: about 0.6, for a share twice as far off).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dataset::example::Example;
use crate::extract::text::stable_hash;

/// Which file an example is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Train,
    Valid,
}

/// Below this many groups no fraction can be met closely, and the run says so.
const FEW_GROUPS: usize = 5;

/// Each example's side, with the shares obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub sides: Vec<Side>,
    pub fraction: f64,
    /// Examples and groups on the validation side, and in all.
    pub valid_examples: usize,
    pub examples: usize,
    pub valid_groups: usize,
    pub groups: usize,
}

impl Split {
    /// What the validation side got: `valid: 4 of 20 examples (0.20), 3 of 12 groups`.
    pub fn shares(&self) -> String {
        let share = if self.examples == 0 {
            0.0
        } else {
            self.valid_examples as f64 / self.examples as f64
        };
        format!(
            "valid: {} of {} examples ({share:.2}), {} of {} groups",
            self.valid_examples, self.examples, self.valid_groups, self.groups
        )
    }

    /// A warning when there are too few groups for the fraction to be met closely.
    pub fn coarseness(&self) -> Option<String> {
        match self.groups {
            0 => None,
            1 => Some(
                "warning: 1 group of examples only: it trains, and the validation file is empty"
                    .to_owned(),
            ),
            n if n < FEW_GROUPS => Some(format!(
                "warning: {n} groups of examples only: the validation side takes whole groups, \
                 so --valid {} can only be met coarsely",
                self.fraction
            )),
            _ => None,
        }
    }
}

/// Each example's side for a validation share of `fraction` of the examples, in whole groups
/// (see the module's doc for how).
pub fn assign(examples: &[Example], fraction: f64) -> Split {
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for example in examples {
        *sizes.entry(&example.group).or_default() += 1;
    }
    let groups: Vec<(&str, usize)> = sizes.into_iter().collect();
    let valid = choose(&groups, fraction);
    let side_of: BTreeMap<&str, Side> = groups
        .iter()
        .zip(&valid)
        .map(|(&(key, _), &valid)| (key, if valid { Side::Valid } else { Side::Train }))
        .collect();
    let sides: Vec<Side> = examples.iter().map(|e| side_of[e.group.as_str()]).collect();
    Split {
        valid_examples: sides.iter().filter(|&&s| s == Side::Valid).count(),
        examples: examples.len(),
        valid_groups: valid.iter().filter(|&&v| v).count(),
        groups: groups.len(),
        fraction,
        sides,
    }
}

/// The groups' indices by the stable hash of their key, the key breaking a tie.
fn hash_order(groups: &[(&str, usize)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&i| (stable_hash(&[groups[i].0]), groups[i].0));
    order
}

/// Whether each group (key, examples) goes to the validation side: the count nearest
/// `fraction` of all that whole groups make with a group on each side, from the groups earliest
/// in hash order (see the module's doc).
fn choose(groups: &[(&str, usize)], fraction: f64) -> Vec<bool> {
    let mut valid = vec![false; groups.len()];
    if groups.len() < 2 {
        return valid;
    }
    let order = hash_order(groups);
    let total: usize = groups.iter().map(|&(_, size)| size).sum();
    // Counts up to total − 1: one group at least stays in training.
    let first = first_makers(groups, &order, total - 1);
    let twice_target = 2.0 * fraction * total as f64;
    let distance = |count: usize| (2.0 * count as f64 - twice_target).abs();
    let best = (1..total)
        .filter(|&count| first[count] != NONE)
        .min_by(|&a, &b| distance(a).total_cmp(&distance(b)));
    let Some(mut count) = best else {
        return valid;
    };
    while count > 0 {
        let i = order[first[count] as usize];
        valid[i] = true;
        count -= groups[i].1;
    }
    valid
}

/// No group makes this count.
const NONE: u32 = u32::MAX;

/// For each count up to `cap`, the rank (in `order`) of the first group that made it reachable
/// as a sum of distinct groups' sizes, or [`NONE`]; count 0 is made by no group. Unwinding a
/// count by the group recorded for it reaches a count recorded for an earlier group, so no group
/// is used twice.
fn first_makers(groups: &[(&str, usize)], order: &[usize], cap: usize) -> Vec<u32> {
    let words = cap / 64 + 1;
    let mut reachable = vec![0u64; words];
    reachable[0] = 1;
    let mut first = vec![NONE; cap + 1];
    for (rank, &i) in order.iter().enumerate() {
        let size = groups[i].1;
        if size == 0 || size > cap {
            continue;
        }
        let (skip, bits) = (size / 64, size % 64);
        // From the top down, so that each word is shifted from words not yet updated for this
        // group: every group counts once in a sum.
        for word in (skip..words).rev() {
            let mut shifted = reachable[word - skip] << bits;
            if bits > 0 && word > skip {
                shifted |= reachable[word - skip - 1] >> (64 - bits);
            }
            let mut new = shifted & !reachable[word];
            while new != 0 {
                let count = word * 64 + new.trailing_zeros() as usize;
                if count <= cap {
                    first[count] = rank as u32;
                }
                new &= new - 1;
            }
            reachable[word] |= shifted;
        }
    }
    first
}

/// The validation file beside OUT: `data.jsonl` → `data.valid.jsonl`, `data` → `data.valid`.
pub fn valid_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().unwrap_or_default().to_string_lossy();
    let name = match out.extension() {
        Some(ext) => format!("{stem}.valid.{}", ext.to_string_lossy()),
        None => format!("{stem}.valid"),
    };
    out.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::example::Voice;

    fn example(unit: &str, variant: usize) -> Example {
        Example {
            unit: unit.to_owned(),
            group: unit.to_owned(),
            kind: "handler",
            voice: Voice::Chat,
            variant,
            request: String::new(),
            reasoning: String::new(),
            rules: Vec::new(),
            code: "".into(),
            commit: None,
            before: Vec::new(),
            model: None,
            slices: Vec::new(),
        }
    }

    fn grouped(unit: &str, group: &str, variant: usize) -> Example {
        Example {
            group: group.to_owned(),
            ..example(unit, variant)
        }
    }

    #[test]
    fn every_variant_of_a_unit_lands_on_one_side() {
        let examples: Vec<Example> = (0..40)
            .flat_map(|u| (0..3).map(move |v| example(&format!("item:f{u}"), v)))
            .collect();
        let split = assign(&examples, 0.25);
        for (chunk, sides) in examples.chunks(3).zip(split.sides.chunks(3)) {
            assert!(sides.iter().all(|&s| s == sides[0]), "{}", chunk[0].unit);
        }
        // 40 groups of 3: 10 groups are exactly a quarter.
        assert_eq!((split.valid_groups, split.valid_examples), (10, 30));
    }

    /// Regression: application creation's 12 examples, 6 units of 2, asked `--valid 0.2`,
    /// put 10 in the validation file (5 of the 6 hashed under 0.2 by chance).
    #[test]
    fn a_fifth_of_six_pairs_is_one_pair() {
        let examples: Vec<Example> = ["create_app", "ApplicationIn", "ApplicationOut"]
            .iter()
            .chain(&["validate_uid", "example_uid", "ApplicationPatch"])
            .flat_map(|name| (0..2).map(move |v| example(&format!("item:{name}"), v)))
            .collect();
        let split = assign(&examples, 0.2);
        assert_eq!(
            split.shares(),
            "valid: 2 of 12 examples (0.17), 1 of 6 groups"
        );
    }

    #[test]
    fn two_units_always_give_both_sides_and_one_unit_trains() {
        for fraction in [0.000_001, 0.5, 0.999_999] {
            let sides = assign(&[example("item:a", 0), example("item:b", 0)], fraction).sides;
            assert!(sides.contains(&Side::Train) && sides.contains(&Side::Valid));
            let sides = assign(&[example("item:a", 0), example("item:a", 1)], fraction).sides;
            assert_eq!(sides, [Side::Train, Side::Train]);
        }
        assert!(assign(&[], 0.5).sides.is_empty());
    }

    #[test]
    fn units_sharing_an_item_move_as_one_group() {
        let examples = [
            grouped("item:create_message", "item:create_message", 0),
            grouped("chain:create_message+inner", "item:create_message", 0),
            grouped("item:MessageIn", "item:MessageIn", 0),
        ];
        for fraction in [0.1, 0.5, 0.9] {
            let split = assign(&examples, fraction);
            assert_eq!(split.sides[0], split.sides[1], "{fraction}");
            assert_ne!(split.sides[0], split.sides[2], "{fraction}");
            assert_eq!(split.groups, 2);
        }
    }

    #[test]
    fn the_summary_gives_the_shares_and_few_groups_warn() {
        let examples: Vec<Example> = (0..4)
            .flat_map(|u| (0..5).map(move |v| example(&format!("item:f{u}"), v)))
            .collect();
        let split = assign(&examples, 0.2);
        assert_eq!(
            split.shares(),
            "valid: 5 of 20 examples (0.25), 1 of 4 groups"
        );
        assert_eq!(
            split.coarseness().as_deref(),
            Some(
                "warning: 4 groups of examples only: the validation side takes whole groups, so \
                 --valid 0.2 can only be met coarsely"
            )
        );
        let five: Vec<Example> = (0..5).map(|u| example(&format!("item:f{u}"), 0)).collect();
        assert_eq!(assign(&five, 0.2).coarseness(), None);
        let one = assign(&five[..1], 0.2);
        assert_eq!(one.shares(), "valid: 0 of 1 examples (0.00), 0 of 1 groups");
        assert!(one.coarseness().unwrap().contains("it trains"));
        assert_eq!(assign(&[], 0.2).coarseness(), None);
    }

    /// Groups as (key, examples) with distinct keys, from proptest's (id, size) pairs.
    fn groups_of(pairs: &[(u16, usize)]) -> Vec<(String, usize)> {
        let mut seen = Vec::new();
        let mut groups = Vec::new();
        for &(id, size) in pairs {
            if !seen.contains(&id) {
                seen.push(id);
                groups.push((format!("item:g{id}"), size));
            }
        }
        groups
    }

    fn borrowed(groups: &[(String, usize)]) -> Vec<(&str, usize)> {
        groups.iter().map(|(k, s)| (k.as_str(), *s)).collect()
    }

    /// Each group's examples, interleaved the way the pipeline never would, so that nothing
    /// relies on a group's examples standing together.
    fn examples_of(groups: &[(String, usize)]) -> Vec<Example> {
        let longest = groups.iter().map(|(_, s)| *s).max().unwrap_or(0);
        (0..longest)
            .flat_map(|v| {
                groups
                    .iter()
                    .filter(move |(_, s)| v < *s)
                    .map(move |(key, _)| example(key, v))
            })
            .collect()
    }

    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    /// The chosen groups against every subset: a group on each side (none valid for fewer
    /// than two groups), and no subset nearer the target, nor as near with fewer examples.
    fn check_closest(groups: &[(String, usize)], fraction: f64) -> Result<(), TestCaseError> {
        let groups = borrowed(groups);
        let chosen = choose(&groups, fraction);
        if groups.len() < 2 {
            prop_assert!(!chosen.contains(&true));
            return Ok(());
        }
        prop_assert!(chosen.contains(&true) && chosen.contains(&false));
        let total: usize = groups.iter().map(|g| g.1).sum();
        let count_of = |taken: &dyn Fn(usize) -> bool| -> usize {
            (0..groups.len())
                .filter(|&i| taken(i))
                .map(|i| groups[i].1)
                .sum()
        };
        let distance = |count: usize| (count as f64 - fraction * total as f64).abs();
        let got = count_of(&|i| chosen[i]);
        let full = (1u32 << groups.len()) - 1;
        for subset in 1..full {
            let count = count_of(&|i| subset & (1 << i) != 0);
            let nearer = distance(count) < distance(got) - 1e-9;
            let as_near_and_lower = (distance(count) - distance(got)).abs() <= 1e-9 && count < got;
            prop_assert!(
                !nearer && !as_near_and_lower,
                "{count} examples (subset {subset:b}) beat {got} of {total} for {fraction}"
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(Config {
            cases: 512,
            rng_seed: RngSeed::Fixed(0x5917),
            failure_persistence: None,
            ..Config::default()
        })]

        /// The count taken is the closest to the target of all that whole groups make with a
        /// group on each side (the lower on a tie), checked against every subset.
        #[test]
        fn the_share_is_the_closest_whole_groups_allow(
            pairs in prop::collection::vec((0u16..500, 1usize..9), 0..12),
            fraction in 0.01f64..0.99,
        ) {
            check_closest(&groups_of(&pairs), fraction)?;
        }

        /// The same with groups larger than a bitset word, so that counts cross words.
        #[test]
        fn the_share_is_the_closest_with_large_groups(
            pairs in prop::collection::vec((0u16..500, 1usize..300), 0..9),
            fraction in 0.01f64..0.99,
        ) {
            check_closest(&groups_of(&pairs), fraction)?;
        }

        /// No group on both sides; the sides depend on the groups alone, not on the examples'
        /// order or on a second run.
        #[test]
        fn no_group_is_split_and_the_split_is_deterministic(
            pairs in prop::collection::vec((0u16..500, 1usize..6), 0..30),
            fraction in 0.01f64..0.99,
        ) {
            let groups = groups_of(&pairs);
            let examples = examples_of(&groups);
            let split = assign(&examples, fraction);
            prop_assert_eq!(&split, &assign(&examples, fraction));
            let side_of = |examples: &[Example], sides: &[Side]| -> BTreeMap<String, Side> {
                let mut map = BTreeMap::new();
                for (e, s) in examples.iter().zip(sides) {
                    let first = *map.entry(e.group.clone()).or_insert(*s);
                    assert_eq!(first, *s, "{} is on both sides", e.group);
                }
                map
            };
            let forward = side_of(&examples, &split.sides);
            let reversed: Vec<Example> = examples.iter().rev().cloned().collect();
            let backward = side_of(&reversed, &assign(&reversed, fraction).sides);
            prop_assert_eq!(forward, backward);
            prop_assert_eq!(split.groups, groups.len());
            prop_assert_eq!(split.examples, examples.len());
        }
    }

    /// Halfway between two counts, the lower is taken: 4 groups of 1, a target of 1.5.
    #[test]
    fn a_tie_takes_the_lower_count() {
        let keys: Vec<String> = (0..4).map(|g| format!("item:f{g}")).collect();
        let groups: Vec<(&str, usize)> = keys.iter().map(|k| (k.as_str(), 1)).collect();
        let chosen = choose(&groups, 0.375);
        assert_eq!(chosen.iter().filter(|&&v| v).count(), 1);
    }

    /// Among groups of one size, the ones taken are the first in hash order, so a group keeps
    /// its side while the count asked for does not change.
    #[test]
    fn groups_of_one_size_are_taken_in_hash_order() {
        let keys: Vec<String> = (0..20).map(|g| format!("item:f{g}")).collect();
        let groups: Vec<(&str, usize)> = keys.iter().map(|k| (k.as_str(), 2)).collect();
        let order = hash_order(&groups);
        let chosen = choose(&groups, 0.3);
        let taken: Vec<usize> = order.iter().copied().filter(|&i| chosen[i]).collect();
        assert_eq!(taken, order[..6]);
    }

    /// Stability, measured: over 2000 random sets of 3 to 42 groups, one group more moves
    /// about one other on average (0.97 when written) and never more than 8 (7 seen).
    #[test]
    fn one_group_more_moves_few_others() {
        let mut state: u64 = 0x5917;
        let mut next = |bound: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % bound
        };
        let (mut moved, mut most, trials) = (0, 0, 2000);
        for trial in 0..trials {
            let count = 3 + next(40) as usize;
            let fraction = [0.1, 0.2, 0.3][trial % 3];
            let mut groups: Vec<(String, usize)> = (0..count)
                .map(|i| (format!("item:t{trial}g{i}"), 1 + next(6) as usize))
                .collect();
            let before = choose(&borrowed(&groups), fraction);
            groups.push((format!("item:t{trial}new"), 1 + next(3) as usize));
            let after = choose(&borrowed(&groups), fraction);
            let here = before.iter().zip(&after).filter(|(a, b)| a != b).count();
            moved += here;
            most = most.max(here);
        }
        let mean = moved as f64 / trials as f64;
        assert!(mean < 1.1 && most <= 8, "mean {mean}, most {most}");
    }

    #[test]
    fn the_valid_file_sits_beside_out() {
        for (out, valid) in [
            ("data.jsonl", "data.valid.jsonl"),
            ("out/d.v1.jsonl", "out/d.v1.valid.jsonl"),
            ("data", "data.valid"),
        ] {
            assert_eq!(valid_path(Path::new(out)), Path::new(valid));
        }
    }
}
