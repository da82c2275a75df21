"""SequenceVectorizer's contract (sklearn's common checks skip text input)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from skrnn import SequenceVectorizer
from skrnn.text import TOKEN_FEATURES, word_shape

TEXTS = ["the cat sat on the mat", "the dog sat", "a cat and a dog", ""]


def test_ids_are_frequency_ranked_from_two():
    vec = SequenceVectorizer().fit(TEXTS)
    # "the" (3) then "a", "cat", "dog", "sat" (2 each, alphabetical), then once-words.
    assert vec.vocabulary_["the"] == 2
    assert [vec.vocabulary_[w] for w in ("a", "cat", "dog", "sat")] == [3, 4, 5, 6]
    assert min(vec.vocabulary_.values()) == 2
    assert sorted(vec.vocabulary_.values()) == list(range(2, 2 + len(vec.vocabulary_)))


def test_fit_transform_equals_fit_then_transform():
    a = SequenceVectorizer().fit_transform(TEXTS)
    b = SequenceVectorizer().fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.int32 and a.shape == (4, 6)


def test_unknown_tokens_and_empty_strings():
    vec = SequenceVectorizer().fit(TEXTS)
    out = vec.transform(["the zebra", ""])
    np.testing.assert_array_equal(out, [[2, 1], [0, 0]])
    np.testing.assert_array_equal(vec.transform([""]), [[0]])  # one padding step


def test_width_is_longest_text_and_nothing_is_cut():
    vec = SequenceVectorizer().fit(["a b"])
    out = vec.transform(["a b a b a b a", "a"])
    assert out.shape == (2, 7)
    assert (out[0] > 0).all()


@pytest.mark.parametrize("truncating, expected", [("post", [2, 3, 4]), ("pre", [4, 5, 6])])
def test_max_length_truncates_and_pads(truncating, expected):
    vec = SequenceVectorizer(max_length=3, truncating=truncating).fit(["a b c d e"])
    out = vec.transform(["a b c d e", "a"])
    np.testing.assert_array_equal(out[0], expected)
    np.testing.assert_array_equal(out[1], [2, 0, 0])


def test_inverse_transform_round_trip():
    vec = SequenceVectorizer().fit(TEXTS)
    tokens = vec.inverse_transform(vec.transform(TEXTS[:3]))
    assert tokens == [t.split() for t in TEXTS[:3]]
    assert vec.inverse_transform(vec.transform(["the zebra"])) == [["the", "[UNK]"]]


def test_feature_names_are_the_tokens_by_id():
    vec = SequenceVectorizer().fit(TEXTS)
    names = vec.get_feature_names_out()
    assert names[0] == "" and names[1] == "[UNK]"
    for token, i in vec.vocabulary_.items():
        assert names[i] == token


def test_max_tokens_and_min_df():
    vec = SequenceVectorizer(max_tokens=4).fit(TEXTS)
    assert set(vec.vocabulary_) == {"the", "a"}
    # "a" occurs twice but in one text only: document frequency counts texts.
    vec = SequenceVectorizer(min_df=2).fit(TEXTS)
    assert set(vec.vocabulary_) == {"the", "cat", "dog", "sat"}
    vec = SequenceVectorizer(min_df=0.5).fit(TEXTS)  # in >= 2 of 4 texts
    assert set(vec.vocabulary_) == {"the", "cat", "dog", "sat"}


def test_char_callable_and_pretokenized_analyzers():
    chars = SequenceVectorizer(analyzer="char").fit(["abca"])
    np.testing.assert_array_equal(chars.transform(["cab"]), [[4, 2, 3]])
    split = SequenceVectorizer(analyzer=str.split, lowercase=False).fit(["Hi there, you"])
    assert set(split.vocabulary_) == {"Hi", "there,", "you"}
    pre = SequenceVectorizer().fit([["The", "cat"], ["the", "dog"]])
    assert set(pre.vocabulary_) == {"the", "cat", "dog"}


def test_clone_params_and_pickle():
    vec = SequenceVectorizer(max_length=5, min_df=2)
    assert clone(vec).get_params() == vec.get_params()
    vec.set_params(max_length=7)
    assert vec.max_length == 7
    vec.fit(TEXTS)
    loaded = pickle.loads(pickle.dumps(vec))
    np.testing.assert_array_equal(loaded.transform(TEXTS), vec.transform(TEXTS))


def test_bare_string_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"single string.*\[text\]"):
        SequenceVectorizer().fit("the cat sat")


@pytest.mark.parametrize("bad", [[1, 2], ["ok", None], [["a", 3]]])
def test_non_text_items_are_a_clear_type_error(bad):
    with pytest.raises(TypeError, match="Item 1 of X|Item 0 of X"):
        SequenceVectorizer().fit(bad)


def test_invalid_parameters_are_rejected_in_fit():
    with pytest.raises(ValueError, match="max_length"):
        SequenceVectorizer(max_length=0).fit(TEXTS)
    with pytest.raises(ValueError, match="truncating"):
        SequenceVectorizer(truncating="middle").fit(TEXTS)


def test_transform_before_fit_raises_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SequenceVectorizer().transform(TEXTS)


def test_token_features_give_k_ids_per_step():
    vec = SequenceVectorizer(token_features=True).fit(["The cat sat on 12 mats", "Dogs run"])
    out = vec.transform(["The dog sat", "Zebras 99"])
    k = len(TOKEN_FEATURES)
    assert out.shape == (2, 3, k) and vec.n_features_per_token_ == k
    assert (out[1, 2] == 0).all()  # padding step
    zebras = dict(zip(TOKEN_FEATURES, out[1, 0]))
    assert zebras["word"] == 1 and zebras["lower"] == 1  # unseen word: unknown id
    assert zebras["suffix1"] == vec.vocabulary_["s1=s"]  # ... but its suffix is known
    assert zebras["shape"] == vec.vocabulary_["shape=Xx"]
    assert zebras["is_upper"] == 0 and zebras["has_digit"] == 0  # absent: id 0
    assert vec.inverse_transform(out)[0][0] == (
        "word=The",
        "lower=the",
        "p1=T",
        "p2=Th",
        "p3=The",
        "s1=e",
        "s2=he",
        "s3=The",
        "shape=Xx",
        "is_title",
    )


def test_token_feature_subsets_and_callables():
    vec = SequenceVectorizer(token_features=["lower", "suffix2"]).fit(["Hello World"])
    assert vec.transform(["hello"]).shape == (1, 1, 2)
    assert set(vec.vocabulary_) == {"lower=hello", "lower=world", "s2=lo", "s2=ld"}
    vec = SequenceVectorizer(token_features=lambda t: [t, t[-1]]).fit(["ab cd"])
    assert vec.transform(["ab"]).shape == (1, 1, 2)
    with pytest.raises(ValueError, match="token_features names must be among"):
        SequenceVectorizer(token_features=["suffix9"]).fit(["a"])


def test_word_shape():
    assert [word_shape(w) for w in ("Hello", "1990s", "well-known", "U.S.", "dd")] == [
        "Xx",
        "dx",
        "x-x",
        "X.X.",
        "x",
    ]


def test_token_features_false_is_plain_tokens():
    texts = ["the cat sat", "hello world"]
    plain = SequenceVectorizer().fit_transform(texts)
    off = SequenceVectorizer(token_features=False)
    np.testing.assert_array_equal(off.fit_transform(texts), plain)
    assert off.n_features_per_token_ == 1 and "the" in off.vocabulary_
