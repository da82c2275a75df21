"""Layers stacked and bidirectional, an optional embedding, a readout, the losses.

:class:`RecurrentNetwork` owns every weight in one flat vector (``coef``) and
hands out named views of it (``params``), so optimizers, clipping and L2 work
on one array and pickles hold nothing but that vector and the network's
sizes. It stacks cells (``_cells.py``), each of which owns its inputs, loop
and gradients, and puts a readout (``_readout.py``) and a dense output layer
on top. What the outputs mean (targets, units, predictions) is the task's
(``_tasks.py``); the network only computes them.
"""

import os
from dataclasses import dataclass

import numpy as np

from ._cells import CELLS, Workspace, lookup_rows, scatter_rows
from ._readout import TopLayer, make_readout, readout_name, to_direction
from ._threads import blas_threads

CELL_NAMES = tuple(CELLS)

PREDICT_CHUNK = 2048  # sequences per predict batch at most
PREDICT_BUFFER = 1 << 21  # and at most this many gate values (T * B * G * H * D)


def softmax(z):
    """Softmax over the last axis, in place. A value more than half the
    dtype's exponent range below the row's largest gives the probability
    of one half that far (1e-19 in float32), never a subnormal number:
    products with subnormal operands run a hundred times slower in BLAS
    and in numpy's loops, and their gradients were what slowed training
    as a model grew confident (``benchmarks/README.md``, "Subnormal
    numbers")."""
    z -= z.max(axis=-1, keepdims=True)
    np.maximum(z, _half_range(z.dtype), out=z)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def _half_range(dtype):
    """Half the natural logarithm of the smallest normal number of ``dtype``."""
    return 0.5 * np.log(np.finfo(dtype).tiny)


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


def reversal_index(lengths, n_steps):
    """``(T, B)`` time index that reverses each sequence within its length.

    Padded steps map to themselves; the map is its own inverse.
    """
    steps = np.arange(n_steps)[:, None]
    return np.where(steps < lengths[None, :], lengths[None, :] - 1 - steps, steps)


@dataclass(eq=False)
class ForwardCache:
    """What :meth:`RecurrentNetwork.forward` leaves for the backward pass.

    Attributes
    ----------
    batch : Batch
    traces : list of list
        Each layer's cell traces, one per direction.
    top : TopLayer
    features : ndarray of shape (rows, H * D)
        What the output layer read.
    dropout_masks : list of ndarray
        The inverted-dropout factors applied to each layer's input above the
        first (training with dropout only).
    ws : Workspace
    input_mask : ndarray of shape (1, B, d) or None
        The factors applied to the first layer's inputs, one per sequence and
        feature, the same at every step (``input_dropout``).
    output_mask : ndarray or None
        The factors applied to the features the output layer read
        (``output_dropout``).
    """

    batch: object
    traces: list
    top: TopLayer
    features: np.ndarray | None
    dropout_masks: list
    ws: Workspace
    input_mask: np.ndarray | None = None
    output_mask: np.ndarray | None = None


class RecurrentNetwork:
    """Recurrent layers, a readout and an output layer over one flat weight vector.

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
        ids up in the first layer's input weights instead, an embedding as
        wide as the gates.
    hidden_size, num_layers, bidirectional, cell : as the estimators'.
    readout : {'last', 'mean', 'max', 'every'} or Readout
        Which states of the top layer the output layer reads
        (``_readout.py``).
    output_activation : {'softmax', 'identity'}
    dtype : numpy dtype

    Raises
    ------
    ValueError
        Before allocating anything, when the weights and what training
        keeps beside them (a gradient and two optimizer moments) would not
        fit in this machine's memory.
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
        readout="last",
        output_activation="softmax",
        dtype=np.float32,
    ):
        self.n_inputs = n_inputs
        self.n_outputs = n_outputs
        self.input_kind = input_kind
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim if input_kind == "tokens" else None
        self.num_layers = num_layers
        self.n_directions = 2 if bidirectional else 1
        self.cell = cell
        self.readout = make_readout(readout)
        self.output_activation = output_activation
        self.dtype = np.dtype(dtype)
        self._derive()
        check_model_size(self.n_params, self.dtype)
        self.coef = np.zeros(self.n_params, dtype=self.dtype)
        self.params = self._views(self.coef)

    def _derive(self):
        """What follows from the sizes, computed once (and again on load):
        the cell object and the storage layout."""
        self._cell = CELLS[self.cell]()
        self._layout = self._shapes()
        self.n_params = sum(int(np.prod(shape)) for _, shape, _ in self._layout)

    @staticmethod
    def workspace():
        """Scratch buffers for a run of :meth:`forward` calls (one per thread)."""
        return Workspace()

    # ----------------------------------------------------------------- layout
    def _keys(self):
        """``(layer, 'layer.direction')`` of every recurrent layer."""
        return [
            (layer, f"{layer}.{d}")
            for layer in range(self.num_layers)
            for d in range(self.n_directions)
        ]

    def _shapes(self):
        """(name, shape, is_weight) for every parameter, in storage order:
        the recurrent stack's, then the output layer's."""
        return self._stack_shapes() + self._head_shapes()

    def _stack_shapes(self):
        """The embedding's and the recurrent layers' parameters."""
        shapes, n_in = [], self.n_inputs
        if self.embedding_dim is not None:
            shapes.append(("W_emb", (n_in, self.embedding_dim), True))
            n_in = self.embedding_dim
        for layer, key in self._keys():
            width = n_in if layer == 0 else self.output_width
            for name, shape, is_weight in self._cell.param_shapes(width, self.hidden_size):
                shapes.append((f"{name}.{key}", shape, is_weight))
        return shapes

    def _head_shapes(self):
        """What reads the stack: a dense output layer over the readout."""
        return [
            ("W_out", (self.output_width, self.n_outputs), True),
            ("b_out", (self.n_outputs,), False),
        ]

    @property
    def output_width(self):
        """Values per step of a layer's output: both directions' states."""
        return self.hidden_size * self.n_directions

    def architecture(self):
        """The estimator parameters this network was built with, by name:
        what a ``warm_start`` fit compares its parameters with."""
        return {
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "cell": self.cell,
            "embedding_dim": self.embedding_dim,
            "dtype": self.dtype.name,
            "bidirectional": self.n_directions == 2,
            "pooling": readout_name(self.readout),
        }

    def _views(self, flat):
        views, start = {}, 0
        for name, shape, _ in self._layout:
            size = int(np.prod(shape))
            views[name] = flat[start : start + size].reshape(shape)
            start += size
        return views

    def layer_parameters(self, layer, direction):
        """The named weights of one recurrent layer and direction, by their
        short names (``W_ih``, ``W_hh``, ``b_ih``[, ``b_hh``])."""
        return self._layer_views(self.params, f"{layer}.{direction}")

    @property
    def n_states(self):
        """States per layer and direction: 2 for the LSTM (h and c), else 1."""
        return self._cell.n_states

    @staticmethod
    def _layer_views(views, key):
        """A recurrent layer's parameters (or gradients) by their short names."""
        suffix = f".{key}"
        return {name[: -len(suffix)]: v for name, v in views.items() if name.endswith(suffix)}

    def weight_mask(self, frozen=()):
        """1 for weights (penalised by L2), 0 for biases and for the
        ``frozen`` parameters, as a flat vector."""
        mask = np.zeros_like(self.coef)
        views = self._views(mask)
        for name, _, is_weight in self._layout:
            views[name][...] = is_weight and name not in frozen
        return mask

    def positions(self, names):
        """The flat positions of the named parameters (a slice each)."""
        starts = np.cumsum([0] + [int(np.prod(shape)) for _, shape, _ in self._layout])
        return [
            slice(start, stop)
            for (name, _, _), start, stop in zip(self._layout, starts, starts[1:])
            if name in names
        ]

    def new_grad(self):
        """A zeroed flat gradient vector and its named views."""
        flat = np.zeros_like(self.coef)
        return flat, self._views(flat)

    def read_only_params(self):
        """The named weights as read-only views: what a user may look at."""
        views = self._views(self.coef.view())
        for view in views.values():
            view.flags.writeable = False
        return views

    def astype(self, dtype):
        """A copy of the network whose weights (and computation) are ``dtype``."""
        if np.dtype(dtype) == self.dtype:
            return self
        other = object.__new__(type(self))
        other.__setstate__(
            {**self.__getstate__(), "coef": self.coef.astype(dtype), "dtype": np.dtype(dtype)}
        )
        return other

    def predictor(self):
        """This network in float64, for predictions: itself if it is float64,
        else a copy made once and kept until :meth:`weights_changed` (and
        left out of pickles), so no prediction copies the weights again."""
        if self.dtype == np.float64:
            return self
        copy = self.__dict__.get("_float64")
        if copy is None:
            copy = self._float64 = self.astype(np.float64)
        return copy

    def weights_changed(self):
        """Drop the float64 copy of :meth:`predictor`: ``coef`` was written."""
        self.__dict__.pop("_float64", None)

    def __getstate__(self):
        state = self.__dict__.copy()
        for derived in ("_float64", "params", "_cell", "_layout", "n_params"):
            state.pop(derived, None)  # rebuilt on load or when first needed
        state["dtype"] = self.dtype.name  # a plain str: nothing for skops to trust
        state["readout"] = readout_name(self.readout)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.dtype = np.dtype(self.dtype)
        self.readout = make_readout(self.readout)
        self._derive()
        self.params = self._views(self.coef)

    # ----------------------------------------------------------- initialising
    def initialize(self, rng, recurrent_init="uniform", forget_bias=0.0, embedding=None):
        """The cells' own initialisation (PyTorch's), N(0, 1/E) embeddings
        (a token's pre-activations then start at the lookup's scale) or the
        given ``embedding`` table (V, E), and a Glorot-uniform output layer
        as MLPClassifier's, in storage order."""
        if self.embedding_dim is not None:
            W_emb = self.params["W_emb"]
            W_emb[...] = rng.normal(scale=1.0 / np.sqrt(W_emb.shape[1]), size=W_emb.shape)
        for _, key in self._keys():
            layer_params = self._layer_views(self.params, key)
            self._cell.initialize(layer_params, rng, recurrent_init, forget_bias)
        self._initialize_head(rng, recurrent_init, forget_bias)
        if embedding is not None:
            self.params["W_emb"][...] = embedding
        for name in self.lookup_tables():
            self.params[name][0] = 0.0  # padding / missing id
        self.weights_changed()

    def _initialize_head(self, rng, recurrent_init, forget_bias):
        """The output layer: Glorot-uniform weights, as MLPClassifier's."""
        glorot_uniform(self.params["W_out"], rng)
        self.params["b_out"][...] = 0.0

    def lookup_tables(self):
        """Names of the weights whose rows token ids select; their row 0
        (padding) stays zero and is never trained."""
        if self.input_kind != "tokens":
            return []
        if self.embedding_dim is not None:
            return ["W_emb"]
        return [key for key in self.params if key.startswith("W_ih.0.")]

    # ---------------------------------------------------------------- forward
    def state_shape(self, n_seq):
        """Shape of initial/final states: (layers, directions, h[/c], B, H)."""
        return (self.num_layers, self.n_directions, self._cell.n_states, n_seq, self.hidden_size)

    def forward(
        self,
        batch,
        initial_state=None,
        ws=None,
        dropout=0.0,
        rng=None,
        training=False,
        *,
        input_dropout=0.0,
        output_dropout=0.0,
    ):
        """Run the network on a :class:`~skrnn._sequences.Batch`.

        Token ids are embedded first (``embedding_dim``) or looked up by the
        first layer's cell. ``initial_state`` is ``(L, D, n_states, B, H)``
        (zeros if None); ``ws`` a :class:`~skrnn._cells.Workspace` whose
        buffers the outputs live in until its next use (a fresh one if
        None). ``dropout`` > 0 (training only) zeroes that share of each
        layer's inputs above the first, scaling the rest by
        ``1 / (1 - dropout)``, with masks drawn from ``rng``;
        ``input_dropout`` does the same to the first layer's dense inputs
        (features or embeddings) with one mask per sequence for all its
        steps (variational dropout, Gal & Ghahramani, 2016), and
        ``output_dropout`` to the features the output layer reads.
        ``training`` keeps what :meth:`backward` needs. Returns the output
        activations, ``(B, n_outputs)`` for a readout of one row per
        sequence and ``(T, B, n_outputs)`` for one of every step, in batch
        order, and a :class:`ForwardCache`.
        """
        ws = self.workspace() if ws is None else ws
        readout = self.readout
        n_steps, n_seq = batch.n_steps, batch.n_sequences
        cache = self._run_stack(
            batch, initial_state, ws, dropout, rng, training, input_dropout=input_dropout
        )
        features = readout.features(cache.top)
        if output_dropout > 0 and training:
            cache.output_mask = self._dropout_mask(rng, features.shape, output_dropout)
            features = features * cache.output_mask
        cache.features = features
        out = ws.empty("out", (len(features), self.n_outputs), self.dtype)
        np.matmul(features, self.params["W_out"], out=out)
        out += self.params["b_out"]
        OUTPUT_ACTIVATIONS[self.output_activation](out)
        if readout.per_step:
            return out.reshape(n_steps, n_seq, self.n_outputs), cache
        return out, cache

    def _run_stack(self, batch, initial_state, ws, dropout, rng, training, *, input_dropout):
        """The embedding and the recurrent layers on ``batch``: a
        :class:`ForwardCache` whose ``top`` is the top layer (its features
        not yet read)."""
        cell = self._cell
        n_steps, n_seq = batch.n_steps, batch.n_sequences
        rev = reversal_index(batch.lengths, n_steps) if self.n_directions == 2 else None
        cols = np.arange(n_seq)[None, :]
        layer_input = batch.inputs
        if self.embedding_dim is not None:
            embedded = ws.empty("embedded", (n_steps, n_seq, self.embedding_dim), self.dtype)
            layer_input = lookup_rows(self.params["W_emb"], batch.inputs, embedded)
        traces, masks, input_mask = [], [], None
        if input_dropout > 0 and training:
            input_mask = self._dropout_mask(rng, (1,) + layer_input.shape[1:], input_dropout)
            layer_input = layer_input * input_mask
        for layer in range(self.num_layers):
            if layer > 0 and dropout > 0 and training:
                masks.append(self._dropout_mask(rng, layer_input.shape, dropout))
                layer_input = layer_input * masks[-1]
            layer_traces = []
            for d in range(self.n_directions):
                key = f"{layer}.{d}"
                inp = layer_input if d == 0 else layer_input[rev, cols]
                if initial_state is None:
                    h0 = np.zeros(self.state_shape(n_seq)[2:], dtype=self.dtype)
                else:
                    h0 = initial_state[layer, d]
                params = self._layer_views(self.params, key)
                layer_traces.append(
                    cell.forward(inp, params, batch.batch_sizes, h0, ws, key, training)
                )
            traces.append(layer_traces)
            states = [trace.states for trace in layer_traces]
            layer_input = self._layer_output(states, rev, cols)
        top = TopLayer(states, layer_input, batch, rev)
        return ForwardCache(batch, traces, top, None, masks, ws, input_mask)

    def _dropout_mask(self, rng, shape, rate):
        """Inverted dropout's factors: 0 for a share ``rate``, else 1 / (1 - rate)."""
        keep = rng.random_sample(shape) >= rate
        return keep / self.dtype.type(1.0 - rate)

    @staticmethod
    def _layer_output(states, rev, cols):
        """``(T, B, H * D)``: each direction's states in the sequences' order."""
        if len(states) == 1:
            return states[0][1:]
        return np.concatenate([states[0][1:], states[1][1:][rev, cols]], axis=-1)

    def final_states(self, cache):
        """States after each sequence's last real step, ``(L, D, n_states, B, H)``."""
        cell, lengths = self._cell, cache.batch.lengths
        return np.array(
            [[cell.final_state(trace, lengths) for trace in layer] for layer in cache.traces]
        )

    # --------------------------------------------------------------- backward
    def backward(self, d_out, cache, grads):
        """Back-propagate ``d_out`` (gradient w.r.t. the output pre-activation,
        shaped like the forward output) and write every gradient into the
        named views ``grads``."""
        d_out = d_out.reshape(-1, self.n_outputs)
        np.matmul(cache.features.T, d_out, out=grads["W_out"])
        d_out.sum(axis=0, out=grads["b_out"])
        d_features = cache.ws.empty("d_features", cache.features.shape, self.dtype)
        np.matmul(d_out, self.params["W_out"].T, out=d_features)
        if cache.output_mask is not None:
            d_features *= cache.output_mask
        self._backward_stack(d_features, cache, grads)

    def _backward_stack(self, d_features, cache, grads):
        """Back-propagate the gradient of the readout's features through the
        recurrent layers and the embedding into ``grads``."""
        cell, readout, batch, ws = self._cell, self.readout, cache.batch, cache.ws
        rev, cols = cache.top.reversal, np.arange(batch.n_sequences)[None, :]
        d_layer_output = None
        for layer in range(self.num_layers - 1, -1, -1):
            top = layer == self.num_layers - 1
            input_grad = layer > 0 or self.embedding_dim is not None
            d_input = None
            for d, trace in enumerate(cache.traces[layer]):
                d_states = cell.d_states(ws, trace)
                if top:
                    readout.seed(d_features, d, d_states, cache.top)
                else:
                    to_direction(d_layer_output, d, d_states, rev)
                d_inp = cell.backward(
                    trace,
                    d_states,
                    self._layer_views(self.params, f"{layer}.{d}"),
                    self._layer_views(grads, f"{layer}.{d}"),
                    batch.batch_sizes,
                    ws,
                    accumulate=not (top and readout.seeds_last_states_only),
                    input_grad=input_grad,
                )
                if input_grad:
                    d_inp = d_inp if d == 0 else d_inp[rev, cols]
                    d_input = d_inp if d_input is None else d_input + d_inp
            if layer > 0 and cache.dropout_masks:
                d_input *= cache.dropout_masks[layer - 1]
            d_layer_output = d_input
        if self.embedding_dim is not None:
            if cache.input_mask is not None:
                d_layer_output = d_layer_output * cache.input_mask
            rows = batch.n_steps * batch.n_sequences
            scatter_rows(batch.inputs, d_layer_output.reshape(rows, -1), grads["W_emb"])

    # ------------------------------------------------------------- predicting
    def predict(self, data, units, index=None):
        """Outputs for the rows ``index`` of a :class:`~skrnn._sequences.SequenceData`.

        Placed as ``units`` (``_tasks.py``) places them: ``(n, n_outputs)``
        for one unit per sequence; ``(n_steps, n_outputs)``, one row per
        real step, sequence after sequence, for one per step. Sequences go
        through in length-sorted chunks, each padded only to its own
        longest, so memory follows the data. Predictions run in float64
        (from float32 weights, if so trained) so a sequence's output does
        not depend on which others share its batch.
        """
        network, ws = self.predictor(), self.workspace()
        index = np.arange(len(data)) if index is None else np.asarray(index)
        predictions, slots = units.new_predictions(data.lengths[index], self.n_outputs)
        for chunk, batch in self.prediction_batches(data, index):
            out, _ = network.forward(batch, ws=ws)
            units.place(predictions, slots[chunk[batch.order]], out, batch)
        return predictions

    def prediction_batches(self, data, index):
        """Float64 batches of the rows ``index`` of ``data`` for predictions:
        ``(chunk, batch)``, ``chunk`` the positions in ``index`` of the
        batch's rows. The sequences go in length-sorted chunks, each padded
        only to its own longest and holding as many as fit the buffer (the
        gate values of every step), so memory follows the data; BLAS
        threads follow the idle cores meanwhile."""
        lengths = data.lengths[index]
        order = np.argsort(-lengths, kind="stable")
        width = self._cell.n_gates * self.n_directions * self.hidden_size
        start = 0
        with blas_threads(len(order)):
            while start < len(order):
                longest = max(int(lengths[order[start]]), 1)
                size = max(1, min(PREDICT_CHUNK, PREDICT_BUFFER // (longest * width)))
                chunk, start = order[start : start + size], start + size
                yield chunk, data.batch(index[chunk], np.float64)


def glorot_uniform(weights, rng):
    """Fill ``weights`` (fan_in, fan_out) from Glorot and Bengio's uniform
    distribution, as MLPClassifier initialises its layers."""
    limit = np.sqrt(6.0 / sum(weights.shape))
    weights[...] = rng.uniform(-limit, limit, weights.shape)


def physical_memory():
    """This machine's memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


#: arrays of the weights' size that training keeps: the weights, their
#: gradient and (Adam) two moments
TRAINING_COPIES = 4


def check_model_size(n_params, dtype):
    """Refuse a network whose training arrays cannot fit in memory, before
    anything is allocated."""
    memory = physical_memory()
    needed = n_params * np.dtype(dtype).itemsize * TRAINING_COPIES
    if memory is not None and needed > memory:
        raise ValueError(
            f"The network would have {n_params:,} weights; training them needs "
            f"{needed / 2**30:.1f} GiB ({TRAINING_COPIES} arrays of {dtype} of that size), "
            f"more than this machine's {memory / 2**30:.1f} GiB of memory. Lower "
            "hidden_size, num_layers, embedding_dim or n_tokens (set embedding_dim for "
            "a large vocabulary)."
        )
