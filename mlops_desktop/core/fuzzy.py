"""Fuzzy matching of a typed query against a name, scored like fzf and VS Code's quick open.

The query's characters must appear in the name in order (a subsequence, case-insensitive).
Of all the ways they can, the best-scoring one counts:

- every matched character scores :data:`SCORE_MATCH`;
- a character at a word start scores a bonus: the name's first character
  (:data:`BONUS_FIRST`), one after a separator such as ``-`` ``_`` ``.`` ``/`` or a space
  (:data:`BONUS_BOUNDARY`), an upper-case letter after a lower-case one or a digit after a
  letter (:data:`BONUS_CAMEL`); the query's first character counts its bonus twice;
- a character right after the previous matched one scores :data:`BONUS_CONSECUTIVE` (more
  than a word start after a one-character gap nets, so "run" prefers "run-3" to "r-u-n");
- skipping characters between two matched ones costs :data:`PENALTY_GAP_START` plus
  :data:`PENALTY_GAP_EXTENSION` per skipped character after the first;
- a character typed in the same case as the name's scores :data:`BONUS_CASE`.

This module is the reference: :mod:`mlops_desktop.core.fuzzy_batch` scores many names at once
with the same rules (and the tests check they agree); this one also says which characters
matched, to highlight them.
"""

from __future__ import annotations

from dataclasses import dataclass

SCORE_MATCH = 16
BONUS_FIRST = 10
BONUS_BOUNDARY = 8
BONUS_CAMEL = 7
BONUS_CONSECUTIVE = 6
BONUS_CASE = 1
FIRST_CHAR_MULTIPLIER = 2
PENALTY_GAP_START = 3
PENALTY_GAP_EXTENSION = 1
SEPARATORS = frozenset(" \t-_./\\:@,;|()[]{}=+#")
NO_MATCH = -(10**6)


@dataclass(frozen=True)
class FuzzyMatch:
    """How a query matched a name.

    Attributes:
        score: higher is better; comparable between names for one query.
        positions: indexes of the name's matched characters, ascending.
    """

    score: int
    positions: tuple[int, ...]


def char_bonuses(text: str) -> list[int]:
    """The word-start bonus of each character of ``text``."""
    bonuses: list[int] = []
    previous = ""
    for index, char in enumerate(text):
        if index == 0:
            bonus = BONUS_FIRST
        elif previous in SEPARATORS and char not in SEPARATORS:
            bonus = BONUS_BOUNDARY
        elif (previous.islower() and char.isupper()) or (previous.isalpha() and char.isdigit()):
            bonus = BONUS_CAMEL
        else:
            bonus = 0
        bonuses.append(bonus)
        previous = char
    return bonuses


def folded(text: str) -> str:
    """``text`` in lower case, one character for one (a character whose lower case is longer,
    like "İ", stays as it is, so positions keep their meaning)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def gap_penalty(skipped: int) -> int:
    """What skipping ``skipped`` (>= 1) characters between two matched ones costs."""
    return PENALTY_GAP_START + PENALTY_GAP_EXTENSION * (skipped - 1)


def fuzzy_match(query: str, text: str) -> FuzzyMatch | None:
    """The best way ``query`` matches ``text``, or None when it does not (an empty query
    matches everything with score 0)."""
    if not query:
        return FuzzyMatch(0, ())
    q_fold, t_fold = folded(query), folded(text)
    m, n = len(query), len(text)
    if m > n or not _is_subsequence(q_fold, t_fold):
        return None
    bonuses = char_bonuses(text)
    # best[i][j]: best score of query[:i+1] with query[i] matched at text[j]; back[i][j]: where
    # query[i-1] was matched on that best path.
    best = [[NO_MATCH] * n for _ in range(m)]
    back = [[-1] * n for _ in range(m)]
    for j in range(n):
        if t_fold[j] == q_fold[0]:
            case = BONUS_CASE if text[j] == query[0] else 0
            best[0][j] = SCORE_MATCH + FIRST_CHAR_MULTIPLIER * bonuses[j] + case
    for i in range(1, m):
        previous, row, links = best[i - 1], best[i], back[i]
        q_char, q_exact = q_fold[i], query[i]
        # running max over k <= j - 2 of previous[k] + E * k (the gap penalty is linear in j)
        gap_best, gap_at = NO_MATCH, -1
        for j in range(i, n):
            k = j - 2
            if k >= 0 and previous[k] > NO_MATCH:
                reach = previous[k] + PENALTY_GAP_EXTENSION * k
                if reach > gap_best:
                    gap_best, gap_at = reach, k
            if t_fold[j] != q_char:
                continue
            via_gap = gap_best - PENALTY_GAP_EXTENSION * (j - 2) - PENALTY_GAP_START
            via_next = (
                previous[j - 1] + BONUS_CONSECUTIVE if previous[j - 1] > NO_MATCH else NO_MATCH
            )
            if gap_at < 0 and via_next <= NO_MATCH:
                continue
            case = BONUS_CASE if text[j] == q_exact else 0
            gain = SCORE_MATCH + bonuses[j] + case
            if via_next >= via_gap or gap_at < 0:
                row[j], links[j] = via_next + gain, j - 1
            else:
                row[j], links[j] = via_gap + gain, gap_at
    last = best[m - 1]
    end = max(range(n), key=lambda j: (last[j], -j))
    if last[end] <= NO_MATCH:
        return None
    positions = [end]
    for i in range(m - 1, 0, -1):
        positions.append(back[i][positions[-1]])
    return FuzzyMatch(last[end], tuple(reversed(positions)))


def _is_subsequence(query: str, text: str) -> bool:
    at = 0
    for char in query:
        at = text.find(char, at) + 1
        if at == 0:
            return False
    return True
