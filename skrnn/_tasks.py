"""Tasks: what an estimator learns, from y to its targets and back.

Each estimator has one task object. It owns everything that depends on what
y is, and nothing that depends on the network:

* y -> targets, and the fitted state that comes from y (the classes and
  their encoder, the number of regression outputs, how a tagger's y was
  laid out);
* the units (:class:`PerSequence` or :class:`PerStep`): how a batch's
  targets are gathered, where predictions are placed, which units the
  validation sequences hold;
* the loss and the output activation;
* sample and class weights as one weight per unit, and the validation score;
* outputs -> predictions in the form y had.

A task is made from the first y (:meth:`Task.learn`) and never changes
after: a later ``partial_fit`` reads its y with :meth:`Task.targets`, so a
call that fails leaves the fitted task as it was.
"""

import numpy as np
from sklearn.metrics import r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import assert_all_finite, check_array, column_or_1d

from ._sequences import (
    END_ID,
    PAD_ID,
    OutputSequences,
    PairData,
    check_one_per_sequence,
    check_step_targets,
    is_stream,
)


class PerSequence:
    """One unit per sequence: one target, one weight, one prediction."""

    def batch_targets(self, targets, batch, dtype, weights=None):
        """A batch's targets as the output rows, and their loss weights: the
        mean over sequences, or the weighted mean with ``weights`` (one per
        sequence); None as the weights when they are all 0."""
        n = batch.n_sequences
        if weights is None:
            return targets[batch.rows], np.full(n, 1.0 / n, dtype=dtype)
        return targets[batch.rows], _normalised(weights[batch.rows], dtype)

    def new_predictions(self, lengths, n_outputs):
        """Room for the predictions of sequences of these ``lengths``, and
        the slot of each sequence's first one."""
        return np.empty((len(lengths), n_outputs)), np.arange(len(lengths))

    def place(self, predictions, slots, out, batch):
        """Put a batch's outputs at their sequences' ``slots`` (in the
        batch's order)."""
        predictions[slots] = out

    def units(self, data, index):
        """Where the units of the sequences ``index`` are among the targets."""
        return index

    def per_unit(self, sequence_weights, data, stream):
        """Sequence weights (per row of a stream) as one weight per unit."""
        return sequence_weights


class PerStep(PerSequence):
    """One unit per real step, sequence after sequence, end to end; padded
    steps get no loss and no prediction."""

    def batch_targets(self, targets, batch, dtype, weights=None):
        """Time-major targets of the batch's steps (0 on padded steps); the
        loss is the mean over its real steps, weighted by ``weights`` (one
        per step, as ``targets``) if given. Every sequence of a training
        batch has a real step (``SequenceBatches`` leaves the others out)."""
        position, real = batch.step_positions()  # (T, B)
        position = np.minimum(position, len(targets) - 1)
        target = np.where(real, targets[position], 0).ravel()
        if weights is None:
            mask = real.ravel()
            return target, mask.astype(dtype) / mask.sum()
        return target, _normalised(np.where(real, weights[position], 0).ravel(), dtype)

    def new_predictions(self, lengths, n_outputs):
        slots = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
        return np.empty((int(lengths.sum()), n_outputs)), slots

    def place(self, predictions, slots, out, batch):
        real = batch.step_mask()  # (T, B)
        position = slots[None, :] + np.arange(batch.n_steps)[:, None]
        predictions[position[real]] = out[real]

    def units(self, data, index):
        return data.steps_of(index)

    def per_unit(self, sequence_weights, data, stream):
        """A sequence's weight on each of its steps (a stream's are per step)."""
        return sequence_weights if stream else np.repeat(sequence_weights, data.lengths)


class FinalStep(PerStep):
    """Per-step outputs read at each sequence's last real step only: what
    a language model predicts after a prompt, without keeping the
    distributions of every step."""

    new_predictions = PerSequence.new_predictions

    def place(self, predictions, slots, out, batch):
        last = np.maximum(batch.lengths - 1, 0)
        predictions[slots] = out[last, np.arange(batch.n_sequences)]


def _normalised(weights, dtype):
    """Loss weights summing to 1, or None when they sum to 0."""
    total = weights.sum()
    return (weights / total).astype(dtype) if total > 0 else None


def check_weights(weights, what, fix):
    """Refuse weights that are not finite, are negative or sum to 0."""
    weights = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"{what} holds NaN or infinite values. {fix}")
    if np.any(weights < 0):
        raise ValueError(f"{what} holds negative values; weights must be >= 0. {fix}")
    if not weights.sum() > 0:
        raise ValueError(
            f"{what} sums to 0: nothing would count, so there is nothing to learn. {fix}"
        )
    return weights


class Task:
    """The base of the tasks: one unit per sequence, cross-entropy.

    A supervised task is made by ``learn(y, data, spec, owner, classes,
    dtype)``, which returns it with the targets of that first y, and reads a
    later y with ``targets(y, data, spec, classes)``.
    """

    loss = "log_loss"
    output_activation = "softmax"
    units = PerSequence()
    #: the readout of the network, unless the estimator's ``pooling`` says
    readout = "last"
    #: what to try when training diverges, beside the learning rate
    divergence_hint = ""
    #: whether the first ``partial_fit`` must be told every class
    needs_classes_up_front = False

    @staticmethod
    def reads_stream(X, y):
        """Whether a fresh fit reads X as one stream of steps."""
        return False

    def unit_weights(self, sequence_weights, targets, data, stream, class_weight, incremental):
        """The loss weight of every unit (None: all equal): the sample
        weights, on every step of a sequence for per-step units."""
        if sequence_weights is None:
            return None
        return self.units.per_unit(sequence_weights, data, stream)

    def stratify(self, targets):
        """What the validation split of early stopping is stratified by."""
        return None

    def training_data(self, data, targets):
        """What the network reads in training: the sequences X (with the
        targets, for a network that reads them too)."""
        return data


class _LabelTask(Task):
    """Labels encoded once: the classifier's and the tagger's."""

    def __init__(self, encoder):
        self.encoder = encoder

    @property
    def classes_(self):
        return self.encoder.classes_

    @property
    def n_outputs(self):
        return len(self.encoder.classes_)

    @classmethod
    def _learn_labels(cls, labels, owner, classes):
        check_classification_targets(labels)
        encoder = LabelEncoder().fit(labels if classes is None else np.asarray(classes))
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{owner} needs at least 2 classes in y, but only one class is "
                f"present ({encoder.classes_[0]!r}). Give y with two labels at least."
            )
        return encoder

    def _codes(self, labels, classes):
        """Class codes of the 1-D ``labels``; labels the encoder does not
        know, or ``classes`` other than the first call's, are errors."""
        check_classification_targets(labels)
        if classes is not None:
            given = np.unique(np.asarray(classes))
            if len(given) != len(self.classes_) or np.any(given != self.classes_):
                raise ValueError(
                    f"classes={given.tolist()} differs from the classes of the first "
                    f"call, {self.classes_.tolist()}. Pass the same classes to every "
                    "partial_fit call, or call fit to start anew."
                )
        unseen = np.setdiff1d(unique_labels(labels), self.classes_)
        if len(unseen):
            raise ValueError(
                f"y contains labels not seen in the first fit: {unseen.tolist()}. "
                f"Known classes are {self.classes_.tolist()}. Call fit to learn "
                "them, or pass every class to the first partial_fit."
            )
        return self.encoder.transform(labels)

    def unit_weights(self, sequence_weights, targets, data, stream, class_weight, incremental):
        """The sample weights times the class weights of ``class_weight``
        ('balanced' needs every label at once, which ``partial_fit`` does
        not see)."""
        weights = super().unit_weights(sequence_weights, targets, data, stream, None, incremental)
        if class_weight is None:
            return weights
        if class_weight == "balanced" and incremental:
            raise ValueError(
                "class_weight='balanced' needs every label at once, which partial_fit "
                "does not see. Pass a dict of class weights, for example from "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        if isinstance(class_weight, dict):
            check_weights(
                list(class_weight.values()),
                "class_weight",
                "Give every class a finite weight >= 0, not all 0.",
            )
        per_class = compute_class_weight(
            class_weight, classes=self.classes_, y=self.classes_[targets]
        )
        unit = per_class[targets]
        weights = unit if weights is None else weights * unit
        if not weights.sum() > 0:
            raise ValueError(
                "class_weight gives every label in y the weight 0 (with sample_weight), "
                "so there is nothing to learn. Give a class in y a positive weight."
            )
        return weights

    def validation_score(self, outputs, targets, weights):
        """Accuracy."""
        return float(np.average(outputs.argmax(axis=1) == targets, weights=weights))

    def labels(self, proba):
        """The most probable label of every row of ``proba``."""
        return self.classes_[proba.argmax(axis=1)]


class ClassificationTask(_LabelTask):
    """One label per sequence."""

    needs_classes_up_front = True

    @classmethod
    def learn(cls, y, data, spec, owner, classes=None, dtype=None):
        labels = cls._labels(y, data)
        task = cls(cls._learn_labels(labels, owner, classes))
        return task, task._codes(labels, None)

    def targets(self, y, data, spec, classes=None):
        return self._codes(self._labels(y, data), classes)

    @staticmethod
    def _labels(y, data):
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y"), warn=True)
        if len(y) != len(data):
            raise ValueError(
                f"X holds {len(data)} sequences but y holds {len(y)} labels; give "
                "one label per sequence."
            )
        return y

    def stratify(self, targets):
        return targets


class TaggingTask(_LabelTask):
    """One label per real step; predictions come back in the form y had
    (:class:`~skrnn._sequences.LabelLayout`)."""

    units = PerStep()
    readout = "every"

    @staticmethod
    def reads_stream(X, y):
        return is_stream(X, y)

    def __init__(self, encoder, label_layout):
        super().__init__(encoder)
        self.label_layout = label_layout

    @classmethod
    def learn(cls, y, data, spec, owner, classes=None, dtype=None):
        labels, layout = cls._labels(y, data, spec)
        task = cls(cls._learn_labels(labels, owner, classes), layout)
        return task, task._codes(labels, None)

    def targets(self, y, data, spec, classes=None):
        return self._codes(self._labels(y, data, spec)[0], classes)

    @staticmethod
    def _labels(y, data, spec):
        flat, layout = check_step_targets(y, data, spec.layout == "stream")
        if flat.dtype.kind in "fc":
            assert_all_finite(flat, input_name="y")
        return flat, layout

    def in_y_form(self, per_step, data, fill):
        """Per-step results (one row per real step, sequence after
        sequence) in the form y had in fit."""
        form = self.label_layout.form
        if form == "stream":
            return per_step
        if form == "array":
            mask = data.real_steps()
            out = np.empty(mask.shape + per_step.shape[1:], dtype=per_step.dtype)
            out[...] = fill
            out[mask] = per_step
            return out
        return data.split(per_step)

    def padding_label(self):
        """What a 2-D y's padded steps are predicted as."""
        pad = self.label_layout.pad_label
        return self.classes_[0] if pad is None else pad


class RegressionTask(Task):
    """One real value (or vector) per sequence, half squared error."""

    loss = "squared_error"
    output_activation = "identity"
    divergence_hint = "scale the targets (TransformedTargetRegressor with StandardScaler), "

    def __init__(self, n_outputs, y_ndim, dtype):
        self.n_outputs = n_outputs
        self.y_ndim = y_ndim
        self.dtype = np.dtype(dtype).name

    @classmethod
    def learn(cls, y, data, spec, owner, classes=None, dtype=None):
        values, y_ndim = cls._values(y, data)
        task = cls(values.shape[1], y_ndim, dtype)
        return task, task.targets(y, data, spec)

    def targets(self, y, data, spec, classes=None):
        values, _ = self._values(y, data)
        if values.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {values.shape[1]} targets per sequence but the model was fitted "
                f"with {self.n_outputs}. Give y of the first call's width."
            )
        limit = np.sqrt(np.finfo(self.dtype).max / max(values.shape[1], 1))
        largest = np.abs(values).max(initial=0.0)
        if largest >= limit:
            raise ValueError(
                f"y holds values up to {largest:.3g}, whose squared errors overflow "
                f"{self.dtype}. Scale the targets first, for example with "
                "sklearn.compose.TransformedTargetRegressor(transformer=StandardScaler()), "
                "or set dtype='float64'."
            )
        return values.astype(self.dtype)

    @staticmethod
    def _values(y, data):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"y must be 1-D or 2-D (n_sequences[, n_targets]), but it has shape "
                f"{y.shape}. Give one target (or one row of targets) per sequence."
            )
        if len(y) != len(data):
            raise ValueError(
                f"X holds {len(data)} sequences but y holds {len(y)} targets; give "
                "one target per sequence."
            )
        return y.reshape(len(y), -1), y.ndim

    def validation_score(self, outputs, targets, weights):
        """R²."""
        return float(r2_score(targets, outputs, sample_weight=weights))

    def values(self, outputs):
        """Predictions in the shape y had: 1-D for a 1-D y."""
        return outputs.ravel() if self.y_ndim == 1 else outputs


class NextTokenTask(Task):
    """Every step's next token of a text, per step; after a prompt, the
    distribution of the token that follows it (:class:`FinalStep`)."""

    units = PerStep()
    prompt_units = FinalStep()
    readout = "every"

    def __init__(self, n_tokens):
        self.n_tokens = n_tokens

    @property
    def n_outputs(self):
        return self.n_tokens


class OutputIds(PerSequence):
    """One output sequence per input sequence: every id of it, the end
    marker included, is a unit of the loss; the sample weights are per
    sequence."""

    def batch_targets(self, targets, batch, dtype, weights=None):
        """A :class:`~skrnn._sequences.PairBatch`'s output ids, batch-major
        ``(B * T_out,)`` as the decoder's rows, and their loss weights: the
        mean over the batch's real ids, each weighted by its sequence's
        weight if ``weights``."""
        ids = batch.target_ids
        real = ids != PAD_ID
        if weights is None:
            return ids.ravel(), (real / real.sum()).astype(dtype).ravel()
        return ids.ravel(), _normalised((real * weights[batch.rows][:, None]).ravel(), dtype)


class OutputSequenceTask(_LabelTask):
    """Output sequences of their own length, as ids from 2 up
    (:data:`~skrnn._sequences.PAD_ID` and :data:`~skrnn._sequences.END_ID`
    come first); predictions come back in the form Y had: strings joined
    as they were split, or lists or arrays of labels.

    Attributes
    ----------
    encoder : LabelEncoder
        The output tokens.
    split : {'char', 'word'}
        How a string of Y became tokens.
    form : {'str', 'list', 'array'}
        What Y's first output sequence was.
    longest : int
        The most tokens of an output sequence of the first Y.
    """

    units = OutputIds()
    readout = "every"

    def __init__(self, encoder, split, form, longest):
        super().__init__(encoder)
        self.split = split
        self.form = form
        self.longest = longest

    @property
    def n_outputs(self):
        return len(self.encoder.classes_) + 2

    @classmethod
    def learn(cls, y, data, spec, owner, classes=None, dtype=None, split="char"):
        sequences, form = cls._sequences(y, data, split)
        flat = _joined(sequences)
        labels = flat if classes is None else np.asarray(classes)
        if not len(labels):
            raise ValueError(
                f"Every output sequence in Y is empty: {owner} has no token to learn. "
                "Give Y sequences with at least one token."
            )
        check_classification_targets(labels)
        encoder = LabelEncoder().fit(labels)
        longest = max(len(s) for s in sequences)
        task = cls(encoder, split, form, longest)
        return task, task._encode(sequences, flat, None)

    def targets(self, y, data, spec, classes=None):
        sequences, _ = self._sequences(y, data, self.split)
        return self._encode(sequences, _joined(sequences), classes)

    def tokens(self, sequence):
        """One output sequence of Y as a list of tokens."""
        return _tokens(sequence, self.split)

    @staticmethod
    def _sequences(y, data, split):
        """Y as lists of tokens, and its form."""
        hint = ": strings, or lists of labels"
        check_one_per_sequence(y, len(data), "Y", "output sequence", hint)
        sequences, form = [], "str"
        for i, sequence in enumerate(y):
            if i == 0:
                form = _form(sequence)
            if not isinstance(sequence, str) and (
                isinstance(sequence, bytes) or np.ndim(sequence) != 1
            ):
                raise TypeError(
                    f"Output sequence {i} of Y must be a string or a 1-D list of labels; "
                    f"got {type(sequence).__name__} of {np.ndim(sequence)} dimensions."
                )
            sequences.append(_tokens(sequence, split))
        return sequences, form

    def _encode(self, sequences, flat, classes):
        """:class:`~skrnn._sequences.OutputSequences` of the token lists
        (``flat``: all their tokens end to end); tokens the encoder does not
        know, and ``classes`` other than the first call's, are errors."""
        lengths = np.array([len(s) for s in sequences], dtype=np.intp)
        codes = self._codes(flat, classes) + 2
        ends = np.cumsum(lengths + 1) - 1
        ids = np.full(int(lengths.sum()) + len(lengths), END_ID, dtype=np.intp)
        ids[np.delete(np.arange(len(ids)), ends)] = codes
        return OutputSequences(ids, lengths + 1)

    def training_data(self, data, targets):
        return PairData(data, targets)

    def in_y_form(self, ids):
        """Decoded id arrays as output sequences in the form Y had."""
        labels = [self.classes_[np.asarray(row, dtype=np.intp) - 2] for row in ids]
        if self.form == "str":
            joiner = "" if self.split == "char" else " "
            return [joiner.join(map(str, row)) for row in labels]
        if self.form == "list":
            return [row.tolist() for row in labels]
        return labels


def _tokens(sequence, split):
    """One output sequence as a list of tokens: a string's characters or
    words (``split``), or the labels of a list or array."""
    if isinstance(sequence, str):
        return list(sequence) if split == "char" else sequence.split()
    return list(sequence)


def _form(sequence):
    """What an output sequence of Y is: 'str', 'array' or 'list'."""
    if isinstance(sequence, str):
        return "str"
    return "array" if isinstance(sequence, np.ndarray) else "list"


def _joined(sequences):
    """All the token lists' tokens end to end, as one array."""
    flat = [token for sequence in sequences for token in sequence]
    return np.asarray(flat) if flat else np.empty(0, dtype=object)
