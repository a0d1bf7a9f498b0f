//! The one mechanism behind every rule: a "modified linear backward" over any layer whose
//! output is linear in its input (zennit's `BasicHook`, in Rust).
//!
//! A rule is a list of groups. Each group sums parts `sign · f(m_x(x); m_w(W))` plus a
//! modified bias into one denominator `z'_j`, divides the incoming relevance by it, and sends
//! the quotient back through the transposed map of each part:
//! `R_i += coeff · sign · m_x(x)_i · Σ_j m_w(w)_ij · R_j / z'_j`.

use std::borrow::Cow;

use ndarray::{ArrayD, ArrayView1, ArrayViewD, CowArray, IxDyn, Zip};

use crate::error::LrpError;
use crate::rule::Rule;

/// How a rule modifies a layer's weights before propagating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightMod {
    /// `w`
    Identity,
    /// `max(w, 0)`
    Positive,
    /// `min(w, 0)`
    Negative,
    /// `w²`
    Square,
    /// `1` for every connection.
    Ones,
}

impl WeightMod {
    /// The modified value of one weight.
    pub fn apply(self, w: f32) -> f32 {
        match self {
            WeightMod::Identity => w,
            WeightMod::Positive => w.max(0.0),
            WeightMod::Negative => w.min(0.0),
            WeightMod::Square => w * w,
            WeightMod::Ones => 1.0,
        }
    }

    /// A layer's weights under this modification, borrowed when unchanged.
    pub fn weights<'w, D: ndarray::Dimension>(
        self,
        w: &'w ndarray::Array<f32, D>,
    ) -> Cow<'w, ndarray::Array<f32, D>> {
        match self {
            WeightMod::Identity => Cow::Borrowed(w),
            m => Cow::Owned(w.mapv(|v| m.apply(v))),
        }
    }
}

/// A layer whose output is linear in its input: `z = f(x; W) + b`, with the bias along the
/// output's last axis. Implement it to give a custom operator (a sparse mapping, an SVM over
/// Fisher vectors, …) every rule. Explicit contributions `z_ij` fit as `x = 1`, `w_ij = z_ij`.
pub trait LinearMap: Send + Sync {
    /// A short name for reports, e.g. `dense` or `conv1d`.
    fn name(&self) -> &str;
    /// The output shape for an input of `shape`, or why that input does not fit
    /// (`layer` is the layer's index, for the message).
    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError>;
    /// `f(x; m(W))`, without the bias.
    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32>;
    /// The transposed map `c_i = Σ_j m(w)_ij s_j`, shaped like an input of `input_shape`.
    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32>;
    /// The bias, one value per output channel (the output's last axis), if the layer has one.
    fn bias(&self) -> Option<ArrayView1<'_, f32>>;
}

/// How a rule modifies a layer's input.
#[derive(Clone, Copy, Debug)]
enum InputMod {
    Identity,
    Positive,
    Negative,
    Ones,
    Constant(f32),
}

/// How a rule lets the bias into a group's denominator.
#[derive(Clone, Copy, Debug)]
enum BiasMod {
    Identity,
    Positive,
    Negative,
    Zero,
}

#[derive(Clone, Copy, Debug)]
struct Part {
    input: InputMod,
    weights: WeightMod,
    sign: f32,
}

#[derive(Clone, Debug)]
struct Group {
    parts: Vec<Part>,
    bias: BiasMod,
    /// The stabiliser ε in `z + ε·sign(z)`; 0 means a plain safe division.
    epsilon: f32,
    coeff: f32,
}

impl Group {
    /// True when the denominator is the layer's own pre-activation `z = f(x; W) + b`.
    fn is_plain(&self) -> bool {
        matches!(
            self.parts.as_slice(),
            [Part { input: InputMod::Identity, weights: WeightMod::Identity, .. }]
        ) && matches!(self.bias, BiasMod::Identity)
    }
}

fn groups(rule: &Rule) -> Vec<Group> {
    let part = |input, weights, sign| Part { input, weights, sign };
    let plain = |epsilon| Group {
        parts: vec![part(InputMod::Identity, WeightMod::Identity, 1.0)],
        bias: BiasMod::Identity,
        epsilon,
        coeff: 1.0,
    };
    match *rule {
        Rule::Zero => vec![plain(0.0)],
        Rule::Epsilon(eps) => vec![plain(eps)],
        Rule::AlphaBeta { alpha, beta } => {
            let positive = Group {
                parts: vec![
                    part(InputMod::Positive, WeightMod::Positive, 1.0),
                    part(InputMod::Negative, WeightMod::Negative, 1.0),
                ],
                bias: BiasMod::Positive,
                epsilon: 0.0,
                coeff: alpha,
            };
            let negative = Group {
                parts: vec![
                    part(InputMod::Positive, WeightMod::Negative, 1.0),
                    part(InputMod::Negative, WeightMod::Positive, 1.0),
                ],
                bias: BiasMod::Negative,
                epsilon: 0.0,
                coeff: -beta,
            };
            if beta == 0.0 {
                vec![positive]
            } else {
                vec![positive, negative]
            }
        }
        Rule::WSquare => vec![Group {
            parts: vec![part(InputMod::Ones, WeightMod::Square, 1.0)],
            bias: BiasMod::Zero,
            epsilon: 0.0,
            coeff: 1.0,
        }],
        Rule::Flat => vec![Group {
            parts: vec![part(InputMod::Ones, WeightMod::Ones, 1.0)],
            bias: BiasMod::Zero,
            epsilon: 0.0,
            coeff: 1.0,
        }],
        Rule::ZBox { low, high } => vec![Group {
            parts: vec![
                part(InputMod::Identity, WeightMod::Identity, 1.0),
                part(InputMod::Constant(low), WeightMod::Positive, -1.0),
                part(InputMod::Constant(high), WeightMod::Negative, -1.0),
            ],
            bias: BiasMod::Zero,
            epsilon: 0.0,
            coeff: 1.0,
        }],
    }
}

/// The rule's modification of the input `x`, borrowed when unchanged.
fn modified_input<'a>(x: &'a ArrayViewD<'_, f32>, m: InputMod) -> CowArray<'a, f32, IxDyn> {
    match m {
        InputMod::Identity => CowArray::from(x.view()),
        InputMod::Positive => CowArray::from(x.mapv(|v| v.max(0.0))),
        InputMod::Negative => CowArray::from(x.mapv(|v| v.min(0.0))),
        InputMod::Ones => CowArray::from(ArrayD::ones(x.raw_dim())),
        InputMod::Constant(c) => CowArray::from(ArrayD::from_elem(x.raw_dim(), c)),
    }
}

/// A group's denominator `Σ_parts sign · f(m_x(x); m_w(W)) + m_b(b)`.
fn denominator(map: &dyn LinearMap, group: &Group, inputs: &[CowArray<f32, IxDyn>]) -> ArrayD<f32> {
    let mut z: Option<ArrayD<f32>> = None;
    for (part, input) in group.parts.iter().zip(inputs) {
        let mut term = map.forward(input.view(), part.weights);
        if part.sign != 1.0 {
            term *= part.sign;
        }
        z = Some(match z {
            None => term,
            Some(acc) => acc + term,
        });
    }
    let mut z = z.expect("every rule has at least one part");
    if let Some(b) = map.bias() {
        let modified = match group.bias {
            BiasMod::Identity => Some(b.to_owned()),
            BiasMod::Positive => Some(b.mapv(|v| v.max(0.0))),
            BiasMod::Negative => Some(b.mapv(|v| v.min(0.0))),
            BiasMod::Zero => None,
        };
        if let Some(b) = modified {
            z += &b;
        }
    }
    z
}

/// `s_j = r_j / (z_j + ε·sign(z_j))` with `sign(0) = +1`; a zero denominator gives 0.
fn stabilised_quotient(r: &ArrayViewD<f32>, z: &ArrayViewD<f32>, epsilon: f32) -> ArrayD<f32> {
    let mut s = ArrayD::zeros(r.raw_dim());
    Zip::from(&mut s).and(r).and(z).for_each(|s, &r, &z| {
        let d = if z >= 0.0 { z + epsilon } else { z - epsilon };
        *s = if d == 0.0 { 0.0 } else { r / d };
    });
    s
}

/// Relevance at a linear layer's input, given its input `x`, its output relevance `r_out` and
/// a rule. `z` is the layer's pre-activation `f(x; W) + b` when already known (it saves one
/// forward pass for LRP-0 and LRP-ε).
pub fn propagate(
    map: &dyn LinearMap,
    x: ArrayViewD<f32>,
    z: Option<ArrayViewD<f32>>,
    r_out: ArrayViewD<f32>,
    rule: &Rule,
) -> ArrayD<f32> {
    let mut r_in = ArrayD::<f32>::zeros(x.raw_dim());
    for group in groups(rule) {
        let inputs: Vec<CowArray<f32, IxDyn>> =
            group.parts.iter().map(|p| modified_input(&x, p.input)).collect();
        let z: CowArray<f32, IxDyn> = match (&z, group.is_plain()) {
            (Some(z), true) => CowArray::from(z.view()),
            _ => CowArray::from(denominator(map, &group, &inputs)),
        };
        let s = stabilised_quotient(&r_out, &z.view(), group.epsilon);
        for (part, input) in group.parts.iter().zip(&inputs) {
            let c = map.transpose(s.view(), part.weights, x.shape());
            let k = group.coeff * part.sign;
            Zip::from(&mut r_in).and(input).and(&c).for_each(|r, &x, &c| *r += k * x * c);
        }
    }
    r_in
}
