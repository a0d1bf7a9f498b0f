//! The video pipeline. Its folders are its stages, in the order data flows through them:
//!
//! 1. `decode`: motion vectors from compressed video with each vector's reference (or
//!    re-estimated where a codec exports none), display rotation, block-grid fields, pictures.
//! 2. `features`: HOF/MBH descriptors with their receptive fields; PCA, Gaussian mixture and
//!    Fisher vectors.
//! 3. `model`: labelled clip sets; the Fisher-vector / linear-SVM classifier, its model
//!    folder, training and the embedded default; many clips at once.
//! 4. `explain`: LRP through the chain and the other methods, onto blocks and frames.
//! 5. `evaluate`: accuracy; deletion, insertion, localisation and the randomisation test; how
//!    good the explanations are.
//! 6. `report`: the report folder with overlays and charts, SpRAy maps, the viewer's pages.
//!
//! Beside them, `synth`: the synthetic action set, rendered and encoded.
//!
//! The modules are private; everything is used from the crate's root.

mod decode;
mod error;
mod evaluate;
mod explain;
mod features;
mod model;
mod report;
mod synth;

pub use decode::{
    summarize_motion, DisplayRotation, FrameKind, FrameSummary, MotionField, MotionFrame,
    MotionOptions, MotionReader, MotionSource, MotionSummary, ReferenceCheck, RgbImage,
    VectorOrigin, VideoInfo,
};
pub use error::VideoError;
pub use evaluate::{
    block_mask, cross_validate, deletion_curve, evaluate_accuracy, evaluate_relevance,
    evaluate_video, impute_from_neighbours, insertion_curve, perturbation, planted_cue,
    randomisation_test, randomised_classifier, region_share, ClassShares, CrossValidation,
    Imputation, Perturbation, PerturbationCurve, PerturbationSettings, PlantedCue, RegionShare,
    RelevanceReport, VideoAccuracy, VideoEvaluation, VideoEvaluationReport,
    VideoEvaluationSettings, VideoMethodScores, CASCADE,
};
pub use explain::{
    block_relevance, default_rules, explain_clip, explain_descriptors, gradient_times_input,
    motionless, remove_motion, BlockRelevance, BlockTotals, ClipMotion, Clips, Conservation,
    Cuboid, DescriptorScores, EditableClip, Edits, ExplanationRecord, Method, Motionless,
    VideoExplanation, DEFAULT_RULE,
};
pub use features::{
    clip_descriptors, stream_clip, stream_descriptors, ClipDescriptors, Descriptor,
    DescriptorBatch, DescriptorExtractor, DescriptorOptions, DiagonalGmm, FisherEncoder,
    Projection, StreamedClip, CHANNELS, CHUNK, MIN_VARIANCE, NEGLIGIBLE_POSTERIOR,
};
pub use model::{
    all_clips, default_model, expand_clips, is_video_file, load_clip_set, map_clips,
    report_folders, train_classifier, ClipSet, LabelledClip, TrainOptions, TrainingRecord,
    VideoClassifier, VideoModelConfig, VideoPrediction, CONFIG_FILE, WEIGHTS_FILE,
};
pub use report::{
    binned, class_strategies, draw_field_png, evaluation_page, frame_phases, montage, overlay,
    plot_cluster_maps, plot_evaluation, plot_frame_relevance, plot_perturbation, pooled_record,
    purity, save_png, spray_page, strategies, write_report, ClassStrategies, ClipView, Grid,
    ReportFiles, ReportOptions, SprayMapSettings, SHOWN_FRAMES,
};
pub use synth::{
    artifact_rect, mixed_encoders, read_masks, render_set, ArtifactKind, ClipWriter, EncodeOptions,
    Encoder, Encodings, SynthClip, SynthOptions, ACTIONS,
};
