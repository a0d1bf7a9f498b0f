//! `xai-video`: explain what a video action classifier bases its decisions on.
//!
//! `main` parses the command line and hands each subcommand to its module in [`commands`];
//! [`failure`] words the library's errors that one of its flags resolves.

mod args;
mod commands;
mod failure;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::accuracy::AccuracyArgs;
use commands::descriptors::DescriptorsArgs;
use commands::eval_relevance::EvalRelevanceArgs;
use commands::evaluate::EvaluateArgs;
use commands::explain::ExplainArgs;
use commands::mv::MvArgs;
use commands::predict::PredictArgs;
use commands::show_mv::ShowMvArgs;
use commands::spray::SprayArgs;
use commands::spray_frames::SprayFramesArgs;
use commands::synth::SynthArgs;
use commands::train::TrainArgs;

#[derive(Parser)]
#[command(name = "xai-video", version, about = "Explain what a video action classifier bases its decisions on: motion from compressed video, Fisher vectors and a linear SVM, explained with LRP onto blocks and frames", after_help = outcome::EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Threads for parallel work [default: one per core]; bound it where several workers share
    /// a machine.
    #[arg(long, global = true)]
    threads: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Codec, size, frame types, vectors per frame and mean motion of a clip.
    Mv(MvArgs),
    /// Writes PNG frames with the motion field drawn over the decoded picture.
    ShowMv(ShowMvArgs),
    /// Renders the synthetic action set: H.264 clips in a folder per class, with per-frame
    /// figure masks (`.mask.pbm`) and `manifest.json`.
    Synth(SynthArgs),
    /// Trains the Fisher-vector / linear-SVM classifier on a folder per class (or train/ with
    /// val/ and test/ held out) and saves it; reports held-out accuracy.
    Train(TrainArgs),
    /// The predicted class and every class's score for a clip; for several clips or folders
    /// (searched for video files), one line per clip in the order given (JSON lines with
    /// --json), clips in parallel.
    Predict(PredictArgs),
    /// Accuracy, per-class recall and confusion matrix on a set's held-out clips, or
    /// k-fold cross-validation over all its clips (--folds; trains k models with the given
    /// model's settings).
    Accuracy(AccuracyArgs),
    /// Explains the classifier's score for a clip with LRP onto blocks and frames: a JSON
    /// report, the per-frame relevance curve, heatmap overlays (PNG and an H.264 video) and a
    /// montage of the most relevant frames, in --out.
    Explain(ExplainArgs),
    /// Measures the explanations on a set's held-out clips: perturbation curves (the motion of
    /// the most relevant blocks removed first, against random orders; AOPC) and, on synthetic
    /// clips, the share of positive relevance on the figure and on a planted cue.
    EvalRelevance(EvalRelevanceArgs),
    /// Compares attribution methods (LRP, SA, G×I, IG, SmoothGrad, occlusion, random) and
    /// models on a set's held-out clips: deletion (motion removed, or imputed from the
    /// neighbours) and insertion curves, localisation on masks and a planted cue, the
    /// randomisation test; evaluation.json, .md and .png in --out.
    Evaluate(EvaluateArgs),
    /// SpRAy: clusters the relevance maps of a class's clips (or of every class, ranked by
    /// eigengap) to show the model's strategies; JSON, spectrum, embedding and cluster maps.
    Spray(SprayArgs),
    /// SpRAy over the frames of one clip: its phases, by the frames' relevance maps.
    SprayFrames(SprayFramesArgs),
    /// HOF, MBHx and MBHy descriptors of a clip: a summary, or JSON lines with --out.
    Descriptors(DescriptorsArgs),
}

fn run(cli: Cli) -> Result<(), failure::Error> {
    if let Some(threads) = cli.threads {
        pipeline::worker::limit_threads(threads)?;
    }
    match cli.command {
        Command::Mv(args) => commands::mv::run(args),
        Command::ShowMv(args) => commands::show_mv::run(args),
        Command::Synth(args) => commands::synth::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Accuracy(args) => commands::accuracy::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::EvalRelevance(args) => commands::eval_relevance::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Spray(args) => commands::spray::run(args),
        Command::SprayFrames(args) => commands::spray_frames::run(args),
        Command::Descriptors(args) => commands::descriptors::run(args),
    }
}

fn main() -> ExitCode {
    outcome::heap::keep_freed_memory();
    outcome::threads::products_on_calling_thread();
    let cli = Cli::parse();
    if let Err(e) = outcome::interrupt::install() {
        outcome::errln!("Ctrl-C will not clean up: {e}");
    }
    outcome::finish(run(cli).map_err(|e| e.into_failure(failure::hint)))
}
