"""Data and metrics for output sequences of their own length: the date
generator, the CMU Pronouncing Dictionary fetcher, and the error rates."""

import datetime
import hashlib
import itertools
import pickle

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import KFold, cross_val_score

from skrnn.datasets import _remote, fetch_cmudict, make_dates
from skrnn.datasets._fetch import RemoteFile
from skrnn.metrics import (
    edit_distance,
    neg_token_error_rate_scorer,
    sequence_accuracy_scorer,
    sequence_error_rate,
    token_error_rate,
)

ENTRIES = (
    "cat K AE1 T\n"
    "tomato T AH0 M EY1 T OW2\n"
    "tomato(2) T AH0 M AA1 T OW2\n"
    "aalborg AO1 L B AO0 R G # place, danish\n"
)
BAD_LINE = ";;; a comment line is not a word\n"  # not in the real file


def reference_distance(a, b):
    """Levenshtein distance by the textbook recursion, for comparison."""
    a, b = list(a), list(b)
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i, j in itertools.product(range(1, len(a) + 1), range(1, len(b) + 1)):
        table[i][j] = min(
            table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] != b[j - 1])
        )
    return table[-1][-1]


def test_edit_distance_equals_the_textbook_recursion():
    rng = np.random.RandomState(0)
    for _ in range(300):
        a = "".join(rng.choice(list("abc"), size=rng.randint(0, 8)))
        b = "".join(rng.choice(list("abc"), size=rng.randint(0, 8)))
        assert edit_distance(a, b) == reference_distance(a, b), (a, b)
    assert edit_distance(["AH0", "B"], ["AH0", "B"]) == 0


def test_error_rates_count_any_reference_as_right():
    tomato = [list("TAHMEYTOW"), list("TAHMAATOW")]
    y_true = [tomato, [list("KAET")]]
    y_pred = [list("TAHMAATOW"), list("KAETS")]
    assert sequence_error_rate(y_true, y_pred, multiple_references=True) == 0.5
    # one insertion against the closest reference of 4 phones, over 9 + 4 reference phones
    assert token_error_rate(y_true, y_pred, multiple_references=True) == pytest.approx(1 / 13)
    assert sequence_error_rate(["abc", "abd"], ["abc", "abc"], sample_weight=[3, 1]) == 0.25
    assert token_error_rate(["abcd"], ["ab"]) == 0.5  # two deletions of four
    assert token_error_rate(["ab"], ["abcdef"]) == 2.0  # insertions can exceed the length


def test_error_rates_refuse_what_they_cannot_score():
    with pytest.raises(ValueError, match="one prediction per sample"):
        sequence_error_rate(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="multiple_references=True"):
        token_error_rate([[["a"], ["b"]]], [["a"]])
    with pytest.raises(ValueError, match="no reference"):
        sequence_error_rate([[]], ["a"], multiple_references=True)
    with pytest.raises(ValueError, match="references are empty"):
        token_error_rate([""], ["a"])
    with pytest.raises(ValueError, match="2 weights for 1 samples"):
        sequence_error_rate(["a"], ["a"], sample_weight=[1, 2])


def test_scorers_score_output_sequences_in_a_search():
    X = np.zeros((6, 1))
    y = np.array(["ab", "ab", "ab", "ba", "ab", "ab"], dtype=object)
    model = DummyClassifier(strategy="most_frequent")
    accuracy = cross_val_score(model, X, y, cv=KFold(2), scoring=sequence_accuracy_scorer)
    np.testing.assert_allclose(accuracy, [1.0, 2 / 3])
    neg_ter = cross_val_score(model, X, y, cv=KFold(2), scoring=neg_token_error_rate_scorer)
    np.testing.assert_allclose(neg_ter, [0.0, -2 / 6])  # "ab" for "ba": two substitutions
    assert pickle.loads(pickle.dumps(sequence_accuracy_scorer)) is not None


def test_make_dates_writes_every_date_so_that_it_names_one_day():
    X, y = make_dates(2000, random_state=0)
    assert len(X) == len(y) == 2000 and len(set(X)) > 1900
    days = [datetime.date.fromisoformat(iso) for iso in y]
    assert min(days) >= datetime.date(1950, 1, 1) and max(days) <= datetime.date(2049, 12, 31)
    for written, day in zip(X, days):
        assert str(day.day) in written and (
            str(day.year) in written or f"{day.year % 100:02d}" in written
        )
    assert sum(x == x.lower() for x in X) > 500  # a third lower-cased
    assert make_dates(5, random_state=1) == make_dates(5, random_state=1)
    assert set(make_dates(50, start="2020-02-29", end="2020-02-29", random_state=0)[1]) == {
        "2020-02-29"
    }
    with pytest.raises(ValueError, match="ISO dates"):
        make_dates(3, start="29/02/2020")
    with pytest.raises(ValueError, match="comes before"):
        make_dates(3, start="2020-01-02", end="2020-01-01")


def _serve_cmudict(monkeypatch, url, served, content):
    (served / "cmudict.dict").write_bytes(content)
    sha = hashlib.sha256(ENTRIES.encode()).hexdigest()
    remote = RemoteFile("cmudict/cmudict.dict", f"{url}/cmudict.dict", sha)
    monkeypatch.setattr(_remote, "CMUDICT", remote)


def test_fetch_cmudict_downloads_checks_and_reads_every_pronunciation(
    server, tmp_path, monkeypatch
):
    url, served, asked = server
    _serve_cmudict(monkeypatch, url, served, ENTRIES.encode())
    home = tmp_path / "cache"
    data = fetch_cmudict(data_home=home)
    assert data.data == ["cat", "tomato", "tomato", "aalborg"]
    assert data.target[2] == ["T", "AH0", "M", "AA1", "T", "OW2"]
    assert data.target[3] == ["AO1", "L", "B", "AO0", "R", "G"]  # the comment dropped
    words, phones = fetch_cmudict(stress=False, return_X_y=True, data_home=home)
    assert phones[0] == ["K", "AE", "T"] and asked == ["/cmudict.dict"]  # cached


def test_fetch_cmudict_names_the_line_it_cannot_read(tmp_path, monkeypatch):
    home = tmp_path / "cache"
    (home / "cmudict").mkdir(parents=True)
    path = home / "cmudict" / "cmudict.dict"
    path.write_text(ENTRIES + BAD_LINE)
    monkeypatch.setattr(_remote, "CMUDICT", RemoteFile("cmudict/cmudict.dict", "unused", None))
    with pytest.raises(ValueError, match=rf"{path}:5: expected a word and its ARPAbet phones"):
        fetch_cmudict(data_home=home)
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_cmudict(data_home=tmp_path / "empty", download_if_missing=False)


def test_the_real_dictionary(data_home):
    words, phones = fetch_cmudict(return_X_y=True, data_home=data_home, download_if_missing=False)
    assert len(words) == 135_166 and len(set(words)) > 126_000
    assert len({p.rstrip("012") for pron in phones for p in pron}) == 39
