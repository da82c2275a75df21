"""TrainingCurveDisplay: the curves it draws, and its message without matplotlib."""

import sys

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, RNNLanguageModel, RNNRegressor, SequenceScaler
from skrnn.inspection import TrainingCurveDisplay

RNG = np.random.RandomState(0)
X = RNG.normal(size=(120, 5, 2))
y = (X[:, :, 0].sum(axis=1) > 0).astype(int)


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_early_stopping_curves_on_two_axes(pyplot):
    model = RNNClassifier(hidden_size=6, early_stopping=True, max_iter=15, random_state=0)
    display = TrainingCurveDisplay.from_estimator(model.fit(X, y))
    epochs = np.arange(1, model.n_iter_ + 1)
    assert set(display.lines_) == {"loss", "validation loss", "validation score"}
    for name, curve in [
        ("loss", model.loss_curve_),
        ("validation loss", model.validation_loss_curve_),
        ("validation score", model.validation_scores_),
    ]:
        np.testing.assert_array_equal(display.lines_[name].get_xdata(), epochs)
        np.testing.assert_array_equal(display.lines_[name].get_ydata(), curve)
    assert display.ax_.get_xlabel() == "epoch" and display.ax_.get_ylabel() == "loss"
    assert display.score_ax_.get_ylabel() == "validation score"
    assert display.lines_["validation score"].axes is display.score_ax_
    assert display.ax_.get_title() == "RNNClassifier"
    assert display.figure_ is display.ax_.figure
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == ["training loss", "validation loss", "validation score"]


def test_pipeline_lbfgs_and_given_axes(pyplot):
    model = make_pipeline(SequenceScaler(), RNNRegressor(hidden_size=4, solver="lbfgs", max_iter=8))
    model.fit(X, y.astype(float))
    _, ax = pyplot.subplots()
    display = TrainingCurveDisplay.from_estimator(model, ax=ax, name="L-BFGS")
    assert display.ax_ is ax and display.score_ax_ is None
    assert list(display.lines_) == ["loss"] and ax.get_xlabel() == "iteration"
    np.testing.assert_array_equal(display.lines_["loss"].get_ydata(), model[-1].loss_curve_)
    assert ax.get_title() == "L-BFGS"


def test_language_model_and_curves_given_directly(pyplot):
    lm = RNNLanguageModel(hidden_size=8, seq_length=10, max_iter=3).fit("abcabcabc " * 30)
    assert len(TrainingCurveDisplay.from_estimator(lm).lines_["loss"].get_xdata()) == 3
    display = TrainingCurveDisplay(loss_curve=[3.0, 2.0, 1.5]).plot()
    np.testing.assert_array_equal(display.lines_["loss"].get_xdata(), [1, 2, 3])


def test_an_estimator_without_curves_is_a_clear_error(pyplot):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="LogisticRegression keeps no loss_curve_"):
        TrainingCurveDisplay.from_estimator(LogisticRegression().fit(X[:, :, 0], y))


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    model = RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skrnn\[plot\]"'):
        TrainingCurveDisplay.from_estimator(model)


def test_curves_given_as_arrays_and_a_legend_that_covers_no_curve(pyplot):
    display = TrainingCurveDisplay(
        loss_curve=np.array([1.0, 0.8, 0.7]),
        validation_loss_curve=np.array([1.1, 0.9, 0.85]),
        validation_scores=np.array([0.5, 0.6, 0.7]),
    ).plot()
    assert set(display.lines_) == {"loss", "validation loss", "validation score"}
    display.figure_.canvas.draw()
    legend = display.ax_.get_legend().get_window_extent()
    axes = display.ax_.get_window_extent()
    assert legend.y1 <= axes.y0  # below the axes, over neither curve


def test_a_search_is_pointed_to_its_best_estimator(pyplot):
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(RNNClassifier(hidden_size=4, max_iter=2), {"hidden_size": [4]}, cv=2)
    search.fit(X, y)
    with pytest.raises(TypeError, match="search.best_estimator_"):
        TrainingCurveDisplay.from_estimator(search)
    TrainingCurveDisplay.from_estimator(search.best_estimator_)


def test_verbose_prints_the_validation_loss_it_records(capsys):
    model = RNNClassifier(hidden_size=4, early_stopping=True, max_iter=2, verbose=True)
    model.fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if "Iteration" in line]
    assert len(lines) == 2
    assert f"loss = {model.validation_loss_curve_[0]:.8f}" in lines[0]
    assert "validation score" in lines[0]


# ------------------------------------------------------------ AttentionDisplay
def _reverser():
    from skrnn import RNNSeq2Seq, SequenceVectorizer

    words = ["abc", "cab", "bca", "ab", "ca", "bac"]
    model = make_pipeline(
        SequenceVectorizer(analyzer="char"),
        RNNSeq2Seq(hidden_size=16, max_iter=150, random_state=0),
    )
    return model.fit(words, [w[::-1] for w in words])


def test_attention_heat_map_of_a_pipeline(pyplot):
    from skrnn.inspection import AttentionDisplay

    model = _reverser()
    display = AttentionDisplay.from_estimator(model, "cab")
    assert display.input_tokens == ["c", "a", "b"]
    assert display.output_tokens == ["b", "a", "c", "<end>"]
    weights = np.asarray(display.image_.get_array())
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(weights, model[-1].attention_weights(model[0].transform(["cab"]))[0])
    labels = [t.get_text() for t in display.ax_.get_xticklabels()]
    assert labels == ["c", "a", "b"]


def test_attention_of_a_given_output_and_of_a_bare_model(pyplot):
    from skrnn import RNNSeq2Seq
    from skrnn.inspection import AttentionDisplay

    X, Y = [[2, 3, 4], [3, 2], [4]], [["x", "y"], ["y"], ["z", "z", "z"]]
    model = RNNSeq2Seq(hidden_size=8, max_iter=50, random_state=0).fit(X, Y)
    _, ax = pyplot.subplots()
    display = AttentionDisplay.from_estimator(model, [2, 3, 4], ["z"], ax=ax, name="given")
    assert display.ax_ is ax and ax.get_title() == "given"
    assert display.input_tokens == ["1", "2", "3"]  # steps, without a vectorizer
    assert display.output_tokens == ["z", "<end>"]
    assert display.attention_weights.shape == (2, 3)


def test_attention_display_refuses_a_model_without_attention(pyplot):
    from skrnn import RNNSeq2Seq
    from skrnn.inspection import AttentionDisplay

    with pytest.raises(TypeError, match="attention of an RNNSeq2Seq"):
        classifier = RNNClassifier(max_iter=5).fit([[1.0, 2.0]] * 4, [0, 1] * 2)
        AttentionDisplay.from_estimator(classifier, [1.0])
    model = RNNSeq2Seq(attention=None, hidden_size=4, max_iter=5).fit([[2, 3]] * 2, ["a", "b"])
    with pytest.raises(ValueError, match="attention=None"):
        AttentionDisplay.from_estimator(model, [2, 3])
