"""An 8-candidate grid search on one machine: one process, loky, or dask.

Workload "Grid search" (benchmarks/README.md): ``GridSearchCV`` over
SequenceVectorizer + RNNClassifier on the 2,000 review sentences (amazon +
yelp), the 8 candidates of ``examples/distributed_search.py`` (cell rnn/gru,
hidden 16/32, learning rate 0.003/0.01, a 32-wide embedding), 3 folds, 20
epochs a fit: 24 fits, then the refit of the best candidate on all the data
in the searching process. Timed four ways, each in a fresh process of its
own, the ways taking turns for ``--rounds`` rounds (this machine's speed
drifts by a third from minute to minute), ``--repeats`` searches a process;
the best search of each way counts:

- ``n_jobs=1``: one process, numpy's BLAS with its default threads (2 here);
- ``loky``: ``n_jobs=2`` with joblib's default backend (2 worker processes,
  whose BLAS joblib limits to 1 thread each);
- ``dask``: a LocalCluster of 2 worker processes x 1 thread (their BLAS set
  to 1 thread by distributed's nanny), ``n_jobs=-1`` under
  ``joblib.parallel_config(backend="dask")``; the cluster starts before the
  clock (a cluster outlives many searches), its start time is printed too;
  as the example starts it, without distributed's ``MALLOC_TRIM_THRESHOLD_``
  in the workers' environment;
- ``dask, trim``: the same cluster with distributed's default environment.

    python benchmarks/bench_distributed.py [--data-home PATH] [--rounds 3] [--repeats 2]
"""

import argparse
import json
import sys
import time
import warnings

from _examples import load_example, run_fresh  # same folder

MAX_ITER = 20
WAYS = ("n_jobs=1", "loky", "dask", "dask, trim")


def _blas():
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info["user_api"] == "blas" and "numpy" in info["filepath"]:
            return (
                f"{info['internal_api']} {info.get('version')}, "
                f"{info.get('architecture', '?')} kernels, {info['num_threads']} threads"
            )
    return "unknown"


def time_search(how, data_home, repeats):
    """In a fresh process: the best seconds of ``repeats`` searches run
    ``how`` (one of WAYS), the best parameters, the cluster's start seconds
    (dask) and the BLAS the searching process sees."""
    import joblib

    warnings.simplefilter("ignore")
    example = load_example("distributed_search")
    X, y = example.load_reviews(data_home)
    setup, client = 0.0, None
    if how.startswith("dask"):
        begin = time.perf_counter()
        client = example.start_client(trim_memory=how == "dask, trim")
        setup = time.perf_counter() - begin
    backend = {"n_jobs=1": "sequential", "loky": "loky"}.get(how, "dask")
    best, search = float("inf"), None
    for _ in range(repeats):
        search = example.grid_search(MAX_ITER)
        if how == "n_jobs=1":
            search.set_params(n_jobs=1)
        elif how == "loky":
            search.set_params(n_jobs=2)
        begin = time.perf_counter()
        with joblib.parallel_config(backend=backend):
            search.fit(X, y)
        best = min(best, time.perf_counter() - begin)
    if client is not None:
        client.close()
    return best, search.best_params_, setup, _blas()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of the four ways")
    parser.add_argument("--repeats", type=int, default=2, help="searches per process")
    parser.add_argument("--one", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a fresh interpreter for one way; the parent reads its json
        print(json.dumps(time_search(args.one, args.data_home, args.repeats)))
        return
    results = {}
    for _ in range(args.rounds):
        for how in WAYS:
            arguments = ["--one", how, "--repeats", str(args.repeats)]
            result = run_fresh(__file__, arguments, args.data_home)
            if how not in results or result[0] < results[how][0]:
                results[how] = result
    print(f"numpy BLAS in the searching process: {results['n_jobs=1'][3]}")
    runs = f"best of {args.rounds} x {args.repeats}"
    print(f"8 candidates x 3 folds, {MAX_ITER} epochs a fit; {runs}")
    dask_seconds = results["dask"][0]
    for how, (seconds, _, setup, _) in results.items():
        extra = f" (cluster start {setup:.1f} s)" if how.startswith("dask") else ""
        print(f"  {how:13} {seconds:6.1f} s  {seconds / dask_seconds:.2f} x dask's time{extra}")
    same = all(result[1] == results["n_jobs=1"][1] for result in results.values())
    print(f"  same best parameters every way: {same}")


if __name__ == "__main__":
    sys.exit(main())
