"""The palette's index from a real catalog, and searching it with kind prefixes and recents."""

from __future__ import annotations

from pathlib import Path

from palette_catalog import fill_catalog

from mlops_desktop.core import palette as p
from mlops_desktop.core.palette import PaletteSearch, split_kind_prefix
from mlops_desktop.services.bundle import Services


def test_the_index_lists_every_kind_with_a_detail(temp_home: Path, tmp_path: Path) -> None:
    with Services.open(temp_home) as services:
        run_id = fill_catalog(services, tmp_path)
        entries = services.palette.entries()
    by_kind = {(e.kind, e.name): e for e in entries}
    run = by_kind[(p.RUN, "baseline-lr")]
    assert run.key == run_id and run.detail == "digits · finished"
    assert by_kind[(p.EXPERIMENT, "digits")].key == "digits"
    assert by_kind[(p.MODEL, "churn")].detail == "v1 · 1 versions"
    assert by_kind[(p.MODEL_VERSION, "churn v1")].version == "1"
    assert by_kind[(p.MODEL_ALIAS, "churn@prod")].version == "1"
    assert by_kind[(p.DATASET, "wine")].detail.startswith("v1")
    assert by_kind[(p.MONITOR, "wine-drift")].key == "wine-drift"
    assert by_kind[(p.PIPELINE, "tiny")].detail == "pipeline.yaml · 1 stage"
    assert by_kind[(p.HOST, "gpu-box")].detail == "SSH host · lab@gpu-box:2222"


def test_search_with_prefixes_and_recent_picks(temp_home: Path, tmp_path: Path) -> None:
    with Services.open(temp_home) as services:
        fill_catalog(services, tmp_path)
        action = p.PaletteEntry(p.ACTION, "Launch…", "Run menu", "Run/Launch…")
        search = PaletteSearch([action, *services.palette.entries()])
    names = [h.entry.name for h in search.search("wine")]
    assert names[:2] == ["wine", "wine-drift"]
    assert [h.entry.kind for h in search.search("monitor: wine")] == [p.MONITOR]
    assert [h.entry.name for h in search.search("pipeline: ti")] == ["tiny"]
    assert [h.entry.name for h in search.search("> lau")] == ["Launch…"]
    assert {h.entry.kind for h in search.search("model:churn")} == {
        p.MODEL,
        p.MODEL_VERSION,
        p.MODEL_ALIAS,
    }
    hit = search.search("blr")[0]
    assert hit.entry.name == "baseline-lr" and hit.positions == (0, 9, 10)
    # equal scores: the recent pick first
    assert [h.entry.name for h in search.search("wine")][:2] == ["wine", "wine-drift"]
    drift = next(h.entry for h in search.search("wine-drift"))
    search.set_recent([drift.identity])
    assert search.search("")[0].entry == drift


def test_kind_prefixes() -> None:
    assert split_kind_prefix("> theme") == ((p.ACTION,), "theme")
    assert split_kind_prefix("Run: loss") == ((p.RUN,), "loss")
    assert split_kind_prefix("runner") == (None, "runner")
