"""Monitor tables (migration 0006) on SQLite and PostgreSQL: monitors, windows, alerts, what
was consumed, logged predictions exactly once."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mlops_desktop.catalog import monitor_repo as repo
from mlops_desktop.catalog.migrate import HEAD, current_revision
from mlops_desktop.catalog.monitor_repo import MonitorRecord, Seen, StoredWindow
from mlops_desktop.catalog.schema import Base
from mlops_desktop.core.drift import ColumnDrift, DriftReport, DriftWindow
from mlops_desktop.services.catalog_open import open_catalog


def _report(drift: bool) -> DriftReport:
    col = ColumnDrift("a", "numeric", "ks", 0.3, 0.001, 0.05, drift, effect_size=0.4)
    return DriftReport((col,), drift, 1.0 if drift else 0.0, 100, 50, ("extra columns: z",))


def test_schema_matches_and_round_trips(temp_home: Path, catalog_url: str | None) -> None:
    catalog = open_catalog(temp_home, catalog_url)
    try:
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD >= "0006"
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert [d for d in diff if "monitor" in str(d)] == []
        rec = MonitorRecord("m", "model:clf@champion", "wine@v1", "folder:/x", {"k": 1}, 5.0)
        repo.add_monitor(catalog, rec, '{"summary": 1}')
        assert repo.get_monitor(catalog, "m") == rec
        assert repo.load_summary(catalog, "m") == '{"summary": 1}'
        assert repo.next_window_index(catalog, "m") == 0
        windows = [
            StoredWindow(
                DriftWindow("m", 0, 50, 1.0, 2.0, "b1.csv", _report(False)),
                {
                    "a": {
                        "column": "a",
                        "kind": "numeric",
                        "edges": [0, 1],
                        "categories": [],
                        "reference": [1.0],
                        "current": [1.0],
                    }
                },
            ),
            StoredWindow(
                DriftWindow("m", 1, 50, 2.0, 3.0, "b2.csv", _report(True), {"accuracy": 0.5})
            ),
            StoredWindow(
                DriftWindow("m", 2, 0, 3.0, 3.0, "bad.csv", problem="bad.csv has no rows.")
            ),
        ]
        repo.save_check(catalog, "m", windows, [Seen("file:b1.csv", 10, 1.5)], b"\x00pending")
        assert repo.load_pending(catalog, "m") == b"\x00pending"
        repo.save_check(catalog, "m", [], [Seen("file:b1.csv", 11, 2.5)])  # KEEP pending
        assert repo.load_pending(catalog, "m") == b"\x00pending"
        assert repo.seen(catalog, "m") == {"file:b1.csv": Seen("file:b1.csv", 11, 2.5)}
        stored = repo.windows(catalog, "m")
        assert stored == [w.window for w in windows]
        assert repo.window_distributions(catalog, "m", 0)["a"]["edges"] == [0, 1]  # type: ignore[index]
        assert repo.window_distributions(catalog, "m", 9) is None
        counts = repo.counts(catalog)["m"]
        assert (counts.windows, counts.open_alerts, counts.last_drift) == (3, 0, False)
        alert = repo.add_alert(catalog, "m", 1, "dataset_drift", "drift", {"windows": [1]})
        assert repo.open_rules(catalog, "m") == {"dataset_drift"}
        assert repo.alerts(catalog, "m", open_only=True) == [alert]
        repo.set_retrain_run(catalog, alert.id, "run1")
        acked = repo.acknowledge(catalog, alert.id, at=9.0)
        assert acked is not None and acked.acknowledged_at == 9.0 and acked.retrain_run == "run1"
        assert repo.acknowledge(catalog, alert.id, at=10.0).acknowledged_at == 9.0  # type: ignore[union-attr]
        assert repo.open_rules(catalog, "m") == set()
        lines = [(0, 1.0, '[{"x": 1}]'), (1, 2.0, '[{"x": 2}]')]
        repo.add_predictions(catalog, "m", "f.jsonl", lines, Seen("log:f.jsonl", 0, 0, 40))
        repo.add_predictions(catalog, "m", "f.jsonl", lines, Seen("log:f.jsonl", 0, 0, 40))
        got = repo.predictions_after(catalog, "m", 0)
        assert [(t, d) for _, t, d in got] == [(1.0, '[{"x": 1}]'), (2.0, '[{"x": 2}]')]
        assert repo.predictions_after(catalog, "m", got[0][0]) == got[1:]
        repo.remove_monitor(catalog, "m")
        assert repo.get_monitor(catalog, "m") is None and repo.alerts(catalog) == []
        assert repo.predictions_after(catalog, "m", 0) == []
    finally:
        catalog.dispose()
