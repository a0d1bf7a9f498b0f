//! 2-D convolution over a grid of vectors (a document as a words × embedding image, a picture),
//! channels last, with strides, dilations, zero padding and groups as ONNX's `Conv` has them:
//! `z[i, j, f] = Σ_{a, b} Σ_{d ∈ g(f)} x̃[i·s_h + a·δ_h, j·s_w + b·δ_w, d] · w[a, b, d − g(f)·C/G, f] + b_f`,
//! where `x̃` is the input with `top`/`left`/`bottom`/`right` rows and columns of zeros around it.
//! The zeros are constants of the map, not inputs, so no relevance lands on them.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, Array4, ArrayD, ArrayView1, ArrayView3, ArrayViewD, Ix3, IxDyn};

use crate::error::LrpError;
use crate::linear::{LinearMap, WeightMod};

/// Where a 2-D convolution's windows lie: strides, dilations and zero padding per axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    /// Steps between windows, `(rows, columns)`.
    pub strides: (usize, usize),
    /// Steps between a window's taps, `(rows, columns)`.
    pub dilations: (usize, usize),
    /// Zeros added `(top, left, bottom, right)`.
    pub padding: (usize, usize, usize, usize),
}

impl Default for Conv2dGeometry {
    fn default() -> Self {
        Conv2dGeometry { strides: (1, 1), dilations: (1, 1), padding: (0, 0, 0, 0) }
    }
}

/// A convolution of `(rows, columns, channels)` grids with filters `(kh, kw, C/G, F)`, in `G`
/// groups; output `(rows', columns', F)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2d {
    /// Filters `w[a, b, d, f]`, shape `(kh, kw, channels / groups, filters)`.
    pub weight: Array4<f32>,
    /// Bias per filter, shape `(filters)`.
    pub bias: Option<Array1<f32>>,
    groups: usize,
    geometry: Conv2dGeometry,
}

/// Where each window's tap reads: for output `(i, j)` and tap `(a, b)`, the input position, or
/// `None` on padding.
struct Taps {
    out: (usize, usize),
    kernel: (usize, usize),
    geometry: Conv2dGeometry,
    input: (usize, usize),
}

impl Taps {
    fn source(&self, i: usize, j: usize, a: usize, b: usize) -> Option<(usize, usize)> {
        let g = &self.geometry;
        let row = (i * g.strides.0 + a * g.dilations.0).checked_sub(g.padding.0)?;
        let col = (j * g.strides.1 + b * g.dilations.1).checked_sub(g.padding.1)?;
        (row < self.input.0 && col < self.input.1).then_some((row, col))
    }

    /// Visits every (window, tap, input position) that is not padding, in window-matrix order:
    /// row `i·W' + j`, column block `a·kw + b`.
    fn for_each(&self, mut visit: impl FnMut(usize, usize, (usize, usize))) {
        for i in 0..self.out.0 {
            for j in 0..self.out.1 {
                for a in 0..self.kernel.0 {
                    for b in 0..self.kernel.1 {
                        if let Some(p) = self.source(i, j, a, b) {
                            visit(i * self.out.1 + j, a * self.kernel.1 + b, p);
                        }
                    }
                }
            }
        }
    }
}

impl Conv2d {
    /// A convolution from filters `(kh, kw, channels / groups, filters)`, an optional bias
    /// `(filters)`, a number of groups and the windows' geometry.
    pub fn new(
        weight: Array4<f32>,
        bias: Option<Array1<f32>>,
        groups: usize,
        geometry: Conv2dGeometry,
    ) -> Result<Self, LrpError> {
        let (kh, kw, _, filters) = weight.dim();
        let invalid = |m: String| Err(LrpError::InvalidLayer(m));
        if kh == 0 || kw == 0 {
            return invalid("conv2d kernel must be at least 1 × 1".into());
        }
        if groups == 0 || filters % groups != 0 {
            return invalid(format!(
                "conv2d with {filters} filters cannot be cut into {groups} groups"
            ));
        }
        let (s, d) = (geometry.strides, geometry.dilations);
        if s.0 == 0 || s.1 == 0 || d.0 == 0 || d.1 == 0 {
            return invalid(format!("conv2d strides {s:?} and dilations {d:?} must be at least 1"));
        }
        if let Some(b) = &bias {
            if b.len() != filters {
                return invalid(format!(
                    "conv2d bias has {} values for {filters} filters",
                    b.len()
                ));
            }
        }
        Ok(Conv2d { weight, bias, groups, geometry })
    }

    /// Groups of channels and filters.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Input channels per grid cell.
    pub fn channels(&self) -> usize {
        self.weight.dim().2 * self.groups
    }

    /// Number of filters (output channels).
    pub fn filters(&self) -> usize {
        self.weight.dim().3
    }

    /// Kernel size `(rows, columns)`.
    pub fn kernel(&self) -> (usize, usize) {
        let (kh, kw, _, _) = self.weight.dim();
        (kh, kw)
    }

    /// The windows' geometry.
    pub fn geometry(&self) -> Conv2dGeometry {
        self.geometry
    }

    /// Output rows and columns for an input of `rows × columns`, `None` when the kernel does not fit.
    pub fn output_size(&self, rows: usize, cols: usize) -> Option<(usize, usize)> {
        let g = &self.geometry;
        let (kh, kw) = self.kernel();
        let span = |k: usize, d: usize| (k - 1) * d + 1;
        let padded = (rows + g.padding.0 + g.padding.2, cols + g.padding.1 + g.padding.3);
        let (sh, sw) = (span(kh, g.dilations.0), span(kw, g.dilations.1));
        (rows > 0 && cols > 0 && padded.0 >= sh && padded.1 >= sw)
            .then(|| ((padded.0 - sh) / g.strides.0 + 1, (padded.1 - sw) / g.strides.1 + 1))
    }

    fn taps(&self, input: (usize, usize)) -> Taps {
        let out = self.output_size(input.0, input.1).expect("checked by output_shape");
        Taps { out, kernel: self.kernel(), geometry: self.geometry, input }
    }

    /// Group `g`'s filters as the `(kh·kw·C/G, F/G)` matrix the window matrix multiplies.
    fn group_matrix(w: &Array4<f32>, g: usize, fg: usize) -> Array2<f32> {
        let (kh, kw, cg, _) = w.dim();
        w.slice(s![.., .., .., g * fg..(g + 1) * fg])
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((kh * kw * cg, fg))
            .expect("standard layout")
    }
}

impl LinearMap for Conv2d {
    fn name(&self) -> &str {
        "conv2d"
    }

    fn output_shape(&self, shape: &[usize], layer: usize) -> Result<Vec<usize>, LrpError> {
        match *shape {
            [rows, cols, c] if c == self.channels() => match self.output_size(rows, cols) {
                Some((r, k)) => Ok(vec![r, k, self.filters()]),
                None if rows == 0 || cols == 0 => {
                    Err(LrpError::EmptySequence { layer, kind: "conv2d".into() })
                }
                None => Err(LrpError::ShapeMismatch {
                    layer,
                    kind: "conv2d".into(),
                    expected: format!(
                        "a grid the {:?} kernel fits (padding {:?}, dilations {:?})",
                        self.kernel(),
                        self.geometry.padding,
                        self.geometry.dilations
                    ),
                    got: shape.to_vec(),
                }),
            },
            _ => Err(LrpError::ShapeMismatch {
                layer,
                kind: "conv2d".into(),
                expected: format!("(rows, columns, {})", self.channels()),
                got: shape.to_vec(),
            }),
        }
    }

    // The window matrix (im2col) is built per group: with strides, dilations and padding the
    // windows are no longer overlapping runs of one buffer, as they are for `Conv1d`.
    fn forward(&self, x: ArrayViewD<f32>, weights: WeightMod) -> ArrayD<f32> {
        let x: ArrayView3<f32> = x.into_dimensionality::<Ix3>().expect("checked by output_shape");
        let w = weights.weights(&self.weight);
        let (kh, kw, cg, filters) = w.dim();
        let fg = filters / self.groups;
        let taps = self.taps((x.dim().0, x.dim().1));
        let (rows, cols) = taps.out;
        let mut z = Array2::<f32>::zeros((rows * cols, filters));
        for g in 0..self.groups {
            let mut windows = Array2::<f32>::zeros((rows * cols, kh * kw * cg));
            taps.for_each(|row, tap, (r, c)| {
                windows.slice_mut(s![row, tap * cg..(tap + 1) * cg]).assign(&x.slice(s![
                    r,
                    c,
                    g * cg..(g + 1) * cg
                ]))
            });
            general_mat_mul(
                1.0,
                &windows,
                &Self::group_matrix(&w, g, fg),
                0.0,
                &mut z.slice_mut(s![.., g * fg..(g + 1) * fg]),
            );
        }
        z.into_shape_with_order(IxDyn(&[rows, cols, filters])).expect("standard layout")
    }

    fn transpose(
        &self,
        s: ArrayViewD<f32>,
        weights: WeightMod,
        input_shape: &[usize],
    ) -> ArrayD<f32> {
        let w = weights.weights(&self.weight);
        let (_, _, cg, filters) = w.dim();
        let fg = filters / self.groups;
        let taps = self.taps((input_shape[0], input_shape[1]));
        let s = s.to_shape((taps.out.0 * taps.out.1, filters)).expect("output of this layer");
        let mut c = ArrayD::<f32>::zeros(IxDyn(input_shape));
        for g in 0..self.groups {
            let windows =
                s.slice(s![.., g * fg..(g + 1) * fg]).dot(&Self::group_matrix(&w, g, fg).t());
            taps.for_each(|row, tap, (r, col)| {
                let mut target = c.slice_mut(s![r, col, g * cg..(g + 1) * cg]);
                target += &windows.slice(s![row, tap * cg..(tap + 1) * cg]);
            });
        }
        c
    }

    fn bias(&self) -> Option<ArrayView1<'_, f32>> {
        self.bias.as_ref().map(|b| b.view())
    }
}
