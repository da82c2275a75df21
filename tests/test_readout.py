"""A new readout is one class: reading each direction's state after its
first step, written here, works in the core (gradients checked in float64)
and in an estimator as its ``pooling``, warm starts and partial_fit
included."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone

from skrnn import RNNClassifier
from skrnn._readout import Readout
from skrnn._sequences import check_sequences

from ._gradcheck import gradient_error, make_network


class FirstState(Readout):
    """One output per sequence, from each direction's state after the first
    step it reads (the backward direction's first is the sequence's last)."""

    seeds_last_states_only = False  # a first state also gets the next step's gradient

    def features(self, top):
        return np.concatenate([states[1] for states in top.states], axis=1)

    def seed(self, d_features, direction, d_states, top):
        H = d_states.shape[2]
        d_states[1] = d_features[:, direction * H : (direction + 1) * H]


def _ragged(rng):
    return check_sequences([rng.normal(size=(n, 3)) for n in (5, 2, 4, 1)])[0]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_first_state_readout_gradient(cell, num_layers, bidirectional):
    rng = np.random.RandomState(0)
    data = _ragged(rng)
    net = make_network(
        data,
        3,
        rng,
        hidden_size=4,
        num_layers=num_layers,
        cell=cell,
        bidirectional=bidirectional,
        readout=FirstState(),
    )
    batch = data.batch()
    target = rng.randint(3, size=batch.n_sequences)
    weight = np.full(batch.n_sequences, 1.0 / batch.n_sequences)
    err, grad, _ = gradient_error(net, batch, target, weight, "log_loss")
    assert err < 1e-6 and np.abs(grad).max() > 1e-3


def test_first_state_readout_reads_the_first_state_of_each_direction():
    rng = np.random.RandomState(1)
    data = _ragged(rng)
    first = make_network(data, 2, rng, hidden_size=4, bidirectional=True, readout=FirstState())
    every = make_network(data, 2, rng, hidden_size=4, bidirectional=True, readout="every")
    every.coef[...] = first.coef
    batch = data.batch()
    _, cache = every.forward(batch)
    steps = cache.features.reshape(batch.n_steps, batch.n_sequences, -1)  # (T, B, 2H)
    expected = np.stack(
        [np.r_[steps[0, b, :4], steps[n - 1, b, 4:]] for b, n in enumerate(batch.lengths)]
    )
    _, first_cache = first.forward(batch)
    np.testing.assert_allclose(first_cache.features, expected, rtol=1e-12)


def test_an_estimator_trains_with_the_new_readout():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(2, 10, size=200)]
    y = np.array([int(s[0, 0] + s[-1, 0] > 0) for s in X])  # what the first states see
    clf = RNNClassifier(
        hidden_size=8,
        bidirectional=True,
        pooling=FirstState(),
        learning_rate_init=0.01,
        max_iter=60,
        random_state=0,
    )
    assert clf.fit(X, y).score(X, y) > 0.9
    assert isinstance(clf.network_.readout, FirstState)
    clone(clf).fit(X, y)  # clone copies the readout object


def test_warm_start_and_partial_fit_continue_a_network_with_a_readout_object():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(2, 10, size=60)]
    y = np.array([int(s[0, 0] > 0) for s in X])
    clf = RNNClassifier(hidden_size=4, pooling=FirstState(), max_iter=2, random_state=0)
    clf.fit(X, y)
    weights = clf.network_.coef.copy()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="warm_start")  # not "built anew"
        clf.set_params(warm_start=True, pooling=FirstState()).fit(X, y)
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 5 and not np.array_equal(clf.network_.coef, weights)
    clf.set_params(pooling="last")
    with pytest.raises(ValueError, match="pooling=FirstState"):
        clf.partial_fit(X, y)
