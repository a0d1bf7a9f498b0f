//! A `Gather` of a constant by constant indices has ONNX's shape `data[..axis] ++ indices ++
//! data[axis + 1..]`, whatever the indices' rank (a table of position or token-type
//! embeddings read by a constant id tensor).

use ndarray::{array, ArrayD, IxDyn};
use onnx_import::{OnnxModel, OnnxWriter};
use onnx_protobuf::{tensor_proto::DataType, Message, ModelProto, TensorProto};

/// `ids → Gather(E, ids) + Gather(P, I)` with I = [[[3]], [[1]]], int64 `[2, 1, 1]`.
fn model() -> Vec<u8> {
    let mut w = OnnxWriter::new("gather", "ids");
    let table = ArrayD::from_shape_fn(IxDyn(&[6, 3]), |i| (i[0] * 3 + i[1]) as f32);
    let positions =
        ArrayD::from_shape_fn(IxDyn(&[4, 3]), |i| 100.0 * (i[0] + 1) as f32 + i[1] as f32);
    w.initialiser("E", &table);
    w.initialiser("P", &positions);
    w.node("Gather", &["E", "ids"], &["embedded"], vec![]);
    w.node("Gather", &["P", "I"], &["picked"], vec![]);
    w.node("Add", &["embedded", "picked"], &["out"], vec![]);
    let mut model = ModelProto::parse_from_bytes(&w.finish("out", 3, "test")).unwrap();
    let indices = TensorProto {
        name: "I".into(),
        data_type: DataType::INT64 as i32,
        dims: vec![2, 1, 1],
        int64_data: vec![3, 1],
        ..Default::default()
    };
    model.graph.as_mut().unwrap().initializer.push(indices);
    model.write_to_bytes().unwrap()
}

#[test]
fn a_constant_gathered_by_indices_of_rank_three_has_the_indices_shape_inside_it() {
    let model = OnnxModel::from_bytes(&model()).unwrap();
    let x = array![[[0.5f32, 1.5, 2.5], [3.0, 4.0, 5.0]]].into_dyn();
    let imported = model.graph(x.shape()).unwrap();
    let trace = imported.graph.forward(x.clone()).unwrap();
    let out = trace.output();
    // [2, 1, 1, 3] picked rows broadcast with the [1, 2, 3] embeddings: [2, 1, 2, 3].
    assert_eq!(out.shape(), &[2, 1, 2, 3]);
    for (i, row) in [3usize, 1].into_iter().enumerate() {
        for t in 0..2 {
            for d in 0..3 {
                let expected = x[[0, t, d]] + 100.0 * (row + 1) as f32 + d as f32;
                assert_eq!(out[[i, 0, t, d]], expected, "picked {i}, token {t}, dimension {d}");
            }
        }
    }
}
