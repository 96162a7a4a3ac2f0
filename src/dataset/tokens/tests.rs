//! Every count compared with tiktoken-rs's own (`encode_ordinary`), for both encodings: code,
//! prose, whitespace runs (where the pattern's look-ahead is put back by hand), Unicode letters
//! of every case class, marks, digits, contractions, long pieces (tiktoken's heap merge) and
//! random text from pieces chosen to hit those edges.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use super::*;

fn tiktoken(encoding: Encoding) -> &'static tiktoken_rs::CoreBPE {
    static O200K: OnceLock<tiktoken_rs::CoreBPE> = OnceLock::new();
    static CL100K: OnceLock<tiktoken_rs::CoreBPE> = OnceLock::new();
    match encoding {
        Encoding::O200kBase => O200K.get_or_init(|| tiktoken_rs::o200k_base().unwrap()),
        Encoding::Cl100kBase => CL100K.get_or_init(|| tiktoken_rs::cl100k_base().unwrap()),
    }
}

fn counter(encoding: Encoding) -> &'static TokenCounter {
    static O200K: OnceLock<TokenCounter> = OnceLock::new();
    static CL100K: OnceLock<TokenCounter> = OnceLock::new();
    match encoding {
        Encoding::O200kBase => O200K.get_or_init(|| TokenCounter::new(encoding).unwrap()),
        Encoding::Cl100kBase => CL100K.get_or_init(|| TokenCounter::new(encoding).unwrap()),
    }
}

const ENCODINGS: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

/// Asserts that both encodings count `text` as tiktoken does.
fn same_as_tiktoken(text: &str) {
    for encoding in ENCODINGS {
        let expected = tiktoken(encoding).encode_ordinary(text).len();
        assert_eq!(
            counter(encoding).count(text),
            expected,
            "{} counts {text:?}",
            encoding.name()
        );
    }
}

/// Counts published by tiktoken for these strings.
#[test]
fn counts_match_tiktoken() {
    let o200k = counter(Encoding::O200kBase);
    let cl100k = counter(Encoding::Cl100kBase);
    assert_eq!(cl100k.count("tiktoken is great!"), 6);
    assert_eq!(cl100k.count("hello world"), 2);
    assert_eq!(o200k.count("hello world"), 2);
    assert_eq!(o200k.count(""), 0);
}

#[test]
fn whitespace_runs_count_as_tiktoken_does() {
    for text in [
        " ",
        "  ",
        "a  b",
        "a   b",
        "a \t b",
        "a\t\tb",
        "a  ",
        "  a",
        "\n",
        "a\n\nb",
        "a  \n  b",
        "a \r\n b",
        "a\u{a0}\u{a0}b",
        "a\u{3000}\u{2003} b",
        "fn f() {\n    let x = 1;\n\n    x\n}\n",
        "x;    // comment\n\t\t}\n",
        "end with spaces   ",
        "end with newline and spaces\n   ",
        "  \n",
        " \u{85}x",
        "a \u{2028} b",
    ] {
        same_as_tiktoken(text);
    }
}

#[test]
fn unicode_and_contractions_count_as_tiktoken_does() {
    for text in [
        "It's what they've said: we'll see, I'd say, you're sure, I'm not.",
        "IT'S LOUD, They'RE HERE, ſ's and 'S",
        "Ǆemal ǅemal ǆemal: title case",
        "naïve café, São Paulo, Zürich, Ærøskøbing",
        "e\u{301}e\u{301}\u{301} combining marks, \u{301} alone",
        "Привет, мир! Ελληνικά. עברית. العربية",
        "日本語のテキストと漢字、한국어",
        "emoji 🦀🚀 and ZWJ 👩‍👩‍👧 and flags 🇫🇷",
        "digits 1234567 ١٢٣٤ 12.5e-3 0x1F ½ Ⅻ",
        "mixed camelCase HTTPServer XMLHttpRequest snake_case",
        "CONSTANT_CASE MAX_SIZE",
        "'s 's's ''s",
        "a/b//c\n/d\r\n",
        "$$ ** -> => :: #[derive(Debug)]",
        "\u{feff}bom",
        "\u{0}\u{1}\u{7f} control",
    ] {
        same_as_tiktoken(text);
    }
}

/// Pieces of 100 bytes or more take tiktoken's heap merge.
#[test]
fn long_pieces_count_as_tiktoken_does() {
    for text in [
        "=".repeat(150),
        "-".repeat(1000),
        " ".repeat(300) + "x",
        "\n".repeat(200),
        "ab".repeat(80),
        "Supercalifragilisticexpialidocious".repeat(5),
        "🦀".repeat(60),
        "\u{301}".repeat(70),
        ".-*".repeat(50) + "\n",
    ] {
        same_as_tiktoken(&text);
    }
}

/// Real text of the kinds counted: the fixtures' code, the templates' prose.
#[test]
fn fixtures_and_templates_count_as_tiktoken_does() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in [
        "fixtures/message.rs",
        "fixtures/application.rs",
        "fixtures/endpoint_secret.rs",
        "templates/requests.txt",
        "templates/reasoning.txt",
        "templates/rules.toml",
        "README.md",
    ] {
        let text = std::fs::read_to_string(root.join(path)).unwrap();
        same_as_tiktoken(&text);
        for line in text.lines() {
            same_as_tiktoken(line);
        }
    }
}

/// Text made of fragments that meet at the pattern's edges: spaces before words, runs of
/// mixed whitespace, case changes, marks, digits, apostrophes, punctuation, line breaks.
fn fragments() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just(" ".to_owned()),
        Just("  ".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("'".to_owned()),
        Just("'s".to_owned()),
        Just("'LL".to_owned()),
        Just("/".to_owned()),
        Just("::".to_owned()),
        Just("{}".to_owned()),
        Just("\u{301}".to_owned()),
        Just("ǅ".to_owned()),
        Just("ß".to_owned()),
        Just("🦀".to_owned()),
        Just("日本".to_owned()),
        Just("١٢".to_owned()),
        "[a-zA-Z]{1,8}",
        "[0-9]{1,5}",
        "[!-/:-@\\[-`{-~]{1,3}",
        "\\PC{1,3}",
        "\\s{1,4}",
    ];
    prop::collection::vec(fragment, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(Config {
        cases: 2000,
        rng_seed: RngSeed::Fixed(0x70_4E_25),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_text_counts_as_tiktoken_does(text in fragments()) {
        for encoding in ENCODINGS {
            let expected = tiktoken(encoding).encode_ordinary(&text).len();
            prop_assert_eq!(counter(encoding).count(&text), expected, "{}", encoding.name());
        }
    }

    #[test]
    fn random_ascii_is_cut_as_the_regex_cuts_it(text in ascii_fragments()) {
        let (by_regex, by_hand) = both_ways(&text);
        prop_assert_eq!(by_hand, by_regex);
    }
}

/// The pieces o200k_base's pattern cuts `text` into, by the regex and by the ASCII path.
fn both_ways(text: &str) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut by_regex = Vec::new();
    pieces::for_each_piece(&counter(Encoding::O200kBase).pattern, text, |p| {
        by_regex.push(p.to_vec());
    });
    let mut by_hand = Vec::new();
    pieces::for_each_ascii_o200k_piece(text, |p| by_hand.push(p.to_vec()));
    (by_regex, by_hand)
}

/// ASCII text made of the characters each alternative of the pattern turns on: cases,
/// digits, every whitespace character, apostrophes and contraction letters, slashes, other
/// punctuation, control characters.
fn ascii_fragments() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        "[ \t\n\r\u{b}\u{c}]{1,4}",
        "[a-zA-Z]{1,6}",
        "[A-Z]{1,3}[a-z]{0,3}",
        "'[sStTmMdD]",
        "'(re|RE|Re|ve|VE|ll|LL|lL)",
        "[0-9]{1,7}",
        "[!-/:-@\\[-`{-~]{1,3}",
        "/{1,3}",
        "[\u{0}-\u{8}\u{e}-\u{1f}\u{7f}]",
    ];
    prop::collection::vec(fragment, 0..24).prop_map(|parts| parts.concat())
}

#[test]
fn the_ascii_path_cuts_what_the_regex_cuts() {
    for text in [
        "",
        " ",
        "fn main() {\n    let x = 1;\n\n    x\n}\n",
        "HTTPServer don't 'S IT'S we'LL 12345 a1b2 .foo  \t bar \r\n\r\n  x",
        " //! docs\n\t\tfoo\u{b}bar\u{c}  \n",
    ] {
        let (by_regex, by_hand) = both_ways(text);
        assert_eq!(by_hand, by_regex, "{text:?}");
    }
}
