"""Fetchers of the public data sets the examples use (downloaded once, cached)."""

import re

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from ._conllu import load_conllu
from ._fetch import DATA_HOME_CONSTRAINTS as _DATA_HOME
from ._fetch import MissingDataFile, RemoteFile, fetch_file, say, zip_member
from ._lines import utf8_lines

UD_COMMIT = "30927439b9d383d21d0c86e647ba493cd89adf8c"
UD_TREEBANKS = {
    "en_lines": {
        "repository": "UD_English-LinES",
        "folder": "ud_english_lines",
        "license": "CC BY-NC-SA 4.0 (non-commercial use only, share alike)",
        "sha256": {
            "train": "27609ded288bf3704def21f18d227e3f40957b4981174411f6bed34acf3025b6",
            "dev": "3aabd1f843517fb615c8760c316a76125af2fff01c59b9a4049fe7c393891d2b",
            "test": "14c56b50da6d8876ce1fdaa9b19c2845dfff73ff57766ddc2f812d88612ce3a8",
        },
    }
}


def _ud_file(name, subset):
    treebank = UD_TREEBANKS[name]
    file = f"{name}-ud-{subset}.conllu"
    return RemoteFile(
        f"{treebank['folder']}/{file}",
        f"https://raw.githubusercontent.com/UniversalDependencies/{treebank['repository']}/"
        f"{UD_COMMIT}/{file}",
        treebank["sha256"][subset],
    )


@validate_params(
    {
        "name": [StrOptions(set(UD_TREEBANKS))],
        "subset": [StrOptions({"train", "dev", "test"})],
        "tag": [StrOptions({"upos", "xpos"})],
        **_DATA_HOME,
    },
    prefer_skip_nested_validation=True,
)
def fetch_ud_treebank(
    name="en_lines", subset="train", *, tag="upos", data_home=None, download_if_missing=True
):
    """Words and part-of-speech tags of a Universal Dependencies treebank.

    The CoNLL-U file of ``subset`` is downloaded once from the treebank's
    public repository at a pinned commit, checked by sha256, cached under
    ``data_home`` and read with :func:`load_conllu`.

    ``'en_lines'`` is UD English-LinES (Ahrenberg, 2007; Universal
    Dependencies release at commit 30927439): 3,457 training, 1,118 dev and
    1,121 test sentences, 17 UPOS tags. Its license is **CC BY-NC-SA 4.0**:
    non-commercial use only, and derived data shared alike. The license is
    printed on the first download.

    Parameters
    ----------
    name : {'en_lines'}, default='en_lines'
        The treebank.
    subset : {'train', 'dev', 'test'}, default='train'
        The official split.
    tag : {'upos', 'xpos'}, default='upos'
        Universal tags or the treebank's own.
    data_home : str or path-like, default=None
        The data cache (see :func:`get_data_home`); a folder holding
        ``ud_english_lines/en_lines-ud-<subset>.conllu`` placed by hand works
        too.
    download_if_missing : bool, default=True
        Download a file the cache lacks; otherwise raise ``OSError``.

    Returns
    -------
    sentences : list of list of str
        The words of each sentence.
    tags : list of list of str
        Their tags.
    """
    remote = _ud_file(name, subset)
    try:
        path = fetch_file(remote, data_home, download_if_missing=False)
    except MissingDataFile:
        if not download_if_missing:
            raise
        say(f"Downloading {remote.url}. The treebank's license is {UD_TREEBANKS[name]['license']}.")
        path = fetch_file(remote, data_home)
    return load_conllu(path, tag=tag)


SHAKESPEARE = RemoteFile(
    "tinyshakespeare/input.txt",
    "https://raw.githubusercontent.com/karpathy/char-rnn/"
    "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt",
    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
)
#: the first 90% of the text, the part the examples train on (nanoGPT's split)
SHAKESPEARE_SPLIT = 1_003_854
SHAKESPEARE_TRAIN = RemoteFile(
    "tinyshakespeare_train.txt",
    SHAKESPEARE.url,
    "a9e24e23a1ec77744dad26844bfd5a09b6e041954e1eef0000e7f24cba6db735",
)


@validate_params(
    {"subset": [StrOptions({"train", "test", "all"})], **_DATA_HOME},
    prefer_skip_nested_validation=True,
)
def fetch_tiny_shakespeare(subset="train", *, data_home=None, download_if_missing=True):
    """Karpathy's tiny-shakespeare, the character-level benchmark text.

    1,115,394 characters of Shakespeare's plays (public domain), from
    github.com/karpathy/char-rnn at a pinned commit, downloaded once and
    checked by sha256. 'train' is its first 1,003,854 characters (90%, the
    split nanoGPT uses) and 'test' the rest.

    Parameters
    ----------
    subset : {'train', 'test', 'all'}, default='train'
        Which part.
    data_home : str or path-like, default=None
        The data cache (see :func:`get_data_home`). For 'train', a file
        ``tinyshakespeare_train.txt`` holding just that part, placed there by
        hand, is used as it is.
    download_if_missing : bool, default=True
        Download the text if the cache lacks it; otherwise raise ``OSError``.

    Returns
    -------
    text : str
        The characters of ``subset``.
    """
    if subset == "train":
        try:
            path = fetch_file(SHAKESPEARE_TRAIN, data_home, download_if_missing=False)
            return path.read_text(encoding="utf-8")
        except MissingDataFile:
            pass
    path = fetch_file(SHAKESPEARE, data_home, download_if_missing=download_if_missing)
    text = path.read_text(encoding="utf-8")
    parts = {"train": text[:SHAKESPEARE_SPLIT], "test": text[SHAKESPEARE_SPLIT:], "all": text}
    return parts[subset]


SENTIMENT_ZIP = "https://archive.ics.uci.edu/static/public/331/sentiment+labelled+sentences.zip"
#: where the archive as downloaded may be placed in the cache by hand
SENTIMENT_ARCHIVE = "sentiment/sentiment+labelled+sentences.zip"
#: sha256 of each file as cached: the zip's member with CRLF turned into LF
#: and a final newline (the published zip's own checksum was not recorded;
#: none was available for the imdb part, which is used unchecked)
SENTIMENT_FILES = {
    "amazon": (
        "amazon_cells_labelled.txt",
        "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3",
    ),
    "yelp": (
        "yelp_labelled.txt",
        "c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea",
    ),
    "imdb": ("imdb_labelled.txt", None),
}


def _sentiment_member(file):
    """bytes of the published zip -> the member ``file``, lines ending in LF."""
    member = zip_member(file)

    def extract(data, url):
        text = member(data, url).replace(b"\r\n", b"\n")
        return text if text.endswith(b"\n") else text + b"\n"

    return extract


@validate_params(
    {"source": [StrOptions(set(SENTIMENT_FILES))], "return_X_y": ["boolean"], **_DATA_HOME},
    prefer_skip_nested_validation=True,
)
def fetch_sentiment_sentences(
    source="amazon", *, return_X_y=False, data_home=None, download_if_missing=True
):
    """UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015).

    1,000 sentences from each source (product reviews on amazon, restaurant
    reviews on yelp, film reviews on imdb), half positive, from the UCI
    Machine Learning Repository (data set 331), downloaded once. The cache
    keeps each source's file with LF line endings, and that is what its
    sha256 checks (the imdb part has no recorded checksum).

    Parameters
    ----------
    source : {'amazon', 'yelp', 'imdb'}, default='amazon'
        Which reviews.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    data_home : str or path-like, default=None
        The data cache (see :func:`get_data_home`). Without a network, place
        the archive as downloaded there, ``sentiment/sentiment+labelled+sentences.zip``,
        or its member ``sentiment/<source>_labelled.txt``.
    download_if_missing : bool, default=True
        Download the file if the cache lacks it; otherwise raise ``OSError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (list of str), ``target`` (ndarray of int, 1 = positive) and
        ``target_names``.
    (data, target) : tuple if ``return_X_y`` is True
    """
    file, sha256 = SENTIMENT_FILES[source]
    remote = RemoteFile(f"sentiment/{file}", SENTIMENT_ZIP, sha256, SENTIMENT_ARCHIVE)
    path = fetch_file(
        remote,
        data_home,
        download_if_missing=download_if_missing,
        transform=_sentiment_member(file),
    )
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines: U+0085
        if line:
            text, label = line.rsplit("\t", 1)
            texts.append(text)
            labels.append(int(label))
    target = np.array(labels)
    if return_X_y:
        return texts, target
    return Bunch(data=texts, target=target, target_names=np.array(["negative", "positive"]))


CMUDICT = RemoteFile(
    "cmudict/cmudict.dict",
    "https://raw.githubusercontent.com/cmusphinx/cmudict/"
    "0f8072f814306c5ee4fbf992ed853601b12c01f9/cmudict.dict",
    "81917843c7f44ce2b094ac63873c2c7a4cf802040792c455ba3ca406891c3d22",
)
#: a pronunciation's phones: ARPAbet letters, a stress digit on vowels
_PHONE = re.compile(r"[A-Z]{1,2}[012]?")
#: the mark of a word's alternative pronunciation: ``tomato(2)``
_ALTERNATIVE = re.compile(r"\(\d+\)$")


def read_cmudict(path, stress=True):
    """Words and pronunciations of a file in ``cmudict.dict``'s format
    (``word PH1 PH2 ...``, alternatives as ``word(2) ...``, an optional
    ``# comment``), in file order; ``path:line`` for a malformed line."""
    words, pronunciations = [], []
    for number, line in utf8_lines(path, "cmudict"):
        entry = line.split("#", 1)[0].split()
        if not entry:
            continue
        word, phones = entry[0], entry[1:]
        if not phones or not all(_PHONE.fullmatch(p) for p in phones):
            raise ValueError(
                f"{path}:{number}: expected a word and its ARPAbet phones (such as "
                f"'cat K AE1 T'), got {line[:80]!r}. Fix or remove the line."
            )
        words.append(_ALTERNATIVE.sub("", word))
        pronunciations.append(phones if stress else [p.rstrip("012") for p in phones])
    return words, pronunciations


@validate_params(
    {"stress": ["boolean"], "return_X_y": ["boolean"], **_DATA_HOME},
    prefer_skip_nested_validation=True,
)
def fetch_cmudict(*, stress=True, return_X_y=False, data_home=None, download_if_missing=True):
    """The CMU Pronouncing Dictionary: English words and their pronunciations.

    ``cmudict.dict`` from github.com/cmusphinx/cmudict at a pinned commit
    (2024-12-17), downloaded once and checked by sha256: 135,166
    pronunciations of about 126,000 words in ARPAbet, 39 phones with a
    stress digit (0, 1, 2) on the vowels. A word with several pronunciations
    has one entry per pronunciation, in the dictionary's order. License:
    BSD-2-Clause-style (Carnegie Mellon University); keep its notice when
    you redistribute the data.

    Parameters
    ----------
    stress : bool, default=True
        Keep the vowels' stress digits (``AH0``); False gives the 39 bare
        phones (``AH``).
    return_X_y : bool, default=False
        Return ``(words, pronunciations)`` instead of a Bunch.
    data_home : str or path-like, default=None
        The data cache (see :func:`get_data_home`). Without a network, place
        the file as published there: ``cmudict/cmudict.dict``.
    download_if_missing : bool, default=True
        Download the file if the cache lacks it; otherwise raise ``OSError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (list of str: the words, lower case, one per
        pronunciation) and ``target`` (list of list of str: the phones).
    (data, target) : tuple if ``return_X_y`` is True
    """
    path = fetch_file(CMUDICT, data_home, download_if_missing=download_if_missing)
    words, pronunciations = read_cmudict(path, stress)
    if return_X_y:
        return words, pronunciations
    return Bunch(data=words, target=pronunciations)
