"""Central finite-difference gradient check for the recurrent core (float64)."""

import numpy as np

from skrnn._network import LOSS_FUNCTIONS, RecurrentNetwork


def make_network(data, n_outputs, rng, **kwargs):
    n_inputs = int(data.steps.max()) + 1 if data.kind == "tokens" else data.width
    net = RecurrentNetwork(n_inputs, n_outputs, input_kind=data.kind, dtype=np.float64, **kwargs)
    net.initialize(rng)
    perturb(net, rng)
    return net


def unsort(batch, rows):
    """Per-sequence results of a batch back in the order its rows were asked for."""
    out = np.empty_like(rows)
    out[batch.order] = rows
    return out


def perturb(net, rng):
    """Non-zero biases and larger weights so every term of the gradient
    matters; the padding rows of lookup tables stay zero."""
    net.coef += rng.normal(scale=0.3, size=net.coef.shape)
    for name in net.lookup_tables():
        net.params[name][0] = 0.0


def batch_loss(net, batch, target, weight, loss_name, initial_state=None):
    out, cache = net.forward(batch, initial_state, training=True)
    return LOSS_FUNCTIONS[loss_name](out.reshape(-1, net.n_outputs).copy(), target, weight), cache


def trainable_entries(net):
    """Flat indices of the trained weights: the padding row of a token
    lookup table is held at zero and not trained."""
    frozen = np.zeros(net.coef.shape, dtype=bool)
    marker = net._views(frozen)
    for name in net.lookup_tables():
        marker[name][0] = True
    return np.flatnonzero(~frozen)


def central_differences(loss, x, entries=None, eps=1e-6):
    """d loss() / d x[i] by central differences for each flat index in
    ``entries`` (every one by default), 0 elsewhere; ``loss`` reads ``x``,
    which is perturbed in place and restored."""
    numeric = np.zeros_like(x)
    for i in range(x.size) if entries is None else entries:
        saved = x[i]
        x[i] = saved + eps
        plus = loss()
        x[i] = saved - eps
        minus = loss()
        x[i] = saved
        numeric[i] = (plus - minus) / (2 * eps)
    return numeric


def gradient_error(net, batch, target, weight, loss_name, eps=1e-6, initial_state=None):
    """Largest relative error between backprop and central differences."""
    (loss, d_out), cache = batch_loss(net, batch, target, weight, loss_name, initial_state)
    grad, views = net.new_grad()
    net.backward(d_out, cache, views)

    def loss_now():
        return batch_loss(net, batch, target, weight, loss_name, initial_state)[0][0]

    numeric = central_differences(loss_now, net.coef, trainable_entries(net), eps)
    scale = np.maximum(np.abs(grad) + np.abs(numeric), 1e-8)
    rel = np.abs(grad - numeric) / scale
    # Entries whose true gradient is ~0 are compared absolutely.
    rel[np.abs(grad - numeric) < 1e-9] = 0.0
    return rel.max(), grad, numeric
