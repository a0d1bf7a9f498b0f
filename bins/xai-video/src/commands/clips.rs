//! `predict` and `explain` over one clip or many: reading, printing and the report folders.

use std::path::{Path, PathBuf};
use std::time::Instant;

use outcome::output::{Sink, StagedFolder};
use outcome::{outln, Failure};
use pipeline::metrics::argmax;
use pipeline::worker::{optional_string_field, serve_rows, string_field};
use video::VideoPrediction;
use video::{expand_clips, map_clips, report_folders};
use video::{explain_clip, ExplanationRecord, VideoExplanation};
use video::{write_report, ReportFiles, ReportOptions};

use clap::Args;

use crate::args::{bar, count, rules, ModelArg, StreamArg};
use crate::failure::{video_failure, Error};
use video::DEFAULT_RULE;

fn predict(
    inputs: &[PathBuf],
    stream: Option<usize>,
    model: &ModelArg,
    json: bool,
) -> Result<(), Error> {
    let model = model.load()?;
    let clips = expand_clips(inputs)?;
    let single = clips.len() == 1 && !inputs[0].is_dir();
    let warn = |clip: &Path, p: &VideoPrediction| {
        if let Some(c) = p.clip.filter(|c| c.damaged_frames + c.corrupt_packets > 0) {
            outcome::errln!("warning: {}: {} frames hold damaged data and {} packets did not decode; the prediction rests on what decoded", clip.display(), c.damaged_frames, c.corrupt_packets);
        }
    };
    if single {
        let p = model.predict(&clips[0], stream)?;
        warn(&clips[0], &p);
        if json {
            outln!("{}", serde_json::to_string_pretty(&p).expect("serialises"))?;
        } else {
            outln!("predicted: {}", p.class_name)?;
            for (name, s) in model.config.classes.iter().zip(&p.scores) {
                outln!("  {name:<20} score {s:>8.3}")?;
            }
        }
        return Ok(());
    }
    let progress = bar(clips.len(), "clips");
    let start = Instant::now();
    let results = map_clips(&clips, |clip| model.predict(clip, stream), &|done, _| {
        progress.set_position(done as u64)
    });
    progress.finish_and_clear();
    let mut first_failure = None;
    let mut frames = 0;
    for (clip, result) in clips.iter().zip(results) {
        match result {
            Ok(p) => {
                warn(clip, &p);
                frames += p.clip.map_or(0, |c| c.frames);
                if json {
                    let mut line = serde_json::to_value(&p).expect("serialises");
                    line["path"] = serde_json::Value::String(clip.display().to_string());
                    outln!("{line}")?;
                } else {
                    outln!("{}\t{}\t{:+.3}", clip.display(), p.class_name, p.scores[p.class])?;
                }
            }
            Err(e) => {
                let failure = video_failure(e);
                outcome::errln!("error: {}", failure.message);
                if json {
                    outln!(
                        "{}",
                        serde_json::json!({ "path": clip.display().to_string(), "error": failure.message, "exit": failure.kind.code() })
                    )?;
                }
                first_failure.get_or_insert(failure);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    outcome::errln!(
        "{} clips, {frames} frames in {seconds:.1} s ({:.0} frames/s)",
        clips.len(),
        frames as f64 / seconds.max(1e-9)
    );
    first_failure.map_or(Ok(()), |f| Err(f.into()))
}

#[allow(clippy::too_many_arguments)]
fn explain_clips(
    inputs: &[PathBuf],
    stream: Option<usize>,
    model: &ModelArg,
    class: Option<&str>,
    out: &Path,
    rules: &lrp::Composite,
    options: ReportOptions,
    force: bool,
) -> Result<(), Error> {
    let model = model.load()?;
    let class = match class {
        Some(name) => Some(model.class_index(name)?),
        None => None,
    };
    let clips = expand_clips(inputs)?;
    let single = clips.len() == 1 && !inputs[0].is_dir();
    let staged = StagedFolder::new(out, force)?;
    let folders: Vec<PathBuf> = if single {
        vec![staged.path().to_path_buf()]
    } else {
        report_folders(&clips).into_iter().map(|name| staged.path().join(name)).collect()
    };
    let explain_one =
        |clip: &Path, folder: &Path| -> Result<(VideoExplanation, ReportFiles), Failure> {
            // Not create_dir_all: after an interruption has removed the staging folder, a clip
            // still being explained must not make it again.
            let made = if folder == staged.path() { Ok(()) } else { std::fs::create_dir(folder) };
            made.map_err(|e| {
                staged.name_destination(Failure::new(
                    outcome::FailureKind::Output,
                    format!("{}: {e}", folder.display()),
                ))
            })?;
            let e = explain_clip(&model, clip, stream, class, rules).map_err(video_failure)?;
            let files = write_report(clip, &e, model.reading(stream), folder, options)
                .map_err(|e| staged.name_destination(video_failure(e)))?;
            Ok((e, files))
        };
    let progress = bar(clips.len(), "clips");
    let pairs: Vec<(PathBuf, PathBuf)> = clips.iter().cloned().zip(folders).collect();
    let results = map_clips(&pairs, |(clip, folder)| explain_one(clip, folder), &|done, _| {
        if !single {
            progress.set_position(done as u64)
        }
    });
    progress.finish_and_clear();
    let mut explained = Vec::new();
    for (clip, result) in clips.iter().zip(results) {
        explained.push((clip, result?));
    }
    let staging = staged.path().to_path_buf();
    staged.commit()?;
    let name =
        |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    for (clip, (e, files)) in &explained {
        let predicted = model.config.classes[argmax(&e.scores)].clone();
        if !single {
            outln!("{}:", clip.display())?;
        }
        outln!("explaining {} (score {:+.3}); predicted {predicted}", e.class_name, e.score)?;
        for (name, s) in model.config.classes.iter().zip(&e.scores) {
            outln!("  {name:<20} score {s:>8.3}")?;
        }
        let c = &e.conservation;
        outln!(
            "{}: score {:+.4} → blocks {:+.4} (absorbed {:+.4})",
            e.method,
            c.explained,
            c.input.blocks,
            c.absorbed
        )?;
        for l in &c.layers {
            outln!(
                "  step {} {:<17} {:<16} Σ R out {:+.4}  in {:+.4}",
                l.index,
                l.kind,
                l.rule.as_deref().unwrap_or("(passes)"),
                l.relevance_out,
                l.relevance_in
            )?;
        }
        outln!("most relevant frames: {:?}", files.top_frames)?;
        let shown = files
            .json
            .parent()
            .and_then(|p| p.strip_prefix(&staging).ok())
            .map_or_else(|| out.to_path_buf(), |rel| out.join(rel));
        outln!(
            "wrote {} ({} overlay frames, {}, {}, {}, {})",
            shown.display(),
            files.frames.len(),
            name(&files.relevance),
            name(&files.curve),
            name(&files.montage),
            name(&files.video)
        )?;
    }
    Ok(())
}

/// The predicted class and every class's score for a clip; for several clips or folders
/// (searched for video files), one line per clip in the order given (JSON lines with
/// --json), clips in parallel.
#[derive(Args)]
pub(crate) struct PredictArgs {
    #[arg(required_unless_present = "jsonl", num_args = 1..)]
    pub(crate) clips: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) stream: StreamArg,
    #[command(flatten)]
    pub(crate) model: ModelArg,
    #[arg(long)]
    pub(crate) json: bool,
    /// Worker mode: read one JSON object per line (`{"id": …, "path": …}`) from this file or
    /// `-`; write one JSON line per input line in input order, `{"id": …, "prediction": …}`,
    /// or an error record for a bad row.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["clips", "json"])]
    pub(crate) jsonl: Option<PathBuf>,
    /// With --jsonl: write to this file instead of standard output.
    #[arg(long, requires = "jsonl")]
    pub(crate) out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long, requires = "out")]
    pub(crate) force: bool,
}

impl PredictArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        let Some(input) = &self.jsonl else {
            return predict(&self.clips, self.stream.stream, &self.model, self.json);
        };
        let model = self.model.load()?;
        let mut out = Sink::open(self.out.as_deref(), self.force)?;
        serve_rows(input, &mut out, "prediction", |row| {
            model
                .predict(Path::new(string_field(row, "path")?), self.stream.stream)
                .map_err(video_failure)
        })?;
        Ok(out.finish()?)
    }
}

/// Explains the classifier's score for a clip with LRP onto blocks and frames: a JSON
/// report, the per-frame relevance curve, heatmap overlays (PNG and an H.264 video) and a
/// montage of the most relevant frames, in --out.
#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// A clip, or several clips and folders: then --out holds a report folder per clip.
    #[arg(required_unless_present = "jsonl", num_args = 1..)]
    pub(crate) clips: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) stream: StreamArg,
    #[command(flatten)]
    pub(crate) model: ModelArg,
    /// Explain this class instead of the predicted one.
    #[arg(long)]
    pub(crate) class: Option<String>,
    /// Folder for the report (refused if it holds files, unless --force); with --jsonl, the
    /// file of JSON lines [default: standard output].
    #[arg(long, required_unless_present = "jsonl")]
    pub(crate) out: Option<PathBuf>,
    /// Worker mode: read one JSON object per line (`{"id": …, "path": …}`, optionally
    /// `"class": …`) from this file or `-`; write one JSON line per input line in input order,
    /// `{"id": …, "explanation": …}` with the block relevance as `blocks[frame][row][column]`,
    /// or an error record for a bad row. No pictures are drawn.
    #[arg(long, value_name = "FILE", conflicts_with = "clips")]
    pub(crate) jsonl: Option<PathBuf>,
    /// The LRP rule, or a composite of rules for the chain's steps (0 receptive-fields,
    /// 1 fisher-terms: lrp0 or epsilon, 3 dense: the SVM, any rule), e.g.
    /// `epsilon=0.001;dense:zplus`.
    #[arg(long, default_value = DEFAULT_RULE, value_parser = rules)]
    pub(crate) rule: lrp::Composite,
    /// Overlay PNGs of this many evenly spaced frames, besides the most relevant ones.
    #[arg(long, default_value_t = 12)]
    pub(crate) overlays: usize,
    /// Frames summed per bar of the relevance curve.
    #[arg(long, default_value_t = 4, value_parser = count)]
    pub(crate) frames_per_bin: usize,
    /// Frames in the montage.
    #[arg(long, default_value_t = 4)]
    pub(crate) top: usize,
    #[arg(long)]
    pub(crate) force: bool,
}

impl ExplainArgs {
    pub(crate) fn run(self) -> Result<(), Error> {
        let options = ReportOptions {
            overlays: self.overlays,
            top: self.top,
            frames_per_bin: self.frames_per_bin,
        };
        let Some(input) = &self.jsonl else {
            let out = self.out.as_deref().expect("clap requires --out without --jsonl");
            return explain_clips(
                &self.clips,
                self.stream.stream,
                &self.model,
                self.class.as_deref(),
                out,
                &self.rule,
                options,
                self.force,
            );
        };
        let model = self.model.load()?;
        let class = self.class.as_deref().map(|name| model.class_index(name)).transpose()?;
        let mut out = Sink::open(self.out.as_deref(), self.force)?;
        serve_rows(input, &mut out, "explanation", |row| {
            let class = match optional_string_field(row, "class")? {
                Some(name) => Some(model.class_index(name).map_err(video_failure)?),
                None => class,
            };
            let e = explain_clip(
                &model,
                Path::new(string_field(row, "path")?),
                self.stream.stream,
                class,
                &self.rule,
            )
            .map_err(video_failure)?;
            Ok(ExplanationRecord::from(&e))
        })?;
        Ok(out.finish()?)
    }
}
