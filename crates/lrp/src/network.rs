//! A sequential network and the record of one forward pass through it.

use ndarray::{ArrayD, ArrayViewD};

use crate::error::LrpError;
use crate::layers::Layer;

/// Layers applied one after another.
#[derive(Debug)]
pub struct Network {
    layers: Vec<Layer>,
}

/// One forward pass: the network's input and every layer's output, which is all that
/// LRP and the gradient need on the way back.
#[derive(Debug)]
pub struct Trace<'n> {
    pub(crate) network: &'n Network,
    /// `values[0]` is the input, `values[i + 1]` the output of layer `i`.
    pub(crate) values: Vec<ArrayD<f32>>,
}

impl Network {
    /// A network of `layers`, input first.
    pub fn new(layers: Vec<Layer>) -> Self {
        Network { layers }
    }

    /// The layers, input first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The layers, taken out in order (to build a graph or another network of them).
    pub fn into_layers(self) -> Vec<Layer> {
        self.layers
    }

    /// The layers, mutable (for training; the shapes a layer accepts may change with them).
    pub fn layers_mut(&mut self) -> &mut [Layer] {
        &mut self.layers
    }

    /// The output shape for an input of `shape`, or the first layer it does not fit.
    pub fn output_shape(&self, shape: &[usize]) -> Result<Vec<usize>, LrpError> {
        self.layers
            .iter()
            .enumerate()
            .try_fold(shape.to_vec(), |shape, (i, layer)| layer.output_shape(&shape, i))
    }

    /// Runs the network on `input` and keeps every layer's output for explanations.
    /// Fails on a shape a layer does not accept and on NaN or infinite inputs.
    pub fn forward(&self, input: ArrayD<f32>) -> Result<Trace<'_>, LrpError> {
        self.check_input(&input)?;
        let mut values = Vec::with_capacity(self.layers.len() + 1);
        values.push(input);
        for layer in &self.layers {
            let next = layer.forward(values.last().expect("input pushed").view());
            values.push(next);
        }
        Ok(Trace { network: self, values })
    }

    /// [`Network::forward`] with the first layer's output `first` given where the caller keeps
    /// it already (an incremental state of a document, whose sums may round apart from the
    /// layer's own product in the last bits): the first layer is not run again. Fails as
    /// `forward` does, and where `first` is not shaped as the first layer's output.
    pub fn forward_from_first(
        &self,
        input: ArrayD<f32>,
        first: ArrayD<f32>,
    ) -> Result<Trace<'_>, LrpError> {
        self.check_input(&input)?;
        let Some((layer, rest)) = self.layers.split_first() else {
            return self.forward(input);
        };
        let expected = layer.output_shape(input.shape(), 0)?;
        if first.shape() != expected.as_slice() {
            return Err(LrpError::ShapeMismatch {
                layer: 0,
                kind: "given first-layer output".into(),
                expected: format!("{expected:?}"),
                got: first.shape().to_vec(),
            });
        }
        let mut values = Vec::with_capacity(self.layers.len() + 1);
        values.extend([input, first]);
        for layer in rest {
            let next = layer.forward(values.last().expect("input pushed").view());
            values.push(next);
        }
        Ok(Trace { network: self, values })
    }

    /// The first layer's output at `input`, checked as [`Network::forward`] checks it.
    pub(crate) fn first_output(&self, input: &ArrayD<f32>) -> Result<ArrayD<f32>, LrpError> {
        self.check_input(input)?;
        Ok(self.layers.first().map_or_else(|| input.clone(), |layer| layer.forward(input.view())))
    }

    /// Refuses NaN or infinite inputs and a shape a layer does not accept.
    fn check_input(&self, input: &ArrayD<f32>) -> Result<(), LrpError> {
        if let Some(index) = input.iter().position(|v| !v.is_finite()) {
            return Err(LrpError::NonFiniteInput { index });
        }
        self.output_shape(input.shape()).map(|_| ())
    }
}

impl Trace<'_> {
    /// The network's input.
    pub fn input(&self) -> ArrayViewD<'_, f32> {
        self.values[0].view()
    }

    /// The network's output.
    pub fn output(&self) -> ArrayViewD<'_, f32> {
        self.values.last().expect("input is always kept").view()
    }

    /// The input of layer `index` (the output of the layer before it).
    pub fn layer_input(&self, index: usize) -> ArrayViewD<'_, f32> {
        self.values[index].view()
    }
}
