"""User text holding a newline and terminal escapes is shown escaped in the labels, cards and
dialogs of the Models pane (not only in tables and the run detail)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget
from sqlalchemy import update
from test_models_pane import make_pane, models, registered, wait_card  # noqa: F401

from mlops_desktop.catalog.model_schema import model_t
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.panes.models.pane import ModelsPane

HOSTILE = "\x1b[2J\nX"
SHOWN = "\\x1b[2J\\nX"


def _texts(widget: QWidget) -> list[str]:
    labels = [label.text() for label in widget.findChildren(QLabel)]
    return [widget.windowTitle(), *labels]


def _assert_escaped(texts: list[str]) -> None:
    for text in texts:
        assert "\x1b" not in text and "\nX" not in text, repr(text)


@pytest.fixture
def hostile_pane(
    qtbot: Any,
    models: ModelService,  # noqa: F811
    runner: Any,
    registered: str,  # noqa: F811
) -> Iterator[ModelsPane]:
    models.set_tag("wine-clf", 1, "note", HOSTILE)
    with models.catalog.session_scope(write=True) as s:  # a shared catalog, never validated
        s.execute(update(model_t).values(name="wine-clf" + HOSTILE))
    yield from make_pane(qtbot, models, runner)


def test_the_model_card_and_labels_show_hostile_names_and_tags_escaped(
    qtbot: Any, hostile_pane: ModelsPane
) -> None:
    pane = hostile_pane
    wait_card(qtbot, pane, 2)
    pane.detail.select_version(1)
    wait_card(qtbot, pane, 1)
    _assert_escaped(_texts(pane))
    assert SHOWN in pane.detail.title_label.text()
    card = pane.detail.card.text()
    assert "\x1b" not in card
    assert f"wine-clf{SHOWN} v1" in card and f"note={SHOWN}" in card


def test_model_dialogs_show_hostile_names_escaped(qtbot: Any, hostile_pane: ModelsPane) -> None:
    pane = hostile_pane
    wait_card(qtbot, pane, 2)
    actions = pane.model_actions
    actions._on_set_alias()
    assert actions.dialog is not None
    _assert_escaped(_texts(actions.dialog))
    assert [t for t in _texts(actions.dialog) if SHOWN in t]
    actions.dialog.close()
    actions._on_tag()
    assert actions.dialog is not None
    _assert_escaped(_texts(actions.dialog))
    assert SHOWN in actions.dialog.windowTitle()
    actions.dialog.close()
    actions._on_delete()
    assert actions.message_box is not None
    _assert_escaped(_texts(actions.message_box))
    assert SHOWN in actions.message_box.text()
    actions.message_box.close()


def test_dataset_detail_host_detail_and_dialog_messages_show_hostile_text_escaped(
    qtbot: Any, service: Any, home: Path, runner: Any
) -> None:
    from mlops_desktop.core.datasets import DatasetSummary
    from mlops_desktop.services.datasets import DatasetService
    from mlops_desktop.ui.dialogs.service_dialog import message_html
    from mlops_desktop.ui.panes.datasets.detail import DatasetDetailView
    from mlops_desktop.ui.panes.monitors.detail import HostDetail

    detail = DatasetDetailView(DatasetService(service.catalog, home), runner)
    qtbot.addWidget(detail)
    summary = DatasetSummary("ds" + HOSTILE, "v1", 1, 1, 1, None, "/data/" + HOSTILE)
    detail.set_dataset(summary)
    assert SHOWN in detail.title_label.text()
    host = HostDetail()
    qtbot.addWidget(host)
    host.set_host("h" + HOSTILE, "<b>" + HOSTILE)
    assert SHOWN in host.title.text() and "&lt;b&gt;" in host.title.text()
    message = message_html("line one\n" + HOSTILE)
    assert "<br>" in message and "\x1b" not in message
    _assert_escaped([*_texts(detail), host.title.text()])
    qtbot.waitUntil(lambda: not runner.is_busy((detail, "versions")), timeout=10000)
