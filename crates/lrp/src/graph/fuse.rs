//! Fusing the steps exporters write out for a layer normalisation and for GELU into one node
//! each. A transformer's explanation walks every node twice with a report per node; a layer
//! normalisation is ten nodes and GELU five, each a pass over the values with an array of its
//! own. The fused nodes compute the same values (bit for bit, see [`super::LayerNorm`]; GELU
//! as [`Elementwise::Gelu`]) and take the rules the steps took together.

use std::f32::consts::FRAC_1_SQRT_2;

use ndarray::ArrayD;

use super::{Elementwise, Graph, LayerNorm, NodeId, Op};

/// One match: the node that becomes the fused operation, and what it becomes.
struct Fusion {
    last: NodeId,
    input: NodeId,
    op: Op,
}

impl Graph {
    /// Replaces each layer normalisation written as steps (mean, negation, sum, square, mean,
    /// sum with a constant ε, square root, quotient; then a scale by `γ` and a constant summand
    /// `β` where present) by one [`Op::LayerNorm`], and each GELU written as
    /// `x · (erf(x · 1/√2) + 1) · ½` by one [`Elementwise::Gelu`]. Steps that another node
    /// also reads are left as they are. Returns how many operations were fused.
    pub fn fuse_steps(&mut self) -> usize {
        let readers = self.readers();
        let fusions: Vec<Fusion> = (0..self.nodes.len())
            .filter_map(|id| {
                self.layer_norm_at(id, &readers).or_else(|| self.gelu_at(id, &readers))
            })
            .collect();
        let fused = fusions.len();
        for Fusion { last, input, op } in fusions {
            self.nodes[last].op = op;
            self.nodes[last].inputs = vec![input];
        }
        if fused > 0 {
            self.remove_unreachable();
        }
        fused
    }

    /// The layer normalisation whose quotient is node `quotient`, with the scale and summand
    /// after it that belong to it.
    fn layer_norm_at(&self, quotient: NodeId, readers: &[usize]) -> Option<Fusion> {
        let Op::Quotient = self.nodes[quotient].op else { return None };
        let [centred, deviation] = self.nodes[quotient].inputs[..] else { return None };
        let shifted =
            self.single_input(deviation, |op| matches!(op, Op::Elementwise(Elementwise::Sqrt)))?;
        let (variance, epsilon) = self.with_scalar(shifted)?;
        let Op::Mean { axis } = self.nodes[variance].op else { return None };
        let square = self.single_input(variance, |_| true)?;
        let centred_again = self.single_input(
            square,
            |op| matches!(op, Op::Elementwise(Elementwise::Power(p)) if *p == 2.0),
        )?;
        let Op::Add = self.nodes[centred].op else { return None };
        let [x, negated] = self.nodes[centred].inputs[..] else { return None };
        let mean =
            self.single_input(negated, |op| matches!(op, Op::Scale(c) if scalar(c) == Some(-1.0)))?;
        let x_again =
            self.single_input(mean, |op| matches!(op, Op::Mean { axis: a } if *a == axis))?;
        let steps = [deviation, shifted, variance, square, negated, mean];
        if centred_again != centred
            || x_again != x
            || readers[centred] != 2
            || centred == self.output
            || !steps.iter().all(|&id| self.read_once(id, readers))
        {
            return None;
        }
        let mut norm = LayerNorm { axis, epsilon, gamma: None, beta: None };
        let mut last = quotient;
        if let Some((scale, Op::Scale(gamma))) = self.only_reader(last, readers) {
            norm.gamma = Some(gamma.clone());
            last = scale;
        }
        if let Some((sum, Op::Add)) = self.only_reader(last, readers) {
            if let Some(beta) = self.constant_summand(sum, last) {
                norm.beta = Some(beta.clone());
                last = sum;
            }
        }
        Some(Fusion { last, input: x, op: Op::LayerNorm(norm) })
    }

    /// The GELU whose final scale by ½ is node `half`.
    fn gelu_at(&self, half: NodeId, readers: &[usize]) -> Option<Fusion> {
        let gate =
            self.single_input(half, |op| matches!(op, Op::Scale(c) if scalar(c) == Some(0.5)))?;
        let Op::Gate = self.nodes[gate].op else { return None };
        let [x, plus_one] = self.nodes[gate].inputs[..] else { return None };
        let (erf, one) = self.with_scalar(plus_one)?;
        let scaled =
            self.single_input(erf, |op| matches!(op, Op::Elementwise(Elementwise::Erf)))?;
        let x_again = self.single_input(scaled, |op| {
            matches!(op, Op::Scale(c) if scalar(c).is_some_and(|c| (c - FRAC_1_SQRT_2).abs() <= 1e-7))
        })?;
        let steps = [gate, plus_one, erf, scaled];
        if one != 1.0 || x_again != x || !steps.iter().all(|&id| self.read_once(id, readers)) {
            return None;
        }
        Some(Fusion { last: half, input: x, op: Op::Elementwise(Elementwise::Gelu) })
    }

    /// Whether node `id` has one reader and is not the output: a step a fusion may take in.
    fn read_once(&self, id: NodeId, readers: &[usize]) -> bool {
        readers[id] == 1 && id != self.output
    }

    /// The one input of node `id` when its operation passes `is`.
    fn single_input(&self, id: NodeId, is: impl Fn(&Op) -> bool) -> Option<NodeId> {
        match self.nodes[id].inputs[..] {
            [input] if is(&self.nodes[id].op) => Some(input),
            _ => None,
        }
    }

    /// For an `Add` of a computed node and a one-value constant: that node and the value.
    fn with_scalar(&self, id: NodeId) -> Option<(NodeId, f32)> {
        let Op::Add = self.nodes[id].op else { return None };
        let [a, b] = self.nodes[id].inputs[..] else { return None };
        let value = |k: NodeId| match &self.nodes[k].op {
            Op::Constant(c) => scalar(c),
            _ => None,
        };
        match (value(a), value(b)) {
            (None, Some(v)) => Some((a, v)),
            (Some(v), None) => Some((b, v)),
            _ => None,
        }
    }

    /// The node that alone reads `id` (which is not the output), and its operation.
    fn only_reader(&self, id: NodeId, readers: &[usize]) -> Option<(NodeId, &Op)> {
        if !self.read_once(id, readers) {
            return None;
        }
        let reader = (id + 1..self.nodes.len()).find(|&r| self.nodes[r].inputs.contains(&id))?;
        Some((reader, &self.nodes[reader].op))
    }

    /// The constant that `Add` node `sum` adds to `computed`, when that is all it adds.
    fn constant_summand(&self, sum: NodeId, computed: NodeId) -> Option<&ArrayD<f32>> {
        match self.nodes[sum].inputs[..] {
            [a, b] if a == computed || b == computed => {
                let other = if a == computed { b } else { a };
                match &self.nodes[other].op {
                    Op::Constant(c) if other != computed => Some(c),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The value of a one-value constant of rank 0 or 1 (of a higher rank it could broadcast what
/// it scales or is added to into more axes).
fn scalar(c: &ArrayD<f32>) -> Option<f32> {
    match c.as_slice() {
        Some(&[v]) if c.ndim() <= 1 => Some(v),
        _ => None,
    }
}
