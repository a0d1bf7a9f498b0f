//! `xai-text export`: a relvis model written as an ONNX model folder.

use std::path::PathBuf;

use clap::Args;
use outcome::outln;

use crate::args::ModelArg;
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The folder to write: model.onnx, tokenizer.json and config.json, the layout of an
    /// exported Hugging Face classifier (ONNX Runtime runs it; `--model` reads it back).
    #[arg(long, value_name = "DIR")]
    onnx: PathBuf,
    #[command(flatten)]
    model: ModelArg,
    /// Replace the folder if it exists.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: ExportArgs) -> Result<(), Error> {
    let model = args.model.load()?;
    text::export_onnx(&model, &args.onnx, args.force)?;
    outln!(
        "wrote {} (opset {}): {} classes, window {} tokens",
        args.onnx.display(),
        onnx_import::OPSET,
        model.config.classes.len(),
        model.cnn.arch.max_len
    )?;
    Ok(())
}
