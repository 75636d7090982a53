"""The small subset of YAML that MLflow's file store writes (``yaml.safe_dump`` of plain dicts).

``meta.yaml`` files hold a mapping of scalars, now and then an empty ``[]`` or ``{}``, a nested
mapping or a list of scalars. Scalars are plain, single-quoted (``''`` for a quote) or
double-quoted (backslash escapes); long ones are folded onto indented continuation lines.
Everything comes back as ``str``, ``None``, ``list`` or ``dict``: callers convert numbers.
"""

from __future__ import annotations

import json
from typing import Any

_NULLS = {"", "~", "null", "Null", "NULL"}


class YamlError(ValueError):
    """The text is not the simple YAML that MLflow writes."""


def parse_yaml(text: str) -> dict[str, Any]:
    """The mapping of a ``meta.yaml``'s text (empty for an empty file).

    Raises:
        YamlError: the text is not a mapping in the subset MLflow writes.
    """
    lines = [
        line.rstrip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and line.strip() != "---"
    ]
    if not lines:
        return {}
    value, end = _block(lines, 0, _indent(lines[0]))
    if end != len(lines) or not isinstance(value, dict):
        raise YamlError("not a YAML mapping")
    return value


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: list[str], start: int, indent: int) -> tuple[Any, int]:
    """The mapping or list whose lines start at ``start`` with ``indent`` spaces."""
    if lines[start].lstrip().startswith("- ") or lines[start].strip() == "-":
        return _list(lines, start, indent)
    return _mapping(lines, start, indent)


def _list(lines: list[str], start: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    i = start
    while i < len(lines) and _indent(lines[i]) == indent and lines[i].lstrip().startswith("-"):
        text = lines[i].strip()[1:].strip()
        i, scalar = _continued(lines, i + 1, indent, text)
        items.append(_scalar(scalar))
    return items, i


def _mapping(lines: list[str], start: int, indent: int) -> tuple[dict[str, Any], int]:
    found: dict[str, Any] = {}
    i = start
    while i < len(lines):
        line = lines[i]
        here = _indent(line)
        if here < indent:
            break
        if here > indent:
            raise YamlError(f"unexpected indentation: {line.strip()[:60]!r}")
        key, sep, rest = _split_key(line.strip())
        if not sep:
            raise YamlError(f"not a key: value line: {line.strip()[:60]!r}")
        rest = rest.strip()
        i += 1
        nested = i < len(lines) and (
            _indent(lines[i]) > indent
            or (_indent(lines[i]) == indent and lines[i].lstrip().startswith("- "))
        )
        if not rest and nested:
            found[key], i = _block(lines, i, _indent(lines[i]))
            continue
        i, rest = _continued(lines, i, indent, rest)
        found[key] = _scalar(rest)
    return found, i


def _split_key(text: str) -> tuple[str, str, str]:
    """(key, ":", rest) of a ``key: value`` line; the key may be quoted."""
    if text[:1] in ("'", '"'):
        quote = text[0]
        end = 1
        while end < len(text):
            if text[end] == quote and not (quote == "'" and text[end + 1 : end + 2] == "'"):
                break
            end += 2 if quote == "'" and text[end] == "'" else 1
        key = _scalar(text[: end + 1])
        rest = text[end + 1 :]
        if rest.startswith(":"):
            return str(key), ":", rest[1:]
        return text, "", ""
    key, sep, rest = text.partition(": ")
    if not sep and text.endswith(":"):
        return text[:-1], ":", ""
    return key, sep, rest


def _continued(lines: list[str], i: int, indent: int, text: str) -> tuple[int, str]:
    """Join the folded continuation lines (indented deeper than ``indent``) onto ``text``."""
    while i < len(lines) and _indent(lines[i]) > indent:
        text = f"{text} {lines[i].strip()}"
        i += 1
    return i, text


def _scalar(text: str) -> Any:
    text = text.strip()
    if text in _NULLS:
        return None
    if text == "[]":
        return []
    if text == "{}":
        return {}
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            return str(json.loads(text))
        except json.JSONDecodeError:
            return text[1:-1]
    return text
