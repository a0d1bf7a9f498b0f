"""The Ray Data examples (examples/ray_text.py, ray_video.py) in a local cluster of 2 CPUs: each
row equal to what the command line's worker mode gives for the same input."""

import json
import pathlib
import sys

import numpy as np
import pytest

from conftest import DEMO, DEMO_CLIP, POSTS, ROOT

ray = pytest.importorskip("ray", reason="Ray is installed by python/tests/requirements.txt")
sys.path.insert(0, str(ROOT / "examples"))
import ray_text  # noqa: E402
import ray_video  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    # The actors import the examples' classes by module name, as on a cluster the job's
    # working directory gives them.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT / "examples")}})
    yield
    ray.shutdown()


def rows_of(folder: pathlib.Path):
    rows = [json.loads(line) for f in sorted(folder.glob("*.json")) for line in f.read_text().splitlines()]
    return {r["id"]: r for r in rows}


def test_ray_text_job_gives_the_worker_modes_explanations(cluster, cli, tmp_path):
    source = tmp_path / "docs"
    source.mkdir()
    docs = []
    for copy in range(3):
        for name in POSTS:
            text = (DEMO / name).read_text()
            docs.append({"id": f"{copy}/{name}", "text": text if copy == 0 else text[: len(text) // (copy + 1)], "class": "sci.space" if copy == 2 else ""})
    for k in range(2):
        (source / f"part{k}.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs[k::2]))
    ray_text.explain_folder(str(source), str(tmp_path / "out"), workers=2, batch_size=4)
    rows = rows_of(tmp_path / "out")
    assert sorted(rows) == sorted(d["id"] for d in docs)
    stdin = "".join(json.dumps({k: v for k, v in d.items() if v != ""}) + "\n" for d in docs).encode()
    for line in cli("xai-text", "explain", "--jsonl", "-", stdin=stdin).decode().splitlines():
        record = json.loads(line)
        e, row = record["explanation"], rows[record["id"]]
        assert row["target"] == e["class_name"] and row["predicted"] == e["predicted_name"]
        assert row["words"] == [w["word"] for w in e["words"]]
        np.testing.assert_allclose(row["relevance"], [w["relevance"] for w in e["words"]], rtol=0, atol=1e-6)
        assert abs(row["score"] - e["score"]) < 1e-6 * max(1.0, abs(e["score"]))


def test_ray_video_job_gives_the_worker_modes_explanations(cluster, cli, tmp_path):
    source = tmp_path / "clips"
    source.mkdir()
    clips = [{"id": "a", "path": str(DEMO_CLIP)}, {"id": "b", "path": str(DEMO_CLIP), "class": "wave"}]
    (source / "clips.jsonl").write_text("".join(json.dumps(c) + "\n" for c in clips))
    ray_video.explain_clips(str(source), str(tmp_path / "out"), workers=2)
    rows = rows_of(tmp_path / "out")
    stdin = "".join(json.dumps(c) + "\n" for c in clips).encode()
    for line in cli("xai-video", "explain", "--jsonl", "-", stdin=stdin).decode().splitlines():
        record = json.loads(line)
        e, row = record["explanation"], rows[record["id"]]
        assert row["target"] == e["class_name"] and row["frame_types"] == "".join(e["frame_kinds"])
        blocks = np.array(e["blocks"])
        assert row["shape"] == list(blocks.shape)
        np.testing.assert_allclose(row["blocks"], blocks.ravel(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(row["per_frame"], e["per_frame"], rtol=0, atol=1e-6)
