"""The core's gradients agree with central finite differences in float64."""

import numpy as np
import pytest

from skrnn._network import RecurrentNetwork
from skrnn._sequences import check_sequences
from skrnn._tasks import PerSequence, PerStep

from ._gradcheck import central_differences, gradient_error, make_network, unsort


def _check(X):
    return check_sequences(X)[0]


def _data(kind, rng):
    if kind == "dense":
        X = np.zeros((4, 5, 3))
        X[:] = rng.normal(size=X.shape)
        return _check(X)
    if kind == "ragged":
        X = [rng.normal(size=(n, 3)) for n in (5, 2, 4, 1)]
        return _check(X)
    if kind == "tokens":
        X = np.array([[2, 5, 3, 4, 0], [3, 0, 0, 0, 0], [6, 2, 2, 0, 0], [0, 0, 0, 0, 0]])
        return _check(X)
    X = [[(2, 7), (5, 0), (3, 8)], [(4, 9)], [(6, 7), (2, 8)]]  # multi-id tokens
    return _check(X)


LAYOUTS = ["dense", "ragged", "tokens", "token_features"]
CELLS = ["rnn", "gru", "lstm"]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_state_readout_gradient(cell, kind, num_layers, bidirectional):
    _check_readout(cell, kind, num_layers, bidirectional, "last", "log_loss", seed=0)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["ragged", "tokens"])
def test_squared_error_gradient(cell, kind):
    _check_readout(cell, kind, 2, True, "last", "squared_error", seed=0)


def _check_readout(cell, kind, num_layers, bidirectional, readout, loss, seed):
    """Gradients of a network with ``readout`` against finite differences, the
    targets and loss weights of the batch as the units lay them out."""
    rng = np.random.RandomState(seed)
    data = _data(kind, rng)
    n_out = 3
    net = make_network(
        data,
        n_out,
        rng,
        hidden_size=4,
        num_layers=num_layers,
        cell=cell,
        bidirectional=bidirectional,
        readout=readout,
        output_activation="softmax" if loss == "log_loss" else "identity",
    )
    batch = data.batch()
    shape = (int(data.lengths.sum()),) if readout == "every" else (len(data),)
    if loss == "log_loss":
        targets = rng.randint(n_out, size=shape)
    else:
        targets = rng.normal(size=shape + (n_out,))
    units = PerStep() if readout == "every" else PerSequence()
    target, weight = units.batch_targets(targets, batch, np.float64)
    err, grad, _ = gradient_error(net, batch, target, weight, loss)
    assert err < 1e-6
    assert np.abs(grad).max() > 1e-3  # the check compared something real


def _output_and_grad(net, batch, d_row):
    out, cache = net.forward(batch, training=True)
    g, views = net.new_grad()
    net.backward(np.tile(d_row, (batch.n_sequences, 1)), cache, views)
    return unsort(batch, out), g


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_gives_exactly_the_unpadded_output_and_gradient(cell, bidirectional):
    """Extra padding steps change nothing, bit for bit."""
    rng = np.random.RandomState(1)
    ids = np.array([[2, 3, 4, 5], [6, 2, 0, 0]])
    padded = np.hstack([ids, np.zeros((2, 6), dtype=ids.dtype)])
    tight = _check(ids)
    loose = _check(padded)
    net = make_network(tight, 2, rng, hidden_size=5, bidirectional=bidirectional, cell=cell)
    d_row = np.array([0.3, -0.7])
    out_a, grad_a = _output_and_grad(net, tight.batch(), d_row)
    out_b, grad_b = _output_and_grad(net, loose.batch(), d_row)
    np.testing.assert_array_equal(out_a, out_b)
    np.testing.assert_array_equal(grad_a, grad_b)


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_alone_or_padded_in_a_batch_agree(cell):
    """A ragged sequence padded beside a longer one matches it run alone."""
    rng = np.random.RandomState(1)
    seq = rng.normal(size=(3, 2))
    alone = _check([seq])
    batched = _check([seq, rng.normal(size=(7, 2))])
    net = make_network(alone, 2, rng, hidden_size=5, bidirectional=True, cell=cell)
    d_row = np.array([0.3, -0.7])
    out_a, grad_a = _output_and_grad(net, alone.batch(), d_row)
    batch = batched.batch()
    out, cache = net.forward(batch, training=True)
    d_out = np.zeros((2, 2))
    d_out[batch.order == 0] = d_row  # only the short sequence's loss
    g, views = net.new_grad()
    net.backward(d_out, cache, views)
    np.testing.assert_allclose(out_a[0], unsort(batch, out)[0], rtol=1e-13)
    np.testing.assert_allclose(grad_a, g, rtol=1e-12, atol=1e-15)


def test_token_padding_position_is_irrelevant():
    """Pre-padded and post-padded token rows are the same sequence."""
    rng = np.random.RandomState(2)
    post = _check(np.array([[2, 3, 4, 0, 0]]))
    pre = _check(np.array([[0, 0, 2, 3, 4]]))
    net = make_network(post, 2, rng, hidden_size=4)
    np.testing.assert_array_equal(net.forward(post.batch())[0], net.forward(pre.batch())[0])


def test_all_padding_row_gets_initial_state_output():
    rng = np.random.RandomState(3)
    data = _check(np.array([[2, 3], [0, 0]]))
    net = make_network(data, 2, rng, hidden_size=4)
    out, _ = net.forward(data.batch())
    expected = np.zeros(4) @ net.params["W_out"] + net.params["b_out"]
    expected = np.exp(expected - expected.max())
    np.testing.assert_allclose(unsort(data.batch(), out)[1], expected / expected.sum())


def test_token_lookup_equals_one_hot_product():
    """The row lookup is the one-hot (multi-hot) product, never materialised."""
    rng = np.random.RandomState(4)
    ids = [[(2, 5), (3, 0)], [(4, 6)]]
    data = _check(ids)
    net = make_network(data, 2, rng, hidden_size=3)
    dense_net = RecurrentNetwork(7, 2, input_kind="dense", hidden_size=3, dtype=np.float64)
    dense_net.coef[...] = net.coef
    multi_hot = [np.zeros((len(s), 7)) for s in ids]
    for seq, rows in zip(multi_hot, ids):
        for t, step in enumerate(rows):
            for i in step:
                if i:
                    seq[t, i] += 1.0
    dense = _check(multi_hot)
    np.testing.assert_allclose(
        net.forward(data.batch())[0], dense_net.forward(dense.batch())[0], rtol=1e-12
    )


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", LAYOUTS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_step_readout_gradient(cell, kind, num_layers, bidirectional):
    """Per-step softmax loss, padded steps weighted 0 (the tagger's loss)."""
    _check_readout(cell, kind, num_layers, bidirectional, "every", "log_loss", seed=5)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["tokens", "token_features"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("readout", ["last", "every"])
def test_embedding_gradient(cell, kind, num_layers, bidirectional, readout):
    """``embedding_dim``: the table's rows feed the first layer as dense input,
    and its gradient is their rows' gradients scattered back by id."""
    rng = np.random.RandomState(8)
    data = _data(kind, rng)
    net = make_network(
        data,
        3,
        rng,
        hidden_size=4,
        embedding_dim=3,
        num_layers=num_layers,
        cell=cell,
        bidirectional=bidirectional,
        readout=readout,
    )
    batch = data.batch()
    if readout == "every":
        weight = batch.step_mask().ravel() / batch.step_mask().sum()
    else:
        weight = np.full(batch.n_sequences, 1.0 / batch.n_sequences)
    target = rng.randint(3, size=weight.size)
    err, grad, _ = gradient_error(net, batch, target, weight, "log_loss")
    assert err < 1e-6
    assert np.abs(net._views(grad)["W_emb"][1:]).max() > 1e-3
    assert not net._views(grad)["W_emb"][0].any()  # padding row


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("vocabulary", [12, 200])
def test_lookup_gradient_small_and_large_vocabulary(cell, vocabulary):
    """The gated cells gather token rows from a transposed table when it is no
    larger than the batch's rows (V <= T * B = 12 here), else transpose the
    rows: both ways, with two ids a step."""
    rng = np.random.RandomState(10)
    X = [rng.randint(1, vocabulary, size=(n, 2)) for n in (4, 2, 3)]
    X[0][0, 1] = vocabulary - 1  # the table spans the whole vocabulary
    data = _check(X)
    net = make_network(data, 3, rng, hidden_size=3, cell=cell, bidirectional=True)
    batch = data.batch()
    assert (net.n_inputs <= batch.n_steps * batch.n_sequences) == (vocabulary == 12)
    target = rng.randint(3, size=batch.n_sequences)
    weight = np.full(batch.n_sequences, 1.0 / batch.n_sequences)
    err, grad, _ = gradient_error(net, batch, target, weight, "log_loss")
    assert err < 1e-6
    assert np.abs(grad).max() > 1e-3


@pytest.mark.parametrize("cell", CELLS)
def test_embedding_is_a_factored_lookup(cell):
    """Looking ids up in ``W_emb @ W_ih`` is the same model as embedding them
    and projecting by ``W_ih``: the lookup is an embedding as wide as the gates."""
    rng = np.random.RandomState(9)
    data = _data("token_features", rng)
    embedded = make_network(data, 2, rng, hidden_size=3, embedding_dim=2, cell=cell)
    lookup = make_network(data, 2, rng, hidden_size=3, cell=cell)
    for name, view in lookup.params.items():
        view[...] = embedded.params[name] if name != "W_ih.0.0" else 0.0
    lookup.params["W_ih.0.0"][...] = embedded.params["W_emb"] @ embedded.params["W_ih.0.0"]
    batch = data.batch()
    np.testing.assert_allclose(
        embedded.forward(batch)[0], lookup.forward(batch)[0], rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("cell", CELLS)
def test_every_step_outputs_on_padding_do_not_leak(cell):
    """Changing what a padded step would compute changes no real output."""
    rng = np.random.RandomState(6)
    data = _check([rng.normal(size=(2, 2)), rng.normal(size=(5, 2))])
    net = make_network(data, 2, rng, hidden_size=3, bidirectional=True, readout="every", cell=cell)
    batch = data.batch()
    out, _ = net.forward(batch)
    batch.inputs[~batch.step_mask()] = 1e3  # garbage in the padding
    out2, _ = net.forward(batch)
    mask = batch.step_mask()
    np.testing.assert_array_equal(out[mask], out2[mask])


@pytest.mark.parametrize("cell", CELLS)
def test_dropout_gradient_with_fixed_masks(cell):
    """Inverted dropout between layers: the gradient of the masked network."""
    rng = np.random.RandomState(7)
    data = _data("ragged", rng)
    net = make_network(data, 3, rng, hidden_size=4, num_layers=3, cell=cell, bidirectional=True)
    batch = data.batch()
    target = rng.randint(3, size=batch.n_sequences)
    weight = np.full(batch.n_sequences, 1.0 / batch.n_sequences)
    forward = net.forward
    net.forward = lambda b, s=None, ws=None, training=True: forward(
        b, s, ws, 0.5, np.random.RandomState(0), training=True
    )
    err, grad, _ = gradient_error(net, batch, target, weight, "log_loss")
    assert err < 1e-6
    _, cache = forward(batch, None, None, 0.5, np.random.RandomState(0), training=True)
    masks = cache.dropout_masks
    assert len(masks) == 2 and 0.3 < (masks[0] == 0).mean() < 0.7


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["ragged", "tokens"])
@pytest.mark.parametrize("readout", ["last", "every"])
def test_input_and_output_dropout_gradient_with_fixed_masks(cell, kind, readout):
    """Variational dropout on the first layer's inputs (one mask per sequence,
    the same at every step) and dropout on the output layer's features: the
    gradient of the masked network."""
    rng = np.random.RandomState(11)
    data = _data(kind, rng)
    embedding = dict(embedding_dim=3) if kind == "tokens" else {}
    net = make_network(
        data, 3, rng, hidden_size=4, cell=cell, bidirectional=True, readout=readout, **embedding
    )
    batch = data.batch()
    n_rows = batch.n_sequences if readout == "last" else batch.n_steps * batch.n_sequences
    target = rng.randint(3, size=n_rows)
    weight = np.full(n_rows, 1.0 / n_rows)
    forward = net.forward
    rates = dict(input_dropout=0.4, output_dropout=0.3)
    net.forward = lambda b, s=None, ws=None, training=True: forward(
        b, s, ws, 0.0, np.random.RandomState(0), training=True, **rates
    )
    err, grad, _ = gradient_error(net, batch, target, weight, "log_loss")
    assert err < 1e-6 and np.abs(grad).max() > 1e-3
    _, cache = forward(batch, None, None, 0.0, np.random.RandomState(0), training=True, **rates)
    mask = cache.input_mask
    assert mask.shape == (1, batch.n_sequences, batch.inputs.shape[-1] if not embedding else 3)
    np.testing.assert_allclose(np.unique(mask), [0.0, 1 / 0.6])  # inverted dropout
    np.testing.assert_allclose(np.unique(cache.output_mask), [0.0, 1 / 0.7])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["ragged", "tokens"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("readout", ["mean", "max"])
def test_pooling_readout_gradient(cell, kind, num_layers, readout):
    """Mean and max over the real steps (the 'tokens' data has a sequence of
    padding only, whose pooled features are 0)."""
    _check_readout(cell, kind, num_layers, True, readout, "log_loss", seed=12)


@pytest.mark.parametrize("estimator", ["classifier", "regressor", "tagger"])
def test_lbfgs_objective_gradient(estimator, monkeypatch):
    """The function L-BFGS minimises (every batch's weighted loss plus the L2
    term, over the flat weights) has the gradient it returns, with sample
    weights and several batches."""
    import scipy.optimize

    from skrnn import RNNClassifier, RNNRegressor, RNNSequenceTagger

    seen = {}
    minimize = scipy.optimize.minimize

    def spy(fun, x0, **kwargs):
        seen["fun"], seen["x0"] = fun, x0.copy()
        return minimize(fun, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    rng = np.random.RandomState(3)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(1, 6, size=13)]
    model_class, y = {
        "classifier": (RNNClassifier, np.array([int(s[0, 0] > 0) for s in X])),
        "regressor": (RNNRegressor, np.array([s[:, 1].sum() for s in X])),
        "tagger": (RNNSequenceTagger, [(s[:, 0] > 0).astype(int) for s in X]),
    }[estimator]
    model = model_class(
        hidden_size=3, solver="lbfgs", alpha=0.7, batch_size=4, max_iter=1, dtype="float64"
    )
    model.fit(X, y, sample_weight=rng.uniform(0.5, 2.0, size=len(X)))
    x = seen["x0"] + rng.normal(scale=0.3, size=seen["x0"].shape)
    grad = seen["fun"](x)[1].copy()
    numeric = central_differences(lambda: seen["fun"](x)[0], x)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
