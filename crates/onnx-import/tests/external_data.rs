//! Weights beside the model (ONNX external data, `model.onnx_data`, as exporters write models
//! over 2 GB): read from the model's folder with the same result as inside the model, and a
//! location outside the folder refused by name.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use onnx_import::OnnxModel;
use onnx_protobuf::tensor_proto::DataLocation;
use onnx_protobuf::{Message, ModelProto, StringStringEntryProto};

fn bert() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/transformers/bert_eager/model.onnx");
    std::fs::read(path).unwrap()
}

/// The model with every initialiser over 1 KiB moved to `data` beside it, located as `location`.
fn externalised(bytes: &[u8], folder: &Path, location: &str) {
    let mut model = ModelProto::parse_from_bytes(bytes).unwrap();
    let mut data = Vec::new();
    for t in &mut model.graph.as_mut().unwrap().initializer {
        if t.raw_data.len() <= 1024 {
            continue;
        }
        let entry = |key: &str, value: String| StringStringEntryProto {
            key: key.into(),
            value,
            ..Default::default()
        };
        t.external_data = vec![
            entry("location", location.into()),
            entry("offset", data.len().to_string()),
            entry("length", t.raw_data.len().to_string()),
        ];
        t.data_location = DataLocation::EXTERNAL.into();
        data.append(&mut t.raw_data);
    }
    assert!(data.len() > 100_000, "the weights moved out");
    std::fs::write(folder.join("model.onnx_data"), data).unwrap();
    std::fs::write(folder.join("model.onnx"), model.write_to_bytes().unwrap()).unwrap();
}

fn logits(model: &OnnxModel) -> Vec<f32> {
    let table = model.embedding().unwrap();
    let ids = [2usize, 40, 41, 42, 3];
    let mut x = ArrayD::zeros(IxDyn(&[1, ids.len(), table.ncols()]));
    for (t, &id) in ids.iter().enumerate() {
        x.slice_mut(ndarray::s![0, t, ..]).assign(&table.row(id));
    }
    let imported = model.graph(x.shape()).unwrap();
    let trace = imported.graph.forward(x).unwrap();
    trace.output().iter().copied().collect()
}

#[test]
fn weights_beside_the_model_are_read_from_its_folder() {
    let bytes = bert();
    let inside = OnnxModel::from_bytes(&bytes).unwrap();
    let folder = tempfile::tempdir().unwrap();
    externalised(&bytes, folder.path(), "model.onnx_data");
    let outside = OnnxModel::read(&folder.path().join("model.onnx")).unwrap();
    assert_eq!(logits(&inside), logits(&outside));
    // Without the folder the weights cannot be found, and the message says where they are.
    let alone = std::fs::read(folder.path().join("model.onnx")).unwrap();
    let refused = OnnxModel::from_bytes(&alone).err().unwrap().to_string();
    assert!(refused.contains("model.onnx_data"), "{refused}");
}

#[test]
fn weights_outside_the_model_folder_are_refused_by_name() {
    let bytes = bert();
    for location in ["../model.onnx_data", "/etc/passwd"] {
        let folder = tempfile::tempdir().unwrap();
        externalised(&bytes, folder.path(), location);
        let refused = OnnxModel::read(&folder.path().join("model.onnx")).err().unwrap().to_string();
        assert!(
            refused.contains(location) && refused.contains("outside the model's folder"),
            "{refused}"
        );
    }
}
