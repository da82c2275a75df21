"""Looking at a fitted model: its training curves."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["TrainingCurveDisplay"]


def _pyplot():
    """matplotlib's pyplot, or an ImportError that names the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "TrainingCurveDisplay draws with matplotlib, which is not installed. Install "
            'it with pip install "skrnn[plot]" (or pip install matplotlib).'
        ) from error
    return plt


def _has_points(curve):
    """A curve given (a list or an array) with at least one point."""
    return curve is not None and len(curve) > 0


class TrainingCurveDisplay:
    """Training curves of a fitted skrnn estimator: the loss per epoch, and
    the held-out loss and score per epoch where early stopping kept them.

    Build it with :meth:`from_estimator`; the constructor takes the curves
    themselves. The training and held-out losses share the left axis; the
    held-out score (accuracy, R² or per-step accuracy, as ``score``
    computes it) has its own axis on the right. Needs matplotlib.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss after each epoch (each iteration, for L-BFGS).
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Held-out loss after each epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        Held-out score after each epoch.
    estimator_name : str, default=None
        Name for the title.
    x_label : str, default='epoch'
        What one point of the curves is.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the losses.
    score_ax_ : matplotlib Axes or None
        The right-hand axes of the held-out score, if there is one.
    figure_ : matplotlib Figure
        The figure holding the axes.
    lines_ : dict of str to matplotlib Line2D
        The drawn curves by name: ``'loss'``, ``'validation loss'``,
        ``'validation score'``.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the
        training set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> from skrnn.inspection import TrainingCurveDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 6, 2))
    >>> y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    >>> clf = RNNClassifier(hidden_size=8, early_stopping=True, random_state=0).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['loss', 'validation loss', 'validation score']
    >>> len(display.lines_["loss"].get_xdata()) == clf.n_iter_
    True
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        estimator_name=None,
        x_label="epoch",
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name
        self.x_label = x_label

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Plot the curves a fitted estimator (or a pipeline ending in one)
        kept while training.

        Parameters
        ----------
        estimator : fitted skrnn estimator or Pipeline
            A model with ``loss_curve_``; for a pipeline, its last step.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        name : str, default=None
            Title; None uses the estimator's class name.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, drawn.
        """
        model = estimator[-1] if hasattr(estimator, "steps") else estimator
        if not hasattr(model, "loss_curve_"):
            check_is_fitted(model)
            hint = ""
            if hasattr(model, "best_estimator_"):
                hint = " For a search, pass the refitted model: search.best_estimator_."
            raise TypeError(
                f"{type(model).__name__} keeps no loss_curve_. TrainingCurveDisplay "
                "shows the training curves of skrnn's estimators (or of a Pipeline "
                f"ending in one).{hint}"
            )
        display = cls(
            loss_curve=model.loss_curve_,
            validation_loss_curve=getattr(model, "validation_loss_curve_", None),
            validation_scores=getattr(model, "validation_scores_", None),
            estimator_name=type(model).__name__,
            x_label="iteration" if getattr(model, "solver", None) == "lbfgs" else "epoch",
        )
        return display.plot(ax=ax, name=name)

    def plot(self, ax=None, *, name=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        name : str, default=None
            Title; None uses ``estimator_name``.

        Returns
        -------
        display : TrainingCurveDisplay
            ``self``, with ``ax_``, ``score_ax_``, ``figure_`` and ``lines_``.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        epochs = np.arange(1, len(self.loss_curve) + 1)
        self.lines_ = {"loss": ax.plot(epochs, self.loss_curve, label="training loss")[0]}
        if _has_points(self.validation_loss_curve):
            (self.lines_["validation loss"],) = ax.plot(
                epochs, self.validation_loss_curve, label="validation loss"
            )
        ax.set_xlabel(self.x_label)
        ax.set_ylabel("loss")
        handles = list(self.lines_.values())
        self.score_ax_ = None
        if _has_points(self.validation_scores):
            self.score_ax_ = ax.twinx()
            (self.lines_["validation score"],) = self.score_ax_.plot(
                epochs, self.validation_scores, color="tab:green", label="validation score"
            )
            self.score_ax_.set_ylabel("validation score")
            handles.append(self.lines_["validation score"])
        # below the axes: on twin axes, "best" sees the loss curves only and
        # can cover the score
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=len(handles),
            frameon=False,
        )
        title = name if name is not None else self.estimator_name
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class AttentionDisplay:
    """The attention weights of one input/output pair of an
    :class:`~skrnn.RNNSeq2Seq`, as a heat map.

    A row per output token (and one for the end of the output), a column
    per input step; a cell is the weight that output token gave that step.
    A model that learned to align reads its input along a path: left to
    right for a date's digits, a letter group at a time for a word's
    phones. Build it with :meth:`from_estimator`; the constructor takes the
    weights themselves. Needs matplotlib.

    Parameters
    ----------
    attention_weights : array-like of shape (n_output_tokens + 1, n_steps)
        Each output token's weights over the input steps.
    input_tokens : list of str
        The label of each input step.
    output_tokens : list of str
        The label of each output row.
    estimator_name : str, default=None
        Name for the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    image_ : matplotlib AxesImage
        The heat map.

    See Also
    --------
    skrnn.RNNSeq2Seq.attention_weights : The weights of many pairs.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import RNNSeq2Seq, SequenceVectorizer
    >>> from skrnn.inspection import AttentionDisplay
    >>> words, reversed_words = ["abc", "cab", "bca", "ab"], ["cba", "bac", "acb", "ba"]
    >>> model = make_pipeline(SequenceVectorizer(analyzer="char"),
    ...                       RNNSeq2Seq(hidden_size=16, max_iter=100, random_state=0))
    >>> model = model.fit(words, reversed_words)
    >>> display = AttentionDisplay.from_estimator(model, "abc")
    >>> display.input_tokens, display.output_tokens
    (['a', 'b', 'c'], ['c', 'b', 'a', '<end>'])
    >>> display.attention_weights.shape
    (4, 3)
    """

    def __init__(self, *, attention_weights, input_tokens, output_tokens, estimator_name=None):
        self.attention_weights = attention_weights
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, x, y=None, *, ax=None, name=None):
        """Draw the attention of a fitted model on one input.

        Parameters
        ----------
        estimator : fitted RNNSeq2Seq, or a Pipeline ending in one
            The model. A pipeline's steps before it turn ``x`` into its
            input; when they end in a :class:`~skrnn.SequenceVectorizer`,
            its tokens label the input steps.
        x : one input sequence
            As the estimator takes it: a string, for a pipeline that starts
            with a vectorizer.
        y : one output sequence, default=None
            The output to show the attention of, read with teacher forcing;
            None shows the model's own prediction.
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        name : str, default=None
            Title; None uses the estimator's class name.

        Returns
        -------
        display : AttentionDisplay
            The display, drawn.
        """
        pipeline = hasattr(estimator, "steps")
        model = estimator[-1] if pipeline else estimator
        if not hasattr(model, "attention_weights"):
            raise TypeError(
                f"{type(model).__name__} has no attention. AttentionDisplay shows the "
                "attention of an RNNSeq2Seq (or of a Pipeline ending in one)."
            )
        X = estimator[:-1].transform([x]) if pipeline else [x]
        weights = model.attention_weights(X, None if y is None else [y])[0]
        output = y if y is not None else model.predict(X)[0]
        vectorizer = estimator[:-1][-1] if pipeline and len(estimator) > 1 else None
        if hasattr(vectorizer, "inverse_transform"):
            inputs = [str(t) for t in vectorizer.inverse_transform(X)[0]]
        else:
            inputs = [str(step) for step in range(1, weights.shape[1] + 1)]
        outputs = [str(token) for token in model.split_output(output)] + ["<end>"]
        display = cls(
            attention_weights=weights,
            input_tokens=inputs,
            output_tokens=outputs,
            estimator_name=type(model).__name__,
        )
        return display.plot(ax=ax, name=name)

    def plot(self, ax=None, *, name=None, cmap="Blues"):
        """Draw the heat map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        name : str, default=None
            Title; None uses ``estimator_name``.
        cmap : str or matplotlib Colormap, default='Blues'
            The colours of the weights, from 0 to 1.

        Returns
        -------
        display : AttentionDisplay
            ``self``, with ``ax_``, ``figure_`` and ``image_``.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots(layout="constrained")
        weights = np.asarray(self.attention_weights)
        self.image_ = ax.imshow(weights, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(np.arange(weights.shape[1]), labels=self.input_tokens)
        ax.set_yticks(np.arange(weights.shape[0]), labels=self.output_tokens)
        ax.set_xlabel("input")
        ax.set_ylabel("output")
        ax.figure.colorbar(self.image_, ax=ax, label="attention weight")
        title = name if name is not None else self.estimator_name
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, ax.figure
        return self
