//! Stage 3, models: the word-embedding CNN built from `lrp`'s layers, GloVe vectors, model
//! folders and the embedded default, classifiers exported to ONNX, relvis's own written as
//! ONNX, and either kind behind one interface.

mod any_model;
mod classifier;
mod cnn;
mod default_model;
mod editable_document;
mod embeddings;
mod onnx_classifier;
mod onnx_export;
mod recognised_cnn;
mod training_record;

pub use any_model::{load_model, AnyTextModel};
pub(crate) use classifier::MARGIN_TOKENS;
pub use classifier::{
    ModelConfig, Prediction, Prepared, TextClassifier, TrainingRecord, CONFIG_FILE, FORMAT,
    FORMAT_VERSION, OLDEST_FORMAT_VERSION, WEIGHTS_FILE,
};
pub use cnn::{softmax, Architecture, TextCnn, MAX_LEN, PAD, UNK};
pub use default_model::default_model;
pub use editable_document::{EditableDocument, Slot};
pub use embeddings::{initialise_embeddings, read_vectors, Coverage};
pub(crate) use onnx_classifier::Encoded;
pub use onnx_classifier::{
    OnnxTextClassifier, MAX_TOKENS, ONNX_FILE, TOKENIZER_CONFIG_FILE, WINDOW_KEY,
};
pub use onnx_export::{export_onnx, onnx_bytes};
pub use training_record::{EpochReport, TrainConfig, TrainReport};
