"""Saved models load and predict the same; pickles hold the model only;
predictions run in bounded memory and from several threads at once."""

import pickle
import threading
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

import skrnn
from skrnn import (
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    RNNSequenceTagger,
    SequenceVectorizer,
)
from skrnn.exceptions import InconsistentVersionWarning

RNG = np.random.RandomState(0)
SEQS = [RNG.normal(size=(n, 3)) for n in RNG.randint(1, 9, size=40)]


def _models():
    tags = [np.arange(len(s)) % 3 for s in SEQS]
    return {
        "classifier": (
            RNNClassifier(hidden_size=16, cell="lstm", max_iter=3, random_state=0).fit(
                SEQS, np.arange(40) % 3
            ),
            SEQS,
        ),
        "regressor": (
            RNNRegressor(
                hidden_size=16, cell="gru", bidirectional=True, max_iter=3, random_state=0
            ).fit(SEQS, RNG.normal(size=40)),
            SEQS,
        ),
        "tagger": (
            RNNSequenceTagger(hidden_size=16, num_layers=2, max_iter=3, random_state=0).fit(
                SEQS, tags
            ),
            SEQS,
        ),
        "pipeline": (
            make_pipeline(SequenceVectorizer(), RNNClassifier(max_iter=3, random_state=0)).fit(
                ["a b c", "b c", "c a", "a a b"], [0, 1, 0, 1]
            ),
            ["a c b", "b"],
        ),
    }


def _outputs(model, X):
    method = getattr(model, "predict_proba", None) or model.predict
    out = method(X)
    return [np.asarray(o) for o in out] if isinstance(out, list) else [np.asarray(out)]


@pytest.mark.parametrize("name", ["classifier", "regressor", "tagger", "pipeline"])
def test_joblib_round_trip_identical(name, tmp_path):
    model, X = _models()[name]
    joblib.dump(model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    for a, b in zip(_outputs(loaded, X), _outputs(model, X)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["classifier", "regressor", "tagger", "pipeline"])
def test_skops_round_trip_trusts_only_skrnn_types(name):
    sio = pytest.importorskip("skops.io")
    model, X = _models()[name]
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith("skrnn.") for t in untrusted), untrusted
    loaded = sio.loads(data, trusted=untrusted)
    for a, b in zip(_outputs(loaded, X), _outputs(model, X)):
        np.testing.assert_array_equal(a, b)


def test_pickle_holds_the_weights_and_the_optimizer_and_no_buffers():
    model = RNNClassifier(hidden_size=64, cell="lstm", max_iter=2, random_state=0)
    model.fit(SEQS, np.arange(40) % 2)
    size, weights = len(pickle.dumps(model)), model.network_.coef.nbytes
    assert 3 * weights < size < 3.1 * weights + 8_000  # weights and Adam's two moments
    lm = RNNLanguageModel(hidden_size=32, max_iter=1).fit("some text to learn " * 20)
    assert len(pickle.dumps(lm)) < 3.1 * lm.network_.coef.nbytes + 20_000


@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad"])
def test_partial_fit_on_a_loaded_copy_continues_exactly(solver):
    """A pickle carries the optimizer and the random state, so training a
    loaded copy gives the same weights as training the original (dask moves
    models between workers this way)."""
    X, y = SEQS, np.arange(40) % 2
    original = RNNClassifier(hidden_size=8, solver=solver, random_state=0)
    original.partial_fit(X, y, classes=[0, 1])
    loaded = pickle.loads(pickle.dumps(original))
    for model in (original, loaded):
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    assert loaded.n_iter_ == 3
    np.testing.assert_array_equal(loaded.network_.coef, original.network_.coef)


def test_other_version_warns_on_load(monkeypatch):
    model = RNNClassifier(max_iter=1).fit(SEQS, np.arange(40) % 2)
    data = pickle.dumps(model)
    monkeypatch.setattr(skrnn._persistence, "__version__", "99.0")
    with pytest.warns(
        InconsistentVersionWarning, match="from skrnn version 0.1.0 when using version 99.0"
    ):
        pickle.loads(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        monkeypatch.setattr(skrnn._persistence, "__version__", skrnn.__version__)
        pickle.loads(data)


def test_predict_proba_on_many_sequences_in_bounded_memory():
    model = RNNClassifier(hidden_size=32, max_iter=1, random_state=0)
    model.fit(RNG.normal(size=(50, 5, 2)), np.arange(50) % 2)
    X = RNG.normal(size=(200_000, 5, 2)).astype(np.float32)  # 8 MB of input
    tracemalloc.start()
    proba = model.predict_proba(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert proba.shape == (200_000, 2)
    # The padded float64 copy of X (16 MB) and the output (3.2 MB) are the only
    # things that grow with n; the chunk buffers are a few MB at most.
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.1f} MiB"  # measured: 12.7 MiB


def test_predict_from_several_threads():
    model = RNNSequenceTagger(hidden_size=16, cell="gru", max_iter=2, random_state=0)
    model.fit(SEQS, [np.arange(len(s)) % 2 for s in SEQS])
    expected = model.predict_proba(SEQS)
    results = [None] * 4

    def work(i):
        results[i] = model.predict_proba(SEQS)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for result in results:
        for a, b in zip(result, expected):
            np.testing.assert_array_equal(a, b)
