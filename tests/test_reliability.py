"""What a hostile user tries: padding inside sequences, divergence, Ctrl-C in a
search, failed fits, changed architectures, odd containers and ids."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score, cross_validate
from sklearn.utils._param_validation import InvalidParameterError

from skrnn import (
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    RNNSequenceTagger,
    SequenceVectorizer,
)
from skrnn._training import SequenceBatches
from skrnn.datasets import load_conllu
from skrnn.metrics import (
    flat_accuracy_score,
    flat_accuracy_scorer,
    flat_classification_report,
    flat_f1_scorer,
)

RNG = np.random.RandomState(0)
IDS = RNG.randint(1, 10, size=(60, 6))
IDS[RNG.rand(*IDS.shape) < 0.2] = 0
LABELS = (IDS == 3).any(axis=1).astype(int)


@pytest.fixture(scope="module")
def clf():
    return RNNClassifier(hidden_size=8, max_iter=5, random_state=0).fit(IDS, LABELS)


@pytest.mark.parametrize(
    "X, row",
    [
        (np.array([[5, 0, 3]]), 0),
        ([[5, 0, 3]], 0),
        ([[5, 0, 3], [2, 3]], 0),
        ([[2, 3, 4, 5], [5, 0, 3]], 1),
        ([[5, 0, 3, 0], [2, 3, 4, 5]], 0),
        (np.array([[0, 5, 0, 3], [2, 3, 4, 5]]), 0),
        ([[5, 3, 0, 0], [2, 3, 4]], 0),
        ([np.array([[5], [0], [3]]), np.array([[2]])], 0),
        (np.array([[[5], [0], [3]]]), 0),
    ],
)
def test_id_zero_is_padding_wherever_it_stands(clf, X, row):
    """One rule for id 0 in every token layout: the step is skipped, so a
    sequence's output never depends on what else is in the call."""
    expected = clf.predict_proba([[5, 3]])[0]
    np.testing.assert_allclose(clf.predict_proba(X)[row], expected, rtol=1e-12)


def test_tagger_labels_only_the_real_steps_in_every_layout():
    X = [[5, 0, 3], [2, 3]]
    y = [["a", "b"], ["c", "a"]]
    tagger = RNNSequenceTagger(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    assert [len(p) for p in tagger.predict(X)] == [2, 2]
    with pytest.raises(ValueError, match="Label sequence 0 has 3 labels for 2 steps"):
        RNNSequenceTagger(max_iter=1).fit(X, [["a", "b", "c"], ["c", "a"]])


@pytest.mark.parametrize(
    "make",
    [
        lambda: (
            RNNClassifier(learning_rate_init=1e6, max_iter=5, random_state=0),
            IDS,
            LABELS,
        ),
        lambda: (
            RNNSequenceTagger(learning_rate_init=1e6, max_iter=5, random_state=0),
            IDS,
            IDS % 3,
        ),
        lambda: (
            RNNRegressor(
                learning_rate_init=1e6, batch_size=8, max_iter=5, random_state=0, dtype="float64"
            ),
            [RNG.normal(size=(4, 2)) for _ in range(30)],
            RNG.normal(size=30),
        ),
    ],
    ids=["classifier", "tagger", "regressor"],
)
def test_divergence_in_the_first_epoch_keeps_nothing_and_a_new_rate_starts_afresh(make):
    model, X, y = make()
    with pytest.raises(ValueError, match="Training diverged.*Nothing was kept"):
        model.fit(X, y)
    assert not hasattr(model, "network_")  # a fresh fit that kept nothing
    model.set_params(learning_rate_init=1e-3, max_iter=1).fit(X, y)
    before = pickle.dumps(model)
    model.set_params(learning_rate_init=1e6)
    with pytest.raises(ValueError, match="Training diverged.*Nothing was kept"):
        model.partial_fit(X, y)
    assert pickle.dumps(model.set_params(learning_rate_init=1e-3)) == before
    weights = model.network_.coef.copy()
    model.set_params(learning_rate_init=1e-6).partial_fit(X, y)
    step = np.abs(model.network_.coef - weights).max()
    assert 0 < step < 1e-4  # a new rate means a fresh Adam: each weight moves ~1e-6


def test_language_model_divergence_keeps_the_last_complete_epoch():
    lm = RNNLanguageModel(
        hidden_size=8, solver="sgd", learning_rate_init=1e6, clip_norm=None, max_iter=3,
        random_state=0,
    )  # fmt: skip
    text = "the cat sat on the mat. " * 20
    with pytest.raises(ValueError, match="epoch 2 of this call.*epoch of this call .1. is kept"):
        lm.fit(text)
    one_epoch = clone(lm).set_params(max_iter=1).fit(text)
    assert lm.n_iter_ == 1 and lm.loss_curve_ == one_epoch.loss_curve_
    np.testing.assert_array_equal(lm.network_.coef, one_epoch.network_.coef)


def test_ctrl_c_in_a_search_stops_the_search(monkeypatch):
    calls = {"n": 0}
    original = SequenceBatches.epoch

    def interrupted(self, trainer):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, trainer)

    monkeypatch.setattr(SequenceBatches, "epoch", interrupted)
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        cross_validate(RNNClassifier(hidden_size=4, max_iter=3), IDS, LABELS, cv=3)
    assert calls["n"] == 2  # no later fold was trained


def test_a_failed_fit_leaves_the_fitted_model_as_it_was(clf):
    model = RNNClassifier(hidden_size=8, max_iter=5, random_state=0).fit(IDS, LABELS)
    proba, n_tokens = model.predict_proba(IDS), model.n_tokens_
    for X, y in [([[1]], LABELS), (np.zeros((4, 3)), [0, 1, 2]), (IDS, np.zeros(60))]:
        with pytest.raises(ValueError):
            model.fit(X, y)
    assert model.n_tokens_ == n_tokens and model.input_type_ == "tokens"
    np.testing.assert_array_equal(model.predict_proba(IDS), proba)


def test_predict_reads_only_fitted_attributes(clf):
    model = RNNClassifier(hidden_size=8, max_iter=2, random_state=0).fit(IDS, LABELS)
    proba = model.predict_proba(IDS)
    model.set_params(hidden_size=0, input_type="dense", cell="lstm")
    np.testing.assert_array_equal(model.predict_proba(IDS), proba)


@pytest.mark.parametrize(
    "params, pattern",
    [
        (dict(forget_bias=np.nan), "forget_bias"),
        (dict(hidden_size=True), "hidden_size.*not a bool"),
        (dict(num_layers=True), "num_layers.*not a bool"),
    ],
)
def test_parameters_that_look_valid_to_python(params, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        RNNClassifier(**params).fit(IDS, LABELS)


def test_warm_start_with_another_architecture_builds_anew():
    model = RNNClassifier(hidden_size=4, max_iter=2, warm_start=True, random_state=0)
    model.fit(IDS, LABELS)
    model.set_params(hidden_size=6, cell="gru")
    with pytest.warns(UserWarning, match=r"hidden_size=4 -> 6.*built anew"):
        model.fit(IDS, LABELS)
    assert model.coefs_["W_hh.0.0"].shape == (6, 18) and model.n_iter_ == 2
    model.set_params(num_layers=2)
    with pytest.raises(ValueError, match="partial_fit continues.*num_layers=1 -> 2"):
        model.partial_fit(IDS, LABELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the same architecture: no warning
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(num_layers=1).fit(IDS, LABELS)


def test_all_padding_input_is_a_clear_error():
    with pytest.raises(ValueError, match="Every sequence in X is padding"):
        RNNClassifier(max_iter=1).fit(np.zeros((4, 3), dtype=int), [0, 1, 0, 1])


def test_object_arrays_of_sequences_are_sequences():
    seqs = [RNG.normal(size=(n, 2)) for n in (3, 5, 2, 4)]
    as_objects = np.empty(4, dtype=object)
    as_objects[:] = seqs
    model = RNNRegressor(hidden_size=4, max_iter=2, random_state=0).fit(seqs, [1.0, 2, 3, 4])
    np.testing.assert_array_equal(model.predict(as_objects), model.predict(seqs))


@pytest.mark.parametrize(
    "X, pattern",
    [
        (np.array([[2, 3], [2**63 + 5, 2]], dtype=np.uint64), "must be below"),
        (np.array([[2, 3], [2**40, 2]]), "far beyond"),
    ],
)
def test_ids_beyond_reason_are_refused(X, pattern):
    with pytest.raises(ValueError, match=pattern):
        RNNClassifier(max_iter=1).fit(X, [0, 1])


def test_flat_scorers_score_exactly_the_predicted_steps():
    """Random labels on padded 2-D y: padding (label -1, always 'right')
    must not count, in the scorers or with padding_label in the metrics."""
    ids = RNG.randint(1, 8, size=(40, 6))
    ids[:, 3:][RNG.rand(40, 3) < 0.7] = 0
    ids = np.sort(ids, axis=1)[:, ::-1]  # post-padded rows
    y = np.where(ids > 0, RNG.randint(3, size=ids.shape), -1)
    tagger = RNNSequenceTagger(hidden_size=4, max_iter=3, random_state=0).fit(ids, y)
    real = ids > 0
    expected = float(np.mean(tagger.predict(ids)[real] == y[real]))
    assert tagger.score(ids, y) == pytest.approx(expected)
    assert flat_accuracy_scorer(tagger, ids, y) == pytest.approx(expected)
    assert flat_accuracy_score(y, tagger.predict(ids), padding_label=-1) == pytest.approx(expected)
    report = flat_classification_report(
        y, tagger.predict(ids), padding_label=-1, output_dict=True, zero_division=0
    )
    assert "-1" not in report
    scores = cross_val_score(tagger, ids, y, cv=2, scoring=flat_f1_scorer)
    assert scores.max() < 0.9  # random labels: padding no longer inflates it


TEXTS = ["the cat sat", "a dog ran home", "the end"]


def test_vectorizer_output_is_never_pandas():
    vec = SequenceVectorizer()
    with config_context(transform_output="pandas"):
        out = vec.fit_transform(TEXTS)
    assert isinstance(out, np.ndarray) and out.shape == (3, 4)
    with pytest.raises(ValueError, match="not named features"):
        vec.set_output(transform="pandas")


def test_texts_from_a_generator_are_read_once():
    expected = SequenceVectorizer().fit_transform(TEXTS)
    np.testing.assert_array_equal(SequenceVectorizer().fit_transform(t for t in TEXTS), expected)
    lm = RNNLanguageModel(hidden_size=4, max_iter=1, random_state=0).fit(iter(TEXTS))
    assert set("the cat") <= set(lm.vocabulary_)


def test_texts_from_files(tmp_path):
    paths = []
    for i, text in enumerate(TEXTS):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_bytes(text.encode("latin-1") + b" caf\xe9")
    ids = SequenceVectorizer(input="filename", encoding="latin-1").fit_transform(paths)
    by_file = [open(p, "rb") for p in paths]
    try:
        same = SequenceVectorizer(input="file", encoding="latin-1").fit_transform(by_file)
    finally:
        for handle in by_file:
            handle.close()
    np.testing.assert_array_equal(ids, same)
    with pytest.raises(UnicodeDecodeError):
        SequenceVectorizer(input="filename").fit(paths)
    lm = RNNLanguageModel(input="filename", decode_error="replace", max_iter=1, hidden_size=4)
    lm.fit(str(paths[0]))
    assert "c" in lm.vocabulary_ and "/" not in lm.vocabulary_  # the text, not the path
    assert np.isfinite(lm.score(str(paths[1])))


class _Frame:
    """What matters of a data frame here: iterating it gives column names."""

    columns = ["review"]

    def __iter__(self):
        return iter(self.columns)


@pytest.mark.parametrize(
    "params, X, exc, pattern",
    [
        (dict(), _Frame(), TypeError, "data frame.*df\\['review'\\]"),
        (dict(token_pattern="(unclosed"), TEXTS, ValueError, "token_pattern="),
        (dict(analyzer=lambda t: [len(t)]), TEXTS, TypeError, "analyzer callable"),
        (dict(token_features=lambda t: t.upper()), TEXTS, TypeError, "token_features callable"),
    ],
)
def test_vectorizer_input_and_parameter_errors(params, X, exc, pattern):
    with pytest.raises(exc, match=pattern):
        SequenceVectorizer(**params).fit(X)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(n_tokens=-1), "n_tokens must be an int >= 0"),
        (dict(n_tokens=2.5), "n_tokens must be an int >= 0"),
        (dict(temperature=np.inf), "temperature must be a finite number"),
        (dict(temperature=np.nan), "temperature must be a finite number"),
    ],
)
def test_generate_arguments(kwargs, pattern):
    lm = RNNLanguageModel(hidden_size=4, max_iter=1).fit("abcabc")
    with pytest.raises(ValueError, match=pattern):
        lm.generate("a", **kwargs)


def test_language_model_empty_vocabulary_and_no_prompt():
    with pytest.raises(ValueError, match="kept no token in its vocabulary"):
        RNNLanguageModel(min_df=2, max_iter=1).fit(["ab", "cd"])
    lm = RNNLanguageModel(hidden_size=4, max_iter=1).fit("abcabc")
    with pytest.raises(ValueError, match="at least one prompt"):
        lm.predict_proba([])


def test_conllu_bom_blank_looking_lines_and_bad_bytes(tmp_path):
    token = "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n"
    path = tmp_path / "a.conllu"
    path.write_bytes(("\ufeff# text = Hi\n" + token + "   \n" + token + "\n").encode("utf-8"))
    assert load_conllu(path) == ([["Hi"], ["Hi"]], [["INTJ"], ["INTJ"]])
    path.write_bytes(token.encode() + token.replace("Hi", "H\xe9").encode("latin-1"))
    with pytest.raises(ValueError, match=r"a.conllu:2: .*not UTF-8"):
        load_conllu(path)


def test_float32_model_keeps_one_float64_copy_for_predictions():
    X = RNG.randint(1, 20_000, size=(40, 10))
    X[0, 0] = 19_999
    clf = RNNClassifier(hidden_size=64, cell="lstm", max_iter=1, random_state=0)
    clf.fit(X, np.arange(40) % 2)
    clf.predict_proba(X[:1])  # builds the float64 copy once
    tracemalloc.start()
    first = clf.predict_proba(X[:1])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    weights = clf.network_.coef.nbytes  # 20 MB
    assert peak < weights / 10, f"peak {peak / 2**20:.1f} MiB"
    clf.partial_fit(X, np.arange(40) % 2)  # new weights: the copy follows
    assert not np.array_equal(clf.predict_proba(X[:1]), first)
    # the weights and Adam's two moments; the float64 copy (twice the weights) is left out
    assert len(pickle.dumps(clf)) < 3.1 * weights + 20_000


def test_predicting_only_padding():
    """A call whose sequences are all padding predicts from the initial
    state (a sequence of no steps), for every head."""
    tagger = RNNSequenceTagger(hidden_size=4, max_iter=2, random_state=0).fit(IDS, IDS % 2)
    assert tagger.predict_proba(np.zeros((2, 3), dtype=int)).shape == (2, 3, 2)
    listed = RNNSequenceTagger(hidden_size=4, max_iter=2).fit([[1, 2], [3]], [[0, 1], [1]])
    assert [len(p) for p in listed.predict([[0, 0], [2]])] == [0, 1]
    clf = RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(IDS, LABELS)
    proba = clf.predict_proba(np.zeros((3, 4), dtype=int))
    np.testing.assert_allclose(proba, clf.predict_proba(np.zeros((1, 1), dtype=int))[[0, 0, 0]])
