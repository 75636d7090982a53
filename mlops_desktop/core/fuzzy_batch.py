"""Fuzzy scores of one query against many names at once, fast enough for every keystroke.

:class:`FuzzyIndex` holds the names as fixed-width arrays of code points and runs the dynamic
programme of :func:`mlops_desktop.core.fuzzy.fuzzy_match` for all of them together, one numpy
step per query character, dropping names that can no longer match after each step. Scores equal
the reference's for names up to :data:`MATCHED_CHARS` characters (longer ones are matched on
their first :data:`MATCHED_CHARS`). With 10,000 names a keystroke takes a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlops_desktop.core.fuzzy import (
    BONUS_CASE,
    BONUS_CONSECUTIVE,
    FIRST_CHAR_MULTIPLIER,
    NO_MATCH,
    PENALTY_GAP_EXTENSION,
    PENALTY_GAP_START,
    SCORE_MATCH,
    char_bonuses,
    folded,
)

MATCHED_CHARS = 80
_VALID = NO_MATCH // 2  # anything below comes from NO_MATCH and is no match
_MAX_BOOST = 1023
_LENGTH_SLOTS = 4096


@dataclass(frozen=True)
class _Step:
    """The programme's state after one prefix of a query: the names still matching, the best
    score with the prefix's last character at each position, and the arrays of those names."""

    query: str
    rows: np.ndarray
    best: np.ndarray
    fold: np.ndarray
    exact: np.ndarray
    gain: np.ndarray


class FuzzyIndex:
    """Names to match, prepared once; :meth:`rank` answers a query.

    Args:
        names: the names, in their default order (an empty query keeps it).
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        cut = [name.replace("\0", " ")[:MATCHED_CHARS] for name in self.names]
        width = max((len(name) for name in cut), default=0) or 1
        self._width = width
        # Column-major: row j holds the j-th character of every name, so each step of the
        # programme is a few operations on contiguous vectors, one per character position.
        self._exact = _code_points(cut, width).T.copy()
        self._fold = _code_points([folded(name) for name in cut], width).T.copy()
        bonus = np.zeros((len(cut), width), dtype=np.int32)
        for row, name in enumerate(cut):
            if name:
                bonus[row, : len(name)] = char_bonuses(name)
        self._gain = (SCORE_MATCH + bonus).T.copy()
        self._gain_first = (SCORE_MATCH + FIRST_CHAR_MULTIPLIER * bonus).T.copy()
        self._lengths = np.fromiter((len(n) for n in cut), dtype=np.int64, count=len(cut))
        self._steps: list[_Step] = []

    def __len__(self) -> int:
        return len(self.names)

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the names ``query`` matches, rows ascending.

        The state after each prefix of the last query is kept, so typing one more character
        costs one step, and deleting one costs none.
        """
        query = query.replace("\0", " ")
        if not query:
            self._steps.clear()
            return np.arange(len(self.names)), np.zeros(len(self.names), dtype=np.int32)
        if len(query) > self._width or not self.names:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        kept = 0
        while (
            kept < min(len(query), len(self._steps))
            and self._steps[kept].query == query[: kept + 1]
        ):
            kept += 1
        del self._steps[kept:]
        for i in range(kept, len(query)):
            self._steps.append(self._step(query[: i + 1]))
        last = self._steps[-1]
        return last.rows, last.best.max(axis=0) if len(last.rows) else np.zeros(0, np.int32)

    def _step(self, query: str) -> _Step:
        """The state after ``query``, from the state after ``query[:-1]`` (already kept)."""
        q_exact, q_fold = query[-1], folded(query[-1])
        if len(query) == 1:
            rows = np.arange(len(self.names))
            fold, exact, gain = self._fold, self._exact, self._gain_first
        else:
            before = self._steps[-1]
            rows, fold, exact, gain = before.rows, before.fold, before.exact, before.gain
        score = gain + (exact == ord(q_exact)) * np.int32(BONUS_CASE)
        if len(query) > 1:
            score += _reach(self._steps[-1].best)
        best = np.where(fold == ord(q_fold), score, np.int32(NO_MATCH))
        alive = (best > _VALID).any(axis=0)
        if not alive.all():
            keep = np.flatnonzero(alive)
            rows, best = rows[keep], best[:, keep]
            fold, exact = self._fold[:, rows], self._exact[:, rows]
            gain = self._gain[:, rows]
        elif len(query) == 1:
            gain = self._gain
        return _Step(query, rows, best, fold, exact, gain)

    def rank(
        self,
        query: str,
        limit: int,
        boosts: np.ndarray | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[int, int]]:
        """The ``limit`` best (row, score) for ``query``, best first.

        Ties go to the higher boost (recent picks), then (with a query) the shorter name, then
        the earlier row.

        Args:
            boosts: per row, 0 to 1023 (None: all 0).
            allowed: per row, whether it may be returned (None: all).
        """
        rows, scores = self.scores(query)
        if allowed is not None and len(rows):
            keep = allowed[rows]
            rows, scores = rows[keep], scores[keep]
        if not len(rows) or limit <= 0:
            return []
        key = scores.astype(np.int64) - NO_MATCH  # >= 0
        boost = np.zeros(len(rows), dtype=np.int64) if boosts is None else boosts[rows]
        key = key * (_MAX_BOOST + 1) + np.clip(boost, 0, _MAX_BOOST)
        if query:
            shortness = _LENGTH_SLOTS - 1 - np.minimum(self._lengths[rows], _LENGTH_SLOTS - 1)
            key = key * _LENGTH_SLOTS + shortness
        key = key * (len(self.names) + 1) + (len(self.names) - rows)
        if limit < len(rows):
            top = np.argpartition(-key, limit - 1)[:limit]
        else:
            top = np.arange(len(rows))
        top = top[np.argsort(-key[top])]
        return [(int(rows[t]), int(scores[t])) for t in top]


def _reach(previous: np.ndarray) -> np.ndarray:
    """Best score reaching each position from the previous query character's matches: the
    position just before (consecutive) or any position further back (a gap)."""
    width = previous.shape[0]
    reach = np.full(previous.shape, NO_MATCH, dtype=np.int32)
    reach[1:] = previous[:-1] + np.int32(BONUS_CONSECUTIVE)
    running = np.full(previous.shape[1], NO_MATCH, dtype=np.int32)
    for j in range(2, width):
        # best over k <= j - 2 of previous[k] + E * k, minus E * j: a linear gap penalty
        np.maximum(
            running, previous[j - 2] + np.int32(PENALTY_GAP_EXTENSION * (j - 2)), out=running
        )
        via_gap = running - np.int32(PENALTY_GAP_EXTENSION * (j - 2) + PENALTY_GAP_START)
        np.maximum(reach[j], via_gap, out=reach[j])
    return reach


def _code_points(names: list[str], width: int) -> np.ndarray:
    """Names as a (len(names), width) array of code points, 0 past each name's end."""
    if not names:
        return np.zeros((0, width), dtype=np.uint32)
    array = np.array(names, dtype=f"<U{width}")
    return array.view(np.uint32).reshape(len(names), width)
