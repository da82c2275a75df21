"""What subnormal numbers cost: one float32 product with and without them.

Workload "Subnormal numbers" (benchmarks/README.md): the output layer's
backward product of a sequence-to-sequence batch, ``(4096, 41) @ (41, 256)``
in float32, once with ordinary values and once with 36 of every row's 41
values subnormal (1e-40), as the gradient rows of a confident softmax were
before ``softmax`` kept its probabilities above 1e-19. Also the same for an
element-wise multiplication. Best of 3 rounds of 20 calls each. Prints the
BLAS kernel and the slow-down factor.

    python benchmarks/bench_subnormal.py
"""

import time
from functools import partial

import numpy as np
from bench_fit import describe_libraries  # same folder


def best_seconds(call, repeats=20, rounds=3):
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def main():
    describe_libraries()
    rng = np.random.RandomState(0)
    values = rng.rand(4096, 41).astype(np.float32)
    weights = rng.rand(41, 256).astype(np.float32)
    subnormal = values.copy()
    subnormal[:, 5:] = 1e-40
    assert 0 < subnormal[0, -1] < np.finfo(np.float32).tiny
    print(f"{'operation':28} {'ordinary ms':>12} {'subnormal ms':>13} {'slower':>7}")
    for name, operation in (
        ("(4096, 41) @ (41, 256)", lambda x: x @ weights),
        ("(4096, 41) * 0.9", lambda x: x * np.float32(0.9)),
    ):
        ordinary = best_seconds(partial(operation, values))
        slow = best_seconds(partial(operation, subnormal))
        print(f"{name:28} {ordinary * 1e3:12.3f} {slow * 1e3:13.3f} {slow / ordinary:6.0f}x")


if __name__ == "__main__":
    main()
