"""scikit-learn's common estimator checks on every public estimator."""

import inspect

from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import skrnn


def all_estimators():
    """Every public estimator class of skrnn, found by looking, not listed."""
    return [
        obj
        for name in skrnn.__all__
        if inspect.isclass(obj := getattr(skrnn, name))
        and issubclass(obj, BaseEstimator)
        and not getattr(obj, "_skip_common_checks", False)
    ]


def _instances():
    """Each estimator with its defaults, plus the gated cells, stacking,
    bidirectional layers and dropout through the same shared core."""
    variants = [
        dict(cell="lstm", bidirectional=True),
        dict(cell="gru", num_layers=2, dropout=0.1, recurrent_init="orthogonal", hidden_size=32),
    ]
    return [cls() for cls in all_estimators()] + [
        cls(**params) for cls in all_estimators() for params in variants
    ]


def _expected_failures(estimator):
    return getattr(estimator, "_expected_failed_checks", lambda: {})()


@parametrize_with_checks(_instances(), expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
