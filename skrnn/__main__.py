"""``python -m skrnn``: train on embedded data and show what was learnt."""

import argparse
import textwrap
import time

import numpy as np
from sklearn.pipeline import make_pipeline

from . import RNNClassifier, RNNLanguageModel, SequenceVectorizer, __version__
from .datasets import load_kafka, load_zhou_sentiment


def sentiment_demo(random_state):
    """Seed 1: Victor Zhou's toy sentiment data, many-to-one tanh RNN.

    Returns the fitted pipeline."""
    X_train, y_train = load_zhou_sentiment(return_X_y=True)
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    model = make_pipeline(
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
    print(
        "Sentiment (many-to-one): Victor Zhou's toy sentences, "
        f"{len(X_train)} train / {len(X_test)} test"
    )
    print(
        "  make_pipeline(SequenceVectorizer(), RNNClassifier(hidden_size=64, cell='rnn', "
        "pooling='last', solver='sgd', learning_rate_init=0.02, batch_size=1, clip_value=1.0))"
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    clf = model[-1]
    curve = clf.loss_curve_
    print(
        f"  trained {clf.n_iter_} epochs in {seconds:.1f} s; loss "
        f"{curve[0]:.3f} (epoch 1) -> {curve[len(curve) // 2]:.3f} "
        f"(epoch {len(curve) // 2 + 1}) -> {curve[-1]:.4f} (epoch {len(curve)})"
    )
    print(f"  test accuracy: {model.score(X_test, y_test):.2f}")
    print("  a few test sentences (never seen in training):")
    names = ["negative", "positive"]
    proba = model.predict_proba(X_test[:5])[:, 1]
    for text, truth, p in zip(X_test, y_test, proba):
        print(
            f"    {text!r:32} -> {names[int(p >= 0.5)]:8} (P(positive) = {p:.3f}; "
            f"truth: {names[truth]})"
        )
    return model


def kafka_demo(random_state, seconds):
    """Seed 2: a character model of Kafka's Metamorphosis, then a sample.

    Returns the model and the sample it generated."""
    text = load_kafka()
    model = RNNLanguageModel(
        hidden_size=128,
        cell="rnn",
        seq_length=50,
        batch_size=16,
        learning_rate_init=0.003,
        random_state=random_state,
    )
    print(
        f"Language model (characters): Kafka's Metamorphosis, {len(text)} "
        f"characters, for about {seconds:g} s"
    )
    print("  RNNLanguageModel(hidden_size=128, cell='rnn', seq_length=50, batch_size=16)")
    start = time.perf_counter()
    # two epochs at least, however slow the machine, so the loss shows its fall
    while getattr(model, "n_iter_", 0) < 2 or time.perf_counter() - start < seconds:
        model.partial_fit(text)  # one epoch per call, state carried
    elapsed = time.perf_counter() - start
    print(
        f"  trained {model.n_iter_} epochs in {elapsed:.1f} s; loss "
        f"{model.loss_curve_[0]:.3f} -> {model.loss_curve_[-1]:.3f} nats/char "
        f"(uniform guessing: {np.log(model.n_tokens_ - 2):.3f})"
    )
    sample = model.generate("Gregor ", n_tokens=240, temperature=0.7, random_state=random_state)
    print("  sample (temperature 0.7) after 'Gregor ':")
    for paragraph in ("Gregor " + sample).split("\n"):
        print(textwrap.fill(paragraph, width=78, initial_indent="    ", subsequent_indent="    "))
    return model, sample


PARTS = {"sentiment": sentiment_demo, "kafka": kafka_demo}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skrnn",
        description=f"skrnn {__version__} demo: trains recurrent networks on data "
        "shipped with the package and prints what they learnt.",
    )
    parser.add_argument(
        "--part",
        choices=["all", *PARTS],
        default="all",
        help="which demo to run: the sentiment classifier, the Kafka "
        "character model, or both (default)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=15.0,
        help="training time budget of the character model (default 15)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed for initialisation, shuffling and sampling (default 0)",
    )
    args = parser.parse_args(argv)
    if args.part in ("all", "sentiment"):
        sentiment_demo(args.random_state)
    if args.part == "all":
        print()
    if args.part in ("all", "kafka"):
        kafka_demo(args.random_state, args.seconds)


if __name__ == "__main__":
    main()
