"""Property tests of the run-filter language.

Random text only ever raises :class:`QueryError` with a column inside the query; random syntax
trees rendered to text parse back to the same tree and match the same runs as a direct
reference evaluation written from the language's description.
"""

from __future__ import annotations

import math
import operator
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_desktop.core.errors import QueryError
from mlops_desktop.core.query import parse_query
from mlops_desktop.core.query_eval import And, Compare, Field, Node, Not, Or
from mlops_desktop.core.runs import RunSummary

FRAGMENTS = [
    "params.", "metrics.", "tags.", "param.", "lr", "acc", "val/loss", "status", "name",
    "started_at", "duration", "`my key`", "`", " and ", " or ", " not ", "not", "like", "in",
    "is", "null", " ", "(", ")", ",", "=", "==", "!=", "<>", "<", "<=", ">", ">=", "!",
    "'", '"', "\\", "'x'", '"y"', "%", "_", "0", "1.5", "-2", "1e3", "e", ".", "-", "+",
    "nan", "inf", "-inf", "true", "FALSE", "\t", "\n", "@", "é",
]  # fmt: skip


def check_error_only(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as error:
        assert 1 <= error.column <= len(text) + 1, (text, error.column)
        assert error.query == text


@given(st.text())
def test_random_text_raises_only_query_error(text: str) -> None:
    check_error_only(text)


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join))
def test_random_fragments_raise_only_query_error(text: str) -> None:
    check_error_only(text)


# --- generated syntax trees --------------------------------------------------------------

# Few keys and many edge values, so that comparisons often meet a stored value of every kind.
ALPHABET = "aAbB019 .-_%/\\'\"é\n"
KEYS = ["lr", "val/loss", "optimizer.lr", "my key"]
RUN_FIELDS = ["status", "name", "experiment", "target", "id", "started_at", "ended_at", "duration"]
EDGE_TEXTS = ["10", "1", "1.0", "1e3", " 7 ", "1_0", "nan", "-inf", "adam", "ADAM", "True", "false"]
EDGE_TEXTS += ["", "a%b", "a_b", "É"]
TEXTS = st.sampled_from(EDGE_TEXTS) | st.text(ALPHABET, max_size=6)
EDGE_NUMBERS = [0, 1, 10, -1, 1.0, 0.5, 1e3, 7, math.nan, math.inf, -math.inf]
NUMBERS = (
    st.sampled_from(EDGE_NUMBERS)
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
)
LITERALS = NUMBERS | TEXTS | st.booleans()
PATTERNS = st.sampled_from(["%", "a%", "%A%", "_", "ADAM", "1%", "nan", "TRUE", "a\\%b", "a\\_b"])
PATTERNS |= st.sampled_from(["%a", "%1%", "%.%", "%B%", "%_"])
PATTERNS |= st.text("aAbB%_\\.1", max_size=5)
CMP_OPS = ["=", "!=", "<", "<=", ">", ">="]
ALIASES = {"=": ["=", "=="], "!=": ["!=", "<>"]}

fields = st.sampled_from(
    [Field(scope, key) for scope in ("params", "metrics", "tags") for key in KEYS]
    + [Field("run", name) for name in RUN_FIELDS]
)


@st.composite
def comparisons(draw: st.DrawFn) -> Compare:
    field = draw(fields)
    literal = NUMBERS if field.key in ("started_at", "ended_at") else LITERALS
    kind = draw(st.sampled_from(["cmp", "like", "in", "null"]))
    if kind == "cmp":
        return Compare(field, draw(st.sampled_from(CMP_OPS)), draw(literal))
    if kind == "like":
        pattern = draw(PATTERNS)
        return Compare(field, draw(st.sampled_from(["like", "not like"])), pattern)
    if kind == "in":
        items = tuple(draw(st.lists(literal | st.none(), min_size=1, max_size=3)))
        return Compare(field, draw(st.sampled_from(["in", "not in"])), items)
    return Compare(field, draw(st.sampled_from(["is null", "is not null"])))


def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    many = st.lists(children, min_size=2, max_size=3).map(tuple)
    return many.map(And) | many.map(Or) | children.map(Not)


trees = st.recursive(comparisons(), extend, max_leaves=8)


def render_literal(value: Any, draw: st.DrawFn) -> str:
    if value is None or isinstance(value, bool):
        word = {None: "null", True: "true", False: "false"}[value]
        return draw(st.sampled_from([word, word.upper(), word.title()]))
    if isinstance(value, (int, float)):
        return repr(value) if not math.isinf(value) else ("-inf" if value < 0 else "inf")
    quote = draw(st.sampled_from("'\""))
    body = value.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")
    return quote + body + quote


def render_field(field: Field, draw: st.DrawFn) -> str:
    if field.scope == "run":
        return draw(st.sampled_from([field.key, field.key.upper()]))
    key = field.key
    plain = key and all(ch.isalnum() or ch in "_-/." for ch in key)
    return f"{field.scope}.{key if plain else '`' + key + '`'}"


def render(node: Node, draw: st.DrawFn, parent: str = "top") -> str:
    """Query text for a tree, with parentheses only where precedence or structure needs them."""
    pad = draw(st.sampled_from([" ", "  ", "\t", "\n "]))
    if isinstance(node, Compare):
        text = render_compare(node, draw, pad)
        kind = "cmp"
    elif isinstance(node, Not):
        text, kind = (
            f"{draw(st.sampled_from(['not', 'NOT']))}{pad}{render(node.item, draw, 'not')}",
            "not",
        )
    else:
        kind = "and" if isinstance(node, And) else "or"
        joiner = f"{pad}{draw(st.sampled_from([kind, kind.upper()]))}{pad}"
        text = joiner.join(render(item, draw, kind) for item in node.items)
    rank = {"top": -1, "or": 0, "and": 1, "not": 2, "cmp": 3}
    needs = rank[kind] < rank[parent] or (kind == parent and kind in ("and", "or"))
    if needs or draw(st.integers(0, 9)) == 0:
        text = f"({pad}{text}{pad})"
    return text


def render_compare(node: Compare, draw: st.DrawFn, pad: str) -> str:
    field = render_field(node.field, draw)
    if node.op in ("is null", "is not null"):
        return f"{field} {node.op.upper() if draw(st.booleans()) else node.op}"
    if node.op in ("in", "not in"):
        items = ", ".join(render_literal(item, draw) for item in node.value)
        return f"{field} {node.op} ({items})"
    if node.op in ("like", "not like"):
        return f"{field} {node.op} {render_literal(node.value, draw)}"
    op = draw(st.sampled_from(ALIASES.get(node.op, [node.op])))
    return f"{field}{pad}{op}{pad}{render_literal(node.value, draw)}"


# --- reference evaluation ----------------------------------------------------------------

NUMERIC = re.compile(
    r"\s*[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|nan|inf|infinity)\s*", re.ASCII | re.IGNORECASE
)


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and NUMERIC.fullmatch(value):
        return float(value)
    return None


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


def like(text: str, pattern: str) -> bool:
    """SQL like by plain recursion: ``%`` any run, ``_`` one character, ``\\`` escapes."""
    if not pattern:
        return not text
    head, rest = pattern[0], pattern[1:]
    if head == "%":
        return any(like(text[i:], rest) for i in range(len(text) + 1))
    if head == "\\" and rest:
        head, rest = "\\" + rest[0], rest[1:]
    if not text:
        return False
    if head == "_":
        return like(text[1:], rest)
    return text[0].lower() == head[-1].lower() and like(text[1:], rest)


def compare(stored: Any, op: str, literal: Any) -> bool:
    if literal is None:  # only in an in-list: "= null" is "is null"
        return (stored is None) if op == "=" else (stored is not None)
    if stored is None:
        return False
    python_op = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le}
    python_op |= {">": operator.gt, ">=": operator.ge}
    both_text = isinstance(stored, str) and isinstance(literal, str)
    a, b = as_number(stored), as_number(literal)
    if not both_text and a is not None and b is not None:
        left, right = float(a), float(b)
        if math.isnan(left) or math.isnan(right):
            return op == "!="
        left, right = a, b  # exact for large integers
    else:
        left, right = as_text(stored), as_text(literal)
        if isinstance(literal, bool) and isinstance(stored, str):
            left = stored.lower()
    return bool(python_op[op](left, right))


def reference(node: Node, run: RunSummary) -> bool:
    if isinstance(node, And):
        return all(reference(item, run) for item in node.items)
    if isinstance(node, Or):
        return any(reference(item, run) for item in node.items)
    if isinstance(node, Not):
        return not reference(node.item, run)
    field = node.field
    if field.scope == "run":
        stored = getattr(run, field.key)
    else:
        stored = getattr(run, field.scope).get(field.key)
    if node.op == "is null":
        return stored is None
    if node.op == "is not null":
        return stored is not None
    if node.op == "in":
        return any(compare(stored, "=", item) for item in node.value)
    if node.op == "not in":
        return stored is not None and all(compare(stored, "!=", item) for item in node.value)
    if node.op in ("like", "not like"):
        if stored is None:
            return False
        nan = isinstance(stored, float) and math.isnan(stored)
        found = not nan and like(as_text(stored), node.value)
        return found if node.op == "like" else not found
    return compare(stored, node.op, node.value)


STORED = NUMBERS | TEXTS | st.booleans() | st.none()
runs = st.builds(
    RunSummary,
    id=st.sampled_from(["abc", "10", "x_1"]),
    experiment=TEXTS,
    name=TEXTS,
    status=st.sampled_from(["running", "finished", "failed", "killed"]),
    started_at=st.floats(0, 2e9) | st.integers(0, 2 * 10**9),
    ended_at=st.none() | st.floats(0, 2e9),
    target=st.sampled_from(["local", "ssh:gpu"]),
    params=st.dictionaries(st.sampled_from(KEYS), STORED),
    metrics=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(EDGE_NUMBERS) | st.floats()),
    tags=st.dictionaries(st.sampled_from(KEYS), TEXTS),
)


def same_tree(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN and keeps 1 and 1.0 and True apart."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, tuple):
        return len(a) == len(b) and all(map(same_tree, a, b))
    if isinstance(a, (Compare, And, Or, Not, Field)):
        return all(same_tree(getattr(a, s), getattr(b, s)) for s in a.__slots__)
    return a == b


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, run_list=st.lists(runs, min_size=1, max_size=5), data=st.data())
def test_rendered_trees_parse_back_and_match_like_the_reference(
    tree: Node, run_list: list[RunSummary], data: st.DataObject
) -> None:
    text = render(tree, data.draw)
    query = parse_query(text)
    assert same_tree(query.expr, tree), text
    for run in run_list:
        assert query.matches(run) == reference(tree, run), (text, run)
    kept = [id(run) for run in run_list if reference(tree, run)]
    assert [id(run) for run in query.filter(run_list)] == kept, text


@settings(max_examples=1000)
@given(
    scope_and_value=st.tuples(st.just("params"), STORED)
    | st.tuples(st.just("metrics"), st.sampled_from(EDGE_NUMBERS) | st.floats())
    | st.tuples(st.just("tags"), TEXTS),
    comparison=comparisons(),
    data=st.data(),
)
def test_one_comparison_on_a_stored_value_matches_the_reference(
    scope_and_value: tuple[str, Any], comparison: Compare, data: st.DataObject
) -> None:
    scope, stored = scope_and_value
    node = Compare(Field(scope, "val/loss"), comparison.op, comparison.value)
    run = RunSummary("id", "e", "n", "finished", 0.0, **{scope: {"val/loss": stored}})
    text = render(node, data.draw)
    assert parse_query(text).matches(run) == reference(node, run), (text, stored)


TRICKY = "aAbB1 \x00\u03a3\u03c3\u03c2\u0130i\u0307\u212akK\u00df%_\\"


@settings(max_examples=500)
@given(
    names=st.lists(st.text(TRICKY, max_size=8), max_size=8),
    patterns=st.lists(st.text(TRICKY, max_size=6), min_size=1, max_size=3),
    field=st.sampled_from(["name", "experiment", "status"]),
)
def test_filtering_a_list_on_run_text_agrees_with_each_run(
    names: list[str], patterns: list[str], field: str
) -> None:
    """The joined-text search of ``like`` on run fields (case folding, NUL, final sigma)."""
    node: Node = Or(tuple(Compare(Field("run", field), "like", p) for p in patterns))
    if len(patterns) == 1:
        node = node.items[0]
    query = parse_query("")
    query = type(query)("", node)
    run_list = [RunSummary(str(i), n, n, n, 0.0) for i, n in enumerate(names)]
    assert query.filter(run_list) == [r for r in run_list if query.matches(r)]
    assert [r.id for r in query.filter(run_list)] == [r.id for r in run_list if reference(node, r)]
