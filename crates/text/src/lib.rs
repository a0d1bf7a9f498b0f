//! The text pipeline. Its folders are its stages, in the order data flows through them:
//!
//! 1. `data`: 20 Newsgroups and the labelled sets users bring, cleaned on request; copies
//!    with a planted cue.
//! 2. `tokenize`: word-level and WordPiece tokenizers, every token with its span; documents
//!    encoded as the CNN reads them.
//! 3. `model`: the word-embedding CNN built from `lrp`'s layers, GloVe vectors, model
//!    folders and the embedded default; classifiers exported to ONNX, relvis's own written as
//!    ONNX, and either kind behind [`TextModel`].
//! 4. `train`: mini-batch Adam with the CNN's cross-entropy gradient; [`fit`] goes from a
//!    corpus to a saved, tested model.
//! 5. `explain`: word-level explanations ([`TextExplanation`]) by any [`Method`].
//! 6. `evaluate`: test accuracy, the word-deletion experiment, faithfulness and localisation,
//!    the randomisation test, and one report over methods and models.
//! 7. `report`: coloured words, curves, SpRAy maps and the viewer's pages.
//!
//! The modules are private; everything is used from the crate's root.

mod data;
mod error;
mod evaluate;
mod explain;
mod model;
mod report;
mod tokenize;
mod train;

pub use data::{
    cue_words, data_dir, decode_by_byte_order_mark, decode_latin1, default_newsgroups_path,
    document_files, header_len, load_dataset, load_newsgroups, plant_cue, read_document,
    stratified_split, strip_footer, strip_header, strip_quotes, Cleaning, Corpus, CueRecord,
    CueSettings, DatasetOptions, Document, Encoding, Layout, PlantedSet, Skipped, SplitSpec,
    CUE_FILE, DATA_DIR_VAR, DEFAULT_DATA_DIR, NEWSGROUPS_ARCHIVE,
};
pub use error::TextError;
pub use evaluate::{
    count_deletion, deletion_documents, deletion_run, evaluate_deletion, evaluate_examples,
    evaluate_faithfulness, evaluate_faithfulness_keeping, evaluate_model, evaluate_texts,
    randomisation_test, randomisation_test_from, randomised_cnn, rank, rank_positions,
    ClassDeletion, Curve, DeletionConfig, DeletionCounts, DeletionDocument, DeletionModel,
    DeletionReport, EditedDocument, EvaluatedDocument, Evaluation, EvaluationReport,
    EvaluationSettings, Experiment, FaithfulnessConfig, FaithfulnessModel, GraphDocument,
    GroupCounts, MethodScores, ModelEvaluation, Phase, Ranking, Shard, TrainedRelevance, CASCADE,
};
pub use explain::{
    explain_positions, Attribution, Baseline, Conservation, Method, OcclusionWindow,
    PositionRelevance, SpecialToken, TextExplanation, TextModel, WordRelevance, WordTotals, Words,
    ATTENTION_RULE, DEFAULT_RULE,
};
pub use model::{
    default_model, export_onnx, initialise_embeddings, load_model, onnx_bytes, read_vectors,
    softmax, AnyTextModel, Architecture, Coverage, EditableDocument, EpochReport, ModelConfig,
    OnnxTextClassifier, Prediction, Prepared, Slot, TextClassifier, TextCnn, TrainConfig,
    TrainReport, TrainingRecord, CONFIG_FILE, FORMAT, FORMAT_VERSION, MAX_LEN, MAX_TOKENS,
    OLDEST_FORMAT_VERSION, ONNX_FILE, PAD, TOKENIZER_CONFIG_FILE, UNK, WEIGHTS_FILE, WINDOW_KEY,
};
pub use report::{
    ansi256, class_strategies, cluster_summary, escape_html, evaluation_page, explanation_html,
    header_share, heat_colour, plot_deletion, plot_evaluation, position_map, spray_page,
    strategies, title, unknown_words_note, word_level, write_terminal, ColorWhen, HeaderShare,
    MapKind, Palette, TextCluster, TextStrategies, BODY_BINS, HEADER_BINS, TOP_WORDS, VOCABULARY,
};
pub use tokenize::{
    encode, train_vocab_file, Example, KnownWords, TextTokenizer, TokenizerKind, Tokens,
    SPECIAL_TOKENS, TOKENIZER_FILE, VOCAB_FILE,
};
pub use train::{
    accumulate_gradient, accuracy_and_loss, fingerprint, fit, train, validation_split, FitOptions,
    Gradient, Silent, TokenizerChoice, TrainingProgress,
};
