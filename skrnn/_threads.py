"""How many BLAS threads skrnn's training epochs and predictions use.

skrnn's matrix products are small (per step, a batch of a few dozen
sequences against a few hundred weights), so BLAS threads synchronise at
every step. On an idle machine a second thread still gains up to a third for
the gated cells; but when another process keeps a core busy, a thread that
waits for that core stalls all the others, and a call takes two to three
times as long as with one thread. So neither a fixed count nor BLAS's own
choice (one thread per core) suits both cases.

The rule: each training epoch and each prediction runs with as many BLAS
threads as there are cores that no other process used since the previous
reading (``/proc/stat``, less this process's own CPU time), at least one,
and never more than BLAS has when the work starts (so an outer
``threadpoolctl.threadpool_limits``, or joblib's limit in its workers, still
holds). The environment variable ``SKRNN_BLAS_THREADS`` overrides the rule:
a number fixes the count, ``"auto"`` (or unset) is the rule, ``"off"``
leaves BLAS alone. Where ``/proc/stat`` does not exist (macOS, Windows),
``"auto"`` leaves BLAS alone too, and so does work in any thread but the
main one (OpenBLAS does not reliably take a count set from another thread);
joblib's process workers and dask's worker processes each have a main
thread of their own.
"""

import contextlib
import os
import sys
import threading
import time

#: the environment variable that overrides the rule
ENVIRONMENT = "SKRNN_BLAS_THREADS"
#: a fresh reading spans this many seconds (the kernel counts in 10 ms ticks)
SAMPLE_SECONDS = 0.05
#: a reading older than this says nothing of now: sample afresh
STALE_SECONDS = 60.0
#: a core counts as idle when at least this share of it was
IDLE_SHARE = 0.7
#: OpenBLAS runs the products of fewer sequences on one thread anyway
#: (a step's product is below its threading threshold): no reading for them
FEW_SEQUENCES = 8


class CoreMeter:
    """Idle cores among those this process may run on, from the CPU time
    the kernel counts (``/proc/stat``) less this process's own."""

    def __init__(self, cpus=None, stat_path="/proc/stat"):
        if cpus is None:
            cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ()
        self.cpus = frozenset(cpus)
        self.stat_path = stat_path
        self.ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # per second
        self.last = None  # (seconds, busy CPU seconds of self.cpus, own CPU seconds)
        self.estimate = None

    def reading(self):
        """``(now, busy seconds of our cores, this process's CPU seconds)``,
        or None where the kernel does not say."""
        try:
            with open(self.stat_path, "rb") as file:
                lines = file.read().splitlines()
        except OSError:
            return None
        busy = 0
        for line in lines:
            name, _, rest = line.partition(b" ")
            if name[:3] != b"cpu" or not name[3:].isdigit() or int(name[3:]) not in self.cpus:
                continue
            # user nice system idle iowait irq softirq steal: busy is all but idle and iowait
            values = [int(v) for v in rest.split()[:8]]
            busy += sum(values) - values[3] - values[4]
        own = os.times()
        return time.monotonic(), busy / self.ticks, own.user + own.system

    def idle_cores(self):
        """How many of our cores no other process used since the last call
        (over a fresh short sample when there was none, or long ago); None
        where the kernel does not say."""
        now = self.reading()
        if now is None or not self.cpus:
            return None
        if self.last is None or now[0] - self.last[0] > STALE_SECONDS:
            time.sleep(SAMPLE_SECONDS)
            self.last, now = now, self.reading()
        elapsed = now[0] - self.last[0]
        if elapsed < SAMPLE_SECONDS / 2 and self.estimate is not None:
            return self.estimate  # too short to count: the last estimate holds
        others = max(0.0, (now[1] - self.last[1]) - (now[2] - self.last[2])) / max(elapsed, 1e-9)
        self.last = now
        self.estimate = max(0.0, len(self.cpus) - others)
        return self.estimate


class BlasThreads:
    """The rule of this module, applied by :meth:`limit` around a piece of
    work; nested pieces keep the outer one's choice."""

    def __init__(self, meter=None):
        self.meter = meter  # a CoreMeter, made when first needed
        self.controller = None  # threadpoolctl's, made when first needed
        self.modules_seen = 0  # len(sys.modules) when it was made
        self.depth = 0  # nested pieces of work under way in the main thread
        self.active = None  # threadpoolctl's limiter they run under

    def _blas(self):
        """threadpoolctl's controller of the loaded BLAS libraries, made
        again after an import, which may have loaded another (scipy's own
        OpenBLAS, say): finding the libraries costs milliseconds, counting
        the modules nothing."""
        if self.controller is None or len(sys.modules) != self.modules_seen:
            from threadpoolctl import ThreadpoolController

            self.controller = ThreadpoolController().select(user_api="blas")
            self.modules_seen = len(sys.modules)
        return self.controller

    def count(self):
        """The thread count the rule gives now, or None: leave BLAS alone."""
        setting = os.environ.get(ENVIRONMENT, "auto").strip().lower()
        if setting == "off":
            return None
        if setting not in ("", "auto"):
            try:
                fixed = int(setting)
            except ValueError:
                fixed = 0
            if fixed < 1:
                raise ValueError(
                    f"{ENVIRONMENT}={os.environ[ENVIRONMENT]!r} must be a number of threads "
                    "(1 or more), 'auto' or 'off'. Set it to one of those, or unset it."
                )
            return fixed
        ceiling = min((lib.num_threads for lib in self._blas().lib_controllers), default=1)
        self.meter = self.meter or CoreMeter()
        idle = self.meter.idle_cores()
        if idle is None:
            return None
        return max(1, min(ceiling, int(idle + 1 - IDLE_SHARE)))

    @contextlib.contextmanager
    def limit(self):
        """Run the enclosed work with the rule's thread count; nested work
        keeps the outer count. Only the main thread sets it: BLAS's count
        belongs to the process, and OpenBLAS does not reliably take a count
        set from another thread, so work in other threads (joblib's threading
        backend, a threaded dask worker) leaves BLAS as it is."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        if self.depth == 0:
            count = self.count()
            self.active = None if count is None else self._blas().limit(limits=count)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0 and self.active is not None:
                self.active.restore_original_limits()
                self.active = None


#: the one rule of this process
BLAS_THREADS = BlasThreads()


def blas_threads(n_sequences=None):
    """A context in which skrnn's work on ``n_sequences`` side by side (None:
    many) runs with the rule's thread count."""
    if n_sequences is not None and n_sequences < FEW_SEQUENCES:
        return contextlib.nullcontext()
    return BLAS_THREADS.limit()
