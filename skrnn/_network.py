"""Layers stacked and bidirectional, the heads, and the losses.

:class:`RecurrentNetwork` owns every weight in one flat vector (``coef``) and
hands out named views of it (``params``), so optimizers, clipping and L2 work
on one array and pickles hold nothing but that vector and its layout.
"""

import numpy as np
import scipy.sparse as sp

from ._cells import CELLS, Workspace, _gate_scale, _lookup
from ._sequences import DENSE


def softmax(z):
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def identity(z):
    return z


OUTPUT_ACTIVATIONS = {"softmax": softmax, "identity": identity}


def log_loss(prob, target, weight):
    """Cross-entropy of integer targets; returns loss and d(loss)/d(logits).

    ``weight`` (one per row) carries the mean over samples and zeroes padded
    steps; ``prob`` is overwritten with the gradient.
    """
    rows = np.arange(len(target))
    picked = prob[rows, target]
    loss = -np.dot(weight, np.log(np.maximum(picked, np.finfo(prob.dtype).tiny)))
    prob[rows, target] -= 1.0
    prob *= weight[:, None]
    return float(loss), prob


def squared_loss(pred, target, weight):
    """Half squared error summed over outputs; ``pred`` becomes the gradient."""
    pred -= target
    loss = 0.5 * np.dot(weight, np.einsum("ij,ij->i", pred, pred))
    pred *= weight[:, None]
    return float(loss), pred


LOSS_FUNCTIONS = {"log_loss": log_loss, "squared_error": squared_loss}


def _orthogonal(n, rng):
    """A random orthogonal n x n matrix (QR of a Gaussian, signs fixed so the
    distribution is uniform; Saxe et al., 2014)."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def reversal_index(lengths, n_steps):
    """``(T, B)`` time index that reverses each sequence within its length.

    Padded steps map to themselves; the map is its own inverse.
    """
    steps = np.arange(n_steps)[:, None]
    return np.where(steps < lengths[None, :], lengths[None, :] - 1 - steps, steps)


def _scatter_rows(ids, values, out):
    """``out[i] = sum of values[r] over the steps r whose ids include i``.

    The transpose of the row lookup, with no one-hot array: the rows of
    ``values`` (T * B, n) are put in id order and summed per id, by a sparse
    (unique ids, T * B) product, or, for gate-first ``values`` (a transposed
    view) whose ids repeat a lot (a character model), by ``np.add.reduceat``
    along their contiguous axis: the sparse product needs row-major values,
    and numpy's transposing copies crawl on power-of-two strides. ``out`` is
    written in place (ids absent from the batch get zero, and so does row 0:
    the padding id is never trained).
    """
    n_rows = len(values)
    flat = ids.reshape(n_rows, -1).T.ravel()  # slot-major (k * T * B,)
    order = np.argsort(flat, kind="stable")
    sorted_ids = flat[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    out[...] = 0.0
    if values.flags.c_contiguous or 8 * len(starts) > len(flat):
        # built as CSR directly: the ids are sorted, so each id's row of the
        # matrix is one run of ``order`` (a COO input costs twice the product)
        ones = np.ones(len(flat), dtype=values.dtype)
        row_starts = np.r_[starts, len(flat)]
        matrix = sp.csr_matrix((ones, order % n_rows, row_starts), shape=(len(starts), n_rows))
        out[sorted_ids[starts]] = matrix @ np.ascontiguousarray(values)
    else:
        by_id = np.take(np.asfortranarray(values).T, order % n_rows, axis=1)
        out[sorted_ids[starts]] = np.add.reduceat(by_id, starts, axis=1).T
    out[0] = 0.0


class RecurrentNetwork:
    """Recurrent layers, a head and an output layer over one flat weight vector.

    Parameters
    ----------
    n_inputs : int
        Features per step (dense) or vocabulary size (token ids).
    n_outputs : int
        Output units (classes for softmax, targets for identity).
    input_kind : {'dense', 'tokens'}
    embedding_dim : int or None
        For token ids: the width of a learned embedding table ``W_emb``
        (V, E) whose rows are the first layer's dense inputs. None looks the
        ids up in the first layer's input weights instead (DESIGN §3), an
        embedding as wide as the gates.
    hidden_size, num_layers, bidirectional, cell : as the estimators'.
    head : {'last', 'every'}
        Predict from the last real state of each sequence or from every step.
    output_activation : {'softmax', 'identity'}
    dtype : numpy dtype
    """

    def __init__(
        self,
        n_inputs,
        n_outputs,
        *,
        input_kind,
        hidden_size,
        embedding_dim=None,
        num_layers=1,
        bidirectional=False,
        cell="rnn",
        head="last",
        output_activation="softmax",
        dtype=np.float32,
    ):
        self.n_inputs = n_inputs
        self.n_outputs = n_outputs
        self.input_kind = input_kind
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim if input_kind != DENSE else None
        self.num_layers = num_layers
        self.n_directions = 2 if bidirectional else 1
        self.cell = cell
        self.head = head
        self.output_activation = output_activation
        self.dtype = np.dtype(dtype)
        self.coef = np.zeros(self._n_params(), dtype=self.dtype)
        self.params = self._views(self.coef)

    # ----------------------------------------------------------------- layout
    def _shapes(self):
        """(name, shape, is_weight) for every parameter, in storage order."""
        H, G = self.hidden_size, CELLS[self.cell].n_gates
        shapes = []
        n_in = self.n_inputs
        if self.embedding_dim is not None:
            shapes.append(("W_emb", (n_in, self.embedding_dim), True))
            n_in = self.embedding_dim
        for layer in range(self.num_layers):
            for direction in range(self.n_directions):
                key = f"{layer}.{direction}"
                shapes.append((f"W_ih.{key}", (n_in, G * H), True))
                shapes.append((f"W_hh.{key}", (H, G * H), True))
                shapes.append((f"b_ih.{key}", (G * H,), False))
                if CELLS[self.cell].has_hidden_bias:
                    shapes.append((f"b_hh.{key}", (G * H,), False))
            n_in = H * self.n_directions
        shapes.append(("W_out", (n_in, self.n_outputs), True))
        shapes.append(("b_out", (self.n_outputs,), False))
        return shapes

    def _n_params(self):
        return sum(int(np.prod(shape)) for _, shape, _ in self._shapes())

    def _views(self, flat):
        views, start = {}, 0
        for name, shape, _ in self._shapes():
            size = int(np.prod(shape))
            views[name] = flat[start : start + size].reshape(shape)
            start += size
        return views

    def weight_mask(self):
        """1 for weights (penalised by L2), 0 for biases, as a flat vector."""
        mask = np.zeros_like(self.coef)
        for name, view in self._views(mask).items():
            if name.startswith("W"):
                view[...] = 1.0
        return mask

    def new_grad(self):
        """A zeroed flat gradient vector and its named views."""
        flat = np.zeros_like(self.coef)
        return flat, self._views(flat)

    def astype(self, dtype):
        """A copy of the network whose weights (and computation) are ``dtype``."""
        if np.dtype(dtype) == self.dtype:
            return self
        other = object.__new__(type(self))
        other.__setstate__(
            {**self.__getstate__(), "coef": self.coef.astype(dtype), "dtype": np.dtype(dtype)}
        )
        return other

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["params"]  # views, rebuilt on load
        state["dtype"] = self.dtype.name  # a plain str: nothing for skops to trust
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.dtype = np.dtype(self.dtype)
        self.params = self._views(self.coef)

    # ----------------------------------------------------------- initialising
    def initialize(self, rng, recurrent_init="uniform", forget_bias=0.0):
        """Uniform(-1/sqrt(H), 1/sqrt(H)) recurrent weights as PyTorch (or an
        orthogonal matrix per gate for ``W_hh``), N(0, 1/E) embeddings,
        Glorot-uniform output layer as MLPClassifier, zero biases except the
        LSTM forget gate's ``forget_bias`` (Jozefowicz et al., 2015,
        recommend 1)."""
        H = self.hidden_size
        bound = 1.0 / np.sqrt(H)
        for name, view in self.params.items():
            if name.startswith("W_out"):
                fan_in, fan_out = view.shape
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                view[...] = rng.uniform(-limit, limit, view.shape)
            elif name == "W_emb":
                # N(0, 1/E): a token's pre-activations start at the lookup's scale
                # (PyTorch's N(0, 1) learned LinES tags slower and worse: 0.921
                # against 0.933 dev accuracy)
                view[...] = rng.normal(scale=1.0 / np.sqrt(view.shape[1]), size=view.shape)
            elif name.startswith("W_hh") and recurrent_init == "orthogonal":
                for gate in range(view.shape[1] // H):
                    view[:, gate * H : (gate + 1) * H] = _orthogonal(H, rng)
            elif name.startswith("W"):
                view[...] = rng.uniform(-bound, bound, view.shape)
            else:
                view[...] = 0.0
            if name.startswith("b_ih") and self.cell == "lstm":
                view[H : 2 * H] = forget_bias
        for name in self.lookup_tables():
            self.params[name][0] = 0.0  # padding / missing id

    def lookup_tables(self):
        """Names of the weights whose rows token ids select; their row 0
        (padding) stays zero and is never trained."""
        if self.input_kind == DENSE:
            return []
        if self.embedding_dim is not None:
            return ["W_emb"]
        return [f"W_ih.{key}" for key in self._directions(0)]

    def _directions(self, layer):
        return [f"{layer}.{d}" for d in range(self.n_directions)]

    # ---------------------------------------------------------------- forward
    def state_shape(self, n_seq):
        """Shape of initial/final states: (layers, directions, h[/c], B, H)."""
        n_states = CELLS[self.cell].n_states
        return (self.num_layers, self.n_directions, n_states, n_seq, self.hidden_size)

    def forward(self, batch, initial_state=None, ws=None, dropout=0.0, rng=None, training=False):
        """Run the network on a :class:`~skrnn._sequences.Batch`.

        Token ids are embedded first (``embedding_dim``) or looked up in the
        first layer's input weights. ``initial_state`` is
        ``(L, D, n_states, B, H)`` (zeros if None);
        ``ws`` a :class:`~skrnn._cells.Workspace` whose buffers the outputs
        live in until its next use (a fresh one if None). ``dropout`` > 0
        (training only) zeroes that share of each layer's outputs before the
        next layer, scaling the rest by ``1 / (1 - dropout)``, with masks
        drawn from ``rng``. ``training`` keeps what :meth:`backward` needs.
        Returns the output activations, ``(B, n_outputs)`` for the last-step
        head or ``(T, B, n_outputs)`` for the every-step head, in batch order,
        and a cache for :meth:`backward`.
        """
        ws = Workspace() if ws is None else ws
        cell = CELLS[self.cell]()
        lengths, batch_sizes = batch.lengths, batch.batch_sizes
        n_steps, n_seq = batch.n_steps, batch.n_sequences
        rev = reversal_index(lengths, n_steps) if self.n_directions == 2 else None
        cols = np.arange(n_seq)[None, :]
        layer_input = batch.inputs
        if self.embedding_dim is not None:
            embedded = ws.empty("embedded", (n_steps, n_seq, self.embedding_dim), self.dtype)
            layer_input = _lookup(self.params["W_emb"], batch.inputs, embedded)
        layers, masks = [], []
        for layer in range(self.num_layers):
            if layer > 0 and dropout > 0 and training:
                keep = rng.random_sample(layer_input.shape) >= dropout
                masks.append(keep / self.dtype.type(1.0 - dropout))
                layer_input = layer_input * masks[-1]
            traces = []
            for d, key in enumerate(self._directions(layer)):
                inp = layer_input if d == 0 else layer_input[rev, cols]
                lookup = layer == 0 and self._looks_up_ids()
                fused = cell.fuses_inputs and not lookup
                trace = cell.allocate(
                    ws,
                    key,
                    n_steps,
                    n_seq,
                    self.hidden_size,
                    self.dtype,
                    training,
                    n_inputs=inp.shape[-1] if fused else 0,
                )
                self._project(inp, key, trace, lookup, cell, ws)
                if initial_state is None:
                    h0 = np.zeros(self.state_shape(n_seq)[2:], dtype=self.dtype)
                else:
                    h0 = initial_state[layer, d]
                p = self.params
                cell.forward(trace, p[f"W_hh.{key}"], p.get(f"b_hh.{key}"), batch_sizes, h0)
                traces.append((inp, trace))
            layers.append(traces)
            layer_input = self._layer_output(traces, rev, cols)
        if self.head == "last":
            features = self._summary(layers[-1], lengths)  # (B, H * D)
        else:
            features = layer_input.reshape(n_steps * n_seq, -1)  # (T * B, H * D)
        out = ws.empty("out", (len(features), self.n_outputs), self.dtype)
        np.matmul(features, self.params["W_out"], out=out)
        out += self.params["b_out"]
        OUTPUT_ACTIVATIONS[self.output_activation](out)
        cache = (cell, batch, layers, features, rev, cols, ws, masks)
        if self.head == "every":
            out = out.reshape(n_steps, n_seq, -1)
        return out, cache

    def _project(self, inp, key, trace, lookup, cell, ws):
        """The input side of every step: ``inp @ W_ih + b`` into ``trace.proj``
        (a row lookup when ``lookup``), or, for a cell that ``fuses_inputs``
        into its recurrent GEMM, the inputs and weights handed to it.

        ``b`` is the cell's input-side bias; a gated cell's projections come
        out scaled by its gate factors (``_cells._gate_scale``), folded into
        the small weight matrix for dense input. ``trace.proj`` is
        ``(T, B, G * H)``, or ``(T, G * H, B)`` for a ``feature_major`` cell.
        """
        W = self.params[f"W_ih.{key}"]
        b = cell.input_bias(self.params[f"b_ih.{key}"], self.params.get(f"b_hh.{key}"))
        scale = None
        if cell.gate_blocks is not None:
            scale = _gate_scale(cell.gate_blocks, self.hidden_size, self.dtype)
            b = b * scale
        out = trace.proj
        if lookup and cell.feature_major:
            cell.load_lookup(trace, W, inp, scale, b, ws)
            return
        if lookup:
            _lookup(W, inp, out)
            out += b
            return
        W = W if scale is None else W * scale
        if cell.fuses_inputs:
            cell.load_inputs(trace, inp, W, b)
            return
        np.matmul(inp.reshape(-1, inp.shape[-1]), W, out=out.reshape(-1, W.shape[1]))
        out += b

    def _layer_output(self, traces, rev, cols):
        forward_states = traces[0][1].states[1:]  # (T, B, H)
        if len(traces) == 1:
            return forward_states
        backward_states = traces[1][1].states[1:][rev, cols]
        return np.concatenate([forward_states, backward_states], axis=-1)

    def _summary(self, traces, lengths):
        rows = np.arange(len(lengths))
        parts = [trace.states[lengths, rows] for _, trace in traces]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def final_states(self, cache):
        """States after each sequence's last real step, ``(L, D, n_states, B, H)``."""
        cell, batch, layers, *_ = cache
        rows = np.arange(batch.n_sequences)
        return np.array(
            [[cell.final_state(t, batch.lengths, rows) for _, t in traces] for traces in layers]
        )

    # --------------------------------------------------------------- backward
    def backward(self, d_out, cache, grads):
        """Back-propagate ``d_out`` (gradient w.r.t. the output pre-activation,
        shaped like the forward output) and write every gradient into the
        named views ``grads``."""
        cell, batch, layers, features, rev, cols, ws, masks = cache
        n_steps, n_seq, H = batch.n_steps, batch.n_sequences, self.hidden_size
        d_out = d_out.reshape(-1, self.n_outputs)
        np.matmul(features.T, d_out, out=grads["W_out"])
        d_out.sum(axis=0, out=grads["b_out"])
        d_features = ws.empty("d_features", features.shape, self.dtype)
        np.matmul(d_out, self.params["W_out"].T, out=d_features)
        d_layer_output = None
        if self.head == "every":
            d_layer_output = d_features.reshape(n_steps, n_seq, -1)
        for layer in range(self.num_layers - 1, -1, -1):
            d_input = None
            for d, key in enumerate(self._directions(layer)):
                inp, trace = layers[layer][d]
                d_states = cell.d_states(ws, trace)
                if d_layer_output is not None:
                    part = d_layer_output[..., d * H : (d + 1) * H]
                    d_states[1:] = part if d == 0 else part[rev, cols]
                ends_only = layer == self.num_layers - 1 and self.head == "last"
                if ends_only:
                    d_states[batch.lengths, np.arange(n_seq)] += d_features[:, d * H : (d + 1) * H]
                p = self.params
                d_proj, cell_grads = cell.backward(
                    trace,
                    d_states,
                    p[f"W_hh.{key}"],
                    p.get(f"b_hh.{key}"),
                    batch.batch_sizes,
                    ws,
                    ends_only,
                )
                for name, value in cell_grads.items():
                    grads[f"{name}.{key}"][...] = value
                d_inp = self._project_backward(inp, key, d_proj, grads, layer, cell_grads)
                if d_inp is not None:
                    d_inp = d_inp if d == 0 else d_inp[rev, cols]
                    d_input = d_inp if d_input is None else d_input + d_inp
            if layer > 0 and masks:
                d_input *= masks[layer - 1]
            d_layer_output = d_input
        if self.embedding_dim is not None:
            _scatter_rows(batch.inputs, d_layer_output.reshape(n_steps * n_seq, -1), grads["W_emb"])

    def _looks_up_ids(self):
        """Whether the first layer's input weights are indexed by token ids."""
        return self.input_kind != DENSE and self.embedding_dim is None

    def _project_backward(self, inp, key, d_proj, grads, layer, done=()):
        """Input weight and bias gradients (those not ``done`` by the cell);
        returns d(loss)/d(inp) where ``inp`` has one (an embedding or a lower
        layer)."""
        W = self.params[f"W_ih.{key}"]
        d2 = d_proj.reshape(-1, d_proj.shape[-1])  # (T * B, G * H)
        if "b_ih" not in done:
            grads[f"b_ih.{key}"][...] = d2.sum(axis=0)
        lookup = layer == 0 and self._looks_up_ids()
        if "W_ih" not in done and lookup:
            _scatter_rows(inp, d2, grads[f"W_ih.{key}"])
        elif "W_ih" not in done:
            grads[f"W_ih.{key}"][...] = inp.reshape(-1, inp.shape[-1]).T @ d2
        if layer == 0 and self.embedding_dim is None:
            return None
        return (d2 @ W.T).reshape(inp.shape)
