//! `predict` and `explain` over one clip or many: reading, printing and the report folders.

use std::path::{Path, PathBuf};
use std::time::Instant;

use outcome::output::StagedFolder;
use outcome::{outln, Failure};
use pipeline::metrics::argmax;
use video::batch::{expand_clips, map_clips, report_folders};
use video::classifier::VideoPrediction;
use video::explain::{explain_clip, VideoExplanation};
use video::report::{write_report, ReportFiles, ReportOptions};

use crate::{bar, class_index, ModelArg};

pub(crate) fn predict(inputs: &[PathBuf], stream: Option<usize>, model: &ModelArg, json: bool) -> Result<(), Failure> {
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
    let results = map_clips(&clips, |clip| model.predict(clip, stream), &|done| progress.set_position(done as u64));
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
                let failure = Failure::from(e);
                outcome::errln!("error: {}", failure.message);
                if json {
                    outln!("{}", serde_json::json!({ "path": clip.display().to_string(), "error": failure.message, "exit": failure.kind.code() }))?;
                }
                first_failure.get_or_insert(failure);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    outcome::errln!("{} clips, {frames} frames in {seconds:.1} s ({:.0} frames/s)", clips.len(), frames as f64 / seconds.max(1e-9));
    first_failure.map_or(Ok(()), Err)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn explain_clips(inputs: &[PathBuf], stream: Option<usize>, model: &ModelArg, class: Option<&str>, out: &Path, rules: &lrp::Composite, options: ReportOptions, force: bool) -> Result<(), Failure> {
    let model = model.load()?;
    let class = match class {
        Some(name) => Some(class_index(&model, name)?),
        None => None,
    };
    let clips = expand_clips(inputs)?;
    let single = clips.len() == 1 && !inputs[0].is_dir();
    let staged = StagedFolder::new(out, force)?;
    let folders: Vec<PathBuf> = if single { vec![staged.path().to_path_buf()] } else { report_folders(&clips).into_iter().map(|name| staged.path().join(name)).collect() };
    let explain_one = |clip: &Path, folder: &Path| -> Result<(VideoExplanation, ReportFiles), Failure> {
        std::fs::create_dir_all(folder).map_err(|e| staged.name_destination(Failure::new(outcome::FailureKind::Output, format!("{}: {e}", folder.display()))))?;
        let e = explain_clip(&model, clip, stream, class, rules)?;
        let files = write_report(clip, &e, model.reading(stream), folder, options).map_err(|e| staged.name_destination(e.into()))?;
        Ok((e, files))
    };
    let progress = bar(clips.len(), "clips");
    let pairs: Vec<(PathBuf, PathBuf)> = clips.iter().cloned().zip(folders).collect();
    let results = map_clips(&pairs, |(clip, folder)| explain_one(clip, folder), &|done| if !single { progress.set_position(done as u64) });
    progress.finish_and_clear();
    let mut explained = Vec::new();
    for (clip, result) in clips.iter().zip(results) {
        explained.push((clip, result?));
    }
    let staging = staged.path().to_path_buf();
    staged.commit()?;
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
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
        outln!("{}: score {:+.4} → blocks {:+.4} (absorbed {:+.4})", e.method, c.explained, c.blocks, c.absorbed)?;
        for l in &c.layers {
            outln!("  step {} {:<17} {:<16} Σ R out {:+.4}  in {:+.4}", l.index, l.kind, l.rule.as_deref().unwrap_or("(passes)"), l.relevance_out, l.relevance_in)?;
        }
        outln!("most relevant frames: {:?}", files.top_frames)?;
        let shown = files.json.parent().and_then(|p| p.strip_prefix(&staging).ok()).map_or_else(|| out.to_path_buf(), |rel| out.join(rel));
        outln!("wrote {} ({} overlay frames, {}, {}, {}, {})", shown.display(), files.frames.len(), name(&files.relevance), name(&files.curve), name(&files.montage), name(&files.video))?;
    }
    Ok(())
}
