"""What a saved skrnn object holds, and the version it was saved with.

This module imports nothing of skrnn but the version and the warning class,
so any public class (the text vectorizer included) can use it without
pulling in the recurrent core.
"""

import warnings

from ._version import __version__
from .exceptions import InconsistentVersionWarning


class PersistenceMixin:
    """Record the skrnn version in pickles; a different one warns on load
    (:class:`~skrnn.exceptions.InconsistentVersionWarning`).

    A pickle keeps everything training needs, the optimizer's state and the
    random state included, so ``partial_fit`` on a loaded copy continues
    exactly as on the original: a dask worker receiving the model between
    blocks relies on that.
    """

    def __getstate__(self):
        state = super().__getstate__()
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
