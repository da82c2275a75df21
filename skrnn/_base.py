"""BaseRNN: the one training loop shared by every estimator.

Estimators subclass :class:`BaseRNN` and say only how y becomes targets, which
head and loss they use, and how outputs become predictions.
"""

import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

# Parameter-constraint helpers live in a private sklearn module (as in
# scikit-learn-contrib's project-template); they are imported here only.
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._cells import CELLS, Workspace
from ._network import LOSS_FUNCTIONS, RecurrentNetwork
from ._optimizers import OPTIMIZERS, clip_gradients
from ._sequences import DENSE, check_sequences
from ._version import __version__
from .exceptions import InconsistentVersionWarning

PREDICT_CHUNK = 2048  # sequences per predict batch at most
PREDICT_BUFFER = 1 << 21  # and at most this many gate values (T * B * G * H)


def _tqdm():
    """tqdm's progress bar class, or None without the optional extra."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _epoch_range(n_epochs, verbose):
    """The epochs, behind a progress bar when verbose and tqdm is installed."""
    tqdm = _tqdm() if verbose else None
    if tqdm is None:
        return range(n_epochs)
    return tqdm(range(n_epochs), desc="epochs", leave=False)


def _write(line):
    """Print one line without breaking a tqdm progress bar, if there is one."""
    tqdm = _tqdm()
    if tqdm is None:
        print(line)
    else:
        tqdm.write(line)


class PersistenceMixin:
    """Pickle only the model: parameters, weights, vocabularies.

    Optimizer moments are training state (as large as the weights, twice
    over), so they are left out; ``partial_fit`` on a loaded model starts a
    fresh optimizer, as ``warm_start`` does. The skrnn version is recorded and
    a different one warns on load (:class:`~skrnn.exceptions.InconsistentVersionWarning`).
    """

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_optimizer", None)
        state["_skrnn_version"] = __version__
        return state

    def __setstate__(self, state):
        saved = state.pop("_skrnn_version", "unknown")
        if saved != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_skrnn_version=__version__,
                    original_skrnn_version=saved,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)


class _StoppingMonitor:
    """Decides when training stops and remembers the best weights.

    Without early stopping training stops after ``n_iter_no_change`` epochs
    whose loss did not fall by at least ``tol``; with it, after as many epochs
    whose validation score did not rise by ``tol`` (as MLPClassifier).
    """

    def __init__(self, tol, n_iter_no_change, early_stopping):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.best_loss = np.inf
        self.best_score = -np.inf
        self.best_coef = None
        self.no_improvement = 0

    def update(self, loss, score, coef):
        """Record one epoch; return True when training should stop."""
        if self.early_stopping:
            improved = score > self.best_score + self.tol
            if score > self.best_score:
                self.best_score = score
                self.best_coef = coef.copy()
        else:
            improved = loss < self.best_loss - self.tol
        self.best_loss = min(self.best_loss, loss)
        self.no_improvement = 0 if improved else self.no_improvement + 1
        return self.no_improvement > self.n_iter_no_change


def warn_unseen_labels(estimator, y_true):
    """Labels the model never saw can only be scored as errors: say so."""
    unseen = np.setdiff1d(np.unique(np.asarray(y_true)), estimator.classes_)
    if len(unseen):
        warnings.warn(
            f"y contains labels {unseen.tolist()[:10]} that {type(estimator).__name__} "
            f"was not fitted on (it knows {estimator.classes_.tolist()[:10]}); they "
            "count as wrong predictions.",
            UserWarning,
            stacklevel=3,
        )


class BaseRNN(PersistenceMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class for recurrent estimators. Do not use directly."""

    _parameter_constraints: dict = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "cell": [StrOptions(set(CELLS))],
        "embedding_dim": [None, Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_init": [StrOptions({"uniform", "orthogonal"})],
        "forget_bias": [Real],
        "solver": [StrOptions(set(OPTIMIZERS))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "clip_value": [None, Interval(Real, 0, None, closed="neither")],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "dtype": [StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64})],
        "input_type": [StrOptions({"auto", "dense", "tokens"})],
    }

    # One signature for the many-to-one estimators; sklearn's get_params reads
    # it from the class, so subclasses with extra parameters define their own.
    def __init__(
        self,
        hidden_size=64,
        *,
        num_layers=1,
        bidirectional=False,
        cell="rnn",
        embedding_dim=None,
        dropout=0.0,
        recurrent_init="uniform",
        forget_bias=1.0,
        solver="adam",
        learning_rate_init=0.001,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0001,
        batch_size=32,
        max_iter=200,
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
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.recurrent_init = recurrent_init
        self.forget_bias = forget_bias
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
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

    # ------------------------------------------------ hooks for the estimators
    _head = "last"
    _output_activation = "softmax"
    _loss = "log_loss"

    @abstractmethod
    def _encode_targets(self, y, data, reset, classes=None):
        """Validate y; return (targets aligned with ``data``, n_outputs).

        ``classes`` is what the first ``partial_fit`` call was told."""

    @abstractmethod
    def _validation_score(self, outputs, targets):
        """Score held-out outputs (higher is better) for early stopping."""

    def _stratify(self, targets):
        return None

    # ------------------------------------------------------------- fitting
    def fit(self, X, y):
        """Fit the model to sequences X and targets y.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences in any layout of the user guide (2-D/3-D arrays, ragged
            lists, token ids).
        y : array-like
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, incremental=False)

    def _fit(self, X, y, incremental, classes=None):
        first_call = not hasattr(self, "network_") or not (self.warm_start or incremental)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        data = self._check_sequences(X, reset=first_call)
        targets, n_outputs = self._encode_targets(y, data, first_call, classes)
        if first_call:
            self._random_state = check_random_state(self.random_state)
            self.network_ = self._build_network(data, n_outputs)
            self._initialize_weights()
            self._reset_curves()
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
        self._train_on_sequences(data, targets, incremental)
        return self

    def _partial_fit_with_classes(self, X, y, classes):
        """partial_fit of the classifiers: every class must be known up front."""
        if not hasattr(self, "network_"):
            self._validate_params()
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit. Got None instead."
                )
        return self._fit(X, y, incremental=True, classes=classes)

    def _check_sequences(self, X, reset):
        return check_sequences(self, X, reset=reset, input_type=self.input_type)

    def _initialize_weights(self):
        self.network_.initialize(self._random_state, self.recurrent_init, self.forget_bias)

    def _build_network(self, data, n_outputs):
        if data.kind == DENSE and self.embedding_dim is not None:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} embeds token ids, but X holds "
                "real-valued features. Pass integer token ids (input_type='tokens') "
                "or set embedding_dim=None."
            )
        n_inputs = data.n_features if data.kind == DENSE else self.n_tokens_
        return RecurrentNetwork(
            n_inputs,
            n_outputs,
            input_kind=data.kind,
            hidden_size=self.hidden_size,
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            cell=self.cell,
            head=self._head,
            output_activation=self._output_activation,
            dtype=np.dtype(self.dtype),
        )

    def _make_optimizer(self):
        coef = self.network_.coef
        if self.solver == "sgd":
            return OPTIMIZERS["sgd"](
                coef, self.learning_rate_init, self.momentum, self.nesterovs_momentum
            )
        if self.solver == "adam":
            return OPTIMIZERS["adam"](
                coef, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
            )
        return OPTIMIZERS["adagrad"](coef, self.learning_rate_init, self.epsilon)

    def _reset_curves(self):
        self.loss_curve_ = []
        self.validation_scores_ = [] if self.early_stopping else None
        self.validation_loss_curve_ = [] if self.early_stopping else None
        self.best_validation_score_ = None
        self.n_iter_ = 0
        self.t_ = 0

    def _split_validation(self, data, targets, incremental):
        """Hold out ``validation_fraction`` of the sequences for early stopping."""
        if not self.early_stopping or incremental:
            return np.arange(len(data)), None
        index = np.arange(len(data))
        stratify = self._stratify(targets)
        try:
            train, val = train_test_split(
                index,
                test_size=self.validation_fraction,
                random_state=self._random_state,
                stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction="
                f"{self.validation_fraction} of {len(data)} sequences: {exc} "
                "Increase validation_fraction, give more data or set "
                "early_stopping=False."
            ) from None
        return train, val

    def _train_on_sequences(self, data, targets, incremental):
        """Mini-batch epochs over labelled sequences, with early stopping."""
        train_index, val_index = self._split_validation(data, targets, incremental)
        batch_size = min(200, len(train_index)) if self.batch_size == "auto" else self.batch_size
        batch_size = min(batch_size, len(train_index))
        grad = self.network_.new_grad()
        l2_mask = self.network_.weight_mask() if self.alpha else None
        ws = Workspace()

        def run_epoch():
            return self._run_epoch(data, targets, train_index, batch_size, grad, l2_mask, ws)

        def validate():
            return self._record_validation(data, targets, val_index)

        self._train(
            run_epoch, len(train_index), incremental, None if val_index is None else validate
        )

    def _train(self, run_epoch, n_samples, incremental, validate=None):
        """The epoch loop: stopping, divergence, interruption, curves.

        ``run_epoch()`` trains one epoch and returns its mean loss;
        ``validate()``, if given, returns the held-out score after it.
        """
        network = self.network_
        monitor = _StoppingMonitor(self.tol, self.n_iter_no_change, validate is not None)
        max_iter = 1 if incremental else self.max_iter
        stopped = False
        try:
            for _ in _epoch_range(max_iter, self.verbose):
                start = time.perf_counter()
                snapshot = network.coef.copy()
                # Divergence is detected and reported below, not by numpy.
                with np.errstate(over="ignore", invalid="ignore"):
                    loss = run_epoch()
                if not np.isfinite(loss):
                    network.coef[...] = snapshot
                    raise FloatingPointError()
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_ = loss
                self.loss_curve_.append(loss)
                score = validate() if validate is not None else None
                stopped = monitor.update(loss, score, network.coef)
                self._print_epoch(loss, score, time.perf_counter() - start)
                if stopped:
                    break
        except FloatingPointError:
            raise ValueError(
                f"Training diverged: the loss became NaN or infinite in epoch "
                f"{self.n_iter_ + 1}. The weights of the last finite epoch were "
                "restored, so the model can still predict. Lower learning_rate_init, "
                "set clip_norm (e.g. 5.0) or clip_value, or scale the inputs."
            ) from None
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=2)
            stopped = True
        previous_best = getattr(self, "best_loss_", None) if incremental else None
        self.best_loss_ = min(monitor.best_loss, previous_best or np.inf)
        if monitor.best_coef is not None:
            network.coef[...] = monitor.best_coef
            self.best_validation_score_ = monitor.best_score
            self.best_loss_ = None
        if not stopped and not incremental and self.n_iter_ >= self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )

    def _run_epoch(self, data, targets, index, batch_size, grad, l2_mask, ws):
        """One pass over ``index`` in length-sorted mini-batches; mean loss."""
        rng = self._random_state
        if self.shuffle:
            index = rng.permutation(index)
        index = index[np.argsort(-data.lengths[index], kind="stable")]
        chunks = [index[i : i + batch_size] for i in range(0, len(index), batch_size)]
        if self.shuffle:
            chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        total = 0.0
        for rows in chunks:
            batch = data.batch(rows, self.network_.dtype)
            target, weight = self._batch_targets(batch, targets)
            loss, _ = self._train_step(batch, target, weight, grad, l2_mask, ws)
            if not np.isfinite(loss):
                return loss
            total += loss * len(rows)
        return total / len(index)

    def _train_step(self, batch, target, weight, grad, l2_mask, ws, initial_state=None):
        """Loss and gradient of one batch, then one clipped optimizer update.

        Returns the loss and the forward cache (for carried states)."""
        loss, cache = self._loss_and_gradient(
            batch, target, weight, grad, l2_mask, ws, initial_state
        )
        if np.isfinite(loss):
            clip_gradients(grad[0], self.clip_value, self.clip_norm)
            self._optimizer.update_params(self.network_.coef, grad[0])
        return loss, cache

    def _loss_and_gradient(self, batch, target, weight, grad, l2_mask, ws=None, initial_state=None):
        """Loss of one batch (weighted mean, plus L2); fills ``grad``, the
        (flat, named views) pair of :meth:`RecurrentNetwork.new_grad`."""
        network = self.network_
        out, cache = network.forward(
            batch, initial_state, ws, self.dropout, self._random_state, training=True
        )
        loss, d_out = LOSS_FUNCTIONS[self._loss](out.reshape(-1, network.n_outputs), target, weight)
        network.backward(d_out, cache, grad[1])
        if l2_mask is not None:
            scale = self.alpha / batch.n_sequences
            penalised = network.coef * l2_mask
            loss += 0.5 * scale * float(np.dot(penalised, network.coef))
            flat_grad = grad[0]
            flat_grad += scale * penalised
        return loss, cache

    def _batch_targets(self, batch, targets):
        """Targets of a time-major batch, flat as the network's output rows,
        and their loss weights (a mean over sequences, or over real steps)."""
        dtype = self.network_.dtype
        if self._head == "last":
            return targets[batch.rows], np.full(
                batch.n_sequences, 1.0 / batch.n_sequences, dtype=dtype
            )
        mask = batch.step_mask().ravel()  # (T * B,)
        target = targets[batch.rows, : batch.n_steps].T.ravel()
        return target, mask.astype(dtype) / mask.sum()

    def _record_validation(self, data, targets, val_index):
        if val_index is None:
            return None
        outputs = self._forward_all(data, val_index)
        target = targets[val_index]
        if self._head == "every":
            mask = np.arange(outputs.shape[1])[None, :] < data.lengths[val_index, None]
            outputs, target = outputs[mask], target[:, : outputs.shape[1]][mask]
        weight = np.full(len(target), 1.0 / len(target))
        loss, _ = LOSS_FUNCTIONS[self._loss](outputs.copy(), target, weight)
        score = self._validation_score(outputs, target)
        self.validation_loss_curve_.append(loss)
        self.validation_scores_.append(score)
        return score

    def _print_epoch(self, loss, score, seconds):
        if not self.verbose:
            return
        line = f"Iteration {self.n_iter_}, loss = {loss:.8f}"
        if score is not None:
            line += f", validation score = {score:.6f}"
        _write(f"{line} ({seconds:.2f}s)")

    # ------------------------------------------------------------ predicting
    def _forward_all(self, data, index=None):
        """Outputs for the rows ``index`` of ``data``, in that order.

        ``(n, n_outputs)`` for the last-step head; ``(n, T, n_outputs)``,
        batch-first and zero on padded steps, for the every-step head.
        Sequences go through in chunks of similar length so memory stays
        bounded. Predictions run in float64 (from float32 weights, if so
        trained) so a sequence's output does not depend on which others share
        its batch.
        """
        network = self.network_.astype(np.float64)
        ws = Workspace()
        index = np.arange(len(data)) if index is None else np.asarray(index)
        order = np.argsort(-data.lengths[index], kind="stable")
        if self._head == "last":
            outputs = np.empty((len(index), network.n_outputs))
        else:
            n_steps = int(data.lengths[index].max())
            outputs = np.zeros((len(index), n_steps, network.n_outputs))
        n_gates = CELLS[self.cell].n_gates * network.n_directions
        longest = max(int(data.lengths[index].max()), 1)
        size = max(1, min(PREDICT_CHUNK, PREDICT_BUFFER // (longest * n_gates * self.hidden_size)))
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            batch = data.batch(index[chunk], network.dtype)
            out, _ = network.forward(batch, ws=ws)
            if self._head == "every":
                out = out.swapaxes(0, 1) * batch.step_mask().T[:, :, None]
                outputs[chunk[batch.order], : batch.n_steps] = out
            else:
                outputs[chunk[batch.order]] = out
        return outputs

    def _predict_outputs(self, X):
        check_is_fitted(self)
        return self._forward_all(self._check_sequences(X, reset=False))

    @property
    def coefs_(self):
        """Named weight arrays (views of the flat parameter vector)."""
        check_is_fitted(self)
        return self.network_.params
