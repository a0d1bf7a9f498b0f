//! The default model, embedded in the library: trained by the project on its own synthetic
//! action set and kept in `assets/video-model/`, so that `xai-video` works on a fresh clone
//! without `--model`. `assets/video-model/README.md` gives the commands that made it.

use std::path::Path;

use crate::error::VideoError;
use crate::model::VideoClassifier;
use crate::model::{CONFIG_FILE, WEIGHTS_FILE};

const CONFIG: &str = include_str!("../../../../assets/video-model/model.json");
const WEIGHTS: &[u8] = include_bytes!("../../../../assets/video-model/weights.safetensors");

/// Where the embedded files came from, for error messages.
const SOURCE: &str = "assets/video-model";

/// The embedded default model.
pub fn default_model() -> Result<VideoClassifier, VideoError> {
    let source = Path::new(SOURCE);
    VideoClassifier::from_files(
        CONFIG,
        &source.join(CONFIG_FILE),
        WEIGHTS,
        &source.join(WEIGHTS_FILE),
    )
}
