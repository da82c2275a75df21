"""Regression on sequences: forecasts of a chaotic series
========================================================

An RNN against linear and tree baselines on the flattened windows.

The series is the Mackey-Glass delay equation (tau = 17, the usual chaotic
setting), sampled every 1 time unit with a little noise. Each sample is a
window of the last 30 values; the target is the value 5 steps after it. The
first 70% of the series trains, the rest tests (no shuffling: the future is
never seen). RNNRegressor reads the windows as sequences; the baselines read
them as 30 flat features.

    python examples/forecasting.py [--random-state 0]
"""

import argparse
import importlib.util
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score

from skrnn import RNNRegressor

WINDOW, HORIZON = 30, 5


def mackey_glass(n, tau=17, beta=0.2, gamma=0.1, power=10, noise=0.01, random_state=0):
    """``n`` samples of the Mackey-Glass series (Euler steps of 0.1, kept
    every 10th), plus Gaussian noise."""
    rng = np.random.RandomState(random_state)
    steps, delay = 10, tau * 10
    x = np.full(n * steps + delay, 1.2)
    for t in range(delay, len(x) - 1):
        lagged = x[t - delay]
        x[t + 1] = x[t] + 0.1 * (beta * lagged / (1 + lagged**power) - gamma * x[t])
    series = x[delay::steps][:n]
    return series + noise * rng.normal(size=n)


def windows(series):
    """Windows of ``WINDOW`` values ``(n, WINDOW, 1)`` and the value
    ``HORIZON`` steps after each."""
    n = len(series) - WINDOW - HORIZON + 1
    X = np.stack([series[i : i + WINDOW] for i in range(n)])[:, :, None]
    return X, series[WINDOW + HORIZON - 1 :][:n]


def main(random_state=0):
    warnings.filterwarnings("ignore", message="Stochastic Optimizer")
    X, y = windows(mackey_glass(2000, random_state=random_state))
    split = int(0.7 * len(X))
    X_train, X_test, y_train, y_test = X[:split], X[split:], y[:split], y[split:]
    print(f"Mackey-Glass: {len(X_train)} training windows of {WINDOW}, {len(X_test)} test")
    models = {
        "RidgeCV on the flat window": RidgeCV(alphas=np.logspace(-4, 2, 13)),
        "HistGradientBoosting on the flat window": HistGradientBoostingRegressor(
            random_state=random_state
        ),
        "RNNRegressor(cell='gru')": RNNRegressor(
            hidden_size=32,
            cell="gru",
            learning_rate_init=0.005,
            max_iter=60,
            random_state=random_state,
        ),
    }
    r2, predictions = {}, {}
    for name, model in models.items():
        start = time.perf_counter()
        flat = not isinstance(model, RNNRegressor)
        model.fit(X_train[:, :, 0] if flat else X_train, y_train)
        predictions[name] = model.predict(X_test[:, :, 0] if flat else X_test)
        r2[name] = float(r2_score(y_test, predictions[name]))
        print(f"  {name:42} test R^2 {r2[name]:.4f} ({time.perf_counter() - start:.1f} s)")
    return {"r2": r2, "y_test": y_test, "predictions": predictions}


def plot(results, steps=200):
    """The first ``steps`` test targets and the forecasts of each model."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(9, 4))
    ax.plot(results["y_test"][:steps], color="black", linewidth=2, label="series")
    for name, prediction in results["predictions"].items():
        ax.plot(prediction[:steps], label=f"{name} (R² {results['r2'][name]:.3f})")
    ax.set_xlabel("test window")
    ax.set_ylabel(f"value {HORIZON} steps ahead")
    ax.legend(fontsize="small")
    plt.show()


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # progress shows as it happens, piped too
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__.partition("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    results = main(parser.parse_args().random_state)
    if importlib.util.find_spec("matplotlib"):
        plot(results)
