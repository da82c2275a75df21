"""skrnn on a dask.distributed cluster: searches through joblib's dask
backend, block-wise training through dask-ml, on a LocalCluster of 2
single-threaded worker processes started here."""

import os
import signal
import threading
import time

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_info, threadpool_limits

from skrnn import RNNClassifier, RNNRegressor, SequenceVectorizer
from skrnn.datasets import load_zhou_sentiment

# the `distributed` extra; without it this module is skipped
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
db = pytest.importorskip("dask.bag")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
dask_ml_search = pytest.importorskip("dask_ml.model_selection")

GRID = {"rnnclassifier__hidden_size": [4, 8], "rnnclassifier__cell": ["rnn", "gru"]}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def sentences():
    X, y = load_zhou_sentiment(return_X_y=True)
    return X, np.asarray(y)


def _pipeline():
    return make_pipeline(SequenceVectorizer(), RNNClassifier(max_iter=15, random_state=0))


def _blas_threads():
    return sorted({(lib["internal_api"], lib["num_threads"]) for lib in threadpool_info()})


def test_every_worker_runs_its_blas_with_the_one_thread_it_was_given(client):
    assert set(client.nthreads().values()) == {1}
    per_worker = client.run(_blas_threads)
    assert len(per_worker) == 2
    for libraries in per_worker.values():
        assert libraries and all(threads == 1 for _, threads in libraries), libraries


def test_grid_search_on_the_cluster_gives_the_one_process_result(client, sentences):
    X, y = sentences
    with threadpool_limits(1):  # the workers' BLAS, so even the last bits agree
        local = GridSearchCV(_pipeline(), GRID, cv=3).fit(X, y)
        local_scores = cross_validate(_pipeline(), X, y, cv=3)["test_score"]
    with joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(_pipeline(), GRID, cv=3, n_jobs=-1).fit(X, y)
        scores = cross_validate(_pipeline(), X, y, cv=3, n_jobs=-1)["test_score"]
    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    np.testing.assert_array_equal(scores, local_scores)


def test_a_search_survives_a_killed_worker(client, sentences):
    X, y = sentences
    with threadpool_limits(1):
        local = GridSearchCV(_pipeline(), GRID, cv=3).fit(X, y)
    pids = client.run(os.getpid)
    victim, pid = next(iter(pids.items()))
    result = {}

    def search():
        with joblib.parallel_config(backend="dask"):
            result["search"] = GridSearchCV(_pipeline(), GRID, cv=3, n_jobs=-1).fit(X, y)

    thread = threading.Thread(target=search)
    thread.start()
    deadline = time.monotonic() + 60
    while not client.processing().get(victim) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.processing().get(victim), "the worker never got a task"
    os.kill(pid, signal.SIGKILL)  # its nanny starts a new one; dask reruns the lost tasks
    thread.join(timeout=120)
    client.wait_for_workers(2, timeout=60)
    assert pid not in client.run(os.getpid).values()
    remote = result["search"]
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


def _token_blocks(sentences, block=8):
    """Padded ``(n, T)`` token ids, their vocabulary size, and both as dask
    arrays in blocks of ``block`` sequences."""
    X, y = sentences
    vectorizer = SequenceVectorizer().fit(X)
    ids, n_tokens = vectorizer.transform(X), len(vectorizer.get_feature_names_out())
    return ids, y, n_tokens, da.from_array(ids, chunks=(block, -1)), da.from_array(y, chunks=block)


def test_incremental_over_blocks_is_partial_fit_block_by_block(client, sentences):
    ids, y, n_tokens, X_blocks, y_blocks = _token_blocks(sentences)
    params = dict(hidden_size=8, cell="lstm", n_tokens=n_tokens, random_state=0)
    model = dask_ml_wrappers.Incremental(RNNClassifier(**params), shuffle_blocks=False)
    model.fit(X_blocks, y_blocks, classes=[0, 1])
    assert X_blocks.numblocks[0] == 8
    local = RNNClassifier(**params)
    for start in range(0, len(y), 8):
        local.partial_fit(ids[start : start + 8], y[start : start + 8], classes=[0, 1])
    assert model.estimator_.n_iter_ == local.n_iter_ == 8
    assert model.estimator_.n_tokens_ == n_tokens  # not what the first block shows
    np.testing.assert_array_equal(model.estimator_.network_.coef, local.network_.coef)
    predicted = model.predict(X_blocks)  # runs where the blocks are
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), local.predict(ids))
    np.testing.assert_allclose(model.predict_proba(X_blocks).compute(), local.predict_proba(ids))


def test_regressor_on_3d_blocks_through_a_bag(client):
    """dask-ml indexes blocks as 2-D, so 3-D float blocks reach ``partial_fit``
    as the partitions of a bag of the array's blocks."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(160, 6, 2)), rng.normal(size=160)
    X_blocks = da.from_array(X, chunks=(20, 6, 2))
    bag = db.from_delayed(list(X_blocks.to_delayed().ravel()))
    model = dask_ml_wrappers.Incremental(RNNRegressor(hidden_size=8, random_state=0))
    model.set_params(shuffle_blocks=False).fit(bag, da.from_array(y, chunks=20))
    local = RNNRegressor(hidden_size=8, random_state=0)
    for start in range(0, 160, 20):
        local.partial_fit(X[start : start + 20], y[start : start + 20])
    np.testing.assert_array_equal(model.estimator_.network_.coef, local.network_.coef)
    predicted = X_blocks.map_blocks(model.estimator_.predict, drop_axis=[1, 2], dtype=float)
    np.testing.assert_array_equal(predicted.compute(), local.predict(X))


@pytest.mark.filterwarnings("ignore:The total space of parameters")  # brackets over 4
def test_hyperband_tunes_an_skrnn_model(client, sentences):
    _, y, n_tokens, X_blocks, y_blocks = _token_blocks(sentences)
    grid = {"hidden_size": [4, 16], "learning_rate_init": [1e-3, 3e-2]}
    model = RNNClassifier(n_tokens=n_tokens, random_state=0)
    search = dask_ml_search.HyperbandSearchCV(model, grid, max_iter=9, random_state=0)
    search.fit(X_blocks, y_blocks, classes=[0, 1])
    assert set(search.best_params_) == set(grid)
    assert search.best_estimator_.n_iter_ >= 1
    tried = {tuple(sorted(p.items())) for p in search.cv_results_["params"]}
    assert len(tried) == 4  # every candidate was started
    assert search.best_score_ == max(search.cv_results_["test_score"])
