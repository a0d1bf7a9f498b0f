"""Writes tests/fixtures/quantus_localisation.json: relevance maps and masks (text-like rows of
words, video-like frames × block grids), and what Quantus 0.6's RelevanceMassAccuracy,
RelevanceRankAccuracy and PointingGame give on them, for crates/pipeline/tests/quantus.rs.

    python -m venv venv && venv/bin/pip install quantus==0.6.0
    venv/bin/python crates/pipeline/scripts/quantus_localisation.py
"""

import json
import pathlib

import numpy as np
import quantus

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "quantus_localisation.json"


def cases():
    rng = np.random.default_rng(2026)
    for shape, share in [((1, 1, 60), 0.1), ((1, 1, 200), 0.03), ((1, 8, 48), 0.2), ((1, 12, 32), 0.05)]:
        for kind in ["signed", "positive", "hit"]:
            a = rng.normal(size=shape).astype(np.float32)
            if kind == "positive":
                a = np.abs(a)
            s = rng.random(shape) < share
            s.flat[rng.integers(s.size)] = True
            if kind == "hit":
                # The mask's elements made the most relevant, so the pointing game is won.
                a[s] += 2.0
            yield a, s.astype(np.float32)


def main():
    records = []
    metrics = {
        "mass_accuracy": quantus.RelevanceMassAccuracy(disable_warnings=True),
        "rank_accuracy": quantus.RelevanceRankAccuracy(disable_warnings=True),
        "pointing_game": quantus.PointingGame(disable_warnings=True),
    }
    for a, s in cases():
        # Nine significant digits give back the same float32.
        record = {"relevance": [float(f"{v:.9g}") for v in a.ravel()], "mask": [bool(v) for v in s.ravel()]}
        for name, metric in metrics.items():
            x = np.zeros_like(a)[None]
            score = metric(model=None, x_batch=x, y_batch=np.zeros(1, dtype=int), a_batch=a[None], s_batch=s[None], channel_first=True)
            record[name] = float(score[0])
        records.append(record)
    OUT.write_text(json.dumps({"quantus": quantus.__version__, "cases": records}) + "\n")
    print(f"{len(records)} cases written to {OUT}")


if __name__ == "__main__":
    main()
