"""Reference outputs and gradients from PyTorch's nn.RNN / nn.GRU / nn.LSTM.

``compute(config)`` builds a PyTorch model, runs ragged float64 sequences
through it (packed, so each sequence's real length counts), adds a linear
softmax head (last real step or every step) and returns, in skrnn's layout,
the weights, the loss and every gradient. ``python -m tests.torch_reference``
(from the repository root, with torch installed) rewrites
``tests/data/torch_reference.npz``, which the equivalence test reads when
torch is not installed.
"""

from pathlib import Path

import numpy as np

from skrnn._network import RecurrentNetwork

CONFIGS = [
    (cell, layers, bidirectional, head)
    for cell in ("rnn", "gru", "lstm")
    for layers in (1, 2)
    for bidirectional in (False, True)
    for head in ("last", "every")
]
LENGTHS = [5, 3, 4, 1]
N_IN, HIDDEN, N_OUT = 3, 4, 3
PATH = Path(__file__).with_name("data") / "torch_reference.npz"


def config_key(config):
    cell, layers, bidirectional, head = config
    return f"{cell}-{layers}-{'bi' if bidirectional else 'uni'}-{head}"


def skrnn_network(config):
    cell, layers, bidirectional, head = config
    return RecurrentNetwork(
        N_IN,
        N_OUT,
        input_kind="dense",
        hidden_size=HIDDEN,
        num_layers=layers,
        bidirectional=bidirectional,
        cell=cell,
        head=head,
        output_activation="softmax",
        dtype=np.float64,
    )


def inputs(seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(n, N_IN)) for n in LENGTHS]
    return X, rng.randint(N_OUT, size=sum(LENGTHS))


def compute(config, seed=0):
    import torch

    cell, layers, bidirectional, head = config
    torch.manual_seed(seed)
    rnn_class = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn = rnn_class(
        N_IN, HIDDEN, num_layers=layers, bidirectional=bidirectional, batch_first=True
    ).double()
    D = 2 if bidirectional else 1
    linear = torch.nn.Linear(HIDDEN * D, N_OUT).double()
    X, labels = inputs(seed)
    padded = torch.zeros(len(X), max(LENGTHS), N_IN, dtype=torch.float64)
    for i, seq in enumerate(X):
        padded[i, : len(seq)] = torch.from_numpy(seq)
    lengths = torch.tensor(LENGTHS)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        padded, lengths, batch_first=True, enforce_sorted=False
    )
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
            key = f"{layer}.{d}"
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
                elif cell == "gru":  # bias_hh: a parameter of its own in a GRU
                    views[f"b_hh.{key}"][...] = value
                    grad_views[f"b_hh.{key}"][...] = gvalue
                else:  # RNN / LSTM: b_ih + b_hh is one bias
                    views[f"b_ih.{key}"][...] += value
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


def main():
    arrays = {}
    for config in CONFIGS:
        for name, value in compute(config).items():
            arrays[f"{config_key(config)}/{name}"] = np.asarray(value)
    np.savez_compressed(PATH, **arrays)
    print(f"wrote {len(CONFIGS)} configurations to {PATH}")


if __name__ == "__main__":
    main()
