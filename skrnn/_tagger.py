"""RNNSequenceTagger: one label per time step (many-to-many)."""

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import _check_sample_weight, assert_all_finite, column_or_1d

from ._base import LabelsMixin, SupervisedRNN, with_parameters
from ._docstrings import fill_doc
from ._sequences import check_step_targets, is_stream, warn_unseen_labels
from .metrics import flatten_label_sequences


@fill_doc
@with_parameters(class_weight=None)
class RNNSequenceTagger(LabelsMixin, SupervisedRNN):
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
    {bidirectional}
    {optimizer}
    {sequences}
    {class_weight}
    {control}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Step labels, sorted.
    {fitted}

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

    _parameter_constraints: dict = {
        **SupervisedRNN._parameter_constraints,
        **LabelsMixin._parameter_constraints,
    }
    _head = "every"

    def _is_stream(self, X, y):
        return is_stream(X, y)

    def _encode_targets(self, y, data, spec, reset, classes=None):
        flat, layout = check_step_targets(y, data, spec.layout == "stream")
        if flat.dtype.kind in "fc":
            assert_all_finite(flat, input_name="y")
        codes, fitted = self._encode_labels(flat, reset, classes)
        if reset:
            fitted["_label_layout"] = layout
        return codes, len(fitted["classes_"]), fitted  # one per real step, end to end

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over X and y.

        Parameters
        ----------
        X : sequences
            As for :meth:`fit`.
        y : label sequences
            As for :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            Every label y may hold, given on the first call; None learns
            them from the first y, and a later label outside them is an
            error.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence (of each row of a stream), as for
            :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _per_unit(self, sample_weights, data, spec):
        """A sequence's weight on each of its steps (a stream's are per step)."""
        if spec.layout == "stream":
            return sample_weights
        return np.repeat(sample_weights, data.lengths)

    def _in_y_form(self, per_step, data, fill):
        """Arrange per-step results (one row per real step, sequence after
        sequence) in the form y had in fit."""
        form = self._label_layout.form
        if form == "stream":
            return per_step
        if form == "array":
            mask = data.real_steps()
            out = np.empty(mask.shape + per_step.shape[1:], dtype=per_step.dtype)
            out[...] = fill
            out[mask] = per_step
            return out
        return data.split(per_step)

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
        proba, data = self._predict_outputs(X)
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
        proba, data = self._predict_outputs(X)
        labels = self.classes_[proba.argmax(axis=1)]
        pad = self._label_layout.pad_label
        return self._in_y_form(labels, data, self.classes_[0] if pad is None else pad), data

    def score(self, X, y, sample_weight=None):
        """Token-level accuracy: the share of real steps labelled correctly.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.
        y : label sequences
            True labels, in the form used in ``fit``.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence, given to each of its steps (of each row
            of a stream).

        Returns
        -------
        score : float
            Accuracy over all steps of all sequences.
        """
        y_true, y_pred, data = self._real_step_labels(X, y, with_data=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            sample_weight = self._per_unit(sample_weight, data, self._input_spec)
        return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))

    def _real_step_labels(self, X, y, with_data=False):
        """The true and predicted labels of exactly the steps the tagger
        predicts (never a padded step of a 2-D y), flat; labels it never saw
        are scored as errors, with a warning."""
        y_pred, data = self._predict_with_data(X)
        form = self._label_layout.form
        if form == "array":
            mask = data.real_steps()
            y, y_pred = np.asarray(y)[mask], y_pred[mask]
        if form == "stream":
            y = column_or_1d(np.asarray(y), warn=True)
        y_true, y_pred = flatten_label_sequences(y, y_pred)
        warn_unseen_labels(type(self).__name__, self.classes_, y_true)
        return (y_true, y_pred, data) if with_data else (y_true, y_pred)

    def __sklearn_tags__(self):
        # Not a classifier of samples to sklearn's tools: its y is a label
        # sequence per sample, which stratified folds cannot split, and a
        # stream's rows must stay in order. An integer cv then means KFold.
        tags = super().__sklearn_tags__()
        tags.estimator_type = None
        tags.target_tags.required = True
        return tags
