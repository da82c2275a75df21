"""Synthetic sequence data sets."""

import datetime
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_sequences": [Interval(Integral, 1, None, closed="left")],
        "length": [Interval(Integral, 1, None, closed="left")],
        "k": [Interval(Integral, 2, None, closed="left")],
        "one_hot": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_mod_sequences(n_sequences, length, k=3, one_hot=True, random_state=None):
    """Sequences of digits x_t in {0..k-1} tagged with y_t = (x_t + 1) mod k.

    The many-to-many seed: every step's label follows from its input, so a
    tagger should get (nearly) every step right.

    Parameters
    ----------
    n_sequences : int
        Number of sequences.
    length : int
        Steps per sequence.
    k : int, default=3
        Number of digits.
    one_hot : bool, default=True
        Encode x as one-hot vectors ``(n, length, k)``; otherwise return the
        digit values as a float array ``(n, length)`` (univariate sequences;
        floats so that they are read as values, not as token ids with 0 =
        padding).
    random_state : int, RandomState instance or None, default=None
        Seed for the digits.

    Returns
    -------
    X : ndarray of shape (n_sequences, length, k) or (n_sequences, length)
        Inputs.
    y : ndarray of shape (n_sequences, length), dtype int
        ``(x + 1) % k`` at every step.

    Examples
    --------
    >>> from skrnn.datasets import make_mod_sequences
    >>> X, y = make_mod_sequences(2, 4, one_hot=False, random_state=0)
    >>> X
    array([[0., 1., 0., 1.],
           [1., 2., 0., 2.]])
    >>> y
    array([[1, 2, 1, 2],
           [2, 0, 1, 0]])
    """
    rng = check_random_state(random_state)
    digits = rng.randint(k, size=(n_sequences, length))
    y = (digits + 1) % k
    if one_hot:
        return np.eye(k)[digits], y
    return digits.astype(np.float64), y


MONTHS = (
    "January February March April May June July August September October November December"
).split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()

#: how people write a date; day before month wherever both are numbers, so
#: that no written date stands for two days
DATE_FORMATS = (
    "{d} {B} {Y}",
    "{B} {d}, {Y}",
    "{A}, {B} {d}, {Y}",
    "{A} {d} {B} {Y}",
    "{d} {b} {Y}",
    "{b} {d} {Y}",
    "{b}. {d}, {Y}",
    "{dd}/{mm}/{Y}",
    "{dd}.{mm}.{Y}",
    "{d}.{m}.{yy}",
    "{dd}-{b}-{Y}",
    "{d} {B} '{yy}",
    "{Y}/{mm}/{dd}",
    "{B} {Y}, {d}",
    "the {d}{th} of {B} {Y}",
    "{a} {d} {b} {Y}",
)


def _ordinal_suffix(day):
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _written(day, form, lowercase):
    fields = {
        "d": str(day.day),
        "dd": f"{day.day:02d}",
        "m": str(day.month),
        "mm": f"{day.month:02d}",
        "Y": str(day.year),
        "yy": f"{day.year % 100:02d}",
        "B": MONTHS[day.month - 1],
        "b": MONTHS[day.month - 1][:3],
        "A": WEEKDAYS[day.weekday()],
        "a": WEEKDAYS[day.weekday()][:3],
        "th": _ordinal_suffix(day.day),
    }
    text = form.format(**fields)
    return text.lower() if lowercase else text


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "start": [str],
        "end": [str],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_dates(n_samples, *, start="1950-01-01", end="2049-12-31", random_state=None):
    """Dates written as people write them, and the same dates in ISO form.

    A sequence-to-sequence toy: the input is a date in one of 16 written
    forms ("3 March 2019", "Sunday, March 3, 2019", "03/03/2019", "the 3rd
    of March 2019", ...; a third of them lower-cased), the output the ISO
    date "2019-03-03". Days are drawn uniformly from ``start`` to ``end``.
    Where a form writes day and month as numbers, the day comes first, so no
    input stands for two dates; a two-digit year ('19) stands for one year
    only while ``start`` to ``end`` spans at most a century, as by default.
    Made with the standard library alone (English names, whatever the
    locale).

    Parameters
    ----------
    n_samples : int
        Number of dates.
    start, end : str, default='1950-01-01', '2049-12-31'
        The first and last day that may be drawn, in ISO form.
    random_state : int, RandomState instance or None, default=None
        Seed for the days, forms and case.

    Returns
    -------
    X : list of str
        The dates as written.
    y : list of str
        The same dates as ``YYYY-MM-DD``.

    Examples
    --------
    >>> from skrnn.datasets import make_dates
    >>> X, y = make_dates(3, random_state=0)
    >>> len(X), len(y), len(y[0])
    (3, 3, 10)
    >>> import datetime
    >>> all(datetime.date.fromisoformat(iso) for iso in y)
    True
    """
    try:
        first, last = (datetime.date.fromisoformat(day) for day in (start, end))
    except ValueError:
        raise ValueError(
            f"start={start!r} and end={end!r} must be ISO dates such as '1950-01-01'."
        ) from None
    if last < first:
        raise ValueError(f"end={end!r} comes before start={start!r}; swap them.")
    rng = check_random_state(random_state)
    offsets = rng.randint(0, (last - first).days + 1, size=n_samples)
    forms = rng.randint(0, len(DATE_FORMATS), size=n_samples)
    lowercase = rng.random_sample(n_samples) < 1 / 3
    days = [first + datetime.timedelta(days=int(k)) for k in offsets]
    X = [_written(day, DATE_FORMATS[f], low) for day, f, low in zip(days, forms, lowercase)]
    return X, [day.isoformat() for day in days]
