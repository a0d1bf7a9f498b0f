//! `xai-text accuracy`: test accuracy, per-class precision and recall, the confusion matrix.

use clap::Args;
use outcome::outln;
use text::encode;
use text::{evaluate_examples, evaluate_texts};

use crate::args::{DataArg, ModelArg};
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct AccuracyArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// Remove the header lines (up to the first blank line) of the test documents before
    /// the model reads them: how much a model trained with headers leans on them.
    #[arg(long)]
    strip_test_headers: bool,
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: AccuracyArgs) -> Result<(), Error> {
    let model = args.model.load_any()?;
    let (mut corpus, _) = args.data.load_for(&model)?;
    if args.strip_test_headers {
        for d in &mut corpus.test {
            d.text = text::strip_header(&d.text).to_string();
        }
    }
    let e = match model.native() {
        Some(native) => evaluate_examples(
            &native.cnn,
            &encode(&corpus.test, native.config.cleaning, &native.tokenizer)?,
            corpus.classes.len(),
        ),
        None => evaluate_texts(&model, &corpus.test, &corpus.classes)?,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&e).expect("serialises"))?;
        return Ok(());
    }
    outln!(
        "test accuracy {:.4} on {} documents; macro precision {:.4}, recall {:.4}, F1 {:.4}\n",
        e.accuracy,
        e.documents,
        e.macro_precision,
        e.macro_recall,
        e.macro_f1
    )?;
    outln!("{:<28} {:>9} {:>7} {:>7}", "class", "precision", "recall", "F1")?;
    for (c, name) in corpus.classes.iter().enumerate() {
        outln!("{name:<28} {:>9.3} {:>7.3} {:>7.3}", e.precision[c], e.recall[c], e.f1[c])?;
    }
    outln!("\nconfusion matrix (rows: true class, columns: predicted, in class order):")?;
    for (c, row) in e.confusion.iter().enumerate() {
        outln!("{c:>3} {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>())?;
    }
    Ok(())
}
