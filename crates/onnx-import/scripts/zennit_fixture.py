"""zennit's LRP relevance for the Kim CNN fixture (`kim_cnn.onnx`), written as the same model
in PyTorch with the ONNX file's weights, stored in `tests/fixtures/kim_cnn_zennit.json` so the
importer's test compares relvis's relevance on the imported graph with an outside
implementation without Python.

    python -m venv venv && venv/bin/pip install torch zennit onnx numpy
    venv/bin/python crates/onnx-import/scripts/zennit_fixture.py
"""
import json
import pathlib

import onnx
import torch
from onnx import numpy_helper
from zennit.attribution import Gradient
from zennit.composites import LayerMapComposite
from zennit.rules import AlphaBeta, Epsilon

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"


class KimCnn(torch.nn.Module):
    """Embedded words `[1, T, D]` → Conv1d of widths 2, 3, 4 → ReLU → max over time → concat → Linear."""

    def __init__(self, weights):
        super().__init__()
        self.convs = torch.nn.ModuleList()
        for width in (2, 3, 4):
            w = torch.tensor(weights[f"conv{width}.weight"])
            conv = torch.nn.Conv1d(w.shape[1], w.shape[0], width)
            conv.weight.data, conv.bias.data = w, torch.tensor(weights[f"conv{width}.bias"])
            self.convs.append(conv)
        w = torch.tensor(weights["fc.weight"])
        self.fc = torch.nn.Linear(w.shape[1], w.shape[0])
        self.fc.weight.data, self.fc.bias.data = w, torch.tensor(weights["fc.bias"])
        self.relus = torch.nn.ModuleList(torch.nn.ReLU() for _ in self.convs)

    def forward(self, x):
        x = x.transpose(1, 2)
        pooled = [relu(conv(x)).amax(dim=2) for conv, relu in zip(self.convs, self.relus)]
        return self.fc(torch.cat(pooled, dim=1))


def main():
    model_proto = onnx.load(FIXTURES / "kim_cnn.onnx")
    weights = {t.name: numpy_helper.to_array(t).copy() for t in model_proto.graph.initializer}
    model = KimCnn(weights).eval()
    embedding = torch.tensor(weights["embedding"])
    documents = json.loads((FIXTURES / "kim_cnn.json").read_text())["outputs"]
    # relvis's rule text → zennit's composite (every convolution and linear layer).
    composites = {
        "epsilon=0.01": lambda: LayerMapComposite([(torch.nn.Conv1d, Epsilon(epsilon=0.01)), (torch.nn.Linear, Epsilon(epsilon=0.01))]),
        "epsilon=0.01;conv1d:alphabeta=1,0": lambda: LayerMapComposite([(torch.nn.Conv1d, AlphaBeta(alpha=1.0, beta=0.0)), (torch.nn.Linear, Epsilon(epsilon=0.01))]),
        "alphabeta=2,1": lambda: LayerMapComposite([(torch.nn.Conv1d, AlphaBeta(alpha=2.0, beta=1.0)), (torch.nn.Linear, AlphaBeta(alpha=2.0, beta=1.0))]),
    }
    out = []
    for doc in documents:
        ids = torch.tensor(doc["input_ids"])
        x = embedding[ids].unsqueeze(0).clone().requires_grad_(True)
        logits = model(x)[0].detach()
        for rule, composite in composites.items():
            for target in range(logits.shape[0]):
                onehot = torch.zeros_like(logits).unsqueeze(0)
                onehot[0, target] = logits[target]
                with Gradient(model=model, composite=composite()) as attributor:
                    _, relevance = attributor(x, onehot)
                out.append({"input_ids": doc["input_ids"], "rule": rule, "target": target, "relevance": relevance[0].flatten().tolist()})
    (FIXTURES / "kim_cnn_zennit.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
