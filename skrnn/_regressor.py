"""RNNRegressor: one real value (or vector) per sequence (many-to-one)."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array

from ._base import SupervisedRNN, with_parameters
from ._docstrings import fill_doc


@fill_doc
@with_parameters(pooling="last")
class RNNRegressor(RegressorMixin, SupervisedRNN):
    """Recurrent neural network regressor: one target (or vector) per sequence.

    The hidden state after the last real step of each sequence goes through a
    linear output layer; trained with half squared error, like
    :class:`~sklearn.neural_network.MLPRegressor`.

    Parameters
    ----------
    {network}
    {bidirectional}
    {pooling}
    {optimizer}
    {sequences}
    {control}

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    {fitted}

    See Also
    --------
    RNNClassifier : Many-to-one classification.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=n) for n in rng.randint(3, 12, size=200)]  # ragged
    >>> y = np.array([seq.sum() for seq in X])
    >>> reg = RNNRegressor(hidden_size=16, learning_rate_init=0.01,
    ...                    random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **SupervisedRNN._parameter_constraints,
        "pooling": [StrOptions({"last", "mean", "max"})],
    }
    _output_activation = "identity"
    _loss = "squared_error"

    def _encode_targets(self, y, data, spec, reset, classes=None):
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        if y.ndim > 2:
            raise ValueError(
                f"y must be 1-D or 2-D (n_sequences[, n_targets]). Got an array of "
                f"shape {y.shape} instead."
            )
        if len(y) != len(data):
            raise ValueError(
                f"X holds {len(data)} sequences but y holds {len(y)} targets; give "
                f"one target per sequence. Got {len(y)} targets instead."
            )
        y2 = y.reshape(len(y), -1)
        if not reset and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} targets per sequence but the model was fitted "
                f"with {self.n_outputs_}. Got {y2.shape[1]} instead."
            )
        fitted = {"_y_ndim": y.ndim, "n_outputs_": y2.shape[1]} if reset else {}
        return y2.astype(np.dtype(self.dtype)), y2.shape[1], fitted

    def _validation_score(self, outputs, targets, weights):
        return float(r2_score(targets, outputs, sample_weight=weights))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over X and y.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, as for :meth:`fit`.
        y : array-like of shape (n_sequences,) or (n_sequences, n_targets)
            Targets.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence, as for :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted target(s) of every sequence.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the layout used in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_sequences,) or (n_sequences, n_targets)
            Predictions, 1-D when y was 1-D in ``fit``.
        """
        out = self._predict_outputs(X)[0]
        return out.ravel() if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
