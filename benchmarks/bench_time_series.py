"""Time-series classification: skrnn's recipe against 1-NN DTW and ROCKET.

Workload "UCR/UEA" (benchmarks/README.md): the six archive problems of
``examples/time_series.py`` (with ``--full``), their own train/test splits,
and with aeon installed the problems ``EVALUATION`` that aeon's wheel
bundles, which no choice of the recipe ever read. Three peers, each problem
and peer in a fresh process of its own: 1-NN under full-window DTW (the
example's numpy implementation), the example's recipe (``recipe``, its
search within ``--time-budget`` seconds, networks trained on 2 processes),
and aeon's ``RocketClassifier`` (10,000 kernels and a ridge classifier;
``pip install aeon``, skipped without it). Prints test accuracy, fit and
predict seconds (DTW has no fit: its seconds are all in predicting), what the
recipe's cross-validation chose, and the mean rank of the peers over the
problems (1 the most accurate, ties sharing their mean rank).

    python benchmarks/bench_time_series.py [--data-home PATH] [--full] [--time-budget S]
        [--problems NAME ...] [--peers dtw rnn rocket]
"""

import argparse
import importlib.util
import json
import os
import sys
import time
import warnings

import numpy as np
from _examples import load_example, run_fresh  # same folder
from scipy.stats import rankdata

PEERS = ("dtw", "rnn", "rocket")
#: problems of aeon's wheel, for evaluation only: short multivariate, ragged
#: (7-29 steps x 12), and long univariate, ragged (29-361 steps)
EVALUATION = ("JapaneseVowels", "PickupGestureWiimoteZ")


def load_problem(problem, data_home):
    """Train and test split: from skrnn's fetcher, or from aeon's bundled
    files for the evaluation problems."""
    from skrnn.datasets import fetch_ucr, load_ts_file

    if problem not in EVALUATION:
        return [fetch_ucr(problem, subset, data_home=data_home) for subset in ("train", "test")]
    import aeon

    folder = os.path.join(os.path.dirname(aeon.__file__), "datasets", "data", problem)
    return [load_ts_file(os.path.join(folder, f"{problem}_{s}.ts")) for s in ("TRAIN", "TEST")]


def run_one(problem, peer, data_home, time_budget):
    """In a fresh process: test accuracy, fit and predict seconds."""
    warnings.simplefilter("ignore")
    example = load_example("time_series")
    (X_train, y_train), (X_test, y_test) = load_problem(problem, data_home)
    result = {"fit": 0.0}
    if peer == "dtw":
        begin = time.perf_counter()
        predicted = example.nearest_neighbour_dtw(X_train, y_train, X_test)
    else:
        if peer == "rnn":
            model = example.recipe(time_budget)
        else:
            model = example.rocket()
            X_train, X_test = example.to_aeon(X_train, X_test)
        begin = time.perf_counter()
        model.fit(X_train, y_train)
        result["fit"] = time.perf_counter() - begin
        begin = time.perf_counter()
        predicted = model.predict(X_test)
        if peer == "rnn":
            result["chosen"] = example.describe(model.best_params_)
            result["cv"] = model.best_score_
            tried = [r["patch_size"] for r in model.cv_results_ if not r["skipped"]]
            result["sizes"] = sorted(set(tried), reverse=True)
    result["predict"] = time.perf_counter() - begin
    result["accuracy"] = float(np.mean(np.asarray(predicted) == np.asarray(y_test)))
    return result


def mean_ranks(accuracy):
    """Each peer's rank on each problem (1 the most accurate, ties sharing
    their mean rank), averaged over the problems."""
    table = np.array(list(accuracy.values()))  # (problems, peers)
    return rankdata(-table, axis=1).mean(axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--full", action="store_true", help="add OSULeaf and ACSF1, the long ones")
    parser.add_argument("--time-budget", type=float, default=None, help="(default: the example's)")
    parser.add_argument("--problems", nargs="+", default=None, help="(default: all)")
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=PEERS)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    example = load_example("time_series")
    budget = args.time_budget or example.TIME_BUDGET
    if args.one:  # a fresh interpreter for one problem and peer; the parent reads its json
        print(json.dumps(run_one(*args.one, args.data_home, budget)))
        return
    have_aeon = importlib.util.find_spec("aeon") is not None
    problems = args.problems or (
        example.PROBLEMS + (example.LONG if args.full else ()) + (EVALUATION if have_aeon else ())
    )
    peers = [p for p in args.peers if p != "rocket" or have_aeon]
    if not have_aeon:
        print("aeon is not installed: no ROCKET and no evaluation problems (pip install aeon)")
    print(f"the recipe's time budget: {budget:g} s per problem")
    header = "".join(f" {p:>8} {'fit s':>7} {'pred s':>7}" for p in peers)
    print(f"{'problem':22}{header}   chosen by CV (its accuracy)")
    accuracy = {}
    for problem in problems:
        row, results = f"{problem:22}", {}
        for peer in peers:
            extra = ["--time-budget", str(budget), "--one", problem, peer]
            results[peer] = result = run_fresh(__file__, extra, args.data_home)
            row += f" {result['accuracy']:8.3f} {result['fit']:7.1f} {result['predict']:7.1f}"
        if "rnn" in results:
            chosen, cv = results["rnn"]["chosen"], results["rnn"]["cv"]
            sizes = ",".join(map(str, results["rnn"]["sizes"]))
            row += f"   {chosen} ({cv:.3f}; sizes tried {sizes})"
        print(row, flush=True)
        accuracy[problem] = [results[peer]["accuracy"] for peer in peers]
    if len(peers) > 1:
        ranks = mean_ranks(accuracy)
        print("mean rank: " + ", ".join(f"{p} {r:.2f}" for p, r in zip(peers, ranks)))


if __name__ == "__main__":
    sys.exit(main())
