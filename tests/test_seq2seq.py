"""RNNSeq2Seq and its encoder-decoder: gradients, decoding, the estimator contract."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from skrnn import RNNSeq2Seq, SequenceVectorizer
from skrnn._encoder_decoder import EncoderDecoder
from skrnn._network import log_loss
from skrnn._sequences import OutputSequences, PairData, SequenceData
from skrnn.datasets import make_dates
from skrnn.metrics import sequence_accuracy_scorer

from ._gradcheck import gradient_error, perturb

# ------------------------------------------------------------------ the model
IN_LENGTHS = np.array([4, 2, 3, 1, 3])
OUT_LENGTHS = np.array([3, 5, 2, 4, 1])  # the end marker included
N_OUT = 7  # padding, the end marker and five tokens


def pair_data(kind, rng):
    """Ragged inputs (dense, or token ids 1..6) with outputs of other lengths."""
    if kind == "dense":
        steps = rng.normal(size=(IN_LENGTHS.sum(), 3))
    else:
        steps = rng.randint(1, 7, size=(IN_LENGTHS.sum(), 1))
    ids = np.concatenate([np.r_[rng.randint(2, N_OUT, size=n - 1), 1] for n in OUT_LENGTHS])
    return PairData(SequenceData(steps, IN_LENGTHS, kind), OutputSequences(ids, OUT_LENGTHS))


def network(kind, rng, **kwargs):
    net = EncoderDecoder(
        3 if kind == "dense" else 7,
        N_OUT,
        input_kind=kind,
        hidden_size=4,
        dtype=np.float64,
        **kwargs,
    )
    net.initialize(rng)
    perturb(net, rng)
    net.weights_changed()
    return net


def targets(batch):
    ids = batch.target_ids.ravel()
    real = (ids != 0).astype(np.float64)
    return ids, real / real.sum()


ARRANGEMENTS = [
    dict(bidirectional=False, attention="dot"),
    dict(bidirectional=True, attention="general"),
    dict(bidirectional=False, attention=None),
    dict(bidirectional=True, attention=None),
]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("arrangement", ARRANGEMENTS, ids=lambda a: f"{a}")
def test_gradients_match_finite_differences(cell, arrangement):
    # every part at once: encoder, bridge, attention, decoder and output layer
    rng = np.random.RandomState(0)
    data = pair_data("dense", rng)
    net = network("dense", rng, cell=cell, **arrangement)
    batch = data.batch()
    error, grad, numeric = gradient_error(net, batch, *targets(batch), "log_loss")
    assert error < 1e-6
    for name in net.params:  # no part is left out of the check
        assert np.abs(net._views(numeric)[name]).max() > 0, name


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gradients_of_token_input_with_embedding_and_layers(cell):
    rng = np.random.RandomState(1)
    data = pair_data("tokens", rng)
    net = network("tokens", rng, cell=cell, num_layers=2, bidirectional=True, embedding_dim=3)
    batch = data.batch()
    error, _, _ = gradient_error(net, batch, *targets(batch), "log_loss")
    assert error < 1e-6


def test_the_dot_attention_refuses_a_bidirectional_encoder():
    with pytest.raises(ValueError, match="attention='general'"):
        EncoderDecoder(3, 5, input_kind="dense", hidden_size=4, bidirectional=True, attention="dot")


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_greedy_decoding_picks_the_teacher_forced_argmax(cell):
    # fed its own output back, the teacher-forced forward's most probable id
    # at every step is the id greedy decoding emitted
    rng = np.random.RandomState(2)
    data = pair_data("dense", rng)
    net = network("dense", rng, cell=cell, bidirectional=True)
    decoded = net.decode(data.data, max_length=6)
    ends = [np.r_[ids, 1] if len(ids) < 6 else ids for ids in decoded]
    lengths = np.array([len(ids) for ids in ends])
    own = PairData(data.data, OutputSequences(np.concatenate(ends), lengths))
    batch = own.batch()
    out, _ = net.forward(batch)
    for row, sequence in enumerate(batch.rows):
        steps = lengths[sequence]
        best = out[row, :steps, 1:].argmax(axis=1) + 1  # padding is never emitted
        np.testing.assert_array_equal(best, ends[sequence])


def _mean_log_probability(net, data, row, ids, ended):
    """The mean log-probability per id of output ``ids`` of input ``row``
    (and of its end marker, if ``ended``), read with teacher forcing."""
    ids = np.asarray(list(ids) + [1] * ended, dtype=np.intp)
    outputs = OutputSequences(np.r_[ids, 1], [len(ids) + 1])  # its own end unread
    sub = SequenceData(
        data.steps[data.starts[row] : data.starts[row] + data.lengths[row]],
        data.lengths[[row]],
        data.kind,
    )
    batch = PairData(sub, outputs).batch()
    out, _ = net.forward(batch)
    return np.log(out[0, np.arange(len(ids)), ids]).mean()


def test_a_beam_wide_enough_is_an_exhaustive_search():
    # with room for every hypothesis, beam search returns the output of the
    # highest log-probability per id among all outputs of up to 3 tokens
    # (ended) and of 4 (cut at max_length)
    rng = np.random.RandomState(3)
    data = pair_data("dense", rng)
    net = network("dense", rng, cell="gru", bidirectional=True)
    tokens = range(2, N_OUT)
    candidates = [((), True)]
    for length in range(1, 5):
        grid = np.array(np.meshgrid(*[tokens] * length, indexing="ij")).reshape(length, -1).T
        candidates += [(tuple(ids), length < 4) for ids in grid]
    beam = net.decode(data.data, max_length=4, beam_width=len(candidates))
    greedy = net.decode(data.data, max_length=4)
    for row in range(len(IN_LENGTHS)):
        scores = [
            _mean_log_probability(net, data.data, row, ids, ended) for ids, ended in candidates
        ]
        best = candidates[int(np.argmax(scores))][0]
        assert tuple(beam[row]) == best
        greedy_ended = len(greedy[row]) < 4
        greedy_score = _mean_log_probability(net, data.data, row, greedy[row], greedy_ended)
        assert max(scores) >= greedy_score - 1e-12


def test_decoding_does_not_depend_on_the_other_sequences_of_a_chunk():
    rng = np.random.RandomState(4)
    data = pair_data("dense", rng)
    net = network("dense", rng, cell="lstm")
    together = net.decode(data.data, 8, beam_width=3)
    alone = [net.decode(data.data, 8, beam_width=3, index=[i])[0] for i in range(len(IN_LENGTHS))]
    for a, b in zip(together, alone):
        np.testing.assert_array_equal(a, b)


# -------------------------------------------------------------- the estimator
X_TOY = [[2, 3, 4], [3, 2], [4], [2, 4, 3, 3], [3, 3], [4, 2]]
Y_TOY = ["cba", "bc", "d", "aabd", "bb", "dc"]
FAST = dict(hidden_size=16, max_iter=150, random_state=0)


def test_it_learns_outputs_of_their_own_length_and_answers_in_y_form():
    model = RNNSeq2Seq(**FAST).fit(X_TOY, Y_TOY)
    assert model.predict(X_TOY) == Y_TOY
    assert model.score(X_TOY, Y_TOY) == 1.0
    assert model.classes_.tolist() == ["a", "b", "c", "d"]
    assert model.max_output_length_ == 8  # twice the longest output
    words = RNNSeq2Seq(output_split="word", **FAST).fit(X_TOY, [" ".join(y) for y in Y_TOY])
    assert words.predict(X_TOY[:2]) == ["c b a", "b c"]
    lists = RNNSeq2Seq(**FAST).fit(X_TOY, [list(y) for y in Y_TOY])
    assert lists.predict(X_TOY[:1]) == [["c", "b", "a"]]
    arrays = RNNSeq2Seq(**FAST).fit(X_TOY, [np.array([ord(c) for c in y]) for y in Y_TOY])
    np.testing.assert_array_equal(arrays.predict(X_TOY[:1])[0], [99, 98, 97])


def test_one_to_many_from_a_single_step():
    # one step of 3 features says which word to spell
    rng = np.random.RandomState(0)
    words = ["one", "three", "eleven"]
    which = rng.randint(0, 3, size=60)
    X = np.eye(3)[which][:, None, :] + rng.normal(scale=0.05, size=(60, 1, 3))
    Y = [words[i] for i in which]
    model = RNNSeq2Seq(hidden_size=16, max_iter=100, random_state=0).fit(X, Y)
    assert model.n_features_in_ == 3
    assert model.predict(np.eye(3)[:, None, :]) == words


@pytest.mark.parametrize(
    "params",
    [
        dict(cell="lstm", attention=None),
        dict(cell="rnn", bidirectional=False, attention="dot"),
        dict(num_layers=2, dropout=0.2, embedding_dim=8, input_dropout=0.1, output_dropout=0.1),
        dict(beam_width=4, clip_norm=1.0, dtype="float64"),
        dict(solver="lbfgs", max_iter=200),
        dict(solver="sgd", learning_rate_init=0.1, max_iter=300),
    ],
    ids=str,
)
def test_every_arrangement_and_solver_learns_the_toy(params):
    model = RNNSeq2Seq(**{**FAST, **params}).fit(X_TOY, Y_TOY)
    assert model.score(X_TOY, Y_TOY) == 1.0


def test_max_output_length_cuts_what_never_ends():
    model = RNNSeq2Seq(**FAST).fit(X_TOY, Y_TOY)
    model.set_params(max_output_length=2)
    assert model.max_output_length_ == 2
    assert model.predict([[2, 4, 3, 3]]) == ["aa"]


def test_zero_sample_weight_is_leaving_the_pair_out():
    # full-batch L-BFGS: the weighted loss is the loss of the kept pairs
    weight = np.array([1, 1, 0, 1, 0, 1])
    params = dict(solver="lbfgs", max_iter=20, dtype="float64", random_state=0, hidden_size=8)
    weighted = RNNSeq2Seq(**params).fit(X_TOY, Y_TOY, sample_weight=weight)
    kept = [i for i in range(6) if weight[i]]
    plain = RNNSeq2Seq(**params).fit([X_TOY[i] for i in kept], [Y_TOY[i] for i in kept])
    np.testing.assert_allclose(weighted.network_.coef, plain.network_.coef, atol=1e-8)
    assert weighted.score(X_TOY, Y_TOY, sample_weight=weight) == pytest.approx(
        plain.score([X_TOY[i] for i in kept], [Y_TOY[i] for i in kept])
    )


def test_partial_fit_warm_start_and_early_stopping():
    model = RNNSeq2Seq(hidden_size=16, random_state=0)
    for _ in range(3):
        model.partial_fit(X_TOY, Y_TOY)
    assert model.n_iter_ == 3
    model = RNNSeq2Seq(warm_start=True, **{**FAST, "max_iter": 5}).fit(X_TOY, Y_TOY)
    model.fit(X_TOY, Y_TOY)
    assert model.n_iter_ == 10
    X, Y = make_dates(300, random_state=0)
    pipe = make_pipeline(
        SequenceVectorizer(analyzer="char"),
        RNNSeq2Seq(hidden_size=16, max_iter=4, early_stopping=True, random_state=0),
    )
    fitted = pipe.fit(X, Y)[-1]
    assert len(fitted.validation_scores_) == fitted.n_iter_
    assert all(0 <= s <= 1 for s in fitted.validation_scores_)
    assert fitted.best_validation_score_ == max(fitted.validation_scores_)


def _state(model):
    return pickle.dumps({k: v for k, v in vars(model).items()})


def test_a_call_that_raises_changes_nothing():
    model = RNNSeq2Seq(**FAST).fit(X_TOY, Y_TOY)
    before = _state(model)
    with pytest.raises(ValueError, match="not seen in the first fit"):
        model.partial_fit(X_TOY, ["zz"] * 6)
    with pytest.raises(ValueError, match="one output sequence per input"):
        model.fit(X_TOY, Y_TOY[:-1])
    with pytest.raises(TypeError, match="string or a 1-D list"):
        model.fit(X_TOY, [[["a"]]] * 6)
    model.set_params(attention="dot")
    with pytest.raises(ValueError, match="bidirectional=False"):
        model.fit(X_TOY, Y_TOY)
    assert _state(model.set_params(attention="general")) == before
    with pytest.raises(ValueError, match="no token"):
        RNNSeq2Seq().fit(X_TOY, [""] * 6)


def test_saved_models_predict_the_same(tmp_path):
    model = RNNSeq2Seq(beam_width=2, **FAST).fit(X_TOY, Y_TOY)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert loaded.predict(X_TOY) == model.predict(X_TOY)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.network_.coef, model.network_.coef)


def test_search_and_cross_validation_on_dates():
    X, Y = make_dates(200, random_state=0)
    pipe = make_pipeline(
        SequenceVectorizer(analyzer="char"), RNNSeq2Seq(hidden_size=8, max_iter=2, random_state=0)
    )
    scores = cross_val_score(pipe, X, Y, cv=2, scoring=sequence_accuracy_scorer)
    assert scores.shape == (2,)
    search = GridSearchCV(pipe, {"rnnseq2seq__attention": ["general", None]}, cv=2)
    search.fit(X, Y)
    assert search.best_params_["rnnseq2seq__attention"] in ("general", None)
    assert clone(pipe).get_params()["rnnseq2seq__hidden_size"] == 8


def test_verbose_prints_an_epoch_line(capsys):
    RNNSeq2Seq(hidden_size=4, max_iter=2, verbose=True, random_state=0).fit(X_TOY, Y_TOY)
    assert "Iteration 2, loss = " in capsys.readouterr().out


@pytest.mark.parametrize(
    "check",
    [
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_sklearn_parameter_checks(check):
    # the common checks that do not fit: the others feed y of one label per
    # sample, which is not an output sequence (see test_common.py)
    check("RNNSeq2Seq", RNNSeq2Seq())


def test_the_log_loss_of_the_end_marker_counts():
    # an output's end is a token of the loss: a model sure of the tokens but
    # not of the end pays for it
    prob = np.array([[0.0, 0.5, 0.5]])
    loss, _ = log_loss(prob.copy(), np.array([1]), np.array([1.0]))
    assert loss == pytest.approx(np.log(2))


def test_skops_round_trip_trusts_only_skrnn_types():
    sio = pytest.importorskip("skops.io")
    model = make_pipeline(
        SequenceVectorizer(analyzer="char"), RNNSeq2Seq(hidden_size=8, max_iter=3, random_state=0)
    ).fit(["abc", "ba", "c"], [["A", "B"], ["B"], ["C", "C"]])
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.startswith("skrnn.") for t in untrusted), untrusted
    loaded = sio.loads(data, trusted=untrusted)
    assert loaded.predict(["abc", "cc"]) == model.predict(["abc", "cc"])


def test_warm_start_rebuilds_when_the_attention_changes():
    model = RNNSeq2Seq(warm_start=True, **{**FAST, "max_iter": 3}).fit(X_TOY, Y_TOY)
    model.set_params(attention=None)
    with pytest.warns(UserWarning, match="attention='general' -> None"):
        model.fit(X_TOY, Y_TOY)
    assert "W_att" not in model.coefs_ and model.n_iter_ == 3
    with pytest.raises(ValueError, match="partial_fit continues the fitted network"):
        model.set_params(attention="general").partial_fit(X_TOY, Y_TOY)
