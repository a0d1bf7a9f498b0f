//! `xai-video accuracy`: held-out accuracy, recall and confusion, or k-fold cross-validation.

use clap::Args;
use outcome::{outln, Failure};
use video::all_clips;
use video::{cross_validate, evaluate_accuracy, VideoAccuracy};

use crate::args::{bar, DataArg, ModelArg};
use crate::failure::Error;

/// Accuracy, per-class recall and confusion matrix on a set's held-out clips, or
/// k-fold cross-validation over all its clips (--folds; trains k models with the given
/// model's settings).
#[derive(Args)]
pub(crate) struct AccuracyArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// Cross-validate over all clips with this many folds instead.
    #[arg(long)]
    folds: Option<usize>,
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: AccuracyArgs) -> Result<(), Error> {
    let model = args.model.load()?;
    let set = args.data.load()?;
    args.data.check_classes(&set, &model)?;
    if let Some(k) = args.folds {
        let clips = all_clips(&set);
        let progress = bar(k, "folds");
        let cv = cross_validate(&clips, &set.classes, k, &model.config.options, &|done, _| {
            progress.set_position(done as u64)
        })?;
        progress.finish_and_clear();
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&cv).expect("serialises"))?;
        } else {
            outln!(
                "{k}-fold cross-validation over {} clips; fold accuracies {:?}",
                clips.len(),
                cv.folds.iter().map(|f| (f.accuracy * 1000.0).round() / 1000.0).collect::<Vec<_>>()
            )?;
            print_evaluation(&cv.pooled, &set.classes)?;
        }
        return Ok(());
    }
    if set.test.is_empty() {
        return Err(Failure::invalid(format!(
            "{}: no held-out clips (give --folds for cross-validation)",
            args.data.data.display()
        ))
        .into());
    }
    let progress = bar(set.test.len(), "held-out clips");
    let e = evaluate_accuracy(&model, &set.test, &|done, _| progress.set_position(done as u64))?;
    progress.finish_and_clear();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&e).expect("serialises"))?;
    } else {
        outln!("{} ({})", args.data.data.display(), set.split)?;
        print_evaluation(&e, &set.classes)?;
    }
    Ok(())
}

pub(crate) fn print_evaluation(e: &VideoAccuracy, classes: &[String]) -> Result<(), Error> {
    outln!("accuracy {:.4} on {} clips", e.accuracy, e.clips)?;
    outln!("{:<20} {:>7}", "class", "recall")?;
    for (name, r) in classes.iter().zip(&e.recall) {
        outln!("{name:<20} {r:>7.3}")?;
    }
    outln!("confusion matrix (rows: true class, columns: predicted, in class order):")?;
    for row in &e.confusion {
        outln!("  {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>())?;
    }
    Ok(())
}
