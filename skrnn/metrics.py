"""Token-level metrics for taggers: sklearn's metrics over flattened sequences.

Each function accepts y as a list of label sequences (as
:meth:`RNNSequenceTagger.predict` returns it), a padded 2-D array, or a flat
1-D array, flattens both sides after checking that their sequence lengths
agree, and calls the sklearn metric of the same name.
"""

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score, make_scorer
from sklearn.utils._param_validation import validate_params

_TWO_LABELLINGS = {"y_true": ["array-like"], "y_pred": ["array-like"]}


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
def flat_accuracy_score(y_true, y_pred):
    """Share of steps labelled correctly, over all sequences.

    Parameters
    ----------
    y_true : list of array-like, or array-like
        True label sequences.
    y_pred : list of array-like, or array-like
        Predicted label sequences, of the same lengths.

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
    return float(accuracy_score(*_flatten_pair(y_true, y_pred)))


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_f1_score(y_true, y_pred, **kwargs):
    """F1 score over all steps; keyword arguments go to
    :func:`sklearn.metrics.f1_score` (``average='macro'`` unless given).

    Parameters
    ----------
    y_true : list of array-like, or array-like
        True label sequences.
    y_pred : list of array-like, or array-like
        Predicted label sequences, of the same lengths.
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
    return f1_score(*_flatten_pair(y_true, y_pred), **kwargs)


@validate_params(_TWO_LABELLINGS, prefer_skip_nested_validation=True)
def flat_classification_report(y_true, y_pred, **kwargs):
    """Per-label precision, recall and F1 over all steps, as
    :func:`sklearn.metrics.classification_report` (keyword arguments go to it).

    Parameters
    ----------
    y_true : list of array-like, or array-like
        True label sequences.
    y_pred : list of array-like, or array-like
        Predicted label sequences, of the same lengths.
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
    return classification_report(*_flatten_pair(y_true, y_pred), **kwargs)


#: ``scoring=`` value for ``GridSearchCV``/``cross_val_score``: token accuracy.
flat_accuracy_scorer = make_scorer(flat_accuracy_score)
#: ``scoring=`` value: macro-averaged token F1.
flat_f1_scorer = make_scorer(flat_f1_score)
