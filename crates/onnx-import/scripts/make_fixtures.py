"""Builds the small ONNX models the importer's tests read, and stores ONNX Runtime's outputs
for them beside each model (JSON), so the tests compare with an outside implementation and
need no Python.

    python -m venv venv && venv/bin/pip install onnx onnxruntime numpy
    venv/bin/python crates/onnx-import/scripts/make_fixtures.py

The models are what exporters write for text classifiers: token ids gathered from an
embedding table, 1-D convolutions over words in channels-first layout, pooling over time,
concatenated branches, PyTorch's `x.view(x.size(0), -1)` shape arithmetic, BatchNormalization,
a linear layer as MatMul + Add, and a softmax at the output; and one with an LSTM, which the
importer must refuse.
"""
import json
import pathlib

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
VOCAB, DIM, FILTERS, CLASSES = 40, 6, 4, 3
rng = np.random.default_rng(7)


def weights(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def ids_input():
    return helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])


def save(name, graph, documents):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="relvis-fixtures")
    onnx.checker.check_model(model)
    path = OUT / f"{name}.onnx"
    onnx.save(model, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = []
    for ids in documents:
        feed = {"input_ids": np.array([ids], dtype=np.int64)}
        names = [o.name for o in session.get_outputs()]
        values = dict(zip(names, session.run(None, feed)))
        outputs.append({"input_ids": ids, **{k: v[0].astype(float).tolist() for k, v in values.items()}})
    (OUT / f"{name}.json").write_text(json.dumps({"model": f"{name}.onnx", "outputs": outputs}, indent=1) + "\n")


def kim_cnn():
    """Gather → Transpose → Conv (widths 2, 3, 4) → Relu → ReduceMax → Concat → Gemm → Softmax,
    with the logits as a second output."""
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["embedded"], name="embed"),
        helper.make_node("Transpose", ["embedded"], ["channels_first"], perm=[0, 2, 1], name="to_channels"),
    ]
    inits = [init("embedding", weights(VOCAB, DIM))]
    pooled = []
    for width in (2, 3, 4):
        inits += [init(f"conv{width}.weight", weights(FILTERS, DIM, width)), init(f"conv{width}.bias", weights(FILTERS, scale=0.1))]
        nodes += [
            helper.make_node("Conv", ["channels_first", f"conv{width}.weight", f"conv{width}.bias"], [f"conv{width}"], kernel_shape=[width], name=f"conv{width}"),
            helper.make_node("Relu", [f"conv{width}"], [f"relu{width}"], name=f"relu{width}"),
            helper.make_node("ReduceMax", [f"relu{width}"], [f"pool{width}"], axes=[2], keepdims=0, name=f"pool{width}"),
        ]
        pooled.append(f"pool{width}")
    inits += [init("fc.weight", weights(CLASSES, 3 * FILTERS)), init("fc.bias", weights(CLASSES, scale=0.1))]
    nodes += [
        helper.make_node("Concat", pooled, ["features"], axis=1, name="concat"),
        helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"], transB=1, name="fc"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1, name="softmax"),
    ]
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", CLASSES]), helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])]
    graph = helper.make_graph(nodes, "kim_cnn", [ids_input()], outputs, inits)
    save("kim_cnn", graph, [[3, 17, 5, 9, 22, 1, 30], [12, 4, 4, 8], [0, 39, 2, 11, 7, 25, 19, 33, 6, 14]])


def normalised_cnn():
    """Gather → Transpose → Conv (padded) → BatchNormalization → LeakyRelu → MaxPool → Dropout →
    GlobalAveragePool → the shape arithmetic of `x.view(x.size(0), -1)` → MatMul + Add →
    Mul by a constant → Identity; the logits are the output."""
    inits = [
        init("embedding", weights(VOCAB, DIM)),
        init("conv.weight", weights(FILTERS, DIM, 3)),
        init("conv.bias", weights(FILTERS, scale=0.1)),
        init("bn.scale", 1.0 + weights(FILTERS, scale=0.2)),
        init("bn.bias", weights(FILTERS, scale=0.1)),
        init("bn.mean", weights(FILTERS, scale=0.2)),
        init("bn.var", 0.5 + np.abs(weights(FILTERS, scale=0.3))),
        init("fc.weight", weights(FILTERS, CLASSES)),
        init("fc.bias", weights(CLASSES, scale=0.1)),
        init("temperature", np.array([0.5], dtype=np.float32)),
        init("zero", np.array(0, dtype=np.int64)),
        init("minus_one", np.array([-1], dtype=np.int64)),
    ]
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["embedded"], name="embed"),
        helper.make_node("Transpose", ["embedded"], ["channels_first"], perm=[0, 2, 1], name="to_channels"),
        helper.make_node("Conv", ["channels_first", "conv.weight", "conv.bias"], ["conv"], kernel_shape=[3], pads=[1, 1], name="conv"),
        helper.make_node("BatchNormalization", ["conv", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["normalised"], epsilon=1e-5, name="bn"),
        helper.make_node("LeakyRelu", ["normalised"], ["activated"], alpha=0.1, name="leaky_relu"),
        helper.make_node("MaxPool", ["activated"], ["pooled"], kernel_shape=[2], strides=[2], name="maxpool"),
        helper.make_node("Dropout", ["pooled"], ["dropped"], name="dropout"),
        helper.make_node("GlobalAveragePool", ["dropped"], ["averaged"], name="average"),
        helper.make_node("Shape", ["averaged"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0, name="batch_size"),
        helper.make_node("Unsqueeze", ["batch", "zero_axes"], ["batch_1d"], name="unsqueeze"),
        helper.make_node("Concat", ["batch_1d", "minus_one"], ["flat_shape"], axis=0, name="flat_shape"),
        helper.make_node("Reshape", ["averaged", "flat_shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "fc.weight"], ["product"], name="fc.matmul"),
        helper.make_node("Add", ["product", "fc.bias"], ["biased"], name="fc.add"),
        helper.make_node("Mul", ["biased", "temperature"], ["scaled"], name="temperature"),
        helper.make_node("Identity", ["scaled"], ["logits"], name="identity"),
    ]
    inits.append(init("zero_axes", np.array([0], dtype=np.int64)))
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])]
    graph = helper.make_graph(nodes, "normalised_cnn", [ids_input()], outputs, inits)
    save("normalised_cnn", graph, [[3, 17, 5, 9, 22, 1, 30], [12, 4, 4, 8, 2], [0, 39, 2, 11, 7, 25, 19, 33, 6, 14, 5]])


def lstm():
    """Gather → LSTM → …: refused, with the node named."""
    hidden = 4
    inits = [
        init("embedding", weights(VOCAB, DIM)),
        init("W", weights(1, 4 * hidden, DIM)),
        init("R", weights(1, 4 * hidden, hidden)),
    ]
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["embedded"], name="embed"),
        helper.make_node("Transpose", ["embedded"], ["time_major"], perm=[1, 0, 2], name="time_major"),
        helper.make_node("LSTM", ["time_major", "W", "R"], ["", "last_hidden"], hidden_size=hidden, name="encoder/lstm"),
    ]
    outputs = [helper.make_tensor_value_info("last_hidden", TensorProto.FLOAT, [1, "batch", hidden])]
    graph = helper.make_graph(nodes, "lstm", [ids_input()], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="relvis-fixtures")
    onnx.checker.check_model(model)
    onnx.save(model, OUT / "lstm.onnx")




def text_folder():
    """The Kim CNN as a Hugging Face style folder for `xai-text`: model.onnx, a word-level
    tokenizer.json (lower case, whitespace split) and config.json with id2label; with ONNX
    Runtime's logits for sentences tokenized the same way."""
    folder = OUT.parent.parent.parent / "text" / "tests" / "fixtures" / "onnx-kim"
    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]"] + "the a rocket orbit launch space shuttle moon nasa game team season hockey player goal score ice car engine road drive speed wheel god church faith bible prayer pray key chip phone code".split()
    words = words[:VOCAB]
    vocab = {w: i for i, w in enumerate(words)}
    special = lambda i, w: {"id": i, "content": w, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(0, "[PAD]"), special(1, "[UNK]")],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer, indent=1) + "\n")
    (folder / "config.json").write_text(json.dumps({"id2label": {"0": "space", "1": "hockey", "2": "autos"}}, indent=1) + "\n")
    (folder / "model.onnx").write_bytes((OUT / "kim_cnn.onnx").read_bytes())
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    sentences = ["The shuttle launch put a rocket in orbit around the moon", "Hockey team season: the player and the goal", "An engine, a road and the speed of a car"]
    outputs = []
    for s in sentences:
        ids = [vocab.get(w, 1) for w in s.lower().replace(",", " ,").replace(":", " :").split()]
        logits = session.run(["logits"], {"input_ids": np.array([ids], dtype=np.int64)})[0][0]
        outputs.append({"text": s, "input_ids": ids, "logits": logits.astype(float).tolist()})
    (folder / "expected.json").write_text(json.dumps(outputs, indent=1) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    kim_cnn()
    normalised_cnn()
    lstm()
    text_folder()
