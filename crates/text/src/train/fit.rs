//! From a corpus to a trained [`TextClassifier`]: clean, train the tokenizer on the training
//! split, encode, initialise embeddings (optionally from GloVe vectors), train the CNN,
//! measure test accuracy.

use std::path::PathBuf;

use pipeline::model_folder::WeightPrecision;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::Cleaning;
use crate::data::DatasetOptions;
use crate::data::{Corpus, Document};
use crate::error::TextError;
use crate::model::TrainConfig;
use crate::model::{initialise_embeddings, read_vectors};
use crate::model::{Architecture, TextCnn};
use crate::model::{ModelConfig, TextClassifier, TrainingRecord, FORMAT, FORMAT_VERSION};
use crate::tokenize::encode;
use crate::tokenize::TextTokenizer;
use crate::train::{accuracy_and_loss, train, TrainingProgress};

/// Which tokenizer to train or load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TokenizerChoice {
    /// Whole words seen at least `min_count` times in the training split.
    WordLevel { min_count: u64, max_vocab: Option<usize> },
    /// WordPiece from a given `vocab.txt`, or trained to `size` pieces when none is given.
    WordPiece { vocab: Option<PathBuf>, size: usize },
}

/// Everything `fit` needs besides the corpus.
#[derive(Clone, Debug)]
pub struct FitOptions {
    pub cleaning: Cleaning,
    pub tokenizer: TokenizerChoice,
    /// GloVe-format vectors to initialise the embeddings with; they fill the first dimensions
    /// when `embedding_dim` is larger (the rest keep their random start), else their dimension
    /// wins.
    pub embeddings: Option<PathBuf>,
    /// Give every word of `embeddings` a token, also words rare in or absent from the training
    /// split (word-level tokenizer only): a word the training never sees keeps its vector.
    pub add_embedding_words: bool,
    pub embedding_dim: usize,
    pub width: usize,
    pub filters: usize,
    pub max_len: usize,
    pub train: TrainConfig,
    /// How the saved weights are stored; f16 rounds them before the test accuracy is measured.
    pub weight_precision: WeightPrecision,
    /// How the corpus was read, recorded in the model so that evaluation reads it (and
    /// draws its split) the same way.
    pub data: DatasetOptions,
}

impl Default for FitOptions {
    /// A small model on 20 Newsgroups; `xai-text train`'s defaults are the default model's recipe.
    fn default() -> Self {
        FitOptions {
            cleaning: Cleaning::default(),
            tokenizer: TokenizerChoice::WordLevel { min_count: 2, max_vocab: None },
            embeddings: None,
            add_embedding_words: false,
            embedding_dim: 50,
            width: 2,
            filters: 800,
            max_len: 400,
            train: TrainConfig::default(),
            weight_precision: WeightPrecision::F32,
            data: DatasetOptions::newsgroups(),
        }
    }
}

/// SHA-256 over the documents' ids, labels and texts, hex-encoded.
pub fn fingerprint(docs: &[Document]) -> String {
    let mut hash = Sha256::new();
    for d in docs {
        hash.update(d.id.as_bytes());
        hash.update([0]);
        hash.update((d.label as u64).to_le_bytes());
        hash.update(d.text.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Trains a classifier on `corpus.train` and measures it on `corpus.test`.
pub fn fit(
    corpus: &Corpus,
    options: &FitOptions,
    progress: &mut dyn TrainingProgress,
) -> Result<TextClassifier, TextError> {
    options.train.check()?;
    if corpus.train.is_empty() {
        return Err(TextError::Model("no training documents".into()));
    }
    progress.stage("cleaning and training the tokenizer");
    let cleaned: Vec<String> =
        corpus.train.par_iter().map(|d| options.cleaning.apply(&d.text)).collect();
    let texts = cleaned.iter().map(String::as_str);
    let (mut tokenizer, min_count) = match &options.tokenizer {
        TokenizerChoice::WordLevel { min_count, max_vocab } => {
            (TextTokenizer::train_word_level(texts, *min_count, *max_vocab)?, *min_count)
        }
        TokenizerChoice::WordPiece { vocab: Some(path), .. } => {
            (TextTokenizer::from_wordpiece_vocab(path)?, 0)
        }
        TokenizerChoice::WordPiece { vocab: None, size } => {
            // The vocabulary file only lives until the tokenizer has read it; the model
            // folder gets its own copy when saved.
            let (scratch, _tracked) =
                outcome::interrupt::Tracked::create(tempfile::tempdir, |t| t.path())
                    .map_err(|e| TextError::write(&std::env::temp_dir(), e))?;
            (TextTokenizer::train_wordpiece(texts, *size, scratch.path())?, 0)
        }
    };
    let vectors = match &options.embeddings {
        Some(path) => {
            progress.stage("reading word vectors");
            Some((path, read_vectors(path)?))
        }
        None => None,
    };
    let added_embedding_words = match (&vectors, options.add_embedding_words) {
        (Some((_, (_, words))), true) => tokenizer.add_words(words.keys().map(String::as_str))?,
        (None, true) => {
            return Err(TextError::Model(
                "adding the embeddings' words needs an embeddings file".into(),
            ))
        }
        (_, false) => 0,
    };
    progress.stage("encoding documents");
    let train_set = encode(&corpus.train, options.cleaning, &tokenizer)?;
    let test_set = encode(&corpus.test, options.cleaning, &tokenizer)?;
    let arch = Architecture {
        vocab: tokenizer.vocab_size(),
        embedding_dim: vectors
            .as_ref()
            .map_or(options.embedding_dim, |(_, (dim, _))| (*dim).max(options.embedding_dim)),
        width: options.width,
        filters: options.filters,
        classes: corpus.classes.len(),
        max_len: options.max_len,
    };
    let members = options.train.members.max(1);
    let (mut cnns, mut reports, mut coverage) = (Vec::new(), Vec::new(), None);
    for member in 0..members {
        let seed = options.train.seed.wrapping_add(member as u64);
        let mut cnn = TextCnn::new(arch.clone(), &mut StdRng::seed_from_u64(seed));
        coverage = vectors
            .as_ref()
            .map(|(_, (_, v))| initialise_embeddings(&mut cnn.embedding, &tokenizer, v));
        progress.stage(&if members == 1 {
            "training".to_string()
        } else {
            format!("training network {} of {members} (seed {seed})", member + 1)
        });
        reports.push(train(
            &mut cnn,
            &train_set,
            &TrainConfig { seed, ..options.train.clone() },
            progress,
        ));
        cnns.push(cnn);
    }
    let mut cnn =
        if members == 1 { cnns.pop().expect("one member") } else { TextCnn::mean_of(&cnns)? };
    if options.weight_precision == WeightPrecision::F16 {
        cnn.round_to_f16();
    }
    let report = reports.remove(0);
    let config = ModelConfig {
        format: FORMAT.to_string(),
        version: FORMAT_VERSION,
        architecture: cnn.arch.clone(),
        classes: corpus.classes.clone(),
        tokenizer: tokenizer.kind(),
        cleaning: options.cleaning,
        data: options.data.clone(),
        training: TrainingRecord {
            config: options.train.clone(),
            min_count,
            embeddings: vectors
                .as_ref()
                .and_then(|(p, _)| p.file_name())
                .map(|n| n.to_string_lossy().into_owned()),
            embedding_coverage: coverage.map(|c| c.found as f64 / c.vocab as f64),
            added_embedding_words,
            other_members: reports,
            data_fingerprint: fingerprint(&corpus.train),
            report,
        },
        weight_precision: options.weight_precision,
        test_accuracy: None,
    };
    let mut classifier = TextClassifier { config, tokenizer, cnn };
    progress.stage("measuring test accuracy");
    classifier.config.test_accuracy = Some(accuracy_and_loss(&classifier.cnn, &test_set).0);
    Ok(classifier)
}
