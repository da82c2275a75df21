"""Grapheme-to-phoneme training and decoding: skrnn's RNNSeq2Seq against PyTorch.

Workload "Seq2seq G2P" (benchmarks/README.md): CMUdict without stress, the
split of ``examples/g2p.py`` (10% of the words held out), letters in as
token ids, ``examples/g2p.py``'s ``recipe()`` architecture on both sides:
a 64-wide letter embedding, a bidirectional GRU encoder, a ``tanh`` bridge
to the GRU decoder's first state, the decoder reading the previous phone
(one-hot into the GRU: skrnn looks the same rows up), Luong's 'general'
attention and ``tanh([c; s] W_c + b_c)``, a softmax over the phones;
teacher forcing, cross-entropy over the real phones and the end, Adam
(lr 3e-3), gradient norm clipped to 5, batches of 128 pairs of similar
length, float32.

Each side runs in a fresh process of its own and trains for the same
wall-clock budget, a tenth of the training pairs (shuffled) at a time,
checking the clock after each tenth; then it decodes the held-out words
greedily. Printed: training pairs per second, decoded words per second,
and the word and phone error rates each reached in the budget.

    python benchmarks/bench_seq2seq.py [--budget 600] [--data-home DIR]
"""

import argparse
import json
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SLICES = 10  # the clock is read after every tenth of an epoch
LEARNING_RATE, BATCH, CLIP, EMBEDDING = 3e-3, 128, 5.0, 64  # recipe()'s


def load_split(data_home):
    """The g2p example's split: training pairs, held-out words and their
    pronunciations."""
    from _examples import load_example

    from skrnn.datasets import fetch_cmudict

    g2p = load_example("g2p")
    words, phones = fetch_cmudict(stress=False, return_X_y=True, data_home=data_home)
    train, test_words, references = g2p.split_words(words, phones)
    return g2p, train, test_words, references


def train_within(budget, n, rng, train_part):
    """``train_part(rows)`` on shuffled tenths of the ``n`` training pairs,
    epoch after epoch, until ``budget`` seconds have passed (the clock is
    read after each tenth). Returns the pairs trained and the seconds."""
    trained, start = 0, time.perf_counter()
    while time.perf_counter() - start < budget:
        for part in np.array_split(rng.permutation(n), SLICES):
            train_part(part)
            trained += len(part)
            if time.perf_counter() - start >= budget:
                break
    return trained, time.perf_counter() - start


def run_skrnn(data_home, budget, hidden_size):
    warnings.simplefilter("ignore")
    g2p, train, test_words, references = load_split(data_home)
    X = [w for w, _ in train]
    Y = [p for _, p in train]
    model = g2p.recipe(hidden_size=hidden_size)
    model[-1].set_params(early_stopping=False, verbose=False, beam_width=1)  # greedy
    vectorizer, network = model[0], model[-1]
    ids = vectorizer.fit_transform(X)  # letters are known up front, as torch's side
    network.set_params(n_tokens=len(vectorizer.get_feature_names_out()))
    classes = sorted({phone for phones in Y for phone in phones})

    def train_part(part):
        network.partial_fit(ids[part], [Y[i] for i in part], classes=classes)

    trained, seconds = train_within(budget, len(X), np.random.RandomState(0), train_part)
    start = time.perf_counter()
    predicted = model.predict(test_words)
    return _report(
        trained, seconds, len(test_words), time.perf_counter() - start, references, predicted
    )


def _report(trained, seconds, n_decoded, decode_seconds, references, predicted):
    from skrnn.metrics import sequence_error_rate, token_error_rate

    return {
        "pairs_per_second": trained / seconds,
        "pairs_trained": trained,
        "train_seconds": seconds,
        "decode_words_per_second": n_decoded / decode_seconds,
        "wer": sequence_error_rate(references, predicted, multiple_references=True),
        "per": token_error_rate(references, predicted, multiple_references=True),
    }


def run_torch(data_home, budget, hidden_size):
    import torch

    _, train, test_words, references = load_split(data_home)
    torch.manual_seed(0)
    letters = sorted({c for w, _ in train for c in w} | {c for w in test_words for c in w})
    phones = sorted({p for _, ps in train for p in ps})
    letter_id = {c: i + 2 for i, c in enumerate(letters)}  # 0 pads, 1 unknown
    phone_id = {p: i + 2 for i, p in enumerate(phones)}  # 0 pads, 1 ends
    model = _torch_model_class()(len(letters) + 2, len(phones) + 2, hidden_size)
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
    X = [[letter_id[c] for c in w] for w, _ in train]
    Y = [[phone_id[p] for p in ps] + [1] for _, ps in train]
    rng = np.random.RandomState(0)

    def train_part(part):
        for rows in _batches(part, X, rng):
            inputs, lengths = _padded([X[i] for i in rows])
            targets, _ = _padded([Y[i] for i in rows])
            logits = model(inputs, lengths, targets)
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=0
            )
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP)
            optimizer.step()

    trained, seconds = train_within(budget, len(X), rng, train_part)
    start = time.perf_counter()
    inverse = np.array(["", ""] + phones, dtype=object)
    predicted = []
    with torch.no_grad():
        for chunk in range(0, len(test_words), 2048):
            words = test_words[chunk : chunk + 2048]
            inputs, lengths = _padded([[letter_id[c] for c in w] for w in words])
            for row in model.greedy(inputs, lengths, 40):
                predicted.append(list(inverse[row]))
    return _report(
        trained, seconds, len(test_words), time.perf_counter() - start, references, predicted
    )


def _batches(part, X, rng):
    """Batches of ``BATCH`` pairs of similar input length, in random order,
    as skrnn's SequenceBatches makes them."""
    lengths = np.array([len(X[i]) for i in part])
    ordered = part[np.argsort(-lengths, kind="stable")]
    chunks = [ordered[i : i + BATCH] for i in range(0, len(ordered), BATCH)]
    return [chunks[i] for i in rng.permutation(len(chunks))]


def _padded(rows):
    import torch

    lengths = np.array([len(r) for r in rows])
    out = np.zeros((len(rows), lengths.max()), dtype=np.int64)
    out[np.arange(lengths.max())[None, :] < lengths[:, None]] = np.concatenate(rows)
    return torch.from_numpy(out), torch.from_numpy(lengths)


def _torch_model_class():
    import torch
    from torch import nn

    class G2P(nn.Module):
        """skrnn's EncoderDecoder, written in PyTorch."""

        def __init__(self, n_letters, n_phones, hidden):
            super().__init__()
            self.n_phones = n_phones
            self.embedding = nn.Embedding(n_letters, EMBEDDING, padding_idx=0)
            self.encoder = nn.GRU(EMBEDDING, hidden, batch_first=True, bidirectional=True)
            self.bridge = nn.Linear(2 * hidden, hidden)
            self.decoder = nn.GRU(n_phones, hidden, batch_first=True)
            self.keys = nn.Linear(2 * hidden, hidden, bias=False)
            self.combine = nn.Linear(3 * hidden, hidden)
            self.out = nn.Linear(hidden, n_phones)

        def encode(self, inputs, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(
                self.embedding(inputs), lengths, batch_first=True, enforce_sorted=False
            )
            out, h_n = self.encoder(packed)
            memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
            start = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=1)))
            real = torch.arange(memory.shape[1])[None, None, :] < lengths[:, None, None]
            return memory, self.keys(memory), real, start[None]

        def attend(self, states, memory, keys, real):
            scores = torch.bmm(states, keys.transpose(1, 2)).masked_fill(~real, float("-inf"))
            context = torch.bmm(torch.softmax(scores, dim=-1), memory)
            return self.out(torch.tanh(self.combine(torch.cat([context, states], dim=-1))))

        def forward(self, inputs, lengths, targets):
            memory, keys, real, state = self.encode(inputs, lengths)
            previous = torch.ones_like(targets)
            previous[:, 1:] = targets[:, :-1]
            one_hot = nn.functional.one_hot(previous, self.n_phones).float()
            states, _ = self.decoder(one_hot, state)
            return self.attend(states, memory, keys, real)

        def greedy(self, inputs, lengths, max_length):
            memory, keys, real, state = self.encode(inputs, lengths)
            ids = torch.ones(len(inputs), dtype=torch.long)
            done = torch.zeros(len(inputs), dtype=torch.bool)
            rows = []
            for _ in range(max_length):
                one_hot = nn.functional.one_hot(ids[:, None], self.n_phones).float()
                states, state = self.decoder(one_hot, state)
                logits = self.attend(states, memory, keys, real)[:, 0]
                logits[:, 0] = float("-inf")
                ids = logits.argmax(dim=1)
                rows.append(torch.where(done, 0, ids))
                done |= ids == 1
                if bool(done.all()):
                    break
            table = torch.stack(rows, dim=1).numpy()
            return [r[: np.argmax(r <= 1)] if (r <= 1).any() else r for r in table]

    return G2P


def _in_fresh_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as worker:
        return worker.submit(function, *args).result()


def main():
    from bench_fit import describe_libraries

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds a side")
    parser.add_argument("--hidden-size", type=int, default=256, help="recipe()'s by default")
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()
    have_torch = describe_libraries()
    print(f"budget {args.budget:.0f} s of training a side, hidden {args.hidden_size}")
    results = {"skrnn": _in_fresh_process(run_skrnn, args.data_home, args.budget, args.hidden_size)}
    if have_torch:
        results["torch"] = _in_fresh_process(
            run_torch, args.data_home, args.budget, args.hidden_size
        )
    print(f"{'side':6} {'pairs/s':>8} {'decode words/s':>15} {'WER':>6} {'PER':>6} {'s':>6}")
    for side, r in results.items():
        print(
            f"{side:6} {r['pairs_per_second']:8.0f} {r['decode_words_per_second']:15.0f} "
            f"{r['wer']:6.3f} {r['per']:6.3f} {r['train_seconds']:6.0f}"
        )
    if "torch" in results:
        ours, theirs = results["skrnn"], results["torch"]
        print(
            f"skrnn/torch: training {ours['pairs_per_second'] / theirs['pairs_per_second']:.2f}x "
            f"the pairs per second, decoding "
            f"{ours['decode_words_per_second'] / theirs['decode_words_per_second']:.2f}x the "
            f"words per second; WER {ours['wer']:.3f} against {theirs['wer']:.3f}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
