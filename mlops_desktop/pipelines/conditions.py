"""The conditions of a ``register`` gate: "metrics.val/acc >= champion + 0.005".

:func:`parse_condition` (the grammar is in :mod:`~mlops_desktop.pipelines.condition_syntax`)
reads one; :func:`evaluate` decides it and writes one line of evidence with the values compared.
Sums are computed in decimal on the numbers as they are written (``0.91 + 0.005`` is exactly
``0.915``), so a gate never fails on a binary rounding error; the evidence rounds the values
for reading (:mod:`~mlops_desktop.pipelines.evidence_numbers`), never so far that the decision
looks otherwise than it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import RegisterGate
from mlops_desktop.pipelines.condition_syntax import (
    CHAMPION,
    CHAMPION_PREFIX,
    METRICS_PREFIX,
    OPERATORS,
    Condition,
    ConditionError,
    Term,
    parse_condition,
)
from mlops_desktop.pipelines.evidence_numbers import (
    EXACT,
    SHOWN_DIGITS,
    as_decimal,
    deciding_digits,
    number_text,
)

__all__ = [
    "CHAMPION",
    "CHAMPION_PREFIX",
    "METRICS_PREFIX",
    "OPERATORS",
    "PROMOTE_MODES",
    "Condition",
    "ConditionError",
    "Term",
    "check_gate",
    "evaluate",
    "find_metric",
    "parse_condition",
]

PROMOTE_MODES = ("approval", "auto")


def check_gate(gate: RegisterGate, stage: str) -> tuple[Condition, ...]:
    """The parsed conditions of ``stage``'s gate, after checking the gate as a whole.

    Raises:
        PipelineError: a condition does not parse, ``promote`` is neither "approval" nor
            "auto", or the gate would give the champion alias itself while waiting for approval.
    """
    if gate.promote not in PROMOTE_MODES:
        raise PipelineError(
            f"stage {stage}: promote {gate.promote!r} is not known; write promote: approval "
            "(a person approves the move to champion) or promote: auto."
        )
    if gate.alias == gate.champion_alias:
        raise PipelineError(
            f"stage {stage}: the gate gives the alias {gate.alias!r}, which is the champion "
            "alias; give a passing version another alias (challenger) and let approval, or "
            "promote: auto, move the champion."
        )
    return tuple(parse_condition(text, stage) for text in gate.when)


def find_metric(metrics: Mapping[str, float], key: str) -> float | None:
    """``metrics[key]``, where "." and "/" count as the same separator ("val.acc" finds
    "val/acc" and the other way round); None when there is no such metric."""
    if key in metrics:
        return float(metrics[key])
    wanted = key.replace(".", "/")
    for name, value in metrics.items():
        if name.replace(".", "/") == wanted:
            return float(value)
    return None


def evaluate(
    cond: Condition, metrics: Mapping[str, float], champion: Mapping[str, float] | None
) -> tuple[bool, str]:
    """Whether ``cond`` holds, and one line of evidence with the values compared.

    ``champion`` is the champion's metrics, or None when the model has no champion yet: then
    a condition that names the champion holds ("no champion yet"). A missing metric, on
    either side, or a value that is not a number makes the condition fail. The line shows the
    values rounded to :data:`SHOWN_DIGITS` significant digits, or more where fewer would make
    the two sides compare otherwise than they do.
    """
    left = find_metric(metrics, cond.metric)
    if left is None:
        have = ", ".join(sorted(metrics)[:20]) or "none"
        return False, f"{cond.text}: fails, this run has no metric {cond.metric} (it has: {have})"
    if cond.names_champion and champion is None:
        shown = " ".join(_term_text(t, i) for i, t in enumerate(cond.terms))
        lhs_text = number_text(as_decimal(left), SHOWN_DIGITS)
        head = f"{METRICS_PREFIX}{cond.metric} {lhs_text} {cond.op} {shown}"
        if math.isnan(left):
            return False, f"{head}: fails, not a number"
        return True, f"{head}: holds (no champion yet)"
    total = Decimal(0)
    values: list[tuple[Term, Decimal]] = []
    for term in cond.terms:
        value = _term_value(cond, term, metrics, champion)
        if value is None:
            whose = "this run" if term.kind == "metric" else "the champion"
            return False, f"{cond.text}: fails, {whose} has no metric {term.key or cond.metric}"
        exact = as_decimal(value)
        total = EXACT.add(total, exact if term.sign > 0 else EXACT.minus(exact))
        values.append((term, exact))
    lhs = as_decimal(left)
    if lhs.is_nan() or total.is_nan():
        digits = SHOWN_DIGITS
        holds = False
    else:
        digits = deciding_digits(lhs, total, lambda a, b: _compare(a, cond.op, b))
        holds = _compare(lhs, cond.op, total)
    parts = [
        _sign_text(term, i)
        + (term.text if term.kind == "number" else f"{term.text} {number_text(value, digits)}")
        for i, (term, value) in enumerate(values)
    ]
    rhs = " ".join(parts) + (f" = {number_text(total, digits)}" if len(values) > 1 else "")
    head = f"{METRICS_PREFIX}{cond.metric} {number_text(lhs, digits)} {cond.op} {rhs}"
    if lhs.is_nan() or total.is_nan():
        return False, f"{head}: fails, not a number"
    return holds, f"{head}: {'holds' if holds else 'fails'}"


def _term_value(
    cond: Condition, term: Term, metrics: Mapping[str, float], champion: Mapping[str, float] | None
) -> float | None:
    if term.kind == "number":
        return term.value
    if term.kind == "metric":
        return find_metric(metrics, term.key)
    return find_metric(champion or {}, term.key or cond.metric)


def _compare(a: Decimal, op: str, b: Decimal) -> bool:
    if op == ">=":
        return a >= b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == "<":
        return a < b
    if op == "==":
        return a == b
    return a != b


def _sign_text(term: Term, index: int) -> str:
    if index == 0:
        return "-" if term.sign < 0 else ""
    return "- " if term.sign < 0 else "+ "


def _term_text(term: Term, index: int) -> str:
    return _sign_text(term, index) + term.text
