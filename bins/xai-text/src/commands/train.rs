//! `xai-text train`: the word-embedding CNN trained on a labelled set and saved as a model folder.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use outcome::{errln, outln, Failure};
use pipeline::model_folder::WeightPrecision;
use text::EpochReport;
use text::{
    fit, Cleaning, DatasetOptions, FitOptions, TokenizerChoice, TrainConfig, TrainingProgress,
};

use crate::args::DataArg;
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: DataArg,
    /// Where to write the model folder.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing model folder.
    #[arg(long)]
    force: bool,
    /// Remove headers, signature blocks and quoted replies before training (and predicting).
    #[arg(long)]
    strip_headers: bool,
    /// GloVe-format vectors (gzip or plain) to initialise the embeddings with.
    #[arg(long)]
    embeddings: Option<PathBuf>,
    /// Give every word of the --embeddings file a token, also words rare in or absent from
    /// the training split (a word the training never sees keeps its pre-trained vector).
    #[arg(long, requires = "embeddings")]
    add_embedding_words: bool,
    /// Keep the embeddings as initialised.
    #[arg(long)]
    freeze_embeddings: bool,
    /// `word` (trained here) or `wordpiece[=VOCAB.txt]` (trained here when no vocabulary is given).
    #[arg(long, default_value = "word")]
    tokenizer: String,
    /// Minimum count of a word in the training split (word tokenizer).
    #[arg(long, default_value_t = 4)]
    min_count: u64,
    /// Embedding dimension; pre-trained vectors fill the first dimensions of a larger one, and
    /// a smaller one gives way to theirs.
    #[arg(long, default_value_t = 50)]
    embedding_dim: usize,
    /// Words per convolution window.
    #[arg(long, default_value_t = 3)]
    width: usize,
    /// Filters per network.
    #[arg(long, default_value_t = 1000)]
    filters: usize,
    /// Documents are cut to this many tokens.
    #[arg(long, default_value_t = 1000)]
    max_len: usize,
    #[arg(long, default_value_t = 32)]
    epochs: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f32,
    /// Dropout on the pooled features before the dense layer.
    #[arg(long, default_value_t = 0.5)]
    dropout: f32,
    /// Probability of replacing a token by padding during training.
    #[arg(long, default_value_t = 0.25)]
    word_dropout: f32,
    /// Share of each class's training documents held out to choose the epoch (0: train on
    /// all of them for --epochs epochs and keep the last).
    #[arg(long, default_value_t = 0.1)]
    validation_fraction: f32,
    /// Epochs without a better validation accuracy before training stops.
    #[arg(long, default_value_t = 5)]
    patience: usize,
    /// Factor the learning rate is multiplied by after `--decay-after` epochs without a better
    /// validation accuracy (1 keeps it constant).
    #[arg(long, default_value_t = 1.0)]
    lr_decay: f32,
    /// Epochs without a better validation accuracy between two learning-rate decays.
    #[arg(long, default_value_t = 2)]
    decay_after: usize,
    /// Validate and keep an exponential moving average of the weights, with this decay per
    /// batch (0: the last weights).
    #[arg(long, default_value_t = 0.0)]
    weight_average: f32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Networks trained independently (seeds --seed, --seed + 1, …) and saved as one network
    /// whose scores are the mean of theirs.
    #[arg(long, default_value_t = 4)]
    members: usize,
    /// How the weights are stored: `f16` rounds them to half precision before the test
    /// accuracy is measured (half the file), `f32` keeps them as trained.
    #[arg(long, default_value = "f16")]
    precision: WeightPrecision,
}

impl TrainArgs {
    fn options(&self, data: DatasetOptions) -> Result<FitOptions, Failure> {
        let counts = [
            ("--epochs", self.epochs),
            ("--batch-size", self.batch_size),
            ("--width", self.width),
            ("--filters", self.filters),
            ("--embedding-dim", self.embedding_dim),
            ("--decay-after", self.decay_after),
            ("--members", self.members),
        ];
        if let Some((flag, _)) = counts.iter().find(|(_, n)| *n == 0) {
            return Err(Failure::usage(format!("{flag} must be at least 1")));
        }
        if self.max_len < self.width || self.max_len > MAX_DOCUMENT_TOKENS {
            return Err(Failure::usage(format!(
                "--max-len {}: expected {} (the window width) to {MAX_DOCUMENT_TOKENS}",
                self.max_len, self.width
            )));
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate < 10.0)
        {
            return Err(Failure::usage(format!(
                "--learning-rate {}: expected a number in (0, 10)",
                self.learning_rate
            )));
        }
        let shares = [
            ("--dropout", self.dropout),
            ("--word-dropout", self.word_dropout),
            ("--weight-average", self.weight_average),
            ("--validation-fraction", self.validation_fraction),
        ];
        if let Some((flag, v)) = shares.iter().find(|(_, v)| !(0.0..1.0).contains(v)) {
            return Err(Failure::usage(format!("{flag} {v}: expected a share in [0, 1)")));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(Failure::usage(format!(
                "--lr-decay {}: expected a factor in (0, 1]",
                self.lr_decay
            )));
        }
        let tokenizer = match self.tokenizer.split_once('=') {
            None if self.tokenizer == "word" => {
                TokenizerChoice::WordLevel { min_count: self.min_count, max_vocab: None }
            }
            None if self.tokenizer == "wordpiece" => {
                TokenizerChoice::WordPiece { vocab: None, size: 30_000 }
            }
            Some(("wordpiece", vocab)) => {
                TokenizerChoice::WordPiece { vocab: Some(PathBuf::from(vocab)), size: 0 }
            }
            _ => {
                return Err(Failure::usage(format!(
                    "--tokenizer {}: expected `word`, `wordpiece` or `wordpiece=VOCAB.txt`",
                    self.tokenizer
                )))
            }
        };
        Ok(FitOptions {
            cleaning: if self.strip_headers { Cleaning::ALL } else { Cleaning::default() },
            tokenizer,
            embeddings: self.embeddings.clone(),
            add_embedding_words: self.add_embedding_words,
            embedding_dim: self.embedding_dim,
            weight_precision: self.precision,
            width: self.width,
            filters: self.filters,
            max_len: self.max_len,
            data,
            train: TrainConfig {
                max_epochs: self.epochs,
                batch_size: self.batch_size,
                learning_rate: self.learning_rate,
                dropout: self.dropout,
                word_dropout: self.word_dropout,
                validation_fraction: self.validation_fraction,
                patience: self.patience,
                lr_decay: self.lr_decay,
                decay_after: self.decay_after,
                weight_average: self.weight_average,
                freeze_embeddings: self.freeze_embeddings,
                seed: self.seed,
                members: self.members,
            },
        })
    }
}

/// The longest window `--max-len` may ask for.
const MAX_DOCUMENT_TOKENS: usize = 100_000;

/// A progress bar over each epoch's batches, with the epoch's results printed above it.
struct Bar {
    bar: Option<ProgressBar>,
    /// Whether documents are held out for validation (else its numbers are not printed).
    validated: bool,
}

impl TrainingProgress for Bar {
    fn stage(&mut self, message: &str) {
        errln!("{message} …");
    }

    fn batch(&mut self, epoch: usize, done: usize, total: usize, loss: f64) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix:>2} [{bar:30}] {pos}/{len} batches, loss {msg} ({eta} left)",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        bar.set_prefix(epoch.to_string());
        bar.set_position(done as u64);
        bar.set_message(format!("{loss:.4}"));
    }

    fn epoch(&mut self, r: &EpochReport) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let validation = if self.validated {
            format!(
                ", validation accuracy {:.4}, validation loss {:.4}",
                r.validation_accuracy, r.validation_loss
            )
        } else {
            String::new()
        };
        errln!(
            "epoch {:>2}: loss {:.4}, train accuracy {:.4}{validation} ({:.0} s)",
            r.epoch,
            r.train_loss,
            r.train_accuracy,
            r.seconds
        );
    }
}

pub(crate) fn run(args: TrainArgs) -> Result<(), Error> {
    outcome::output::check_new(&args.out, args.force)?;
    let (corpus, data) = args.data.load(None)?;
    let options = args.options(data)?;
    let model = fit(
        &corpus,
        &options,
        &mut Bar { bar: None, validated: options.train.validation_fraction > 0.0 },
    )?;
    model.save(&args.out, args.force)?;
    let record = &model.config.training;
    let reports: Vec<_> = std::iter::once(&record.report).chain(&record.other_members).collect();
    // One network's report as an object, as always; several networks' as a list in training order.
    let json = match reports.as_slice() {
        [one] => serde_json::to_string_pretty(one),
        all => serde_json::to_string_pretty(all),
    };
    outln!("{}", json.expect("serialises"))?;
    let kept: Vec<String> = reports
        .iter()
        .map(|r| match r.validation_documents {
            0 => format!("last epoch {} (nothing held out)", r.best_epoch),
            _ => format!(
                "best epoch {}, validation accuracy {:.4}",
                r.best_epoch, r.validation_accuracy
            ),
        })
        .collect();
    outln!(
        "model saved to {}: vocabulary {}, {}, test accuracy {:.4}, {:.0} s of training",
        args.out.display(),
        model.config.architecture.vocab,
        kept.join("; "),
        model.config.test_accuracy.unwrap_or(f64::NAN),
        reports.iter().map(|r| r.seconds).sum::<f64>()
    )?;
    Ok(())
}
