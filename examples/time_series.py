"""Time-series classification on UCR/UEA archive problems: an RNN against 1-NN DTW
===================================================================================

The archive's problems (ArrowHead, BasicMotions, GunPoint, ItalyPowerDemand;
OSULeaf and ACSF1 with ``--full``) are fetched once into the data cache
(``--data-home`` points at another folder, or at ``ucr/<name>_TRAIN.ts``
files placed by hand). The baseline every paper reports is the
1-nearest-neighbour classifier under dynamic time warping (full window,
squared Euclidean step cost, all dimensions together), computed here.

The RNN is one recipe, ``recipe()``, which chooses what depends on the
series inside its own ``fit``, by 4-fold cross-validation on the training
series alone (``SeriesSearch``), one setting at a time:

- the series' steps joined into patches (``SequencePatcher``) of 32, 16, 8,
  4, 2 or 1 steps, the largest (the cheapest) first: patches help a network
  learn long series from a few dozen examples, and hurt short multivariate
  ones;
- then, at the best patch size, the scaling: each series z-normalised on its
  own (the archive's convention, tried first) or every dimension
  standardised over all series (``SequenceScaler``);
- then the pooling of the network's output layer over the steps: the
  largest value of every unit (``pooling='max'``, tried first, so a short
  shape anywhere in a long series can decide), the mean, or the last state.

The network is a bidirectional GRU of 64 units. The model averages the
class probabilities of the best choice's networks: the four that its
cross-validation trained and up to four more fitted on all the training
series (with a few dozen series one network's test accuracy depends on its
random start by as much as 0.2, an average far less).

All of it runs within a time budget, ``time_budget`` seconds of fit (30 per
problem here, ``--time-budget``): the costlier candidates (smaller patches)
that would not end in time are skipped. Training may sit on a plateau for
dozens of epochs before it learns, so the stopping rule waits 50 epochs
(``n_iter_no_change=50``). With aeon installed (``pip install aeon``), aeon's
ROCKET classifier runs beside them, the strongest of the archive's usual
peers.

The default run takes about two minutes on 2 cores; ``--full`` adds OSULeaf
and ACSF1 (1,460 steps), whose DTW alone takes minutes.

    python examples/time_series.py [--data-home PATH] [--full] [--time-budget S]
"""

import argparse
import importlib.util
import os
import sys
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from skrnn import RNNClassifier, SequencePatcher, SequenceScaler
from skrnn.datasets import fetch_ucr

PROBLEMS = ("ArrowHead", "BasicMotions", "GunPoint", "ItalyPowerDemand")
LONG = ("OSULeaf", "ACSF1")
SUBSETS = ("train", "test")


def dtw_distances(A, B, lengths_A=None, lengths_B=None):
    """Full-window DTW between every series of ``A`` (n, T, d) and every one
    of ``B`` (m, U, d): all n * m pairs advance together, one cell of the
    dynamic programme at a time. Padded series are read at their own
    lengths: cell (i, j) depends on the first i and j steps alone."""
    n, T, _ = A.shape
    m, U, _ = B.shape
    lengths_A = np.full(n, T) if lengths_A is None else np.asarray(lengths_A)
    lengths_B = np.full(m, U) if lengths_B is None else np.asarray(lengths_B)
    distances = np.empty((n, m))
    previous = np.full((U + 1, n, m), np.inf)
    previous[0] = 0.0
    for i in range(T):
        current = np.full((U + 1, n, m), np.inf)
        for j in range(U):
            cost = ((A[:, None, i, :] - B[None, :, j, :]) ** 2).sum(axis=-1)
            best = np.minimum(np.minimum(previous[j + 1], current[j]), previous[j])
            current[j + 1] = cost + best
        previous = current
        ending = np.flatnonzero(lengths_A == i + 1)
        distances[ending] = previous[lengths_B, ending[:, None], np.arange(m)]
    return distances


def nearest_neighbour_dtw(X_train, y_train, X_test):
    """Labels of ``X_test`` by their nearest training series under DTW."""
    lengths = [[len(series) for series in X] for X in (X_test, X_train)]
    distances = dtw_distances(padded(X_test), padded(X_train), *lengths)  # (test, train)
    return np.asarray(y_train)[distances.argmin(axis=1)]


def padded(X, length=None):
    """The series of ``X`` stacked, each repeating its last step up to
    ``length`` (the longest of ``X`` by default)."""
    length = length or max(len(series) for series in X)
    return np.stack([np.pad(series, [(0, length - len(series)), (0, 0)], "edge") for series in X])


#: the patch sizes the search tries, 1 included, cheapest (largest) first
PATCH_SIZES = (32, 16, 8, 4, 2, 1)
#: how the series are scaled: each z-normalised on its own (the archive's
#: convention), or every dimension standardised over all the series
PER_SEQUENCE = (True, False)
#: the poolings of the network's output layer
POOLINGS = ("max", "mean", "last")
#: seconds of fit per problem in the example's runs
TIME_BUDGET = 30.0


def gru_network():
    """The network of every candidate: a bidirectional GRU of 64 units,
    trained with patience, for the plateaus of long series (the default
    ``n_iter_no_change=10`` stopped GunPoint at chance)."""
    return RNNClassifier(
        hidden_size=64,
        cell="gru",
        bidirectional=True,
        learning_rate_init=0.005,
        batch_size=16,
        max_iter=150,
        n_iter_no_change=50,
        random_state=0,
    )


def settings(row):
    """The settings of a candidate, from its row of ``cv_results_``."""
    return {key: row[key] for key in ("per_sequence", "patch_size", "pooling")}


class SeriesSearch(ClassifierMixin, BaseEstimator):
    """Choose how a network reads the series by cross-validation on the
    training series, within a time budget, and vote with the networks of the
    best choice.

    A candidate is a pipeline: ``SequenceScaler(per_sequence=...)``,
    ``SequencePatcher(patch_size=...)`` and ``network`` with one
    ``pooling``. Each is scored by stratified k-fold cross-validation on the
    training series alone (sklearn's ``cross_validate``, the folds fitted
    side by side, ``n_jobs``), one setting at a time:

    1. every patch size, from the largest, the cheapest (fewest steps), down
       to 1, with the first scaling and pooling; a size that would leave the
       shortest series fewer than ``min_patches`` patches is not tried;
    2. the other scalings at the best patch size;
    3. the other poolings at the best patch size and scaling.

    The best candidate has the highest cross-validated accuracy, the lower
    log loss among equals. The model is the soft vote of the k fold networks
    of every candidate as accurate as the best (the cross-validation cannot
    tell them apart) and of ``n_refits`` networks of the best, refitted on
    all training series from other random states.

    ``time_budget`` bounds the seconds of the whole fit. The cost of each
    next step is extrapolated from the last candidate's seconds: by its
    number of steps for a candidate, by the number of networks for the
    refits. A patch size that would end after the budget is skipped, and so
    is every smaller one; a later candidate is skipped alone; the refits are
    as many as fit. The first candidate always runs, so a budget too small
    for it is overrun.

    Parameters
    ----------
    network : RNNClassifier, default=None
        Cloned for every candidate, its ``pooling`` set (and for the refits
        its ``random_state``); None is :func:`gru_network`.
    patch_sizes : tuple of int, default=PATCH_SIZES
        The patch sizes to try.
    per_sequence : tuple of bool, default=PER_SEQUENCE
        The scalings to try, as ``SequenceScaler``'s ``per_sequence``.
    poolings : tuple of str, default=POOLINGS
        The poolings to try.
    cv : int, default=4
        Folds, at most the smallest class's number of series.
    time_budget : float, default=None
        Seconds for the whole fit; None tries every candidate and refits all.
    n_refits : int, default=4
        Networks of the best candidate fitted on all training series.
    min_patches : int, default=4
        Patches the shortest series must keep for a patch size to be tried.
    n_jobs : int, default=None
        Networks fitted side by side (joblib).

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    best_params_ : dict
        ``per_sequence``, ``patch_size`` and ``pooling`` of the best
        candidate.
    best_score_ : float
        Its cross-validated accuracy.
    cv_results_ : list of dict
        Every candidate in the order tried: its three settings, ``accuracy``
        and ``log_loss`` (NaN where skipped), ``steps`` (of the shortest
        series), ``seconds`` (predicted where skipped) and ``skipped``.
    estimators_ : list of Pipeline
        The voting networks; they predict class codes, the indices of
        ``classes_``.
    """

    def __init__(
        self,
        network=None,
        *,
        patch_sizes=PATCH_SIZES,
        per_sequence=PER_SEQUENCE,
        poolings=POOLINGS,
        cv=4,
        time_budget=None,
        n_refits=4,
        min_patches=4,
        n_jobs=None,
    ):
        self.network = network
        self.patch_sizes = patch_sizes
        self.per_sequence = per_sequence
        self.poolings = poolings
        self.cv = cv
        self.time_budget = time_budget
        self.n_refits = n_refits
        self.min_patches = min_patches
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Search the candidates on ``X``, ``y`` and fit the vote."""
        budget = np.inf if self.time_budget is None else self.time_budget
        deadline = time.perf_counter() + budget
        classes, codes = np.unique(y, return_inverse=True)
        n_splits = min(self.cv, np.bincount(codes).min())
        if n_splits < 2:
            raise ValueError(
                "Every class needs at least two training series for the cross-validation; "
                "drop the classes with one series or add series to them."
            )
        data = (X, codes, StratifiedKFold(n_splits, shuffle=True, random_state=0))
        shortest = min(len(series) for series in X)
        trials = []  # (cv_results_ row, its fold networks)
        first = {"per_sequence": self.per_sequence[0], "pooling": self.poolings[0]}
        for size in sorted(set(self.patch_sizes), reverse=True):
            if size == 1 or shortest / size >= self.min_patches:
                steps = -(-shortest // size)
                if not self._trial(trials, {**first, "patch_size": size}, steps, data, deadline):
                    break
        for name, values in [("per_sequence", self.per_sequence), ("pooling", self.poolings)]:
            best = self._best(trials)
            for value in values:
                if value != best[name]:
                    params = {**settings(best), name: value}
                    self._trial(trials, params, best["steps"], data, deadline)
        best = self._best(trials)
        voters = [
            network
            for row, networks in trials
            if row["accuracy"] == best["accuracy"]
            for network in networks
        ]
        self.estimators_ = voters + self._refit(best, n_splits, data, deadline)
        self.classes_ = classes
        self.cv_results_ = [row for row, _ in trials]
        self.best_params_ = settings(best)
        self.best_score_ = best["accuracy"]
        return self

    def candidate(self, per_sequence, patch_size, pooling, random_state=None):
        """The pipeline of one candidate: scaling, patches, the network."""
        network = gru_network() if self.network is None else clone(self.network)
        network.set_params(pooling=pooling)
        if random_state is not None:
            network.set_params(random_state=random_state)
        return make_pipeline(
            SequenceScaler(per_sequence=per_sequence),
            SequencePatcher(patch_size=patch_size),
            network,
        )

    def _trial(self, trials, params, steps, data, deadline):
        """Cross-validate one candidate into ``trials``; False if the budget
        skipped it."""
        row = {**params, "accuracy": np.nan, "log_loss": np.nan, "steps": steps}
        if trials:
            last = [run for run, _ in trials if not run["skipped"]][-1]
            predicted = last["seconds"] * steps / last["steps"]
            if time.perf_counter() + predicted > deadline:
                trials.append(({**row, "seconds": predicted, "skipped": True}, []))
                return False
        X, codes, folds = data
        begin = time.perf_counter()
        scores = cross_validate(
            self.candidate(**params),
            X,
            codes,
            cv=folds,
            scoring=("accuracy", "neg_log_loss"),
            return_estimator=True,
            n_jobs=self.n_jobs,
            error_score="raise",
        )
        row.update(
            accuracy=scores["test_accuracy"].mean(),
            log_loss=-scores["test_neg_log_loss"].mean(),
            seconds=time.perf_counter() - begin,
            skipped=False,
        )
        trials.append((row, list(scores["estimator"])))
        return True

    @staticmethod
    def _best(trials):
        """The candidate with the highest accuracy, the lower log loss among equals."""
        rows = [row for row, _ in trials if not row["skipped"]]
        return max(rows, key=lambda row: (row["accuracy"], -row["log_loss"]))

    def _refit(self, best, n_splits, data, deadline):
        """Networks of the best candidate fitted on all series, as many of
        ``n_refits`` as the budget leaves time for: k folds on (k - 1) / k of
        the series took ``best['seconds']``."""
        per_network = best["seconds"] / (n_splits - 1)
        n_refits = int(min(self.n_refits, (deadline - time.perf_counter()) / per_network))
        X, codes, _ = data
        models = [
            self.candidate(**settings(best), random_state=seed) for seed in range(1, n_refits + 1)
        ]
        return Parallel(n_jobs=self.n_jobs)(delayed(model.fit)(X, codes) for model in models)

    def predict_proba(self, X):
        """The class probabilities averaged over the voting networks."""
        check_is_fitted(self)
        average = np.zeros((len(X), len(self.classes_)))
        for network in self.estimators_:
            average[:, network.classes_] += network.predict_proba(X)
        return average / len(self.estimators_)

    def predict(self, X):
        """The class of the highest averaged probability."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def recipe(time_budget=None, n_jobs=-1, **search):
    """The example's RNN: a :class:`SeriesSearch` with ``gru_network`` (its
    other parameters in ``search``)."""
    return SeriesSearch(time_budget=time_budget, n_jobs=n_jobs, **search)


#: aeon's ROCKET joins the comparison where aeon is installed
HAVE_AEON = importlib.util.find_spec("aeon") is not None


def rocket(random_state=0):
    """aeon's ROCKET, the strong peer: 10,000 random convolution kernels and
    a ridge classifier, on aeon's layout (``to_aeon``)."""
    from aeon.classification.convolution_based import RocketClassifier

    return RocketClassifier(n_kernels=10_000, random_state=random_state)


def to_aeon(X_train, X_test):
    """Both splits in aeon's layout, (n_cases, n_channels, n_timepoints), for
    ROCKET, which needs equal lengths: ``padded`` to the longest series of
    either split."""
    length = max(len(series) for series in [*X_train, *X_test])
    return [padded(X, length).transpose(0, 2, 1) for X in (X_train, X_test)]


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


def main(data_home=None, problems=PROBLEMS, time_budget=TIME_BUDGET):
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")
    print(
        f"{'problem':16} {'train':>5} {'test':>5} {'T x d':>8} {'1-NN DTW':>9} {'RNN':>6} "
        f"{'ROCKET' if HAVE_AEON else '':>6}   chosen by CV (its accuracy)"
    )
    results = {}
    for name, ((X_train, y_train), (X_test, y_test)) in fetch_problems(problems, data_home).items():
        start = time.perf_counter()
        dtw = float(np.mean(nearest_neighbour_dtw(X_train, y_train, X_test) == y_test))
        dtw_seconds = time.perf_counter() - start
        start = time.perf_counter()
        search = recipe(time_budget).fit(X_train, y_train)
        rnn_seconds = time.perf_counter() - start
        best = search.best_params_
        codes = np.searchsorted(search.classes_, y_test)  # the networks predict codes
        results[name] = {
            "dtw": dtw,
            "rnn": float(search.score(X_test, y_test)),
            "members": [network.score(X_test, codes) for network in search.estimators_],
            "best_params": best,
            "cv_results": search.cv_results_,
            "dtw_s": dtw_seconds,
            "rnn_s": rnn_seconds,
        }
        if HAVE_AEON:
            aeon_train, aeon_test = to_aeon(X_train, X_test)
            predicted = rocket().fit(aeon_train, y_train).predict(aeon_test)
            results[name]["rocket"] = float(np.mean(predicted == y_test))
        lengths = sorted({len(series) for series in X_train})
        steps = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]}-{lengths[-1]}"
        shape = f"{steps}x{X_train[0].shape[1]}"
        rocket_column = f"{results[name]['rocket']:6.3f}" if HAVE_AEON else " " * 6
        print(
            f"{name:16} {len(X_train):5} {len(X_test):5} {shape:>8} {dtw:9.3f} "
            f"{results[name]['rnn']:6.3f} {rocket_column}   "
            f"{describe(best)} ({search.best_score_:.3f})"
            f"   (DTW {dtw_seconds:.1f} s, RNN fit {rnn_seconds:.1f} s)"
        )
    return results


def describe(params):
    """A candidate's settings in a few words."""
    scaling = "each series z-normalised" if params["per_sequence"] else "standardised"
    return f"{scaling}, patch {params['patch_size']}, {params['pooling']} pooling"


def plot(results):
    """Test accuracy of 1-NN DTW, of the RNN recipe and of ROCKET (with
    aeon) on every problem, each of the recipe's voting networks as a dot."""
    import matplotlib.pyplot as plt

    names = list(results)
    peers = [("dtw", "1-NN DTW"), ("rnn", "RNN recipe"), ("rocket", "ROCKET")]
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
    parser.add_argument("--full", action="store_true", help="add OSULeaf and ACSF1, the long ones")
    parser.add_argument(
        "--time-budget", type=float, default=TIME_BUDGET, help="seconds of fit per problem"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("SKRNN_QUICK")),
        help="the documentation's smaller settings (also SKRNN_QUICK=1)",
    )
    args = parser.parse_args()
    problems = ("BasicMotions", "ItalyPowerDemand") if args.quick else PROBLEMS
    time_budget = min(args.time_budget, 10.0) if args.quick else args.time_budget
    results = main(args.data_home, problems + (LONG if args.full else ()), time_budget)
    if importlib.util.find_spec("matplotlib"):
        plot(results)
