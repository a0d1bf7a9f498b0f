//! Explanations of one output: LRP with a composite of rules, the gradient (sensitivity
//! analysis) and Gradient×Input, with the relevance sum at every layer so that conservation
//! and what biases and ε absorb are visible.

use ndarray::{ArrayD, ArrayViewD, Axis};

use crate::composite::Composite;
use crate::error::LrpError;
use crate::layers::LayerKind;
use crate::linear::{propagate, LinearMap};
use crate::network::Trace;
use crate::rule::Rule;

/// What is explained.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// One output neuron's score (flat index into the output).
    Output(usize),
    /// A given relevance (for LRP) or output gradient (for the gradient) shaped like the output.
    Relevance(ArrayD<f32>),
}

impl Target {
    /// The signal at the top: for `Output(j)` the one-hot vector carrying `f_j` when
    /// `with_score` (LRP's `R_j = f_j`), or 1 (the gradient's `∂f_j/∂f_j`).
    pub(crate) fn top(
        &self,
        output: ArrayViewD<f32>,
        with_score: bool,
    ) -> Result<ArrayD<f32>, LrpError> {
        match self {
            Target::Output(index) => {
                let len = output.len();
                if *index >= len {
                    return Err(LrpError::TargetOutOfRange { index: *index, len });
                }
                let mut top = ArrayD::<f32>::zeros(output.raw_dim());
                let value = if with_score {
                    output.iter().nth(*index).copied().expect("in range")
                } else {
                    1.0
                };
                *top.iter_mut().nth(*index).expect("in range") = value;
                Ok(top)
            }
            Target::Relevance(r) => {
                if r.shape() != output.shape() {
                    return Err(LrpError::TargetShape {
                        expected: output.shape().to_vec(),
                        got: r.shape().to_vec(),
                    });
                }
                Ok(r.clone())
            }
        }
    }
}

/// Relevance sums around one layer of a backward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRelevance {
    /// The layer's position in the network.
    pub index: usize,
    pub kind: LayerKind,
    /// The rule used, for layers that take one.
    pub rule: Option<Rule>,
    /// `Σ_j R_j` at the layer's output.
    pub relevance_out: f64,
    /// `Σ_i R_i` at the layer's input.
    pub relevance_in: f64,
}

impl LayerRelevance {
    /// What the layer did not pass on: taken by its bias and ε, or lost at zero denominators.
    pub fn absorbed(&self) -> f64 {
        self.relevance_out - self.relevance_in
    }
}

/// An LRP explanation: relevance at the input and the conservation report.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Relevance per input element, shaped like the input.
    pub relevance: ArrayD<f32>,
    /// `Σ R` at the top: the explained score for [`Target::Output`].
    pub explained: f64,
    /// Per layer, from the output back to the input.
    pub layers: Vec<LayerRelevance>,
}

impl Explanation {
    /// `Σ_i R_i` over the input.
    pub fn input_sum(&self) -> f64 {
        sum(self.relevance.view())
    }

    /// What the whole backward pass absorbed: `explained − input_sum`.
    pub fn absorbed(&self) -> f64 {
        self.explained - self.input_sum()
    }

    /// Relevance per position: the sum over the last (feature) axis, e.g. per word over its
    /// embedding dimensions.
    pub fn position_sums(&self) -> ArrayD<f32> {
        position_sums(self.relevance.view())
    }
}

/// Sum over the last axis: `(T, D) → (T)`.
pub fn position_sums(x: ArrayViewD<f32>) -> ArrayD<f32> {
    let last = Axis(x.ndim().saturating_sub(1));
    x.sum_axis(last)
}

/// Euclidean norm over the last axis, `‖∂f/∂x_t‖₂` per position: sensitivity analysis as in the seed.
pub fn position_norms(x: ArrayViewD<f32>) -> ArrayD<f32> {
    let last = Axis(x.ndim().saturating_sub(1));
    x.map_axis(last, |v| v.iter().map(|g| g * g).sum::<f32>().sqrt())
}

/// `Σ_i x_i` in f64; over a standard array in memory order with eight running sums (a single
/// sum in order cannot be vectorised, and an `IxDyn` walk is slow: these sums run at every
/// layer of every explanation).
pub(crate) fn sum(x: ArrayViewD<f32>) -> f64 {
    match x.as_slice() {
        Some(x) => lane_sum(x),
        None => x.iter().map(|&v| f64::from(v)).sum(),
    }
}

/// `Σ_i a_i b_i` in f64 over two arrays of one shape, without forming the product. Over
/// standard arrays the memory is read in order with eight running sums (one sum in order
/// cannot be vectorised; these reports pass every value of a transformer twice).
pub(crate) fn sum_of_products(a: ArrayViewD<f32>, b: ArrayViewD<f32>) -> f64 {
    match (a.as_slice(), b.as_slice()) {
        (Some(a), Some(b)) => lane_sum_of_products(a, b),
        _ => ndarray::Zip::from(&a)
            .and(&b)
            .fold(0.0, |acc, &a, &b| acc + f64::from(a) * f64::from(b)),
    }
}

/// [`sum`] over a slice: lane `k` sums the values at `k mod 8`, the lanes are added at the end.
/// Compiled for AVX-512 and AVX2 as well, chosen at run time (`multiversion`): the lanes are
/// then converted and added eight or four wide instead of two. Each version adds in the same
/// order with the same roundings, so all give the same sum.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn lane_sum(x: &[f32]) -> f64 {
    let mut sums = [0.0f64; 8];
    for chunk in x.chunks_exact(8) {
        for k in 0..8 {
            sums[k] += f64::from(chunk[k]);
        }
    }
    let tail = x.len() - x.len() % 8;
    sums.iter().sum::<f64>() + x[tail..].iter().map(|&v| f64::from(v)).sum::<f64>()
}

/// [`sum_of_products`] over two slices of one length, in lanes as [`lane_sum`] (Rust does not
/// fuse the product and the sum, so every version rounds alike).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn lane_sum_of_products(a: &[f32], b: &[f32]) -> f64 {
    let mut sums = [0.0f64; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            sums[k] += f64::from(x[k]) * f64::from(y[k]);
        }
    }
    let tail = a.len() - a.len() % 8;
    let rest: f64 =
        a[tail..].iter().zip(&b[tail..]).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
    sums.iter().sum::<f64>() + rest
}

impl Trace<'_> {
    /// LRP of `target` with a rule per linear layer from `composite`. ReLU, leaky ReLU and power
    /// normalisation pass relevance unchanged; max-pooling gives it to the maxima.
    pub fn lrp(&self, target: &Target, composite: &Composite) -> Result<Explanation, LrpError> {
        composite.validate()?;
        let mut r = target.top(self.output(), true)?;
        let explained = sum(r.view());
        let mut layers = Vec::with_capacity(self.network.layers().len());
        // What a layer receives is what the layer after it passed on: each sum is taken once.
        let mut relevance_out = explained;
        let network_layers = self.network.layers();
        let mut index = network_layers.len();
        while index > 0 {
            index -= 1;
            if let Some((next, reports)) = self.pooled_lrp(index, &r, composite, relevance_out) {
                // A global max-pool with its ReLU and convolution, done together.
                (r, relevance_out) = (next, reports[2].relevance_in);
                layers.extend(reports);
                index -= 2;
                continue;
            }
            let layer = &network_layers[index];
            let x = self.layer_input(index);
            let (next, rule) = match layer.as_linear() {
                None => (layer.pass_relevance(x, r).expect("a layer without a rule"), None),
                Some(map) => {
                    let rule = composite.rule_for(index, layer.kind());
                    let z = self.values[index + 1].view();
                    (propagate(map, x, Some(z), r.view(), &rule), Some(rule))
                }
            };
            r = next;
            let relevance_in =
                if layer.passes_relevance_unchanged() { relevance_out } else { sum(r.view()) };
            layers.push(LayerRelevance {
                index,
                kind: layer.kind(),
                rule,
                relevance_out,
                relevance_in,
            });
            relevance_out = relevance_in;
        }
        Ok(Explanation { relevance: r, explained, layers })
    }

    /// The gradient of the explained quantity (`f_j`, or `Σ r·f` for a given `r`) with
    /// respect to the input.
    pub fn gradient(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        let mut g = target.top(self.output(), false)?;
        let layers = self.network.layers();
        let mut index = layers.len();
        while index > 0 {
            index -= 1;
            if let Some(next) = self.pooled_gradient(index, &g) {
                // A global max-pool with its ReLU and convolution, done together.
                (g, index) = (next, index - 2);
                continue;
            }
            g = layers[index].gradient(self.layer_input(index), g);
        }
        Ok(g)
    }

    /// Sensitivity analysis: `‖∂f/∂x_t‖₂` per input position (norm over the last axis).
    pub fn sensitivity(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        Ok(position_norms(self.gradient(target)?.view()))
    }

    /// Gradient×Input: `x_i · ∂f/∂x_i`.
    pub fn gradient_x_input(&self, target: &Target) -> Result<ArrayD<f32>, LrpError> {
        Ok(self.gradient(target)? * &self.input())
    }
}

/// One LRP step through a linear map outside a [`crate::Network`]: relevance at the input `x`
/// for relevance `r_out` at its output. For pipelines that are not a plain layer stack
/// (a linear SVM over Fisher vectors, mappings defined by explicit contributions).
pub fn relevance_through(
    map: &dyn LinearMap,
    x: ArrayViewD<f32>,
    r_out: ArrayViewD<f32>,
    rule: &Rule,
) -> Result<ArrayD<f32>, LrpError> {
    rule.validate()?;
    let out_shape = map.output_shape(x.shape(), 0)?;
    if r_out.shape() != out_shape.as_slice() {
        return Err(LrpError::TargetShape { expected: out_shape, got: r_out.shape().to_vec() });
    }
    Ok(propagate(map, x, None, r_out, rule))
}

/// One LRP step through the part of a linear map that one block of its input feeds, for maps
/// whose input is too large to hold at once (a long clip's descriptors): `part` maps the
/// block `x_part` alone, `z_whole` is the whole map's output `Σ_blocks f(x_b; W_b) + b`. With
/// LRP-0 and LRP-ε the denominator is that output, so
/// `R_i = x_i Σ_j w_ij R_j / (z_j + ε·sign(z_j))` needs nothing else of the other blocks and
/// the blocks' relevances together are [`relevance_through`] over the whole input. Other
/// rules modify the denominator itself and are refused.
pub fn relevance_through_part(
    part: &dyn LinearMap,
    x_part: ArrayViewD<f32>,
    z_whole: ArrayViewD<f32>,
    r_out: ArrayViewD<f32>,
    rule: &Rule,
) -> Result<ArrayD<f32>, LrpError> {
    rule.validate()?;
    if !matches!(rule, Rule::Zero | Rule::Epsilon(_)) {
        return Err(LrpError::InvalidRule(format!("{rule:?} needs the whole input at once; a map explained block by block takes LRP-0 or LRP-ε")));
    }
    let out_shape = part.output_shape(x_part.shape(), 0)?;
    for given in [r_out.shape(), z_whole.shape()] {
        if given != out_shape.as_slice() {
            return Err(LrpError::TargetShape { expected: out_shape, got: given.to_vec() });
        }
    }
    Ok(propagate(part, x_part, Some(z_whole), r_out, rule))
}
