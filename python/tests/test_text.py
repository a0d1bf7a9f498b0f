"""relvis.TextModel against the command line: the same explanations to the byte, the same
predictions; character spans; exceptions by kind; the GIL released during long calls."""

import json
import threading
import time

import numpy as np
import pytest

import relvis
from conftest import DEMO, POSTS, ROOT


@pytest.fixture(scope="module")
def model():
    return relvis.TextModel()


def test_explanations_equal_the_cli_json_and_html_for_every_demo_post(model, cli):
    texts = [(DEMO / name).read_text() for name in POSTS]
    explained = model.explain(texts)
    assert len(explained) == len(POSTS)
    for name, e in zip(POSTS, explained):
        assert e.to_json() + "\n" == cli("xai-text", "explain", DEMO / name, "--format", "json").decode(), name
        assert e.to_html() == cli("xai-text", "explain", DEMO / name, "--format", "html").decode(), name
        record = json.loads(e.to_json())
        assert e.words == [w["word"] for w in record["words"]]
        np.testing.assert_array_equal(e.relevance, np.array([w["relevance"] for w in record["words"]], dtype=np.float32))
        assert e.conservation == record["conservation"]
        # LRP-ε conserves the score up to what biases and ε absorb; the words sum to the report.
        assert abs(e.relevance.astype(np.float64).sum() - e.conservation["words"]) < 1e-4 * max(1.0, abs(e.score))


def test_a_chosen_target_method_and_rule_are_the_cli_s(model, cli):
    text = (DEMO / "medicine.txt").read_text()
    for kwargs, flags in [
        ({"target": "sci.space"}, ["--class", "sci.space"]),
        ({"target": 14, "rule": "epsilon=0.1;conv1d:zplus"}, ["--class", "sci.space", "--rule", "epsilon=0.1;conv1d:zplus"]),
        ({"method": "sa"}, ["--method", "sa"]),
        ({"method": "gxi"}, ["--method", "gxi"]),
        ({"method": "ig:steps=16"}, ["--method", "ig:steps=16"]),
        ({"method": "smoothgrad:samples=4,seed=3"}, ["--method", "smoothgrad:samples=4,seed=3"]),
        ({"method": "occlusion:window=2"}, ["--method", "occlusion:window=2"]),
    ]:
        e = model.explain(text, **kwargs)
        assert e.to_json() + "\n" == cli("xai-text", "explain", DEMO / "medicine.txt", "--format", "json", *flags).decode(), kwargs
    assert model.explain(text, method="sa").conservation is None
    ig = model.explain(text, method="ig:steps=16")
    assert ig.completeness["steps"] == 16 and ig.completeness["baseline"] == "zero"
    gap = ig.completeness["score"] - ig.completeness["baseline_score"]
    assert abs(ig.relevance.astype(np.float64).sum() - gap - ig.completeness["error"]) < 1e-3 * max(1.0, abs(gap))


def test_predictions_equal_the_cli_s(model, cli):
    texts = [(DEMO / name).read_text() for name in POSTS]
    labels, probabilities = model.predict(texts)
    assert probabilities.shape == (5, 20) and probabilities.dtype == np.float32
    for name, label, p in zip(POSTS, labels, probabilities):
        expected = json.loads(cli("xai-text", "predict", DEMO / name, "--json"))
        assert label == expected["class_name"]
        np.testing.assert_array_equal(p, np.array(expected["probabilities"], dtype=np.float32))
    label, p = model.predict(texts[4])
    assert label == "sci.space" and p.shape == (20,)
    assert model.predict([])[1].shape == (0, 20)


def test_spans_are_character_offsets_and_bytes_read_as_document_files(model):
    text = "Café owners in Zürich said the naïve rocket déjà launched — NASA confirmed."
    e = model.explain(text)
    assert e.text == text
    assert [text[a:b] for a, b in e.spans] == e.words
    assert "naïve" in e.words
    assert model.explain("the shuttle zzqxv orbit").known_words == (3, 4)
    # Bytes are read as files are: UTF-8, else Latin-1.
    latin1 = model.explain(text.replace("—", "-").encode("latin-1"))
    assert latin1.text == text.replace("—", "-")


def test_errors_are_exceptions_of_their_kind(model, tmp_path):
    with pytest.raises(relvis.InvalidInput, match="binary data"):
        model.explain("a\x00b")
    with pytest.raises(ValueError, match=r"texts\[1\]: the document is empty"):
        model.predict(["fine", "   "])
    with pytest.raises(relvis.UsageError, match="no class `sci.nope`"):
        model.explain("a post", target="sci.nope")
    with pytest.raises(relvis.UsageError, match="index below 20"):
        model.explain("a post", target=20)
    with pytest.raises(relvis.UsageError, match="unknown rule"):
        model.explain("a post", rule="nonsense")
    with pytest.raises(relvis.UsageError, match="expected a str or bytes"):
        model.predict([1, 2])
    with pytest.raises(relvis.ModelError):
        relvis.TextModel(tmp_path / "no-model")
    (tmp_path / "clip-model").mkdir()
    (tmp_path / "clip-model" / "model.json").write_text("{}")
    with pytest.raises(relvis.ModelError) as raised:
        relvis.TextModel(tmp_path / "clip-model")
    assert raised.value.kind == "model" and isinstance(raised.value, relvis.RelvisError)


def test_long_calls_release_the_gil(model):
    texts = [(DEMO / name).read_text() for name in POSTS] * 40
    model.explain(texts[:5])
    # While one thread explains, another keeps running Python code.
    ticks = 0
    worker = threading.Thread(target=model.explain, args=(texts,))
    start = time.perf_counter()
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    busy = time.perf_counter() - start
    assert busy > 0.05, "the batch is long enough to tell"
    assert ticks > 10, f"the main thread ran {ticks} times in {busy:.2f} s"
    # Two threads explaining at once take about as long as one batch of both.
    start = time.perf_counter()
    model.explain(texts + texts)
    both = time.perf_counter() - start
    start = time.perf_counter()
    threads = [threading.Thread(target=model.explain, args=(texts,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    concurrent = time.perf_counter() - start
    print(f"one batch of both {both:.3f} s; two threads at once {concurrent:.3f} s (ratio {concurrent / both:.2f})")
    assert concurrent < 2.0 * both


def test_an_onnx_model_folder_explains_as_the_cli_explains_it(cli, tmp_path):
    folder = tmp_path / "onnx"
    cli("xai-text", "export", "--onnx", folder)
    onnx = relvis.TextModel(folder)
    assert onnx.classes == relvis.TextModel().classes
    for name in POSTS[:2]:
        e = onnx.explain((DEMO / name).read_text())
        assert e.to_json() + "\n" == cli("xai-text", "explain", DEMO / name, "--format", "json", "--model", folder).decode(), name


def test_a_transformer_folder_explains_with_attnlrp_as_the_cli_and_as_lxt(cli):
    """A Hugging Face BERT classifier (a fixture of crates/onnx-import): AttnLRP by default,
    equal to the command line's JSON, its special tokens apart, and the word relevance equal
    to lxt's per-token numbers summed per word (stored by the fixture script)."""
    folder = ROOT / "crates/onnx-import/tests/fixtures/transformers/bert_eager"
    expected = json.loads((folder / "expected.json").read_text())
    model = relvis.TextModel(folder)
    assert model.classes == expected["labels"]
    doc = expected["documents"][0]
    e = model.explain(doc["text"], target=doc["target"])
    assert e.method == "lrp attnlrp"
    assert e.to_json() + "\n" == cli("xai-text", "explain", "--text", doc["text"], "--class", expected["labels"][doc["target"]], "--format", "json", "--model", folder).decode()
    specials = e.special_tokens
    assert [s[0] for s in specials] == ["[CLS]", "[SEP]"]
    reference = np.array(doc["attnlrp"])
    scale = np.abs(reference).max()
    for token, position, relevance in specials:
        assert abs(relevance - reference[position]) < 1e-4 * scale, token
    words_total = reference.sum() - sum(reference[p] for _, p, _ in specials)
    assert abs(e.relevance.sum() - words_total) < 1e-4 * scale * len(reference)
