"""``python -m skrnn``: train on embedded data and show what was learnt."""

import argparse
import time

from sklearn.pipeline import make_pipeline

from . import RNNClassifier, SequenceVectorizer, __version__
from .datasets import load_zhou_sentiment


def sentiment_demo(random_state):
    """Seed 1: Victor Zhou's toy sentiment data, many-to-one tanh RNN."""
    X_train, y_train = load_zhou_sentiment(return_X_y=True)
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    model = make_pipeline(
        SequenceVectorizer(),
        RNNClassifier(
            hidden_size=64, solver="sgd", learning_rate_init=0.02, momentum=0.0,
            batch_size=1, clip_value=1.0, alpha=0.0, max_iter=300,
            random_state=random_state,
        ),
    )
    print("Sentiment (many-to-one): Victor Zhou's toy sentences, "
          f"{len(X_train)} train / {len(X_test)} test")
    print("  make_pipeline(SequenceVectorizer(), RNNClassifier(hidden_size=64, "
          "solver='sgd', learning_rate_init=0.02, batch_size=1, clip_value=1.0))")
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    clf = model[-1]
    curve = clf.loss_curve_
    print(f"  trained {clf.n_iter_} epochs in {seconds:.1f} s; loss "
          f"{curve[0]:.3f} (epoch 1) -> {curve[len(curve) // 2]:.3f} "
          f"(epoch {len(curve) // 2 + 1}) -> {curve[-1]:.4f} (epoch {len(curve)})")
    print(f"  test accuracy: {model.score(X_test, y_test):.2f}")
    print("  a few test sentences (never seen in training):")
    names = ["negative", "positive"]
    proba = model.predict_proba(X_test[:5])[:, 1]
    for text, truth, p in zip(X_test, y_test, proba):
        print(f"    {text!r:32} -> {names[int(p >= 0.5)]:8} (P(positive) = {p:.3f}; "
              f"truth: {names[truth]})")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skrnn",
        description=f"skrnn {__version__} demo: trains recurrent networks on data "
        "shipped with the package and prints what they learnt.",
    )
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed for initialisation and shuffling (default 0)")
    args = parser.parse_args(argv)
    sentiment_demo(args.random_state)


if __name__ == "__main__":
    main()
