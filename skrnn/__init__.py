"""skrnn: recurrent neural networks as scikit-learn estimators."""

from ._classifier import RNNClassifier
from ._regressor import RNNRegressor
from .text import SequenceVectorizer

__version__ = "0.1.0"

__all__ = ["RNNClassifier", "RNNRegressor", "SequenceVectorizer", "__version__"]
