//! `xai-text eval-deletion`: words deleted in the order LRP, SA and chance rank them, and the
//! accuracy after each step; in shards (`--shard K/N` writes counts) merged exactly (`--merge`).

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use outcome::output::{write_file, StagedFile};
use outcome::{outln, Failure};
use text::TextModel;
use text::{count_deletion, DeletionCounts, Shard};
use text::{DeletionConfig, DeletionReport};

use crate::args::{DataArg, ModelArg};
use crate::failure::Error;

#[derive(Args)]
pub(crate) struct EvalDeletionArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// Words deleted per document.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// The LRP rule (or composite) that ranks words [default: as for `explain`].
    #[arg(long)]
    rule: Option<String>,
    /// Random orders averaged for the chance baseline.
    #[arg(long, default_value_t = 3)]
    random_seeds: u64,
    /// Use only this many test documents, spread evenly over the split.
    #[arg(long)]
    limit: Option<usize>,
    /// Where to write every curve as JSON.
    #[arg(long, default_value = "deletion.json")]
    json: PathBuf,
    /// Where to draw the curves (`.png` or `.svg`).
    #[arg(long, default_value = "deletion.png")]
    plot: PathBuf,
    /// Curves per true class too (in the JSON and the summary).
    #[arg(long)]
    per_class: bool,
    /// Count only every N-th document from the K-th (`K/N`, K from 1) and write the counts to
    /// `--json`, to be merged by `--merge` into the report of the whole run.
    #[arg(long, value_name = "K/N", conflicts_with = "merge")]
    shard: Option<Shard>,
    /// Merge the counts of `--shard` runs (all N of them) into the report and plot, without
    /// loading the model or the data.
    #[arg(long, value_name = "PART", num_args = 1..)]
    merge: Vec<PathBuf>,
    /// Replace the output files if they exist.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: EvalDeletionArgs) -> Result<(), Error> {
    if !args.merge.is_empty() {
        return merge(&args);
    }
    let plot = args.shard.is_none().then(|| StagedFile::new(&args.plot, args.force)).transpose()?;
    outcome::output::check_new(&args.json, args.force)?;
    let model = args.model.load_any()?;
    let written = args.rule.as_deref().unwrap_or(model.default_rule());
    let rule = written.parse().map_err(|e| Failure::usage(format!("--rule {written}: {e}")))?;
    let (corpus, _) = args.data.load_for(&model)?;
    let test = pipeline::split::evenly_spread(
        &text::deletion_documents(&model, &corpus.test, &corpus.classes)?,
        args.limit,
    );
    let per_class = args.per_class.then(|| model.classes().to_vec());
    let config =
        DeletionConfig { steps: args.steps, rule, random_seeds: args.random_seeds, per_class };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "deleting words [{bar:30}] {pos}/{len} documents ({eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    let start = std::time::Instant::now();
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let counts = count_deletion(&model, &test, &config, shard, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let documents: usize = counts.groups.iter().map(|g| g.documents).sum();
    let Some(plot) = plot else {
        write_file(&args.json, args.force, |w| {
            serde_json::to_writer_pretty(w, &counts).map_err(std::io::Error::from)
        })?;
        outln!("shard {shard}: {documents} of {} documents × {} rankings × {} steps in {seconds:.0} s; counts in {} (merge all {} with --merge)", test.len(), 2 + config.random_seeds, config.steps, args.json.display(), shard.count)?;
        return Ok(());
    };
    let report = counts.report()?;
    write_report(&args, &report, plot)?;
    outln!("{documents} documents × {} rankings × {} steps in {seconds:.0} s; curves in {}, plot in {}", 2 + report.random_seeds, report.steps, args.json.display(), args.plot.display())?;
    Ok(())
}

/// `--merge`: the report of the whole run from the counts of its shards.
fn merge(args: &EvalDeletionArgs) -> Result<(), Error> {
    let plot = StagedFile::new(&args.plot, args.force)?;
    outcome::output::check_new(&args.json, args.force)?;
    let parts = args
        .merge
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| Failure::reading(path, &e))?;
            serde_json::from_slice::<DeletionCounts>(&bytes).map_err(|e| {
                Failure::invalid(format!(
                    "{}: not the counts of an `eval-deletion --shard` run ({e})",
                    path.display()
                ))
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let report = DeletionCounts::merge(parts)?.report()?;
    write_report(args, &report, plot)?;
    outln!(
        "{} shards merged; curves in {}, plot in {}",
        args.merge.len(),
        args.json.display(),
        args.plot.display()
    )?;
    Ok(())
}

/// Writes the curves and the plot, and prints the accuracies at a few steps.
fn write_report(
    args: &EvalDeletionArgs,
    report: &DeletionReport,
    plot: StagedFile,
) -> Result<(), Error> {
    text::plot_deletion(report, plot.path())?;
    write_file(&args.json, args.force, |w| {
        serde_json::to_writer_pretty(w, report).map_err(std::io::Error::from)
    })?;
    plot.commit()?;
    let mut columns = vec![0, report.steps / 5, report.steps / 2, report.steps];
    columns.dedup();
    let mut sections = vec![
        ("(a) correctly classified".to_string(), &report.correct),
        ("(b) misclassified".to_string(), &report.misclassified),
    ];
    for c in &report.per_class {
        sections.push((format!("{}, (a) correctly classified", c.class), &c.correct));
        sections.push((format!("{}, (b) misclassified", c.class), &c.misclassified));
    }
    for (name, experiment) in sections {
        outln!("{name}: {} documents, {} first", experiment.documents, experiment.order)?;
        let header: String = columns.iter().map(|k| format!(" {k:>7}")).collect();
        outln!("  {:<8}{header}   area over the curve", "method")?;
        for c in &experiment.curves {
            let row: String = columns.iter().map(|&k| format!(" {:>7.3}", c.accuracy[k])).collect();
            outln!("  {:<8}{row}   {:.4}", c.method, c.area)?;
        }
    }
    Ok(())
}
