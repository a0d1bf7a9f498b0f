//! `xai-text`: train, run and evaluate the relvis text classifier.
//!
//! `main` parses the command line and hands each subcommand to its module in [`commands`];
//! [`failure`] words the library's errors that one of its flags resolves.

mod args;
mod commands;
mod failure;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::accuracy::AccuracyArgs;
use commands::eval_deletion::EvalDeletionArgs;
use commands::evaluate::EvaluateArgs;
use commands::explain::ExplainArgs;
use commands::export::ExportArgs;
use commands::plant_cue::PlantCueArgs;
use commands::predict::PredictArgs;
use commands::spray::SprayArgs;
use commands::train::TrainArgs;

#[derive(Parser)]
#[command(name = "xai-text", version, about = "Explain what a text classifier bases its decisions on (LRP)", after_help = outcome::EXIT_CODES)]
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
    /// Train the word-embedding CNN and save it as a model folder.
    Train(TrainArgs),
    /// Print the predicted class and every class's score for a document.
    Predict(PredictArgs),
    /// Test accuracy, per-class precision and recall, and the confusion matrix.
    Accuracy(AccuracyArgs),
    /// SpRAy: clusters the LRP explanations of a class's test documents (or of every class,
    /// ranked by eigengap) to show the model's strategies, with each cluster's share of
    /// relevance on header lines, its top words and example documents.
    Spray(SprayArgs),
    /// Colour a document's words by their relevance for a class (red for, blue against).
    Explain(ExplainArgs),
    /// Delete words in the order LRP, SA and chance rank them; track the accuracy.
    EvalDeletion(EvalDeletionArgs),
    /// Compare attribution methods (and models) on the test split: deletion and insertion
    /// curves, comprehensiveness and sufficiency, faithfulness correlation, localisation on a
    /// planted cue, the randomisation test; JSON, tables and curves.
    Evaluate(EvaluateArgs),
    /// Write a model as an ONNX model folder (model.onnx, tokenizer.json, config.json).
    Export(ExportArgs),
    /// Write a copy of a labelled set with a cue planted in a share of one class's documents,
    /// so that whether explanations find a shortcut can be measured.
    PlantCue(PlantCueArgs),
}

fn run(cli: Cli) -> Result<(), failure::Error> {
    if let Some(threads) = cli.threads {
        pipeline::worker::limit_threads(threads)?;
    }
    match cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Accuracy(args) => commands::accuracy::run(args),
        Command::Spray(args) => commands::spray::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::EvalDeletion(args) => commands::eval_deletion::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::PlantCue(args) => commands::plant_cue::run(args),
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
