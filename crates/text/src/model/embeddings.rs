//! Word vectors in the GloVe text format (`word v1 … vD`, one per line, gzip or plain), used
//! to initialise the embedding table.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;
use ndarray::Array2;
use pipeline::bounded_read;

use crate::error::TextError;
use crate::tokenize::TextTokenizer;

/// How many of the vocabulary's tokens got a pre-trained vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub found: usize,
    pub vocab: usize,
}

/// Reads all vectors from a GloVe-format file; fails on a line whose length differs from
/// the first's, naming the line.
pub fn read_vectors(path: &Path) -> Result<(usize, HashMap<String, Vec<f32>>), TextError> {
    bounded_read::check_file(path, bounded_read::WORD_VECTORS)
        .map_err(|e| TextError::read(path, e))?;
    let file = File::open(path).map_err(|e| TextError::read(path, e))?;
    let mut magic = [0u8; 2];
    let gzip = File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && magic == [0x1f, 0x8b];
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(GzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let bad = |line: usize, what: String| {
        TextError::Embeddings(format!("{}, line {line}: {what}", path.display()))
    };
    let mut vectors = HashMap::new();
    let mut dim = 0;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| bad(n + 1, e.to_string()))?;
        let mut fields = line.split(' ');
        let Some(word) = fields.next().filter(|w| !w.is_empty()) else { continue };
        let values: Vec<f32> = fields
            .filter(|f| !f.is_empty())
            .map(|f| f.parse::<f32>().ok().filter(|v| v.is_finite()))
            .collect::<Option<_>>()
            .ok_or_else(|| bad(n + 1, "a value is not a finite number".into()))?;
        if dim == 0 {
            dim = values.len();
        }
        if values.len() != dim || dim == 0 {
            return Err(bad(
                n + 1,
                format!("{} values where the first line has {dim}", values.len()),
            ));
        }
        vectors.insert(word.to_string(), values);
    }
    if dim == 0 {
        return Err(TextError::Embeddings(format!("{}: no vectors", path.display())));
    }
    Ok((dim, vectors))
}

/// Copies the vector of every vocabulary token found in `vectors` into its row of `table`
/// (into the first columns, when the table is wider).
pub fn initialise_embeddings(
    table: &mut Array2<f32>,
    tokenizer: &TextTokenizer,
    vectors: &HashMap<String, Vec<f32>>,
) -> Coverage {
    let vocab = tokenizer.vocab_size();
    let mut found = 0;
    // Ids 0 and 1 are padding and the unknown token.
    for id in 2..vocab.min(table.nrows()) {
        if let Some(v) = vectors.get(&tokenizer.token(id as u32)) {
            table.row_mut(id).iter_mut().zip(v).for_each(|(t, &x)| *t = x);
            found += 1;
        }
    }
    Coverage { found, vocab }
}
