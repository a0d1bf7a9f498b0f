//! The compressed-domain action classifier: motion descriptors → PCA → diagonal Gaussian
//! mixture → improved Fisher vector (per descriptor type) → one-vs-rest linear SVM
//! (`linfa-svm`), and its model files.
//!
//! The SVM's hyperplane is kept as an `lrp::Dense` layer (weights `[dims, classes]`, bias
//! `[classes]`), so scoring and the explanation use one object. `linfa-svm` keeps a linear
//! model's hyperplane private; its weights are read back through `weighted_sum` on the unit
//! vectors (the map is linear) and its bias is `−rho`.

use std::fs;
use pipeline::progress::Progress;
use std::path::Path;
use std::time::Instant;

use linfa::traits::Fit;
use linfa::Dataset;
use linfa_svm::Svm;
use lrp::Dense;
use ndarray::{concatenate, Array1, Array2, ArrayD, Axis, Ix1, Ix2};
use pipeline::metrics::argmax;
use pipeline::model_folder::{check_format, read_tensor, save_folder, tensor_file, WeightPrecision};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use safetensors::tensor::SafeTensors;
use serde::{Deserialize, Serialize};

use crate::dataset::LabelledClip;
use crate::descriptor::{Descriptor, DescriptorExtractor, DescriptorOptions};
use crate::field::MotionField;
use crate::error::VideoError;
use crate::fisher::{improve, DiagonalGmm, FisherEncoder, Projection, CHUNK, MIN_VARIANCE};
use crate::motion::{FrameKind, MotionFrame, MotionOptions, MotionReader};

pub const CONFIG_FILE: &str = "model.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";
const FORMAT: &str = "relvis-video-fv";
const FORMAT_VERSION: u32 = 1;
/// The three descriptor types, in the order of the Fisher vector's parts.
pub const CHANNELS: [&str; 3] = ["hof", "mbhx", "mbhy"];

/// Every descriptor of a clip, by type, and the clip's frames.
pub struct ClipDescriptors {
    /// `[N, len]` per descriptor type (HOF, MBHx, MBHy).
    pub channels: [Array2<f32>; 3],
    /// Receptive fields, one per row.
    pub fields: Vec<Descriptor>,
    pub frame_kinds: Vec<FrameKind>,
    /// Block grid `(rows, cols)`.
    pub grid: (usize, usize),
    pub width: usize,
    pub height: usize,
}

/// Reads a clip's motion and computes all its descriptors.
pub fn clip_descriptors(path: &Path, reading: MotionOptions, options: DescriptorOptions) -> Result<ClipDescriptors, VideoError> {
    let reader = MotionReader::open(path, reading)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let frames = reader.map(|f| f.map(|f| (f.kind, f.field)));
    ClipDescriptors::from_fields(frames, (width, height), options).map_err(|e| match e {
        VideoError::Invalid(why) => VideoError::Invalid(format!("{}: {why}", path.display())),
        e => e,
    })
}

/// Streams a clip's descriptors in batches of about `CHUNK` to `each` (only one batch and one
/// cuboid of frames in memory); gives the number of frames.
pub fn stream_descriptors(path: &Path, reading: MotionOptions, options: DescriptorOptions, each: impl FnMut(&[Descriptor]) -> Result<(), VideoError>) -> Result<StreamedClip, VideoError> {
    stream_clip(path, reading, options, |_| {}, each)
}

/// Frames the decoding thread may run ahead of the descriptors.
const FRAMES_AHEAD: usize = 8;

/// [`stream_descriptors`], showing `frame_seen` every frame's motion as it passes. Decoding
/// and motion fields run on a thread of their own, descriptors and `each` on the caller's: the
/// two halves take about the same time, so a clip streams at nearly twice the speed.
pub fn stream_clip(path: &Path, reading: MotionOptions, options: DescriptorOptions, mut frame_seen: impl FnMut(&MotionFrame), mut each: impl FnMut(&[Descriptor]) -> Result<(), VideoError>) -> Result<StreamedClip, VideoError> {
    let mut extractor = DescriptorExtractor::new(options)?;
    std::thread::scope(|scope| {
        let (sender, frames) = std::sync::mpsc::sync_channel::<Result<MotionFrame, VideoError>>(FRAMES_AHEAD);
        let reading = std::thread::Builder::new().name("relvis-decode".into()).spawn_scoped(scope, move || -> Result<(usize, usize), VideoError> {
            let mut reader = MotionReader::open(path, reading)?;
            for frame in reader.by_ref() {
                let failed = frame.is_err();
                // A closed channel means the descriptors stopped on an error of their own.
                if sender.send(frame).is_err() || failed {
                    break;
                }
            }
            Ok((reader.damaged_frames(), reader.corrupt_packets()))
        });
        // Only the system's thread limit refuses a thread; the clip cannot be read then.
        let reading = reading.map_err(|e| VideoError::read(path, e))?;
        let mut describe = || -> Result<usize, VideoError> {
            let (mut batch, mut count, mut any) = (Vec::new(), 0, false);
            for frame in frames.iter() {
                let frame = frame?;
                frame_seen(&frame);
                count += 1;
                batch.extend(extractor.push(frame.index, &frame.field));
                if batch.len() >= CHUNK {
                    each(&batch)?;
                    batch.clear();
                    any = true;
                }
            }
            if !batch.is_empty() {
                each(&batch)?;
                any = true;
            }
            Ok(if any { count } else { 0 })
        };
        let described = describe();
        drop(frames);
        let (damaged_frames, corrupt_packets) = reading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        match described? {
            0 => Err(VideoError::Invalid(format!("{}: too short or too small for one {}-frame descriptor", path.display(), options.frames))),
            frames => Ok(StreamedClip { frames, damaged_frames, corrupt_packets }),
        }
    })
}

/// What streaming a clip met: its frames, and the damage the decoder worked around.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StreamedClip {
    pub frames: usize,
    /// Frames flagged corrupt or patched by the decoder's error concealment.
    pub damaged_frames: usize,
    /// Packets that did not decode and were skipped.
    pub corrupt_packets: usize,
}

/// The rows of one descriptor type of a batch.
pub(crate) fn channel(batch: &[Descriptor], c: usize) -> Array2<f32> {
    fn get(d: &Descriptor, c: usize) -> &[f32] {
        match c {
            0 => &d.hof,
            1 => &d.mbhx,
            _ => &d.mbhy,
        }
    }
    let len = batch.first().map_or(0, |d| get(d, c).len());
    let mut rows = Vec::with_capacity(batch.len() * len);
    for d in batch {
        rows.extend_from_slice(get(d, c));
    }
    Array2::from_shape_vec((batch.len(), len), rows).expect("equal lengths")
}

impl ClipDescriptors {
    /// All descriptors of a sequence of frames' fields (display order) of a
    /// `width`×`height` clip.
    pub fn from_fields<F: std::borrow::Borrow<MotionField>>(frames: impl Iterator<Item = Result<(FrameKind, F), VideoError>>, (width, height): (usize, usize), options: DescriptorOptions) -> Result<Self, VideoError> {
        let mut extractor = DescriptorExtractor::new(options)?;
        let (mut fields, mut kinds, mut grid) = (Vec::new(), Vec::new(), (0, 0));
        for (index, frame) in frames.enumerate() {
            let (kind, field) = frame?;
            let field = field.borrow();
            grid = (field.rows(), field.cols());
            kinds.push(kind);
            fields.extend(extractor.push(index, field));
        }
        if fields.is_empty() {
            return Err(VideoError::Invalid(format!("too short or too small for one {}-frame descriptor", options.frames)));
        }
        let channels = [channel(&fields, 0), channel(&fields, 1), channel(&fields, 2)];
        // The receptive fields stay; the values live in `channels`.
        for d in &mut fields {
            d.hof = Vec::new();
            d.mbhx = Vec::new();
            d.mbhy = Vec::new();
        }
        Ok(ClipDescriptors { channels, fields, frame_kinds: kinds, grid, width, height })
    }
}

/// Training settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub block: usize,
    pub descriptor: DescriptorOptions,
    /// Mixture components per descriptor type.
    pub components: usize,
    /// Descriptors sampled per clip for PCA and the mixture.
    pub sample_per_clip: usize,
    /// The SVM's C.
    pub c: f64,
    pub seed: u64,
}

impl TrainOptions {
    /// Checks the settings: a block of at least one pixel, a valid descriptor layout, at least
    /// one mixture component and one descriptor per clip, and a finite `c > 0`.
    pub fn check(&self) -> Result<(), VideoError> {
        let bad = |what: String| Err(VideoError::Settings(format!("training settings: {what}")));
        if self.block == 0 {
            return bad("block must be at least one pixel".into());
        }
        self.descriptor.check().map_err(|e| VideoError::Settings(format!("training settings: {e}")))?;
        if self.components == 0 || self.sample_per_clip == 0 {
            return bad("components and sample_per_clip must be at least 1".into());
        }
        if !(self.c.is_finite() && self.c > 0.0) {
            return bad(format!("c {}: expected a finite number above 0", self.c));
        }
        Ok(())
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { block: 16, descriptor: DescriptorOptions::default(), components: 32, sample_per_clip: 300, c: 10.0, seed: 1 }
    }
}

/// What a model records of its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    pub clips: usize,
    pub descriptors_sampled: usize,
    pub train_accuracy: f64,
    pub seconds: f64,
    /// Frames decoded per second over both passes.
    pub frames_per_second: f64,
}

/// A model's JSON part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VideoModelConfig {
    pub format: String,
    pub version: u32,
    pub classes: Vec<String>,
    pub options: TrainOptions,
    /// PCA output dimensions per descriptor type.
    pub pca_dims: [usize; 3],
    pub training: TrainingRecord,
    /// Held-out accuracy measured at training time, if there was a held-out part.
    pub test_accuracy: Option<f64>,
}

/// A trained classifier.
pub struct VideoClassifier {
    pub config: VideoModelConfig,
    pub encoders: [FisherEncoder; 3],
    /// The SVM hyperplanes, one output per class.
    pub svm: Dense,
}

/// A clip's class and the scores of every class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VideoPrediction {
    pub class: usize,
    pub class_name: String,
    pub scores: Vec<f32>,
    /// Frames and decoder damage of the clip, when it was streamed from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clip: Option<StreamedClip>,
}

impl VideoClassifier {
    /// The normalised Fisher vector of a clip's descriptors (each type's part improved and
    /// L2-normalised, then concatenated) and the raw parts.
    pub fn fisher_vector(&self, clip: &ClipDescriptors) -> Array1<f32> {
        let parts: Vec<Array1<f32>> = self.encoders.iter().zip(&clip.channels).map(|(e, x)| improve(e.raw(x.view()).view())).collect();
        concatenate(Axis(0), &parts.iter().map(|p| p.view()).collect::<Vec<_>>()).expect("1-d parts")
    }

    /// SVM scores of a Fisher vector.
    pub fn scores(&self, fv: &Array1<f32>) -> Array1<f32> {
        let mut s = fv.dot(&self.svm.weight);
        if let Some(b) = &self.svm.bias {
            s += b;
        }
        s
    }

    pub fn predict_descriptors(&self, clip: &ClipDescriptors) -> VideoPrediction {
        let scores = self.scores(&self.fisher_vector(clip));
        let class = argmax(&scores);
        VideoPrediction { class, class_name: self.config.classes[class].clone(), scores: scores.to_vec(), clip: None }
    }

    /// How this model reads a clip's motion: its block size, the stream given (see
    /// [`MotionOptions::stream`]).
    pub fn reading(&self, stream: Option<usize>) -> MotionOptions {
        MotionOptions { block: self.config.options.block, pictures: false, stream }
    }

    /// The raw Fisher-vector parts `Σ_i φ(x_i)` (HOF, MBHx, MBHy) of the clip at `path` and its
    /// number of descriptors, streamed: the parts are sums over descriptors, accumulated batch
    /// by batch, so memory does not grow with the clip. `frame_seen` sees every frame's motion.
    pub fn clip_raw_fisher(&self, path: &Path, stream: Option<usize>, frame_seen: impl FnMut(&MotionFrame)) -> Result<(Vec<Array1<f32>>, usize, StreamedClip), VideoError> {
        let mut raw: Vec<Array1<f64>> = self.encoders.iter().map(|e| Array1::zeros(e.fisher_len())).collect();
        let mut count = 0usize;
        let streamed = stream_clip(path, self.reading(stream), self.config.options.descriptor, frame_seen, |batch| {
            for (c, (encoder, sum)) in self.encoders.iter().zip(&mut raw).enumerate() {
                *sum += &encoder.term_sum(channel(batch, c).view(), 1);
            }
            count += batch.len();
            Ok(())
        })?;
        Ok((raw.into_iter().map(|r| r.mapv(|v| (v / count as f64) as f32)).collect(), count, streamed))
    }

    /// The normalised Fisher vector of the clip at `path`, streamed.
    pub fn clip_fisher_vector(&self, path: &Path, stream: Option<usize>) -> Result<(Array1<f32>, StreamedClip), VideoError> {
        let (raw, _, streamed) = self.clip_raw_fisher(path, stream, |_| {})?;
        let parts: Vec<Array1<f32>> = raw.iter().map(|r| improve(r.view())).collect();
        Ok((concatenate(Axis(0), &parts.iter().map(|p| p.view()).collect::<Vec<_>>()).expect("1-d parts"), streamed))
    }

    /// Class and scores of the clip at `path` (streamed), read from `stream` (the default
    /// stream when `None`).
    pub fn predict(&self, path: &Path, stream: Option<usize>) -> Result<VideoPrediction, VideoError> {
        let (fv, streamed) = self.clip_fisher_vector(path, stream)?;
        let scores = self.scores(&fv);
        let class = argmax(&scores);
        Ok(VideoPrediction { class, class_name: self.config.classes[class].clone(), scores: scores.to_vec(), clip: Some(streamed) })
    }

    /// Trains on `clips` (labels index `classes`); `progress(done, total)` after each clip of
    /// each of the two passes (sampling for PCA and the mixture; Fisher vectors).
    pub fn train(clips: &[LabelledClip], classes: &[String], options: &TrainOptions, progress: &Progress) -> Result<Self, VideoError> {
        let start = Instant::now();
        options.check()?;
        if clips.is_empty() {
            return Err(VideoError::Invalid("no training clips".into()));
        }
        let total = 2 * clips.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let tick = || progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
        // Pass 1: a seeded sample of descriptors from every clip.
        let samples: Vec<([Array2<f32>; 3], usize)> = clips
            .par_iter()
            .enumerate()
            .map(|(i, clip)| {
                // A seeded reservoir sample (Algorithm R) over the streamed descriptors.
                let mut rng = StdRng::seed_from_u64(options.seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
                let (mut kept, mut seen): (Vec<Descriptor>, usize) = (Vec::new(), 0);
                let frames = stream_descriptors(&clip.path, MotionOptions::with_block(options.block), options.descriptor, |batch| {
                    for d in batch {
                        if kept.len() < options.sample_per_clip {
                            kept.push(d.clone());
                        } else {
                            let j = rng.gen_range(0..=seen);
                            if j < kept.len() {
                                kept[j] = d.clone();
                            }
                        }
                        seen += 1;
                    }
                    Ok(())
                })?
                .frames;
                tick();
                Ok(([channel(&kept, 0), channel(&kept, 1), channel(&kept, 2)], frames))
            })
            .collect::<Result<_, VideoError>>()?;
        let frames: usize = samples.iter().map(|(_, f)| f).sum();
        let mut encoders = Vec::new();
        let mut pca_dims = [0; 3];
        for c in 0..3 {
            let x = concatenate(Axis(0), &samples.iter().map(|(s, _)| s[c].view()).collect::<Vec<_>>()).expect("equal widths");
            let projection = Projection::fit(x.view(), x.ncols() / 2)?;
            pca_dims[c] = projection.output_dims();
            let gmm = DiagonalGmm::fit(projection.apply(x.view()).view(), options.components, 100, options.seed + c as u64)?;
            encoders.push(FisherEncoder { projection, gmm });
        }
        let descriptors_sampled = samples.iter().map(|(s, _)| s[0].nrows()).sum();
        drop(samples);
        let encoders: [FisherEncoder; 3] = encoders.try_into().unwrap_or_else(|_| unreachable!("three channels"));
        let placeholder = Dense::new(Array2::zeros((1, classes.len())), None).map_err(|e| VideoError::Invalid(e.to_string()))?;
        let config = VideoModelConfig {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            classes: classes.to_vec(),
            options: options.clone(),
            pca_dims,
            training: TrainingRecord { clips: clips.len(), descriptors_sampled, train_accuracy: 0.0, seconds: 0.0, frames_per_second: 0.0 },
            test_accuracy: None,
        };
        let mut model = VideoClassifier { config, encoders, svm: placeholder };
        // Pass 2: Fisher vectors, then one linear SVM per class against the rest.
        let fvs: Vec<Array1<f32>> = clips
            .par_iter()
            .map(|clip| {
                let (fv, _) = model.clip_fisher_vector(&clip.path, None)?;
                tick();
                Ok(fv)
            })
            .collect::<Result<_, VideoError>>()?;
        let x = ndarray::stack(Axis(0), &fvs.iter().map(|f| f.view()).collect::<Vec<_>>()).expect("equal lengths").mapv(f64::from);
        let dims = x.ncols();
        let mut weight = Array2::<f32>::zeros((dims, classes.len()));
        let mut bias = Array1::<f32>::zeros(classes.len());
        for (k, name) in classes.iter().enumerate() {
            let targets: Array1<bool> = clips.iter().map(|c| c.label == k).collect();
            if targets.iter().all(|&t| t) || !targets.iter().any(|&t| t) {
                return Err(VideoError::Invalid(format!("class `{name}` needs training clips of its own and of other classes")));
            }
            let svm = Svm::<f64, bool>::params()
                .pos_neg_weights(options.c, options.c)
                .linear_kernel()
                .fit(&Dataset::new(x.clone(), targets))
                .map_err(|e| VideoError::Invalid(format!("SVM for `{name}`: {e}")))?;
            let mut unit = Array1::<f64>::zeros(dims);
            for j in 0..dims {
                unit[j] = 1.0;
                weight[[j, k]] = svm.weighted_sum(&unit) as f32;
                unit[j] = 0.0;
            }
            bias[k] = -svm.rho as f32;
        }
        model.svm = Dense::new(weight, Some(bias)).map_err(|e| VideoError::Invalid(e.to_string()))?;
        let correct = fvs.iter().zip(clips).filter(|(fv, clip)| argmax(&model.scores(fv)) == clip.label).count();
        let seconds = start.elapsed().as_secs_f64();
        model.config.training = TrainingRecord { clips: clips.len(), descriptors_sampled, train_accuracy: correct as f64 / clips.len() as f64, seconds, frames_per_second: 2.0 * frames as f64 / seconds };
        Ok(model)
    }

    /// Writes the model folder `dir` (refused if it exists unless `overwrite`), through a
    /// temporary folder moved into place.
    pub fn save(&self, dir: &Path, overwrite: bool) -> Result<(), VideoError> {
        save_folder(dir, overwrite, CONFIG_FILE, |staging| {
            let config_path = staging.join(CONFIG_FILE);
            fs::write(&config_path, serde_json::to_string_pretty(&self.config).expect("serialises")).map_err(|e| VideoError::write(&config_path, e))?;
            let weights_path = staging.join(WEIGHTS_FILE);
            let weights = tensor_file(&self.tensors(), WeightPrecision::F32, FORMAT, FORMAT_VERSION).map_err(VideoError::Invalid)?;
            fs::write(&weights_path, weights).map_err(|e| VideoError::write(&weights_path, e))
        })
    }

    fn tensors(&self) -> Vec<(String, ArrayD<f32>)> {
        let mut out = Vec::new();
        for (name, e) in CHANNELS.iter().zip(&self.encoders) {
            out.push((format!("{name}.pca.mean"), e.projection.mean.clone().into_dyn()));
            out.push((format!("{name}.pca.components"), e.projection.components.clone().into_dyn()));
            out.push((format!("{name}.gmm.weights"), e.gmm.weights.clone().into_dyn()));
            out.push((format!("{name}.gmm.means"), e.gmm.means.clone().into_dyn()));
            out.push((format!("{name}.gmm.variances"), e.gmm.variances.clone().into_dyn()));
        }
        out.push(("svm.weight".into(), self.svm.weight.clone().into_dyn()));
        out.push(("svm.bias".into(), self.svm.bias.clone().expect("the SVM has a bias").into_dyn()));
        out
    }

    /// Reads a model folder.
    pub fn load(dir: &Path) -> Result<Self, VideoError> {
        let config_path = dir.join(CONFIG_FILE);
        let missing = |path: &Path, e: std::io::Error| {
            let problem = if dir.join("tokenizer.json").is_file() || dir.join("vocab.txt").is_file() {
                "a relvis text model folder; xai-video needs a video model".to_string()
            } else {
                format!("{e} (not a relvis video model folder?)")
            };
            VideoError::ModelFile { path: path.to_path_buf(), problem }
        };
        let config = fs::read_to_string(&config_path).map_err(|e| missing(&config_path, e))?;
        let weights_path = dir.join(WEIGHTS_FILE);
        let weights = fs::read(&weights_path).map_err(|e| missing(&weights_path, e))?;
        Self::from_files(&config, &config_path, &weights, &weights_path)
    }

    /// A model from its files' contents, checking format, version, every tensor's shape and
    /// that all values are finite; the paths name the files in errors.
    pub fn from_files(config: &str, config_path: &Path, weights: &[u8], weights_path: &Path) -> Result<Self, VideoError> {
        let problem = |path: &Path, problem: String| VideoError::ModelFile { path: path.to_path_buf(), problem };
        let value: serde_json::Value = serde_json::from_str(config).map_err(|e| problem(config_path, format!("not a model file ({e})")))?;
        check_format(&value, FORMAT, FORMAT_VERSION..=FORMAT_VERSION, "video").map_err(|p| problem(config_path, p))?;
        let config: VideoModelConfig = serde_json::from_value(value).map_err(|e| problem(config_path, e.to_string()))?;
        let tensors = SafeTensors::deserialize(weights).map_err(|e| problem(weights_path, e.to_string()))?;
        let read = |name: &str, shape: &[usize]| read_tensor(&tensors, name, WeightPrecision::F32, shape).map_err(|p| problem(weights_path, p));
        let o = &config.options;
        let inputs = [o.descriptor.hof_len(), o.descriptor.mbh_len(), o.descriptor.mbh_len()];
        let (k, classes) = (o.components, config.classes.len());
        let mut encoders = Vec::new();
        let mut dims = 0;
        for (c, name) in CHANNELS.iter().enumerate() {
            let d = config.pca_dims[c];
            let two = |a: ArrayD<f32>| a.into_dimensionality::<Ix2>().expect("2-d");
            let one = |a: ArrayD<f32>| a.into_dimensionality::<Ix1>().expect("1-d");
            let projection = Projection { mean: one(read(&format!("{name}.pca.mean"), &[inputs[c]])?), components: two(read(&format!("{name}.pca.components"), &[d, inputs[c]])?) };
            let gmm = DiagonalGmm { weights: one(read(&format!("{name}.gmm.weights"), &[k])?), means: two(read(&format!("{name}.gmm.means"), &[k, d])?), variances: two(read(&format!("{name}.gmm.variances"), &[k, d])?) };
            // Training floors every variance at MIN_VARIANCE; a smaller one makes the Fisher terms overflow.
            if gmm.variances.iter().any(|&v| f64::from(v) < 0.999 * MIN_VARIANCE) {
                return Err(problem(weights_path, format!("tensor `{name}.gmm.variances` holds a variance below {MIN_VARIANCE:e}")));
            }
            dims += 2 * k * d;
            encoders.push(FisherEncoder { projection, gmm });
        }
        let weight = read("svm.weight", &[dims, classes])?.into_dimensionality::<Ix2>().expect("2-d");
        let bias = read("svm.bias", &[classes])?.into_dimensionality::<Ix1>().expect("1-d");
        let svm = Dense::new(weight, Some(bias)).map_err(|e| problem(weights_path, e.to_string()))?;
        let encoders: [FisherEncoder; 3] = encoders.try_into().unwrap_or_else(|_| unreachable!("three channels"));
        Ok(VideoClassifier { config, encoders, svm })
    }
}
