"""The estimators' bases: shared parameters, and fitting as one transaction.

:class:`BaseRNN` holds what every recurrent estimator has: the network and
optimizer parameters, and the transaction every ``fit`` and ``partial_fit``
is. A call validates everything, builds its new state aside (a
:class:`FitState`: the network, the optimizer, the task, the random state,
the curves), trains that, and only then commits it to the estimator, so a
call that raises leaves the estimator exactly as it was. The one exception
is training that diverges or is interrupted after at least one complete
epoch of the call: the state of the last complete epoch is committed, every
attribute consistent with it, and the error or warning says so.

:class:`SupervisedRNN` adds sequences X with targets y: validation of X
(:func:`~skrnn._sequences.check_sequences`), the held-out split of early
stopping, and predictions. What y means (targets, units, loss, weights,
predictions) is the estimator's task object (``_tasks.py``).
"""

import copy
import dataclasses
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

# Parameter-constraint helpers live in a private sklearn module (as in
# scikit-learn-contrib's project-template); they are imported here only.
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._network import CELL_NAMES, LOSS_FUNCTIONS, RecurrentNetwork
from ._optimizers import SOLVERS, make_optimizer, optimizer_matches
from ._persistence import PersistenceMixin
from ._readout import make_readout, readout_name
from ._sequences import (
    DENSE,
    check_sequences,
    check_vocabulary_size,
    feature_attributes,
    is_nested_scalar_table,
)
from ._tasks import check_weights
from ._training import (
    SequenceBatches,
    StoppingMonitor,
    Trainer,
    TrainingDiverged,
    run_epochs,
    run_lbfgs,
    warn_not_converged,
)

#: the values ``pooling`` takes: a readout's name, or a readout object
POOLING_CONSTRAINT = [StrOptions({"last", "mean", "max"}), HasMethods(["features", "seed"])]


#: the fitted attributes a call that does not start afresh continues from
CONTINUED = (
    "_random_state",
    "loss_curve_",
    "n_iter_",
    "t_",
    "loss_",
    "best_loss_",
    "validation_scores_",
    "validation_loss_curve_",
    "best_validation_score_",
)


class FitState(SimpleNamespace):
    """The fitted attributes one call builds aside: named as on the
    estimator, committed to it together (:meth:`BaseRNN._commit`)."""


def _fitted_attribute(name, source, doc):
    """A fitted attribute derived from another one, ``source(self)``:
    stored once, read where it lives; missing until the model is fitted."""

    def get(self):
        try:
            return source(self)
        except (AttributeError, KeyError):
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r} (it is set by fit)"
            ) from None

    return property(get, doc=doc)


class BaseRNN(PersistenceMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class for recurrent estimators. Do not use directly."""

    _parameter_constraints: dict = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions(set(CELL_NAMES))],
        "embedding_dim": [None, Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "output_dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_init": [StrOptions({"uniform", "orthogonal"})],
        "forget_bias": [Interval(Real, None, None, closed="neither")],
        "solver": [StrOptions(set(SOLVERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "clip_value": [None, Interval(Real, 0, None, closed="neither")],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "dtype": [StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64})],
    }

    #: parameters that shape the network: changing one needs new weights
    _architecture = ("hidden_size", "num_layers", "cell", "embedding_dim", "dtype")

    def _validate_params(self):
        """sklearn's validation, and no bool where a count is expected
        (``True`` is an Integral to Python, never a size to a user)."""
        super()._validate_params()
        for name, value in self.get_params(deep=False).items():
            counts = self._parameter_constraints.get(name, [])
            is_count = any(getattr(c, "type", None) is Integral for c in counts)
            if is_count and isinstance(value, (bool, np.bool_)):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be an int, "
                    f"not a bool. Got {value!r} instead."
                )

    # ------------------------------------------------- what a call starts from
    def _architecture_changes(self):
        """The architecture parameters set otherwise than the network has them."""
        net = self.network_
        built = net.architecture()
        wanted = {name: getattr(self, name) for name in self._architecture}
        wanted["dtype"] = np.dtype(wanted["dtype"]).name
        wanted["embedding_dim"] = self._embedding_dim()
        if "pooling" in wanted:
            wanted["pooling"] = readout_name(make_readout(self.pooling))
        if wanted["embedding_dim"] is not None and net.input_kind == DENSE:
            wanted["embedding_dim"] = None  # refused for dense input on a fresh fit
        return [f"{k}={built[k]!r} -> {v!r}" for k, v in wanted.items() if built[k] != v]

    def _starts_afresh(self, incremental):
        """Whether this call builds a new network: the first call, any ``fit``
        without ``warm_start``, and a ``warm_start`` fit whose architecture
        parameters changed (with a warning); ``partial_fit`` cannot continue
        a network of another architecture."""
        if not hasattr(self, "network_"):
            return True
        if not (self.warm_start or incremental):
            return True
        changes = self._architecture_changes()
        if changes and incremental:
            raise ValueError(
                f"partial_fit continues the fitted network, but {', '.join(changes)} "
                "changed since it was built. Call fit to start anew, or set the "
                "parameters back."
            )
        if changes:
            warnings.warn(
                f"warm_start=True, but {', '.join(changes)} changed since the last fit: "
                "the network is built anew from fresh weights.",
                UserWarning,
                stacklevel=4,
            )
        return bool(changes)

    def _begin(self, fresh):
        """The state this call starts from: empty curves and a new random
        state for a fresh network, else copies of the fitted ones (the
        network and optimizer are added by :meth:`_build`)."""
        if fresh:
            return FitState(
                _random_state=check_random_state(self.random_state),
                loss_curve_=[],
                n_iter_=0,
                t_=0,
                loss_=None,
                best_loss_=None,
                validation_scores_=None,
                validation_loss_curve_=None,
                best_validation_score_=None,
            )
        return FitState(**{name: copy.deepcopy(getattr(self, name)) for name in CONTINUED})

    def _build(self, new, fresh, incremental, n_inputs, n_outputs, input_kind, embedding=None):
        """Put the network and the optimizer into ``new``: a new network if
        ``fresh`` (its embedding table ``embedding``, if given), else a copy
        of the fitted one; a new optimizer unless ``partial_fit`` continues
        one of the same settings."""
        if fresh:
            new.network_ = self._new_network(n_inputs, n_outputs, input_kind, new._task)
            new.network_.initialize(
                new._random_state, self.recurrent_init, self.forget_bias, embedding
            )
        else:
            new.network_ = copy.deepcopy(self.network_)
        params = self.get_params()
        previous = None if fresh else getattr(self, "_optimizer", None)
        if self.solver == "lbfgs":
            new._optimizer = None  # L-BFGS keeps no state between calls
        elif incremental and optimizer_matches(previous, self.solver, params):
            new._optimizer = copy.deepcopy(previous)
        else:
            new._optimizer = make_optimizer(self.solver, new.network_.coef, params)

    def _new_network(self, n_inputs, n_outputs, input_kind, task):
        """The network a fresh call trains, with this estimator's parameters."""
        return RecurrentNetwork(
            n_inputs,
            n_outputs,
            input_kind=input_kind,
            readout=self._readout(),
            output_activation=task.output_activation,
            **self._stack_parameters(),
        )

    def _stack_parameters(self):
        """The parameters of the recurrent stack, by the network's names."""
        return {
            "hidden_size": self.hidden_size,
            "embedding_dim": self._embedding_dim(),
            "num_layers": self.num_layers,
            "bidirectional": getattr(self, "bidirectional", False),
            "cell": self.cell,
            "dtype": np.dtype(self.dtype),
        }

    def _commit(self, new):
        """Make ``new`` the estimator's fitted state, all at once."""
        removed = getattr(new, "_removed", ())
        state = {k: v for k, v in vars(new).items() if k != "_removed"}
        for name in removed:
            self.__dict__.pop(name, None)
        self.__dict__.update(state)

    def _run(self, new, train):
        """``train()`` the state ``new``, then commit it. After a divergence
        or Ctrl-C, training has put the state back to the end of its last
        complete epoch: commit it if the call completed one, and raise. Any
        other failure commits nothing."""
        start = new.n_iter_
        try:
            train()
        except (TrainingDiverged, KeyboardInterrupt):
            if new.n_iter_ > start:
                self._commit(new)
            raise
        self._commit(new)
        return self

    # ----------------------------------------------------------- training
    def _train(self, new, batches, incremental, validate=None):
        """Epochs of ``batches`` (``partial_fit``: one) on the state ``new``,
        recording its curves."""
        if self.solver == "lbfgs":
            return self._train_lbfgs(new, batches)
        task = new._task
        trainer = Trainer(
            new.network_,
            new._optimizer,
            task.loss,
            alpha=self.alpha,
            clip_value=self.clip_value,
            clip_norm=self.clip_norm,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            output_dropout=self.output_dropout,
            rng=new._random_state,
            baseline=batches.baseline(task.loss, task.n_outputs),
            frozen=self._frozen(),
        )
        monitor = StoppingMonitor(self.tol, self.n_iter_no_change, validate is not None)
        record = self._recorder(new, batches.n_samples, validate)
        previous_best = new.best_loss_ if incremental else None
        stopped = False
        try:
            stopped = run_epochs(
                trainer,
                batches,
                1 if incremental else self.max_iter,
                monitor=monitor,
                record=record,
                validate=validate,
                verbose=self.verbose,
                hint=task.divergence_hint,
            )
        finally:
            new.best_loss_ = min(
                monitor.best_loss, np.inf if previous_best is None else previous_best
            )
            if monitor.best_coef is not None:
                new.best_validation_score_ = monitor.best_score
                new.best_loss_ = None
        if not stopped and not incremental and new.n_iter_ >= self.max_iter:
            warn_not_converged(self.max_iter)

    def _recorder(self, new, n_samples, validate):
        """``record(loss, validation)`` of an epoch into the curves of
        ``new``. Once a call validates, the validation curves have an entry
        for every epoch: NaN where an epoch held nothing out."""
        validating = validate is not None or new.validation_scores_ is not None
        if validating and new.validation_scores_ is None:  # early stopping turned on
            new.validation_scores_ = [np.nan] * new.n_iter_
            new.validation_loss_curve_ = [np.nan] * new.n_iter_

        def record(loss, validation):
            self._record_epoch(new, loss, n_samples)
            if validating:
                score, held_out_loss = (np.nan, np.nan) if validation is None else validation
                new.validation_scores_.append(score)
                new.validation_loss_curve_.append(held_out_loss)
            new._optimizer.iteration_ends(new.t_)
            return new.n_iter_

        return record

    @staticmethod
    def _record_epoch(new, loss, n_samples):
        """An epoch (an L-BFGS iteration) that saw ``n_samples`` ended at ``loss``."""
        new.n_iter_ += 1
        new.t_ += n_samples
        new.loss_ = loss
        new.loss_curve_.append(loss)
        return new.n_iter_

    @classmethod
    def _record_iteration(cls, new, loss, n_samples):
        """An accepted L-BFGS iterate: its loss is the lowest so far."""
        new.best_loss_ = loss
        return cls._record_epoch(new, loss, n_samples)

    def _train_lbfgs(self, new, batches):
        """Full-batch L-BFGS (no dropout: its loss must be deterministic)."""
        trainer = Trainer(
            new.network_,
            None,
            new._task.loss,
            alpha=self.alpha,
            clip_value=None,
            clip_norm=None,
            dropout=0.0,
            rng=new._random_state,
            frozen=self._frozen(),
        )
        result = run_lbfgs(
            trainer,
            batches,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            record=lambda loss: self._record_iteration(new, loss, batches.n_samples),
            verbose=self.verbose,
        )
        new.loss_ = new.best_loss_ = float(result.fun)
        if result.nit >= self.max_iter or result.nfev >= self.max_fun:
            warn_not_converged(self.max_iter)

    def _check_inputs_fit(self, kind):
        """The parameters that need inputs of one kind agree with ``kind``."""
        if kind == DENSE and self.embedding_dim is not None:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} embeds token ids, but X holds "
                "real-valued features. Pass integer token ids (input_type='tokens') "
                "or set embedding_dim=None."
            )
        if kind != DENSE and self._embedding_dim() is None and self.input_dropout:
            raise ValueError(
                f"input_dropout={self.input_dropout} drops input values, but token ids "
                "looked up in the input weights have none. Set embedding_dim to drop "
                "embedding values, or use output_dropout."
            )

    def _readout(self):
        """What the network's output layer reads: the ``pooling`` parameter
        where the estimator has one, else the task's choice."""
        return self._task_type.readout

    def _embedding_dim(self):
        """The width of the embedding table, None without one."""
        return self.embedding_dim

    def _frozen(self):
        """The parameters training leaves as they are."""
        return ()

    @property
    def coefs_(self):
        """Named weight arrays, read-only views of the weights the model
        predicts with (``network_.coef`` is the one flat vector)."""
        check_is_fitted(self)
        return self.network_.read_only_params()


class SupervisedRNN(BaseRNN):
    """Base class of the estimators fitted on sequences X and targets y."""

    _architecture = BaseRNN._architecture + ("bidirectional",)

    _parameter_constraints: dict = {
        **BaseRNN._parameter_constraints,
        "bidirectional": ["boolean"],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "input_type": [StrOptions({"auto", "dense", "tokens"})],
        "solver": [StrOptions(set(SOLVERS) | {"lbfgs"})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "n_tokens": [None, Interval(Integral, 2, None, closed="left")],
        "embedding_init": [None, "array-like"],
        "freeze_embedding": ["boolean"],
    }

    #: the task class (``_tasks.py``) of the estimator
    _task_type = None

    @abstractmethod
    def __init__(
        self,
        hidden_size,
        *,
        num_layers,
        bidirectional,
        cell,
        embedding_dim,
        dropout,
        input_dropout,
        output_dropout,
        recurrent_init,
        forget_bias,
        solver,
        learning_rate_init,
        learning_rate,
        power_t,
        momentum,
        nesterovs_momentum,
        beta_1,
        beta_2,
        epsilon,
        alpha,
        batch_size,
        max_iter,
        max_fun,
        shuffle,
        random_state,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        warm_start,
        verbose,
        clip_value,
        clip_norm,
        dtype,
        input_type,
        n_tokens,
        embedding_init,
        freeze_embedding,
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
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
        self.max_fun = max_fun
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.verbose = verbose
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.dtype = dtype
        self.input_type = input_type
        self.n_tokens = n_tokens
        self.embedding_init = embedding_init
        self.freeze_embedding = freeze_embedding

    input_type_ = _fitted_attribute(
        "input_type_", lambda self: self._input_spec.kind, "How X was read in fit."
    )
    n_tokens_ = _fitted_attribute(
        "n_tokens_",
        lambda self: _token_count(self._input_spec),
        "For token input: the vocabulary size the model has input rows for.",
    )

    # ------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences X and targets y.

        A call that raises leaves the estimator as it was, but for training
        that diverges or is interrupted after a complete epoch, which keeps
        the model of the last complete epoch and says so.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in any layout of the user guide (2-D/3-D arrays, ragged
            lists, token ids).
        y : array-like
            Targets.
        sample_weight : array-like of shape (n_sequences,), default=None
            Weight of each sequence in the loss (each row, for the tagger's
            stream layout); an integer weight counts as that many copies.
            None weighs them all 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def _fit(self, X, y, incremental, classes=None, sample_weight=None):
        self._check_call(y, incremental, classes)
        fresh = self._starts_afresh(incremental)
        new = self._begin(fresh)
        data, spec, stream = self._read_training_X(X, y, fresh, new)
        if fresh:
            new._task, targets = self._learn_task(y, data, spec, classes)
        else:
            new._task, targets = self._task, self._task.targets(y, data, spec, classes)
        sequence_weights = self._check_sample_weight(sample_weight, X)
        weights = new._task.unit_weights(
            sequence_weights, targets, data, stream, self._class_weight(), incremental
        )
        self._check_training_data(data, spec)
        n_inputs = spec.width if spec.kind == DENSE else spec.n_tokens
        embedding = self._embedding_table(spec) if fresh else None
        self._build(new, fresh, incremental, n_inputs, new._task.n_outputs, spec.kind, embedding)
        data = new._task.training_data(data, targets)
        train, held_out = self._split_validation(new, data, weights, targets, incremental)
        size = min(200, len(train)) if self.batch_size == "auto" else self.batch_size
        batches = SequenceBatches(
            data,
            targets,
            train,
            new._task.units,
            min(size, len(train)),
            self.shuffle,
            new._random_state,
            weights,
            None if stream else sequence_weights,
        )
        validate = None
        if held_out is not None:

            def validate():
                return self._validation(new, data, targets, held_out, weights)

        return self._run(new, lambda: self._train(new, batches, incremental, validate))

    def _learn_task(self, y, data, spec, classes):
        """The task of a fresh call, made from its y, and y's targets."""
        return self._task_type.learn(
            y, data, spec, type(self).__name__, classes=classes, dtype=self.dtype
        )

    def _check_call(self, y, incremental, classes):
        """What a training call needs before anything is read."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if incremental and self.solver == "lbfgs":
            raise ValueError(
                "partial_fit needs a stochastic solver ('adam', 'sgd' or 'adagrad'); "
                "lbfgs minimises the loss of all the data at once. Use fit, or set "
                "solver='adam'."
            )
        first = incremental and not hasattr(self, "network_")
        if first and classes is None and self._task_type.needs_classes_up_front:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: every label "
                "y may hold, for example classes=np.unique(y_all)."
            )

    def _class_weight(self):
        """The ``class_weight`` parameter, where the estimator has one."""
        return None

    def _read_training_X(self, X, y, fresh, new):
        """X of a training call: read as the fitted model reads it, or, on
        a fresh fit, with the attributes it sets put into ``new``."""
        if not fresh:
            data, _ = self._check_X(X, self._input_spec)
            return data, self._input_spec, self._input_spec.layout == "stream"
        stream = self._task_type.reads_stream(X, y)
        data, found = check_sequences(
            X, input_type=self.input_type, stream=stream, owner=type(self).__name__
        )
        spec = self._declare_vocabulary(found, data)
        new._input_spec = spec
        attributes, new._removed = feature_attributes(X, spec)
        vars(new).update(attributes)
        return data, spec, stream

    def _declare_vocabulary(self, spec, data):
        """``spec`` with the vocabulary size that the ``n_tokens`` parameter
        or the rows of ``embedding_init`` declare, which the first block of
        a ``partial_fit`` stream cannot show."""
        if spec.kind == DENSE:
            return spec
        if self.embedding_init is not None and self.n_tokens is None:
            rows = len(self.embedding_init)
            return dataclasses.replace(spec, n_tokens=max(rows, spec.n_tokens))
        if self.n_tokens is None:
            return spec
        if spec.n_tokens > self.n_tokens:
            raise ValueError(
                f"X holds token id {spec.n_tokens - 1}, but n_tokens={self.n_tokens} "
                f"allows ids 0 to {self.n_tokens - 1}. Set n_tokens to the vocabulary "
                "size, len(vectorizer.get_feature_names_out()) of the fitted "
                "SequenceVectorizer, or leave it None."
            )
        check_vocabulary_size(self.n_tokens, data, f"n_tokens={self.n_tokens} asks for")
        return dataclasses.replace(spec, n_tokens=self.n_tokens)

    def _embedding_dim(self):
        if self.embedding_init is None:
            return self.embedding_dim
        return np.shape(self.embedding_init)[1] if np.ndim(self.embedding_init) == 2 else None

    def _frozen(self):
        return ("W_emb",) if self.freeze_embedding and self._embedding_dim() else ()

    def _embedding_table(self, spec):
        """``embedding_init`` as a float64 table, checked against X and the
        other parameters; None without it."""
        if self.embedding_init is None:
            if self.freeze_embedding and self.embedding_dim is None:
                raise ValueError(
                    "freeze_embedding=True keeps an embedding table as it starts, but "
                    "there is none: set embedding_init (or embedding_dim)."
                )
            return None
        if spec.kind == DENSE:
            raise ValueError(
                "embedding_init gives embeddings of token ids, but X holds real-valued "
                "features. Pass integer token ids, or set embedding_init=None."
            )
        table = check_array(self.embedding_init, dtype=np.float64, input_name="embedding_init")
        rows, width = table.shape
        fix = "Build it from the fitted vectorizer with skrnn.text.embedding_matrix."
        if self.embedding_dim is not None and self.embedding_dim != width:
            raise ValueError(
                f"embedding_init has {width} columns but embedding_dim={self.embedding_dim}; "
                "leave embedding_dim None to take the table's width."
            )
        if rows != spec.n_tokens:
            raise ValueError(
                f"embedding_init has {rows} rows, one per token id, but the model needs "
                f"{spec.n_tokens} (X holds ids up to {spec.n_tokens - 1}, or n_tokens "
                f"says so). {fix}"
            )
        return table

    def _check_X(self, X, spec):
        """X as :class:`~skrnn._sequences.SequenceData`, as the fitted
        ``spec`` says it must be. A 2-D table's columns are sklearn's
        features, checked (with their names) by sklearn's ``validate_data``.
        """
        if spec.is_table and _is_table(X):
            validate_data(self, X, skip_check_array=True, reset=False)
        return check_sequences(X, spec=spec, owner=type(self).__name__)

    def _check_sample_weight(self, sample_weight, X):
        """``sample_weight`` as float64, one per sequence (per row of a
        stream), or None."""
        if sample_weight is None:
            return None
        weights = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        return check_weights(
            weights, "sample_weight", "Give some sequence a positive finite weight."
        )

    def _check_training_data(self, data, spec):
        self._check_inputs_fit(spec.kind)
        if not data.lengths.any():
            raise ValueError(
                "Every sequence in X is padding (token id 0) or empty: there is "
                "nothing to learn from. Give X a sequence with a real step."
            )

    def _split_validation(self, new, data, weights, targets, incremental):
        """Hold out ``validation_fraction`` of the sequences for early stopping."""
        index = np.arange(len(data))
        if not self.early_stopping or incremental or self.solver == "lbfgs":
            return index, None
        try:
            train, held_out = train_test_split(
                index,
                test_size=self.validation_fraction,
                random_state=new._random_state,
                stratify=new._task.stratify(targets),
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {len(data)} sequences: {exc} "
                "Increase validation_fraction, give more data or set "
                "early_stopping=False."
            ) from None
        for part, name in ((held_out, "held-out"), (train, "training")):
            units = new._task.units.units(data, part)
            if len(units) == 0 or (weights is not None and not weights[units].sum() > 0):
                raise ValueError(
                    f"early_stopping split the sequences so that the {name} part "
                    f"({len(part)} sequences) weighs 0 in all (its sample or class "
                    "weights, or no real step). Raise validation_fraction, change "
                    "random_state or set early_stopping=False."
                )
        return train, held_out

    @staticmethod
    def _validation(new, data, targets, held_out, weights):
        """The held-out score and loss of the network being trained."""
        task, network = new._task, new.network_
        outputs = network.predict(data, task.units, held_out)
        units = task.units.units(data, held_out)
        target = targets[units]
        unit_weights = np.ones(len(target)) if weights is None else weights[units]
        loss, _ = LOSS_FUNCTIONS[task.loss](
            outputs.copy(), target, unit_weights / unit_weights.sum()
        )
        return task.validation_score(outputs, target, unit_weights), loss

    # ------------------------------------------------------------ predicting
    def _predict_outputs(self, X):
        """Outputs for X, placed by the task's units, with the data."""
        check_is_fitted(self)
        data, _ = self._check_X(X, self._input_spec)
        return self.network_.predict(data, self._task.units), data


def _token_count(spec):
    if spec.n_tokens is None:
        raise AttributeError("n_tokens_")  # real-valued input has no vocabulary
    return spec.n_tokens


def _is_table(X):
    """A 2-D array, data frame or ``X.tolist()`` of one, not a list of sequences."""
    if isinstance(X, (list, tuple)):
        return is_nested_scalar_table(X)
    return (X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim) == 2


class LabelsMixin:
    """What the classifier and the tagger share: class weights, ``classes_``,
    log-probabilities."""

    _parameter_constraints: dict = {"class_weight": [None, StrOptions({"balanced"}), dict]}

    classes_ = _fitted_attribute(
        "classes_", lambda self: self._task.classes_, "The labels, sorted."
    )

    def _class_weight(self):
        return self.class_weight

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, in the same layout.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in the layout used in ``fit``.

        Returns
        -------
        log_proba : ndarray or list of ndarray
            Log-probabilities, columns ordered as ``classes_``; ``-inf`` where
            a probability is 0.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return [np.log(p) for p in proba] if isinstance(proba, list) else np.log(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = False
        return tags
