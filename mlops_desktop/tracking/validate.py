"""Argument checks for the logging calls, kept off the hot path until a value needs them."""

from __future__ import annotations

import math
import numbers
import operator
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

MIN_STEP = -(2**63)
MAX_STEP = 2**63 - 1  # exclusive: the next default step must fit an int64 too
MAX_KEY_LENGTH = 250
MAX_TAG_KEY_LENGTH = 250
_TAG_KEY = re.compile(r"[\w./ -]+")  # MLflow's rule: letters, digits, _ - . / and space
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESERVED_ENV_NAMES = frozenset(
    {
        "MLOPS_DESKTOP_RUN_ID",
        "MLOPS_DESKTOP_SPOOL",
        "MLOPS_DESKTOP_TARGET",
        "MLOPS_DESKTOP_EXPERIMENT",
        "MLOPS_DESKTOP_RUN_NAME",
        "MLOPS_DESKTOP_OUTPUT_CAPTURED",
        "MLOPS_DESKTOP_DATASETS",
    }
)
"""Variables the launcher sets for every run: a launch may not give them (use --experiment,
--name, --dataset instead)."""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_key(key: Any, what: str) -> str:
    """``key`` when it is a usable name of a metric, param, tag...

    Raises:
        TypeError: not a string.
        ValueError: empty, too long or holding a line break.
    """
    if not isinstance(key, str):
        raise TypeError(f"{what} name must be a string, got {_short(key)} ({type(key).__name__})")
    if not key.strip():
        raise ValueError(f"{what} name must not be empty or blank, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"{what} name {_short(key)} is longer than {MAX_KEY_LENGTH} characters")
    if "\n" in key or "\r" in key or "\0" in key:
        raise ValueError(f"{what} name {_short(key)} must not contain line breaks or NUL")
    return key


def tag_key_problem(key: Any) -> str | None:
    """Why ``key`` cannot be a tag key (one sentence), or None when it can.

    The rule is MLflow's: 1 to 250 letters, digits, ``_``, ``-``, ``.``, ``/`` and spaces, not
    blank, and a plain relative path (no leading or trailing ``/``, no ``//``, ``.`` or ``..``
    parts). Control characters, ``:``, ``=`` and backslashes are refused.
    """
    if not isinstance(key, str):
        return f"A tag key must be text, not {type(key).__name__}."
    if not key.strip():
        return "A tag key cannot be empty or blank."
    if len(key) > MAX_TAG_KEY_LENGTH:
        return f"The tag key {_short(key)} is longer than {MAX_TAG_KEY_LENGTH} characters."
    bad = next((c for c in key if not _TAG_KEY.fullmatch(c)), None)
    if bad is not None:
        return (
            f"The tag key {_short(key)} holds {bad!r}: use letters, digits, '_', '-', '.', "
            "'/' and spaces."
        )
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith(("..", "/")):
        return (
            f"The tag key {_short(key)} is not a plain name: no leading or trailing '/', "
            "no '//', and no '.' or '..' parts."
        )
    return None


def check_tag_key(key: Any) -> str:
    """``key`` when it is a valid tag key (:func:`tag_key_problem`).

    Raises:
        TypeError: not a string.
        ValueError: not a valid tag key (the message says why).
    """
    if not isinstance(key, str):
        raise TypeError(f"tag name must be a string, got {_short(key)} ({type(key).__name__})")
    problem = tag_key_problem(key)
    if problem:
        raise ValueError(problem)
    return key


def refuse_bad_tag_keys(keys: Iterable[Any], error: Callable[[str], Exception]) -> None:
    """Raise ``error(sentence)`` for the first key of ``keys`` that is not a valid tag key."""
    for key in keys:
        problem = tag_key_problem(key)
        if problem:
            raise error(problem)


def env_name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be an environment variable of a launch (one sentence), or None.

    Names are ``[A-Za-z_][A-Za-z0-9_]*``; the ones the launcher sets itself
    (:data:`RESERVED_ENV_NAMES`) are refused.
    """
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
        return (
            f"{_short(name)} is not an environment variable name: use letters, digits and "
            "'_', not starting with a digit."
        )
    if name in RESERVED_ENV_NAMES:
        return f"{name} is set by the launcher for every run and cannot be given."
    return None


def env_value_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the value of ``name`` (a NUL byte), or None."""
    if "\0" in str(value):
        return f"The value of {name} holds a NUL character, which no environment can carry."
    return None


def first_step(key: Any) -> int:
    """Check a metric key seen for the first time; its default first step (0)."""
    check_key(key, "metric")
    return 0


def check_mapping(value: Any, what: str) -> None:
    """Raise TypeError unless ``value`` is a mapping."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a dict of name to value, got {type(value).__name__}")


def _not_a_number(key: Any, value: Any) -> NoReturn:
    raise TypeError(
        f"metric {_short(key)}: value must be a real number, "
        f"got {_short(value)} ({type(value).__name__})"
    )


def metric_value(key: Any, value: Any) -> float:
    """``value`` as a float: ints, numbers.Real and objects with ``__float__`` (numpy scalars).

    Raises:
        TypeError: a bool, a string or anything that is not a real number.
        ValueError: an int too large for a float.
    """
    kind = type(value)
    if kind is float:
        return value
    if kind is bool or kind.__name__ == "bool_" or isinstance(value, (str, bytes, complex)):
        _not_a_number(key, value)
    if not isinstance(value, numbers.Real) and not hasattr(kind, "__float__"):
        _not_a_number(key, value)
    try:
        return float(value)
    except OverflowError:
        raise ValueError(
            f"metric {_short(key)}: value {_short(value)} is too large for a float"
        ) from None
    except (TypeError, ValueError):
        _not_a_number(key, value)


def metric_step(key: Any, step: Any) -> int:
    """``step`` as an int in the int64 range.

    Raises:
        TypeError: not an integer (bools and floats are refused).
        ValueError: outside the int64 range.
    """
    if type(step) is not int:
        kind = type(step)
        if kind is bool or kind.__name__ == "bool_" or not hasattr(kind, "__index__"):
            raise TypeError(
                f"metric {_short(key)}: step must be an integer, "
                f"got {_short(step)} ({kind.__name__})"
            )
        step = operator.index(step)
    if not MIN_STEP <= step < MAX_STEP:
        raise ValueError(f"metric {_short(key)}: step {step} is outside the int64 range")
    return step


def default_step_overflow(key: Any, step: int) -> NoReturn:
    """Refuse a default step past the int64 range (the key's last step was the largest)."""
    raise ValueError(
        f"metric {_short(key)}: the next default step {step} is outside the int64 range; "
        "pass step= explicitly"
    )


def metric_time(key: Any, timestamp: Any) -> float:
    """``timestamp`` (seconds since the epoch) as a finite float.

    Raises:
        TypeError: not a real number.
        ValueError: NaN or infinite.
    """
    if type(timestamp) is not float:
        if isinstance(timestamp, (bool, str, bytes)) or not (
            isinstance(timestamp, numbers.Real) or hasattr(type(timestamp), "__float__")
        ):
            raise TypeError(
                f"metric {_short(key)}: timestamp must be seconds since the epoch, "
                f"got {_short(timestamp)} ({type(timestamp).__name__})"
            )
        timestamp = float(timestamp)
    if not math.isfinite(timestamp):
        raise ValueError(f"metric {_short(key)}: timestamp must be finite, got {timestamp}")
    return timestamp


def param_value(key: str, value: Any) -> Any:
    """A parameter value as JSON: str, int, float, bool and None kept; numbers made plain;
    anything else stored as its ``str``."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if type(value).__name__ == "bool_":
        return bool(value)
    return str(value)


class EndedBuffer:
    """Stands in for a run's buffer after the run ended: every append says so."""

    def __init__(self, run_id: str) -> None:
        self._message = f"run {run_id} has ended"

    def append(self, item: Any) -> NoReturn:
        raise RuntimeError(self._message)

    def extend(self, items: Any) -> NoReturn:
        raise RuntimeError(self._message)
