//! The validation split: which examples go to `<OUT stem>.valid<ext>` instead of OUT. Whole
//! groups of units move, never single examples: a unit's variants (the same code under other
//! words) and the units that share an item with it (a function that is a unit of its own and
//! part of its handler's chain) never stand on both sides. A group's side comes from a stable
//! hash of its key alone, so it stays put when other groups come and go.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::example::Example;
use crate::render::stable_hash;

/// Which file an example is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Train,
    Valid,
}

/// Where a unit's key hashes to, as a share of the hash range: 0 ≤ share < 1.
fn share(key: &str) -> f64 {
    // The top 53 bits make an exact f64.
    (stable_hash(&[key]) >> 11) as f64 / (1u64 << 53) as f64
}

/// Each example's side: a unit goes to the validation file when its key's share is under
/// `fraction`. With two or more units each side gets at least one: when every unit hashed to
/// one side, the unit whose share lies nearest the other moves over. A single unit trains.
pub fn assign(examples: &[Example], fraction: f64) -> Vec<Side> {
    let mut units: BTreeMap<&str, Side> = BTreeMap::new();
    for example in examples {
        let side = if share(&example.group) < fraction {
            Side::Valid
        } else {
            Side::Train
        };
        units.insert(&example.group, side);
    }
    let by_share = |a: &&str, b: &&str| share(a).total_cmp(&share(b));
    let count =
        |units: &BTreeMap<&str, Side>, side: Side| units.values().filter(|&&s| s == side).count();
    if count(&units, Side::Train) == 0
        && let Some(highest) = units.keys().copied().max_by(by_share)
    {
        units.insert(highest, Side::Train);
    }
    if count(&units, Side::Valid) == 0
        && units.len() >= 2
        && let Some(lowest) = units.keys().copied().min_by(by_share)
    {
        units.insert(lowest, Side::Valid);
    }
    examples.iter().map(|e| units[e.group.as_str()]).collect()
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
    use crate::example::Voice;

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
            slices: Vec::new(),
        }
    }

    #[test]
    fn every_variant_of_a_unit_lands_on_one_side() {
        let examples: Vec<Example> = (0..40)
            .flat_map(|u| (0..3).map(move |v| example(&format!("item:f{u}"), v)))
            .collect();
        let sides = assign(&examples, 0.25);
        for (chunk, sides) in examples.chunks(3).zip(sides.chunks(3)) {
            assert!(sides.iter().all(|&s| s == sides[0]), "{}", chunk[0].unit);
        }
        let valid = sides.iter().filter(|&&s| s == Side::Valid).count() / 3;
        assert!((4..=16).contains(&valid), "{valid} of 40 units valid");
    }

    #[test]
    fn two_units_always_give_both_sides_and_one_unit_trains() {
        for fraction in [0.000_001, 0.5, 0.999_999] {
            let sides = assign(&[example("item:a", 0), example("item:b", 0)], fraction);
            assert!(sides.contains(&Side::Train) && sides.contains(&Side::Valid));
            let sides = assign(&[example("item:a", 0), example("item:a", 1)], fraction);
            assert_eq!(sides, [Side::Train, Side::Train]);
        }
        assert!(assign(&[], 0.5).is_empty());
    }

    #[test]
    fn a_unit_keeps_its_side_when_other_units_come() {
        let few: Vec<Example> = (0..10).map(|u| example(&format!("item:f{u}"), 0)).collect();
        let many: Vec<Example> = (0..30).map(|u| example(&format!("item:f{u}"), 0)).collect();
        let (a, b) = (assign(&few, 0.3), assign(&many, 0.3));
        assert!(a.contains(&Side::Valid) && a.contains(&Side::Train));
        assert_eq!(a, b[..10]);
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
