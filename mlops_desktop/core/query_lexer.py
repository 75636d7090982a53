"""Tokenizer of the run-filter language; the grammar lives in :mod:`mlops_desktop.core.query`.

Every token remembers where it starts (0-based ``pos``) so that the parser can point a
:class:`~mlops_desktop.core.errors.QueryError` at the exact column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mlops_desktop.core.errors import QueryError

KEYWORDS = frozenset(
    {"and", "or", "not", "like", "in", "is", "null", "true", "false", "nan", "inf", "infinity"}
)
OPERATORS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_SIGNED_INF = re.compile(r"[+-](?:infinity|inf)", re.IGNORECASE)
# Unknown escapes keep their backslash, so that ``'100\%'`` reaches a like pattern as ``100\%``.
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a query.

    Attributes:
        kind: ``word``, ``keyword``, ``number``, ``string``, ``op``, ``(``, ``)``, ``,`` or ``eof``.
        value: the cooked value: lower-case keyword, number, unescaped string, word text.
        pos: 0-based offset of the token's first character.
        text: the token as written.
        prefix: for a word with an unquoted ``.``, the part before the first one.
        key: for such a word, the part after it (backquoted parts unquoted).
        key_pos: 0-based offset where ``key`` starts.
    """

    kind: str
    value: Any
    pos: int
    text: str
    prefix: str | None = None
    key: str = ""
    key_pos: int = 0

    @property
    def column(self) -> int:
        return self.pos + 1

    def describe(self) -> str:
        return "the end of the query" if self.kind == "eof" else repr(self.text)


def is_word_char(ch: str) -> bool:
    """Whether ``ch`` may continue a field name such as ``metrics.val/loss-2``."""
    return ch.isalnum() or ch in "_-/."


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens, ending with one ``eof`` token.

    Raises:
        QueryError: on an unexpected character, a malformed number or an unterminated quote.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            tokens.append(Token("eof", None, n, ""))
            return tokens
        ch = text[i]
        if ch in "(),":
            tokens.append(Token(ch, ch, i, ch))
            i += 1
        elif ch in "'\"":
            i = _string(text, i, tokens)
        elif ch.isalpha() or ch == "_":
            i = _word(text, i, tokens)
        elif op := next((o for o in OPERATORS if text.startswith(o, i)), None):
            tokens.append(Token("op", op, i, op))
            i += len(op)
        elif (m := _NUMBER.match(text, i) or _SIGNED_INF.match(text, i)) is not None:
            i = _number(text, m, tokens)
        else:
            hint = " (did you mean '!='?)" if ch == "!" else ""
            raise QueryError(f"unexpected character {ch!r}{hint}", text, i + 1)


def _number(text: str, m: re.Match[str], tokens: list[Token]) -> int:
    start, end = m.span()
    if end < len(text) and is_word_char(text[end]):
        while end < len(text) and is_word_char(text[end]):
            end += 1
        raise QueryError(f"invalid number {text[start:end]!r}", text, start + 1)
    s = m.group()
    value: int | float
    if _INTEGER.fullmatch(s):
        try:
            value = int(s)
        except ValueError:  # more digits than int() accepts
            value = float(s)
    else:
        value = float(s)
    tokens.append(Token("number", value, start, s))
    return end


def _string(text: str, start: int, tokens: list[Token]) -> int:
    out: list[str] = []
    quote, i, n = text[start], start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            tokens.append(Token("string", "".join(out), start, text[start : i + 1]))
            return i + 1
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    raise QueryError("unterminated string", text, start + 1)


def _word(text: str, start: int, tokens: list[Token]) -> int:
    """A keyword or a field name; backquotes quote any characters, as in ``tags.`my key```."""
    parts: list[str] = []
    size, quoted, dot, i, n = 0, False, None, start, len(text)
    while i < n:
        ch = text[i]
        if ch == "`":
            close = text.find("`", i + 1)
            if close < 0:
                raise QueryError("unterminated backquote", text, i + 1)
            parts.append(text[i + 1 : close])
            size += close - i - 1
            quoted, i = True, close + 1
        elif is_word_char(ch):
            if ch == "." and dot is None and not quoted:
                dot = (size, i)
            parts.append(ch)
            size, i = size + 1, i + 1
        else:
            break
    value, source = "".join(parts), text[start:i]
    if not quoted and dot is None and value.lower() in KEYWORDS:
        tokens.append(Token("keyword", value.lower(), start, source))
    elif dot is None:
        tokens.append(Token("word", value, start, source))
    else:
        prefix, key = value[: dot[0]], value[dot[0] + 1 :]
        tokens.append(Token("word", value, start, source, prefix, key, dot[1] + 1))
    return i
