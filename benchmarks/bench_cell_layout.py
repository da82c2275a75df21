"""Layout of the tanh cell: time-major (skrnn's RNNCell) against the one-gate
case of the gated cells' feature-major loop with fused inputs.

Workload "tanh cell layout" (benchmarks/README.md): one batch of W1's shape
(64 sequences of 50 steps, 32 float32 features, 128 units), forward with the
backward's coefficients and backward with every weight gradient, best of 30
passes, three rounds alternating. ``OneGate`` below is the gated loop
written for one gate; it exists only for this comparison.

    python benchmarks/bench_cell_layout.py
"""

import time

import numpy as np

from skrnn._cells import RNNCell, Workspace, _matmul_into, _zero_padding


class OneGate:
    """The gated loop for one tanh gate: ``[h; x; 1]`` stacked, one GEMM a step."""

    def forward(self, inputs, p, batch_sizes, h0, ws, key, training=True):
        T, B, d = inputs.shape
        H, dt = p["W_hh"].shape[0], p["W_hh"].dtype
        X = ws.empty(key + "X", (H + d + 1, T + 1, B), dt)
        X[-1] = 1.0
        X[:H, 0] = h0[0].T
        np.copyto(X[H:-1, :-1], inputs.transpose(2, 0, 1))
        X[H:-1, -1] = 0
        W_all = np.concatenate([p["W_hh"], p["W_ih"], p["b_ih"][None]]).T.copy()
        K = ws.empty(key + "K", (T, H, B), dt)
        g = np.empty((H, B), dt)
        for t, n in enumerate(batch_sizes):
            gn = g[:, :n]
            np.matmul(W_all, X[:, t, :n], out=gn)
            np.tanh(gn, out=gn)
            X[:H, t + 1, :n] = gn
            k = K[t, :, :n]
            np.multiply(gn, gn, out=k)
            np.subtract(1.0, k, out=k)
            if n < B:
                X[:H, t + 1, n:] = 0
        self.X, self.K = X, K
        return X[:H].transpose(1, 2, 0)

    def backward(self, d_states_tbh, p, batch_sizes, ws):
        X, K = self.X, self.K
        T, H, B = K.shape
        DS = np.ascontiguousarray(d_states_tbh.transpose(0, 2, 1))
        D = ws.empty("D", (H, T, B), K.dtype)
        tmp = np.empty((H, B), K.dtype)
        W_hh = p["W_hh"]
        for t in range(T - 1, -1, -1):
            n = batch_sizes[t]
            d = D[:, t, :n]
            np.multiply(K[t, :, :n], DS[t + 1, :, :n], out=d)
            _matmul_into(W_hh, d, DS[t, :, :n], tmp[:, :n], True)
        _zero_padding(D.transpose(1, 2, 0), batch_sizes)
        dW = (D.reshape(H, T * B) @ X[:, :T].reshape(len(X), T * B).T).T
        return dW


def best_seconds(which, reps=30):
    rng = np.random.RandomState(0)
    T, B, d, H = 50, 64, 32, 128
    dt = np.float32
    p = {
        "W_ih": rng.uniform(-0.1, 0.1, (d, H)).astype(dt),
        "W_hh": rng.uniform(-0.1, 0.1, (H, H)).astype(dt),
        "b_ih": np.zeros(H, dt),
    }
    g = {k: np.zeros_like(v) for k, v in p.items()}
    x = rng.normal(size=(T, B, d)).astype(dt)
    bs = [B] * T
    h0 = np.zeros((1, B, H), dt)
    ws = Workspace()
    seed = rng.normal(size=(T + 1, B, H)).astype(dt)
    best = np.inf
    cell = RNNCell() if which == "time-major" else OneGate()
    for _ in range(reps):
        start = time.perf_counter()
        if which == "time-major":
            tr = cell.forward(x, p, bs, h0, ws, "0.0", True)
            ds = cell.d_states(ws, tr)
            ds[...] = seed
            cell.backward(tr, ds, p, g, bs, ws, accumulate=True, input_grad=False)
        else:
            cell.forward(x, p, bs, h0, ws, "0.0", True)
            cell.backward(seed.copy(), p, bs, ws)
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    from bench_fit import start  # same folder: prints the BLAS kernels

    start(__doc__.splitlines()[0])
    times = {"time-major": [], "one-gate gated": []}
    for _ in range(3):
        for which, record in times.items():
            record.append(best_seconds(which))
    for which, record in times.items():
        print(
            f"{which:15} {min(record) * 1e3:6.2f} ms (rounds: "
            + ", ".join(f"{t * 1e3:.2f}" for t in record)
            + ")"
        )
