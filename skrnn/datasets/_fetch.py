"""Data sets downloaded once into a local cache and checked by sha256.

:func:`fetch_file` is the one download helper every fetcher uses: it looks in
the cache first, downloads with retries, checks the bytes' sha256 before
anything is written, and writes atomically, so the cache never holds half a
file or a file that failed its check. It never deletes a file: one that fails its
check is kept and reported, with both digests. Without a network it says
where to put the file by hand. No path it reads or writes leaves the cache.
"""

import hashlib
import io
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

#: where the cache is when no ``data_home`` is given and ``SKRNN_DATA`` is unset
DEFAULT_DATA_HOME = Path("~") / "skrnn_data"

#: the parameter constraints every fetcher shares
DATA_HOME_CONSTRAINTS = {
    "data_home": [None, str, os.PathLike],
    "download_if_missing": ["boolean"],
}


@dataclass(frozen=True)
class RemoteFile:
    """A file of a public data set: where it lives in the cache, where it is
    published, the sha256 of its bytes as the cache keeps them (None where no
    checksum could be recorded) and, for a file published inside an archive,
    where in the cache the archive as downloaded may be placed instead."""

    path: str
    url: str
    sha256: str | None
    archive: str | None = None


class MissingDataFile(OSError):
    """A file is not in the cache, and may not be downloaded."""


class ChecksumMismatch(OSError):
    """A file's bytes do not have the sha256 recorded for them."""


def get_data_home(data_home=None):
    """The folder of skrnn's data cache, created if needed.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder; None means ``$SKRNN_DATA`` if set, else ``~/skrnn_data``.

    Returns
    -------
    data_home : Path
        The folder.

    Examples
    --------
    >>> import tempfile
    >>> from skrnn.datasets import get_data_home
    >>> get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKRNN_DATA", DEFAULT_DATA_HOME)
    home = Path(data_home).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def fetch_file(remote, data_home=None, *, download_if_missing=True, transform=None, retries=3):
    """The path of ``remote`` in the cache, downloaded there the first time.

    A cached file whose checksum does not match is kept as it is and
    reported (:class:`ChecksumMismatch`, with both digests): it may be a
    file the user placed. ``transform`` (bytes and where they are from ->
    bytes) turns the published bytes into what the cache keeps (an archive
    member, say) before the checksum is checked; a download that fails it
    is not kept. Where ``remote.archive`` names an archive placed in the
    cache by hand, it is read instead of downloading (and kept).
    """
    home = get_data_home(data_home)
    path, archive = (_in_cache(home, name) for name in (remote.path, remote.archive))
    if path.exists():
        digest = None if remote.sha256 is None else _sha256(path.read_bytes())
        if digest == remote.sha256:
            return path
        raise ChecksumMismatch(
            f"{path}: checksum mismatch. Its sha256 is {digest}, the expected one is "
            f"{remote.sha256}. The file was left as it is: if it is not the file from "
            f"{remote.url}, move it away and fetch again."
        )
    data, source = _published_bytes(remote, path, archive, download_if_missing, transform, retries)
    digest = _sha256(data)
    if remote.sha256 is not None and digest != remote.sha256:
        raise OSError(
            f"The data from {source} has sha256 {digest}, not the expected "
            f"{remote.sha256}, so it was not kept in {home}. The source may have "
            "changed; fetch the file by hand and check it."
        )
    _write_atomically(path, data)
    return path


def _published_bytes(remote, path, archive, download_if_missing, transform, retries):
    """The bytes the cache keeps at ``path``, from the archive placed by hand
    or from a download, and where they came from."""
    if archive is not None and archive.exists():
        source = str(archive)
        data = archive.read_bytes()
    elif not download_if_missing:
        raise MissingDataFile(
            f"{path} is not in the data cache and download_if_missing=False. "
            f"{_where_to_put(remote, path, archive)} Or allow the download."
        )
    else:
        source = remote.url
        data = _download(remote, path, archive, retries)
    return (data if transform is None else transform(data, source)), source


def _in_cache(home, name):
    """The path of ``name`` in the cache (None for None), never outside it."""
    if name is None:
        return None
    path = home / name
    if not path.resolve().is_relative_to(home.resolve()):
        raise ValueError(f"{name!r} would lie outside the data cache {home}.")
    return path


def _where_to_put(remote, path, archive):
    """Where a file fetched by hand goes: the file itself, or its archive."""
    if archive is None:
        return f"Download {remote.url} and put it at {path}."
    return (
        f"Download {remote.url} and put the archive as it is at {archive}, or its "
        f"member {path.name} (unzipped) at {path}."
    )


def _download(remote, path, archive, retries):
    """The bytes at ``remote.url``, after up to ``retries`` tries (1 s, 2 s apart)."""
    url = remote.url
    for attempt in range(retries):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
            if exc.code < 500:
                break  # the server answered: trying again will not help
        except OSError as exc:
            reason = str(getattr(exc, "reason", exc))
        if attempt + 1 < retries:
            time.sleep(2**attempt)
    raise OSError(
        f"Could not download {url} ({reason}). Without a network: "
        f"{_where_to_put(remote, path, archive)} (The data_home argument or $SKRNN_DATA "
        "chooses another cache folder.)"
    )


def _write_atomically(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def zip_member(file):
    """A ``transform`` for :func:`fetch_file`: the bytes of a zip archive
    from ``url`` -> those of its member whose name (in any folder) is ``file``."""

    def extract(data, url):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == file]
                if not names:
                    raise OSError(
                        f"The archive {url} has no {file} (it holds "
                        f"{archive.namelist()[:5]}). Check the name of the data set."
                    )
                return archive.read(names[0])
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise OSError(
                f"The download from {url} is not a complete zip archive ({exc}): it was "
                "probably cut short. Nothing was kept; fetch it again."
            ) from None

    return extract


def say(message):
    """Tell the user something once, beside the program's own output."""
    print(message, file=sys.stderr)
