"""A hostile trial's cases, one test each: weights that are not weights,
legitimate input that used to crash, X read wrongly, the .ts reader, the
fetchers' cache, memory that followed a parameter, dtypes."""

import hashlib
import io
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skrnn import (
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    RNNSequenceTagger,
    SequencePatcher,
    SequenceScaler,
    SequenceVectorizer,
)
from skrnn.datasets import fetch_ucr, load_ts_file
from skrnn.datasets._fetch import RemoteFile, fetch_file
from skrnn.inspection import TrainingCurveDisplay
from skrnn.metrics import flat_accuracy_score, flat_accuracy_scorer

RNG = np.random.RandomState(0)
SEQUENCES = [RNG.normal(size=(n, 2)) for n in RNG.randint(2, 8, size=40)]
LABELS = np.array([int(s[:, 0].sum() > 0) for s in SEQUENCES])
TAGS = [(s[:, 0] > 0).astype(int) for s in SEQUENCES]
QUICK = dict(hidden_size=4, max_iter=3, random_state=0)


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


# ---------------------------------------------------------- weights that are not weights
@pytest.mark.parametrize(
    "class_weight, pattern",
    [
        ({0: 0.0, 1: 0.0}, "sums to 0"),
        ({0: np.nan, 1: 1.0}, "NaN or infinite"),
        ({0: np.inf, 1: 1.0}, "NaN or infinite"),
        ({0: -1.0, 1: 1.0}, "negative"),
    ],
)
@pytest.mark.parametrize("estimator", [RNNClassifier, RNNSequenceTagger])
def test_class_weights_that_are_not_weights_are_refused(estimator, class_weight, pattern):
    y = LABELS if estimator is RNNClassifier else TAGS
    with pytest.raises(ValueError, match=f"class_weight.*{pattern}"):
        estimator(class_weight=class_weight, **QUICK).fit(SEQUENCES, y)


def test_class_weights_that_zero_every_label_present_are_refused():
    y = LABELS + 1  # classes 1 and 2 only
    clf = RNNClassifier(class_weight={0: 1.0, 1: 0.0, 2: 0.0}, **QUICK)
    with pytest.raises(ValueError, match="every label in y the weight 0"):
        clf.partial_fit(SEQUENCES, y, classes=[0, 1, 2])


def test_early_stopping_whose_held_out_part_weighs_nothing_is_a_clear_error():
    """Only one sequence weighs anything: wherever the split puts it, one
    part weighs nothing, and the call says so (never ZeroDivisionError)."""
    weights = np.zeros(len(SEQUENCES))
    weights[0] = 1.0
    messages = set()
    for seed in range(6):
        model = RNNRegressor(
            early_stopping=True, validation_fraction=0.5, **{**QUICK, "random_state": seed}
        )
        try:
            _quiet(lambda m=model: m.fit(SEQUENCES, LABELS * 1.0, sample_weight=weights))
        except ValueError as error:
            messages.add(str(error).split(" part")[0])
    assert messages == {
        "early_stopping split the sequences so that the held-out",
        "early_stopping split the sequences so that the training",
    }


def test_flat_scorers_use_sample_weight():
    tagger = _quiet(lambda: RNNSequenceTagger(**QUICK).fit(SEQUENCES, TAGS))
    y_pred = tagger.predict(SEQUENCES)
    right = np.array([np.array_equal(p, t) for p, t in zip(y_pred, TAGS)], dtype=float)
    assert 0 < right.sum() < len(right)
    assert flat_accuracy_scorer(tagger, SEQUENCES, TAGS, sample_weight=right) == 1.0
    assert flat_accuracy_score(TAGS, y_pred, sample_weight=right) == 1.0
    assert flat_accuracy_scorer(tagger, SEQUENCES, TAGS) < 1.0


def test_partial_fit_with_other_classes_is_refused():
    clf = RNNClassifier(**QUICK).partial_fit(SEQUENCES, LABELS, classes=[0, 1])
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2\] differs"):
        clf.partial_fit(SEQUENCES, LABELS, classes=[0, 1, 2])
    clf.partial_fit(SEQUENCES, LABELS, classes=[1, 0])  # the same classes in another order


def test_the_weights_a_user_sees_are_read_only_views_of_those_predicted_with():
    clf = _quiet(lambda: RNNClassifier(**QUICK).fit(SEQUENCES, LABELS))
    proba = clf.predict_proba(SEQUENCES)
    W_out = clf.coefs_["W_out"]
    with pytest.raises(ValueError, match="read-only"):
        W_out[...] = 0.0
    np.testing.assert_array_equal(clf.predict_proba(SEQUENCES), proba)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(SEQUENCES), proba)
    assert np.shares_memory(W_out, clf.network_.coef)


# ------------------------------------------------------------ legitimate input that crashed
@pytest.mark.parametrize("n_texts", [33, 65])
def test_an_empty_text_in_a_pipeline(n_texts):
    """n % batch_size == 1 put the one empty text alone in a batch."""
    texts = ["good day", "bad day", "a good one", "so bad"] * 20
    texts = texts[: n_texts - 1] + [""]
    y = np.array(["good" in t for t in texts], dtype=int)
    model = make_pipeline(SequenceVectorizer(), RNNClassifier(batch_size=32, **QUICK))
    _quiet(lambda: model.fit(texts, y))
    assert model.predict(["", "good day"]).shape == (2,)


def test_a_tagger_with_sequences_of_padding_only():
    """The padding-only sequence sorts last, alone in its batch (33 = 32 + 1)."""
    X = [[2, 3, 4], [3, 2]] * 16 + [[0, 0]]
    y = [["a", "b", "a"], ["b", "a"]] * 16 + [[]]
    tagger = _quiet(lambda: RNNSequenceTagger(batch_size=32, **QUICK).fit(X, y))
    predicted = tagger.predict([[0, 0, 0], [2, 3]])
    assert [len(p) for p in predicted] == [0, 2]
    assert tagger.predict([[0]])[0].shape == (0,)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_pooling_predicts_a_sequence_of_padding_only(pooling):
    X = [[2, 3, 4], [3, 2], [4, 4, 2]] * 5
    y = [0, 1, 0] * 5
    clf = _quiet(lambda: RNNClassifier(pooling=pooling, **QUICK).fit(X, y))
    proba = clf.predict_proba([[0, 0], [2, 3, 4]])
    assert np.isfinite(proba).all() and proba.shape == (2, 2)
    np.testing.assert_allclose(clf.predict_proba([[0]]), proba[:1])


def test_warm_start_then_early_stopping_keeps_the_curves_aligned():
    model = _quiet(lambda: RNNClassifier(warm_start=True, **QUICK).fit(SEQUENCES, LABELS))
    model.set_params(early_stopping=True, validation_fraction=0.25)
    _quiet(lambda: model.fit(SEQUENCES, LABELS))
    assert len(model.validation_scores_) == len(model.loss_curve_) == model.n_iter_
    assert np.isnan(model.validation_scores_[:3]).all()
    assert np.isfinite(model.validation_scores_[3:]).all()
    assert len(model.validation_loss_curve_) == model.n_iter_


def test_an_early_stopped_model_continued_by_partial_fit_draws_its_curves():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    model = RNNClassifier(early_stopping=True, validation_fraction=0.25, **QUICK)
    _quiet(lambda: model.fit(SEQUENCES, LABELS))
    model.partial_fit(SEQUENCES, LABELS)
    assert len(model.validation_scores_) == len(model.loss_curve_) == 4
    assert np.isnan(model.validation_scores_[-1])
    display = TrainingCurveDisplay.from_estimator(model)
    assert len(display.lines_["validation score"].get_xdata()) == 4


@pytest.mark.parametrize("temperature", [1e-300, 5e-324, 1e300, 1e-10])
def test_extreme_generation_settings(temperature):
    lm = _quiet(
        lambda: RNNLanguageModel(hidden_size=8, max_iter=2, random_state=0).fit("abcab" * 10)
    )
    text = lm.generate("ab", n_tokens=20, temperature=temperature, random_state=0)
    assert len(text) == 20 and set(text) <= set("abc")


def test_a_language_model_of_files_reads_its_prompts_as_text(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("the cat sat. " * 20)
    lm = RNNLanguageModel(input="filename", hidden_size=8, max_iter=2, random_state=0)
    _quiet(lambda: lm.fit([str(path)]))
    assert len(lm.generate("the c", n_tokens=5, temperature=0)) == 5
    assert lm.predict_proba(["the ", "cat"]).shape == (2, len(lm.tokens_))
    assert np.isfinite(lm.score([str(path)]))  # X itself is still file names


# ------------------------------------------------------------------------------ reading X
def test_a_pandas_nullable_integer_frame_is_token_ids():
    pd = pytest.importorskip("pandas")
    ids = pd.DataFrame({"a": [2, 3, 0, 4], "b": [3, 0, 0, 2]}, dtype="Int64")
    clf = _quiet(lambda: RNNClassifier(**QUICK).fit(ids, [0, 1, 0, 1]))
    assert clf.input_type_ == "tokens" and clf.n_tokens_ == 5
    np.testing.assert_array_equal(
        clf.predict_proba(ids), clf.predict_proba(ids.to_numpy(dtype=np.int64))
    )
    with pytest.raises(ValueError, match="missing token id.*fillna"):
        clf.predict(ids.where(ids > 2))


@pytest.mark.parametrize(
    "X", [np.array([["a", "b"], ["c", "d"]]), np.array([["a", "b"], ["c", "d"]], dtype=object)]
)
def test_a_table_of_strings_points_to_the_vectorizer(X):
    with pytest.raises(TypeError, match="SequenceVectorizer"):
        RNNClassifier(**QUICK).fit(X, [0, 1])


def test_a_stream_fitted_tagger_given_a_list_of_sequences_says_so():
    stream = RNG.normal(size=(30, 2))
    tagger = _quiet(lambda: RNNSequenceTagger(**QUICK).fit(stream, (stream[:, 0] > 0).astype(int)))
    with pytest.raises(ValueError, match="fitted on one stream.*list of 2 sequences"):
        tagger.predict([stream[:5], stream[:7]])


def test_targets_too_large_for_float32_say_to_scale_them():
    with pytest.raises(ValueError, match="overflow float32.*TransformedTargetRegressor"):
        RNNRegressor(**QUICK).fit(SEQUENCES, LABELS * 1e20)


# ------------------------------------------------------------------------- the .ts reader
HEADER = "@problemName toy\n@univariate true\n@equalLength false\n@classLabel true a b\n@data\n"


def _ts(tmp_path, text, encoding=None):
    path = tmp_path / "toy.ts"
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding or "utf-8"))
    return path


def test_a_ts_file_with_a_byte_order_mark_reads(tmp_path):
    X, y = load_ts_file(_ts(tmp_path, b"\xef\xbb\xbf" + (HEADER + "1,2,3:a\n4,5:b\n").encode()))
    assert [len(x) for x in X] == [3, 2] and y.tolist() == ["a", "b"]


@pytest.mark.parametrize(
    "text, line, pattern",
    [
        (HEADER + "1,nan,3:a\n", 6, "NaN or infinity"),
        (HEADER + "1,2,inf:a\n", 6, "NaN or infinity"),
        (HEADER + "1,2:a\n1,x:b\n", 7, "not a number"),
        (HEADER + "1,2:c\n", 6, "class 'c' is not among"),
        (HEADER + "1,2\n", 6, "no label"),
        (HEADER.replace("@univariate true", "@dimensions two") + "1:a\n", 2, "whole number"),
        (HEADER.replace("true a b", "maybe a b") + "1:a\n", 4, "true or false"),
        (HEADER.replace("true a b", "true") + "1:a\n", 4, "names no class"),
        (HEADER + "1,2:3,4:a\n", 6, "2 dimensions where the header says 1"),
        (
            HEADER.replace("@equalLength false", "@equalLength true\n@seriesLength 3") + "1,2:a\n",
            7,
            "@seriesLength says 3",
        ),
        (
            HEADER.replace("@equalLength false", "@equalLength true") + "1,2:a\n1:b\n",
            7,
            "another length",
        ),
        (HEADER.replace("@univariate true", "@missing false") + "1,?:a\n", 6, "missing"),
        (HEADER.replace("@classLabel true a b", "@targetLabel true") + "1,2:high\n", 6, "target"),
        ("1,2:a\n", 1, "before @data"),
    ],
)
def test_a_malformed_ts_file_names_its_line(tmp_path, text, line, pattern):
    path = _ts(tmp_path, text)
    with pytest.raises(ValueError, match=rf"toy\.ts:{line}: .*{pattern}"):
        load_ts_file(path)


def test_a_ts_file_that_is_not_utf8_names_its_line(tmp_path):
    path = _ts(tmp_path, (HEADER + "1,2:a\n").encode() + b"# caf\xe9\n")
    with pytest.raises(ValueError, match=r"toy\.ts:7: .*not UTF-8"):
        load_ts_file(path)


# --------------------------------------------------------------------------- the fetchers
@pytest.mark.parametrize("name", ["../../x", "a/b", "..", "x\\y", "", "Gun.Point"])
def test_fetch_ucr_takes_only_archive_names(tmp_path, name):
    with pytest.raises(ValueError, match="not a problem name"):
        fetch_ucr(name, data_home=tmp_path, download_if_missing=False)
    assert list(tmp_path.iterdir()) == []


def test_a_hand_placed_file_that_fails_its_checksum_is_kept(tmp_path):
    placed = tmp_path / "toy" / "data.txt"
    placed.parent.mkdir()
    placed.write_text("my own notes")
    expected = hashlib.sha256(b"the published data").hexdigest()
    remote = RemoteFile("toy/data.txt", "http://127.0.0.1:9/data.txt", expected)
    with pytest.raises(OSError, match="checksum mismatch") as info:
        fetch_file(remote, tmp_path)
    assert expected in str(info.value)
    assert hashlib.sha256(b"my own notes").hexdigest() in str(info.value)
    assert placed.read_text() == "my own notes"


def test_a_truncated_archive_without_checksum_is_a_clear_error(tmp_path, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Toy/Toy_TRAIN.ts", HEADER + "1,2:a\n" * 200)
    cut = buffer.getvalue()[:-40]
    monkeypatch.setattr("skrnn.datasets._fetch._download", lambda *args: cut)
    with pytest.raises(OSError, match="not a complete zip archive"):
        fetch_ucr("Toy", data_home=tmp_path)
    assert not (tmp_path / "ucr" / "Toy_TRAIN.ts").exists()


# ------------------------------------------------------------ memory that follows the data
def test_n_tokens_far_beyond_the_ids_is_refused_before_allocating():
    ids = RNG.randint(1, 10, size=(20, 5))
    with pytest.raises(ValueError, match="n_tokens=1000000000 asks for a table"):
        RNNClassifier(n_tokens=10**9, **QUICK).fit(ids, ids[:, 0] % 2)


def test_a_model_larger_than_memory_is_refused_before_allocating():
    with pytest.raises(ValueError, match="more than this machine's"):
        RNNClassifier(**{**QUICK, "hidden_size": 10**6}).fit(SEQUENCES, LABELS)


def test_a_long_window_on_a_short_text_allocates_for_the_text():
    import tracemalloc

    lm = RNNLanguageModel(seq_length=10**8, hidden_size=4, max_iter=1, random_state=0)
    tracemalloc.start()
    _quiet(lambda: lm.fit("a short text"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**24, f"peak {peak / 2**20:.0f} MiB"


# -------------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    "X",
    [
        [np.ones((3, 2), np.float32), np.zeros((5, 2), np.float32)],
        np.ones((4, 3, 2), np.float32),
        np.ones((4, 3), np.float32),
    ],
    ids=["list", "3-D", "2-D"],
)
@pytest.mark.parametrize(
    "transformer", [SequenceScaler(), SequenceScaler(per_sequence=True), SequencePatcher(2)]
)
def test_the_sequence_transformers_keep_float32(transformer, X):
    out = transformer.fit_transform(X)
    parts = out if isinstance(out, list) else [out]
    assert all(part.dtype == np.float32 for part in parts)


def test_no_file_is_written_outside_the_cache(tmp_path):
    home = tmp_path / "cache"
    with pytest.raises(ValueError):
        fetch_file(RemoteFile("../escape.txt", "http://127.0.0.1:9/x", None), home)
    assert sorted(os.listdir(tmp_path)) == ["cache"]


def test_raw_words_for_the_tagger_point_to_a_tagger_pipeline():
    words = [["the", "cat"], ["a", "dog", "runs"]]
    with pytest.raises(
        TypeError, match=r"make_pipeline\(SequenceVectorizer\(\), RNNSequenceTagger"
    ):
        RNNSequenceTagger(**QUICK).fit(words, [["D", "N"], ["D", "N", "V"]])
    with pytest.raises(TypeError, match="this transformer takes real-valued sequences"):
        SequenceScaler().fit(["some text"])
