"""What a saved skrnn object holds, and the version it was saved with.

This module imports nothing of skrnn but the version and the warning class,
so any public class (the text vectorizer included) can use it without
pulling in the recurrent core.
"""

import warnings

from ._version import __version__
from .exceptions import InconsistentVersionWarning


class PersistenceMixin:
    """Pickle only the model: parameters, weights, vocabularies.

    Training state such as optimizer moments (as large as the weights, twice
    over) is left out: attributes named in ``_training_state`` are dropped,
    so ``partial_fit`` on a loaded model starts a fresh optimizer, as
    ``warm_start`` does. The skrnn version is recorded and a different one
    warns on load (:class:`~skrnn.exceptions.InconsistentVersionWarning`).
    """

    _training_state = ()

    def __getstate__(self):
        state = super().__getstate__()
        for name in self._training_state:
            state.pop(name, None)
        state["_skrnn_version"] = __version__
        return state

    def __setstate__(self, state):
        saved = state.pop("_skrnn_version", "unknown")
        if saved != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_skrnn_version=__version__,
                    original_skrnn_version=saved,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
