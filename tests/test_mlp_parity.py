"""What an MLPClassifier user reaches for: sample and class weights, SGD's
learning-rate schedules, L-BFGS, dropout for one layer, log-probabilities,
and a table that keeps skrnn's parameters beside MLP's."""

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score
from sklearn.neural_network import MLPClassifier

from skrnn import RNNClassifier, RNNRegressor, RNNSequenceTagger

RNG = np.random.RandomState(0)
SEQS = [RNG.normal(size=(n, 2)) for n in RNG.randint(2, 7, size=40)]
EXACT = dict(hidden_size=6, dtype="float64", tol=0, max_iter=15, batch_size=200, random_state=0)


@pytest.mark.parametrize("kind", ["classifier", "regressor", "tagger"])
def test_integer_sample_weights_are_repeated_sequences(kind):
    weights = RNG.randint(0, 4, size=len(SEQS))
    model_class, y = {
        "classifier": (RNNClassifier, [int(s[0, 0] > 0) for s in SEQS]),
        "regressor": (RNNRegressor, [s[:, 0].sum() for s in SEQS]),
        "tagger": (RNNSequenceTagger, [(s[:, 0] > 0).astype(int) for s in SEQS]),
    }[kind]
    repeated_X = [s for s, w in zip(SEQS, weights) for _ in range(w)]
    repeated_y = [t for t, w in zip(y, weights) for _ in range(w)]
    if kind != "tagger":
        y, repeated_y = np.array(y), np.array(repeated_y)
    weighted = model_class(**EXACT).fit(SEQS, y, sample_weight=weights)
    repeated = model_class(**EXACT).fit(repeated_X, repeated_y)
    method = "predict" if kind == "regressor" else "predict_proba"
    got, expected = getattr(repeated, method)(SEQS), getattr(weighted, method)(SEQS)
    for a, b in zip(*((got, expected) if kind == "tagger" else ([got], [expected]))):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_weighted_score_and_validation():
    y = [(s[:, 0] > 0).astype(int) for s in SEQS]
    tagger = RNNSequenceTagger(hidden_size=4, max_iter=3, random_state=0).fit(SEQS, y)
    pred = tagger.predict(SEQS)
    weights = np.arange(len(SEQS), dtype=float)
    correct = np.concatenate([p == t for p, t in zip(pred, y)])
    steps = np.repeat(weights, [len(s) for s in SEQS])
    assert tagger.score(SEQS, y, sample_weight=weights) == pytest.approx(
        np.average(correct, weights=steps)
    )
    clf = RNNClassifier(hidden_size=4, max_iter=4, early_stopping=True, random_state=0)
    clf.fit(SEQS, [int(s[0, 0] > 0) for s in SEQS], sample_weight=weights + 1)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_balanced_class_weight_lifts_the_rare_class():
    rng = np.random.RandomState(1)
    X = [rng.normal(size=(5, 1)) for _ in range(300)]
    y = np.array([int(s.sum() > 2.8) for s in X])  # about 10% positive
    plain = RNNClassifier(hidden_size=8, max_iter=30, random_state=0).fit(X, y)
    balanced = RNNClassifier(hidden_size=8, max_iter=30, random_state=0, class_weight="balanced")
    balanced.fit(X, y)
    before = balanced_accuracy_score(y, plain.predict(X))
    after = balanced_accuracy_score(y, balanced.predict(X))
    assert after > before + 0.05
    weighted = RNNClassifier(hidden_size=8, max_iter=30, random_state=0, class_weight={1: 9.0})
    assert balanced_accuracy_score(y, weighted.fit(X, y).predict(X)) > before
    with pytest.raises(ValueError, match="'balanced' needs every label"):
        RNNClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_tagger_class_weight_and_log_proba():
    y = [np.where(s[:, 0] > 1.0, "rare", "common") for s in SEQS]
    tagger = RNNSequenceTagger(hidden_size=4, max_iter=5, class_weight="balanced", random_state=0)
    tagger.fit(SEQS, y)
    log_proba = tagger.predict_log_proba(SEQS[:3])
    for lp, p in zip(log_proba, tagger.predict_proba(SEQS[:3])):
        np.testing.assert_allclose(np.exp(lp), p)


#: every parameter of MLPClassifier/MLPRegressor, and skrnn's counterpart: a
#: parameter name of the RNN estimators, or why there is none
MLP_PARAMETERS = {
    "hidden_layer_sizes": "hidden_size and num_layers (the same width for every layer)",
    "activation": "cell: the recurrent cell fixes its nonlinearities",
    "loss": "the regressor's squared error, the only loss MLPRegressor's default has",
    **{
        name: name
        for name in (
            "alpha",
            "batch_size",
            "beta_1",
            "beta_2",
            "early_stopping",
            "epsilon",
            "learning_rate",
            "learning_rate_init",
            "max_fun",
            "max_iter",
            "momentum",
            "n_iter_no_change",
            "nesterovs_momentum",
            "power_t",
            "random_state",
            "shuffle",
            "solver",
            "tol",
            "validation_fraction",
            "verbose",
            "warm_start",
        )
    },
}


def test_every_mlp_parameter_has_its_counterpart():
    """A parameter MLP gains later fails here until skrnn answers it."""
    from sklearn.neural_network import MLPRegressor

    mlp = set(MLPClassifier().get_params()) | set(MLPRegressor().get_params())
    assert mlp == set(MLP_PARAMETERS)
    ours = set(RNNClassifier().get_params())
    shared = {name for name, answer in MLP_PARAMETERS.items() if answer == name}
    assert shared <= ours
    for name in shared:  # the same defaults where the meaning is the same
        if name not in ("batch_size", "learning_rate_init", "alpha"):
            assert RNNClassifier().get_params()[name] == MLPClassifier().get_params()[name]


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_sgd_learning_rate_schedules_as_mlp(schedule):
    X = [RNG.normal(size=(4, 2)) for _ in range(60)]
    y = np.array([int(s[:, 0].sum() > 0) for s in X])
    model = RNNClassifier(
        hidden_size=4,
        solver="sgd",
        learning_rate=schedule,
        learning_rate_init=0.1,
        power_t=0.5,
        n_iter_no_change=2,
        tol=10.0,
        max_iter=7,
        random_state=0,
    ).fit(X, y)
    step = model._optimizer.learning_rate
    if schedule == "invscaling":
        assert step == pytest.approx(0.1 / (model.t_ + 1) ** 0.5)
    else:  # after the first epoch tol=10 never improves: /5 after epochs 4 and 7
        assert model.n_iter_ == 7 and step == pytest.approx(0.1 / 25)


def test_lbfgs_full_batch():
    X = [RNG.normal(size=(4, 2)) for _ in range(60)]
    y = np.array([int(s[:, 0].sum() > 0) for s in X])
    model = RNNClassifier(hidden_size=6, solver="lbfgs", max_iter=60, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.95 and len(model.loss_curve_) == model.n_iter_ <= 60
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    with pytest.raises(ValueError, match="partial_fit needs a stochastic solver"):
        model.partial_fit(X, y)


@pytest.mark.parametrize("changed", [dict(cell="gru"), dict(cell="lstm"), dict(alpha=1.0)])
def test_lbfgs_solves_the_sentiment_seed(changed):
    """A gated cell with every other setting at its default, or the tanh
    cell with a stronger penalty (at the default alpha it overfits)."""
    from sklearn.pipeline import make_pipeline

    from skrnn import SequenceVectorizer
    from skrnn.datasets import load_zhou_sentiment

    X, y = load_zhou_sentiment(return_X_y=True)
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    model = make_pipeline(
        SequenceVectorizer(), RNNClassifier(solver="lbfgs", random_state=0, **changed)
    )
    assert model.fit(X, y).score(X_test, y_test) == 1.0


@pytest.mark.parametrize("model_class", [RNNClassifier, RNNRegressor])
def test_pooling_over_time(model_class):
    """Max pooling finds a short pattern anywhere in a long sequence, which
    the tanh cell's last state forgets; mean pooling reads padding nowhere."""
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(2, 20, size=200)]
    y = np.array([s[:, 0].max() > 1.5 for s in X]).astype(int)
    params = dict(hidden_size=8, cell="rnn", learning_rate_init=0.01, max_iter=40, random_state=0)
    scores = {p: model_class(pooling=p, **params).fit(X, y).score(X, y) for p in ("last", "max")}
    assert scores["max"] > scores["last"] + 0.05
    mean = model_class(pooling="mean", **params).fit(X, y)
    padded = X[:1] + [np.vstack([X[1], np.zeros((30, 2))])]  # longer neighbour
    np.testing.assert_allclose(mean.predict(X[:1]), mean.predict(padded)[:1], rtol=1e-12)
    warm = model_class(pooling="max", warm_start=True, **params).fit(X, y)
    with pytest.warns(UserWarning, match="pooling='max' -> 'mean'"):
        warm.set_params(pooling="mean").fit(X, y)  # another readout: built anew
    assert type(warm.network_.readout).__name__ == "MeanPool"
