"""The grammar of a ``register`` gate's conditions: "metrics.val/acc >= champion + 0.005".

No ``eval``: a small tokenizer and a recursive-descent parser::

    condition := "metrics." KEY  OP  expr
    OP        := ">=" | ">" | "<=" | "<" | "==" | "!="
    expr      := term (("+" | "-") term)*
    term      := ["-"] ( NUMBER | "champion" | "champion.metrics." KEY | "metrics." KEY )

``KEY`` is a metric name made of letters, digits and ``/ . _ -`` ("val/acc", "f1-macro"); since
``-`` may be part of a name, put spaces around ``+`` and ``-``. ``champion`` is the same metric
of the model's current champion. :mod:`~mlops_desktop.pipelines.conditions` evaluates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.pipelines.evidence_numbers import number_text

OPERATORS = (">=", "<=", "==", "!=", ">", "<")
METRICS_PREFIX = "metrics."
CHAMPION = "champion"
CHAMPION_PREFIX = "champion.metrics."
_USE = "use champion, champion.metrics.KEY, metrics.KEY or a number"
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_COMPARE = re.compile(r">=|<=|==|!=|>|<")
_GLUED = re.compile(r"[A-Za-z0-9_./]+")


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
            return number_text(Decimal(repr(self.value)))
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
