//! Stage 5, evaluation: accuracy and cross-validation; deletion, insertion, localisation and
//! the randomisation test over a set; how good the explanations are.

mod accuracy;
mod explanation_quality;
mod faithfulness;
mod perturbation_curves;
mod randomisation;

pub use accuracy::{cross_validate, evaluate_accuracy, CrossValidation, VideoAccuracy};
pub use explanation_quality::{
    evaluate_relevance, perturbation, planted_cue, region_share, ClassShares, Perturbation,
    PerturbationCurve, PerturbationSettings, RegionShare, RelevanceReport,
};
pub use faithfulness::{
    block_mask, evaluate_video, PlantedCue, VideoEvaluation, VideoEvaluationReport,
    VideoEvaluationSettings, VideoMethodScores,
};
pub use perturbation_curves::{
    deletion_curve, impute_from_neighbours, insertion_curve, Imputation,
};
pub use randomisation::{randomisation_test, randomised_classifier, CASCADE};
