"""Seed 1: Victor Zhou's "RNN from scratch" sentiment toy, reproduced
=====================================================================

Zhou's setting: one-hot words (vocabulary 18), tanh RNN with 64 hidden units,
softmax on the last hidden state, plain SGD with learning rate 0.02, one
sentence per update, gradients clipped to +-1. His result: test accuracy 1.0.

    python examples/sentiment_zhou.py
"""

import argparse
import importlib.util
import sys
import time

from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, SequenceVectorizer
from skrnn.datasets import load_zhou_sentiment


def build(random_state=0):
    # SequenceVectorizer gives token ids; the RNN looks them up in its input
    # weights, which is the seed's one-hot product without the one-hot matrix.
    return make_pipeline(
        SequenceVectorizer(),
        RNNClassifier(
            hidden_size=64,
            cell="rnn",  # the seed's tanh cell, reading the last state
            pooling="last",
            solver="sgd",
            learning_rate_init=0.02,
            momentum=0.0,
            batch_size=1,
            clip_value=1.0,
            alpha=0.0,
            max_iter=300,
            random_state=random_state,
        ),
    )


def main(random_state=0):
    X_train, y_train = load_zhou_sentiment(return_X_y=True)
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    model = build(random_state)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    vocabulary = model[0].vocabulary_
    results = {
        "vocabulary_size": len(vocabulary),
        "epochs": model[-1].n_iter_,
        "train_accuracy": model.score(X_train, y_train),
        "test_accuracy": model.score(X_test, y_test),
        "seconds": seconds,
    }
    for key, value in results.items():
        print(f"{key:16} {value:.3f}" if isinstance(value, float) else f"{key:16} {value}")
    results["model"] = model
    return results


def plot(model):
    """The training loss per epoch, and the confusion matrix of the test
    sentences."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    from skrnn.inspection import TrainingCurveDisplay

    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    _, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    TrainingCurveDisplay.from_estimator(model, ax=left, name="training loss")
    ConfusionMatrixDisplay.from_estimator(
        model, X_test, y_test, display_labels=["negative", "positive"], ax=right, colorbar=False
    )
    right.set_title("test sentences")
    plt.tight_layout()
    plt.show()


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    results = main(random_state=parser.parse_args().random_state)
    if importlib.util.find_spec("matplotlib"):
        plot(results["model"])
