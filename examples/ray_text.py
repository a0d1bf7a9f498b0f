"""Explain a folder of documents with relvis on a Ray cluster (Ray Data).

The documents are JSON lines, `{"id": ..., "text": ...}` (optionally `"class": ...`, the class
to explain), in one or more files of a folder. Ray reads them (`read_json`), hands batches to a
pool of actors that each load the model once (`map_batches` with a class), and writes one row
per document (`write_json`): its id, the explained and predicted class, the score, the words
with their character spans and relevances, and where the score went.

    python examples/ray_text.py docs/ explained/ --workers 2           # a local cluster
    ray job submit --working-dir examples -- python ray_text.py s3://bucket/docs s3://bucket/out --address auto

`--write-test-split FOLDER [--data SET] [--true-class]` writes a labelled set's test split (20
Newsgroups by default) as such a folder, to be explained for the predicted class (as
`xai-text explain --test-split` does) or for each document's true class, and stops.
"""

import argparse
import json
import os

import numpy as np
import ray

import relvis


class Explainer:
    """One per actor: the model is loaded once and explains every batch the actor is given."""

    def __init__(self, model, method, rule):
        # One thread per actor: the actors share the machine's cores, one each.
        relvis.set_threads(1)
        self.model = relvis.TextModel(model)
        self.method, self.rule = method, rule

    def __call__(self, batch):
        texts = [str(t) for t in batch["text"]]
        targets = batch.get("class")
        rows = {key: [] for key in ("id", "target", "predicted", "score", "words", "spans", "relevance", "conservation")}
        for i, text in enumerate(texts):
            target = None if targets is None or targets[i] in (None, "") else str(targets[i])
            e = self.model.explain(text, target=target, method=self.method, rule=self.rule)
            rows["id"].append(str(batch["id"][i]))
            rows["target"].append(e.target)
            rows["predicted"].append(e.predicted)
            rows["score"].append(float(e.score))
            rows["words"].append(e.words)
            rows["spans"].append([list(s) for s in e.spans])
            rows["relevance"].append(e.relevance.astype(np.float64).tolist())
            rows["conservation"].append(json.dumps(e.conservation))
        return rows


def explain_folder(source, destination, workers, model=None, method="lrp", rule="epsilon=0.01", batch_size=64):
    """The Ray Data job: documents in `source` explained into `destination` by `workers` actors."""
    # Reading and writing take no CPU of their own, so that every CPU can hold an actor.
    docs = ray.data.read_json(source, num_cpus=0)
    explained = docs.map_batches(
        Explainer,
        fn_constructor_args=(model, method, rule),
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=workers,
        num_cpus=1,
    )
    explained.write_json(destination, ray_remote_args={"num_cpus": 0})


def write_test_split(data, folder, true_class=False, shards=8):
    """A labelled set's test split as JSON lines in `folder` (with each document's true class
    to explain when `true_class`)."""
    os.makedirs(folder, exist_ok=True)
    test = relvis.load_dataset(data)["test"]
    for k in range(shards):
        with open(os.path.join(folder, f"part-{k:03}.jsonl"), "w") as out:
            for d in test[k::shards]:
                row = {"id": d["id"], "text": d["text"]} | ({"class": d["label"]} if true_class else {})
                out.write(json.dumps(row) + "\n")
    return len(test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", help="a folder (or files) of JSON lines {id, text[, class]}")
    parser.add_argument("destination", nargs="?", help="where the explained rows go (JSON lines)")
    parser.add_argument("--workers", type=int, default=2, help="actors, each with one CPU and its own model")
    parser.add_argument("--model", help="a model folder (default: the embedded one)")
    parser.add_argument("--method", default="lrp")
    parser.add_argument("--rule", default="epsilon=0.01")
    parser.add_argument("--address", help="a running cluster (`auto` inside `ray job submit`); default: a local one")
    parser.add_argument("--write-test-split", metavar="FOLDER", help="write the test split of --data as JSON lines into FOLDER and stop")
    parser.add_argument("--data", help="the labelled set for --write-test-split (default: 20 Newsgroups)")
    parser.add_argument("--true-class", action="store_true", help="with --write-test-split: explain each document for its true class")
    args = parser.parse_args()
    if args.write_test_split:
        n = write_test_split(args.data, args.write_test_split, args.true_class)
        print(f"wrote {n} documents to {args.write_test_split}")
        return
    if args.source is None or args.destination is None:
        parser.error("give a source and a destination")
    ray.init(address=args.address) if args.address else ray.init(num_cpus=args.workers)
    explain_folder(args.source, args.destination, args.workers, args.model, args.method, args.rule)


if __name__ == "__main__":
    main()
