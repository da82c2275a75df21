"""Export fitted skrnn models and pipelines to ONNX.

Importing this module registers skl2onnx converters for every skrnn
estimator and transformer, so ``skl2onnx.to_onnx`` converts them, alone or
in a :class:`~sklearn.pipeline.Pipeline` with sklearn's own steps, as it
converts sklearn's models. :func:`to_onnx` picks the graph's inputs from a
sample of X; :func:`input_feeds` lays out X the way those inputs take it.
It needs the optional packages onnx, onnxruntime and skl2onnx
(``pip install "skrnn[onnx]"``); ``import skrnn`` imports none of them.

What the graphs take and give:

* Real-valued sequences come as a float32 array ``(N, T, d)`` (or ``(N, T)``
  for a 2-D X) named ``X``; ragged ones padded, with a second input
  ``lengths`` ``(N,)`` int64 of their real steps.
* Token ids come as an int64 array ``(N, T)`` or ``(N, T, k)``; 0 is padding
  wherever it stands, ids the model never saw read as unknown (1).
* Texts (a pipeline that starts with :class:`~skrnn.SequenceVectorizer`)
  come as a string array ``(N,)``.
* Classifiers give ``label`` and ``probabilities`` (skl2onnx's ZipMap
  leaves them as tensors here; ``skl2onnx.to_onnx`` adds it unless told
  ``options={RNNClassifier: {"zipmap": False}}``), the regressor
  ``variable`` ``(N, n_outputs)``, the tagger ``label`` ``(N, T)`` and
  ``probabilities`` ``(N, T, n_classes)`` at the input's positions (zero
  probabilities and the padding label at padding steps). ``SequenceScaler`` and
  ``SequencePatcher`` give ``variable``, and ``step_counts`` (the lengths,
  after patching) when X came with ``lengths``; ``SequenceVectorizer`` gives
  int64 ids ``variable``.
* The language model converts to one decoding step: ``token`` ``(N,)`` and
  ``state`` ``(num_layers, n_states, N, hidden_size)`` in, the next token's
  ``probabilities`` ``(N, n_ids)`` and ``next_state`` out, so a host
  program generates by feeding each sampled token back. The model's
  ``tokens_`` are in the metadata (``tokens``, as JSON).

The recurrent layers are ONNX's ``RNN``, ``GRU`` and ``LSTM`` operators,
which ONNX Runtime runs in float32 only: a float64 model exports its
weights as float32, and its outputs agree with skrnn's to float32 rounding.
:class:`~skrnn.RNNSeq2Seq` (its decoding loop and beam search), custom
pooling objects, callable analyzers and ``token_features`` do not convert;
each raises an error that names it.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skrnn import RNNClassifier
>>> from skrnn.onnx import input_feeds, to_onnx
>>> rng = np.random.RandomState(0)
>>> X = rng.normal(size=(40, 6, 2)).astype(np.float32)
>>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
>>> model = RNNClassifier(hidden_size=8, max_iter=5, random_state=0).fit(X, y)
>>> onx = to_onnx(model, X)
>>> session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
>>> label, proba = session.run(None, input_feeds(X[:3]))
>>> bool(np.allclose(proba, model.predict_proba(X[:3]), atol=1e-5))
True
"""

import json

import numpy as np

try:
    from skl2onnx import to_onnx as _skl2onnx_to_onnx
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "skrnn.onnx needs the optional packages onnx, onnxruntime and skl2onnx: "
        'pip install "skrnn[onnx]"'
    ) from exc

from . import _onnx_graph as graph
from ._classifier import RNNClassifier
from ._language_model import RNNLanguageModel
from ._regressor import RNNRegressor
from ._seq2seq import RNNSeq2Seq
from ._sequences import is_nested_scalar_table
from ._tagger import RNNSequenceTagger
from .preprocessing import SequencePatcher, SequenceScaler
from .text import SequenceVectorizer

__all__ = ["input_feeds", "to_onnx"]


# ------------------------------------------------------------------- parsers
def _operator(scope, model, inputs):
    operator = scope.declare_local_operator(f"Skrnn{type(model).__name__}", model)
    operator.inputs = inputs
    return operator


def _declare(scope, operator, outputs):
    for name, kind in outputs:
        operator.outputs.append(scope.declare_local_variable(name, kind))
    return operator.outputs


def _parse_transformer(scope, model, inputs, custom_parsers=None):
    """A sequence transformer's output, and the lengths passed on (changed
    by a patcher) for the next step of a pipeline, when X came with them."""
    operator = _operator(scope, model, inputs)
    kind = inputs[0].type.__class__
    if isinstance(model, SequenceVectorizer):
        return _declare(scope, operator, [("variable", Int64TensorType([None, None]))])
    outputs = [("variable", kind())]
    if len(inputs) == 2:
        outputs.append(("step_counts", Int64TensorType([None])))
    return _declare(scope, operator, outputs)


def _label_type(model):
    """The tensor type of a model's labels: strings or int64."""
    classes = graph.onnx_classes(model.classes_)
    return StringTensorType if classes.dtype.kind == "U" else Int64TensorType


def _parse_tagger(scope, model, inputs, custom_parsers=None):
    operator = _operator(scope, model, inputs)
    outputs = [("label", _label_type(model)()), ("probabilities", FloatTensorType())]
    return _declare(scope, operator, outputs)


def _parse_language_model(scope, model, inputs, custom_parsers=None):
    operator = _operator(scope, model, inputs)
    outputs = [("probabilities", FloatTensorType([None, len(model.tokens_)]))]
    return _declare(scope, operator, outputs + [("next_state", FloatTensorType())])


def _parse_seq2seq(scope, model, inputs, custom_parsers=None):
    raise ValueError(
        "RNNSeq2Seq cannot be exported to ONNX: its decoding (greedy or beam search "
        "over a variable number of steps) is a loop that skrnn's converters do not "
        "write. Serve it with pickle or skops."
    )


# ---------------------------------------------------------- shape calculators
def _classifier_shapes(operator):
    model = operator.raw_operator
    operator.outputs[0].type = _label_type(model)([None])
    operator.outputs[1].type = FloatTensorType([None, len(model.classes_)])


def _regressor_shapes(operator):
    operator.outputs[0].type = FloatTensorType([None, operator.raw_operator.network_.n_outputs])


def _declared_shapes(operator):
    """The parser declared the outputs' types already."""


# ---------------------------------------------------------------- converters
def _rank(variable):
    return len(variable.type.shape)


def _inputs(operator):
    lengths = operator.inputs[1].full_name if len(operator.inputs) == 2 else None
    return operator.inputs[0].full_name, lengths, _rank(operator.inputs[0])


def _graph(scope, operator, container):
    return graph.Graph(scope, container, type(operator.raw_operator).__name__)


def _convert_estimator(scope, operator, container):
    x, lengths, rank = _inputs(operator)
    outputs = [variable.full_name for variable in operator.outputs]
    g = _graph(scope, operator, container)
    graph.estimator_nodes(g, operator.raw_operator, x, lengths, rank, outputs)


def _input_dtype(operator):
    """float64 for a double input (the transformers compute in it), else float32."""
    return np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType) else np.float32


def _convert_scaler(scope, operator, container):
    x, lengths, rank = _inputs(operator)
    g = _graph(scope, operator, container)
    out = operator.outputs[0].full_name
    graph.scaler_nodes(g, operator.raw_operator, x, lengths, rank, _input_dtype(operator), out)
    if lengths is not None:
        g.op("Identity", lengths, out=operator.outputs[1].full_name)


def _convert_patcher(scope, operator, container):
    x, lengths, rank = _inputs(operator)
    g = _graph(scope, operator, container)
    lengths_out = operator.outputs[1].full_name if lengths is not None else None
    out = operator.outputs[0].full_name
    graph.patcher_nodes(g, operator.raw_operator, x, lengths, rank, out, lengths_out)


def _convert_vectorizer(scope, operator, container):
    g = _graph(scope, operator, container)
    texts = operator.inputs[0].full_name
    graph.vectorizer_nodes(g, operator.raw_operator, texts, operator.outputs[0].full_name)


def _convert_language_model(scope, operator, container):
    g = _graph(scope, operator, container)
    token, state = (variable.full_name for variable in operator.inputs)
    proba, state_out = (variable.full_name for variable in operator.outputs)
    graph.language_model_step(g, operator.raw_operator, token, state, proba, state_out)


def _refuse(scope, operator, container):  # pragma: no cover - the parser refuses first
    _parse_seq2seq(scope, operator.raw_operator, operator.inputs)


_CONVERTERS = {
    RNNClassifier: (_classifier_shapes, _convert_estimator, None),
    RNNRegressor: (_regressor_shapes, _convert_estimator, None),
    RNNSequenceTagger: (_declared_shapes, _convert_estimator, _parse_tagger),
    RNNLanguageModel: (_declared_shapes, _convert_language_model, _parse_language_model),
    SequenceScaler: (_declared_shapes, _convert_scaler, _parse_transformer),
    SequencePatcher: (_declared_shapes, _convert_patcher, _parse_transformer),
    SequenceVectorizer: (_declared_shapes, _convert_vectorizer, _parse_transformer),
    RNNSeq2Seq: (_declared_shapes, _refuse, _parse_seq2seq),
}


def _register():
    for cls, (shapes, convert, parser) in _CONVERTERS.items():
        options = None
        if cls is RNNClassifier:  # what skl2onnx's ZipMap of probabilities reads
            options = {"zipmap": [True, False, "columns"], "nocl": [True, False]}
        update_registered_converter(
            cls, f"Skrnn{cls.__name__}", shapes, convert, parser=parser, options=options
        )


_register()


# ------------------------------------------------------------------- helpers
def _is_text(X):
    return len(X) > 0 and all(isinstance(item, str) for item in X)


def input_feeds(X):
    """X as the inputs of a graph made by :func:`to_onnx`.

    Parameters
    ----------
    X : array-like, list of sequences or list of str
        Sequences in a layout skrnn takes, or texts.

    Returns
    -------
    feeds : dict of str to ndarray
        ``{"X": ...}``: float32 values, int64 ids (0-padded) or an object
        array of texts; with ``"lengths"`` (int64) for a list of real-valued
        sequences, which are padded with zeros.
    """
    if _is_text(X):
        return {"X": np.asarray(X, dtype=object)}
    if isinstance(X, (list, tuple)) and not is_nested_scalar_table(X):
        seqs = [np.asarray(s) for s in X]
        seqs = [s[:, None] if s.ndim == 1 else s for s in seqs]
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        tokens = seqs[0].dtype.kind in "iu"
        padded = np.zeros(
            (len(seqs), lengths.max(), seqs[0].shape[1]), np.int64 if tokens else np.float32
        )
        for row, seq in zip(padded, seqs):
            row[: len(seq)] = seq
        if tokens:
            return {"X": padded}
        return {"X": padded, "lengths": lengths}
    X = np.asarray(X)
    return {"X": X.astype(np.int64 if X.dtype.kind in "iu" else np.float32)}


def _initial_types(X_sample):
    """The graph's inputs, named and typed as :func:`input_feeds` lays X out."""
    feeds = input_feeds(X_sample)
    types = []
    for name, value in feeds.items():
        shape = [None] * value.ndim
        if value.ndim == 3:
            shape[-1] = value.shape[-1]
        kind = {"O": StringTensorType, "i": Int64TensorType, "f": FloatTensorType}[value.dtype.kind]
        types.append((name, kind(shape)))
    return types


def to_onnx(model, X_sample=None, *, target_opset=None, options=None):
    """Convert a fitted skrnn model, or a pipeline with skrnn steps, to ONNX.

    Parameters
    ----------
    model : estimator or Pipeline
        Fitted.
    X_sample : array-like, list of sequences or list of str
        A few inputs of the kind the model takes; only their kind and width
        are read (see :func:`input_feeds`). Not needed for a
        :class:`~skrnn.RNNLanguageModel`, whose graph is one decoding step.
    target_opset : int or dict, default=None
        As for ``skl2onnx.to_onnx`` (18 or newer); None takes skl2onnx's
        latest.
    options : dict, default=None
        skl2onnx's converter options; by default a classifier's
        probabilities are a tensor (``{RNNClassifier: {"zipmap": False}}``).

    Returns
    -------
    onx : onnx.ModelProto
        The graph; save it with ``onx.SerializeToString()``.
    """
    if isinstance(model, RNNLanguageModel):
        network = model.network_
        state = [network.num_layers, network.n_states, None, network.hidden_size]
        types = [("token", Int64TensorType([None])), ("state", FloatTensorType(state))]
    else:
        if X_sample is None:
            raise ValueError(f"to_onnx needs an X_sample to convert a {type(model).__name__}.")
        types = _initial_types(X_sample)
    options = {RNNClassifier: {"zipmap": False}, **(options or {})}
    onx = _skl2onnx_to_onnx(model, initial_types=types, target_opset=target_opset, options=options)
    if isinstance(model, RNNLanguageModel):
        entry = onx.metadata_props.add()
        entry.key, entry.value = "tokens", json.dumps([str(t) for t in model.tokens_])
    return onx
