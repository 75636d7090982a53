"""The spool reader never raises, never consumes a torn last line, and keeps what precedes it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_desktop.tracking.spool import encode_event, parse_lines, read_spool, validate_event

RUN = "0123456789abcdef0123456789abcdef"


def valid_spool() -> tuple[bytes, list[int]]:
    """A small spool with every event type; returns its bytes and each line's end offset."""
    events: list[dict[str, Any]] = [
        {"type": "start", "experiment": "e", "name": "n", "started_at": 1.0, "command": "c",
         "cwd": "/", "pid": 1, "host": "h", "target": "local"},
        {"type": "params", "params": {"lr": 0.1, "name": "ünï"}},
        {"type": "tags", "tags": {"a": "b"}},
        {"type": "metrics", "n": 3,
         "cols": {"loss": [[0, 1], [1.0, 2.0], [math.nan, math.inf]], "acc": [[5], [3.0], [-0.5]]}},
        {"type": "env", "env": {"python": {"version": "3"}}, "git": None},
        {"type": "artifact", "name": "m.bin", "digest": "sha256:00", "size": 3},
        {"type": "dataset", "name": "d", "version": None, "path": None},
        {"type": "end", "status": "finished", "ended_at": 2.0, "error": None},
    ]  # fmt: skip
    data = b""
    ends = []
    seq = 0
    for e in events:
        n = e.pop("n", 1)
        data += encode_event({"v": 1, "run": RUN, "seq": seq, "n": n, **e})
        seq += n
        ends.append(len(data))
    return data, ends


SPOOL, LINE_ENDS = valid_spool()
FULL = parse_lines(SPOOL)


def test_the_sample_spool_is_valid() -> None:
    assert FULL.problems == [] and len(FULL.events) == len(LINE_ENDS)
    assert FULL.end_offset == len(SPOOL) and FULL.torn_bytes == 0


def test_truncation_at_every_byte_keeps_the_complete_lines() -> None:
    for cut in range(len(SPOOL) + 1):
        read = parse_lines(SPOOL[:cut])
        complete = sum(1 for end in LINE_ENDS if end <= cut)
        assert read.problems == [], cut
        assert len(read.events) == complete, cut
        assert read.end_offset == max([0, *(e for e in LINE_ENDS if e <= cut)])
        assert read.torn_bytes == cut - read.end_offset
        assert [e["seq"] for e in read.events] == [e["seq"] for e in FULL.events[:complete]]


def test_a_torn_line_is_read_once_it_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    cut = LINE_ENDS[3] - 7
    path.write_bytes(SPOOL[:cut])
    first = read_spool(path)
    assert len(first.events) == 3 and first.torn_bytes > 0
    path.write_bytes(SPOOL)
    rest = read_spool(path, first.end_offset)
    assert [e["type"] for e in rest.events] == [e["type"] for e in FULL.events[3:]]
    assert rest.problems == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    read = parse_lines(data)
    assert 0 <= read.end_offset <= len(data)
    assert read.torn_bytes == len(data) - read.end_offset
    assert data[read.end_offset :].count(b"\n") == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, max_size=6))
def test_arbitrary_json_lines_are_skipped_not_raised(values: list[Any]) -> None:
    data = b"".join(json.dumps(v).encode() + b"\n" for v in values)
    read = parse_lines(data)
    assert len(read.events) + len(read.problems) <= len(values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(SPOOL)),
    st.binary(max_size=200).filter(lambda b: b"\n" not in b),
    st.integers(min_value=0, max_value=len(LINE_ENDS) - 1),
    st.binary(max_size=50),
)
def test_garbage_and_corruption_keep_the_good_events(
    cut: int, torn_tail: bytes, corrupt_line: int, junk: bytes
) -> None:
    # a torn tail after a prefix of complete lines is left alone
    prefix = SPOOL[: max([0, *(e for e in LINE_ENDS if e <= cut)])]
    read = parse_lines(prefix + torn_tail)
    assert read.end_offset == len(prefix) and read.torn_bytes == len(torn_tail)
    assert len(read.events) == sum(1 for e in LINE_ENDS if e <= len(prefix))
    # one line overwritten with junk costs at most that line, and the reader goes on
    start = LINE_ENDS[corrupt_line - 1] if corrupt_line else 0
    broken = SPOOL[:start] + junk.replace(b"\n", b" ") + b"\n" + SPOOL[LINE_ENDS[corrupt_line] :]
    read = parse_lines(broken, base_offset=100)
    kept = [e["seq"] for e in read.events]
    expected = [e["seq"] for i, e in enumerate(FULL.events) if i != corrupt_line]
    assert [s for s in kept if s in expected] == expected
    assert read.end_offset == 100 + len(broken)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_events_with_a_field_replaced_by_any_json_never_raise(data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(LINE_ENDS) - 1))
    start = LINE_ENDS[index - 1] if index else 0
    event = json.loads(SPOOL[start : LINE_ENDS[index]])
    target = event
    if event["type"] == "metrics" and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(event["cols"])))
        target = event["cols"]
        if data.draw(st.booleans()):
            target = event["cols"][key]
            position = data.draw(st.integers(min_value=0, max_value=2))
            target[position] = data.draw(json_values)
            target = None
    if target is not None:
        field = data.draw(st.sampled_from(sorted(target)) | st.text(max_size=5))
        target[field] = data.draw(json_values)
    line = json.dumps(event).encode() + b"\n"
    validate_event(json.loads(line))  # the checks themselves never raise
    read = parse_lines(line)
    # one event, or one problem, or an event that lost some points with a note per bad column
    columns = len(event["cols"]) if isinstance(event.get("cols"), dict) else 0
    assert len(read.events) <= 1 and len(read.events) + len(read.problems) >= 1
    assert len(read.problems) <= 1 + columns
