"""RNNClassifier: one label per sequence (many-to-one)."""

from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score

from ._base import POOLING_CONSTRAINT, LabelsMixin, SupervisedRNN
from ._docstrings import fill_doc
from ._sequences import warn_unseen_labels
from ._tasks import ClassificationTask


@fill_doc
class RNNClassifier(LabelsMixin, ClassifierMixin, SupervisedRNN):
    """Recurrent neural network classifier: one label per sequence.

    The sequence is read step by step by a recurrent layer; the hidden state
    after its last real step goes through a softmax output layer. Trained by
    back-propagation through time with cross-entropy loss, like
    :class:`~sklearn.neural_network.MLPClassifier` in every other respect.

    Parameters
    ----------
    {network}
    {bidirectional}
    {pooling}
    {optimizer}
    {sequences}
    {class_weight}
    {control}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    {fitted}

    See Also
    --------
    RNNRegressor : Many-to-one regression.
    SequenceVectorizer : Text to token ids.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 8, 2))          # 100 sequences, 8 steps
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> clf = RNNClassifier(hidden_size=16, max_iter=60, random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([1, 1, 0])
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    """

    _parameter_constraints: dict = {
        **SupervisedRNN._parameter_constraints,
        **LabelsMixin._parameter_constraints,
        "pooling": POOLING_CONSTRAINT,
    }
    _architecture = SupervisedRNN._architecture + ("pooling",)
    _task_type = ClassificationTask

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
        pooling="max",
        class_weight=None,
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
        self.class_weight = class_weight

    def _readout(self):
        return self.pooling

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over X and y.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, as for :meth:`fit`.
        y : array-like of shape (n_sequences,)
            Labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes y may hold; required on the first call.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence, as for :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def predict_proba(self, X):
        """Probability of each class for every sequence.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the layout used in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_classes)
            Class probabilities, columns ordered as ``classes_``.
        """
        return self._predict_outputs(X)[0]

    def predict(self, X):
        """Most probable class of every sequence.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the layout used in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_sequences,)
            Predicted labels.
        """
        proba, _ = self._predict_outputs(X)
        return self._task.labels(proba)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on the sequences X and their labels y.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the layout used in ``fit``.
        y : array-like of shape (n_sequences,)
            True labels; labels the model never saw are counted wrong, with a
            warning.
        sample_weight : array-like of shape (n_sequences,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy of ``predict(X)``.
        """
        y_pred = self.predict(X)
        warn_unseen_labels(type(self).__name__, self.classes_, y)
        return float(accuracy_score(y, y_pred, sample_weight=sample_weight))
