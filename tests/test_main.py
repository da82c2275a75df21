"""The ``python -m skrnn`` demo."""

import subprocess
import sys

import numpy as np

from skrnn.__main__ import kafka_demo, main, sentiment_demo
from skrnn.datasets import load_zhou_sentiment


def test_sentiment_part_prints_perfect_test_accuracy(capsys):
    model = sentiment_demo(random_state=0)
    out = capsys.readouterr().out
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    assert model.score(X_test, y_test) == 1.0 and "test accuracy: 1.00" in out
    assert out.count("truth:") == 5


def test_kafka_part_learns_within_the_budget_and_samples(capsys):
    model, sample = kafka_demo(random_state=0, seconds=1)
    out = capsys.readouterr().out
    curve = model.loss_curve_
    assert len(curve) >= 2 and curve[-1] < curve[0] < np.log(model.n_tokens_)
    assert f"-> {curve[-1]:.3f} nats/char" in out
    assert len(sample) == 240 and set(sample) <= set(model.tokens_[2:])


def test_the_command_line_runs_the_part_asked_for(capsys):
    main(["--part", "kafka", "--seconds", "0.3", "--random-state", "1"])
    out = capsys.readouterr().out
    assert "nats/char" in out and "test accuracy" not in out


def test_help_lists_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "skrnn", "--help"], capture_output=True, text=True, check=True
    )
    assert "--part" in result.stdout and "--seconds" in result.stdout
