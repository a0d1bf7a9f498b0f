//! LRP through the whole pipeline, as a chain of linear steps explained with `crates/lrp`'s
//! rules, numbered from the input like a network's layers (a composite's `INDEX:` and
//! `KIND:` entries address them):
//!
//! 0. `receptive-fields` (linear): blocks × frames → descriptors, each descriptor the sum of
//!    its cuboid. A descriptor is no function of "block activations", so the step has no input
//!    to weigh: the flat rule, uniform over the cuboid (conserves exactly).
//! 1. `fisher-terms` (linear): descriptors → raw Fisher-vector dimensions, each dimension the
//!    sum of per-descriptor terms `φ_ij` (inputs 1, weights `φ_ij`). Explained batch by batch
//!    against the whole vector (`lrp::relevance_through_part`), so LRP-0 or LRP-ε.
//! 2. `normalisation`: power and L2 normalisation per descriptor type (`lrp::PowerNorm`),
//!    element-wise up to a positive factor; relevance passes unchanged (as in Bach et al. 2016
//!    for Fisher vectors).
//! 3. `dense`: the SVM, class scores over the normalised Fisher vector (`lrp::Dense`); any rule.
//!
//! The default is LRP-ε with ε = 10⁻³ on steps 1 and 3 ([`DEFAULT_RULE`]). A clip is read
//! twice ([`explain_clip`]): once for its Fisher vector and score, once more for the relevance
//! of each batch of descriptors, so memory does not grow with the clip's length beyond the
//! block relevance itself (4 bytes per block and frame).

use std::path::Path;

use lrp::{relevance_through, relevance_through_part, Composite, LayerKind, Rule};
use ndarray::{s, Array1, Array3, ArrayD, ArrayView2, IxDyn};
use pipeline::conservation::{InputRelevance, LayerSum};
use pipeline::metrics::argmax;
use serde::{Deserialize, Serialize};

use crate::decode::{FrameKind, MotionOptions};
use crate::error::VideoError;
use crate::explain::{FisherTerms, ReceptiveFields, DEFAULT_RULE};
use crate::features::Descriptor;
use crate::features::CHUNK;
use crate::features::{stream_descriptors, ClipDescriptors};
use crate::model::VideoClassifier;

/// The chain's steps, from the input.
const RECEPTIVE_FIELDS: usize = 0;
const FISHER_TERMS: usize = 1;
const NORMALISATION: usize = 2;
const SVM: usize = 3;

/// The default rules, [`DEFAULT_RULE`].
pub fn default_rules() -> Composite {
    DEFAULT_RULE.parse().expect("a valid composite")
}

/// What of an explained score reached the blocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockTotals {
    /// The sum of all block relevances.
    pub blocks: f64,
}

/// `explained − blocks`: taken by the SVM's bias and the stabilisers.
impl InputRelevance for BlockTotals {
    fn absorbed(&self, explained: f64) -> f64 {
        explained - self.blocks
    }
}

/// Where the explained score went: the blocks, what the steps absorbed, each step's sums from
/// the SVM back to the blocks.
pub type Conservation = pipeline::conservation::Conservation<BlockTotals>;

/// Where a clip's class score went.
#[derive(Clone, Debug, Serialize)]
pub struct VideoExplanation {
    pub class: usize,
    pub class_name: String,
    pub score: f32,
    pub scores: Vec<f32>,
    /// The rules, as a composite.
    pub method: String,
    /// Relevance per frame, block row and block column `[frames, rows, cols]` (signed).
    #[serde(skip)]
    pub blocks: Array3<f32>,
    /// Sum over each frame's blocks.
    pub per_frame: Vec<f32>,
    pub frame_kinds: Vec<char>,
    /// Presentation time of each frame in seconds, when the clip was read from its file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frame_times: Vec<f64>,
    /// Relevance of each descriptor (all three types together), in descriptor order.
    #[serde(skip)]
    pub descriptors: Array1<f32>,
    pub conservation: Conservation,
}

/// An explanation as one JSON object, with the block relevance as nested lists
/// `blocks[frame][row][column]` (the worker mode's records, which SpRAy reads back).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExplanationRecord {
    pub class: usize,
    pub class_name: String,
    pub score: f32,
    pub scores: Vec<f32>,
    pub method: String,
    pub per_frame: Vec<f32>,
    pub frame_kinds: Vec<char>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frame_times: Vec<f64>,
    pub conservation: Conservation,
    pub blocks: Vec<Vec<Vec<f32>>>,
}

impl From<&VideoExplanation> for ExplanationRecord {
    fn from(e: &VideoExplanation) -> Self {
        let blocks = e
            .blocks
            .outer_iter()
            .map(|frame| frame.outer_iter().map(|row| row.to_vec()).collect())
            .collect();
        ExplanationRecord {
            class: e.class,
            class_name: e.class_name.clone(),
            score: e.score,
            scores: e.scores.clone(),
            method: e.method.clone(),
            per_frame: e.per_frame.clone(),
            frame_kinds: e.frame_kinds.clone(),
            frame_times: e.frame_times.clone(),
            conservation: e.conservation.clone(),
            blocks,
        }
    }
}

/// What a pass hands each batch: its `[HOF, MBHx, MBHy]` rows and their receptive fields.
type BatchVisitor<'a> =
    dyn FnMut([ArrayView2<f32>; 3], &[Descriptor]) -> Result<(), VideoError> + 'a;

/// A clip's descriptors batch by batch (`[HOF, MBHx, MBHy]` rows and their receptive
/// fields), read again as often as asked.
trait DescriptorPasses {
    fn pass(&self, each: &mut BatchVisitor) -> Result<(), VideoError>;
}

impl DescriptorPasses for ClipDescriptors {
    fn pass(&self, each: &mut BatchVisitor) -> Result<(), VideoError> {
        let n = self.fields.len();
        for start in (0..n).step_by(CHUNK) {
            let rows = start..(start + CHUNK).min(n);
            let channels = [0, 1, 2].map(|c| self.channels[c].slice(s![rows.clone(), ..]));
            each(channels, &self.fields[rows])?;
        }
        Ok(())
    }
}

/// A clip file, its descriptors computed again on every pass.
struct StreamedDescriptors<'a> {
    path: &'a Path,
    reading: MotionOptions,
    options: crate::features::DescriptorOptions,
}

impl DescriptorPasses for StreamedDescriptors<'_> {
    fn pass(&self, each: &mut BatchVisitor) -> Result<(), VideoError> {
        stream_descriptors(self.path, self.reading, self.options, |batch| {
            each([0, 1, 2].map(|c| batch.channel(c)), batch.fields())
        })
        .map(|_| ())
    }
}

/// Explains the model's score for `class` (the predicted class when `None`) on a clip's
/// descriptors, with `rules` for the chain's steps (the module notes).
pub fn explain_descriptors(
    model: &VideoClassifier,
    clip: &ClipDescriptors,
    class: Option<usize>,
    rules: &Composite,
) -> Result<VideoExplanation, VideoError> {
    let raw: Vec<Array1<f32>> =
        model.encoders.iter().zip(&clip.channels).map(|(e, x)| e.raw(x.view())).collect();
    let passes = ClipPasses {
        raw: &raw,
        count: clip.fields.len(),
        frame_kinds: &clip.frame_kinds,
        grid: clip.grid,
        source: clip,
    };
    explain_passes(model, passes, class, rules)
}

/// Explains the model's score for `class` on the clip at `path` (read as `reading` says; the
/// model's block size), in two passes over the file: memory stays flat with the clip's length.
pub fn explain_clip(
    model: &VideoClassifier,
    path: &Path,
    stream: Option<usize>,
    class: Option<usize>,
    rules: &Composite,
) -> Result<VideoExplanation, VideoError> {
    let (mut kinds, mut times, mut grid) = (Vec::new(), Vec::new(), (0, 0));
    let (raw, count, _) = model.clip_raw_fisher(path, stream, |frame| {
        kinds.push(frame.kind);
        times.push(frame.time);
        grid = (frame.field.rows(), frame.field.cols());
    })?;
    let source = StreamedDescriptors {
        path,
        reading: model.reading(stream),
        options: model.config.options.descriptor,
    };
    let passes = ClipPasses { raw: &raw, count, frame_kinds: &kinds, grid, source: &source };
    let explanation = explain_passes(model, passes, class, rules)?;
    Ok(VideoExplanation { frame_times: times, ..explanation })
}

/// The rules of the Fisher-vector and SVM steps, checked: the Fisher step is explained
/// batch by batch, which LRP-0 and LRP-ε allow.
fn step_rules(rules: &Composite) -> Result<(Rule, Rule), VideoError> {
    rules.validate().map_err(|e| VideoError::Settings(e.to_string()))?;
    let (fisher, svm) =
        (rules.rule_for(FISHER_TERMS, LayerKind::Linear), rules.rule_for(SVM, LayerKind::Dense));
    if !matches!(fisher, Rule::Zero | Rule::Epsilon(_)) {
        return Err(VideoError::Settings(format!(
            "rule {fisher} for the Fisher-vector step (step {FISHER_TERMS}): it is explained batch by batch, which takes lrp0 or epsilon; give it its own, e.g. `{fisher};{FISHER_TERMS}:epsilon=0.001`"
        )));
    }
    Ok((fisher, svm))
}

/// A clip as the explanation's passes see it: the raw Fisher-vector parts `raw` of its `count`
/// descriptors, its frame types and block grid, and the descriptors to be read once more.
struct ClipPasses<'a> {
    raw: &'a [Array1<f32>],
    count: usize,
    frame_kinds: &'a [FrameKind],
    grid: (usize, usize),
    source: &'a dyn DescriptorPasses,
}

/// The explanation of `clip` from its raw Fisher-vector parts and one more pass over its
/// descriptors.
fn explain_passes(
    model: &VideoClassifier,
    clip: ClipPasses<'_>,
    class: Option<usize>,
    rules: &Composite,
) -> Result<VideoExplanation, VideoError> {
    let ClipPasses { raw, count, frame_kinds, grid, source } = clip;
    let (fisher_rule, svm_rule) = step_rules(rules)?;
    let fv = model.normalised(raw);
    let scores = model.scores(&fv);
    let class = class.unwrap_or_else(|| argmax(&scores));
    if class >= scores.len() {
        return Err(VideoError::Invalid(format!("class {class} of {}", scores.len())));
    }
    let score = scores[class];
    let mut target = Array1::<f32>::zeros(scores.len());
    target[class] = score;
    // 3. SVM → normalised Fisher vector; 2. element-wise normalisation: unchanged.
    let r_fv =
        relevance_through(&model.svm, fv.view().into_dyn(), target.view().into_dyn(), &svm_rule)?;
    let mut r_desc = Vec::with_capacity(count);
    let shape = [frame_kinds.len(), grid.0, grid.1];
    let mut blocks = Array3::<f32>::zeros(shape);
    source.pass(&mut |channels, fields| {
        // 1. Fisher vector → this batch of descriptors, type by type, against the whole
        // Fisher vector's dimensions `raw`.
        let ones = Array1::<f32>::ones(fields.len());
        let mut r = Array1::<f32>::zeros(fields.len());
        let mut offset = 0;
        for ((encoder, x), z) in model.encoders.iter().zip(channels).zip(raw) {
            let part = r_fv.slice(s![offset..offset + encoder.fisher_len()]);
            offset += encoder.fisher_len();
            let map = FisherTerms { encoder, descriptors: x, count };
            r += &relevance_through_part(
                &map,
                ones.view().into_dyn(),
                z.view().into_dyn(),
                part.into_dyn(),
                &fisher_rule,
            )?
            .into_dimensionality::<ndarray::Ix1>()
            .expect("1-d");
        }
        // 0. → blocks × frames, flat over each receptive field, on the frames the batch covers.
        let first_frame = fields.iter().map(|d| d.frames.start).min().unwrap_or(0);
        let last_frame = fields.iter().map(|d| d.frames.end).max().unwrap_or(0).min(shape[0]);
        let window = [last_frame - first_frame, shape[1], shape[2]];
        let map = ReceptiveFields { fields, first_frame, shape: window };
        let spread = relevance_through(
            &map,
            ArrayD::<f32>::zeros(IxDyn(&window)).view(),
            r.view().into_dyn(),
            &Rule::Flat,
        )?;
        let mut target = blocks.slice_mut(s![first_frame..last_frame, .., ..]);
        target += &spread.into_dimensionality::<ndarray::Ix3>().expect("3-d");
        r_desc.extend(r);
        Ok(())
    })?;
    let r_desc = Array1::from(r_desc);
    let per_frame: Vec<f32> = blocks.outer_iter().map(|f| f.sum()).collect();
    let (at_fv, at_descriptors, at_blocks) = (total(&r_fv), total(&r_desc), total(&blocks));
    let step =
        |index: usize, kind: &str, rule: Option<Rule>, relevance_out: f64, relevance_in: f64| {
            LayerSum {
                index,
                kind: kind.into(),
                rule: rule.map(|r| r.to_string()),
                relevance_out,
                relevance_in,
            }
        };
    let layers = vec![
        step(SVM, "dense", Some(svm_rule), f64::from(score), at_fv),
        step(NORMALISATION, "normalisation", None, at_fv, at_fv),
        step(FISHER_TERMS, "fisher-terms", Some(fisher_rule), at_fv, at_descriptors),
        step(RECEPTIVE_FIELDS, "receptive-fields", Some(Rule::Flat), at_descriptors, at_blocks),
    ];
    Ok(VideoExplanation {
        class,
        class_name: model.config.classes[class].clone(),
        score,
        scores: scores.to_vec(),
        method: format!("lrp {rules}"),
        per_frame,
        frame_kinds: frame_kinds.iter().map(|k| k.letter()).collect(),
        frame_times: Vec::new(),
        blocks,
        descriptors: r_desc,
        conservation: Conservation::new(
            f64::from(score),
            BlockTotals { blocks: at_blocks },
            layers,
        ),
    })
}

/// `Σ v` in f64.
fn total<'a>(values: impl IntoIterator<Item = &'a f32>) -> f64 {
    values.into_iter().map(|&v| f64::from(v)).sum()
}
