"""fit, partial_fit and set_params + fit are transactions: a call that raises
leaves the estimator exactly as it was, but for training that diverges or is
interrupted after complete epochs, which keeps the model of the last complete
epoch, the same model a call with that many epochs makes.

One property, every estimator, a failure injected at each stage of a call:
its whole fitted state (every attribute, the weights, the optimizer's and the
random state) is compared through its pickle, before and after."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone

import skrnn._training as training
from skrnn import RNNClassifier, RNNLanguageModel, RNNRegressor, RNNSequenceTagger
from skrnn._network import RecurrentNetwork

RNG = np.random.RandomState(0)
SEQUENCES = [RNG.normal(size=(n, 2)) for n in RNG.randint(2, 6, size=20)]
TEXT = "the cat sat on the mat and the dog sat on the log. " * 2
SMALL = dict(hidden_size=4, max_iter=5, random_state=0)

ESTIMATORS = {
    "classifier": (
        RNNClassifier(batch_size=10, **SMALL),
        np.array([int(s[0, 0] > 0) for s in SEQUENCES]),
        {"classes": [0, 1]},
    ),
    "regressor": (
        RNNRegressor(batch_size=10, **SMALL),
        np.array([s[:, 0].sum() for s in SEQUENCES]),
        {},
    ),
    "tagger": (
        RNNSequenceTagger(batch_size=10, **SMALL),
        [(s[:, 0] > 0).astype(int) for s in SEQUENCES],
        {},
    ),
    "language model": (RNNLanguageModel(seq_length=8, batch_size=2, **SMALL), None, {}),
}


def _X(name):
    return TEXT if name == "language model" else SEQUENCES


def _call(model, name, how, case=None, **extra):
    """``how`` is 'fit', 'partial_fit' or 'warm_start' (a fit that continues);
    ``case`` replaces the estimator's y and partial_fit arguments."""
    _, y, partial = ESTIMATORS[name] if case is None else case
    args = (_X(name),) if y is None else (_X(name), y)
    if how == "partial_fit":
        return model.partial_fit(*args, **{**partial, **extra})
    model.set_params(warm_start=how == "warm_start")
    return model.fit(*args, **extra)


def _state(model):
    """Everything the estimator holds, attribute by attribute, as bytes."""
    return {name: pickle.dumps(value) for name, value in model.__getstate__().items()}


def _start(name, fitted):
    model = clone(ESTIMATORS[name][0])
    if fitted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _call(model.set_params(max_iter=2), name, "fit")
        model.set_params(max_iter=SMALL["max_iter"])
    return model


def _counter(original, n, act):
    """A stand-in for ``original`` (a function or a method) whose n-th call
    does ``act`` and every other call what ``original`` does."""
    calls = {"n": 0}

    def counted(*args, **kwargs):
        calls["n"] += 1
        return (act if calls["n"] == n else original)(*args, **kwargs)

    return counted


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _batches_per_epoch(name):
    """How many updates one epoch of the estimator's data makes."""
    calls = []
    original = training.Trainer.step
    try:
        training.Trainer.step = lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _call(clone(ESTIMATORS[name][0]).set_params(max_iter=1), name, "fit")
    finally:
        training.Trainer.step = original
    assert len(calls) >= 2
    return len(calls)


def _inject(monkeypatch, name, stage):
    """Arrange the failure of ``stage``; returns the keyword arguments and
    parameters the failing call gets."""
    if stage == "memory":

        def no_memory(self, *args, **kwargs):
            raise MemoryError("injected")

        monkeypatch.setattr(RecurrentNetwork, "__init__", no_memory)
    elif stage.startswith("diverge"):
        epoch = int(stage[-1])
        diverge = _counter(training._divergence, epoch, lambda *a: "an injected divergence")
        monkeypatch.setattr(training, "_divergence", diverge)
    elif stage.startswith("interrupt"):
        epoch = int(stage.split("@")[1])  # at the second batch of that epoch
        batch = (epoch - 1) * _batches_per_epoch(name) + 2
        step = _counter(training.Trainer.step, batch, _interrupt)
        monkeypatch.setattr(training.Trainer, "step", step)
    elif stage.startswith("lbfgs"):
        evaluation = int(stage.split("@")[1])
        objective = _counter(training.full_batch_objective, evaluation, _interrupt)
        monkeypatch.setattr(training, "full_batch_objective", objective)


def _failing_call(model, name, how, stage):
    """Run the call that ``stage`` makes fail."""
    case, extra, params = ESTIMATORS[name], {}, {}
    if stage == "bad y":
        case = (case[0], case[1][:-1], case[2])  # one target short
    if stage == "bad weights":
        extra["sample_weight"] = np.where(np.arange(len(SEQUENCES)) == 3, np.nan, 1.0)
    if stage == "bad class weights":
        params["class_weight"] = {0: -1.0, 1: 1.0}
    if stage == "split":
        params.update(early_stopping=True, validation_fraction=0.99)  # no sequence to train
    if stage.startswith("lbfgs"):
        params.update(solver="lbfgs", max_iter=50)
    model.set_params(**params)
    error = ValueError
    if stage == "memory":
        error = MemoryError
    elif "interrupt" in stage:
        error = KeyboardInterrupt
    _expect(error, lambda: _call(model, name, how, case, **extra))


def _expect(error, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call()
    return info.value


def _applies(name, how, stage, fitted):
    """Whether the stage can happen in that call at all."""
    text, lbfgs = name == "language model", stage.startswith("lbfgs")
    if how == "warm_start" and not fitted:
        return False  # the same call as fit
    if text and (lbfgs or stage in ("bad y", "bad weights", "bad class weights", "split")):
        return False  # no y, no weights, no early stopping, no L-BFGS
    if stage == "bad class weights" and name not in ("classifier", "tagger"):
        return False
    if how == "partial_fit" and (lbfgs or stage in ("split", "diverge@3", "interrupt@4")):
        return False  # one epoch, no validation split, no L-BFGS
    return stage != "memory" or not (fitted and how != "fit")  # a new network is built


STAGES = [
    "bad y",
    "bad weights",
    "bad class weights",
    "split",
    "memory",
    "diverge@1",
    "diverge@3",
    "interrupt@1",
    "interrupt@4",
    "lbfgs interrupt@1",
    "lbfgs interrupt@5",
]


CASES = [
    pytest.param(
        name, how, fitted, stage, id=f"{name}-{'fitted' if fitted else 'new'}-{how}-{stage}"
    )
    for name in ESTIMATORS
    for fitted in (False, True)
    for how in ("fit", "partial_fit", "warm_start")
    for stage in STAGES
    if _applies(name, how, stage, fitted)
]


@pytest.mark.parametrize("name, how, fitted, stage", CASES)
def test_a_call_that_raises_changes_nothing_or_keeps_complete_epochs(
    monkeypatch, name, how, fitted, stage
):
    model = _start(name, fitted)
    before = copy.deepcopy(model)
    _inject(monkeypatch, name, stage)
    _failing_call(model, name, how, stage)
    monkeypatch.undo()
    expected = {"diverge@3": 2, "interrupt@4": 3, "lbfgs interrupt@5": None}.get(stage, 0)
    if expected == 0:
        assert _state(model) == _state(before.set_params(**model.get_params()))
        return
    kept = model.n_iter_ - (getattr(before, "n_iter_", 0) if how != "fit" else 0)
    assert kept == expected if expected else kept > 0  # L-BFGS: the iterations it accepted
    # the model of the last complete epoch: what a call of that many epochs makes
    reference = before.set_params(**model.get_params())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "fit" or not fitted:
            reference = clone(reference)
        _call(reference.set_params(max_iter=kept), name, how)
    assert _state(model.set_params(max_iter=kept)) == _state(reference)


def test_the_message_says_what_was_kept(monkeypatch):
    model = clone(ESTIMATORS["classifier"][0])
    _inject(monkeypatch, "classifier", "diverge@3")
    with pytest.raises(ValueError, match=r"epoch 3 of this call\. The model of the last "):
        _call(model, "classifier", "fit")
    monkeypatch.undo()
    _inject(monkeypatch, "classifier", "interrupt@1")
    with pytest.warns(UserWarning, match="Nothing was kept"), pytest.raises(KeyboardInterrupt):
        _call(clone(model), "classifier", "fit")
