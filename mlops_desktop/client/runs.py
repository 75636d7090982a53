"""Runs for the read API: MLflow's filter and ``order_by`` forms, records and data frames.

The filter language is the app's own (see :mod:`mlops_desktop.core.query`), which reads like
MLflow's; MLflow's spellings are translated first: ``attributes.status = 'FINISHED'``,
``attributes.start_time > 1700000000000`` (milliseconds), ``attributes.run_name``,
``tags.`mlflow.runName```, ``metric.``/``param.``/``tag.`` and ``ILIKE``. An error still points
at the column of the text as given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from mlops_desktop.client.records import (
    MLFLOW_STATUS,
    RUN_NAME_TAG,
    STATE_OF_MLFLOW,
    Run,
    param_text,
)
from mlops_desktop.core.errors import QueryError, UserFacingError
from mlops_desktop.core.query import Query, parse_query
from mlops_desktop.core.query_lexer import Token, tokenize
from mlops_desktop.core.runs import RunSummary

ATTRIBUTE_PREFIXES = ("attributes", "attribute", "attr", "run")
ATTRIBUTES = {
    "status": "status",
    "run_name": "name",
    "run_id": "id",
    "start_time": "started_at",
    "end_time": "ended_at",
    "experiment_name": "experiment",
}
MS_FIELDS = ("start_time", "end_time")  # MLflow's milliseconds: our fields hold seconds
SCOPE_SINGULAR = {"metric": "metrics", "param": "params", "tag": "tags"}


def _field_text(token: Token) -> tuple[str, str | None]:
    """(our field text for an MLflow field token, the MLflow attribute it names or None)."""
    prefix = (token.prefix or "").lower()
    if token.prefix is None:
        name = token.value.lower()
        return (ATTRIBUTES[name], name) if name in ATTRIBUTES else (token.text, None)
    if prefix in ATTRIBUTE_PREFIXES:
        name = token.key.lower()
        if name not in ATTRIBUTES:
            known = ", ".join(sorted(ATTRIBUTES))
            raise QueryError(
                f"unknown attribute {token.key!r} (known: {known})", token.text, token.key_pos + 1
            )
        return ATTRIBUTES[name], name
    if prefix == "tags" and token.key == RUN_NAME_TAG:
        return "name", "run_name"
    if prefix in SCOPE_SINGULAR:
        return SCOPE_SINGULAR[prefix] + token.text[len(token.prefix or "") :], None
    return token.text, None


def _value_text(token: Token, attribute: str | None) -> str:
    """A value of a comparison on an MLflow attribute, as our filter reads it."""
    if attribute in MS_FIELDS and token.kind == "number":
        return repr(token.value / 1000)
    if attribute == "status" and token.kind == "string":
        upper = token.value.upper()
        state = STATE_OF_MLFLOW.get(upper, token.value.lower())
        return "'" + state.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return token.text


def translate_filter(text: str) -> str:
    """``text`` with MLflow's spellings replaced by the app's (see the module's description).

    Raises:
        QueryError: an unknown ``attributes.`` name, or what the tokenizer refuses.
    """
    tokens = tokenize(text)
    out: list[str] = []
    at, attribute, depth = 0, None, 0
    for token in tokens[:-1]:
        new = token.text
        if token.kind == "word":
            if token.value.lower() == "ilike" and token.prefix is None:
                new = "like"
            else:
                try:
                    new, attribute = _field_text(token)
                except QueryError as exc:
                    raise QueryError(exc.reason, text, token.key_pos + 1) from None
                depth = 0
        elif token.kind == "keyword" and token.value in ("and", "or"):
            attribute = None
        elif token.kind == "(":
            depth += 1
        elif token.kind == ")":
            depth -= 1
            if depth < 0:
                attribute, depth = None, 0
        elif attribute is not None:
            new = _value_text(token, attribute)
        out.append(text[at : token.pos] + new)
        at = token.pos + len(token.text)
    out.append(text[at:])
    return "".join(out)


def parse_filter(text: str | None) -> Query | None:
    """The parsed filter (None for a blank one), MLflow's spellings accepted.

    Raises:
        QueryError: the filter is malformed; the message points at the column in ``text``.
    """
    if text is None or not text.strip():
        return None
    translated = translate_filter(text)
    try:
        return parse_query(translated)
    except QueryError as exc:
        if translated == text:
            raise
        raise QueryError(exc.reason, text, _column_in(text, translated, exc.column)) from None


def _column_in(original: str, translated: str, column: int) -> int:
    """The column of ``original`` matching ``column`` of ``translated`` (by the tokens)."""
    old, new = tokenize(original), tokenize(translated)
    for a, b in zip(old, new, strict=False):
        if b.pos + len(b.text) >= column:
            return a.pos + 1
    return len(original) + 1


# -- order_by ---------------------------------------------------------------------------------

SortKey = Callable[[RunSummary], Any]


def _order_getter(item: str) -> SortKey:
    """What one ``order_by`` item sorts on: ``metrics.acc``, ``attributes.start_time`` ..."""
    scope, dot, key = item.partition(".")
    key = key.strip().strip("`")
    scope_l = scope.strip().lower()
    scope_l = SCOPE_SINGULAR.get(scope_l, scope_l)
    if dot and scope_l in ("metrics", "params", "tags"):
        if scope_l == "tags" and key == RUN_NAME_TAG:
            return lambda run: run.name
        return lambda run: getattr(run, scope_l).get(key)
    name = (key if dot and scope_l in ATTRIBUTE_PREFIXES else item.strip().strip("`")).lower()
    field = ATTRIBUTES.get(name, name)
    if field not in ("status", "name", "id", "started_at", "ended_at", "experiment", "target"):
        raise UserFacingError(
            f"Cannot order by {item!r}: use metrics.KEY, params.KEY, tags.KEY or one of "
            "start_time, end_time, run_name, status, run_id (then ASC or DESC)."
        )
    return lambda run: getattr(run, field)


OrderPlan = list[tuple[SortKey, bool]]


def order_plan(order_by: str | Sequence[str] | None) -> OrderPlan:
    """(what to sort on, descending) of each of MLflow's ``order_by`` items
    (``"metrics.acc DESC"``), checked before any database work.

    Raises:
        UserFacingError: an item names nothing runs can be ordered by.
    """
    items = [order_by] if isinstance(order_by, str) else list(order_by or [])
    plan = []
    for raw in items:
        item, _, direction = raw.strip().rpartition(" ")
        if direction.lower() not in ("asc", "desc"):
            item, direction = raw.strip(), "asc"
        plan.append((_order_getter(item.strip()), direction.lower() == "desc"))
    return plan


def sort_runs(runs: list[RunSummary], plan: OrderPlan) -> list[RunSummary]:
    """``runs`` in the order of ``plan``: numbers before text (after it, descending), a missing
    or NaN value last either way; ties keep the given order (newest first)."""
    ordered = runs
    for get, descending in reversed(plan):
        values = list(map(get, ordered))
        numbers, texts, missing = [], [], []
        for i, v in enumerate(values):
            if v is None or v != v:  # None or NaN
                missing.append(i)
            elif type(v) in (int, float, bool):
                numbers.append(i)
            else:
                texts.append(i)
                values[i] = v if type(v) is str else str(v)
        numbers.sort(key=values.__getitem__, reverse=descending)
        texts.sort(key=values.__getitem__, reverse=descending)
        first, then = (texts, numbers) if descending else (numbers, texts)
        ordered = [ordered[i] for i in (*first, *then, *missing)]
    return ordered


# -- records ------------------------------------------------------------------------------------


def run_record(summary: RunSummary, experiment_ids: dict[str, int], deleted: bool = False) -> Run:
    """The read API's record of a run summary."""
    return Run.of_summary(summary, str(experiment_ids.get(summary.experiment, "")), deleted)


def runs_frame(runs: Sequence[RunSummary], experiment_ids: dict[str, int]) -> Any:
    """The runs as a pandas DataFrame with MLflow's columns: run_id, experiment_id, status,
    artifact_uri, start_time, end_time (UTC datetimes), then metrics.*, params.* (as text),
    tags.* (with ``tags.mlflow.runName``), made straight from the listing's rows.

    Raises:
        UserFacingError: pandas is not installed.
    """
    try:
        import pandas as pd
    except ImportError:
        raise UserFacingError(
            "output_format='pandas' needs pandas: install it (pip install pandas) or ask for "
            "output_format='list'."
        ) from None
    columns: dict[str, list[Any]] = {
        "run_id": [r.id for r in runs],
        "experiment_id": [str(experiment_ids.get(r.experiment, "")) for r in runs],
        "status": [MLFLOW_STATUS.get(r.status) or r.status.upper() for r in runs],
        "artifact_uri": ["runs:/" + r.id for r in runs],
        "start_time": [r.started_at for r in runs],
        "end_time": [r.ended_at for r in runs],
    }
    tags = [r.tags if RUN_NAME_TAG in r.tags else {**r.tags, RUN_NAME_TAG: r.name} for r in runs]
    scopes = (
        ("metrics", [r.metrics for r in runs], math.nan),
        ("params", [r.params for r in runs], None),
        ("tags", tags, None),
    )
    for scope, values, missing in scopes:
        keys: dict[str, None] = {}
        for mapping in values:
            keys.update(dict.fromkeys(mapping))
        for key in keys:
            column = [mapping.get(key, missing) for mapping in values]
            if scope == "params":
                column = [v if v is None or type(v) is str else param_text(v) for v in column]
            columns[f"{scope}.{key}"] = column
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="s", utc=True)
    return frame
