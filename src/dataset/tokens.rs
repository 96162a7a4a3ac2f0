//! Token counts under a named tiktoken encoding. The encodings ship inside tiktoken-rs, so
//! counting works offline.

use clap::ValueEnum;
use tiktoken_rs::CoreBPE;

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
}

pub struct TokenCounter {
    pub encoding: Encoding,
    bpe: CoreBPE,
}

impl TokenCounter {
    pub fn new(encoding: Encoding) -> anyhow::Result<TokenCounter> {
        let bpe = match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
        }
        .map_err(|e| anyhow::anyhow!("cannot load the {} encoding: {e}", encoding.name()))?;
        Ok(TokenCounter { encoding, bpe })
    }

    /// Tokens in `text`, special-token markers counted as ordinary text.
    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts published by tiktoken for these strings.
    #[test]
    fn counts_match_tiktoken() {
        let o200k = TokenCounter::new(Encoding::O200kBase).unwrap();
        let cl100k = TokenCounter::new(Encoding::Cl100kBase).unwrap();
        assert_eq!(cl100k.count("tiktoken is great!"), 6);
        assert_eq!(cl100k.count("hello world"), 2);
        assert_eq!(o200k.count("hello world"), 2);
        assert_eq!(o200k.count(""), 0);
    }
}
