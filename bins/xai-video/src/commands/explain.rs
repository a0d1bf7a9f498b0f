//! `xai-video explain`: one clip's or many clips' report folders, or a worker's explanations.

use std::path::{Path, PathBuf};

use clap::Args;
use outcome::output::{Sink, StagedFolder};
use outcome::{outln, Failure};
use pipeline::metrics::argmax;
use pipeline::worker::{optional_string_field, serve_rows, string_field};
use video::DEFAULT_RULE;
use video::{expand_clips, map_clips, report_folders};
use video::{explain_clip, ExplanationRecord, VideoExplanation};
use video::{write_report, ReportFiles, ReportOptions};

use crate::args::{bar, count, rules, ModelArg, StreamArg};
use crate::failure::{video_failure, Error};

/// Explains the classifier's score for a clip with LRP onto blocks and frames: a JSON
/// report, the per-frame relevance curve, heatmap overlays (PNG and an H.264 video) and a
/// montage of the most relevant frames, in --out.
#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// A clip, or several clips and folders: then --out holds a report folder per clip.
    #[arg(required_unless_present = "jsonl", num_args = 1..)]
    clips: Vec<PathBuf>,
    #[command(flatten)]
    stream: StreamArg,
    #[command(flatten)]
    model: ModelArg,
    /// Explain this class instead of the predicted one.
    #[arg(long)]
    class: Option<String>,
    /// Folder for the report (refused if it holds files, unless --force); with --jsonl, the
    /// file of JSON lines [default: standard output].
    #[arg(long, required_unless_present = "jsonl")]
    out: Option<PathBuf>,
    /// Worker mode: read one JSON object per line (`{"id": …, "path": …}`, optionally
    /// `"class": …`) from this file or `-`; write one JSON line per input line in input order,
    /// `{"id": …, "explanation": …}` with the block relevance as `blocks[frame][row][column]`,
    /// or an error record for a bad row. No pictures are drawn.
    #[arg(long, value_name = "FILE", conflicts_with = "clips")]
    jsonl: Option<PathBuf>,
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
}

pub(crate) fn run(args: ExplainArgs) -> Result<(), Error> {
    let options = ReportOptions {
        overlays: args.overlays,
        top: args.top,
        frames_per_bin: args.frames_per_bin,
    };
    let Some(input) = &args.jsonl else {
        let out = args.out.as_deref().expect("clap requires --out without --jsonl");
        return explain_clips(&args, out, options);
    };
    let model = args.model.load()?;
    let class = args.class.as_deref().map(|name| model.class_index(name)).transpose()?;
    let mut out = Sink::open(args.out.as_deref(), args.force)?;
    serve_rows(input, &mut out, "explanation", |row| {
        let class = match optional_string_field(row, "class")? {
            Some(name) => Some(model.class_index(name).map_err(video_failure)?),
            None => class,
        };
        let e = explain_clip(
            &model,
            Path::new(string_field(row, "path")?),
            args.stream.stream,
            class,
            &args.rule,
        )
        .map_err(video_failure)?;
        Ok(ExplanationRecord::from(&e))
    })?;
    Ok(out.finish()?)
}

/// Explains the clips of `args` into report folders under `out`.
fn explain_clips(args: &ExplainArgs, out: &Path, options: ReportOptions) -> Result<(), Error> {
    let (inputs, stream, model) = (&args.clips, args.stream.stream, &args.model);
    let (class, rules, force) = (args.class.as_deref(), &args.rule, args.force);
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
