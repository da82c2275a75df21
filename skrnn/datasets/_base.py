"""Loaders for the data files shipped inside the package."""

import json
from importlib import resources

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

ZHOU_DESCR = """Toy sentiment sentences (Victor Zhou, "An introduction to recurrent
neural networks", 2019; github.com/vzhou842/rnn-from-scratch, MIT licence).

58 training and 20 test sentences, lower-case, 18 distinct words ("good",
"bad", "not", "very", "at all", ...). Target 1 = positive, 0 = negative.
The author's tanh RNN (hidden 64, SGD lr 0.02, clip +-1) reaches test
accuracy 1.0.
"""


def _read_text(name):
    return resources.files(__package__).joinpath("data", name).read_text("utf-8")


@validate_params(
    {"subset": [StrOptions({"train", "test", "all"})], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_zhou_sentiment(*, subset="train", return_X_y=False):
    """Load Victor Zhou's toy sentiment sentences (seed 1).

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        The author's training sentences (58), test sentences (20), or both.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (list of str), ``target`` (ndarray of int, 1 = positive),
        ``target_names`` (``['negative', 'positive']``) and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skrnn.datasets import load_zhou_sentiment
    >>> train = load_zhou_sentiment()
    >>> len(train.data), train.data[0], int(train.target[0])
    (58, 'good', 1)
    >>> X_test, y_test = load_zhou_sentiment(subset="test", return_X_y=True)
    >>> len(X_test)
    20
    """
    raw = json.loads(_read_text("zhou_sentiment.json"))
    parts = ["train", "test"] if subset == "all" else [subset]
    pairs = [(text, label) for part in parts for text, label in raw[part].items()]
    data = [text for text, _ in pairs]
    target = np.array([int(label) for _, label in pairs])
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=np.array(["negative", "positive"]),
        DESCR=ZHOU_DESCR,
    )


KAFKA_END = "End of the Project Gutenberg EBook"


@validate_params({"strip_license": ["boolean"]}, prefer_skip_nested_validation=True)
def load_kafka(*, strip_license=True):
    """Franz Kafka's *Metamorphosis* (David Wyllie's translation), the text of
    the character-level seed (min-char-rnn style).

    Project Gutenberg eBook #5200, public domain in the USA; the file keeps
    the Project Gutenberg license at its end.

    Parameters
    ----------
    strip_license : bool, default=True
        Drop the Project Gutenberg footer and license (from "End of the
        Project Gutenberg EBook" on), leaving the story only.

    Returns
    -------
    text : str
        The text.

    Examples
    --------
    >>> from skrnn.datasets import load_kafka
    >>> text = load_kafka()
    >>> text[:40]
    'One morning, when Gregor Samsa woke from'
    >>> len(load_kafka(strip_license=False)) > len(text)
    True
    """
    text = _read_text("kafka.txt")
    if strip_license:
        text = text[: text.index(KAFKA_END)].rstrip() + "\n"
    return text
