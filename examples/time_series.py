"""Time-series classification on four UCR/UEA archive problems: an RNN against 1-NN DTW
=======================================================================================

The archive's problems (ArrowHead, BasicMotions, GunPoint, OSULeaf) are
fetched once into the data cache (``--data-home`` points at another folder,
or at ``ucr/<name>_TRAIN.ts`` files placed by hand). The baseline every paper
reports is the 1-nearest-neighbour classifier under dynamic time warping
(full window, squared Euclidean step cost, all dimensions together), computed
here. The RNN is one recipe for all four problems, never tuned on their
test splits: each series z-normalised on its own (the archive's convention),
its steps joined into patches (``SequencePatcher``), a bidirectional GRU of
64 units reading them, and the output layer reading the largest value of
every unit over the steps (``pooling='max'``), so a short shape anywhere in
a long series can decide. The patch size (1, 4 or 16 steps) is the one
setting chosen per problem, by 3-fold cross-validation on the training
split. Training may sit on a plateau for dozens of epochs before it learns,
so the stopping rule waits 50 epochs (``n_iter_no_change=50``); the default
10 stopped GunPoint at chance.

The default run takes under a minute on 2 cores; ``--full`` adds OSULeaf
(427 steps, a few minutes more).

    python examples/time_series.py [--data-home PATH] [--full]
"""

import argparse
import importlib.util
import os
import time
import warnings

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, SequencePatcher, SequenceScaler
from skrnn.datasets import fetch_ucr

PROBLEMS = ("ArrowHead", "BasicMotions", "GunPoint")
LONG = ("OSULeaf",)


def dtw_distances(A, B):
    """Full-window DTW between every series of ``A`` (n, T, d) and every one
    of ``B`` (m, U, d): all n * m pairs advance together, one cell of the
    dynamic programme at a time."""
    n, T, _ = A.shape
    m, U, _ = B.shape
    previous = np.full((U + 1, n, m), np.inf)
    previous[0] = 0.0
    for i in range(T):
        current = np.full((U + 1, n, m), np.inf)
        for j in range(U):
            cost = ((A[:, None, i, :] - B[None, :, j, :]) ** 2).sum(axis=-1)
            best = np.minimum(np.minimum(previous[j + 1], current[j]), previous[j])
            current[j + 1] = cost + best
        previous = current
    return previous[U]


def nearest_neighbour_dtw(X_train, y_train, X_test):
    """Labels of ``X_test`` by their nearest training series under DTW."""
    distances = dtw_distances(np.stack(X_test), np.stack(X_train))  # (test, train)
    return np.asarray(y_train)[distances.argmin(axis=1)]


#: the patch sizes cross-validation chooses from
PATCH_SIZES = (1, 4, 16)


def rnn_model(patch_size=1, random_state=0):
    """The recipe with one patch size."""
    return make_pipeline(
        SequenceScaler(per_sequence=True),
        SequencePatcher(patch_size=patch_size),
        RNNClassifier(
            hidden_size=64,
            cell="gru",
            bidirectional=True,
            pooling="max",
            learning_rate_init=0.005,
            batch_size=16,
            max_iter=150,
            n_iter_no_change=50,
            random_state=random_state,
        ),
    )


def recipe(random_state=0):
    """The recipe, its patch size chosen by 3-fold cross-validation on the
    training split (the folds run side by side, ``n_jobs=-1``)."""
    folds = StratifiedKFold(3, shuffle=True, random_state=random_state)
    grid = {"sequencepatcher__patch_size": PATCH_SIZES}
    return GridSearchCV(rnn_model(random_state=random_state), grid, cv=folds, n_jobs=-1)


def main(data_home=None, problems=PROBLEMS):
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")
    print(
        f"{'problem':13} {'train':>5} {'test':>5} {'T x d':>8} {'1-NN DTW':>9} {'RNN':>6} "
        f"{'patch':>5}"
    )
    results = {}
    for name in problems:
        X_train, y_train = fetch_ucr(name, data_home=data_home)
        X_test, y_test = fetch_ucr(name, "test", data_home=data_home)
        start = time.perf_counter()
        dtw = float(np.mean(nearest_neighbour_dtw(X_train, y_train, X_test) == y_test))
        dtw_seconds = time.perf_counter() - start
        start = time.perf_counter()
        search = recipe().fit(X_train, y_train)
        rnn = float(search.score(X_test, y_test))
        rnn_seconds = time.perf_counter() - start
        patch = search.best_params_["sequencepatcher__patch_size"]
        results[name] = {
            "dtw": dtw,
            "rnn": rnn,
            "patch_size": patch,
            "dtw_s": dtw_seconds,
            "rnn_s": rnn_seconds,
        }
        shape = f"{len(X_train[0])}x{X_train[0].shape[1]}"
        print(
            f"{name:13} {len(X_train):5} {len(X_test):5} {shape:>8} {dtw:9.3f} {rnn:6.3f} "
            f"{patch:5}   (DTW {dtw_seconds:.1f} s, RNN search and fit {rnn_seconds:.1f} s)"
        )
    return results


def plot(results):
    """Test accuracy of 1-NN DTW and of the RNN on every problem."""
    import matplotlib.pyplot as plt

    names = list(results)
    position = np.arange(len(names))
    _, ax = plt.subplots()
    for offset, (key, label) in zip((-0.2, 0.2), (("dtw", "1-NN DTW"), ("rnn", "RNN"))):
        bars = ax.bar(position + offset, [results[n][key] for n in names], 0.4, label=label)
        ax.bar_label(bars, fmt="%.3f")
    ax.set_xticks(position, names)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.1)
    ax.legend(loc="lower right")
    plt.show()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--full", action="store_true", help="add OSULeaf, the long one")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("SKRNN_QUICK")),
        help="the documentation's smaller settings (also SKRNN_QUICK=1)",
    )
    args = parser.parse_args()
    problems = ("GunPoint", "BasicMotions") if args.quick else PROBLEMS
    results = main(args.data_home, problems + (LONG if args.full else ()))
    if importlib.util.find_spec("matplotlib"):
        plot(results)
