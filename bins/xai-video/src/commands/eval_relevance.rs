//! `xai-video eval-relevance`: perturbation curves (AOPC) and relevance on the figure and cue.

use std::path::PathBuf;

use clap::Args;
use outcome::outln;
use outcome::output::{check_new, write_file, StagedFile};
use video::default_rules;
use video::plot_perturbation;
use video::{evaluate_relevance, planted_cue, PerturbationSettings};

use crate::args::{bar, count, share, DataArg, ModelArg};
use crate::failure::Error;

/// Measures the explanations on a set's held-out clips: perturbation curves (the motion of
/// the most relevant blocks removed first, against random orders; AOPC) and, on synthetic
/// clips, the share of positive relevance on the figure and on a planted cue.
#[derive(Args)]
pub(crate) struct EvalRelevanceArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    model: ModelArg,
    /// Removal steps.
    #[arg(long, default_value_t = 10, value_parser = count)]
    steps: usize,
    /// Share of all block cells removed by the last step.
    #[arg(long, default_value_t = 0.2, value_parser = share)]
    fraction: f64,
    /// Random orders to compare with.
    #[arg(long, default_value_t = 3)]
    random_orders: usize,
    /// Explain at most this many held-out clips.
    #[arg(long)]
    limit: Option<usize>,
    /// Write the report as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the mean curves (.png or .svg).
    #[arg(long)]
    plot: Option<PathBuf>,
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: EvalRelevanceArgs) -> Result<(), Error> {
    let (data, model, limit) = (&args.data, &args.model, args.limit);
    let (steps, fraction, random_orders) = (args.steps, args.fraction, args.random_orders);
    let (json, plot, force) = (args.json.as_deref(), args.plot.as_deref(), args.force);
    for path in json.iter().chain(plot.iter()) {
        check_new(path, force)?;
    }
    let plot = plot.map(|path| StagedFile::new(path, force)).transpose()?;
    let model = model.load()?;
    let set = data.load()?;
    data.check_classes(&set, &model)?;
    let clips: Vec<_> = set.test.iter().take(limit.unwrap_or(usize::MAX)).cloned().collect();
    let cue = planted_cue(&data.data);
    let progress = bar(clips.len(), "held-out clips");
    let report = evaluate_relevance(
        &model,
        &clips,
        cue.as_ref(),
        &PerturbationSettings { steps, fraction, random_orders },
        &default_rules(),
        &|done, _| progress.set_position(done as u64),
    )?;
    progress.finish_and_clear();
    outln!("{} correctly classified held-out clips explained for their class; {steps} steps of {:.1} % of the block cells", report.clips, 100.0 * fraction / steps as f64)?;
    for c in &report.mean_curves {
        outln!(
            "  {:<7} mean score {}  AOPC {:.4}",
            c.order,
            c.scores.iter().map(|s| format!("{s:+.3}")).collect::<Vec<_>>().join(" "),
            c.aopc
        )?;
    }
    outln!("share of positive relevance on the figure (and the figure's share of the picture):")?;
    for c in report.per_class.iter().filter(|c| c.clips > 0) {
        let cue = c
            .cue
            .map(|s| format!("; on the planted cue {:.3} (area {:.3})", s.relevance, s.area))
            .unwrap_or_default();
        outln!(
            "  {:<14} {:>3} clips  {:.3} (area {:.3}){cue}",
            c.class,
            c.clips,
            c.figure.relevance,
            c.figure.area
        )?;
    }
    if let Some(staged) = plot {
        plot_perturbation(&report.mean_curves, fraction, staged.path())?;
        staged.commit()?;
    }
    if let Some(path) = json {
        write_file(path, force, |w| {
            serde_json::to_writer_pretty(w, &report).map_err(std::io::Error::from)
        })?;
    }
    Ok(())
}
