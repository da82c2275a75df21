"""English grapheme-to-phoneme on the CMU Pronouncing Dictionary
===============================================================

Spell a word, get its pronunciation: ``"thought" -> TH AO T``. The output
has its own length and is not aligned with the letters, so this is a job
for :class:`~skrnn.RNNSeq2Seq`: a bidirectional GRU reads the letters, a GRU
decoder with Luong's attention writes the phones.

The split is this script's own and fixed: 10% of the words (``SPLIT_SEED``),
with all the pronunciations of a word on the same side, are held out. A
held-out word counts as right when the predicted phones equal any of its
pronunciations. Reported: the word error rate (WER, wrong words) and the
phone error rate (PER, edits to the closest pronunciation over its phones),
the 39 phones without stress. Published encoder-decoders on CMUdict reach
23.6% WER with a bidirectional LSTM and about 21% with attention or
ensembles (Yao & Zweig, 2015; Rao et al., 2015; on their own splits).

``recipe()`` returns the unfitted model, a pipeline from words as strings
to pronunciations as lists of phones, to refit on any split.

    python examples/g2p.py [--data-home DIR] [--max-iter N]
"""

import argparse
import sys
import time

import numpy as np
from sklearn.pipeline import make_pipeline

from skrnn import RNNSeq2Seq, SequenceVectorizer
from skrnn.datasets import fetch_cmudict
from skrnn.metrics import sequence_error_rate, token_error_rate

SPLIT_SEED = 2015  # the held-out words: fixed, so every run scores the same words
TEST_SHARE = 0.1


def recipe(max_iter=16, hidden_size=256, random_state=0):
    """The unfitted grapheme-to-phoneme model: letters as token ids into a
    64-wide embedding, a bidirectional GRU encoder, a GRU decoder with
    'general' attention, beam search of width 4."""
    return make_pipeline(
        SequenceVectorizer(analyzer="char"),
        RNNSeq2Seq(
            hidden_size=hidden_size,
            embedding_dim=64,
            bidirectional=True,
            attention="general",
            beam_width=4,
            learning_rate_init=0.003,
            batch_size=128,
            clip_norm=5.0,
            max_iter=max_iter,
            early_stopping=True,
            validation_fraction=0.05,
            n_iter_no_change=3,
            verbose=True,
            random_state=random_state,
        ),
    )


def split_words(words, pronunciations, test_share=TEST_SHARE, seed=SPLIT_SEED):
    """Training pairs (one per pronunciation) and held-out words with all
    their pronunciations as references."""
    by_word = {}
    for word, phones in zip(words, pronunciations):
        by_word.setdefault(word, []).append(phones)
    unique = sorted(by_word)
    held_out = set(
        np.random.RandomState(seed)
        .choice(unique, int(round(test_share * len(unique))), replace=False)
        .tolist()
    )
    train = [(w, p) for w in unique if w not in held_out for p in by_word[w]]
    test = sorted(held_out)
    return train, test, [by_word[w] for w in test]


def main(data_home=None, max_iter=16, hidden_size=256, n_train=None, n_test=None, random_state=0):
    words, pronunciations = fetch_cmudict(stress=False, return_X_y=True, data_home=data_home)
    train, test_words, references = split_words(words, pronunciations)
    if n_train is not None:  # a quicker run: fewer training pairs, fewer words scored
        train = train[:: max(1, len(train) // n_train)][:n_train]
    if n_test is not None:
        step = max(1, len(test_words) // n_test)
        test_words, references = test_words[::step][:n_test], references[::step][:n_test]
    X_train, Y_train = [w for w, _ in train], [p for _, p in train]
    print(f"{len(train)} training pairs, {len(test_words)} held-out words")
    model = recipe(max_iter=max_iter, hidden_size=hidden_size, random_state=random_state)
    start = time.perf_counter()
    model.fit(X_train, Y_train)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    predicted = model.predict(test_words)
    decode_seconds = time.perf_counter() - start
    results = {
        "wer": sequence_error_rate(references, predicted, multiple_references=True),
        "per": token_error_rate(references, predicted, multiple_references=True),
        "epochs": model[-1].n_iter_,
        "train_seconds": seconds,
        "decode_words_per_second": len(test_words) / decode_seconds,
    }
    for word, phones in list(zip(test_words, predicted))[:5]:
        print(f"  {word:12} {' '.join(phones)}")
    print(
        f"WER {results['wer']:.3f}  PER {results['per']:.3f}  after {results['epochs']} "
        f"epochs, {seconds / 60:.1f} min of training"
    )
    results["model"] = model
    return results


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--max-iter", type=int, default=16, help="epochs at most")
    parser.add_argument("--hidden-size", type=int, default=256, help="units per layer")
    parser.add_argument("--n-train", type=int, default=None, help="training pairs (None: all)")
    parser.add_argument("--n-test", type=int, default=None, help="words scored (None: all)")
    args = parser.parse_args()
    main(args.data_home, args.max_iter, args.hidden_size, args.n_train, args.n_test)
