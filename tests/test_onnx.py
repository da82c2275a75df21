"""ONNX export: ONNX Runtime's outputs equal skrnn's, for every estimator,
transformer and configuration that converts; clear errors for what does not.

Probabilities and values agree to 1e-5 (the graphs run in float32, skrnn
predicts in float64), labels exactly. Every comparison includes a ragged
batch, a single sequence, sequences longer than any seen in ``fit`` and,
for token ids, all-padding rows and padding inside a sequence.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("skl2onnx")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrnn import (  # noqa: E402
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    RNNSeq2Seq,
    RNNSequenceTagger,
    SequencePatcher,
    SequenceScaler,
    SequenceVectorizer,
)
from skrnn import _onnx_graph as onnx_graph  # noqa: E402
from skrnn._readout import MeanPool  # noqa: E402
from skrnn.onnx import input_feeds, to_onnx  # noqa: E402

ATOL = 1e-5
SMALL = dict(hidden_size=4, max_iter=2, random_state=0, batch_size=8)


@pytest.fixture(autouse=True)
def scan_above_24(monkeypatch):
    """Batches of more than 24 sequences take the Scan loops (the LSTM's
    too, which by default has none): the tests' small batches exercise both
    of the graph's ways."""
    monkeypatch.setattr(onnx_graph, "SCAN_ABOVE", dict.fromkeys(onnx_graph.SCAN_ABOVE, 24))


def test_lstm_graphs_run_the_operator_alone_by_default(monkeypatch):
    monkeypatch.undo()  # the default thresholds
    X = np.random.RandomState(12).normal(size=(8, 4, 2)).astype(np.float32)
    for cell, has_if in (("lstm", False), ("gru", True)):
        model = RNNClassifier(cell=cell, **SMALL).fit(X, [0, 1] * 4)
        ops = {node.op_type for node in to_onnx(model, X).graph.node}
        assert ("If" in ops) is has_if and ("LSTM" in ops) is (not has_if)


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, unseen ids
        yield


def run(onx, X):
    """ONNX Runtime's outputs of ``onx`` for X, by name."""
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, input_feeds(X))))


def batches(kind, rng):
    """Training X and the batches to compare on, for one input kind: X, a
    single sequence, a batch longer than any seen in fit and (beyond the
    graph's ``SCAN_ABOVE``, here lowered) a large batch, which takes the
    Scan loops."""
    X, tests = _batches(kind, rng)
    large = X * 3 if isinstance(X, list) else np.concatenate([X] * 3)
    return X, tests + [large]


def _batches(kind, rng):
    if kind == "dense":
        X = rng.normal(size=(24, 5, 3)).astype(np.float32)
        longer = rng.normal(size=(4, 11, 3)).astype(np.float32)
        return X, [X, X[:1], longer]
    if kind == "ragged":
        X = [rng.normal(size=(n, 3)) for n in rng.randint(1, 7, size=24)]
        test = [rng.normal(size=(n, 3)) for n in (1, 12, 4, 7)]
        return X, [X, X[:1], test]
    k = 2 if kind == "features" else 1
    X = rng.randint(0, 12, size=(24, 6, k))
    X[:, 4:] = 0  # trailing padding
    X[2, 1] = 0  # padding inside a sequence
    test = rng.randint(0, 16, size=(5, 10, k))  # longer, ids never seen
    test[0] = 0  # all padding
    test[1, :3] = 0  # padding before
    if k == 1:
        X, test = X[:, :, 0], test[:, :, 0]
    return X, [X, X[:1], test]


def classifier_cases():
    for cell in ("rnn", "gru", "lstm"):
        for bidirectional in (False, True):
            for pooling in ("last", "mean", "max"):
                yield cell, bidirectional, pooling


@pytest.mark.parametrize("kind", ["dense", "ragged", "tokens", "embedding", "features"])
@pytest.mark.parametrize("cell, bidirectional, pooling", list(classifier_cases()))
def test_classifier_equals_skrnn(kind, cell, bidirectional, pooling):
    rng = np.random.RandomState(0)
    X, tests = batches(kind, rng)
    y = rng.randint(0, 3, size=len(X))
    model = RNNClassifier(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=2 if bidirectional else 1,
        pooling=pooling,
        embedding_dim=3 if kind == "embedding" else None,
        **SMALL,
    ).fit(X, y)
    onx = to_onnx(model, X)
    for test in tests:
        out = run(onx, test)
        np.testing.assert_allclose(out["probabilities"], model.predict_proba(test), atol=ATOL)
        np.testing.assert_array_equal(out["label"], model.predict(test))


@pytest.mark.parametrize("kind", ["dense", "ragged", "embedding"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_regressor_equals_skrnn(kind, cell):
    rng = np.random.RandomState(1)
    X, tests = batches(kind, rng)
    y = rng.normal(size=(len(X), 2))
    model = RNNRegressor(cell=cell, bidirectional=True, **SMALL).fit(X, y)
    onx = to_onnx(model, X)
    for test in tests:
        np.testing.assert_allclose(run(onx, test)["variable"], model.predict(test), atol=ATOL)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("kind", ["tokens", "features"])
def test_tagger_on_padded_ids_equals_skrnn(cell, kind):
    """Labels and probabilities at the input's positions; padding steps get
    zero probabilities and the padding label of a 2-D y."""
    rng = np.random.RandomState(2)
    X, tests = batches(kind, rng)
    ids = X if X.ndim == 2 else X[:, :, 0]
    y = np.where(ids > 0, ids % 3 + 1, 0)
    model = RNNSequenceTagger(cell=cell, bidirectional=True, **SMALL).fit(X, y)
    onx = to_onnx(model, X)
    for test in tests:
        out = run(onx, test)
        np.testing.assert_allclose(out["probabilities"], model.predict_proba(test), atol=ATOL)
        np.testing.assert_array_equal(out["label"], model.predict(test))


def test_tagger_on_ragged_values_and_on_a_stream():
    rng = np.random.RandomState(3)
    X = [rng.normal(size=(n, 2)) for n in (3, 6, 2, 5)] * 3
    y = [np.where(seq[:, 0] > 0, "up", "down") for seq in X]
    model = RNNSequenceTagger(cell="gru", **SMALL).fit(X, y)
    out = run(to_onnx(model, X), X)
    for i, (seq, labels, proba) in enumerate(zip(X, model.predict(X), model.predict_proba(X))):
        np.testing.assert_array_equal(out["label"][i, : len(seq)], labels)
        np.testing.assert_allclose(out["probabilities"][i, : len(seq)], proba, atol=ATOL)
        assert not out["probabilities"][i, len(seq) :].any()
    stream = rng.normal(size=(30, 2))
    model = RNNSequenceTagger(cell="lstm", **SMALL).fit(stream, (stream[:, 1] > 0).astype(int))
    out = run(to_onnx(model, stream), stream[:17])
    np.testing.assert_array_equal(out["label"], model.predict(stream[:17]))
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(stream[:17]), atol=ATOL)


@pytest.mark.parametrize("per_sequence", [False, True])
@pytest.mark.parametrize("layout", ["table", "array", "ragged"])
def test_sequence_scaler_equals_skrnn(per_sequence, layout):
    rng = np.random.RandomState(4)
    if layout == "ragged":
        X = [rng.normal(loc=2, scale=3, size=(n, 2)) for n in (3, 8, 1, 5)]
        X[1][:, 1] = 7.0  # a feature that does not vary within a sequence
    else:
        X = rng.normal(loc=2, scale=3, size=(6, 7, 2) if layout == "array" else (6, 7))
    scaler = SequenceScaler(per_sequence=per_sequence).fit(X)
    out = run(to_onnx(scaler, X), X)["variable"]
    for row, expected in zip(out, scaler.transform(X)):
        np.testing.assert_allclose(row[: len(expected)], expected, atol=ATOL)


@pytest.mark.parametrize("patch_size", [1, 3])
@pytest.mark.parametrize("layout", ["table", "array", "ragged"])
def test_sequence_patcher_equals_skrnn(patch_size, layout):
    rng = np.random.RandomState(5)
    if layout == "ragged":
        X = [rng.normal(size=(n, 2)) for n in (3, 8, 1, 5)]
    else:
        X = rng.normal(size=(4, 7, 2) if layout == "array" else (4, 7))
    patcher = SequencePatcher(patch_size=patch_size).fit(X)
    out = run(to_onnx(patcher, X), X)
    expected = patcher.transform(X)
    for row, patches in zip(out["variable"], expected):
        np.testing.assert_allclose(row[: len(patches)], patches, atol=ATOL)
    if layout == "ragged":
        np.testing.assert_array_equal(out["step_counts"], [len(p) for p in expected])


def test_transformers_in_float64_agree_to_1e_10():
    """Where the operators take float64 (everything but the recurrent
    layers), the graph computes in it."""
    from skl2onnx import to_onnx as skl2onnx_to_onnx
    from skl2onnx.common.data_types import DoubleTensorType

    X = np.random.RandomState(6).normal(size=(5, 9, 2))
    pipe = make_pipeline(SequenceScaler(per_sequence=True), SequencePatcher(patch_size=2)).fit(X)
    onx = skl2onnx_to_onnx(pipe, initial_types=[("X", DoubleTensorType([None, None, 2]))])
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"X": X})[0], pipe.transform(X), atol=1e-10)


TEXTS = [
    "The cat sat on the mat.",
    "A dog! A DOG?",
    "",
    "café, ÉTÉ and naïve über-words_1",
    "the the the cat",
    "??",
]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lowercase": False},
        {"analyzer": "char"},
        {"max_length": 3},
        {"max_length": 3, "truncating": "pre"},
        {"max_length": 9, "truncating": "pre"},
        {"token_pattern": r"(?u)\b\w\w+\b", "min_df": 2},
    ],
)
def test_sequence_vectorizer_equals_skrnn(params):
    vectorizer = SequenceVectorizer(**params).fit(TEXTS[:4])
    out = run(to_onnx(vectorizer, TEXTS), TEXTS)["variable"]
    np.testing.assert_array_equal(out, vectorizer.transform(TEXTS))
    empty = run(to_onnx(vectorizer, TEXTS), ["", "?"])["variable"]
    np.testing.assert_array_equal(empty, vectorizer.transform(["", "?"]))


def test_text_pipeline_is_one_graph_from_strings():
    y = ["pos", "neg", "neg", "pos", "pos", "neg"] * 3
    pipe = make_pipeline(
        SequenceVectorizer(), RNNClassifier(cell="gru", embedding_dim=4, **SMALL)
    ).fit(TEXTS * 3, y)
    onx = to_onnx(pipe, TEXTS)
    assert [i.name for i in onx.graph.input] == ["X"]
    for texts in (TEXTS, TEXTS[2:3], ["an unseen text entirely"]):
        out = run(onx, texts)
        np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(texts), atol=ATOL)
        np.testing.assert_array_equal(out["label"], pipe.predict(texts))


def test_ragged_pipeline_passes_lengths_through_its_steps():
    rng = np.random.RandomState(7)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(1, 12, size=30)]
    y = rng.randint(0, 2, size=30)
    pipe = make_pipeline(
        SequenceScaler(per_sequence=True),
        SequencePatcher(patch_size=3),
        RNNClassifier(cell="lstm", pooling="max", **SMALL),
    ).fit(X, y)
    onx = to_onnx(pipe, X)
    assert [i.name for i in onx.graph.input] == ["X", "lengths"]
    for test in (X, X[:1], [rng.normal(size=(25, 2)), rng.normal(size=(2, 2))]):
        out = run(onx, test)
        np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(test), atol=ATOL)
        np.testing.assert_array_equal(out["label"], pipe.predict(test))


def test_pipeline_with_a_sklearn_step():
    """sklearn's StandardScaler on fixed-length univariate series (its
    columns are the steps), then the classifier: skl2onnx converts both."""
    rng = np.random.RandomState(8)
    X = rng.normal(size=(30, 9))
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    pipe = make_pipeline(StandardScaler(), RNNClassifier(**SMALL)).fit(X, y)
    out = run(to_onnx(pipe, X), X)
    np.testing.assert_allclose(out["probabilities"], pipe.predict_proba(X), atol=ATOL)
    np.testing.assert_array_equal(out["label"], pipe.predict(X))


def test_skl2onnx_to_onnx_converts_with_its_own_conventions():
    """Registered converters: skl2onnx's own ``to_onnx`` works, and adds its
    ZipMap of probabilities for a classifier, as for sklearn's."""
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    X = np.random.RandomState(9).normal(size=(20, 4, 2)).astype(np.float32)
    model = RNNClassifier(**SMALL).fit(X, ["a", "b"] * 10)
    session = ort.InferenceSession(
        skl2onnx_to_onnx(model, X[:1]).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    label, proba = session.run(None, {"X": X})
    np.testing.assert_array_equal(label, model.predict(X))
    assert sorted(proba[0]) == ["a", "b"]
    assert abs(proba[0]["b"] - model.predict_proba(X)[0, 1]) < ATOL


def test_float64_model_exports_in_float32():
    X = np.random.RandomState(10).normal(size=(20, 4, 2))
    model = RNNClassifier(dtype="float64", cell="lstm", **SMALL).fit(X, [0, 1] * 10)
    out = run(to_onnx(model, X), X)
    np.testing.assert_allclose(out["probabilities"], model.predict_proba(X), atol=ATOL)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embedding_dim", [None, 5])
def test_language_model_steps_generate_as_skrnn(cell, embedding_dim):
    """Feeding a prompt's ids one step at a time, with the state carried by
    the host, gives skrnn's next-token distribution after the prompt."""
    text = ["the quick brown fox jumps over the lazy dog"] * 4
    model = RNNLanguageModel(
        cell=cell, num_layers=2, embedding_dim=embedding_dim, analyzer="char", **SMALL
    ).fit(text)
    onx = to_onnx(model)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    prompts = ["the", "lazy do", "q"]
    ids = [[0] + model.vectorizer_.to_ids([p])[0] for p in prompts]
    n_steps = max(len(row) for row in ids)
    ids = [row + [0] * (n_steps - len(row)) for row in ids]  # steps beyond a prompt are ignored
    state = np.zeros((2, model.network_.n_states, 3, 4), np.float32)
    last = {}
    for t in range(n_steps):
        proba, state = session.run(
            None, {"token": np.array([row[t] for row in ids]), "state": state}
        )
        for i, p in enumerate(prompts):
            if t == len(p):
                last[i] = proba[i]
    np.testing.assert_allclose([last[i] for i in range(3)], model.predict_proba(prompts), atol=ATOL)
    tokens = {entry.key: entry.value for entry in onx.metadata_props}["tokens"]
    assert tokens.startswith('["') and len(proba[0]) == len(model.tokens_)


class OwnPool(MeanPool):
    """A pooling of a user's own (here the mean, under another name)."""


def test_what_cannot_convert_says_so():
    rng = np.random.RandomState(11)
    seq2seq = RNNSeq2Seq(**SMALL).fit([[1, 2], [3, 4]] * 4, ["ab", "ba"] * 4)
    with pytest.raises(ValueError, match="RNNSeq2Seq cannot be exported"):
        to_onnx(seq2seq, [[1, 2]])
    X = rng.normal(size=(8, 3, 2))
    custom = RNNClassifier(pooling=OwnPool(), **SMALL).fit(X, [0, 1] * 4)
    with pytest.raises(ValueError, match="Readout object of your own"):
        to_onnx(custom, X)
    for params, message in [
        ({"token_features": True}, "token_features"),
        ({"analyzer": str.split}, "callable analyzer"),
        ({"token_pattern": r"[a-z]+"}, "token_pattern"),
    ]:
        vectorizer = SequenceVectorizer(**params).fit(TEXTS)
        with pytest.raises(ValueError, match=message):
            to_onnx(vectorizer, TEXTS)


def test_import_skrnn_imports_no_onnx_package():
    code = (
        "import sys, skrnn, skrnn.inspection, skrnn.metrics; "
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'skl2onnx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
