"""SequenceVectorizer: text to padded arrays of token ids."""

import re
from collections import Counter
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._persistence import PersistenceMixin
from ._sequences import PAD_ID, UNKNOWN_ID

__all__ = ["SequenceVectorizer", "embedding_matrix", "word_shape"]

PAD_TOKEN = ""
UNKNOWN_TOKEN = "[UNK]"


def word_shape(token):
    """Character classes with repeats collapsed: 'Hello' -> 'Xx', '1990s' ->
    'dx', 'well-known' -> 'x-x', 'U.S.' -> 'X.X.'."""
    classes = [
        "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in token
    ]
    return "".join(c for i, c in enumerate(classes) if i == 0 or c != classes[i - 1])


def _feature_list(function, token):
    """A ``token_features`` callable's features of one token, checked."""
    features = function(token)
    if isinstance(features, (str, bytes)) or not hasattr(features, "__iter__"):
        raise TypeError(
            "The token_features callable must return a list of feature strings "
            f"(None for an absent one), but for token {token!r} it returned "
            f"{features!r}. Got {type(features).__name__} instead."
        )
    return list(features)


def _affix(kind, n):
    def feature(token):
        if len(token) < n:
            return None
        return f"{kind}{n}={token[:n] if kind == 'p' else token[-n:]}"

    return feature


#: The per-token features of ``token_features=True``: name -> function that
#: maps a token to a feature string, or None where the feature is absent.
TOKEN_FEATURES = {
    "word": lambda t: "word=" + t,
    "lower": lambda t: "lower=" + t.lower(),
    "prefix1": _affix("p", 1),
    "prefix2": _affix("p", 2),
    "prefix3": _affix("p", 3),
    "suffix1": _affix("s", 1),
    "suffix2": _affix("s", 2),
    "suffix3": _affix("s", 3),
    "shape": lambda t: "shape=" + word_shape(t),
    "is_title": lambda t: "is_title" if t.istitle() else None,
    "is_upper": lambda t: "is_upper" if t.isupper() else None,
    "has_digit": lambda t: "has_digit" if any(c.isdigit() for c in t) else None,
}


class SequenceVectorizer(
    PersistenceMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Turn texts into padded sequences of token ids for the RNN estimators.

    Like :class:`~sklearn.feature_extraction.text.CountVectorizer` it learns a
    vocabulary, but it keeps the order of the tokens: row ``i`` of the output
    holds the ids of text ``i``'s tokens, one per step, followed by padding.
    Id 0 is padding and id 1 stands for any token outside the vocabulary; the
    vocabulary's ids start at 2, the most frequent token first.

    The output is always a numpy array: its columns are steps, padded per
    call, not named features, so ``set_output(transform="pandas")`` is
    refused and a global ``transform_output`` setting leaves it alone.

    Parameters
    ----------
    input : {'content', 'file', 'filename'}, default='content'
        What the items of X are, as for CountVectorizer: the texts
        themselves, open files to read, or names of files to read.
    encoding : str, default='utf-8'
        Encoding of bytes (and of files) to decode.
    decode_error : {'strict', 'ignore', 'replace'}, default='strict'
        What to do with bytes that are not valid in ``encoding``.
    analyzer : {'word', 'char'} or callable, default='word'
        'word' splits with ``token_pattern``, 'char' takes every character, a
        callable maps one text to its list of tokens (strings). Items that
        are already lists of strings (pre-tokenized texts) are used as they
        are.
    lowercase : bool, default=True
        Lower-case every token (also of pre-tokenized texts).
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression for a word with ``analyzer='word'``; unlike
        CountVectorizer's default it keeps one-letter words ("a", "I").
    max_tokens : int or None, default=None
        Largest vocabulary size, counting the padding and unknown ids; the
        most frequent tokens are kept.
    min_df : int or float, default=1
        Drop tokens found in fewer documents than this (a float is a share of
        the documents).
    max_length : int or None, default=None
        Width of the output. None pads to the longest text in each call to
        ``transform`` and never cuts; an int cuts longer texts.
    truncating : {'post', 'pre'}, default='post'
        Cut long texts at the end ('post') or at the start ('pre').
    token_features : None, bool, list of str or callable, default=None
        None or False: one id per token. Otherwise several categorical features per
        token, each its own id, and ``transform`` returns ``(n, T, k)``; the
        RNN estimators sum the input rows of a step's k ids (a multi-hot
        input, never materialised). ``True`` is the set that suits tagging,
        ``list(TOKEN_FEATURES)``: the word as written, lower-cased, prefixes
        and suffixes of 1-3 characters, its shape (``'Xx'``, ``'d'``,
        ``'x-x'``), is-title, is-upper, has-digit; a list picks some of
        those; a callable maps a token to a list of feature strings (None for
        an absent one). Features see the token as written (``lowercase``
        applies to plain tokens only; the 'lower' feature case-folds). All
        features share one vocabulary, with ``min_df`` and ``max_tokens``;
        an unseen feature string gets the unknown id, so an unseen word
        still contributes its affixes and shape, and an absent feature the
        padding id 0.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token to id, ids from 2.
    document_frequency_ : dict of str to int
        Number of training texts each kept token appears in.
    n_features_per_token_ : int
        k, the number of ids per step (1 without ``token_features``).

    See Also
    --------
    RNNClassifier : Takes the output of this transformer as token ids.

    Examples
    --------
    >>> from skrnn import SequenceVectorizer
    >>> vec = SequenceVectorizer()
    >>> vec.fit_transform(["the cat sat", "the dog"])
    array([[2, 3, 5],
           [2, 4, 0]], dtype=int32)
    >>> vec.transform(["a cat"])
    array([[1, 3]], dtype=int32)
    >>> vec.inverse_transform([[2, 4, 0]])
    [['the', 'dog']]
    """

    _parameter_constraints: dict = {
        "input": [StrOptions({"content", "file", "filename"})],
        "encoding": [str],
        "decode_error": [StrOptions({"strict", "ignore", "replace"})],
        "analyzer": [StrOptions({"word", "char"}), callable],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "max_tokens": [None, Interval(Integral, 3, None, closed="left")],
        "min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="both"),
        ],
        "max_length": [None, Interval(Integral, 1, None, closed="left")],
        "truncating": [StrOptions({"pre", "post"})],
        "token_features": [None, "boolean", list, callable],
    }

    def __init__(
        self,
        analyzer="word",
        *,
        input="content",
        encoding="utf-8",
        decode_error="strict",
        lowercase=True,
        token_pattern=r"(?u)\b\w+\b",
        max_tokens=None,
        min_df=1,
        max_length=None,
        truncating="post",
        token_features=None,
    ):
        self.analyzer = analyzer
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.max_tokens = max_tokens
        self.min_df = min_df
        self.max_length = max_length
        self.truncating = truncating
        self.token_features = token_features

    def _tokenize_all(self, texts):
        """Lists of tokens, one per text, with clear errors for bad input."""
        texts = self._texts(texts)
        pattern = self._pattern() if self.analyzer == "word" else None
        return [self._tokenize(text, i, pattern) for i, text in enumerate(texts)]

    def _texts(self, texts):
        """X as a list (an iterator is read once), refusing what is not a
        collection of texts."""
        if isinstance(texts, list):
            return texts
        if isinstance(texts, (str, bytes)) and self.input == "content":
            raise TypeError(
                "SequenceVectorizer expects an iterable of texts (or of token "
                "lists), but got a single string. Wrap it in a list: [text]."
            )
        if hasattr(texts, "columns"):
            raise TypeError(
                "X is a data frame: iterating it gives its column names, not its "
                "texts. Select the column of texts, for example df['review']."
            )
        if not hasattr(texts, "__iter__"):
            raise TypeError(
                "SequenceVectorizer expects an iterable of texts (or of token "
                f"lists). Got {type(texts).__name__} instead."
            )
        return list(texts)

    def _pattern(self):
        try:
            return re.compile(self.token_pattern)
        except re.error as exc:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} is not a regular expression "
                f"({exc}). Give a valid pattern, such as the default r'(?u)\\b\\w+\\b'."
            ) from None

    def _read(self, text):
        """An item of X as the text it stands for (``input``, ``encoding``)."""
        if self.input == "filename":
            with open(text, "rb") as handle:
                text = handle.read()
        elif self.input == "file":
            text = text.read()
        if isinstance(text, bytes):
            text = text.decode(self.encoding, self.decode_error)
        return text

    def _tokenize(self, text, index, pattern):
        text = self._read(text)
        if isinstance(text, str):
            if callable(self.analyzer):
                tokens = list(self.analyzer(text))
                if not all(isinstance(tok, str) for tok in tokens):
                    raise TypeError(
                        f"The analyzer callable must return a list of strings, but for "
                        f"item {index} of X it returned {tokens[:5]!r}."
                    )
            elif self.analyzer == "char":
                tokens = list(text)
            else:
                return pattern.findall(text.lower() if self._lowercase() else text)
        elif isinstance(text, (list, tuple, np.ndarray)) and all(
            isinstance(tok, str) for tok in text
        ):
            tokens = list(text)
        else:
            raise TypeError(
                f"Item {index} of X is not a text or a list of string tokens; "
                "SequenceVectorizer takes strings (or pre-tokenized lists of "
                f"strings). Got {type(text).__name__} instead."
            )
        return [tok.lower() for tok in tokens] if self._lowercase() else tokens

    def _plain(self):
        """One id per token: ``token_features`` is None or False."""
        return self.token_features is None or self.token_features is False

    def _lowercase(self):
        return self.lowercase and self._plain()

    def _feature_functions(self):
        """The functions behind ``token_features`` (None in plain mode)."""
        chosen = self.token_features
        if self._plain():
            return None
        if chosen is True:
            return list(TOKEN_FEATURES.values())
        if callable(chosen):
            return chosen
        unknown = [name for name in chosen if name not in TOKEN_FEATURES]
        if unknown or not chosen:
            raise ValueError(
                f"token_features names must be among {list(TOKEN_FEATURES)}. Got "
                f"{chosen!r} instead."
            )
        return [TOKEN_FEATURES[name] for name in chosen]

    def _steps(self, docs):
        """Each token as the list of its feature strings (None = absent);
        plain tokens stay as they are."""
        functions = self._feature_functions()
        if functions is None:
            return docs
        if callable(functions):
            return [[_feature_list(functions, tok) for tok in doc] for doc in docs]
        return [[[f(tok) for f in functions] for tok in doc] for doc in docs]

    def fit_transform(self, X, y=None):
        """Learn the vocabulary of the texts X and return their token ids
        (X is read once, so a generator works).

        Parameters
        ----------
        X : iterable of str or of lists of str
            Texts, or texts already split into tokens (see ``input``).
        y : None
            Ignored.

        Returns
        -------
        ids : ndarray of shape (n_texts, n_steps) or (n_texts, n_steps, k)
            As :meth:`transform` returns them.
        """
        return self._padded(self.fit_to_ids(X))

    def fit_to_ids(self, X, y=None):
        """Learn the vocabulary of the texts X and return their ids unpadded
        (X is read once).

        Parameters
        ----------
        X : iterable of str or of lists of str
            Texts, or texts already split into tokens (see ``input``).
        y : None
            Ignored.

        Returns
        -------
        ids : list of list of int, or of ndarray of shape (T_i, k)
            As :meth:`to_ids` returns them.
        """
        self._validate_params()
        steps = self._steps(self._tokenize_all(X))
        return self._fit_steps(steps)._ids_of_steps(steps)

    def set_output(self, *, transform=None):
        """Only numpy output: the columns are steps, padded per call.

        Parameters
        ----------
        transform : {'default'} or None
            'pandas' and 'polars' are refused.

        Returns
        -------
        self : object
        """
        if transform not in (None, "default"):
            raise ValueError(
                "SequenceVectorizer returns token ids, one column per step padded to "
                "the longest text of each call: they are not named features, so "
                f"set_output(transform={transform!r}) is not supported. Use the array "
                "as it is."
            )
        return self

    def fit(self, X, y=None):
        """Learn the vocabulary of the texts X.

        Parameters
        ----------
        X : iterable of str or of lists of str
            Texts, or texts already split into tokens.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted vectorizer.
        """
        self._validate_params()
        return self._fit_steps(self._steps(self._tokenize_all(X)))

    def _fit_steps(self, steps):
        """Learn the vocabulary from the texts' steps (:meth:`_steps`)."""
        if not steps:
            raise ValueError(
                "SequenceVectorizer needs at least one text to learn a vocabulary; X holds none."
            )
        if self._plain():
            self.n_features_per_token_ = 1
            features = steps
        else:
            self.n_features_per_token_ = max([len(step) for doc in steps for step in doc] + [1])
            features = [[f for step in doc for f in step if f is not None] for doc in steps]
        counts = Counter(f for doc in features for f in doc)
        doc_freq = Counter(f for doc in features for f in set(doc))
        min_df = self.min_df if isinstance(self.min_df, Integral) else (self.min_df * len(steps))
        kept = [tok for tok in counts if doc_freq[tok] >= min_df]
        kept.sort(key=lambda tok: (-counts[tok], tok))
        if self.max_tokens is not None:
            kept = kept[: self.max_tokens - 2]
        self.vocabulary_ = {tok: i + 2 for i, tok in enumerate(kept)}
        self.document_frequency_ = {tok: doc_freq[tok] for tok in kept}
        return self

    def transform(self, X):
        """Map texts to padded token ids.

        Parameters
        ----------
        X : iterable of str or of lists of str
            Texts, or texts already split into tokens.

        Returns
        -------
        ids : ndarray of shape (n_texts, n_steps), dtype int32
            Token ids; 0 pads, 1 marks tokens outside the vocabulary.
            ``n_steps`` is ``max_length`` if set, else the longest text (at
            least 1, so an empty text is one padding step).
        """
        return self._padded(self.to_ids(X))

    def _padded(self, rows):
        """Id lists as one array, padded (or cut) to the output's width."""
        width = self.max_length or max([len(r) for r in rows] + [1])
        k = self.n_features_per_token_
        out = np.full((len(rows), width, k), PAD_ID, dtype=np.int32)
        for i, row in enumerate(rows):
            if len(row) > width:
                row = row[:width] if self.truncating == "post" else row[-width:]
            if len(row):
                out[i, : len(row)] = np.reshape(row, (len(row), k))
        return out[:, :, 0] if self._plain() else out

    def to_ids(self, X):
        """The token ids of every text, unpadded: each text as long as its
        tokens, with no padding id and never cut by ``max_length``.

        Parameters
        ----------
        X : iterable of str or of lists of str
            Texts, or texts already split into tokens (see ``input``).

        Returns
        -------
        ids : list of list of int, or of ndarray of shape (T_i, k)
            One list of ids per text (one ``(T_i, k)`` array per text with
            ``token_features``); 1 marks a token outside the vocabulary.

        Examples
        --------
        >>> from skrnn import SequenceVectorizer
        >>> SequenceVectorizer().fit(["the cat sat", "the dog"]).to_ids(["the cat", "a"])
        [[2, 3], [1]]
        """
        check_is_fitted(self)
        return self._ids_of_steps(self._steps(self._tokenize_all(X)))

    def _ids_of_steps(self, steps):
        vocab, k = self.vocabulary_, self.n_features_per_token_
        if self._plain():
            return [[vocab.get(tok, UNKNOWN_ID) for tok in doc] for doc in steps]
        return [
            np.array(
                [
                    [PAD_ID if f is None else vocab.get(f, UNKNOWN_ID) for f in step[:k]]
                    + [PAD_ID] * (k - len(step))
                    for step in doc
                ],
                dtype=np.int32,
            ).reshape(len(doc), k)
            for doc in steps
        ]

    def inverse_transform(self, X):
        """Tokens of each row of ids, padding dropped.

        Parameters
        ----------
        X : array-like of shape (n_texts, n_steps)
            Token ids, as returned by :meth:`transform`.

        Returns
        -------
        tokens : list of list of str (or of tuples of str)
            Unknown ids come back as ``'[UNK]'``. With token features, each
            step is the tuple of its present feature strings.
        """
        check_is_fitted(self)
        names = self.get_feature_names_out()
        X = np.asarray(X)
        if X.ndim not in (2, 3) or X.dtype.kind not in "iu":
            raise ValueError(
                "inverse_transform expects a 2-D (or, with token features, 3-D) "
                f"array of integer ids. Got an array of shape {X.shape} and dtype "
                f"{X.dtype} instead."
            )
        if X.size and (X.min() < 0 or X.max() >= len(names)):
            raise ValueError(
                f"Token ids must lie in [0, {len(names) - 1}]. Got ids from "
                f"{X.min()} to {X.max()} instead."
            )
        if X.ndim == 3:
            return [
                [tuple(str(names[i]) for i in step if i != PAD_ID) for step in row if step.any()]
                for row in X
            ]
        return [[str(names[i]) for i in row if i != PAD_ID] for row in X]

    def get_feature_names_out(self, input_features=None):
        """The token behind every id: ``''`` (padding), ``'[UNK]'``, then the
        vocabulary in id order.

        Parameters
        ----------
        input_features : None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``feature_names_out[i]`` is the token of id ``i``.
        """
        check_is_fitted(self)
        names = [PAD_TOKEN, UNKNOWN_TOKEN] + sorted(self.vocabulary_, key=self.vocabulary_.get)
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    # sklearn's common checks feed numeric arrays, which this transformer
    # rejects by design; tests/test_text.py checks its contract instead.
    _skip_common_checks = True


def embedding_matrix(vectorizer, vectors, *, encoding="utf-8"):
    """An embedding table aligned with a fitted vectorizer's ids, for the
    ``embedding_init`` parameter of the RNN estimators.

    Row ``i`` is the vector of the token of id ``i``. A token without a
    vector is treated as the vectorizer treats a token outside its
    vocabulary: its row is the unknown row, row 1, the mean of the vectors
    found. Row 0 (padding) is zero. With ``token_features``, a feature
    ``'word=the'`` or ``'lower=the'`` takes the vector of ``'the'``.

    Parameters
    ----------
    vectorizer : SequenceVectorizer
        Fitted; its vocabulary orders the rows.
    vectors : dict of str to array-like, or str or path-like
        A ``{token: vector}`` mapping, or a word-vector text file in the
        GloVe or fastText ``.vec`` format (a token and its values on each
        line, separated by spaces; fastText's first line, the counts, is
        skipped). Only the vocabulary's lines are kept, so a large file
        costs no more memory than the table.
    encoding : str, default='utf-8'
        The file's encoding.

    Returns
    -------
    table : ndarray of shape (n_tokens, embedding_dim)
        ``n_tokens = len(vectorizer.get_feature_names_out())``.

    Examples
    --------
    >>> from skrnn import SequenceVectorizer
    >>> from skrnn.text import embedding_matrix
    >>> vectorizer = SequenceVectorizer().fit(["good film", "bad film"])
    >>> vectorizer.get_feature_names_out().tolist()
    ['', '[UNK]', 'film', 'bad', 'good']
    >>> embedding_matrix(vectorizer, {"good": [1.0, 0.0], "bad": [-1.0, 0.0]})
    array([[ 0.,  0.],
           [ 0.,  0.],
           [ 0.,  0.],
           [-1.,  0.],
           [ 1.,  0.]])
    """
    check_is_fitted(vectorizer)
    names = vectorizer.get_feature_names_out()
    wanted = {_vector_key(name): i for i, name in enumerate(names[2:], start=2)}
    found = _read_vectors(vectors, wanted, encoding)
    if not found:
        raise ValueError(
            "No token of the vectorizer's vocabulary has a vector in `vectors`. Check "
            "that the vectors are for the same tokens (case, lowercase=...)."
        )
    width = len(next(iter(found.values())))
    table = np.zeros((len(names), width))
    rows = [i for i, name in enumerate(names[2:], start=2) if _vector_key(name) in found]
    table[rows] = [found[_vector_key(names[i])] for i in rows]
    table[UNKNOWN_ID] = table[rows].mean(axis=0)
    missing = [i for i in range(2, len(names)) if _vector_key(names[i]) not in found]
    table[missing] = table[UNKNOWN_ID]
    return table


def _vector_key(token):
    """The word a vocabulary entry stands for: a feature's word, or itself."""
    for prefix in ("word=", "lower="):
        if token.startswith(prefix):
            return token[len(prefix) :]
    return token


def _read_vectors(vectors, wanted, encoding):
    """``{token: vector}`` of the tokens in ``wanted``, from a mapping or a
    word-vector file; every vector of one width."""
    if isinstance(vectors, dict):
        items = (
            (t, np.asarray(v, dtype=float), "vectors") for t, v in vectors.items() if t in wanted
        )
    else:
        items = _vector_lines(vectors, encoding, wanted)
    found, width = {}, None
    for token, vector, where in items:
        width = len(vector) if width is None else width
        if vector.ndim != 1 or len(vector) != width or not np.isfinite(vector).all():
            raise ValueError(
                f"{where}: the vector of {token!r} is not {width} finite values like "
                "the first one found. Give every token a vector of one width."
            )
        found[token] = vector
    return found


def _vector_lines(path, encoding, wanted):
    """``(token, vector, 'path:line')`` of the ``wanted`` tokens of a GloVe
    or fastText text file (the values of other lines are never parsed)."""
    with open(path, encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").rstrip().split(" ")
            if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                continue  # fastText's header: how many vectors, how wide
            if len(fields) < 2 or fields[0] not in wanted:
                continue  # a blank line, or a token the vocabulary lacks
            try:
                vector = np.array(fields[1:], dtype=float)
            except ValueError:
                raise ValueError(
                    f"{path}:{number}: the values after {fields[0]!r} are not numbers. "
                    "Each line is a token and its values, separated by spaces."
                ) from None
            yield fields[0], vector, f"{path}:{number}"
