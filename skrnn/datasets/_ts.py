"""The UCR/UEA time-series archive: its ``.ts`` format and its problems."""

import os

import numpy as np
from sklearn.utils._param_validation import StrOptions, validate_params

from ._fetch import DATA_HOME_CONSTRAINTS, RemoteFile, fetch_file, zip_member

_FLAGS = ("timestamps", "missing", "univariate", "equallength")


def _flag(value, number, path):
    if value.lower() not in ("true", "false"):
        raise ValueError(f"{path}:{number}: expected true or false. Got {value!r} instead.")
    return value.lower() == "true"


def _read_header(lines, path):
    """The ``@`` fields before ``@data``, and the line number after it."""
    header = {"classlabel": False, "targetlabel": False, "labels": None}
    for number, line in lines:
        if not line or line.startswith("#"):
            continue
        key, _, rest = line.partition(" ")
        key = key.lower()
        if key == "@data":
            return header
        if key == "@classlabel":
            flag, *labels = rest.split()
            header["classlabel"] = _flag(flag, number, path)
            header["labels"] = labels if header["classlabel"] else None
        elif key == "@targetlabel":
            header["targetlabel"] = _flag(rest.strip(), number, path)
        elif key in ("@dimensions", "@serieslength"):
            header[key[1:]] = int(rest)
        elif key[1:] in _FLAGS:
            header[key[1:]] = _flag(rest.strip(), number, path)
        elif not key.startswith("@"):
            raise ValueError(f"{path}:{number}: a data line before @data. Got {line[:40]!r}.")
    raise ValueError(f"{path} has no @data line: it is not a .ts file.")


def _read_case(line, number, header, path, missing):
    """One case: its ``(T, d)`` values and its label (or None)."""
    fields = line.split(":")
    label = None
    if header["classlabel"] or header["targetlabel"]:
        *fields, label = fields
        label = label.strip()
        if header["classlabel"] and label not in header["labels"]:
            raise ValueError(
                f"{path}:{number}: class {label!r} is not among the @classLabel values "
                f"{header['labels']}. Got an undeclared class instead."
            )
    dims = header.get("dimensions", 1 if header.get("univariate", True) else None)
    if dims is not None and len(fields) != dims:
        raise ValueError(
            f"{path}:{number}: {len(fields)} dimensions where the header says {dims}. Got "
            f"{len(fields)} instead."
        )
    series = []
    for d, field in enumerate(fields):
        values = field.strip().split(",")
        if "?" in values and missing == "raise":
            raise ValueError(
                f"{path}:{number}: dimension {d} has missing values ('?'). skrnn's "
                "estimators need complete sequences: impute them, or read them as NaN "
                "with missing='nan'. Got missing values instead."
            )
        try:
            series.append(np.array([np.nan if v == "?" else float(v) for v in values]))
        except ValueError:
            raise ValueError(
                f"{path}:{number}: dimension {d} holds a value that is not a number. Got "
                f"{field[:40]!r} instead."
            ) from None
    if len({len(s) for s in series}) > 1:
        raise ValueError(
            f"{path}:{number}: the dimensions have different lengths "
            f"{[len(s) for s in series]}; a case's dimensions must be as long as each other."
        )
    return np.column_stack(series), label


@validate_params(
    {"path": [str, os.PathLike], "missing": [StrOptions({"raise", "nan"})]},
    prefer_skip_nested_validation=True,
)
def load_ts_file(path, *, missing="raise"):
    """Read a UCR/UEA archive file (``.ts``) as sequences and their labels.

    Univariate and multivariate, equal and unequal length; classification
    (``@classLabel``) and regression (``@targetLabel``) problems.

    Parameters
    ----------
    path : str or path-like
        The ``.ts`` file.
    missing : {'raise', 'nan'}, default='raise'
        What a missing value (``?``) does: raise a ValueError naming its
        line, or become NaN.

    Returns
    -------
    X : list of ndarray of shape (T_i, n_dimensions)
        The cases, each a sequence of steps; the layout every skrnn
        estimator takes.
    y : ndarray of shape (n_cases,) or None
        Class labels (str) or regression targets (float); None when the
        file has neither.

    Examples
    --------
    >>> import os, tempfile
    >>> from skrnn.datasets import load_ts_file
    >>> text = "@univariate false\\n@dimensions 2\\n@classLabel true a b\\n@data\\n"
    >>> text += "1,2,3:4,5,6:a\\n7,8:9,10:b\\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "tiny.ts")
    ...     with open(path, "w") as f:
    ...         _ = f.write(text)
    ...     X, y = load_ts_file(path)
    >>> [x.shape for x in X], y.tolist()
    ([(3, 2), (2, 2)], ['a', 'b'])
    """
    with open(path, encoding="utf-8") as handle:
        lines = ((n, line.strip()) for n, line in enumerate(handle, start=1))
        header = _read_header(lines, path)
        if header.get("timestamps"):
            raise ValueError(
                f"{path} has @timeStamps true; time-stamped series are not read. Got "
                "time stamps instead."
            )
        cases = [
            _read_case(line, n, header, path, missing)
            for n, line in lines
            if line and not line.startswith("#")
        ]
    if not cases:
        raise ValueError(f"{path} has no case after @data. Got an empty file instead.")
    X = [values for values, _ in cases]
    if header["classlabel"]:
        return X, np.array([label for _, label in cases])
    if header["targetlabel"]:
        return X, np.array([float(label) for _, label in cases])
    return X, None


UCR_URL = "https://timeseriesclassification.com/aeon-toolkit/{name}.zip"
#: sha256 of the archive files of the problems checked so far; the files of
#: other problems are used unchecked
UCR_SHA256 = {
    "ArrowHead_TRAIN.ts": "a83c470aaf611a5f5284377cce27a5fc9f6292bc3d110257b0fd4905ced5ee72",
    "ArrowHead_TEST.ts": "5417dab42626d41df5e435bb22458c2df40dfad4bcd3b59559bbe72e20e84904",
    "BasicMotions_TRAIN.ts": "8dc43cc6306cb679c888c01e26f91772ac4441a916da43bac8b79734a538b9d6",
    "BasicMotions_TEST.ts": "79213102bc6fca1a398ad98ce1185dff0208fa3d1465e687f48288946b0ff8dc",
    "GunPoint_TRAIN.ts": "f842401779fd9800d247d8b33121a1a4643710a19b24917dbdd9a060ca8630d5",
    "GunPoint_TEST.ts": "79332750788a6227b325b96bd0d70130c8eb707b9731f8d7dec62b7a7d36017e",
    "OSULeaf_TRAIN.ts": "86b9d6e860414ffd26cebc62fff84ffb37fa588ef3e5bf79e4094a437c36ddfc",
    "OSULeaf_TEST.ts": "6c549dd354f9e42d5985fa5fab75321ca9acefc7873457e71467fc8a31f107ce",
}


@validate_params(
    {
        "name": [str],
        "subset": [StrOptions({"train", "test"})],
        **DATA_HOME_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def fetch_ucr(name, subset="train", *, data_home=None, download_if_missing=True):
    """A problem of the UCR/UEA time-series classification archive.

    The problem's zip is downloaded once from the archive's public site
    (timeseriesclassification.com; Dau et al., 2019; Bagnall et al., 2018),
    its ``.ts`` file for ``subset`` kept in the data cache as
    ``ucr/<name>_<SUBSET>.ts`` and read with :func:`load_ts_file`. The
    files of ArrowHead, BasicMotions, GunPoint and OSULeaf are checked by
    sha256; other problems' files are used unchecked. Cite the archive and
    the problem's donors (in the file's header) when you publish results.

    Parameters
    ----------
    name : str
        The problem, as the archive names it ('GunPoint', 'BasicMotions').
    subset : {'train', 'test'}, default='train'
        The archive's own split.
    data_home : str or path-like, default=None
        The data cache (see :func:`get_data_home`); a folder holding
        ``ucr/<name>_TRAIN.ts`` placed by hand works too.
    download_if_missing : bool, default=True
        Download the file if the cache lacks it; otherwise raise ``OSError``.

    Returns
    -------
    X : list of ndarray of shape (T_i, n_dimensions)
        The series.
    y : ndarray of shape (n_cases,)
        Their labels.
    """
    file = f"{name}_{subset.upper()}.ts"
    remote = RemoteFile(f"ucr/{file}", UCR_URL.format(name=name), UCR_SHA256.get(file))
    path = fetch_file(
        remote, data_home, download_if_missing=download_if_missing, transform=zip_member(file)
    )
    return load_ts_file(path)
