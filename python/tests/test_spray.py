"""relvis.spray on inputs whose spectrum is known, and against the analysis in the CLI's report."""

import json

import numpy as np
import pytest

import relvis
from conftest import DEMO_CLIP


def groups(seed: int = 0):
    """Two tight groups of 12 maps far apart: a k-NN graph of two components."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 0.01, (12, 6)) + np.array([1, 0, 0, 0, 0, 0])
    b = rng.normal(0, 0.01, (12, 6)) + np.array([0, 0, 0, 0, 0, 1])
    return np.vstack([a, b])


def test_two_components_give_two_zero_eigenvalues_and_their_clusters():
    a = relvis.spray(groups(), neighbours=3)
    # A graph of c components has c zero eigenvalues of its normalised Laplacian.
    assert abs(a.eigenvalues[0]) < 1e-9 and abs(a.eigenvalues[1]) < 1e-9 and a.eigenvalues[2] > 0.1
    np.testing.assert_allclose(a.eigengaps, np.diff(a.eigenvalues))
    assert a.proposed_clusters == 2 and a.clusters == 2 and a.cluster_sizes == [12, 12]
    labels = a.labels
    assert len(set(labels[:12])) == 1 and len(set(labels[12:])) == 1 and labels[0] != labels[12]
    assert a.embedding.shape == (24, 2)
    assert json.loads(a.to_json())["labels"] == labels.tolist()


def test_maps_of_any_shape_are_flattened_and_any_dtype_taken():
    flat = relvis.spray(groups(), neighbours=3)
    shaped = relvis.spray(groups().reshape(24, 2, 3).astype(np.float32).astype(np.float64), neighbours=3)
    np.testing.assert_array_equal(flat.labels, shaped.labels)
    lists = relvis.spray(groups().tolist(), neighbours=3)
    np.testing.assert_array_equal(flat.eigenvalues, lists.eigenvalues)


def test_bad_maps_are_exceptions():
    with pytest.raises(relvis.UsageError, match="shape"):
        relvis.spray(np.zeros(5))
    bad = groups()
    bad[3, 2] = np.nan
    with pytest.raises(relvis.InvalidInput, match="NaN"):
        relvis.spray(bad)
    with pytest.raises(relvis.UsageError, match="normalisation"):
        relvis.spray(groups(), normalise="l3")


def test_frame_maps_cluster_as_spray_frames_does(cli, tmp_path):
    """The demo clip's frames clustered by their block relevance, as `xai-video spray-frames`
    clusters them when each frame's map is the block grid itself."""
    e = relvis.VideoModel().explain(DEMO_CLIP)
    frames, rows, cols = e.blocks.shape
    cli("xai-video", "spray-frames", DEMO_CLIP, "--rows", rows, "--cols", cols, "--json", tmp_path / "phases.json")
    expected = json.loads((tmp_path / "phases.json").read_text())
    a = relvis.spray(e.blocks.astype(np.float64))
    assert a.labels.tolist() == expected["labels"]
    np.testing.assert_allclose(a.eigenvalues, expected["eigenvalues"], rtol=1e-9, atol=1e-12)
