"""Time-series classification: skrnn's recipe against 1-NN DTW and ROCKET.

Workload "UCR/UEA" (benchmarks/README.md): the archive problems of
``examples/time_series.py`` (ArrowHead, BasicMotions, GunPoint; OSULeaf with
``--full``), their own train/test splits. Three peers, each problem and peer
in a fresh process of its own: 1-NN under full-window DTW (the example's
numpy implementation), the example's RNN recipe (ten networks, five random
states at each of two patch sizes, trained on 2 processes), and aeon's
``RocketClassifier`` (10,000 kernels and a ridge classifier; ``pip install
aeon``, skipped without it). Prints test accuracy, fit seconds and predict
seconds (DTW has no fit: its seconds are all in predicting).

    python benchmarks/bench_time_series.py [--data-home PATH] [--full]
"""

import argparse
import json
import sys
import time
import warnings

import numpy as np
from _examples import load_example, run_fresh  # same folder

PEERS = ("dtw", "rnn", "rocket")


def run_one(problem, peer, data_home):
    """In a fresh process: test accuracy, fit and predict seconds."""
    from skrnn.datasets import fetch_ucr

    warnings.simplefilter("ignore")
    example = load_example("time_series")
    X_train, y_train = fetch_ucr(problem, data_home=data_home)
    X_test, y_test = fetch_ucr(problem, "test", data_home=data_home)
    fit_seconds = 0.0
    if peer == "dtw":
        begin = time.perf_counter()
        predicted = example.nearest_neighbour_dtw(X_train, y_train, X_test)
    else:
        if peer == "rnn":
            model = example.recipe()
        else:
            model = example.rocket()
            X_train, X_test = example.to_aeon(X_train), example.to_aeon(X_test)
        begin = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - begin
        begin = time.perf_counter()
        predicted = model.predict(X_test)
    predict_seconds = time.perf_counter() - begin
    accuracy = float(np.mean(np.asarray(predicted) == np.asarray(y_test)))
    return {"accuracy": accuracy, "fit": fit_seconds, "predict": predict_seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--full", action="store_true", help="add OSULeaf, the long one")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a fresh interpreter for one problem and peer; the parent reads its json
        print(json.dumps(run_one(*args.one, args.data_home)))
        return
    example = load_example("time_series")
    problems = example.PROBLEMS + (example.LONG if args.full else ())
    peers = [p for p in PEERS if p != "rocket" or example.HAVE_AEON]
    if "rocket" not in peers:
        print("aeon is not installed: no ROCKET column (pip install aeon)")
    header = "".join(f" {p:>8} {'fit s':>7} {'pred s':>7}" for p in peers)
    print(f"{'problem':13}{header}")
    for problem in problems:
        row = f"{problem:13}"
        for peer in peers:
            result = run_fresh(__file__, ["--one", problem, peer], args.data_home)
            row += f" {result['accuracy']:8.3f} {result['fit']:7.1f} {result['predict']:7.1f}"
        print(row, flush=True)


if __name__ == "__main__":
    sys.exit(main())
