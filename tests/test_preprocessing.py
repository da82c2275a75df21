"""SequenceScaler in every real-valued layout, in a pipeline and a search."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNClassifier, SequenceScaler

RNG = np.random.RandomState(0)
RAGGED = [RNG.normal(3.0, 2.0, size=(n, 2)) for n in (5, 1, 8, 3)]


def test_global_scaling_is_standard_scaling_of_the_stacked_steps():
    scaled = SequenceScaler().fit_transform(RAGGED)
    expected = StandardScaler().fit_transform(np.vstack(RAGGED))
    np.testing.assert_allclose(np.vstack(scaled), expected)
    assert [s.shape for s in scaled] == [s.shape for s in RAGGED]


def test_per_sequence_z_normalises_each_sequence():
    scaled = SequenceScaler(per_sequence=True).fit_transform(RAGGED)
    for s in scaled:
        np.testing.assert_allclose(s.mean(axis=0), 0.0, atol=1e-12)
        if len(s) > 1:
            np.testing.assert_allclose(s.std(axis=0), 1.0)
    np.testing.assert_array_equal(scaled[1], 0.0)  # one step: nothing to scale by


@pytest.mark.parametrize(
    "X",
    [
        RNG.normal(size=(6, 7)),  # 2-D: fixed-length univariate
        RNG.normal(size=(6, 7, 3)),  # 3-D
        [RNG.normal(size=n) for n in (4, 2, 6)],  # ragged 1-D
    ],
    ids=["table", "array", "list_1d"],
)
def test_layout_in_is_layout_out(X):
    scaler = SequenceScaler().fit(X)
    out = scaler.transform(X)
    if isinstance(X, list):
        assert [o.shape for o in out] == [x.shape for x in X]
    else:
        assert out.shape == X.shape
        flat = X.reshape(-1, 1 if X.ndim == 2 else X.shape[-1])
        np.testing.assert_allclose(
            out.reshape(flat.shape), StandardScaler().fit_transform(flat), atol=1e-12
        )


def test_widths_must_agree_with_fit():
    with pytest.raises(ValueError, match="features per step"):
        SequenceScaler().fit(RAGGED).transform([RNG.normal(size=(3, 5))])


def test_in_a_pipeline_and_a_search():
    X, y = RAGGED * 10, np.arange(40) % 2
    model = make_pipeline(
        SequenceScaler(), RNNClassifier(hidden_size=4, max_iter=5, random_state=0)
    )
    search = GridSearchCV(model, {"sequencescaler__per_sequence": [False, True]}, cv=2).fit(X, y)
    assert set(search.cv_results_["param_sequencescaler__per_sequence"]) == {False, True}
