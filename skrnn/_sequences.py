"""Every X layout of the public API, validated once and turned into batches.

All X (and per-step y) handling lives here so that every estimator accepts the
same layouts and reports bad input with the same messages. The validators
write nothing: :func:`check_sequences` returns the data and an
:class:`InputSpec` of what it found, which an estimator keeps from ``fit``
and hands back at predict time.

Layouts:

* 2-D float array ``(n, T)``: n univariate sequences of fixed length T;
* 3-D float array ``(n, T, d)``: n sequences of T steps with d features;
* list of ``(T_i,)`` / ``(T_i, d)`` float sequences: ragged;
* 2-D int array ``(n, T)`` or list of int sequences: token ids, 0 = padding;
* 3-D int array ``(n, T, k)`` or list of ``(T_i, k)`` ids: k ids per step whose
  input rows are summed;
* a stream (the tagger's 2-D X with 1-D y): one sequence whose rows are steps.

Internally sequences are stored batch-first and padded to the longest one; a
:class:`Batch` is the time-major view of some of them, sorted by decreasing
length so that the rows still running at step ``t`` are always a prefix.
"""

import warnings
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_array,
    column_or_1d,
    validate_data,
)

DENSE = "dense"
TOKENS = "tokens"
PAD_ID = 0
UNKNOWN_ID = 1


@dataclass(frozen=True)
class InputSpec:
    """What :func:`check_sequences` found X to be.

    Attributes
    ----------
    layout : {'table', 'array', 'list', 'stream'}
        A 2-D array, a 3-D array (or a 2-D array of token ids), a ragged
        list, or one stream of steps.
    kind : {'dense', 'tokens'}
        Real values, or token ids.
    width : int
        Features (dense) or ids (tokens) per step.
    n_tokens : int or None
        For token ids: the largest id plus one (at least 2).
    """

    layout: str
    kind: str
    width: int
    n_tokens: int | None = None

    @property
    def is_table(self):
        """X is a table whose columns are sklearn's features: a 2-D array of
        fixed-length real sequences, or a stream's steps. ``n_features_in_``
        and feature names then apply to X itself."""
        return self.layout == "stream" or (self.layout == "table" and self.kind == DENSE)


class SequenceData:
    """Validated sequences, their real steps stored end to end.

    No sequence is padded to the longest one of a call: batches are padded
    only to their own longest sequence, so memory follows the data.

    Parameters
    ----------
    steps : ndarray of shape (n_steps_total, d) float, or (n_steps_total, k) intp
        Every sequence's real steps, sequence after sequence.
    lengths : ndarray of shape (n,)
        Real length of every sequence (0 for one that is all padding).
    kind : {'dense', 'tokens'}
    source_mask : ndarray of shape (n, T_source) of bool or None
        For a padded array X, which of its steps are real (in order); None
        when every sequence's steps are a prefix of its row.
    """

    def __init__(self, steps, lengths, kind, source_mask=None):
        self.steps = steps
        self.lengths = np.asarray(lengths, dtype=np.intp)
        self.kind = kind
        self.source_mask = source_mask
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.intp)

    @classmethod
    def from_padded(cls, values, lengths, kind, source_mask=None):
        """From padded rows ``(n, T, d|k)`` whose real steps are a prefix."""
        real = np.arange(values.shape[1])[None, :] < np.asarray(lengths)[:, None]
        return cls(values[real], lengths, kind, source_mask)

    @property
    def width(self):
        """Features (dense) or ids (tokens) per step."""
        return self.steps.shape[1]

    def real_steps(self):
        """Boolean mask of the real steps in the layout X came in."""
        if self.source_mask is not None:
            return self.source_mask
        return np.arange(max(self.lengths.max(), 1))[None, :] < self.lengths[:, None]

    def split(self, flat):
        """Per-step results ``(n_steps_total, ...)`` as one array per sequence."""
        return np.split(flat, np.cumsum(self.lengths)[:-1])

    def steps_of(self, index):
        """Positions among the steps end to end of the steps of the
        sequences ``index``, sequence after sequence."""
        lengths = self.lengths[index]
        before = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return np.repeat(self.starts[index] - before, lengths) + np.arange(lengths.sum())

    def __len__(self):
        return len(self.lengths)

    def batch(self, index=None, dtype=np.float64):
        """Time-major :class:`Batch` of the rows ``index`` (all rows if None),
        padded to the longest of them."""
        if index is None:
            index = np.arange(len(self))
        index = np.asarray(index)
        order = np.argsort(-self.lengths[index], kind="stable")
        rows = index[order]
        lengths = self.lengths[rows]
        n_steps = int(lengths[0]) if len(rows) else 0
        position, real = _step_positions(self.starts[rows], lengths, n_steps)  # (T, B)
        if len(self.steps):
            inputs = np.take(self.steps, np.minimum(position, len(self.steps) - 1), axis=0)
        else:
            inputs = np.zeros((n_steps, len(rows), self.width), dtype=self.steps.dtype)
        inputs[~real] = 0
        if self.kind == DENSE:
            inputs = np.ascontiguousarray(inputs, dtype=dtype)
        return Batch(inputs, lengths, order, rows, self.starts[rows])


def _step_positions(starts, lengths, n_steps):
    """``(T, B)`` positions in the end-to-end steps of every step of the
    sequences that start at ``starts``, and which of them are real."""
    steps = np.arange(n_steps)[:, None]
    real = steps < lengths[None, :]
    return starts[None, :] + np.where(real, steps, 0), real


class Batch:
    """Time-major padded inputs of sequences sorted by decreasing length.

    Attributes
    ----------
    inputs : ndarray of shape (T, B, d) float or (T, B, k) intp
    lengths : ndarray of shape (B,)
    order : ndarray of shape (B,)
        ``order[i]`` is the position, in the requested rows, of batch row ``i``.
    rows : ndarray of shape (B,)
        Index of every batch row in the :class:`SequenceData` it came from.
    starts : ndarray of shape (B,)
        Where each batch row's steps start among the data's steps end to end.
    batch_sizes : list of int, length T
        Number of sequences still running at each step.
    n_steps, n_sequences : int
        T and B.
    """

    def __init__(self, inputs, lengths, order, rows, starts):
        self.inputs = inputs
        self.lengths = lengths
        self.order = order
        self.rows = rows
        self.starts = starts
        self.n_steps, self.n_sequences = inputs.shape[:2]
        # Python ints: they slice faster than numpy integers in the time loop.
        self.batch_sizes = (
            (lengths[None, :] > np.arange(self.n_steps)[:, None]).sum(axis=1).tolist()
        )

    def step_mask(self):
        """Boolean ``(T, B)`` mask of the real (non-padded) steps."""
        return np.arange(self.n_steps)[:, None] < self.lengths[None, :]

    def step_positions(self):
        """``(T, B)`` positions of the batch's steps among the data's steps
        end to end (padded steps point at a real one), and the real mask."""
        return _step_positions(self.starts, self.lengths, self.n_steps)


#: the output-sequence id of padding, and of the marker that starts every
#: decoder input and ends every output sequence
PAD_ID, END_ID = 0, 1


class OutputSequences:
    """Output sequences as token ids, stored end to end, each closed by
    :data:`END_ID`.

    Parameters
    ----------
    ids : ndarray of shape (n_ids_total,) of intp
        Every sequence's ids (from 2 up), sequence after sequence, each
        followed by :data:`END_ID`.
    lengths : ndarray of shape (n,)
        Ids of every sequence, the end marker included.
    """

    def __init__(self, ids, lengths):
        self.ids = ids
        self.lengths = np.asarray(lengths, dtype=np.intp)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.intp)

    def padded(self, rows):
        """``(len(rows), longest)`` ids of the sequences ``rows``, padded
        with :data:`PAD_ID`."""
        lengths = self.lengths[rows]
        n_steps = int(lengths.max(initial=0))
        position, real = _step_positions(self.starts[rows], lengths, n_steps)
        return np.where(real, self.ids[np.minimum(position, len(self.ids) - 1)], PAD_ID).T

    def __len__(self):
        return len(self.lengths)


class PairBatch(Batch):
    """A :class:`Batch` of input sequences with their output sequences.

    Attributes
    ----------
    target_ids : ndarray of shape (B, T_out)
        The outputs' ids in the batch's (input-length) order, padded with
        :data:`PAD_ID`: what the decoder learns to emit.
    decoder_inputs : ndarray of shape (T_out, B, 1)
        What the decoder reads (teacher forcing): :data:`END_ID`, then the
        outputs' ids shifted one step.
    """

    def __init__(self, batch, target_ids):
        super().__init__(batch.inputs, batch.lengths, batch.order, batch.rows, batch.starts)
        self.target_ids = target_ids
        shifted = np.full(target_ids.shape, END_ID, dtype=np.intp)
        shifted[:, 1:] = target_ids[:, :-1]
        self.decoder_inputs = np.ascontiguousarray(shifted.T)[:, :, None]


class PairData:
    """Input sequences (:class:`SequenceData`) with their
    :class:`OutputSequences`, batched together: what an encoder-decoder
    trains on. Batches are sorted by the inputs' lengths."""

    def __init__(self, data, outputs):
        self.data = data
        self.outputs = outputs

    @property
    def lengths(self):
        """The input sequences' lengths, which batches are sorted by."""
        return self.data.lengths

    def __len__(self):
        return len(self.data)

    def batch(self, index=None, dtype=np.float64):
        batch = self.data.batch(index, dtype)
        return PairBatch(batch, self.outputs.padded(batch.rows))


def _looks_like_text(X):
    if isinstance(X, (str, bytes)):
        return True
    if isinstance(X, np.ndarray):
        if X.dtype.kind in "US":
            return True
        return X.dtype.kind == "O" and X.size > 0 and isinstance(X.flat[0], (str, bytes))
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and isinstance(X[0], (str, bytes))
    return False


def _text_error(X, owner):
    """Text where numbers belong: say how the text becomes token ids for
    ``owner`` (the estimator's class name), or that it does not belong."""
    what = "a string" if isinstance(X, (str, bytes)) else "a collection of strings"
    if owner is None:
        return TypeError(
            f"X is {what}, but this transformer takes real-valued sequences. Text "
            "becomes token ids with skrnn.SequenceVectorizer, for the RNN estimators."
        )
    return TypeError(
        f"X is {what}, but {owner} takes numeric sequences or token ids. Turn text "
        "into token ids with skrnn.SequenceVectorizer, for example "
        f"make_pipeline(SequenceVectorizer(), {owner}())."
    )


def _decide_kind(dtype_kind, input_type):
    if input_type == TOKENS:
        return TOKENS
    if input_type == DENSE:
        return DENSE
    return TOKENS if dtype_kind in "iu" else DENSE


def _check_token_values(ids, where):
    if ids.size and ids.min() < 0:
        bad = np.argwhere(ids < 0)[0]
        raise ValueError(
            f"Token ids must be >= 0 (0 is padding, 1 is unknown), but {where} has "
            f"id {ids[tuple(bad)]} at position {tuple(int(i) for i in bad)}. If X "
            "holds numeric values rather than token ids, pass input_type='dense'."
        )


def _as_token_array(arr, input_type, where):
    """Integer ids from an array that is declared or detected as tokens."""
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(
                f"input_type='tokens' needs whole-number ids, but {where} holds "
                "non-integer values. Use input_type='dense' for real-valued "
                "sequences."
            )
    elif arr.dtype.kind not in "iub":
        raise TypeError(
            f"Token ids must be integers; {where} has dtype {arr.dtype}. Pass "
            "integer ids, or input_type='dense' for real-valued sequences."
        )
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.intp).max:
        raise ValueError(
            f"Token ids must be below {np.iinfo(np.intp).max}, but {where} holds id "
            f"{arr.max()}. Number tokens consecutively from 2, as SequenceVectorizer "
            "does."
        )
    ids = arr.astype(np.intp, copy=False)
    _check_token_values(ids, where)
    return ids


def _token_data(ids):
    """:class:`SequenceData` of padded ids ``(n, T, k)``: a step is padding
    when all its ids are 0, wherever it stands (in every token layout), and
    is skipped, so a sequence is the same whether it is pre-padded,
    post-padded or padded inside, and whatever shares its call."""
    real = ids.any(axis=2)  # (n, T)
    return SequenceData(ids[real], real.sum(axis=1), TOKENS, real)


def _from_list(X, input_type, owner):
    """Ragged list of sequences -> padded batch-first :class:`SequenceData`."""
    if len(X) == 0:
        raise ValueError("X is an empty list; give at least one sequence.")
    seqs = []
    kind = None
    for i, seq in enumerate(X):
        if _looks_like_text(seq):
            raise _text_error(X, owner)
        if sp.issparse(seq):
            raise TypeError(
                f"Sequence {i} is a sparse matrix; sparse input is not supported. "
                "Convert it with .toarray()."
            )
        try:
            arr = np.asarray(seq)
        except ValueError as exc:
            raise ValueError(
                f"Sequence {i} is not a rectangular array of steps x features: "
                f"{exc}. Give each sequence as a (T_i, d) array."
            ) from None
        if arr.dtype.kind == "O":
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Sequence {i} holds non-numeric items; sequences must be "
                    "numbers or token ids; turn text into ids with SequenceVectorizer."
                ) from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"Sequence {i} has dtype {arr.dtype}; sequences must be numbers or token ids."
            )
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(
                f"Sequence {i} must be 1-D (steps) or 2-D (steps, features). Got "
                f"an array of shape {arr.shape} instead."
            )
        if arr.shape[0] == 0:
            raise ValueError(
                f"Sequence {i} is empty; every sequence needs at least one step. "
                "Drop it or give it a padding step."
            )
        seq_kind = _decide_kind(arr.dtype.kind, input_type)
        if kind is None:
            kind = seq_kind
        elif seq_kind != kind and input_type == "auto":
            raise ValueError(
                f"Sequence {i} holds {'integers' if seq_kind == TOKENS else 'floats'}"
                f" but sequence 0 holds {'integers' if kind == TOKENS else 'floats'}"
                "; all sequences must be of one kind (set input_type to force one)."
            )
        if seqs and arr.shape[1] != seqs[0].shape[1]:
            raise ValueError(
                f"Sequence {i} has {arr.shape[1]} features per step but sequence 0 "
                f"has {seqs[0].shape[1]}; all sequences need the same number of "
                "features."
            )
        seqs.append(arr)
    lengths = np.array([len(s) for s in seqs], dtype=np.intp)
    if kind == TOKENS:
        ids = [_as_token_array(arr, input_type, f"sequence {i}") for i, arr in enumerate(seqs)]
        steps = np.concatenate(ids)
        real = steps.any(axis=1)  # id 0 is padding wherever it stands
        counts = np.add.reduceat(real, np.r_[0, np.cumsum(lengths)[:-1]]) if len(real) else real
        return SequenceData(steps[real], counts, kind)
    # float32 stays float32 (the transformers keep it); anything else is float64
    dtype = np.float32 if all(arr.dtype == np.float32 for arr in seqs) else np.float64
    steps = np.concatenate([arr.astype(dtype, copy=False) for arr in seqs])
    if not np.all(np.isfinite(steps)):
        first = np.flatnonzero(~np.isfinite(steps).all(axis=1))[0]
        i = int(np.searchsorted(np.cumsum(lengths), first, side="right"))
        raise ValueError(
            f"Input X contains NaN or infinity (first in sequence {i}). Remove or "
            "impute those values first."
        )
    return SequenceData(steps, lengths, kind)


def _from_array(X, input_type):
    """Array input -> :class:`SequenceData` and the layout: 'table' for a 2-D
    array (n sequences of T steps, or of T token ids), 'array' for 3-D."""
    arr = X if hasattr(X, "dtype") and hasattr(X, "ndim") else np.asarray(X)
    kind = _decide_kind(arr.dtype.kind, input_type)
    if arr.ndim == 1:
        raise ValueError(
            "Expected a 2-D array (n_sequences, n_steps) or a 3-D array "
            "(n_sequences, n_steps, n_features), got a 1-D array instead. "
            "Reshape your data either using array.reshape(-1, 1) if each sample "
            "is a single step or array.reshape(1, -1) if it is one sequence."
        )
    if kind == DENSE and arr.ndim == 2:
        values = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        lengths = np.full(len(values), values.shape[1])
        return SequenceData(values.reshape(-1, 1), lengths, kind), "table"
    values = check_array(X, dtype=None, allow_nd=True)
    if values.ndim > 3:
        raise ValueError(
            "X must be 2-D or 3-D (n_sequences, n_steps[, n_features]). Got an "
            f"array of shape {values.shape} instead."
        )
    layout = "table" if values.ndim == 2 else "array"
    if values.ndim == 2:
        values = values[:, :, None]
    if kind == TOKENS:
        return _token_data(_as_token_array(values, input_type, "X")), layout
    n, T, d = values.shape
    values = check_array(values.reshape(n, -1), dtype=[np.float64, np.float32])
    return SequenceData(values.reshape(n * T, d), np.full(n, T), kind), layout


def _from_stream(X, input_type):
    """A 2-D array of steps (n_steps, n_features) as one sequence."""
    if isinstance(X, (list, tuple)) and not is_nested_scalar_table(X):
        raise ValueError(
            f"This model was fitted on one stream of steps (a 2-D X with a 1-D y), so "
            f"it reads X as one 2-D array of steps, but X is a list of {len(X)} "
            "sequences. Pass one (n_steps, n_features) array, or fit on the list of "
            "sequences (with a list of label sequences) to tag them one by one."
        )
    arr = X if hasattr(X, "dtype") and hasattr(X, "ndim") else np.asarray(X)
    kind = _decide_kind(arr.dtype.kind, input_type)
    dtype = None if kind == TOKENS else [np.float64, np.float32]
    values = check_array(X, dtype=dtype, input_name="X")
    if kind == TOKENS:
        # every row of a stream is a step, even one whose ids are all 0
        values = _as_token_array(values, input_type, "X")
    return SequenceData(values, np.array([len(values)]), kind)


def is_nested_scalar_table(X):
    """True for ``X.tolist()`` of a 2-D array: lists of scalars, all one length.

    sklearn treats such a list exactly as the array it came from, so it is a
    fixed-width table here too; ragged data is any other list.
    """
    if not X or not all(isinstance(row, (list, tuple)) for row in X):
        return False
    width = len(X[0])
    return all(
        len(row) == width and all(isinstance(v, (int, float, np.number)) for v in row) for row in X
    )


def is_stream(X, y):
    """Whether ``X, y`` is the tagger's stream layout: a 2-D array X with a
    1-D y of scalar labels (or a column of them), one label per row."""
    if y is None:
        return False
    if isinstance(X, (list, tuple)) and not is_nested_scalar_table(X):
        return False
    shape = np.shape(np.asarray(X))
    if len(shape) != 2:
        return False
    if isinstance(y, (list, tuple)):
        return len(y) > 0 and not isinstance(y[0], (list, tuple, np.ndarray))
    y = np.asarray(y)
    if y.ndim == 2:
        return y.shape == (shape[0], 1)  # a column vector: 1-D y, with a warning
    return y.ndim == 1 and y.size > 0 and not isinstance(y[0], (list, tuple, np.ndarray))


def check_sequences(X, *, spec=None, input_type="auto", stream=False, owner=None):
    """Validate X in any layout; return :class:`SequenceData` and the
    :class:`InputSpec` of what was found.

    ``spec``, the description of the data an estimator was fitted on, makes
    X agree with it: same kind and width (ids the fit never saw become the
    unknown id, with a warning) and, for a stream, the stream layout.
    Without it, ``input_type`` says how to read integers and ``stream``
    reads a 2-D array as one sequence whose rows are the steps (hmmlearn's
    layout). ``owner``, the estimator's class name, makes the message for
    text say how to turn it into token ids for it.
    """
    X = _frame_values(_sequences_of_objects(X))
    if _looks_like_text(X):
        raise _text_error(X, owner)
    if sp.issparse(X):
        raise TypeError(
            "Sparse input is not supported: sequences are dense arrays or lists. "
            "Convert with X.toarray()."
        )
    if spec is not None:
        input_type, stream = spec.kind, spec.layout == "stream"
    if stream:
        data, layout = _from_stream(X, input_type), "stream"
    elif isinstance(X, (list, tuple)) and not is_nested_scalar_table(X):
        data, layout = _from_list(X, input_type, owner), "list"
    else:
        data, layout = _from_array(X, input_type)
    if len(data) == 0:
        raise ValueError("X holds 0 sequences; give at least one.")
    steps, width = data.steps, data.width
    n_tokens = None
    if data.kind == TOKENS:
        n_tokens = max(int(steps.max(initial=0)) + 1, UNKNOWN_ID + 1)
    if spec is None and n_tokens is not None:
        check_vocabulary_size(n_tokens, data, "X holds token ids that ask for")
    if spec is not None:
        _check_width(spec, data.kind, width)
        if data.kind == TOKENS:
            data.steps = _clip_unknown_ids(steps, spec.n_tokens)
    return data, InputSpec(layout, data.kind, width, n_tokens)


def _frame_values(X):
    """A data frame as the array of its values: integer columns (pandas'
    nullable ``Int64`` too) as int64 token ids, so they are read as ids;
    any other frame as it is (sklearn reads it)."""
    if not (hasattr(X, "dtypes") and hasattr(X, "to_numpy") and getattr(X, "ndim", 0) == 2):
        return X
    if not len(X.dtypes) or any(getattr(dt, "kind", "O") not in "iu" for dt in X.dtypes):
        return X
    missing = X.isna().to_numpy()
    if missing.any():
        row, column = np.argwhere(missing)[0]
        raise ValueError(
            f"X has a missing token id (row {row}, column {X.columns[column]!r}). Token "
            "id 0 is padding: fill missing ids with it, X.fillna(0)."
        )
    return X.to_numpy(dtype=np.int64)


def _sequences_of_objects(X):
    """A 1-D object array or a pandas Series of sequences, as a list."""
    if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 1:
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        if len(X) and not isinstance(X[0], (str, bytes)):
            return list(X)
    return X


#: ids may run this far beyond the data: 65,536 plus 100 per id in X
VOCABULARY_SLACK = (1 << 16, 100)


def check_vocabulary_size(n_tokens, data, asking):
    """Refuse a vocabulary so far beyond the ids of ``data`` that its table
    would not follow the data; ``asking`` says who asks for it."""
    base, per_id = VOCABULARY_SLACK
    n_ids = int(np.count_nonzero(data.steps))
    if n_tokens > base + per_id * n_ids:
        raise ValueError(
            f"{asking} a table of {n_tokens} rows, far beyond the {n_ids} ids in X "
            f"(at most {base} + {per_id} per id). Token ids should number a "
            "vocabulary consecutively from 2, as SequenceVectorizer makes them; "
            "n_tokens is len(vectorizer.get_feature_names_out())."
        )


def check_feature_count(estimator, X, spec, reset):
    """sklearn's ``n_features_in_`` (and feature names) for sequences X
    described by ``spec``: a table's columns are sklearn's features, checked
    (or, ``reset``, learnt) by sklearn's own ``validate_data``; any other
    layout learns its features per step, ``spec.width``, and no names."""
    if not reset:
        if spec.is_table:
            validate_data(estimator, X, skip_check_array=True, reset=False)
        return
    attributes, removed = feature_attributes(X, spec)
    for name in removed:
        estimator.__dict__.pop(name, None)
    estimator.__dict__.update(attributes)


def feature_attributes(X, spec):
    """The attributes a fit on X sets for sklearn, ``n_features_in_`` and
    ``feature_names_in_`` where X has names, and the names it removes, as a
    dict and a tuple: computed aside, so that a fit can commit them with
    everything else. A table's are what sklearn's own checks learn."""
    if not spec.is_table:
        return {"n_features_in_": spec.width}, ("feature_names_in_",)
    probe = SimpleNamespace()
    _check_n_features(probe, X, reset=True)
    _check_feature_names(probe, X, reset=True)
    removed = () if hasattr(probe, "feature_names_in_") else ("feature_names_in_",)
    return vars(probe), removed


def _check_width(spec, kind, width):
    if width != spec.width:
        unit = "ids" if kind == TOKENS else "features"
        raise ValueError(
            f"X has {width} {unit} per step, but the model is expecting {spec.width} "
            f"{unit} per step as input, as in fit. Give X the steps of the fitted width."
        )


def _clip_unknown_ids(ids, n_tokens):
    """Map ids the model never saw to the unknown id, with a warning."""
    too_large = ids >= n_tokens
    if too_large.any():
        warnings.warn(
            f"{int(too_large.sum())} token id(s) are >= {n_tokens}, the size of "
            "the vocabulary seen in fit; they are treated as unknown (id 1).",
            UserWarning,
            stacklevel=4,
        )
        ids = np.where(too_large, UNKNOWN_ID, ids)
    return ids


@dataclass(frozen=True)
class LabelLayout:
    """How a tagger's y was laid out in fit, so predictions come back alike.

    Attributes
    ----------
    form : {'stream', 'array', 'list'}
        1-D y of a stream, a 2-D array shaped like X's steps, or a list of
        label sequences.
    pad_label : object or None
        For the 'array' form: the one label y held on padded steps, if it
        held one.
    """

    form: str
    pad_label: object = None


def check_step_targets(y, data, stream):
    """Per-step labels in any of the tagger's forms -> (flat labels,
    :class:`LabelLayout`).

    The flat labels are those of the real steps, sequence by sequence; labels
    of padded steps of a 2-D y are ignored.
    """
    if stream:
        flat = column_or_1d(np.asarray(y), warn=True)
        if len(flat) != data.lengths[0]:
            raise ValueError(
                f"X holds {data.lengths[0]} steps but y holds {len(flat)} labels; "
                "a stream needs one label per row."
            )
        return flat, LabelLayout("stream")
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype.kind != "O":
        mask = data.real_steps()
        if y.shape != mask.shape:
            raise ValueError(
                f"A 2-D y must have the shape of X's steps {mask.shape}. Got "
                f"shape {y.shape} instead."
            )
        padded = np.unique(y[~mask])
        return y[mask], LabelLayout("array", padded[0] if len(padded) == 1 else None)
    return _flatten_label_sequences(y, data.lengths), LabelLayout("list")


def warn_unseen_labels(owner, classes, y_true):
    """Labels a model never saw can only be scored as errors: say so."""
    unseen = np.setdiff1d(np.unique(np.asarray(y_true)), classes)
    if len(unseen):
        warnings.warn(
            f"y contains labels {unseen.tolist()[:10]} that {owner} was not fitted "
            f"on (it knows {classes.tolist()[:10]}); they count as wrong predictions.",
            UserWarning,
            stacklevel=3,
        )


def check_one_per_sequence(y, n_sequences, name, what, hint=""):
    """Refuse a ``y`` that is not a collection of ``what`` (a kind of
    sequence), one per sequence of X: the targets of the tagger and of the
    encoder-decoder. ``hint`` says what each item may be."""
    if isinstance(y, (str, bytes)) or not hasattr(y, "__len__"):
        raise TypeError(
            f"{name} must be a list of {what}s, one per sequence in X{hint}. Got "
            f"{type(y).__name__} instead."
        )
    if len(y) != n_sequences:
        raise ValueError(
            f"{name} holds {len(y)} {what}s for {n_sequences} sequences in X; "
            f"give one {what} per input sequence."
        )


def _flatten_label_sequences(y, lengths):
    """A list of label sequences, checked against the sequence lengths."""
    check_one_per_sequence(y, len(lengths), "y", "label sequence")
    flat = []
    for i, (labels, n_steps) in enumerate(zip(y, lengths)):
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
            raise TypeError(
                f"Label sequence {i} must be a list of labels, one per step. Got "
                f"{type(labels).__name__} instead."
            )
        if len(labels) != n_steps:
            raise ValueError(
                f"Label sequence {i} has {len(labels)} labels for {n_steps} steps; "
                "every sequence needs one label per step."
            )
        flat.extend(labels)
    return np.asarray(flat)


def flatten_label_pair(y_true, y_pred):
    """Both sides as flat 1-D arrays; sequence lengths must agree."""
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true holds {len(y_true)} sequences but y_pred holds {len(y_pred)}; "
            "they must be label sequences of the same sequences."
        )
    true_seqs = [np.atleast_1d(np.asarray(s)) for s in y_true]
    pred_seqs = [np.atleast_1d(np.asarray(s)) for s in y_pred]
    for i, (t, p) in enumerate(zip(true_seqs, pred_seqs)):
        if len(t) != len(p):
            raise ValueError(
                f"Sequence {i} has {len(t)} true labels but {len(p)} predicted ones; "
                "each needs one predicted label per true one."
            )
    if not true_seqs:
        return np.array([]), np.array([])
    return np.concatenate(true_seqs), np.concatenate(pred_seqs)
