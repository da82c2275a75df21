"""Every bad input gets a ValueError or TypeError that says what and where.

One table of malformed inputs, fed to every public estimator that takes
sequences; each row names the exception and a pattern its message must match.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from skrnn import (
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    RNNSequenceTagger,
    SequenceVectorizer,
)

RNG = np.random.RandomState(0)
SEQS = [RNG.normal(size=(n, 2)) for n in (4, 2, 5, 3)]
IDS = np.array([[2, 3, 4, 0], [3, 5, 0, 0], [4, 2, 2, 2], [5, 0, 0, 0]])


def _y(estimator, X):
    """Valid targets for X."""
    lengths = [len(s) if not isinstance(X, np.ndarray) else int((s != 0).sum()) for s in X]
    if isinstance(estimator, RNNSequenceTagger):
        return [np.arange(n) % 2 for n in lengths]
    return np.arange(len(X)) % 2


ESTIMATORS = [
    RNNClassifier(hidden_size=4, max_iter=2),
    RNNRegressor(hidden_size=4, max_iter=2),
    RNNSequenceTagger(hidden_size=4, max_iter=2),
]
ids = [type(e).__name__ for e in ESTIMATORS]


def _nan_seq():
    bad = [s.copy() for s in SEQS]
    bad[2][1, 0] = np.nan
    return bad


FIT_CASES = {
    # name: (X, exception, message pattern)
    "nan_in_list": (_nan_seq(), ValueError, r"NaN or infinity \(first in sequence 2\)"),
    "inf_in_array": (np.full((4, 3, 2), np.inf), ValueError, "infinity"),
    "empty_list": ([], ValueError, "empty list"),
    "empty_array": (np.zeros((0, 3, 2)), ValueError, "0 sample|0 sequences"),
    "zero_length_sequence": (
        [SEQS[0], np.zeros((0, 2)), SEQS[2], SEQS[3]],
        ValueError,
        "Sequence 1 is empty",
    ),
    "mixed_feature_counts": (
        [SEQS[0], RNG.normal(size=(2, 3)), SEQS[2], SEQS[3]],
        ValueError,
        "Sequence 1 has 3 features per step but sequence 0 has 2",
    ),
    "four_dimensional": (np.zeros((4, 3, 2, 2)), ValueError, "2-D or 3-D"),
    "one_dimensional": (np.zeros(4), ValueError, "Reshape your data"),
    "three_dimensional_step": (
        [np.zeros((2, 2, 2))] * 4,
        ValueError,
        r"Sequence 0 must be 1-D \(steps\)",
    ),
    "negative_token_ids": (IDS - 3, ValueError, "input_type='dense'"),
    "raw_text": (["good movie", "bad film", "meh", "ok"], TypeError, "SequenceVectorizer"),
    "pre_tokenized_text": ([["good", "movie"]] * 4, TypeError, "SequenceVectorizer"),
    "object_items": ([[{"a": 1}, {"b": 2}]] * 4, TypeError, "non-numeric"),
    "complex_values": ([np.ones(3) * 1j] * 4, TypeError, "complex"),
    "sparse": (sp.csr_matrix(np.ones((4, 3))), TypeError, "[Ss]parse"),
}


@pytest.mark.parametrize("case", FIT_CASES)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_malformed_X_in_fit(estimator, case):
    X, exc, pattern = FIT_CASES[case]
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    y = _y(estimator, [np.ones(3)] * n) if n else []
    if isinstance(estimator, RNNSequenceTagger) and case in ("raw_text", "negative_token_ids"):
        y = [np.zeros(4, dtype=int)] * n
    with pytest.raises(exc, match=pattern):
        estimator.fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_X_y_length_mismatch(estimator):
    y = _y(estimator, SEQS)[:3]
    with pytest.raises(
        ValueError, match="X holds 4 sequences but y holds 3|3 label sequences for 4"
    ):
        estimator.fit(SEQS, y)


def test_label_sequence_of_wrong_length_is_named():
    y = _y(RNNSequenceTagger(), SEQS)
    y[2] = y[2][:-2]
    with pytest.raises(ValueError, match="Label sequence 2 has 3 labels for 5 steps"):
        RNNSequenceTagger(max_iter=1).fit(SEQS, y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_predict_with_other_feature_count(estimator):
    estimator.fit(SEQS, _y(estimator, SEQS))
    with pytest.raises(ValueError, match="3 features per step.*expecting 2"):
        estimator.predict([RNG.normal(size=(3, 3))])
    with pytest.raises(ValueError, match="NaN"):
        estimator.predict([np.full((3, 2), np.nan)])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_predict_on_a_2d_array_of_another_width(estimator):
    X = RNG.normal(size=(6, 5))
    if isinstance(estimator, RNNSequenceTagger):
        estimator.fit(X, np.arange(6) % 2)  # stream layout: 5 features per step
        pattern = "X has 4 features, but RNNSequenceTagger is expecting 5"
    else:
        estimator.fit(X, np.arange(6) % 2)  # 6 sequences of 5 steps
        pattern = f"X has 4 features, but {type(estimator).__name__} is expecting 5"
    with pytest.raises(ValueError, match=pattern):
        estimator.predict(X[:, :4])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_token_ids_beyond_the_vocabulary_warn_and_map_to_unknown(estimator):
    estimator.fit(IDS, _y(estimator, IDS))
    with pytest.warns(UserWarning, match="treated as unknown"):
        out = estimator.predict(np.array([[2, 99, 3]]))
    reference = estimator.predict(np.array([[2, 1, 3]]))
    np.testing.assert_array_equal(
        np.asarray(out, dtype=object).ravel(), np.asarray(reference, dtype=object).ravel()
    )


def test_unseen_labels_in_score_warn():
    clf = RNNClassifier(hidden_size=4, max_iter=2).fit(SEQS, [0, 1, 0, 1])
    with pytest.warns(UserWarning, match=r"labels \[7\].*count as wrong"):
        clf.score(SEQS, [0, 1, 7, 1])
    tagger = RNNSequenceTagger(hidden_size=4, max_iter=2).fit(SEQS, _y(RNNSequenceTagger(), SEQS))
    bad = _y(RNNSequenceTagger(), SEQS)
    bad[0] = bad[0] + 5
    with pytest.warns(UserWarning, match="count as wrong"):
        tagger.score(SEQS, bad)


@pytest.mark.parametrize("y", [np.array([0.0, np.nan, 1.0, 2.0]), np.array([0.0, np.inf, 1, 2])])
def test_non_finite_regression_targets(y):
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        RNNRegressor(max_iter=1).fit(SEQS, y)


@pytest.mark.parametrize(
    "bad, exc, pattern",
    [
        ("one text", TypeError, "single string"),
        ([1, 2, 3], TypeError, "Item 0 of X"),
        (["fine", None], TypeError, "Item 1 of X"),
        ([], ValueError, "at least one text"),
    ],
)
def test_vectorizer_input(bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        SequenceVectorizer().fit(bad)


@pytest.mark.parametrize(
    "bad, exc, pattern",
    [
        ("", ValueError, "at least one token|at least one text"),
        ([3, 4], TypeError, "Item 0 of X"),
    ],
)
def test_language_model_input(bad, exc, pattern):
    with pytest.raises(exc, match=pattern):
        RNNLanguageModel(max_iter=1).fit(bad)


def test_language_model_generation_arguments():
    lm = RNNLanguageModel(hidden_size=4, max_iter=1).fit("abcabc")
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        lm.generate("a", temperature=-1)
    with pytest.raises(TypeError, match="prompt must be a string"):
        lm.generate(["a"])
