"""How candidate defaults score, everything else at default, on every shared
task: the evidence behind the estimators' default cell, learning rate and
batch size.

Tasks (benchmarks/README.md, "Defaults"):

- ``seed``: the sentiment seed (``load_zhou_sentiment``), test accuracy of
  ``make_pipeline(SequenceVectorizer(), RNNClassifier(**candidate))`` at
  random states 0-4;
- ``reviews``: the 2,000 review sentences, 3-fold stratified CV accuracy of
  the same pipeline, random state 0;
- ``pos``: UD English LinES, the first 1,000 training sentences, dev token
  accuracy of ``make_pipeline(SequenceVectorizer(lowercase=False),
  RNNSequenceTagger(**candidate))``, random state 0;
- ``series``: GunPoint, BasicMotions and ArrowHead, test accuracy of
  ``make_pipeline(SequenceScaler(per_sequence=True),
  RNNClassifier(**candidate))`` at random states 0-2;
- ``kafka``: the language model on Kafka's text (the last tenth held out),
  held-out nats per character of ``RNNLanguageModel(**candidate)``, random
  state 0.

Every fit is timed. Prints one row per task and candidate, and writes the
rows as JSON (``--out``).

    python benchmarks/select_defaults.py --data-home PATH [--tasks seed reviews pos series kafka]
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import (
    RNNClassifier,
    RNNLanguageModel,
    RNNSequenceTagger,
    SequenceScaler,
    SequenceVectorizer,
)
from skrnn.datasets import (
    fetch_sentiment_sentences,
    fetch_ucr,
    fetch_ud_treebank,
    load_kafka,
    load_zhou_sentiment,
)
from skrnn.metrics import flat_accuracy_score

#: the defaults before this study, and the candidates measured against them
CANDIDATES = {
    "before (rnn, lr 0.001, batch 32)": dict(cell="rnn", learning_rate_init=0.001, batch_size=32),
    "gru, lr 0.001": dict(cell="gru", learning_rate_init=0.001, batch_size=32),
    "gru, lr 0.005": dict(cell="gru", learning_rate_init=0.005, batch_size=32),
    "gru, lr 0.01": dict(cell="gru", learning_rate_init=0.01, batch_size=32),
    "gru, lr 0.005, batch 16": dict(cell="gru", learning_rate_init=0.005, batch_size=16),
    "lstm, lr 0.005": dict(cell="lstm", learning_rate_init=0.005, batch_size=32),
    "gru, lr 0.005, max pooling": dict(cell="gru", learning_rate_init=0.005, pooling="max"),
    "gru, lr 0.005, mean pooling": dict(cell="gru", learning_rate_init=0.005, pooling="mean"),
    "gru, lr 0.005, bidirectional": dict(cell="gru", learning_rate_init=0.005, bidirectional=True),
}
#: token-id tasks also measure a learned embedding in front of the cell
TOKEN_CANDIDATES = {
    **CANDIDATES,
    "gru, lr 0.005, embedding 64": dict(cell="gru", learning_rate_init=0.005, embedding_dim=64),
    "gru, lr 0.01, embedding 64": dict(cell="gru", learning_rate_init=0.01, embedding_dim=64),
    "gru, lr 0.005, max pooling, embedding 64": dict(
        cell="gru", learning_rate_init=0.005, pooling="max", embedding_dim=64
    ),
}
LM_CANDIDATES = {
    "before (rnn, lr 0.002)": dict(cell="rnn", learning_rate_init=0.002),
    "gru, lr 0.002": dict(cell="gru", learning_rate_init=0.002),
    "gru, lr 0.005": dict(cell="gru", learning_rate_init=0.005),
    "lstm, lr 0.005": dict(cell="lstm", learning_rate_init=0.005),
}
SERIES = ("GunPoint", "BasicMotions", "ArrowHead")


def timed(fit_and_score, *args):
    start = time.perf_counter()
    score = fit_and_score(*args)
    return float(score), time.perf_counter() - start


def test_score(model, X_train, y_train, X_test, y_test):
    return model.fit(X_train, y_train).score(X_test, y_test)


def seed_scores(candidate, data_home):
    X_train, y_train = load_zhou_sentiment(return_X_y=True)
    X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    for state in range(5):
        model = make_pipeline(SequenceVectorizer(), RNNClassifier(**candidate, random_state=state))
        yield f"state {state}", timed(test_score, model, X_train, y_train, X_test, y_test)


def reviews_scores(candidate, data_home):
    parts = [fetch_sentiment_sentences(s, data_home=data_home) for s in ("amazon", "yelp")]
    X = [text for part in parts for text in part.data]
    y = np.concatenate([part.target for part in parts])
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    model = make_pipeline(SequenceVectorizer(), RNNClassifier(**candidate, random_state=0))
    yield "3-fold CV", timed(lambda: cross_val_score(model, X, y, cv=folds).mean())


def pos_scores(candidate, data_home):
    X_train, y_train = fetch_ud_treebank(subset="train", data_home=data_home)
    X_dev, y_dev = fetch_ud_treebank(subset="dev", data_home=data_home)
    model = make_pipeline(
        SequenceVectorizer(lowercase=False), RNNSequenceTagger(**candidate, random_state=0)
    )

    def fit_and_score():
        model.fit(X_train[:1000], y_train[:1000])
        return flat_accuracy_score(y_dev, model.predict(X_dev))

    yield "dev, 1,000 sentences", timed(fit_and_score)


def series_scores(candidate, data_home):
    for name in SERIES:
        (X_train, y_train), (X_test, y_test) = (
            fetch_ucr(name, subset, data_home=data_home) for subset in ("train", "test")
        )
        for state in range(3):
            model = make_pipeline(
                SequenceScaler(per_sequence=True), RNNClassifier(**candidate, random_state=state)
            )
            score = timed(test_score, model, X_train, y_train, X_test, y_test)
            yield f"{name} state {state}", score


def kafka_scores(candidate, data_home):
    text = load_kafka()
    cut = int(len(text) * 0.9)
    model = RNNLanguageModel(**candidate, random_state=0)

    def fit_and_score():
        model.fit(text[:cut])
        return np.log(model.perplexity(text[cut:]))

    yield "held-out nats/char", timed(fit_and_score)


TASKS = {
    "seed": (seed_scores, TOKEN_CANDIDATES),
    "reviews": (reviews_scores, TOKEN_CANDIDATES),
    "pos": (pos_scores, TOKEN_CANDIDATES),
    "series": (series_scores, CANDIDATES),
    "kafka": (kafka_scores, LM_CANDIDATES),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--candidates", nargs="+", default=None, help="names (default: all)")
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # ConvergenceWarnings are part of what is measured
    rows = []
    for task in args.tasks:
        scores, candidates = TASKS[task]
        for name, candidate in candidates.items():
            if args.candidates and name not in args.candidates:
                continue
            for part, (score, seconds) in scores(candidate, args.data_home):
                rows.append(dict(task=task, candidate=name, part=part, score=score, s=seconds))
                print(f"{task:8} {name:34} {part:22} {score:.3f} ({seconds:.1f} s)", flush=True)
            if args.out:
                with open(args.out, "w") as file:
                    json.dump(rows, file, indent=1)


if __name__ == "__main__":
    main()
