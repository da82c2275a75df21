"""How the time-series recipe's patch sizes were chosen: cross-validation on the training splits.

For each archive problem of ``examples/time_series.py`` and each patch size,
the example's network (``rnn_model``) at random states 0-4 predicts the
class probabilities of every training series from a model fitted on the
other three of 4 stratified folds (``cross_val_predict``). A candidate set
of patch sizes scores the accuracy of those probabilities averaged over its
sizes and states, the ensemble the recipe would build. The test splits are
never read. Patch size 1 costs the most (OSULeaf: 427 steps), so it is left
out unless ``--sizes`` names it.

    python benchmarks/select_patch_sizes.py [--data-home PATH] [--sizes 2 4 8 16]
        [--problems ArrowHead ...]
"""

import argparse
import itertools
import warnings

import numpy as np
from _examples import load_example  # same folder
from sklearn.model_selection import StratifiedKFold, cross_val_predict

FOLDS = StratifiedKFold(4, shuffle=True, random_state=0)


def out_of_fold_probabilities(example, X_scaled, y, size, state):
    """Probabilities of every training series, each from the fold without it."""
    model = example.rnn_model(size, state)
    return cross_val_predict(model, X_scaled, y, cv=FOLDS, method="predict_proba", n_jobs=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data-home", default=None, help="data cache (None: skrnn's default)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument("--states", type=int, default=5, help="random states per size")
    parser.add_argument("--problems", nargs="+", default=None, help="(default: all four)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from skrnn.datasets import fetch_ucr

    example = load_example("time_series")
    candidates = [
        subset
        for r in range(1, len(args.sizes) + 1)
        for subset in itertools.combinations(args.sizes, r)
    ]
    problems = tuple(args.problems or example.PROBLEMS + example.LONG)
    scores = {}
    for problem in problems:
        X, y = fetch_ucr(problem, data_home=args.data_home)
        # the recipe's first step, once: per-series scaling learns nothing across series
        X_scaled = example.recipe()[0].fit_transform(X)
        classes = np.unique(y)
        probabilities = {
            (size, state): out_of_fold_probabilities(example, X_scaled, y, size, state)
            for size in args.sizes
            for state in range(args.states)
        }
        for subset in candidates:
            mean = np.mean([probabilities[s, r] for s in subset for r in range(args.states)], 0)
            scores[subset, problem] = np.mean(classes[mean.argmax(axis=1)] == y)
    means = {subset: np.mean([scores[subset, p] for p in problems]) for subset in candidates}
    print(f"{'patch sizes':16}" + "".join(f"{p:>13}" for p in problems) + f"{'mean':>8}")
    for subset in sorted(candidates, key=lambda subset: -means[subset]):
        row = "".join(f"{scores[subset, p]:13.3f}" for p in problems)
        print(f"{', '.join(map(str, subset)):16}{row}{means[subset]:8.3f}")


if __name__ == "__main__":
    main()
