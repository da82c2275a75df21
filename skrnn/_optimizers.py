"""Stochastic optimizers and gradient clipping on one flat parameter vector.

Each optimizer updates ``params`` in place from ``grads`` (both flat ndarrays),
so one update is a handful of vectorised numpy calls whatever the network.
"""

import numpy as np


class _Schedule:
    """The base of every optimizer: a constant step size (SGD's schedules
    override it) and a scratch buffer that pickles leave out."""

    def iteration_ends(self, time_step):
        """Called after each epoch with the number of samples seen so far."""

    def trigger_stopping(self):
        """Training stopped improving: True to stop, False to go on."""
        return True

    def _scratch(self, params):
        """A work buffer the size of the parameters, made on first use and
        never pickled (a loaded optimizer makes its own)."""
        if getattr(self, "_step", None) is None:
            self._step = np.empty_like(params)
        return self._step

    def __getstate__(self):
        return {name: value for name, value in self.__dict__.items() if name != "_step"}


class SGDOptimizer(_Schedule):
    """SGD with optional momentum and Nesterov momentum.

    ``v <- momentum * v - lr * g``; then ``p <- p + v`` (classical) or
    ``p <- p + momentum * v - lr * g`` (Nesterov, as sklearn's MLP). The step
    size follows ``learning_rate`` as MLP's does: 'constant';
    'invscaling', ``learning_rate_init / (t + 1) ** power_t`` after ``t``
    samples; 'adaptive', divided by 5 whenever training stops improving,
    until it is below 1e-6.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        momentum=0.9,
        nesterovs_momentum=True,
        learning_rate="constant",
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate_init
        self.schedule = learning_rate
        self.power_t = power_t
        self.momentum = momentum
        self.nesterov = nesterovs_momentum
        self.velocity = np.zeros_like(params) if momentum else None

    def update_params(self, params, grads):
        lr = self.learning_rate
        if self.velocity is None:
            params -= lr * grads
            return
        v = self.velocity
        v *= self.momentum
        v -= lr * grads
        if self.nesterov:
            params += self.momentum * v - lr * grads
        else:
            params += v

    def iteration_ends(self, time_step):
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self):
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False


class AdagradOptimizer(_Schedule):
    """Adagrad (Duchi et al., 2011), as in min-char-rnn:
    ``c <- c + g**2``; ``p <- p - lr * g / sqrt(c + eps)``."""

    def __init__(self, params, learning_rate_init=0.01, epsilon=1e-8):
        self.learning_rate = learning_rate_init
        self.epsilon = epsilon
        self.cache = np.zeros_like(params)

    def update_params(self, params, grads):
        self.cache += grads * grads
        step = self._scratch(params)
        np.add(self.cache, self.epsilon, out=step)
        np.sqrt(step, out=step)
        np.divide(grads, step, out=step)
        step *= self.learning_rate
        params -= step


class AdamOptimizer(_Schedule):
    """Adam (Kingma & Ba, 2015, Algorithm 1).

    The moments are kept divided by ``1 - beta_1`` and ``1 - beta_2``
    (``m = sum_k beta_1**k g_k``), which leaves the update unchanged but saves
    two passes over the parameters per step; both constants and the bias
    corrections are folded into one step size and an adjusted epsilon. Large
    vectors (a token table) are updated in blocks that stay in cache through
    the ten passes over them.
    """

    block = 2**16

    def __init__(self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m_sum = np.zeros_like(params)
        self.v_sum = np.zeros_like(params)

    def update_params(self, params, grads):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # m_t = (1 - b1) m; v_t = (1 - b2) v; update = lr_t m_t / (sqrt(v_t) + eps)
        scale_v = np.sqrt(1.0 - b2)
        lr_t = self.learning_rate_init * np.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        eps = self.epsilon / scale_v
        factor = lr_t * (1.0 - b1) / scale_v
        scratch = self._scratch(params)
        for start in range(0, len(params), self.block):
            part = slice(start, start + self.block)
            m, v, step, g = self.m_sum[part], self.v_sum[part], scratch[part], grads[part]
            m *= b1
            m += g
            v *= b2
            np.multiply(g, g, out=step)
            v += step
            np.sqrt(v, out=step)
            step += eps
            np.divide(m, step, out=step)
            step *= factor
            params[part] -= step


#: solver name -> (optimizer class, the estimator parameters it takes, by name)
SOLVERS = {
    "sgd": (
        SGDOptimizer,
        ("learning_rate_init", "momentum", "nesterovs_momentum", "learning_rate", "power_t"),
    ),
    "adagrad": (AdagradOptimizer, ("learning_rate_init", "epsilon")),
    "adam": (AdamOptimizer, ("learning_rate_init", "beta_1", "beta_2", "epsilon")),
}


def make_optimizer(solver, params, settings):
    """The optimizer of ``solver`` for ``params``, its settings read by name
    from ``settings`` (an estimator's parameters) and kept as ``settings``."""
    optimizer, names = SOLVERS[solver]
    chosen = {name: settings[name] for name in names}
    made = optimizer(params, **chosen)
    made.settings = (solver, chosen)
    return made


def optimizer_matches(optimizer, solver, settings):
    """Whether ``optimizer`` was made for ``solver`` with the ``settings``
    it would read from these (so ``partial_fit`` may continue it)."""
    if optimizer is None or solver not in SOLVERS:
        return False
    names = SOLVERS[solver][1]
    return getattr(optimizer, "settings", None) == (
        solver,
        {name: settings[name] for name in names},
    )


def clip_gradients(grads, clip_value=None, clip_norm=None):
    """Clip in place: element-wise to ``[-clip_value, clip_value]``, then the
    global L2 norm to at most ``clip_norm``."""
    if clip_value is not None:
        np.clip(grads, -clip_value, clip_value, out=grads)
    if clip_norm is not None:
        norm = np.sqrt(np.dot(grads, grads))
        if norm > clip_norm:
            grads *= clip_norm / norm
