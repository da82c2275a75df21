"""The BLAS thread rule: idle cores read from the kernel's counts, the
override, and the count training and prediction really run with."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skrnn import RNNClassifier, _threads
from skrnn._threads import BlasThreads, CoreMeter

linux_only = pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat")


class ScriptedMeter(CoreMeter):
    """A meter whose readings are given: (seconds, busy seconds, own seconds)."""

    def __init__(self, readings, cpus=(0, 1)):
        super().__init__(cpus=cpus)
        self.readings = list(readings)

    def reading(self):
        return self.readings.pop(0)


class FixedMeter:
    def __init__(self, idle):
        self.idle = idle

    def idle_cores(self):
        return self.idle


def blas_counts():
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_reading_counts_only_this_process_cores_and_leaves_idle_out(tmp_path):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal (guest columns are in user)
    stat.write_text(
        "cpu  900 0 90 1000 10 0 0 0 0 0\n"
        "cpu0 100 0 20 500 5 0 0 3 0 0\n"
        "cpu1 300 0 30 500 5 0 0 0 0 0\n"
        "cpu2 500 0 40 0 0 0 0 0 0 0\n"
        "intr 12345\n"
    )
    meter = CoreMeter(cpus={0, 1}, stat_path=str(stat))
    _, busy, own = meter.reading()
    ticks = os.sysconf("SC_CLK_TCK")
    assert busy == pytest.approx((100 + 20 + 3 + 300 + 30) / ticks)
    assert own > 0
    assert CoreMeter(cpus={0}, stat_path=str(tmp_path / "missing")).reading() is None


def test_idle_cores_subtract_this_process_own_work():
    # over 2 s: 3.8 busy CPU seconds, of which 1.8 were this process's own
    meter = ScriptedMeter([(12.0, 53.8, 6.8)])
    meter.last = (10.0, 50.0, 5.0)
    assert meter.idle_cores() == pytest.approx(2 - (3.8 - 1.8) / 2)
    # a reading within SAMPLE_SECONDS keeps the estimate
    meter.readings.append((12.01, 60.0, 6.8))
    assert meter.idle_cores() == pytest.approx(1.0)


def test_a_missing_or_stale_reading_is_sampled_afresh(monkeypatch):
    slept = []
    monkeypatch.setattr(_threads.time, "sleep", slept.append)
    meter = ScriptedMeter([(100.0, 0.0, 0.0), (100.05, 0.0, 0.0)])
    assert meter.idle_cores() == pytest.approx(2.0)
    assert slept == [_threads.SAMPLE_SECONDS]
    meter.readings += [(1000.0, 0.0, 0.0), (1000.05, 0.1, 0.0)]  # an hour later
    assert meter.idle_cores() == pytest.approx(0.0)
    assert len(slept) == 2


@pytest.mark.parametrize("idle, expected", [(2.0, 2), (1.75, 2), (1.6, 1), (1.0, 1), (0.0, 1)])
def test_the_rule_uses_the_idle_cores_within_blas_count(monkeypatch, idle, expected):
    monkeypatch.delenv(_threads.ENVIRONMENT, raising=False)
    rule = BlasThreads(FixedMeter(idle))
    with threadpool_limits(2, user_api="blas"):
        assert rule.count() == expected
    with threadpool_limits(1, user_api="blas"):
        assert rule.count() == 1  # an outer limit holds


def test_the_setting_overrides_the_rule(monkeypatch):
    rule = BlasThreads(FixedMeter(0.0))
    monkeypatch.setenv(_threads.ENVIRONMENT, "2")
    assert rule.count() == 2
    monkeypatch.setenv(_threads.ENVIRONMENT, "off")
    assert rule.count() is None
    monkeypatch.setenv(_threads.ENVIRONMENT, " Auto ")
    assert rule.count() == 1
    assert BlasThreads(FixedMeter(None)).count() is None  # no reading: BLAS is left alone
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(_threads.ENVIRONMENT, bad)
        with pytest.raises(ValueError, match="SKRNN_BLAS_THREADS=.*'auto' or 'off'"):
            rule.count()


def test_training_and_prediction_run_with_the_rule_count(monkeypatch):
    monkeypatch.delenv(_threads.ENVIRONMENT, raising=False)
    monkeypatch.setattr(_threads.BLAS_THREADS, "meter", FixedMeter(1.0))
    seen = []
    original = _threads.BlasThreads.limit

    def spy(self):
        context = original(self)

        class Spy:
            def __enter__(self_):
                value = context.__enter__()
                seen.append(blas_counts())
                return value

            def __exit__(self_, *exc):
                return context.__exit__(*exc)

        return Spy()

    monkeypatch.setattr(_threads.BlasThreads, "limit", spy)
    X = np.random.RandomState(0).normal(size=(40, 5, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    with threadpool_limits(2, user_api="blas"):
        model = RNNClassifier(hidden_size=4, max_iter=3, random_state=0)
        model.fit(X, y).predict(X)
        assert blas_counts() == {2}  # given back after every piece of work
    assert seen == [{1}] * 4  # three epochs and one prediction
    seen.clear()
    model.predict(X[:3])  # a handful: one thread in BLAS anyway, no reading
    assert seen == []


SPIN = """
import time
end = time.monotonic() + 10  # bounded, whatever happens to the test
print("spinning", flush=True)
while time.monotonic() < end:
    pass
"""


@linux_only
def test_a_core_kept_busy_by_another_process_is_not_idle():
    meter = CoreMeter()
    spinner = subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
    try:
        assert spinner.stdout.readline() == "spinning\n"
        meter.idle_cores()
        time.sleep(0.3)
        idle = meter.idle_cores()
    finally:
        spinner.kill()
        spinner.wait()
    assert len(meter.cpus) - idle >= 0.7


def test_work_in_another_thread_leaves_blas_alone(monkeypatch):
    """Only the main thread sets the count: work that starts in another
    thread and ends after the main thread's neither changes nor restores
    it, and the rule still applies afterwards."""
    monkeypatch.delenv(_threads.ENVIRONMENT, raising=False)
    rule = BlasThreads(FixedMeter(1.0))
    entered, release = threading.Event(), threading.Event()

    def other_thread():
        with rule.limit():
            entered.set()
            release.wait(timeout=10)

    with threadpool_limits(2, user_api="blas"):
        worker = threading.Thread(target=other_thread, daemon=True)
        with rule.limit():
            assert blas_counts() == {1}
            worker.start()
            assert entered.wait(timeout=10) and rule.depth == 1
        assert rule.depth == 0 and blas_counts() == {2}
        release.set()
        worker.join(timeout=10)
        assert rule.depth == 0 and blas_counts() == {2}
        with rule.limit():
            assert blas_counts() == {1}


def test_a_blas_library_loaded_after_the_first_use_is_limited_too(monkeypatch):
    from threadpoolctl import ThreadpoolController

    monkeypatch.delenv(_threads.ENVIRONMENT, raising=False)
    rule = BlasThreads(FixedMeter(1.0))
    rule._blas()
    rule.controller = ThreadpoolController().select(user_api="blas", prefix="none")  # saw none
    rule.modules_seen -= 1  # as after an import
    with threadpool_limits(2, user_api="blas"), rule.limit():
        assert blas_counts() == {1}
