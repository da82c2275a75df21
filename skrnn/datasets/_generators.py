"""Synthetic sequence data sets."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_sequences": [Interval(Integral, 1, None, closed="left")],
        "length": [Interval(Integral, 1, None, closed="left")],
        "k": [Interval(Integral, 2, None, closed="left")],
        "one_hot": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_mod_sequences(n_sequences, length, k=3, one_hot=True, random_state=None):
    """Sequences of digits x_t in {0..k-1} tagged with y_t = (x_t + 1) mod k.

    The many-to-many seed: every step's label follows from its input, so a
    tagger should get (nearly) every step right.

    Parameters
    ----------
    n_sequences : int
        Number of sequences.
    length : int
        Steps per sequence.
    k : int, default=3
        Number of digits.
    one_hot : bool, default=True
        Encode x as one-hot vectors ``(n, length, k)``; otherwise return the
        digit values as a float array ``(n, length)`` (univariate sequences;
        floats so that they are read as values, not as token ids with 0 =
        padding).
    random_state : int, RandomState instance or None, default=None
        Seed for the digits.

    Returns
    -------
    X : ndarray of shape (n_sequences, length, k) or (n_sequences, length)
        Inputs.
    y : ndarray of shape (n_sequences, length), dtype int
        ``(x + 1) % k`` at every step.

    Examples
    --------
    >>> from skrnn.datasets import make_mod_sequences
    >>> X, y = make_mod_sequences(2, 4, one_hot=False, random_state=0)
    >>> X
    array([[0., 1., 0., 1.],
           [1., 2., 0., 2.]])
    >>> y
    array([[1, 2, 1, 2],
           [2, 0, 1, 0]])
    """
    rng = check_random_state(random_state)
    digits = rng.randint(k, size=(n_sequences, length))
    y = (digits + 1) % k
    if one_hot:
        return np.eye(k)[digits], y
    return digits.astype(np.float64), y
