//! Layer-wise relevance propagation (LRP) on `ndarray`.
//!
//! Build a [`Network`] from [`Layer`]s (dense, 1-D and 2-D convolution, ReLU, max-pooling,
//! power normalisation, or any [`LinearMap`]), run [`Network::forward`] to get a [`Trace`],
//! then explain one output:
//!
//! * [`Trace::lrp`] — relevance per input element under a [`Composite`] of [`Rule`]s
//!   (LRP-0, ε, αβ / z⁺, w², flat, z^B), with the relevance sum at every layer;
//! * [`Trace::gradient`], [`Trace::sensitivity`] — the gradient and its per-position norm
//!   (sensitivity analysis);
//! * [`Trace::gradient_x_input`] — Gradient×Input;
//! * on any [`Differentiable`] model (a network or a graph), the many-pass methods
//!   [`integrated_gradients`], [`smooth_grad`] and [`occlusion`].
//!
//! Models that are not a plain stack (branches that are concatenated, residual sums, scales,
//! reshapes) are a [`Graph`] of [`Node`]s; [`Graph::forward`] gives a [`GraphTrace`] with the
//! same three explanations, every rule defined on every operation (module `graph` says how
//! relevance splits at each).
//!
//! All rules share one propagation routine (module `linear`): a rule only says how inputs,
//! weights and bias are modified and how the denominator is stabilised, after
//! Bach et al. (2015) and Montavon et al. (2019): `R_i = Σ_j q_ij / Σ_i' q_i'j · R_j`.
//!
//! ```
//! use lrp::{Composite, Dense, Layer, Network, Rule, Target};
//! use ndarray::{array, ArrayD};
//!
//! let net = Network::new(vec![
//!     Layer::Dense(Dense::new(array![[1.0, -1.0], [2.0, 0.5]], None).unwrap()),
//!     Layer::Relu,
//!     Layer::Dense(Dense::new(array![[1.0], [1.0]], None).unwrap()),
//! ]);
//! let trace = net.forward(ArrayD::from_shape_vec(vec![2], vec![1.0, 1.0]).unwrap()).unwrap();
//! let explanation = trace.lrp(&Target::Output(0), &Composite::uniform(Rule::Zero)).unwrap();
//! // Conservation: the input relevance sums to the explained score (3.0).
//! assert!((explanation.input_sum() - 3.0).abs() < 1e-6);
//! ```

mod attribution;
mod composite;
mod error;
mod explain;
mod gradient_sum;
mod graph;
mod layers;
mod linear;
mod method;
mod method_spec;
mod network;
mod pooled_backward;
mod rule;

pub use attribution::{
    integrated_gradients, occlusion, smooth_grad, smooth_grad_inputs, Differentiable,
    IntegratedGradients, Quadrature, SmoothGradSettings,
};
pub use composite::Composite;
pub use error::LrpError;
pub use explain::{
    position_norms, position_sums, relevance_through, relevance_through_part, Explanation,
    LayerRelevance, Target,
};
pub use gradient_sum::Samples;
pub use graph::{Elementwise, Graph, GraphTrace, LayerNorm, Node, NodeId, Op};
pub use layers::{Conv1d, Conv2d, Conv2dGeometry, Dense, Layer, LayerKind, MaxPool, PowerNorm};
pub use linear::{LinearMap, WeightMod};
pub use method::{Attribute, Domain, Method, MethodError, MethodSettings};
pub use method_spec::{MethodSpec, SMOOTHGRAD_KEYS};
pub use network::{Network, Trace};
pub use rule::{Attention, Rule, DEFAULT_EPSILON};
