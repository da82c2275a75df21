"""The .ts reader (every header field, layouts, errors by line) and fetch_ucr."""

import hashlib

import numpy as np
import pytest

from skrnn.datasets import _ts, fetch_ucr, load_ts_file

from .conftest import write_zip

HEADER = (
    "# a comment\n@problemName Toy\n@timeStamps false\n@missing {missing}\n"
    "@univariate {univariate}\n{dimensions}@equalLength {equal}\n{length}"
    "{label}\n@data\n"
)


def _write(
    tmp_path,
    body,
    missing="false",
    univariate="true",
    dimensions="",
    equal="true",
    length="@seriesLength 3\n",
    label="@classLabel true a b",
):
    path = tmp_path / "toy.ts"
    header = HEADER.format(
        missing=missing,
        univariate=univariate,
        dimensions=dimensions,
        equal=equal,
        length=length,
        label=label,
    )
    path.write_text(header + body)
    return path


def test_univariate_equal_length_classes(tmp_path):
    X, y = load_ts_file(_write(tmp_path, "1,2,3:a\n4,5,6:b\n"))
    np.testing.assert_array_equal(X[1], [[4.0], [5.0], [6.0]])
    assert y.tolist() == ["a", "b"]


def test_multivariate_unequal_length(tmp_path):
    path = _write(
        tmp_path,
        "1,2,3:4,5,6:a\n7,8:9,10:b\n",
        univariate="false",
        dimensions="@dimensions 2\n",
        equal="false",
        length="",
    )
    X, y = load_ts_file(path)
    assert [x.shape for x in X] == [(3, 2), (2, 2)]
    np.testing.assert_array_equal(X[1][:, 1], [9, 10])


def test_regression_targets_and_no_labels(tmp_path):
    two = "@seriesLength 2\n"
    X, y = load_ts_file(
        _write(tmp_path, "1,2:0.5\n3,4:-2\n", length=two, label="@targetLabel true")
    )
    assert y.dtype.kind == "f" and y.tolist() == [0.5, -2.0]
    X, y = load_ts_file(_write(tmp_path, "1,2\n3,4\n", length=two, label="@classLabel false"))
    assert y is None and len(X) == 2


def test_missing_values_are_named_or_nan(tmp_path):
    path = _write(tmp_path, "1,2,3:a\n4,?,6:b\n", missing="true")
    with pytest.raises(ValueError, match=r"toy.ts:11: dimension 0 has missing values"):
        load_ts_file(path)
    X, _ = load_ts_file(path, missing="nan")
    assert np.isnan(X[1][1, 0])


@pytest.mark.parametrize(
    "body, kwargs, pattern",
    [
        ("1,2,3:c\n", {}, r":10: class 'c' is not among"),
        ("1,2,x:a\n", {}, r":10: dimension 0 holds a value that is not a number"),
        ("1,2:3,4:a\n", {}, r":10: 2 dimensions where the header says 1"),
        ("1,2:3:a\n", dict(univariate="false", dimensions="@dimensions 2\n"), "different lengths"),
        ("", {}, "no case after @data"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, body, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        load_ts_file(_write(tmp_path, body, **kwargs))


def test_time_stamps_are_refused(tmp_path):
    path = tmp_path / "t.ts"
    path.write_text("@timeStamps true\n@classLabel true a\n@data\n(0,1),(1,2):a\n")
    with pytest.raises(ValueError, match="@timeStamps true"):
        load_ts_file(path)


def test_fetch_ucr_downloads_checks_and_caches(server, tmp_path, monkeypatch):
    url, served, asked = server
    content = b"@univariate true\n@classLabel true 1 2\n@data\n1,2,3:1\n3,2,1:2\n"
    write_zip(served / "Toy.zip", {"Toy/Toy_TRAIN.ts": content, "Toy/Toy_TEST.ts": content})
    monkeypatch.setattr(_ts, "UCR_URL", url + "/{name}.zip")
    monkeypatch.setitem(_ts.UCR_SHA256, "Toy_TRAIN.ts", hashlib.sha256(content).hexdigest())
    home = tmp_path / "cache"
    X, y = fetch_ucr("Toy", data_home=home)
    assert len(X) == 2 and y.tolist() == ["1", "2"]
    assert (home / "ucr" / "Toy_TRAIN.ts").read_bytes() == content
    fetch_ucr("Toy", data_home=home)
    assert asked == ["/Toy.zip"]  # the second call read the cache
    monkeypatch.setitem(_ts.UCR_SHA256, "Toy_TEST.ts", "0" * 64)
    with pytest.raises(OSError, match="not the expected"):
        fetch_ucr("Toy", "test", data_home=home)
    assert not (home / "ucr" / "Toy_TEST.ts").exists()


@pytest.mark.parametrize(
    "name, n_train, shape, n_classes",
    [
        ("ArrowHead", 36, (251, 1), 3),
        ("BasicMotions", 40, (100, 6), 4),
        ("GunPoint", 50, (150, 1), 2),
        ("OSULeaf", 200, (427, 1), 6),
        ("ItalyPowerDemand", 67, (24, 1), 2),
        ("ACSF1", 100, (1460, 1), 10),
    ],
)
def test_the_six_problems_at_hand(data_home, name, n_train, shape, n_classes):
    X, y = fetch_ucr(name, data_home=data_home)
    assert len(X) == n_train and X[0].shape == shape and len(set(y)) == n_classes
