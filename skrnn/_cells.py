"""Recurrent cells: the time loop, forward and backward side by side.

A cell sees only the recurrence. The layer in ``_network.py`` computes the
input projections of all steps with one GEMM (or one row lookup for token
ids) into ``trace.proj`` before the loop, and turns ``d_proj`` into the input
weight gradients with one GEMM after it. Inside the loop each step does the
``h @ W_hh`` product and the element-wise work, in place, on the rows still
running (sequences are sorted by decreasing length, so those are a prefix).
Whatever the backward needs that does not depend on the incoming gradient
(gate derivatives) is computed for all steps at once before its loop.

Shapes: T steps, B sequences, H hidden units, G gates (1 for the tanh RNN, 3
for the GRU, 4 for the LSTM; stacked in PyTorch's order so weights map one to
one: GRU ``r, z, n``, LSTM ``i, f, g, o``). Hidden states are stored as
``(T + 1, B, H)`` with index 0 the initial state, so the state after the last
real step of sequence ``b`` is ``states[lengths[b], b]``; padded rows hold
zeros. Scratch arrays come from a :class:`Workspace`.
"""

import numpy as np


class Workspace:
    """Named scratch arrays reused from one batch to the next.

    Training keeps one for the whole run, so the large per-batch buffers are
    allocated once (fresh pages cost more than the arithmetic on them);
    predictions use a new one per call, which keeps them thread-safe.
    """

    def __init__(self):
        self._store = {}

    def empty(self, name, shape, dtype):
        size = int(np.prod(shape))
        buffer = self._store.get(name)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = self._store[name] = np.empty(max(size, 1), dtype=dtype)
        return buffer[:size].reshape(shape)

    def zeros(self, name, shape, dtype):
        out = self.empty(name, shape, dtype)
        out.fill(0.0)
        return out


class Trace:
    """What a cell's forward leaves for its backward.

    Attributes
    ----------
    proj : ndarray of shape (T, B, G * H)
        Input projections, filled by the layer before :meth:`forward`; gated
        cells overwrite them with the gate activations.
    states : ndarray of shape (T + 1, B, H)
        Hidden states; ``states[0]`` is the initial state.
    extra : dict
        Cell-specific arrays (the LSTM's cell states, the GRU's ``h W_hn``).
    """

    def __init__(self, proj, states, **extra):
        self.proj = proj
        self.states = states
        self.extra = extra


def _zero_padding(a, batch_sizes):
    """Zero ``a[t, n_t:]``, the padded rows of every step."""
    full = a.shape[1]
    for t, n in enumerate(batch_sizes):
        if n < full:
            a[t, n:] = 0.0


def _sum_over_steps(a, b):
    """``sum_t a[t].T @ b[t]`` as one GEMM over all steps."""
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


class RNNCell:
    """Elman cell ``h_t = tanh(x_t W_ih + b + h_{t-1} W_hh)``.

    The projection buffer is the state buffer itself (shifted by one step), so
    the forward loop adds ``h_{t-1} W_hh`` and applies tanh in place.
    """

    n_gates = 1
    n_states = 1
    has_hidden_bias = False

    gate_blocks = None

    @staticmethod
    def input_bias(b_ih, b_hh):
        return b_ih

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False):
        states = ws.empty(f"{key}.states", (n_steps + 1, n_seq, hidden), dtype)
        return Trace(states[1:], states)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        S = trace.states  # (T + 1, B, H)
        S[0] = h0[0]
        tmp = np.empty_like(S[0])
        for t, n in enumerate(batch_sizes):
            h = S[t + 1, :n]
            np.matmul(S[t, :n], W_hh, out=tmp[:n])
            h += tmp[:n]
            np.tanh(h, out=h)
            if n < S.shape[1]:
                S[t + 1, n:] = 0.0
        return trace

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows]]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        """Gradients from ``d_states`` (T + 1, B, H), which is overwritten.

        Returns ``d_proj`` (T, B, G * H), ``dW_hh``, ``db_hh`` (or None).
        """
        S = trace.states
        d_proj = ws.empty("d_proj", trace.proj.shape, S.dtype)  # (T, B, H)
        # tanh' = 1 - h**2 for all steps at once; zero on padded steps so that
        # they pass no gradient and add nothing to the weight gradients.
        np.square(S[1:], out=d_proj)
        np.subtract(1.0, d_proj, out=d_proj)
        _zero_padding(d_proj, batch_sizes)
        tmp = np.empty_like(S[0])
        for t in range(len(batch_sizes) - 1, -1, -1):
            n = batch_sizes[t]
            dz = d_proj[t, :n]
            dz *= d_states[t + 1, :n]
            np.matmul(dz, W_hh.T, out=tmp[:n])
            d_states[t, :n] += tmp[:n]
        return d_proj, _sum_over_steps(S[:-1], d_proj), None


def _gate_scale(blocks, hidden, dtype):
    """Per-column factors for stacked gates: 0.5 for sigmoid gates, 1 for tanh.

    ``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``: with the sigmoid gates'
    pre-activations halved (folded into the projections and a scaled copy of
    ``W_hh``), one ``tanh`` over all gates and one multiply-add give every
    activation; numpy's tanh is an order of magnitude faster than a sigmoid.
    """
    return np.repeat(np.asarray(blocks, dtype=dtype), hidden)


class GRUCell:
    """Gated recurrent unit with PyTorch's equations (gates ``r, z, n``)::

    r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
    z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
    n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
    h' = (1 - z) * n + z * h
    """

    n_gates = 3
    n_states = 1
    has_hidden_bias = True
    gate_blocks = (0.5, 0.5, 1.0)

    @staticmethod
    def input_bias(b_ih, b_hh):
        """b_hr and b_hz add to the input side once for all steps; b_hn stays
        inside ``r * (h W_hn + b_hn)``."""
        H = len(b_ih) // 3
        return np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]])

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False):
        shape = (n_steps, n_seq, hidden)
        extra = {
            "hidden_n": ws.empty(f"{key}.hn", shape, dtype),
            # gate-major copy of the gates: every gate's (B, H) block of a step
            # is contiguous, which makes numpy's element-wise calls 2-3x faster
            "by_gate": ws.empty(f"{key}.by_gate", (3,) + shape, dtype),
        }
        if training:  # per-step coefficients of the backward
            for name in ("coef_n", "coef_z", "coef_r"):
                extra[name] = ws.empty(f"{key}.{name}", shape, dtype)
        states = ws.empty(f"{key}.states", (n_steps + 1, n_seq, hidden), dtype)
        gates = ws.empty(f"{key}.gates", (n_steps, n_seq, 3 * hidden), dtype)
        return Trace(gates, states, **extra)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        S, extra = trace.states, trace.extra
        HN, Gm = extra["hidden_n"], extra["by_gate"]
        training = "coef_n" in extra
        T, B, H = HN.shape
        Gm[...] = trace.proj.reshape(T, B, 3, H).transpose(2, 0, 1, 3)
        W_s = W_hh * _gate_scale(self.gate_blocks, H, S.dtype)  # r, z columns halved
        W_by_gate = np.ascontiguousarray(W_s.reshape(H, 3, H).transpose(1, 0, 2))
        b_hn = b_hh[2 * H :]
        S[0] = h0[0]
        hh = np.empty(3 * B * H, dtype=S.dtype)
        tmp = np.empty((B, H), dtype=S.dtype)
        tmp2 = np.empty((B, H), dtype=S.dtype)
        for t, n in enumerate(batch_sizes):
            h_prev, a = S[t, :n], hh[: 3 * n * H].reshape(3, n, H)
            np.matmul(h_prev, W_by_gate, out=a)
            rz = Gm[:2, t, :n]
            rz += a[:2]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, new, a_n = Gm[0, t, :n], Gm[1, t, :n], Gm[2, t, :n], HN[t, :n]
            np.add(a[2], b_hn, out=a_n)  # h W_hn + b_hn
            np.multiply(r, a_n, out=tmp[:n])
            new += tmp[:n]
            np.tanh(new, out=new)
            h = S[t + 1, :n]  # h' = n + z * (h - n)
            diff = extra["coef_z"][t, :n] if training else tmp[:n]
            np.subtract(h_prev, new, out=diff)
            np.multiply(diff, z, out=h)
            h += new
            if training:
                self._coefficients(extra, t, n, r, z, new, a_n, diff, tmp[:n], tmp2[:n])
            if n < B:
                S[t + 1, n:] = 0.0
                HN[t, n:] = 0.0
                Gm[:, t, n:] = 0.0
        return trace

    @staticmethod
    def _coefficients(extra, t, n, r, z, new, a_n, diff, tmp, tmp2):
        """d h'/d(pre-activations), per step while the gates are in cache:
        n: (1 - z)(1 - n^2); z: (h - n) z (1 - z); r: (h W_hn + b_hn) r (1 - r)."""
        cn, cr = extra["coef_n"][t, :n], extra["coef_r"][t, :n]
        np.subtract(1.0, z, out=tmp)  # 1 - z
        np.multiply(new, new, out=cn)
        np.subtract(1.0, cn, out=cn)
        cn *= tmp
        tmp *= z  # z (1 - z)
        diff *= tmp
        np.subtract(1.0, r, out=tmp2)
        tmp2 *= r
        np.multiply(a_n, tmp2, out=cr)

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows]]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        S, extra = trace.states, trace.extra
        Gm = extra["by_gate"]
        T, B, H = extra["hidden_n"].shape
        r, z = Gm[0], Gm[1]
        coef_n, coef_z, coef_r = extra["coef_n"], extra["coef_z"], extra["coef_r"]
        W_by_gate_T = np.ascontiguousarray(W_hh.reshape(H, 3, H).transpose(1, 2, 0))
        # Gate-major d r, d z, d (h W_hn + b_hn) = d n * r (the hidden side, one
        # batched GEMM per step) and d n (with d r, d z: the input side).
        D = ws.empty("gru.d", (4, T, B, H), S.dtype)
        back = np.empty(3 * B * H, dtype=S.dtype)
        tmp = np.empty((B, H), dtype=S.dtype)
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh = d_states[t + 1, :n]
            np.multiply(dh, coef_n[t, :n], out=D[3, t, :n])
            np.multiply(dh, coef_z[t, :n], out=D[1, t, :n])
            np.multiply(D[3, t, :n], coef_r[t, :n], out=D[0, t, :n])
            np.multiply(D[3, t, :n], r[t, :n], out=D[2, t, :n])
            d_prev = d_states[t, :n]
            np.multiply(dh, z[t, :n], out=tmp[:n])
            d_prev += tmp[:n]
            per_gate = back[: 3 * n * H].reshape(3, n, H)
            np.matmul(D[:3, t, :n], W_by_gate_T, out=per_gate)
            per_gate.sum(axis=0, out=tmp[:n])
            d_prev += tmp[:n]
        for k in range(4):
            _zero_padding(D[k], batch_sizes)
        flat_states = S[:-1].reshape(T * B, H)
        dW = np.matmul(flat_states.T, D[:3].reshape(3, T * B, H))  # (3, H, H)
        dW_hh = dW.transpose(1, 0, 2).reshape(H, 3 * H)
        d_proj = ws.empty("d_proj", (T, B, 3 * H), S.dtype)
        P4 = d_proj.reshape(T, B, 3, H)
        for slot, k in enumerate((0, 1, 3)):
            P4[:, :, slot] = D[k]
        return d_proj, dW_hh, D[:3].sum(axis=(1, 2)).ravel()


class LSTMCell:
    """Long short-term memory with PyTorch's equations (gates ``i, f, g, o``)::

        i, f, o = sigmoid(x W_i* + h W_h* + b_*),  g = tanh(x W_ig + h W_hg + b_g)
        c' = f * c + i * g
        h' = o * tanh(c')

    Its state is ``(h, c)``; one bias per gate (PyTorch's ``b_ih + b_hh``).
    """

    n_gates = 4
    n_states = 2
    has_hidden_bias = False
    gate_blocks = (0.5, 0.5, 1.0, 0.5)
    input_bias = staticmethod(RNNCell.input_bias)

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False):
        extra = {
            "cells": ws.empty(f"{key}.cells", (n_steps + 1, n_seq, hidden), dtype),
            "tanh_c": ws.empty(f"{key}.tanh_c", (n_steps, n_seq, hidden), dtype),
        }
        if training:  # per-step coefficients of the backward
            extra["coef"] = ws.empty(f"{key}.coef", (n_steps, n_seq, 4 * hidden), dtype)
            extra["coef_c"] = ws.empty(f"{key}.coef_c", (n_steps, n_seq, hidden), dtype)
        states = ws.empty(f"{key}.states", (n_steps + 1, n_seq, hidden), dtype)
        gates = ws.empty(f"{key}.gates", (n_steps, n_seq, 4 * hidden), dtype)
        return Trace(gates, states, **extra)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        S, G, extra = trace.states, trace.proj, trace.extra
        C, TC = extra["cells"], extra["tanh_c"]
        training = "coef" in extra
        T, B, H = TC.shape
        scale = _gate_scale(self.gate_blocks, H, S.dtype)
        shift = _gate_scale((0.5, 0.5, 0.0, 0.5), H, S.dtype)
        W_s = W_hh * scale
        if training:
            # sigmoid' = 0.25 (1 - tanh(x/2)^2), tanh' = 1 - tanh^2
            slope = _gate_scale((0.25, 0.25, 1.0, 0.25), H, S.dtype)
        S[0], C[0] = h0[0], h0[1]
        acc = np.empty((B, 4 * H), dtype=S.dtype)
        tmp = np.empty((B, H), dtype=S.dtype)
        for t, n in enumerate(batch_sizes):
            g = G[t, :n]
            np.matmul(S[t, :n], W_s, out=acc[:n])
            g += acc[:n]
            np.tanh(g, out=g)
            if training:
                k = extra["coef"][t, :n]
                np.multiply(g, g, out=k)
                np.subtract(1.0, k, out=k)
                k *= slope
            g *= scale
            g += shift
            i, f, cand, o = g[:, :H], g[:, H : 2 * H], g[:, 2 * H : 3 * H], g[:, 3 * H :]
            c = C[t + 1, :n]
            np.multiply(f, C[t, :n], out=c)
            np.multiply(i, cand, out=tmp[:n])
            c += tmp[:n]
            np.tanh(c, out=TC[t, :n])
            np.multiply(o, TC[t, :n], out=S[t + 1, :n])
            if training:
                self._coefficients(extra, t, n, g, C[t, :n], TC[t, :n], H)
            if n < B:
                S[t + 1, n:] = 0.0
                C[t + 1, n:] = 0.0
                TC[t, n:] = 0.0
        return trace

    @staticmethod
    def _coefficients(extra, t, n, g, c_prev, tanh_c, H):
        """Scale the activation slopes into the gate coefficients of the
        backward, while the step's values are in cache: d i = dc g i',
        d f = dc c_prev f', d g = dc i g', d o = dh tanh(c) o', and
        dc += dh o (1 - tanh(c)^2)."""
        k = extra["coef"][t, :n]
        k[:, :H] *= g[:, 2 * H : 3 * H]
        k[:, H : 2 * H] *= c_prev
        k[:, 2 * H : 3 * H] *= g[:, :H]
        k[:, 3 * H :] *= tanh_c
        cc = extra["coef_c"][t, :n]
        np.multiply(tanh_c, tanh_c, out=cc)
        np.subtract(1.0, cc, out=cc)
        cc *= g[:, 3 * H :]

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows], trace.extra["cells"][lengths, rows]]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        S, G, extra = trace.states, trace.proj, trace.extra
        T, B, H = extra["tanh_c"].shape
        f = G[:, :, H : 2 * H]
        K4, coef_c = extra["coef"].reshape(T, B, 4, H), extra["coef_c"]
        d_proj = ws.empty("d_proj", G.shape, S.dtype)  # (T, B, 4H)
        D4 = d_proj.reshape(T, B, 4, H)
        dc = np.zeros((B, H), dtype=S.dtype)
        tmp = np.empty((B, H), dtype=S.dtype)
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh, dcn = d_states[t + 1, :n], dc[:n]
            np.multiply(dh, coef_c[t, :n], out=tmp[:n])
            dcn += tmp[:n]
            np.multiply(K4[t, :n, :3], dcn[:, None, :], out=D4[t, :n, :3])
            np.multiply(K4[t, :n, 3], dh, out=D4[t, :n, 3])
            dcn *= f[t, :n]
            np.matmul(d_proj[t, :n], W_hh.T, out=tmp[:n])
            d_states[t, :n] += tmp[:n]
        _zero_padding(d_proj, batch_sizes)
        return d_proj, _sum_over_steps(S[:-1], d_proj), None


CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
