//! Token counts under a named tiktoken encoding, exactly as tiktoken counts them (every test
//! compares with tiktoken-rs), from rank tables built into the binary: counting works offline
//! and starts without decoding anything.
//!
//! A counter needs less than a tokenizer: which token a piece's bytes are (`table.rs`, one hash
//! table over one run of bytes), where the encoding's pattern cuts text (`pieces.rs`) and how
//! many tokens byte-pair merging leaves of a piece (`merge.rs`). No token id is handed out.

mod merge;
mod pieces;
mod table;

use clap::ValueEnum;
use regex_automata::meta::Regex;

use table::Table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Encoding {
    /// GPT-4o and later.
    #[default]
    #[value(name = "o200k_base")]
    O200kBase,
    /// GPT-4 and GPT-3.5.
    #[value(name = "cl100k_base")]
    Cl100kBase,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    /// The encoding's rank table, as `build.rs` wrote it.
    fn table(self) -> Table<'static> {
        macro_rules! blobs {
            ($name:literal) => {
                Table {
                    bytes: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".bytes")),
                    ends: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".ends")),
                    slots: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".slots")),
                }
            };
        }
        match self {
            Encoding::O200kBase => blobs!("o200k_base"),
            Encoding::Cl100kBase => blobs!("cl100k_base"),
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            Encoding::O200kBase => pieces::O200K,
            Encoding::Cl100kBase => pieces::CL100K,
        }
    }
}

pub struct TokenCounter {
    pub encoding: Encoding,
    table: Table<'static>,
    pattern: Regex,
}

impl TokenCounter {
    pub fn new(encoding: Encoding) -> anyhow::Result<TokenCounter> {
        let pattern = Regex::new(encoding.pattern())
            .map_err(|e| anyhow::anyhow!("cannot load the {} encoding: {e}", encoding.name()))?;
        Ok(TokenCounter {
            encoding,
            table: encoding.table(),
            pattern,
        })
    }

    /// Tokens in `text`, special-token markers counted as ordinary text.
    pub fn count(&self, text: &str) -> usize {
        let mut tokens = 0;
        let each = |piece: &[u8]| {
            tokens += match self.table.rank(piece) {
                Some(_) => 1,
                None => merge::token_count(&self.table, piece),
            };
        };
        // Code and the templates' prose are nearly all ASCII, where o200k_base's pieces are
        // found without the regex, several times faster.
        match self.encoding == Encoding::O200kBase && text.is_ascii() {
            true => pieces::for_each_ascii_o200k_piece(text, each),
            false => pieces::for_each_piece(&self.pattern, text, each),
        }
        tokens
    }
}

/// A counter being made on a thread of its own, so that compiling its pattern (a few
/// milliseconds) overlaps the run's work before it is needed.
pub struct Warming {
    encoding: Encoding,
    making: Option<std::thread::JoinHandle<anyhow::Result<TokenCounter>>>,
}

impl Warming {
    pub fn start(encoding: Encoding) -> Warming {
        let making = std::thread::Builder::new()
            .name("tokens".to_owned())
            .spawn(move || TokenCounter::new(encoding))
            .ok();
        Warming { encoding, making }
    }

    /// The counter, made here if no thread could make it.
    pub fn ready(self) -> anyhow::Result<TokenCounter> {
        match self.making.map(|making| making.join()) {
            Some(Ok(made)) => made,
            Some(Err(_)) | None => TokenCounter::new(self.encoding),
        }
    }
}

#[cfg(test)]
mod tests;
