//! A descriptor with its receptive field, and descriptors in a batch: the values of each type
//! as the rows of one matrix, the receptive fields beside them. Descriptors travel this way from
//! the extractor to the Fisher vectors, one growing buffer per type instead of three allocations
//! per descriptor and a copy into a matrix (a tenth of `predict`'s time went to allocating,
//! freeing and copying them).

use std::ops::Range;

use ndarray::{Array2, ArrayView2};
use serde::Serialize;

/// One descriptor and where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Descriptor {
    /// Frames (display order) of the cuboid.
    pub frames: Range<usize>,
    /// Block rows of the cuboid.
    pub rows: Range<usize>,
    /// Block columns of the cuboid.
    pub cols: Range<usize>,
    pub hof: Vec<f32>,
    pub mbhx: Vec<f32>,
    pub mbhy: Vec<f32>,
}

/// Descriptors by type (HOF, MBHx, MBHy): row `i` of each type and `fields()[i]` are one cuboid.
#[derive(Clone, Debug, PartialEq)]
pub struct DescriptorBatch {
    /// Receptive fields, one per row; their value vectors are empty.
    fields: Vec<Descriptor>,
    /// Row-major values per type.
    values: [Vec<f32>; 3],
    widths: [usize; 3],
}

impl DescriptorBatch {
    /// An empty batch of descriptors of these lengths per type
    /// (`DescriptorOptions::lengths`).
    pub fn new(widths: [usize; 3]) -> Self {
        DescriptorBatch { fields: Vec::new(), values: Default::default(), widths }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.fields.clear();
        self.values.iter_mut().for_each(Vec::clear);
    }

    /// The receptive fields, one per row (without values).
    pub fn fields(&self) -> &[Descriptor] {
        &self.fields
    }

    /// `[len, width]`: the values of type `c` (0 HOF, 1 MBHx, 2 MBHy), a row per descriptor.
    pub fn channel(&self, c: usize) -> ArrayView2<'_, f32> {
        ArrayView2::from_shape((self.len(), self.widths[c]), &self.values[c])
            .expect("a row of each type per descriptor")
    }

    /// Descriptor `i` with its values.
    pub fn descriptor(&self, i: usize) -> Descriptor {
        let row = |c: usize| self.values[c][i * self.widths[c]..(i + 1) * self.widths[c]].to_vec();
        Descriptor { hof: row(0), mbhx: row(1), mbhy: row(2), ..self.fields[i].clone() }
    }

    /// Every descriptor with its values.
    pub fn descriptors(&self) -> impl Iterator<Item = Descriptor> + '_ {
        (0..self.len()).map(|i| self.descriptor(i))
    }

    /// The receptive fields and the values of each type as matrices, without a copy.
    pub fn into_parts(self) -> (Vec<Descriptor>, [Array2<f32>; 3]) {
        let rows = self.fields.len();
        let [hof, mbhx, mbhy] = self.values;
        let matrix = |values: Vec<f32>, width: usize| {
            Array2::from_shape_vec((rows, width), values)
                .expect("a row of each type per descriptor")
        };
        (
            self.fields,
            [
                matrix(hof, self.widths[0]),
                matrix(mbhx, self.widths[1]),
                matrix(mbhy, self.widths[2]),
            ],
        )
    }

    /// Appends the cuboid `field` (its value vectors are not read) with rows of zeros, and gives
    /// those rows to be filled.
    pub(crate) fn push_zeroed(&mut self, field: Descriptor) -> [&mut [f32]; 3] {
        self.fields.push(field);
        let [hof, mbhx, mbhy] = &mut self.values;
        let widths = self.widths;
        [zero_row(hof, widths[0]), zero_row(mbhx, widths[1]), zero_row(mbhy, widths[2])]
    }
}

/// Appends `width` zeros to `values` and gives them.
fn zero_row(values: &mut Vec<f32>, width: usize) -> &mut [f32] {
    let start = values.len();
    values.resize(start + width, 0.0);
    &mut values[start..]
}
