"""Warnings and errors specific to skrnn."""

__all__ = ["InconsistentVersionWarning"]


class InconsistentVersionWarning(UserWarning):
    """A model is being loaded with another skrnn version than saved it.

    Like :class:`sklearn.exceptions.InconsistentVersionWarning`: the model may
    load and predict, but nothing guarantees it; re-fit, or install the version
    that saved it (``original_skrnn_version``).

    Parameters
    ----------
    estimator_name : str
        Class of the loaded object.
    current_skrnn_version : str
        The installed version.
    original_skrnn_version : str
        The version that saved the object.

    Examples
    --------
    >>> import warnings
    >>> from skrnn.exceptions import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     estimator_name="RNNClassifier",
    ...     current_skrnn_version="0.2.0",
    ...     original_skrnn_version="0.1.0",
    ... )
    >>> warning.original_skrnn_version
    '0.1.0'
    >>> # make loading a model saved by another version an error:
    >>> warnings.simplefilter("error", InconsistentVersionWarning)
    >>> warnings.resetwarnings()
    """

    def __init__(self, *, estimator_name, current_skrnn_version, original_skrnn_version):
        self.estimator_name = estimator_name
        self.current_skrnn_version = current_skrnn_version
        self.original_skrnn_version = original_skrnn_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from skrnn version "
            f"{self.original_skrnn_version} when using version "
            f"{self.current_skrnn_version}. This might lead to breaking code or "
            "invalid results. Use at your own risk. Re-fit the model, or install "
            f"skrnn=={self.original_skrnn_version}."
        )
