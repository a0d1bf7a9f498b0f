//! `xai-video evaluate`: attribution methods, and models, compared on a set's held-out clips by
//! deletion and insertion, localisation on masks and a planted cue, and the randomisation test.

use std::path::PathBuf;

use clap::Args;
use outcome::output::StagedFolder;
use outcome::{errln, outln, Failure};
use video::planted_cue;
use video::Method;
use video::{evaluate_video, VideoEvaluationReport, VideoEvaluationSettings};
use video::{VideoClassifier, VideoError};

use crate::args::{bar, count, share, DataArg};
use crate::failure::Error;

/// The methods compared unless told otherwise.
const METHODS: [&str; 7] = [
    "lrp epsilon=0.001",
    "lrp epsilon=0.001;dense:zplus",
    "sa",
    "gxi",
    "ig",
    "smoothgrad",
    "occlusion",
];

#[derive(Args)]
pub(crate) struct EvaluateArgs {
    #[command(flatten)]
    data: DataArg,
    /// A model folder made by `xai-video train`, or `default` for the model embedded in the
    /// binary; give it again for each model to compare [default: the embedded model].
    #[arg(long = "model", value_name = "DIR")]
    models: Vec<PathBuf>,
    /// A method as `lrp RULES`, `sa`, `gxi`, `ig[:steps=N,quadrature=midpoint|gauss-legendre|graded]`,
    /// `smoothgrad[:samples=N,noise=F,seed=S]`
    /// or `occlusion[:blocks=B,frames=F]`; give it again for each method [default: LRP-ε, LRP
    /// with z⁺ on the SVM, SA, G×I, IG, SmoothGrad, occlusion]. A random order always runs.
    #[arg(long = "method", value_name = "METHOD")]
    methods: Vec<String>,
    /// Deletion and insertion steps.
    #[arg(long, default_value_t = 10, value_parser = count)]
    steps: usize,
    /// Share of all block cells deleted (or inserted) by the last step.
    #[arg(long, default_value_t = 0.2, value_parser = share)]
    fraction: f64,
    /// Clips the randomisation test explains (spread over the held-out clips; 0 skips it).
    #[arg(long, default_value_t = 20)]
    randomisation_clips: usize,
    /// Use only this many held-out clips, spread evenly over them.
    #[arg(long)]
    limit: Option<usize>,
    /// Seeds the random order and the randomised models.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write `evaluation.html`: one self-contained page with the tables (sortable by each
    /// measure) and the curves, whose lines can be switched per method.
    #[arg(long)]
    html: bool,
    /// The folder to write: evaluation.json, evaluation.md (the tables), evaluation.png.
    #[arg(long, default_value = "evaluation")]
    out: PathBuf,
    /// Write into a folder that holds files.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: EvaluateArgs) -> Result<(), Error> {
    let staged = StagedFolder::new(&args.out, args.force)?;
    let written: Vec<String> = if args.methods.is_empty() {
        METHODS.iter().map(|m| m.to_string()).collect()
    } else {
        args.methods.clone()
    };
    let methods = written
        .iter()
        .map(|m| m.parse::<Method>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(VideoError::from)?;
    let models: Vec<(String, VideoClassifier)> = if args.models.is_empty() {
        vec![("default".to_string(), video::default_model()?)]
    } else {
        let load = |dir: &PathBuf| {
            if dir.as_os_str() == "default" && !dir.exists() {
                video::default_model()
            } else {
                VideoClassifier::load(dir)
            }
        };
        args.models
            .iter()
            .map(|dir| Ok((dir.display().to_string(), load(dir)?)))
            .collect::<Result<_, Error>>()?
    };
    let set = args.data.load()?;
    for (_, model) in &models {
        args.data.check_classes(&set, model)?;
    }
    if set.test.is_empty() {
        return Err(Failure::invalid(format!(
            "{}: no held-out clips to evaluate",
            args.data.data.display()
        ))
        .into());
    }
    let cue = planted_cue(&args.data.data);
    if let Some((kind, carriers)) = &cue {
        errln!("a planted cue ({kind:?}) in {} clips", carriers.len());
    }
    let clips = pipeline::split::evenly_spread(&set.test, args.limit);
    let settings = VideoEvaluationSettings {
        methods,
        steps: args.steps,
        fraction: args.fraction,
        randomisation_clips: args.randomisation_clips,
        seed: args.seed,
    };
    let mut report =
        VideoEvaluationReport { steps: args.steps, fraction: args.fraction, models: Vec::new() };
    for (name, model) in &models {
        let progress = bar(
            clips.len() + args.randomisation_clips.min(clips.len()),
            &format!("clips ({name}; then the randomisation test)"),
        );
        let evaluation =
            evaluate_video(model, name, &clips, cue.as_ref(), &settings, &|done, _| {
                progress.set_position(done as u64)
            })?;
        progress.finish_and_clear();
        errln!(
            "{name}: {} clips × {} rankings in {:.0} s",
            evaluation.clips,
            evaluation.methods.len(),
            evaluation.seconds
        );
        report.models.push(evaluation);
    }
    let table = report.table();
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(staged.path().join(name), bytes)
            .map_err(|e| staged.name_destination(Failure::writing(&staged.path().join(name), &e)))
    };
    write(
        "evaluation.json",
        (serde_json::to_string_pretty(&report).expect("serialises") + "\n").as_bytes(),
    )?;
    write("evaluation.md", table.as_bytes())?;
    video::plot_evaluation(&report, &staged.path().join("evaluation.png"))?;
    if args.html {
        let title = format!("relvis evaluation: {}", args.data.data.display());
        write(
            "evaluation.html",
            viewer::evaluation_html(&video::evaluation_page(&report, &title)).as_bytes(),
        )?;
    }
    staged.commit()?;
    outln!(
        "{table}evaluation.json, evaluation.md{} and evaluation.png written to {}",
        if args.html { ", evaluation.html" } else { "" },
        args.out.display()
    )?;
    Ok(())
}
