"""Character language-model training speed: skrnn against PyTorch's CPU nn.RNN.

Workload "Character LM" (benchmarks/README.md): Kafka's *Metamorphosis* (the embedded
seed text, 137,629 characters, vocabulary ~60), hidden 256, 32 streams trained
side by side, windows of 64 characters, hidden state carried between windows
(truncated BPTT), Adam lr 2e-3, gradient norm clipped to 5, one epoch.
PyTorch runs the same model: one-hot characters into nn.RNN(V, 256) (the same
V x 256 input matrix as skrnn's lookup), a Linear(256, V) head, the same
stream layout, ``h.detach()`` between windows.

Each side runs in fresh processes of its own, as in ``bench_fit.py``: a
warm-up epoch, then ``--repeats`` timed ones, two rounds, the best epoch
counts. Prints characters per second and the skrnn/torch time ratio.

    python benchmarks/bench_lm.py [--repeats 3] [--cell rnn]
"""

import time

import numpy as np
from bench_fit import best_times, start  # same folder

from skrnn import RNNLanguageModel
from skrnn.datasets import load_kafka

HIDDEN, STREAMS, WINDOW = 256, 32, 64


def skrnn_epoch(text, cell):
    def epoch():
        model = RNNLanguageModel(
            hidden_size=HIDDEN,
            cell=cell,
            batch_size=STREAMS,
            seq_length=WINDOW,
            max_iter=1,
            random_state=0,
        )
        start = time.perf_counter()
        model.fit(text)
        return time.perf_counter() - start

    return epoch


def torch_epoch(text, cell):
    import torch

    torch.manual_seed(0)
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text])
    n = (len(ids) - 1) // STREAMS
    inputs = ids[: n * STREAMS].view(STREAMS, n)  # contiguous streams
    targets = ids[1 : n * STREAMS + 1].view(STREAMS, n)
    rnn_class = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn = rnn_class(len(vocab), HIDDEN, batch_first=True)
    head = torch.nn.Linear(HIDDEN, len(vocab))
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        start = time.perf_counter()
        state = None
        for i in range(0, n, WINDOW):
            x = torch.nn.functional.one_hot(inputs[:, i : i + WINDOW], len(vocab)).float()
            out, state = rnn(x, state)
            state = tuple(s.detach() for s in state) if cell == "lstm" else state.detach()
            loss = loss_fn(
                head(out).reshape(-1, len(vocab)), targets[:, i : i + WINDOW].reshape(-1)
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
        return time.perf_counter() - start

    return epoch


def main():
    args, have_torch = start(__doc__.splitlines()[0])
    text = load_kafka(strip_license=False)
    print(
        f"{len(text)} characters, hidden {HIDDEN}, {STREAMS} streams, windows of "
        f"{WINDOW}, Adam, one epoch; best of {args.repeats} epochs x 2 processes a side"
    )
    print(
        f"{'cell':5} {'skrnn s':>8} {'torch s':>8} {'ratio':>6} {'skrnn chars/s':>14} "
        f"{'torch chars/s':>14}"
    )
    for cell in args.cell:
        jobs = [(skrnn_epoch, (text, cell))] + ([(torch_epoch, (text, cell))] if have_torch else [])
        ours, theirs = (best_times(jobs, args.repeats) + [np.nan])[:2]
        print(
            f"{cell:5} {ours:8.3f} {theirs:8.3f} {ours / theirs:6.2f} "
            f"{len(text) / ours:14.0f} {len(text) / theirs:14.0f}"
        )


if __name__ == "__main__":
    main()
