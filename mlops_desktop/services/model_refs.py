"""Names, aliases and references of registered models, as people and commands write them.

A reference is "name" (the latest version that is not archived), "name:3" (or "name:v3"),
"name@champion" (an alias) or "name@3".
"""

from __future__ import annotations

import re

from mlops_desktop.core.errors import ModelError, ModelNotFound

NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
ALIAS_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_VERSION_RE = re.compile(r"^[vV]?(\d+)$")


def check_model_name(name: str) -> str:
    """``name`` when it is a valid model name (like a dataset name), else ModelError."""
    if not isinstance(name, str) or not NAME_RE.match(name) or name in (".", ".."):
        raise ModelError(
            f"{name!r} is not a model name: use 1 to 100 letters, digits, '-', '_' or '.'."
        )
    return name


def check_alias(alias: str) -> str:
    """``alias`` when valid: letters, digits, '-', '_', not only digits (``name@3`` stays a
    version), else ModelError."""
    if not isinstance(alias, str) or not ALIAS_RE.match(alias) or alias.isdigit():
        raise ModelError(
            f"{alias!r} is not an alias: use 1 to 100 letters, digits, '-' or '_', "
            "and not only digits (e.g. champion, challenger, prod-2)."
        )
    return alias


def parse_version(text: str | int) -> int:
    """3, "3" or "v3" -> 3 (ModelNotFound otherwise)."""
    if isinstance(text, int):
        return text
    m = _VERSION_RE.match(text.strip())
    if m is None:
        raise ModelNotFound(f"{text!r} is not a version number: give 1, 2, ... (or v1, v2).")
    return int(m.group(1))


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """ "name" / "name:3" / "name@alias" (or "name@3") -> (name, number, alias)."""
    ref = ref.strip()
    if "@" in ref:
        name, _, alias = ref.partition("@")
        if _VERSION_RE.match(alias):
            return name, parse_version(alias), None
        return name, None, alias
    if ":" in ref:
        name, _, number = ref.partition(":")
        return name, parse_version(number), None
    return ref, None, None
