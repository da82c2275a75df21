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


def test_time_series_dtw_baseline_and_rnn(data_home):
    # one of the four problems, with two networks per patch size (the
    # example's five on all four take minutes)
    example = load_example("time_series")
    results = example.main(data_home, problems=("GunPoint",), n_states=2)["GunPoint"]
    # 1-NN DTW (full window) as the UCR/UEA archive publishes it: 0.907
    assert results["dtw"] == pytest.approx(0.907, abs=0.001)
    assert results["rnn"] > results["dtw"] + 0.05
    assert len(results["members"]) == 2 * len(example.PATCH_SIZES)
    assert results["rnn"] >= np.mean(results["members"])


def test_time_series_recipe_beats_dtw_on_the_multivariate_problem(data_home):
    # the whole recipe on the quickest problem: DTW misses one of 40 test
    # series; the single networks miss one to three, their average none
    results = load_example("time_series").main(data_home, problems=("BasicMotions",))
    results = results["BasicMotions"]
    assert results["dtw"] == 0.975 and min(results["members"]) < 1.0
    assert results["rnn"] > results["dtw"]


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
