"""skrnn: recurrent neural networks as scikit-learn estimators."""

from ._classifier import RNNClassifier
from ._language_model import RNNLanguageModel
from ._regressor import RNNRegressor
from ._seq2seq import RNNSeq2Seq
from ._tagger import RNNSequenceTagger
from ._version import __version__
from .preprocessing import SequencePatcher, SequenceScaler
from .text import SequenceVectorizer

__all__ = [
    "RNNClassifier",
    "RNNLanguageModel",
    "RNNRegressor",
    "RNNSeq2Seq",
    "RNNSequenceTagger",
    "SequencePatcher",
    "SequenceScaler",
    "SequenceVectorizer",
    "__version__",
]
