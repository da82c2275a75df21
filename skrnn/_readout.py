"""Readouts: which states of the top recurrent layer the output layer reads.

A readout gathers the features of the output layer from the top layer of a
forward pass and, in the backward pass, seeds the state gradients from the
features' gradient. That is all the network needs to know of it: how units
(sequences or steps) meet their targets and predictions is the task's
business (``_tasks.py``). A new readout is one class with these two methods
(and the two class attributes), passed as the ``pooling`` parameter of the
one-label-per-sequence estimators.

Every method sees the top layer through :class:`TopLayer`.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class TopLayer:
    """The top recurrent layer of one forward pass.

    Attributes
    ----------
    states : list of ndarray of shape (T + 1, B, H)
        Each direction's states in its own time order (the backward
        direction reads every sequence from its last real step);
        ``states[d][0]`` is the initial state.
    output : ndarray of shape (T, B, H * D)
        Both directions' states side by side, in the sequences' time order.
    batch : Batch
        The batch, sorted by decreasing length.
    reversal : ndarray of shape (T, B) or None
        The time index that maps the sequences' order to the backward
        direction's (its own inverse); None with one direction.
    """

    states: list
    output: np.ndarray
    batch: object
    reversal: np.ndarray | None

    def to_direction(self, d_output, direction, d_states):
        """Write direction ``direction``'s part of a gradient of
        :attr:`output`, ``(T, B, H * D)``, into its ``d_states[1:]``."""
        to_direction(d_output, direction, d_states, self.reversal)


def to_direction(d_output, direction, d_states, reversal):
    """``d_states[1:]`` (T, B, H) = direction ``direction``'s part of
    ``d_output`` (T, B, H * D), in that direction's time order."""
    H = d_states.shape[2]
    part = d_output[..., direction * H : (direction + 1) * H]
    if direction == 0:
        d_states[1:] = part
    else:
        d_states[1:] = part[reversal, np.arange(d_output.shape[1])[None, :]]


class Readout:
    """The interface of a readout; subclasses write both methods.

    Two readouts are the same when they are of the same class, so a
    ``warm_start`` fit or ``partial_fit`` continues a network whose readout
    was given as an object.
    """

    #: True when the output layer reads one row per step (``(T * B, H * D)``
    #: features), False for one row per sequence (``(B, H * D)``)
    per_step = False
    #: True when the state gradients are seeded at each sequence's last
    #: state only, so no step's recurrent gradient lands on a seeded one
    seeds_last_states_only = False

    def features(self, top):
        """The rows the output layer reads, from a :class:`TopLayer`."""
        raise NotImplementedError

    def seed(self, d_features, direction, d_states, top):
        """Put direction ``direction``'s part of ``d_features`` (the
        gradient of :meth:`features`) into its zeroed state gradient
        ``d_states`` (T + 1, B, H)."""
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __repr__(self):
        return f"{type(self).__name__}()"


class LastState(Readout):
    """One row per sequence: the state after its last real step (and the
    backward direction's state after the sequence's first step)."""

    seeds_last_states_only = True

    def features(self, top):
        rows = np.arange(top.batch.n_sequences)
        parts = [states[top.batch.lengths, rows] for states in top.states]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def seed(self, d_features, direction, d_states, top):
        rows, H = np.arange(top.batch.n_sequences), d_states.shape[2]
        d_states[top.batch.lengths, rows] = d_features[:, direction * H : (direction + 1) * H]


class EveryStep(Readout):
    """One row per step, from the states of both directions at that step."""

    per_step = True

    def features(self, top):
        return top.output.reshape(-1, top.output.shape[-1])  # (T * B, H * D)

    def seed(self, d_features, direction, d_states, top):
        T, B = top.output.shape[:2]
        top.to_direction(d_features.reshape(T, B, -1), direction, d_states)


class MeanPool(Readout):
    """One row per sequence: the mean of the top layer's outputs (both
    directions) over its real steps (0 for a sequence of none)."""

    def features(self, top):
        mask = top.batch.step_mask()[:, :, None]  # (T, B, 1)
        return (top.output * mask).sum(axis=0) / np.maximum(top.batch.lengths, 1)[:, None]

    def seed(self, d_features, direction, d_states, top):
        mask = top.batch.step_mask()[:, :, None]
        share = d_features / np.maximum(top.batch.lengths, 1)[:, None]
        top.to_direction(mask * share[None], direction, d_states)


class MaxPool(Readout):
    """One row per sequence: the largest value of each of the top layer's
    outputs over its real steps (0 for a sequence of none)."""

    @staticmethod
    def _masked(top):
        real = top.batch.step_mask()[:, :, None]
        return np.where(real, top.output, -np.inf), top.batch.lengths > 0

    def features(self, top):
        masked, running = self._masked(top)
        largest = masked.max(axis=0, initial=-np.inf)
        return np.where(running[:, None], largest, 0.0).astype(top.output.dtype, copy=False)

    def seed(self, d_features, direction, d_states, top):
        masked, running = self._masked(top)
        d_output = np.zeros_like(top.output)
        if len(masked):
            best = masked.argmax(axis=0)  # (B, H * D): the step each value came from
            rows, cols = np.nonzero(running[:, None] & np.ones(best.shape, dtype=bool))
            d_output[best[rows, cols], rows, cols] = d_features[rows, cols]
        top.to_direction(d_output, direction, d_states)


READOUTS = {"last": LastState, "mean": MeanPool, "max": MaxPool, "every": EveryStep}


def readout_name(readout):
    """The name of a readout of :data:`READOUTS`, or the object itself."""
    return next((name for name, kind in READOUTS.items() if type(readout) is kind), readout)


def make_readout(pooling):
    """The readout a ``pooling`` value names ('last', 'mean', 'max',
    'every'), or the :class:`Readout` object itself."""
    return READOUTS[pooling]() if isinstance(pooling, str) else pooling
