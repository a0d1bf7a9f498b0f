//! The word-embedding CNN of Arras et al. (2017): embedding → 1-D convolution over word
//! windows → ReLU → max-pool over time → dense layer to the classes. Everything after the
//! embedding lookup is an `lrp::Network`, so training and explanation share one model.

use lrp::{Conv1d, Dense, Layer, MaxPool, Network, Trace};
use ndarray::{s, Array1, Array2, Array3, ArrayD, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::TextError;

/// Token id of padding; its embedding is zero and is never trained.
pub const PAD: u32 = 0;
/// Token id of unknown words.
pub const UNK: u32 = 1;

/// The longest window a model may read (a model file asking for more is refused).
pub const MAX_LEN: usize = 1_000_000;

/// The model's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// Vocabulary size, padding and unknown token included.
    pub vocab: usize,
    pub embedding_dim: usize,
    /// Words per convolution window.
    pub width: usize,
    pub filters: usize,
    pub classes: usize,
    /// Documents are cut to this many tokens.
    pub max_len: usize,
}

impl Architecture {
    /// What makes this shape unusable, in the words of its fields, or `None`.
    pub fn problem(&self) -> Option<String> {
        let a = self;
        if a.vocab < 2 {
            return Some(format!(
                "`vocab` is {}; it needs at least 2 (padding and the unknown token)",
                a.vocab
            ));
        }
        if let Some((name, _)) = [
            ("embedding_dim", a.embedding_dim),
            ("width", a.width),
            ("filters", a.filters),
            ("classes", a.classes),
        ]
        .into_iter()
        .find(|&(_, n)| n == 0)
        {
            return Some(format!("`{name}` is 0"));
        }
        if a.max_len < a.width {
            return Some(format!(
                "`max_len` {} is shorter than the filters' `width` {}",
                a.max_len, a.width
            ));
        }
        if a.max_len > MAX_LEN {
            return Some(format!(
                "`max_len` {} is more than the {MAX_LEN} tokens a model may read",
                a.max_len
            ));
        }
        None
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self;
        write!(
            f,
            "{} words of {} dimensions, {} filters of width {}, {} classes, windows of {} tokens",
            a.vocab, a.embedding_dim, a.filters, a.width, a.classes, a.max_len
        )
    }
}

/// Embedding table plus the convolution, ReLU, max-pool and dense layers.
#[derive(Debug)]
pub struct TextCnn {
    pub arch: Architecture,
    /// Row `i` is token `i`'s vector, shape `(vocab, embedding_dim)`.
    pub embedding: Array2<f32>,
    network: Network,
}

impl TextCnn {
    /// A freshly initialised model: embeddings uniform in ±0.1 (padding zero), He-uniform
    /// filters, Glorot-uniform dense weights, zero biases.
    pub fn new(arch: Architecture, rng: &mut impl Rng) -> Self {
        let mut embedding = Array2::from_shape_simple_fn((arch.vocab, arch.embedding_dim), || {
            rng.gen_range(-0.1..0.1)
        });
        embedding.row_mut(PAD as usize).fill(0.0);
        let fan_in = (arch.width * arch.embedding_dim) as f32;
        let conv_bound = (6.0 / fan_in).sqrt();
        let conv =
            Array3::from_shape_simple_fn((arch.width, arch.embedding_dim, arch.filters), || {
                rng.gen_range(-conv_bound..conv_bound)
            });
        let dense_bound = (6.0 / (arch.filters + arch.classes) as f32).sqrt();
        let dense = Array2::from_shape_simple_fn((arch.filters, arch.classes), || {
            rng.gen_range(-dense_bound..dense_bound)
        });
        let conv = Conv1d::new(conv, Some(Array1::zeros(arch.filters)))
            .expect("shapes from one architecture");
        let dense = Dense::new(dense, Some(Array1::zeros(arch.classes)))
            .expect("shapes from one architecture");
        Self::from_parts(arch, embedding, conv, dense).expect("shapes from one architecture")
    }

    /// A model from its parts, checking that their shapes agree with `arch`.
    pub fn from_parts(
        arch: Architecture,
        embedding: Array2<f32>,
        conv: Conv1d,
        dense: Dense,
    ) -> Result<Self, TextError> {
        let expect = |what: &str, got: Vec<usize>, want: Vec<usize>| {
            if got == want {
                Ok(())
            } else {
                Err(TextError::Model(format!(
                    "{what} has shape {got:?}, the architecture needs {want:?}"
                )))
            }
        };
        expect("embedding", embedding.shape().to_vec(), vec![arch.vocab, arch.embedding_dim])?;
        expect(
            "conv.weight",
            vec![conv.width(), conv.channels(), conv.filters()],
            vec![arch.width, arch.embedding_dim, arch.filters],
        )?;
        expect("dense.weight", dense.weight.shape().to_vec(), vec![arch.filters, arch.classes])?;
        expect(
            "conv.bias",
            conv.bias.as_ref().map_or(vec![], |b| b.shape().to_vec()),
            vec![arch.filters],
        )?;
        expect(
            "dense.bias",
            dense.bias.as_ref().map_or(vec![], |b| b.shape().to_vec()),
            vec![arch.classes],
        )?;
        if let Some(problem) = arch.problem() {
            return Err(TextError::Model(format!("the architecture: {problem}")));
        }
        let network = Network::new(vec![
            Layer::Conv1d(conv),
            Layer::Relu,
            Layer::MaxPool(MaxPool::Global),
            Layer::Dense(dense),
        ]);
        Ok(TextCnn { arch, embedding, network })
    }

    /// One network whose scores are the mean of `members`' scores (an ensemble written as a
    /// single CNN of the same kind): their embeddings side by side, their filters as the groups
    /// of one grouped convolution (each reading only its own member's dimensions), their dense
    /// layers stacked and divided by the number of members. The members must share one
    /// architecture.
    pub fn mean_of(members: &[TextCnn]) -> Result<Self, TextError> {
        let first =
            members.first().ok_or_else(|| TextError::Model("no members to combine".into()))?;
        if let Some(other) = members.iter().find(|m| m.arch != first.arch) {
            return Err(TextError::Model(format!(
                "members differ in architecture: {} and {}",
                first.arch, other.arch
            )));
        }
        let (k, a) = (members.len(), &first.arch);
        let (dim, filters) = (a.embedding_dim, a.filters);
        let arch = Architecture { embedding_dim: k * dim, filters: k * filters, ..a.clone() };
        let mut embedding = Array2::zeros((a.vocab, k * dim));
        let mut conv = Array3::zeros((a.width, dim, k * filters));
        let mut conv_bias = Array1::zeros(k * filters);
        let mut dense = Array2::zeros((k * filters, a.classes));
        let mut dense_bias = Array1::<f32>::zeros(a.classes);
        let share = 1.0 / k as f32;
        for (i, m) in members.iter().enumerate() {
            let (dims, maps) = (i * dim..(i + 1) * dim, i * filters..(i + 1) * filters);
            embedding.slice_mut(s![.., dims]).assign(&m.embedding);
            conv.slice_mut(s![.., .., maps.clone()]).assign(&m.conv().full_weight());
            if let Some(b) = &m.conv().bias {
                conv_bias.slice_mut(s![maps.clone()]).assign(b);
            }
            dense.slice_mut(s![maps, ..]).assign(&(&m.dense().weight * share));
            if let Some(b) = &m.dense().bias {
                dense_bias.scaled_add(share, b);
            }
        }
        let conv = Conv1d::grouped(conv, Some(conv_bias), k)
            .map_err(|e| TextError::Model(e.to_string()))?;
        let dense =
            Dense::new(dense, Some(dense_bias)).map_err(|e| TextError::Model(e.to_string()))?;
        Self::from_parts(arch, embedding, conv, dense)
    }

    /// The layers after the embedding lookup.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The convolution over word windows.
    pub fn conv(&self) -> &Conv1d {
        self.layers().0
    }

    /// The dense output layer.
    pub fn dense(&self) -> &Dense {
        self.layers().1
    }

    /// The convolution and the dense layer, where `from_parts` put them.
    fn layers(&self) -> (&Conv1d, &Dense) {
        let [Layer::Conv1d(conv), _, _, Layer::Dense(dense)] = self.network.layers() else {
            unreachable!("built by from_parts")
        };
        (conv, dense)
    }

    /// Embedding, convolution and dense layer, mutable, for training.
    pub(crate) fn parts_mut(&mut self) -> (&mut Array2<f32>, &mut Conv1d, &mut Dense) {
        let [Layer::Conv1d(conv), _, _, Layer::Dense(dense)] = self.network.layers_mut() else {
            unreachable!("built by from_parts")
        };
        (&mut self.embedding, conv, dense)
    }

    /// Rounds every weight to the nearest value IEEE half precision can hold, so that a model
    /// saved as f16 scores exactly as the one in memory.
    pub fn round_to_f16(&mut self) {
        let round = |v: &mut f32| *v = half::f16::from_f32(*v).to_f32();
        let (embedding, conv, dense) = self.parts_mut();
        embedding.map_inplace(round);
        conv.weight.map_inplace(round);
        dense.weight.map_inplace(round);
        for bias in [conv.bias.as_mut(), dense.bias.as_mut()].into_iter().flatten() {
            bias.map_inplace(round);
        }
    }

    /// The ids the network sees: cut to `max_len`, padded to at least one window.
    pub fn input_ids(&self, ids: &[u32]) -> Vec<u32> {
        let mut ids: Vec<u32> = ids.iter().take(self.arch.max_len).copied().collect();
        if ids.len() < self.arch.width {
            ids.resize(self.arch.width, PAD);
        }
        ids
    }

    /// The embedded document `(positions, embedding_dim)` for ids from [`TextCnn::input_ids`].
    pub fn embed(&self, ids: &[u32]) -> Array2<f32> {
        let rows: Vec<usize> = ids.iter().map(|&i| (i as usize).min(self.arch.vocab - 1)).collect();
        self.embedding.select(Axis(0), &rows)
    }

    /// A forward pass kept for explanation, on a document's token ids.
    pub fn trace(&self, ids: &[u32]) -> Trace<'_> {
        let x: ArrayD<f32> = self.embed(&self.input_ids(ids)).into_dyn();
        self.network.forward(x).expect("input shaped by input_ids")
    }

    /// Class scores (logits) for a document's token ids.
    pub fn scores(&self, ids: &[u32]) -> Array1<f32> {
        self.trace(ids).output().to_owned().into_dimensionality().expect("dense output is 1-d")
    }
}

/// Softmax of scores.
pub fn softmax(scores: &Array1<f32>) -> Array1<f32> {
    let max = scores.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let exp = scores.mapv(|v| (v - max).exp());
    let sum = exp.sum();
    exp / sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn member(seed: u64) -> TextCnn {
        let arch = Architecture {
            vocab: 15,
            embedding_dim: 4,
            width: 3,
            filters: 6,
            classes: 3,
            max_len: 10,
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let mut model = TextCnn::new(arch, &mut rng);
        let (_, conv, dense) = model.parts_mut();
        conv.bias.as_mut().unwrap().mapv_inplace(|_| rng.gen_range(-0.3..0.3));
        dense.bias.as_mut().unwrap().mapv_inplace(|_| rng.gen_range(-0.3..0.3));
        model
    }

    #[test]
    fn the_combined_network_scores_the_mean_of_its_members() {
        let members = [member(1), member(2), member(3)];
        let combined = TextCnn::mean_of(&members).unwrap();
        assert_eq!((combined.arch.embedding_dim, combined.arch.filters), (12, 18));
        // Long (cut at max_len), ordinary, shorter than a window, unknown and padding tokens.
        let documents: [&[u32]; 4] =
            [&[2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], &[5, 1, 9, 9, 3], &[7], &[0, 1, 14]];
        for ids in documents {
            let mean =
                members.iter().map(|m| m.scores(ids)).fold(Array1::<f32>::zeros(3), |a, s| a + s)
                    / 3.0;
            let scores = combined.scores(ids);
            for (c, m) in scores.iter().zip(&mean) {
                assert!((c - m).abs() < 1e-5 * (1.0 + m.abs()), "{ids:?}: {scores} vs {mean}");
            }
        }
        let mut other = member(4);
        other.arch.max_len = 11;
        assert!(TextCnn::mean_of(&[member(1), other]).is_err());
        assert!(TextCnn::mean_of(&[]).is_err());
    }
}
