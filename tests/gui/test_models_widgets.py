"""The Models pane's parts on their own: table models, badges, card, lineage, dialogs, compare."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt

from mlops_desktop.core.models import (
    AuditEntry,
    Lineage,
    LineageNode,
    ModelCard,
    ModelFile,
    ModelSummary,
    ModelVersion,
    VersionComparison,
)
from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.dialogs.model_edit import DescribeDialog, SetAliasDialog, TagDialog
from mlops_desktop.ui.item_models.model_tables import (
    ALIASES_ROLE,
    COL_ALIASES,
    VCOL_RUN,
    VCOL_VERSION,
    ModelsListModel,
    ModelVersionsModel,
)
from mlops_desktop.ui.panes.models.card import CardView, card_html, describe_audit
from mlops_desktop.ui.panes.models.compare import CompareView, metric_delta
from mlops_desktop.ui.panes.models.lineage import LineageView
from mlops_desktop.ui.panes.models.model_list import ModelsListView

NOW = time.time()


def version(n: int, aliases: list[str] | None = None, archived: bool = False) -> ModelVersion:
    return ModelVersion(
        name="wine-clf",
        version=n,
        fingerprint=f"blake3:{n:064x}",
        run_id="abcdef0123456789" if n % 2 else None,
        source="run:abcdef0123456789:model.joblib",
        created_at=NOW - 100 + n,
        created_by="ada",
        description="# Wine\nA **good** model",
        aliases=aliases or [],
        tags={"team": "vision"},
        archived=archived,
        files=[ModelFile("model.joblib", 2048, "sha256:" + "ab" * 32)],
        size=2048,
    )


def summaries() -> list[ModelSummary]:
    return [
        ModelSummary("wine-clf", 3, 3, {"champion": 3, "challenger": 2}, NOW, "wines"),
        ModelSummary("digits", 1, 1, {}, NOW - 50),
    ]


def test_models_list_model_passes_the_tester(qtmodeltester: Any) -> None:
    model = ModelsListModel()
    model.set_models(summaries())
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    wine = model.index(model.row_of("wine-clf"), COL_ALIASES)
    assert wine.data() == "champion→v3, challenger→v2"
    assert wine.data(ALIASES_ROLE) == [("champion", 3), ("challenger", 2)]


def test_versions_model_passes_the_tester_and_greys_archived(qtmodeltester: Any) -> None:
    model = ModelVersionsModel()
    model.set_versions([version(1, archived=True), version(3, ["champion"]), version(2)])
    qtmodeltester.check(model)
    assert [model.index(r, VCOL_VERSION).data() for r in range(3)] == ["v3", "v2", "v1  (archived)"]
    assert model.index(0, VCOL_RUN).data() == "abcdef01"
    assert model.index(1, VCOL_RUN).data() == "—"
    assert model.index(2, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None


def test_models_list_view_draws_badges_and_chooses(qtbot: Any) -> None:
    view = ModelsListView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    view.set_models(summaries())
    with qtbot.waitSignal(view.modelChosen) as blocker:
        assert view.select("wine-clf")
    assert blocker.args == ["wine-clf"]
    assert view.grab().width() == 500  # the badge delegate paints without errors
    view.filter_edit.setText("dig")
    assert view.proxy.rowCount() == 1
    assert not view.select("nope")


def make_card() -> ModelCard:
    run = RunSummary(
        id="abcdef0123456789",
        experiment="wine",
        name="rf-7",
        status="finished",
        started_at=NOW - 500,
        params={"n_estimators": 7},
        metrics={"accuracy": 0.93},
    )
    lineage = Lineage(
        nodes=[
            LineageNode("dataset", "wine@v1", "wine@v1"),
            LineageNode("run", run.id, "rf-7"),
            LineageNode("model", "wine-clf:3", "wine-clf v3"),
        ],
        edges=[("wine@v1", run.id), (run.id, "wine-clf:3")],
    )
    history = [
        AuditEntry(NOW - 10, "ada", "wine-clf", 3, "created"),
        AuditEntry(
            NOW, "ada", "wine-clf", 3, "alias_moved", {"alias": "champion", "from": 2, "to": 3}
        ),
    ]
    return ModelCard(
        version=version(3, ["champion"]),
        run=run,
        datasets=[{"name": "wine", "version": "v1", "path": "/data/wine"}],
        code={"commit": "0123abc", "branch": "main", "dirty": True, "diff_bytes": 1200},
        environment={"python": "3.11.9", "platform": "Linux", "packages": {"numpy": "2.0"}},
        signature=[("alcohol", "float64"), ("kind", "object")],
        signature_source="dataset wine@v1",
        lineage=lineage,
        history=history,
    )


def test_card_shows_everything_and_links(qtbot: Any) -> None:
    card = make_card()
    text = card_html(card)
    assert "<h1" in text  # the Markdown description was rendered
    view = CardView()
    qtbot.addWidget(view)
    view.set_card(card)
    plain = view.text()
    for needle in ("accuracy", "0.93", "n_estimators", "wine@v1", "0123abc", "alcohol", "3.11.9"):
        assert needle in plain
    assert plain.index("alias_moved") < plain.index("created")  # newest first
    assert "champion: v2 → v3" in plain
    assert view.packages.table.rowCount() == 1
    with qtbot.waitSignal(view.datasetActivated) as blocker:
        view._on_anchor_clicked(_url("dataset:wine/v1"))
    assert blocker.args == ["wine", "v1"]


def _url(text: str) -> Any:
    from PySide6.QtCore import QUrl

    return QUrl(text)


def test_describe_audit_lines() -> None:
    entry = AuditEntry(NOW, "ada", "m", 2, "tag_set", {"key": "team", "value": "x"})
    assert describe_audit(entry) == "team=x"


def test_lineage_lays_out_left_to_right_and_activates(qtbot: Any) -> None:
    view = LineageView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    view.set_lineage(make_card().lineage)
    assert view.node_keys("dataset") == ["wine@v1"]
    assert view.node_rect("wine@v1").left() < view.node_rect("abcdef0123456789").left()
    assert view.node_rect("abcdef0123456789").left() < view.node_rect("wine-clf:3").left()
    with qtbot.waitSignal(view.nodeActivated) as blocker:
        center = view.mapFromScene(view.node_rect("wine@v1").center())
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert blocker.args == ["dataset", "wine@v1"]
    view.set_lineage(None)
    assert view.node_keys() == []


def test_alias_dialog_says_the_alias_moves(qtbot: Any) -> None:
    dialog = SetAliasDialog("wine-clf", 3, {"champion": 2})
    qtbot.addWidget(dialog)
    dialog.combo.setCurrentText("champion")
    assert "move from v2 to v3" in dialog.note.text()
    dialog.combo.setCurrentText("12")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    dialog.combo.setCurrentText("staging")
    assert "New alias" in dialog.note.text()
    assert dialog.alias() == "staging"


def test_tag_and_describe_dialogs(qtbot: Any) -> None:
    tag = TagDialog("Tag")
    qtbot.addWidget(tag)
    assert not tag.buttons.button(tag.buttons.StandardButton.Ok).isEnabled()
    tag.key_edit.setText("team")
    tag.value_edit.setText("vision")
    assert tag.tag() == ("team", "vision")
    describe = DescribeDialog("Describe", "")
    qtbot.addWidget(describe)
    describe.editor.setPlainText("# Title\n\n*ok*")
    qtbot.waitUntil(lambda: "Title" in describe.preview.toPlainText())
    assert describe.text().startswith("# Title")


class FakeCompare:
    def compare(self, name: str, a: int, b: int) -> VersionComparison:
        return VersionComparison(
            name=name,
            a=a,
            b=b,
            metrics={"accuracy": (0.9, 0.95)},
            params={"depth": (3, 5)},
            datasets=(["wine@v1"], ["wine@v2"]),
            code={"commit": ("a", "b"), "diff_bytes": (0, 2048)},
            packages_added={"torch": "2.3"},
            packages_removed={"six": "1.16"},
            packages_changed={"numpy": ("1.26", "2.0")},
        )


def test_compare_view_tables(qtbot: Any, runner: Any) -> None:
    view = CompareView(FakeCompare(), runner)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.compared, timeout=5000):
        view.set_versions("wine-clf", [version(1), version(2), version(3)], 3)
    assert view.a_combo.currentData() == 2 and view.b_combo.currentData() == 3
    assert view.metrics.item(0, 3).text() == metric_delta(0.9, 0.95)
    assert view.packages.rowCount() == 3
    colours = {
        view.packages.item(r, 3).text(): view.packages.item(r, 0).foreground().color().name()
        for r in range(3)
    }
    assert colours == {"added": "#2ca02c", "removed": "#d62728", "changed": "#e08a00"}
    assert view.datasets.rowCount() == 2


def test_a_version_with_an_open_drift_alert_gets_a_badge_and_says_why(qtmodeltester: Any) -> None:
    model = ModelVersionsModel()
    model.set_versions([version(1), version(2)], {1: ["wine-watch: drift in 2 of the last 3"]})
    qtmodeltester.check(model)
    badged = model.index(1, VCOL_VERSION)  # newest first: v2, v1
    assert not badged.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert "drift in 2 of the last 3" in badged.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, VCOL_VERSION).data(Qt.ItemDataRole.DecorationRole) is None


def test_card_marks_what_came_from_an_archive_and_links_no_absent_run(qtbot: Any) -> None:
    import dataclasses

    archived = {
        "archive": "/tmp/wine-clf-3.tar.gz",
        "model": "wine-clf:3",
        "run": "abcdef0123456789",
        "fields": ["run", "datasets", "code", "environment", "signature", "lineage"],
    }
    card = dataclasses.replace(make_card(), from_archive=archived)
    html_text = card_html(card)
    for section in ("Source run", "Datasets", "Code", "Environment", "Input signature"):
        assert f"{section} <small><i>(from archive)</i></small>" in html_text
    assert 'href="run:' not in html_text and 'href="dataset:' not in html_text
    assert "<h3>Source run</h3>" in card_html(make_card())  # a live run: no mark
    view = CardView()
    qtbot.addWidget(view)
    view.set_card(card)
    plain = view.text()
    assert "Imported from /tmp/wine-clf-3.tar.gz (exported as wine-clf:3)" in plain
    assert "rf-7" in plain and "wine@v1" in plain and "0123abc" in plain and "3.11.9" in plain
