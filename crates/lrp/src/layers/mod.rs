//! The layers a network is built from. Forward passes are pure; what the backward passes
//! need (each layer's input and output) is kept by [`crate::Trace`].

mod conv1d;
mod conv2d;
mod dense;
mod pool;
mod power_norm;

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayD, ArrayViewD};

pub use conv1d::Conv1d;
pub use conv2d::{Conv2d, Conv2dGeometry};
pub use dense::Dense;
pub use pool::MaxPool;
pub(crate) use pool::{shares_at_maxima, TiedMaxima};
pub use power_norm::PowerNorm;

use crate::error::LrpError;
use crate::linear::{LinearMap, WeightMod};

/// One step of a [`crate::Network`].
pub enum Layer {
    /// Affine map over the last axis.
    Dense(Dense),
    /// Convolution over word windows (or any sequence of vectors).
    Conv1d(Conv1d),
    /// Convolution over a grid `(rows, columns, channels)`.
    Conv2d(Conv2d),
    /// `max(0, x)`; relevance passes through unchanged.
    Relu,
    /// `x` for `x > 0`, else `slope · x`; relevance passes through unchanged, as through ReLU.
    LeakyRelu(f32),
    /// Max-pooling over time; relevance goes to the maxima.
    MaxPool(MaxPool),
    /// Signed power and L2 normalisation per segment; relevance passes through unchanged.
    PowerNorm(PowerNorm),
    /// Any other map that is linear in its input (a "linear mapping" step).
    Linear(Box<dyn LinearMap>),
}

/// What kind a layer is, for composites and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerKind {
    Dense,
    Conv1d,
    Conv2d,
    Relu,
    LeakyRelu,
    MaxPool,
    PowerNorm,
    Linear,
    /// A graph's input node.
    Input,
    /// A graph's element-wise sum.
    Add,
    /// A graph's product with a constant.
    Scale,
    /// A graph's per-channel scale and shift (BatchNormalization).
    Affine,
    /// A graph's concatenation.
    Concat,
    /// A graph's reshape.
    Reshape,
    /// A graph's permutation of axes.
    Transpose,
    /// A graph's slice along an axis.
    Slice,
    /// A graph's mean over an axis.
    Mean,
    /// A graph's element-wise product of two computed tensors.
    Product,
    /// A graph's matrix product of two computed tensors.
    MatMul,
    /// A graph's quotient by a computed divisor.
    Quotient,
    /// A graph's softmax inside the network.
    Softmax,
    /// A graph's element-wise function.
    Elementwise,
    /// A graph's activation written as a product `x · h(x)`.
    Gate,
    /// A graph's layer normalisation.
    LayerNorm,
}

impl LayerKind {
    /// Whether layers of this kind have weights (dense, convolution): the layers a composite's
    /// stabilised rules are for. Steps without weights (sums, scalings by constants, means)
    /// pass relevance in proportion.
    pub fn has_weights(self) -> bool {
        matches!(self, LayerKind::Dense | LayerKind::Conv1d | LayerKind::Conv2d)
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LayerKind::Dense => "dense",
            LayerKind::Conv1d => "conv1d",
            LayerKind::Conv2d => "conv2d",
            LayerKind::Relu => "relu",
            LayerKind::LeakyRelu => "leakyrelu",
            LayerKind::MaxPool => "maxpool",
            LayerKind::PowerNorm => "powernorm",
            LayerKind::Linear => "linear",
            LayerKind::Input => "input",
            LayerKind::Add => "add",
            LayerKind::Scale => "scale",
            LayerKind::Affine => "affine",
            LayerKind::Concat => "concat",
            LayerKind::Reshape => "reshape",
            LayerKind::Transpose => "transpose",
            LayerKind::Slice => "slice",
            LayerKind::Mean => "mean",
            LayerKind::Product => "product",
            LayerKind::MatMul => "matmul",
            LayerKind::Quotient => "quotient",
            LayerKind::Softmax => "softmax",
            LayerKind::Elementwise => "elementwise",
            LayerKind::Gate => "gate",
            LayerKind::LayerNorm => "layernorm",
        })
    }
}

impl FromStr for LayerKind {
    type Err = LrpError;

    /// Parses the kinds a rule can be given to: `dense`, `conv1d` (or `conv`), `conv2d`, `linear`, and
    /// a graph's `add`, `scale` and `affine` (or `batchnorm`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "dense" => Ok(LayerKind::Dense),
            "conv1d" | "conv" => Ok(LayerKind::Conv1d),
            "conv2d" => Ok(LayerKind::Conv2d),
            "linear" => Ok(LayerKind::Linear),
            "add" => Ok(LayerKind::Add),
            "scale" => Ok(LayerKind::Scale),
            "affine" | "batchnorm" => Ok(LayerKind::Affine),
            other => Err(LrpError::InvalidRule(format!(
                "`{other}` is not a layer kind that takes a rule (dense, conv1d, conv2d, linear, add, scale, affine)"
            ))),
        }
    }
}

impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Dense(d) => write!(f, "Dense({}→{})", d.inputs(), d.outputs()),
            Layer::Conv1d(c) => {
                write!(f, "Conv1d(width {}, {}→{})", c.width(), c.channels(), c.filters())
            }
            Layer::Conv2d(c) => {
                write!(f, "Conv2d(kernel {:?}, {}→{})", c.kernel(), c.channels(), c.filters())
            }
            Layer::Relu => write!(f, "Relu"),
            Layer::LeakyRelu(slope) => write!(f, "LeakyRelu({slope})"),
            Layer::MaxPool(p) => write!(f, "MaxPool({p:?})"),
            Layer::PowerNorm(n) => {
                write!(f, "PowerNorm(power {}, segments {:?})", n.power(), n.segments())
            }
            Layer::Linear(m) => write!(f, "Linear({})", m.name()),
        }
    }
}

impl Layer {
    /// The layer's kind.
    pub fn kind(&self) -> LayerKind {
        match self {
            Layer::Dense(_) => LayerKind::Dense,
            Layer::Conv1d(_) => LayerKind::Conv1d,
            Layer::Conv2d(_) => LayerKind::Conv2d,
            Layer::Relu => LayerKind::Relu,
            Layer::LeakyRelu(_) => LayerKind::LeakyRelu,
            Layer::MaxPool(_) => LayerKind::MaxPool,
            Layer::PowerNorm(_) => LayerKind::PowerNorm,
            Layer::Linear(_) => LayerKind::Linear,
        }
    }

    /// The layer as a linear map, if it is one (these are the layers that take a rule).
    pub fn as_linear(&self) -> Option<&dyn LinearMap> {
        match self {
            Layer::Dense(d) => Some(d),
            Layer::Conv1d(c) => Some(c),
            Layer::Conv2d(c) => Some(c),
            Layer::Linear(m) => Some(m.as_ref()),
            Layer::Relu | Layer::LeakyRelu(_) | Layer::MaxPool(_) | Layer::PowerNorm(_) => None,
        }
    }

    /// Checks an input shape and gives the output shape.
    pub fn output_shape(&self, shape: &[usize], index: usize) -> Result<Vec<usize>, LrpError> {
        match self {
            Layer::Relu | Layer::LeakyRelu(_) => Ok(shape.to_vec()),
            Layer::MaxPool(p) => p.output_shape(shape, index),
            Layer::PowerNorm(n) => n.output_shape(shape, index),
            _ => self.as_linear().expect("linear").output_shape(shape, index),
        }
    }

    /// The layer's output for an input whose shape [`Layer::output_shape`] accepted.
    pub fn forward(&self, x: ArrayViewD<f32>) -> ArrayD<f32> {
        match self {
            Layer::Relu => x.mapv(|v| v.max(0.0)),
            Layer::LeakyRelu(slope) => x.mapv(|v| if v > 0.0 { v } else { slope * v }),
            Layer::MaxPool(p) => p.forward(x),
            Layer::PowerNorm(n) => n.forward(x),
            _ => {
                let map = self.as_linear().expect("linear");
                let mut z = map.forward(x, WeightMod::Identity);
                if let Some(b) = map.bias() {
                    z += &b;
                }
                z
            }
        }
    }

    /// The relevance a layer that takes no rule passes to its input `x` for relevance `r` at
    /// its output: unchanged through the element-wise layers (ReLU, leaky ReLU, power
    /// normalisation), to the maxima through max-pooling; `None` for the linear layers.
    pub fn pass_relevance(&self, x: ArrayViewD<f32>, r: ArrayD<f32>) -> Option<ArrayD<f32>> {
        match self {
            _ if self.passes_relevance_unchanged() => Some(r),
            Layer::MaxPool(p) => Some(p.route(x, r.view())),
            _ => None,
        }
    }

    /// Whether relevance leaves the layer as it came (the element-wise layers).
    pub fn passes_relevance_unchanged(&self) -> bool {
        matches!(self, Layer::Relu | Layer::LeakyRelu(_) | Layer::PowerNorm(_))
    }

    /// `∂L/∂x` at the layer's input `x` for `g = ∂L/∂y` at its output.
    pub fn gradient(&self, x: ArrayViewD<f32>, mut g: ArrayD<f32>) -> ArrayD<f32> {
        match self {
            Layer::Relu => {
                g.zip_mut_with(&x, |g, &x| {
                    if x <= 0.0 {
                        *g = 0.0
                    }
                });
                g
            }
            Layer::LeakyRelu(slope) => {
                g.zip_mut_with(&x, |g, &x| {
                    if x <= 0.0 {
                        *g *= slope
                    }
                });
                g
            }
            Layer::MaxPool(p) => p.route(x, g.view()),
            Layer::PowerNorm(n) => n.gradient(x, g.view()),
            _ => self.as_linear().expect("the other layers are linear").transpose(
                g.view(),
                WeightMod::Identity,
                x.shape(),
            ),
        }
    }
}
