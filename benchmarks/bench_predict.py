"""Prediction latency and throughput of skrnn against PyTorch on W1's model.

Workload "W1 predict" (benchmarks/README.md): W1's many-to-one model (d=32
float32 features, T=50 steps, hidden 128, 2 classes) after one training
epoch. Latency: ``predict_proba`` of one sequence, the median of 300 calls.
Throughput: all 2048 sequences in one call, the best of 5. PyTorch runs the
same model in eager mode under ``torch.no_grad()`` (its RNN, a linear layer
and a softmax), one call for the batch; skrnn predicts in float64 (its
predictions do not depend on their batch neighbours). Each library runs in a
fresh process of its own, two rounds taking turns, best figures kept.

    python benchmarks/bench_predict.py [--cell rnn gru lstm]
"""

import multiprocessing
import statistics
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from bench_fit import BATCH, D, H, N, T, make_data, start  # same folder

CALLS, REPEATS = 300, 5


def _latency_and_throughput(predict, X):
    """Median seconds of one sequence, and sequences per second of all."""
    for i in range(10):  # warm up
        predict(X[i : i + 1])
    times = []
    for i in range(CALLS):
        begin = time.perf_counter()
        predict(X[i % len(X) : i % len(X) + 1])
        times.append(time.perf_counter() - begin)
    best = np.inf
    for _ in range(REPEATS):
        begin = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - begin)
    return statistics.median(times), len(X) / best


def skrnn_predict(cell):
    from skrnn import RNNClassifier

    warnings.simplefilter("ignore")
    X, y = make_data("dense", np.random.RandomState(0))
    model = RNNClassifier(
        hidden_size=H, cell=cell, pooling="last", batch_size=BATCH, max_iter=1, random_state=0
    )
    model.fit(X, y)
    return _latency_and_throughput(model.predict_proba, X)


def torch_predict(cell):
    import torch

    torch.manual_seed(0)
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](
        D, H, batch_first=True
    )
    head = torch.nn.Linear(H, 2)
    rnn.eval()
    head.eval()
    X, _ = make_data("dense", np.random.RandomState(0))

    def predict(batch):
        with torch.no_grad():
            out, _ = rnn(torch.from_numpy(batch))
            return torch.softmax(head(out[:, -1]), dim=1).numpy()

    return _latency_and_throughput(predict, X)


def main():
    args, have_torch = start(__doc__.splitlines()[0])
    print(f"W1 model: N={N} T={T} d={D} hidden={H}; latency = median of {CALLS} single calls")
    print(
        f"{'cell':5} {'skrnn ms':>9} {'torch ms':>9} {'ratio':>6} "
        f"{'skrnn seq/s':>12} {'torch seq/s':>12} {'ratio':>6}"
    )
    context = multiprocessing.get_context("spawn")
    for cell in args.cell:
        sides = [skrnn_predict] + ([torch_predict] if have_torch else [])
        best = [(np.inf, 0.0) for _ in sides]
        for _ in range(2):
            for i, side in enumerate(sides):
                with ProcessPoolExecutor(1, mp_context=context) as worker:
                    latency, rate = worker.submit(side, cell).result()
                best[i] = (min(best[i][0], latency), max(best[i][1], rate))
        (ours, our_rate), (theirs, their_rate) = best[0], best[-1] if have_torch else (np.nan,) * 2
        print(
            f"{cell:5} {ours * 1e3:9.3f} {theirs * 1e3:9.3f} {ours / theirs:6.2f} "
            f"{our_rate:12.0f} {their_rate:12.0f} {our_rate / their_rate:6.2f}"
        )


if __name__ == "__main__":
    main()
