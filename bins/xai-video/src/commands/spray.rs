//! `xai-video spray` and `spray-frames`: SpRAy over a set's clips, or over one clip's frames.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::output::{check_new, write_file, StagedFolder};
use outcome::{outln, Failure};
use spray::plot::plot_class;
use spray::rank_by_eigengap;
use video::dataset::all_clips;
use video::explanation_quality::planted_cue;
use video::heatmap::plot_cluster_maps;
use video::spray_maps::{class_strategies, frame_phases};

use crate::args::{bar, class_index, count, DataArg, ModelArg, SprayArg, StreamArg};
use crate::failure::{video_failure, Error};

    /// SpRAy: clusters the relevance maps of a class's clips (or of every class, ranked by
    /// eigengap) to show the model's strategies; JSON, spectrum, embedding and cluster maps.
#[derive(Args)]
pub(crate) struct SprayArgs {
    #[command(flatten)]
    pub(crate) data: DataArg,
    #[command(flatten)]
    pub(crate) model: ModelArg,
    /// The class to analyse; every class (ranked by eigengap) if not given.
    #[arg(long)]
    pub(crate) class: Option<String>,
    #[command(flatten)]
    pub(crate) spray: SprayArg,
    /// Time bins of the pooled maps.
    #[arg(long, default_value_t = 4, value_parser = count)]
    pub(crate) time_bins: usize,
    /// Folder for the report.
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[arg(long)]
    pub(crate) force: bool,
}

impl SprayArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        spray_set(&self.data, &self.model, self.class.as_deref(), &self.spray, self.time_bins, &self.out, self.force)
    }
}

    /// SpRAy over the frames of one clip: its phases, by the frames' relevance maps.
#[derive(Args)]
pub(crate) struct SprayFramesArgs {
    pub(crate) clip: PathBuf,
    #[command(flatten)]
    pub(crate) stream: StreamArg,
    #[command(flatten)]
    pub(crate) model: ModelArg,
    /// Explain this class instead of the predicted one.
    #[arg(long)]
    pub(crate) class: Option<String>,
    #[command(flatten)]
    pub(crate) spray: SprayArg,
    /// Write the analysis as JSON.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    #[arg(long)]
    pub(crate) force: bool,
}

impl SprayFramesArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        spray_frames(&self.clip, self.stream.stream, &self.model, self.class.as_deref(), &self.spray, self.json.as_deref(), self.force)
    }
}

#[allow(clippy::too_many_arguments)]
fn spray_set(data: &DataArg, model: &ModelArg, class: Option<&str>, args: &SprayArg, time_bins: usize, out: &Path, force: bool) -> Result<(), Error> {
    let model = model.load()?;
    let set = data.load()?;
    let classes: Vec<usize> = match class {
        Some(name) => vec![class_index(&model, name)?],
        None => (0..model.config.classes.len()).collect(),
    };
    let staged = StagedFolder::new(out, force)?;
    let dir = staged.path();
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
        let truth: Option<Vec<bool>> = cues.as_ref().map(|cues| clips.iter().map(|c| cues.contains(&c.path)).collect());
        let truth = truth.filter(|t| t.iter().any(|&x| x) && !t.iter().all(|&x| x));
        let progress = bar(clips.len(), &format!("{name} clips"));
        let r = class_strategies(&model, &clips, k, (time_bins, args.rows, args.cols), args.cluster.normalise, &args.cluster.options(), truth.as_deref(), &|done, _| progress.set_position(done as u64))?;
        progress.finish_and_clear();
        let a = &r.analysis;
        plot_class(a, &name, "clips", dir).map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        plot_cluster_maps(&r.cluster_means, &dir.join(format!("{name}-cluster-maps.png"))).map_err(|e| staged.name_destination(video_failure(e)))?;
        results.push(r);
    }
    rank_by_eigengap(&mut results, |r| &r.analysis);
    outln!("{:<16} {:>5} {:>9} {:>9} {:>8}  cluster sizes", "class", "clips", "eigengap", "clusters", "purity")?;
    for r in &results {
        let purity = r.purity.map_or("-".to_string(), |p| format!("{p:.3}"));
        outln!("{:<16} {:>5} {:>9.4} {:>9} {:>8}  {:?}", r.class, r.clips.len(), r.analysis.largest_eigengap, r.analysis.clusters, purity, r.analysis.cluster_sizes)?;
    }
    let json = dir.join("spray.json");
    std::fs::write(&json, serde_json::to_string_pretty(&results).expect("serialises")).map_err(|e| staged.name_destination(Failure::writing(&json, &e)))?;
    staged.commit()?;
    outln!("classes ranked by eigengap (largest first: the most distinct strategies); report in {}", out.display())?;
    Ok(())
}

fn spray_frames(clip: &Path, stream: Option<usize>, model: &ModelArg, class: Option<&str>, args: &SprayArg, json: Option<&Path>, force: bool) -> Result<(), Error> {
    if let Some(path) = json {
        check_new(path, force)?;
    }
    let model = model.load()?;
    let class = match class {
        Some(name) => Some(class_index(&model, name)?),
        None => None,
    };
    let (name, a) = frame_phases(&model, clip, stream, class, (args.rows, args.cols), args.cluster.normalise, &args.cluster.options())?;
    outln!("{}: {} frames by their relevance for {name}; eigenvalues {:?}", clip.display(), a.maps, a.eigenvalues.iter().map(|v| (v * 1e4).round() / 1e4).collect::<Vec<_>>())?;
    outln!("{} phases (cluster sizes {:?}); frame by frame:", a.clusters, a.cluster_sizes)?;
    outln!("  {}", a.labels.iter().map(|l| char::from_digit(*l as u32 % 36, 36).unwrap_or('?')).collect::<String>())?;
    if let Some(path) = json {
        write_file(path, force, |w| serde_json::to_writer_pretty(w, &a).map_err(std::io::Error::from))?;
    }
    Ok(())
}
