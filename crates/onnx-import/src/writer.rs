//! ONNX models written from relvis's own layers, so that they run in ONNX Runtime (or any other
//! ONNX tool) and come back through [`crate::OnnxModel`]. Only what an exported classifier of
//! token ids needs: float initialisers, nodes with integer attributes, an `int64` input of
//! token ids and one float output, both with a batch and (for the input) a sequence axis of
//! free size.

use ndarray::ArrayD;
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{dimension, Dimension};
use onnx_protobuf::type_proto::{self, Tensor};
use onnx_protobuf::{
    AttributeProto, GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The operator set the written models declare: every operator used takes its axes as
/// attributes there (13 is the oldest set ONNX Runtime and `torch.onnx` both still write).
pub const OPSET: i64 = 13;
/// The IR version of ONNX 1.10, which opset 13 belongs with.
const IR_VERSION: i64 = 8;

/// An attribute value of a written node.
pub enum Attribute {
    Int(i64),
    Ints(Vec<i64>),
}

/// A model being written, node by node.
pub struct OnnxWriter {
    graph: GraphProto,
}

fn dimension(value: dimension::Value) -> Dimension {
    let mut d = Dimension::new();
    d.value = Some(value);
    d
}

fn value_info(name: &str, elem_type: DataType, dims: Vec<dimension::Value>) -> ValueInfoProto {
    let mut shape = TensorShapeProto::new();
    shape.dim = dims.into_iter().map(dimension).collect();
    let mut tensor = Tensor::new();
    tensor.elem_type = elem_type as i32;
    tensor.shape = Some(shape).into();
    let mut ty = TypeProto::new();
    ty.value = Some(type_proto::Value::TensorType(tensor));
    let mut info = ValueInfoProto::new();
    info.name = name.to_string();
    info.type_ = Some(ty).into();
    info
}

impl OnnxWriter {
    /// A graph called `name` whose input `input` holds token ids `[batch, sequence]`.
    pub fn new(name: &str, input: &str) -> Self {
        let mut graph = GraphProto::new();
        graph.name = name.to_string();
        graph.input.push(value_info(
            input,
            DataType::INT64,
            vec![
                dimension::Value::DimParam("batch".into()),
                dimension::Value::DimParam("sequence".into()),
            ],
        ));
        OnnxWriter { graph }
    }

    /// A float constant (weights), stored little-endian in `raw_data`.
    pub fn initialiser(&mut self, name: &str, values: &ArrayD<f32>) {
        let mut t = TensorProto::new();
        t.name = name.to_string();
        t.data_type = DataType::FLOAT as i32;
        t.dims = values.shape().iter().map(|&d| d as i64).collect();
        t.raw_data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.graph.initializer.push(t);
    }

    /// A node `op_type(inputs) -> outputs`, named after its first output.
    pub fn node(
        &mut self,
        op_type: &str,
        inputs: &[&str],
        outputs: &[&str],
        attributes: Vec<(&str, Attribute)>,
    ) {
        let mut node = NodeProto::new();
        node.op_type = op_type.to_string();
        node.name = format!("{op_type}:{}", outputs[0]);
        node.input = inputs.iter().map(|s| s.to_string()).collect();
        node.output = outputs.iter().map(|s| s.to_string()).collect();
        node.attribute = attributes
            .into_iter()
            .map(|(name, value)| {
                let mut a = AttributeProto::new();
                a.name = name.to_string();
                match value {
                    Attribute::Int(i) => {
                        a.type_ = AttributeType::INT.into();
                        a.i = i;
                    }
                    Attribute::Ints(v) => {
                        a.type_ = AttributeType::INTS.into();
                        a.ints = v;
                    }
                }
                a
            })
            .collect();
        self.graph.node.push(node);
    }

    /// The model's bytes, with `output` (`[batch, outputs]` floats) as its one output.
    pub fn finish(mut self, output: &str, outputs: usize, producer: &str) -> Vec<u8> {
        self.graph.output.push(value_info(
            output,
            DataType::FLOAT,
            vec![
                dimension::Value::DimParam("batch".into()),
                dimension::Value::DimValue(outputs as i64),
            ],
        ));
        let mut opset = OperatorSetIdProto::new();
        opset.version = OPSET;
        let mut model = ModelProto::new();
        model.ir_version = IR_VERSION;
        model.producer_name = producer.to_string();
        model.opset_import.push(opset);
        model.graph = Some(self.graph).into();
        model.write_to_bytes().expect("a model built from valid parts encodes")
    }
}
