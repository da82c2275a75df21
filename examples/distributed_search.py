"""skrnn on a dask.distributed cluster
=====================================

A grid search, block-wise training and a language model fed in pieces.

Needs the ``distributed`` extra (``pip install "skrnn[distributed]"``). By
default it starts a LocalCluster of 2 worker processes with 1 thread each
(so nothing outside this machine is needed); ``--scheduler`` connects to a
running cluster instead, for example ``--scheduler tcp://10.0.0.5:8786``.

1. ``GridSearchCV`` over 8 candidates (text in: SequenceVectorizer +
   RNNClassifier) on the review sentences, run by joblib's dask backend,
   timed against the same search with ``n_jobs=1`` in this process.
2. ``dask_ml.wrappers.Incremental`` fits an LSTM on token ids held as a dask
   array in 8 blocks (``partial_fit`` block after block, on the workers), and
   predicts a held-out dask array where its blocks are.
3. ``RNNLanguageModel.partial_fit`` on Kafka's text in 8 files, one after the
   other: the hidden state runs on from each piece into the next.

    python examples/distributed_search.py [--data-home PATH] [--scheduler ADDRESS]
"""

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, RNNLanguageModel, SequenceVectorizer
from skrnn.datasets import fetch_sentiment_sentences, load_kafka

#: 2 x 2 x 2 = 8 candidates
GRID = {
    "rnnclassifier__cell": ["rnn", "gru"],
    "rnnclassifier__hidden_size": [16, 32],
    "rnnclassifier__learning_rate_init": [0.003, 0.01],
}


def load_reviews(data_home=None):
    """The amazon and yelp review sentences and their labels."""
    parts = [fetch_sentiment_sentences(s, data_home=data_home) for s in ("amazon", "yelp")]
    return [text for part in parts for text in part.data], np.concatenate(
        [part.target for part in parts]
    )


def grid_search(max_iter=8):
    """The 8-candidate search, 3-fold, ``n_jobs=-1`` (joblib's backend decides
    where the 24 fits run)."""
    pipeline = make_pipeline(
        SequenceVectorizer(min_df=2),
        RNNClassifier(embedding_dim=32, pooling="last", max_iter=max_iter, random_state=0),
    )
    return GridSearchCV(pipeline, GRID, cv=3, n_jobs=-1)


#: distributed starts its workers with this glibc setting, which returns freed
#: memory to the system at once; training allocates and frees the same large
#: arrays every batch, and with it takes about a third longer
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def require_distributed():
    """Stop with what to install when the ``distributed`` extra is missing."""
    import importlib.util

    missing = [m for m in ("dask", "distributed", "dask_ml") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(
            f"This example needs {', '.join(missing)}, which are not installed. Install "
            'them with: python -m pip install "skrnn[distributed]"'
        )


def start_client(scheduler=None, trim_memory=False):
    """A client of the cluster at ``scheduler``, or of a new LocalCluster of
    2 single-threaded worker processes (with distributed's memory trimming
    if ``trim_memory``)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    settings = {} if trim_memory else {TRIM_SETTING: None}
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    return Client(cluster)


def search_on_cluster(X, y, max_iter):
    with joblib.parallel_config(backend="dask"):
        return grid_search(max_iter).fit(X, y)


def incremental_lstm(X, y, blocks=8, passes=3):
    """An LSTM trained block by block on a dask array of token ids."""
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    vectorizer = SequenceVectorizer(min_df=2).fit(X_train)
    n_tokens = len(vectorizer.get_feature_names_out())
    ids_train, ids_test = vectorizer.transform(X_train), vectorizer.transform(X_test)
    block = -(-len(ids_train) // blocks)
    X_blocks = da.from_array(ids_train, chunks=(block, -1))
    y_blocks = da.from_array(y_train, chunks=block)
    lstm = RNNClassifier(
        cell="lstm", pooling="last", hidden_size=32, embedding_dim=32, n_tokens=n_tokens
    )
    model = Incremental(lstm.set_params(random_state=0), random_state=0)
    for _ in range(passes):  # each pass is one partial_fit per block, blocks shuffled
        model.partial_fit(X_blocks, y_blocks, classes=[0, 1])
    predicted = model.predict(da.from_array(ids_test, chunks=(block, -1))).compute()
    return X_blocks.numblocks[0], float(np.mean(predicted == y_test))


def language_model_in_pieces(n_pieces=8):
    """Kafka's text in ``n_pieces`` files, fed to ``partial_fit`` in order;
    returns the held-out loss of the model fed in pieces and of the model
    fed the whole text in one call (they differ only in the vocabulary the
    first piece shows)."""
    text = load_kafka()
    train, held_out = text[: int(0.9 * len(text))], text[int(0.9 * len(text)) :]
    params = dict(
        hidden_size=64,
        cell="rnn",
        learning_rate_init=0.002,
        seq_length=32,
        batch_size=1,
        random_state=0,
    )
    with tempfile.TemporaryDirectory() as folder:
        size = -(-len(train) // n_pieces)
        paths = []
        for k in range(n_pieces):
            paths.append(Path(folder) / f"piece{k}.txt")
            paths[-1].write_text(train[k * size : (k + 1) * size], encoding="utf-8")
        pieces = RNNLanguageModel(**params)
        for path in paths:  # any iterator of texts: files, a database cursor, a dask bag
            pieces.partial_fit(path.read_text(encoding="utf-8"))
    whole = RNNLanguageModel(**params).partial_fit(train)
    return -pieces.score(held_out), -whole.score(held_out)


def main(data_home=None, scheduler=None, max_iter=8):
    X, y = load_reviews(data_home)
    client = start_client(scheduler)
    print(f"cluster: {len(client.nthreads())} workers, threads {list(client.nthreads().values())}")
    # the search trains a fixed max_iter epochs: say so once, not once per fit and worker
    print(f"every fit trains {max_iter} epochs (ConvergenceWarnings silenced)")
    client.run(warnings.filterwarnings, "ignore", message="Stochastic Optimizer")
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")

    start = time.perf_counter()
    remote = search_on_cluster(X, y, max_iter)
    cluster_seconds = time.perf_counter() - start
    start = time.perf_counter()
    local = grid_search(max_iter).set_params(n_jobs=1).fit(X, y)
    local_seconds = time.perf_counter() - start
    n = len(remote.cv_results_["params"])
    print(f"grid of {n} candidates x 3 folds on {len(X)} review sentences:")
    print(f"  on the cluster {cluster_seconds:.1f} s, n_jobs=1 here {local_seconds:.1f} s")
    print(f"  best {remote.best_params_} accuracy {remote.best_score_:.3f}")
    print(f"  same best parameters as n_jobs=1: {remote.best_params_ == local.best_params_}")

    n_blocks, accuracy = incremental_lstm(X, y)
    print(f"Incremental LSTM over {n_blocks} blocks of token ids: held-out accuracy {accuracy:.3f}")

    in_pieces, whole = language_model_in_pieces()
    print(f"language model on Kafka, held-out nats/char: in 8 files {in_pieces:.3f}, ", end="")
    print(f"whole text at once {whole:.3f}")
    client.close()
    return {
        "candidates": n,
        "cluster_seconds": cluster_seconds,
        "local_seconds": local_seconds,
        "best_params": remote.best_params_,
        "local_best_params": local.best_params_,
        "incremental_blocks": n_blocks,
        "incremental_accuracy": accuracy,
        "lm_pieces": in_pieces,
        "lm_whole": whole,
    }


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument(
        "--scheduler", default=None, help="address of a running scheduler (None: a LocalCluster)"
    )
    parser.add_argument("--max-iter", type=int, default=8, help="epochs per fit in the grid")
    args = parser.parse_args()
    require_distributed()
    main(args.data_home, args.scheduler, args.max_iter)
