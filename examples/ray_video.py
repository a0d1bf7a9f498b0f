"""Explain a folder of video clips with relvis on a Ray cluster (Ray Data).

The clips are listed as JSON lines, `{"id": ..., "path": ...}` (optionally `"class": ...`),
in one or more files of a folder; each path must be readable where the actors run (a shared
file system, or a copy on every node). Every actor loads the model once; each output row holds
the clip's id, the explained class and score, the relevance per frame, the frame types and
times, and the block relevance (`frames × rows × cols`, flattened, with its shape).

    python examples/ray_video.py clips/ explained/ --workers 2
    ray job submit --working-dir examples -- python ray_video.py /shared/clips /shared/out --address auto

`--list FOLDER` writes a list of the video files below FOLDER into SOURCE and stops.
"""

import argparse
import json
import os

import numpy as np
import ray

import relvis

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".ts")


class Explainer:
    """One per actor: the model is loaded once and explains every clip the actor is given."""

    def __init__(self, model, rule):
        # One thread per actor: the actors share the machine's cores, one each.
        relvis.set_threads(1)
        self.model = relvis.VideoModel(model)
        self.rule = rule

    def __call__(self, batch):
        targets = batch.get("class")
        rows = {key: [] for key in ("id", "target", "score", "per_frame", "frame_types", "frame_times", "blocks", "shape")}
        for i, path in enumerate(batch["path"]):
            target = None if targets is None or targets[i] in (None, "") else str(targets[i])
            e = self.model.explain(str(path), target=target, rule=self.rule)
            rows["id"].append(str(batch["id"][i]))
            rows["target"].append(e.target)
            rows["score"].append(float(e.score))
            rows["per_frame"].append(e.per_frame.astype(np.float64).tolist())
            rows["frame_types"].append(e.frame_types)
            rows["frame_times"].append(e.frame_times.tolist())
            rows["blocks"].append(e.blocks.astype(np.float64).ravel().tolist())
            rows["shape"].append(list(e.blocks.shape))
        return rows


def explain_clips(source, destination, workers, model=None, rule="epsilon=0.001"):
    """The Ray Data job: the clips listed in `source` explained into `destination`."""
    # Reading and writing take no CPU of their own, so that every CPU can hold an actor.
    clips = ray.data.read_json(source, num_cpus=0)
    explained = clips.map_batches(Explainer, fn_constructor_args=(model, rule), batch_size=4, batch_format="numpy", concurrency=workers, num_cpus=1)
    explained.write_json(destination, ray_remote_args={"num_cpus": 0})


def list_clips(folder, source):
    """The video files below `folder` as JSON lines in `source`, each named by its path."""
    os.makedirs(source, exist_ok=True)
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(folder) for f in files if f.lower().endswith(VIDEO_SUFFIXES))
    with open(os.path.join(source, "clips.jsonl"), "w") as out:
        for p in paths:
            out.write(json.dumps({"id": os.path.relpath(p, folder), "path": os.path.abspath(p)}) + "\n")
    return len(paths)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a folder (or files) of JSON lines {id, path[, class]}")
    parser.add_argument("destination", nargs="?", help="where the explained rows go (JSON lines)")
    parser.add_argument("--workers", type=int, default=2, help="actors, each with one CPU and its own model")
    parser.add_argument("--model", help="a model folder (default: the embedded one)")
    parser.add_argument("--rule", default="epsilon=0.001")
    parser.add_argument("--address", help="a running cluster (`auto` inside `ray job submit`); default: a local one")
    parser.add_argument("--list", metavar="FOLDER", help="write the video files below FOLDER as JSON lines into SOURCE and stop")
    args = parser.parse_args()
    if args.list:
        print(f"listed {list_clips(args.list, args.source)} clips in {args.source}")
        return
    if args.destination is None:
        parser.error("give a destination")
    ray.init(address=args.address) if args.address else ray.init(num_cpus=args.workers)
    explain_clips(args.source, args.destination, args.workers, args.model, args.rule)


if __name__ == "__main__":
    main()
