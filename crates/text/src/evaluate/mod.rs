//! Stage 6, evaluation: test accuracy, the word-deletion experiment and its shardable counts,
//! faithfulness and localisation of every method, the model parameter randomisation test, and
//! all of them in one report over methods and models.

mod accuracy;
mod deletion;
mod deletion_counts;
mod evaluation;
mod faithfulness;
mod randomisation;

pub use accuracy::{evaluate_examples, evaluate_texts, Evaluation};
pub use deletion::{
    deletion_run, evaluate_deletion, rank, rank_positions, ClassDeletion, Curve, Deletion,
    DeletionConfig, DeletionDocument, DeletionModel, DeletionReport, Experiment, Ranking, Slot,
};
pub use deletion_counts::{count_deletion, DeletionCounts, GroupCounts, Shard};
pub use evaluation::{
    evaluate_model, EvaluationReport, EvaluationSettings, ModelEvaluation, Phase,
};
pub use faithfulness::{
    evaluate_faithfulness, EvaluatedDocument, FaithfulnessConfig, MethodScores,
};
pub use randomisation::{randomisation_test, randomised_cnn, CASCADE};
