"""The estimators' bases: shared parameters and training, and supervised fitting.

:class:`BaseRNN` holds what every recurrent estimator has: the network and
optimizer parameters, the first-call logic, building the network and the
optimizer, and training through :mod:`skrnn._training` with the fitted
curves. :class:`SupervisedRNN` adds sequences X with targets y: validation
of X (:func:`~skrnn._sequences.check_sequences`), the held-out split of
early stopping, and predictions. The public estimators say only how y
becomes targets, which head and loss they use, and how outputs become
predictions.
"""

import dataclasses
import inspect
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

# Parameter-constraint helpers live in a private sklearn module (as in
# scikit-learn-contrib's project-template); they are imported here only.
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._network import CELL_NAMES, LOSS_FUNCTIONS, RecurrentNetwork
from ._optimizers import SOLVERS, make_optimizer
from ._persistence import PersistenceMixin
from ._sequences import (
    DENSE,
    check_feature_count,
    check_sequences,
    encode_labels,
    is_nested_scalar_table,
)
from ._training import (
    SequenceBatches,
    StoppingMonitor,
    Trainer,
    run_epochs,
    run_lbfgs,
    warn_not_converged,
)


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

    # What a subclass says about its network: the head reading the top layer,
    # the output activation and the loss.
    _head = "last"
    _output_activation = "softmax"
    _loss = "log_loss"

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

    def _store(self, arguments):
        """Keep every ``__init__`` argument, unchanged, as the attribute of its
        name (sklearn's rule); ``arguments`` is ``__init__``'s ``locals()``."""
        for name, value in arguments.items():
            if name != "self":
                setattr(self, name, value)

    #: parameters that shape the network: changing one needs new weights
    _architecture = ("hidden_size", "num_layers", "cell", "embedding_dim", "dtype")

    def _architecture_changes(self):
        """The architecture parameters set otherwise than the network has them."""
        net = self.network_
        built = {
            "pooling": net.head,
            "hidden_size": net.hidden_size,
            "num_layers": net.num_layers,
            "cell": net.cell,
            "embedding_dim": net.embedding_dim,
            "dtype": net.dtype.name,
            "bidirectional": net.n_directions == 2,
        }
        wanted = {name: getattr(self, name) for name in self._architecture}
        if hasattr(self, "pooling"):
            wanted["pooling"] = self.pooling
        wanted["dtype"] = np.dtype(wanted["dtype"]).name
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
                "parameters back. Got changed parameters instead."
            )
        if changes:
            warnings.warn(
                f"warm_start=True, but {', '.join(changes)} changed since the last fit: "
                "the network is built anew from fresh weights.",
                UserWarning,
                stacklevel=4,
            )
        return bool(changes)

    def _check_inputs_fit(self, kind):
        """The parameters that need inputs of one kind agree with ``kind``."""
        if kind == DENSE and self.embedding_dim is not None:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} embeds token ids, but X holds "
                "real-valued features. Pass integer token ids (input_type='tokens') "
                "or set embedding_dim=None."
            )
        if kind != DENSE and self.embedding_dim is None and self.input_dropout:
            raise ValueError(
                f"input_dropout={self.input_dropout} drops input values, but token ids "
                "looked up in the input weights have none. Set embedding_dim to drop "
                "embedding values, or use output_dropout. Got input_dropout with token "
                "ids instead."
            )

    def _prepare(self, fresh, incremental, n_inputs, n_outputs, input_kind, bidirectional=False):
        """A new network, weights and curves if ``fresh``; a new optimizer
        unless ``partial_fit`` continues with the one it has."""
        if fresh:
            self._random_state = check_random_state(self.random_state)
            self.network_ = RecurrentNetwork(
                n_inputs,
                n_outputs,
                input_kind=input_kind,
                hidden_size=self.hidden_size,
                embedding_dim=self.embedding_dim,
                num_layers=self.num_layers,
                bidirectional=bidirectional,
                cell=self.cell,
                head=self._head_kind(),
                output_activation=self._output_activation,
                dtype=np.dtype(self.dtype),
            )
            self.network_.initialize(self._random_state, self.recurrent_init, self.forget_bias)
            self._reset_curves()
        if self.solver == "lbfgs":
            self._optimizer = None  # L-BFGS keeps no state between calls
        elif not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = make_optimizer(self.solver, self.network_.coef, self.get_params())

    def _head_kind(self):
        """The head the network reads its top layer with: the ``pooling``
        parameter where the estimator has one, else its ``_head``."""
        return getattr(self, "pooling", self._head)

    def _reset_curves(self):
        self.loss_curve_ = []
        self.n_iter_ = 0
        self.t_ = 0

    def _record_epoch(self, loss, n_samples):
        """An epoch (an L-BFGS iteration) that saw ``n_samples`` ended at
        ``loss``; returns the epochs run."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_ = loss
        self.loss_curve_.append(loss)
        return self.n_iter_

    def _train(self, batches, incremental, validate=None):
        """Epochs of ``batches`` (``partial_fit``: one), recording the curves."""
        if self.solver == "lbfgs":
            return self._train_lbfgs(batches)
        trainer = Trainer(
            self.network_,
            self._optimizer,
            self._loss,
            alpha=self.alpha,
            clip_value=self.clip_value,
            clip_norm=self.clip_norm,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            output_dropout=self.output_dropout,
            rng=self._random_state,
            baseline=batches.baseline(self._loss, self.network_.n_outputs),
        )
        monitor = StoppingMonitor(self.tol, self.n_iter_no_change, validate is not None)

        def record(loss, score):
            self._record_epoch(loss, batches.n_samples)
            self._optimizer.iteration_ends(self.t_)
            return self.n_iter_

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
            )
        except ValueError:
            del self._optimizer  # its moments and step sizes led here
            raise
        finally:
            previous_best = getattr(self, "best_loss_", None) if incremental else None
            self.best_loss_ = min(monitor.best_loss, previous_best or np.inf)
            if monitor.best_coef is not None:
                self.best_validation_score_ = monitor.best_score
                self.best_loss_ = None
        if not stopped and not incremental and self.n_iter_ >= self.max_iter:
            warn_not_converged(self.max_iter)

    def _train_lbfgs(self, batches):
        """Full-batch L-BFGS (no dropout: its loss must be deterministic)."""
        trainer = Trainer(
            self.network_,
            None,
            self._loss,
            alpha=self.alpha,
            clip_value=None,
            clip_norm=None,
            dropout=0.0,
            rng=self._random_state,
        )

        result = run_lbfgs(
            trainer,
            batches,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            record=lambda loss: self._record_epoch(loss, batches.n_samples),
            verbose=self.verbose,
        )
        self.loss_ = self.best_loss_ = float(result.fun)
        if result.nit >= self.max_iter or result.nfev >= self.max_fun:
            warn_not_converged(self.max_iter)

    @property
    def coefs_(self):
        """Named weight arrays (views of the flat parameter vector; what is
        written to them is what the model predicts with)."""
        check_is_fitted(self)
        self.network_.weights_changed()
        return self.network_.params


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
    }

    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=False,
        cell="rnn",
        embedding_dim=None,
        dropout=0.0,
        input_dropout=0.0,
        output_dropout=0.0,
        recurrent_init="uniform",
        forget_bias=1.0,
        solver="adam",
        learning_rate_init=0.001,
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
    ):
        self._store(locals())

    # ------------------------------------------------ hooks for the estimators
    @abstractmethod
    def _encode_targets(self, y, data, spec, reset, classes=None):
        """Validate y against ``data`` (described by ``spec``); return the
        targets (one row per sequence, as the head's ``batch_targets`` takes
        them), n_outputs, and the fitted attributes y sets, which ``reset``
        learns anew. Nothing is written on the estimator.

        ``classes`` is what the first ``partial_fit`` call was told."""

    @abstractmethod
    def _validation_score(self, outputs, targets, weights):
        """Score held-out outputs (higher is better) for early stopping,
        weighted by each unit's ``weights``."""

    def _stratify(self, targets):
        return None

    def _is_stream(self, X, y):
        return False

    # ------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences X and targets y.

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
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if incremental and self.solver == "lbfgs":
            raise ValueError(
                "partial_fit needs a stochastic solver ('adam', 'sgd' or 'adagrad'); "
                "lbfgs minimises the loss of all the data at once. Got solver='lbfgs' "
                "instead."
            )
        fresh = self._starts_afresh(incremental)
        spec = None if fresh else self._input_spec
        data, found = self._check_X(X, spec, stream=fresh and self._is_stream(X, y))
        spec = self._declare_vocabulary(found) if fresh else spec
        targets, n_outputs, fitted = self._encode_targets(y, data, spec, fresh, classes)
        sequence_weights = self._check_sample_weight(sample_weight, X)
        weights = self._unit_weights(sequence_weights, targets, data, spec, fitted, incremental)
        self._check_training_data(data, spec)
        # everything is valid: only now does the estimator change
        if fresh:
            self._keep_input_spec(X, spec)
        for name, value in fitted.items():
            setattr(self, name, value)
        n_inputs = spec.width if spec.kind == DENSE else spec.n_tokens
        self._prepare(fresh, incremental, n_inputs, n_outputs, spec.kind, self.bidirectional)
        if fresh:
            self.validation_scores_ = [] if self.early_stopping else None
            self.validation_loss_curve_ = [] if self.early_stopping else None
            self.best_validation_score_ = None
        train, held_out = self._split_validation(data, targets, incremental)
        size = min(200, len(train)) if self.batch_size == "auto" else self.batch_size
        batches = SequenceBatches(
            data,
            targets,
            train,
            self.network_._head,
            min(size, len(train)),
            self.shuffle,
            self._random_state,
            weights,
            None if spec.layout == "stream" else sequence_weights,
        )
        validate = None
        if held_out is not None:

            def validate():
                return self._record_validation(data, targets, held_out, weights)

        self._train(batches, incremental, validate)
        return self

    def _declare_vocabulary(self, spec):
        """``spec`` with the ``n_tokens`` parameter's vocabulary size, which
        the first block of a ``partial_fit`` stream cannot show."""
        if self.n_tokens is None or spec.kind == DENSE:
            return spec
        if spec.n_tokens > self.n_tokens:
            raise ValueError(
                f"X holds token id {spec.n_tokens - 1}, but n_tokens={self.n_tokens} "
                f"allows ids 0 to {self.n_tokens - 1}. Set n_tokens to the vocabulary "
                "size, len(vectorizer.get_feature_names_out()) of the fitted "
                f"SequenceVectorizer, or leave it None. Got n_tokens={self.n_tokens} instead."
            )
        return dataclasses.replace(spec, n_tokens=self.n_tokens)

    def _check_X(self, X, spec, stream=False):
        """X as :class:`~skrnn._sequences.SequenceData`, and the
        :class:`~skrnn._sequences.InputSpec` of what it is; with the fitted
        ``spec``, X must agree with it. A 2-D table's columns are sklearn's
        features, checked (with their names) by sklearn's ``validate_data``.
        """
        if spec is not None and spec.is_table and _is_table(X):
            validate_data(self, X, skip_check_array=True, reset=False)
        return check_sequences(X, spec=spec, input_type=self.input_type, stream=stream)

    def _check_sample_weight(self, sample_weight, X):
        """``sample_weight`` as float64, one per sequence (per row of a
        stream), or None."""
        if sample_weight is None:
            return None
        weights = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        if not weights.sum() > 0:
            raise ValueError(
                "sample_weight sums to 0: no sequence counts, so there is nothing to "
                "learn. Got only zero weights instead."
            )
        return weights

    def _unit_weights(self, sequence_weights, targets, data, spec, fitted, incremental):
        """The loss weight of every unit the head predicts (None: equal):
        the sample weights, on every step of a sequence for a per-step
        head, times the class weights where the estimator has them."""
        if sequence_weights is None:
            return None
        return self._per_unit(sequence_weights, data, spec)

    def _per_unit(self, sample_weights, data, spec):
        """Sample weights (per sequence, or per row of a stream) as one per
        unit the head predicts."""
        return sample_weights

    def _check_training_data(self, data, spec):
        self._check_inputs_fit(spec.kind)
        if not data.lengths.any():
            raise ValueError(
                "Every sequence in X is padding (token id 0) or empty: there is "
                "nothing to learn from. Got X without a real step instead."
            )

    def _keep_input_spec(self, X, spec):
        """Learn what X is: ``_input_spec``, ``input_type_``,
        ``n_features_in_`` (and feature names for a table), ``n_tokens_``."""
        self._input_spec = spec
        self.input_type_ = spec.kind
        check_feature_count(self, X, spec, reset=True)
        if spec.n_tokens is not None:
            self.n_tokens_ = spec.n_tokens

    def _split_validation(self, data, targets, incremental):
        """Hold out ``validation_fraction`` of the sequences for early stopping."""
        index = np.arange(len(data))
        if not self.early_stopping or incremental or self.solver == "lbfgs":
            return index, None
        try:
            return train_test_split(
                index,
                test_size=self.validation_fraction,
                random_state=self._random_state,
                stratify=self._stratify(targets),
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {len(data)} sequences: {exc} "
                "Increase validation_fraction, give more data or set "
                "early_stopping=False."
            ) from None

    def _record_validation(self, data, targets, held_out, weights=None):
        network = self.network_
        outputs = network.predict(data, held_out)
        units = network._head.units(data, held_out)
        target = targets[units]
        unit_weights = np.ones(len(target)) if weights is None else weights[units]
        weight = unit_weights / unit_weights.sum()
        loss, _ = LOSS_FUNCTIONS[self._loss](outputs.copy(), target, weight)
        score = self._validation_score(outputs, target, unit_weights)
        self.validation_loss_curve_.append(loss)
        self.validation_scores_.append(score)
        return score

    # ------------------------------------------------------------ predicting
    def _predict_outputs(self, X):
        """Outputs for X, as the network's head places them, with the data."""
        check_is_fitted(self)
        data, _ = self._check_X(X, self._input_spec)
        return self.network_.predict(data), data


def with_parameters(**defaults):
    """Class decorator: the parent's ``__init__`` and its signature, plus
    these keyword parameters with their defaults (sklearn reads the
    signature), so a subclass adds a parameter without copying every other."""

    def decorate(cls):
        parent = super(cls, cls).__init__
        signature = inspect.signature(parent)

        def __init__(self, *args, **kwargs):
            own = {name: kwargs.pop(name, default) for name, default in defaults.items()}
            parent(self, *args, **kwargs)
            for name, value in own.items():
                setattr(self, name, value)

        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
            for name, default in defaults.items()
        ]
        __init__.__signature__ = signature.replace(
            parameters=[*signature.parameters.values(), *added]
        )
        cls.__init__ = __init__
        return cls

    return decorate


def _is_table(X):
    """A 2-D array, data frame or ``X.tolist()`` of one, not a list of sequences."""
    if isinstance(X, (list, tuple)):
        return is_nested_scalar_table(X)
    return (X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim) == 2


class LabelsMixin:
    """What the classifier and the tagger share: labels encoded once, class
    weights, ``partial_fit`` told every class up front, accuracy for early
    stopping, log-probabilities."""

    _parameter_constraints: dict = {"class_weight": [None, StrOptions({"balanced"}), dict]}

    def _encode_labels(self, labels, reset, classes):
        """Class codes of the 1-D ``labels`` and the fitted attributes they
        set: ``reset`` learns the classes anew."""
        encoder = None if reset else self._label_encoder
        codes, encoder = encode_labels(labels, type(self).__name__, encoder, classes)
        return codes, {"_label_encoder": encoder, "classes_": encoder.classes_}

    def _validation_score(self, outputs, targets, weights):
        return float(np.average(outputs.argmax(axis=1) == targets, weights=weights))

    def _unit_weights(self, sequence_weights, targets, data, spec, fitted, incremental):
        """The sample weights times the class weights of ``class_weight``."""
        weights = super()._unit_weights(sequence_weights, targets, data, spec, fitted, incremental)
        if self.class_weight is None:
            return weights
        if self.class_weight == "balanced" and incremental:
            raise ValueError(
                "class_weight='balanced' needs every label at once, which partial_fit "
                "does not see. Pass a dict of class weights, for example from "
                "sklearn.utils.class_weight.compute_class_weight. Got 'balanced' instead."
            )
        classes = fitted.get("classes_", getattr(self, "classes_", None))
        per_class = compute_class_weight(self.class_weight, classes=classes, y=classes[targets])
        return per_class[targets] if weights is None else weights * per_class[targets]

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

    def _partial_fit_with_classes(self, X, y, classes, sample_weight):
        if not hasattr(self, "network_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit. Got None instead."
            )
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = False
        return tags
