//! Adding a constant of zeros that does not change the value's shape (the attention mask of an
//! unpadded document) is the identity: no node, the same values. Zeros that
//! broadcast the value to a larger shape are a sum like any other.

use ndarray::{array, ArrayD, IxDyn};
use onnx_import::{OnnxModel, OnnxWriter};

/// `ids → Gather(E, ids) + zeros(shape)`, three dimensions per token.
fn model(zeros: &[usize]) -> Vec<u8> {
    let mut w = OnnxWriter::new("zeros", "ids");
    let table = ArrayD::from_shape_fn(IxDyn(&[6, 3]), |i| (i[0] * 3 + i[1]) as f32 - 7.5);
    let mut negative_zeros = ArrayD::<f32>::zeros(IxDyn(zeros));
    negative_zeros.iter_mut().step_by(2).for_each(|v| *v = -0.0);
    w.initialiser("E", &table);
    w.initialiser("Z", &negative_zeros);
    w.node("Gather", &["E", "ids"], &["embedded"], vec![]);
    w.node("Add", &["embedded", "Z"], &["out"], vec![]);
    w.finish("out", 3, "test")
}

#[test]
fn zeros_added_in_the_values_own_shape_leave_no_node() {
    let x = array![[[0.0f32, -0.0, 2.5], [3.0, -4.0, 5.0]]].into_dyn();
    let imported = OnnxModel::from_bytes(&model(&[1, 1, 3])).unwrap().graph(x.shape()).unwrap();
    assert_eq!(imported.graph.nodes().len(), 1, "{:?}", imported.graph.nodes());
    let trace = imported.graph.forward(x.clone()).unwrap();
    // The value itself (a negative zero stays negative), equal to the sum.
    let same_bits =
        |a: &ArrayD<f32>, b: &ArrayD<f32>| a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(same_bits(&trace.output().to_owned(), &x));
    assert_eq!(trace.output(), &x + &ArrayD::<f32>::zeros(IxDyn(&[1, 1, 3])));
}

#[test]
fn zeros_that_broadcast_the_value_to_a_larger_shape_are_added() {
    let x = array![[[0.5f32, 1.5, 2.5], [3.0, 4.0, 5.0]]].into_dyn();
    let imported = OnnxModel::from_bytes(&model(&[2, 1, 3])).unwrap().graph(x.shape()).unwrap();
    let trace = imported.graph.forward(x.clone()).unwrap();
    assert_eq!(trace.output().shape(), &[2, 2, 3]);
    for i in 0..2 {
        assert_eq!(
            trace.output().index_axis(ndarray::Axis(0), i),
            x.index_axis(ndarray::Axis(0), 0)
        );
    }
}
