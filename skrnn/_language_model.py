"""RNNLanguageModel: next-token model of a text, trained with truncated BPTT."""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRNN, _fitted_attribute
from ._docstrings import fill_doc
from ._sequences import PAD_ID, TOKENS, UNKNOWN_ID, SequenceData
from ._tasks import NextTokenTask
from ._threads import blas_threads
from ._training import baseline_loss
from .text import SequenceVectorizer

SCORE_WINDOW = 256
#: the parameters that go to the language model's SequenceVectorizer
VECTORIZER_PARAMETERS = (
    "analyzer",
    "input",
    "encoding",
    "decode_error",
    "lowercase",
    "token_pattern",
    "max_tokens",
    "min_df",
)
SCORE_STREAMS = 512


class _Windows:
    """Token streams cut into windows of ``seq_length`` steps.

    Every document is its own token stream; its inputs are the padding id
    (a "start of text" step whose input row is zero) followed by all but its
    last token, its targets are its tokens. Windows are laid out as
    ``(n_streams, n_windows)``; ``starts`` marks windows whose stream begins
    fresh (zero state): a document's first window and each stream's first.

    ``carry_tokens`` (one id per stream) continues streams of an earlier
    text: their first window keeps the carried state and, where a document
    starts, reads the carried token instead of the start step.
    """

    def __init__(self, docs, seq_length, n_streams=None, carry_tokens=None):
        # no window is longer than the longest document, whatever seq_length asks
        seq_length = max(1, min(seq_length, max(len(ids) for ids in docs)))
        windows = [self._cut(np.asarray(ids, dtype=np.intp), seq_length) for ids in docs]
        windows = [w for w in windows if w is not None]
        if n_streams is None:  # one stream per document
            groups = windows
        else:  # all windows in order, split into contiguous streams
            joined = [np.concatenate(parts) for parts in zip(*windows)]
            count = len(joined[0])
            n_streams = min(n_streams, count)
            bounds = np.linspace(0, count, n_streams + 1).round().astype(int)
            groups = [[part[a:b] for part in joined] for a, b in zip(bounds, bounds[1:])]
        n_windows = max(len(g[0]) for g in groups)
        shape = (len(groups), n_windows)
        self.inputs = np.zeros(shape + (seq_length,), dtype=np.intp)
        self.targets = np.zeros(shape + (seq_length,), dtype=np.intp)
        self.lengths = np.zeros(shape, dtype=np.intp)
        self.starts = np.ones(shape, dtype=bool)
        for b, (inputs, targets, lengths, starts) in enumerate(groups):
            k = len(lengths)
            self.inputs[b, :k], self.targets[b, :k] = inputs, targets
            self.lengths[b, :k], self.starts[b, :k] = lengths, starts
        self.starts[:, 0] = True
        if carry_tokens is not None and len(carry_tokens) == len(groups):
            fresh = self.inputs[:, 0, 0] == PAD_ID
            self.inputs[fresh, 0, 0] = carry_tokens[fresh]
            self.starts[:, 0] = False

    def last_tokens(self):
        """The final token of every stream (to continue it later)."""
        last_window = np.maximum((self.lengths > 0).sum(axis=1) - 1, 0)
        rows = np.arange(self.n_streams)
        last_step = np.maximum(self.lengths[rows, last_window] - 1, 0)
        return self.targets[rows, last_window, last_step]

    @staticmethod
    def _cut(ids, seq_length):
        n = len(ids)
        if n == 0:
            return None
        n_windows = -(-n // seq_length)
        inputs = np.zeros(n_windows * seq_length, dtype=np.intp)
        targets = np.zeros_like(inputs)
        inputs[1:n] = ids[:-1]
        targets[:n] = ids
        lengths = np.full(n_windows, seq_length)
        lengths[-1] = n - (n_windows - 1) * seq_length
        starts = np.zeros(n_windows, dtype=bool)
        starts[0] = True
        shape = (n_windows, seq_length)
        return inputs.reshape(shape), targets.reshape(shape), lengths, starts

    @property
    def n_streams(self):
        return self.lengths.shape[0]

    @property
    def n_windows(self):
        return self.lengths.shape[1]

    @property
    def n_tokens(self):
        return int(self.lengths.sum())

    def batch(self, window, dtype):
        """The :class:`Batch` of window ``window`` of every stream, and its
        targets as ``(T * B,)`` time-major with a mask of the real steps."""
        data = SequenceData.from_padded(
            self.inputs[:, window, :, None], self.lengths[:, window], TOKENS
        )
        batch = data.batch(None, dtype)
        targets = self.targets[batch.rows, window, : batch.n_steps].T.ravel()
        return batch, targets, batch.step_mask().ravel()

    def run(self, network, step, state, dtype):
        """Every window in order, each stream's state carried from one to
        the next (zero where a stream starts fresh): yields
        ``step(batch, targets, mask, initial_state)``'s first value, and
        keeps the final states from its forward cache in ``state``
        ``(L, 1, n_states, n_streams, H)``."""
        for w in range(self.n_windows):
            state[:, :, :, self.starts[:, w]] = 0.0
            batch, target, mask = self.batch(w, dtype)
            value, cache = step(batch, target, mask, state[:, :, :, batch.rows])
            yield value
            state[:, :, :, batch.rows] = network.final_states(cache)


class _TextEpochs:
    """Training epochs over a text's windows, for :func:`~skrnn._training.run_epochs`.

    ``state`` (or zeros where its shape does not fit) is each stream's
    state before the first window; the one after the last is kept in it.
    """

    def __init__(self, windows, state):
        self.windows = windows
        self.state = state

    @property
    def n_samples(self):
        return self.windows.n_tokens

    def baseline(self, loss, n_outputs):
        return baseline_loss(loss, n_outputs)

    def epoch(self, trainer):
        """One pass over every window; the mean loss per token. The streams'
        states become the epoch's last ones only when it completes."""
        network, windows = trainer.network, self.windows
        shape = network.state_shape(windows.n_streams)
        if self.state is None or self.state.shape != shape:
            state = np.zeros(shape, dtype=network.dtype)
            windows.starts[:, 0] = True
        else:
            state = self.state.copy()

        def train_step(batch, target, mask, initial_state):
            weight = mask.astype(network.dtype) / mask.sum()
            loss, cache = trainer.step(batch, target, weight, initial_state)
            return loss * mask.sum(), cache

        total = 0.0
        for weighted_loss in windows.run(network, train_step, state, network.dtype):
            if not np.isfinite(weighted_loss):
                return weighted_loss
            total += weighted_loss
        self.state = state
        return total / windows.n_tokens


@fill_doc
class RNNLanguageModel(BaseRNN):
    """Recurrent language model of characters (or words), as min-char-rnn.

    ``fit`` learns a vocabulary and a next-token model of a text (a string or
    a list of documents). Training is truncated back-propagation through
    time: each document is one token stream, the streams are cut into
    ``batch_size`` contiguous parts trained side by side, in windows of
    ``seq_length`` steps; the hidden state is carried from one window to the
    next and the gradient stops at the window's edge. Documents are never
    glued together: each starts from a zero state with a "start of text"
    step, so the model also learns how texts begin.

    Parameters
    ----------
    analyzer : {'char', 'word'} or callable, default='char'
        What a token is, as for :class:`SequenceVectorizer`.
    input : {'content', 'file', 'filename'}, default='content'
        What X holds: the text itself, open files, or file names (as for
        :class:`SequenceVectorizer`); a single one may stand alone.
    encoding : str, default='utf-8'
        Encoding of bytes and files.
    decode_error : {'strict', 'ignore', 'replace'}, default='strict'
        What to do with bytes that are not valid in ``encoding``.
    lowercase : bool, default=False
        Lower-case the text first.
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Word pattern for ``analyzer='word'``.
    max_tokens : int or None, default=None
        Largest vocabulary (counting the padding and unknown ids).
    min_df : int or float, default=1
        Drop tokens found in fewer documents than this.
    seq_length : int, default=35
        Steps per training window (the truncation length of BPTT).
    {network}
    {optimizer}
    batch_size : int, default=32
        Number of streams trained side by side.
    max_iter : int, default=10
        Epochs (passes over the text).
    random_state : int, RandomState instance or None, default=None
        Seed for the initial weights.
    {control}

    Attributes
    ----------
    vectorizer_ : SequenceVectorizer
        The fitted tokenizer and vocabulary.
    vocabulary_ : dict of str to int
        Token to id; ids 0 (start/padding) and 1 (unknown) are reserved.
    tokens_ : ndarray of str objects
        The token of every id, the columns of :meth:`predict_proba`.
    loss_, loss_curve_, best_loss_, n_iter_, coefs_
        As for :class:`RNNClassifier`; losses are nats per token.
    t_ : int
        Tokens trained on.

    Examples
    --------
    >>> from skrnn import RNNLanguageModel
    >>> text = "abcabcabcabcabcabcabcabc" * 20
    >>> lm = RNNLanguageModel(hidden_size=16, seq_length=12, batch_size=4,
    ...                       learning_rate_init=0.02, max_iter=30, random_state=0)
    >>> lm = lm.fit(text)
    >>> lm.generate("ab", n_tokens=7, temperature=0)
    'cabcabc'
    >>> bool(lm.perplexity("abcabc") < 1.5)
    True
    """

    _parameter_constraints: dict = {
        **BaseRNN._parameter_constraints,
        **{key: SequenceVectorizer._parameter_constraints[key] for key in VECTORIZER_PARAMETERS},
        "seq_length": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }
    _task_type = NextTokenTask

    def __init__(
        self,
        analyzer="char",
        *,
        input="content",
        encoding="utf-8",
        decode_error="strict",
        lowercase=False,
        token_pattern=r"(?u)\b\w+\b",
        max_tokens=None,
        min_df=1,
        seq_length=35,
        hidden_size=128,
        num_layers=1,
        cell="gru",
        embedding_dim=None,
        dropout=0.0,
        input_dropout=0.0,
        output_dropout=0.0,
        recurrent_init="uniform",
        forget_bias=1.0,
        solver="adam",
        learning_rate_init=0.005,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0,
        batch_size=32,
        max_iter=10,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        warm_start=False,
        verbose=False,
        clip_value=None,
        clip_norm=5.0,
        dtype="float32",
    ):
        self.analyzer = analyzer
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.max_tokens = max_tokens
        self.min_df = min_df
        self.seq_length = seq_length
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.output_dropout = output_dropout
        self.recurrent_init = recurrent_init
        self.forget_bias = forget_bias
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.dtype = dtype

    vocabulary_ = _fitted_attribute(
        "vocabulary_", lambda self: self.vectorizer_.vocabulary_, "Token to id."
    )
    tokens_ = _fitted_attribute(
        "tokens_",
        lambda self: self.vectorizer_.get_feature_names_out(),
        "The token of every id, the columns of predict_proba.",
    )
    n_tokens_ = _fitted_attribute(
        "n_tokens_", lambda self: self._task.n_tokens, "The number of ids, ``len(tokens_)``."
    )

    def _documents(self, X, vectorizer):
        """X (one text or an iterable of them, as ``input`` says) -> the list
        of its documents' id arrays, read once by ``vectorizer``, fitting it
        first if it is not fitted."""
        if isinstance(X, (str, bytes)) or hasattr(X, "read"):
            X = [X]
        fitted = hasattr(vectorizer, "vocabulary_")
        docs = vectorizer.to_ids(X) if fitted else vectorizer.fit_to_ids(X)
        if not any(len(doc) for doc in docs):
            raise ValueError(
                "RNNLanguageModel needs text with at least one token; every document "
                f"given ({len(docs)}) is empty. Give it some text."
            )
        return docs

    def _prompt_ids(self, prompts):
        """The ids of prompts, which are text whatever ``input`` says of X."""
        vectorizer = copy.copy(self.vectorizer_)
        return vectorizer.set_params(input="content").to_ids(prompts)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and a next-token model of the text X.

        Parameters
        ----------
        X : str or iterable of str
            One text, or several documents (not glued together).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted model.
        """
        return self._fit_text(X, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One more epoch on the text X, continuing from the current state.

        The first call learns the vocabulary; later texts map new tokens to
        the unknown id. Streams carry their hidden state from the previous
        call when their number is unchanged, so a long text can be fed in
        consecutive pieces.

        Parameters
        ----------
        X : str or iterable of str
            Text.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The updated model.
        """
        return self._fit_text(X, incremental=True)

    def _fit_text(self, X, incremental):
        fresh = self._starts_afresh(incremental)
        new = self._begin(fresh)
        if fresh:
            params = {name: getattr(self, name) for name in VECTORIZER_PARAMETERS}
            new.vectorizer_ = SequenceVectorizer(**params)
            docs = self._documents(X, new.vectorizer_)
            if not new.vectorizer_.vocabulary_:
                raise ValueError(
                    "RNNLanguageModel kept no token in its vocabulary (min_df="
                    f"{self.min_df}, max_tokens={self.max_tokens}), so there is "
                    "nothing to model. Lower min_df or give more text."
                )
            new._task = NextTokenTask(len(new.vectorizer_.get_feature_names_out()))
            new._stream_state = new._stream_tokens = None
        else:
            new.vectorizer_, new._task = self.vectorizer_, self._task
            docs = self._documents(X, self.vectorizer_)
            new._stream_state, new._stream_tokens = self._stream_state, self._stream_tokens
        self._check_inputs_fit(TOKENS)
        n_tokens = new._task.n_tokens
        self._build(new, fresh, incremental, n_tokens, n_tokens, TOKENS)
        carry = new._stream_tokens if incremental else None
        windows = _Windows(docs, self.seq_length, self.batch_size, carry)
        epochs = _TextEpochs(windows, new._stream_state if incremental else None)

        def train():
            try:
                self._train(new, epochs, incremental)
            finally:
                new._stream_state = epochs.state
                new._stream_tokens = windows.last_tokens()

        return self._run(new, train)

    # ------------------------------------------------------------ inference
    def _log_likelihood(self, docs):
        """Sum of log p(token | preceding tokens of its document), and count."""
        network = self.network_.predictor()
        ws = network.workspace()
        tiny = np.finfo(float).tiny

        def score_step(batch, target, mask, initial_state):
            out, cache = network.forward(batch, initial_state, ws)
            proba = out.reshape(len(mask), -1)[np.flatnonzero(mask), target[mask]]
            return float(np.log(np.maximum(proba, tiny)).sum()), cache

        total, count = 0.0, 0
        with blas_threads(len(docs)):
            for start in range(0, len(docs), SCORE_STREAMS):
                windows = _Windows(docs[start : start + SCORE_STREAMS], SCORE_WINDOW)
                state = np.zeros(network.state_shape(windows.n_streams))
                total += sum(windows.run(network, score_step, state, np.float64))
                count += windows.n_tokens
        return total, count

    def score(self, X, y=None):
        """Mean log-likelihood per token, in nats (higher is better).

        Parameters
        ----------
        X : str or iterable of str
            Text to score; each document is read from its start.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``mean log p(token | the tokens before it)``.
        """
        check_is_fitted(self)
        total, count = self._log_likelihood(self._documents(X, self.vectorizer_))
        return total / count

    def perplexity(self, X):
        """``exp(-score(X))``: the model's effective number of choices per token.

        Parameters
        ----------
        X : str or iterable of str
            Text to score.

        Returns
        -------
        perplexity : float
        """
        return float(np.exp(-self.score(X)))

    def predict_proba(self, X):
        """Distribution of the next token after each prompt.

        Parameters
        ----------
        X : str or iterable of str
            A prompt, or several. An empty prompt asks for the first token of a
            text.

        Returns
        -------
        proba : ndarray of shape (n_ids,) or (n_prompts, n_ids)
            Probabilities over the ``n_ids = len(tokens_)`` ids; ``tokens_``
            names the columns. 1-D for a single string.
        """
        check_is_fitted(self)
        single = isinstance(X, (str, bytes))
        prompts = self._prompt_ids([X] if single else X)
        if not prompts:
            raise ValueError(
                "predict_proba needs at least one prompt (an empty string asks for "
                "the first token of a text). Pass a list of prompts."
            )
        rows = [[PAD_ID] + list(ids) for ids in prompts]  # the "start of text" step first
        steps = np.concatenate(rows).astype(np.intp)[:, None]
        data = SequenceData(steps, [len(r) for r in rows], TOKENS)
        proba = self.network_.predict(data, self._task.prompt_units)
        return proba[0] if single else proba

    def generate(self, prompt="", n_tokens=200, temperature=1.0, random_state=None):
        """Continue ``prompt`` by sampling one token at a time.

        Parameters
        ----------
        prompt : str, default=''
            Text to continue; unknown tokens in it are read as the unknown id.
            Empty: start a new text.
        n_tokens : int, default=200
            Tokens to generate.
        temperature : float, default=1.0
            Divides the log-probabilities before sampling; below 1 is more
            conservative, 0 always takes the most probable token (greedy).
        random_state : int, RandomState instance or None, default=None
            Seed for sampling, so a sample can be reproduced.

        Returns
        -------
        text : str
            The generated continuation (without the prompt); tokens are joined
            with '' for characters and ' ' otherwise.
        """
        check_is_fitted(self)
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string. Got {type(prompt).__name__} instead.")
        if isinstance(n_tokens, bool) or not isinstance(n_tokens, Integral) or n_tokens < 0:
            raise ValueError(f"n_tokens must be an int >= 0. Got {n_tokens!r} instead.")
        if not isinstance(temperature, Real) or not 0 <= temperature < np.inf:
            raise ValueError(
                f"temperature must be a finite number >= 0. Got {temperature!r} instead."
            )
        rng = check_random_state(random_state)
        network = self.network_.predictor()
        ids = [PAD_ID] + self._prompt_ids([prompt])[0]
        tokens = self.tokens_
        state = np.zeros(network.state_shape(1))
        ws = network.workspace()
        out = None
        for token in ids:
            out, state = self._step(network, token, state, ws)
        generated = []
        for _ in range(n_tokens):
            token = self._sample(out, temperature, rng)
            generated.append(tokens[token])
            out, state = self._step(network, token, state, ws)
        joiner = "" if self.vectorizer_.analyzer == "char" else " "
        return joiner.join(generated)

    @staticmethod
    def _step(network, token, state, ws):
        data = SequenceData(np.array([[token]]), np.array([1]), TOKENS)
        out, cache = network.forward(data.batch(None, np.float64), state, ws)
        return out[0, 0].copy(), network.final_states(cache)

    @staticmethod
    def _sample(proba, temperature, rng):
        proba = proba.copy()
        proba[[PAD_ID, UNKNOWN_ID]] = 0.0  # never emit padding or '[UNK]'
        if temperature == 0 or not proba.any():
            return int(np.argmax(proba))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            logits = np.log(proba)
            logits -= logits.max()  # 0 for the most probable: no inf - inf below
            weights = np.exp(logits / temperature)
        weights[~np.isfinite(weights)] = 0.0
        return int(rng.choice(len(weights), p=weights / weights.sum()))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.required = False
        return tags
