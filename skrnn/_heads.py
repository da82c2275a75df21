"""Heads: which states of the top recurrent layer the output layer reads.

A head owns everything that follows from that choice: gathering the
features, seeding the state gradients in the backward pass, flattening a
batch's targets with their loss weights, and placing predictions back by
sequence. The network and the training loop call these methods and branch
on nothing; a new head (pooling over steps, say) is one more class.

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


class LastStepHead:
    """One output per sequence, from the state after its last real step (and
    the backward direction's state after the sequence's first step)."""

    #: The state gradients are seeded at each sequence's last state only, so
    #: no step's recurrent gradient lands on a seeded one.
    seeds_last_states_only = True

    def features(self, top):
        """``(B, H * D)``: the rows the output layer reads."""
        rows = np.arange(top.batch.n_sequences)
        parts = [states[top.batch.lengths, rows] for states in top.states]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def seed(self, d_features, direction, d_states, top):
        """Put direction ``direction``'s part of ``d_features`` into its
        zeroed state gradient ``d_states`` (T + 1, B, H)."""
        rows, H = np.arange(top.batch.n_sequences), d_states.shape[2]
        d_states[top.batch.lengths, rows] = d_features[:, direction * H : (direction + 1) * H]

    def shape_outputs(self, out, batch):
        """The output layer's rows as the forward pass returns them."""
        return out

    def batch_targets(self, targets, batch, dtype, weights=None):
        """A batch's targets as the output rows, and their loss weights: the
        mean over sequences, or the weighted mean with ``weights`` (one per
        sequence; None as the weights when they are all 0)."""
        n = batch.n_sequences
        if weights is None:
            return targets[batch.rows], np.full(n, 1.0 / n, dtype=dtype)
        return targets[batch.rows], _normalised(weights[batch.rows], dtype)

    def new_predictions(self, lengths, n_outputs):
        """Room for the predictions of sequences of these ``lengths``, and
        the slot of each sequence's first one."""
        return np.empty((len(lengths), n_outputs)), np.arange(len(lengths))

    def place(self, predictions, slots, out, batch):
        """Put a batch's outputs at their sequences' ``slots`` (in the
        batch's order)."""
        predictions[slots] = out

    def units(self, data, index):
        """Where the predicted units (targets, weights) of the sequences
        ``index`` of ``data`` are: one per sequence."""
        return index


class EveryStepHead(LastStepHead):
    """One output per step, from the states of both directions at that step;
    padded steps get no loss and zero predictions."""

    seeds_last_states_only = False

    def features(self, top):
        return top.output.reshape(-1, top.output.shape[-1])  # (T * B, H * D)

    def seed(self, d_features, direction, d_states, top):
        T, B = top.output.shape[:2]
        top.to_direction(d_features.reshape(T, B, -1), direction, d_states)

    def shape_outputs(self, out, batch):
        return out.reshape(batch.n_steps, batch.n_sequences, out.shape[-1])  # (T, B, n_outputs)

    def batch_targets(self, targets, batch, dtype, weights=None):
        """A batch's rows of the per-step ``targets`` (every real step's,
        sequence after sequence, end to end), time-major and 0 on padded
        steps; the loss is the mean over the batch's real steps, weighted by
        ``weights`` (one per step, as ``targets``) if given."""
        position, real = batch.step_positions()  # (T, B)
        position = np.minimum(position, len(targets) - 1)  # an empty last sequence
        target = np.where(real, targets[position], 0).ravel()
        if weights is None:
            mask = real.ravel()
            return target, mask.astype(dtype) / mask.sum()
        return target, _normalised(np.where(real, weights[position], 0).ravel(), dtype)

    def new_predictions(self, lengths, n_outputs):
        """One row per real step, sequence after sequence: no padding."""
        slots = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
        return np.empty((int(lengths.sum()), n_outputs)), slots

    def place(self, predictions, slots, out, batch):
        real = batch.step_mask()  # (T, B)
        position = slots[None, :] + np.arange(batch.n_steps)[:, None]
        predictions[position[real]] = out[real]

    def units(self, data, index):
        return data.steps_of(index)


class FinalStepHead(EveryStepHead):
    """The every-step head's outputs at each sequence's last real step only:
    what a language model predicts after a prompt, without keeping the
    distributions of every step."""

    def new_predictions(self, lengths, n_outputs):
        return LastStepHead.new_predictions(self, lengths, n_outputs)

    def place(self, predictions, slots, out, batch):
        last = np.maximum(batch.lengths - 1, 0)
        predictions[slots] = out[last, np.arange(batch.n_sequences)]


class MeanPoolHead(LastStepHead):
    """One output per sequence, from the mean of the top layer's outputs
    (both directions) over its real steps."""

    seeds_last_states_only = False

    def features(self, top):
        mask = top.batch.step_mask()[:, :, None]  # (T, B, 1)
        return (top.output * mask).sum(axis=0) / np.maximum(top.batch.lengths, 1)[:, None]

    def seed(self, d_features, direction, d_states, top):
        mask = top.batch.step_mask()[:, :, None]
        share = d_features / np.maximum(top.batch.lengths, 1)[:, None]
        top.to_direction(mask * share[None], direction, d_states)


class MaxPoolHead(LastStepHead):
    """One output per sequence, from the largest value of each of the top
    layer's outputs over its real steps (0 for a sequence of none)."""

    seeds_last_states_only = False

    @staticmethod
    def _masked(top):
        real = top.batch.step_mask()[:, :, None]
        return np.where(real, top.output, -np.inf), top.batch.lengths > 0

    def features(self, top):
        masked, running = self._masked(top)
        return np.where(running[:, None], masked.max(axis=0), 0.0)

    def seed(self, d_features, direction, d_states, top):
        masked, running = self._masked(top)
        T, B, width = masked.shape
        d_output = np.zeros_like(top.output)
        best = masked.argmax(axis=0)  # (B, H * D): the step each value came from
        rows, cols = np.nonzero(running[:, None] & np.ones((B, width), dtype=bool))
        d_output[best[rows, cols], rows, cols] = d_features[rows, cols]
        top.to_direction(d_output, direction, d_states)


def _normalised(weights, dtype):
    """Loss weights summing to 1, or None when they sum to 0."""
    total = weights.sum()
    return (weights / total).astype(dtype) if total > 0 else None


HEADS = {
    "last": LastStepHead,
    "mean": MeanPoolHead,
    "max": MaxPoolHead,
    "every": EveryStepHead,
}
