//! `xai-video predict`: the predicted class of one clip or of many, or of a worker's rows.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use outcome::outln;
use outcome::output::Sink;
use pipeline::worker::{serve_rows, string_field};
use video::VideoPrediction;
use video::{expand_clips, map_clips};

use crate::args::{bar, ModelArg, StreamArg};
use crate::failure::{video_failure, Error};

/// The predicted class and every class's score for a clip; for several clips or folders
/// (searched for video files), one line per clip in the order given (JSON lines with
/// --json), clips in parallel.
#[derive(Args)]
pub(crate) struct PredictArgs {
    #[arg(required_unless_present = "jsonl", num_args = 1..)]
    clips: Vec<PathBuf>,
    #[command(flatten)]
    stream: StreamArg,
    #[command(flatten)]
    model: ModelArg,
    #[arg(long)]
    json: bool,
    /// Worker mode: read one JSON object per line (`{"id": …, "path": …}`) from this file or
    /// `-`; write one JSON line per input line in input order, `{"id": …, "prediction": …}`,
    /// or an error record for a bad row.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["clips", "json"])]
    jsonl: Option<PathBuf>,
    /// With --jsonl: write to this file instead of standard output.
    #[arg(long, requires = "jsonl")]
    out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long, requires = "out")]
    force: bool,
}

pub(crate) fn run(args: PredictArgs) -> Result<(), Error> {
    let Some(input) = &args.jsonl else {
        return predict(&args.clips, args.stream.stream, &args.model, args.json);
    };
    let model = args.model.load()?;
    let mut out = Sink::open(args.out.as_deref(), args.force)?;
    serve_rows(input, &mut out, "prediction", |row| {
        model
            .predict(Path::new(string_field(row, "path")?), args.stream.stream)
            .map_err(video_failure)
    })?;
    Ok(out.finish()?)
}

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
