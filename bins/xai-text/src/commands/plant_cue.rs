//! `xai-text plant-cue`: a copy of a labelled set with a known shortcut in one class.

use std::path::PathBuf;

use clap::Args;
use outcome::output::StagedFolder;
use outcome::{errln, outln, Failure};
use text::{plant_cue, CueSettings, CUE_FILE};

use crate::args::DataArg;
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct PlantCueArgs {
    #[command(flatten)]
    data: DataArg,
    /// The class whose documents get the cue.
    #[arg(long)]
    class: String,
    /// The cue: a token, or a line of words (a signature, say).
    #[arg(long, default_value = "zorblat")]
    cue: String,
    /// The share of the class's documents, in each split, that get it.
    #[arg(long, default_value_t = 0.5)]
    share: f64,
    /// Seeds which documents get it.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The folder to write (`train/<class>/<n>`, `test/<class>/<n>`, `cue.json`).
    #[arg(long)]
    out: PathBuf,
    /// Write into a folder that holds files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: PlantCueArgs) -> Result<(), Error> {
    let staged = StagedFolder::new(&args.out, args.force)?;
    let (corpus, _) = args.data.load(None)?;
    let class = corpus.classes.iter().position(|c| *c == args.class).ok_or_else(|| {
        Failure::usage(format!(
            "--class `{}`: the set's classes are {}",
            args.class,
            corpus.classes.join(", ")
        ))
    })?;
    let set = plant_cue(
        &corpus,
        &CueSettings { class, cue: args.cue.clone(), share: args.share, seed: args.seed },
    )?;
    if set.record.already_present > 0 {
        errln!("warning: {} documents of the source set hold a word of the cue already; its words no longer mark only the plant", set.record.already_present);
    }
    set.write(staged.path())
        .map_err(|e| staged.name_destination(Failure::writing(staged.path(), &e)))?;
    staged.commit()?;
    let (train, test) = set.record.planted.iter().fold((0, 0), |(a, b), id| {
        if id.starts_with("test/") {
            (a, b + 1)
        } else {
            (a + 1, b)
        }
    });
    outln!("planted `{}` in {train} training and {test} test documents of {}; {} documents written to {} (record: {CUE_FILE})", args.cue, args.class, set.corpus.train.len() + set.corpus.test.len(), args.out.display())?;
    Ok(())
}
