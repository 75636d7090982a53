"""Syntax tree of a run filter and its compilation into fast nested closures.

Semantics (see :mod:`mlops_desktop.core.query` for the grammar):

* A missing key, a JSON ``null`` parameter and a run's unset ``ended_at``/``duration`` are
  *null*: every comparison with them is false; ``is null`` is true.
* Numbers compare numerically when the other side is a number or a numeric string (``tags.epochs
  = 10`` matches the tag ``"10"``, ``params.lr = '0.01'`` matches the float ``0.01``); anything
  else compares as text, booleans written ``true``/``false``. Two strings always compare as text.
* NaN compares false with everything except ``!=`` (and ``not like``/``not in``, the negations).
* ``like`` takes SQL wildcards ``%`` and ``_`` (``\\%`` and ``\\_`` are literal) and ignores case;
  it is matched in time linear in the text (see :mod:`mlops_desktop.core.query_like`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from mlops_desktop.core.query_like import like_matcher
from mlops_desktop.core.runs import RunSummary

Literal = Union[int, float, str, bool, None]  # noqa: UP007 (runtime alias on Python 3.10)
Predicate = Callable[[RunSummary], bool]
Test = Callable[[Any], bool]

SCOPES = ("params", "metrics", "tags")
RUN_FIELDS = (
    "status",
    "name",
    "started_at",
    "ended_at",
    "experiment",
    "target",
    "id",
    "duration",
    "parent_run_id",
    "user",
    "host",
)
MEMO_VALUES = 100_000  # text values whose test answers one comparison remembers
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class Field:
    """A value of a run: ``scope`` is ``params``, ``metrics``, ``tags`` or ``run``."""

    scope: str
    key: str

    @property
    def name(self) -> str:
        return self.key if self.scope == "run" else f"{self.scope}.{self.key}"


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``.

    ``op`` is one of ``= != < <= > >=`` (``value`` a literal, never None), ``like`` / ``not like``
    (``value`` a pattern), ``in`` / ``not in`` (``value`` a tuple of literals, None meaning null)
    or ``is null`` / ``is not null`` (``value`` None).
    """

    field: Field
    op: str
    value: Any = None


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Union[Compare, And, Or, Not]  # noqa: UP007


def to_text(value: Any) -> str:
    """The text a non-numeric comparison sees: booleans as ``true``/``false``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def numeric_text(text: str) -> float | None:
    """The number a string spells (``"10"``, ``" 1e-3"``, ``"nan"``), else None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return None if "_" in text else number


def fields_of(node: Node | None) -> set[str]:
    """Names of the fields a tree refers to, such as ``{"params.lr", "status"}``."""
    if node is None:
        return set()
    if isinstance(node, Compare):
        return {node.field.name}
    if isinstance(node, Not):
        return fields_of(node.item)
    return set().union(*(fields_of(item) for item in node.items))


def compile_node(node: Node | None) -> Predicate:
    """Turn a tree into one predicate over runs (no tree walking at match time)."""
    if node is None:
        return lambda run: True
    if isinstance(node, Compare):
        return _compile_compare(node)
    if isinstance(node, Not):
        inner = compile_node(node.item)
        return lambda run: not inner(run)
    fns = tuple(compile_node(item) for item in node.items)
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        a, b = fns
        if isinstance(node, And):
            return lambda run: a(run) and b(run)
        return lambda run: a(run) or b(run)
    if isinstance(node, And):

        def all_of(run: RunSummary) -> bool:
            for fn in fns:  # noqa: SIM110 (a loop is faster than all() over a generator)
                if not fn(run):
                    return False
            return True

        return all_of

    def any_of(run: RunSummary) -> bool:
        for fn in fns:  # noqa: SIM110 (faster than any() over a generator)
            if fn(run):
                return True
        return False

    return any_of


def _compile_compare(node: Compare) -> Predicate:
    test = value_test(node.op, node.value)
    scope, key = node.field.scope, node.field.key
    if scope == "metrics":
        return lambda run: test(run.metrics.get(key))
    if scope in ("params", "tags"):
        return _remembering(test, operator.attrgetter(scope), key)
    get = operator.attrgetter(key)
    if node.op == "like":  # a run's text field: straight to the matcher, once per run
        match = like_matcher(node.value)

        def like(run: RunSummary) -> bool:
            v = get(run)
            return match(v) if type(v) is str else test(v)

        return like
    return lambda run: test(get(run))


def _remembering(test: Test, mapping: Callable[[RunSummary], Any], key: str) -> Predicate:
    """``test`` of ``mapping(run)[key]``, its answer for each text value remembered: params and
    tags repeat few values over many runs (up to ``MEMO_VALUES`` of them are kept)."""
    memo: dict[str, bool] = {}
    known = memo.get

    def remembered(run: RunSummary) -> bool:
        v = mapping(run).get(key)
        if type(v) is not str:
            return test(v)
        answer = known(v)
        if answer is None:
            answer = test(v)
            if len(memo) < MEMO_VALUES:
                memo[v] = answer
        return answer

    return remembered


def value_test(op: str, value: Any) -> Test:
    """A test of one stored value (None when null) for ``op`` and ``value`` of a comparison."""
    if op == "is null":
        return lambda v: v is None
    if op == "is not null":
        return lambda v: v is not None
    if op in ("like", "not like"):
        match = like_matcher(value)
        if op == "like":
            return lambda v: v is not None and v == v and match(v if type(v) is str else to_text(v))
        return lambda v: (
            v is not None and (v != v or not match(v if type(v) is str else to_text(v)))
        )
    if op in ("in", "not in"):
        each = "=" if op == "in" else "!="
        tests = tuple(_literal_test(each, item) for item in value)
        if op == "in":
            return lambda v: any(t(v) for t in tests)
        return lambda v: v is not None and all(t(v) for t in tests)
    return _literal_test(op, value)


def _literal_test(op: str, lit: Literal) -> Test:
    if lit is None:
        return (lambda v: v is None) if op == "=" else (lambda v: v is not None)
    cmp = COMPARISONS[op]
    lit_text = to_text(lit)
    if isinstance(lit, bool):

        def test_bool(v: Any) -> bool:
            if v is None:
                return False
            if isinstance(v, bool):
                return cmp(v, lit)
            return cmp(v.lower() if isinstance(v, str) else to_text(v), lit_text)

        return test_bool
    if isinstance(lit, str):
        lit_num = numeric_text(lit)

        def test_str(v: Any) -> bool:
            if type(v) is str:
                return cmp(v, lit)
            if v is None:
                return False
            if isinstance(v, (int, float)) and not isinstance(v, bool) and lit_num is not None:
                return cmp(v, lit_num)
            return cmp(to_text(v), lit)

        return test_str

    def test_number(v: Any) -> bool:
        t = type(v)
        if t is float or t is int:
            return cmp(v, lit)
        if v is None:
            return False
        if isinstance(v, str):
            number = numeric_text(v)
            return cmp(v, lit_text) if number is None else cmp(number, lit)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return cmp(v, lit)
        return cmp(to_text(v), lit_text)

    return test_number
