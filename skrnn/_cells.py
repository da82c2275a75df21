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
from scipy.special import expit


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

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype):
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

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype):
        states = ws.empty(f"{key}.states", (n_steps + 1, n_seq, hidden), dtype)
        gates = ws.empty(f"{key}.gates", (n_steps, n_seq, 3 * hidden), dtype)
        hidden_n = ws.empty(f"{key}.hn", (n_steps, n_seq, hidden), dtype)
        return Trace(gates, states, hidden_n=hidden_n)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        S, G, HN = trace.states, trace.proj, trace.extra["hidden_n"]
        T, B, H = HN.shape
        S[0] = h0[0]
        hh = np.empty((B, 3 * H), dtype=S.dtype)
        tmp = np.empty((B, H), dtype=S.dtype)
        for t, n in enumerate(batch_sizes):
            h_prev, g, a = S[t, :n], G[t, :n], hh[:n]
            np.matmul(h_prev, W_hh, out=a)
            a += b_hh
            rz = g[:, : 2 * H]
            rz += a[:, : 2 * H]
            expit(rz, out=rz)
            HN[t, :n] = a[:, 2 * H :]  # h W_hn + b_hn, for the backward
            new = g[:, 2 * H :]
            np.multiply(g[:, :H], a[:, 2 * H :], out=tmp[:n])
            new += tmp[:n]
            np.tanh(new, out=new)
            h = S[t + 1, :n]  # h' = n + z * (h - n)
            np.subtract(h_prev, new, out=h)
            h *= g[:, H : 2 * H]
            h += new
            if n < B:
                S[t + 1, n:] = 0.0
                HN[t, n:] = 0.0
        return trace

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows]]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        S, G, HN = trace.states, trace.proj, trace.extra["hidden_n"]
        T, B, H = HN.shape
        G4 = G.reshape(T, B, 3, H)
        r, z, new = G4[:, :, 0], G4[:, :, 1], G4[:, :, 2]
        # Per-step coefficients that do not depend on the incoming gradient.
        coef_n = ws.empty("gru.cn", (T, B, H), S.dtype)  # (1 - z)(1 - n^2)
        np.square(new, out=coef_n)
        np.subtract(1.0, coef_n, out=coef_n)
        coef_n *= 1.0 - z
        coef_z = ws.empty("gru.cz", (T, B, H), S.dtype)  # (h - n) z (1 - z)
        np.subtract(S[:-1], new, out=coef_z)
        coef_z *= z
        coef_z *= 1.0 - z
        coef_r = ws.empty("gru.cr", (T, B, H), S.dtype)  # (h W_hn + b_hn) r (1 - r)
        np.multiply(HN, r, out=coef_r)
        coef_r *= 1.0 - r
        d_proj = ws.empty("d_proj", G.shape, S.dtype)  # (T, B, 3H)
        d_hidden = ws.empty("gru.dhh", G.shape, S.dtype)  # d(h W_hh + b_hh)
        D4, DH4 = d_proj.reshape(T, B, 3, H), d_hidden.reshape(T, B, 3, H)
        tmp = np.empty((B, H), dtype=S.dtype)
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh = d_states[t + 1, :n]
            np.multiply(dh, coef_n[t, :n], out=D4[t, :n, 2])
            np.multiply(dh, coef_z[t, :n], out=D4[t, :n, 1])
            np.multiply(D4[t, :n, 2], coef_r[t, :n], out=D4[t, :n, 0])
            DH4[t, :n, :2] = D4[t, :n, :2]
            np.multiply(D4[t, :n, 2], r[t, :n], out=DH4[t, :n, 2])
            d_prev = d_states[t, :n]
            np.multiply(dh, z[t, :n], out=tmp[:n])
            d_prev += tmp[:n]
            np.matmul(d_hidden[t, :n], W_hh.T, out=tmp[:n])
            d_prev += tmp[:n]
        _zero_padding(d_proj, batch_sizes)
        _zero_padding(d_hidden, batch_sizes)
        dW_hh = _sum_over_steps(S[:-1], d_hidden)
        return d_proj, dW_hh, d_hidden.sum(axis=(0, 1))


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

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype):
        states = ws.empty(f"{key}.states", (n_steps + 1, n_seq, hidden), dtype)
        gates = ws.empty(f"{key}.gates", (n_steps, n_seq, 4 * hidden), dtype)
        cells = ws.empty(f"{key}.cells", (n_steps + 1, n_seq, hidden), dtype)
        tanh_c = ws.empty(f"{key}.tanh_c", (n_steps, n_seq, hidden), dtype)
        return Trace(gates, states, cells=cells, tanh_c=tanh_c)

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        S, G = trace.states, trace.proj
        C, TC = trace.extra["cells"], trace.extra["tanh_c"]
        T, B, H = TC.shape
        S[0], C[0] = h0[0], h0[1]
        acc = np.empty((B, 4 * H), dtype=S.dtype)
        tmp = np.empty((B, H), dtype=S.dtype)
        for t, n in enumerate(batch_sizes):
            g = G[t, :n]
            np.matmul(S[t, :n], W_hh, out=acc[:n])
            g += acc[:n]
            expit(g[:, : 2 * H], out=g[:, : 2 * H])
            np.tanh(g[:, 2 * H : 3 * H], out=g[:, 2 * H : 3 * H])
            expit(g[:, 3 * H :], out=g[:, 3 * H :])
            c = C[t + 1, :n]
            np.multiply(g[:, H : 2 * H], C[t, :n], out=c)
            np.multiply(g[:, :H], g[:, 2 * H : 3 * H], out=tmp[:n])
            c += tmp[:n]
            np.tanh(c, out=TC[t, :n])
            np.multiply(g[:, 3 * H :], TC[t, :n], out=S[t + 1, :n])
            if n < B:
                S[t + 1, n:] = 0.0
                C[t + 1, n:] = 0.0
                TC[t, n:] = 0.0
        return trace

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows], trace.extra["cells"][lengths, rows]]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws):
        S, G = trace.states, trace.proj
        C, TC = trace.extra["cells"], trace.extra["tanh_c"]
        T, B, H = TC.shape
        G4 = G.reshape(T, B, 4, H)
        i, f, g, o = (G4[:, :, k] for k in range(4))
        # Coefficients of the gate pre-activation gradients, all steps at once:
        # d i = dc g i(1-i), d f = dc c_prev f(1-f), d g = dc i (1-g^2),
        # d o = dh tanh(c) o(1-o); and dc += dh o (1 - tanh(c)^2).
        coef = ws.empty("lstm.coef", G.shape, S.dtype)
        K4 = coef.reshape(T, B, 4, H)
        np.multiply(g, i, out=K4[:, :, 0])
        K4[:, :, 0] *= 1.0 - i
        np.multiply(C[:-1], f, out=K4[:, :, 1])
        K4[:, :, 1] *= 1.0 - f
        np.square(g, out=K4[:, :, 2])
        np.subtract(1.0, K4[:, :, 2], out=K4[:, :, 2])
        K4[:, :, 2] *= i
        np.multiply(TC, o, out=K4[:, :, 3])
        K4[:, :, 3] *= 1.0 - o
        coef_c = ws.empty("lstm.cc", TC.shape, S.dtype)
        np.square(TC, out=coef_c)
        np.subtract(1.0, coef_c, out=coef_c)
        coef_c *= o
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
