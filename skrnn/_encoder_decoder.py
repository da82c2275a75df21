"""An encoder-decoder with attention: output sequences of their own length.

:class:`EncoderDecoder` is a :class:`~skrnn._network.RecurrentNetwork`
whose recurrent stack is the encoder (any cell, layers, directions and
embedding, run by the same code) and whose head, in place of one dense
layer, is a decoder:

* a one-layer, one-direction recurrent layer of the same cell over the
  output tokens, whose ids look up rows of its input weights (an embedding
  as wide as its gates). It starts from the encoder's top layer's final
  hidden states: as they are with one direction, through a bridge
  ``tanh([h_fwd; h_bwd] W_bridge + b_bridge)`` with two. An LSTM decoder's
  memory cell starts at zero;
* Luong et al.'s (2015) global attention over the encoder's outputs
  ``m_i``: scores ``s_t . (m_i W_att)`` ('general') or ``s_t . m_i``
  ('dot'), a softmax over each input's real steps, the context ``c_t``
  they weigh, then ``tanh([c_t; s_t] W_combine + b_combine)``; or no
  attention, the decoder's states themselves;
* a softmax layer (``W_out``, ``b_out``) over the output vocabulary.

In training the decoder reads the true previous token (teacher forcing);
:meth:`EncoderDecoder.decode` reads its own, greedily or with a beam. Every
weight lives in the one flat vector of the base class.

Shapes: B sequences, T_in input steps, T_out output steps, H units, E = H
times the encoder's directions (the width of its outputs), V output ids
(:data:`~skrnn._sequences.PAD_ID` and :data:`~skrnn._sequences.END_ID`,
then the tokens). The head works batch-major, ``(B, T_out, ...)``.
"""

from dataclasses import dataclass

import numpy as np

from ._network import ForwardCache, RecurrentNetwork, glorot_uniform, softmax
from ._sequences import END_ID, PAD_ID


def check_attention(attention, bidirectional):
    """Refuse dot-product attention between states of different widths."""
    if attention == "dot" and bidirectional:
        raise ValueError(
            "attention='dot' scores a decoder state (hidden_size values) against "
            "encoder states of 2 * hidden_size values with bidirectional=True. Use "
            "attention='general', which learns the map between them, or set "
            "bidirectional=False."
        )


@dataclass(eq=False)
class DecoderCache:
    """What :meth:`EncoderDecoder.forward` leaves for the backward pass."""

    stack: ForwardCache  # the encoder's
    attention: "Attention | None"
    final: np.ndarray  # (B, E) the encoder's final states, the bridge's input
    start: np.ndarray  # (B, H) the decoder's initial state
    trace: object  # the decoder cell's
    features: np.ndarray  # (B, T_out, H) what the output layer read
    output_mask: np.ndarray | None
    ws: object


@dataclass(eq=False)
class Attention:
    """One pass of global attention, from decoder states ``(B, T, H)`` to
    the attentional states ``(B, T, H)``."""

    memory: np.ndarray  # (B, T_in, E) the encoder's outputs
    keys: np.ndarray  # (B, T_in, H) m W_att, or the memory itself ('dot')
    mask: np.ndarray  # (B, 1, T_in) the inputs' real steps
    states: np.ndarray | None = None  # (B, T, H) the decoder's
    weights: np.ndarray | None = None  # (B, T, T_in)
    joined: np.ndarray | None = None  # (B, T, E + H) [c; s]
    output: np.ndarray | None = None  # (B, T, H)


class EncoderDecoder(RecurrentNetwork):
    """A recurrent encoder, an attentional recurrent decoder and a softmax.

    Parameters
    ----------
    n_inputs, input_kind, hidden_size, embedding_dim, num_layers,
    bidirectional, cell, dtype : as :class:`RecurrentNetwork`'s, for the encoder.
    n_outputs : int
        Output ids, padding and the end marker included.
    attention : {'general', 'dot', None}
    """

    def __init__(
        self,
        n_inputs,
        n_outputs,
        *,
        input_kind,
        hidden_size,
        embedding_dim=None,
        num_layers=1,
        bidirectional=False,
        cell="gru",
        attention="general",
        dtype=np.float32,
    ):
        check_attention(attention, bidirectional)
        self.attention = attention
        super().__init__(
            n_inputs,
            n_outputs,
            input_kind=input_kind,
            hidden_size=hidden_size,
            embedding_dim=embedding_dim,
            num_layers=num_layers,
            bidirectional=bidirectional,
            cell=cell,
            readout="every",
            output_activation="softmax",
            dtype=dtype,
        )

    def architecture(self):
        return {**super().architecture(), "attention": self.attention}

    # ----------------------------------------------------------------- layout
    def _head_shapes(self):
        H, E, V = self.hidden_size, self.output_width, self.n_outputs
        shapes = [
            (f"{name}.dec", shape, is_weight)
            for name, shape, is_weight in self._cell.param_shapes(V, H)
        ]
        if self.n_directions == 2:
            shapes += [("W_bridge", (E, H), True), ("b_bridge", (H,), False)]
        if self.attention == "general":
            shapes.append(("W_att", (E, H), True))
        if self.attention is not None:
            shapes += [("W_combine", (E + H, H), True), ("b_combine", (H,), False)]
        return shapes + [("W_out", (H, V), True), ("b_out", (V,), False)]

    def _initialize_head(self, rng, recurrent_init, forget_bias):
        """The decoder as every recurrent layer, the dense maps as MLP's."""
        decoder = self._layer_views(self.params, "dec")
        self._cell.initialize(decoder, rng, recurrent_init, forget_bias)
        for name in ("W_bridge", "W_att", "W_combine", "W_out"):
            if name in self.params:
                glorot_uniform(self.params[name], rng)
        for name in ("b_bridge", "b_combine", "b_out"):
            if name in self.params:
                self.params[name][...] = 0.0

    def lookup_tables(self):
        return super().lookup_tables() + ["W_ih.dec"]

    # ---------------------------------------------------------------- forward
    def forward(
        self,
        batch,
        initial_state=None,
        ws=None,
        dropout=0.0,
        rng=None,
        training=False,
        *,
        input_dropout=0.0,
        output_dropout=0.0,
    ):
        """Output-id probabilities ``(B, T_out, V)`` of a
        :class:`~skrnn._sequences.PairBatch`, the decoder reading the true
        previous ids, and a :class:`DecoderCache`. The parameters are
        :meth:`RecurrentNetwork.forward`'s (``initial_state`` must be None:
        the encoder starts from zeros); ``output_dropout`` drops values the
        output layer reads."""
        ws = self.workspace() if ws is None else ws
        stack = self._run_stack(
            batch, None, ws, dropout, rng, training, input_dropout=input_dropout
        )
        memory, final, start = self._encoded(stack)
        attention = self._attention(memory, batch.lengths)
        ids = batch.decoder_inputs
        trace = self._decode_steps(ids, self._initial(start), ws, "dec", training)
        states = trace.states[1:].transpose(1, 0, 2)  # (B, T_out, H)
        features = self._attend(attention, states)
        output_mask = None
        if output_dropout > 0 and training:
            output_mask = self._dropout_mask(rng, features.shape, output_dropout)
            features = features * output_mask
        out = self._probabilities(features, ws)
        cache = DecoderCache(stack, attention, final, start, trace, features, output_mask, ws)
        return out, cache

    def _encoded(self, stack):
        """The encoder's outputs ``(B, T_in, E)``, its top layer's final
        hidden states ``(B, E)`` and the decoder's initial state ``(B, H)``."""
        memory = np.ascontiguousarray(stack.top.output.transpose(1, 0, 2))
        lengths = stack.batch.lengths
        final = np.concatenate(
            [self._cell.final_state(trace, lengths)[0] for trace in stack.traces[-1]], axis=1
        )
        if self.n_directions == 1:
            return memory, final, final
        return memory, final, np.tanh(final @ self.params["W_bridge"] + self.params["b_bridge"])

    def _initial(self, start):
        """The decoder's initial state ``(n_states, B, H)``: an LSTM's
        memory cell at zero."""
        if self._cell.n_states == 1:
            return start[None]
        return np.stack([start, np.zeros_like(start)])

    def _decode_steps(self, ids, initial, ws, key, training=False):
        """The decoder cell over ids ``(T, B, 1)`` from ``initial``: its trace."""
        params = self._layer_views(self.params, "dec")
        T, B = ids.shape[:2]
        return self._cell.forward(ids, params, [B] * T, initial, ws, key, training)

    def _attention(self, memory, lengths):
        """What every decoder step attends with: the keys and the mask."""
        if self.attention is None:
            return None
        keys = memory @ self.params["W_att"] if self.attention == "general" else memory
        mask = np.arange(memory.shape[1])[None, None, :] < lengths[:, None, None]
        return Attention(memory, keys, mask)

    def _attend(self, attention, states):
        """The attentional states of decoder ``states`` (B, T, H), keeping
        what the backward needs in ``attention``; the states themselves
        without attention."""
        if attention is None:
            return states
        scores = np.matmul(states, attention.keys.transpose(0, 2, 1))  # (B, T, T_in)
        scores = np.where(attention.mask, scores, np.finfo(scores.dtype).min)
        weights = softmax(scores)
        weights *= attention.mask  # an input with no real step attends to nothing
        weights /= np.maximum(weights.sum(axis=-1, keepdims=True), np.finfo(scores.dtype).tiny)
        context = np.matmul(weights, attention.memory)
        joined = np.concatenate([context, states], axis=-1)
        output = np.tanh(joined @ self.params["W_combine"] + self.params["b_combine"])
        attention.states, attention.weights = states, weights
        attention.joined, attention.output = joined, output
        return output

    def _probabilities(self, features, ws):
        B, T, H = features.shape
        out = ws.empty("dec.out", (B * T, self.n_outputs), self.dtype)
        np.matmul(features.reshape(B * T, H), self.params["W_out"], out=out)
        out += self.params["b_out"]
        return softmax(out).reshape(B, T, self.n_outputs)

    # --------------------------------------------------------------- backward
    def backward(self, d_out, cache, grads):
        """Back-propagate ``d_out``, the gradient of the output layer's
        pre-activations ``(B * T_out, V)``, through the head, the decoder,
        the bridge and the encoder into ``grads``."""
        features = cache.features
        B, T, H = features.shape
        d_out = d_out.reshape(B * T, self.n_outputs)
        grads["W_out"][...] = features.reshape(B * T, H).T @ d_out
        grads["b_out"][...] = d_out.sum(axis=0)
        d_features = (d_out @ self.params["W_out"].T).reshape(B, T, H)
        if cache.output_mask is not None:
            d_features *= cache.output_mask
        d_states, d_memory = self._attend_backward(cache, d_features, grads)
        d_start = self._decoder_backward(cache, d_states, grads)
        d_final = self._bridge_backward(cache, d_start, grads)
        self._backward_stack(self._memory_gradient(cache, d_memory, d_final), cache.stack, grads)

    def _attend_backward(self, cache, d_output, grads):
        """The gradients of the decoder's states ``(B, T, H)`` and of the
        encoder's outputs ``(B, T_in, E)`` (None without attention) from
        that of the attentional states; the attention's weights' into
        ``grads``."""
        a = cache.attention
        if a is None:
            return d_output, None
        E = a.memory.shape[2]
        d_z = d_output * (1.0 - a.output**2)
        flat = d_z.reshape(-1, d_z.shape[2])
        grads["W_combine"][...] = a.joined.reshape(len(flat), -1).T @ flat
        grads["b_combine"][...] = flat.sum(axis=0)
        d_joined = d_z @ self.params["W_combine"].T
        d_context, d_states = d_joined[..., :E], d_joined[..., E:]
        d_weights = np.matmul(d_context, a.memory.transpose(0, 2, 1))  # (B, T, T_in)
        d_memory = np.matmul(a.weights.transpose(0, 2, 1), d_context)  # (B, T_in, E)
        d_scores = d_weights - (d_weights * a.weights).sum(axis=-1, keepdims=True)
        d_scores *= a.weights
        d_states = d_states + np.matmul(d_scores, a.keys)
        d_keys = np.matmul(d_scores.transpose(0, 2, 1), a.states)  # (B, T_in, H)
        if self.attention == "general":
            grads["W_att"][...] = a.memory.reshape(-1, E).T @ d_keys.reshape(-1, d_keys.shape[2])
            d_memory += d_keys @ self.params["W_att"].T
        else:
            d_memory += d_keys
        return d_states, d_memory

    def _decoder_backward(self, cache, d_states, grads):
        """The decoder cell's gradients into ``grads``; returns that of its
        initial hidden state ``(B, H)``."""
        trace, ws = cache.trace, cache.ws
        B, T = d_states.shape[:2]
        d_all = self._cell.d_states(ws, trace)
        d_all[1:] = d_states.transpose(1, 0, 2)
        self._cell.backward(
            trace,
            d_all,
            self._layer_views(self.params, "dec"),
            self._layer_views(grads, "dec"),
            [B] * T,
            ws,
            accumulate=True,
            input_grad=False,
        )
        return d_all[0].copy()  # the encoder's backward reuses the buffer

    def _bridge_backward(self, cache, d_start, grads):
        """The gradient of the encoder's final states ``(B, E)``."""
        if self.n_directions == 1:
            return d_start
        d_pre = d_start * (1.0 - cache.start**2)
        grads["W_bridge"][...] = cache.final.T @ d_pre
        grads["b_bridge"][...] = d_pre.sum(axis=0)
        return d_pre @ self.params["W_bridge"].T

    def _memory_gradient(self, cache, d_memory, d_final):
        """The gradient of the encoder's outputs, time-major ``(T_in * B,
        E)``, with the final states' added where they are outputs: the
        forward direction's at each input's last real step, the backward
        direction's at its first."""
        batch, H = cache.stack.batch, self.hidden_size
        T_in, B, E = cache.stack.top.output.shape
        d_output = np.zeros((T_in, B, E), dtype=self.dtype)
        if d_memory is not None:
            d_output += d_memory.transpose(1, 0, 2)
        rows = np.flatnonzero(batch.lengths > 0)  # an empty input's final state is h0
        d_output[batch.lengths[rows] - 1, rows, :H] += d_final[rows, :H]
        if self.n_directions == 2:
            d_output[0, rows, H:] += d_final[rows, H:]
        return d_output.reshape(T_in * B, E)

    # --------------------------------------------------------------- decoding
    def decode(self, data, max_length, beam_width=1, index=None):
        """The output ids of the rows ``index`` of a
        :class:`~skrnn._sequences.SequenceData`, each decoded from the end
        marker, reading its own previous id, until it emits the end marker
        or has ``max_length`` ids: greedily (``beam_width=1``) or by beam
        search. Runs in float64, in length-sorted chunks. Returns a list
        of id arrays, the end marker left off."""
        network, ws = self.predictor(), self.workspace()
        index = np.arange(len(data)) if index is None else np.asarray(index)
        decoded = [None] * len(index)
        # the beams hold beam_width copies of a chunk's encoder outputs and
        # keys, (E + H) values a step: beam_width * (E + H) / (gates * E)
        # times the buffer the chunk is sized by (2x for a beam of 4 on a
        # bidirectional GRU)
        for chunk, batch in self.prediction_batches(data, index):
            stack = network._run_stack(batch, None, ws, 0.0, None, False, input_dropout=0.0)
            memory, _, start = network._encoded(stack)
            search = network._greedy if beam_width == 1 else network._beam
            ids = search(memory, batch.lengths, start, max_length, beam_width, ws)
            for slot, row in zip(chunk[batch.order], ids):
                decoded[slot] = row
        return decoded

    def _step(self, ids, state, attention, ws):
        """One decoder step from ``state`` (n_states, N, H) reading ``ids``
        (N,): the log-probabilities of the next id (N, V), padding
        excluded, and the new state."""
        trace = self._decode_steps(ids[None, :, None], state, ws, "dec.step")
        new_state = self._cell.final_state(trace, np.ones(len(ids), dtype=np.intp))
        features = self._attend(attention, new_state[0][:, None, :])
        proba = self._probabilities(features, ws)[:, 0]
        with np.errstate(divide="ignore"):
            log_proba = np.log(proba)
        log_proba[:, PAD_ID] = -np.inf
        return log_proba, new_state

    def _greedy(self, memory, lengths, start, max_length, beam_width, ws):
        """The most probable id at every step."""
        attention = self._attention(memory, lengths)
        state, B = self._initial(start), len(start)
        ids = np.full(B, END_ID, dtype=np.intp)
        steps, done = [], np.zeros(B, dtype=bool)
        for _ in range(max_length):  # memory follows the outputs, not max_length
            log_proba, state = self._step(ids, state, attention, ws)
            ids = log_proba.argmax(axis=1)
            steps.append(np.where(done, PAD_ID, ids))
            done |= ids == END_ID
            if done.all():
                break
        return [_until_end(row) for row in np.stack(steps, axis=1)]

    def _beam(self, memory, lengths, start, max_length, beam_width, ws):
        """Beam search: ``beam_width`` hypotheses per sequence, extended by
        their most probable ids; a hypothesis that emitted the end marker
        keeps its score. The answer is the hypothesis of the highest
        log-probability per id (the end marker counted), so longer outputs
        are not penalised for their length."""
        B, K, V = len(start), beam_width, self.n_outputs
        rows = np.repeat(np.arange(B), K)
        attention = self._attention(memory[rows], lengths[rows])
        state = self._initial(start[rows])
        scores = np.full((B, K), -np.inf)
        scores[:, 0] = 0.0  # one live hypothesis to start from
        size = np.zeros((B, K))
        done = np.zeros((B, K), dtype=bool)
        ids = np.full(B * K, END_ID, dtype=np.intp)
        history = []
        for _ in range(max_length):
            log_proba, state = self._step(ids, state, attention, ws)
            candidates = scores[:, :, None] + log_proba.reshape(B, K, V)
            candidates[done] = -np.inf
            candidates[done, PAD_ID] = scores[done]  # a finished one stays as it is
            best = np.argsort(-candidates.reshape(B, K * V), axis=1, kind="stable")[:, :K]
            parent, ids_bk = np.divmod(best, V)
            scores = np.take_along_axis(candidates.reshape(B, K * V), best, axis=1)
            was_done = np.take_along_axis(done, parent, axis=1)
            size = np.take_along_axis(size, parent, axis=1) + ~was_done
            done = was_done | (ids_bk == END_ID)
            state = state[:, (parent + K * np.arange(B)[:, None]).ravel()]
            history.append((ids_bk, parent))
            ids = ids_bk.ravel()
            if done.all():
                break
        with np.errstate(invalid="ignore"):
            normalised = np.where(np.isfinite(scores), scores / np.maximum(size, 1), -np.inf)
        return _backtrack(history, normalised.argmax(axis=1))

    def attention_weights(self, batch):
        """The attention weights ``(B, T_out, T_in)`` of a
        :class:`~skrnn._sequences.PairBatch` read with teacher forcing,
        in the batch's order (float64)."""
        if self.attention is None:
            raise ValueError(
                "The model was fitted with attention=None: it has no attention "
                "weights. Fit it with attention='general' or 'dot'."
            )
        _, cache = self.predictor().forward(batch)
        return cache.attention.weights


def _until_end(ids):
    """The ids before the first end marker (all of them without one)."""
    end = np.flatnonzero(ids == END_ID)
    return ids[: end[0]] if len(end) else ids


def _backtrack(history, best):
    """The ids of hypothesis ``best[b]`` of every sequence, followed back
    through the steps' ``(ids, parent)``."""
    B = len(best)
    steps = np.zeros((B, len(history)), dtype=np.intp)
    beam = best
    for t in range(len(history) - 1, -1, -1):
        ids, parent = history[t]
        steps[:, t] = ids[np.arange(B), beam]
        beam = parent[np.arange(B), beam]
    return [_until_end(row[row != PAD_ID]) for row in steps]
