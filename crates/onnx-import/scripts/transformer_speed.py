"""Documents per second and peak memory of AttnLRP explanations of a BERT text classifier: lxt
2.1's efficient AttnLRP in PyTorch (Achtibat et al. 2024) against `xai-text explain` on the
model's ONNX export, both on 2 CPU threads, on the same model and the same documents, each
explained for its predicted class.

    python -m venv venv
    venv/bin/pip install torch "transformers>=4.51,<4.52" lxt==2.1 onnx onnxruntime tokenizers
    cargo build --release -p xai-text
    # the small fixture model (2 layers, window 64), with test posts of 20 Newsgroups:
    venv/bin/python crates/onnx-import/scripts/transformer_speed.py --small \\
        --folder crates/onnx-import/tests/fixtures/transformers/bert_sdpa --data ../shared/data
    # a BERT-base-sized model (exported to --out, outside the repository), 16 documents of 256 tokens:
    venv/bin/python crates/onnx-import/scripts/transformer_speed.py --base --out ../bert-base \\
        --data ../shared/data

(lxt's efficient part needs only torch, transformers, torchvision, tabulate and optionally zennit
of lxt's many dependencies: `pip install --no-deps lxt==2.1 torchvision zennit tabulate` is
enough beside the rest.) No model hub is used.

What is measured, in one run:
1. lxt: `lxt.efficient.monkey_patch(modeling_bert)`, the model loaded afterwards with
   `from_pretrained` (weights in a temporary safetensors folder), float32, `eval()`, autograd on
   (no `no_grad`), as `transformer_fixtures.py` computes it: `inputs_embeds =
   word_embeddings(ids).detach().requires_grad_()`, forward with `inputs_embeds` and the
   `attention_mask`, backward, relevance `(inputs_embeds * grad).sum(-1)`. At batch sizes 1, 8
   and 32: the documents sorted by length, a batch padded to its longest and the padding masked;
   one backward of the sum of each row's predicted-class logit gives every row its own relevance
   (rows do not mix). Checked before timing: on two documents of different lengths, batched
   (one padded) and alone give the same relevance (1e-4); on the `--small` fixture, the
   relevance equals the lxt AttnLRP stored in its expected.json. The parameters' own gradients
   are switched off (`requires_grad_(False)`, nothing an explanation needs; `--param-grads`
   keeps them, as the fixture script has them). Timed: the explanation loop, tokenizing included,
   after one untimed warm-up batch, over the documents `--passes` times; each batch size in its
   own process.
2. relvis: `xai-text explain --model FOLDER --jsonl IN --out OUT` (worker mode: one process for
   all documents, default rule `attnlrp` for a model with attention) with RAYON_NUM_THREADS=2,
   timed as a whole process (loading included) over all N documents (the documents `--passes`
   times), over 4 and over 1; the 1-document run is taken as the start-up, and
   (N - 1) / (T_N - T_1) is the rate without it. `--passes` (8 for --small) makes the small
   model's timed runs last about a second instead of a tenth, where a process's start and the
   machine's noise were a large part of the difference measured.
3. Peak resident memory of every measured process: each runs under `/usr/bin/time -v` (its
   "Maximum resident set size"); the lxt side is this script run again with `--lxt-worker`,
   which also reports its resident memory after loading and its peak while explaining.
4. The ratio of relvis's rate (start-up subtracted) to lxt's best loop rate; and how far apart
   the two explanations are (predicted classes, target logits, word relevances as relvis sums
   a word's pieces; lxt's pieces summed the same way).

Configurations:
--small  the fixture folder given by --folder (bert_sdpa or bert_eager of
         crates/onnx-import/tests/fixtures/transformers): its own stored documents (expected.json)
         and, with --data (the data folder, `../shared/data` from the repository root, or its
         20news-bydate.tar.gz), test posts of the model's newsgroups (subject and body, quoted
         lines dropped) up to --docs documents in all (default 512), each cut to the window
         (64 tokens with [CLS] and [SEP]); without --data the stored documents are repeated.
--base   a BERT-base-sized BertForSequenceClassification (12 layers, hidden 768, 12 heads,
         intermediate 3072, 512 positions, 3 classes; 86 M parameters, as BERT-base's 110 M
         less the vocabulary of 30,522), random weights from a fixed seed (transformers'
         initialisation: zero biases, unit LayerNorm weights), the
         classifier scaled so the logits have a standard deviation of 1 over the documents, the
         vocabulary of the bert_eager fixture's tokenizer (its tokenizer.json and
         tokenizer_config.json copied, model_max_length 512), exported by torch.onnx.export
         (opset 14, eager attention, inputs input_ids, attention_mask, token_type_ids) into
         --out; --docs documents (default 16) of exactly 256 tokens ([CLS] + 254 pieces + [SEP])
         from test posts (--data) or from the fixture's documents repeated.
The --out folder (about 350 MB) is kept; delete it when done.

Printed: a table (rates, wall times, peak memory per run) and the line
`relvis X docs/s, lxt best Y docs/s (batch B), ratio X/Y; peak memory relvis A MB, lxt B MB`.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

STARTED = time.time()

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

THREADS = 2
BATCHES = (1, 8, 32)
ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "crates" / "onnx-import" / "tests" / "fixtures" / "transformers"
XAI_TEXT = ROOT / "target" / "release" / "xai-text"
ARCHIVE = "20news-bydate.tar.gz"
SEED = 7
BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
            max_position_embeddings=512, type_vocab_size=2)
BASE_TOKENS = 256
GROUPS = ["rec.autos", "rec.sport.hockey", "sci.space"]


# ---------------------------------------------------------------------------------------------
# Documents


def post_text(raw):
    """Subject and body of a Usenet post, quoted lines dropped, whitespace collapsed."""
    head, _, body = raw.partition("\n\n")
    subject = next((line[len("Subject:"):].strip() for line in head.splitlines()
                    if line.startswith("Subject:")), "")
    body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith((">", "|")))
    return re.sub(r"\s+", " ", f"{subject}\n{body}").strip()


def test_posts(data, groups=None):
    """Test posts of the 20 Newsgroups archive in `data` (a folder holding it, or the file), of
    `groups` (all if None), taken in turn from each group in the order of their numbers."""
    path = pathlib.Path(data)
    if path.is_dir():
        path = path / ARCHIVE
    posts = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if (member.isfile() and len(parts) == 3 and parts[0] == "20news-bydate-test"
                    and (groups is None or parts[1] in groups)):
                posts.setdefault(parts[1], {})[int(parts[2])] = (
                    tar.extractfile(member).read().decode("latin-1"))
    queues = [[post_text(chosen[n]) for n in sorted(chosen)] for _, chosen in sorted(posts.items())]
    merged = []
    for row in range(max(map(len, queues), default=0)):
        merged.extend(queue[row] for queue in queues if row < len(queue))
    return merged


def cut(tokenizer, text, pieces, exact=False):
    """`text` cut so that the tokenizer (a `tokenizers.Tokenizer`) reads at most `pieces` word
    pieces from it, the same pieces as from the whole text, or None (too short for `exact`, or
    no clean cut). Cut at the first piece not read; if the pieces of the cut text differ, at
    the start of that piece's word."""
    encoding = tokenizer.encode(text, add_special_tokens=False)
    ids = encoding.ids
    if len(ids) < pieces:
        return None if exact else (text if ids else None)
    if len(ids) == pieces:
        return text
    starts = [pieces]
    word = encoding.word_ids[pieces]
    first = pieces
    while first > 0 and encoding.word_ids[first - 1] == word:
        first -= 1
    if first != pieces:
        starts.append(first)
    for start in starts:
        shorter = text[:encoding.offsets[start][0]].rstrip()
        if tokenizer.encode(shorter, add_special_tokens=False).ids == ids[:start]:
            return None if exact and start != pieces else shorter
    return None


def small_documents(folder, data, count, tokenizer, window):
    expected = json.loads((folder / "expected.json").read_text())
    stored = [doc["text"] for doc in expected["documents"]]
    texts = list(stored)
    if data:
        labels = expected.get("labels", [])
        groups = labels if labels and all("." in g for g in labels) else None
        for post in test_posts(data, groups):
            if len(texts) >= count:
                break
            shorter = cut(tokenizer, post, window - 2)
            if shorter:
                texts.append(shorter)
    else:
        texts = [stored[i % len(stored)] for i in range(max(count, len(stored)))]
    texts = [cut(tokenizer, t, window - 2) for t in texts[:max(count, 1)]]
    return [t for t in texts if t], stored


def base_documents(data, count, tokenizer):
    pieces = BASE_TOKENS - 2
    texts = []
    if data:
        for post in test_posts(data):
            shorter = cut(tokenizer, post, pieces, exact=True)
            if shorter:
                texts.append(shorter)
            if len(texts) == count:
                return texts
        raise SystemExit(f"only {len(texts)} test posts have {pieces} word pieces")
    stored = [doc["text"] for doc in json.loads((FIXTURES / "bert_eager" / "expected.json").read_text())["documents"]]
    for n in range(count):
        text, shift = "", n
        while len(tokenizer.encode(text, add_special_tokens=False).ids) < pieces + 8:
            text += (" " if text else "") + stored[shift % len(stored)]
            shift += 1 + n // len(stored)
        texts.append(cut(tokenizer, f"Document {n}. {text}", pieces, exact=True))
    if None in texts:
        raise SystemExit("the repeated fixture text does not cut cleanly to 254 pieces")
    return texts


# ---------------------------------------------------------------------------------------------
# Models (parent side: no lxt imported here, its patch is process-wide)


def onnx_state_dict(path):
    """PyTorch state dict of a BERT exported by torch.onnx.export: named initializers as they
    are, the Linear weights that constant folding renamed (`onnx::MatMul_…`, [in, out]) found
    by the bias added to their product and transposed."""
    import onnx
    import torch
    from onnx import numpy_helper
    proto = onnx.load(str(path))
    arrays = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    # The exporter keeps one of equal tensors (a fresh model's zero biases, its LayerNorm
    # weights of one) and names the others as Identity nodes of it.
    for node in proto.graph.node:
        if node.op_type == "Identity" and node.input[0] in arrays:
            arrays[node.output[0]] = arrays[node.input[0]]
    state = {name: torch.tensor(a.copy()) for name, a in arrays.items()
             if not name.startswith(("onnx::", "/"))}
    consumers = {}
    for node in proto.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in proto.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in arrays or not node.input[1].startswith("onnx::"):
            continue
        adds = [n for n in consumers.get(node.output[0], []) if n.op_type == "Add"]
        biases = [i for n in adds for i in n.input if i.endswith(".bias") and i in arrays]
        assert len(biases) == 1, (node.name, biases)
        state[biases[0][:-len("bias")] + "weight"] = torch.tensor(arrays[node.input[1]].T.copy())
    return state


def onnx_logits(folder, tokenizer, texts, inputs):
    import numpy as np
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options,
                                           providers=["CPUExecutionProvider"])
    rows = []
    for text in texts:
        encoded = tokenizer(text)
        feed = {name: np.asarray([encoded[name]], dtype=np.int64) for name in inputs}
        rows.append(session.run(["logits"], feed)[0][0])
    return np.asarray(rows)


def torch_logits(model, tokenizer, texts):
    import numpy as np
    import torch
    with torch.no_grad():
        return np.asarray([model(**tokenizer(text, return_tensors="pt")).logits[0].numpy() for text in texts])


def small_torch_folder(folder, hf_tokenizer, texts, weights):
    """The fixture's weights, read back from its model.onnx, saved with `save_pretrained` into
    `weights`; (attention implementation, largest logit difference to ONNX Runtime)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    expected = json.loads((folder / "expected.json").read_text())
    attn = expected.get("attn_implementation", "eager")
    config = BertConfig.from_pretrained(folder, attn_implementation=attn)
    model = BertForSequenceClassification(config)
    model.load_state_dict(onnx_state_dict(folder / "model.onnx"), strict=True)
    model.eval()
    inputs = expected.get("onnx_inputs", ["input_ids", "attention_mask"])
    difference = float(abs(onnx_logits(folder, hf_tokenizer, texts, inputs)
                           - torch_logits(model, hf_tokenizer, texts)).max())
    model.save_pretrained(weights)
    return attn, difference


def build_base(out, weights, tokenizer_folder, data, count):
    """The BERT-base-sized model exported into `out`, its weights saved into `weights`;
    (documents, largest logit difference between ONNX Runtime and PyTorch)."""
    import numpy as np
    import tokenizers
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(tokenizer_folder / "tokenizer.json", out / "tokenizer.json")
    tokenizer_config = json.loads((tokenizer_folder / "tokenizer_config.json").read_text())
    tokenizer_config["model_max_length"] = BASE["max_position_embeddings"]
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    hf_tokenizer = AutoTokenizer.from_pretrained(out)
    texts = base_documents(data, count, tokenizers.Tokenizer.from_file(str(out / "tokenizer.json")))

    torch.manual_seed(SEED)
    config = BertConfig(vocab_size=hf_tokenizer.backend_tokenizer.get_vocab_size(), num_labels=len(GROUPS),
                        id2label=dict(enumerate(GROUPS)), label2id={g: i for i, g in enumerate(GROUPS)},
                        pad_token_id=hf_tokenizer.pad_token_id, attn_implementation="eager", **BASE)
    model = BertForSequenceClassification(config).eval()
    logits = torch_logits(model, hf_tokenizer, texts)
    with torch.no_grad():
        scale = 1.0 / float(logits.std())
        model.classifier.weight.mul_(scale)
        model.classifier.bias.zero_()
    example = hf_tokenizer(texts[:2], padding=True, return_tensors="pt")
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    model.config.return_dict = False
    torch.onnx.export(model, tuple(example[name] for name in inputs), str(out / "model.onnx"),
                      input_names=inputs, output_names=["logits"],
                      dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in inputs}, "logits": {0: "batch"}},
                      opset_version=14, do_constant_folding=True, dynamo=False)
    model.config.return_dict = True
    model.config.architectures = [type(model).__name__]
    model.config.torch_dtype = torch.float32
    model.config.save_pretrained(out)
    config_json = json.loads((out / "config.json").read_text())
    config_json.pop("_attn_implementation_autoset", None)
    (out / "config.json").write_text(json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    model.save_pretrained(weights)
    check = texts[:2]
    difference = float(np.abs(onnx_logits(out, hf_tokenizer, check, inputs)
                              - torch_logits(model, hf_tokenizer, check)).max())
    print(f"base model: classifier scaled by {scale:.2f}; logits of the documents: "
          f"std {float((logits * scale).std()):.2f}, max |logit| {float(abs(logits * scale).max()):.2f}")
    return texts, difference


# ---------------------------------------------------------------------------------------------
# The lxt side (run in its own process: lxt's patch changes classes for the whole process)


def memory_status():
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                values[key] = int(value.split()[0]) / 1024
    return values


def reset_peak():
    """Resets VmHWM (Linux ≥ 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def lxt_model(weights, attn, param_grads):
    import torch
    import transformers
    from transformers.models.bert import modeling_bert
    import lxt.efficient.models.bert as lxt_bert
    from lxt.efficient import monkey_patch
    torch.set_num_threads(THREADS)
    transformers.logging.set_verbosity_error()
    monkey_patch(modeling_bert)  # before the model is built: it replaces the classes
    model = modeling_bert.BertForSequenceClassification.from_pretrained(
        weights, attn_implementation=attn, torch_dtype=torch.float32)
    model.eval()
    attention = type(model.bert.encoder.layer[0].attention.self)
    assert attention.__module__ == lxt_bert.__name__, attention
    if not param_grads:
        model.requires_grad_(False)
    return model


def explain_batch(model, tokenizer, texts):
    """lxt AttnLRP of each text for its predicted class: (logits, targets, relevance [B, T],
    lengths)."""
    encoded = tokenizer(texts, padding=True, return_tensors="pt")
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    embeds = model.get_input_embeddings()(ids).detach().requires_grad_()
    logits = model(inputs_embeds=embeds, attention_mask=mask).logits
    targets = logits.argmax(-1)
    logits.gather(1, targets[:, None]).sum().backward()
    relevance = (embeds * embeds.grad).sum(-1)
    return logits.detach(), targets, relevance.detach(), mask.sum(-1)


def lxt_worker(args):
    import torch
    from transformers import AutoTokenizer
    imported = time.time()
    model = lxt_model(args.weights, args.attn, args.param_grads)
    tokenizer = AutoTokenizer.from_pretrained(args.folder)
    texts = json.loads(pathlib.Path(args.docs_file).read_text())
    loaded = time.time()
    after_load = memory_status()
    peak_reset = reset_peak()
    batches = [texts[i:i + args.batch] for i in range(0, len(texts), args.batch)]
    explain_batch(model, tokenizer, batches[0])  # warm-up, not timed
    outputs = []
    tick = time.perf_counter()
    for done in range(args.passes):
        for batch in batches:
            explained = explain_batch(model, tokenizer, batch)
            if done == 0:
                outputs.append(explained)
    seconds = time.perf_counter() - tick
    during = memory_status()
    documents = []
    for logits, targets, relevance, lengths in outputs:
        for row in range(len(targets)):
            target = int(targets[row])
            documents.append({"target": target, "target_logit": float(logits[row, target]),
                              "relevance": relevance[row, :int(lengths[row])].tolist()})
    result = {"batch": args.batch, "documents": len(texts) * args.passes, "seconds": seconds,
              "import_seconds": imported - STARTED, "load_seconds": loaded - imported,
              "rss_after_load_mb": after_load.get("VmRSS"),
              "peak_while_explaining_mb": during.get("VmHWM") if peak_reset else None,
              "threads": torch.get_num_threads(), "results": documents}
    pathlib.Path(args.result).write_text(json.dumps(result))


def lxt_check(args):
    """Batched against batch-1 relevance on two documents of different lengths, and (fixture)
    against the lxt relevance stored in expected.json."""
    import tokenizers
    from transformers import AutoTokenizer
    model = lxt_model(args.weights, args.attn, args.param_grads)
    tokenizer = AutoTokenizer.from_pretrained(args.folder)
    texts = json.loads(pathlib.Path(args.docs_file).read_text())
    lengths = [len(tokenizer(t)["input_ids"]) for t in texts]
    first = max(range(len(texts)), key=lengths.__getitem__)
    second = next((i for i in range(len(texts)) if lengths[i] < lengths[first]), None)
    if second is None:  # every document as long: a shorter one made from another
        raw = tokenizers.Tokenizer.from_file(str(pathlib.Path(args.folder) / "tokenizer.json"))
        pair = [texts[first], cut(raw, texts[(first + 1) % len(texts)], (lengths[first] - 2) * 3 // 4)]
    else:
        pair = [texts[first], texts[second]]
    _, targets, batched, sizes = explain_batch(model, tokenizer, pair)
    report = {"lengths": [int(s) for s in sizes], "batched_vs_alone": 0.0, "largest_relevance": 0.0}
    for row, text in enumerate(pair):
        _, target, alone, _ = explain_batch(model, tokenizer, [text])
        assert int(target[0]) == int(targets[row])
        n = int(sizes[row])
        difference = float((batched[row, :n] - alone[0]).abs().max())
        report["batched_vs_alone"] = max(report["batched_vs_alone"], difference)
        report["largest_relevance"] = max(report["largest_relevance"], float(alone[0].abs().max()))
    expected_file = pathlib.Path(args.folder) / "expected.json"
    if args.fixture and expected_file.exists():
        stored = json.loads(expected_file.read_text())["documents"]
        worst = 0.0
        for doc in stored:
            _, target, relevance, _ = explain_batch(model, tokenizer, [doc["text"]])
            assert int(target[0]) == doc["target"], (int(target[0]), doc["target"])
            reference = __import__("torch").tensor(doc["attnlrp"])
            worst = max(worst, float((relevance[0] - reference).abs().max() / reference.abs().max()))
        report["fixture_vs_expected"] = worst
    pathlib.Path(args.result).write_text(json.dumps(report))


# ---------------------------------------------------------------------------------------------
# Measuring


def timed(command, env=None):
    """(wall seconds, peak resident MB, stderr) of `command` under /usr/bin/time -v."""
    tick = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-v", *map(str, command)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - tick
    if run.returncode != 0:
        sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
        raise SystemExit(f"failed ({run.returncode}): {' '.join(map(str, command))}")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    return wall, int(found.group(1)) / 1024 if found else float("nan"), run.stderr


def load():
    return pathlib.Path("/proc/loadavg").read_text().split()[0]


def best_of(repeat, measure):
    """The run of `repeat` with the least wall time."""
    return min((measure() for _ in range(repeat)), key=lambda r: r[0])


def run_relvis(xai_text, folder, texts, scratch, name, repeat):
    rows = scratch / f"{name}.jsonl"
    rows.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    out = scratch / f"{name}.out.jsonl"
    env = {**os.environ, "RAYON_NUM_THREADS": str(THREADS)}
    command = [xai_text, "explain", "--model", folder, "--jsonl", rows, "--out", out, "--force"]
    wall, peak, _ = best_of(repeat, lambda: timed(command, env))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    errors = [line for line in lines if "error" in line]
    if errors or len(lines) != len(texts):
        raise SystemExit(f"relvis: {len(lines)} lines for {len(texts)} documents; first error: "
                         f"{errors[0] if errors else None}")
    return wall, peak, [line["explanation"] for line in lines]


def run_lxt(args, folder, weights, attn, docs_file, scratch, batch):
    result = scratch / f"lxt_{batch}.json"
    command = [sys.executable, pathlib.Path(__file__).resolve(), "--lxt-worker", "--folder", folder,
               "--weights", weights, "--attn", attn, "--docs-file", docs_file, "--batch", batch,
               "--result", result, "--passes", args.passes] + (["--param-grads"] if args.param_grads else [])
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS), "MKL_NUM_THREADS": str(THREADS)}

    def once():
        wall, peak, _ = timed(command, env)
        return wall, peak, json.loads(result.read_text())

    return best_of(args.repeat, once)


def agreement(tokenizer, texts, lxt_docs, relvis_docs):
    """How far relvis's explanations are from lxt's: documents whose predicted class differs,
    largest target-logit difference, and the largest word-relevance difference per document
    relative to its largest lxt word relevance (worst and median)."""
    classes, logits, words, mismatched = 0, 0.0, [], 0
    for text, ours, theirs in zip(texts, relvis_docs, lxt_docs):
        classes += int(ours["class"] != theirs["target"])
        logits = max(logits, abs(ours["score"] - theirs["target_logit"]))
        word_ids = tokenizer.encode(text).word_ids
        sums = {}
        for word, value in zip(word_ids, theirs["relevance"]):
            if word is not None:
                sums[word] = sums.get(word, 0.0) + value
        reference = [sums[w] for w in sorted(sums)]
        got = [w["relevance"] for w in ours["words"]]
        if len(got) != len(reference):
            mismatched += 1
            continue
        scale = max(max(map(abs, reference), default=0.0), 1e-12)
        words.append(max(abs(a - b) for a, b in zip(got, reference)) / scale)
    words.sort()
    return {"class_differs": classes, "max_logit_difference": logits,
            "word_relevance_worst": words[-1] if words else float("nan"),
            "word_relevance_median": words[len(words) // 2] if words else float("nan"),
            "word_count_differs": mismatched}


def main(args):
    import tokenizers
    from transformers import AutoTokenizer
    xai_text = pathlib.Path(args.xai_text)
    if not xai_text.exists():
        raise SystemExit(f"{xai_text}: not found; cargo build --release -p xai-text")
    with tempfile.TemporaryDirectory(prefix="transformer_speed_") as tmp:
        scratch = pathlib.Path(tmp)
        weights = scratch / "torch"
        tick = time.time()
        if args.small:
            folder = pathlib.Path(args.folder)
            tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
            window = json.loads((folder / "config.json").read_text())["max_position_embeddings"]
            texts, stored = small_documents(folder, args.data, args.docs or 512, tokenizer, window)
            attn, difference = small_torch_folder(folder, AutoTokenizer.from_pretrained(folder), stored, weights)
            what = f"small: {folder.name}"
        else:
            folder = pathlib.Path(args.out).resolve()
            if ROOT in folder.parents or folder == ROOT:
                raise SystemExit(f"--out {folder}: inside the repository; give a folder outside it")
            texts, difference = build_base(folder, weights, FIXTURES / "bert_eager", args.data, args.docs or 16)
            attn = "eager"
            tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
            what = "base: BERT-base-sized, exported to --out"
        attn = args.attn or attn
        print(f"{what}; prepared in {time.time() - tick:.0f} s; ONNX Runtime and PyTorch logits differ "
              f"by at most {difference:.1e}")
        lengths = [len(tokenizer.encode(t).ids) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: (lengths[i], i))
        texts, lengths = [texts[i] for i in order], [lengths[i] for i in order]
        docs_file = scratch / "documents.json"
        docs_file.write_text(json.dumps(texts))
        n = len(texts)
        print(f"{n} documents, {min(lengths)}-{max(lengths)} tokens (mean {sum(lengths) / n:.1f}, "
              f"special tokens included); lxt attention: {attn}; parameter gradients "
              f"{'on' if args.param_grads else 'off'}; {THREADS} threads; repeat {args.repeat}; "
              f"{args.passes} passes")

        check_file = scratch / "check.json"
        subprocess.run([sys.executable, pathlib.Path(__file__).resolve(), "--lxt-check", "--folder", folder,
                        "--weights", weights, "--attn", attn, "--docs-file", docs_file,
                        "--result", check_file] + (["--fixture"] if args.small else [])
                       + (["--param-grads"] if args.param_grads else []), check=True,
                       env={**os.environ, "OMP_NUM_THREADS": str(THREADS)})
        check = json.loads(check_file.read_text())
        verdict = "equal" if check["batched_vs_alone"] <= 1e-4 else "DIFFERENT"
        print(f"check: two documents of {check['lengths'][0]} and {check['lengths'][1]} tokens batched "
              f"(the shorter padded) and alone: relevance differs by at most {check['batched_vs_alone']:.1e} "
              f"(largest |R| {check['largest_relevance']:.3f}): {verdict} to 1e-4")
        if "fixture_vs_expected" in check:
            print(f"check: lxt relevance of the fixture's stored documents against its expected.json: "
                  f"{check['fixture_vs_expected']:.1e} of the largest")
        if verdict != "equal":
            raise SystemExit("batched relevance differs from batch 1")

        rows = []
        lxt = {}
        for batch in BATCHES:
            before = load()
            wall, peak, result = run_lxt(args, folder, weights, attn, docs_file, scratch, batch)
            lxt[batch] = result
            rows.append((f"lxt batch {batch}" + (f" (one batch of {n})" if batch > n else ""),
                         result["documents"] / result["seconds"], wall, result["documents"] / wall, peak,
                         f"load {result['import_seconds'] + result['load_seconds']:.1f} s, loop "
                         f"{result['seconds']:.2f} s, RSS after load {result['rss_after_load_mb']:.0f} MB, "
                         f"peak while explaining {result['peak_while_explaining_mb'] or float('nan'):.0f} MB, "
                         f"load average before {before}"))
        for batch in BATCHES[1:]:
            worst = max(max(abs(a - b) for a, b in zip(x["relevance"], y["relevance"]))
                        for x, y in zip(lxt[batch]["results"], lxt[1]["results"]))
            print(f"check: all {n} documents, lxt batch {batch} against batch 1: relevance differs by at most {worst:.1e}")

        before = load()
        total = n * args.passes
        counts = sorted({1, min(4, n), total})
        relvis = {}
        middle = n // 2
        for count in counts:
            chosen = texts * args.passes if count == total else texts[max(0, middle - count // 2):][:count]
            relvis[count] = run_relvis(xai_text, folder, chosen, scratch, f"relvis_{count}", args.repeat)
        startup = relvis[1][0]
        whole, peak, explained = relvis[total]
        explained = explained[:n]
        steady = (total - 1) / (whole - startup) if total > 1 and whole > startup else float("nan")
        for count in counts:
            wall, count_peak, _ = relvis[count]
            rate = (count - 1) / (wall - startup) if count > 1 and wall > startup else float("nan")
            rows.append((f"relvis {count} document{'s' if count > 1 else ''}", rate, wall, count / wall,
                         count_peak, "start-up (1 document)" if count == 1 else
                         f"{(wall - startup) / (count - 1):.3f} s per further document; load average before {before}"))

        best = max(BATCHES, key=lambda b: lxt[b]["documents"] / lxt[b]["seconds"])
        best_rate = lxt[best]["documents"] / lxt[best]["seconds"]
        print()
        print(f"{'run':32s} {'docs/s':>9s} {'wall s':>8s} {'docs/s incl. load':>18s} {'peak MB':>8s}  notes")
        for name, rate, wall, whole_rate, mem, notes in rows:
            print(f"{name:32s} {rate:9.2f} {wall:8.2f} {whole_rate:18.2f} {mem:8.0f}  {notes}")
        print("(docs/s: lxt's explanation loop after a warm-up batch; relvis's (N - 1) / (T_N - T_1), its "
              "1-document run taken as the start-up. docs/s incl. load: documents / whole-process wall time. "
              "Load average: the 1-minute one, the previous measured run included.)")
        agree = agreement(tokenizer, texts, lxt[1]["results"], explained)
        print(f"relvis against lxt (batch 1): predicted class differs on {agree['class_differs']} of {n}, "
              f"target logits differ by at most {agree['max_logit_difference']:.1e}, word relevance by at most "
              f"{agree['word_relevance_worst']:.1e} of a document's largest (median {agree['word_relevance_median']:.1e})"
              + (f", word counts differ on {agree['word_count_differs']}" if agree["word_count_differs"] else ""))
        print(f"start-up: relvis {startup:.2f} s (1 document, whole process); lxt "
              f"{lxt[best]['import_seconds'] + lxt[best]['load_seconds']:.2f} s (interpreter, imports and loading)")
        print(f"ratio with loading: relvis {total / whole:.2f} docs/s over {whole:.1f} s against lxt's best "
              f"{max(total / r[2] for r in rows[:len(BATCHES)]):.2f} docs/s: "
              f"{(total / whole) / max(total / r[2] for r in rows[:len(BATCHES)]):.2f}")
        lxt_peak = rows[BATCHES.index(best)][4]
        print(f"relvis {steady:.2f} docs/s, lxt best {best_rate:.2f} docs/s (batch {best}), ratio "
              f"{steady / best_rate:.2f}; peak memory relvis {peak:.0f} MB, lxt {lxt_peak:.0f} MB")


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--small", action="store_true", help="a fixture model folder (--folder)")
    kind.add_argument("--base", action="store_true", help="a BERT-base-sized model exported to --out")
    kind.add_argument("--lxt-worker", action="store_true", help=argparse.SUPPRESS)
    kind.add_argument("--lxt-check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help="--small: the fixture folder (bert_sdpa or bert_eager)")
    parser.add_argument("--out", help="--base: where to export the model (outside the repository)")
    parser.add_argument("--data", help="the data folder holding 20news-bydate.tar.gz (../shared/data), or the archive")
    parser.add_argument("--docs", type=int, help="documents: --small 512 at most, --base 16")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest is kept")
    parser.add_argument("--passes", type=int, help="times each timed run explains the documents over "
                        "(lxt's loop, relvis's input); --small 8, --base 1")
    parser.add_argument("--attn", choices=["eager", "sdpa"], help="lxt's attention [default: the model's]")
    parser.add_argument("--param-grads", action="store_true", help="keep the parameters' gradients on in lxt")
    parser.add_argument("--xai-text", default=str(XAI_TEXT), help="the xai-text binary [target/release/xai-text]")
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    parser.add_argument("--docs-file", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--fixture", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.small and not args.folder:
        parser.error("--small needs --folder")
    if args.base and not args.out:
        parser.error("--base needs --out")
    if args.passes is None:
        args.passes = 8 if args.small else 1
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.lxt_worker:
        lxt_worker(arguments)
    elif arguments.lxt_check:
        lxt_check(arguments)
    else:
        main(arguments)
