"""Seed 3: many-to-many "mod-3", a tag for every step
=====================================================

Tag every step x_t with (x_t + 1) mod 3.

The seed: inputs x in {0, 1, 2} one-hot, 10 training sequences of length 10,
tanh RNN with 100 hidden units, a softmax at every step; it gets 98 of 100
steps right. Here: the same data and network, scored on 100 fresh sequences.

    python examples/mod3.py
"""

import argparse
import importlib.util
import sys
import time

from skrnn import RNNSequenceTagger
from skrnn.datasets import make_mod_sequences


def main(random_state=0):
    X_train, y_train = make_mod_sequences(10, 10, k=3, random_state=random_state)
    X_test, y_test = make_mod_sequences(100, 10, k=3, random_state=random_state + 1)
    tagger = RNNSequenceTagger(
        hidden_size=100,
        cell="rnn",  # the seed's tanh cell, reading forwards
        bidirectional=False,
        learning_rate_init=0.01,
        batch_size=10,
        max_iter=300,
        random_state=random_state,
    )
    start = time.perf_counter()
    tagger.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    results = {
        "epochs": tagger.n_iter_,
        "train_step_accuracy": tagger.score(X_train, y_train),
        "test_step_accuracy": tagger.score(X_test, y_test),
        "seconds": seconds,
    }
    print(
        f"10 training sequences of 10 steps, hidden 100: {results['epochs']} epochs "
        f"in {seconds:.2f} s"
    )
    print(
        f"step accuracy: train {results['train_step_accuracy']:.3f}, "
        f"100 fresh sequences {results['test_step_accuracy']:.3f} "
        "(seed: 0.98)"
    )
    print("first test sequence:", X_test[0].argmax(axis=1), "->", tagger.predict(X_test[:1])[0])
    results["model"] = tagger
    return results


def plot(tagger):
    """The training loss per epoch."""
    import matplotlib.pyplot as plt

    from skrnn.inspection import TrainingCurveDisplay

    TrainingCurveDisplay.from_estimator(tagger, name="mod-3 tagger: training loss")
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
