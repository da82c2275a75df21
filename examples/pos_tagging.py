"""Part-of-speech tagging of the UD English LinES treebank with RNNSequenceTagger.

Reads ``en_lines-ud-train.conllu`` and ``en_lines-ud-dev.conllu`` from
``../shared/data/ud_english_lines`` (or ``--data-dir``; the treebank is
CC BY-NC-SA and is never copied into skrnn). Trains a bidirectional tagger on
word ids, reports dev token accuracy and a per-tag report beside a
most-frequent-tag baseline computed here, then runs a small GridSearchCV over
the tagger inside a pipeline.

    python examples/pos_tagging.py [--data-dir PATH] [--cell rnn] [--max-iter 15]
"""

import argparse
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from skrnn import RNNSequenceTagger, SequenceVectorizer
from skrnn.datasets import load_conllu
from skrnn.metrics import flat_accuracy_score, flat_accuracy_scorer, flat_classification_report

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "ud_english_lines"


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


def tagger_pipeline(cell="rnn", max_iter=15, hidden_size=128, random_state=0):
    return make_pipeline(
        SequenceVectorizer(min_df=1),
        RNNSequenceTagger(
            hidden_size=hidden_size, cell=cell, bidirectional=True,
            learning_rate_init=0.003, batch_size=32, clip_norm=5.0,
            max_iter=max_iter, early_stopping=True, n_iter_no_change=4,
            random_state=random_state,
        ),
    )


def main(data_dir=DEFAULT_DIR, cell="rnn", max_iter=15, grid_sentences=800):
    data_dir = Path(data_dir)
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")  # short runs
    X_train, y_train = load_conllu(data_dir / "en_lines-ud-train.conllu")
    X_dev, y_dev = load_conllu(data_dir / "en_lines-ud-dev.conllu")
    n_words = sum(map(len, X_train))
    print(f"LinES: {len(X_train)} train sentences ({n_words} words), "
          f"{len(X_dev)} dev sentences")

    baseline = MostFrequentTag().fit(X_train, y_train)
    baseline_acc = flat_accuracy_score(y_dev, baseline.predict(X_dev))
    print(f"most-frequent-tag baseline: dev accuracy {baseline_acc:.4f}")

    model = tagger_pipeline(cell, max_iter)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    y_pred = model.predict(X_dev)
    accuracy = flat_accuracy_score(y_dev, y_pred)
    tagger = model[-1]
    print(f"bidirectional {cell} tagger (hidden {tagger.hidden_size}, word ids): dev "
          f"accuracy {accuracy:.4f}; {tagger.n_iter_} epochs in {seconds:.1f} s")
    print(flat_classification_report(y_dev, y_pred, digits=3, zero_division=0))

    grid = GridSearchCV(
        tagger_pipeline(cell, max_iter=10),
        {"rnnsequencetagger__hidden_size": [32, 64]},
        cv=KFold(2),
        scoring=flat_accuracy_scorer,
    )
    start = time.perf_counter()
    grid.fit(X_train[:grid_sentences], y_train[:grid_sentences])
    print(f"GridSearchCV on {grid_sentences} sentences ({time.perf_counter() - start:.1f} s):"
          f" best {grid.best_params_}, cv token accuracy {grid.best_score_:.4f}")
    return {
        "baseline_accuracy": baseline_acc,
        "accuracy": accuracy,
        "seconds": seconds,
        "grid_best_score": grid.best_score_,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=DEFAULT_DIR)
    parser.add_argument("--cell", default="rnn")
    parser.add_argument("--max-iter", type=int, default=15)
    args = parser.parse_args()
    main(args.data_dir, args.cell, args.max_iter)
