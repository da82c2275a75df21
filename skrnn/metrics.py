"""Token-level metrics for taggers: sklearn's metrics over flattened sequences.

Each function accepts y as a list of label sequences (as
:meth:`RNNSequenceTagger.predict` returns it), a padded 2-D array, or a flat
1-D array, flattens both sides after checking that their sequence lengths
agree, and calls the sklearn metric of the same name. For a padded 2-D y,
``padding_label`` names the label its padded steps hold, and those steps are
not scored.

The scorers (``flat_accuracy_scorer``, ``flat_f1_scorer``) ask the tagger
(alone or at the end of a pipeline) for exactly the steps it predicts, so
padding never counts, whatever form y has.
"""

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import validate_params

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
}


def flatten_label_sequences(y_true, y_pred, padding_label=None):
    """Both sides as flat 1-D arrays; sequence lengths must agree. Steps
    whose true label is ``padding_label`` (if not None) are dropped."""
    y_true, y_pred = _flatten_pair(y_true, y_pred)
    if padding_label is not None:
        real = y_true != padding_label
        y_true, y_pred = y_true[real], y_pred[real]
    return y_true, y_pred


def _flatten_pair(y_true, y_pred):
    """Both sides as flat 1-D arrays; sequence lengths must agree."""
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true holds {len(y_true)} sequences but y_pred holds {len(y_pred)}. "
            f"Got {len(y_pred)} instead."
        )
    true_seqs = [np.atleast_1d(np.asarray(s)) for s in y_true]
    pred_seqs = [np.atleast_1d(np.asarray(s)) for s in y_pred]
    for i, (t, p) in enumerate(zip(true_seqs, pred_seqs)):
        if len(t) != len(p):
            raise ValueError(
                f"Sequence {i} has {len(t)} true labels but {len(p)} predicted ones. "
                f"Got {len(p)} instead."
            )
    if not true_seqs:
        return np.array([]), np.array([])
    return np.concatenate(true_seqs), np.concatenate(pred_seqs)


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_accuracy_score(y_true, y_pred, *, padding_label=None):
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
    return float(accuracy_score(*flatten_label_sequences(y_true, y_pred, padding_label)))


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_f1_score(y_true, y_pred, *, padding_label=None, **kwargs):
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
    return f1_score(*flatten_label_sequences(y_true, y_pred, padding_label), **kwargs)


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_classification_report(y_true, y_pred, *, padding_label=None, **kwargs):
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
    return classification_report(*flatten_label_sequences(y_true, y_pred, padding_label), **kwargs)


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
        if hasattr(final, "_real_step_labels"):
            pair = final._real_step_labels(X, y_true)
        else:
            pair = flatten_label_sequences(y_true, final.predict(X))
        return float(self.metric(*pair, **self.kwargs))

    def __repr__(self):
        return f"{self.name}()"


#: ``scoring=`` value for ``GridSearchCV``/``cross_val_score``: token accuracy.
flat_accuracy_scorer = _FlatScorer(accuracy_score, "flat_accuracy_scorer")
#: ``scoring=`` value: macro-averaged token F1.
flat_f1_scorer = _FlatScorer(f1_score, "flat_f1_scorer", average="macro")
