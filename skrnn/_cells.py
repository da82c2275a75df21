"""Recurrent cells: the time loop, forward and backward side by side.

A cell sees only the recurrence. The layer in ``_network.py`` computes the
input projections of all steps with one GEMM (or one row lookup for token
ids) into ``trace.proj`` before the loop, and turns ``d_proj`` into the input
weight gradients with one GEMM after it; a cell that ``fuses_inputs`` (the
LSTM) takes the inputs into its own recurrent GEMM instead. Inside the loop
each step does the recurrent product and the element-wise work, in place, on
the rows still running (sequences are sorted by decreasing length, so those
are a prefix). When training, the forward also stores, per step and while the
values are in cache, the factors the backward multiplies its incoming
gradient by, so the backward loop is a few multiplications and one GEMM.

Shapes: T steps, B sequences, H hidden units, G gates (1 for the tanh RNN, 3
for the GRU, 4 for the LSTM; stacked in PyTorch's order so weights map one to
one: GRU ``r, z, n``, LSTM ``i, f, g, o``). Hidden states are seen as
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
    feature_major = False
    fuses_inputs = False

    @staticmethod
    def input_bias(b_ih, b_hh):
        return b_ih

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False, n_inputs=0):
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

    def d_states(self, ws, trace):
        """A zeroed ``(T + 1, B, H)`` gradient of the states for :meth:`backward`."""
        return ws.zeros("d_states", trace.states.shape, trace.states.dtype)

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        """Gradients from ``d_states`` (T + 1, B, H), which is overwritten.

        Returns ``d_proj`` (T, B, G * H) and a dict of weight gradients by
        name (``W_hh``, and ``b_hh``; ``W_ih`` and ``b_ih`` too from a cell
        that ``fuses_inputs``).
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
        return d_proj, {"W_hh": _sum_over_steps(S[:-1], d_proj)}


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
    feature_major = False
    fuses_inputs = False

    @staticmethod
    def input_bias(b_ih, b_hh):
        """b_hr and b_hz add to the input side once for all steps; b_hn stays
        inside ``r * (h W_hn + b_hn)``."""
        H = len(b_ih) // 3
        return np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]])

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False, n_inputs=0):
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

    final_state = RNNCell.final_state
    d_states = RNNCell.d_states

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
        return d_proj, {"W_hh": dW_hh, "b_hh": D[:3].sum(axis=(1, 2)).ravel()}


class LSTMCell:
    """Long short-term memory with PyTorch's equations (gates ``i, f, g, o``)::

        i, f, o = sigmoid(x W_i* + h W_h* + b_*),  g = tanh(x W_ig + h W_hg + b_g)
        c' = f * c + i * g
        h' = o * tanh(c')

    Its state is ``(h, c)``; one bias per gate (PyTorch's ``b_ih + b_hh``).

    The loop runs feature-major: a step's gates are a ``(4H, B)`` array, so
    every gate is a block of rows and the many element-wise calls run on
    contiguous memory (on the column blocks of ``(B, 4H)`` numpy is 2-3x
    slower). Dense inputs are fused into the recurrent GEMM
    (``fuses_inputs``): ``x_t`` and a row of ones sit below ``h_{t-1}`` in a
    stacked ``(H + d + 1, T + 1, B)`` buffer and ``W_ih``, ``b`` beside
    ``W_hh``, so one GEMM per step gives the whole pre-activation and one GEMM
    after the backward loop all three weight gradients; this beats a
    separate projection, whose bias add and bias sum alone cost as much as
    its GEMM. Looked-up token rows still arrive as projections, ``(T, 4H,
    B)`` (``feature_major``). The stacked buffer and the gate gradients
    ``(4H, T, B)`` are unit-first: their ``(T, B)`` axes merge without a
    copy, and ``trace.states`` and ``d_proj`` are ``(T + 1, B, H)`` and
    ``(T, B, 4H)`` views of them.
    """

    n_gates = 4
    n_states = 2
    has_hidden_bias = False
    gate_blocks = (0.5, 0.5, 1.0, 0.5)
    feature_major = True
    fuses_inputs = True
    loop_order = (0, 1, 3, 2)  # slot -> PyTorch gate: the sigmoid gates together
    input_bias = staticmethod(RNNCell.input_bias)

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False, n_inputs=0):
        T, B, H = n_steps, n_seq, hidden
        rows = H + n_inputs + 1 if n_inputs else H
        stacked = ws.empty(f"{key}.stacked", (rows, T + 1, B), dtype)
        extra = {"stacked": stacked, "cells": ws.empty(f"{key}.cells", (T + 1, H, B), dtype)}
        if training:  # what the backward needs of each step
            # d i, d f, d g, d o per unit of dc or dh, then dc's own
            extra["coef"] = ws.empty(f"{key}.coef", (T, 5 * H, B), dtype)
            extra["forget"] = ws.empty(f"{key}.forget", (T, H, B), dtype)
        # looked-up projections; fused inputs need none, and the gates of a
        # step live in a scratch that stays in cache
        proj = None if n_inputs else ws.empty(f"{key}.proj", (T, 4 * H, B), dtype)
        return Trace(proj, stacked[:H].transpose(1, 2, 0), **extra)

    def load_inputs(self, trace, inp, W_ih, b):
        """Place ``inp`` (T, B, d) in the stacked buffer and keep the input
        weights and bias (scaled like the projections) for :meth:`forward`."""
        X = trace.extra["stacked"]
        H = X.shape[0] - inp.shape[-1] - 1
        np.copyto(X[H:-1, :-1], inp.transpose(2, 0, 1))
        X[H:-1, -1] = 0.0
        X[-1] = 1.0
        trace.extra["input_weights"] = (W_ih, b)

    def load_projections(self, trace, rows, b):
        """Looked-up input rows ``(T, B, 4H)`` plus the bias ``b`` into the
        gate buffer, in the loop's layout and gate order."""
        rows += b
        T, B, H4 = rows.shape
        by_gate = rows.reshape(T, B, 4, H4 // 4)
        slots = trace.proj.reshape(T, 4, H4 // 4, B)
        for slot, gate in enumerate(self.loop_order):
            np.copyto(slots[:, slot], by_gate[:, :, gate].transpose(0, 2, 1))

    def d_states(self, ws, trace):
        T1, B, H = trace.states.shape
        return ws.zeros("lstm.d_states", (T1, H, B), trace.states.dtype).transpose(0, 2, 1)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        G, extra = trace.proj, trace.extra
        X, C = extra["stacked"], extra["cells"]
        training = "coef" in extra
        H, B = C.shape[1:]
        W_all = np.empty((4 * H, X.shape[0]), dtype=X.dtype)  # [W_hh; W_ih; b].T
        W_all[:, :H] = (W_hh * _gate_scale(self.gate_blocks, H, X.dtype)).T
        if "input_weights" in extra:
            W_ih, b = extra["input_weights"]
            W_all[:, H:-1], W_all[:, -1] = W_ih.T, b
        W_all = self._gates_in_loop_order(W_all)
        X[:H, 0], C[0] = h0[0].T, h0[1].T
        gates = np.empty((4 * H, B), dtype=X.dtype)
        acc = np.empty((3 * H, B), dtype=X.dtype)
        tmp = np.empty((3, H, B), dtype=X.dtype)
        for t, n in enumerate(batch_sizes):
            g, a = gates[:, :n], acc[:, :n]
            if G is None:
                np.matmul(W_all, X[:, t, :n], out=g)
            else:
                np.matmul(W_all, X[:H, t, :n], out=g)
                g += G[t, :, :n]
            np.tanh(g, out=g)
            sig = g[: 3 * H]  # sigmoid(x) = 0.5 + 0.5 tanh(x / 2)
            sig *= 0.5
            sig += 0.5
            i, f, o, cand = g[:H], g[H : 2 * H], g[2 * H : 3 * H], g[3 * H :]
            i_cand, tanh_c, h = tmp[0, :, :n], tmp[1, :, :n], tmp[2, :, :n]
            c, c_prev = C[t + 1, :, :n], C[t, :, :n]
            np.multiply(i, cand, out=i_cand)
            if training:  # f c_prev is a coefficient too: keep it there
                f_c = extra["coef"][t, H : 2 * H, :n]
                np.copyto(extra["forget"][t, :, :n], f)
            else:
                f_c = c
            np.multiply(f, c_prev, out=f_c)
            np.add(f_c, i_cand, out=c)
            np.tanh(c, out=tanh_c)
            np.multiply(o, tanh_c, out=h)
            X[:H, t + 1, :n] = h
            if training:
                self._coefficients(extra, t, n, g, i_cand, tanh_c, h, a)
            if n < B:
                X[:H, t + 1, n:] = 0.0
                C[t + 1, :, n:] = 0.0
        return trace

    @staticmethod
    def _gates_in_loop_order(a):
        """Rows of ``a`` from PyTorch's gate order ``i, f, g, o`` to the
        loop's ``i, f, o, g``, which puts the three sigmoid gates together."""
        blocks = a.reshape(4, -1, *a.shape[1:])
        return blocks[list(LSTMCell.loop_order)].reshape(a.shape)

    @staticmethod
    def _coefficients(extra, t, n, g, i_cand, tanh_c, h, scratch):
        """The backward's per-step factors (in PyTorch's gate order), from
        values still in cache: d i = dc g i (1 - i), d f = dc c_prev f (1 - f),
        d g = dc i (1 - g^2), d o = dh tanh(c) o (1 - o), and
        dc += dh o (1 - tanh(c)^2); the products ``i g``, ``f c_prev`` and
        ``h = o tanh(c)`` are reused."""
        H = len(tanh_c)
        k, s = extra["coef"][t, :, :n], scratch[: 3 * H]
        i, o, cand = g[:H], g[2 * H : 3 * H], g[3 * H :]
        np.subtract(1.0, g[: 3 * H], out=s)  # 1 - i, 1 - f, 1 - o
        np.multiply(s[:H], i_cand, out=k[:H])
        k[H : 2 * H] *= s[H : 2 * H]
        np.multiply(s[2 * H :], h, out=k[3 * H : 4 * H])
        np.multiply(i_cand, cand, out=s[:H])  # i (1 - g^2) = i - i g g
        np.subtract(i, s[:H], out=k[2 * H : 3 * H])
        np.multiply(h, tanh_c, out=s[:H])  # o (1 - tanh(c)^2) = o - h tanh(c)
        np.subtract(o, s[:H], out=k[4 * H :])

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows], trace.extra["cells"][lengths, :, rows]]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        extra = trace.extra
        X, K, forget = extra["stacked"], extra["coef"], extra["forget"]
        T, H5, B = K.shape
        H = H5 // 5
        DS = np.ascontiguousarray(d_states.transpose(0, 2, 1))  # a view from d_states()
        # d i, d f, d g, d o, and dh's share of dc (a scratch that lets one
        # call multiply both by dh)
        D = ws.empty("lstm.d_gates", (5 * H, T, B), X.dtype)
        D5 = D.reshape(5, H, T, B)
        dc = np.zeros((H, B), dtype=X.dtype)
        tmp = np.empty((H, B), dtype=X.dtype)
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh, dcn, tmp_n = DS[t + 1, :, :n], dc[:, :n], tmp[:, :n]
            k = K[t, :, :n]
            np.multiply(k[3 * H :].reshape(2, H, n), dh, out=D5[3:, :, t, :n])
            dcn += D5[4, :, t, :n]
            np.multiply(k[: 3 * H].reshape(3, H, n), dcn, out=D5[:3, :, t, :n])
            dcn *= forget[t, :, :n]
            np.matmul(W_hh, D[: 4 * H, t, :n], out=tmp_n)
            DS[t, :, :n] += tmp_n
            if n < B:
                D[:, t, n:] = 0.0
        D2 = D[: 4 * H].reshape(4 * H, T * B)
        rows = X.shape[0]
        dW_all = (D2 @ X[:, :T].reshape(rows, T * B).T).T  # (H [+ d + 1], 4H)
        grads = {"W_hh": dW_all[:H]}
        if "input_weights" in extra:
            grads["W_ih"], grads["b_ih"] = dW_all[H:-1], dW_all[-1]
        return D[: 4 * H].transpose(1, 2, 0), grads  # d_proj as (T, B, 4H)


CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
