"""Scaling and patching sequences of real values, in every layout skrnn's
estimators take."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._persistence import PersistenceMixin
from ._sequences import DENSE, check_feature_count, check_sequences

__all__ = ["SequencePatcher", "SequenceScaler"]


def _safe_scale(scale):
    """A standard deviation to divide by: 1 where the values do not vary."""
    return np.where(scale > 10 * np.finfo(scale.dtype).eps, scale, 1.0)


class _StepTransformer(PersistenceMixin, TransformerMixin, BaseEstimator):
    """What the sequence transformers share: X read in any real-valued
    layout, its width learnt in ``fit`` and checked after, dtypes kept."""

    def _read(self, X, reset):
        data, spec = check_sequences(X, input_type=DENSE, spec=None if reset else self._spec)
        check_feature_count(self, X, spec, reset)
        return data, spec

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class SequenceScaler(OneToOneFeatureMixin, _StepTransformer):
    """Standardise sequences of real values, steps of any number and length.

    sklearn's scalers need a table; this one takes what skrnn's estimators
    take (a 2-D array of fixed-length univariate sequences, a 3-D array
    ``(n, T, d)``, or a list of ``(T_i,)`` / ``(T_i, d)`` arrays) and returns
    the same layout. By default each feature is standardised with the mean
    and standard deviation of all the steps of the training sequences, as
    ``StandardScaler`` would standardise the steps stacked; with
    ``per_sequence=True`` each sequence is z-normalised on its own, the
    convention of the UCR/UEA time-series archive (which makes series of
    different offsets and amplitudes comparable).

    Parameters
    ----------
    per_sequence : bool, default=False
        Z-normalise each sequence (each feature over its own steps) instead
        of using the training data's statistics.

    Attributes
    ----------
    mean_ : ndarray of shape (n_step_features,) or None
        Each feature's mean over the training steps (None with
        ``per_sequence``).
    scale_ : ndarray of shape (n_step_features,) or None
        Each feature's standard deviation over them (1 where it is 0).
    n_features_in_ : int
        The sequence length T for a 2-D array, else features per step.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceScaler
    >>> X = [np.array([[1.0], [2.0], [3.0]]), np.array([[5.0]])]
    >>> scaled = SequenceScaler().fit_transform(X)
    >>> [s.ravel().round(3).tolist() for s in scaled]
    [[-1.183, -0.507, 0.169], [1.521]]
    >>> [s.ravel().round(3).tolist() for s in SequenceScaler(per_sequence=True).fit_transform(X)]
    [[-1.225, 0.0, 1.225], [0.0]]
    """

    _parameter_constraints: dict = {"per_sequence": ["boolean"]}

    def __init__(self, per_sequence=False):
        self.per_sequence = per_sequence

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each feature's mean and standard deviation over all steps.

        Parameters
        ----------
        X : array-like or list of sequences
            Real-valued sequences, in any layout skrnn takes.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted scaler.
        """
        data, self._spec = self._read(X, reset=True)
        self.mean_ = self.scale_ = None
        if not self.per_sequence:
            self.mean_ = data.steps.mean(axis=0)
            self.scale_ = _safe_scale(data.steps.std(axis=0))
        return self

    def transform(self, X):
        """Standardise X; the result has X's layout.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the layout and width of ``fit``.

        Returns
        -------
        X_scaled : ndarray or list of ndarray
            The standardised sequences, as X came.
        """
        check_is_fitted(self)
        data, spec = self._read(X, reset=False)
        steps = data.steps
        if self.per_sequence:
            starts = data.starts
            sums = np.add.reduceat(steps, starts, axis=0) if len(steps) else steps
            lengths = np.maximum(data.lengths, 1)[:, None]
            means = np.repeat(sums / lengths, data.lengths, axis=0)
            squares = np.add.reduceat((steps - means) ** 2, starts, axis=0) if len(steps) else steps
            scales = np.repeat(_safe_scale(np.sqrt(squares / lengths)), data.lengths, axis=0)
            scaled = (steps - means) / scales
        else:
            scaled = (steps - self.mean_) / self.scale_
        return self._as_layout(scaled.astype(steps.dtype, copy=False), data, spec, X)

    @staticmethod
    def _as_layout(scaled, data, spec, X):
        n = len(data)
        if spec.layout == "table":
            return scaled.reshape(n, -1)
        if spec.layout == "array":
            return scaled.reshape(n, -1, spec.width)
        one_d = all(np.ndim(seq) == 1 for seq in X)
        parts = data.split(scaled)
        return [part.ravel() for part in parts] if one_d else parts


class SequencePatcher(_StepTransformer):
    """Join every ``patch_size`` consecutive steps of a sequence into one step.

    A series of ``T`` steps of ``d`` features becomes ``ceil(T / patch_size)``
    steps of ``patch_size * d`` features: the values of the patch's steps, in
    time order. A recurrent net then reads a few dozen steps, each carrying a
    short stretch of the curve, instead of hundreds of single values, which
    it often learns from far fewer examples (the "patches" that Nie et al.,
    ICLR 2023, give a transformer). The last patch
    of a sequence whose length is not a multiple of ``patch_size`` is
    completed with copies of its last step, so no step is dropped and a
    sequence shorter than a patch becomes one step. It learns nothing in
    ``fit`` but the input width.

    Use it for long univariate or few-channel series (hundreds of steps);
    short multivariate ones (tens of steps) lose more than they gain. Choose
    ``patch_size`` by cross-validation, for example in a ``GridSearchCV``
    over a pipeline, or average the probabilities of networks at several
    sizes with sklearn's ``VotingClassifier(voting='soft')``, which on a few
    dozen training series also steadies the result of any one network.

    Parameters
    ----------
    patch_size : int, default=8
        Steps per patch; 1 leaves every sequence as it is.

    Attributes
    ----------
    n_features_in_ : int
        The sequence length T for a 2-D array, else features per step.

    See Also
    --------
    SequenceScaler : Standardise sequences first (z-normalise each one for
        the UCR/UEA archive's convention).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequencePatcher
    >>> X = [np.arange(5.0), np.arange(2.0)]          # two univariate series
    >>> [p.tolist() for p in SequencePatcher(patch_size=2).fit_transform(X)]
    [[[0.0, 1.0], [2.0, 3.0], [4.0, 4.0]], [[0.0, 1.0]]]
    >>> SequencePatcher(patch_size=4).fit_transform(np.zeros((10, 100, 3))).shape
    (10, 25, 12)
    """

    _parameter_constraints: dict = {"patch_size": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, patch_size=8):
        self.patch_size = patch_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check X and learn its width.

        Parameters
        ----------
        X : array-like or list of sequences
            Real-valued sequences, in any layout skrnn takes.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted patcher.
        """
        _, self._spec = self._read(X, reset=True)
        return self

    def transform(self, X):
        """Join the steps of X into patches.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the width of ``fit``.

        Returns
        -------
        X_patched : ndarray or list of ndarray
            A 3-D array ``(n, ceil(T / patch_size), patch_size * d)`` for an
            array X (a 2-D one is ``d = 1``), else a list of
            ``(ceil(T_i / patch_size), patch_size * d)`` arrays.
        """
        check_is_fitted(self)
        data, spec = self._read(X, reset=False)
        size, lengths = self.patch_size, data.lengths
        patches = -(-lengths // size)
        ends = np.cumsum(patches)
        owner = np.repeat(np.arange(len(data)), patches)
        first_patch = ends - patches
        index = np.arange(len(owner)) - first_patch[owner]
        # the step each (patch, offset) reads: past the end, the sequence's last step
        offset = np.minimum(index[:, None] * size + np.arange(size), (lengths[owner] - 1)[:, None])
        rows = data.steps[data.starts[owner][:, None] + offset]
        patched = rows.reshape(len(owner), size * data.steps.shape[1])
        if spec.layout in ("table", "array"):
            return patched.reshape(len(data), -1, patched.shape[1])
        return np.split(patched, ends[:-1])
