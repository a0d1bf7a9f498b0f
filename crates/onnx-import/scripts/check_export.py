"""Runs a model folder written by `xai-text export --onnx` in ONNX Runtime over documents
relvis has explained, and compares ONNX Runtime's logits with relvis's.

    venv/bin/pip install onnxruntime tokenizers numpy
    xai-text export --onnx exported
    xai-text explain --test-split --format json --model exported > explained.jsonl
    venv/bin/python crates/onnx-import/scripts/check_export.py exported explained.jsonl

Each document is tokenized from the text relvis read with the folder's own tokenizer.json,
cut to the window (`max_position_embeddings`) and padded to the convolution's width with
`pad_token_id`, as relvis reads it. Prints the largest absolute and relative difference of
the logits, how often the two predict the same class, and both accuracies.
"""
import json
import pathlib
import sys

import numpy as np
import onnxruntime
from tokenizers import Tokenizer


def main(folder, explained):
    folder = pathlib.Path(folder)
    config = json.loads((folder / "config.json").read_text())
    window, pad = config["max_position_embeddings"], config.get("pad_token_id", 0)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
    largest_abs = largest_rel = 0.0
    same = right_ort = right_relvis = n = 0
    for line in open(explained):
        record = json.loads(line)
        e = record["explanation"]
        ids = tokenizer.encode(e["text"], add_special_tokens=False).ids[:window]
        ids += [pad] * max(0, 3 - len(ids))
        logits = session.run(None, {"input_ids": np.array([ids], dtype=np.int64)})[0][0]
        ours = np.array(e["scores"], dtype=np.float64)
        diff = np.abs(logits.astype(np.float64) - ours)
        largest_abs = max(largest_abs, diff.max())
        largest_rel = max(largest_rel, (diff / np.maximum(np.abs(ours), 1.0)).max())
        same += int(np.argmax(logits) == np.argmax(ours))
        truth = record.get("true_class")
        right_ort += int(truth is not None and config["id2label"][str(int(np.argmax(logits)))] == truth)
        right_relvis += int(truth is not None and e["predicted_name"] == truth)
        n += 1
    print(f"{n} documents: largest |ONNX Runtime - relvis| = {largest_abs:.3g} (relative {largest_rel:.3g}); "
          f"same class {same}/{n}; accuracy ONNX Runtime {right_ort / n:.4f}, relvis {right_relvis / n:.4f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
