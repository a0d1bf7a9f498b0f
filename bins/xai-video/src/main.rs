//! `xai-video`: motion vectors and motion descriptors of compressed video.

mod clips;
mod motion;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use outcome::output::{check_new, write_file, StagedFile, StagedFolder};
use outcome::{outln, Failure};
use indicatif::{ProgressBar, ProgressStyle};
use video::synth::{render_set, ArtifactKind, Encodings, SynthOptions, ACTIONS};
use video::classifier::{TrainOptions, VideoClassifier};
use video::explain::{default_rules, DEFAULT_RULE};
use spray::plot::{plot_embedding, plot_spectrum};
use spray::cli::ClusterArgs;
use video::heatmap::{plot_cluster_maps, plot_perturbation};
use video::spray_maps::{class_strategies, frame_phases};
use video::explanation_quality::{evaluate_relevance, planted_cue};
use video::report::ReportOptions;
use video::dataset::{all_clips, load_clip_set, ClipSet};
use video::accuracy::{cross_validate, evaluate, VideoEvaluation};
use video::{DescriptorOptions, MotionOptions};

#[derive(Parser)]
#[command(name = "xai-video", version, about = "Explain what a video action classifier bases its decisions on: motion from compressed video, Fisher vectors and a linear SVM, explained with LRP onto blocks and frames", after_help = outcome::EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Codec, size, frame types, vectors per frame and mean motion of a clip.
    Mv {
        clip: PathBuf,
        #[command(flatten)]
        stream: StreamArg,
        #[command(flatten)]
        grid: GridArg,
        /// Print JSON (with every frame) instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Writes PNG frames with the motion field drawn over the decoded picture.
    ShowMv {
        clip: PathBuf,
        #[command(flatten)]
        stream: StreamArg,
        /// Folder for the PNG files (refused if it holds files, unless --force).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        grid: GridArg,
        /// Draw every N-th frame.
        #[arg(long, default_value_t = 1)]
        every: usize,
        /// Replace the PNG files in an existing folder.
        #[arg(long)]
        force: bool,
    },
    /// Renders the synthetic action set: H.264 clips in a folder per class, with per-frame
    /// figure masks (`.mask.pbm`) and `manifest.json`.
    Synth {
        /// Folder for the set (refused if it holds files, unless --force).
        #[arg(long)]
        out: PathBuf,
        /// Actions to render (comma-separated); all six by default.
        #[arg(long, value_delimiter = ',', default_values_t = ACTIONS.map(String::from))]
        classes: Vec<String>,
        #[arg(long, default_value_t = SynthOptions::default().per_class, value_parser = count)]
        per_class: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Frames per clip.
        #[arg(long, default_value_t = SynthOptions::default().frames, value_parser = count)]
        frames: usize,
        /// Plant a cue in one class only: CLASS:ticker or CLASS:logo.
        #[arg(long, value_parser = clap::builder::ValueParser::new(artifact))]
        artifact: Option<(String, ArtifactKind)>,
        /// Share of that class's clips that carry the cue.
        #[arg(long, default_value_t = 1.0)]
        artifact_share: f64,
        /// `mixed`: each class's clips cycle through seven encoder recipes (H.264 three ways,
        /// MPEG-2, MPEG-4 Part 2, HEVC, VP9); `exact`: all H.264 with one reference frame.
        #[arg(long, default_value = "mixed")]
        encodings: Encodings,
        /// Write into a folder that holds files.
        #[arg(long)]
        force: bool,
    },
    /// Trains the Fisher-vector / linear-SVM classifier on a folder per class (or train/ with
    /// val/ and test/ held out) and saves it; reports held-out accuracy.
    Train {
        #[command(flatten)]
        data: DataArg,
        /// Model folder to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        grid: GridArg,
        /// Mixture components per descriptor type.
        #[arg(long, default_value_t = TrainOptions::default().components, value_parser = count)]
        components: usize,
        /// Descriptors drawn from each training clip to fit the PCA and the mixture.
        #[arg(long, default_value_t = TrainOptions::default().sample_per_clip, value_parser = count)]
        descriptors_per_clip: usize,
        /// The SVM's C.
        #[arg(long, default_value_t = TrainOptions::default().c, value_parser = positive)]
        c: f64,
        /// Replace an existing model folder.
        #[arg(long)]
        force: bool,
    },
    /// The predicted class and every class's score for a clip; for several clips or folders
    /// (searched for video files), one line per clip in the order given (JSON lines with
    /// --json), clips in parallel.
    Predict {
        #[arg(required = true, num_args = 1..)]
        clips: Vec<PathBuf>,
        #[command(flatten)]
        stream: StreamArg,
        #[command(flatten)]
        model: ModelArg,
        #[arg(long)]
        json: bool,
    },
    /// Accuracy, per-class recall and confusion matrix on a set's held-out clips, or
    /// k-fold cross-validation over all its clips (--folds; trains k models with the given
    /// model's settings).
    Accuracy {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        model: ModelArg,
        /// Cross-validate over all clips with this many folds instead.
        #[arg(long)]
        folds: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Explains the classifier's score for a clip with LRP onto blocks and frames: a JSON
    /// report, the per-frame relevance curve, heatmap overlays (PNG and an H.264 video) and a
    /// montage of the most relevant frames, in --out.
    Explain {
        /// A clip, or several clips and folders: then --out holds a report folder per clip.
        #[arg(required = true, num_args = 1..)]
        clips: Vec<PathBuf>,
        #[command(flatten)]
        stream: StreamArg,
        #[command(flatten)]
        model: ModelArg,
        /// Explain this class instead of the predicted one.
        #[arg(long)]
        class: Option<String>,
        /// Folder for the report (refused if it holds files, unless --force).
        #[arg(long)]
        out: PathBuf,
        /// The LRP rule, or a composite of rules for the chain's steps (0 receptive-fields,
        /// 1 fisher-terms: lrp0 or epsilon, 3 dense: the SVM, any rule), e.g.
        /// `epsilon=0.001;dense:zplus`.
        #[arg(long, default_value = DEFAULT_RULE, value_parser = rules)]
        rule: lrp::Composite,
        /// Overlay PNGs of this many evenly spaced frames, besides the most relevant ones.
        #[arg(long, default_value_t = 12)]
        overlays: usize,
        /// Frames summed per bar of the relevance curve.
        #[arg(long, default_value_t = 4, value_parser = count)]
        frames_per_bin: usize,
        /// Frames in the montage.
        #[arg(long, default_value_t = 4)]
        top: usize,
        #[arg(long)]
        force: bool,
    },
    /// Measures the explanations on a set's held-out clips: perturbation curves (the motion of
    /// the most relevant blocks removed first, against random orders; AOPC) and, on synthetic
    /// clips, the share of positive relevance on the figure and on a planted cue.
    EvalRelevance {
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
    },
    /// SpRAy: clusters the relevance maps of a class's clips (or of every class, ranked by
    /// eigengap) to show the model's strategies; JSON, spectrum, embedding and cluster maps.
    Spray {
        #[command(flatten)]
        data: DataArg,
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
        /// Folder for the report.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// SpRAy over the frames of one clip: its phases, by the frames' relevance maps.
    SprayFrames {
        clip: PathBuf,
        #[command(flatten)]
        stream: StreamArg,
        #[command(flatten)]
        model: ModelArg,
        /// Explain this class instead of the predicted one.
        #[arg(long)]
        class: Option<String>,
        #[command(flatten)]
        spray: SprayArg,
        /// Write the analysis as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long)]
        force: bool,
    },
    /// HOF, MBHx and MBHy descriptors of a clip: a summary, or JSON lines with --out.
    Descriptors {
        clip: PathBuf,
        #[command(flatten)]
        stream: StreamArg,
        #[command(flatten)]
        grid: GridArg,
        /// Cuboid length in frames.
        #[arg(long, default_value_t = DescriptorOptions::default().frames, value_parser = count)]
        frames: usize,
        /// Frames between cuboid starts.
        #[arg(long, default_value_t = DescriptorOptions::default().time_stride, value_parser = count)]
        time_stride: usize,
        /// Write every descriptor as a JSON line to this file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing --out file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct StreamArg {
    /// Read this stream of the file (FFmpeg's index; `xai-video mv` names them); by default
    /// the first video stream with exported vectors, else the first that decodes.
    #[arg(long)]
    stream: Option<usize>,
}

#[derive(Args)]
struct SprayArg {
    /// Rows and columns of the pooled maps.
    #[arg(long, default_value_t = 6, value_parser = count)]
    rows: usize,
    #[arg(long, default_value_t = 8, value_parser = count)]
    cols: usize,
    #[command(flatten)]
    cluster: ClusterArgs,
}

#[derive(Args)]
struct DataArg {
    /// A folder per class, or train/ (with val/ and test/ held out).
    #[arg(long)]
    data: PathBuf,
    /// Share of each class held out when the set has no train/ folder.
    #[arg(long, default_value_t = 0.25, value_parser = held_out)]
    test_fraction: f64,
    /// Seed of that split.
    #[arg(long, default_value_t = 1)]
    split_seed: u64,
}

impl DataArg {
    fn load(&self) -> Result<ClipSet, Failure> {
        Ok(load_clip_set(&self.data, self.test_fraction, self.split_seed)?)
    }

    /// Refuses a set whose classes are not the model's (its labels index the model's classes).
    fn check_classes(&self, set: &ClipSet, model: &VideoClassifier) -> Result<(), Failure> {
        if set.classes != model.config.classes {
            return Err(Failure::invalid(format!("{}: classes {:?}, the model knows {:?}", self.data.display(), set.classes, model.config.classes)));
        }
        Ok(())
    }
}

#[derive(Args)]
struct ModelArg {
    /// Model folder; the embedded default model (trained on the synthetic action set) if not given.
    #[arg(long)]
    model: Option<PathBuf>,
}

impl ModelArg {
    fn load(&self) -> Result<VideoClassifier, Failure> {
        Ok(match &self.model {
            Some(dir) => VideoClassifier::load(dir),
            None => video::default_model::load(),
        }?)
    }
}

/// The index of the class `name` the user asked for.
fn class_index(model: &VideoClassifier, name: &str) -> Result<usize, Failure> {
    let classes = &model.config.classes;
    classes.iter().position(|c| c == name).ok_or_else(|| Failure::usage(format!("unknown class `{name}`; the model knows {}", classes.join(", "))))
}

fn bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {what} {{elapsed}}")).expect("a valid template"));
    bar
}

fn print_evaluation(e: &VideoEvaluation, classes: &[String]) -> Result<(), Failure> {
    outln!("accuracy {:.4} on {} clips", e.accuracy, e.clips)?;
    outln!("{:<20} {:>7}", "class", "recall")?;
    for (name, r) in classes.iter().zip(&e.recall) {
        outln!("{name:<20} {r:>7.3}")?;
    }
    outln!("confusion matrix (rows: true class, columns: predicted, in class order):")?;
    for row in &e.confusion {
        outln!("  {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>())?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn eval_relevance(data: &DataArg, model: &ModelArg, steps: usize, fraction: f64, random_orders: usize, limit: Option<usize>, json: Option<&Path>, plot: Option<&Path>, force: bool) -> Result<(), Failure> {
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
    let report = evaluate_relevance(&model, &clips, cue.as_ref(), steps, fraction, random_orders, &default_rules(), &|done, _| progress.set_position(done as u64))?;
    progress.finish_and_clear();
    outln!("{} correctly classified held-out clips explained for their class; {steps} steps of {:.1} % of the block cells", report.clips, 100.0 * fraction / steps as f64)?;
    for c in &report.mean_curves {
        outln!("  {:<7} mean score {}  AOPC {:.4}", c.order, c.scores.iter().map(|s| format!("{s:+.3}")).collect::<Vec<_>>().join(" "), c.aopc)?;
    }
    outln!("share of positive relevance on the figure (and the figure's share of the picture):")?;
    for c in report.per_class.iter().filter(|c| c.clips > 0) {
        let cue = c.cue.map(|s| format!("; on the planted cue {:.3} (area {:.3})", s.relevance, s.area)).unwrap_or_default();
        outln!("  {:<14} {:>3} clips  {:.3} (area {:.3}){cue}", c.class, c.clips, c.figure.relevance, c.figure.area)?;
    }
    if let Some(staged) = plot {
        plot_perturbation(&report.mean_curves, fraction, staged.path())?;
        staged.commit()?;
    }
    if let Some(path) = json {
        write_file(path, force, |w| serde_json::to_writer_pretty(w, &report).map_err(std::io::Error::from))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn spray_set(data: &DataArg, model: &ModelArg, class: Option<&str>, args: &SprayArg, time_bins: usize, out: &Path, force: bool) -> Result<(), Failure> {
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
        plot_spectrum(a, &format!("{name}: eigenvalues of L_sym ({} clips)", a.maps), &dir.join(format!("{name}-spectrum.png"))).map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        plot_embedding(a, &format!("{name}: embedding by cluster ({})", a.embedding_method), &dir.join(format!("{name}-embedding.png"))).map_err(|e| staged.name_destination(Failure::output(e.to_string())))?;
        plot_cluster_maps(&r.cluster_means, &dir.join(format!("{name}-cluster-maps.png"))).map_err(|e| staged.name_destination(e.into()))?;
        results.push(r);
    }
    results.sort_by(|a, b| b.analysis.largest_eigengap.total_cmp(&a.analysis.largest_eigengap));
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

fn spray_frames(clip: &Path, stream: Option<usize>, model: &ModelArg, class: Option<&str>, args: &SprayArg, json: Option<&Path>, force: bool) -> Result<(), Failure> {
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

fn train(data: &DataArg, out: &Path, options: TrainOptions, force: bool) -> Result<(), Failure> {
    check_new(out, force)?;
    let set = data.load()?;
    outln!("{} classes, {} training clips, {} held out ({})", set.classes.len(), set.train.len(), set.test.len(), set.split)?;
    let progress = bar(2 * set.train.len(), "clips (sample, then Fisher vectors)");
    let mut model = VideoClassifier::train(&set.train, &set.classes, &options, &|done, _| progress.set_position(done as u64))?;
    progress.finish_and_clear();
    let t = &model.config.training;
    outln!("trained in {:.1} s ({:.0} frames/s over both passes); training accuracy {:.4}", t.seconds, t.frames_per_second, t.train_accuracy)?;
    if !set.test.is_empty() {
        let progress = bar(set.test.len(), "held-out clips");
        let e = evaluate(&model, &set.test, &|done, _| progress.set_position(done as u64))?;
        progress.finish_and_clear();
        print_evaluation(&e, &set.classes)?;
        model.config.test_accuracy = Some(e.accuracy);
    }
    model.save(out, force)?;
    outln!("model saved to {}", out.display())?;
    Ok(())
}

#[derive(Args)]
struct GridArg {
    /// Block side of the motion grid in pixels.
    #[arg(long, default_value_t = 16, value_parser = clap::builder::ValueParser::new(block_size))]
    block: usize,
}

/// A count of at least one.
/// A rule or composite, for `--rule`.
fn rules(s: &str) -> Result<lrp::Composite, String> {
    s.parse().map_err(|e: lrp::LrpError| e.to_string())
}

fn count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}`: expected a whole number of at least 1")),
    }
}

/// A finite number above zero.
fn positive(s: &str) -> Result<f64, String> {
    s.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0).ok_or_else(|| format!("`{s}`: expected a number above 0"))
}

/// A share in (0, 1].
fn share(s: &str) -> Result<f64, String> {
    s.parse::<f64>().ok().filter(|v| *v > 0.0 && *v <= 1.0).ok_or_else(|| format!("`{s}`: expected a share in (0, 1]"))
}

/// A share held out, in [0, 1).
fn held_out(s: &str) -> Result<f64, String> {
    s.parse::<f64>().ok().filter(|v| (0.0..1.0).contains(v)).ok_or_else(|| format!("`{s}`: expected a share in [0, 1)"))
}

fn block_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(b) if (4..=64).contains(&b) => Ok(b),
        _ => Err(format!("`{s}`: the block size is a number of pixels from 4 to 64 (16 or 8)")),
    }
}

fn artifact(s: &str) -> Result<(String, ArtifactKind), String> {
    let (class, kind) = s.split_once(':').ok_or_else(|| format!("`{s}`: give CLASS:ticker or CLASS:logo"))?;
    Ok((class.to_string(), kind.parse()?))
}


fn synth(out: &Path, options: SynthOptions, force: bool) -> Result<(), Failure> {
    let staged = StagedFolder::new(out, force)?;
    let bar = ProgressBar::new((options.classes.len() * options.per_class) as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} clips {elapsed}").expect("a valid template"));
    let start = Instant::now();
    let clips = render_set(staged.path(), &options, |done, _| bar.set_position(done as u64)).map_err(|e| staged.name_destination(e.into()))?;
    staged.commit()?;
    bar.finish_and_clear();
    outln!("{} clips ({} classes × {}, {} frames of {}×{}) in {} in {:.0} s", clips.len(), options.classes.len(), options.per_class, options.frames, options.width, options.height, out.display(), start.elapsed().as_secs_f64())?;
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Mv { clip, stream, grid, json } => motion::mv(&clip, MotionOptions { block: grid.block, pictures: false, stream: stream.stream }, json),
        Command::ShowMv { clip, stream, out, grid, every, force } => motion::show_mv(&clip, &out, MotionOptions { block: grid.block, pictures: true, stream: stream.stream }, every, force),
        Command::Synth { out, classes, per_class, seed, frames, artifact, artifact_share, encodings, force } => {
            let options = SynthOptions { classes, per_class, seed, frames, artifact, artifact_share, encodings, ..SynthOptions::default() };
            synth(&out, options, force)
        }
        Command::Train { data, out, grid, components, descriptors_per_clip, c, force } => train(&data, &out, TrainOptions { block: grid.block, components, sample_per_clip: descriptors_per_clip, c, ..TrainOptions::default() }, force),
        Command::Predict { clips, stream, model, json } => clips::predict(&clips, stream.stream, &model, json),
        Command::Accuracy { data, model, folds, json } => {
            let model = model.load()?;
            let set = data.load()?;
            data.check_classes(&set, &model)?;
            if let Some(k) = folds {
                let clips = all_clips(&set);
                let progress = bar(k, "folds");
                let cv = cross_validate(&clips, &set.classes, k, &model.config.options, &|done, _| progress.set_position(done as u64))?;
                progress.finish_and_clear();
                if json {
                    outln!("{}", serde_json::to_string_pretty(&cv).expect("serialises"))?;
                } else {
                    outln!("{k}-fold cross-validation over {} clips; fold accuracies {:?}", clips.len(), cv.folds.iter().map(|f| (f.accuracy * 1000.0).round() / 1000.0).collect::<Vec<_>>())?;
                    print_evaluation(&cv.pooled, &set.classes)?;
                }
                return Ok(());
            }
            if set.test.is_empty() {
                return Err(Failure::invalid(format!("{}: no held-out clips (give --folds for cross-validation)", data.data.display())));
            }
            let progress = bar(set.test.len(), "held-out clips");
            let e = evaluate(&model, &set.test, &|done, _| progress.set_position(done as u64))?;
            progress.finish_and_clear();
            if json {
                outln!("{}", serde_json::to_string_pretty(&e).expect("serialises"))?;
            } else {
                outln!("{} ({})", data.data.display(), set.split)?;
                print_evaluation(&e, &set.classes)?;
            }
            Ok(())
        }
        Command::Explain { clips, stream, model, class, out, rule, overlays, frames_per_bin, top, force } => clips::explain_clips(&clips, stream.stream, &model, class.as_deref(), &out, &rule, ReportOptions { overlays, top, frames_per_bin }, force),
        Command::EvalRelevance { data, model, steps, fraction, random_orders, limit, json, plot, force } => eval_relevance(&data, &model, steps, fraction, random_orders, limit, json.as_deref(), plot.as_deref(), force),
        Command::Spray { data, model, class, spray, time_bins, out, force } => spray_set(&data, &model, class.as_deref(), &spray, time_bins, &out, force),
        Command::SprayFrames { clip, stream, model, class, spray, json, force } => spray_frames(&clip, stream.stream, &model, class.as_deref(), &spray, json.as_deref(), force),
        Command::Descriptors { clip, stream, grid, frames, time_stride, out, force } => {
            let options = DescriptorOptions { frames, time_stride, ..DescriptorOptions::default() };
            motion::descriptors(&clip, MotionOptions { block: grid.block, pictures: false, stream: stream.stream }, options, out.as_deref(), force)
        }
    }
}

fn main() -> ExitCode {
    outcome::finish(run(Cli::parse()))
}
