//! Arguments several commands share: the labelled set, the model, a document to read.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::{errln, Failure};
use pipeline::bounded_read;
use pipeline::worker::{string_field, Row};
use text::default_newsgroups_path;
use text::fingerprint;
use text::{
    load_dataset, AnyTextModel, Corpus, DatasetOptions, Encoding, Layout, ModelConfig,
    OnnxTextClassifier, TextClassifier, TextError,
};

use crate::failure::Error;

#[derive(Args)]
pub(crate) struct DataArg {
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
    pub(crate) fn path(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(default_newsgroups_path)
    }

    /// Reads the set as the flags say, else as `model` recorded, else as its name suggests;
    /// warns of skipped files and of test documents that also occur in training.
    /// The set for `model`: a relvis model's as it recorded it; for a model that knows some
    /// of the set's classes only (a fine-tuned transformer), the documents of those.
    pub(crate) fn load_for(&self, model: &AnyTextModel) -> Result<(Corpus, DatasetOptions), Error> {
        let (corpus, options) = self.load(model.native().map(|m| &m.config))?;
        let known = text::TextModel::classes(model);
        if model.native().is_some() || corpus.classes.iter().all(|c| known.contains(c)) {
            return Ok((corpus, options));
        }
        let (corpus, left_out) = corpus.restricted_to(known)?;
        errln!(
            "the model knows {} of the set's classes ({}): {left_out} test documents of the others left out",
            corpus.classes.len(),
            corpus.classes.join(", ")
        );
        Ok((corpus, options))
    }

    pub(crate) fn load(
        &self,
        model: Option<&ModelConfig>,
    ) -> Result<(Corpus, DatasetOptions), Error> {
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
                return Err(Failure::usage(format!(
                    "--test-fraction {fraction}: expected a share in [0, 1)"
                ))
                .into());
            }
            options.split.test_fraction = fraction;
        }
        if let Some(seed) = self.split_seed {
            options.split.seed = seed;
        }
        errln!("reading {} …", path.display());
        let corpus = load_dataset(&path, &options)?;
        if let Some(first) = corpus.skipped.first() {
            errln!(
                "warning: skipped {} documents, e.g. {}: {}",
                corpus.skipped.len(),
                first.id,
                first.reason
            );
        }
        if corpus.duplicates > 0 {
            errln!(
                "warning: {} test documents also occur in the training split",
                corpus.duplicates
            );
        }
        let split = match corpus.split {
            Some(s) => {
                format!("a seeded split ({:.0} % test, seed {})", 100.0 * s.test_fraction, s.seed)
            }
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
                return Err(Failure::invalid(format!(
                    "{}: its classes differ from the model's",
                    path.display()
                ))
                .into());
            }
            if fingerprint(&corpus.train) != model.training.data_fingerprint {
                errln!("warning: these training documents are not the ones the model was trained on; its test split may hold documents it saw");
            }
        }
        Ok((corpus, options))
    }
}

#[derive(Args)]
pub(crate) struct ModelArg {
    /// A model folder made by `xai-text train`, or a folder with an ONNX classifier: model.onnx,
    /// tokenizer.json, config.json (as `xai-text export --onnx` writes it) [default: the model
    /// embedded in the binary].
    #[arg(long)]
    model: Option<PathBuf>,
}

impl ModelArg {
    /// A relvis model (the commands that evaluate, analyse or need the training record).
    pub(crate) fn load(&self) -> Result<TextClassifier, TextError> {
        match &self.model {
            Some(dir) if OnnxTextClassifier::is_onnx_folder(dir) => Err(TextError::Model(format!(
                "{}: an ONNX model; this command takes relvis models (made by `xai-text train`)",
                dir.display()
            ))),
            Some(dir) => TextClassifier::load(dir),
            None => text::default_model(),
        }
    }

    /// A relvis model or an ONNX model folder; with the latter the threads share one allocator
    /// arena ([`outcome::heap::one_arena`]).
    pub(crate) fn load_any(&self) -> Result<AnyTextModel, TextError> {
        let model = match &self.model {
            Some(dir) => text::load_model(dir)?,
            None => AnyTextModel::Native(text::default_model()?),
        };
        if matches!(model, AnyTextModel::Onnx(_)) {
            outcome::heap::one_arena();
        }
        Ok(model)
    }
}

pub(crate) fn read_document(input: &Path) -> Result<String, Failure> {
    let bytes = if input == Path::new("-") {
        bounded_read::read_at_most(std::io::stdin().lock(), bounded_read::DOCUMENT)
            .map_err(|e| Failure::reading(Path::new("standard input"), &e))?
    } else {
        // A pipe is read as a file is (`explain <(…)`), up to the bound.
        std::fs::File::open(input)
            .and_then(|f| bounded_read::read_at_most(f, bounded_read::DOCUMENT))
            .map_err(|e| Failure::reading(input, &e))?
    };
    text::read_document(&bytes)
        .map_err(|problem| Failure::invalid(format!("{}: {problem}", input.display())))
}

/// The document in a worker row's `text` field, checked as a document file is.
pub(crate) fn row_document(row: &Row) -> Result<String, Failure> {
    text::read_document(string_field(row, "text")?.as_bytes()).map_err(Failure::invalid)
}
