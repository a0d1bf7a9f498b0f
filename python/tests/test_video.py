"""relvis.VideoModel against the command line on the demo clip: the worker mode's record to
the byte, the report's blocks; frames, types and times; exceptions by kind."""

import json

import numpy as np
import pytest

import relvis
from conftest import DEMO_CLIP, ROOT


@pytest.fixture(scope="module")
def model():
    return relvis.VideoModel()


def test_the_explanation_equals_the_cli_s(model, cli):
    for target, rule in [(None, "epsilon=0.001"), ("jumping-jack", "epsilon=0.001;dense:zplus")]:
        e = model.explain(DEMO_CLIP, target=target, rule=rule)
        row = {"id": 1, "path": str(DEMO_CLIP)} | ({"class": target} if target else {})
        line = cli("xai-video", "explain", "--rule", rule, "--jsonl", "-", stdin=(json.dumps(row) + "\n").encode()).decode()
        assert line == '{"id":1,"explanation":' + e.to_json() + "}\n", "the worker's record, byte for byte"
        record = json.loads(line)
        blocks = np.array(record["explanation"]["blocks"], dtype=np.float32)
        np.testing.assert_array_equal(e.blocks, blocks)
        assert e.blocks.shape == (60, 8, 10)
        np.testing.assert_allclose(e.blocks.sum(axis=(1, 2)), e.per_frame, atol=1e-5)
        assert e.target == (target or "sit-up")
        assert e.conservation == record["explanation"]["conservation"]


def test_frames_have_types_and_times(model):
    e = model.explain(DEMO_CLIP)
    assert len(e.frame_types) == 60 and set(e.frame_types) <= set("IPB") and e.frame_types[0] == "I"
    # 25 frames per second.
    np.testing.assert_allclose(e.frame_times, np.arange(60) / 25.0, atol=1e-9)


def test_predictions_equal_the_cli_s(model, cli):
    label, scores = model.predict(DEMO_CLIP)
    expected = json.loads(cli("xai-video", "predict", "--json", DEMO_CLIP))
    assert label == expected["class_name"] == "sit-up"
    np.testing.assert_array_equal(scores, np.array(expected["scores"], dtype=np.float32))
    labels, many = model.predict([DEMO_CLIP, str(DEMO_CLIP)])
    assert labels == ["sit-up", "sit-up"] and many.shape == (2, 6)


def test_errors_are_exceptions_of_their_kind(model, tmp_path):
    with pytest.raises(relvis.MissingInput) as raised:
        model.explain(tmp_path / "missing.mp4")
    assert isinstance(raised.value, FileNotFoundError) and "missing.mp4" in str(raised.value)
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    with pytest.raises(relvis.InvalidInput, match="notes.mp4"):
        model.predict(notes)
    with pytest.raises(relvis.ModelError, match="a relvis text model folder"):
        relvis.VideoModel(ROOT / "assets" / "text-model")
    with pytest.raises(relvis.UsageError, match="unknown class `swim`"):
        model.explain(DEMO_CLIP, target="swim")
    with pytest.raises(relvis.UsageError, match="Fisher-vector step"):
        model.explain(DEMO_CLIP, rule="zplus")
