"""ONNX nodes for skrnn's networks and transformers, written through skl2onnx.

The converters of :mod:`skrnn.onnx` call these functions; each reads a
fitted object's own structure (the network's layout, its cell's gates, its
readout, the task's classes) and writes the nodes that compute what the
object's ``predict`` or ``transform`` computes. Nothing here imports onnx or
skl2onnx at module level: :class:`Graph` is handed skl2onnx's scope and
container by the converter.

Conventions of every graph:

* sequences come batch-first, ``(N, T, d)`` real values or ``(N, T[, k])``
  token ids; a real-valued input may come with ``lengths`` ``(N,)`` (its
  sequences' real steps are a prefix), and in token ids 0 is padding
  wherever it stands, as in skrnn;
* the recurrent layers are ONNX's ``RNN``, ``GRU`` (``linear_before_reset=1``,
  PyTorch's and skrnn's equations) and ``LSTM`` operators with per-sequence
  lengths for small batches, Scan loops of GEMMs for large ones
  (:func:`network_features`); they run in float32, the one type ONNX
  Runtime's recurrent kernels take, whatever the network was trained in;
* a sequence of no real step reads as in skrnn: a zero state, zero pools.
"""

import numpy as np

from ._cells import CELLS
from ._readout import READOUTS, readout_name

#: each cell's gates in the order of ONNX's operator (skrnn stores PyTorch's,
#: the cells' ``gates``)
ONNX_GATES = {"rnn": ("h",), "gru": ("z", "r", "n"), "lstm": ("i", "o", "f", "g")}
ONNX_OPERATORS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
#: the oldest opset whose operators these graphs are written for (axes as inputs)
MIN_OPSET = 18
FLOAT = np.float32


class Graph:
    """A small writer of nodes into skl2onnx's ``container``.

    Every method returns the name of the tensor it made, so a graph reads as
    the formulas it computes.
    """

    def __init__(self, scope, container, owner, nodes=None, constants=None):
        from onnx.helper import np_dtype_to_tensor_dtype

        if container.target_opset < MIN_OPSET:
            raise ValueError(
                f"skrnn's converters write opset {MIN_OPSET} or newer, but the conversion "
                f"asks for target_opset={container.target_opset}. Raise target_opset."
            )
        self.scope, self.container, self.owner = scope, container, owner
        self._tensor_type = np_dtype_to_tensor_dtype
        self.nodes = nodes  # None: into the container; a list: a subgraph's nodes
        # equal constants are one initializer (ONNX Runtime would merge them,
        # and cannot rename the merged ones inside subgraphs)
        self._constants = {} if constants is None else constants

    def branch(self):
        """A writer of a subgraph's nodes (an If's branch, a Scan's body);
        its constants still go to the model, which every subgraph sees."""
        return Graph(self.scope, self.container, self.owner, [], self._constants)

    def subgraph(self, outputs, inputs=(), shape=None):
        """This branch's nodes as a GraphProto: ``inputs`` its formal inputs
        as (name, numpy dtype), ``outputs`` the float32 tensors it gives, all
        of ``shape`` if given (ONNX Runtime needs a Scan body's shapes)."""
        from onnx.helper import make_graph, make_tensor_value_info

        def info(name, dtype=FLOAT):
            return make_tensor_value_info(name, self._tensor_type(np.dtype(dtype)), shape)

        return make_graph(
            self.nodes,
            self.name("graph"),
            [info(name, dtype) for name, dtype in inputs],
            [info(name) for name in outputs],
        )

    def name(self, hint):
        return self.scope.get_unique_variable_name(f"{self.owner}_{hint}")

    def const(self, value, hint="c"):
        """An initializer holding ``value`` (its dtype kept; str as strings)."""
        from onnx import TensorProto

        value = np.asarray(value)
        key = (value.dtype.str, value.shape, value.tobytes())
        if key in self._constants:
            return self._constants[key]
        name = self._constants[key] = self.name(hint)
        if value.dtype.kind in "UO":
            content = [str(v).encode("utf-8") for v in value.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(value.shape), content)
        else:
            dtype = self._tensor_type(value.dtype)
            self.container.add_initializer(name, dtype, list(value.shape), value.ravel().tolist())
        return name

    def ints(self, *values):
        """A 1-D int64 constant (shapes, axes, pads)."""
        return self.const(np.array(values, dtype=np.int64), "ints")

    def int64(self, value):
        """A scalar int64 constant."""
        return self.const(np.int64(value), "int")

    def op(self, op_type, *inputs, outputs=1, domain="", version=None, out=None, **attrs):
        """One node; its output name (or names, for ``outputs`` > 1).
        ``out`` names the (first) output, for a graph output."""
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        if out is not None:
            names[0] = out
        if self.nodes is not None:
            from onnx.helper import make_node

            node_name = self.scope.get_unique_operator_name(f"{self.owner}_{op_type}")
            self.nodes.append(make_node(op_type, list(inputs), names, name=node_name, **attrs))
            return names[0] if outputs == 1 else names
        self.container.add_node(
            op_type,
            list(inputs),
            names,
            op_domain=domain,
            op_version=version,
            name=self.scope.get_unique_operator_name(f"{self.owner}_{op_type}"),
            **attrs,
        )
        return names[0] if outputs == 1 else names

    # a few compositions used everywhere
    def cast(self, x, dtype):
        return self.op("Cast", x, to=self._tensor_type(np.dtype(dtype)))

    def dim(self, x, axis):
        """``x.shape[axis]`` as a 1-element int64 tensor."""
        return self.op("Shape", x, start=axis, end=axis + 1)

    def unsqueeze(self, x, *axes):
        return self.op("Unsqueeze", x, self.ints(*axes))

    def squeeze(self, x, *axes):
        return self.op("Squeeze", x, self.ints(*axes))

    def reduce(self, kind, x, *axes, keepdims=0):
        return self.op(f"Reduce{kind}", x, self.ints(*axes), keepdims=keepdims)

    def steps(self, n_steps):
        """``arange(T)`` (T,) int64, from a 1-element T."""
        return self.op("Range", self.int64(0), self.squeeze(n_steps, 0), self.int64(1))

    def step_mask(self, lengths, n_steps, batch_first=False):
        """``(T, N)`` bool (``(N, T)`` if ``batch_first``): step t of
        sequence n is real."""
        steps = self.unsqueeze(self.steps(n_steps), 0 if batch_first else 1)
        return self.op("Less", steps, self.unsqueeze(lengths, 1 if batch_first else 0))


# -------------------------------------------------------------------- inputs
class SequenceInputs:
    """A batch-first input read the way skrnn reads it.

    Attributes
    ----------
    values : str
        ``(N, T, d)`` float32 values or ``(N, T, k)`` int64 ids, real steps
        first (token padding moved behind them).
    lengths : str
        ``(N,)`` int64 real steps per sequence.
    order : str or None
        For token ids, ``(N, T)``: the input position of every step of
        ``values`` (padding last), to put per-step outputs back in place.
    real : str or None
        For token ids, ``(N, T)`` bool: which input positions are real
        steps (:meth:`real_positions` makes it for real values, where only
        per-step outputs need it).
    """

    def __init__(self, g, spec, x, lengths=None, rank=None):
        self.stream = spec.layout == "stream"
        if self.stream:  # one sequence whose rows are steps
            x = g.unsqueeze(x, 0)
        elif rank == 2:  # (N, T): one value or id per step
            x = g.unsqueeze(x, 2)
        self.order = None
        if spec.kind == "tokens":
            self._tokens(g, x, spec.n_tokens)
        else:
            self.values = g.cast(x, FLOAT)
            self.n_steps = g.dim(x, 1)
            if lengths is None:
                lengths = g.op("Expand", self.n_steps, g.dim(x, 0))
            self.lengths = lengths
            self.real = None

    def real_positions(self, g):
        """``(N, T)`` bool: which input positions are real steps."""
        if self.real is None:
            self.real = g.step_mask(self.lengths, self.n_steps, batch_first=True)
        return self.real

    def _tokens(self, g, ids, n_tokens):
        """Ids the model never saw (or negative ones) read as unknown (1);
        every step whose ids are all 0 is padding and moves behind the
        real steps, which keep their order."""
        ids = known_ids(g, ids, n_tokens)
        self.n_steps = g.dim(ids, 1)
        if self.stream:  # every row of a stream is a step
            self.values, self.lengths = ids, self.n_steps
            self.real = g.op("Expand", g.const(np.array(True)), g.op("Shape", ids, end=2))
            return
        is_real = g.reduce("Max", g.cast(g.op("Not", g.op("Equal", ids, g.int64(0))), np.int64), 2)
        self.real = g.cast(is_real, bool)
        self.lengths = g.reduce("Sum", is_real, 1)
        # real steps by increasing t, then padding steps by increasing t
        t = g.steps(self.n_steps)
        key = g.op("Sub", g.op("Mul", is_real, g.op("Mul", self.n_steps, g.int64(2))), t)
        _, self.order = g.op("TopK", key, self.n_steps, axis=1, largest=1, sorted=1, outputs=2)
        index = g.op("Expand", g.unsqueeze(self.order, 2), g.op("Shape", ids))
        self.values = g.op("GatherElements", ids, index, axis=1)


def known_ids(g, ids, n_tokens):
    """``ids`` with those the model never saw (or negative ones) read as
    unknown (1), as skrnn reads them (with a warning it cannot give here)."""
    unseen = g.op(
        "Or", g.op("Less", ids, g.int64(0)), g.op("GreaterOrEqual", ids, g.int64(n_tokens))
    )
    return g.op("Where", unseen, g.int64(1), ids)


# ------------------------------------------------------------------ networks
def _reorder(array, cell, axis):
    """``array``'s gate blocks along ``axis`` from skrnn's order to ONNX's."""
    stored, wanted = CELLS[cell].gates, ONNX_GATES[cell]
    blocks = np.split(array, len(stored), axis=axis)
    return np.concatenate([blocks[stored.index(gate)] for gate in wanted], axis=axis)


def _layer_weights(network, layer, lookup):
    """ONNX's W (D, G H, n_in), R (D, G H, H) and B (D, 2 G H) of a layer.
    ``lookup``: the layer reads the rows its ids looked up, already
    projected, so its W is the identity (per direction, side by side)."""
    cell, D = network.cell, network.n_directions
    Ws, Rs, Bs = [], [], []
    for d in range(D):
        p = network.layer_parameters(layer, d)
        GH = p["W_hh"].shape[1]
        if lookup:
            W = np.zeros((GH, D * GH))
            W[:, d * GH : (d + 1) * GH] = np.eye(GH)
        else:
            W = _reorder(p["W_ih"], cell, 1).T
        Ws.append(W)
        Rs.append(_reorder(p["W_hh"], cell, 1).T)
        b_hh = p["b_hh"] if "b_hh" in p else np.zeros(GH)
        Bs.append(np.concatenate([_reorder(p["b_ih"], cell, 0), _reorder(b_hh, cell, 0)]))
    return [np.asarray(w, dtype=FLOAT) for w in (Ws, Rs, Bs)]


def _first_layer_input(g, network, values):
    """``(N, T, n_in)`` float32: the values, the embedded ids, or the ids'
    rows of every direction's first input table side by side."""
    if network.input_kind != "tokens":
        return values, False
    if network.embedding_dim is not None:
        table = network.params["W_emb"]
    else:
        table = np.concatenate(
            [
                _reorder(network.params[f"W_ih.0.{d}"], network.cell, 1)
                for d in range(network.n_directions)
            ],
            axis=1,
        )
    rows = g.op("Gather", g.const(np.asarray(table, dtype=FLOAT), "table"), values, axis=0)
    return g.reduce("Sum", rows, 2), network.embedding_dim is None


class LayerWeights:
    """A layer's weights as model constants, in ONNX's gate order: ``W``
    (D, G H, n_in), ``R`` (D, G H, H), ``B`` (D, 2 G H) for the ONNX
    operator; and, when a Scan loop will run (``scan``), per direction and
    gate what it multiplies by: ``W`` and ``R`` transposed (constants, so ONNX Runtime packs
    them for its GEMM once, and one per gate, so no step splits an array),
    the bias added to the gate's input projection and the GRU's hidden bias
    of its candidate (inside ``r * (h R_n + b_n)``)."""

    def __init__(self, g, network, layer, lookup=False, scan=True):
        W, R, B = _layer_weights(network, layer, lookup)
        self.W, self.R, self.B = g.const(W, "W"), g.const(R, "R"), g.const(B, "B")
        self.lookup = lookup
        gates, H = ONNX_GATES[network.cell], network.hidden_size
        self.scan = []
        for d in range(network.n_directions if scan else 0):
            blocks = {}
            for k, gate in enumerate(gates):
                rows = slice(k * H, (k + 1) * H)
                input_bias, hidden_bias = B[d, rows], B[d, len(gates) * H :][rows]
                candidate = network.cell == "gru" and gate == "n"
                blocks[gate] = {
                    "W": None if lookup else g.const(np.ascontiguousarray(W[d, rows].T), "W_t"),
                    "R": g.const(np.ascontiguousarray(R[d, rows].T), "R_t"),
                    "bias": g.const(input_bias if candidate else input_bias + hidden_bias, "b"),
                    "hidden_bias": g.const(hidden_bias, "b_hn") if candidate else None,
                }
            self.scan.append(blocks)


def recurrent_layer(g, network, weights, x, lengths, initial=None):
    """One ONNX recurrent operator over time-major ``x`` (T, N, n_in):
    ``(T, N, D H)`` outputs and the final states ``[h, (c)]`` (D, N, H).
    ``initial`` gives initial states ``[h, (c)]``, zeros when None."""
    cell = network.cell
    attrs = {"hidden_size": network.hidden_size}
    attrs["direction"] = "bidirectional" if network.n_directions == 2 else "forward"
    if cell == "gru":
        attrs["linear_before_reset"] = 1
    states = list(initial) if initial is not None else []  # omitted: zeros
    names = [x, weights.W, weights.R, weights.B, g.cast(lengths, np.int32), *states]
    outs = g.op(ONNX_OPERATORS[cell], *names, outputs=3 if cell == "lstm" else 2, **attrs)
    Y, finals = outs[0], outs[1:]
    Y = g.op("Reshape", g.op("Transpose", Y, perm=[0, 2, 1, 3]), g.ints(0, 0, -1))
    return Y, finals


def scan_layer(g, network, weights, x, lengths):
    """The same layer as :func:`recurrent_layer` (without initial states),
    as a Scan loop per direction: its input projections are one MatMul for
    all steps, its step one MatMul and element-wise nodes. ONNX Runtime's
    kernels run this faster than its recurrent operators on large batches.

    The loop runs over padding steps too: they come after a sequence's real
    steps in both directions (the backward one reads each sequence reversed
    within its length, ``ReverseSequence``), so they change no real step's
    output; the final state is read at the last real step, and every
    readout masks the padding steps' outputs."""
    H, G = network.hidden_size, len(ONNX_GATES[network.cell])
    last = g.op("Max", g.op("Sub", lengths, g.int64(1)), g.int64(0))
    last = g.op(
        "Expand", g.unsqueeze(last, 0, 2), g.op("Concat", g.ints(1), g.dim(x, 1), g.ints(H), axis=0)
    )
    rows = None if weights.lookup else g.op("Flatten", x, axis=2)  # (T N, n_in)
    shape = g.op("Concat", g.op("Shape", x, end=2), g.ints(H), axis=0)
    outputs, finals = [], []
    for d, blocks in enumerate(weights.scan):
        projections = []
        for k, block in enumerate(blocks.values()):
            if weights.lookup:  # x holds every direction's looked-up rows side by side
                start = (d * G + k) * H
                proj = g.op("Slice", x, g.ints(start), g.ints(start + H), g.ints(2))
                proj = g.op("Add", proj, block["bias"])
            else:  # one GEMM of every step, its bias added in
                proj = g.op("Gemm", rows, block["W"], block["bias"])
                proj = g.op("Reshape", proj, shape)
            if d == 1:
                proj = g.op("ReverseSequence", proj, lengths, batch_axis=1, time_axis=0)
            projections.append(proj)
        Y = _scan(g, network, projections, blocks)
        finals.append(g.op("GatherElements", Y, last, axis=0))  # (1, N, H)
        if d == 1:
            Y = g.op("ReverseSequence", Y, lengths, batch_axis=1, time_axis=0)
        outputs.append(Y)
    if len(outputs) == 1:
        return outputs[0], [finals[0]]
    return g.op("Concat", *outputs, axis=2), [g.op("Concat", *finals, axis=0)]


def _scan(g, network, projections, blocks):
    """Every step's state (T, N, H) of a Scan from zero states over each
    gate's input projections (T, N, H)."""
    body, cell, H = g.branch(), network.cell, network.hidden_size
    n = g.dim(projections[0], 1)
    zeros = g.op("ConstantOfShape", g.op("Concat", n, g.ints(H), axis=0), value=_zero_tensor())
    states = ["h"] + (["c"] if cell == "lstm" else [])
    names = states + [f"x_{gate}" for gate in blocks]  # states, then each gate's projection
    formal = {name: body.name(f"scan_{name}") for name in names}

    def gate(name):  # h R_gate + x W_gate + b_gate, x W_gate + b_gate computed before
        return body.op(
            "Add", body.op("MatMul", formal["h"], blocks[name]["R"]), formal[f"x_{name}"]
        )

    new = _STEPS[cell](body, formal, gate, blocks)
    inputs = [(formal[name], FLOAT) for name in names]
    graph = body.subgraph(new + [body.op("Identity", new[0])], inputs, shape=[None, H])
    zeros = [zeros] * len(states)
    outs = g.op(
        "Scan",
        *zeros,
        *projections,
        outputs=len(states) + 1,
        num_scan_inputs=len(projections),
        body=graph,
    )
    return outs[-1]


def _zero_tensor():
    from onnx import TensorProto
    from onnx.helper import make_tensor

    return make_tensor("zero", TensorProto.FLOAT, [1], [0.0])


def _tanh_step(g, s, gate, blocks):
    return [g.op("Tanh", gate("h"))]


def _gru_step(g, s, gate, blocks):
    """``h' = n + z (h - n)``, ``n = tanh(x W_n + b_n + r (h R_n + b_hn))``."""
    z, r = (g.op("Sigmoid", gate(name)) for name in ("z", "r"))
    hidden_n = g.op("MatMul", s["h"], blocks["n"]["R"])
    hidden_n = g.op("Mul", r, g.op("Add", hidden_n, blocks["n"]["hidden_bias"]))
    n = g.op("Tanh", g.op("Add", s["x_n"], hidden_n))
    return [g.op("Add", n, g.op("Mul", z, g.op("Sub", s["h"], n)))]


def _lstm_step(g, s, gate, blocks):
    """``c' = f c + i g``, ``h' = o tanh(c')``."""
    i, o, f = (g.op("Sigmoid", gate(name)) for name in ("i", "o", "f"))
    c = g.op("Add", g.op("Mul", f, s["c"]), g.op("Mul", i, g.op("Tanh", gate("g"))))
    return [g.op("Mul", o, g.op("Tanh", c)), c]


_STEPS = {"rnn": _tanh_step, "gru": _gru_step, "lstm": _lstm_step}
#: batches of more sequences than this run through Scan loops (see
#: scan_layer), where those beat ONNX Runtime's recurrent operator of the
#: cell; None: never (the LSTM's operator was the faster at every batch size
#: measured, up to 2,048), the graph then has the operators alone
#: (benchmarks/README.md, "Serving")
SCAN_ABOVE = {"rnn": 1, "gru": 32, "lstm": None}


def network_features(g, network, inputs):
    """The features the output layer reads: ``(N, D H)`` for one row per
    sequence, ``(N, T, D H)`` for every step. The recurrent layers are an
    If: ONNX's recurrent operators for a batch of up to ``SCAN_ABOVE``
    sequences (the lowest latency), Scan loops above (the highest
    throughput in ONNX Runtime)."""
    readout = readout_name(network.readout)
    if readout not in READOUTS:
        raise ValueError(
            f"The pooling {network.readout!r} is a Readout object of your own; ONNX "
            f"export knows skrnn's {sorted(READOUTS)}. Fit with one of them to export."
        )
    x, lookup = _first_layer_input(g, network, inputs.values)
    x = g.op("Transpose", x, perm=[1, 0, 2])
    threshold = SCAN_ABOVE[network.cell]
    weights = [
        LayerWeights(g, network, i, lookup and i == 0, scan=threshold is not None)
        for i in range(network.num_layers)
    ]
    if threshold is None:
        top = _stack(g, network, weights, x, inputs.lengths, readout, scan=False)
    else:
        then, otherwise = (g.branch(), g.branch())
        scanned = _stack(then, network, weights, x, inputs.lengths, readout, scan=True)
        operators = _stack(otherwise, network, weights, x, inputs.lengths, readout, scan=False)
        # the condition reads what the branches read, so the If comes after them
        n = g.op("Max", g.dim(x, 1), g.op("Shape", inputs.lengths))
        top = g.op(
            "If",
            g.op("Greater", n, g.ints(threshold)),
            then_branch=then.subgraph([scanned]),
            else_branch=otherwise.subgraph([operators]),
        )
    if readout == "last":
        return _no_steps_zero(g, top, inputs.lengths)
    if readout == "every":
        return g.op("Transpose", top, perm=[1, 0, 2])
    mask = g.unsqueeze(g.step_mask(inputs.lengths, inputs.n_steps), 2)  # (T, N, 1)
    if readout == "mean":
        total = g.reduce("Sum", g.op("Where", mask, top, g.const(FLOAT(0.0))), 0)
        count = g.cast(g.op("Max", inputs.lengths, g.int64(1)), FLOAT)
        return g.op("Div", total, g.unsqueeze(count, 1))
    largest = g.reduce("Max", g.op("Where", mask, top, g.const(FLOAT(-np.inf))), 0)
    return _no_steps_zero(g, largest, inputs.lengths)


def _stack(g, network, weights, x, lengths, readout, scan):
    """The recurrent layers on time-major ``x``, as operators or Scan loops:
    the top layer's outputs (T, N, D H), or its final states (N, D H) for
    the ``'last'`` readout."""
    layer_of = scan_layer if scan else recurrent_layer
    for layer in weights:
        x, finals = layer_of(g, network, layer, x, lengths)
    if readout == "last":
        return g.op("Reshape", g.op("Transpose", finals[0], perm=[1, 0, 2]), g.ints(0, -1))
    return x


def _no_steps_zero(g, features, lengths):
    """``features`` (N, F) with the rows of sequences of no step zeroed."""
    running = g.unsqueeze(g.op("Greater", lengths, g.int64(0)), 1)
    return g.op("Where", running, features, g.const(FLOAT(0.0)))


def output_layer(g, network, features, out=None):
    """``features W_out + b_out``, through the softmax for a softmax network."""
    W = g.const(np.asarray(network.params["W_out"], dtype=FLOAT), "W_out")
    b = g.const(np.asarray(network.params["b_out"], dtype=FLOAT), "b_out")
    if network.output_activation == "softmax":
        return g.op("Softmax", g.op("Add", g.op("MatMul", features, W), b), axis=-1, out=out)
    return g.op("Add", g.op("MatMul", features, W), b, out=out)


def labels_of(g, proba, classes, out=None):
    """The class of the largest probability (the first of ties, as numpy)."""
    best = g.op("ArgMax", proba, axis=-1, keepdims=0, select_last_index=0)
    return g.op("Gather", g.const(classes, "classes"), best, axis=0, out=out)


def per_step_in_place(g, inputs, per_step, fill):
    """Per-step outputs ``(N, T, ...)`` at their input positions, ``fill``
    at padding positions."""
    if inputs.order is not None:  # back from real-steps-first order
        index = g.op("Expand", g.unsqueeze(inputs.order, 2), g.op("Shape", per_step))
        per_step = g.op("ScatterElements", per_step, index, per_step, axis=1)
    real = g.unsqueeze(inputs.real_positions(g), 2)
    return g.op("Where", real, per_step, fill)


# --------------------------------------------------------------- transformers
def _as_steps(g, x, rank):
    """A 2-D table ``(N, T)`` as ``(N, T, 1)``; a 3-D input as it is."""
    return g.unsqueeze(x, 2) if rank == 2 else x


def scaler_nodes(g, scaler, x, lengths, rank, dtype, out):
    """:class:`~skrnn.SequenceScaler`'s ``transform``; padded steps give 0."""
    x = _as_steps(g, x, rank)
    if not scaler.per_sequence:
        y = g.op(
            "Div",
            g.op("Sub", x, g.const(scaler.mean_.astype(dtype))),
            g.const(scaler.scale_.astype(dtype)),
        )
        return _finish(g, y, rank, out)
    n_steps = g.dim(x, 1)
    if lengths is None:
        lengths = g.op("Expand", n_steps, g.dim(x, 0))
    mask = g.cast(g.unsqueeze(g.step_mask(lengths, n_steps, batch_first=True), 2), dtype)
    count = g.unsqueeze(g.cast(g.op("Max", lengths, g.int64(1)), dtype), 1, 2)
    mean = g.op("Div", g.reduce("Sum", g.op("Mul", x, mask), 1, keepdims=1), count)
    centred = g.op("Mul", g.op("Sub", x, mean), mask)
    scale = g.op(
        "Sqrt", g.op("Div", g.reduce("Sum", g.op("Mul", centred, centred), 1, keepdims=1), count)
    )
    tiny = g.const(np.asarray(10 * np.finfo(dtype).eps, dtype=dtype))
    scale = g.op(
        "Where", g.op("Greater", scale, tiny), scale, g.const(np.asarray(1.0, dtype=dtype))
    )
    return _finish(g, g.op("Div", centred, scale), rank, out)


def _finish(g, y, rank, out):
    if rank == 2:
        return g.op("Squeeze", y, g.ints(2), out=out)
    return g.op("Identity", y, out=out)


def patcher_nodes(g, patcher, x, lengths, rank, out, lengths_out=None):
    """:class:`~skrnn.SequencePatcher`'s ``transform`` on padded input:
    ``(N, ceil(T / p), p d)``, each sequence's last patch completed with
    copies of its last real step; the new lengths to ``lengths_out``."""
    size = patcher.patch_size
    x = _as_steps(g, x, rank)
    n_steps, n = g.dim(x, 1), g.dim(x, 0)
    if lengths is None:
        lengths = g.op("Expand", n_steps, n)
    p = g.int64(size)
    n_patches = g.op("Div", g.op("Add", n_steps, g.int64(size - 1)), p)
    # the step each (patch, offset) reads: past a sequence's end, its last step
    wanted = g.steps(g.op("Mul", n_patches, p))
    last = g.unsqueeze(g.op("Sub", lengths, g.int64(1)), 1)
    index = g.op("Max", g.op("Min", g.unsqueeze(wanted, 0), last), g.int64(0))
    shape = g.op("Concat", n, g.op("Mul", n_patches, p), g.dim(x, 2), axis=0)
    rows = g.op("GatherElements", x, g.op("Expand", g.unsqueeze(index, 2), shape), axis=1)
    patched = g.op(
        "Reshape", rows, g.op("Concat", g.ints(0), n_patches, g.ints(-1), axis=0), out=out
    )
    if lengths_out is not None:
        g.op("Div", g.op("Add", lengths, g.int64(size - 1)), p, out=lengths_out)
    return patched


#: Python's ``\\w`` in RE2, the regular expressions of ONNX Runtime's Tokenizer
WORD_CHARACTER = r"[\p{L}\p{N}_]"
#: the token patterns ONNX can split by: Python's pattern -> RE2's
TOKEN_PATTERNS = {
    r"(?u)\b\w+\b": WORD_CHARACTER + "+",
    r"\b\w+\b": WORD_CHARACTER + "+",
    r"\w+": WORD_CHARACTER + "+",
    r"(?u)\b\w\w+\b": WORD_CHARACTER + "{2,}",
    r"\b\w\w+\b": WORD_CHARACTER + "{2,}",
}


def vectorizer_pattern(vectorizer):
    """The RE2 expression that finds the vectorizer's tokens, or a clear
    error for what ONNX's string operators cannot do."""
    name = "SequenceVectorizer"
    if vectorizer.token_features not in (None, False):
        raise ValueError(
            f"A {name} with token_features cannot be exported: ONNX has no operators "
            "for affixes and word shapes. Export the estimator alone and feed it the "
            "ids of vectorizer.transform(texts)."
        )
    if vectorizer.input != "content":
        raise ValueError(
            f"A {name} with input={vectorizer.input!r} reads files; an ONNX graph takes "
            "the texts themselves. Set input='content' (the graph then reads the same texts)."
        )
    if vectorizer.analyzer == "char":
        return "(?s)."
    if callable(vectorizer.analyzer):
        raise ValueError(
            f"A {name} with a callable analyzer cannot be exported: ONNX runs no Python. "
            "Use analyzer='word' or 'char', or export the estimator alone."
        )
    try:
        return TOKEN_PATTERNS[vectorizer.token_pattern]
    except KeyError:
        raise ValueError(
            f"token_pattern={vectorizer.token_pattern!r} has no known equivalent in ONNX "
            f"Runtime's Tokenizer; the patterns that export are {sorted(TOKEN_PATTERNS)}. "
            "Use one of them, or export the estimator alone."
        ) from None


def vectorizer_nodes(g, vectorizer, texts, out):
    """:class:`~skrnn.SequenceVectorizer`'s ``transform``: ``(N, W)`` int64
    ids, W its ``max_length`` or the longest text (at least 1)."""
    pattern = vectorizer_pattern(vectorizer)
    if vectorizer.lowercase:
        texts = g.op("StringNormalizer", texts, case_change_action="LOWER", locale="C.UTF-8")
    tokens = g.op(
        "Tokenizer",
        texts,
        domain="com.microsoft",
        version=1,
        mark=0,
        mincharnum=1,
        pad_value="",
        tokenexp=pattern,
    )
    # "" is the Tokenizer's padding (a pre-tokenized text's "" never comes from a text)
    vocabulary = sorted(
        ((token, i) for token, i in vectorizer.vocabulary_.items() if token),
        key=lambda item: item[1],
    )
    keys = [token for token, _ in vocabulary] + [""]
    values = [i for _, i in vocabulary] + [0]
    ids = g.op(
        "LabelEncoder",
        tokens,
        domain="ai.onnx.ml",
        version=2,
        keys_strings=keys,
        values_int64s=values,
        default_int64=1,
    )
    width = vectorizer.max_length
    if width is None:  # at least one step, so an empty text is one padding step
        missing = g.op("Max", g.op("Sub", g.ints(1), g.dim(ids, 1)), g.ints(0))
        return g.op("Pad", ids, g.op("Concat", g.ints(0, 0, 0), missing, axis=0), out=out)
    padded = g.op("Pad", ids, g.ints(0, 0, 0, width))  # never short of width columns
    if vectorizer.truncating == "post":
        return g.op("Slice", padded, g.ints(0), g.ints(width), g.ints(1), out=out)
    count = g.reduce("Sum", g.cast(g.op("Greater", ids, g.int64(0)), np.int64), 1)
    # texts are their tokens then padding: "pre" keeps the last `width` tokens
    first = g.op("Max", g.op("Sub", count, g.int64(width)), g.int64(0))
    index = g.op("Add", g.unsqueeze(first, 1), g.unsqueeze(g.steps(g.ints(width)), 0))
    return g.op("GatherElements", padded, index, axis=1, out=out)


# ------------------------------------------------------------- the estimators
def estimator_nodes(g, model, x, lengths, rank, outputs):
    """The classifier's, regressor's or tagger's predictions into the graph
    outputs ``outputs`` (label and probabilities, or the values)."""
    network, task = model.network_, model._task
    inputs = SequenceInputs(g, model._input_spec, x, lengths, rank)
    features = network_features(g, network, inputs)
    if network.output_activation != "softmax":  # the regressor
        return output_layer(g, network, features, out=outputs[0])
    label, proba = outputs
    if not network.readout.per_step:  # the classifier
        output_layer(g, network, features, out=proba)
        return labels_of(g, proba, onnx_classes(model.classes_), out=label)
    per_step = output_layer(g, network, features)
    in_place = per_step_in_place(g, inputs, per_step, g.const(FLOAT(0.0)))
    best = labels_of(g, in_place, onnx_classes(model.classes_))
    pad = onnx_classes(np.asarray([task.padding_label()]))[0]
    labels = g.op("Where", inputs.real_positions(g), best, g.const(pad))
    if inputs.stream:  # one sequence: (n_steps, ...) as predict gives it
        g.op("Squeeze", labels, g.ints(0), out=label)
        return g.op("Squeeze", in_place, g.ints(0), out=proba)
    g.op("Identity", labels, out=label)
    return g.op("Identity", in_place, out=proba)


def onnx_classes(classes):
    """Class labels as ONNX holds them: int64 for numbers and booleans (a
    classifier's float labels are whole numbers: sklearn refuses others as
    classes), strings for text."""
    classes = np.asarray(classes)
    return classes.astype(np.int64 if classes.dtype.kind in "iubf" else str)


def language_model_step(g, model, token, state, proba_out, state_out):
    """One step of :class:`~skrnn.RNNLanguageModel`: the next token's
    probabilities after ``token`` (N,) from ``state`` (L, S, N, H), and the
    state after it. Id 0 is the "start of text" step, a real step whose
    input row is zero, as in ``generate``."""
    network = model.network_
    ids = g.unsqueeze(known_ids(g, token, network.n_inputs), 1, 2)  # (N, 1, 1)
    x, lookup = _first_layer_input(g, network, ids)
    x = g.op("Transpose", x, perm=[1, 0, 2])
    finals, ones = [], g.op("Expand", g.int64(1), g.op("Shape", token))
    for layer in range(network.num_layers):
        layer_state = g.op("Gather", state, g.int64(layer), axis=0)  # (S, N, H)
        initial = [
            g.unsqueeze(g.op("Gather", layer_state, g.int64(s), axis=0), 0)
            for s in range(network.n_states)
        ]
        weights = LayerWeights(g, network, layer, lookup and layer == 0, scan=False)
        x, states = recurrent_layer(g, network, weights, x, ones, initial)
        finals.append(g.unsqueeze(g.op("Concat", *states, axis=0), 0))
    g.op("Concat", *finals, axis=0, out=state_out)
    return output_layer(g, network, g.squeeze(x, 0), out=proba_out)
