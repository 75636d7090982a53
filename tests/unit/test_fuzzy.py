"""The fuzzy scorer: which names match, in what order, and that the batch index agrees."""

from __future__ import annotations

import random

import pytest

from mlops_desktop.core.fuzzy import fuzzy_match
from mlops_desktop.core.fuzzy_batch import FuzzyIndex


def order(query: str, names: list[str]) -> list[str]:
    """``names`` that ``query`` matches, best first, by the reference scorer."""
    scored = [(fuzzy_match(query, n), n) for n in names]
    ranked = sorted((m.score, -len(n), n) for m, n in scored if m is not None)
    return [n for _s, _l, n in reversed(ranked)]


def test_a_subsequence_in_order_case_insensitive() -> None:
    assert fuzzy_match("dgt", "digits") is not None
    assert fuzzy_match("DIG", "digits") is not None
    assert fuzzy_match("tgd", "digits") is None
    assert fuzzy_match("digitss", "digits") is None
    assert fuzzy_match("", "anything") is not None


def test_positions_are_the_best_alignment_not_the_first() -> None:
    # the first "c" is mid-word; the best one starts a word
    match = fuzzy_match("mc", "my-cnn-config")
    assert match is not None and match.positions == (0, 3)
    match = fuzzy_match("conf", "my-cnn-config")
    assert match is not None and match.positions == (7, 8, 9, 10)
    match = fuzzy_match("rl", "run-lr-0.1")
    assert match is not None and match.positions == (0, 4)


def test_word_starts_beat_letters_inside_words() -> None:
    assert order("tb", ["ratable", "tensor-board", "stub"]) == ["tensor-board", "stub", "ratable"]
    assert order("mn", ["lemon", "myNet", "m_n"])[:2] in (["myNet", "m_n"], ["m_n", "myNet"])
    assert order("mn", ["lemon", "myNet"]) == ["myNet", "lemon"]


def test_consecutive_characters_beat_scattered_ones() -> None:
    assert order("abc", ["xaxbxcx", "zzabcz"]) == ["zzabcz", "xaxbxcx"]
    assert order("run", ["r-u-n", "prune", "run-3"])[0] == "run-3"


def test_a_prefix_beats_the_same_letters_later() -> None:
    assert order("dig", ["new-digits", "digits"]) == ["digits", "new-digits"]


def test_exact_case_breaks_a_tie() -> None:
    assert order("Lr", ["lr-sweep", "Lr-sweep"]) == ["Lr-sweep", "lr-sweep"]


def test_shorter_gaps_win() -> None:
    assert order("ab", ["a--b", "a-------b"]) == ["a--b", "a-------b"]


def test_the_batch_index_scores_like_the_reference() -> None:
    rng = random.Random(7)
    alphabet = "abAB-_ x1."
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))) for _ in range(800)]
    index = FuzzyIndex(names)
    # typed one character at a time, with deletions and a pasted query in between
    for query in ["a", "ab", "aB", "a", "a-b", "abc", "x1", "x", "A a", "b.a", "abab", "1"]:
        rows, scores = index.scores(query)
        got = dict(zip(rows.tolist(), scores.tolist(), strict=True))
        for row, name in enumerate(names):
            match = fuzzy_match(query, name)
            assert got.get(row) == (None if match is None else match.score), (query, name)


def test_rank_orders_by_score_then_boost_then_shortness_then_row() -> None:
    names = ["digits-b", "digits-a", "digits", "cifar", "new-digits"]
    index = FuzzyIndex(names)
    ranked = [names[row] for row, _score in index.rank("dig", 10)]
    assert ranked == ["digits", "digits-b", "digits-a", "new-digits"]
    boosts = index.scores("")[0] * 0
    boosts[1] = 5  # a recent pick wins among equals
    ranked = [names[row] for row, _score in index.rank("dig", 10, boosts)]
    assert ranked == ["digits-a", "digits", "digits-b", "new-digits"]
    assert [names[r] for r, _s in index.rank("dig", 2)] == ["digits", "digits-b"]
    assert [names[r] for r, _s in index.rank("", 3)] == names[:3]


@pytest.mark.parametrize("names", [[], [""], ["a" * 200]])
def test_edge_names(names: list[str]) -> None:
    index = FuzzyIndex(names)
    assert index.rank("zz", 5) == []
    assert len(index.rank("", 5)) == len(names)
