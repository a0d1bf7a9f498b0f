//! `xai-text predict`: a document's predicted class and every class's score.

use std::path::PathBuf;

use clap::Args;
use outcome::{errln, outln};

use outcome::output::Sink;

use pipeline::worker::serve_rows;
use text::TextModel;

use crate::args::{read_document, row_document, ModelArg};
use crate::failure::{text_failure, Error};

#[derive(Args)]
pub(crate) struct PredictArgs {
    /// The document: a file, or `-` for standard input.
    #[arg(required_unless_present = "jsonl")]
    input: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Worker mode: read one JSON object per line (`{"id": …, "text": …}`) from this file or
    /// `-`; write one JSON line per input line in input order, `{"id": …, "prediction": …}`, or
    /// an error record for a bad row.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["input", "json"])]
    jsonl: Option<PathBuf>,
    /// With --jsonl: write to this file instead of standard output.
    #[arg(long, requires = "jsonl")]
    out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long, requires = "out")]
    force: bool,
}

pub(crate) fn run(args: PredictArgs) -> Result<(), Error> {
    let model = args.model.load_any()?;
    let Some(input) = &args.input else {
        let mut out = Sink::open(args.out.as_deref(), args.force)?;
        let jsonl = args.jsonl.as_deref().expect("clap requires an input or --jsonl");
        serve_rows(jsonl, &mut out, "prediction", |row| {
            model.predict(&row_document(row)?).map_err(text_failure)
        })?;
        return Ok(out.finish()?);
    };
    let prediction = model.predict(&read_document(input)?)?;
    if let Some(note) = text::unknown_words_note(&prediction.known_words) {
        let warning = if prediction.known_words.known == 0 { "warning: " } else { "" };
        errln!("{warning}{}: {note}", input.display());
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&prediction).expect("serialises"))?;
        return Ok(());
    }
    outln!(
        "predicted: {} (p = {:.3})",
        prediction.class_name,
        prediction.probabilities[prediction.class]
    )?;
    let mut order: Vec<usize> = (0..prediction.scores.len()).collect();
    order.sort_by(|&a, &b| prediction.scores[b].total_cmp(&prediction.scores[a]));
    for c in order {
        outln!(
            "  {:<28} score {:>8.3}  p {:.3}",
            model.classes()[c],
            prediction.scores[c],
            prediction.probabilities[c]
        )?;
    }
    Ok(())
}
