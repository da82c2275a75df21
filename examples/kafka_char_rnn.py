"""Seed 2: a min-char-rnn style character model of Kafka's *Metamorphosis*
=========================================================================

The seed's settings: tanh RNN with 150 hidden units, windows of 35
characters with the hidden state carried from window to window (truncated
BPTT), one stream, Adagrad with learning rate 0.05, gradients clipped to +-5.
Its smoothed training loss (an exponential average, 0.999 per update,
starting at -ln(1/vocabulary) per window) falls from 153 to 63.7 per
35-character window (1.82 nats per character) after 10,000 updates.

The seed's loss is the *sum* over a window's 35 characters; skrnn's is the
mean. Adagrad ignores the scale of the loss except through its epsilon, and
clipping acts on the scaled gradient, so the seed's clip +-5 and epsilon 1e-8
are clip_value=5/35 and epsilon=1e-8/35**2 here: the same updates.

The text is fed with ``partial_fit`` in pieces of 100 windows, so the state
and the last character carry over and the smoothed loss can be followed as
the seed prints it. The text wraps around at its end, as in the seed.

    python examples/kafka_char_rnn.py [--updates 10000]
"""

import argparse
import importlib.util
import os
import sys
import time

import numpy as np

from skrnn import RNNLanguageModel
from skrnn.datasets import load_kafka

SEQ = 35
SEED_LOSS_PER_WINDOW = 63.7
PIECE = 100  # windows per partial_fit call


def main(updates=10_000, random_state=0):
    text = load_kafka(strip_license=False)  # the seed trained on the whole file
    model = RNNLanguageModel(
        hidden_size=150,
        cell="rnn",  # min-char-rnn's tanh cell
        seq_length=SEQ,
        batch_size=1,
        solver="adagrad",
        learning_rate_init=0.05,
        clip_value=5.0 / SEQ,
        epsilon=1e-8 / SEQ**2,
        clip_norm=None,
        dtype="float64",  # as the seed's numpy, and steady across BLAS kernels
        random_state=random_state,
    )
    vocabulary = len(set(text))
    smooth = -np.log(1.0 / vocabulary) * SEQ  # the seed's starting value
    done, position, curve = 0, 0, []
    start = time.perf_counter()
    while done < updates:
        n_windows = min(PIECE, updates - done)
        piece = text[position : position + n_windows * SEQ]
        model.partial_fit(piece)
        n_windows = -(-len(piece) // SEQ)
        smooth = smooth * 0.999**n_windows + model.loss_ * SEQ * (1 - 0.999**n_windows)
        done += n_windows
        curve.append((done, smooth / SEQ))
        position += len(piece)
        if position >= len(text):
            position = 0
    seconds = time.perf_counter() - start
    nats = -model.score(text)
    print(f"{done} updates (windows of {SEQ} characters) in {seconds:.1f} s")
    print(
        f"smoothed training loss: {smooth:.1f} per window = {smooth / SEQ:.3f} "
        f"nats/char (seed: {SEED_LOSS_PER_WINDOW} = "
        f"{SEED_LOSS_PER_WINDOW / SEQ:.3f})"
    )
    print(f"mean loss of the final model on the whole text: {nats:.3f} nats/char")
    print("greedy: ", repr(model.generate("Gregor ", n_tokens=100, temperature=0)))
    print(
        "sampled:",
        repr(model.generate("Gregor ", n_tokens=100, temperature=0.8, random_state=random_state)),
    )
    return {
        "updates": done,
        "smoothed_nats_per_char": smooth / SEQ,
        "nats_per_char": nats,
        "seconds": seconds,
        "curve": curve,
    }


def plot(curve):
    """The smoothed training loss against the updates, beside the seed's."""
    import matplotlib.pyplot as plt

    updates, nats = zip(*curve)
    _, ax = plt.subplots()
    ax.plot(updates, nats, label="skrnn")
    ax.axhline(
        SEED_LOSS_PER_WINDOW / SEQ, color="gray", linestyle="--", label="seed, 10,000 updates"
    )
    ax.set_xlabel("updates (windows of 35 characters)")
    ax.set_ylabel("smoothed training loss, nats/char")
    ax.legend()
    plt.show()


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--updates", type=int, default=10_000, help="training windows")
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    parser.add_argument(
        "--quick",
        action="store_true",
        default=bool(os.environ.get("SKRNN_QUICK")),
        help="the documentation's smaller settings (also SKRNN_QUICK=1)",
    )
    args = parser.parse_args()
    results = main(3000 if args.quick else args.updates, random_state=args.random_state)
    if importlib.util.find_spec("matplotlib"):
        plot(results["curve"])
