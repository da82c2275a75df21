"""Recurrent cells: the time loop, forward and backward side by side.

A cell sees only the recurrence. The layer in ``_network.py`` computes the
input projections of all steps with one GEMM (or one row lookup for token
ids) into ``trace.proj`` before the loop, and turns ``d_proj`` into the input
weight gradients with one GEMM after it. Inside the loop each step does the
``h @ W_hh`` product and the element-wise work, in place, on the rows still
running (sequences are sorted by decreasing length, so those are a prefix).

Shapes: T steps, B sequences, H hidden units, G gates (1 for the tanh RNN).
States are stored as ``(T + 1, B, H)`` with index 0 the initial state, so the
state after the last real step of sequence ``b`` is ``states[lengths[b], b]``
(for an empty sequence that is the initial state).
"""

import numpy as np


class Trace:
    """What a cell's forward leaves for its backward.

    Attributes
    ----------
    proj : ndarray of shape (T, B, G * H)
        Input projections, filled by the layer before :meth:`forward`.
    states : ndarray of shape (T + 1, B, H)
        Hidden states; ``states[0]`` is the initial state.
    """

    def __init__(self, proj, states):
        self.proj = proj
        self.states = states


class RNNCell:
    """Elman cell ``h_t = tanh(x_t W_ih + b + h_{t-1} W_hh)``.

    The projection buffer is the state buffer itself (shifted by one step), so
    the forward loop adds ``h_{t-1} W_hh`` and applies tanh in place.
    """

    n_gates = 1
    has_hidden_bias = False

    def allocate(self, n_steps, n_seq, hidden, dtype):
        states = np.empty((n_steps + 1, n_seq, hidden), dtype=dtype)
        return Trace(states[1:], states)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        S = trace.states  # (T + 1, B, H)
        S[0] = h0
        tmp = np.empty_like(S[0])
        for t, n in enumerate(batch_sizes):
            h = S[t + 1, :n]
            np.matmul(S[t, :n], W_hh, out=tmp[:n])
            h += tmp[:n]
            np.tanh(h, out=h)
        return trace

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes):
        """Gradients from ``d_states`` (T + 1, B, H), which is overwritten.

        Returns ``d_proj`` (T, B, H), ``dW_hh``, ``db_hh`` (None) and
        ``d_h0`` (B, H).
        """
        S = trace.states
        # tanh' = 1 - h**2 for all steps at once; zero on padded steps so that
        # they pass no gradient and add nothing to the weight gradients.
        d_proj = np.square(S[1:])  # (T, B, H)
        np.subtract(1.0, d_proj, out=d_proj)
        _zero_padding(d_proj, batch_sizes)
        tmp = np.empty_like(S[0])
        for t in range(len(batch_sizes) - 1, -1, -1):
            n = batch_sizes[t]
            dz = d_proj[t, :n]
            dz *= d_states[t + 1, :n]
            np.matmul(dz, W_hh.T, out=tmp[:n])
            d_states[t, :n] += tmp[:n]
        dW_hh = _sum_over_steps(S[:-1], d_proj)
        return d_proj, dW_hh, None, d_states[0]


def _zero_padding(a, batch_sizes):
    """Zero ``a[t, n_t:]``, the padded rows of every step."""
    full = a.shape[1]
    for t, n in enumerate(batch_sizes):
        if n < full:
            a[t, n:] = 0.0


def _sum_over_steps(a, b):
    """``sum_t a[t].T @ b[t]`` as one GEMM over all steps."""
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


CELLS = {"rnn": RNNCell}
