"""Reader for CoNLL-U treebanks (Universal Dependencies)."""

from pathlib import Path

from sklearn.utils._param_validation import StrOptions, validate_params

from ._lines import utf8_lines

_TAG_COLUMNS = {"upos": 3, "xpos": 4}


@validate_params(
    {"path": [str, Path], "tag": [StrOptions(set(_TAG_COLUMNS))]},
    prefer_skip_nested_validation=True,
)
def load_conllu(path, *, tag="upos"):
    """Read the words and tags of every sentence of a CoNLL-U file.

    Multiword-token lines (ids like ``3-4``) and empty nodes (``5.1``) are
    skipped, so each sentence is its syntactic words, one tag each.

    Parameters
    ----------
    path : str or Path
        A ``.conllu`` file. Treebanks are not shipped with skrnn (their
        licences differ); give the path of your copy.
    tag : {'upos', 'xpos'}, default='upos'
        Universal part-of-speech tags, or the treebank's own.

    Returns
    -------
    sentences : list of list of str
        The word forms of each sentence.
    tags : list of list of str
        Their tags.

    Examples
    --------
    >>> import tempfile, os
    >>> from skrnn.datasets import load_conllu
    >>> text = ("# text = Don't go\\n"
    ...         "1-2\\tDon't\\t_\\t_\\t_\\t_\\t_\\t_\\t_\\t_\\n"
    ...         "1\\tDo\\tdo\\tAUX\\tVBP\\t_\\t3\\taux\\t_\\t_\\n"
    ...         "2\\tn't\\tnot\\tPART\\tRB\\t_\\t3\\tadvmod\\t_\\t_\\n"
    ...         "3\\tgo\\tgo\\tVERB\\tVB\\t_\\t0\\troot\\t_\\t_\\n\\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "tiny.conllu")
    ...     with open(path, "w") as f:
    ...         _ = f.write(text)
    ...     load_conllu(path)
    ([['Do', "n't", 'go']], [['AUX', 'PART', 'VERB']])
    """
    column = _TAG_COLUMNS[tag]
    sentences, tags = [], []
    words, labels = [], []
    for number, line in utf8_lines(path, "CoNLL-U"):
        if not line.strip():  # a sentence ends at a blank (or blank-looking) line
            if words:
                sentences.append(words)
                tags.append(labels)
            words, labels = [], []
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            raise ValueError(
                f"{path}:{number} is not a CoNLL-U token line: it has {len(fields)} "
                "tab-separated fields, where a token line has 10."
            )
        if "-" in fields[0] or "." in fields[0]:
            continue
        words.append(fields[1])
        labels.append(fields[column])
    if words:
        sentences.append(words)
        tags.append(labels)
    return sentences, tags
