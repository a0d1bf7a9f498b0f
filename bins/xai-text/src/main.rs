//! `xai-text`: train, run and evaluate the relvis text classifier.

use std::io::{Read, Write};

use outcome::output::{write_file, Sink, StagedFile, StagedFolder};
use outcome::{errln, outln, Failure};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use text::corpus::default_newsgroups_path;
use text::accuracy::evaluate;
use text::fit::encode;
use text::deletion::{evaluate_deletion, DeletionConfig};
use text::explain::Method;
use text::fit::fingerprint;
use text::render::{html, write_terminal, ColorWhen, Palette};
use text::train::EpochReport;
use text::explain::DEFAULT_RULE;
use text::spray_maps::{class_strategies, MapKind};
use spray::plot::{plot_embedding, plot_spectrum};
use spray::cli::ClusterArgs;
use text::{
    fit, load_dataset, Cleaning, Corpus, DatasetOptions, Encoding, FitOptions, Layout, ModelConfig, Progress, TextClassifier, TextError,
    TokenizerChoice, TrainConfig, WeightPrecision,
};

#[derive(Parser)]
#[command(name = "xai-text", version, about = "Explain what a text classifier bases its decisions on (LRP)", after_help = outcome::EXIT_CODES)]
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
        /// Remove the header lines (up to the first blank line) of the test documents before
        /// the model reads them: how much a model trained with headers leans on them.
        #[arg(long)]
        strip_test_headers: bool,
        #[arg(long)]
        json: bool,
    },
    /// SpRAy: clusters the LRP explanations of a class's test documents (or of every class,
    /// ranked by eigengap) to show the model's strategies, with each cluster's share of
    /// relevance on header lines, its top words and example documents.
    Spray(SprayArgs),
    /// Colour a document's words by their relevance for a class (red for, blue against).
    Explain(ExplainArgs),
    /// Delete words in the order LRP, SA and chance rank them; track the accuracy.
    EvalDeletion(DeletionArgs),
}

#[derive(Args)]
struct ExplainArgs {
    /// Documents: files, folders (every file inside) or `-` for standard input.
    inputs: Vec<PathBuf>,
    /// Explain this text instead of files.
    #[arg(long, conflicts_with = "inputs")]
    text: Option<String>,
    /// Explain the data set's test split (JSON lines with each document's id and true class).
    #[arg(long, conflicts_with_all = ["inputs", "text"])]
    test_split: bool,
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// The class to explain [default: the predicted one].
    #[arg(long)]
    class: Option<String>,
    /// `lrp`, `sa` (sensitivity analysis) or `gxi` (gradient × input).
    #[arg(long, default_value = "lrp")]
    method: String,
    /// LRP rule for all layers, or a composite: `epsilon[=ε]`, `alphabeta[=α,β]`, `zplus`,
    /// `lrp0`, `flat`, `wsquare`, e.g. `epsilon=0.01;conv1d:zplus`.
    #[arg(long, default_value = text::explain::DEFAULT_RULE)]
    rule: String,
    /// `text` (coloured words), `json`, or `html` (a self-contained page).
    #[arg(long, default_value = "text")]
    format: OutputFormat,
    /// Colours in text output: `never`, `auto`, `always`.
    #[arg(long, default_value = "auto")]
    color: ColorWhen,
    /// Words listed for and against the class.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Html,
}

#[derive(Args)]
struct DeletionArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// Words deleted per document.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// The LRP rule (or composite) that ranks words.
    #[arg(long, default_value = text::explain::DEFAULT_RULE)]
    rule: String,
    /// Random orders averaged for the chance baseline.
    #[arg(long, default_value_t = 3)]
    random_seeds: u64,
    /// Use only this many test documents, spread evenly over the split.
    #[arg(long)]
    limit: Option<usize>,
    /// Where to write every curve as JSON.
    #[arg(long, default_value = "deletion.json")]
    json: PathBuf,
    /// Where to draw the curves (`.png` or `.svg`).
    #[arg(long, default_value = "deletion.png")]
    plot: PathBuf,
    /// Curves per true class too (in the JSON and the summary).
    #[arg(long)]
    per_class: bool,
    /// Replace the output files if they exist.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct DataArg {
    /// A labelled document set: a folder per class (optionally below `…train/` and `…test/`),
    /// a `.tar.gz` of one, a `.csv` or a `.jsonl` file [default:
    /// $RELVIS_DATA/20news-bydate.tar.gz, with RELVIS_DATA defaulting to ../shared/data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// `folders`, `csv` or `jsonl` [default: from the file name].
    #[arg(long)]
    layout: Option<Layout>,
    /// `utf8` or `latin1` [default: as the model recorded; else utf8, latin1 for 20 Newsgroups].
    #[arg(long)]
    encoding: Option<Encoding>,
    /// The CSV column or JSON field holding the text [default: text].
    #[arg(long)]
    text_field: Option<String>,
    /// The CSV column or JSON field holding the label [default: label].
    #[arg(long)]
    label_field: Option<String>,
    /// Share of each class held out for testing when the set has no split of its own
    /// [default: as the model recorded; else 0.2].
    #[arg(long)]
    test_fraction: Option<f32>,
    /// Seed of that split [default: as the model recorded; else 1].
    #[arg(long)]
    split_seed: Option<u64>,
}

impl DataArg {
    fn path(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(default_newsgroups_path)
    }

    /// Reads the set as the flags say, else as `model` recorded, else as its name suggests;
    /// warns of skipped files and of test documents that also occur in training.
    fn load(&self, model: Option<&ModelConfig>) -> Result<(Corpus, DatasetOptions), Failure> {
        let path = self.path();
        let mut options = match self.layout {
            Some(layout) => DatasetOptions::for_layout(layout),
            None => DatasetOptions::for_path(&path, model.map(|m| &m.data))?,
        };
        if let Some(encoding) = self.encoding {
            options.encoding = encoding;
        }
        if let Some(field) = &self.text_field {
            options.text_field = field.clone();
        }
        if let Some(field) = &self.label_field {
            options.label_field = field.clone();
        }
        if let Some(fraction) = self.test_fraction {
            if !(0.0..1.0).contains(&fraction) {
                return Err(Failure::usage(format!("--test-fraction {fraction}: expected a share in [0, 1)")));
            }
            options.split.test_fraction = fraction;
        }
        if let Some(seed) = self.split_seed {
            options.split.seed = seed;
        }
        errln!("reading {} …", path.display());
        let corpus = load_dataset(&path, &options)?;
        if let Some(first) = corpus.skipped.first() {
            errln!("warning: skipped {} documents, e.g. {}: {}", corpus.skipped.len(), first.id, first.reason);
        }
        if corpus.duplicates > 0 {
            errln!("warning: {} test documents also occur in the training split", corpus.duplicates);
        }
        let split = match corpus.split {
            Some(s) => format!("a seeded split ({:.0} % test, seed {})", 100.0 * s.test_fraction, s.seed),
            None => "the set's own split".into(),
        };
        errln!(
            "{} classes, {} training and {} test documents ({split})",
            corpus.classes.len(),
            corpus.train.len(),
            corpus.test.len()
        );
        if let Some(model) = model {
            if corpus.classes != model.classes {
                return Err(Failure::invalid(format!("{}: its classes differ from the model's", path.display())));
            }
            if fingerprint(&corpus.train) != model.training.data_fingerprint {
                errln!("warning: these training documents are not the ones the model was trained on; its test split may hold documents it saw");
            }
        }
        Ok((corpus, options))
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
            None => text::default_model::load(),
        }
    }
}

#[derive(Args)]
struct SprayArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// The class to analyse; every class (ranked by eigengap) if not given.
    #[arg(long)]
    class: Option<String>,
    /// position (header bins apart from body bins) or vocab (relevance per word type).
    #[arg(long, default_value = "position")]
    maps: MapKind,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// LRP rule, as for `explain`.
    #[arg(long, default_value = DEFAULT_RULE)]
    rule: String,
    /// Folder for the report (refused if it exists, unless --force).
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    force: bool,
}

fn spray(args: SprayArgs) -> Result<(), Failure> {
    let model = args.model.load()?;
    let (corpus, _) = args.data.load(Some(&model.config))?;
    let classes: Vec<usize> = match &args.class {
        Some(name) => vec![model.class_index(name)?],
        None => (0..model.config.classes.len()).collect(),
    };
    let staged = StagedFolder::new(&args.out, args.force)?;
    let dir = staged.path();
    let method = Method::parse("lrp", &args.rule)?;
    let options = args.cluster.options();
    let bar = ProgressBar::new(classes.len() as u64);
    let mut results = Vec::new();
    for &k in &classes {
        let docs: Vec<_> = corpus.test.iter().filter(|d| d.label == k).cloned().collect();
        if docs.len() < 3 {
            continue;
        }
        let r = class_strategies(&model, &docs, k, args.maps, args.cluster.normalise, &method, &options)?;
        let name = outcome::output::file_name_part(&r.class);
        plot_spectrum(&r.analysis, &format!("{name}: eigenvalues of L_sym ({} documents)", r.analysis.maps), &dir.join(format!("{name}-spectrum.png"))).map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        plot_embedding(&r.analysis, &format!("{name}: embedding by cluster ({})", r.analysis.embedding_method), &dir.join(format!("{name}-embedding.png"))).map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        for (c, cluster) in r.clusters.iter().enumerate() {
            for (m, id) in cluster.examples.iter().take(2).enumerate() {
                let Some(i) = r.documents.iter().position(|d| d == id) else { continue };
                let path = dir.join(format!("{name}-cluster{c}-example{m}.html"));
                std::fs::write(&path, html(&r.explanations[i], &model.config.classes)).map_err(|e| staged.name_destination(Failure::writing(&path, &e)))?;
            }
        }
        results.push(r);
        bar.inc(1);
    }
    bar.finish_and_clear();
    results.sort_by(|a, b| b.analysis.largest_eigengap.total_cmp(&a.analysis.largest_eigengap));
    let json = dir.join("spray.json");
    std::fs::write(&json, serde_json::to_string_pretty(&results).expect("serialises")).map_err(|e| staged.name_destination(Failure::writing(&json, &e)))?;
    staged.commit()?;
    outln!("{:<26} {:>5} {:>7} {:>7} {:>9} {:>8}  clusters: size (header share) top words", "class", "docs", "header", "words", "eigengap", "clusters")?;
    for r in &results {
        outln!("{:<26} {:>5} {:>7.3} {:>7.3} {:>9.4} {:>8}", r.class, r.documents.len(), r.header_share, r.header_word_share, r.analysis.largest_eigengap, r.analysis.clusters)?;
        for (c, cluster) in r.clusters.iter().enumerate() {
            let words: Vec<String> = cluster.top_words.iter().take(6).map(|(w, v)| format!("{w} {v:+.2}")).collect();
            outln!("    {c}: {:>4} ({:.3})  {}", cluster.size, cluster.header_share, words.join(", "))?;
        }
    }
    outln!("classes ranked by eigengap (largest first); header = mean share of positive relevance on header lines, words = header lines' share of the words; report in {}", args.out.display())?;
    Ok(())
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
        let counts = [("--epochs", self.epochs), ("--batch-size", self.batch_size), ("--width", self.width), ("--filters", self.filters), ("--embedding-dim", self.embedding_dim), ("--decay-after", self.decay_after), ("--members", self.members)];
        if let Some((flag, _)) = counts.iter().find(|(_, n)| *n == 0) {
            return Err(Failure::usage(format!("{flag} must be at least 1")));
        }
        if self.max_len < self.width || self.max_len > MAX_DOCUMENT_TOKENS {
            return Err(Failure::usage(format!("--max-len {}: expected {} (the window width) to {MAX_DOCUMENT_TOKENS}", self.max_len, self.width)));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.learning_rate < 10.0) {
            return Err(Failure::usage(format!("--learning-rate {}: expected a number in (0, 10)", self.learning_rate)));
        }
        let shares = [("--dropout", self.dropout), ("--word-dropout", self.word_dropout), ("--weight-average", self.weight_average), ("--validation-fraction", self.validation_fraction)];
        if let Some((flag, v)) = shares.iter().find(|(_, v)| !(0.0..1.0).contains(v)) {
            return Err(Failure::usage(format!("{flag} {v}: expected a share in [0, 1)")));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(Failure::usage(format!("--lr-decay {}: expected a factor in (0, 1]", self.lr_decay)));
        }
        let tokenizer = match self.tokenizer.split_once('=') {
            None if self.tokenizer == "word" => TokenizerChoice::WordLevel { min_count: self.min_count, max_vocab: None },
            None if self.tokenizer == "wordpiece" => TokenizerChoice::WordPiece { vocab: None, size: 30_000 },
            Some(("wordpiece", vocab)) => TokenizerChoice::WordPiece { vocab: Some(PathBuf::from(vocab)), size: 0 },
            _ => return Err(Failure::usage(format!("--tokenizer {}: expected `word`, `wordpiece` or `wordpiece=VOCAB.txt`", self.tokenizer))),
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

impl Progress for Bar {
    fn stage(&mut self, message: &str) {
        errln!("{message} …");
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
        let validation = if self.validated {
            format!(", validation accuracy {:.4}, validation loss {:.4}", r.validation_accuracy, r.validation_loss)
        } else {
            String::new()
        };
        errln!("epoch {:>2}: loss {:.4}, train accuracy {:.4}{validation} ({:.0} s)", r.epoch, r.train_loss, r.train_accuracy, r.seconds);
    }
}

fn read_document(input: &Path) -> Result<String, Failure> {
    let bytes = if input == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::reading(Path::new("standard input"), &e))?;
        bytes
    } else {
        std::fs::read(input).map_err(|e| Failure::reading(input, &e))?
    };
    text::corpus::read_document(&bytes).map_err(|problem| Failure::invalid(format!("{}: {problem}", input.display())))
}

/// The documents to explain: (name, true class when known, text).
fn explain_inputs(args: &ExplainArgs, model: &ModelConfig) -> Result<Vec<(String, Option<String>, String)>, Failure> {
    if let Some(text) = &args.text {
        return Ok(vec![("--text".into(), None, text.clone())]);
    }
    if args.test_split {
        let (corpus, _) = args.data.load(Some(model))?;
        return Ok(corpus.test.into_iter().map(|d| (d.id, Some(corpus.classes[d.label].clone()), d.text)).collect());
    }
    if args.inputs.is_empty() {
        return Err(Failure::usage("give a file, a folder, `-`, --text or --test-split"));
    }
    let mut docs = Vec::new();
    for input in &args.inputs {
        if input == Path::new("-") {
            docs.push(("-".into(), None, read_document(input)?));
            continue;
        }
        let files = text::corpus::document_files(input)?;
        let folder = input.is_dir();
        for file in files {
            match read_document(&file) {
                Ok(text) => docs.push((file.display().to_string(), None, text)),
                // In a folder, files that are no text documents are skipped, not fatal.
                Err(problem) if folder => errln!("warning: skipped {problem}"),
                Err(problem) => return Err(problem),
            }
        }
    }
    Ok(docs)
}

fn explain(args: ExplainArgs) -> Result<(), Failure> {
    use rayon::prelude::*;
    let model = args.model.load()?;
    let method = Method::parse(&args.method, &args.rule)?;
    let class = args.class.as_deref().map(|name| model.class_index(name)).transpose()?;
    let docs = explain_inputs(&args, &model.config)?;
    let many = docs.len() > 1;
    if many && args.format == OutputFormat::Html {
        return Err(Failure::usage("--format html takes one document; use json for many"));
    }
    let mut out = Sink::open(args.out.as_deref(), args.force)?;
    let to_terminal = args.out.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let palette = Palette::choose(args.color, to_terminal, |name| std::env::var(name).ok());
    // Explained in parallel, a chunk at a time, and written in input order as they finish.
    for chunk in docs.chunks(4 * rayon::current_num_threads().max(1)) {
        let explained: Vec<_> = chunk.par_iter().map(|(_, _, text)| model.explain(text, class, &method)).collect();
        for ((name, truth, _), explanation) in chunk.iter().zip(explained) {
            let e = explanation.map_err(|e| Failure::new(e.kind(), format!("{name}: {e}")))?;
            let written = match args.format {
                OutputFormat::Json if many => {
                    let line = serde_json::json!({ "id": name, "true_class": truth, "explanation": e });
                    writeln!(out, "{line}")
                }
                OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&e).expect("serialises")),
                OutputFormat::Html => out.write_all(html(&e, &model.config.classes).as_bytes()),
                OutputFormat::Text => {
                    let mut buffer = if palette == Palette::Plain { termcolor::Buffer::no_color() } else { termcolor::Buffer::ansi() };
                    let heading = if many { format!("== {name}\n") } else { String::new() };
                    write_terminal(&mut buffer, &e, palette, args.top)
                        .and_then(|()| out.write_all(heading.as_bytes()))
                        .and_then(|()| out.write_all(buffer.as_slice()))
                        .and_then(|()| if many { writeln!(out) } else { Ok(()) })
                }
            };
            written.map_err(|e| out.failure(e))?;
        }
    }
    out.finish()
}

fn eval_deletion(args: DeletionArgs) -> Result<(), Failure> {
    let plot = StagedFile::new(&args.plot, args.force)?;
    outcome::output::check_new(&args.json, args.force)?;
    let model = args.model.load()?;
    let rule = args.rule.parse().map_err(|e| Failure::usage(format!("--rule {}: {e}", args.rule)))?;
    let (corpus, _) = args.data.load(Some(&model.config))?;
    let mut test = encode(&corpus.test, model.config.cleaning, &model.tokenizer)?;
    if let Some(limit) = args.limit.filter(|&l| l > 0 && l < test.len()) {
        let stride = test.len() as f64 / limit as f64;
        test = (0..limit).map(|i| test[(i as f64 * stride) as usize].clone()).collect();
    }
    let per_class = args.per_class.then(|| corpus.classes.clone());
    let config = DeletionConfig { steps: args.steps, rule, random_seeds: args.random_seeds, per_class };
    let bar = ProgressBar::new(test.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("deleting words [{bar:30}] {pos}/{len} documents ({eta} left)").expect("a valid template").progress_chars("=> "),
    );
    let start = std::time::Instant::now();
    let report = evaluate_deletion(&model.cnn, &test, &config, &|done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    text::plot::plot_deletion(&report, plot.path())?;
    write_file(&args.json, args.force, |w| serde_json::to_writer_pretty(w, &report).map_err(std::io::Error::from))?;
    plot.commit()?;
    let mut columns = vec![0, report.steps / 5, report.steps / 2, report.steps];
    columns.dedup();
    let mut sections = vec![("(a) correctly classified".to_string(), &report.correct), ("(b) misclassified".to_string(), &report.misclassified)];
    for c in &report.per_class {
        sections.push((format!("{}, (a) correctly classified", c.class), &c.correct));
        sections.push((format!("{}, (b) misclassified", c.class), &c.misclassified));
    }
    for (name, experiment) in sections {
        outln!("{name}: {} documents, {} first", experiment.documents, experiment.order)?;
        let header: String = columns.iter().map(|k| format!(" {k:>7}")).collect();
        outln!("  {:<8}{header}   area over the curve", "method")?;
        for c in &experiment.curves {
            let row: String = columns.iter().map(|&k| format!(" {:>7.3}", c.accuracy[k])).collect();
            outln!("  {:<8}{row}   {:.4}", c.method, c.area)?;
        }
    }
    outln!("{} documents × {} rankings × {} steps in {seconds:.0} s; curves in {}, plot in {}", test.len(), 2 + report.random_seeds, report.steps, args.json.display(), args.plot.display())?;
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Train(args) => {
            outcome::output::check_new(&args.out, args.force)?;
            let (corpus, data) = args.data.load(None)?;
            let options = args.options(data)?;
            let model = fit(&corpus, &options, &mut Bar { bar: None, validated: options.train.validation_fraction > 0.0 })?;
            model.save(&args.out, args.force)?;
            let record = &model.config.training;
            outln!("{}", serde_json::to_string_pretty(&record.report).expect("serialises"))?;
            let reports: Vec<_> = std::iter::once(&record.report).chain(&record.other_members).collect();
            let kept: Vec<String> = reports
                .iter()
                .map(|r| match r.validation_documents {
                    0 => format!("last epoch {} (nothing held out)", r.best_epoch),
                    _ => format!("best epoch {}, validation accuracy {:.4}", r.best_epoch, r.validation_accuracy),
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
        }
        Command::Predict { input, model, json } => {
            let model = model.load()?;
            let prediction = model.predict(&read_document(&input)?)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&prediction).expect("serialises"))?;
            } else {
                outln!("predicted: {} (p = {:.3})", prediction.class_name, prediction.probabilities[prediction.class])?;
                let mut order: Vec<usize> = (0..prediction.scores.len()).collect();
                order.sort_by(|&a, &b| prediction.scores[b].total_cmp(&prediction.scores[a]));
                for c in order {
                    outln!("  {:<28} score {:>8.3}  p {:.3}", model.config.classes[c], prediction.scores[c], prediction.probabilities[c])?;
                }
            }
        }
        Command::Explain(args) => explain(args)?,
        Command::EvalDeletion(args) => eval_deletion(args)?,
        Command::Spray(args) => spray(args)?,
        Command::Accuracy { data, model, strip_test_headers, json } => {
            let model = model.load()?;
            let (mut corpus, _) = data.load(Some(&model.config))?;
            if strip_test_headers {
                for d in &mut corpus.test {
                    d.text = text::clean::strip_header(&d.text).to_string();
                }
            }
            let test = encode(&corpus.test, model.config.cleaning, &model.tokenizer)?;
            let e = evaluate(&model.cnn, &test, corpus.classes.len());
            if json {
                outln!("{}", serde_json::to_string_pretty(&e).expect("serialises"))?;
            } else {
                outln!("test accuracy {:.4} on {} documents; macro precision {:.4}, recall {:.4}, F1 {:.4}\n", e.accuracy, e.documents, e.macro_precision, e.macro_recall, e.macro_f1)?;
                outln!("{:<28} {:>9} {:>7} {:>7}", "class", "precision", "recall", "F1")?;
                for (c, name) in model.config.classes.iter().enumerate() {
                    outln!("{name:<28} {:>9.3} {:>7.3} {:>7.3}", e.precision[c], e.recall[c], e.f1[c])?;
                }
                outln!("\nconfusion matrix (rows: true class, columns: predicted, in class order):")?;
                for (c, row) in e.confusion.iter().enumerate() {
                    outln!("{c:>3} {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>())?;
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // The commands spread documents over rayon's threads; a matrix product inside one of them
    // must not start threads of its own, which only compete for the same cores (an epoch of
    // training: 30 s with them, 21 s without, on 2 cores). matrixmultiply reads the variable
    // once, at its first product; nothing else runs yet, and a value the user set is kept.
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
    outcome::finish(run(Cli::parse()))
}
