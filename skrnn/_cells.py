"""Recurrent cells: the time loop, forward and backward side by side.

A cell sees only the recurrence. The layer in ``_network.py`` computes the
input projections of all steps with one GEMM (or one row lookup for token
ids) into ``trace.proj`` before the loop, and turns ``d_proj`` into the input
weight gradients with one GEMM after it; a cell that ``fuses_inputs`` (the
gated ones) takes dense inputs into its own recurrent GEMM instead, and
gathers looked-up rows into its own layout (``load_lookup``). Inside the loop
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
    proj : ndarray of shape (T, B, G * H), (T, G * H, B) or None
        Input projections, filled by the layer before :meth:`forward`
        (feature-major for a ``feature_major`` cell; None when the cell takes
        dense inputs into its own GEMM).
    states : ndarray of shape (T + 1, B, H)
        Hidden states (possibly a view); ``states[0]`` is the initial state.
    extra : dict
        Cell-specific arrays (the stacked ``[h; x; 1]`` buffer, the
        backward's per-step coefficients, the LSTM's cell states).
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


def _lookup(table, ids, out):
    """``out`` (T, B, n) = the sum over a step's ids ``ids[..., k]`` of their
    rows of ``table``: a token's input with no one-hot array."""
    np.take(table, ids[..., 0], axis=0, out=out, mode="clip")  # ids checked
    for slot in range(1, ids.shape[-1]):
        out += table[ids[..., slot]]
    return out


def _matmul_into(a, b, out, scratch, add=True):
    """``out += a @ b``, or ``out = a @ b`` without the pass over ``out``
    where it is known to be zero (not ``add``)."""
    if add:
        np.matmul(a, b, out=scratch)
        out += scratch
    else:
        np.matmul(a, b, out=out)


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

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws, ends_only=False):
        """Gradients from ``d_states`` (T + 1, B, H), which is overwritten.

        ``ends_only``: ``d_states`` is zero but at each sequence's last state
        (a last-step head), so the gradient from the next step is written,
        not added, at every running step. Returns ``d_proj`` (T, B, G * H)
        and a dict of weight gradients by name (``W_hh``, and ``b_hh``;
        ``W_ih`` and ``b_ih`` too from a cell that ``fuses_inputs``).
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
            _matmul_into(dz, W_hh.T, d_states[t, :n], tmp[:n], not ends_only)
        return d_proj, {"W_hh": _sum_over_steps(S[:-1], d_proj)}


def _gate_scale(blocks, hidden, dtype):
    """Per-column factors for stacked gates: 0.5 for sigmoid gates, 1 for tanh.

    ``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``: with the sigmoid gates'
    pre-activations halved (folded into the projections and a scaled copy of
    ``W_hh``), one ``tanh`` over all gates and one multiply-add give every
    activation; numpy's tanh is an order of magnitude faster than a sigmoid.
    """
    return np.repeat(np.asarray(blocks, dtype=dtype), hidden)


class _FusedCell:
    """What the gated cells share: a feature-major loop with fused inputs.

    The loop runs feature-major: a step's gates are a ``(4H, B)`` array, so
    every gate is a block of rows and the many element-wise calls run on
    contiguous memory (on the column blocks of ``(B, G * H)`` numpy is 2-3x
    slower). Dense inputs are fused into the recurrent GEMM
    (``fuses_inputs``): ``x_t`` and a row of ones sit below ``h_{t-1}`` in a
    stacked ``(H + d + 1, T + 1, B)`` buffer and the input weights and biases
    beside the recurrent ones, so one GEMM per step gives the pre-activations
    of its ``gemm_blocks`` row blocks and one GEMM after the backward loop
    their weight gradients; a separate projection spent as long adding its
    bias and summing the bias gradient as on its GEMM. Looked-up token rows
    arrive as projections, ``(T, G * H, B)`` (``feature_major``), added to
    the gate rows of the step's GEMM; the stacked buffer then holds
    ``[h; 1]``. The stacked buffer is unit-first, so its ``(T, B)`` axes
    merge without a copy and ``trace.states`` is a ``(T + 1, B, H)`` view.

    Per step the forward stores five ``(H, B)`` coefficient blocks, and the
    backward, a few multiplications by them and one GEMM, writes the four
    gate gradients of the step straight into a gate-first ``(4, H, T, B)``
    buffer, the stacked weights' row blocks: its ``(T, B)`` axes merge, so
    it is ``d_proj`` and one GEMM's operand with no copy. The backward is
    bound by memory traffic (the coefficients and gradients of 50 steps are
    megabytes), so a step writes nothing else there. A subclass sets
    ``proj_order`` (the PyTorch gate of each projection block),
    ``gemm_blocks`` and ``_stacked_weights``, and runs the loops.
    """

    feature_major = True
    fuses_inputs = True

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False, n_inputs=0):
        T, B, H = n_steps, n_seq, hidden
        stacked = ws.empty(f"{key}.stacked", (H + n_inputs + 1, T + 1, B), dtype)
        stacked[-1] = 1.0
        extra = {"stacked": stacked}
        if training:
            extra["coef"] = ws.empty(f"{key}.coef", (T, 5 * H, B), dtype)
        # a step's gates live in a scratch that stays in cache; only looked-up
        # rows, which the GEMM cannot take, need projections stored ahead
        G = self.n_gates
        proj = None if n_inputs else ws.empty(f"{key}.proj", (T, G * H, B), dtype)
        return Trace(proj, stacked[:H].transpose(1, 2, 0), **extra)

    def load_inputs(self, trace, inp, W_ih, b):
        """Place ``inp`` (T, B, d) in the stacked buffer and keep the input
        weights and bias (scaled like the projections) for :meth:`forward`."""
        X = trace.extra["stacked"]
        H = X.shape[0] - inp.shape[-1] - 1
        np.copyto(X[H:-1, :-1], inp.transpose(2, 0, 1))
        X[H:-1, -1] = 0.0
        trace.extra["input_weights"] = (W_ih, b)

    def load_lookup(self, trace, table, ids, scale, b, ws):
        """The rows of ``table`` (V, G * H) that token ids ``(T, B, k)``
        select, times ``scale``, into the projections in the loop's layout
        and order; the bias ``b`` goes into the GEMM (the GRU adds the part
        of ``n``, which its GEMM has no row for, to the projections).

        Both ways transpose something: a table no larger than the batch's
        rows (a character model) is transposed whole and each step gathers
        its columns; otherwise the looked-up rows are transposed, gate by
        gate."""
        T, B, _ = ids.shape
        GH = table.shape[1]
        H = GH // self.n_gates
        proj = trace.proj  # (T, G * H, B)
        if len(table) <= T * B:
            by_step = np.ascontiguousarray((table * scale)[:, self._loop_rows(H)].T)
            for t in range(T):
                np.take(by_step, ids[t, :, 0], axis=1, out=proj[t], mode="clip")  # ids checked
                for slot in range(1, ids.shape[-1]):
                    proj[t] += by_step[:, ids[t, :, slot]]
        else:
            rows = _lookup(table, ids, ws.empty("proj.rows", (T, B, GH), proj.dtype))
            rows *= scale
            by_gate = rows.reshape(T, B, self.n_gates, H)
            slots = proj.reshape(T, self.n_gates, H, B)
            for slot, gate in enumerate(self.proj_order):
                np.copyto(slots[:, slot], by_gate[:, :, gate].transpose(0, 2, 1))
        trace.extra["input_weights"] = (None, b)

    def _loop_rows(self, H):
        """Index of the PyTorch gate row (or column) behind each loop row."""
        return np.arange(self.n_gates * H).reshape(self.n_gates, H)[list(self.proj_order)].ravel()

    def d_states(self, ws, trace):
        T1, B, H = trace.states.shape
        return ws.zeros("fused.d_states", (T1, H, B), trace.states.dtype).transpose(0, 2, 1)

    def final_state(self, trace, lengths, rows):
        return [trace.states[lengths, rows]]

    def _loop_setup(self, trace, W_hh, b_hh, h0):
        X = trace.extra["stacked"]
        H, B = trace.states.shape[2], X.shape[2]
        W_in, b = trace.extra["input_weights"]
        W_all = np.zeros((self.gemm_blocks * H, X.shape[0]), dtype=X.dtype)  # [W_hh; W_ih; b].T
        self._stacked_weights(W_all, W_hh, b_hh, W_in, b, H)
        X[:H, 0] = h0[0].T
        return X, W_all, H, B

    def _gates(self, W_all, X, G, t, n, out):
        """A step's pre-activations: the GEMM on ``[h; x; 1]`` (plus the
        looked-up projections)."""
        np.matmul(W_all, X[:, t, :n], out=out)
        if G is not None:
            out[-G.shape[1] :] += G[t, :, :n]

    def _backward_setup(self, trace, d_states, ws):
        """Coefficients ``(T, 5, H, B)``, the states' gradient ``(T + 1, H,
        B)``, the gate-first gate gradients ``(4, H, T, B)`` and a step
        scratch."""
        K = trace.extra["coef"]
        T, H5, B = K.shape
        H = H5 // 5
        DS = np.ascontiguousarray(d_states.transpose(0, 2, 1))  # a view from d_states()
        D = ws.empty("fused.d_gates", (4, H, T, B), K.dtype)
        return K.reshape(T, 5, H, B), DS, D, np.empty((H, B), dtype=K.dtype)

    def _gradients(self, trace, D, batch_sizes):
        """The weight gradients, one GEMM of the gate-first gradients ``D``
        of the GEMM's blocks against the stacked ``[h; x; 1]``, and ``D`` as
        ``(4H, T, B)``."""
        X = trace.extra["stacked"]
        _, H, T, B = D.shape
        D2 = D.reshape(4 * H, T, B)
        _zero_padding(D2.transpose(1, 2, 0), batch_sizes)
        rows = self.gemm_blocks * H
        dW = (D2[:rows].reshape(rows, T * B) @ X[:, :T].reshape(len(X), T * B).T).T
        return dW, D2, X.shape[0] > H + 1  # dW: ([h; x; 1], rows)


class GRUCell(_FusedCell):
    """Gated recurrent unit with PyTorch's equations (gates ``r, z, n``)::

    r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
    z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
    n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
    h' = (1 - z) * n + z * h

    A step's gate rows are ``h W_hn + b_hn``, ``r``, ``z``, ``x W_in + b_in``
    (then ``n``): the input side of ``n`` and its hidden side, which ``r``
    scales, need rows of their own, and this order keeps ``r, z, n``
    together for the input gradients. The step's GEMM makes the first three
    blocks; the input side of ``n`` needs no ``h``, so it is made for all
    steps before the loop, by one GEMM on the stacked ``[x; 1]`` (a zero
    block in the step's GEMM cost a quarter of its time) or from the
    looked-up rows, and its weight gradients by one more after the backward.
    """

    n_gates = 3
    n_states = 1
    gemm_blocks = 3  # h W_hn + b_hn, r, z
    has_hidden_bias = True
    gate_blocks = (0.5, 0.5, 1.0)
    proj_order = (0, 1, 2)  # projection row block -> PyTorch gate

    @staticmethod
    def input_bias(b_ih, b_hh):
        """b_hr and b_hz add to the input side; b_hn stays inside
        ``r * (h W_hn + b_hn)``."""
        H = len(b_ih) // 3
        return np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]])

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False, n_inputs=0):
        trace = super().allocate(ws, key, n_steps, n_seq, hidden, dtype, training, n_inputs)
        if n_inputs:
            trace.extra["input_n"] = ws.empty(f"{key}.input_n", (hidden, n_steps, n_seq), dtype)
        return trace

    @staticmethod
    def _stacked_weights(W_all, W_hh, b_hh, W_in, b, H):
        W_all[:H, :H] = W_hh[:, 2 * H :].T
        W_all[:H, -1] = b_hh[2 * H :]
        W_all[H:, :H] = 0.5 * W_hh[:, : 2 * H].T
        if W_in is not None:
            W_all[H:, H:-1] = W_in[:, : 2 * H].T
        W_all[H:, -1] = b[: 2 * H]

    def _input_n(self, trace, H):
        """``x W_in + b_in`` of every step, ``(T, H, B)``, and the looked-up
        projections of ``r, z`` (or None)."""
        W_in, b = trace.extra["input_weights"]
        if W_in is None:  # looked up: the rows are in trace.proj
            G = trace.proj
            G[:, 2 * H :] += b[2 * H :, None]
            return G[:, 2 * H :], G[:, : 2 * H]
        X, N = trace.extra["stacked"], trace.extra["input_n"]
        _, T, B = N.shape
        W_n = np.concatenate([W_in[:, 2 * H :], b[None, 2 * H :]]).T  # [W_in; b_in].T
        np.matmul(W_n, X[H:, :T].reshape(len(X) - H, T * B), out=N.reshape(H, T * B))
        return N.transpose(1, 0, 2), None

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        extra = trace.extra
        X, W_all, H, B = self._loop_setup(trace, W_hh, b_hh, h0)
        N, G = self._input_n(trace, H)
        K = extra.get("coef")
        gates = np.empty((4 * H, B), dtype=X.dtype)
        tmp = np.empty((3, H, B), dtype=X.dtype)
        for t, n in enumerate(batch_sizes):
            g = gates[:, :n]
            self._gates(W_all, X, G, t, n, g[: 3 * H])
            rz = g[H : 3 * H]  # sigmoid(x) = 0.5 + 0.5 tanh(x / 2)
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            hn, r, z, new = g[:H], g[H : 2 * H], g[2 * H : 3 * H], g[3 * H :]
            diff, scratch, h = tmp[0, :, :n], tmp[1, :, :n], tmp[2, :, :n]
            np.multiply(r, hn, out=scratch)
            np.add(N[t, :, :n], scratch, out=new)
            np.tanh(new, out=new)
            np.subtract(X[:H, t, :n], new, out=diff)  # h' = n + z (h - n)
            np.multiply(diff, z, out=h)
            h += new
            X[:H, t + 1, :n] = h
            if K is not None:
                self._coefficients(K[t, :, :n], g, diff, tmp[1:, :, :n].reshape(2 * H, n))
            if n < B:
                X[:H, t + 1, n:] = 0.0
        return trace

    @staticmethod
    def _coefficients(k, g, diff, scratch):
        """Blocks ``r``, ``hn r (1 - r)``, ``(h - n) z (1 - z)``,
        ``(1 - z)(1 - n^2)`` and ``z``: what the backward multiplies d n by
        to get d (h W_hn + b_hn) and d r, and d h' / d of the other
        pre-activations."""
        H = len(diff)
        hn, rz, new = g[:H], g[H : 3 * H], g[3 * H :]
        k5 = k.reshape(5, H, -1)
        np.copyto(k5[0:5:4], rz.reshape(2, H, -1))  # r, z
        np.subtract(1.0, rz, out=scratch)  # 1 - r, 1 - z
        np.multiply(new, new, out=k5[3])
        np.subtract(1.0, k5[3], out=k5[3])
        k5[3] *= scratch[H:]
        scratch *= rz
        np.multiply(scratch[:H], hn, out=k5[1])
        np.multiply(scratch[H:], diff, out=k5[2])

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws, ends_only=False):
        K, DS, D, tmp = self._backward_setup(trace, d_states, ws)
        _, H, T, B = D.shape
        W_nrz = np.concatenate([W_hh[:, 2 * H :], W_hh[:, : 2 * H]], axis=1)
        hidden_side = D[:3].reshape(3 * H, T, B)  # d (h W_hn + b_hn), d r, d z
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh, tmp_n, k5, d = DS[t + 1, :, :n], tmp[:, :n], K[t, :, :, :n], D[:, :, t, :n]
            np.multiply(k5[2:4], dh, out=d[2:])  # d z, d n
            np.multiply(k5[:2], d[3], out=d[:2])  # d (h W_hn + b_hn), d r
            d_prev = DS[t, :, :n]
            _matmul_into(W_nrz, hidden_side[:, t, :n], d_prev, tmp_n, not ends_only)
            np.multiply(k5[4], dh, out=tmp_n)
            d_prev += tmp_n
        dW, gate_first, fused = self._gradients(trace, D, batch_sizes)  # n_h, r, z
        X = trace.extra["stacked"]  # and n_x against [x; 1]:
        d_n = D[3].reshape(H, T * B) @ X[H:, :T].reshape(len(X) - H, T * B).T
        grads = {
            "W_hh": np.concatenate([dW[:H, H:], dW[:H, :H]], axis=1),
            "b_hh": np.concatenate([dW[-1, H:], dW[-1, :H]]),
            "b_ih": np.concatenate([dW[-1, H:], d_n[:, -1]]),
        }
        if fused:
            grads["W_ih"] = np.concatenate([dW[H:-1, H:], d_n[:, :-1].T], axis=1)
        return gate_first[H:].transpose(1, 2, 0), grads  # d_proj as (T, B, 3H): r, z, n


class LSTMCell(_FusedCell):
    """Long short-term memory with PyTorch's equations (gates ``i, f, g, o``)::

        i, f, o = sigmoid(x W_i* + h W_h* + b_*),  g = tanh(x W_ig + h W_hg + b_g)
        c' = f * c + i * g
        h' = o * tanh(c')

    Its state is ``(h, c)``; one bias per gate (PyTorch's ``b_ih + b_hh``).
    A step's scratch rows are ``tanh(c'), g, o, i, f``: the GEMM writes the
    last four, the three sigmoid gates are one block, and every pair of
    blocks the coefficients combine lies side by side, so each pair is one
    call on contiguous rows.
    """

    n_gates = 4
    n_states = 2
    gemm_blocks = 4
    has_hidden_bias = False
    gate_blocks = (0.5, 0.5, 1.0, 0.5)
    proj_order = (2, 3, 0, 1)  # loop row block -> PyTorch gate
    input_bias = staticmethod(RNNCell.input_bias)

    def allocate(self, ws, key, n_steps, n_seq, hidden, dtype, training=False, n_inputs=0):
        trace = super().allocate(ws, key, n_steps, n_seq, hidden, dtype, training, n_inputs)
        T, B, H = n_steps, n_seq, hidden
        trace.extra["cells"] = ws.empty(f"{key}.cells", (T + 1, H, B), dtype)
        if training:  # the forget gate, for dc's way back
            trace.extra["forget"] = ws.empty(f"{key}.forget", (T, H, B), dtype)
        return trace

    def _stacked_weights(self, W_all, W_hh, b_hh, W_in, b, H):
        W_all[:, :H] = (W_hh * _gate_scale(self.gate_blocks, H, W_all.dtype)).T
        if W_in is not None:
            W_all[:, H:-1] = W_in.T
        W_all[:, -1] = b
        W_all[...] = W_all[self._loop_rows(H)]

    def forward(self, trace, W_hh, b_hh, batch_sizes, h0):
        G, extra = trace.proj, trace.extra
        X, W_all, H, B = self._loop_setup(trace, W_hh, b_hh, h0)
        C, K = extra["cells"], extra.get("coef")
        C[0] = h0[1].T
        scratch = np.empty((5 * H, B), dtype=X.dtype)  # tanh(c'), g, o, i, f
        pair = np.empty((2 * H, B), dtype=X.dtype)  # h', i g
        factors = np.empty((3 * H, B), dtype=X.dtype)
        for t, n in enumerate(batch_sizes):
            s = scratch[:, :n]
            gates = s[H:]
            self._gates(W_all, X, G, t, n, gates)
            np.tanh(gates, out=gates)
            sig = s[2 * H :]  # sigmoid(x) = 0.5 + 0.5 tanh(x / 2)
            sig *= 0.5
            sig += 0.5
            tanh_c, cand, o, i, f = (s[k * H : (k + 1) * H] for k in range(5))
            p = pair[:, :n]
            h, i_cand = p[:H], p[H:]
            c, c_prev = C[t + 1, :, :n], C[t, :, :n]
            np.multiply(i, cand, out=i_cand)
            if K is not None:  # f c_prev is a coefficient too: keep it there
                f_c = K[t, 2 * H : 3 * H, :n]
                np.copyto(extra["forget"][t, :, :n], f)
            else:
                f_c = c
            np.multiply(f, c_prev, out=f_c)
            np.add(f_c, i_cand, out=c)
            np.tanh(c, out=tanh_c)
            np.multiply(o, tanh_c, out=h)
            X[:H, t + 1, :n] = h
            if K is not None:
                self._coefficients(K[t, :, :n], s, p, factors[:, :n])
            if n < B:
                X[:H, t + 1, n:] = 0.0
                C[t + 1, :, n:] = 0.0
        return trace

    @staticmethod
    def _coefficients(k, s, p, factors):
        """Blocks ``o (1 - o) tanh(c)``, ``i (1 - i) g``, ``f (1 - f) c_prev``,
        ``o (1 - tanh(c)^2)`` and ``i (1 - g^2)``: with ``dh`` and ``dc`` they
        give d o, d i, d f, dh's share of dc and d g. They come from the
        scratch ``s = [tanh(c); g; o; i; f]``, ``p = [h; i g]`` (``h = o
        tanh(c)``) and ``f c_prev``, already in the third block."""
        H = len(p) // 2
        np.subtract(1.0, s[2 * H :], out=factors)  # 1 - o, 1 - i, 1 - f
        np.multiply(factors[: 2 * H], p, out=k[: 2 * H])
        k[2 * H : 3 * H] *= factors[2 * H :]
        np.multiply(p, s[: 2 * H], out=factors[: 2 * H])  # h tanh(c), i g g
        np.subtract(s[2 * H : 4 * H], factors[: 2 * H], out=k[3 * H :])

    def final_state(self, trace, lengths, rows):
        cells = trace.extra["cells"][lengths, :, rows]
        return super().final_state(trace, lengths, rows) + [cells]

    def backward(self, trace, d_states, W_hh, b_hh, batch_sizes, ws, ends_only=False):
        K, DS, D, tmp = self._backward_setup(trace, d_states, ws)
        _, H, T, B = D.shape
        forget = trace.extra["forget"]
        dc = np.zeros((H, B), dtype=D.dtype)
        gates = D.reshape(4 * H, T, B)
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh, dcn, tmp_n, k5, d = (
                DS[t + 1, :, :n],
                dc[:, :n],
                tmp[:, :n],
                K[t, :, :, :n],
                D[:, :, t, :n],
            )
            np.multiply(k5[0], dh, out=d[3])  # d o
            np.multiply(k5[3], dh, out=tmp_n)  # dh's share of dc
            dcn += tmp_n
            np.multiply(k5[1:3], dcn, out=d[:2])  # d i, d f
            np.multiply(k5[4], dcn, out=d[2])  # d g
            dcn *= forget[t, :, :n]
            _matmul_into(W_hh, gates[:, t, :n], DS[t, :, :n], tmp_n, not ends_only)
        dW, gate_first, fused = self._gradients(trace, D, batch_sizes)  # i, f, g, o
        grads = {"W_hh": dW[:H], "b_ih": dW[-1]}
        if fused:
            grads["W_ih"] = dW[H:-1]
        return gate_first.transpose(1, 2, 0), grads  # d_proj as (T, B, 4H)


CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
