"""RNNSequenceTagger: one label per time step (many-to-many)."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import assert_all_finite, check_is_fitted, column_or_1d

from ._base import BaseRNN, warn_unseen_labels
from ._docstrings import fill_doc
from ._sequences import check_sequences, check_step_targets, is_nested_scalar_table
from .metrics import flat_accuracy_score


def _is_stream(X, y):
    """2-D array X with a 1-D y of scalar labels (or a column of them): one
    sequence whose rows are the steps."""
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


@fill_doc
class RNNSequenceTagger(ClassifierMixin, BaseRNN):
    """Recurrent sequence tagger: one label per time step.

    Every step's hidden state goes through a softmax output layer, so the
    label of step t may depend on all the steps up to t (and, with
    ``bidirectional=True``, after it). Loss: cross-entropy averaged over the
    real (non-padded) steps of a mini-batch.

    X and y may come in these layouts; ``predict`` answers in the one y had:

    * a list of sequences (arrays, or token-id lists) with a list of label
      sequences of the same lengths (any hashable labels), as sklearn-crfsuite;
      ``predict`` returns a list of arrays, each as long as its sequence;
    * padded token ids ``(n, T)`` from :class:`SequenceVectorizer` with a list
      of label sequences;
    * a 3-D array ``(n, T, d)`` (or 2-D ``(n, T)``) with a 2-D label array
      ``(n, T)``; ``predict`` returns ``(n, T)``;
    * the stream layout: a 2-D array ``(n_steps, n_features)`` with a 1-D y
      ``(n_steps,)`` is **one** sequence whose rows are consecutive steps
      (hmmlearn's convention); ``predict`` returns ``(n_steps,)``. A stream
      must be split with contiguous folds (``KFold(shuffle=False)``,
      ``TimeSeriesSplit``), never shuffled ones, or the steps lose their order.

    Parameters
    ----------
    {network}
    {optimizer}
    {sequences}
    {control}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Step labels, sorted.
    input_type_ : {'dense', 'tokens'}
        How X was read in ``fit``.
    n_features_in_ : int
        Features (or ids) per step; for a 2-D float array of sequences, their
        fixed length.
    n_tokens_ : int
        For token input: largest id seen in ``fit`` plus one.
    loss_, best_loss_, loss_curve_, validation_scores_, validation_loss_curve_,\
    best_validation_score_, n_iter_, t_, coefs_
        As for :class:`RNNClassifier`; scores are token accuracies.

    See Also
    --------
    RNNClassifier : One label per sequence.
    skrnn.metrics.flat_classification_report : Per-label report over steps.

    Examples
    --------
    >>> from skrnn import RNNSequenceTagger
    >>> from skrnn.datasets import make_mod_sequences
    >>> X, y = make_mod_sequences(50, 8, random_state=0)   # y_t = (x_t + 1) mod 3
    >>> tagger = RNNSequenceTagger(hidden_size=16, learning_rate_init=0.01,
    ...                            random_state=0).fit(X, y)
    >>> tagger.predict(X[:1]).shape
    (1, 8)
    >>> float(tagger.score(X, y))
    1.0
    >>> words = [[2, 3, 4], [4, 2]]                         # ragged token ids
    >>> tags = [["D", "N", "V"], ["V", "D"]]
    >>> RNNSequenceTagger(max_iter=300, random_state=0).fit(words, tags).predict(words)
    [array(['D', 'N', 'V'], dtype='<U1'), array(['V', 'D'], dtype='<U1')]
    """

    _parameter_constraints: dict = {**BaseRNN._parameter_constraints}
    _head = "every"

    def _fit(self, X, y, incremental, classes=None):
        if not hasattr(self, "network_") or not (self.warm_start or incremental):
            self._stream = _is_stream(X, y)
        return super()._fit(X, y, incremental, classes)

    def _check_sequences(self, X, reset):
        return check_sequences(
            self, X, reset=reset, input_type=self.input_type, stream=self._stream
        )

    def _encode_targets(self, y, data, reset, classes=None):
        flat, form = check_step_targets(y, data, self._stream)
        if flat.dtype.kind in "fc":
            assert_all_finite(flat, input_name="y")
        check_classification_targets(flat)
        if reset:
            self._y_form = form
            self._label_encoder = LabelEncoder().fit(
                flat if classes is None else np.asarray(classes)
            )
            self.classes_ = self._label_encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    "RNNSequenceTagger needs at least 2 distinct labels, but only one "
                    f"class is present ({self.classes_[0]!r}). Got 1 class instead."
                )
            if form == "array":
                self._pad_label = _padding_label(y, data.real_steps(), self.classes_)
        unseen = np.setdiff1d(flat, self.classes_)
        if len(unseen):
            raise ValueError(
                f"y contains labels not seen in the first fit: {unseen.tolist()}. "
                f"Known classes are {self.classes_.tolist()}. Got unseen labels "
                "instead."
            )
        targets = np.zeros(data.values.shape[:2], dtype=np.intp)  # (n, T), 0 on padding
        targets[np.arange(data.values.shape[1])[None, :] < data.lengths[:, None]] = (
            self._label_encoder.transform(flat)
        )
        return targets, len(self.classes_)

    def _validation_score(self, outputs, targets):
        return float(np.mean(outputs.argmax(axis=1) == targets))

    def partial_fit(self, X, y, classes=None):
        """Update the model with one epoch over X and y.

        Parameters
        ----------
        X : sequences
            As for :meth:`fit`.
        y : label sequences
            As for :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            Every label y may hold; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit_with_classes(X, y, classes)

    def _step_outputs(self, X):
        """Per-step probabilities ``(n, T, n_classes)`` and the data."""
        check_is_fitted(self)
        data = self._check_sequences(X, reset=False)
        return self._forward_all(data), data

    def _in_y_form(self, per_step, data, fill):
        """Arrange per-step results ``(n, T, ...)`` in the form y had in fit."""
        if self._stream:
            return per_step[0, : data.lengths[0]]
        if self._y_form == "array":
            mask = data.real_steps()
            out = np.empty(mask.shape + per_step.shape[2:], dtype=per_step.dtype)
            out[...] = fill
            out[mask] = per_step[np.arange(per_step.shape[1])[None, :] < data.lengths[:, None]]
            return out
        return [per_step[i, :n] for i, n in enumerate(data.lengths)]

    def predict_proba(self, X):
        """Probability of each label at every step.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.

        Returns
        -------
        proba : list of ndarray of shape (T_i, n_classes), or ndarray
            One array per sequence for list-form y; ``(n, T, n_classes)`` for
            2-D y (zero on padded steps); ``(n_steps, n_classes)`` for a stream.
        """
        proba, data = self._step_outputs(X)
        return self._in_y_form(proba, data, 0.0)

    def predict(self, X):
        """Most probable label at every step.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.

        Returns
        -------
        y : list of ndarray of shape (T_i,), or ndarray
            The form y had in ``fit``: a list of arrays (each exactly as long as
            its sequence), a 2-D array ``(n, T)`` (padded steps hold the padding
            label seen in fit), or ``(n_steps,)`` for a stream.
        """
        return self._predict_with_data(X)[0]

    def _predict_with_data(self, X):
        """``predict(X)`` and the validated sequences it was computed from."""
        proba, data = self._step_outputs(X)
        labels = self.classes_[proba.argmax(axis=2)]
        fill = getattr(self, "_pad_label", self.classes_[0])
        return self._in_y_form(labels, data, fill), data

    def score(self, X, y, sample_weight=None):
        """Token-level accuracy: the share of real steps labelled correctly.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.
        y : label sequences
            True labels, in the form used in ``fit``.
        sample_weight : None
            Not supported; must be None.

        Returns
        -------
        score : float
            Accuracy over all steps of all sequences.
        """
        if sample_weight is not None:
            raise ValueError(
                "RNNSequenceTagger.score does not take sample_weight. Got "
                f"{type(sample_weight).__name__} instead."
            )
        y_pred, data = self._predict_with_data(X)
        if self._y_form == "array" and not self._stream:
            mask = data.real_steps()
            y, y_pred = np.asarray(y)[mask], y_pred[mask]
        if self._stream:
            y = column_or_1d(np.asarray(y), warn=True)
        warn_unseen_labels(self, np.concatenate([np.ravel(s) for s in y]) if len(y) else y)
        return flat_accuracy_score(y, y_pred)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    def _expected_failed_checks(self):
        reason = (
            "the stream layout is one sequence: scoring a subset or a permutation of "
            "its rows cuts or reorders the sequence, which changes every later step"
        )
        return {
            "check_methods_subset_invariance": reason,
            "check_methods_sample_order_invariance": reason,
        }


def _padding_label(y, real, classes):
    """The one value y held on padded steps in fit, else the first class."""
    padded = np.unique(y[~real])
    return padded[0] if len(padded) == 1 else classes[0]
