"""Builds four small transformer encoder text classifiers as a Hugging Face user has them after
training, `save_pretrained` and an ONNX export, and stores beside each, for a few documents,
ONNX Runtime's logits and the relevances of lxt 2.1's AttnLRP (Achtibat et al. 2024), of CP-LRP
and of plain autograd, so the importer's tests compare with outside implementations and need no
Python.

    python -m venv venv && venv/bin/pip install torch "transformers>=4.51,<4.52" lxt==2.1 onnx onnxruntime tokenizers numpy
    HF_HUB_OFFLINE=1 venv/bin/python crates/onnx-import/scripts/transformer_fixtures.py

(lxt's efficient part needs only torch, transformers, torchvision, tabulate and optionally zennit
of lxt's many dependencies: `pip install --no-deps lxt==2.1 torchvision zennit tabulate` is
enough beside the rest.) No model hub is used: tokenizers, configurations and weights are made
here. It runs on one thread in about three minutes, nearly all of it training.
Seeded: a second run on the same machine writes the same files (other CPUs may round the
training differently).

Output: `crates/onnx-import/tests/fixtures/transformers/<model>/` holds what the user has,
`model.onnx`, `config.json` (with `id2label`), `tokenizer.json`, `tokenizer_config.json` (with
`model_max_length`), `special_tokens_map.json` and the legacy vocabulary files that
`save_pretrained` writes (`vocab.txt`; `vocab.json` and `merges.txt`), plus `expected.json`.

Tokenizers, trained with the `tokenizers` library on the project's demo posts
(`assets/demo/*.txt`) and, when present, the 1,787 training posts of rec.autos,
rec.sport.hockey and sci.space in `../shared/data/20news-bydate.tar.gz` (subject and body,
quoted lines dropped, 1,200 characters at most; no post goes into the repository, only the
vocabulary learnt from them): a lower-casing WordPiece of 1,000 entries
(`[PAD]`=0 `[UNK]` `[CLS]` `[SEP]` `[MASK]`, BertNormalizer, BertPreTokenizer, `[CLS] $A [SEP]`)
for BERT and DistilBERT (its `##` letters numbered first so that the trainer's ties, and so
the vocabulary, are the same on every run), and a byte-level BPE of 1,000 entries (`<s>`=0
`<pad>`=1 `</s>`=2 `<unk>` `<mask>`, RobertaProcessing) for RoBERTa, wrapped as `BertTokenizerFast`,
`DistilBertTokenizerFast` and `RobertaTokenizerFast` with `model_max_length` 64 (the window).

Models (2 layers, 3 classes rec.autos / rec.sport.hockey / sci.space, trained from seeded
random weights for 20 epochs on those posts cut to the window, AdamW at 1e-3, batches of 16,
35-55 s each on one thread; accuracy 0.74-0.88 on 240 test posts; without the archive they are
trained on the demo posts' sentences instead):
- bert_eager: BertForSequenceClassification, hidden 32, 4 heads, intermediate 64, positions 64,
  attn_implementation="eager", opset 14, inputs input_ids, attention_mask and token_type_ids
  (as Optimum exports BERT)
- bert_sdpa: the same class, hidden 48, 4 heads, intermediate 96, attn_implementation="sdpa",
  opset 17 (LayerNormalization is one operator there), inputs input_ids and attention_mask
- distilbert: DistilBertForSequenceClassification, dim 32, 2 heads, hidden_dim 128,
  positions 64, eager attention (q scaled before q·kᵀ, mask by masked_fill), opset 17;
  its tokenizer.json also carries a truncation of 64 (the third place the window is written)
- roberta: RobertaForSequenceClassification, hidden 48, 4 heads, intermediate 128, positions
  66 (RoBERTa counts positions from padding_idx + 1 = 2, so 64 tokens need 66), sdpa, opset 14;
  the last document fills its window of 64 tokens exactly
Exported by `torch.onnx.export` (TorchScript, `dynamo=False`) with dynamic batch and sequence
axes and output `logits`.

What lxt 2.1 does (`lxt.efficient.monkey_patch(modeling_bert)`, read from its source): the
efficient variant computes LRP as Gradient × Input with a changed backward pass. Its BERT map
(lxt/efficient/models/bert.py) (a) replaces `torch.nn.LayerNorm.forward`, class-wide for every
model in the process, by y = (x − mean x) / stop_gradient(sqrt(var x + eps)) · w + b (the
identity rule on the normalisation: the gradient goes through the centring, not the scale),
(b) makes `torch.nn.Dropout` the identity, (c) copies every attribute of its own copy of
transformers' modeling_bert (4.5x) over `transformers.models.bert.modeling_bert`, so models
must be built after the patch. That copy differs only in: eager BertSelfAttention,
`divide_gradient(q·kᵀ, 2)` right after the score matmul (before 1/√d and the mask) and
`divide_gradient(probs·v, 2)` after the context matmul; BertSdpaSelfAttention,
`divide_gradient(q, 2)` and `divide_gradient(k, 2)` before `scaled_dot_product_attention`
(dropout 0) and `divide_gradient(out, 2)` after it (the same numbers as the eager form: query and
key get a quarter, value a half); BertIntermediate's GELU, BertPooler's tanh (and the MLM head's
activation) as `identity_rule_implicit(fn, x)`. `divide_gradient(x, f)` is the identity forward
and divides the gradient by f backward (AttnLRP's uniform rule for the bilinear matmuls);
`identity_rule_implicit(fn, x)` returns fn(x) and multiplies the gradient by fn(x) / (x + 1e-10)
(the identity rule). Softmax and the Linear layers are not patched: under Gradient × Input the
plain softmax gradient is AttnLRP's softmax rule R_in = x ⊙ (R_out − s · Σ R_out) (x the
softmax input, scores / √d plus the mask), and a Linear
layer's is LRP-0 with the bias keeping its share. Relevance is taken as in lxt's README:
`inputs_embeds = word_embeddings(input_ids)` with `requires_grad`, forward with `inputs_embeds`,
`logits[0, target].backward()`, `(inputs_embeds * inputs_embeds.grad).sum(-1)`; float32.
lxt 2.1 has no CP-LRP map for BERT; its CP maps for other models (`patch_cp_attention`) apply
`stop_gradient` (`.detach()`) to query and key at the attention's input and divide nothing, so
the attention weights are constants and relevance flows through the values only; LayerNorm and
the activations keep the AttnLRP rules. This script's CP-LRP does exactly that on all four.
Checked on every run: ONNX Runtime's logits equal PyTorch's (1e-4); lxt's SDPA and eager forms
give the same AttnLRP for the same weights (1e-5 of the largest relevance); with every bias
zeroed the CP-LRP relevance reaching the embeddings equals the logit (1e-4), AttnLRP's only
missing the softmax rule's share (about half the logit here). With the biases, relevance is far
from conserved in these small models (the word embeddings get −0.4 to 1.7 times the logit):
the softmax rule, the biases and the position embeddings take large shares.

DistilBERT and RoBERTa are not in lxt 2.1's maps. This script applies lxt's own functions to them
with lxt's `monkey_patch(module, patch_map)` and `patch_method`, as its BERT map does: RoBERTa's
self-attention (eager and SDPA) and intermediate forwards are transformers' copies of BERT's
(checked below, source against source), so they get lxt's patched BERT forwards themselves, and
the classification head's tanh gets `identity_rule_implicit`; DistilBERT's attention forward is
transformers' own with `divide_gradient(q·kᵀ, 2)` and `divide_gradient(weights·v, 2)` added
where lxt puts them in BERT, its FFN's GELU gets `identity_rule_implicit`, and the head's ReLU
lxt's `non_linear_forward` (the same numbers as the plain gradient). Their LayerNorms are
lxt's through (a).

expected.json, per model: its description, `labels`, `window`, `onnx_inputs`, `training`
(posts, held-out accuracy), and per document the text, `input_ids`, `tokens`, ONNX Runtime's
`logits` (the document alone, batch 1), `target` (the predicted class, explained by every
method), `target_logit`; `attnlrp` (lxt, at the word embeddings, per token), `attnlrp_position`
and `attnlrp_token_type` (activation × gradient at the position and token-type embedding
outputs; word + position + token type is what reaches the embedding sum), `cplrp` and its
`cplrp_position` / `cplrp_token_type`, `gradient_x_input` (plain model, no rules); for the first
document also `gradient` and `attnlrp_gradient` ([T, D] at the word embeddings, plain and lxt's).
`padded_batch` holds two documents in one batch, the shorter padded, with ONNX Runtime's logits:
the padded row equals its document's own logits.
"""
import collections
import copy
import inspect
import json
import math
import os
import pathlib
import re
import tarfile
import time
from functools import partial

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import onnx
import onnxruntime
import tokenizers
import torch
import transformers
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
from tokenizers import models as token_models
from transformers import (BertConfig, BertTokenizerFast, DistilBertConfig, DistilBertTokenizerFast,
                          RobertaConfig, RobertaTokenizerFast)
from transformers.models.bert import modeling_bert
from transformers.models.distilbert import modeling_distilbert
from transformers.models.roberta import modeling_roberta

import lxt.efficient.models.bert as lxt_bert
from lxt.efficient import monkey_patch
from lxt.efficient.patches import layer_norm_forward, non_linear_forward, patch_method
from lxt.efficient.rules import divide_gradient, identity_rule_implicit, stop_gradient

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "crates" / "onnx-import" / "tests" / "fixtures" / "transformers"
NEWS = ROOT.parent / "shared" / "data" / "20news-bydate.tar.gz"
DEMO = ROOT / "assets" / "demo"

GROUPS = ["rec.autos", "rec.sport.hockey", "sci.space"]
DEMO_POSTS = {"rec.autos": "autos.txt", "rec.sport.hockey": "hockey.txt", "sci.space": "space.txt"}
TRAIN_PER_GROUP, TEST_PER_GROUP, CHARS = 600, 80, 1200  # 600: all training posts
VOCAB, WINDOW = 1000, 64
EPOCHS, BATCH, LR = 20, 16, 1e-3
SEED = 39

# The project's own text (the last is from assets/demo/space.txt).
DOCUMENTS = [
    "The goalie stopped every shot in the third period and the team won the playoff game.",
    "NASA will launch the probe next spring, and it needs fuel to stay in lunar orbit.",
    "My car stalls when the engine is cold. The dealer replaced the spark plugs, but it still stalls.",
    "A low lunar orbit is not stable for long. The mass concentrations under the maria pull the "
    "probe down, so without thruster burns it would hit the surface within months.",
]
PADDED = (1, 2)  # the documents put in one batch; the shorter is padded

SPECS = [
    dict(name="bert_eager", kind="bert", attn="eager", opset=14, hidden=32, heads=4, inner=64,
         inputs=["input_ids", "attention_mask", "token_type_ids"]),
    dict(name="bert_sdpa", kind="bert", attn="sdpa", opset=17, hidden=48, heads=4, inner=96,
         inputs=["input_ids", "attention_mask"]),
    dict(name="distilbert", kind="distilbert", attn="eager", opset=17, hidden=32, heads=2, inner=128,
         inputs=["input_ids", "attention_mask"]),
    dict(name="roberta", kind="roberta", attn="sdpa", opset=14, hidden=48, heads=4, inner=128,
         inputs=["input_ids", "attention_mask"]),
]


# ---------------------------------------------------------------------------------------------
# Corpus and tokenizers


def post_text(raw):
    """Subject and body of a Usenet post, quoted lines dropped, whitespace collapsed."""
    head, _, body = raw.partition("\n\n")
    subject = next((line[len("Subject:"):].strip() for line in head.splitlines()
                    if line.startswith("Subject:")), "")
    body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith((">", "|")))
    return re.sub(r"\s+", " ", f"{subject}\n{body}").strip()[:CHARS]


def read_corpus():
    """(train texts, train labels, test texts, test labels, every text for the tokenizers)."""
    demo = [post_text(p.read_text(encoding="utf-8")) for p in sorted(DEMO.glob("*.txt"))]
    if not NEWS.exists():
        # Without the archive: the demo posts' sentences, labelled by their post.
        train, labels = [], []
        for label, group in enumerate(GROUPS):
            text = post_text((DEMO / DEMO_POSTS[group]).read_text(encoding="utf-8"))
            for sentence in re.split(r"(?<=[.?!])\s+", text):
                train.append(sentence)
                labels.append(label)
        return train, labels, train, labels, demo
    posts = collections.defaultdict(dict)
    with tarfile.open(NEWS, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 3 and parts[1] in GROUPS:
                posts[(parts[0], parts[1])][int(parts[2])] = tar.extractfile(member).read().decode("latin-1")
    split = {}
    for part, count in (("20news-bydate-train", TRAIN_PER_GROUP), ("20news-bydate-test", TEST_PER_GROUP)):
        texts, labels = [], []
        for label, group in enumerate(GROUPS):
            chosen = posts[(part, group)]
            for number in sorted(chosen)[:count]:
                texts.append(post_text(chosen[number]))
                labels.append(label)
        split[part] = (texts, labels)
    train, labels = split["20news-bydate-train"]
    test, test_labels = split["20news-bydate-test"]
    return train, labels, test, test_labels, demo + train


def wordpiece(corpus):
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                            strip_accents=None, lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # The trainer numbers the `##c` pieces in hash-map order, and ties between merges follow the
    # numbers: listing them first (as if special) makes the vocabulary the same on every run.
    letters = sorted({c for text in corpus
                      for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))
                      for c in word[1:]})
    learner = Tokenizer(token_models.WordPiece(unk_token="[UNK]"))
    learner.normalizer, learner.pre_tokenizer = normalizer, pre_tokenizer
    learner.train_from_iterator(corpus, trainers.WordPieceTrainer(
        vocab_size=VOCAB, min_frequency=2, show_progress=False,
        special_tokens=special + [f"##{c}" for c in letters]))
    tok = Tokenizer(token_models.WordPiece(learner.get_vocab(), unk_token="[UNK]"))
    tok.add_special_tokens(special)
    tok.normalizer, tok.pre_tokenizer = normalizer, pre_tokenizer
    tok.decoder = decoders.WordPiece(prefix="##")
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return tok


def byte_level_bpe(corpus):
    tok = Tokenizer(token_models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=VOCAB, min_frequency=2, show_progress=False,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(
        sep=("</s>", tok.token_to_id("</s>")), cls=("<s>", tok.token_to_id("<s>")),
        trim_offsets=True, add_prefix_space=False)
    return tok


def fast_tokenizer(spec, backends):
    """A transformers fast tokenizer on a copy of the trained `tokenizers` object."""
    if spec["kind"] == "roberta":
        return RobertaTokenizerFast(tokenizer_object=Tokenizer.from_str(backends["bpe"].to_str()),
                                    model_max_length=WINDOW)
    wrapper = BertTokenizerFast if spec["kind"] == "bert" else DistilBertTokenizerFast
    return wrapper(tokenizer_object=Tokenizer.from_str(backends["wordpiece"].to_str()),
                   model_max_length=WINDOW, do_lower_case=True)


# ---------------------------------------------------------------------------------------------
# Models


def build(spec, tokenizer):
    common = dict(vocab_size=len(tokenizer), num_labels=len(GROUPS),
                  id2label=dict(enumerate(GROUPS)), label2id={g: i for i, g in enumerate(GROUPS)},
                  attn_implementation=spec["attn"])
    if spec["kind"] == "distilbert":
        config = DistilBertConfig(dim=spec["hidden"], n_layers=2, n_heads=spec["heads"],
                                  hidden_dim=spec["inner"], max_position_embeddings=WINDOW,
                                  pad_token_id=tokenizer.pad_token_id, **common)
        model = modeling_distilbert.DistilBertForSequenceClassification(config)
    elif spec["kind"] == "roberta":
        config = RobertaConfig(hidden_size=spec["hidden"], num_hidden_layers=2,
                               num_attention_heads=spec["heads"], intermediate_size=spec["inner"],
                               max_position_embeddings=WINDOW + 2, type_vocab_size=1,
                               pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                               eos_token_id=tokenizer.eos_token_id, **common)
        model = modeling_roberta.RobertaForSequenceClassification(config)
    else:
        config = BertConfig(hidden_size=spec["hidden"], num_hidden_layers=2,
                            num_attention_heads=spec["heads"], intermediate_size=spec["inner"],
                            max_position_embeddings=WINDOW, type_vocab_size=2,
                            pad_token_id=tokenizer.pad_token_id, **common)
        model = modeling_bert.BertForSequenceClassification(config)
    assert model.config._attn_implementation == spec["attn"], model.config._attn_implementation
    attention = type(model.base_model.transformer.layer[0].attention if spec["kind"] == "distilbert"
                     else model.base_model.encoder.layer[0].attention.self).__name__
    assert ("Sdpa" in attention) == (spec["attn"] == "sdpa"), attention
    return model


def train(model, tokenizer, texts, labels, test, test_labels):
    enc = tokenizer(texts, truncation=True, max_length=WINDOW)["input_ids"]
    order_rng = torch.Generator().manual_seed(SEED)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(enc), generator=order_rng).tolist()
        for start in range(0, len(order), BATCH):
            rows = order[start:start + BATCH]
            batch = tokenizer.pad({"input_ids": [enc[r] for r in rows]}, return_tensors="pt")
            loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                         labels=torch.tensor([labels[r] for r in rows])).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    with torch.no_grad():
        batch = tokenizer(test, truncation=True, max_length=WINDOW, padding=True, return_tensors="pt")
        predicted = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.argmax(-1)
    return float((predicted == torch.tensor(test_labels)).float().mean())


def export(spec, model, tokenizer, folder):
    """model.onnx, config.json and the tokenizer files, as a user's export folder has them."""
    folder.mkdir(parents=True, exist_ok=True)
    example = tokenizer([DOCUMENTS[i] for i in PADDED], padding=True, return_tensors="pt")
    model.config.return_dict = False
    axes = {name: {0: "batch", 1: "sequence"} for name in spec["inputs"]}
    torch.onnx.export(model, tuple(example[name] for name in spec["inputs"]), str(folder / "model.onnx"),
                      input_names=spec["inputs"], output_names=["logits"],
                      dynamic_axes={**axes, "logits": {0: "batch"}}, opset_version=spec["opset"],
                      do_constant_folding=True, dynamo=False)
    model.config.return_dict = True
    model.config.architectures = [type(model).__name__]
    model.config.torch_dtype = torch.float32
    model.config.save_pretrained(folder)
    # What `model.save_pretrained` leaves out of config.json (it would also write the weights).
    config = json.loads((folder / "config.json").read_text())
    config.pop("_attn_implementation_autoset", None)
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (folder / "generation_config.json").unlink(missing_ok=True)
    # The backend keeps the padding and truncation of the last call; save it clean.
    backend = tokenizer.backend_tokenizer
    backend.no_padding()
    backend.no_truncation()
    if spec["kind"] == "distilbert":
        backend.enable_truncation(max_length=WINDOW)
    tokenizer.save_pretrained(folder)
    backend.no_truncation()


def session(folder):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])


def run_onnx(sess, spec, encoded):
    feed = {name: np.asarray(encoded[name], dtype=np.int64) for name in spec["inputs"]}
    return sess.run(["logits"], feed)[0]


# ---------------------------------------------------------------------------------------------
# Relevance


def embedding_parts(spec, model):
    """The embeddings added to the word embeddings, whose outputs' activation × gradient is kept."""
    embeddings = model.base_model.embeddings
    parts = {"position": embeddings.position_embeddings}
    if hasattr(embeddings, "token_type_embeddings"):
        parts["token_type"] = embeddings.token_type_embeddings
    return parts


def explain(spec, model, ids, target):
    """Gradient × Input at the word embeddings for logit `target` as lxt's README computes it
    (rules, if any, are in the patched model), with the relevance at the other embeddings."""
    input_ids = torch.tensor([ids])
    inputs_embeds = model.get_input_embeddings()(input_ids).detach().requires_grad_()
    outputs, hooks = {}, []

    def keep(name, module, args, output):
        output.retain_grad()
        outputs[name] = output

    for name, module in embedding_parts(spec, model).items():
        hooks.append(module.register_forward_hook(partial(keep, name)))
    model.zero_grad(set_to_none=True)
    logits = model(inputs_embeds=inputs_embeds, attention_mask=torch.ones_like(input_ids)).logits
    for hook in hooks:
        hook.remove()
    logits[0, target].backward()
    relevance = (inputs_embeds * inputs_embeds.grad).sum(-1)[0]
    parts = {name: (out * out.grad).sum(-1).reshape(-1) for name, out in outputs.items()}
    return logits[0].detach(), inputs_embeds.grad[0], relevance, parts


# AttnLRP for DistilBERT: transformers' MultiHeadSelfAttention.forward and FFN.ff_chunk (4.51)
# with lxt's rule functions where lxt's BERT patch has them (marked LXT).
def distilbert_attention_forward(self, query, key, value, mask, head_mask=None, output_attentions=False):
    bs, q_length, dim = query.size()
    k_length = key.size(1)
    dim_per_head = self.dim // self.n_heads
    mask_reshp = (bs, 1, 1, k_length)

    def shape(x):
        return x.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

    def unshape(x):
        return x.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

    q = shape(self.q_lin(query))
    k = shape(self.k_lin(key))
    v = shape(self.v_lin(value))
    q = q / math.sqrt(dim_per_head)
    scores = torch.matmul(q, k.transpose(2, 3))
    scores = divide_gradient(scores, 2)  # LXT
    mask = (mask == 0).view(mask_reshp).expand_as(scores)
    scores = scores.masked_fill(mask, torch.tensor(torch.finfo(scores.dtype).min))
    weights = torch.nn.functional.softmax(scores, dim=-1)
    weights = self.dropout(weights)
    if head_mask is not None:
        weights = weights * head_mask
    context = torch.matmul(weights, v)
    context = divide_gradient(context, 2)  # LXT
    context = self.out_lin(unshape(context))
    return (context, weights) if output_attentions else (context,)


def distilbert_ffn_chunk(self, input):
    x = self.lin1(input)
    x = identity_rule_implicit(self.activation, x)  # LXT
    x = self.lin2(x)
    return self.dropout(x)


# AttnLRP for RoBERTa's head: transformers' RobertaClassificationHead.forward with the tanh under
# the identity rule, as lxt's BertPooler has it.
def roberta_head_forward(self, features, **kwargs):
    x = features[:, 0, :]
    x = self.dropout(x)
    x = self.dense(x)
    x = identity_rule_implicit(torch.tanh, x)  # LXT
    x = self.dropout(x)
    return self.out_proj(x)


def same_forward(bert_class, roberta_class):
    def body(cls, name):
        source = inspect.getsource(cls.forward).replace(name, "Bert").replace(name.upper(), "BERT")
        return [re.sub(r"\s*#.*", "", line) for line in source.splitlines() if line.strip()
                and not line.strip().startswith("#")]
    return body(bert_class, "Bert") == body(roberta_class, "Roberta")


def apply_attnlrp():
    for bert_class, roberta_class in ((modeling_bert.BertSelfAttention, modeling_roberta.RobertaSelfAttention),
                                      (modeling_bert.BertSdpaSelfAttention, modeling_roberta.RobertaSdpaSelfAttention),
                                      (modeling_bert.BertIntermediate, modeling_roberta.RobertaIntermediate)):
        assert same_forward(bert_class, roberta_class), roberta_class
    monkey_patch(modeling_bert, verbose=True)  # lxt's own BERT map
    monkey_patch(modeling_distilbert, patch_map={
        modeling_distilbert.MultiHeadSelfAttention: partial(patch_method, distilbert_attention_forward),
        modeling_distilbert.FFN: partial(patch_method, distilbert_ffn_chunk, method_name="ff_chunk"),
        modeling_distilbert.nn.ReLU: partial(patch_method, non_linear_forward, keep_original=True),
    }, verbose=True)
    monkey_patch(modeling_roberta, patch_map={
        modeling_roberta.RobertaSelfAttention: partial(patch_method, lxt_bert.BertSelfAttention.forward),
        modeling_roberta.RobertaSdpaSelfAttention: partial(patch_method, lxt_bert.BertSdpaSelfAttention.forward),
        modeling_roberta.RobertaIntermediate: partial(patch_method, lxt_bert.BertIntermediate.forward),
        modeling_roberta.RobertaClassificationHead: partial(patch_method, roberta_head_forward),
    }, verbose=True)
    assert torch.nn.LayerNorm.forward is layer_norm_forward


def sdpa_as_eager(spec, model, doc):
    """Largest difference, relative to the largest relevance, between lxt's AttnLRP of an SDPA
    model and of the same weights with eager attention (lxt's two forms of the same rules)."""
    config = copy.deepcopy(model.config)
    config._attn_implementation = "eager"
    eager = type(model)(config)
    eager.load_state_dict(model.state_dict())
    eager.eval()
    _, _, relevance, _ = explain(spec, eager, doc["input_ids"], doc["target"])
    reference = np.asarray(doc["attnlrp"])
    return float(np.abs(relevance.detach().numpy() - reference).max() / np.abs(reference).max())


def without_bias(spec, model, doc):
    """(target logit, relevance reaching the embedding sum) of the model with every bias zeroed,
    where every rule here but AttnLRP's softmax conserves relevance exactly."""
    bare = copy.deepcopy(model)
    with torch.no_grad():
        for name, parameter in bare.named_parameters():
            if name.endswith("bias"):
                parameter.zero_()
    logits, _, relevance, parts = explain(spec, bare, doc["input_ids"], doc["target"])
    total = relevance.detach().sum() + sum(values.detach().sum() for values in parts.values())
    return float(logits[doc["target"]]), float(total)


def lxt_model(spec, model):
    """The model with lxt's rules: BERT rebuilt from lxt's classes (its patch replaces the
    classes), the others patched in place."""
    if spec["kind"] != "bert":
        return model
    patched = modeling_bert.BertForSequenceClassification(model.config)
    patched.load_state_dict(model.state_dict())
    patched.eval()
    attention = type(patched.bert.encoder.layer[0].attention.self)
    assert attention.__module__ == lxt_bert.__name__, attention
    return patched


# CP-LRP: lxt's `stop_gradient` on query and key (as its `cp_wrap_attention_forward`), nothing
# divided, so the attention weights are constants. Encoder self-attention only.
def cp_self_attention_forward(self, hidden_states, attention_mask=None, head_mask=None,
                              encoder_hidden_states=None, encoder_attention_mask=None,
                              past_key_value=None, output_attentions=False):
    query = stop_gradient(self.transpose_for_scores(self.query(hidden_states)))
    key = stop_gradient(self.transpose_for_scores(self.key(hidden_states)))
    value = self.transpose_for_scores(self.value(hidden_states))
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
    if attention_mask is not None:
        scores = scores + attention_mask
    context = torch.matmul(torch.nn.functional.softmax(scores, dim=-1), value)
    context = context.permute(0, 2, 1, 3).reshape(hidden_states.shape[0], -1, self.all_head_size)
    return (context,)


def cp_distilbert_attention_forward(self, query, key, value, mask, head_mask=None, output_attentions=False):
    bs = query.size(0)
    dim_per_head = self.dim // self.n_heads

    def shape(x):
        return x.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

    q = stop_gradient(shape(self.q_lin(query))) / math.sqrt(dim_per_head)
    k = stop_gradient(shape(self.k_lin(key)))
    v = shape(self.v_lin(value))
    scores = torch.matmul(q, k.transpose(2, 3))
    scores = scores.masked_fill((mask == 0).view(bs, 1, 1, -1).expand_as(scores),
                                torch.tensor(torch.finfo(scores.dtype).min))
    context = torch.matmul(torch.nn.functional.softmax(scores, dim=-1), v)
    context = context.transpose(1, 2).reshape(bs, -1, self.n_heads * dim_per_head)
    return (self.out_lin(context),)


def apply_cplrp():
    # Assigned directly: lxt's `patch_method` refuses a function from the same module as the
    # one it replaces, and the AttnLRP forwards of DistilBERT are this script's.
    for cls in (lxt_bert.BertSelfAttention, lxt_bert.BertSdpaSelfAttention,
                modeling_roberta.RobertaSelfAttention, modeling_roberta.RobertaSdpaSelfAttention):
        cls.forward = cp_self_attention_forward
    modeling_distilbert.MultiHeadSelfAttention.forward = cp_distilbert_attention_forward


# ---------------------------------------------------------------------------------------------


def floats(tensor):
    """float32 values, written with 9 significant digits (exact for float32)."""
    return json.loads(json.dumps(np.asarray(tensor, dtype=np.float32).tolist()),
                      parse_float=lambda s: float(f"{float(s):.9g}"))


def main():
    started = time.time()
    torch.manual_seed(SEED)
    train_texts, train_labels, test_texts, test_labels, corpus = read_corpus()
    print(f"corpus: {len(train_texts)} training and {len(test_texts)} held-out posts")
    backends = {"wordpiece": wordpiece(corpus), "bpe": byte_level_bpe(corpus)}
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "lxt": "2.1", "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
                "tokenizers": tokenizers.__version__}
    runs = []
    for spec in SPECS:
        tick = time.time()
        torch.manual_seed(SEED)
        tokenizer = fast_tokenizer(spec, backends)
        model = build(spec, tokenizer)
        accuracy = train(model, tokenizer, train_texts, train_labels, test_texts, test_labels)
        folder = OUT / spec["name"]
        export(spec, model, tokenizer, folder)
        sess = session(folder)
        ops = collections.Counter(node.op_type for node in onnx.load(str(folder / "model.onnx")).graph.node)
        print(f"{spec['name']}: accuracy {accuracy:.3f}, trained and exported in {time.time() - tick:.0f} s")
        print(f"  operators: {dict(sorted(ops.items()))}")

        documents = []
        for index, text in enumerate(DOCUMENTS):
            encoded = tokenizer(text)
            ids = encoded["input_ids"]
            assert len(ids) <= WINDOW, len(ids)
            onnx_logits = run_onnx(sess, spec, {k: [v] for k, v in encoded.items()})[0]
            with torch.no_grad():
                torch_logits = model(input_ids=torch.tensor([ids])).logits[0].numpy()
            assert np.abs(onnx_logits - torch_logits).max() < 1e-4, (onnx_logits, torch_logits)
            target = int(onnx_logits.argmax())
            logits, grad, gxi, _ = explain(spec, model, ids, target)
            assert np.abs(logits.numpy() - onnx_logits).max() < 1e-4
            doc = {"text": text, "input_ids": ids, "tokens": tokenizer.convert_ids_to_tokens(ids),
                   "logits": floats(onnx_logits), "target": target, "label": GROUPS[target],
                   "target_logit": floats(onnx_logits[target]), "gradient_x_input": floats(gxi.detach())}
            if index == 0:
                doc["gradient"] = floats(grad)
            documents.append(doc)

        first, second = PADDED
        batch = tokenizer([DOCUMENTS[first], DOCUMENTS[second]], padding=True)
        batch_logits = run_onnx(sess, spec, batch)
        for row, index in enumerate(PADDED):
            assert np.abs(batch_logits[row] - np.asarray(documents[index]["logits"])).max() < 1e-4
        padded_batch = {"documents": list(PADDED), "input_ids": batch["input_ids"],
                        "attention_mask": batch["attention_mask"], "logits": floats(batch_logits)}
        if "token_type_ids" in spec["inputs"]:
            padded_batch["token_type_ids"] = batch["token_type_ids"]
        runs.append(dict(spec=spec, model=model, tokenizer=tokenizer, documents=documents,
                         padded_batch=padded_batch, accuracy=accuracy, ops=ops))

    apply_attnlrp()
    conservation = {}
    for run in runs:
        spec = run["spec"]
        run["lxt_model"] = model = lxt_model(spec, run["model"])
        for index, doc in enumerate(run["documents"]):
            logits, grad, relevance, parts = explain(spec, model, doc["input_ids"], doc["target"])
            assert np.abs(logits.numpy() - np.asarray(doc["logits"])).max() < 1e-4
            doc["attnlrp"] = floats(relevance.detach())
            for name, values in parts.items():
                doc[f"attnlrp_{name}"] = floats(values.detach())
            if index == 0:
                doc["attnlrp_gradient"] = floats(grad)
            total = float(relevance.detach().sum())
            embedded = total + sum(float(values.detach().sum()) for values in parts.values())
            conservation.setdefault(spec["name"], []).append(
                (doc["target_logit"], total, embedded, float(sum(doc["gradient_x_input"]))))
            if spec["attn"] == "sdpa":
                difference = sdpa_as_eager(spec, model, doc)
                assert difference < 1e-5, difference
                print(f"  {spec['name']} document {index}: lxt's SDPA and eager AttnLRP differ by "
                      f"{difference:.1e} of the largest relevance")
        logit, total = without_bias(spec, model, run["documents"][0])
        print(f"  {spec['name']} without biases: logit {logit:.6f}, AttnLRP at the embeddings {total:.6f}")

    apply_cplrp()
    for run in runs:
        spec = run["spec"]
        for doc in run["documents"]:
            _, _, relevance, parts = explain(spec, run["lxt_model"], doc["input_ids"], doc["target"])
            doc["cplrp"] = floats(relevance.detach())
            for name, values in parts.items():
                doc[f"cplrp_{name}"] = floats(values.detach())
        logit, total = without_bias(spec, run["lxt_model"], run["documents"][0])
        print(f"  {spec['name']} without biases: logit {logit:.6f}, CP-LRP at the embeddings {total:.6f}")
        assert abs(total - logit) <= 1e-4 * max(abs(logit), 1e-2), (logit, total)

    for run in runs:
        spec = run["spec"]
        expected = {
            "model": spec["name"],
            "generator": "crates/onnx-import/scripts/transformer_fixtures.py",
            "architecture": type(run["model"]).__name__,
            "attn_implementation": spec["attn"],
            "opset": spec["opset"],
            "onnx_inputs": spec["inputs"],
            "onnx_output": "logits",
            "labels": GROUPS,
            "window": WINDOW,
            "dtype": "float32",
            "versions": versions,
            "training": {"posts": len(train_texts), "epochs": EPOCHS, "held_out_posts": len(test_texts),
                         "held_out_accuracy": round(run["accuracy"], 4)},
            "relevance": {
                "attnlrp": "lxt 2.1 efficient AttnLRP (Gradient x Input), logits[target] backward, "
                           "(inputs_embeds * grad).sum(-1) at the word embeddings",
                "attnlrp_position": "activation x gradient at the position embeddings' output, summed over D",
                "attnlrp_token_type": "activation x gradient at the token-type embeddings' output, summed over D",
                "cplrp": "as attnlrp, but query and key detached (lxt stop_gradient) and no uniform rule in attention",
                "gradient_x_input": "plain autograd, no rules, at the word embeddings, summed over D",
                "gradient": "plain autograd gradient at the word embeddings [T, D], first document only",
                "attnlrp_gradient": "lxt's modified gradient at the word embeddings [T, D], first document only",
            },
            "documents": run["documents"],
            "padded_batch": run["padded_batch"],
        }
        (OUT / spec["name"] / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")

    print("conservation (target logit; sum attnlrp words; + position + token type; sum gradient x input):")
    for name, rows in conservation.items():
        for logit, words, embedded, gxi in rows:
            print(f"  {name:10s} {logit:8.4f} {words:8.4f} {embedded:8.4f} {gxi:8.4f}")
    for run in runs:
        folder = OUT / run["spec"]["name"]
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"{run['spec']['name']}: {size / 1024:.0f} kB in {sorted(p.name for p in folder.iterdir())}")
    print(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
