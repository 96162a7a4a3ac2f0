//! The writer seam: the pipeline takes an example's text only from its `Writer`, and the checks
//! judge any writer's text as they judge the templates'. A fake writer stands in for the
//! templates: its text, and nothing else, reaches the examples; a text that fails the check is
//! left out (the drops mechanism); a writer with nothing new to say leaves a shortfall.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use svix_distill::extract::source::SourceFile;
use svix_distill::pipeline::{Extracted, Options, Writers, extract};
use svix_distill::profile::Profile;
use svix_distill::write::{Brief, Exhausted, Text, Writer};

/// Writes a grounded text of its own for every brief: the unit's name in backticks (it stands
/// in the code), and a word counting the calls so that no text repeats. Every `bad`th call's
/// reasoning quotes a name the code does not have; from the `exhausted_after`th variant of a
/// unit on, it has nothing left to say.
struct Fake {
    calls: AtomicUsize,
    bad: Option<usize>,
    exhausted_after: Option<usize>,
}

/// A count as a plain lowercase word (`a`, `b`, …, `ba`): no digit a check could read as a
/// status code, and no code name.
fn word(mut n: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
}

impl Writer for Fake {
    fn write(&self, brief: &Brief) -> anyhow::Result<Text> {
        if self.exhausted_after.is_some_and(|n| brief.variant >= n) {
            return Err(Exhausted.into());
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        assert!(
            brief.code.contains(&brief.name),
            "the brief's code is the unit's"
        );
        let quoted = match self.bad {
            Some(every) if n.is_multiple_of(every) => "no_such_name_anywhere",
            _ => brief.name.as_str(),
        };
        Ok(Text {
            request: format!("Write `{}` for me, take {}.", brief.name, word(n)),
            reasoning: format!("This is `{quoted}`, said for the {} time.", word(n)),
            rules: vec![format!("fake-{}", word(n))],
            model: None,
        })
    }
}

fn grounded(_: &Profile) -> Box<dyn Writer + '_> {
    Box::new(Fake {
        calls: AtomicUsize::new(0),
        bad: None,
        exhausted_after: None,
    })
}

fn every_third_ungrounded(_: &Profile) -> Box<dyn Writer + '_> {
    Box::new(Fake {
        calls: AtomicUsize::new(0),
        bad: Some(3),
        exhausted_after: None,
    })
}

fn one_variant_only(_: &Profile) -> Box<dyn Writer + '_> {
    Box::new(Fake {
        calls: AtomicUsize::new(0),
        bad: None,
        exhausted_after: Some(1),
    })
}

fn run(make: fn(&Profile) -> Box<dyn Writer + '_>) -> Extracted {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = SourceFile::read(&root.join("fixtures/message.rs")).unwrap();
    let profile = Profile::load("message-creation").unwrap();
    let options = Options {
        writer: Writers::Given(Arc::new(make)),
        ..Options::default()
    };
    extract(&source, &profile, &options).unwrap()
}

#[test]
fn every_example_carries_the_writers_text_and_nothing_else() {
    let made = run(grounded);
    assert!(made.examples.len() > 5, "{}", made.examples.len());
    assert!(made.dropped.is_empty(), "{:#?}", made.dropped);
    // The writer counted its calls: the examples are its texts, in the order it gave them.
    for (n, example) in made.examples.iter().enumerate() {
        let name = example.request.split('`').nth(1).unwrap();
        assert!(example.code.contains(name) && example.unit.contains(name));
        assert_eq!(
            example.request,
            format!("Write `{name}` for me, take {}.", word(n))
        );
        assert!(
            example
                .reasoning
                .ends_with(&format!(", said for the {} time.", word(n))),
            "{}",
            example.reasoning
        );
        assert_eq!(example.rules, [format!("fake-{}", word(n))]);
    }
}

#[test]
fn a_writers_ungrounded_text_is_left_out_by_the_check() {
    let made = run(every_third_ungrounded);
    let all = made.examples.len() + made.dropped.len();
    assert!(all > 5, "{all}");
    // Calls 0, 3, 6, … quoted a name the code lacks: those, and only those, are left out.
    assert_eq!(made.dropped.len(), all.div_ceil(3), "{:#?}", made.dropped);
    for dropped in &made.dropped {
        assert_eq!(
            dropped.reason,
            "reasoning quotes `no_such_name_anywhere`, which is not in the code"
        );
    }
    assert!(
        made.examples
            .iter()
            .all(|e| !e.reasoning.contains("no_such_name_anywhere"))
    );
}

#[test]
fn a_writer_with_nothing_left_to_say_leaves_a_shortfall() {
    let full = run(grounded);
    let made = run(one_variant_only);
    // One example per unit, and a shortfall for every unit the plan asked more of.
    let units: std::collections::BTreeSet<&str> =
        full.examples.iter().map(|e| e.unit.as_str()).collect();
    assert_eq!(made.examples.len(), units.len());
    assert!(made.examples.iter().all(|e| e.variant == 0));
    assert!(!made.shortfalls.is_empty());
    for shortfall in &made.shortfalls {
        assert_eq!(shortfall.made, 1);
        assert!(shortfall.asked > 1);
    }
}
