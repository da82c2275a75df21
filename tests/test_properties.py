"""Property-based tests over random ragged data (hypothesis)."""

import pickle

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skrnn import RNNClassifier, RNNRegressor, RNNSequenceTagger

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ragged(draw, max_sequences=8, max_length=7, n_features=2):
    n = draw(st.integers(2, max_sequences))
    lengths = draw(st.lists(st.integers(1, max_length), min_size=n, max_size=n))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(k, n_features)) for k in lengths], rng


def _fitted(estimator_class, X, rng, cell):
    y = (
        [rng.randint(2, size=len(s)) for s in X]
        if estimator_class is RNNSequenceTagger
        else rng.randint(2, size=len(X))
    )
    y = y if estimator_class is not RNNClassifier else np.r_[0, 1, y[2:]]
    if estimator_class is RNNSequenceTagger:
        y[0][0], y[1][0] = 0, 1
    model = estimator_class(
        hidden_size=5, cell=cell, max_iter=2, random_state=0, bidirectional=True
    )
    return model.fit(X, y)


def _predict(model, X):
    if isinstance(model, RNNRegressor):
        return [np.atleast_1d(p) for p in model.predict(X)]
    proba = model.predict_proba(X)
    return list(proba)


CLASSES = st.sampled_from([RNNClassifier, RNNRegressor, RNNSequenceTagger])
CELLS = st.sampled_from(["rnn", "gru", "lstm"])


@SETTINGS
@given(data=ragged(), estimator_class=CLASSES, cell=CELLS, extra=st.integers(1, 5))
def test_padding_invariance(data, estimator_class, cell, extra):
    """A sequence's prediction is the same alone, in a batch, or padded by a
    longer neighbour."""
    X, rng = data
    model = _fitted(estimator_class, X, rng, cell)
    longest = max(len(s) for s in X)
    with_long = X + [rng.normal(size=(longest + extra, 2))]
    together = _predict(model, with_long)[: len(X)]
    for i, seq in enumerate(X):
        alone = _predict(model, [seq])[0]
        np.testing.assert_allclose(together[i], alone, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(data=ragged(), estimator_class=CLASSES, cell=CELLS)
def test_batch_order_equivariance(data, estimator_class, cell):
    X, rng = data
    model = _fitted(estimator_class, X, rng, cell)
    order = rng.permutation(len(X))
    direct = _predict(model, X)
    permuted = _predict(model, [X[i] for i in order])
    for position, i in enumerate(order):
        np.testing.assert_allclose(permuted[position], direct[i], rtol=1e-10, atol=1e-12)


@SETTINGS
@given(data=ragged(), estimator_class=CLASSES, cell=CELLS)
def test_pickle_round_trip(data, estimator_class, cell):
    X, rng = data
    model = _fitted(estimator_class, X, rng, cell)
    loaded = pickle.loads(pickle.dumps(model))
    for a, b in zip(_predict(loaded, X), _predict(model, X)):
        np.testing.assert_array_equal(a, b)
