"""Each optimizer step equals its textbook formula; clipping does what it says."""

import numpy as np
import pytest

from skrnn._optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    SGDOptimizer,
    clip_gradients,
)


def _grads(rng, steps=4, size=7):
    return [rng.normal(size=size) for _ in range(steps)]


def test_sgd_plain_momentum_and_nesterov():
    rng = np.random.RandomState(0)
    grads = _grads(rng)
    for momentum, nesterov in [(0.0, False), (0.9, False), (0.9, True)]:
        p = np.ones(7)
        expected, v = p.copy(), np.zeros(7)
        opt = SGDOptimizer(
            p, learning_rate_init=0.1, momentum=momentum, nesterovs_momentum=nesterov
        )
        for g in grads:
            opt.update_params(p, g)
            v = momentum * v - 0.1 * g
            expected += momentum * v - 0.1 * g if nesterov else v
        np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_adagrad_matches_min_char_rnn_update():
    rng = np.random.RandomState(1)
    p, expected, cache = np.ones(7), np.ones(7), np.zeros(7)
    opt = AdagradOptimizer(p, learning_rate_init=0.05, epsilon=1e-8)
    for g in _grads(rng):
        opt.update_params(p, g)
        cache += g * g
        expected -= 0.05 * g / np.sqrt(cache + 1e-8)
    np.testing.assert_allclose(p, expected, rtol=1e-12)


@pytest.mark.parametrize("block", [2**16, 3])  # one block, and blocks with a short last one
def test_adam_matches_kingma_ba_algorithm_1(block):
    rng = np.random.RandomState(2)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    p, expected = np.ones(7), np.ones(7)
    m, v = np.zeros(7), np.zeros(7)
    opt = AdamOptimizer(p, lr, b1, b2, eps)
    opt.block = block
    for t, g in enumerate(_grads(rng, steps=6), start=1):
        opt.update_params(p, g)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)  # bias corrections
        expected -= lr_t * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(p, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizers_keep_the_parameter_dtype(dtype):
    for cls in (SGDOptimizer, AdagradOptimizer, AdamOptimizer):
        p = np.ones(5, dtype=dtype)
        cls(p).update_params(p, np.full(5, 0.5, dtype=dtype))
        assert p.dtype == dtype and np.all(p < 1)


def test_clip_value_then_norm():
    g = np.array([3.0, -4.0, 0.5])
    clip_gradients(g, clip_value=1.0)
    np.testing.assert_array_equal(g, [1.0, -1.0, 0.5])
    g = np.array([3.0, -4.0])
    clip_gradients(g, clip_norm=1.0)
    np.testing.assert_allclose(g, [0.6, -0.8])
    g = np.array([0.3, -0.4])
    clip_gradients(g, clip_norm=1.0)  # already short enough: unchanged
    np.testing.assert_array_equal(g, [0.3, -0.4])
