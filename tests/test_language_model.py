"""RNNLanguageModel: stateful truncated BPTT, scoring, generation, contract."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skrnn import RNNLanguageModel
from skrnn._language_model import _Windows
from skrnn._network import RecurrentNetwork

from ._gradcheck import gradient_error, perturb

TEXT = "the cat sat on the mat. the dog sat on the log. " * 12


def _model(**params):
    defaults = dict(
        hidden_size=24,
        seq_length=16,
        batch_size=4,
        learning_rate_init=0.01,
        max_iter=25,
        random_state=0,
    )
    return RNNLanguageModel(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted():
    return _model().fit(TEXT)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gradient_across_two_windows_with_carried_state(cell):
    """Window 2 starts from window 1's final state; its gradient stops there."""
    rng = np.random.RandomState(0)
    ids = rng.randint(2, 7, size=20)
    windows = _Windows([ids], seq_length=10)
    net = RecurrentNetwork(
        7,
        7,
        input_kind="tokens",
        hidden_size=4,
        num_layers=2,
        readout="every",
        dtype=np.float64,
        cell=cell,
    )
    net.initialize(rng)
    perturb(net, rng)
    first, _, _ = windows.batch(0, np.float64)
    _, cache = net.forward(first)
    carried = net.final_states(cache).copy()
    assert np.abs(carried).max() > 0.1
    second, target, mask = windows.batch(1, np.float64)
    err, grad, _ = gradient_error(
        net, second, target, mask / mask.sum(), "log_loss", initial_state=carried
    )
    assert err < 1e-6 and np.abs(grad).max() > 1e-3


def test_windows_cover_every_token_once_and_streams_are_contiguous():
    docs = [np.arange(2, 40), np.arange(2, 9)]
    w = _Windows(docs, seq_length=5, n_streams=3)
    assert w.n_tokens == 38 + 7 and w.n_streams == 3
    real = w.lengths[..., None] > np.arange(5)
    targets = w.targets[real]
    np.testing.assert_array_equal(np.sort(targets), np.sort(np.concatenate(docs)))
    # a document's first input is the start step (padding id 0)
    assert w.inputs[0, 0, 0] == 0 and w.starts[0, 0]


def test_learns_the_text(fitted):
    assert fitted.loss_curve_[-1] < fitted.loss_curve_[0]
    assert fitted.score(TEXT) > -0.6  # nats per char: far below log(vocab) ~ 2.8
    assert fitted.perplexity(TEXT) == pytest.approx(np.exp(-fitted.score(TEXT)))
    assert fitted.t_ == fitted.n_iter_ * len(TEXT)


def test_embedding_dim_language_model_learns_the_text():
    lm = _model(embedding_dim=6, cell="gru").fit(TEXT)
    assert lm.coefs_["W_emb"].shape == (lm.n_tokens_, 6)
    assert lm.score(TEXT) > -0.6


def test_predict_proba_next_token(fitted):
    proba = fitted.predict_proba("the ca")
    assert proba.shape == (fitted.n_tokens_,)
    np.testing.assert_allclose(proba.sum(), 1.0)
    assert fitted.tokens_[proba.argmax()] == "t"
    both = fitted.predict_proba(["the ca", "the do"])
    assert both.shape == (2, fitted.n_tokens_)
    np.testing.assert_allclose(both[0], proba)
    assert fitted.tokens_[both[1].argmax()] == "g"


def test_generation_reproducible_and_greedy_deterministic(fitted):
    a = fitted.generate("the ", n_tokens=30, random_state=3)
    b = fitted.generate("the ", n_tokens=30, random_state=3)
    assert a == b and len(a) == 30
    assert fitted.generate("the ", n_tokens=30, temperature=0) == fitted.generate(
        "the ", n_tokens=30, temperature=0
    )
    assert fitted.generate("the d", n_tokens=2, temperature=0) == "og"
    assert "[UNK]" not in fitted.generate("", n_tokens=50, random_state=0)


def test_unknown_prompt_characters(fitted):
    assert len(fitted.generate("the Zebra!?", n_tokens=5, random_state=0)) == 5
    assert np.isfinite(fitted.score("ZZZ the cat"))


def test_pickle_keeps_score_identical(fitted):
    loaded = pickle.loads(pickle.dumps(fitted))
    assert loaded.score(TEXT) == fitted.score(TEXT)
    assert loaded.generate("the", 20, random_state=1) == fitted.generate("the", 20, random_state=1)


def test_documents_are_not_glued():
    lm = _model(max_iter=40).fit(["ab" * 40, "cd" * 40])
    # each document starts fresh: after "b" comes "a", never "c"
    proba = lm.predict_proba("ab")
    assert proba[lm.vocabulary_["a"]] > 0.9
    first = lm.predict_proba("")
    assert first[lm.vocabulary_["a"]] + first[lm.vocabulary_["c"]] > 0.7  # 2 examples


def test_word_analyzer():
    lm = _model(analyzer="word", seq_length=6).fit(TEXT)
    assert "cat" in lm.vocabulary_
    words = lm.generate("the", n_tokens=4, random_state=0).split(" ")
    assert len(words) == 4 and all(w in lm.vocabulary_ for w in words)


def test_partial_fit_carries_state_and_continues():
    lm = _model(batch_size=1, max_iter=1)
    lm.partial_fit(TEXT[:200])
    state = lm._stream_state.copy()
    lm.partial_fit(TEXT[200:400])
    assert lm.n_iter_ == 2 and np.abs(state).max() > 0
    assert lm._stream_tokens[0] == lm.vocabulary_[TEXT[399]]


def test_a_text_in_pieces_trains_as_the_whole_text():
    """Pieces cut at window boundaries, fed to partial_fit in order, give the
    weights of one call on the whole text: the state runs on across them."""
    text = "the quick brown fox jumps over the lazy dog. " * 40  # 45 characters
    params = dict(hidden_size=16, seq_length=15, batch_size=1, random_state=0)
    whole = RNNLanguageModel(**params).partial_fit(text)
    # each piece is 10 sentences, so the first shows the whole text's vocabulary
    pieces = [text[start : start + 450] for start in range(0, len(text), 450)]
    carried, restarted = RNNLanguageModel(**params), RNNLanguageModel(**params)
    for piece in pieces:
        carried.partial_fit(piece)
        restarted.partial_fit(piece)
        restarted._stream_state = restarted._stream_tokens = None  # forget the state
    assert carried.vocabulary_ == whole.vocabulary_ and carried.n_iter_ == 4
    np.testing.assert_array_equal(carried.network_.coef, whole.network_.coef)
    assert not np.array_equal(restarted.network_.coef, whole.network_.coef)


@pytest.mark.parametrize("bad", ["", [""], ["", ""]])
def test_empty_text_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="at least one token|at least one text"):
        _model().fit(bad)


def test_reads_forwards_only():
    """Each token is predicted from the ones before it: no reading backwards."""
    assert "bidirectional" not in RNNLanguageModel().get_params()
    with pytest.raises(TypeError, match="bidirectional"):
        _model(bidirectional=True)


def test_grid_search_by_likelihood():
    docs = [TEXT[i : i + 120] for i in range(0, 480, 120)]
    search = GridSearchCV(_model(max_iter=5), {"hidden_size": [4, 24]}, cv=2).fit(docs)
    assert search.best_params_ == {"hidden_size": 24}
    assert clone(search.best_estimator_).get_params()["seq_length"] == 16
