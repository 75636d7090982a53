"""Examples of the run-filter language: syntax, semantics and error columns."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from mlops_desktop.core.errors import QueryError, UserFacingError
from mlops_desktop.core.query import MAX_CONDITIONS, MAX_DEPTH, Query, filter_runs, parse_query
from mlops_desktop.core.runs import RunStatus, RunSummary

NOV_1 = datetime(2026, 11, 1).timestamp()  # local midnight


def make_run(**overrides: Any) -> RunSummary:
    values: dict[str, Any] = {
        "id": "abc123",
        "experiment": "digits",
        "name": "baseline",
        "status": "finished",
        "started_at": NOV_1 + 3600,
        "ended_at": NOV_1 + 3600 + 90,
        "target": "local",
        "params": {
            "lr": 0.01,
            "depth": 3,
            "optimizer": "adam",
            "optimizer.lr": 0.1,
            "use_bn": True,
            "seed": None,
            "batch": "64",
        },
        "metrics": {"acc": 0.93, "val/loss": 0.25, "nan_metric": math.nan, "big": math.inf},
        "tags": {"team": "vision", "epochs": "10", "my key": "x", "flag": "True", "a-b": "1e3"},
    }
    values.update(overrides)
    return RunSummary(**values)


RUN = make_run()


def matches(query: str, run: RunSummary = RUN) -> bool:
    return parse_query(query).matches(run)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "metrics.acc > 0.9",
        "metrics.acc >= 0.93",
        "metrics.acc <= 0.93",
        "metrics.acc < 1",
        "metrics.acc = 0.93",
        "metrics.acc == 0.93",
        "metrics.acc != 0.5",
        "metrics.acc <> 0.5",
        "metrics.acc>0.9",
        "metrics.val/loss < 0.3",
        "metrics.`val/loss` < 0.3",
        "metrics.big = inf",
        "metrics.big > 1e308",
        "metrics.acc > -inf",
        "metrics.acc > -1",
        "metrics.acc > 9.2e-1",
        "metrics.acc < +1",
        "metrics.acc > .5",
        "params.lr = 0.01",
        "params.lr = 1e-2",
        "params.lr = '0.01'",
        "params.depth = 3",
        "params.depth = 3.0",
        "params.depth in (1, 2, 3)",
        "params.depth not in (1, 2)",
        "params.optimizer = 'adam'",
        'params.optimizer = "adam"',
        "params.optimizer != 'sgd'",
        "params.optimizer > 'aaa'",
        "params.optimizer like 'AD%'",
        "params.optimizer like '_dam'",
        "params.optimizer not like 's%'",
        "params.optimizer in ('sgd', 'adam')",
        "params.optimizer.lr = 0.1",
        "params.use_bn = true",
        "params.use_bn != false",
        "params.use_bn = TRUE",
        "params.seed is null",
        "params.seed = null",
        "params.missing is null",
        "params.lr is not null",
        "params.lr != null",
        "params.batch = 64",
        "params.batch > 63.5",
        "tags.team = 'vision'",
        "tags.epochs = 10",
        "tags.epochs >= 10",
        "tags.epochs < 9.5e1",
        "tags.epochs = '10'",
        "tags.`my key` = 'x'",
        "tags.a-b = 1000",
        "tags.flag = true",
        "tags.team in ('vision', 'nlp')",
        "status = 'finished'",
        "STATUS = 'finished'",
        "name like 'base%'",
        "experiment = 'digits'",
        "target = 'local'",
        "id like 'abc%'",
        "duration = 90",
        "duration > 60",
        "ended_at is not null",
        "started_at > '2026-11-01'",
        "started_at >= '2026-11-01T01:00'",
        "started_at = '2026-11-01 01:00:00'",
        "started_at < '2026-11-02'",
        "ended_at < '2026-11-01T02:00'",
        f"started_at > {NOV_1}",
        "metrics.nan_metric != 1",
        "metrics.nan_metric != nan",
        "metrics.nan_metric is not null",
        "metrics.nan_metric not in (1, 2)",
        "metrics.nan_metric not like '%'",
        "not metrics.nan_metric = 1",
        "not params.missing = 1",
        'metrics.acc > 0.9 and (params.lr = 0.01 or tags.team = "vision")',
        "metrics.acc > 0.99 or params.lr = 0.01",
        "metrics.acc > 0.9 AND params.lr = 0.01 Or tags.team = 'nlp'",
        "tags.team = 'nlp' and metrics.acc < 0 or params.depth = 3",
        "not tags.team = 'nlp' and params.depth = 3",
        "not (tags.team = 'nlp' or params.depth = 4)",
        "not not metrics.acc > 0",
        "((metrics.acc > 0))",
        "params.optimizer is not null and\n\tmetrics.acc > 0",
    ],
)
def test_matches(query: str) -> None:
    assert matches(query)


@pytest.mark.parametrize(
    "query",
    [
        "metrics.acc > 0.93",
        "metrics.acc < 0.93",
        "metrics.acc != 0.93",
        "metrics.acc = '0.5'",
        "metrics.missing = 1",
        "metrics.missing != 1",
        "metrics.missing like '%'",
        "metrics.missing not like 'x'",
        "metrics.missing not in (1)",
        "metrics.missing is not null",
        "metrics.nan_metric = nan",
        "metrics.nan_metric = 1",
        "metrics.nan_metric < inf",
        "metrics.nan_metric > -inf",
        "metrics.nan_metric in (1, nan)",
        "metrics.nan_metric like 'nan'",
        "metrics.nan_metric is null",
        "params.optimizer = 'Adam'",
        "params.optimizer like 'a'",
        "params.optimizer not like 'a%'",
        "params.optimizer in ('sgd')",
        "params.optimizer not in ('sgd', 'adam')",
        "params.optimizer = 1",
        "params.use_bn = false",
        "params.use_bn = 1",
        "params.seed = 0",
        "params.seed != 0",
        "params.seed is not null",
        "tags.epochs = '10.0'",
        "tags.epochs < 9",
        "tags.team = true",
        "tags.epochs like '1'",
        "status = 'running'",
        "status in ('failed', 'killed')",
        "started_at < '2026-11-01'",
        "started_at >= '2026-11-02T00:00'",
        "ended_at is null",
        "metrics.acc > 0.9 and params.lr = 0.1",
        "tags.team = 'vision' and not params.depth = 3",
        "tags.team = 'nlp' and (metrics.acc < 0 or params.depth = 3)",
        "not metrics.acc > 0",
    ],
)
def test_does_not_match(query: str) -> None:
    assert not matches(query)


def test_empty_query_and_none_match_everything() -> None:
    runs = [make_run(id="a"), make_run(id="b")]
    assert filter_runs(runs, None) == runs
    assert filter_runs(runs, "  ") == runs
    assert parse_query("").expr is None
    assert parse_query("").fields == frozenset()


def test_filter_runs_keeps_order() -> None:
    runs = [make_run(id=str(i), metrics={"acc": i / 10}) for i in range(10)]
    kept = filter_runs(runs, "metrics.acc >= 0.5 and metrics.acc < 0.8")
    assert [run.id for run in kept] == ["5", "6", "7"]
    assert isinstance(parse_query("metrics.acc > 0"), Query)


def test_running_run_has_no_end_or_duration() -> None:
    run = make_run(status=RunStatus.RUNNING, ended_at=None)
    assert matches("ended_at is null and duration is null", run)
    assert not matches("duration > 0", run)
    assert not matches("duration < 0", run)
    assert matches("status = 'running' and status like 'RUN%'", run)
    assert matches("status in ('running', 'failed')", run)


def test_fields() -> None:
    query = parse_query(
        "metrics.`val/loss` < 1 and (params.optimizer.lr = 0.1 or not tags.team is null)"
        " or status = 'failed' or Duration > 3"
    )
    assert query.fields == {
        "metrics.val/loss",
        "params.optimizer.lr",
        "tags.team",
        "status",
        "duration",
    }


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'a\\'b'", "a'b"),
        ('"a\\"b"', 'a"b'),
        ('"it\'s"', "it's"),
        ("'tab\\there'", "tab\there"),
        ("'back\\\\slash'", "back\\slash"),
        ("'line\\nbreak'", "line\nbreak"),
        ("'100\\%'", "100\\%"),
        ("''", ""),
    ],
)
def test_string_escapes(literal: str, value: str) -> None:
    expr = parse_query(f"tags.x = {literal}").expr
    assert expr is not None and expr.value == value  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("literal", "value"),
    [("10", 10), ("-3", -3), ("1.5", 1.5), ("1e3", 1000.0), ("-2.5E-2", -0.025), ("1.", 1.0)],
)
def test_numbers(literal: str, value: float) -> None:
    expr = parse_query(f"metrics.x = {literal}").expr
    assert expr is not None and expr.value == value  # type: ignore[union-attr]


def test_like_escapes_and_case() -> None:
    run = make_run(tags={"p": "100%", "q": "a_b", "r": "Line\nTwo"})
    assert matches("tags.p like '100\\%'", run)
    assert not matches("tags.p like '10\\%'", run)
    assert matches("tags.q like 'A\\_B'", run)
    assert not matches("tags.q like 'a\\_b'", make_run(tags={"q": "axb"}))
    assert matches("tags.q like 'a_b'", make_run(tags={"q": "axb"}))
    assert matches("tags.r like 'line%two'", run)
    assert matches("tags.r like '%.%'", make_run(tags={"r": "a.b"}))
    assert not matches("tags.r like '%.%'", make_run(tags={"r": "ab"}))


def test_numeric_string_parameters_and_tags() -> None:
    run = make_run(params={"n": "1e-3", "s": "abc"}, tags={"epochs": " 7 ", "u": "1_000"})
    assert matches("params.n = 0.001", run)
    assert matches("params.s > 1", run)  # text against text: "abc" > "1"
    assert matches("tags.epochs = 7", run)
    assert not matches("tags.u = 1000", run)  # underscores are not numbers here


def test_query_error_is_user_facing() -> None:
    with pytest.raises(UserFacingError) as info:
        parse_query("param.lr = 1")
    assert isinstance(info.value, QueryError)
    assert "params." in str(info.value)
    assert info.value.query == "param.lr = 1"


@pytest.mark.parametrize(
    ("query", "column", "words"),
    [
        ("param.lr = 1", 1, "did you mean 'params.'"),
        ("metric.acc > 1", 1, "did you mean 'metrics.'"),
        ("tag.team = 'x'", 1, "did you mean 'tags.'"),
        ("metrcs.acc > 1", 1, "did you mean 'metrics.'"),
        ("foo.bar = 1", 1, "unknown field prefix 'foo.'"),
        ("metrics.acc > 1 and param.lr = 2", 21, "params."),
        ("lr = 0.01", 1, "params.lr"),
        ("stauts = 'x'", 1, "did you mean 'status'"),
        ("params. = 1", 8, "missing key"),
        ("metrics.acc >", 14, "expected a value"),
        ("metrics.acc > and x", 15, "expected a value"),
        ("metrics.acc", 12, "expected an operator"),
        ("metrics.acc 5", 13, "expected an operator"),
        ("metrics.acc ! 5", 13, "did you mean '!='"),
        ("metrics.acc @ 5", 13, "unexpected character '@'"),
        ("metrics.acc = 'abc", 15, "unterminated string"),
        ('tags.x = "abc\\"', 10, "unterminated string"),
        ("tags.`my key = 1", 6, "unterminated backquote"),
        ("status = finished", 10, "quote text"),
        ("(metrics.acc > 1", 1, "missing ')'"),
        ("((metrics.acc > 1)", 1, "missing ')'"),
        ("metrics.acc > 1)", 16, "unbalanced ')'"),
        ("(metrics.acc > 1 x", 18, "expected ')'"),
        ("metrics.acc > 1 tags.x = 2", 17, "expected 'and', 'or'"),
        ("metrics.acc > 1 and", 20, "expected a condition"),
        ("metrics.acc > 1 or ()", 21, "expected a field name"),
        ("not", 4, "expected a condition"),
        ("()", 2, "expected a field name"),
        ("1 = metrics.acc", 1, "expected a field name"),
        ("and metrics.acc > 1", 1, "expected a field name"),
        ("metrics.acc = 1e", 15, "invalid number"),
        ("metrics.acc = 12abc", 15, "invalid number"),
        ("metrics.acc = 1.2.3", 15, "invalid number"),
        ("metrics.acc < null", 15, "null cannot be compared"),
        ("metrics.acc not > 1", 17, "expected 'like' or 'in'"),
        ("metrics.acc like 5", 18, "quoted pattern"),
        ("metrics.acc in 1", 16, "expected '('"),
        ("metrics.acc in ()", 17, "expected a value"),
        ("metrics.acc in (1, 2", 16, "missing ')'"),
        ("metrics.acc in (1 2)", 19, "expected ',' or ')'"),
        ("metrics.acc is 1", 16, "expected 'null'"),
        ("metrics.acc is not 1", 20, "expected 'null'"),
        ("started_at > 'yesterday'", 14, "not a date"),
        ("started_at in (1, '2026-13-01')", 19, "not a date"),
        ("   .5 = 1", 4, "expected a field name"),
        ("metrics.acc = .", 15, "unexpected character '.'"),
    ],
)
def test_error_columns(query: str, column: int, words: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert info.value.column == column, str(info.value)
    assert words in info.value.reason
    assert f"column {column}" in str(info.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    depth = MAX_DEPTH + 1
    with pytest.raises(QueryError) as info:
        parse_query("(" * depth + "metrics.a > 1" + ")" * depth)
    assert info.value.column == depth
    with pytest.raises(QueryError):
        parse_query("not " * depth + "metrics.a > 1")
    ok = "(" * MAX_DEPTH + "metrics.acc > 1" + ")" * MAX_DEPTH
    assert not matches(ok)


def test_long_chains_do_not_recurse() -> None:
    last = MAX_CONDITIONS - 1
    query = " or ".join(f"metrics.m{i} = {i}" for i in range(MAX_CONDITIONS))
    assert matches(query, make_run(metrics={f"m{last}": float(last)}))
    assert not matches(query, make_run(metrics={}))
    with pytest.raises(QueryError, match="conditions"):  # not a RecursionError, nor slow
        parse_query(" or ".join(f"metrics.m{i} = {i}" for i in range(5000)))


def test_keywords_are_case_insensitive() -> None:
    assert matches("NOT metrics.acc < 0 AND params.seed IS NULL AND tags.team NOT LIKE 'n%'")
    assert matches("params.optimizer NOT IN ('sgd') OR metrics.acc IN (NULL)")
    assert matches("metrics.big = INF and metrics.nan_metric != NaN and params.use_bn = True")


def test_keyword_like_keys_are_keys() -> None:
    run = make_run(params={"and": 1, "not": "x"})
    assert matches("params.and = 1 and params.not = 'x'", run)
