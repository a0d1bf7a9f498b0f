//! `xai-text evaluate`: attribution methods, and models, compared on a set's test split by
//! faithfulness, localisation on a planted cue and the randomisation test.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use outcome::output::StagedFolder;
use outcome::{errln, outln, Failure};
use text::CueRecord;
use text::{evaluate_model, EvaluationReport, EvaluationSettings, Phase};
use text::{Method, OnnxTextClassifier, TextClassifier, TextError};

use crate::args::DataArg;
use crate::failure::Error;

/// The methods compared unless told otherwise.
const METHODS: [&str; 7] = [
    "lrp epsilon=0.01",
    "lrp epsilon=0.01;conv1d:zplus",
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
    /// A model folder made by `xai-text train`, or `default` for the model embedded in the
    /// binary; give it again for each model to compare [default: the embedded model].
    #[arg(long = "model", value_name = "DIR")]
    models: Vec<PathBuf>,
    /// A method as `explain --method` takes it, LRP with its rules after a space (`lrp
    /// epsilon=0.01;conv1d:zplus`); give it again for each method [default: LRP-ε, LRP with z⁺
    /// in the convolution, SA, G×I, IG, SmoothGrad, occlusion]. A random ranking always runs.
    #[arg(long = "method", value_name = "METHOD")]
    methods: Vec<String>,
    /// Words deleted or inserted along the curves.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Shares of the words for comprehensiveness and sufficiency.
    #[arg(long = "share", default_values_t = [0.1, 0.2, 0.5])]
    shares: Vec<f64>,
    /// The frequent neutral word that replaces deleted words in the in-distribution curve.
    #[arg(long, default_value = "the")]
    replacement: String,
    /// Documents the randomisation test explains (spread over the split; 0 skips it).
    #[arg(long, default_value_t = 200)]
    randomisation_documents: usize,
    /// Use only this many test documents, spread evenly over the split.
    #[arg(long)]
    limit: Option<usize>,
    /// On a set with a planted cue, evaluate only the test documents that hold it.
    #[arg(long)]
    cue_documents_only: bool,
    /// Seeds the random ranking and the randomised models.
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
        .map_err(TextError::from)?;
    let models: Vec<(String, TextClassifier)> = if args.models.is_empty() {
        vec![("default".to_string(), text::default_model()?)]
    } else {
        let load = |dir: &PathBuf| {
            match dir {
            _ if dir.as_os_str() == "default" && !dir.exists() => text::default_model(),
            _ if OnnxTextClassifier::is_onnx_folder(dir) => Err(TextError::Model(format!("{}: an ONNX model; evaluate takes relvis models (its perturbations run on the CNN's incremental document)", dir.display()))),
            _ => TextClassifier::load(dir),
        }
        };
        args.models
            .iter()
            .map(|dir| Ok((dir.display().to_string(), load(dir)?)))
            .collect::<Result<_, Error>>()?
    };
    let (corpus, _) = args.data.load(Some(&models[0].1.config))?;
    let cue = if args.data.path().is_dir() { CueRecord::read(&args.data.path())? } else { None };
    if let Some(c) = &cue {
        errln!("a planted set: cue `{}` in {} documents of {}", c.cue, c.planted.len(), c.class);
    }
    let test = match (&cue, args.cue_documents_only) {
        (Some(c), true) => corpus.test.iter().filter(|d| c.holds(&d.id)).cloned().collect(),
        (None, true) => {
            return Err(Failure::usage(format!(
                "--cue-documents-only: {} holds no planted cue (no {})",
                args.data.path().display(),
                text::CUE_FILE
            ))
            .into())
        }
        (_, false) => corpus.test.clone(),
    };
    let docs = pipeline::split::evenly_spread(&test, args.limit);
    let settings = EvaluationSettings {
        methods,
        steps: args.steps,
        shares: args.shares.clone(),
        replacement: args.replacement.clone(),
        randomisation_documents: args.randomisation_documents,
        seed: args.seed,
    };
    let mut report = EvaluationReport {
        steps: args.steps,
        shares: args.shares.clone(),
        replacement: args.replacement.clone(),
        models: Vec::new(),
    };
    for (name, model) in &models {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} documents ({eta} left)")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        let evaluation = evaluate_model(
            name,
            model,
            &docs,
            &corpus.classes,
            cue.as_ref(),
            &settings,
            &|phase, done, total| {
                bar.set_message(format!(
                    "{name}: {}",
                    if phase == Phase::Faithfulness { "faithfulness" } else { "randomisation" }
                ));
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            },
        )?;
        bar.finish_and_clear();
        errln!(
            "{name}: {} documents × {} rankings in {:.0} s",
            evaluation.documents,
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
    text::plot_evaluation(&report, &staged.path().join("evaluation.png"))?;
    if args.html {
        let title = format!("relvis evaluation: {}", args.data.path().display());
        write(
            "evaluation.html",
            viewer::evaluation_html(&text::evaluation_page(&report, &title)).as_bytes(),
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
