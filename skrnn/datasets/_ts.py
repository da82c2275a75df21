"""The UCR/UEA time-series archive: its ``.ts`` format and its problems."""

import os
import re

import numpy as np
from sklearn.utils._param_validation import StrOptions, validate_params

from ._fetch import DATA_HOME_CONSTRAINTS, RemoteFile, fetch_file, zip_member
from ._lines import utf8_lines

_FLAGS = ("timestamps", "missing", "univariate", "equallength")
_COUNTS = ("dimensions", "serieslength")


def _flag(value, number, path):
    if value.lower() not in ("true", "false"):
        raise ValueError(f"{path}:{number}: expected true or false, not {value!r}.")
    return value.lower() == "true"


def _count(value, number, path, key):
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{path}:{number}: @{key} needs a whole number >= 1, not {value!r}.")
    return int(value)


def _read_header(lines, path):
    """The ``@`` fields before ``@data``."""
    header = {"classlabel": False, "targetlabel": False, "labels": None}
    for number, line in lines:
        if not line or line.startswith("#"):
            continue
        key, _, rest = line.partition(" ")
        key, rest = key.lower(), rest.strip()
        if key == "@data":
            return header
        if key == "@classlabel":
            flag, *labels = rest.split() or [""]
            header["classlabel"] = _flag(flag, number, path)
            if header["classlabel"] and not labels:
                raise ValueError(f"{path}:{number}: @classLabel true names no class.")
            header["labels"] = labels if header["classlabel"] else None
        elif key == "@targetlabel":
            header["targetlabel"] = _flag(rest, number, path)
        elif key[1:] in _COUNTS:
            header[key[1:]] = _count(rest, number, path, key[1:])
        elif key[1:] in _FLAGS:
            header[key[1:]] = _flag(rest, number, path)
        elif not key.startswith("@"):
            raise ValueError(
                f"{path}:{number}: a data line before @data ({line[:40]!r}). A .ts file "
                "has its @ headers, then @data, then one case per line."
            )
    raise ValueError(f"{path} has no @data line: it is not a .ts file.")


def _label(fields, header, number, path):
    """The case's class (str) or target (float), taken off its fields."""
    label = fields.pop().strip()
    if header["classlabel"] and label not in header["labels"]:
        raise ValueError(
            f"{path}:{number}: class {label!r} is not among the @classLabel values "
            f"{header['labels']}. Add it to the header, or correct the case."
        )
    if header["targetlabel"]:
        try:
            target = float(label)
        except ValueError:
            target = np.nan
        if not np.isfinite(target):
            raise ValueError(f"{path}:{number}: the target {label[:40]!r} is not a finite number.")
        return target
    return label


def _values(field, d, number, path, missing):
    values = field.strip().split(",")
    if "?" in values and missing == "raise":
        raise ValueError(
            f"{path}:{number}: dimension {d} has missing values ('?'). skrnn's "
            "estimators need complete sequences: impute them, or read them as NaN "
            "with missing='nan'."
        )
    try:
        series = np.array([np.nan if v == "?" else float(v) for v in values])
    except ValueError:
        raise ValueError(
            f"{path}:{number}: dimension {d} holds a value that is not a number "
            f"({field[:40]!r}). Values are numbers separated by commas, '?' where missing."
        ) from None
    known = np.array([v != "?" for v in values])
    if not np.isfinite(series[known]).all():
        raise ValueError(
            f"{path}:{number}: dimension {d} holds NaN or infinity. Write a missing "
            "value as '?', and give finite values."
        )
    return series


def _read_case(line, number, header, path, missing):
    """One case: its ``(T, d)`` values and its label (or None), checked
    against the header."""
    fields = line.split(":")
    label = None
    if header["classlabel"] or header["targetlabel"]:
        if len(fields) < 2:
            raise ValueError(f"{path}:{number}: the case has no label after its values.")
        label = _label(fields, header, number, path)
    dims = header.get("dimensions", 1 if header.get("univariate", True) else None)
    if dims is not None and len(fields) != dims:
        raise ValueError(
            f"{path}:{number}: {len(fields)} dimensions where the header says {dims}. "
            "Correct the case or the @dimensions / @univariate header."
        )
    series = [_values(field, d, number, path, missing) for d, field in enumerate(fields)]
    lengths = {len(s) for s in series}
    if len(lengths) > 1:
        raise ValueError(
            f"{path}:{number}: the dimensions have different lengths "
            f"{[len(s) for s in series]}; a case's dimensions must be as long as each other."
        )
    declared = header.get("serieslength")
    if header.get("equallength", False) and declared and lengths != {declared}:
        raise ValueError(
            f"{path}:{number}: {lengths.pop()} values per dimension where @seriesLength "
            f"says {declared}. Correct the case or the header."
        )
    if not header.get("missing", True) and np.isnan(np.concatenate(series)).any():
        raise ValueError(f"{path}:{number}: a missing value ('?') where @missing says false.")
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
    lines = ((n, line.strip()) for n, line in utf8_lines(path, ".ts"))
    header = _read_header(lines, path)
    if header.get("timestamps"):
        raise ValueError(
            f"{path} has @timeStamps true; time-stamped series are not read. Write the "
            "values without their time stamps."
        )
    cases = [
        (n, *_read_case(line, n, header, path, missing))
        for n, line in lines
        if line and not line.startswith("#")
    ]
    if not cases:
        raise ValueError(f"{path} has no case after @data: the file holds no series.")
    if header.get("equallength", False) and len({len(values) for _, values, _ in cases}) > 1:
        number = next(n for n, values, _ in cases if len(values) != len(cases[0][1]))
        raise ValueError(
            f"{path}:{number}: @equalLength says true, but this case has another length "
            f"than the first. Correct the case or set @equalLength false."
        )
    cases = [(values, label) for _, values, label in cases]
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
    "ItalyPowerDemand_TRAIN.ts": "341269cb7e6cef96846b30e774580beec79addb93848ba360145219115a74b7c",
    "ItalyPowerDemand_TEST.ts": "26122451f87dd0387ef90b18bc8a86c041371b8a1c068004922b939971247144",
    "ACSF1_TRAIN.ts": "0646b90dc4843e02baed6b2ba345c5601a4991b6796565489cef1b2d92a7537b",
    "ACSF1_TEST.ts": "93e8aaeb44a10af181d24a156e60da7021193cd990ca28f263fccf3b905bfebf",
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
    files of ACSF1, ArrowHead, BasicMotions, GunPoint, ItalyPowerDemand and
    OSULeaf are checked by sha256; other problems' files are used unchecked. Cite the archive and
    the problem's donors (in the file's header) when you publish results.

    Parameters
    ----------
    name : str
        The problem, as the archive names it ('GunPoint', 'BasicMotions').
    subset : {'train', 'test'}, default='train'
        The archive's own split.
    data_home : str or path-like, default=None
        The data cache (see :func:`get_data_home`). Without a network, place
        the archive as downloaded there, ``ucr/<name>.zip``, or its members
        ``ucr/<name>_TRAIN.ts`` and ``ucr/<name>_TEST.ts``.
    download_if_missing : bool, default=True
        Download the file if the cache lacks it; otherwise raise ``OSError``.

    Returns
    -------
    X : list of ndarray of shape (T_i, n_dimensions)
        The series.
    y : ndarray of shape (n_cases,)
        Their labels.
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", name):
        raise ValueError(
            f"{name!r} is not a problem name of the archive: its names are letters, "
            "digits and '-' ('GunPoint', 'BasicMotions', 'PEMS-SF'), never a path."
        )
    file = f"{name}_{subset.upper()}.ts"
    remote = RemoteFile(
        f"ucr/{file}", UCR_URL.format(name=name), UCR_SHA256.get(file), f"ucr/{name}.zip"
    )
    path = fetch_file(
        remote, data_home, download_if_missing=download_if_missing, transform=zip_member(file)
    )
    return load_ts_file(path)
