"""RNNSeq2Seq: output sequences of their own length (encoder-decoder)."""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import SupervisedRNN, _fitted_attribute
from ._docstrings import fill_doc
from ._encoder_decoder import EncoderDecoder, check_attention
from ._network import LOSS_FUNCTIONS
from ._tasks import OutputSequenceTask
from .metrics import sequence_error_rate


@fill_doc
class RNNSeq2Seq(SupervisedRNN):
    """Recurrent encoder-decoder with attention: an output sequence of its
    own length for every input sequence.

    For jobs where the output is not aligned with the input and has a
    length of its own: spelling or format normalisation, transliteration,
    grapheme-to-phoneme, short translations. An encoder (any cell, stacked
    and bidirectional layers, an embedding of token ids) reads the input;
    a one-layer decoder of the same cell starts from its final states
    (through a learned ``tanh`` bridge when the encoder reads both ways)
    and emits the output one token at a time, attending over the encoder's
    states with Luong et al.'s (2015) global attention before its softmax.
    In training the decoder reads the true previous token (teacher forcing)
    and the loss is the cross-entropy of every output token and of the end
    of each output, averaged over a mini-batch's tokens; ``predict`` feeds
    the decoder its own tokens, greedily or by beam search.

    X is in any layout the other estimators take (token ids from
    :class:`SequenceVectorizer`, real-valued sequences; one step of d
    features makes a one-to-many model). Y is a list of output sequences:
    strings, split by ``output_split``, or lists or arrays of hashable
    labels; ``predict`` answers in Y's form.

    Beside the encoder's weights, ``coefs_`` holds the decoder's
    (``W_ih.dec``, a row per output id: padding, the end, then
    ``classes_``; ``W_hh.dec``, ``b_ih.dec``, ``b_hh.dec`` for the GRU), the
    bridge's (``W_bridge``, ``b_bridge``, when bidirectional), the
    attention's (``W_att`` for 'general'; ``W_combine``, ``b_combine``) and
    the output layer's (``W_out``, ``b_out``).

    Parameters
    ----------
    {network}
    {bidirectional}
    attention : {{'general', 'dot'}} or None, default='{attention}'
        How each decoder step scores the encoder's states: 'general' through
        a learned matrix, 'dot' by their dot product (it needs states of the
        same width: ``bidirectional=False``), None not at all (the decoder
        then sees the input only through its initial state).
    output_split : {{'char', 'word'}}, default='{output_split}'
        How a string of Y becomes output tokens: its characters, or its
        whitespace-separated words. Predictions join the tokens back alike.
        Y of lists or arrays is taken as it is.
    beam_width : int, default={beam_width}
        Hypotheses kept per sequence while decoding: 1 is greedy decoding;
        more searches further, each hypothesis scored by its log-probability
        per token (the end marker counted), so long outputs are not
        penalised for their length. Decoding costs about ``beam_width``
        times greedy decoding.
    max_output_length : int or None, default={max_output_length}
        The most tokens ``predict`` emits for one sequence. None allows
        twice the longest output sequence of the first training call (a
        model that never emits the end then stops).
    {optimizer}
    {sequences}
    {control}

    Attributes
    ----------
    classes_ : ndarray of shape (n_tokens_out,)
        The output tokens, sorted.
    max_output_length_ : int
        The most tokens ``predict`` emits.
    {fitted}

    See Also
    --------
    RNNSequenceTagger : One label per input step, aligned.
    skrnn.metrics.sequence_error_rate : Share of wrong output sequences.
    skrnn.metrics.token_error_rate : Edit distance over reference length.
    skrnn.inspection.AttentionDisplay : The attention weights as a heat map.

    Examples
    --------
    >>> from skrnn import RNNSeq2Seq
    >>> X = [[2, 3, 4], [3, 2], [4], [2, 4, 3, 3]]      # token ids
    >>> Y = ["cba", "bc", "d", "aabd"]                   # each input's output
    >>> model = RNNSeq2Seq(hidden_size=16, max_iter=150, random_state=0).fit(X, Y)
    >>> model.predict([[3, 2], [4]])
    ['bc', 'd']
    >>> float(model.score(X, Y))
    1.0
    """

    _parameter_constraints: dict = {
        **SupervisedRNN._parameter_constraints,
        "attention": [StrOptions({"general", "dot"}), None],
        "output_split": [StrOptions({"char", "word"})],
        "beam_width": [Interval(Integral, 1, None, closed="left")],
        "max_output_length": [None, Interval(Integral, 1, None, closed="left")],
    }
    _architecture = SupervisedRNN._architecture + ("attention",)
    _task_type = OutputSequenceTask

    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=True,
        cell="gru",
        embedding_dim=None,
        attention="general",
        output_split="char",
        beam_width=1,
        max_output_length=None,
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
        alpha=0.0001,
        batch_size=32,
        max_iter=200,
        max_fun=15000,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        verbose=False,
        clip_value=None,
        clip_norm=None,
        dtype="float32",
        input_type="auto",
        n_tokens=None,
        embedding_init=None,
        freeze_embedding=False,
    ):
        super().__init__(
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            cell=cell,
            embedding_dim=embedding_dim,
            dropout=dropout,
            input_dropout=input_dropout,
            output_dropout=output_dropout,
            recurrent_init=recurrent_init,
            forget_bias=forget_bias,
            solver=solver,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            alpha=alpha,
            batch_size=batch_size,
            max_iter=max_iter,
            max_fun=max_fun,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            warm_start=warm_start,
            verbose=verbose,
            clip_value=clip_value,
            clip_norm=clip_norm,
            dtype=dtype,
            input_type=input_type,
            n_tokens=n_tokens,
            embedding_init=embedding_init,
            freeze_embedding=freeze_embedding,
        )
        self.attention = attention
        self.output_split = output_split
        self.beam_width = beam_width
        self.max_output_length = max_output_length

    classes_ = _fitted_attribute(
        "classes_", lambda self: self._task.classes_, "The output tokens, sorted."
    )
    max_output_length_ = _fitted_attribute(
        "max_output_length_",
        lambda self: _output_limit(self.max_output_length, self._task),
        "The most tokens predict emits for one sequence.",
    )

    # ------------------------------------------------------------- fitting
    def fit(self, X, Y, sample_weight=None):
        """Fit the model to input sequences X and output sequences Y.

        A call that raises leaves the estimator as it was, but for training
        that diverges or is interrupted after a complete epoch, which keeps
        the model of the last complete epoch and says so.

        Parameters
        ----------
        X : array-like or list of sequences
            Input sequences in any layout of the user guide.
        Y : list of str or list of sequences
            One output sequence per input: a string (split by
            ``output_split``) or a list or array of hashable labels.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each pair on the loss of each of its output tokens.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, Y, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, Y, classes=None, sample_weight=None):
        """Update the model with one epoch over X and Y.

        Parameters
        ----------
        X : sequences
            As for :meth:`fit`.
        Y : output sequences
            As for :meth:`fit`.
        classes : array-like, default=None
            Every output token Y may hold, given on the first call; None
            learns them from the first Y, and a later token outside them is
            an error.
        sample_weight : array-like of shape (n_sequences,), default=None
            As for :meth:`fit`.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, Y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _learn_task(self, y, data, spec, classes):
        return OutputSequenceTask.learn(
            y, data, spec, type(self).__name__, classes=classes, split=self.output_split
        )

    def _new_network(self, n_inputs, n_outputs, input_kind, task):
        return EncoderDecoder(
            n_inputs,
            n_outputs,
            input_kind=input_kind,
            attention=self.attention,
            **self._stack_parameters(),
        )

    def _check_call(self, y, incremental, classes):
        super()._check_call(y, incremental, classes)
        check_attention(self.attention, self.bidirectional)

    def _validation(self, new, data, targets, held_out, weights):
        """The held-out exact-match accuracy (greedy decoding) and the
        teacher-forced loss per token."""
        network, task = new.network_, new._task
        limit = _output_limit(self.max_output_length, task)
        decoded = network.decode(data.data, limit + 1, index=held_out)
        true = targets.padded(held_out)
        right = [
            len(ids) + 1 == n and np.array_equal(ids, row[: n - 1])
            for ids, row, n in zip(decoded, true, targets.lengths[held_out])
        ]
        sequence_weights = None if weights is None else weights[held_out]
        score = float(np.average(right, weights=sequence_weights))
        loss, total = 0.0, 0.0
        predictor = network.predictor()
        for _, batch in network.prediction_batches(data, held_out):
            out, _ = predictor.forward(batch)
            ids = batch.target_ids
            unit = (ids != 0) * (1.0 if weights is None else weights[batch.rows][:, None])
            part, _ = LOSS_FUNCTIONS[task.loss](
                out.reshape(-1, network.n_outputs).copy(), ids.ravel(), unit.ravel()
            )
            loss, total = loss + part, total + unit.sum()
        return score, loss / total

    # ------------------------------------------------------------ predicting
    def predict(self, X):
        """The output sequence of every input sequence.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.

        Returns
        -------
        Y : list of str, list of list or list of ndarray
            One output sequence per input, in the form Y had in ``fit``:
            strings joined as ``output_split`` split them, or lists or
            arrays of labels. An output that reached ``max_output_length_``
            tokens without its end is cut there.
        """
        check_is_fitted(self)
        data, _ = self._check_X(X, self._input_spec)
        limit = self.max_output_length_
        ids = self.network_.decode(data, limit + 1, self.beam_width)
        return self._task.in_y_form([row[:limit] for row in ids])

    def attention_weights(self, X, Y=None):
        """How much every output token attended to every input step.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.
        Y : output sequences, default=None
            The outputs to read with teacher forcing, in the form used in
            ``fit``; None reads the model's own predictions.

        Returns
        -------
        weights : list of ndarray of shape (n_output_tokens + 1, n_steps)
            One array per sequence: a row per output token and a last row
            for the end of the output, a column per real input step; each
            row sums to 1.
        """
        check_is_fitted(self)
        data, spec = self._check_X(X, self._input_spec)
        Y = self.predict(X) if Y is None else Y
        pairs = self._task.training_data(data, self._task.targets(Y, data, spec))
        weights = [None] * len(data)
        network = self.network_
        for _, batch in network.prediction_batches(pairs, np.arange(len(data))):
            batch_weights = network.attention_weights(batch)
            for row, sequence in enumerate(batch.rows):
                n_out = pairs.outputs.lengths[sequence]
                weights[sequence] = batch_weights[row, :n_out, : batch.lengths[row]].copy()
        return weights

    def split_output(self, y):
        """One output sequence as its list of tokens, as ``fit`` reads it.

        Parameters
        ----------
        y : str, list or ndarray
            One output sequence, in the form Y had in ``fit``.

        Returns
        -------
        tokens : list
            A string's characters or words (``output_split``), or the labels.
        """
        check_is_fitted(self)
        return self._task.tokens(y)

    def score(self, X, Y, sample_weight=None):
        """Exact-match accuracy: the share of outputs predicted token for token.

        Parameters
        ----------
        X : sequences
            In the layout used in ``fit``.
        Y : output sequences
            The true outputs, in the form used in ``fit``.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence.

        Returns
        -------
        score : float
            1 - :func:`skrnn.metrics.sequence_error_rate`.
        """
        true = [self.split_output(y) for y in Y]
        predicted = [self.split_output(y) for y in self.predict(X)]
        return 1.0 - sequence_error_rate(true, predicted, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        # Y is a sequence per sample: not a classifier's labels or a
        # regressor's values to sklearn's tools; an integer cv means KFold.
        tags = super().__sklearn_tags__()
        tags.estimator_type = None
        tags.target_tags.required = True
        return tags


def _output_limit(max_output_length, task):
    """The most tokens to emit: the parameter, or twice the longest output
    sequence the task learned from."""
    return max_output_length or max(2 * task.longest, 1)
