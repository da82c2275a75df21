"""Data for the examples and tests: the seeds embedded, generators, readers,
and fetchers that download public data sets once into a checked cache."""

from ._base import load_kafka, load_zhou_sentiment
from ._conllu import load_conllu
from ._fetch import get_data_home
from ._generators import make_dates, make_mod_sequences
from ._remote import (
    fetch_cmudict,
    fetch_sentiment_sentences,
    fetch_tiny_shakespeare,
    fetch_ud_treebank,
)
from ._ts import fetch_ucr, load_ts_file

__all__ = [
    "fetch_cmudict",
    "fetch_sentiment_sentences",
    "fetch_tiny_shakespeare",
    "fetch_ucr",
    "fetch_ud_treebank",
    "get_data_home",
    "load_conllu",
    "load_kafka",
    "load_ts_file",
    "load_zhou_sentiment",
    "make_dates",
    "make_mod_sequences",
]
