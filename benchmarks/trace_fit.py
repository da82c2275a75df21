"""The structure of one fit, traced: how often the code crosses from one
skrnn module into another, and how often the estimator's state is written.

One ``RNNClassifier.fit`` of one epoch of ``--batches`` mini-batches of
32 sequences (10 steps, 3 features, 8 hidden units). A call from a function
of one skrnn module into a function of another counts once; a write is one
attribute set on the estimator, or one commit of a whole fitted state.
Not a timing: the numbers do not depend on the machine.

    python benchmarks/trace_fit.py [--batches 4] [--sites]
"""

import argparse
import collections
import os
import sys
import warnings

import numpy as np

import skrnn
from skrnn import RNNClassifier

ROOT = os.path.dirname(skrnn.__file__)


def _module(code):
    path = code.co_filename
    return os.path.relpath(path, ROOT) if path.startswith(ROOT) else None


def trace(n_batches):
    """Cross-module calls by call site, and the writes to the estimator."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(32 * n_batches, 10, 3)).astype(np.float32)
    y = rng.randint(2, size=len(X))
    sites, writes = collections.Counter(), collections.Counter()

    def profile(frame, event, arg):
        if event != "call":
            return
        callee, caller = _module(frame.f_code), frame.f_back and _module(frame.f_back.f_code)
        if frame.f_code.co_name == "_commit" and callee:
            writes["commit of a fitted state"] += 1
        if callee and caller and callee != caller:
            site = (caller, frame.f_back.f_code.co_name, callee, frame.f_code.co_name)
            sites[site] += 1

    class Traced(RNNClassifier):
        def __setattr__(self, name, value):
            writes["attribute set"] += 1
            super().__setattr__(name, value)

    model = Traced(hidden_size=8, max_iter=1, batch_size=32, random_state=0)
    writes.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sys.setprofile(profile)
        model.fit(X, y)
        sys.setprofile(None)
    return sites, writes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--sites", action="store_true", help="list every call site")
    args = parser.parse_args()
    sites, writes = trace(args.batches)
    print(f"skrnn {skrnn.__version__} at {ROOT}")
    print(
        f"one epoch of {args.batches} batches: {sum(sites.values())} cross-module calls "
        f"from {len(sites)} call sites; estimator written {sum(writes.values())} times "
        f"({dict(writes)})"
    )
    if args.sites:
        for (caller, function, callee, called), count in sorted(sites.items()):
            print(f"{count:4d}  {caller}:{function} -> {callee}:{called}")


if __name__ == "__main__":
    main()
