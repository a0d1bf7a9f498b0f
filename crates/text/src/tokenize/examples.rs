//! Documents as the CNN trains on them and is scored on: cleaned, tokenised, labelled.

use rayon::prelude::*;

use crate::data::Cleaning;
use crate::data::Document;
use crate::error::TextError;
use crate::tokenize::TextTokenizer;

/// A tokenised, labelled document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub ids: Vec<u32>,
    pub label: usize,
}

/// Cleans and encodes documents in parallel.
pub fn encode(
    docs: &[Document],
    cleaning: Cleaning,
    tokenizer: &TextTokenizer,
) -> Result<Vec<Example>, TextError> {
    docs.par_iter()
        .map(|d| {
            Ok(Example { ids: tokenizer.encode(&cleaning.apply(&d.text))?.ids, label: d.label })
        })
        .collect()
}
