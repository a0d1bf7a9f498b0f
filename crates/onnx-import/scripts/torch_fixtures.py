"""Builds text classifiers in PyTorch, exports them with `torch.onnx.export` (the TorchScript
exporter with dynamic batch and sequence axes, opset 13, as Hugging Face's exports are made),
and stores beside each model, for a few documents, ONNX Runtime's logits and the relevances of
zennit (LRP rules and a composite) and of plain autograd (gradient, Gradient x Input), so the
importer's tests compare with outside implementations and need no Python.

    python -m venv venv && venv/bin/pip install torch zennit onnx onnxruntime numpy
    venv/bin/python crates/onnx-import/scripts/torch_fixtures.py

Models (vocabulary 40, 6-d embeddings, 3 classes):
- paper_cnn: embedding, one convolution of width 3, ReLU, max over time, dense (Arras et al.)
- kim_cnn: convolutions of widths 2, 3 and 4, each max-pooled, concatenated, dense (Kim 2014)
- bn_cnn: a convolution followed by BatchNorm1d (running statistics set), ReLU, max, dense
- mean_bag: masked mean of the embeddings (`input_ids` and `attention_mask` in), ReLU MLP
- bag_mlp: an MLP over the bag-of-words count vector, its first layer written as the sum of
  the embedded tokens (what `Linear(counts)` is for a vocabulary of one-hot words)
- kim_cnn2d: Kim's CNN as it is often written in PyTorch, `Conv2d(1, F, (w, D))` over the
  embeddings as a one-channel words x dimensions image, squeezed, max-pooled, concatenated
- grid_cnn: 2-D convolutions proper over that image: 3x3 with padding 1 and column stride 2,
  BatchNorm2d, ReLU, a grouped 2x2 convolution with row dilation 2, a global max, dense

Relevance is taken at the embedded tokens `[T, D]` (what relvis explains): each model is a
PyTorch head over the embeddings; zennit hooks its Conv1d and Linear layers. zennit is run on
the three CNNs, whose every operation between those layers (ReLU, max over time,
concatenation, BatchNorm merged by zennit's canonizer) zennit and relvis treat alike; the
pooling by sums in the bag models is a plain tensor operation that zennit passes relevance
through as a gradient, not an LRP rule, so for those two only ONNX Runtime's logits and
autograd are stored.
"""
import copy
import json
import pathlib

import numpy as np
import onnxruntime
import torch
from torch import nn
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.composites import LayerMapComposite
from zennit.rules import AlphaBeta, Epsilon, Flat, Pass, WSquare, ZPlus

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch"
VOCAB, DIM, CLASSES = 40, 6, 3
torch.manual_seed(11)
DOCUMENTS = [[5, 9, 2, 31, 17, 8, 22, 3], [12, 12, 7, 39, 1], [4, 28, 16, 33, 9, 10, 2, 25, 6, 14]]

# relvis's name for a rule set → zennit's layer map (Conv1d, Linear). relvis adds ε only in
# LRP-ε; zennit's other rules add a stabiliser of 1e-6 to every denominator by default, set
# here to 1e-12 so the two define the same numbers. w² as the LRP toolbox defines it,
# R_i = w_ij² / Σ_i' w_i'j² R_j, without the bias.
TINY = 1e-12
# `{conv}` is the kind of the model's convolutions (conv1d or conv2d).
RULES = {
    "epsilon=0.01": (Epsilon(0.01), Epsilon(0.01)),
    "epsilon=0.01;{conv}:zplus": (ZPlus(stabilizer=TINY), Epsilon(0.01)),
    "alphabeta=2,1": (AlphaBeta(2.0, 1.0, stabilizer=TINY), AlphaBeta(2.0, 1.0, stabilizer=TINY)),
    "wsquare": (WSquare(stabilizer=TINY, zero_params=["bias"]), WSquare(stabilizer=TINY, zero_params=["bias"])),
    "flat": (Flat(stabilizer=TINY), Flat(stabilizer=TINY)),
    "epsilon=0.1;{conv}:flat;dense:alphabeta=1,0": (Flat(stabilizer=TINY), AlphaBeta(1.0, 0.0, stabilizer=TINY)),
}


class ChannelsFirst(nn.Module):
    def forward(self, x):
        return x.transpose(1, 2)


def max_over_time(x):
    # `amax` splits the gradient among tied maxima (the zeros after a ReLU), as relvis splits
    # relevance.
    return x.amax(dim=2)


class MaxOverTime(nn.Module):
    def forward(self, x):
        return max_over_time(x)


class PaperHead(nn.Module):
    def __init__(self, bn=False):
        super().__init__()
        layers = [ChannelsFirst(), nn.Conv1d(DIM, 4, 3)]
        if bn:
            layers.append(batch_norm(4, nn.BatchNorm1d(4)))
        layers += [nn.ReLU(), MaxOverTime(), nn.Linear(4, CLASSES)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class KimHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(DIM, 3, w) for w in (2, 3, 4)])
        self.relu = nn.ReLU()
        self.dense = nn.Linear(9, CLASSES)

    def forward(self, x):
        x = x.transpose(1, 2)
        return self.dense(torch.cat([max_over_time(self.relu(c(x))) for c in self.convs], dim=1))


class Kim2dHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(1, 3, (w, DIM)) for w in (2, 3, 4)])
        self.relu = nn.ReLU()
        self.dense = nn.Linear(9, CLASSES)

    def forward(self, x):
        x = x.unsqueeze(1)
        return self.dense(torch.cat([max_over_time(self.relu(c(x)).squeeze(3)) for c in self.convs], dim=1))


def batch_norm(channels, norm):
    norm.running_mean.copy_(torch.randn(channels) * 0.3)
    norm.running_var.copy_(torch.rand(channels) + 0.5)
    norm.weight.data.copy_(torch.rand(channels) + 0.5)
    norm.bias.data.copy_(torch.randn(channels) * 0.2)
    return norm


class GridHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, stride=(1, 2)),
            batch_norm(4, nn.BatchNorm2d(4)),
            nn.ReLU(),
            nn.Conv2d(4, 4, 2, dilation=(2, 1), groups=2),
            nn.ReLU(),
        )
        self.dense = nn.Linear(4, CLASSES)

    def forward(self, x):
        return self.dense(self.features(x.unsqueeze(1)).amax(dim=(2, 3)))


class MeanBagHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(DIM, 5), nn.Linear(5, CLASSES)

    def forward(self, x, mask=None):
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.long)
        m = mask.unsqueeze(-1).float()
        mean = (x * m).sum(dim=1) / m.sum(dim=1)
        return self.out(torch.relu(self.hidden(mean)))


class BagHead(nn.Module):
    """The first layer's bias and the rest; the weights are the embedding table."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(DIM) * 0.2)
        self.out = nn.Linear(DIM, CLASSES)

    def forward(self, x):
        return self.out(torch.relu(x.sum(dim=1) + self.bias))


class Classifier(nn.Module):
    def __init__(self, head, masked=False):
        super().__init__()
        self.embedding, self.head, self.masked = nn.Embedding(VOCAB, DIM), head, masked

    def forward(self, input_ids, attention_mask=None):
        x = self.embedding(input_ids)
        return self.head(x, attention_mask) if self.masked else self.head(x)


class ExactMergeBatchNorm(SequentialMergeBatchNorm):
    """zennit's merge leaves the BatchNorm's ε in place, so the canonized model divides by
    √(1 + ε) after the merged layer (relevance 1e-5 too small with ε = 1e-5); here the merged
    BatchNorm is the identity, and ε is put back when the merge is undone."""

    def register(self, linears, batch_norm):
        super().register(linears, batch_norm)
        self.eps, batch_norm.eps = batch_norm.eps, 0.0

    def remove(self):
        super().remove()
        self.batch_norm.eps = self.eps


def zennit_relevance(head, x, target, rules):
    conv_rule, dense_rule = rules
    composite = LayerMapComposite(
        layer_map=[(nn.ReLU, Pass()), ((nn.Conv1d, nn.Conv2d), conv_rule), (nn.Linear, dense_rule)],
        canonizers=[ExactMergeBatchNorm()],
    )
    x = x.clone().requires_grad_(True)
    with composite.context(head) as modified:
        out = modified(x)
        # The relevance of the output is the explained logit, as in relvis.
        start = torch.zeros_like(out)
        start[0, target] = out[0, target].detach()
        (grad,) = torch.autograd.grad(out, x, start)
    return grad[0]


def autograd(head, x, target):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(head(x)[0, target], x)
    return grad[0], (grad * x)[0]


def export(name, model, zennit, fold=True, conv="conv1d"):
    model.eval()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.onnx"
    ids = torch.tensor([DOCUMENTS[0]])
    if model.masked:
        args, names = (ids, torch.ones_like(ids)), ["input_ids", "attention_mask"]
    else:
        args, names = (ids,), ["input_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    torch.onnx.export(model, args, str(path), input_names=names, output_names=["logits"], dynamic_axes=axes, opset_version=13, dynamo=False, do_constant_folding=fold)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    cases = []
    for d, doc in enumerate(DOCUMENTS):
        ids = np.array([doc], dtype=np.int64)
        feed = {"input_ids": ids} | ({"attention_mask": np.ones_like(ids)} if model.masked else {})
        logits = session.run(None, feed)[0][0]
        # References in double precision: what is left is relvis's own f32 rounding.
        head = copy.deepcopy(model.head).double()
        x = model.embedding(torch.tensor(ids)).detach().double()
        targets = range(CLASSES) if d == 0 else [int(np.argmax(logits))]
        for target in targets:
            grad, gxi = autograd(head, x, target)
            relevance = {"sa": grad.tolist(), "gxi": gxi.tolist()}
            if zennit:
                for rule, pair in RULES.items():
                    relevance[f"lrp {rule.format(conv=conv)}"] = zennit_relevance(head, x, target, pair).tolist()
            cases.append({"ids": doc, "logits": logits.tolist(), "target": target, "relevance": relevance})
    (OUT / f"{name}.json").write_text(json.dumps(cases, indent=1))
    print(f"{path.name}: {path.stat().st_size} bytes, {len(cases)} explained cases")


with torch.no_grad():
    models = {
        "paper_cnn": (Classifier(PaperHead()), True, True),
        "kim_cnn": (Classifier(KimHead()), True, True),
        # Without constant folding the exporter keeps BatchNormalization as its own node.
        "bn_cnn": (Classifier(PaperHead(bn=True)), True, False),
        "mean_bag": (Classifier(MeanBagHead(), masked=True), False, True),
        "bag_mlp": (Classifier(BagHead()), False, True),
        "kim_cnn2d": (Classifier(Kim2dHead()), True, True),
        "grid_cnn": (Classifier(GridHead()), True, False),
    }
for name, (model, zennit, fold) in models.items():
    export(name, model, zennit, fold, "conv2d" if name in ("kim_cnn2d", "grid_cnn") else "conv1d")
