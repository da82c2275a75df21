"""A new head is one class: mean pooling over steps, written here, works in the
core (gradients checked in float64) and in an estimator."""

import numpy as np
import pytest

from skrnn import RNNClassifier
from skrnn._heads import LastStepHead
from skrnn._sequences import check_sequences

from ._gradcheck import gradient_error, make_network


class MeanPoolHead(LastStepHead):
    """One output per sequence, from the mean of the top layer's outputs over
    its real steps."""

    seeds_last_states_only = False

    def features(self, top):
        mask = top.batch.step_mask()[:, :, None]  # (T, B, 1)
        return (top.output * mask).sum(axis=0) / np.maximum(top.batch.lengths, 1)[:, None]

    def seed(self, d_features, direction, d_states, top):
        mask = top.batch.step_mask()[:, :, None]
        share = d_features / np.maximum(top.batch.lengths, 1)[:, None]
        top.to_direction(mask * share[None], direction, d_states)


def _ragged(rng):
    return check_sequences([rng.normal(size=(n, 3)) for n in (5, 2, 4, 1)])[0]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_mean_pool_head_gradient(cell, num_layers, bidirectional):
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
        head=MeanPoolHead(),
    )
    batch = data.batch()
    target = rng.randint(3, size=batch.n_sequences)
    weight = np.full(batch.n_sequences, 1.0 / batch.n_sequences)
    err, grad, _ = gradient_error(net, batch, target, weight, "log_loss")
    assert err < 1e-6 and np.abs(grad).max() > 1e-3


def test_mean_pool_head_reads_the_mean_of_every_step():
    rng = np.random.RandomState(1)
    data = _ragged(rng)
    pooled = make_network(data, 2, rng, hidden_size=4, bidirectional=True, head=MeanPoolHead())
    every = make_network(data, 2, rng, hidden_size=4, bidirectional=True, head="every")
    every.coef[...] = pooled.coef
    batch = data.batch()
    _, cache = every.forward(batch)
    steps = cache.features.reshape(batch.n_steps, batch.n_sequences, -1)
    mean = np.stack([steps[:n, b].mean(axis=0) for b, n in enumerate(batch.lengths)])
    _, pooled_cache = pooled.forward(batch)
    np.testing.assert_allclose(pooled_cache.features, mean, rtol=1e-12)


class MeanPoolClassifier(RNNClassifier):
    _head = MeanPoolHead()


def test_an_estimator_trains_with_the_new_head():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(2, 10, size=200)]
    y = np.array([int(s[:, 0].mean() > 0) for s in X])
    clf = MeanPoolClassifier(hidden_size=8, learning_rate_init=0.01, max_iter=60, random_state=0)
    assert clf.fit(X, y).score(X, y) > 0.9
