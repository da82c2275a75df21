"""The ``python -m skrnn`` demo."""

import subprocess
import sys

from skrnn.__main__ import main


def test_sentiment_part_prints_perfect_test_accuracy(capsys):
    main(["--part", "sentiment"])
    out = capsys.readouterr().out
    assert "test accuracy: 1.00" in out
    assert out.count("truth:") == 5


def test_kafka_part_trains_for_the_budget_and_samples(capsys):
    main(["--part", "kafka", "--seconds", "1"])
    out = capsys.readouterr().out
    assert "nats/char" in out and "Gregor " in out.split("sample")[1]


def test_help_lists_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "skrnn", "--help"], capture_output=True, text=True, check=True
    )
    assert "--part" in result.stdout and "--seconds" in result.stdout
