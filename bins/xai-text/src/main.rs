//! `xai-text`: train, run and evaluate the relvis text classifier.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use text::corpus::default_newsgroups_path;
use text::evaluate::evaluate;
use text::fit::encode;
use text::train::EpochReport;
use text::{fit, load_newsgroups, Cleaning, FitOptions, Progress, TextClassifier, TextError, TokenizerChoice, TrainConfig};

#[derive(Parser)]
#[command(name = "xai-text", version, about = "Explain what a text classifier bases its decisions on (LRP)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the word-embedding CNN and save it as a model folder.
    Train(TrainArgs),
    /// Print the predicted class and every class's score for a document.
    Predict {
        /// The document: a file, or `-` for standard input.
        input: PathBuf,
        #[command(flatten)]
        model: ModelArg,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Test accuracy, per-class precision and recall, and the confusion matrix.
    Accuracy {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        model: ModelArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct DataArg {
    /// The 20 Newsgroups archive or extracted folder [default: $RELVIS_DATA/20news-bydate.tar.gz,
    /// with RELVIS_DATA defaulting to ../shared/data].
    #[arg(long)]
    data: Option<PathBuf>,
}

impl DataArg {
    fn path(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(default_newsgroups_path)
    }
}

#[derive(Args)]
struct ModelArg {
    /// A model folder made by `xai-text train` [default: the model embedded in the binary].
    #[arg(long)]
    model: Option<PathBuf>,
}

impl ModelArg {
    fn load(&self) -> Result<TextClassifier, TextError> {
        match &self.model {
            Some(dir) => TextClassifier::load(dir),
            None => Err(TextError::Model("no default model is embedded yet: give --model DIR".into())),
        }
    }
}

#[derive(Args)]
struct TrainArgs {
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
    /// Keep the embeddings as initialised.
    #[arg(long)]
    freeze_embeddings: bool,
    /// `word` (trained here) or `wordpiece[=VOCAB.txt]` (trained here when no vocabulary is given).
    #[arg(long, default_value = "word")]
    tokenizer: String,
    /// Minimum count of a word in the training split (word tokenizer).
    #[arg(long, default_value_t = 2)]
    min_count: u64,
    /// Embedding dimension when no vectors are given.
    #[arg(long, default_value_t = 50)]
    embedding_dim: usize,
    /// Words per convolution window.
    #[arg(long, default_value_t = 2)]
    width: usize,
    #[arg(long, default_value_t = 800)]
    filters: usize,
    /// Documents are cut to this many tokens.
    #[arg(long, default_value_t = 400)]
    max_len: usize,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f32,
    /// Dropout on the pooled features before the dense layer.
    #[arg(long, default_value_t = 0.5)]
    dropout: f32,
    /// Probability of replacing a token by padding during training.
    #[arg(long, default_value_t = 0.0)]
    word_dropout: f32,
    #[arg(long, default_value_t = 3)]
    patience: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl TrainArgs {
    fn options(&self) -> Result<FitOptions, String> {
        let tokenizer = match self.tokenizer.split_once('=') {
            None if self.tokenizer == "word" => TokenizerChoice::WordLevel { min_count: self.min_count, max_vocab: None },
            None if self.tokenizer == "wordpiece" => TokenizerChoice::WordPiece { vocab: None, size: 30_000 },
            Some(("wordpiece", vocab)) => TokenizerChoice::WordPiece { vocab: Some(PathBuf::from(vocab)), size: 0 },
            _ => return Err(format!("--tokenizer {}: expected `word`, `wordpiece` or `wordpiece=VOCAB.txt`", self.tokenizer)),
        };
        Ok(FitOptions {
            cleaning: if self.strip_headers { Cleaning::ALL } else { Cleaning::default() },
            tokenizer,
            embeddings: self.embeddings.clone(),
            embedding_dim: self.embedding_dim,
            width: self.width,
            filters: self.filters,
            max_len: self.max_len,
            train: TrainConfig {
                max_epochs: self.epochs,
                batch_size: self.batch_size,
                learning_rate: self.learning_rate,
                dropout: self.dropout,
                word_dropout: self.word_dropout,
                patience: self.patience,
                freeze_embeddings: self.freeze_embeddings,
                seed: self.seed,
                ..TrainConfig::default()
            },
        })
    }
}

/// A progress bar over each epoch's batches, with the epoch's results printed above it.
struct Bar {
    bar: Option<ProgressBar>,
}

impl Progress for Bar {
    fn stage(&mut self, message: &str) {
        eprintln!("{message} …");
    }

    fn batch(&mut self, epoch: usize, done: usize, total: usize, loss: f64) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("epoch {prefix:>2} [{bar:30}] {pos}/{len} batches, loss {msg} ({eta} left)")
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
        eprintln!(
            "epoch {:>2}: loss {:.4}, train accuracy {:.4}, validation accuracy {:.4}, validation loss {:.4} ({:.0} s)",
            r.epoch, r.train_loss, r.train_accuracy, r.validation_accuracy, r.validation_loss, r.seconds
        );
    }
}

fn read_document(input: &Path) -> Result<String, String> {
    let bytes = if input == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("standard input: {e}"))?;
        bytes
    } else {
        std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?
    };
    text::corpus::read_document(&bytes).map_err(|problem| format!("{}: {problem}", input.display()))
}

fn run(cli: Cli) -> Result<(), String> {
    let err = |e: TextError| e.to_string();
    match cli.command {
        Command::Train(args) => {
            let options = args.options()?;
            if args.out.exists() && !args.force {
                return Err(TextError::Exists(args.out.clone()).to_string());
            }
            let data = args.data.path();
            eprintln!("reading {} …", data.display());
            let corpus = load_newsgroups(&data).map_err(err)?;
            if !corpus.skipped.is_empty() {
                eprintln!("warning: skipped {} files (empty or binary), e.g. {}", corpus.skipped.len(), corpus.skipped[0].id);
            }
            eprintln!("{} classes, {} training and {} test documents", corpus.classes.len(), corpus.train.len(), corpus.test.len());
            let model = fit(&corpus, &options, &mut Bar { bar: None }).map_err(err)?;
            model.save(&args.out, args.force).map_err(err)?;
            let record = &model.config.training;
            println!("{}", serde_json::to_string_pretty(&record.report).expect("serialises"));
            println!(
                "model saved to {}: vocabulary {}, best epoch {}, validation accuracy {:.4}, test accuracy {:.4}, {:.0} s of training",
                args.out.display(),
                model.config.architecture.vocab,
                record.report.best_epoch,
                record.report.validation_accuracy,
                model.config.test_accuracy.unwrap_or(f64::NAN),
                record.report.seconds
            );
        }
        Command::Predict { input, model, json } => {
            let model = model.load().map_err(err)?;
            let prediction = model.predict(&read_document(&input)?).map_err(err)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&prediction).expect("serialises"));
            } else {
                println!("predicted: {} (p = {:.3})", prediction.class_name, prediction.probabilities[prediction.class]);
                let mut order: Vec<usize> = (0..prediction.scores.len()).collect();
                order.sort_by(|&a, &b| prediction.scores[b].total_cmp(&prediction.scores[a]));
                for c in order {
                    println!("  {:<28} score {:>8.3}  p {:.3}", model.config.classes[c], prediction.scores[c], prediction.probabilities[c]);
                }
            }
        }
        Command::Accuracy { data, model, json } => {
            let model = model.load().map_err(err)?;
            let corpus = load_newsgroups(&data.path()).map_err(err)?;
            if corpus.classes != model.config.classes {
                return Err(format!("{}: its classes differ from the model's", data.path().display()));
            }
            let test = encode(&corpus.test, model.config.cleaning, &model.tokenizer).map_err(err)?;
            let e = evaluate(&model.cnn, &test, corpus.classes.len());
            if json {
                println!("{}", serde_json::to_string_pretty(&e).expect("serialises"));
            } else {
                println!("test accuracy {:.4} on {} documents; macro precision {:.4}, recall {:.4}, F1 {:.4}\n", e.accuracy, e.documents, e.macro_precision, e.macro_recall, e.macro_f1);
                println!("{:<28} {:>9} {:>7} {:>7}", "class", "precision", "recall", "F1");
                for (c, name) in model.config.classes.iter().enumerate() {
                    println!("{name:<28} {:>9.3} {:>7.3} {:>7.3}", e.precision[c], e.recall[c], e.f1[c]);
                }
                println!("\nconfusion matrix (rows: true class, columns: predicted, in class order):");
                for (c, row) in e.confusion.iter().enumerate() {
                    println!("{c:>3} {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>());
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
