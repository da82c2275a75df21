"""Reference outputs and gradients from PyTorch's nn.RNN / nn.GRU / nn.LSTM.

``compute(config)`` builds a PyTorch model, runs ragged float64 sequences
through it (packed, so each sequence's real length counts), adds a linear
softmax head (last real step or every step) and returns, in skrnn's layout,
the weights, the loss and every gradient. An ``embedded`` configuration feeds
token ids through ``nn.Embedding(V, E, padding_idx=0)``, skrnn's
``embedding_dim``. ``python -m tests.torch_reference``
(from the repository root, with torch installed) rewrites
``tests/data/torch_reference.npz``, which the equivalence test reads when
torch is not installed.
"""

from pathlib import Path

import numpy as np

from skrnn._network import RecurrentNetwork

CELLS = ("rnn", "gru", "lstm")
CONFIGS = [
    (cell, layers, bidirectional, head, False)
    for cell in CELLS
    for layers in (1, 2)
    for bidirectional in (False, True)
    for head in ("last", "every")
] + [  # embedded token ids: the simplest and the fullest arrangement
    (cell, *arrangement, True)
    for cell in CELLS
    for arrangement in ((1, False, "last"), (2, True, "every"))
]
LENGTHS = [5, 3, 4, 1]
N_IN, HIDDEN, N_OUT = 3, 4, 3  # N_IN: features, or the embedding's width
VOCABULARY = 6  # token ids 1..5; 0 pads
PATH = Path(__file__).with_name("data") / "torch_reference.npz"


def config_key(config):
    """``cell-layers-bi|uni-head[-embedded]``; the head is the readout, or
    the attention for the encoder-decoder's configurations."""
    cell, layers, bidirectional, head, embedded = config
    key = f"{cell}-{layers}-{'bi' if bidirectional else 'uni'}-{head}"
    return key + "-embedded" if embedded else key


def skrnn_network(config):
    cell, layers, bidirectional, head, embedded = config
    return RecurrentNetwork(
        VOCABULARY if embedded else N_IN,
        N_OUT,
        input_kind="tokens" if embedded else "dense",
        embedding_dim=N_IN if embedded else None,
        hidden_size=HIDDEN,
        num_layers=layers,
        bidirectional=bidirectional,
        cell=cell,
        readout=head,
        output_activation="softmax",
        dtype=np.float64,
    )


def inputs(seed=0, embedded=False):
    rng = np.random.RandomState(seed)
    if embedded:
        X = [rng.randint(1, VOCABULARY, size=n) for n in LENGTHS]
    else:
        X = [rng.normal(size=(n, N_IN)) for n in LENGTHS]
    return X, rng.randint(N_OUT, size=sum(LENGTHS))


def compute(config, seed=0):
    import torch

    cell, layers, bidirectional, head, embedded = config
    torch.manual_seed(seed)
    rnn_class = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn = rnn_class(
        N_IN, HIDDEN, num_layers=layers, bidirectional=bidirectional, batch_first=True
    ).double()
    D = 2 if bidirectional else 1
    linear = torch.nn.Linear(HIDDEN * D, N_OUT).double()
    X, labels = inputs(seed, embedded)
    embedding = torch.nn.Embedding(VOCABULARY, N_IN, padding_idx=0).double()
    packed, lengths = packed_inputs(X, embedding if embedded else None)
    out, h_n = rnn(packed)
    if cell == "lstm":
        h_n = h_n[0]
    if head == "last":
        features = torch.cat([h_n[-D + d] for d in range(D)], dim=1)  # (B, H * D)
        target = torch.from_numpy(labels[: len(X)])
        logits = linear(features)
        loss = torch.nn.functional.cross_entropy(logits, target)
    else:
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        mask = torch.arange(max(LENGTHS))[None, :] < lengths[:, None]
        target = torch.from_numpy(labels[: int(mask.sum())])
        logits = linear(out[mask])  # real steps, sequence by sequence
        loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    net = skrnn_network(config)
    coef, grad = np.zeros_like(net.coef), np.zeros_like(net.coef)
    views, grad_views = net._views(coef), net._views(grad)
    for layer in range(layers):
        for d in range(D):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            copy_layer(rnn, suffix, f"{layer}.{d}", views, grad_views)
    if embedded:
        views["W_emb"][...] = embedding.weight.detach().numpy()
        grad_views["W_emb"][...] = embedding.weight.grad.numpy()
    views["W_out"][...] = linear.weight.detach().numpy().T
    views["b_out"][...] = linear.bias.detach().numpy()
    grad_views["W_out"][...] = linear.weight.grad.numpy().T
    grad_views["b_out"][...] = linear.bias.grad.numpy()
    return {
        "coef": coef,
        "grad": grad,
        "loss": float(loss.detach()),
        "target": target.numpy(),
        "proba": torch.softmax(logits, dim=1).detach().numpy(),
    }


def packed_inputs(X, embedding=None):
    """Ragged sequences as torch's packed batch (through ``embedding`` for
    token ids), and their lengths."""
    import torch

    padded = torch.zeros(
        len(X), max(map(len, X)), *X[0].shape[1:], dtype=torch.from_numpy(X[0]).dtype
    )
    for i, seq in enumerate(X):
        padded[i, : len(seq)] = torch.from_numpy(seq)
    if embedding is not None:
        padded = embedding(padded)
    lengths = torch.tensor([len(seq) for seq in X])
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        padded, lengths, batch_first=True, enforce_sorted=False
    )
    return packed, lengths


def write_references(configs, compute, config_key, path):
    """Compute every configuration's reference arrays and save them at ``path``."""
    arrays = {}
    for config in configs:
        for name, value in compute(config).items():
            arrays[f"{config_key(config)}/{name}"] = np.asarray(value)
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(configs)} configurations to {path}")


def copy_layer(rnn, suffix, key, views, grad_views):
    """A torch recurrent layer's weights and gradients (the parameters whose
    names end in ``suffix``) into skrnn's named views of layer ``key``: the
    matrices transposed; an RNN's or LSTM's two biases summed into ``b_ih``,
    a GRU's kept apart (``b_hh`` sits inside its reset product)."""
    is_gru = type(rnn).__name__ == "GRU"
    for name, param in rnn.named_parameters():
        if not name.endswith(suffix):
            continue
        value = param.detach().numpy()
        gvalue = param.grad.numpy()
        if name.startswith("weight_ih"):
            views[f"W_ih.{key}"][...] = value.T
            grad_views[f"W_ih.{key}"][...] = gvalue.T
        elif name.startswith("weight_hh"):
            views[f"W_hh.{key}"][...] = value.T
            grad_views[f"W_hh.{key}"][...] = gvalue.T
        elif name.startswith("bias_ih"):
            views[f"b_ih.{key}"][...] += value
            grad_views[f"b_ih.{key}"][...] = gvalue
        elif is_gru:
            views[f"b_hh.{key}"][...] = value
            grad_views[f"b_hh.{key}"][...] = gvalue
        else:
            views[f"b_ih.{key}"][...] += value


if __name__ == "__main__":
    write_references(CONFIGS, compute, config_key, PATH)
