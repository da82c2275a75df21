"""Dates as people write them, to ISO dates
==========================================

``"Sunday, March 3, 2019"``, ``"03/03/19"``, ``"the 3rd of march 2019"``:
:func:`~skrnn.datasets.make_dates` writes random days in 16 forms, and
:class:`~skrnn.RNNSeq2Seq` learns to answer ``"2019-03-03"`` for all of
them. The output is not aligned with the input (a month's name becomes two
digits, the year moves to the front) and the inputs have many lengths: a
sequence-to-sequence job. Letters go in as token ids
(:class:`~skrnn.SequenceVectorizer` with ``analyzer='char'``); the model
reads them with a bidirectional GRU and writes the ISO date with a GRU
decoder that attends over the letters.

Scored on dates the model never saw: the share written exactly right.
The picture shows where each output character looked: the year's digits
at the year, the month's at its name or number.

    python examples/dates.py [--n-train N]
"""

import argparse
import sys
import time
import warnings

from sklearn.pipeline import make_pipeline

from skrnn import RNNSeq2Seq, SequenceVectorizer
from skrnn.datasets import make_dates


def build(max_iter=4, random_state=0):
    return make_pipeline(
        SequenceVectorizer(analyzer="char"),
        RNNSeq2Seq(hidden_size=64, max_iter=max_iter, random_state=random_state),
    )


def main(n_train=6_000, n_test=2_000, max_iter=4, plot=True, random_state=0):
    X_train, Y_train = make_dates(n_train, random_state=random_state)
    X_test, Y_test = make_dates(n_test, random_state=random_state + 1)  # fresh days
    model = build(max_iter, random_state)
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")  # a fixed number of epochs
    start = time.perf_counter()
    model.fit(X_train, Y_train)
    seconds = time.perf_counter() - start
    predicted = model.predict(X_test)
    results = {
        "exact_match": model.score(X_test, Y_test),
        "epochs": model[-1].n_iter_,
        "seconds": seconds,
    }
    print(f"{n_train} training dates, {model[-1].n_iter_} epochs in {seconds:.1f} s")
    print(f"exact match on {n_test} fresh dates: {results['exact_match']:.4f}")
    for written, iso in list(zip(X_test, predicted))[:5]:
        print(f"  {written:32} -> {iso}")
    wrong = [(x, y, p) for x, y, p in zip(X_test, Y_test, predicted) if y != p]
    for written, truth, iso in wrong[:5]:
        print(f"  wrong: {written!r} -> {iso} (true {truth})")
    if plot:
        results["display"] = show_attention(model, X_test[0])
    results["model"] = model
    return results


def show_attention(model, date):
    """The attention of the model writing one date, as a heat map."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install skrnn[plot]): no picture")
        return None
    from skrnn.inspection import AttentionDisplay

    _, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    display = AttentionDisplay.from_estimator(model, date, ax=ax, name=f"Writing {date!r}")
    plt.show()
    return display


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--n-train", type=int, default=6_000, help="training dates")
    parser.add_argument("--max-iter", type=int, default=4, help="epochs")
    args = parser.parse_args()
    main(args.n_train, max_iter=args.max_iter)
