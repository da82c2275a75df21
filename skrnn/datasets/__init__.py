"""Data for the examples and tests: the seeds embedded, generators, readers."""

from ._base import load_kafka, load_zhou_sentiment
from ._conllu import load_conllu
from ._generators import make_mod_sequences

__all__ = ["load_conllu", "load_kafka", "load_zhou_sentiment", "make_mod_sequences"]
