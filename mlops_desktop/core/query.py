"""The run-filter language: ``metrics.acc > 0.9 and (params.lr = 0.01 or tags.team = "vision")``.

Grammar (keywords case-insensitive; ``not`` binds tighter than ``and``, ``and`` than ``or``)::

    query      := [or_expr]
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison
    comparison := FIELD ( OP value | ["not"] "like" STRING | ["not"] "in" "(" value ("," value)* ")"
                        | "is" ["not"] "null" )
    FIELD      := ("params." | "metrics." | "tags.") KEY | status | name | started_at | ended_at
                  | experiment | target | id | duration | parent_run_id | user | host
    OP         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value      := NUMBER | STRING | "true" | "false" | "null" | "nan" | "inf"

A key holds letters, digits and ``_ - / .``; backquotes quote anything else: ``tags.`my key```.
``started_at`` and ``ended_at`` also compare with an ISO date or date-time string in local time.
Semantics are described in :mod:`mlops_desktop.core.query_eval`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from mlops_desktop.core.errors import QueryError
from mlops_desktop.core.query_columns import compile_selector
from mlops_desktop.core.query_eval import (
    RUN_FIELDS,
    SCOPES,
    And,
    Compare,
    Field,
    Node,
    Not,
    Or,
    Predicate,
    compile_node,
    fields_of,
    numeric_text,
)
from mlops_desktop.core.query_lexer import Token, tokenize
from mlops_desktop.core.runs import RunSummary

__all__ = ["Query", "QueryError", "filter_runs", "parse_query", "quoted", "runs_of_user"]

MAX_DEPTH = 100  # nested parentheses and "not"s; deeper queries are refused, not a RecursionError
MAX_PATTERN = 1000  # characters of one like pattern
MAX_CONDITIONS = 20  # comparisons and in-list values of one query (each costs every run a test)
_OP_ALIASES = {"==": "=", "<>": "!="}
_CONSTANTS = {"true": True, "false": False, "null": None, "nan": float("nan")}
_CONSTANTS |= {"inf": float("inf"), "infinity": float("inf")}
_PREFIX_TYPOS = {"param": "params", "parameter": "params", "parameters": "params", "p": "params"}
_PREFIX_TYPOS |= {"metric": "metrics", "m": "metrics", "tag": "tags", "t": "tags"}
_TIME_FIELDS = ("started_at", "ended_at")


class Query:
    """A parsed filter: test runs with :meth:`matches`.

    Attributes:
        text: the query as given.
        expr: its syntax tree, None for an empty query (which matches every run).
        fields: names of the referenced fields, such as ``{"params.lr", "metrics.val/loss"}``.
    """

    __slots__ = ("_predicate", "_selector", "expr", "fields", "text")

    def __init__(self, text: str, expr: Node | None) -> None:
        self.text = text
        self.expr = expr
        self.fields: frozenset[str] = frozenset(fields_of(expr))
        self._predicate: Predicate = compile_node(expr)
        self._selector = None if expr is None else compile_selector(expr)

    def matches(self, run: RunSummary) -> bool:
        return self._predicate(run)

    def filter(self, runs: Iterable[RunSummary]) -> list[RunSummary]:
        """The matching runs, in order: the whole list tested at once (same answers as
        :meth:`matches`, see :mod:`mlops_desktop.core.query_columns`)."""
        listed = runs if isinstance(runs, list) else list(runs)
        return [listed[i] for i in self.positions(listed)]

    def positions(self, runs: Sequence[RunSummary]) -> list[int]:
        """The positions of the matching runs in ``runs``, in order."""
        every = list(range(len(runs)))
        return every if self._selector is None else self._selector(runs, every)

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


def parse_query(text: str) -> Query:
    """Parse a filter; blank text gives a query that matches every run.

    Raises:
        QueryError: the query is malformed; ``column`` (1-based) points where.
    """
    return Query(text, _Parser(text).parse())


def filter_runs(runs: Iterable[RunSummary], text: str | None) -> list[RunSummary]:
    """The runs that match the filter ``text`` (all of them when it is None or blank)."""
    if text is None or not text.strip():
        return list(runs)
    return parse_query(text).filter(runs)


def quoted(text: str) -> str:
    """``text`` as a string of the filter language (quotes and backslashes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def runs_of_user(query: str | None, user: str) -> str:
    """``query`` narrowed to the runs of the OS user ``user`` (``user = '...' and (query)``)."""
    mine = f"user = {quoted(user)}"
    rest = (query or "").strip()
    return f"{mine} and ({rest})" if rest else mine


class _Parser:
    """Recursive descent over the token list, one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.conditions = 0

    def count(self, token: Token, n: int = 1) -> None:
        """Count ``n`` more conditions at ``token``; refuse a query with too many to be quick."""
        self.conditions += n
        if self.conditions > MAX_CONDITIONS:
            raise self.fail(
                f"more than {MAX_CONDITIONS} conditions; narrow the filter down", token.pos
            )

    def fail(self, message: str, pos: int) -> QueryError:
        return QueryError(message, self.text, pos + 1)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.tokens[self.i]
        return token.kind == "keyword" and token.value in words

    def parse(self) -> Node | None:
        if self.peek().kind == "eof":
            return None
        node = self.or_expr()
        token = self.peek()
        if token.kind == ")":
            raise self.fail("unbalanced ')'", token.pos)
        if token.kind != "eof":
            raise self.fail(f"expected 'and', 'or' or the end, found {token.describe()}", token.pos)
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.at_keyword("or"):
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.at_keyword("and"):
            self.next()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        token = self.next()
        if token.kind == "word":
            return self.comparison(token)
        if token.kind == "eof":
            previous = self.tokens[self.i - 2].text if self.i >= 2 else ""
            raise self.fail(f"expected a condition after {previous!r}", token.pos)
        is_not = token.kind == "keyword" and token.value == "not"
        if token.kind != "(" and not is_not:
            raise self.fail(f"expected a field name, found {token.describe()}", token.pos)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep", token.pos)
        if is_not:
            node: Node = Not(self.not_expr())
        else:
            node = self.or_expr()
            closing = self.next()
            if closing.kind == "eof":
                raise self.fail("unbalanced '(': missing ')'", token.pos)
            if closing.kind != ")":
                message = f"expected ')', 'and' or 'or', found {closing.describe()}"
                raise self.fail(message, closing.pos)
        self.depth -= 1
        return node

    def comparison(self, token: Token) -> Compare:
        field = self.field(token)
        self.count(token)
        op = self.next()
        if op.kind == "op":
            value = self.value(op, field)
            name = _OP_ALIASES.get(op.value, op.value)
            if value is None and name not in ("=", "!="):
                raise self.fail(
                    f"null cannot be compared with {op.value!r}", self.tokens[self.i - 1].pos
                )
            if value is None:
                return Compare(field, "is null" if name == "=" else "is not null")
            return Compare(field, name, value)
        negated = op.kind == "keyword" and op.value == "not"
        if negated:
            op = self.next()
            if not (op.kind == "keyword" and op.value in ("like", "in")):
                raise self.fail(
                    f"expected 'like' or 'in' after 'not', found {op.describe()}", op.pos
                )
        prefix = "not " if negated else ""
        if op.kind == "keyword" and op.value == "like":
            pattern = self.next()
            if pattern.kind != "string":
                raise self.fail(
                    f"expected a quoted pattern after 'like', found {pattern.describe()}",
                    pattern.pos,
                )
            if len(pattern.value) > MAX_PATTERN:
                message = f"a like pattern longer than {MAX_PATTERN} characters; shorten it"
                raise self.fail(message, pattern.pos)
            return Compare(field, prefix + "like", pattern.value)
        if op.kind == "keyword" and op.value == "in":
            return Compare(field, prefix + "in", self.value_list(op, field))
        if op.kind == "keyword" and op.value == "is":
            negated = self.at_keyword("not")
            if negated:
                self.next()
            null = self.next()
            if not (null.kind == "keyword" and null.value == "null"):
                raise self.fail(f"expected 'null' after 'is', found {null.describe()}", null.pos)
            return Compare(field, "is not null" if negated else "is null")
        message = f"expected an operator after {token.text!r} (=, !=, <, >, like, in, is null)"
        raise self.fail(f"{message}, found {op.describe()}", op.pos)

    def field(self, token: Token) -> Field:
        if token.prefix is None:
            name = token.value.lower()
            if name in RUN_FIELDS:
                return Field("run", name)
            close = difflib.get_close_matches(name, RUN_FIELDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            keys = f"params.{token.value}, metrics.{token.value} or tags.{token.value}"
            raise self.fail(f"unknown field {token.text!r} ({hint}use {keys})", token.pos)
        scope = token.prefix.lower()
        if scope not in SCOPES:
            guess = _PREFIX_TYPOS.get(scope) or next(
                iter(difflib.get_close_matches(scope, SCOPES, n=1)), None
            )
            hint = f"; did you mean '{guess}.'?" if guess else " (use params., metrics. or tags.)"
            raise self.fail(f"unknown field prefix '{token.prefix}.'{hint}", token.pos)
        if not token.key:
            raise self.fail(f"missing key after '{token.prefix}.'", token.key_pos)
        return Field(scope, token.key)

    def value_list(self, op: Token, field: Field) -> tuple[Any, ...]:
        opening = token = self.next()
        if token.kind != "(":
            raise self.fail(f"expected '(' after 'in', found {token.describe()}", token.pos)
        values = [self.value(token, field)]
        while (token := self.next()).kind == ",":
            values.append(self.value(token, field))
        if token.kind == "eof":
            raise self.fail("unbalanced '(': missing ')'", opening.pos)
        if token.kind != ")":
            raise self.fail(f"expected ',' or ')', found {token.describe()}", token.pos)
        self.count(opening, len(values) - 1)
        return tuple(values)

    def value(self, after: Token, field: Field) -> Any:
        token = self.next()
        if token.kind == "keyword" and token.value in _CONSTANTS:
            return _CONSTANTS[token.value]
        if token.kind == "number":
            return token.value
        if token.kind == "string":
            if field.scope == "run" and field.key in _TIME_FIELDS:
                return self.timestamp(token)
            return token.value
        hint = f" (quote text: '{token.text}')" if token.kind == "word" else ""
        raise self.fail(
            f"expected a value after {after.text!r}, found {token.describe()}{hint}", token.pos
        )

    def timestamp(self, token: Token) -> float:
        """Seconds since the epoch for a string compared with ``started_at``/``ended_at``."""
        text = token.value.strip()
        number = numeric_text(text)
        if number is not None:
            return number
        try:
            return datetime.fromisoformat(text).timestamp()  # naive means local time
        except (ValueError, OverflowError, OSError):
            message = f"{token.text} is not a date (write '2026-11-01' or '2026-11-01T12:00')"
            raise self.fail(message, token.pos) from None
