//! Stage 6, evaluation: test accuracy, the word-deletion experiment and its shardable counts,
//! faithfulness and localisation of every method, the model parameter randomisation test, and
//! all of them in one report over methods and models.

mod accuracy;
mod deletion;
mod deletion_counts;
mod deletion_models;
mod evaluation;
mod faithfulness;
mod faithfulness_models;
mod randomisation;

pub use accuracy::{evaluate_examples, evaluate_texts, Evaluation};
pub use deletion::{
    deletion_run, rank, rank_positions, ClassDeletion, Curve, DeletionConfig, DeletionDocument,
    DeletionModel, DeletionReport, Experiment, Ranking,
};
pub use deletion_counts::{count_deletion, evaluate_deletion, DeletionCounts, GroupCounts, Shard};
pub use deletion_models::deletion_documents;
pub use evaluation::{
    evaluate_model, EvaluationReport, EvaluationSettings, ModelEvaluation, Phase,
};
pub use faithfulness::{
    evaluate_faithfulness, evaluate_faithfulness_keeping, EditedDocument, EvaluatedDocument,
    FaithfulnessConfig, FaithfulnessModel, MethodScores, TrainedRelevance,
};
pub use faithfulness_models::GraphDocument;
pub use randomisation::{randomisation_test, randomisation_test_from, randomised_cnn, CASCADE};
