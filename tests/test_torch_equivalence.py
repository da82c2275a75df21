"""With PyTorch's weights, skrnn computes PyTorch's outputs and gradients.

Reference values made by PyTorch (``tests/torch_reference.py``) are checked in
under ``tests/data``, so the comparison runs without torch; where torch is
importable the references are also recomputed live.
"""

import importlib.util

import numpy as np
import pytest

from skrnn._network import LOSS_FUNCTIONS
from skrnn._sequences import check_sequences

from . import torch_seq2seq_reference as seq2seq
from ._gradcheck import unsort
from .torch_reference import CONFIGS, PATH, compute, config_key, inputs, skrnn_network

HAVE_TORCH = importlib.util.find_spec("torch") is not None


def _skrnn_loss_grad_proba(config, reference, seed):
    cell, layers, bidirectional, head, embedded = config
    net = skrnn_network(config)
    net.coef[...] = reference["coef"]
    X, _ = inputs(seed, embedded)
    data, _ = check_sequences(X)
    batch = data.batch()
    out, cache = net.forward(batch, training=True)
    target = reference["target"]
    if head == "last":
        flat_target = target[batch.rows]
        weight = np.full(len(X), 1.0 / len(X))
        proba = unsort(batch, out.copy())
    else:
        mask = data.real_steps()
        per_step = np.zeros(mask.shape, dtype=int)
        per_step[mask] = target  # sequence by sequence, as torch's out[mask]
        flat_target = per_step[batch.rows, : batch.n_steps].T.ravel()
        real = batch.step_mask()
        weight = real.ravel() / real.sum()
        by_sequence = unsort(batch, out.swapaxes(0, 1).copy())  # (B, T, C)
        proba = by_sequence[mask[:, : batch.n_steps]]
    loss, d_out = LOSS_FUNCTIONS["log_loss"](
        out.reshape(-1, net.n_outputs).copy(), flat_target, weight
    )
    grad, views = net.new_grad()
    net.backward(d_out, cache, views)
    return loss, grad, proba


def _assert_matches(config, reference, seed=0):
    loss, grad, proba = _skrnn_loss_grad_proba(config, reference, seed)
    np.testing.assert_allclose(proba, reference["proba"], rtol=0, atol=1e-10)
    assert abs(loss - float(reference["loss"])) < 1e-10
    np.testing.assert_allclose(grad, reference["grad"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("config", CONFIGS, ids=config_key)
def test_matches_checked_in_torch_reference(config):
    stored = np.load(PATH)
    key = config_key(config)
    reference = {
        name: stored[f"{key}/{name}"] for name in ("coef", "grad", "loss", "target", "proba")
    }
    _assert_matches(config, reference)


@pytest.mark.skipif(
    not HAVE_TORCH,
    reason="torch not installed; the checked-in reference arrays are compared instead",
)
@pytest.mark.parametrize("config", CONFIGS, ids=config_key)
def test_matches_live_torch(config):
    _assert_matches(config, compute(config, seed=1), seed=1)


# ------------------------------------------------- the encoder-decoder (seq2seq)
def _seq2seq_matches(config, reference, seed=0):
    net = seq2seq.skrnn_network(config)
    net.coef[...] = reference["coef"]
    batch = seq2seq.skrnn_batch(*seq2seq.pairs(seed, embedded=config[-1]))
    out, cache = net.forward(batch, training=True)
    ids = batch.target_ids.ravel()
    real = (ids != 0).astype(np.float64)
    loss, d_out = LOSS_FUNCTIONS["log_loss"](
        out.reshape(-1, net.n_outputs).copy(), ids, real / real.sum()
    )
    grad, views = net.new_grad()
    net.backward(d_out, cache, views)
    proba = unsort(batch, out.copy())  # (B, T_out, V) in the pairs' order
    np.testing.assert_allclose(proba, reference["proba"], rtol=0, atol=1e-10)
    assert abs(loss - float(reference["loss"])) < 1e-10
    np.testing.assert_allclose(grad, reference["grad"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("config", seq2seq.CONFIGS, ids=seq2seq.config_key)
def test_encoder_decoder_matches_checked_in_torch_reference(config):
    stored = np.load(seq2seq.PATH)
    key = seq2seq.config_key(config)
    names = ("coef", "grad", "loss", "proba")
    _seq2seq_matches(config, {name: stored[f"{key}/{name}"] for name in names})


@pytest.mark.skipif(
    not HAVE_TORCH,
    reason="torch not installed; the checked-in reference arrays are compared instead",
)
@pytest.mark.parametrize("config", seq2seq.CONFIGS, ids=seq2seq.config_key)
def test_encoder_decoder_matches_live_torch(config):
    _seq2seq_matches(config, seq2seq.compute(config, seed=1), seed=1)
