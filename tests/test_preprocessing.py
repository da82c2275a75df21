"""SequenceScaler in every real-valued layout, in a pipeline and a search."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNClassifier, SequencePatcher, SequenceScaler

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


def test_patcher_joins_consecutive_steps_and_repeats_the_last():
    X = [np.arange(10.0).reshape(5, 2), np.array([[7.0, 8.0]])]
    patched = SequencePatcher(patch_size=2).fit_transform(X)
    np.testing.assert_array_equal(
        patched[0],
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 8, 9]],  # the last step, twice
    )
    np.testing.assert_array_equal(patched[1], [[7, 8, 7, 8]])


@pytest.mark.parametrize(
    "X, shape",
    [
        (RNG.normal(size=(6, 10)), (6, 4, 3)),  # a table: univariate series
        (RNG.normal(size=(6, 10, 2)), (6, 4, 6)),
    ],
)
def test_patcher_turns_arrays_into_3d_arrays(X, shape):
    patched = SequencePatcher(patch_size=3).fit_transform(X)
    assert patched.shape == shape and patched.dtype == X.dtype
    series = X.reshape(6, 10, -1)
    np.testing.assert_array_equal(patched[:, 1].reshape(6, 3, -1), series[:, 3:6])
    np.testing.assert_array_equal(SequencePatcher(patch_size=1).fit_transform(X), series)


def test_patcher_checks_the_width_and_learns_a_long_pattern_in_a_pipeline():
    patcher = SequencePatcher(patch_size=4).fit(RNG.normal(size=(3, 8, 2)))
    with pytest.raises(ValueError, match="2 features"):
        patcher.transform(RNG.normal(size=(3, 8, 3)))
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 1)) for n in rng.randint(60, 120, size=160)]
    y = np.array([s[:, 0].mean() > 0 for s in X]).astype(int)
    for s, label in zip(X, y):  # a bump whose sign is the label, somewhere
        start = rng.randint(0, len(s) - 8)
        s[start : start + 8, 0] += 3.0 if label else -3.0
    model = make_pipeline(
        SequenceScaler(per_sequence=True),
        SequencePatcher(patch_size=8),
        RNNClassifier(
            hidden_size=16,
            cell="gru",
            pooling="max",
            learning_rate_init=0.01,
            max_iter=40,
            random_state=0,
        ),
    )
    assert model.fit(X, y).score(X, y) > 0.9
    assert model[-1].n_features_in_ == 8
