"""Sentiment on real review sentences: RNN vs TF-IDF + logistic regression
=========================================================================

Data: UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015), the
amazon and yelp parts (2,000 sentences, half positive), fetched once into the
data cache (``--data-home`` points at another folder, or at files placed
there by hand: ``sentiment/amazon_cells_labelled.txt`` and
``sentiment/yelp_labelled.txt``). 5-fold stratified CV, the
same folds for every model, measured in this run; the RNN once on word ids and
once on per-token features (lower-cased word, 2-3 letter prefixes and
suffixes, summed in one lookup) to see whether subword features help here,
then with the recipe that did best (an embedding with dropout for one
layer), as a GRU and a bidirectional GRU, and with L-BFGS; last,
``class_weight='balanced'`` on a deliberately imbalanced subset.

    python examples/sentiment_reviews.py [--data-home PATH] [--cell rnn]
"""

import argparse
import importlib.util
import os
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
    print(f"imbalanced subset: {len(y_rare)} sentences, {y_rare.sum()} positive")
    effect = {}
    for weight in (None, "balanced"):
        model = rnn_model(class_weight=weight, **RECIPE)
        scores = cross_val_score(model, X_rare, y_rare, cv=folds, scoring="balanced_accuracy")
        effect[weight] = scores
        print(f"  class_weight={weight!r:12} balanced accuracy {scores.mean():.3f}")
    return effect


def main(data_home=None, cell="rnn", slow=True, quick=False):
    """5-fold CV accuracy of every model (``quick``: 3 folds, the plain RNN,
    the recipe and TF-IDF only, no class-weight runs)."""
    X, y = load_reviews(data_home)
    folds = StratifiedKFold(n_splits=3 if quick else 5, shuffle=True, random_state=0)
    models = {
        f"SequenceVectorizer + RNNClassifier(cell={cell!r})": rnn_model(cell),
        "  ... with token features (word, affixes)": rnn_model(
            cell, token_features=["lower", "prefix2", "prefix3", "suffix2", "suffix3"]
        ),
        "  ... one-layer dropout recipe": rnn_model(cell, **RECIPE),
        "  ... recipe, GRU": rnn_model("gru", **RECIPE),
        "  ... recipe, bidirectional GRU": rnn_model("gru", bidirectional=True, **RECIPE),
        "  ... solver='lbfgs', alpha=1.0": rnn_model(cell, solver="lbfgs", alpha=1.0, max_iter=100),
        "TfidfVectorizer + LogisticRegression": make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=1000),
        ),
    }
    if not slow or quick:  # the two that take most of the time
        del models["  ... recipe, bidirectional GRU"], models["  ... solver='lbfgs', alpha=1.0"]
    if quick:
        del models["  ... with token features (word, affixes)"], models["  ... recipe, GRU"]
    print(f"{len(X)} sentences (amazon + yelp), {folds.n_splits}-fold stratified CV")
    results = {}
    for name, model in models.items():
        start = time.perf_counter()
        scores = cross_val_score(model, X, y, cv=folds, n_jobs=1)
        seconds = time.perf_counter() - start
        results[name] = scores
        print(f"  {name:52} accuracy {scores.mean():.3f} +- {scores.std():.3f} ({seconds:.1f} s)")
    if not quick:
        results["class_weight"] = class_weight_effect(X, y, folds)
    return results


def plot(results, data_home=None, cell="rnn"):
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
    recipe = rnn_model(cell, **RECIPE).fit(X, y)
    TrainingCurveDisplay.from_estimator(recipe, ax=right, name="the recipe, one fit")
    plt.tight_layout()
    plt.show()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--cell", default="rnn", help="recurrent cell")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("SKRNN_QUICK")),
        help="the documentation's smaller settings (also SKRNN_QUICK=1)",
    )
    args = parser.parse_args()
    results = main(args.data_home, args.cell, quick=args.quick)
    if importlib.util.find_spec("matplotlib"):
        plot(results, args.data_home, args.cell)
