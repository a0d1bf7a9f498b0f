//! `xai-text evaluate`: attribution methods, and models, compared on a set's test split by
//! faithfulness, localisation on a planted cue and the randomisation test.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use outcome::output::StagedFolder;
use outcome::{errln, outln, Failure};
use text::CueRecord;
use text::{evaluate_model, EvaluationReport, EvaluationSettings, Phase};
use text::{AnyTextModel, Method, TextError, TextModel, ATTENTION_RULE};

use crate::args::DataArg;
use crate::failure::Error;

/// The methods compared on a model with attention unless told otherwise.
const ATTENTION_METHODS: &[&str] =
    &["lrp attnlrp", "lrp cp-lrp", "sa", "gxi", "ig", "smoothgrad", "occlusion"];

/// The methods compared unless told otherwise.
const METHODS: &[&str] = &[
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
    /// A model folder made by `xai-text train` or exported to ONNX (a transformer too), or
    /// `default` for the model embedded in the binary; give it again for each model to compare
    /// [default: the embedded model].
    #[arg(long = "model", value_name = "DIR")]
    models: Vec<PathBuf>,
    /// A method as `explain --method` takes it, LRP with its rules after a space (`lrp
    /// epsilon=0.01;conv1d:zplus`); give it again for each method [default: LRP-ε, LRP with z⁺
    /// in the convolution, SA, G×I, IG, SmoothGrad, occlusion; for a model with attention
    /// AttnLRP and CP-LRP in place of the two LRP]. A random ranking always runs.
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
    let models: Vec<(String, AnyTextModel)> = if args.models.is_empty() {
        vec![("default".to_string(), AnyTextModel::Native(text::default_model()?))]
    } else {
        let load = |dir: &PathBuf| match dir {
            _ if dir.as_os_str() == "default" && !dir.exists() => {
                text::default_model().map(AnyTextModel::Native)
            }
            _ => text::load_model(dir),
        };
        args.models
            .iter()
            .map(|dir| Ok((dir.display().to_string(), load(dir)?)))
            .collect::<Result<_, Error>>()?
    };
    // Transformers are compared by their own methods (AttnLRP, CP-LRP) beside the rest.
    let defaults =
        if models[0].1.default_rule() == ATTENTION_RULE { ATTENTION_METHODS } else { METHODS };
    let written: Vec<String> = if args.methods.is_empty() {
        defaults.iter().map(|m| m.to_string()).collect()
    } else {
        args.methods.clone()
    };
    let methods = written
        .iter()
        .map(|m| m.parse::<Method>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(TextError::from)?;
    let (corpus, _) = args.data.load(models[0].1.native().map(|m| &m.config))?;
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
    // A model trained on some of the set's classes (a fine-tuned transformer, say) is judged
    // on the documents of the classes every compared model knows.
    let known = |class: &str| models.iter().all(|(_, m)| m.classes().iter().any(|c| c == class));
    let before = test.len();
    let test: Vec<_> = test.into_iter().filter(|d| known(&corpus.classes[d.label])).collect();
    if test.is_empty() {
        return Err(TextError::Dataset(format!(
            "{}: none of its {before} test documents is of a class the model knows ({})",
            args.data.path().display(),
            models[0].1.classes().join(", ")
        ))
        .into());
    }
    if test.len() < before {
        errln!(
            "{} of {before} test documents are of classes the model does not know; left out",
            before - test.len()
        );
    }
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
