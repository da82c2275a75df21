"""The fetchers' download, cache, offline and checksum paths, served from a
local HTTP server on 127.0.0.1 (no test reaches the internet), and the real
files where a folder of them is at hand."""

import hashlib

import pytest

from skrnn.datasets import (
    _remote,
    fetch_sentiment_sentences,
    fetch_tiny_shakespeare,
    fetch_ud_treebank,
    get_data_home,
)
from skrnn.datasets._fetch import RemoteFile, fetch_file

from .conftest import write_zip

CONLLU = "1\tHello\thello\tINTJ\tUH\t_\t0\troot\t_\t_\n2\tyou\tyou\tPRON\tPRP\t_\t1\tobj\t_\t_\n\n"


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _serve_treebank(monkeypatch, url, served, content=None):
    (served / "dev.conllu").write_bytes(CONLLU.encode() if content is None else content)
    remote = RemoteFile("ud/dev.conllu", f"{url}/dev.conllu", _sha(CONLLU.encode()))
    monkeypatch.setattr(_remote, "_ud_file", lambda name, subset: remote)
    return remote


def test_download_then_cache_hit(server, tmp_path, monkeypatch, capsys):
    url, served, asked = server
    _serve_treebank(monkeypatch, url, served)
    home = tmp_path / "cache"
    assert fetch_ud_treebank(subset="dev", data_home=home) == (
        [["Hello", "you"]],
        [["INTJ", "PRON"]],
    )
    assert "CC BY-NC-SA" in capsys.readouterr().err  # the license, on the first download
    assert asked == ["/dev.conllu"] and (home / "ud" / "dev.conllu").read_text() == CONLLU
    assert not list(home.rglob("*.part"))  # written atomically
    (served / "dev.conllu").unlink()  # the cache answers now
    assert fetch_ud_treebank(subset="dev", data_home=home)[0] == [["Hello", "you"]]
    assert asked == ["/dev.conllu"] and capsys.readouterr().err == ""


def test_offline_error_names_the_url_and_where_to_put_the_file(tmp_path, monkeypatch):
    closed = RemoteFile("ud/dev.conllu", "http://127.0.0.1:9/dev.conllu", None)  # discard port
    monkeypatch.setattr(_remote, "_ud_file", lambda name, subset: closed)
    home = tmp_path / "cache"
    with pytest.raises(OSError, match=r"Could not download http://127\.0\.0\.1:9/dev\.conllu"):
        fetch_file(closed, home, retries=1)
    with pytest.raises(OSError, match=str(home / "ud" / "dev.conllu")):
        fetch_file(closed, home, retries=1)
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_ud_treebank(subset="dev", data_home=home, download_if_missing=False)


def test_checksum_mismatch_keeps_nothing_and_says_so(server, tmp_path, monkeypatch):
    url, served, _ = server
    remote = _serve_treebank(monkeypatch, url, served, content=b"tampered\n")
    home = tmp_path / "cache"
    with pytest.raises(OSError, match="sha256 .* not the expected .* was not kept"):
        fetch_file(remote, home)
    assert not (home / "ud" / "dev.conllu").exists() and not list(home.rglob("*.part"))


def test_a_cached_file_that_fails_its_checksum_is_kept_and_reported(server, tmp_path, monkeypatch):
    url, served, asked = server
    remote = _serve_treebank(monkeypatch, url, served)
    home = tmp_path / "cache"
    (home / "ud").mkdir(parents=True)
    (home / "ud" / "dev.conllu").write_text("half a file")
    with pytest.raises(OSError, match="checksum mismatch.*left as it is"):
        fetch_file(remote, home)
    assert (home / "ud" / "dev.conllu").read_text() == "half a file" and asked == []
    (home / "ud" / "dev.conllu").unlink()  # the user moves it away: fetched again
    assert fetch_file(remote, home).read_text() == CONLLU and asked == ["/dev.conllu"]


def test_sentiment_zip_member_with_lf_line_endings(server, tmp_path, monkeypatch):
    url, served, _ = server
    member = b"Great phone.\t1\r\nBroke at once.\t0\r\n"
    write_zip(served / "s.zip", {"sentiment labelled sentences/amazon_cells_labelled.txt": member})
    expected = _sha(member.replace(b"\r\n", b"\n"))
    monkeypatch.setattr(_remote, "SENTIMENT_ZIP", f"{url}/s.zip")
    monkeypatch.setitem(_remote.SENTIMENT_FILES, "amazon", ("amazon_cells_labelled.txt", expected))
    X, y = fetch_sentiment_sentences("amazon", data_home=tmp_path / "c", return_X_y=True)
    assert X == ["Great phone.", "Broke at once."] and y.tolist() == [1, 0]


def test_shakespeare_split(server, tmp_path, monkeypatch):
    url, served, _ = server
    text = "".join(chr(65 + i % 26) for i in range(100))
    (served / "input.txt").write_text(text)
    monkeypatch.setattr(
        _remote, "SHAKESPEARE", RemoteFile("ts/input.txt", f"{url}/input.txt", _sha(text.encode()))
    )
    monkeypatch.setattr(_remote, "SHAKESPEARE_SPLIT", 90)
    home = tmp_path / "c"
    assert fetch_tiny_shakespeare(data_home=home) == text[:90]
    assert fetch_tiny_shakespeare("test", data_home=home) == text[90:]


def test_data_home_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKRNN_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env" and (tmp_path / "env").is_dir()


def test_the_real_files_where_they_are(data_home):
    sentences, tags = fetch_ud_treebank(subset="dev", data_home=data_home)
    assert len(sentences) == 1118 and len(tags[0]) == len(sentences[0])
    assert len(fetch_tiny_shakespeare(data_home=data_home)) == 1_003_854
    for source in ("amazon", "yelp"):
        reviews = fetch_sentiment_sentences(source, data_home=data_home)
        assert len(reviews.data) == 1000 and reviews.target.sum() == 500


def test_an_archive_placed_by_hand_serves_its_members(tmp_path, monkeypatch):
    from skrnn.datasets import _ts, fetch_ucr

    home = tmp_path / "cache"
    (home / "ucr").mkdir(parents=True)
    text = "@univariate true\n@classLabel true a b\n@data\n1,2:a\n3,4:b\n"
    write_zip(home / "ucr" / "Toy.zip", {"Toy/Toy_TRAIN.ts": text, "Toy/Toy_TEST.ts": text})
    monkeypatch.setattr(_ts, "UCR_URL", "http://127.0.0.1:9/{name}.zip")  # never reached
    X, y = fetch_ucr("Toy", data_home=home)
    assert y.tolist() == ["a", "b"] and (home / "ucr" / "Toy_TRAIN.ts").read_text() == text
    assert (home / "ucr" / "Toy.zip").exists()  # the archive is kept


def test_the_offline_message_names_the_archive_and_its_member(tmp_path, monkeypatch):
    from skrnn.datasets import _ts, fetch_ucr

    monkeypatch.setattr(_ts, "UCR_URL", "http://127.0.0.1:9/{name}.zip")
    home = tmp_path / "cache"
    with pytest.raises(OSError) as info:
        fetch_ucr("Toy", data_home=home, download_if_missing=False)
    message = str(info.value)
    assert str(home / "ucr" / "Toy.zip") in message and "Toy_TRAIN.ts (unzipped)" in message
    assert not (home / "ucr").exists() or not list((home / "ucr").iterdir())
