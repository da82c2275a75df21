"""Small data sets for the examples and tests: the seeds, embedded."""

from ._base import load_zhou_sentiment

__all__ = ["load_zhou_sentiment"]
