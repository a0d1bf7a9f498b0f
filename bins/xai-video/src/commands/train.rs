//! `xai-video train`: the Fisher-vector / linear-SVM classifier trained and saved.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::outln;
use outcome::output::check_new;
use video::evaluate_accuracy;
use video::TrainOptions;

use crate::args::{bar, count, positive, DataArg, GridArg};
use crate::commands::accuracy::print_evaluation;
use crate::failure::Error;

/// Trains the Fisher-vector / linear-SVM classifier on a folder per class (or train/ with
/// val/ and test/ held out) and saves it; reports held-out accuracy.
#[derive(Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: DataArg,
    /// Model folder to write.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    grid: GridArg,
    /// Mixture components per descriptor type.
    #[arg(long, default_value_t = TrainOptions::default().components, value_parser = count)]
    components: usize,
    /// Descriptors drawn from each training clip to fit the PCA and the mixture.
    #[arg(long, default_value_t = TrainOptions::default().sample_per_clip, value_parser = count)]
    descriptors_per_clip: usize,
    /// The SVM's C.
    #[arg(long, default_value_t = TrainOptions::default().c, value_parser = positive)]
    c: f64,
    /// Replace an existing model folder.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: TrainArgs) -> Result<(), Error> {
    let options = TrainOptions {
        block: args.grid.block,
        components: args.components,
        sample_per_clip: args.descriptors_per_clip,
        c: args.c,
        ..TrainOptions::default()
    };
    train(&args.data, &args.out, options, args.force)
}

fn train(data: &DataArg, out: &Path, options: TrainOptions, force: bool) -> Result<(), Error> {
    check_new(out, force)?;
    let set = data.load()?;
    outln!(
        "{} classes, {} training clips, {} held out ({})",
        set.classes.len(),
        set.train.len(),
        set.test.len(),
        set.split
    )?;
    let progress = bar(2 * set.train.len(), "clips (sample, then Fisher vectors)");
    let mut model = video::train_classifier(&set.train, &set.classes, &options, &|done, _| {
        progress.set_position(done as u64)
    })?;
    progress.finish_and_clear();
    let t = &model.config.training;
    outln!(
        "trained in {:.1} s ({:.0} frames/s over both passes); training accuracy {:.4}",
        t.seconds,
        t.frames_per_second,
        t.train_accuracy
    )?;
    if !set.test.is_empty() {
        let progress = bar(set.test.len(), "held-out clips");
        let e =
            evaluate_accuracy(&model, &set.test, &|done, _| progress.set_position(done as u64))?;
        progress.finish_and_clear();
        print_evaluation(&e, &set.classes)?;
        model.config.test_accuracy = Some(e.accuracy);
    }
    model.save(out, force)?;
    outln!("model saved to {}", out.display())?;
    Ok(())
}
