//! The chain's linear steps as the LRP core's [`LinearMap`]s: descriptors → raw Fisher-vector
//! dimensions (`fisher-terms`), and blocks × frames → descriptors (`receptive-fields`), with
//! per-descriptor scores spread back over the blocks.

use lrp::{relevance_through, LinearMap, LrpError, Rule, WeightMod};
use ndarray::{s, Array1, Array3, ArrayD, ArrayView1, ArrayView2, ArrayViewD, IxDyn};

use crate::error::VideoError;
use crate::features::{ClipDescriptors, Descriptor, FisherEncoder, CHUNK};

/// The map "one per descriptor → raw Fisher-vector dimensions" with weights `φ_ij`,
/// computed in chunks from the descriptors (never an `N × 2KD` matrix): some of a clip's
/// `count` descriptors (the terms carry the clip's `1/N`).
pub(crate) struct FisherTerms<'e, 'd> {
    pub(crate) encoder: &'e FisherEncoder,
    pub(crate) descriptors: ArrayView2<'d, f32>,
    pub(crate) count: usize,
}

impl FisherTerms<'_, '_> {
    fn chunks(&self, weights: WeightMod, mut each: impl FnMut(usize, ndarray::Array2<f32>)) {
        let n = self.descriptors.nrows();
        for start in (0..n).step_by(CHUNK) {
            let rows = self.descriptors.slice(ndarray::s![start..(start + CHUNK).min(n), ..]);
            let mut terms = self.encoder.terms(rows, self.count);
            if weights != WeightMod::Identity {
                terms.mapv_inplace(|w| weights.apply(w));
            }
            each(start, terms);
        }
    }
}

impl LinearMap for FisherTerms<'_, '_> {
    fn name(&self) -> &str {
        "fisher-terms"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        if shape != [self.descriptors.nrows()] {
            return Err(LrpError::ShapeMismatch {
                layer,
                kind: self.name().into(),
                expected: format!("[{}]", self.descriptors.nrows()),
                got: shape.to_vec(),
            });
        }
        Ok(vec![self.encoder.fisher_len()])
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let x = x.into_dimensionality::<ndarray::Ix1>().expect("checked shape");
        let mut out = Array1::<f32>::zeros(self.encoder.fisher_len());
        self.chunks(weights, |start, terms| {
            out += &x.slice(ndarray::s![start..start + terms.nrows()]).dot(&terms)
        });
        out.into_dyn()
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        _input_shape: &[usize],
    ) -> ArrayD<f32> {
        let s = s.into_dimensionality::<ndarray::Ix1>().expect("checked shape");
        let mut out = Array1::<f32>::zeros(self.descriptors.nrows());
        self.chunks(weights, |start, terms| {
            out.slice_mut(ndarray::s![start..start + terms.nrows()]).assign(&terms.dot(&s))
        });
        out.into_dyn()
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        None
    }
}

/// The map "blocks × frames → descriptors": each descriptor sums its cuboid, over the frames
/// `first_frame..first_frame + shape[0]` that hold the descriptors' cuboids.
pub(crate) struct ReceptiveFields<'a> {
    pub(crate) fields: &'a [Descriptor],
    pub(crate) first_frame: usize,
    pub(crate) shape: [usize; 3],
}

impl ReceptiveFields<'_> {
    fn frames(&self, d: &Descriptor) -> std::ops::Range<usize> {
        d.frames.start - self.first_frame..d.frames.end - self.first_frame
    }
}

impl LinearMap for ReceptiveFields<'_> {
    fn name(&self) -> &str {
        "receptive-fields"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        if shape != self.shape {
            return Err(LrpError::ShapeMismatch {
                layer,
                kind: self.name().into(),
                expected: format!("{:?}", self.shape),
                got: shape.to_vec(),
            });
        }
        Ok(vec![self.fields.len()])
    }

    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let w = weights.apply(1.0);
        let x = x.into_dimensionality::<ndarray::Ix3>().expect("checked shape");
        let out: Array1<f32> = self
            .fields
            .iter()
            .map(|d| w * x.slice(s![self.frames(d), d.rows.clone(), d.cols.clone()]).sum())
            .collect();
        out.into_dyn()
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        _input_shape: &[usize],
    ) -> ArrayD<f32> {
        let w = weights.apply(1.0);
        let mut out = Array3::<f32>::zeros(self.shape);
        for (d, &v) in self.fields.iter().zip(s.iter()) {
            out.slice_mut(s![self.frames(d), d.rows.clone(), d.cols.clone()])
                .mapv_inplace(|o| o + w * v);
        }
        out.into_dyn()
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        None
    }
}

/// Per-descriptor scores spread flat over their receptive fields: `[frames, rows, cols]`.
pub(crate) fn spread_over_fields(
    clip: &ClipDescriptors,
    per_descriptor: &Array1<f32>,
) -> Result<Array3<f32>, VideoError> {
    let shape = [clip.frame_kinds.len(), clip.grid.0, clip.grid.1];
    let map = ReceptiveFields { fields: &clip.fields, first_frame: 0, shape };
    let blocks = relevance_through(
        &map,
        ArrayD::<f32>::zeros(IxDyn(&shape)).view(),
        per_descriptor.view().into_dyn(),
        &Rule::Flat,
    )?;
    Ok(blocks.into_dimensionality::<ndarray::Ix3>().expect("3-d"))
}
