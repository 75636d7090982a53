"""The block decoder's look-up of known layouts gives exactly what the full decoder gives."""

from __future__ import annotations

import math

from tensorboard_files import event, hparams_value, simple_value, tensor_value

from mlops_desktop.services.tensorboard_decoder import EventDecoder
from mlops_desktop.services.tensorboard_events import DecodedEvents, decode_event

STEPS = [0, 1, 127, 128, 300, 16_383, 16_384, 2_000_000, 1 << 40, -1, -300]


def records() -> list[bytes]:
    out = [event(0, 5.0, [hparams_value({"lr": 0.1})])]
    for i, step in enumerate(STEPS):
        wall = 1_700_000_000.0 + i
        out.append(event(step, wall, [simple_value("loss", 1.0 / (i + 1))]))
        out.append(event(step, wall, [tensor_value("acc", i * 0.25)]))
        out.append(event(step, wall, [tensor_value("lr", math.pi * i, double=True)]))
        out.append(event(step, wall, [tensor_value("c", -i * 1.5, content=True)]))
        out.append(event(step, wall, [tensor_value("cd", i * 1e-300, double=True, content=True)]))
        out.append(event(step, wall, [simple_value("a", 1.0), simple_value("b", 2.0)]))
    return out


def test_the_fast_path_matches_the_full_decoder_record_by_record() -> None:
    data = records()
    reference = DecodedEvents()
    for record in data:
        decode_event(record, reference)
    decoder = EventDecoder()
    first, bad = decoder.decode_block(list(enumerate(data)))
    assert decoder.known_layouts == 5  # one per tag of one value; "a" and "b" share a record
    again, bad_again = decoder.decode_block(list(enumerate(data)))  # by look-up now
    assert bad == bad_again == []
    for decoded in (first, again):
        assert decoded.scalars == reference.scalars
        assert decoded.hparams == reference.hparams == {"lr": 0.1}
        assert decoded.count == reference.count == len(STEPS) * 7
        assert decoded.first_wall_time == 1_700_000_000.0
        assert decoded.last_wall_time == 1_700_000_000.0 + len(STEPS) - 1
    assert reference.scalars["loss"][0] == STEPS


def test_a_record_that_is_not_an_event_is_reported_by_offset() -> None:
    good = event(1, 1.0, [simple_value("x", 1.0)])
    decoded, bad = EventDecoder().decode_block([(0, good), (50, b"\x09\x01"), (90, good)])
    assert bad == [50]
    assert decoded.scalars["x"] == ([1, 1], [1.0, 1.0], [1.0, 1.0])
