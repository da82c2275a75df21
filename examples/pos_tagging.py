"""Part-of-speech tagging of the UD English LinES treebank with RNNSequenceTagger
================================================================================

Fetches the treebank's train and dev files into the data cache once
(``--data-home`` points at another folder; the treebank is CC BY-NC-SA and
is never copied into skrnn). Trains bidirectional taggers on
word ids and on per-token features (word, affixes, shape: one id each,
summed), reports dev token accuracy and a per-tag report beside a
most-frequent-tag baseline computed here and, when ``sklearn-crfsuite`` is
installed (``pip install -e ".[bench]"``), a CRF with the same token
features plus the neighbouring words, then runs a small GridSearchCV over the
tagger inside a pipeline.

    python examples/pos_tagging.py [--data-home PATH] [--cell gru] [--max-iter 15]
                                   [--embedding-dim 64] [--full]

The default run learns 64-wide token embeddings (about a minute on 2 cores);
``--full`` trains the README's taggers, which look each id up in the input
weights, and the CRF (a few minutes).
"""

import argparse
import importlib.util
import os
import sys
import time
import warnings
from collections import Counter, defaultdict

import numpy as np
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from skrnn import RNNSequenceTagger, SequenceVectorizer
from skrnn.datasets import fetch_ud_treebank
from skrnn.metrics import (
    flat_accuracy_score,
    flat_accuracy_scorer,
    flat_classification_report,
    flatten_label_sequences,
)
from skrnn.text import TOKEN_FEATURES


class MostFrequentTag:
    """Baseline: each word's most frequent training tag; unseen words get the
    most frequent tag overall."""

    def fit(self, sentences, tags):
        counts = defaultdict(Counter)
        for words, labels in zip(sentences, tags):
            for word, label in zip(words, labels):
                counts[word.lower()][label] += 1
        self.best_ = {w: c.most_common(1)[0][0] for w, c in counts.items()}
        overall = Counter(label for labels in tags for label in labels)
        self.default_ = overall.most_common(1)[0][0]
        return self

    def predict(self, sentences):
        return [[self.best_.get(w.lower(), self.default_) for w in s] for s in sentences]


def tagger_pipeline(
    cell="gru",
    max_iter=15,
    hidden_size=128,
    token_features=None,
    embedding_dim=None,
    random_state=0,
):
    # min_df stays 1: rare affixes and shapes still tell something about a word
    return make_pipeline(
        SequenceVectorizer(token_features=token_features, lowercase=False),
        RNNSequenceTagger(
            hidden_size=hidden_size,
            cell=cell,
            embedding_dim=embedding_dim,
            bidirectional=True,
            learning_rate_init=0.003,
            batch_size=32,
            clip_norm=5.0,
            max_iter=max_iter,
            early_stopping=True,
            n_iter_no_change=4,
            random_state=random_state,
        ),
    )


def crf_features(words):
    """The tagger's token features as a dict per token, plus the neighbours'
    lower-cased words: the usual CRF feature set."""
    rows = []
    for i, word in enumerate(words):
        feats = {name: f(word) for name, f in TOKEN_FEATURES.items() if f(word)}
        feats["bias"] = 1.0
        feats["prev"] = words[i - 1].lower() if i else "<s>"
        feats["next"] = words[i + 1].lower() if i + 1 < len(words) else "</s>"
        rows.append(feats)
    return rows


def crf_baseline(X_train, y_train, X_dev, y_dev):
    """Dev accuracy and training seconds of a CRF, or None without crfsuite."""
    try:
        import sklearn_crfsuite
    except ImportError:
        print("CRF: sklearn-crfsuite is not installed (pip install -e '.[bench]'); skipped")
        return None, None
    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100)
    start = time.perf_counter()
    crf.fit([crf_features(s) for s in X_train], y_train)
    seconds = time.perf_counter() - start
    accuracy = flat_accuracy_score(y_dev, crf.predict([crf_features(s) for s in X_dev]))
    print(
        f"CRF (sklearn-crfsuite, same token features + neighbouring words): dev "
        f"accuracy {accuracy:.4f} in {seconds:.1f} s"
    )
    return accuracy, seconds


def train_and_report(name, model, X_train, y_train, X_dev, y_dev, report=False):
    """Dev accuracy, training seconds, and the dev accuracy of every tag."""
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    y_pred = model.predict(X_dev)
    accuracy = flat_accuracy_score(y_dev, y_pred)
    print(f"{name}: dev accuracy {accuracy:.4f}; {model[-1].n_iter_} epochs in {seconds:.1f} s")
    if report:
        print(flat_classification_report(y_dev, y_pred, digits=3, zero_division=0))
    true, predicted = flatten_label_sequences(y_dev, y_pred)
    per_tag = {tag: float(np.mean(predicted[true == tag] == tag)) for tag in np.unique(true)}
    return accuracy, seconds, per_tag


def main(
    data_home=None,
    cell="gru",
    max_iter=15,
    grid_sentences=800,
    crf=True,
    features=True,
    embedding_dim=None,
):
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")  # short runs
    # a fold of 400 sentences can miss a rare tag of the other; it is scored wrong
    warnings.filterwarnings("ignore", message=".*count as wrong predictions")
    X_train, y_train = fetch_ud_treebank(subset="train", data_home=data_home)
    X_dev, y_dev = fetch_ud_treebank(subset="dev", data_home=data_home)
    n_words = sum(map(len, X_train))
    print(f"LinES: {len(X_train)} train sentences ({n_words} words), {len(X_dev)} dev sentences")

    baseline = MostFrequentTag().fit(X_train, y_train)
    baseline_acc = flat_accuracy_score(y_dev, baseline.predict(X_dev))
    print(f"most-frequent-tag baseline: dev accuracy {baseline_acc:.4f}")

    results = {"baseline_accuracy": baseline_acc}
    results["accuracy"], results["seconds"], results["per_tag"] = train_and_report(
        f"bidirectional {cell} tagger, word ids",
        tagger_pipeline(cell, max_iter, embedding_dim=embedding_dim),
        X_train,
        y_train,
        X_dev,
        y_dev,
    )
    if features:
        results["features_accuracy"], results["features_seconds"], results["per_tag"] = (
            train_and_report(
                f"bidirectional {cell} tagger, token features",
                tagger_pipeline(cell, max_iter, token_features=True, embedding_dim=embedding_dim),
                X_train,
                y_train,
                X_dev,
                y_dev,
                report=True,
            )
        )
    if crf:
        results["crf_accuracy"], results["crf_seconds"] = crf_baseline(
            X_train, y_train, X_dev, y_dev
        )

    grid = GridSearchCV(
        tagger_pipeline(cell, max_iter=10),
        {"rnnsequencetagger__hidden_size": [32, 64]},
        cv=KFold(2),
        scoring=flat_accuracy_scorer,
    )
    start = time.perf_counter()
    grid.fit(X_train[:grid_sentences], y_train[:grid_sentences])
    print(
        f"GridSearchCV on {grid_sentences} sentences ({time.perf_counter() - start:.1f} s):"
        f" best {grid.best_params_}, cv token accuracy {grid.best_score_:.4f}"
    )
    results["grid_best_score"] = grid.best_score_
    return results


def plot(per_tag, baseline):
    """Dev accuracy of every tag, the tags in order of accuracy."""
    import matplotlib.pyplot as plt

    tags = sorted(per_tag, key=per_tag.get)
    _, ax = plt.subplots(figsize=(8, 4))
    ax.bar(tags, [per_tag[t] for t in tags])
    ax.axhline(baseline, color="gray", linestyle="--", label="most frequent tag, all tags")
    ax.set_ylabel("dev accuracy")
    ax.set_title("accuracy per part-of-speech tag (last tagger trained)")
    ax.tick_params(axis="x", labelrotation=90)
    ax.legend(loc="lower right")
    plt.tight_layout()
    plt.show()


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--cell", default="gru", help="recurrent cell")
    parser.add_argument("--max-iter", type=int, default=15, help="epochs at most")
    parser.add_argument(
        "--embedding-dim",
        type=int,
        default=64,
        help="learn token embeddings of this size (0: look ids up in the input weights)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="the lookup taggers of the README (--embedding-dim 0) and the CRF: minutes",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("SKRNN_QUICK")),
        help="the documentation's smaller settings (also SKRNN_QUICK=1)",
    )
    args = parser.parse_args()
    if args.quick:  # token features in a 64-wide embedding, no CRF: seconds, not minutes
        results = main(args.data_home, max_iter=5, grid_sentences=200, crf=False, embedding_dim=64)
    elif args.full:
        results = main(args.data_home, args.cell, args.max_iter, embedding_dim=None)
    else:  # 64-wide embeddings train several times faster than the lookup; no CRF
        embedding_dim = args.embedding_dim or None
        results = main(
            args.data_home, args.cell, args.max_iter, crf=False, embedding_dim=embedding_dim
        )
    if importlib.util.find_spec("matplotlib"):
        plot(results["per_tag"], results["baseline_accuracy"])
