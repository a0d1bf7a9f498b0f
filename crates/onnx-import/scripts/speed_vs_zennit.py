"""Documents per second of `xai-text explain` on an exported ONNX model folder against zennit on
the same network in PyTorch, both on 2 CPU threads, with LRP-ε (ε = 0.01) for the predicted
class; and how far the two explanations are apart.

    venv/bin/pip install torch zennit onnx tokenizers numpy
    cargo build --release -p xai-text
    target/release/xai-text export --onnx exported
    venv/bin/python crates/onnx-import/scripts/speed_vs_zennit.py exported DOCS_FOLDER [N] [--native]

The PyTorch model is built from the weights in `model.onnx` (a model `xai-text export --onnx`
wrote: embedding, grouped convolution, ReLU, max over time, dense). Both read the first N
(default 500) files of DOCS_FOLDER in name order; relvis's time is the whole command (model
loading included), zennit's the explanation loop alone (tokenizing included). With --native,
when `exported` is the model embedded in xai-text (`xai-text export --onnx` without --model),
relvis also explains the same files with that model read natively, timed the same way.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from tokenizers import Tokenizer
from zennit.composites import LayerMapComposite
from zennit.rules import Epsilon, Pass

THREADS = 2
XAI_TEXT = pathlib.Path(__file__).resolve().parents[3] / "target" / "release" / "xai-text"


class ExportedCnn(torch.nn.Module):
    def __init__(self, weights, groups):
        super().__init__()
        conv = torch.tensor(weights["conv.weight"])
        self.conv = torch.nn.Conv1d(conv.shape[1] * groups, conv.shape[0], conv.shape[2], groups=groups)
        self.conv.weight.data, self.conv.bias.data = conv, torch.tensor(weights["conv.bias"])
        dense = torch.tensor(weights["dense.weight"])
        self.dense = torch.nn.Linear(dense.shape[0], dense.shape[1])
        self.dense.weight.data, self.dense.bias.data = dense.T.contiguous(), torch.tensor(weights["dense.bias"])
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        return self.dense(self.relu(self.conv(x.transpose(1, 2))).amax(dim=2))


def main(folder, docs, n=500, native=False):
    torch.set_num_threads(THREADS)
    folder, n = pathlib.Path(folder), int(n)
    proto = onnx.load(folder / "model.onnx")
    weights = {t.name: numpy_helper.to_array(t).copy() for t in proto.graph.initializer}
    groups = next(a.i for node in proto.graph.node if node.op_type == "Conv" for a in node.attribute if a.name == "group")
    model = ExportedCnn(weights, groups).eval()
    embedding = torch.tensor(weights["embedding.weight"])
    config = json.loads((folder / "config.json").read_text())
    window, pad = config["max_position_embeddings"], config.get("pad_token_id", 0)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    files = sorted(p for p in pathlib.Path(docs).rglob("*") if p.is_file())[:n]
    texts = [p.read_bytes().decode("latin-1") for p in files]

    composite = LayerMapComposite([(torch.nn.ReLU, Pass()), (torch.nn.Conv1d, Epsilon(0.01)), (torch.nn.Linear, Epsilon(0.01))])
    start = time.perf_counter()
    theirs = []
    with composite.context(model) as modified:
        for text in texts:
            ids = tokenizer.encode(text, add_special_tokens=False).ids[:window]
            ids += [pad] * max(0, 3 - len(ids))
            x = embedding[torch.tensor([ids])].clone().requires_grad_(True)
            out = modified(x)
            target = int(out.argmax())
            grad_out = torch.zeros_like(out)
            grad_out[0, target] = out[0, target].detach()
            (relevance,) = torch.autograd.grad(out, x, grad_out)
            theirs.append((ids, relevance[0].sum(dim=1).numpy()))
    zennit_seconds = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as scratch:
        # The same bytes, as UTF-8 (relvis reads a folder's files as documents).
        for i, text in enumerate(texts):
            pathlib.Path(scratch, f"{i:05d}.txt").write_text(text, encoding="utf-8")
        env = dict(os.environ, RAYON_NUM_THREADS=str(THREADS))

        def relvis(*model):
            start = time.perf_counter()
            out = subprocess.run([str(XAI_TEXT), "explain", *model, "--format", "json", scratch], env=env, check=True, capture_output=True, text=True).stdout
            return out, time.perf_counter() - start

        out, relvis_seconds = relvis("--model", str(folder))
        # The model embedded in xai-text, which `xai-text export --onnx` wrote to `folder` when
        # `--native` is given: the same network, read natively.
        native_seconds = relvis()[1] if native else None
    ours = [json.loads(line)["explanation"] for line in out.splitlines()]
    # Relevance per word type: a phrase written twice gives two convolution windows of the same
    # words, whose maxima tie in relvis (the same bits; relevance split between them) but not
    # always in PyTorch (the same window rounded differently at another offset), which moves
    # relevance between the two occurrences of the same words. Maxima of different windows
    # within a rounding error of each other can also be taken at different places.
    worst, positions_differ = 0.0, 0
    for e, (ids, r) in zip(ours, theirs):
        words = np.array([w["relevance"] for w in e["words"] if w["seen"]])
        k = min(len(words), len(r))
        scale = max(np.abs(r).max(), 1e-6)
        positions_differ += int(np.abs(words[:k] - r[:k]).max() > 1e-5 * scale)
        by_type = {}
        for i in range(k):
            a, b = by_type.get(ids[i], (0.0, 0.0))
            by_type[ids[i]] = (a + words[i], b + r[i])
        worst = max(worst, max(abs(a - b) for a, b in by_type.values()) / scale)
    print(f"{len(texts)} documents, LRP-eps on {THREADS} threads: relvis {len(texts) / relvis_seconds:.1f} documents/s, "
          f"zennit {len(texts) / zennit_seconds:.1f} documents/s: relvis / zennit = {zennit_seconds / relvis_seconds:.2f}; "
          f"relevance per word type within {worst:.2e} of each document's largest; "
          f"{positions_differ} documents with relevance moved between repeats of a phrase")
    if native_seconds is not None:
        print(f"the embedded default model read natively: relvis {len(texts) / native_seconds:.1f} documents/s: "
              f"relvis / zennit = {zennit_seconds / native_seconds:.2f}")


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    if set(flags) - {"--native"}:
        raise SystemExit(f"unknown option {flags}: the only one is --native")
    main(*[a for a in sys.argv[1:] if not a.startswith("--")][:3], native="--native" in flags)
