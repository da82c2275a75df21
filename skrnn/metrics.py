"""Token-level metrics for taggers: sklearn's metrics over flattened sequences.

Each function accepts y as a list of label sequences (as
:meth:`RNNSequenceTagger.predict` returns it), a padded 2-D array, or a flat
1-D array, flattens both sides after checking that their sequence lengths
agree, and calls the sklearn metric of the same name. For a padded 2-D y,
``padding_label`` names the label its padded steps hold, and those steps are
not scored.

``sample_weight`` is one weight per sequence, given to each of its steps.
The scorers (``flat_accuracy_scorer``, ``flat_f1_scorer``) ask the tagger
(alone or at the end of a pipeline) for exactly the steps it predicts
(:meth:`RNNSequenceTagger.step_labels`), so padding never counts, whatever
form y has, and pass ``sample_weight`` on the same way.
"""

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import validate_params

from ._sequences import flatten_label_pair

__all__ = [
    "flat_accuracy_score",
    "flat_accuracy_scorer",
    "flat_classification_report",
    "flat_f1_score",
    "flat_f1_scorer",
    "flatten_label_sequences",
]

_TWO_LABELLINGS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "padding_label": "no_validation",
    "sample_weight": ["array-like", None],
}


def flatten_label_sequences(y_true, y_pred, padding_label=None, sample_weight=None):
    """Both sides as flat 1-D arrays; sequence lengths must agree. Steps
    whose true label is ``padding_label`` (if not None) are dropped. With
    ``sample_weight`` (one per sequence), each step's weight comes third."""
    lengths = [np.size(labels) for labels in y_pred]
    y_true, y_pred = flatten_label_pair(y_true, y_pred)
    weights = None
    if sample_weight is not None:
        if np.shape(sample_weight) != (len(lengths),):
            raise ValueError(
                f"sample_weight holds {np.size(sample_weight)} weights for "
                f"{len(lengths)} sequences; give one weight per sequence."
            )
        weights = np.repeat(np.asarray(sample_weight, dtype=float), lengths)
    if padding_label is not None:
        real = y_true != padding_label
        y_true, y_pred = y_true[real], y_pred[real]
        weights = None if weights is None else weights[real]
    return (y_true, y_pred) if sample_weight is None else (y_true, y_pred, weights)


def _flat(y_true, y_pred, padding_label, sample_weight):
    """The flat labels and, as a keyword, the per-step weights."""
    if sample_weight is None:
        return flatten_label_sequences(y_true, y_pred, padding_label), {}
    y_true, y_pred, weights = flatten_label_sequences(y_true, y_pred, padding_label, sample_weight)
    return (y_true, y_pred), {"sample_weight": weights}


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_accuracy_score(y_true, y_pred, *, padding_label=None, sample_weight=None):
    """Share of steps labelled correctly, over all sequences.

    Parameters
    ----------
    y_true : list of array-like, or array-like
        True label sequences.
    y_pred : list of array-like, or array-like
        Predicted label sequences, of the same lengths.
    padding_label : object, default=None
        The label of the padded steps of a 2-D ``y_true``, which are not
        scored.
    sample_weight : array-like of shape (n_sequences,), default=None
        Weight of each sequence, given to each of its steps.

    Returns
    -------
    score : float
        Token-level accuracy.

    Examples
    --------
    >>> from skrnn.metrics import flat_accuracy_score
    >>> flat_accuracy_score([["D", "N"], ["V"]], [["D", "V"], ["V"]])
    0.666...
    """
    pair, weights = _flat(y_true, y_pred, padding_label, sample_weight)
    return float(accuracy_score(*pair, **weights))


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_f1_score(y_true, y_pred, *, padding_label=None, sample_weight=None, **kwargs):
    """F1 score over all steps; keyword arguments go to
    :func:`sklearn.metrics.f1_score` (``average='macro'`` unless given).

    Parameters
    ----------
    y_true : list of array-like, or array-like
        True label sequences.
    y_pred : list of array-like, or array-like
        Predicted label sequences, of the same lengths.
    padding_label : object, default=None
        The label of the padded steps of a 2-D ``y_true``, which are not
        scored (and so never a class).
    sample_weight : array-like of shape (n_sequences,), default=None
        Weight of each sequence, given to each of its steps.
    **kwargs : dict
        ``average``, ``labels``, ``zero_division``, ... of ``f1_score``.

    Returns
    -------
    score : float or ndarray
        As ``f1_score`` returns it.

    Examples
    --------
    >>> from skrnn.metrics import flat_f1_score
    >>> round(flat_f1_score([["D", "N"], ["V"]], [["D", "V"], ["V"]]), 3)
    0.556
    """
    kwargs.setdefault("average", "macro")
    pair, weights = _flat(y_true, y_pred, padding_label, sample_weight)
    return f1_score(*pair, **weights, **kwargs)


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_classification_report(y_true, y_pred, *, padding_label=None, sample_weight=None, **kwargs):
    """Per-label precision, recall and F1 over all steps, as
    :func:`sklearn.metrics.classification_report` (keyword arguments go to it).

    Parameters
    ----------
    y_true : list of array-like, or array-like
        True label sequences.
    y_pred : list of array-like, or array-like
        Predicted label sequences, of the same lengths.
    padding_label : object, default=None
        The label of the padded steps of a 2-D ``y_true``, which are not
        scored.
    sample_weight : array-like of shape (n_sequences,), default=None
        Weight of each sequence, given to each of its steps.
    **kwargs : dict
        ``digits``, ``output_dict``, ``zero_division``, ...

    Returns
    -------
    report : str or dict

    Examples
    --------
    >>> from skrnn.metrics import flat_classification_report
    >>> report = flat_classification_report([["D", "N"]], [["D", "N"]], output_dict=True)
    >>> report["accuracy"]
    1.0
    """
    pair, weights = _flat(y_true, y_pred, padding_label, sample_weight)
    return classification_report(*pair, **weights, **kwargs)


class _FlatScorer:
    """A ``scoring=`` callable that scores a tagger on exactly the steps it
    predicts: it asks the tagger (or a pipeline's last step, on X as the
    steps before it transform it) for the true and predicted labels of
    those steps, so padded steps of a 2-D y never count."""

    def __init__(self, metric, name, **kwargs):
        self.metric = metric
        self.name = name
        self.kwargs = kwargs

    def __call__(self, estimator, X, y_true, sample_weight=None):
        final = estimator
        if isinstance(estimator, Pipeline):
            X, final = estimator[:-1].transform(X), estimator[-1]
        if hasattr(final, "step_labels"):
            y_true, y_pred, weights = final.step_labels(X, y_true, sample_weight)
            weights = {} if weights is None else {"sample_weight": weights}
        else:
            (y_true, y_pred), weights = _flat(y_true, final.predict(X), None, sample_weight)
        return float(self.metric(y_true, y_pred, **weights, **self.kwargs))

    def __repr__(self):
        return f"{self.name}()"


#: ``scoring=`` value for ``GridSearchCV``/``cross_val_score``: token accuracy.
flat_accuracy_scorer = _FlatScorer(accuracy_score, "flat_accuracy_scorer")
#: ``scoring=`` value: macro-averaged token F1.
flat_f1_scorer = _FlatScorer(f1_score, "flat_f1_scorer", average="macro")
