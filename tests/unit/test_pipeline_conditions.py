"""Gate conditions ("metrics.val/acc >= champion + 0.005"), schedules ("6h") and metrics files:
the grammar, the error sentences and where they point, and evaluation with and without a
champion, checked against Python's own comparisons on random numbers."""

from __future__ import annotations

import json
import math
import operator
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import RegisterGate, StageOut
from mlops_desktop.pipelines.conditions import (
    ConditionError,
    check_gate,
    evaluate,
    find_metric,
    parse_condition,
)
from mlops_desktop.pipelines.metrics_files import collect_metrics
from mlops_desktop.pipelines.schedule import describe_interval, parse_interval

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
OPS |= {"==": operator.eq, "!=": operator.ne}


def test_grammar_terms_precedence_and_keys() -> None:
    c = parse_condition("  metrics.val/acc >= champion + 0.005 ")
    assert (c.text, c.metric, c.op) == ("metrics.val/acc >= champion + 0.005", "val/acc", ">=")
    assert [(t.kind, t.sign, t.key, t.value) for t in c.terms] == [
        ("champion", 1, "", 0.0),
        ("number", 1, "", 0.005),
    ]
    c = parse_condition("metrics.f1-macro<-0.5-champion.metrics.loss_x+metrics.train.acc")
    assert c.metric == "f1-macro" and c.op == "<"
    assert [(t.kind, t.sign, t.key) for t in c.terms] == [
        ("number", -1, ""),
        ("champion", -1, "loss_x"),
        ("metric", 1, "train.acc"),
    ]
    assert c.champion_keys() == ("loss_x",)
    assert c.metric_keys() == ("f1-macro", "train.acc")
    assert parse_condition("metrics.acc >= champion - 0.01").champion_keys() == ("acc",)
    assert parse_condition("metrics.n == 1e3").terms[0].value == 1000.0
    assert parse_condition("metrics.x != .5").terms[0].value == 0.5
    # a - followed by a value right after a name is part of the name: spaces are needed
    assert parse_condition("metrics.acc-0.1 > 1").metric == "acc-0.1"


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (
            "metrics.val/acc >= champ + 0.005",
            "metrics.val/acc >= champ + 0.005: unknown name 'champ' (use champion, "
            "champion.metrics.KEY, metrics.KEY or a number)",
            20,
        ),
        ("val/acc > 0.9", "not 'val/acc'; did you mean metrics.val/acc?", 1),
        ("champion <= 1", "a condition starts with metrics.KEY", 1),
        ("metrics.acc = 0.9", "'=' is not a comparison; use == to test equality", 13),
        ("metrics.acc 0.9", "expected a comparison (>=, >, <=, <, ==, !=) after metrics.acc", 13),
        ("metrics.acc >=", "expected a value after '>=' at the end", 15),
        ("metrics.acc >= 0.9 +", "expected a value after '+' at the end", 21),
        ("metrics.acc >= 0.9x", "'0.9x' is not a number", 16),
        ("metrics.acc >= champion-0.01", "put spaces around + and -", 16),
        ("metrics.acc >= champion.acc", "did you mean champion.metrics.acc?", 16),
        ("metrics.acc >= 0.9 0.8", "unexpected '0.8' after 0.9", 20),
        ("metrics.acc > 0.9 * 2", "unexpected '*' after 0.9; values are combined only", 19),
        ("metrics.acc >= 0.9 < 1", "only one comparison per condition", 20),
        ("metrics. > 1", "'metrics.' needs a metric name after metrics.", 1),
        ("   ", "it is empty; write one like", 1),
    ],
)
def test_errors_say_what_and_where(text: str, message: str, column: int) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(text)
    assert message in str(info.value)
    assert info.value.column == column
    assert isinstance(info.value, PipelineError)
    assert "\n" not in str(info.value)


def test_error_names_the_stage() -> None:
    with pytest.raises(PipelineError, match=r"^stage register: metrics.a >= champ: unknown"):
        parse_condition("metrics.a >= champ", stage="register")


def test_evaluate_with_champion_evidence_has_the_numbers() -> None:
    c = parse_condition("metrics.val/acc >= champion + 0.005")
    assert evaluate(c, {"val/acc": 0.915}, {"val/acc": 0.91}) == (
        True,
        "metrics.val/acc 0.915 >= champion 0.91 + 0.005 = 0.915: holds",
    )
    # sums are exact on the numbers as written: in binary floats 0.1 + 0.2 > 0.3
    assert 0.1 + 0.2 > 0.3
    assert evaluate(parse_condition("metrics.a >= champion + 0.2"), {"a": 0.3}, {"a": 0.1}) == (
        True,
        "metrics.a 0.3 >= champion 0.1 + 0.2 = 0.3: holds",
    )
    assert evaluate(c, {"val/acc": 0.9}, {"val/acc": 0.91}) == (
        False,
        "metrics.val/acc 0.9 >= champion 0.91 + 0.005 = 0.915: fails",
    )
    loss = parse_condition("metrics.loss <= champion.metrics.loss - metrics.margin")
    ok, line = evaluate(loss, {"loss": 0.2, "margin": 0.05}, {"loss": 0.3})
    assert ok and line == (
        "metrics.loss 0.2 <= champion.metrics.loss 0.3 - metrics.margin 0.05 = 0.25: holds"
    )
    assert evaluate(parse_condition("metrics.acc > 0.8"), {"acc": 0.85}, None) == (
        True,
        "metrics.acc 0.85 > 0.8: holds",
    )


def test_evaluate_without_champion_and_with_missing_values() -> None:
    c = parse_condition("metrics.val/acc >= champion + 0.005")
    assert evaluate(c, {"val/acc": 0.5}, None) == (
        True,
        "metrics.val/acc 0.5 >= champion + 0.005: holds (no champion yet)",
    )
    # a champion without that metric cannot be beaten by comparison: the gate fails
    ok, line = evaluate(c, {"val/acc": 0.99}, {"loss": 0.1})
    assert not ok and line.endswith("fails, the champion has no metric val/acc")
    ok, line = evaluate(c, {"acc": 0.99, "loss": 0.1}, None)
    assert not ok and "this run has no metric val/acc (it has: acc, loss)" in line
    ok, line = evaluate(parse_condition("metrics.acc > 0.5"), {"acc": math.nan}, None)
    assert not ok and line.endswith("fails, not a number")
    ok, line = evaluate(c, {"val/acc": math.nan}, None)
    assert (ok, line) == (False, "metrics.val/acc nan >= champion + 0.005: fails, not a number")
    # "." and "/" are the same separator (DVC writes val.acc for nested keys)
    assert evaluate(parse_condition("metrics.val.acc > 0.5"), {"val/acc": 0.6}, None)[0]
    assert find_metric({"val.acc": 1.0}, "val/acc") == 1.0
    assert find_metric({"val/acc": 1.0}, "val/loss") is None


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=300, deadline=None)
@given(a=finite, b=finite, op=st.sampled_from(sorted(OPS)))
def test_single_value_agrees_with_python(a: float, b: float, op: str) -> None:
    cond = parse_condition(f"metrics.m {op} champion")
    assert evaluate(cond, {"m": a}, {"m": b})[0] is OPS[op](a, b)
    cond = parse_condition(f"metrics.m {op} {b!r}")  # a negative number: unary minus
    assert evaluate(cond, {"m": a}, None)[0] is OPS[op](a, b)


@settings(max_examples=300, deadline=None)
@given(a=finite, b=finite, c=finite, d=finite, op=st.sampled_from(sorted(OPS)))
def test_sums_agree_with_python_on_the_numbers_as_written(
    a: float, b: float, c: float, d: float, op: str
) -> None:
    cond = parse_condition(f"metrics.m {op} champion - metrics.k + champion.metrics.z")
    with localcontext() as ctx:
        ctx.prec = 1000
        want = OPS[op](Decimal(repr(a)), Decimal(repr(b)) - Decimal(repr(c)) + Decimal(repr(d)))
    got, line = evaluate(cond, {"m": a, "k": c}, {"m": b, "z": d})
    assert got is want
    assert line.endswith(": holds" if want else ": fails")


def test_evidence_rounds_values_for_reading_but_never_hides_the_decision() -> None:
    c = parse_condition("metrics.val/acc >= champion + 0.005")
    champion = {"val/acc": 0.9772727272727273}
    assert evaluate(c, {"val/acc": 1.0}, champion) == (
        True,
        "metrics.val/acc 1 >= champion 0.97727 + 0.005 = 0.98227: holds",
    )
    # at 5 digits both sides read 0.98227 while the run falls short: more digits are shown
    assert evaluate(c, {"val/acc": 0.98227}, champion) == (
        False,
        "metrics.val/acc 0.98227 >= champion 0.977273 + 0.005 = 0.982273: fails",
    )
    # short of the exact sum by one unit in the last place: every digit is needed
    ok, line = evaluate(c, {"val/acc": 0.9822727272727272}, champion)
    assert not ok and line == (
        "metrics.val/acc 0.9822727272727272 >= champion 0.9772727272727273 + 0.005 "
        "= 0.9822727272727273: fails"
    )
    # 99.99999 would read 100 at 5 digits: "100 >= 100" hides that they differ
    ge = parse_condition("metrics.loss >= champion")
    assert evaluate(ge, {"loss": 100.0}, {"loss": 99.99999})[1] == (
        "metrics.loss 100 >= champion 99.99999: holds"
    )
    # numbers written in the condition are shown as written, and tiny values without noise
    assert evaluate(parse_condition("metrics.a > 0.123456789"), {"a": 0.2}, None)[1] == (
        "metrics.a 0.2 > 0.123456789: holds"
    )
    assert evaluate(parse_condition("metrics.a != champion"), {"a": 1e-20}, {"a": 1.5e-20})[1] == (
        "metrics.a 1E-20 != champion 1.5E-20: holds"
    )
    assert evaluate(c, {"val/acc": 0.123456789}, None)[1] == (
        "metrics.val/acc 0.12346 >= champion + 0.005: holds (no champion yet)"
    )


@settings(max_examples=300, deadline=None)
@given(a=finite, b=finite, op=st.sampled_from(sorted(OPS)))
def test_shown_values_compare_as_the_exact_ones(a: float, b: float, op: str) -> None:
    got, line = evaluate(parse_condition(f"metrics.m {op} champion"), {"m": a}, {"m": b})
    head, _ = line.rsplit(": ", 1)
    words = head.split(" ")
    left, right = Decimal(words[1]), Decimal(words[-1])
    assert OPS[op](left, right) is got
    assert (left == right) is (Decimal(repr(a)) == Decimal(repr(b)))
    assert len(left.as_tuple().digits) <= max(5, len(Decimal(repr(a)).as_tuple().digits))


def test_check_gate() -> None:
    gate = RegisterGate("m", "model.joblib", when=("metrics.a > 1", "metrics.b < champion"))
    assert [c.metric for c in check_gate(gate, "register")] == ["a", "b"]
    with pytest.raises(PipelineError, match="stage reg: promote 'sometimes' is not known"):
        check_gate(RegisterGate("m", "f", promote="sometimes"), "reg")
    with pytest.raises(PipelineError, match="alias 'champion', which is the champion alias"):
        check_gate(RegisterGate("m", "f", alias="champion"), "reg")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("6h", 21600),
        ("1d", 86400),
        ("1h30m", 5400),
        ("90", 90),
        (3600, 3600),
        ("2 hours", 7200),
        ("1w", 604800),
        (120.5, 120.5),
        ("1.5h", 5400),
    ],
)
def test_parse_interval(text: str | int, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10s", "shorter than a minute"),
        (0, "not a positive interval"),
        ("soon", "is not an interval"),
        ("5x", "unknown unit 'x'"),
        ("1h 30", "the number 30 has no unit"),
        ("1h1h", "names the unit 'h' twice"),
        ("", "is empty"),
        (True, "is not an interval"),
    ],
)
def test_parse_interval_refuses(text: object, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        parse_interval(text)  # type: ignore[arg-type]


def test_describe_interval() -> None:
    assert describe_interval(21600) == "every 6 h"
    assert describe_interval(5400) == "every 90 min"
    assert describe_interval(90) == "every 90 s"


def test_collect_metrics_files_and_run(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps({"val": {"acc": 0.9, "n": 3, "ok": True}}))
    (tmp_path / "s.yaml").write_text("val:\n  acc: 0.1\nscores: [0.5, 0.25]\nname: x\n")
    (tmp_path / "model.joblib").write_bytes(b"\x80")
    outs = [StageOut("model.joblib"), StageOut("m.json", metric=True), "s.yaml", "model.joblib"]
    got = collect_metrics(tmp_path, outs, {"val/acc": 0.0, "loss": 0.3, "bad": "x"})  # type: ignore[dict-item]
    assert got == {"val/acc": 0.9, "val/n": 3.0, "scores/0": 0.5, "scores/1": 0.25, "loss": 0.3}
    (tmp_path / "broken.json").write_text("{nope")
    with pytest.raises(PipelineError, match=r"metrics file broken\.json cannot be read"):
        collect_metrics(tmp_path, ["broken.json"])
    with pytest.raises(PipelineError, match=r"metrics file gone\.json is missing"):
        collect_metrics(tmp_path, [StageOut("gone.json", metric=True)])
    with pytest.raises(PipelineError, match="outside the pipeline's folder"):
        collect_metrics(tmp_path / "sub", ["../m.json"])
