//! Stage 2, tokenizers: word-level and WordPiece, every token with its span and word;
//! documents encoded as the CNN reads them.

mod examples;
mod tokenizer;
mod wordpiece;

pub use examples::{encode, Example};
pub(crate) use tokenizer::encode_prefix_with;
pub use tokenizer::{
    KnownWords, TextTokenizer, TokenizerKind, Tokens, SPECIAL_TOKENS, TOKENIZER_FILE, VOCAB_FILE,
};
pub use wordpiece::train_vocab_file;
