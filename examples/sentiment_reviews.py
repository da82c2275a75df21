"""Sentiment on real review sentences: RNN vs TF-IDF + logistic regression
=========================================================================

Data: UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015), the
amazon and yelp parts (2,000 sentences, half positive), fetched once into the
data cache (``--data-home`` points at another folder, or at files placed
there by hand: ``sentiment/amazon_cells_labelled.txt`` and
``sentiment/yelp_labelled.txt``). 5-fold stratified CV, the
same folds for every model, measured in this run: ``RNNClassifier`` at its
defaults, the recipe that did best (a GRU reading a 64-wide embedding, with
dropout for one layer) and TF-IDF + logistic regression (about a minute).

``--full`` adds the study behind the recipe (about 5 minutes): the tanh
cell on word ids and on per-token features (lower-cased word, 2-3 letter
prefixes and suffixes, summed in one lookup), the recipe with the tanh cell
and as a bidirectional GRU, L-BFGS, and ``class_weight='balanced'`` on a
deliberately imbalanced subset.

    python examples/sentiment_reviews.py [--data-home PATH] [--full]
"""

import argparse
import importlib.util
import os
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, SequenceVectorizer
from skrnn.datasets import fetch_sentiment_sentences


def load_reviews(data_home=None):
    """The amazon and yelp sentences, in that order, and their labels."""
    parts = [fetch_sentiment_sentences(s, data_home=data_home) for s in ("amazon", "yelp")]
    return [text for part in parts for text in part.data], np.concatenate(
        [part.target for part in parts]
    )


def rnn_model(cell="rnn", token_features=None, random_state=0, **params):
    settings = dict(
        hidden_size=64,
        cell=cell,
        pooling="last",
        learning_rate_init=0.005,
        batch_size=32,
        alpha=1e-4,
        clip_norm=5.0,
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=40,
        random_state=random_state,
    )
    return make_pipeline(
        SequenceVectorizer(min_df=2, token_features=token_features),
        RNNClassifier(**{**settings, **params}),
    )


#: the best found by 5-fold CV on these sentences: a 64-wide embedding with
#: variational input dropout, dropout before the output layer, a smaller
#: step and more patience
RECIPE = dict(
    embedding_dim=64,
    input_dropout=0.3,
    output_dropout=0.5,
    learning_rate_init=0.002,
    n_iter_no_change=10,
    max_iter=60,
)


def class_weight_effect(X, y, folds):
    """Balanced accuracy on an imbalanced subset (every fourth positive
    kept), without and with ``class_weight='balanced'``."""
    keep = (y == 0) | (np.cumsum(y == 1) % 4 == 0)
    X_rare = [text for text, kept in zip(X, keep) if kept]
    y_rare = y[keep]
    print(f"imbalanced subset: {len(y_rare)} sentences, {y_rare.sum()} positive", flush=True)
    effect = {}
    for weight in (None, "balanced"):
        model = rnn_model(class_weight=weight, **RECIPE)
        scores = cross_val_score(model, X_rare, y_rare, cv=folds, scoring="balanced_accuracy")
        effect[weight] = scores
        print(f"  class_weight={weight!r:12} balanced accuracy {scores.mean():.3f}", flush=True)
    return effect


def models(full=False):
    """The models compared, by name: three, or with ``full`` the study."""
    compared = {
        "SequenceVectorizer + RNNClassifier() (defaults)": make_pipeline(
            SequenceVectorizer(), RNNClassifier(random_state=0)
        ),
        "  ... recipe: GRU, embedding, dropout": rnn_model("gru", **RECIPE),
        "TfidfVectorizer + LogisticRegression": make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=1000),
        ),
    }
    if not full:
        return compared
    affixes = ["lower", "prefix2", "prefix3", "suffix2", "suffix3"]
    return {
        **compared,
        "  ... tanh cell, word ids": rnn_model("rnn"),
        "  ... tanh cell, token features (word, affixes)": rnn_model("rnn", token_features=affixes),
        "  ... recipe, tanh cell": rnn_model("rnn", **RECIPE),
        "  ... recipe, bidirectional GRU": rnn_model("gru", bidirectional=True, **RECIPE),
        "  ... tanh cell, solver='lbfgs', alpha=1.0": rnn_model(
            "rnn", solver="lbfgs", alpha=1.0, max_iter=100
        ),
    }


def main(data_home=None, full=False, quick=False):
    """5-fold CV accuracy of every model (``quick``: 3 folds); ``full``
    adds the study and the class-weight runs."""
    X, y = load_reviews(data_home)
    folds = StratifiedKFold(n_splits=3 if quick else 5, shuffle=True, random_state=0)
    print(f"{len(X)} sentences (amazon + yelp), {folds.n_splits}-fold stratified CV", flush=True)
    results = {}
    for name, model in models(full).items():
        start = time.perf_counter()
        scores = cross_val_score(model, X, y, cv=folds, n_jobs=1)
        seconds = time.perf_counter() - start
        results[name] = scores
        print(
            f"  {name:52} accuracy {scores.mean():.3f} +- {scores.std():.3f} ({seconds:.1f} s)",
            flush=True,
        )
    if full:
        results["class_weight"] = class_weight_effect(X, y, folds)
    return results


def plot(results, data_home=None):
    """Mean CV accuracy of every model, and the training and validation
    curves of the recipe fitted once with early stopping."""
    import matplotlib.pyplot as plt

    from skrnn.inspection import TrainingCurveDisplay

    scores = {name.strip(" ."): s for name, s in results.items() if name != "class_weight"}
    _, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    bars = left.barh(list(scores), [s.mean() for s in scores.values()])
    left.bar_label(bars, fmt="%.3f")
    left.set_xlim(0.5, 0.9)
    left.invert_yaxis()
    left.set_xlabel("CV accuracy")
    X, y = load_reviews(data_home)
    recipe = rnn_model("gru", **RECIPE).fit(X, y)
    TrainingCurveDisplay.from_estimator(recipe, ax=right, name="the recipe, one fit")
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
    parser.add_argument("--full", action="store_true", help="add the study behind the recipe")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("SKRNN_QUICK")),
        help="the documentation's smaller settings (also SKRNN_QUICK=1)",
    )
    args = parser.parse_args()
    results = main(args.data_home, full=args.full, quick=args.quick)
    if importlib.util.find_spec("matplotlib"):
        plot(results, args.data_home)
