"""Metrics of label sequences: token-level metrics for taggers (sklearn's
metrics over flattened sequences), and error rates of output sequences of
their own length (exact match and edit distance, with one or several
references per sample).

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
from sklearn.metrics import accuracy_score, classification_report, f1_score, make_scorer
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import validate_params

from ._sequences import flatten_label_pair

__all__ = [
    "edit_distance",
    "flat_accuracy_score",
    "flat_accuracy_scorer",
    "flat_classification_report",
    "flat_f1_score",
    "flat_f1_scorer",
    "flatten_label_sequences",
    "neg_token_error_rate_scorer",
    "sequence_accuracy_scorer",
    "sequence_error_rate",
    "token_error_rate",
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
        weights = np.repeat(_sequence_weights(sample_weight, len(lengths)), lengths)
    if padding_label is not None:
        real = y_true != padding_label
        y_true, y_pred = y_true[real], y_pred[real]
        weights = None if weights is None else weights[real]
    return (y_true, y_pred) if sample_weight is None else (y_true, y_pred, weights)


def _sequence_weights(sample_weight, n, unit="sequence"):
    """``sample_weight`` as float64, one per ``unit``; all 1 when None."""
    if sample_weight is None:
        return np.ones(n)
    if np.shape(sample_weight) != (n,):
        raise ValueError(
            f"sample_weight holds {np.size(sample_weight)} weights for {n} {unit}s; give "
            f"one weight per {unit}."
        )
    return np.asarray(sample_weight, dtype=float)


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


# --------------------------------------------------- output sequences (seq2seq)
_OUTPUTS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "multiple_references": ["boolean"],
    "sample_weight": ["array-like", None],
}


def _as_tokens(sequence):
    """A sequence of labels as a tuple (a string as its characters)."""
    if isinstance(sequence, str):
        return tuple(sequence)
    if np.ndim(sequence) != 1:
        raise ValueError(
            "Each output sequence must be a string or a 1-D list of labels; give "
            "several references with multiple_references=True."
        )
    return tuple(np.asarray(sequence).tolist())


def _references(y_true, y_pred, multiple_references):
    """Every sample's references as tuples of tokens, and its prediction."""
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true holds {len(y_true)} samples and y_pred {len(y_pred)}; give one "
            "prediction per sample."
        )
    references = []
    for refs in y_true:
        refs = list(refs) if multiple_references else [refs]
        if not refs:
            raise ValueError(
                "A sample of y_true has no reference; with multiple_references=True "
                "give each sample a list of one or more correct outputs."
            )
        references.append([_as_tokens(r) for r in refs])
    return references, [_as_tokens(p) for p in y_pred]


def edit_distance(a, b):
    """Levenshtein distance between two token sequences.

    Insertions, deletions and substitutions cost 1 each; computed one numpy
    row per token of ``a``.

    Parameters
    ----------
    a, b : str or sequence of hashable
        The two sequences (a string as its characters).

    Returns
    -------
    distance : int
        The fewest edits that turn ``a`` into ``b``.

    Examples
    --------
    >>> from skrnn.metrics import edit_distance
    >>> edit_distance("kitten", "sitting")
    3
    >>> edit_distance(["K", "AE1", "T"], ["K", "AE1", "T", "S"])
    1
    """
    a, b = list(a), np.asarray(list(b), dtype=object)
    row = np.arange(len(b) + 1)
    offsets = np.arange(len(b) + 1)
    for i, token in enumerate(a, start=1):
        substituted = row[:-1] + (b != token)
        # best of: delete ``token`` (from above) or substitute (diagonal) ...
        best = np.concatenate([[i], np.minimum(row[1:] + 1, substituted)])
        # ... then insertions along the row: new[j] = min_k<=j best[k] + (j - k)
        row = np.minimum.accumulate(best - offsets) + offsets
    return int(row[-1])


@validate_params(_OUTPUTS, prefer_skip_nested_validation=True)
def sequence_error_rate(y_true, y_pred, *, multiple_references=False, sample_weight=None):
    """Share of predicted sequences that match none of their references:
    1 - exact-match accuracy, the word error rate of grapheme-to-phoneme.

    Parameters
    ----------
    y_true : list of sequences, or list of lists of sequences
        The correct output of each sample: a string or a list of labels.
        With ``multiple_references=True``, a list of correct outputs per
        sample (a word with several pronunciations), any of which counts.
    y_pred : list of sequences
        The predicted output of each sample, a string or a list of labels.
    multiple_references : bool, default=False
        Whether each sample of ``y_true`` is a list of references.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample.

    Returns
    -------
    rate : float
        Between 0 (every output right) and 1.

    Examples
    --------
    >>> from skrnn.metrics import sequence_error_rate
    >>> sequence_error_rate(["2024-01-31", "1999-12-01"], ["2024-01-31", "1999-12-10"])
    0.5
    >>> tomato = [["T", "AH", "M", "EY", "T", "OW"], ["T", "AH", "M", "AA", "T", "OW"]]
    >>> sequence_error_rate([tomato], [["T", "AH", "M", "AA", "T", "OW"]],
    ...                     multiple_references=True)
    0.0
    """
    references, predictions = _references(y_true, y_pred, multiple_references)
    wrong = [all(p != r for r in refs) for refs, p in zip(references, predictions)]
    weights = _sequence_weights(sample_weight, len(wrong), "sample")
    return float(np.dot(weights, wrong) / weights.sum())


@validate_params(_OUTPUTS, prefer_skip_nested_validation=True)
def token_error_rate(y_true, y_pred, *, multiple_references=False, sample_weight=None):
    """Edit distance to the closest reference over the references' length:
    the phone, character or word error rate, summed over all samples.

    Each sample counts the insertions, deletions and substitutions that turn
    its prediction into its closest reference; the rate is their total over
    the total length of those references (so it can exceed 1 when
    predictions are much longer than the references).

    Parameters
    ----------
    y_true : list of sequences, or list of lists of sequences
        The correct output of each sample: a string (scored per character)
        or a list of labels. With ``multiple_references=True``, a list of
        correct outputs per sample.
    y_pred : list of sequences
        The predicted output of each sample.
    multiple_references : bool, default=False
        Whether each sample of ``y_true`` is a list of references.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each sample's edits and length.

    Returns
    -------
    rate : float
        0 when every prediction matches a reference.

    Examples
    --------
    >>> from skrnn.metrics import token_error_rate
    >>> token_error_rate([["K", "AE1", "T"]], [["K", "AH0", "T", "S"]])  # 1 sub + 1 ins
    0.666...
    """
    references, predictions = _references(y_true, y_pred, multiple_references)
    edits, lengths = [], []
    for refs, p in zip(references, predictions):
        distances = [edit_distance(p, r) for r in refs]
        closest = int(np.argmin(distances))
        edits.append(distances[closest])
        lengths.append(len(refs[closest]))
    weights = _sequence_weights(sample_weight, len(edits), "sample")
    total = np.dot(weights, lengths)
    if not total > 0:
        raise ValueError("The references are empty: there is no token to score against.")
    return float(np.dot(weights, edits) / total)


def _sequence_accuracy(y_true, y_pred, sample_weight=None):
    return 1.0 - sequence_error_rate(y_true, y_pred, sample_weight=sample_weight)


#: ``scoring=`` value: exact-match accuracy of output sequences (higher is better).
sequence_accuracy_scorer = make_scorer(_sequence_accuracy)
#: ``scoring=`` value: the negated token error rate (higher is better, as sklearn's
#: ``neg_`` scorers).
neg_token_error_rate_scorer = make_scorer(token_error_rate, greater_is_better=False)
