"""Serving a sentiment pipeline with ONNX Runtime alone
=====================================================

The README's sentiment pipeline (:class:`~skrnn.SequenceVectorizer` then
:class:`~skrnn.RNNClassifier`) is trained with skrnn and exported with
:func:`skrnn.onnx.to_onnx` into one ONNX graph, from raw strings to
probabilities. A separate Python process then serves it with nothing but
numpy and ONNX Runtime: it never imports skrnn (it checks), as a service
in C#, Java or the browser would not. Its answers are compared with
skrnn's own, and the time each takes to answer one sentence is measured.

Needs the ``onnx`` extra: ``pip install "skrnn[onnx]"``.

    python examples/onnx_serving.py
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, SequenceVectorizer
from skrnn.datasets import load_zhou_sentiment

#: the serving process: numpy and ONNX Runtime, no skrnn
SERVE = """
import json, statistics, sys, time
import numpy as np
import onnxruntime

path, texts = sys.argv[1], json.loads(sys.stdin.read())
session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
label, proba = session.run(None, {"X": np.array(texts, dtype=object)})
times = []
for i in range(200):
    start = time.perf_counter()
    session.run(None, {"X": np.array([texts[i % len(texts)]], dtype=object)})
    times.append(time.perf_counter() - start)
print(json.dumps({
    "labels": label.tolist(),
    "proba": proba.tolist(),
    "latency": statistics.median(times),
    "imported_skrnn": "skrnn" in sys.modules,
}))
"""


def build(random_state=0):
    return make_pipeline(SequenceVectorizer(), RNNClassifier(random_state=random_state))


def serve(path, texts):
    """Answers for ``texts`` from the graph at ``path``, by a process of its own."""
    result = subprocess.run(
        [sys.executable, "-c", SERVE, str(path)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def skrnn_latency(model, texts):
    times = []
    for i in range(200):
        start = time.perf_counter()
        model.predict_proba([texts[i % len(texts)]])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(random_state=0, plot=True):
    from skrnn.onnx import to_onnx

    X_train, y_train = load_zhou_sentiment(return_X_y=True)
    X_test, _ = load_zhou_sentiment(subset="test", return_X_y=True)
    texts = list(X_test) + ["i am not sad", "what a great day", "an unseen word: zebra"]
    model = build(random_state).fit(X_train, y_train)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sentiment.onnx"
        path.write_bytes(to_onnx(model, texts[:1]).SerializeToString())
        print(f"graph: {path.stat().st_size / 1e3:.0f} kB, inputs: one string per text")
        served = serve(path, texts)
    proba = np.array(served["proba"])
    results = {
        "imported_skrnn": served["imported_skrnn"],
        "labels_equal": bool(np.array_equal(served["labels"], model.predict(texts))),
        "max_difference": float(np.abs(proba - model.predict_proba(texts)).max()),
        "onnxruntime_ms": served["latency"] * 1e3,
        "skrnn_ms": skrnn_latency(model, texts) * 1e3,
    }
    for key, value in results.items():
        print(f"{key:16} {value:.3g}" if isinstance(value, float) else f"{key:16} {value}")
    if plot:
        show(model, texts, proba, results)
    return results


def show(model, texts, proba, results):
    """ONNX Runtime's probabilities against skrnn's, and one text's latency."""
    import matplotlib.pyplot as plt

    _, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(model.predict_proba(texts)[:, 1], proba[:, 1], s=12)
    left.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    left.set_xlabel("skrnn: P(positive)")
    left.set_ylabel("ONNX Runtime: P(positive)")
    left.set_title(f"largest difference {results['max_difference']:.1e}")
    names = ["skrnn", "ONNX Runtime"]
    right.bar(names, [results["skrnn_ms"], results["onnxruntime_ms"]], color=["C0", "C1"])
    right.set_ylabel("ms per text (median)")
    right.set_title("one raw sentence to probabilities")
    plt.tight_layout()
    plt.show()


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    args = parser.parse_args()
    main(random_state=args.random_state)
