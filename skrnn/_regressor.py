"""RNNRegressor: one real value (or vector) per sequence (many-to-one)."""

from sklearn.base import RegressorMixin, _fit_context

from ._base import POOLING_CONSTRAINT, SupervisedRNN, _fitted_attribute
from ._docstrings import fill_doc
from ._tasks import RegressionTask


@fill_doc
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
        "pooling": POOLING_CONSTRAINT,
    }
    _architecture = SupervisedRNN._architecture + ("pooling",)
    _task_type = RegressionTask

    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=False,
        cell="gru",
        embedding_dim=None,
        dropout=0.0,
        input_dropout=0.0,
        output_dropout=0.0,
        recurrent_init="uniform",
        forget_bias=1.0,
        solver="adam",
        learning_rate_init=0.005,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0001,
        batch_size=32,
        max_iter=200,
        max_fun=15000,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        verbose=False,
        clip_value=None,
        clip_norm=None,
        dtype="float32",
        input_type="auto",
        n_tokens=None,
        embedding_init=None,
        freeze_embedding=False,
        pooling="last",
    ):
        super().__init__(
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            cell=cell,
            embedding_dim=embedding_dim,
            dropout=dropout,
            input_dropout=input_dropout,
            output_dropout=output_dropout,
            recurrent_init=recurrent_init,
            forget_bias=forget_bias,
            solver=solver,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            alpha=alpha,
            batch_size=batch_size,
            max_iter=max_iter,
            max_fun=max_fun,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            warm_start=warm_start,
            verbose=verbose,
            clip_value=clip_value,
            clip_norm=clip_norm,
            dtype=dtype,
            input_type=input_type,
            n_tokens=n_tokens,
            embedding_init=embedding_init,
            freeze_embedding=freeze_embedding,
        )
        self.pooling = pooling

    def _readout(self):
        return self.pooling

    n_outputs_ = _fitted_attribute(
        "n_outputs_", lambda self: self._task.n_outputs, "Number of targets."
    )

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
        outputs, _ = self._predict_outputs(X)
        return self._task.values(outputs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
