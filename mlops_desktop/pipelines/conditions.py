"""The conditions of a ``register`` gate: "metrics.val/acc >= champion + 0.005".

Grammar (no ``eval``; a small tokenizer and a recursive-descent parser)::

    condition := "metrics." KEY  OP  expr
    OP        := ">=" | ">" | "<=" | "<" | "==" | "!="
    expr      := term (("+" | "-") term)*
    term      := ["-"] ( NUMBER | "champion" | "champion.metrics." KEY | "metrics." KEY )

``KEY`` is a metric name made of letters, digits and ``/ . _ -`` ("val/acc", "f1-macro"); since
``-`` may be part of a name, put spaces around ``+`` and ``-``. ``champion`` is the same metric
of the model's current champion. Sums are computed in decimal on the numbers as they are written
(``0.91 + 0.005`` is exactly ``0.915``), so a gate never fails on a binary rounding error.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import RegisterGate

OPERATORS = (">=", "<=", "==", "!=", ">", "<")
METRICS_PREFIX = "metrics."
CHAMPION = "champion"
CHAMPION_PREFIX = "champion.metrics."
_USE = "use champion, champion.metrics.KEY, metrics.KEY or a number"
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_COMPARE = re.compile(r">=|<=|==|!=|>|<")
_GLUED = re.compile(r"[A-Za-z0-9_./]+")
# wide enough that a sum of any finite floats is exact
_EXACT = decimal.Context(prec=1000, Emax=10**6, Emin=-(10**6), traps=[])


class ConditionError(PipelineError):
    """A condition that cannot be parsed; ``column`` (1-based) is where it went wrong."""

    def __init__(self, text: str, reason: str, column: int, stage: str | None = None) -> None:
        self.text = text
        self.reason = reason
        self.column = column
        where = f"stage {stage}: " if stage else ""
        super().__init__(f"{where}{text}: {reason}")


@dataclass(frozen=True, slots=True)
class Term:
    """One value of an expression: ``kind`` "number" (``value``), "champion" (``key`` of the
    champion) or "metric" (``key`` of this run); ``sign`` is +1 or -1."""

    kind: str
    sign: int = 1
    key: str = ""
    value: float = 0.0

    @property
    def text(self) -> str:
        if self.kind == "number":
            return _show(Decimal(repr(self.value)))
        if self.kind == "metric":
            return METRICS_PREFIX + self.key
        return CHAMPION if not self.key else CHAMPION_PREFIX + self.key


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: ``metrics.<metric> <op> <terms summed>``."""

    text: str
    metric: str
    op: str
    terms: tuple[Term, ...]

    @property
    def names_champion(self) -> bool:
        return any(t.kind == "champion" for t in self.terms)

    def champion_keys(self) -> tuple[str, ...]:
        """The champion's metrics it reads ("champion" alone reads ``metric``)."""
        keys = [t.key or self.metric for t in self.terms if t.kind == "champion"]
        return tuple(dict.fromkeys(keys))

    def metric_keys(self) -> tuple[str, ...]:
        """This run's metrics it reads (the left side first)."""
        keys = [self.metric] + [t.key for t in self.terms if t.kind == "metric"]
        return tuple(dict.fromkeys(keys))


def parse_condition(text: str, stage: str | None = None) -> Condition:
    """Parse one condition (``stage`` names where it is written, for the error).

    Raises:
        ConditionError: a :class:`PipelineError` saying what is wrong and where.
    """
    return _Parser(str(text), stage).condition()


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
    either side, or a value that is not a number makes the condition fail.
    """
    left = find_metric(metrics, cond.metric)
    if left is None:
        have = ", ".join(sorted(metrics)[:20]) or "none"
        return False, f"{cond.text}: fails, this run has no metric {cond.metric} (it has: {have})"
    if cond.names_champion and champion is None:
        shown = " ".join(_term_text(t, i) for i, t in enumerate(cond.terms))
        head = f"{METRICS_PREFIX}{cond.metric} {_show(_dec(left))} {cond.op} {shown}"
        if math.isnan(left):
            return False, f"{head}: fails, not a number"
        return True, f"{head}: holds (no champion yet)"
    total = Decimal(0)
    parts: list[str] = []
    for i, term in enumerate(cond.terms):
        value = _term_value(cond, term, metrics, champion)
        if value is None:
            whose = "this run" if term.kind == "metric" else "the champion"
            return False, f"{cond.text}: fails, {whose} has no metric {term.key or cond.metric}"
        signed = _dec(value) if term.sign > 0 else _EXACT.minus(_dec(value))
        total = _EXACT.add(total, signed)
        shown = term.text if term.kind == "number" else f"{term.text} {_show(_dec(value))}"
        parts.append(_sign_text(term, i) + shown)
    lhs = _dec(left)
    rhs = " ".join(parts) + (f" = {_show(total)}" if len(cond.terms) > 1 else "")
    head = f"{METRICS_PREFIX}{cond.metric} {_show(lhs)} {cond.op} {rhs}"
    if lhs.is_nan() or total.is_nan():
        return False, f"{head}: fails, not a number"
    holds = _compare(lhs, cond.op, total)
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


def _dec(value: float) -> Decimal:
    """The decimal number a float is written as (its shortest repr), e.g. 0.1 -> 0.1."""
    return Decimal(repr(float(value)))


def _show(value: Decimal) -> str:
    """A number for evidence: as written, without exponent noise for ordinary sizes."""
    if not value.is_finite():
        return {"Infinity": "inf", "-Infinity": "-inf"}.get(str(value), "nan")
    text = format(value.normalize(_EXACT), "f") if abs(value.adjusted()) < 16 else str(value)
    return "0" if text in ("-0", "") else text


def _sign_text(term: Term, index: int) -> str:
    if index == 0:
        return "-" if term.sign < 0 else ""
    return "- " if term.sign < 0 else "+ "


def _term_text(term: Term, index: int) -> str:
    return _sign_text(term, index) + term.text


class _Parser:
    """Tokens are read on demand; ``pos`` is an index into ``text``."""

    def __init__(self, text: str, stage: str | None) -> None:
        self.text = text
        self.stage = stage
        self.pos = 0

    def fail(self, reason: str, pos: int | None = None) -> ConditionError:
        return ConditionError(
            self.text.strip(), reason, (self.pos if pos is None else pos) + 1, self.stage
        )

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def found(self) -> str:
        """What is at ``pos``, for an error: "'champ'" or "the end"."""
        if self.at_end():
            return "the end"
        m = _NAME.match(self.text, self.pos) or _NUMBER.match(self.text, self.pos)
        return repr(m.group(0) if m else self.text[self.pos])

    def condition(self) -> Condition:
        if self.at_end():
            raise ConditionError(
                self.text, 'it is empty; write one like "metrics.val/acc >= champion + 0.005"', 1
            )
        start = self.pos
        m = _NAME.match(self.text, self.pos)
        if m is None or not m.group(0).startswith(METRICS_PREFIX):
            hint = ""
            if m is not None and m.group(0) not in (CHAMPION, "metrics"):
                hint = f"; did you mean metrics.{m.group(0)}?"
            raise self.fail(
                f"a condition starts with metrics.KEY, the metric of this run it tests, "
                f"not {self.found()}{hint}",
                start,
            )
        metric = self.metric_key(m.group(0), METRICS_PREFIX, start)
        self.pos = m.end()
        self.skip_space()
        op_match = _COMPARE.match(self.text, self.pos)
        if op_match is None:
            if self.text.startswith("=", self.pos):
                raise self.fail("'=' is not a comparison; use == to test equality")
            raise self.fail(
                f"expected a comparison (>=, >, <=, <, ==, !=) after metrics.{metric}, "
                f"found {self.found()}"
            )
        op = op_match.group(0)
        self.pos = op_match.end()
        terms = [self.term(after=op)]
        while not self.at_end():
            ch = self.text[self.pos]
            if ch in "+-":
                self.pos += 1
                term = self.term(after=ch)
                terms.append(
                    Term(term.kind, term.sign * (-1 if ch == "-" else 1), term.key, term.value)
                )
            elif _COMPARE.match(self.text, self.pos):
                raise self.fail(
                    f"only one comparison per condition, found a second one {self.found()}; "
                    "write each test as its own condition (all must hold)"
                )
            else:
                raise self.fail(
                    f"unexpected {self.found()} after {terms[-1].text}; values are combined "
                    "only with + and -"
                )
        return Condition(self.text.strip(), metric, op, tuple(terms))

    def term(self, after: str) -> Term:
        sign = 1
        if not self.at_end() and self.text[self.pos] == "-":
            sign = -1
            self.pos += 1
        if self.at_end():
            raise self.fail(f"expected a value after '{after}' at the end ({_USE})")
        start = self.pos
        number = _NUMBER.match(self.text, self.pos)
        if number is not None:
            self.pos = number.end()
            glued = _GLUED.match(self.text, start)
            if glued is not None and glued.end() > self.pos:
                raise self.fail(f"{glued.group(0)!r} is not a number ({_USE})", start)
            return Term("number", sign, value=float(number.group(0)))
        name = _NAME.match(self.text, self.pos)
        if name is None:
            raise self.fail(f"unexpected {self.found()} after '{after}' ({_USE})")
        word = name.group(0)
        self.pos = name.end()
        if word == CHAMPION:
            return Term("champion", sign)
        if word.startswith(CHAMPION_PREFIX):
            return Term("champion", sign, key=self.metric_key(word, CHAMPION_PREFIX, start))
        if word.startswith(METRICS_PREFIX):
            return Term("metric", sign, key=self.metric_key(word, METRICS_PREFIX, start))
        raise self.fail(f"unknown name {word!r} ({_USE}){_name_hint(word)}", start)

    def metric_key(self, word: str, prefix: str, start: int) -> str:
        key = word[len(prefix) :].strip("./")
        if not key:
            raise self.fail(
                f"{word!r} needs a metric name after {prefix}, e.g. {prefix}val/acc", start
            )
        return key


def _name_hint(word: str) -> str:
    if word.startswith(CHAMPION + ".") and not word.startswith(CHAMPION_PREFIX):
        return f"; did you mean {CHAMPION_PREFIX}{word[len(CHAMPION) + 1 :]}?"
    if "-" in word or "+" in word:
        return "; put spaces around + and - (a metric name may contain '-')"
    return ""
