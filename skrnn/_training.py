"""Training: mini-batch updates, epochs, stopping, divergence and interrupts.

Nothing here knows an estimator. :class:`Trainer` makes one update of a
network from a batch; :class:`SequenceBatches` is an epoch over labelled
(and weighted) sequences in length-sorted mini-batches (the language model
brings its own batch source, windows with carried states); :func:`run_epochs`
is the loop around either, with the stopping rule, SGD's schedules, the best
weights, and the return to the last complete epoch after a divergence or
Ctrl-C; :func:`run_lbfgs` minimises the full-batch loss with scipy's
L-BFGS-B instead. Both work on the network, optimizer and random state they
are given, which the estimator commits only when they end well (or after a
complete epoch, see :class:`TrainingDiverged`).
"""

import copy
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._network import LOSS_FUNCTIONS
from ._optimizers import clip_gradients
from ._threads import blas_threads


class Trainer:
    """Loss, gradient and one clipped optimizer update per batch.

    Keeps the gradient buffer, the L2 mask and the scratch workspace for a
    whole run, so no batch allocates them again.

    Parameters
    ----------
    network : RecurrentNetwork
    optimizer : object with ``update_params(params, grads)``
    loss : {'log_loss', 'squared_error'}
    alpha : float
        L2 penalty on the weights, ``alpha / 2 / B * ||W||^2`` per batch of
        B sequences, as MLP's.
    clip_value, clip_norm : float or None
        Gradient clipping (:func:`~skrnn._optimizers.clip_gradients`).
    dropout, input_dropout, output_dropout : float
        Inverted dropout between recurrent layers, on the first layer's
        inputs (one mask per sequence) and on the output layer's features.
    rng : RandomState
        Draws the dropout masks.
    baseline : float
        The loss of a model that knows nothing (:func:`baseline_loss`); with
        the first batch's loss it is the reference that tells divergence.
    frozen : tuple of str
        Parameters that are not trained (a frozen embedding): their gradient
        is always 0 and the L2 term leaves them alone.
    """

    #: an epoch whose mean loss exceeds this many times the reference loss
    #: (see :meth:`diverged`) has diverged
    DIVERGENCE = {"log_loss": 10.0, "squared_error": 1e3}

    def __init__(
        self,
        network,
        optimizer,
        loss,
        *,
        alpha,
        clip_value,
        clip_norm,
        dropout,
        rng,
        baseline=0.0,
        input_dropout=0.0,
        output_dropout=0.0,
        frozen=(),
    ):
        self.network = network
        self.frozen = network.positions(frozen)
        self.input_dropout = input_dropout
        self.output_dropout = output_dropout
        self.baseline = baseline
        self.optimizer = optimizer
        self.loss_name = loss
        self.loss = LOSS_FUNCTIONS[loss]
        self.reference = None
        self.problem = None
        self.alpha = alpha
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.dropout = dropout
        self.rng = rng
        self.grad, self.grads = network.new_grad()
        self.l2_mask = network.weight_mask(frozen) if alpha else None
        self.ws = network.workspace()

    def loss_and_gradient(
        self, batch, target, weight, initial_state=None, n_samples=None, penalty=True
    ):
        """The loss of one batch (weighted mean, plus L2 divided by its
        ``n_samples``, the sequences or their total weight, unless not
        ``penalty``) and its forward cache; the gradient is left in
        :attr:`grad`."""
        network = self.network
        out, cache = network.forward(
            batch,
            initial_state,
            self.ws,
            self.dropout,
            self.rng,
            training=True,
            input_dropout=self.input_dropout,
            output_dropout=self.output_dropout,
        )
        loss, d_out = self.loss(out.reshape(-1, network.n_outputs), target, weight)
        network.backward(d_out, cache, self.grads)
        for part in self.frozen:
            self.grad[part] = 0.0
        if penalty:
            loss += self.add_penalty(batch.n_sequences if n_samples is None else n_samples)
        return loss, cache

    def add_penalty(self, n_samples):
        """Add the L2 term's gradient, ``alpha / n_samples * W``, to
        :attr:`grad`; return its loss."""
        if self.l2_mask is None:
            return 0.0
        scale = self.alpha / n_samples
        penalised = self.network.coef * self.l2_mask
        self.grad += scale * penalised
        return 0.5 * scale * float(np.dot(penalised, self.network.coef))

    def step(self, batch, target, weight, initial_state=None, n_samples=None):
        """:meth:`loss_and_gradient`, then a clipped update. A batch whose
        loss is not finite makes no update, comes back as an infinite loss
        and leaves the reason in :attr:`problem`; a gradient that is not
        finite shows in the weights, which :func:`run_epochs` checks after
        every epoch (a pass over the gradient per batch costs more). Returns
        the loss and the forward cache. The network's float64 copy for
        predictions is not dropped here but once an epoch, by
        :func:`run_epochs`."""
        loss, cache = self.loss_and_gradient(batch, target, weight, initial_state, n_samples)
        if not np.isfinite(loss):
            self.problem = "the loss became NaN or infinite"
            return np.inf, cache
        if self.reference is None:
            self.reference = max(loss, self.baseline)
        clip_gradients(self.grad, self.clip_value, self.clip_norm)
        self.optimizer.update_params(self.network.coef, self.grad)
        return loss, cache

    def diverged(self, loss):
        """Whether an epoch's mean ``loss`` is far above the reference: the
        larger of the first batch's loss and the baseline. Single batches are
        not judged: one confidently wrong sample can cost more than ten times
        a uniform guess."""
        limit = self.DIVERGENCE[self.loss_name] * (self.reference or 0.0)
        return self.reference is not None and loss > limit


def baseline_loss(loss, n_outputs, targets=None):
    """The loss of a model that knows nothing: a uniform guess among
    ``n_outputs`` classes, or predicting zero for the ``targets``."""
    if loss == "log_loss":
        return float(np.log(n_outputs))
    return 0.5 * float(np.mean(np.square(targets).sum(axis=1)))


class SequenceBatches:
    """Epochs over labelled sequences in mini-batches of similar length.

    Each epoch sorts the sequences by length (after a shuffle, so equal
    lengths mix) and cuts them into batches of ``batch_size``, whose order
    is shuffled too: padding costs little and every epoch differs.

    Parameters
    ----------
    data : SequenceData
    targets : ndarray
        One row per unit, as ``units.batch_targets`` takes them.
    index : ndarray of int
        The sequences to train on; those without a real step are left
        out (they have nothing to learn from).
    units : PerSequence or PerStep
        The task's units (``_tasks.py``).
    batch_size : int
    shuffle : bool
    rng : RandomState
    weights : ndarray or None
        A loss weight per unit the head predicts (sequence or step, as
        ``targets``), or None for equal weights.
    sequence_weights : ndarray of shape (n,) or None
        Each sequence's weight, what a batch's L2 penalty and its share of
        the epoch's loss are divided by (None: 1 each).
    """

    def __init__(
        self,
        data,
        targets,
        index,
        units,
        batch_size,
        shuffle,
        rng,
        weights=None,
        sequence_weights=None,
    ):
        self.data = data
        self.targets = targets
        self.index = index[data.lengths[index] > 0]
        self.units = units
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self.weights = weights
        self.sequence_weights = sequence_weights

    @property
    def n_samples(self):
        return len(self.index)

    def baseline(self, loss, n_outputs):
        """:func:`baseline_loss` of the targets."""
        return baseline_loss(loss, n_outputs, self.targets)

    def share(self, rows):
        """What the sequences ``rows`` weigh: their number, or their total
        sequence weight."""
        weights = self.sequence_weights
        return len(rows) if weights is None else weights[rows].sum()

    def batches(self, dtype, shuffle=False):
        """The training sequences in mini-batches of similar length (in a
        shuffled order if ``shuffle``): ``(batch, targets, loss weights,
        share)`` of each batch, but for batches that weigh nothing."""
        index, rng = self.index, self.rng
        if shuffle:
            index = rng.permutation(index)
        index = index[np.argsort(-self.data.lengths[index], kind="stable")]
        size = self.batch_size
        chunks = [index[i : i + size] for i in range(0, len(index), size)]
        if shuffle:
            chunks = [chunks[i] for i in rng.permutation(len(chunks))]
        for rows in chunks:
            batch = self.data.batch(rows, dtype)
            target, weight = self.units.batch_targets(self.targets, batch, dtype, self.weights)
            share = self.share(rows)
            if weight is not None and share:  # else every unit weighs 0: nothing to learn
                yield batch, target, weight, share

    def epoch(self, trainer):
        """One pass, one update per batch; the mean loss per sequence (NaN
        or infinite as soon as a batch's is)."""
        total = 0.0
        for batch, target, weight, share in self.batches(trainer.network.dtype, self.shuffle):
            loss, _ = trainer.step(batch, target, weight, n_samples=share)
            if not np.isfinite(loss):
                return loss
            total += loss * share
        return total / self.share(self.index)


def full_batch_objective(trainer, batches):
    """The loss and gradient of all the training sequences at once (for
    L-BFGS): every batch weighted by its share, the L2 term added once."""
    network, total = trainer.network, batches.share(batches.index)
    loss, grad = 0.0, np.zeros_like(network.coef)
    for batch, target, weight, share in batches.batches(network.dtype):
        part, _ = trainer.loss_and_gradient(batch, target, weight * (share / total), penalty=False)
        loss += part
        grad += trainer.grad
    trainer.grad[...] = grad
    loss += trainer.add_penalty(total)
    return loss, trainer.grad


class TrainingDiverged(ValueError):
    """Training met a loss, gradient or weights it cannot go on from. The
    network, optimizer and random state are then those of the end of the
    call's last complete epoch (iteration, for L-BFGS), and the message
    says how many it completed."""


def _kept(done, unit="epoch"):
    """What a call that stopped early leaves: the sentence its message ends with."""
    if done:
        return (
            f"The model of the last complete {unit} of this call ({done}) is kept and can predict."
        )
    return "Nothing was kept: the estimator is as it was before this call."


def run_lbfgs(trainer, batches, *, max_iter, max_fun, tol, record, verbose=False):
    """Minimise the full-batch loss with scipy's L-BFGS-B over the flat
    weights; ``record(loss)`` after every iteration. Returns scipy's result.

    The weights end at the last iterate L-BFGS accepted, never at a point
    its line search was only trying: after Ctrl-C (with a warning, then the
    ``KeyboardInterrupt`` goes on) and when the loss stops being finite
    (:class:`TrainingDiverged`).
    """
    from scipy.optimize import minimize

    network = trainer.network
    accepted = {"x": network.coef.astype(np.float64), "n": 0}

    def objective(x):
        network.coef[...] = x
        network.weights_changed()
        with blas_threads(), np.errstate(over="ignore", invalid="ignore"):
            loss, grad = full_batch_objective(trainer, batches)
        return loss, grad.astype(np.float64)

    def callback(intermediate_result):
        accepted["x"], accepted["n"] = intermediate_result.x.copy(), accepted["n"] + 1
        n_iter = record(float(intermediate_result.fun))
        if verbose:
            _write(f"Iteration {n_iter}, loss = {intermediate_result.fun:.8f}")

    def go_back():
        network.coef[...] = accepted["x"]
        network.weights_changed()

    options = {"maxiter": max_iter, "maxfun": max_fun, "gtol": tol}
    try:
        result = minimize(
            objective,
            accepted["x"],
            jac=True,
            method="L-BFGS-B",
            options=options,
            callback=callback,
        )
    except KeyboardInterrupt:
        go_back()
        _warn_interrupted(_kept(accepted["n"], "iteration"))
        raise
    if not np.isfinite(result.fun):
        go_back()
        raise TrainingDiverged(
            "Training diverged: L-BFGS met a loss that is NaN or infinite. Scale the "
            "inputs, or use a stochastic solver with clipping. " + _kept(accepted["n"], "iteration")
        )
    network.coef[...] = result.x
    network.weights_changed()
    return result


class StoppingMonitor:
    """Decides when training stops and remembers the best weights.

    Without validation, training stops after ``n_iter_no_change`` epochs
    whose loss did not fall by at least ``tol``; with it, after as many
    epochs whose validation score did not rise by ``tol``, and the weights
    of the best score are kept (as MLPClassifier's early stopping).
    """

    def __init__(self, tol, n_iter_no_change, validation):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validation = validation
        self.best_loss = np.inf
        self.best_score = -np.inf
        self.best_coef = None
        self.no_improvement = 0

    def update(self, loss, score, coef):
        """Record one epoch; return True when training should stop."""
        if self.validation:
            improved = score > self.best_score + self.tol
            if score > self.best_score:
                self.best_score = score
                self.best_coef = coef.copy()
        else:
            improved = loss < self.best_loss - self.tol
        self.best_loss = min(self.best_loss, loss)
        self.no_improvement = 0 if improved else self.no_improvement + 1
        return self.no_improvement > self.n_iter_no_change


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


class _Snapshot:
    """The weights, optimizer state and random state at the end of the last
    complete epoch, and the ``state`` a batch source carries from epoch to
    epoch (the language model's streams, which an epoch replaces, never
    changes in place), to go back to when an epoch cannot complete. Taken
    again after every epoch into the same buffers, so training holds one
    copy of the weights and the optimizer's moments beside its own."""

    def __init__(self):
        self.arrays = {}

    def take(self, trainer, batches):
        self.coef = self._copy("coef", trainer.network.coef)
        self.optimizer = {
            name: self._copy(name, value) if isinstance(value, np.ndarray) else copy.copy(value)
            for name, value in trainer.optimizer.__getstate__().items()
        }
        self.rng = trainer.rng.get_state()
        self.carried = getattr(batches, "state", None)
        return self

    def _copy(self, name, array):
        kept = self.arrays.get(name)
        if kept is None or kept.shape != array.shape or kept.dtype != array.dtype:
            kept = self.arrays[name] = np.empty_like(array)
        np.copyto(kept, array)
        return kept

    def restore(self, trainer, batches):
        trainer.network.coef[...] = self.coef
        trainer.network.weights_changed()
        state = trainer.optimizer.__dict__
        state.clear()
        state.update(
            {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self.optimizer.items()}
        )
        trainer.rng.set_state(self.rng)
        if hasattr(batches, "state"):
            batches.state = self.carried


def _warn_interrupted(kept):
    warnings.warn(f"Training interrupted by user. {kept}", UserWarning, stacklevel=4)


def run_epochs(
    trainer, batches, n_epochs, *, monitor, record, validate=None, verbose=False, hint=""
):
    """Train ``n_epochs`` epochs of ``batches`` (anything with
    ``epoch(trainer)`` returning the mean loss), or fewer if ``monitor``
    says stop.

    ``record(loss, validation)`` is called after every complete epoch and
    returns the number of epochs run so far; ``validate()``, if given,
    returns the held-out ``(score, loss)`` after each epoch (``validation``
    is None without it). An epoch that cannot complete (a loss
    or gradient that is not finite, weights that are not, a loss far above
    where training started, or Ctrl-C) puts the weights, the optimizer's
    state and the random state back as they were at its start, the end of
    the last complete epoch; then a divergence raises
    :class:`TrainingDiverged` with what to change (``hint`` first), and
    Ctrl-C warns and lets the ``KeyboardInterrupt`` go on, so that a search
    stops too. The best weights of early stopping are put back in every
    case. Returns whether training stopped before ``n_epochs``.
    """
    network, stopped, done = trainer.network, False, 0
    snapshot = _Snapshot().take(trainer, batches)  # the end of the last complete epoch
    try:
        for _ in _epoch_range(n_epochs, verbose):
            start = time.perf_counter()
            with blas_threads():
                # Divergence is detected and reported below, not by numpy.
                with np.errstate(over="ignore", invalid="ignore"):
                    loss = batches.epoch(trainer)
                    problem = _divergence(trainer, loss)
                network.weights_changed()
                if problem:
                    snapshot.restore(trainer, batches)
                    raise TrainingDiverged(
                        f"Training diverged: {problem} in epoch {done + 1} of this call. "
                        f"{_kept(done)} To go on, {hint}lower learning_rate_init, set "
                        "clip_norm (e.g. 5.0) or clip_value, or scale the inputs."
                    )
                validation = validate() if validate is not None else None
            n_iter = record(loss, validation)
            done += 1
            score = None if validation is None else validation[0]
            stopped = monitor.update(loss, score, network.coef)
            if stopped and not trainer.optimizer.trigger_stopping():
                stopped, monitor.no_improvement = False, 0  # a smaller step goes on
            snapshot.take(trainer, batches)
            if verbose:
                line = f"Iteration {n_iter}, loss = {loss:.8f}"
                if validation is not None:
                    line += f", validation score = {score:.6f}, loss = {validation[1]:.8f}"
                _write(f"{line} ({time.perf_counter() - start:.2f}s)")
            if stopped:
                break
    except KeyboardInterrupt:
        snapshot.restore(trainer, batches)
        _warn_interrupted(_kept(done))
        raise
    finally:
        if monitor.best_coef is not None:
            network.coef[...] = monitor.best_coef
            network.weights_changed()
    return stopped


def _divergence(trainer, loss):
    """What diverged in an epoch of mean ``loss``, or None."""
    if not np.isfinite(loss):
        return trainer.problem or "the loss became NaN or infinite"
    if trainer.diverged(loss):
        return f"the loss grew to {loss:.4g}, far above {trainer.reference:.4g} where it started"
    if not np.isfinite(trainer.network.coef).all():
        return "the weights became NaN or infinite"
    return None


def warn_not_converged(max_iter):
    """MLP's warning when ``max_iter`` epochs ran without converging."""
    warnings.warn(
        f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and the "
        "optimization hasn't converged yet.",
        ConvergenceWarning,
        stacklevel=4,
    )
