"""skrnn's speed with 1 and 2 BLAS threads and with its own thread rule, on
an idle machine and with one core kept busy by another process.

Workloads (benchmarks/README.md, "BLAS threads"): W1 (bench_fit.py) dense
and tokens, one epoch, for each cell asked; the character LM (bench_lm.py),
one epoch; a tagger (2,048 sequences of 30 token ids from 5,000, 17 tags,
bidirectional GRU of 64, batches of 32, one epoch); W1's predict_proba of
all 2,048 sequences, and of one sequence (the median of 200 calls).

Every measurement runs in a fresh process. "1" and "2" fix the BLAS
threads with threadpoolctl and turn skrnn's rule off
(SKRNN_BLAS_THREADS=off): "2" is what skrnn did before it had a rule, BLAS's
own choice on 2 cores. "rule" leaves the count to skrnn (the default,
SKRNN_BLAS_THREADS=auto). The configurations take turns for two rounds and
the best time of each counts. "busy" keeps one core spinning in a separate
process (bounded in time) while the measurement runs. Prints seconds and
the rule's time over the best fixed count's (1.00: the rule chose as well
as the better of the two).

    python benchmarks/bench_threads.py [--repeats 2] [--cell rnn gru lstm]
"""

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from bench_fit import BATCH, N, make_data, skrnn_epoch, start  # same folder
from bench_lm import skrnn_epoch as lm_epoch

from skrnn import RNNClassifier, RNNSequenceTagger
from skrnn.datasets import load_kafka

SPIN_SECONDS = 600  # the longest a spinner may run, whatever happens


def _spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def tagger_epoch(cell):
    rng = np.random.RandomState(0)
    X = rng.randint(2, 5000, size=(N, 30))
    y = [row % 17 for row in X]

    def epoch():
        model = RNNSequenceTagger(
            hidden_size=64, cell=cell, bidirectional=True, batch_size=32, max_iter=1,
            random_state=0,
        )  # fmt: skip
        began = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - began

    return epoch


def predict_calls(cell, one):
    """Seconds of predict_proba of all W1 sequences, or of one (a median)."""
    X, y = make_data("dense", np.random.RandomState(0))
    model = RNNClassifier(hidden_size=128, cell=cell, batch_size=BATCH, max_iter=1)
    model.fit(X, y)

    def call():
        if not one:
            began = time.perf_counter()
            model.predict_proba(X)
            return time.perf_counter() - began
        times = []
        for i in range(200):
            began = time.perf_counter()
            model.predict_proba(X[i : i + 1])
            times.append(time.perf_counter() - began)
        return float(np.median(times))

    return call


def _timed(factory, args, threads, repeats):
    """In a worker: ``repeats`` runs of ``factory(*args)`` with ``threads``
    BLAS threads ("rule": skrnn's choice), after a warm-up."""
    import contextlib
    import warnings

    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore")
    os.environ["SKRNN_BLAS_THREADS"] = "auto" if threads == "rule" else "off"
    limit = contextlib.nullcontext() if threads == "rule" else threadpool_limits(threads, "blas")
    with limit:
        run = factory(*args)
        run()
        return min(run() for _ in range(repeats))


def measure(jobs, repeats, busy, rounds=2):
    """Best seconds of every ``(factory, args, threads)`` job, each in a
    fresh process, taking turns; with a spinning process if ``busy``."""
    context = multiprocessing.get_context("spawn")
    best = [np.inf] * len(jobs)
    spinner = context.Process(target=_spin, args=(SPIN_SECONDS,)) if busy else None
    if spinner:
        spinner.start()
    try:
        for _ in range(rounds):
            for i, (factory, args, threads) in enumerate(jobs):
                with ProcessPoolExecutor(1, mp_context=context) as worker:
                    seconds = worker.submit(_timed, factory, args, threads, repeats).result()
                best[i] = min(best[i], seconds)
    finally:
        if spinner:
            spinner.terminate()
            spinner.join()
    return best


def main():
    args, _ = start(__doc__.splitlines()[0])
    print(f"{os.cpu_count()} cores; best of {args.repeats} runs x 2 processes per configuration")
    rng = np.random.RandomState(0)
    workloads = []
    for cell in args.cell:
        for kind, dim in (("dense", None), ("tokens", 32)):
            X, y = make_data(kind, rng)
            workloads.append((f"W1 {cell} {kind}", skrnn_epoch, (X, y, cell, dim)))
        workloads.append((f"tagger {cell}", tagger_epoch, (cell,)))
        workloads.append((f"predict 2048 {cell}", predict_calls, (cell, False)))
        workloads.append((f"predict 1 {cell}", predict_calls, (cell, True)))
    workloads.append(("char LM rnn", lm_epoch, (load_kafka(), "rnn")))
    print(f"{'workload':22} {'machine':7} {'1 thread s':>11} {'2 threads s':>12} {'rule s':>9}"
          f" {'rule/best':>10}")  # fmt: skip
    for name, factory, factory_args in workloads:
        for busy in (False, True):
            jobs = [(factory, factory_args, threads) for threads in (1, 2, "rule")]
            one, two, rule = measure(jobs, args.repeats, busy)
            machine = "busy" if busy else "idle"
            print(
                f"{name:22} {machine:7} {one:11.4f} {two:12.4f} {rule:9.4f} "
                f"{rule / min(one, two):10.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
