//! `xai-video spray`: SpRAy over a set's clips, class by class, or over explanations gathered
//! from the worker mode.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::Array3;
use pipeline::worker::gather;

use clap::Args;
use outcome::output::StagedFolder;
use outcome::{outln, Failure};
use spray::plot::plot_class;
use spray::rank_by_eigengap;
use video::all_clips;
use video::planted_cue;
use video::plot_cluster_maps;
use video::ExplanationRecord;
use video::MotionOptions;
use video::{class_strategies, pooled_record, strategies, ClassStrategies, Grid, SprayMapSettings};
use video::{spray_page, ClipView};

use crate::args::{bar, count, DataArg, ModelArg, SprayArg};
use crate::failure::{video_failure, Error};

/// SpRAy: clusters the relevance maps of a class's clips (or of every class, ranked by
/// eigengap) to show the model's strategies; JSON, spectrum, embedding and cluster maps.
#[derive(Args)]
pub(crate) struct SprayArgs {
    #[command(flatten)]
    data: Option<DataArg>,
    /// Cluster explanations made elsewhere instead of computing them: files of the worker
    /// mode's output (`explain --jsonl`, JSON lines with `id` and `explanation` holding
    /// `blocks`), gathered from shards or from the Python package, read in the order given.
    /// Each explanation counts for the class it explains; the clips' ids name them.
    #[arg(long, num_args = 1.., value_name = "PARTS", conflicts_with_all = ["data", "model"], required_unless_present = "data")]
    explanations: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArg,
    /// The class to analyse; every class (ranked by eigengap) if not given.
    #[arg(long)]
    class: Option<String>,
    #[command(flatten)]
    spray: SprayArg,
    /// Time bins of the pooled maps.
    #[arg(long, default_value_t = 4, value_parser = count)]
    time_bins: usize,
    /// Also write `report.html` into the report: one self-contained page to explore the
    /// classes' spectra, embeddings and clusters and every clip's most relevant frames.
    #[arg(long)]
    html: bool,
    /// Folder for the report.
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: SprayArgs) -> Result<(), Error> {
    let grid = (args.time_bins, args.spray.rows, args.spray.cols);
    match &args.data {
        Some(data) => spray_set(&args, data),
        None => spray_gathered(
            &args.explanations,
            args.class.as_deref(),
            grid,
            &args.spray,
            args.html,
            &args.out,
            args.force,
        ),
    }
}

/// A class's gathered clips: their paths, pooled maps and page views.
type GatheredClips = (Vec<PathBuf>, Vec<Array3<f64>>, Vec<ClipView>);

/// What `--html` needs beside the results: how to decode the clips' pictures (none for
/// gathered explanations), the clips that carry a planted cue, the model's classes.
struct PageOptions {
    reading: Option<MotionOptions>,
    cues: Vec<PathBuf>,
    classes: Vec<String>,
}

/// SpRAy over the explanations of `data`'s clips.
fn spray_set(command: &SprayArgs, data: &DataArg) -> Result<(), Error> {
    let (model, class, args) = (&command.model, command.class.as_deref(), &command.spray);
    let (time_bins, html, out, force) =
        (command.time_bins, command.html, command.out.as_path(), command.force);
    let model = model.load()?;
    let set = data.load()?;
    let classes: Vec<usize> = match class {
        Some(name) => vec![model.class_index(name)?],
        None => (0..model.config.classes.len()).collect(),
    };
    let staged = StagedFolder::new(out, force)?;
    let cues = planted_cue(&data.data).map(|(_, clips)| clips);
    let mut results = Vec::new();
    for &k in &classes {
        let label = &model.config.classes[k];
        let Some(set_class) = set.classes.iter().position(|c| c == label) else { continue };
        let name = outcome::output::file_name_part(label);
        let clips: Vec<_> = all_clips(&set).into_iter().filter(|c| c.label == set_class).collect();
        if clips.len() < 3 {
            continue;
        }
        let truth: Option<Vec<bool>> =
            cues.as_ref().map(|cues| clips.iter().map(|c| cues.contains(&c.path)).collect());
        let truth = truth.filter(|t| t.iter().any(|&x| x) && !t.iter().all(|&x| x));
        let progress = bar(clips.len(), &format!("{name} clips"));
        let settings = SprayMapSettings {
            grid: (time_bins, args.rows, args.cols),
            normalisation: args.cluster.normalise,
            spray: args.cluster.options(),
        };
        let r = class_strategies(&model, (&clips, k), &settings, truth.as_deref(), &|done, _| {
            progress.set_position(done as u64)
        })?;
        progress.finish_and_clear();
        results.push(r);
    }
    let page = html.then(|| PageOptions {
        reading: Some(model.reading(None)),
        cues: cues.clone().unwrap_or_default(),
        classes: model.config.classes.clone(),
    });
    write_strategies(results, page, staged, out)
}

/// The report folder of the classes' strategies: each class's spectrum, embedding and cluster
/// maps, and `spray.json`, the classes ranked by eigengap; and the table on standard output.
fn write_strategies(
    mut results: Vec<ClassStrategies>,
    page: Option<PageOptions>,
    staged: StagedFolder,
    out: &Path,
) -> Result<(), Error> {
    let dir = staged.path();
    for r in &results {
        let name = outcome::output::file_name_part(&r.class);
        plot_class(&r.analysis, &name, "clips", dir)
            .map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        plot_cluster_maps(&r.cluster_means, &dir.join(format!("{name}-cluster-maps.png")))
            .map_err(|e| staged.name_destination(video_failure(e)))?;
    }
    rank_by_eigengap(&mut results, |r| &r.analysis);
    outln!(
        "{:<16} {:>5} {:>9} {:>9} {:>8}  cluster sizes",
        "class",
        "clips",
        "eigengap",
        "clusters",
        "purity"
    )?;
    for r in &results {
        let purity = r.purity.map_or("-".to_string(), |p| format!("{p:.3}"));
        outln!(
            "{:<16} {:>5} {:>9.4} {:>9} {:>8}  {:?}",
            r.class,
            r.clips.len(),
            r.analysis.largest_eigengap,
            r.analysis.clusters,
            purity,
            r.analysis.cluster_sizes
        )?;
    }
    let json = dir.join("spray.json");
    std::fs::write(&json, serde_json::to_string_pretty(&results).expect("serialises"))
        .map_err(|e| staged.name_destination(Failure::writing(&json, &e)))?;
    if let Some(options) = page {
        let path = dir.join("report.html");
        let carries = |clip: &Path| {
            (!options.cues.is_empty()).then(|| options.cues.iter().any(|c| c == clip))
        };
        let title = format!("relvis SpRAy: {} classes of clips", results.len());
        let html = viewer::html(&spray_page(
            &results,
            &options.classes,
            &title,
            options.reading,
            &carries,
        ));
        std::fs::write(&path, html)
            .map_err(|e| staged.name_destination(Failure::writing(&path, &e)))?;
    }
    staged.commit()?;
    outln!(
        "classes ranked by eigengap (largest first: the most distinct strategies); report in {}",
        out.display()
    )?;
    Ok(())
}

/// SpRAy over explanations gathered from worker output, class by class (in the order of the
/// classes' indices).
fn spray_gathered(
    parts: &[PathBuf],
    only: Option<&str>,
    grid: Grid,
    args: &SprayArg,
    html: bool,
    out: &Path,
    force: bool,
) -> Result<(), Error> {
    let staged = StagedFolder::new(out, force)?;
    let gathered = gather::<ExplanationRecord>(parts, "explanation")?;
    if gathered.errors > 0 {
        outcome::errln!("warning: passed over {} error records", gathered.errors);
    }
    let mut classes: BTreeMap<(usize, String), GatheredClips> = BTreeMap::new();
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    for (id, record) in &gathered.results {
        if only.is_some_and(|c| c != record.class_name) {
            continue;
        }
        let (map, view) = pooled_record(record, grid)
            .map_err(|e| Failure::invalid(format!("{id}: {}", video_failure(e).message)))?;
        names.insert(record.class, record.class_name.clone());
        let class = classes.entry((record.class, record.class_name.clone())).or_default();
        class.0.push(PathBuf::from(id));
        class.1.push(map);
        class.2.push(view);
    }
    if let (Some(class), true) = (only, classes.is_empty()) {
        return Err(Failure::invalid(format!(
            "no explanation for class `{class}` in the gathered files"
        ))
        .into());
    }
    let mut results = Vec::new();
    for ((_, class), (clips, maps, views)) in
        classes.into_iter().filter(|(_, (clips, _, _))| clips.len() >= 3)
    {
        let settings = SprayMapSettings {
            grid,
            normalisation: args.cluster.normalise,
            spray: args.cluster.options(),
        };
        results.push(strategies(&class, clips, (&maps, views), &settings, None)?);
    }
    // The classes a predicted index names, where some explanation explains it.
    let count = gathered.results.first().map_or(0, |(_, r)| r.scores.len());
    let page = html.then(|| PageOptions {
        reading: None,
        cues: Vec::new(),
        classes: (0..count)
            .map(|c| names.get(&c).cloned().unwrap_or_else(|| c.to_string()))
            .collect(),
    });
    write_strategies(results, page, staged, out)
}
