"""MLflow's small filter for model versions and experiments: ``name = 'wine' and tags.team =
'vision'``, ``name LIKE 'wine%'``, ``run_id IN ('a', 'b')``; conditions joined by ``and``.

Fields are named by the caller (``name``, ``version``, ``run_id``, ``tags.KEY`` ...); text
compares as text, a number with a number (``version > 2``); ``like`` and ``ilike`` ignore case.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from mlops_desktop.core.errors import QueryError
from mlops_desktop.core.query_lexer import Token, tokenize
from mlops_desktop.core.query_like import like_matcher

Record = Mapping[str, Any]  # field name -> value; "tags" -> {key: value}
Test = Callable[[Record], bool]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _value_of(record: Record, field: str) -> Any:
    if field.startswith("tags."):
        return record.get("tags", {}).get(field[5:])
    return record.get(field)


def _compare(op: Callable[[Any, Any], bool], have: Any, want: Any) -> bool:
    if have is None:
        return False
    if isinstance(want, (int, float)) and not isinstance(have, (int, float)):
        try:
            have = float(have)
        except (TypeError, ValueError):
            return False
    elif isinstance(want, str):
        have = str(have)
    try:
        return bool(op(have, want))
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, fields: tuple[str, ...]) -> None:
        self.text, self.fields = text, fields
        self.tokens = tokenize(text)
        self.i = 0

    def fail(self, message: str, token: Token) -> QueryError:
        return QueryError(message, self.text, token.pos + 1)

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> list[Test]:
        tests = [self.condition()]
        while (token := self.next()).kind != "eof":
            if not (token.kind == "keyword" and token.value == "and"):
                raise self.fail(f"expected 'and' or the end, found {token.describe()}", token)
            tests.append(self.condition())
        return tests

    def field(self) -> str:
        token = self.next()
        if token.kind != "word":
            raise self.fail(f"expected a field name, found {token.describe()}", token)
        name = token.value if token.prefix is None else f"{token.prefix.lower()}.{token.key}"
        if token.prefix is not None and token.prefix.lower() == "tag":
            name = f"tags.{token.key}"
        if name.lower() in self.fields:
            return name.lower()
        if name.startswith("tags.") and token.key:
            return name
        known = ", ".join((*self.fields, "tags.KEY"))
        raise self.fail(f"unknown field {token.text!r} (use {known})", token)

    def literal(self) -> Any:
        token = self.next()
        if token.kind in ("string", "number"):
            return token.value
        raise self.fail(f"expected a quoted value or a number, found {token.describe()}", token)

    def condition(self) -> Test:
        field = self.field()
        token = self.next()
        negated = token.kind == "keyword" and token.value == "not"
        if negated:
            token = self.next()
        word = str(token.value).lower() if token.kind in ("keyword", "word") else ""
        if token.kind == "op" and not negated:
            op, want = _OPS[token.value], self.literal()
            return lambda r: _compare(op, _value_of(r, field), want)
        if word in ("like", "ilike"):
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise self.fail("expected a quoted pattern after 'like'", self.tokens[self.i - 1])
            match = like_matcher(pattern)

            def like(r: Record) -> bool:
                have = _value_of(r, field)
                return have is not None and match(str(have)) != negated

            return like
        if word == "in":
            wanted = self.values()
            return lambda r: (
                any(_compare(operator.eq, _value_of(r, field), w) for w in wanted) != negated
            )
        raise self.fail(f"expected =, !=, <, >, like or in, found {token.describe()}", token)

    def values(self) -> list[Any]:
        opening = self.next()
        if opening.kind != "(":
            raise self.fail(f"expected '(' after 'in', found {opening.describe()}", opening)
        values = [self.literal()]
        while (token := self.next()).kind == ",":
            values.append(self.literal())
        if token.kind != ")":
            raise self.fail(f"expected ',' or ')', found {token.describe()}", token)
        return values


def compile_filter(text: str | None, fields: tuple[str, ...]) -> Callable[[Record], bool]:
    """A test of records for ``text`` (every record passes a blank one).

    Raises:
        QueryError: the filter is malformed or names an unknown field (with the column).
    """
    if text is None or not text.strip():
        return lambda r: True
    tests = _Parser(text, fields).parse()
    return lambda r: all(test(r) for test in tests)
