"""Training speed of skrnn against PyTorch's CPU RNN on workload W1.

W1 (defined in benchmarks/README.md): N=2048 sequences, T=50 steps, d=32
float32 features, hidden 128, 2 classes, batch 64, Adam (lr 1e-3), one
epoch, many-to-one. "dense" feeds the features; "tokens" feeds ids from a
vocabulary of 5000 to skrnn's ``embedding_dim=32`` and to
nn.Embedding(5000, 32) in front of the same PyTorch RNN (the same model);
"lookup" is skrnn's default for ids (``embedding_dim=None``, a V x G*H input
table) against that same PyTorch model.

Each side trains in a fresh process of its own (a warm-up epoch, then
``--repeats`` timed ones), the sides taking turns for two rounds; the best
epoch counts. Prints seconds and the skrnn/torch ratio (below 1 means skrnn
is faster), with skrnn's peak traced memory and predict throughput. Needs
``pip install torch`` (the 'bench' extra); skrnn's numbers are printed
without it.

``--against DIR`` also times the skrnn of another source tree (a checkout
of an earlier commit, say), in processes of its own taking turns with the
others: a before/after comparison in one run.

    python benchmarks/bench_fit.py [--repeats 3] [--cell rnn gru lstm] [--against DIR]
"""

import argparse
import importlib.metadata
import importlib.util
import multiprocessing
import os
import time
import tracemalloc
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from skrnn import RNNClassifier

N, T, D, H, V, BATCH = 2048, 50, 32, 128, 5000, 64


def make_data(kind, rng):
    y = rng.randint(2, size=N)
    if kind == "dense":
        return rng.normal(size=(N, T, D)).astype(np.float32), y
    return rng.randint(2, V, size=(N, T)).astype(np.int64), y


def skrnn_epoch(X, y, cell, embedding_dim=None):
    """Return a function that trains one epoch from scratch and its seconds."""

    def epoch():
        model = RNNClassifier(
            hidden_size=H,
            cell=cell,
            embedding_dim=embedding_dim,
            pooling="last",  # W1 reads the last state, as PyTorch's side does
            batch_size=BATCH,
            max_iter=1,
            solver="adam",
            learning_rate_init=1e-3,
            alpha=0.0,
            random_state=0,
        )
        start = time.perf_counter()
        model.fit(X, y)
        epoch.model = model
        return time.perf_counter() - start

    return epoch


def skrnn_memory_and_predict(X, y, cell, embedding_dim):
    """Peak traced memory of one training epoch and predict throughput."""
    epoch = skrnn_epoch(X, y, cell, embedding_dim)
    tracemalloc.start()
    epoch()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    start = time.perf_counter()
    epoch.model.predict_proba(X)
    return peak, len(X) / (time.perf_counter() - start)


def torch_epoch(X, y, cell):
    """The same epoch in PyTorch: (Embedding +) RNN + Linear, Adam."""
    import torch

    torch.manual_seed(0)
    rnn_class = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    tokens = X.dtype.kind == "i"
    embed = torch.nn.Embedding(V, D) if tokens else None
    rnn = rnn_class(D, H, batch_first=True)
    head = torch.nn.Linear(H, 2)
    modules = [m for m in (embed, rnn, head) if m is not None]
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y)

    def epoch():
        start = time.perf_counter()
        order = torch.randperm(N)
        for i in range(0, N, BATCH):
            rows = order[i : i + BATCH]
            inputs = embed(Xt[rows]) if tokens else Xt[rows]
            out, _ = rnn(inputs)
            loss = loss_fn(head(out[:, -1]), yt[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    return epoch


def start(description):
    """Parse ``--repeats`` and ``--cell`` and print what the timings depend
    on (:func:`describe_libraries`). Returns the arguments and whether torch
    is importable."""
    warnings.simplefilter("ignore")  # one epoch never "converges"
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per process")
    parser.add_argument("--cell", nargs="+", default=["rnn"])
    parser.add_argument("--against", help="another source tree of skrnn to time too")
    args = parser.parse_args()
    return args, describe_libraries()


def describe_libraries():
    """Print numpy's BLAS (machines that set OPENBLAS_CORETYPE pin older
    kernels; run under ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` to
    let OpenBLAS choose) and torch's version (torch is not imported here,
    only in its own processes); return whether torch is importable."""
    from threadpoolctl import threadpool_info  # a scikit-learn dependency

    for info in threadpool_info():
        if info["user_api"] == "blas" and "numpy" in info["filepath"]:
            print(
                f"numpy BLAS: {info['internal_api']} {info.get('version')}, "
                f"{info.get('architecture', '?')} kernels, {info['num_threads']} threads"
            )
    if importlib.util.find_spec("torch") is None:
        print("torch is not installed: skrnn's times only")
        return False
    print(f"torch {importlib.metadata.version('torch')} (its default threads)")
    return True


def _epoch_times(factory, args, repeats):
    """In a worker process: a warm-up epoch of ``factory(*args)``, then the
    seconds of ``repeats`` more."""
    warnings.simplefilter("ignore")  # one epoch never "converges"
    epoch = factory(*args)
    epoch()
    return [epoch() for _ in range(repeats)]


def best_times(jobs, repeats, rounds=2):
    """Best epoch seconds of each ``(factory, args[, tree])`` job. Every job
    runs in a fresh process (importing skrnn from ``tree`` where given), the
    jobs taking turns for ``rounds`` rounds, so that a slow spell of the
    machine hits all of them alike and no library's idle threads are there
    while another one is timed."""
    context = multiprocessing.get_context("spawn")
    times = [[] for _ in jobs]
    for _ in range(rounds):
        for (factory, args, *tree), record in zip(jobs, times):
            saved = os.environ.get("PYTHONPATH")
            if tree:
                os.environ["PYTHONPATH"] = tree[0]
            try:
                with ProcessPoolExecutor(1, mp_context=context) as worker:
                    record += worker.submit(_epoch_times, factory, args, repeats).result()
            finally:
                if saved is None:
                    os.environ.pop("PYTHONPATH", None)
                else:
                    os.environ["PYTHONPATH"] = saved
    return [min(record) for record in times]


def main():
    args, have_torch = start(__doc__.splitlines()[0])
    rng = np.random.RandomState(0)
    print(
        f"W1: N={N} T={T} d={D} hidden={H} batch={BATCH} Adam, one epoch; "
        f"best of {args.repeats} epochs x 2 processes a side"
    )
    header = (
        f"{'cell':5} {'input':6} {'skrnn s':>8} {'torch s':>8} {'ratio':>6} "
        f"{'peak MB':>8} {'predict seq/s':>14}"
    )
    if args.against:
        print(f"'before' is the skrnn of {args.against}")
        header += f" {'before s':>9} {'after/before':>12}"
    print(header)
    for cell in args.cell:
        for kind in ("dense", "tokens"):
            X, y = make_data(kind, rng)
            variants = {"dense": None} if kind == "dense" else {"tokens": D, "lookup": None}
            jobs = [(skrnn_epoch, (X, y, cell, dim)) for dim in variants.values()]
            if args.against:
                jobs += [
                    (skrnn_epoch, (X, y, cell, dim), args.against) for dim in variants.values()
                ]
            if have_torch:
                jobs.append((torch_epoch, (X, y, cell)))
            times = best_times(jobs, args.repeats)
            theirs = times[-1] if have_torch else np.nan
            before = times[len(variants) :] if args.against else []
            for i, ((name, dim), ours) in enumerate(zip(variants.items(), times)):
                peak, throughput = skrnn_memory_and_predict(X, y, cell, dim)
                line = (
                    f"{cell:5} {name:6} {ours:8.3f} {theirs:8.3f} {ours / theirs:6.2f} "
                    f"{peak / 2**20:8.1f} {throughput:14.0f}"
                )
                if before:
                    line += f" {before[i]:9.3f} {ours / before[i]:12.2f}"
                print(line)


if __name__ == "__main__":
    main()
