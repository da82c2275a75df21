"""RNNSequenceTagger: one label per time step (many-to-many)."""

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import _check_sample_weight, column_or_1d

from ._base import LabelsMixin, SupervisedRNN
from ._docstrings import fill_doc
from ._sequences import flatten_label_pair, warn_unseen_labels
from ._tasks import TaggingTask


@fill_doc
class RNNSequenceTagger(LabelsMixin, SupervisedRNN):
    """Recurrent sequence tagger: one label per time step.

    Every step's hidden state goes through a softmax output layer, so the
    label of step t may depend on all the steps up to t and, since the
    tagger reads both ways by default (``bidirectional=True``), after it:
    a word's tag often depends on the next word (it gained 0.028 dev
    accuracy on UD English at default settings, benchmarks/README.md,
    "Defaults"). Set ``bidirectional=False`` when a label may depend only
    on the past, as when tagging a stream as it arrives. Loss:
    cross-entropy averaged over the real (non-padded) steps of a
    mini-batch.

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
    _task_type = TaggingTask

    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=True,
        cell="gru",
        embedding_dim=None,
        dropout=0.0,
        input_dropout=0.0,
        output_dropout=0.0,
        recurrent_init="uniform",
        forget_bias=1.0,
        solver="adam",
        learning_rate_init=0.005,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0001,
        batch_size=32,
        max_iter=200,
        max_fun=15000,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        verbose=False,
        clip_value=None,
        clip_norm=None,
        dtype="float32",
        input_type="auto",
        n_tokens=None,
        embedding_init=None,
        freeze_embedding=False,
        class_weight=None,
    ):
        super().__init__(
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            cell=cell,
            embedding_dim=embedding_dim,
            dropout=dropout,
            input_dropout=input_dropout,
            output_dropout=output_dropout,
            recurrent_init=recurrent_init,
            forget_bias=forget_bias,
            solver=solver,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            alpha=alpha,
            batch_size=batch_size,
            max_iter=max_iter,
            max_fun=max_fun,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            warm_start=warm_start,
            verbose=verbose,
            clip_value=clip_value,
            clip_norm=clip_norm,
            dtype=dtype,
            input_type=input_type,
            n_tokens=n_tokens,
            embedding_init=embedding_init,
            freeze_embedding=freeze_embedding,
        )
        self.class_weight = class_weight

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
        return self._task.in_y_form(proba, data, 0.0)

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
        task = self._task
        return task.in_y_form(task.labels(proba), data, task.padding_label()), data

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
        y_true, y_pred, weights = self.step_labels(X, y, sample_weight)
        return float(accuracy_score(y_true, y_pred, sample_weight=weights))

    def step_labels(self, X, y, sample_weight=None):
        """The true and predicted labels of exactly the steps the tagger
        predicts, flat, with each step's weight.

        A padded step of a 2-D y is never among them. This is what
        :meth:`score` and the scorers of :mod:`skrnn.metrics` score; labels
        the tagger never saw count as errors, with a warning.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.
        y : label sequences
            True labels, in the form used in ``fit``.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence (of each row of a stream).

        Returns
        -------
        y_true : ndarray of shape (n_steps,)
            The true label of every real step, sequence after sequence.
        y_pred : ndarray of shape (n_steps,)
            The predicted label of each.
        step_weight : ndarray of shape (n_steps,) or None
            Each sequence's weight on each of its steps; None without
            ``sample_weight``.
        """
        y_pred, data = self._predict_with_data(X)
        form = self._task.label_layout.form
        if form == "array":
            mask = data.real_steps()
            y, y_pred = np.asarray(y)[mask], y_pred[mask]
        if form == "stream":
            y = column_or_1d(np.asarray(y), warn=True)
        y_true, y_pred = flatten_label_pair(y, y_pred)
        warn_unseen_labels(type(self).__name__, self.classes_, y_true)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            sample_weight = self._task.units.per_unit(sample_weight, data, form == "stream")
        return y_true, y_pred, sample_weight

    def __sklearn_tags__(self):
        # Not a classifier of samples to sklearn's tools: its y is a label
        # sequence per sample, which stratified folds cannot split, and a
        # stream's rows must stay in order. An integer cv then means KFold.
        tags = super().__sklearn_tags__()
        tags.estimator_type = None
        tags.target_tags.required = True
        return tags
