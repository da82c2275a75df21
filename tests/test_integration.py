"""skrnn inside sklearn's tools: pipelines, search, cross-validation, persistence."""

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, SequenceVectorizer
from skrnn.datasets import load_zhou_sentiment


def _pipeline(**params):
    return make_pipeline(
        SequenceVectorizer(),
        RNNClassifier(
            hidden_size=16,
            learning_rate_init=0.01,
            batch_size=8,
            max_iter=150,
            random_state=0,
            **params,
        ),
    )


def test_grid_search_with_two_jobs_on_text():
    X, y = load_zhou_sentiment(return_X_y=True)
    search = GridSearchCV(
        _pipeline(),
        {"rnnclassifier__hidden_size": [8, 16], "sequencevectorizer__lowercase": [True]},
        cv=3,
        n_jobs=2,
    ).fit(X, y)
    assert set(search.cv_results_["params"][0]) == {
        "rnnclassifier__hidden_size",
        "sequencevectorizer__lowercase",
    }
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    assert search.score(X_test, y_test) > 0.6


def test_cross_val_score_on_text():
    X, y = load_zhou_sentiment(subset="all", return_X_y=True)
    scores = cross_val_score(_pipeline(), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.6


def test_ragged_lists_split_like_arrays_in_grid_search():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(k, 1)) for k in rng.randint(2, 8, size=60)]
    y = np.array([int(s.sum() > 0) for s in X])
    search = GridSearchCV(
        RNNClassifier(max_iter=3, random_state=0), {"hidden_size": [4, 8]}, cv=3
    ).fit(X, y)
    assert search.best_estimator_.predict(X).shape == (60,)


def test_pipeline_joblib_round_trip(tmp_path):
    X, y = load_zhou_sentiment(return_X_y=True)
    model = _pipeline().fit(X, y)
    joblib.dump(model, tmp_path / "pipe.joblib")
    loaded = joblib.load(tmp_path / "pipe.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
