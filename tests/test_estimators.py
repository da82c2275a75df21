"""Behaviour of RNNClassifier and RNNRegressor beyond sklearn's common checks."""

import pickle
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from skrnn import RNNClassifier, RNNRegressor, RNNSequenceTagger
from skrnn._training import SequenceBatches, Trainer


def _parity_task(n=200, T=6, seed=0):
    """Label: is the sum of the first feature over the sequence positive?"""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, 2))
    return X, (X[:, :, 0].sum(axis=1) > 0).astype(int)


def _ragged(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(k, 2)) for k in rng.randint(1, 9, size=n)]
    return X, np.array([s[:, 0].sum() for s in X])


FAST = dict(hidden_size=8, max_iter=5, random_state=0)


def test_classifier_learns_and_reports_curves():
    X, y = _parity_task()
    clf = RNNClassifier(hidden_size=16, learning_rate_init=0.01, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.n_iter_ == len(clf.loss_curve_) and clf.t_ == clf.n_iter_ * len(X)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)


def test_string_labels_multiclass_and_class_order():
    X, y = _parity_task()
    names = np.array(["pos", "neg", "zero"])[y + (X[:, 0, 1] > 1.5) * (2 - 2 * y)]
    clf = RNNClassifier(**FAST).fit(X, names)
    assert list(clf.classes_) == sorted(set(names))
    assert set(clf.predict(X)) <= set(names)
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_one_class_is_a_clear_error():
    X, _ = _parity_task(20)
    with pytest.raises(ValueError, match="at least 2 classes"):
        RNNClassifier(**FAST).fit(X, np.zeros(20))


@pytest.mark.parametrize("layout", ["array3d", "list", "tolist_2d"])
def test_layouts_give_the_same_model(layout):
    X, y = _parity_task(60, T=5)
    X1 = X[:, :, :1]
    inputs = {
        "array3d": X1,
        "list": [s for s in X1],
        "tolist_2d": X1[:, :, 0].tolist(),
    }
    ref = RNNClassifier(**FAST, dtype="float64").fit(X1, y).predict_proba(X1)
    model = RNNClassifier(**FAST, dtype="float64").fit(inputs[layout], y)
    np.testing.assert_allclose(model.predict_proba(inputs[layout]), ref, rtol=1e-10)


def test_ragged_regression_and_padding_invariance():
    X, y = _ragged()
    reg = RNNRegressor(hidden_size=16, learning_rate_init=0.005, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.8
    alone = np.array([reg.predict([s])[0] for s in X[:10]])
    np.testing.assert_allclose(reg.predict(X[:10]), alone, rtol=1e-12)


def test_multioutput_regression():
    X, y = _ragged()
    Y = np.column_stack([y, -2 * y])
    reg = RNNRegressor(**FAST).fit(X, Y)
    assert reg.predict(X).shape == (len(X), 2) and reg.n_outputs_ == 2


def test_token_input_detected_and_unknown_ids_warn():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 6, size=(40, 7))
    y = (X == 3).any(axis=1).astype(int)
    clf = RNNClassifier(**FAST).fit(X, y)
    assert clf.input_type_ == "tokens" and clf.n_tokens_ == 6
    with pytest.warns(UserWarning, match="treated as unknown"):
        clf.predict(np.array([[2, 9, 3]]))
    np.testing.assert_array_equal(
        clf.predict_proba(np.array([[2, 3, 0, 0]])), clf.predict_proba(np.array([[2, 3]]))
    )


@pytest.mark.parametrize("model_class", [RNNClassifier, RNNSequenceTagger])
def test_n_tokens_declares_the_vocabulary_a_first_block_does_not_show(model_class):
    rng = np.random.RandomState(0)
    X = rng.randint(2, 12, size=(40, 5))
    X[:20] = np.minimum(X[:20], 6)  # the first block's ids stop at 6
    y = X % 2 if model_class is RNNSequenceTagger else X[:, 0] % 2
    model = model_class(**FAST, n_tokens=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no id is read as unknown
        model.partial_fit(X[:20], y[:20], classes=[0, 1])
        model.partial_fit(X[20:], y[20:])
    assert model.n_tokens_ == 12 and model.coefs_["W_ih.0.0"].shape[0] == 12
    with pytest.raises(ValueError, match=r"token id 11, but n_tokens=8 allows ids 0 to 7"):
        model_class(**FAST, n_tokens=8).fit(X, y)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_embedding_dim_learns_a_small_table(cell):
    """``embedding_dim`` gives a (V, E) table feeding an E-wide first layer;
    its padding row stays zero through training."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 30, size=(200, 7))
    X[rng.rand(*X.shape) < 0.2] = 0
    y = (X == 3).any(axis=1).astype(int)
    clf = RNNClassifier(
        hidden_size=16, embedding_dim=4, cell=cell, learning_rate_init=0.01, random_state=0
    ).fit(X, y)
    assert clf.score(X, y) > 0.95
    W = clf.coefs_
    assert W["W_emb"].shape == (30, 4) and W["W_ih.0.0"].shape[0] == 4
    assert not W["W_emb"][0].any() and np.abs(W["W_emb"][1:]).min() > 0
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_embedding_dim_on_dense_input_names_the_fix():
    X, y = _parity_task(n=10)
    with pytest.raises(ValueError, match=r"embedding_dim=4 embeds token ids.*embedding_dim=None"):
        RNNClassifier(**FAST, embedding_dim=4).fit(X, y)


def test_negative_token_id_names_the_fix():
    with pytest.raises(ValueError, match="input_type='dense'"):
        RNNClassifier(**FAST).fit(np.array([[2, -1], [3, 4]]), [0, 1])


def test_input_type_dense_reads_integers_as_values():
    X = np.array([[2, -1, 3], [3, 4, 0]] * 5)
    clf = RNNClassifier(**FAST, input_type="dense").fit(X, [0, 1] * 5)
    assert clf.input_type_ == "dense" and clf.n_features_in_ == 3


def test_wrong_feature_count_at_predict():
    X, y = _parity_task(30)
    clf = RNNClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="3 features per step.*expecting 2"):
        clf.predict(np.zeros((2, 6, 3)))
    # a model fitted on values reads integer arrays as values too
    with pytest.raises(ValueError, match="1 features per step.*expecting 2"):
        clf.predict(np.zeros((2, 6), dtype=int))


def test_raw_text_points_to_the_vectorizer():
    with pytest.raises(TypeError, match="SequenceVectorizer"):
        RNNClassifier(**FAST).fit(["good movie", "bad movie"], [1, 0])


def test_same_random_state_same_model_bit_for_bit():
    X, y = _parity_task(80)
    a = RNNClassifier(**FAST).fit(X, y)
    b = RNNClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(a.network_.coef, b.network_.coef)
    c = RNNClassifier(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.network_.coef, c.network_.coef)


def test_joblib_round_trip_identical_and_small(tmp_path):
    X, y = _parity_task(80)
    clf = RNNClassifier(**FAST).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(clf, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # weights, optimizer moments and bookkeeping only: no scratch buffers
    weights_bytes = clf.network_.coef.nbytes
    assert len(pickle.dumps(clf)) < 5 * weights_bytes + 20_000
    assert "params" not in clf.network_.__getstate__()


def test_warm_start_and_partial_fit_continue_training():
    X, y = _parity_task(100)
    clf = RNNClassifier(**FAST, warm_start=True).fit(X, y)
    first = clf.network_.coef.copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 10 and not np.array_equal(first, clf.network_.coef)
    inc = RNNClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        inc.partial_fit(X, y)
    for _ in range(3):
        inc.partial_fit(X, y, classes=[0, 1])
    assert inc.n_iter_ == 3 and len(inc.loss_curve_) == 3
    with pytest.raises(ValueError, match="not seen in the first fit"):
        inc.partial_fit(X, y + 5)


def test_regressor_partial_fit():
    X, y = _ragged()
    reg = RNNRegressor(**FAST)
    reg.partial_fit(X, y).partial_fit(X, y)
    assert reg.n_iter_ == 2


@pytest.mark.parametrize("tqdm_installed", [False, True])
def test_verbose_prints_one_line_per_epoch(tqdm_installed, monkeypatch, capsys):
    if tqdm_installed:
        pytest.importorskip("tqdm")  # the optional 'progress' extra
    else:
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    X, y = _parity_task(40)
    RNNClassifier(**FAST, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("Iteration 1, loss = ")


def test_divergence_restores_finite_weights_and_says_why():
    X, y = _ragged(60)
    reg = RNNRegressor(
        hidden_size=8, solver="sgd", learning_rate_init=1e6, momentum=0, max_iter=20, random_state=0
    )
    with pytest.raises(ValueError, match="scale the targets.*learning_rate_init.*clip"):
        reg.fit(X, y * 1e6)
    assert not hasattr(reg, "network_")  # the first epoch diverged: nothing is kept


def test_keyboard_interrupt_leaves_a_usable_model_and_propagates(monkeypatch):
    X, y = _parity_task(60)
    clf = RNNClassifier(hidden_size=8, max_iter=50, random_state=0)
    calls = {"n": 0}
    original = SequenceBatches.epoch

    def interrupted(self, trainer):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, trainer)

    monkeypatch.setattr(SequenceBatches, "epoch", interrupted)
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)  # Ctrl-C stops a search too, not only this fit
    assert clf.n_iter_ == 2
    assert np.all(np.isfinite(clf.predict_proba(X)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_the_weight_dtype(dtype):
    X, y = _parity_task(30)
    clf = RNNClassifier(**FAST, dtype=dtype).fit(X, y)
    assert clf.network_.coef.dtype == np.dtype(dtype)
    assert all(w.dtype == np.dtype(dtype) for w in clf.coefs_.values())


def test_clipping_bounds_every_update():
    X, y = _parity_task(40)
    clf = RNNClassifier(
        hidden_size=8,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.1,
        clip_value=1e-3,
        alpha=0.0,
        batch_size=40,
        max_iter=1,
        shuffle=False,
        random_state=0,
        dtype="float64",
    )
    clf.fit(X, y)
    untrained = clone(clf).set_params(learning_rate_init=1e-300).fit(X, y)
    step = np.abs(clf.network_.coef - untrained.network_.coef)
    # one batch, one SGD step: every entry moved by lr * (clipped gradient)
    assert step.max() == pytest.approx(0.1 * 1e-3, rel=1e-9)


def test_estimator_gradient_with_l2_matches_finite_differences():
    """The training loss (with the L2 term) and its gradient agree in float64."""
    X, y = _ragged(12)
    reg = RNNRegressor(hidden_size=3, alpha=0.3, dtype="float64", max_iter=1, random_state=0).fit(
        X, y
    )
    data, _ = reg._check_X(X, reg._input_spec)
    targets = reg._task.targets(y, data, reg._input_spec)
    batch = data.batch(np.arange(len(X)), np.float64)
    net = reg.network_
    target, weight = reg._task.units.batch_targets(targets, batch, np.float64)
    trainer = Trainer(
        net, None, "squared_error", alpha=0.3, clip_value=None, clip_norm=None, dropout=0, rng=None
    )
    trainer.loss_and_gradient(batch, target, weight)
    grad = trainer.grad.copy()
    eps = 1e-6
    for i in range(0, net.coef.size, 3):
        saved = net.coef[i]
        losses = []
        for delta in (eps, -eps):
            net.coef[i] = saved + delta
            losses.append(trainer.loss_and_gradient(batch, target, weight)[0])
        net.coef[i] = saved
        numeric = (losses[0] - losses[1]) / (2 * eps)
        assert abs(numeric - grad[i]) <= 1e-6 * max(1.0, abs(numeric))


def _early_stopping_case(kind):
    X, y = _ragged(150)
    if kind == "classifier":
        return RNNClassifier, X, (y > 0).astype(int)
    if kind == "regressor":
        return RNNRegressor, X, y
    return RNNSequenceTagger, X, [(s[:, 0] > 0).astype(int) for s in X]


@pytest.mark.parametrize("kind", ["classifier", "regressor", "tagger"])
def test_early_stopping_keeps_best_weights_and_curves(kind):
    estimator_class, X, y = _early_stopping_case(kind)
    model = estimator_class(
        hidden_size=8,
        early_stopping=True,
        n_iter_no_change=3,
        learning_rate_init=0.01,
        max_iter=40,
        random_state=0,
    ).fit(X, y)
    assert len(model.validation_scores_) == len(model.validation_loss_curve_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    if kind != "regressor":
        assert model.best_validation_score_ > 0.8
