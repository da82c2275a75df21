"""Pretrained embeddings: a table aligned with a fitted vectorizer's ids, from
a {token: vector} mapping or a word-vector file, as the start of an
estimator's embedding, frozen or trained."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skrnn import RNNClassifier, RNNLanguageModel, RNNSequenceTagger, SequenceVectorizer
from skrnn.text import embedding_matrix

TEXTS = ["a good film", "a bad film", "good and good", "bad and bad"] * 10
LABELS = np.array([1, 0, 1, 0] * 10)
VECTORS = {"good": [1.0, 0.5, 0.0], "bad": [-1.0, 0.5, 0.0], "film": [0.0, 1.0, 1.0]}


@pytest.fixture
def vectorizer():
    return SequenceVectorizer().fit(TEXTS)


def _vec_file(path, vectors, header=True):
    lines = [f"{len(vectors)} 3"] if header else []
    lines += [f"{token} " + " ".join(map(str, v)) for token, v in vectors.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rows_follow_the_vocabulary_and_missing_tokens_are_unknown(vectorizer):
    table = embedding_matrix(vectorizer, VECTORS)
    names = vectorizer.get_feature_names_out().tolist()
    assert table.shape == (len(names), 3)
    for token, vector in VECTORS.items():
        np.testing.assert_array_equal(table[names.index(token)], vector)
    np.testing.assert_array_equal(table[0], 0.0)  # padding
    unknown = np.mean(list(VECTORS.values()), axis=0)
    np.testing.assert_allclose(table[1], unknown)
    for token in ("a", "and"):  # no vector: read as the vectorizer reads an unknown token
        np.testing.assert_allclose(table[names.index(token)], unknown)


@pytest.mark.parametrize("header", [True, False], ids=["fasttext", "glove"])
def test_a_word_vector_file_gives_the_same_table(tmp_path, vectorizer, header):
    vectors = {**VECTORS, "unrelated": [9.0, 9.0, 9.0]}
    path = _vec_file(tmp_path / "vectors.vec", vectors, header)
    np.testing.assert_array_equal(
        embedding_matrix(vectorizer, path), embedding_matrix(vectorizer, VECTORS)
    )


def test_a_malformed_vector_file_names_its_line(tmp_path, vectorizer):
    path = tmp_path / "bad.vec"
    path.write_text("good 1 2 3\nbad 1 x 3\n")
    with pytest.raises(ValueError, match=r"bad\.vec:2: the values after 'bad'"):
        embedding_matrix(vectorizer, path)
    path.write_text("good 1 2 3\nbad 1 2\n")
    with pytest.raises(ValueError, match=r"bad\.vec:2: the vector of 'bad' is not 3"):
        embedding_matrix(vectorizer, path)
    with pytest.raises(ValueError, match="No token of the vectorizer's vocabulary"):
        embedding_matrix(vectorizer, {"zebra": [1.0]})


def test_a_frozen_table_is_used_as_given_and_never_trained(vectorizer):
    table = embedding_matrix(vectorizer, VECTORS)
    model = make_pipeline(
        SequenceVectorizer(),
        RNNClassifier(
            embedding_init=table, freeze_embedding=True, alpha=0.1, max_iter=30, random_state=0
        ),
    ).fit(TEXTS, LABELS)
    clf = model[-1]
    assert clf.network_.embedding_dim == 3
    np.testing.assert_array_equal(clf.coefs_["W_emb"], table.astype(np.float32))
    assert model.score(TEXTS, LABELS) == 1.0


def test_an_unfrozen_table_starts_there_and_trains(vectorizer):
    table = embedding_matrix(vectorizer, VECTORS)
    X = vectorizer.transform(TEXTS)
    clf = RNNClassifier(embedding_init=table, max_iter=3, random_state=0).fit(X, LABELS)
    untrained = RNNClassifier(embedding_init=table, max_iter=1, learning_rate_init=1e-300)
    untrained.fit(X, LABELS)
    np.testing.assert_allclose(untrained.coefs_["W_emb"], table, atol=1e-6)
    assert not np.allclose(clf.coefs_["W_emb"], table)
    np.testing.assert_array_equal(clf.coefs_["W_emb"][0], 0.0)  # padding stays zero


def test_vectors_the_package_trained_start_a_tagger():
    """No pretrained vectors ship with skrnn: a language model's input table
    is one, each row the vector of one of its tokens."""
    text = " ".join(TEXTS)
    lm = RNNLanguageModel(analyzer="word", embedding_dim=4, max_iter=2, random_state=0).fit(text)
    vectors = dict(zip(lm.tokens_[2:], lm.coefs_["W_emb"][2:]))
    words = [t.split() for t in TEXTS]
    tags = [["DET" if w == "a" else "W" for w in s] for s in words]
    vectorizer = SequenceVectorizer().fit(words)
    table = embedding_matrix(vectorizer, vectors)
    tagger = RNNSequenceTagger(embedding_init=table, max_iter=40, random_state=0)
    assert (
        tagger.fit(vectorizer.transform(words), tags).score(vectorizer.transform(words), tags)
        == 1.0
    )


@pytest.mark.parametrize(
    "params, X, pattern",
    [
        (dict(embedding_init=np.zeros((3, 2))), "ids", "has 3 rows.*needs 6"),
        (dict(embedding_init=np.zeros((6, 2)), embedding_dim=5), "ids", "2 columns"),
        (dict(embedding_init=np.zeros((6, 2))), "dense", "real-valued"),
        (dict(embedding_init=np.full((6, 2), np.nan)), "ids", "NaN"),
        (dict(freeze_embedding=True), "ids", "there is none"),
    ],
)
def test_a_table_that_does_not_fit_is_refused(params, X, pattern):
    X = np.array([[2, 3, 5], [4, 2, 0]]) if X == "ids" else np.zeros((2, 3, 1))
    with pytest.raises(ValueError, match=pattern):
        RNNClassifier(**params).fit(X, [0, 1])


def test_more_rows_than_the_ids_of_x_declare_the_vocabulary():
    X = np.array([[2, 3], [3, 2]])
    clf = RNNClassifier(embedding_init=np.ones((10, 2)), max_iter=1).fit(X, [0, 1])
    assert clf.n_tokens_ == 10 and clf.coefs_["W_emb"].shape == (10, 2)
