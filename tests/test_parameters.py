"""Every parameter of every public estimator has a constraint, a docstring
entry and one default, the same in the signature and in the docstring."""

import ast
import inspect
import re

import numpy as np
import pytest
from numpydoc.docscrape import ClassDoc

from skrnn import RNNLanguageModel, SequenceVectorizer

from .test_common import all_estimators

ESTIMATORS = [*all_estimators(), RNNLanguageModel, SequenceVectorizer]


def _documented_default(kind):
    """``'rnn'`` of ``"{'rnn', 'gru'}, default='rnn'"``, as the text says it."""
    found = re.search(r"default=(.+)$", kind)
    return found.group(1).strip() if found else None


def _value(text):
    """The Python value a docstring's default stands for."""
    try:
        return ast.literal_eval(text)
    except ValueError:
        return {"np.inf": np.inf}[text]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_signature_constraints_and_docstring_agree(estimator):
    signature = inspect.signature(estimator.__init__)
    names = [name for name in signature.parameters if name != "self"]
    assert set(names) == set(estimator._parameter_constraints), "a constraint per parameter"
    documented = {item.name: item.type for item in ClassDoc(estimator)["Parameters"]}
    assert set(documented) == set(names), "a docstring entry per parameter"
    for name in names:
        default = signature.parameters[name].default
        assert default is not inspect.Parameter.empty, f"{name} has no default"
        shown = _documented_default(documented[name])
        assert shown is not None, f"{name}: the docstring gives no default"
        assert _value(shown) == default and type(_value(shown)) is type(default), name


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_init_stores_each_argument_unchanged(estimator):
    """sklearn's rule, written out: ``__init__`` keeps every argument as the
    attribute of its name and does nothing else."""
    params = inspect.signature(estimator.__init__).parameters
    values = {name: object() for name in params if name != "self"}
    first = next(iter(values))
    made = estimator(values[first], **{k: v for k, v in values.items() if k != first})
    assert all(getattr(made, name) is value for name, value in values.items())
    assert set(vars(made)) == set(values)
