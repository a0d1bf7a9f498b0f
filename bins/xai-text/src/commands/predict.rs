//! `xai-text predict`: a document's predicted class and every class's score.

use std::path::PathBuf;

use clap::Args;
use outcome::outln;

use crate::args::{read_document, ModelArg};
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct PredictArgs {
    /// The document: a file, or `-` for standard input.
    input: PathBuf,
    #[command(flatten)]
    model: ModelArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: PredictArgs) -> Result<(), Error> {
    let model = args.model.load_any()?;
    let prediction = model.predict(&read_document(&args.input)?)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&prediction).expect("serialises"))?;
        return Ok(());
    }
    outln!("predicted: {} (p = {:.3})", prediction.class_name, prediction.probabilities[prediction.class])?;
    let mut order: Vec<usize> = (0..prediction.scores.len()).collect();
    order.sort_by(|&a, &b| prediction.scores[b].total_cmp(&prediction.scores[a]));
    for c in order {
        outln!("  {:<28} score {:>8.3}  p {:.3}", model.classes()[c], prediction.scores[c], prediction.probabilities[c])?;
    }
    Ok(())
}
