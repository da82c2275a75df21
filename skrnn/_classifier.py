"""RNNClassifier: one label per sequence (many-to-one)."""

from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array, column_or_1d

from ._base import LabelsMixin, SupervisedRNN, with_parameters
from ._docstrings import fill_doc
from ._sequences import warn_unseen_labels


@fill_doc
@with_parameters(pooling="last", class_weight=None)
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
        "pooling": [StrOptions({"last", "mean", "max"})],
    }

    def _encode_targets(self, y, data, spec, reset, classes=None):
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=None, input_name="y"), warn=True)
        if len(y) != len(data):
            raise ValueError(
                f"X holds {len(data)} sequences but y holds {len(y)} labels; give "
                f"one label per sequence. Got {len(y)} labels instead."
            )
        codes, fitted = self._encode_labels(y, reset, classes)
        return codes, len(fitted["classes_"]), fitted

    def _stratify(self, targets):
        return targets

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
        return self._partial_fit_with_classes(X, y, classes, sample_weight)

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
        return self.classes_[proba.argmax(axis=1)]

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
