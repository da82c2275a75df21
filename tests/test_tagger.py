"""RNNSequenceTagger: layouts, output forms, errors, and sklearn tooling."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import RNNSequenceTagger, SequenceVectorizer
from skrnn.datasets import make_mod_sequences
from skrnn.metrics import (
    flat_accuracy_score,
    flat_accuracy_scorer,
    flat_classification_report,
    flat_f1_score,
    flat_f1_scorer,
)

# A toy grammar: determiner, noun, verb; tags follow the words.
WORDS = {
    "the": "DET",
    "a": "DET",
    "cat": "NOUN",
    "dog": "NOUN",
    "bird": "NOUN",
    "sees": "VERB",
    "chases": "VERB",
    "sleeps": "VERB",
}


def _sentences(n, seed=0):
    rng = np.random.RandomState(seed)
    dets, nouns, verbs = ["the", "a"], ["cat", "dog", "bird"], ["sees", "chases", "sleeps"]
    sents = []
    for _ in range(n):
        s = [rng.choice(dets), rng.choice(nouns), rng.choice(verbs)]
        if rng.rand() < 0.5:
            s += [rng.choice(dets), rng.choice(nouns)]
        sents.append(s)
    return sents, [[WORDS[w] for w in s] for s in sents]


def _pipeline(**params):
    defaults = dict(hidden_size=16, learning_rate_init=0.01, max_iter=60, random_state=0)
    return make_pipeline(SequenceVectorizer(), RNNSequenceTagger(**{**defaults, **params}))


def test_list_input_predicts_lists_of_exact_lengths():
    X, y = _sentences(80)
    model = _pipeline().fit(X, y)
    pred = model.predict(X)
    assert isinstance(pred, list) and [len(p) for p in pred] == [len(s) for s in X]
    assert flat_accuracy_score(y, pred) == 1.0
    assert model.score(X, y) == 1.0
    proba = model.predict_proba(X[:3])
    assert [p.shape for p in proba] == [(len(s), 3) for s in X[:3]]
    np.testing.assert_allclose(np.concatenate(proba).sum(axis=1), 1.0)
    assert list(model[-1].classes_) == ["DET", "NOUN", "VERB"]


def test_unknown_words_length_one_and_longer_than_training():
    X, y = _sentences(80)
    model = _pipeline().fit(X, y)
    longest = max(map(len, X))
    long_sentence = (["the", "cat", "sees", "a", "dog"] * 4)[: longest + 7]
    pred = model.predict([["a"], ["the", "zebra", "sleeps"], long_sentence])
    assert [len(p) for p in pred] == [1, 3, len(long_sentence)]
    assert list(pred[0]) == ["DET"]
    assert pred[1][0] == "DET" and pred[1][2] == "VERB"  # context around the unknown


def test_3d_array_with_2d_labels_predicts_2d():
    X, y = make_mod_sequences(40, 6, random_state=0)
    tagger = RNNSequenceTagger(hidden_size=16, learning_rate_init=0.01, random_state=0)
    pred = tagger.fit(X, y).predict(X)
    assert pred.shape == (40, 6) and (pred == y).mean() == 1.0
    assert tagger.predict_proba(X).shape == (40, 6, 3)


def test_padded_token_array_with_padded_labels():
    ids = np.array([[2, 3, 4, 0], [3, 2, 0, 0]] * 20)
    y = np.array([[1, 2, 3, -1], [2, 1, -1, -1]] * 20)
    tagger = RNNSequenceTagger(hidden_size=8, learning_rate_init=0.02, random_state=0)
    pred = tagger.fit(ids, y).predict(ids[:2])
    np.testing.assert_array_equal(pred, y[:2])  # padding keeps its label -1
    assert list(tagger.classes_) == [1, 2, 3]


def test_stream_layout_is_one_sequence():
    rng = np.random.RandomState(0)
    x = rng.randint(3, size=300)
    X = np.eye(3)[x]
    y = np.roll(x, 1)  # the previous step's digit: needs memory
    y[0] = 0
    tagger = RNNSequenceTagger(hidden_size=16, learning_rate_init=0.01, random_state=0)
    pred = tagger.fit(X, y).predict(X)
    assert pred.shape == (300,) and (pred == y).mean() > 0.95
    assert tagger.predict_proba(X).shape == (300, 3)


def test_label_length_mismatch_names_the_sequence():
    X, y = _sentences(10)
    y[7] = y[7][:-1]
    with pytest.raises(ValueError, match="Label sequence 7 has"):
        _pipeline().fit(X, y)
    with pytest.raises(ValueError, match="holds 9 label sequences for 10"):
        _pipeline().fit(X, y[:9])


def test_grid_search_and_cross_val_with_flat_scorers():
    X, y = _sentences(60)
    search = GridSearchCV(
        _pipeline(),
        {"rnnsequencetagger__hidden_size": [4, 16]},
        cv=KFold(3),
        scoring=flat_f1_scorer,
    ).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.best_score_ > 0.95
    scores = cross_val_score(_pipeline(), X, y, cv=KFold(3), scoring=flat_accuracy_scorer)
    assert scores.min() > 0.95


def test_joblib_round_trip(tmp_path):
    X, y = _sentences(40)
    model = _pipeline().fit(X, y)
    joblib.dump(model, tmp_path / "tagger.joblib")
    loaded = joblib.load(tmp_path / "tagger.joblib")
    for a, b in zip(loaded.predict_proba(X), model.predict_proba(X)):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_classes_given_or_learnt_from_the_first_y():
    X, y = _sentences(20)
    ids = SequenceVectorizer().fit_transform(X)
    tagger = RNNSequenceTagger(hidden_size=4, random_state=0).partial_fit(ids, y)
    assert list(tagger.classes_) == ["DET", "NOUN", "VERB"]
    with pytest.raises(ValueError, match=r"not seen in the first fit: \['X'\]"):
        tagger.partial_fit(ids[:1], [["X"] * len(y[0])])
    tagger = RNNSequenceTagger(hidden_size=4, random_state=0)
    tagger.partial_fit(ids, y, classes=["DET", "NOUN", "VERB", "X"])
    assert list(tagger.classes_) == ["DET", "NOUN", "VERB", "X"]


def test_an_integer_cv_works_as_for_any_estimator():
    """sklearn stratifies an integer cv for classifiers; a label sequence
    per sample cannot be stratified, so the tagger gets plain KFold."""
    X, y = _sentences(60)
    scores = cross_val_score(_pipeline(max_iter=20), X, y, cv=3, scoring=flat_accuracy_scorer)
    assert scores.shape == (3,) and scores.min() > 0.8
    search = GridSearchCV(
        _pipeline(max_iter=20), {"rnnsequencetagger__hidden_size": [4, 8]}, cv=3
    ).fit(X, y)
    assert search.best_score_ > 0.8


def test_flat_metrics():
    y_true = [["D", "N"], ["V"]]
    y_pred = [["D", "V"], ["V"]]
    assert flat_accuracy_score(y_true, y_pred) == pytest.approx(2 / 3)
    assert flat_f1_score(y_true, y_pred, average="micro") == pytest.approx(2 / 3)
    report = flat_classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    assert report["V"]["recall"] == 1.0 and report["N"]["recall"] == 0.0
    with pytest.raises(ValueError, match="Sequence 1 has 1 true labels but 2"):
        flat_accuracy_score(y_true, [["D", "N"], ["V", "V"]])


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_token_features_reach_unseen_words(cell):
    """Suffix features let the tagger label words it never saw."""
    rng = np.random.RandomState(0)
    stems = ["walk", "talk", "jump", "play", "cook", "paint", "call", "look"]
    train, tags = [], []
    for _ in range(150):
        verb, noun = rng.choice(stems[:6]), rng.choice(stems[:6])
        train.append(["the", noun + "er", verb + "ed"])
        tags.append(["DET", "NOUN", "VERB"])
    model = make_pipeline(
        SequenceVectorizer(token_features=["word", "suffix2"]),
        RNNSequenceTagger(
            hidden_size=16, cell=cell, learning_rate_init=0.02, max_iter=40, random_state=0
        ),
    ).fit(train, tags)
    pred = model.predict([["the", "looker", "called"]])  # stems never seen
    assert list(pred[0]) == ["DET", "NOUN", "VERB"]
