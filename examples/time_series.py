"""Time-series classification on four UCR/UEA archive problems: an RNN against 1-NN DTW
=======================================================================================

The archive's problems (ArrowHead, BasicMotions, GunPoint, OSULeaf) are
fetched once into the data cache (``--data-home`` points at another folder,
or at ``ucr/<name>_TRAIN.ts`` files placed by hand). The baseline every paper
reports is the 1-nearest-neighbour classifier under dynamic time warping
(full window, squared Euclidean step cost, all dimensions together), computed
here. The RNN is one recipe for all four problems, with nothing chosen per
problem and nothing read from the test splits:

- each series z-normalised on its own (the archive's convention);
- its steps joined into patches (``SequencePatcher``) of 2 or 4 steps, so a
  series becomes a half or a quarter as long;
- a bidirectional GRU of 64 units reading them, its output layer taking the
  largest value of every unit over the steps (``pooling='max'``), so a short
  shape anywhere in a long series can decide;
- five such networks, from five random states, at each of the two patch
  sizes, their class probabilities averaged (sklearn's ``VotingClassifier``
  with ``voting='soft'``).

Of every set of patch sizes drawn from 2, 4, 8 and 16, these two made the
ensemble that scored best in 4-fold cross-validation on the four training
splits together; the same two serve every problem
(``benchmarks/select_patch_sizes.py``; its table is in
``benchmarks/README.md``).

The ensemble is there because these problems have a few dozen training
series: one network's test accuracy then depends on its random start by as
much as 0.2 (the table's last column), and the average of ten does not.
Training may sit on a plateau for dozens of epochs before it learns, so the
stopping rule waits 50 epochs (``n_iter_no_change=50``); the default 10
stopped GunPoint at chance.

With aeon installed (``pip install aeon``), aeon's ROCKET classifier runs
beside them, the strongest of the archive's usual peers.

The default run takes about a minute on 2 cores; ``--full`` adds OSULeaf
(427 steps, about four minutes more).

    python examples/time_series.py [--data-home PATH] [--full]
"""

import argparse
import importlib.util
import os
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import VotingClassifier
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


SUBSETS = ("train", "test")


def nearest_neighbour_dtw(X_train, y_train, X_test):
    """Labels of ``X_test`` by their nearest training series under DTW."""
    distances = dtw_distances(np.stack(X_test), np.stack(X_train))  # (test, train)
    return np.asarray(y_train)[distances.argmin(axis=1)]


#: the patch sizes the ensemble reads every series at
PATCH_SIZES = (2, 4)
#: networks per patch size, each from its own random state
N_STATES = 5


def rnn_model(patch_size=4, random_state=0):
    """One member of the ensemble: patches of one size, read by a
    bidirectional GRU whose output layer takes the largest value of every
    unit over the steps."""
    return make_pipeline(
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


def recipe(patch_sizes=PATCH_SIZES, n_states=N_STATES, n_jobs=-1):
    """Every series z-normalised, then the average of the class
    probabilities of ``n_states`` networks at each patch size (sklearn's
    ``VotingClassifier``; the networks train side by side, ``n_jobs``)."""
    members = [
        (f"patch{size}_state{state}", rnn_model(size, state))
        for size in patch_sizes
        for state in range(n_states)
    ]
    return make_pipeline(
        SequenceScaler(per_sequence=True),
        VotingClassifier(members, voting="soft", n_jobs=n_jobs),
    )


#: aeon's ROCKET joins the comparison where aeon is installed
HAVE_AEON = importlib.util.find_spec("aeon") is not None


def rocket(random_state=0):
    """aeon's ROCKET, the strong peer: 10,000 random convolution kernels and
    a ridge classifier, on aeon's layout (``to_aeon``)."""
    from aeon.classification.convolution_based import RocketClassifier

    return RocketClassifier(n_kernels=10_000, random_state=random_state)


def to_aeon(X):
    """aeon's layout, (n_cases, n_channels, n_timepoints): the archive's four
    problems have series of equal length."""
    return np.stack(X).transpose(0, 2, 1)


def fetch_problems(problems, data_home=None):
    """Every problem's train and test split, fetched before anything trains;
    without a network, one error names every file still missing."""
    data, missing = {}, []
    for name in problems:
        try:
            data[name] = [fetch_ucr(name, subset, data_home=data_home) for subset in SUBSETS]
        except OSError as error:
            missing.append(f"- {name}: {error}")
    if missing:
        raise OSError("Data files are missing:\n" + "\n".join(missing))
    return data


def main(data_home=None, problems=PROBLEMS, n_states=N_STATES):
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")
    print(
        f"{'problem':13} {'train':>5} {'test':>5} {'T x d':>8} {'1-NN DTW':>9} {'RNN':>6} "
        f"{'ROCKET' if HAVE_AEON else '':>6}   one network: mean (min-max)"
    )
    results = {}
    for name, ((X_train, y_train), (X_test, y_test)) in fetch_problems(problems, data_home).items():
        start = time.perf_counter()
        dtw = float(np.mean(nearest_neighbour_dtw(X_train, y_train, X_test) == y_test))
        dtw_seconds = time.perf_counter() - start
        start = time.perf_counter()
        model = recipe(n_states=n_states).fit(X_train, y_train)
        rnn = float(model.score(X_test, y_test))
        rnn_seconds = time.perf_counter() - start
        scaled = model[0].transform(X_test)
        encoded = model[-1].le_.transform(y_test)  # the vote trains on encoded labels
        members = [m.score(scaled, encoded) for m in model[-1].estimators_]
        results[name] = {
            "dtw": dtw,
            "rnn": rnn,
            "members": members,
            "dtw_s": dtw_seconds,
            "rnn_s": rnn_seconds,
        }
        if HAVE_AEON:
            predicted = rocket().fit(to_aeon(X_train), y_train).predict(to_aeon(X_test))
            results[name]["rocket"] = float(np.mean(predicted == y_test))
        shape = f"{len(X_train[0])}x{X_train[0].shape[1]}"
        rocket_column = f"{results[name]['rocket']:6.3f}" if HAVE_AEON else " " * 6
        print(
            f"{name:13} {len(X_train):5} {len(X_test):5} {shape:>8} {dtw:9.3f} {rnn:6.3f} "
            f"{rocket_column}   {np.mean(members):.3f} ({min(members):.3f}-{max(members):.3f})"
            f"   (DTW {dtw_seconds:.1f} s, RNN fit {rnn_seconds:.1f} s)"
        )
    return results


def plot(results):
    """Test accuracy of 1-NN DTW, of the RNN ensemble and of ROCKET (with
    aeon) on every problem, each of the ensemble's networks as a dot."""
    import matplotlib.pyplot as plt

    names = list(results)
    peers = [("dtw", "1-NN DTW"), ("rnn", "RNN ensemble"), ("rocket", "ROCKET")]
    peers = [(key, label) for key, label in peers if key in results[names[0]]]
    width = 0.8 / len(peers)
    position = np.arange(len(names))
    _, ax = plt.subplots()
    for i, (key, label) in enumerate(peers):
        offset = (i - (len(peers) - 1) / 2) * width
        bars = ax.bar(position + offset, [results[n][key] for n in names], width, label=label)
        ax.bar_label(bars, fmt="%.2f")
        if key == "rnn":
            for j, name in enumerate(names):
                members = results[name]["members"]
                label = "one network" if j == 0 else None
                ax.plot(np.full(len(members), j + offset), members, "k.", alpha=0.5, label=label)
    ax.set_xticks(position, names)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.1)
    ax.legend(loc="lower right")
    plt.show()


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
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
    n_states = 2 if args.quick else N_STATES
    results = main(args.data_home, problems + (LONG if args.full else ()), n_states)
    if importlib.util.find_spec("matplotlib"):
        plot(results)
