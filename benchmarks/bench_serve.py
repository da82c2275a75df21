"""Serving W1's models three ways: skrnn, ONNX Runtime on the exported graph, PyTorch.

Workload "Serving" (benchmarks/README.md): W1's models (T=50 steps, hidden
128, 2 classes; dense d=32 float32 features, or token ids from 5000 into a
32-wide embedding) after one training epoch, for each cell. Latency:
``predict_proba`` of one sequence, the median of 300 calls; throughput: all
2048 sequences in one call, the best of 5. skrnn's model is fitted and
exported (``skrnn.onnx.to_onnx``) once, in a process of its own; then each
way runs in fresh processes of its own, two rounds taking turns, best
figures kept: skrnn's ``predict_proba`` on the pickled model, ONNX Runtime
(its default session, no skrnn imported) on the saved graph, and PyTorch
eager under ``torch.no_grad()`` on the same architecture. Last, the
sentiment pipeline (``SequenceVectorizer`` + ``RNNClassifier``) from raw
strings: skrnn's pipeline against its graph in ONNX Runtime. "ort speed"
is ONNX Runtime's speed over PyTorch's (above 1: ONNX Runtime is faster).

    python benchmarks/bench_serve.py [--cell rnn gru lstm]
"""

import json
import multiprocessing
import pickle
import statistics
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from bench_fit import BATCH, D, H, N, T, V, make_data, start  # same folder
from bench_predict import CALLS, _latency_and_throughput

EMBEDDING = 32


def _data(kind):
    return make_data(kind, np.random.RandomState(0))


def export(folder, cell, kind):
    """Fit W1's model for one epoch; pickle it and save its ONNX graph."""
    from skrnn import RNNClassifier
    from skrnn.onnx import to_onnx

    warnings.simplefilter("ignore")
    X, y = _data(kind)
    model = RNNClassifier(
        hidden_size=H,
        cell=cell,
        embedding_dim=EMBEDDING if kind == "tokens" else None,
        pooling="last",  # W1's readout, as PyTorch's side reads it
        batch_size=BATCH,
        max_iter=1,
        random_state=0,
    ).fit(X, y)
    Path(folder, "model.pkl").write_bytes(pickle.dumps(model))
    Path(folder, "model.onnx").write_bytes(to_onnx(model, X[:2]).SerializeToString())


def skrnn_serve(folder, cell, kind):
    model = pickle.loads(Path(folder, "model.pkl").read_bytes())
    return _latency_and_throughput(model.predict_proba, _data(kind)[0])


def onnxruntime_serve(folder, cell, kind):
    import onnxruntime as ort

    session = ort.InferenceSession(
        str(Path(folder, "model.onnx")), providers=["CPUExecutionProvider"]
    )
    return _latency_and_throughput(
        lambda X: session.run(["probabilities"], {"X": X})[0], _data(kind)[0]
    )


def torch_serve(folder, cell, kind):
    import torch

    torch.manual_seed(0)
    width = EMBEDDING if kind == "tokens" else D
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](
        width, H, batch_first=True
    )
    embed = torch.nn.Embedding(V, EMBEDDING) if kind == "tokens" else torch.nn.Identity()
    head = torch.nn.Linear(H, 2)
    for module in (rnn, embed, head):
        module.eval()

    def predict(batch):
        with torch.no_grad():
            out, _ = rnn(embed(torch.from_numpy(batch)))
            return torch.softmax(head(out[:, -1]), dim=1).numpy()

    return _latency_and_throughput(predict, _data(kind)[0])


def export_text(folder):
    """The sentiment pipeline of the README, pickled and exported."""
    from sklearn.pipeline import make_pipeline

    from skrnn import RNNClassifier, SequenceVectorizer
    from skrnn.datasets import load_zhou_sentiment
    from skrnn.onnx import to_onnx

    warnings.simplefilter("ignore")
    texts, y = load_zhou_sentiment(return_X_y=True)
    pipe = make_pipeline(SequenceVectorizer(), RNNClassifier(random_state=0)).fit(texts, y)
    Path(folder, "text.pkl").write_bytes(pickle.dumps(pipe))
    Path(folder, "texts.json").write_text(json.dumps(list(texts)))
    Path(folder, "text.onnx").write_bytes(to_onnx(pipe, texts[:2]).SerializeToString())


def _text_latency(predict, texts):
    for text in texts[:10]:
        predict([text])
    times = []
    for i in range(CALLS):
        begin = time.perf_counter()
        predict([texts[i % len(texts)]])
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def skrnn_text(folder):
    pipe = pickle.loads(Path(folder, "text.pkl").read_bytes())
    return _text_latency(pipe.predict_proba, json.loads(Path(folder, "texts.json").read_text()))


def onnxruntime_text(folder):
    import onnxruntime as ort

    texts = json.loads(Path(folder, "texts.json").read_text())
    session = ort.InferenceSession(
        str(Path(folder, "text.onnx")), providers=["CPUExecutionProvider"]
    )
    return _text_latency(
        lambda batch: session.run(["probabilities"], {"X": np.array(batch, dtype=object)})[0], texts
    )


def _in_fresh_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as worker:
        return worker.submit(function, *args).result()


def main():
    args, have_torch = start(__doc__.splitlines()[0])
    import onnxruntime

    print(f"onnxruntime {onnxruntime.__version__}")
    print(f"W1 models: N={N} T={T} d={D} hidden={H}; latency = median of {CALLS} single calls")
    print(
        f"{'cell':5} {'input':6} {'skrnn ms':>9} {'ort ms':>8} {'torch ms':>9} {'ort speed':>9} "
        f"{'skrnn seq/s':>12} {'ort seq/s':>10} {'torch seq/s':>12} {'ort speed':>9}"
    )
    sides = [skrnn_serve, onnxruntime_serve] + ([torch_serve] if have_torch else [])
    with tempfile.TemporaryDirectory() as folder:
        for cell in args.cell:
            for kind in ("dense", "tokens"):
                _in_fresh_process(export, folder, cell, kind)
                best = [(np.inf, 0.0) for _ in sides]
                for _ in range(2):
                    for i, side in enumerate(sides):
                        latency, rate = _in_fresh_process(side, folder, cell, kind)
                        best[i] = (min(best[i][0], latency), max(best[i][1], rate))
                (ours, our_rate), (ort_ms, ort_rate) = best[0], best[1]
                theirs, their_rate = best[2] if have_torch else (np.nan, np.nan)
                print(
                    f"{cell:5} {kind:6} {ours * 1e3:9.3f} {ort_ms * 1e3:8.3f} {theirs * 1e3:9.3f} "
                    f"{theirs / ort_ms:9.2f} {our_rate:12.0f} {ort_rate:10.0f} {their_rate:12.0f} "
                    f"{ort_rate / their_rate:9.2f}"
                )
        _in_fresh_process(export_text, folder)
        text = [
            min(_in_fresh_process(side, folder) for _ in range(2))
            for side in (skrnn_text, onnxruntime_text)
        ]
        print(
            f"sentiment pipeline from a raw string (median of {CALLS}): "
            f"skrnn {text[0] * 1e3:.3f} ms, ONNX Runtime {text[1] * 1e3:.3f} ms "
            f"({text[0] / text[1]:.1f}x faster)"
        )


if __name__ == "__main__":
    main()
