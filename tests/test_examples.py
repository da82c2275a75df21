"""The seeds' results, reproduced by the scripts in examples/ (fixed seeds)."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from .conftest import ROOT, load_example


def test_seed1_zhou_sentiment_reaches_test_accuracy_one():
    results = load_example("sentiment_zhou").main(random_state=0)
    assert results["vocabulary_size"] == 18  # the seed's one-hot size
    assert results["test_accuracy"] == 1.0
    assert results["train_accuracy"] == 1.0


def test_review_sentiment_rnn_beside_tfidf_baseline(data_home):
    # the script's default run: the defaults, the recipe, TF-IDF (the study is --full)
    example = load_example("sentiment_reviews")
    defaults, recipe, baseline = example.main(data_home).values()
    assert len(defaults) == len(recipe) == len(baseline) == 5
    # the defaults learn the task; the recipe is within reach of the linear baseline
    assert baseline.mean() > 0.83
    assert defaults.mean() > 0.78 and recipe.mean() > 0.81


def test_balanced_class_weight_helps_on_imbalanced_reviews(data_home):
    example = load_example("sentiment_reviews")
    X, y = example.load_reviews(data_home)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    effect = example.class_weight_effect(X, y, folds)
    assert effect["balanced"].mean() > effect[None].mean()


def test_seed3_mod3_gets_98_percent_of_fresh_steps():
    results = load_example("mod3").main(random_state=0)
    assert results["test_step_accuracy"] >= 0.98


def test_pos_tagging_beats_most_frequent_tag(data_home):
    # the quick configuration (word ids, tanh cell); the script's default runs
    # the gated tagger with token features and the CRF (minutes)
    results = load_example("pos_tagging").main(data_home, cell="rnn", crf=False, features=False)
    assert 0.85 < results["baseline_accuracy"] < 0.92
    assert results["accuracy"] > results["baseline_accuracy"] + 0.02


def test_seed2_kafka_char_rnn_matches_the_seed_loss():
    results = load_example("kafka_char_rnn").main(updates=10_000, random_state=0)
    assert results["updates"] == 10_000
    assert results["smoothed_nats_per_char"] <= 63.7 / 35
    assert results["nats_per_char"] < 2.0


def test_shakespeare_example_runs_and_learns_beyond_unigrams(data_home):
    # one quick epoch of a small tanh RNN; the script's default GRU takes minutes
    results = load_example("shakespeare").main(
        data_home, epochs=1, cell="rnn", hidden_size=64, orders=(3,)
    )
    assert 1.8 < results["ngram"][3] < 2.3
    # a character unigram model of English needs about 2.9 nats/char
    assert results["rnn"] < 2.6


@pytest.mark.parametrize(
    "name",
    [
        "sentiment_zhou",
        "mod3",
        "kafka_char_rnn",
        "sentiment_reviews",
        "pos_tagging",
        "shakespeare",
        "time_series",
        "forecasting",
        "distributed_search",
        "dates",
        "g2p",
        "onnx_serving",
    ],
)
def test_every_example_shows_its_defaults(name):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "(default:" in result.stdout


def test_time_series_dtw_baseline_and_the_recipe(data_home):
    # the example's run on one problem: GunPoint, 50 series of 150 steps
    example = load_example("time_series")
    results = example.main(data_home, problems=("GunPoint",))["GunPoint"]
    # 1-NN DTW (full window) as the UCR/UEA archive publishes it: 0.907
    assert results["dtw"] == pytest.approx(0.907, abs=0.001)
    assert results["rnn"] > results["dtw"] + 0.05
    assert results["best_params"]["patch_size"] > 1
    tried = [row for row in results["cv_results"] if not row["skipped"]]
    assert {row["patch_size"] for row in tried} >= {32, 16, 8}  # the cheapest sizes
    assert results["rnn_s"] < example.TIME_BUDGET * 1.5  # the budget holds, roughly


def reference_dtw(a, b):
    """DTW of two series, one cell at a time."""
    cells = np.full((len(a) + 1, len(b) + 1), np.inf)
    cells[0, 0] = 0.0
    for i, j in np.ndindex(len(a), len(b)):
        best = min(cells[i, j + 1], cells[i + 1, j], cells[i, j])
        cells[i + 1, j + 1] = ((a[i] - b[j]) ** 2).sum() + best
    return cells[-1, -1]


def test_dtw_compares_series_of_unequal_lengths():
    example = load_example("time_series")
    rng = np.random.RandomState(0)
    A = [rng.normal(size=(n, 2)) for n in (5, 8, 3)]
    B = [rng.normal(size=(n, 2)) for n in (6, 4)]
    lengths = [len(a) for a in A], [len(b) for b in B]
    distances = example.dtw_distances(example.padded(A), example.padded(B), *lengths)
    assert distances == pytest.approx(np.array([[reference_dtw(a, b) for b in B] for a in A]))
    # a series stretched in time is at distance 0 from the series it was made from
    X_test = [np.repeat(A[2], 2, axis=0), A[0]]
    assert example.nearest_neighbour_dtw(A, [0, 1, 2], X_test).tolist() == [2, 0]


def order_of_two_spikes(n, seed):
    """Short multivariate series (32 steps x 3): a spike in one channel and,
    one step later, in another; which channel goes first is the class."""
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=0.3, size=(n, 32, 3))
    y = rng.randint(2, size=n)
    at = rng.randint(31, size=n)
    X[np.arange(n), at, y] += 3.0
    X[np.arange(n), at + 1, 1 - y] += 3.0
    return X, y


def periods_of_a_slow_wave(n, seed):
    """Long univariate series (384 steps): a noisy sine of two or three
    periods at a random phase; the number of periods is the class."""
    rng = np.random.RandomState(seed)
    y = rng.randint(2, size=n)
    t = np.linspace(0, 1, 384)
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    X = np.sin(2 * np.pi * (2 + y[:, None]) * t + phase)
    return X + rng.normal(scale=0.5, size=X.shape), y


@pytest.mark.parametrize(
    "make_series, chosen",
    [
        (order_of_two_spikes, lambda size: size == 1),
        (periods_of_a_slow_wave, lambda size: size > 1),
    ],
)
def test_the_recipe_chooses_the_patch_size_by_cross_validation(make_series, chosen):
    from skrnn import RNNClassifier

    example = load_example("time_series")
    network = RNNClassifier(hidden_size=16, batch_size=16, max_iter=40, random_state=0)
    model = example.recipe(
        network=network, patch_sizes=(8, 4, 1), per_sequence=(True,), poolings=("max",), n_refits=2
    )
    X, y = make_series(60, seed=0)
    model.fit(X, y)
    assert [row["patch_size"] for row in model.cv_results_] == [8, 4, 1]
    assert chosen(model.best_params_["patch_size"])
    X_test, y_test = make_series(200, seed=1)
    assert model.score(X_test, y_test) > 0.9
    assert len(model.estimators_) >= 4 + 2  # the fold networks and the refits


def test_the_recipe_skips_what_its_time_budget_cannot_hold():
    from skrnn import RNNClassifier

    example = load_example("time_series")
    network = RNNClassifier(hidden_size=4, max_iter=2, random_state=0)
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(16, 40, size=24)]  # ragged
    y = np.repeat(["a", "b"], 12)
    model = example.recipe(0.0, network=network, patch_sizes=(1, 4, 8), poolings=("max", "mean"))
    model.fit(X, y)
    # the first candidate always runs; every later one would overrun the budget
    tried = [
        (r["per_sequence"], r["patch_size"], r["pooling"], r["skipped"]) for r in model.cv_results_
    ]
    assert tried == [
        (True, 4, "max", False),  # 8 would leave the 16-step series 2 patches, under min_patches
        (True, 1, "max", True),
        (False, 4, "max", True),
        (True, 4, "mean", True),
    ]
    assert len(model.estimators_) == 4  # the fold networks, no time for refits
    assert set(model.predict(X)) <= {"a", "b"}
    assert model.predict_proba(X).sum(axis=1) == pytest.approx(1.0)


def test_the_recipe_needs_two_series_of_every_class():
    example = load_example("time_series")
    X, y = np.zeros((5, 20, 1)), ["a", "a", "a", "a", "b"]
    model = example.recipe()
    with pytest.raises(ValueError, match="at least two training series"):
        model.fit(X, y)
    assert not hasattr(model, "estimators_")


def test_forecasting_rnn_beats_the_linear_baseline():
    results = load_example("forecasting").main(random_state=0)
    ridge, _, rnn = results["r2"].values()
    assert rnn > 0.95 and rnn > ridge + 0.03


def test_distributed_search_example(data_home):
    pytest.importorskip("dask_ml")
    results = load_example("distributed_search").main(data_home, max_iter=3)
    assert results["candidates"] == 8 and results["incremental_blocks"] == 8
    assert results["best_params"] == results["local_best_params"]
    assert results["incremental_accuracy"] > 0.6  # half the sentences are positive
    # the pieces differ from one call only in the vocabulary the first piece shows
    assert abs(results["lm_pieces"] - results["lm_whole"]) < 0.05
    assert results["lm_pieces"] < 2.5


def test_the_distributed_example_without_its_extra_says_what_to_install(monkeypatch):
    import importlib.util

    example = load_example("distributed_search")
    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "dask_ml" else found(name)
    )
    with pytest.raises(SystemExit, match=r'dask_ml.*pip install "skrnn\[distributed\]"'):
        example.require_distributed()


def test_the_time_series_example_names_every_missing_file_at_once(tmp_path, monkeypatch):
    from skrnn.datasets import _ts

    monkeypatch.setattr(_ts, "UCR_URL", "http://127.0.0.1:9/{name}.zip")  # nothing listens
    monkeypatch.setattr("skrnn.datasets._fetch.time.sleep", lambda seconds: None)
    example = load_example("time_series")
    with pytest.raises(OSError) as info:
        example.fetch_problems(["GunPoint", "BasicMotions"], data_home=tmp_path)
    message = str(info.value)
    assert "- GunPoint:" in message and "- BasicMotions:" in message
    assert "GunPoint.zip" in message and "BasicMotions_TRAIN.ts (unzipped)" in message


def test_dates_example_gets_99_percent_of_fresh_dates_exactly():
    results = load_example("dates").main(plot=False)
    assert results["exact_match"] >= 0.99
    assert results["seconds"] < 60


def test_g2p_split_recipe_and_a_short_run(data_home):
    g2p = load_example("g2p")
    words = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] * 2
    phones = [[w.upper()] for w in words[:10]] + [[w.upper(), "X"] for w in words[:10]]
    train, test, references = g2p.split_words(words, phones, test_share=0.2, seed=0)
    assert len(test) == 2 and not {w for w, _ in train} & set(test)
    assert all(len(r) == 2 for r in references)  # all pronunciations of a word held out
    assert g2p.split_words(words, phones, test_share=0.2, seed=0) == (train, test, references)
    model = g2p.recipe()
    assert not hasattr(model[-1], "network_")  # unfitted, to refit on any split
    # four epochs of a small model on 10,000 pairs already get most phones right
    results = g2p.main(data_home, max_iter=4, hidden_size=32, n_train=10_000, n_test=1000)
    assert results["per"] < 0.5
    assert 0.5 < results["wer"] < 1.0
    assert results["model"].predict(["cat"])[0][0] == "K"


def test_onnx_serving_example_answers_as_skrnn_without_it():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    results = load_example("onnx_serving").main(plot=False)
    assert results["imported_skrnn"] is False
    assert results["labels_equal"] and results["max_difference"] < 1e-5
