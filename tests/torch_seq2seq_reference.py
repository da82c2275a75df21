"""Reference outputs and gradients of a PyTorch encoder-decoder with attention.

``compute(config)`` builds, in PyTorch, the model :class:`~skrnn._encoder_decoder.
EncoderDecoder` computes: an encoder ``nn.RNN``/``nn.GRU``/``nn.LSTM`` over
packed ragged float64 sequences (token ids through ``nn.Embedding`` when
embedded), the ``tanh`` bridge of its top layer's final hidden states when
bidirectional, a decoder of the same cell over one-hot output ids (its input
weights are skrnn's looked-up rows) with an LSTM's memory cell starting at
zero, Luong's global attention ('general': ``nn.Linear`` without bias on the
encoder's outputs; 'dot'; or none) with ``tanh([c; s] W_c + b_c)``, and a
softmax layer; teacher forcing and the mean cross-entropy over the real
output ids. It returns, in skrnn's layout, the weights, the loss, the
gradients and the probabilities. ``python -m tests.torch_seq2seq_reference``
(from the repository root, with torch installed) rewrites
``tests/data/torch_seq2seq_reference.npz``, which the equivalence test reads
when torch is not installed.
"""

from pathlib import Path

import numpy as np

from skrnn._encoder_decoder import EncoderDecoder
from skrnn._sequences import OutputSequences, PairData, check_sequences

from .torch_reference import config_key, copy_layer, packed_inputs, write_references

CONFIGS = [
    (cell, *arrangement)
    for cell in ("rnn", "gru", "lstm")
    for arrangement in (
        (1, True, "general", False),
        (1, False, "dot", False),
        (2, True, None, True),
        (2, False, "general", True),
    )
]
IN_LENGTHS = [5, 3, 4, 1]
OUT_LENGTHS = [2, 4, 3, 3]  # output tokens, before the end marker
N_IN, HIDDEN, VOCABULARY = 3, 4, 6  # N_IN: features, or the embedding's width
N_OUT = 6  # padding, the end marker and 4 tokens
PATH = Path(__file__).with_name("data") / "torch_seq2seq_reference.npz"


def skrnn_network(config):
    cell, layers, bidirectional, attention, embedded = config
    return EncoderDecoder(
        VOCABULARY if embedded else N_IN,
        N_OUT,
        input_kind="tokens" if embedded else "dense",
        embedding_dim=N_IN if embedded else None,
        hidden_size=HIDDEN,
        num_layers=layers,
        bidirectional=bidirectional,
        cell=cell,
        attention=attention,
        dtype=np.float64,
    )


def pairs(seed=0, embedded=False):
    """Inputs as a list of sequences, outputs as id lists with the end marker."""
    rng = np.random.RandomState(seed)
    if embedded:
        X = [rng.randint(1, VOCABULARY, size=n) for n in IN_LENGTHS]
    else:
        X = [rng.normal(size=(n, N_IN)) for n in IN_LENGTHS]
    Y = [np.r_[rng.randint(2, N_OUT, size=n), 1] for n in OUT_LENGTHS]
    return X, Y


def skrnn_batch(X, Y):
    data, _ = check_sequences(X)
    outputs = OutputSequences(np.concatenate(Y), [len(y) for y in Y])
    return PairData(data, outputs).batch()


def compute(config, seed=0):
    import torch

    cell, layers, bidirectional, attention, embedded = config
    torch.manual_seed(seed)
    rnn_class = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    D = 2 if bidirectional else 1
    E = HIDDEN * D
    encoder = rnn_class(
        N_IN, HIDDEN, num_layers=layers, bidirectional=bidirectional, batch_first=True
    ).double()
    decoder = rnn_class(N_OUT, HIDDEN, batch_first=True).double()
    bridge = torch.nn.Linear(E, HIDDEN).double()
    keys_of = torch.nn.Linear(E, HIDDEN, bias=False).double()
    combine = torch.nn.Linear(E + HIDDEN, HIDDEN).double()
    output = torch.nn.Linear(HIDDEN, N_OUT).double()
    X, Y = pairs(seed, embedded)
    B, T_in, T_out = len(X), max(IN_LENGTHS), max(len(y) for y in Y)
    embedding = torch.nn.Embedding(VOCABULARY, N_IN, padding_idx=0).double()
    packed, lengths = packed_inputs(X, embedding if embedded else None)
    out, h_n = encoder(packed)
    memory, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)  # (B, T_in, E)
    if cell == "lstm":
        h_n = h_n[0]
    final = torch.cat([h_n[-D + d] for d in range(D)], dim=1)  # (B, E)
    start = torch.tanh(bridge(final)) if bidirectional else final
    target = torch.zeros(B, T_out, dtype=torch.long)
    for i, y in enumerate(Y):
        target[i, : len(y)] = torch.from_numpy(y)
    previous = torch.ones(B, T_out, dtype=torch.long)  # the end marker starts
    previous[:, 1:] = target[:, :-1]
    one_hot = torch.nn.functional.one_hot(previous, N_OUT).double()
    state = start[None]
    if cell == "lstm":
        state = (state, torch.zeros_like(state))
    states, _ = decoder(one_hot, state)  # (B, T_out, H)
    if attention is None:
        features = states
    else:
        keys = keys_of(memory) if attention == "general" else memory
        scores = torch.bmm(states, keys.transpose(1, 2))
        real = torch.arange(T_in)[None, None, :] < lengths[:, None, None]
        weights = torch.softmax(scores.masked_fill(~real, float("-inf")), dim=-1)
        context = torch.bmm(weights, memory)
        features = torch.tanh(combine(torch.cat([context, states], dim=-1)))
    logits = output(features)
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, N_OUT), target.reshape(-1), ignore_index=0
    )
    loss.backward()

    net = skrnn_network(config)
    coef, grad = np.zeros_like(net.coef), np.zeros_like(net.coef)
    views, grad_views = net._views(coef), net._views(grad)
    for layer in range(layers):
        for d in range(D):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            copy_layer(encoder, suffix, f"{layer}.{d}", views, grad_views)
    copy_layer(decoder, "_l0", "dec", views, grad_views)
    linears = {"W_out": output}
    if bidirectional:
        linears["W_bridge"] = bridge
    if attention is not None:
        linears["W_combine"] = combine
    if attention == "general":
        linears["W_att"] = keys_of
    for name, linear in linears.items():
        views[name][...] = linear.weight.detach().numpy().T
        grad_views[name][...] = linear.weight.grad.numpy().T
        if linear.bias is not None:
            bias = "b_" + name[2:]
            views[bias][...] = linear.bias.detach().numpy()
            grad_views[bias][...] = linear.bias.grad.numpy()
    if embedded:
        views["W_emb"][...] = embedding.weight.detach().numpy()
        grad_views["W_emb"][...] = embedding.weight.grad.numpy()
    for name in net.lookup_tables():  # padding rows: never read, never trained
        grad_views[name][0] = 0.0
    return {
        "coef": coef,
        "grad": grad,
        "loss": float(loss.detach()),
        "proba": torch.softmax(logits, dim=-1).detach().numpy(),
    }


if __name__ == "__main__":
    write_references(CONFIGS, compute, config_key, PATH)
