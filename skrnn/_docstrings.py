"""Parameter descriptions shared by the estimators' docstrings.

A class docstring names a fragment on a line of its own, ``{network}``; the
:func:`fill_doc` decorator puts the text in, with the defaults read from the
class's own ``__init__`` so a fragment cannot drift from the signature.
"""

import inspect

FRAGMENTS = {
    "network": """\
    hidden_size : int, default={hidden_size}
        Number of units in each recurrent layer.
    num_layers : int, default={num_layers}
        Number of stacked recurrent layers; layer l + 1 reads layer l's
        outputs at every step.
    cell : {{'rnn', 'gru', 'lstm'}}, default='{cell}'
        Recurrent cell: 'rnn' is the tanh (Elman) cell, 'gru' and 'lstm' the
        gated cells with PyTorch's equations and gate order. The GRU is the
        default because it learned every shared task at default settings,
        where the tanh cell failed several (benchmarks/README.md,
        "Defaults"); the tanh cell is 2-3 times cheaper per step.
    embedding_dim : int or None, default={embedding_dim}
        For token ids: learn an embedding of this many values per token, the
        first layer's input. None looks each token up directly in the first
        layer's input weights, an embedding as wide as the gates (H, 3H or
        4H values per token); a smaller ``embedding_dim`` has fewer weights
        and trains faster on a large vocabulary. Dense inputs reject it.
    dropout : float, default={dropout}
        Share of each layer's outputs zeroed (inverted dropout) before the next
        layer while training; needs ``num_layers > 1`` to have an effect.
    input_dropout : float, default={input_dropout}
        Share of the first layer's input values zeroed while training, with
        one mask per sequence for all its steps (variational dropout, Gal &
        Ghahramani, 2016): for dense features, or the embeddings of
        ``embedding_dim`` (token ids looked up in the input weights have no
        values to drop).
    output_dropout : float, default={output_dropout}
        Share of the values the output layer reads (the last state, or every
        step's) zeroed while training. With ``input_dropout``, the dropout of
        a one-layer model.
    recurrent_init : {{'uniform', 'orthogonal'}}, default='{recurrent_init}'
        Initial recurrent weights: PyTorch's uniform, or an orthogonal matrix
        per gate.
    forget_bias : float, default={forget_bias}
        Initial bias of the LSTM's forget gate (other cells ignore it).
""",
    "bidirectional": """\
    bidirectional : bool, default={bidirectional}
        Also read every sequence backwards (from its last real step) and join
        both directions' states; for one output per sequence, the last real
        forward state and the backward state at step 0.
""",
    "optimizer": """\
    solver : {{'adam', 'sgd', 'adagrad', 'lbfgs'}}, default='{solver}'
        Optimizer for the weights. 'lbfgs' (not for the language model) is
        scipy's L-BFGS-B on the loss of all the training data at once, as
        MLP's: for small data sets it often converges faster and better,
        with no learning rate to tune; it applies no dropout, no clipping
        and no early stopping, and has no ``partial_fit``. It fits the
        tanh cell closely enough to memorise a few dozen sequences: there,
        prefer a gated cell or raise ``alpha`` (to 0.1-1).
    learning_rate_init : float, default={learning_rate_init}
        Step size. The default suits Adam on the gated cells (it was chosen
        with them); lower it for SGD or for large networks.
    learning_rate : {{'constant', 'invscaling', 'adaptive'}}, default='{learning_rate}'
        The step size's schedule with 'sgd', as MLPClassifier's: constant;
        ``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples; or
        divided by 5 each time ``n_iter_no_change`` epochs improve the loss
        (or validation score) by less than ``tol``, until below 1e-6.
    power_t : float, default={power_t}
        The exponent of 'invscaling'.
    momentum : float, default={momentum}
        Momentum for 'sgd'.
    nesterovs_momentum : bool, default={nesterovs_momentum}
        Use Nesterov's momentum with 'sgd' and momentum > 0.
    beta_1 : float, default={beta_1}
        Adam's decay rate of the first moment (the mean gradient).
    beta_2 : float, default={beta_2}
        Adam's decay rate of the second moment (the mean squared gradient).
    epsilon : float, default={epsilon}
        Adam's and Adagrad's guard against division by zero.
    alpha : float, default={alpha}
        L2 penalty on the weights (not the biases), scaled as in MLP.
""",
    "control": """\
    tol : float, default={tol}
        Minimum improvement of the loss (or validation score) per epoch.
    n_iter_no_change : int, default={n_iter_no_change}
        Epochs without ``tol`` improvement before training stops.
    warm_start : bool, default={warm_start}
        Reuse the weights of the previous ``fit`` as the starting point.
    verbose : bool, default={verbose}
        Print one line per epoch.
    clip_value : float or None, default={clip_value}
        Clip every gradient entry to ``[-clip_value, clip_value]``.
    clip_norm : float or None, default={clip_norm}
        Rescale the gradient to at most this global L2 norm.
    dtype : {{'float32', 'float64'}}, default='{dtype}'
        Precision of the weights and of the training computation
        (predictions are computed in float64).
""",
    "fitted": """\
    input_type_ : {{'dense', 'tokens'}}
        How X was read in ``fit``.
    n_features_in_ : int
        Sequence length T for a 2-D float array X (features per step for the
        tagger's stream), else features (or ids) per step.
    n_tokens_ : int
        For token input: ``n_tokens``, or the largest id seen in ``fit`` plus
        one. Larger ids at predict time are treated as unknown (id 1).
    loss_ : float
        Training loss of the last epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    loss_curve_ : list of float
        Training loss per epoch.
    validation_scores_ : list of float or None
        Held-out score (as ``score`` computes it) per epoch once a call used
        early stopping, NaN for an epoch that held nothing out (a
        ``partial_fit``, or the epochs before early stopping was set); None
        before.
    validation_loss_curve_ : list of float or None
        Held-out loss per epoch, alike.
    best_validation_score_ : float or None
        Best held-out score with early stopping.
    n_iter_ : int
        Epochs run.
    t_ : int
        Training sequences seen.
    coefs_ : dict of str to ndarray
        Named weights, read-only views of those the model predicts with:
        ``W_ih.{{layer}}.{{direction}}``, ``W_hh...``, ``b_ih...`` (and ``b_hh...``
        for the GRU), ``W_emb`` with ``embedding_dim``, ``W_out``, ``b_out``.
""",
    "pooling": """\
    pooling : {{'last', 'mean', 'max'}} or readout object, default='{pooling}'
        What the output layer reads of each sequence: the state after its
        last real step (and the backward direction's after its first), or
        the mean or the largest value of every output over its real steps
        (padding never counts). 'last' suits sequences read to an end (a
        sentence's sentiment, a running total); 'mean' helps when evidence
        is spread over a long sequence, where the last state forgets the
        start; 'max' when a short pattern anywhere decides (an event in a
        long signal), and it classified short texts as well as 'last'. An
        object with ``features`` and ``seed`` methods (a subclass of
        ``skrnn._readout.Readout``) reads the top layer as it decides.
""",
    "class_weight": """\
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss (of the labels of steps, for the
        tagger), as ``LogisticRegression`` defines them: a dict ``{{class:
        weight}}`` (others weigh 1), or 'balanced' for ``n_samples /
        (n_classes * np.bincount(y))`` on the training labels ('balanced'
        needs ``fit``: ``partial_fit`` sees a part of the labels). They
        multiply ``sample_weight``.
""",
    "sequences": """\
    batch_size : int or 'auto', default={batch_size}
        Sequences per mini-batch, grouped by similar length; 'auto' is
        ``min(200, n_sequences)`` as in MLP.
    max_iter : int, default={max_iter}
        Maximum number of epochs (iterations, for 'lbfgs').
    max_fun : int, default={max_fun}
        With 'lbfgs', the most evaluations of the loss.
    shuffle : bool, default={shuffle}
        Shuffle the sequences every epoch (never the steps of one).
    random_state : int, RandomState instance or None, default={random_state}
        Controls initialisation, shuffling, dropout and the validation split.
    early_stopping : bool, default={early_stopping}
        Hold out ``validation_fraction`` of the sequences, stop when their
        score stops improving and keep the best weights.
    validation_fraction : float, default={validation_fraction}
        Share of the training sequences held out for early stopping.
    input_type : {{'auto', 'dense', 'tokens'}}, default='{input_type}'
        How to read X: 'auto' takes integer arrays as token ids and everything
        else as real-valued features.
    n_tokens : int or None, default={n_tokens}
        For token ids: how many ids the model has input rows for, which is
        ``len(vectorizer.get_feature_names_out())`` of the fitted
        :class:`SequenceVectorizer`. None takes the largest id of the first
        ``fit`` or ``partial_fit`` call plus one, which is too few when
        ``partial_fit`` sees the data in blocks (ids beyond it are read as
        unknown). Ignored for real-valued input.
    embedding_init : array-like of shape (n_tokens, embedding_dim) or None, default={embedding_init}
        For token ids: the table the embedding starts from, one row per id
        of the fitted :class:`SequenceVectorizer` (row 0 padding, row 1
        unknown), for example pretrained word vectors arranged by
        :func:`skrnn.text.embedding_matrix`. Its width is ``embedding_dim``
        (None takes it), its rows the vocabulary size. None draws the
        embedding at random.
    freeze_embedding : bool, default={freeze_embedding}
        Keep the embedding table as it starts (Keras' ``trainable=False``,
        PyTorch's ``from_pretrained(freeze=True)``): it is not trained and
        takes no L2 penalty.
""",
}


def fill_doc(cls):
    """Put the shared parameter descriptions into ``cls.__doc__``."""
    defaults = {
        name: param.default
        for name, param in inspect.signature(cls.__init__).parameters.items()
        if param.default is not inspect.Parameter.empty
    }
    doc = cls.__doc__
    for name, text in FRAGMENTS.items():
        marker = "    {" + name + "}\n"
        if marker in doc:
            doc = doc.replace(marker, text.format(**defaults))
    cls.__doc__ = doc
    return cls
