"""Recurrent cells: one interface, forward and backward side by side.

A cell owns a recurrent layer's arithmetic: its parameters
(:meth:`param_shapes`, :meth:`initialize`), its input side (dense inputs
``(T, B, d)``, or integer token ids ``(T, B, k)`` whose rows of ``W_ih`` are
looked up and summed, never expanded to one-hot), the time loop, and every
gradient, the input's included when asked for. The network stacks cells and
knows nothing of their layouts.

Inside the loop each step does the recurrent product and the element-wise
work, in place, on the rows still running (sequences are sorted by decreasing
length, so those are a prefix). When training, the forward also stores, per
step and while the values are in cache, the factors the backward multiplies
its incoming gradient by, so the backward loop is a few multiplications and
one GEMM.

Two layouts. The gated cells run feature-major: a step's gates are one
``(G * H, B)`` array whose gates are blocks of contiguous rows, and dense
inputs ride in the recurrent GEMM (see :class:`_GatedCell`). The tanh cell
keeps a time-major ``(T + 1, B, H)`` state buffer that is also its projection
buffer: with one gate there are only two element-wise calls a step (the add
and the tanh), so the gated layout has little to save, and its stacked
``[h; x; 1]`` buffer costs a copy of every state into it. Written as the
one-gate case of the gated loop, a forward and backward pass of one batch of
64 sequences of 50 steps (32 features, 128 units) took 2.12 ms against
1.96 ms this way (``benchmarks/bench_cell_layout.py``).

Shapes: T steps, B sequences, H hidden units, G gates (1 for the tanh RNN, 3
for the GRU, 4 for the LSTM; stored in PyTorch's order so weights map one to
one: GRU ``r, z, n``, LSTM ``i, f, g, o``). Hidden states are seen as
``(T + 1, B, H)`` with index 0 the initial state, so the state after the last
real step of sequence ``b`` is ``states[lengths[b], b]``; padded rows hold
zeros. Scratch arrays come from a :class:`Workspace`.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


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


def is_token_ids(inputs):
    """Integer inputs are token ids; the core never sees integer values."""
    return inputs.dtype.kind in "iu"


def _zero_padding(a, batch_sizes):
    """Zero ``a[t, n_t:]``, the padded rows of every step."""
    full = a.shape[1]
    for t, n in enumerate(batch_sizes):
        if n < full:
            a[t, n:] = 0.0


def lookup_rows(table, ids, out):
    """``out`` (T, B, n) = the sum over a step's ids ``ids[..., k]`` of their
    rows of ``table``: a token's input with no one-hot array."""
    np.take(table, ids[..., 0], axis=0, out=out, mode="clip")  # ids checked
    for slot in range(1, ids.shape[-1]):
        out += table[ids[..., slot]]
    return out


def _sorted_ids(ids):
    """The flat ids in slot-major order, the order that sorts them, the
    sorted ids and where each distinct id's run starts."""
    flat = ids.reshape(-1, ids.shape[-1]).T.ravel()  # (k * T * B,)
    order = np.argsort(flat, kind="stable")
    sorted_ids = flat[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    return flat, order, sorted_ids, starts


def scatter_rows(ids, values, out):
    """``out[i] = sum of values[r] over the steps r whose ids include i``.

    The transpose of :func:`lookup_rows`, with no one-hot array: the rows of
    ``values`` (T * B, n) are summed per id by a sparse (distinct ids,
    T * B) product. ``out`` is written in place (ids absent from the batch
    get zero, and so does row 0: the padding id is never trained).
    """
    n_rows = len(values)
    flat, order, sorted_ids, starts = _sorted_ids(ids)
    out[...] = 0.0
    # built as CSR directly: the ids are sorted, so each id's row of the
    # matrix is one run of ``order`` (a COO input costs twice the product)
    ones = np.ones(len(flat), dtype=values.dtype)
    row_starts = np.r_[starts, len(flat)]
    matrix = sp.csr_matrix((ones, order % n_rows, row_starts), shape=(len(starts), n_rows))
    out[sorted_ids[starts]] = matrix @ np.ascontiguousarray(values)
    out[0] = 0.0


def scatter_columns(ids, columns, out):
    """:func:`scatter_rows` for gate-first values, ``columns`` (n, T * B).

    When ids repeat a lot (a character model) the columns are gathered in
    id order and summed with ``np.add.reduceat`` along their contiguous
    axis; otherwise they are transposed for the sparse product. numpy's
    transposing copies crawl on power-of-two strides, so the copy is
    avoided where it can be.
    """
    flat, order, sorted_ids, starts = _sorted_ids(ids)
    if 8 * len(starts) > len(flat):
        scatter_rows(ids, columns.T, out)
        return
    out[...] = 0.0
    by_id = np.take(columns, order % columns.shape[1], axis=1)
    out[sorted_ids[starts]] = np.add.reduceat(by_id, starts, axis=1).T
    out[0] = 0.0


def _input_side_backward(inputs, d_proj, W_ih, grads, input_grad):
    """``W_ih``'s gradient from the pre-activations' gradient ``d_proj``
    (T * B, G * H): a scatter by id for token ids, a GEMM for dense inputs;
    returns d(loss)/d(inputs) for dense inputs when ``input_grad``."""
    if is_token_ids(inputs):
        scatter_rows(inputs, d_proj, grads["W_ih"])
        return None
    grads["W_ih"][...] = inputs.reshape(-1, inputs.shape[-1]).T @ d_proj
    return (d_proj @ W_ih.T).reshape(inputs.shape) if input_grad else None


def _matmul_into(a, b, out, scratch, add=True):
    """``out += a @ b``, or ``out = a @ b`` without the pass over ``out``
    where it is known to be zero (not ``add``)."""
    if add:
        np.matmul(a, b, out=scratch)
        out += scratch
    else:
        np.matmul(a, b, out=out)


def _orthogonal(n, rng):
    """A random orthogonal n x n matrix (QR of a Gaussian, signs fixed so the
    distribution is uniform; Saxe et al., 2014)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


class _Cell:
    """Parameters and initialisation, shared by every cell.

    A cell is ``n_gates`` stacked gates of ``H`` units with weights ``W_ih``
    (d, G * H), ``W_hh`` (H, G * H) and biases ``b_ih`` (and ``b_hh`` where
    ``hidden_bias``), PyTorch's names and layout.
    """

    hidden_bias = False

    def param_shapes(self, n_inputs, hidden):
        """``(name, shape, is_weight)`` of the layer's parameters, in order."""
        GH = self.n_gates * hidden
        shapes = [("W_ih", (n_inputs, GH), True), ("W_hh", (hidden, GH), True)]
        shapes.append(("b_ih", (GH,), False))
        if self.hidden_bias:
            shapes.append(("b_hh", (GH,), False))
        return shapes

    def initialize(self, params, rng, recurrent_init, forget_bias):
        """PyTorch's Uniform(-1/sqrt(H), 1/sqrt(H)) weights (or an orthogonal
        matrix per gate for ``W_hh``) and zero biases."""
        H = params["W_hh"].shape[0]
        bound = 1.0 / np.sqrt(H)
        for name, view in params.items():
            if name == "W_hh" and recurrent_init == "orthogonal":
                for gate in range(self.n_gates):
                    view[:, gate * H : (gate + 1) * H] = _orthogonal(H, rng)
            elif name.startswith("W"):
                view[...] = rng.uniform(-bound, bound, view.shape)
            else:
                view[...] = 0.0

    def final_state(self, trace, lengths):
        """States after each sequence's last real step, ``(n_states, B, H)``."""
        return trace.states[lengths, np.arange(len(lengths))][None]


@dataclass(eq=False)
class _TanhTrace:
    inputs: np.ndarray  # (T, B, d) values or (T, B, k) ids
    states: np.ndarray  # (T + 1, B, H); states[1:] first held the projections


class RNNCell(_Cell):
    """Elman cell ``h_t = tanh(x_t W_ih + b + h_{t-1} W_hh)``.

    The projections of all steps are one GEMM (or one row lookup) into the
    state buffer itself, shifted by one step, so the loop adds
    ``h_{t-1} W_hh`` and applies tanh in place.
    """

    n_gates = 1
    n_states = 1
    gates = ("h",)

    def forward(self, inputs, params, batch_sizes, h0, ws, key, training=False):
        W_ih, W_hh = params["W_ih"], params["W_hh"]
        (T, B), H = inputs.shape[:2], W_hh.shape[0]
        S = ws.empty(f"{key}.states", (T + 1, B, H), W_hh.dtype)
        proj = S[1:]
        if is_token_ids(inputs):
            lookup_rows(W_ih, inputs, proj)
        else:
            np.matmul(inputs.reshape(-1, inputs.shape[-1]), W_ih, out=proj.reshape(-1, H))
        proj += params["b_ih"]
        S[0] = h0[0]
        tmp = np.empty_like(S[0])
        for t, n in enumerate(batch_sizes):
            h = S[t + 1, :n]
            np.matmul(S[t, :n], W_hh, out=tmp[:n])
            h += tmp[:n]
            np.tanh(h, out=h)
            if n < B:
                S[t + 1, n:] = 0.0
        return _TanhTrace(inputs, S)

    def d_states(self, ws, trace):
        """A zeroed ``(T + 1, B, H)`` gradient of the states for :meth:`backward`."""
        return ws.zeros("d_states", trace.states.shape, trace.states.dtype)

    def backward(self, trace, d_states, params, grads, batch_sizes, ws, *, accumulate, input_grad):
        """Write every parameter's gradient into ``grads`` from ``d_states``
        (T + 1, B, H), which is overwritten; return the inputs' gradient
        when ``input_grad`` (dense inputs only).

        ``accumulate=False`` says ``d_states`` is zero wherever the next
        step's gradient lands (a head that seeds only each sequence's last
        state), so the recurrent gradient is written, not added.
        """
        S = trace.states
        T, B, H = S.shape[0] - 1, S.shape[1], S.shape[2]
        d_proj = ws.empty("d_proj", (T, B, H), S.dtype)
        # tanh' = 1 - h**2 for all steps at once; zero on padded steps so that
        # they pass no gradient and add nothing to the weight gradients.
        np.square(S[1:], out=d_proj)
        np.subtract(1.0, d_proj, out=d_proj)
        _zero_padding(d_proj, batch_sizes)
        tmp = np.empty_like(S[0])
        W_hh_T = params["W_hh"].T
        for t in range(len(batch_sizes) - 1, -1, -1):
            n = batch_sizes[t]
            dz = d_proj[t, :n]
            dz *= d_states[t + 1, :n]
            _matmul_into(dz, W_hh_T, d_states[t, :n], tmp[:n], accumulate)
        d2 = d_proj.reshape(T * B, H)
        grads["W_hh"][...] = S[:-1].reshape(T * B, H).T @ d2
        grads["b_ih"][...] = d2.sum(axis=0)
        return _input_side_backward(trace.inputs, d2, params["W_ih"], grads, input_grad)


def _gate_scale(blocks, hidden, dtype):
    """Per-column factors for stacked gates: 0.5 for sigmoid gates, 1 for tanh.

    ``sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)``: with the sigmoid gates'
    pre-activations halved (folded into the projections and a scaled copy of
    ``W_hh``), one ``tanh`` over all gates and one multiply-add give every
    activation; numpy's tanh is an order of magnitude faster than a sigmoid.
    """
    return np.repeat(np.asarray(blocks, dtype=dtype), hidden)


@dataclass(eq=False)
class _GatedTrace:
    inputs: np.ndarray  # (T, B, d) values or (T, B, k) ids
    stacked: np.ndarray  # (H + d + 1, T + 1, B): [h; x; 1], or [h; 1] for ids
    states: np.ndarray  # (T + 1, B, H), a view of stacked[:H]
    proj: np.ndarray | None  # (T, G * H, B) looked-up rows in loop order, or None
    W_in: np.ndarray | None  # scaled input weights (dense inputs), or None
    bias: np.ndarray  # scaled input-side bias, PyTorch order
    coef: np.ndarray | None  # (T, 5 * H, B) backward coefficients (training)


class _GatedCell(_Cell):
    """What the gated cells share: a feature-major loop with fused inputs.

    A step's gates are a ``(G * H, B)`` array, so every gate is a block of
    rows and the many element-wise calls run on contiguous memory (on the
    column blocks of ``(B, G * H)`` numpy is 2-3x slower). Dense inputs are
    fused into the recurrent GEMM: ``x_t`` and a row of ones sit below
    ``h_{t-1}`` in a stacked ``(H + d + 1, T + 1, B)`` buffer and the input
    weights and biases beside the recurrent ones, so one GEMM per step gives
    the pre-activations of its ``gemm_gates`` and one GEMM after the
    backward loop their weight gradients; a separate projection spends as
    long adding its bias and summing the bias gradient as on its GEMM.
    Looked-up token rows arrive as projections, ``(T, G * H, B)`` in loop
    order, added to the gate rows of the step's GEMM; the stacked buffer
    then holds ``[h; 1]``. The stacked buffer is unit-first, so its
    ``(T, B)`` axes merge without a copy and ``states`` is a
    ``(T + 1, B, H)`` view.

    Per step the forward stores five ``(H, B)`` coefficient blocks, and the
    backward, a few multiplications by them and one GEMM, writes the four
    gate-gradient blocks of the step straight into a gate-first
    ``(4, H, T, B)`` buffer, the stacked weights' row blocks: its ``(T, B)``
    axes merge, so it is one GEMM's operand with no copy. The backward is
    bound by memory traffic (the coefficients and gradients of 50 steps are
    megabytes), so a step writes nothing else there.

    A subclass names its gates: ``gates`` in PyTorch's order,
    ``loop_gates`` in the order of the loop's rows, ``gemm_gates`` (how many
    of the loop's blocks the step's GEMM makes), ``sigmoid_gates``; and it
    defines ``_stacked_weights``, its ``trace_type`` and the loops.
    """

    def _gate_index(self, names):
        return [self.gates.index(name) for name in names]

    def _scale(self, hidden, dtype):
        blocks = [0.5 if gate in self.sigmoid_gates else 1.0 for gate in self.gates]
        return _gate_scale(blocks, hidden, dtype)

    def _loop_rows(self, H):
        """Index of the PyTorch gate row (or column) behind each loop row."""
        blocks = np.arange(self.n_gates * H).reshape(self.n_gates, H)
        return blocks[self._gate_index(self.loop_gates)].ravel()

    def _input_bias(self, params):
        return params["b_ih"]

    def _start(self, inputs, params, h0, ws, key, training):
        """The trace of a forward: the stacked buffer with the inputs (or the
        looked-up rows) in place and the scaled input weights and bias."""
        H, dtype = params["W_hh"].shape[0], params["W_hh"].dtype
        T, B = inputs.shape[:2]
        ids = is_token_ids(inputs)
        n_inputs = 0 if ids else inputs.shape[-1]
        stacked = ws.empty(f"{key}.stacked", (H + n_inputs + 1, T + 1, B), dtype)
        stacked[-1] = 1.0
        stacked[:H, 0] = h0[0].T
        coef = ws.empty(f"{key}.coef", (T, 5 * H, B), dtype) if training else None
        scale = self._scale(H, dtype)
        bias = self._input_bias(params) * scale
        trace = self.trace_type(
            inputs, stacked, stacked[:H].transpose(1, 2, 0), None, None, bias, coef
        )
        if ids:
            # a step's gates live in a scratch that stays in cache; only looked-up
            # rows, which the GEMM cannot take, need projections stored ahead
            trace.proj = ws.empty(f"{key}.proj", (T, self.n_gates * H, B), dtype)
            self._load_lookup(trace, params["W_ih"], inputs, scale, ws)
        else:
            np.copyto(stacked[H:-1, :-1], inputs.transpose(2, 0, 1))
            stacked[H:-1, -1] = 0.0
            trace.W_in = params["W_ih"] * scale
        return trace

    def _load_lookup(self, trace, table, ids, scale, ws):
        """The rows of ``table`` (V, G * H) that token ids ``(T, B, k)``
        select, times ``scale``, into the projections in the loop's layout
        and order.

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
            rows = lookup_rows(table, ids, ws.empty("proj.rows", (T, B, GH), proj.dtype))
            rows *= scale
            by_gate = rows.reshape(T, B, self.n_gates, H)
            slots = proj.reshape(T, self.n_gates, H, B)
            for slot, gate in enumerate(self._gate_index(self.loop_gates)):
                np.copyto(slots[:, slot], by_gate[:, :, gate].transpose(0, 2, 1))

    def d_states(self, ws, trace):
        T1, B, H = trace.states.shape
        return ws.zeros("gated.d_states", (T1, H, B), trace.states.dtype).transpose(0, 2, 1)

    def _loop_weights(self, trace, params):
        """``[W_hh; W_ih; b].T`` of the step's GEMM, scaled, in loop order."""
        X = trace.stacked
        H = params["W_hh"].shape[0]
        W_all = np.zeros((self.gemm_gates * H, X.shape[0]), dtype=X.dtype)
        self._stacked_weights(W_all, params, trace.W_in, trace.bias, H)
        return W_all

    @staticmethod
    def _gates(W_all, X, G, t, n, out):
        """A step's pre-activations: the GEMM on ``[h; x; 1]`` (plus the
        looked-up projections)."""
        np.matmul(W_all, X[:, t, :n], out=out)
        if G is not None:
            out[-G.shape[1] :] += G[t, :, :n]

    def _backward_setup(self, trace, d_states, ws):
        """Coefficients ``(T, 5, H, B)``, the states' gradient ``(T + 1, H,
        B)``, the gate-first gate gradients ``(4, H, T, B)`` and a step
        scratch."""
        K = trace.coef
        T, H5, B = K.shape
        H = H5 // 5
        DS = np.ascontiguousarray(d_states.transpose(0, 2, 1))  # a view from d_states()
        D = ws.empty("gated.d_gates", (4, H, T, B), K.dtype)
        return K.reshape(T, 5, H, B), DS, D, np.empty((H, B), dtype=K.dtype)

    def _gemm_gradient(self, trace, D, batch_sizes):
        """One GEMM of the gate-first gradients ``D`` of the GEMM's blocks
        against the stacked ``[h; x; 1]``: ``([h; x; 1], G * H)``."""
        X = trace.stacked
        _, H, T, B = D.shape
        _zero_padding(D.reshape(4 * H, T, B).transpose(1, 2, 0), batch_sizes)
        rows = self.gemm_gates * H
        return (D.reshape(4 * H, T * B)[:rows] @ X[:, :T].reshape(len(X), T * B).T).T

    def _input_backward(self, trace, d_gates, params, grads, input_grad):
        """The input side's gradients the stacked GEMM did not give, from the
        gate-first gradients ``d_gates`` (G * H, T * B) in PyTorch order:
        ``W_ih`` by id for token ids, and the inputs' gradient."""
        if is_token_ids(trace.inputs):
            scatter_columns(trace.inputs, d_gates, grads["W_ih"])
            return None
        return (d_gates.T @ params["W_ih"].T).reshape(trace.inputs.shape) if input_grad else None


@dataclass(eq=False)
class _GRUTrace(_GatedTrace):
    input_n: np.ndarray | None = None  # (T, H, B): x W_in + b_in of every step


class GRUCell(_GatedCell):
    """Gated recurrent unit with PyTorch's equations (gates ``r, z, n``)::

        r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
        z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
        n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
        h' = (1 - z) * n + z * h

    A step's gate rows are ``h W_hn + b_hn``, ``r``, ``z`` (made by the
    step's GEMM), then ``x W_in + b_in`` and ``n``: the input side of ``n``
    and its hidden side, which ``r`` scales, need rows of their own. The
    input side of ``n`` needs no ``h``, so it is made for all steps before
    the loop, by one GEMM on the stacked ``[x; 1]`` (a zero block in the
    step's GEMM would cost a quarter of its time) or from the looked-up
    rows, and its weight gradients by one more after the backward.
    """

    n_gates = 3
    n_states = 1
    hidden_bias = True
    gates = ("r", "z", "n")
    loop_gates = ("r", "z", "n")  # the order of the looked-up rows
    gemm_gates = 3  # h W_hn + b_hn, r, z
    sigmoid_gates = ("r", "z")
    trace_type = _GRUTrace

    def _input_bias(self, params):
        """b_hr and b_hz add to the input side; b_hn stays inside
        ``r * (h W_hn + b_hn)``."""
        b_ih, b_hh = params["b_ih"], params["b_hh"]
        H = len(b_ih) // 3
        return np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]])

    @staticmethod
    def _stacked_weights(W_all, params, W_in, b, H):
        W_hh, b_hh = params["W_hh"], params["b_hh"]
        W_all[:H, :H] = W_hh[:, 2 * H :].T
        W_all[:H, -1] = b_hh[2 * H :]
        W_all[H:, :H] = 0.5 * W_hh[:, : 2 * H].T
        if W_in is not None:
            W_all[H:, H:-1] = W_in[:, : 2 * H].T
        W_all[H:, -1] = b[: 2 * H]

    def _input_n(self, trace, H, ws, key):
        """``x W_in + b_in`` of every step, ``(T, H, B)``, and the looked-up
        projections of ``r, z`` (or None)."""
        if trace.W_in is None:  # looked up: the rows are in trace.proj
            G = trace.proj
            G[:, 2 * H :] += trace.bias[2 * H :, None]
            return G[:, 2 * H :], G[:, : 2 * H]
        X = trace.stacked
        T, B = X.shape[1] - 1, X.shape[2]
        N = trace.input_n = ws.empty(f"{key}.input_n", (H, T, B), X.dtype)
        W_n = np.concatenate([trace.W_in[:, 2 * H :], trace.bias[None, 2 * H :]]).T
        np.matmul(W_n, X[H:, :T].reshape(len(X) - H, T * B), out=N.reshape(H, T * B))
        return N.transpose(1, 0, 2), None

    def forward(self, inputs, params, batch_sizes, h0, ws, key, training=False):
        trace = self._start(inputs, params, h0, ws, key, training)
        X, H, B = trace.stacked, params["W_hh"].shape[0], inputs.shape[1]
        W_all = self._loop_weights(trace, params)
        N, G = self._input_n(trace, H, ws, key)
        K = trace.coef
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
        r, z = rz[:H], rz[H:]
        k_r, k_hn, k_z, k_n, k_h = k.reshape(5, H, -1)
        np.copyto(k_r, r)
        np.copyto(k_h, z)
        np.subtract(1.0, rz, out=scratch)  # 1 - r, 1 - z
        np.multiply(new, new, out=k_n)
        np.subtract(1.0, k_n, out=k_n)
        k_n *= scratch[H:]
        scratch *= rz
        np.multiply(scratch[:H], hn, out=k_hn)
        np.multiply(scratch[H:], diff, out=k_z)

    def backward(self, trace, d_states, params, grads, batch_sizes, ws, *, accumulate, input_grad):
        """As :meth:`RNNCell.backward`."""
        K, DS, D, tmp = self._backward_setup(trace, d_states, ws)
        _, H, T, B = D.shape
        W_hh = params["W_hh"]
        W_nrz = np.concatenate([W_hh[:, 2 * H :], W_hh[:, : 2 * H]], axis=1)
        hidden_side = D[:3].reshape(3 * H, T, B)  # d (h W_hn + b_hn), d r, d z
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh, tmp_n, k5, d = DS[t + 1, :, :n], tmp[:, :n], K[t, :, :, :n], D[:, :, t, :n]
            np.multiply(k5[2:4], dh, out=d[2:])  # d z, d n
            np.multiply(k5[:2], d[3], out=d[:2])  # d (h W_hn + b_hn), d r
            d_prev = DS[t, :, :n]
            _matmul_into(W_nrz, hidden_side[:, t, :n], d_prev, tmp_n, accumulate)
            np.multiply(k5[4], dh, out=tmp_n)
            d_prev += tmp_n
        dW = self._gemm_gradient(trace, D, batch_sizes)  # rows [h; x; 1], cols hn, r, z
        X = trace.stacked  # and n's input side against [x; 1]:
        d_n = D[3].reshape(H, T * B) @ X[H:, :T].reshape(len(X) - H, T * B).T
        grads["W_hh"][...] = np.concatenate([dW[:H, H:], dW[:H, :H]], axis=1)
        grads["b_hh"][...] = np.concatenate([dW[-1, H:], dW[-1, :H]])
        grads["b_ih"][...] = np.concatenate([dW[-1, H:], d_n[:, -1]])
        if trace.W_in is not None:
            grads["W_ih"][...] = np.concatenate([dW[H:-1, H:], d_n[:, :-1].T], axis=1)
        d_gates = D.reshape(4 * H, T * B)[H:]  # r, z, n
        return self._input_backward(trace, d_gates, params, grads, input_grad)


@dataclass(eq=False)
class _LSTMTrace(_GatedTrace):
    cells: np.ndarray | None = None  # (T + 1, H, B) cell states
    forget: np.ndarray | None = None  # (T, H, B) forget gates (training)


class LSTMCell(_GatedCell):
    """Long short-term memory with PyTorch's equations (gates ``i, f, g, o``)::

        i, f, o = sigmoid(x W_i* + h W_h* + b_*),  g = tanh(x W_ig + h W_hg + b_g)
        c' = f * c + i * g
        h' = o * tanh(c')

    Its state is ``(h, c)``; one bias per gate (PyTorch's ``b_ih + b_hh``).
    A step's scratch rows are ``tanh(c')`` and the gates in loop order
    ``g, o, i, f``: the GEMM writes the gates, the three sigmoid gates are
    one block, and every pair of blocks the coefficients combine lies side by
    side, so each pair is one call on contiguous rows.
    """

    n_gates = 4
    n_states = 2
    gates = ("i", "f", "g", "o")
    loop_gates = ("g", "o", "i", "f")
    gemm_gates = 4
    sigmoid_gates = ("i", "f", "o")
    trace_type = _LSTMTrace

    def initialize(self, params, rng, recurrent_init, forget_bias):
        """As every cell, with the forget gate's bias at ``forget_bias``
        (Jozefowicz et al., 2015, recommend 1)."""
        super().initialize(params, rng, recurrent_init, forget_bias)
        H = params["W_hh"].shape[0]
        params["b_ih"][H : 2 * H] = forget_bias

    def _stacked_weights(self, W_all, params, W_in, b, H):
        W_all[:, :H] = (params["W_hh"] * self._scale(H, W_all.dtype)).T
        if W_in is not None:
            W_all[:, H:-1] = W_in.T
        W_all[:, -1] = b
        W_all[...] = W_all[self._loop_rows(H)]

    def forward(self, inputs, params, batch_sizes, h0, ws, key, training=False):
        trace = self._start(inputs, params, h0, ws, key, training)
        X, H, B = trace.stacked, params["W_hh"].shape[0], inputs.shape[1]
        T = X.shape[1] - 1
        C = trace.cells = ws.empty(f"{key}.cells", (T + 1, H, B), X.dtype)
        K = trace.coef
        forget = trace.forget = ws.empty(f"{key}.forget", (T, H, B), X.dtype) if training else None
        W_all, G = self._loop_weights(trace, params), trace.proj
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
                np.copyto(forget[t, :, :n], f)
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

    def final_state(self, trace, lengths):
        cells = trace.cells[lengths, :, np.arange(len(lengths))]
        return np.concatenate([super().final_state(trace, lengths), cells[None]])

    def backward(self, trace, d_states, params, grads, batch_sizes, ws, *, accumulate, input_grad):
        """As :meth:`RNNCell.backward`."""
        K, DS, D, tmp = self._backward_setup(trace, d_states, ws)
        _, H, T, B = D.shape
        W_hh = params["W_hh"]
        dc = np.zeros((H, B), dtype=D.dtype)
        gates = D.reshape(4 * H, T, B)  # PyTorch order i, f, g, o
        forget = trace.forget
        # coefficient blocks k5: o, i, f, dh's share of dc, g; gate blocks d: i, f, g, o
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            dh, dcn, tmp_n = DS[t + 1, :, :n], dc[:, :n], tmp[:, :n]
            k5, d = K[t, :, :, :n], D[:, :, t, :n]
            np.multiply(k5[0], dh, out=d[3])  # d o
            np.multiply(k5[3], dh, out=tmp_n)  # dh's share of dc
            dcn += tmp_n
            np.multiply(k5[1:3], dcn, out=d[:2])  # d i, d f
            np.multiply(k5[4], dcn, out=d[2])  # d g
            dcn *= forget[t, :, :n]
            _matmul_into(W_hh, gates[:, t, :n], DS[t, :, :n], tmp_n, accumulate)
        dW = self._gemm_gradient(trace, D, batch_sizes)  # rows [h; x; 1], cols i, f, g, o
        grads["W_hh"][...] = dW[:H]
        grads["b_ih"][...] = dW[-1]
        if trace.W_in is not None:
            grads["W_ih"][...] = dW[H:-1]
        return self._input_backward(trace, D.reshape(4 * H, T * B), params, grads, input_grad)


CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}
