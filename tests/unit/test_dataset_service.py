"""DatasetService on a real catalog (SQLite and PostgreSQL): versions, diffs, restore, safety."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mlops_desktop.catalog import dataset_repo
from mlops_desktop.catalog.dataset_schema import dataset_file_t, dataset_t, dataset_version_t
from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.errors import DatasetError, DatasetNotFound, OperationCancelled
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.datasets import DatasetService


@pytest.fixture
def service(temp_home: Path, catalog_url: str | None):
    svc = DatasetService.open(temp_home, catalog_url)
    yield svc
    svc.close()


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def counts(svc: DatasetService) -> tuple[int, int, int]:
    with svc.catalog.session_scope() as s:
        return tuple(  # type: ignore[return-value]
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (dataset_t, dataset_version_t, dataset_file_t)
        )


def test_versions_by_content(service: DatasetService, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "d", {"a.csv": "x,y\n1,2\n", "sub/b.txt": "hello"})
    first = service.add(root, "ds", message="first", tags={"team": "cv"})
    assert (first.version, first.new_version, first.files) == ("v1", True, 2)
    assert first.fingerprint.startswith("blake3:")
    again = service.add(root, "ds")
    assert (again.version, again.new_version) == ("v1", False)
    assert again.fingerprint == first.fingerprint
    (root / "a.csv").write_text("x,y\n1,2\n3,4\n")
    second = service.add(root, "ds")
    assert (second.version, second.new_version) == ("v2", True)
    assert [v.version for v in service.versions("ds")] == ["v2", "v1"]
    v1 = service.get_version("ds", "v1")
    assert v1.message == "first" and v1.tags == {"team": "cv"} and v1.source_path == str(root)
    for ref in ("v2", "2", "latest", None, "V2"):
        assert service.get_version("ds", ref).number == 2
    assert [e.path for e in service.manifest("ds", "1")] == ["a.csv", "sub/b.txt"]
    [summary] = service.list_datasets()
    assert (summary.name, summary.latest, summary.versions, summary.files) == ("ds", "v2", 2, 2)
    assert summary.bytes == second.bytes


def test_single_file_and_bad_input(service: DatasetService, tmp_path: Path) -> None:
    f = tmp_path / "one.csv"
    f.write_text("a\n1\n")
    r = service.add(f, "one")
    assert r.files == 1 and service.manifest("one")[0].path == "one.csv"
    with pytest.raises(DatasetError, match="does not exist"):
        service.add(tmp_path / "missing", "x")
    for bad in ("", "a b", "x" * 101, "a/b", "ü"):
        with pytest.raises(DatasetError, match="not a dataset name"):
            service.add(f, bad)
    with pytest.raises(DatasetNotFound):
        service.versions("nope")
    with pytest.raises(DatasetNotFound, match="no version v9"):
        service.get_version("one", "v9")
    with pytest.raises(DatasetNotFound, match="not a version"):
        service.get_version("one", "banana")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no readable file"):
        service.add(empty, "empty")
    assert counts(service) == (1, 1, 1)


def test_checkout_restores_the_original(service: DatasetService, tmp_path: Path) -> None:
    files = {"a.bin": "0123456789" * 1000, "deep/er/b.csv": "p,q\n1,2\n", "c.txt": ""}
    root = write_tree(tmp_path / "src", files)
    service.add(root, "snap", snapshot=True)
    original = {p: (root / p).read_bytes() for p in files}
    (root / "a.bin").write_text("changed")  # the source moves on
    (root / "c.txt").unlink()
    dest = service.checkout("snap", "v1", tmp_path / "restored")
    restored = {
        str(p.relative_to(dest)).replace("\\", "/"): p.read_bytes()
        for p in dest.rglob("*")
        if p.is_file()
    }
    assert restored == original
    plain = write_tree(tmp_path / "plain", {"x": "1"})
    service.add(plain, "plain")
    with pytest.raises(DatasetError, match="--snapshot"):
        service.checkout("plain", None, tmp_path / "nope")
    # adding unchanged content with --snapshot makes the existing version restorable
    again = service.add(plain, "plain", snapshot=True)
    assert not again.new_version and service.get_version("plain").snapshot
    assert (service.checkout("plain", "latest", tmp_path / "p2") / "x").read_text() == "1"


def test_cancelled_hashing_writes_nothing(service: DatasetService, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "d", {f"f{i}.txt": str(i) * 1000 for i in range(50)})
    with pytest.raises(OperationCancelled):
        service.add(root, "ds", cancelled=lambda: True)
    assert counts(service) == (0, 0, 0)
    assert service.list_datasets() == []


def test_failed_snapshot_writes_nothing(
    service: DatasetService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.datasets.store import SnapshotStore

    root = write_tree(tmp_path / "d", {f"f{i}.txt": str(i) for i in range(5)})
    calls = []

    def failing_put(self: SnapshotStore, source: Path, file_hash: str, link: str = "auto") -> str:
        calls.append(source)
        if len(calls) == 3:
            raise DatasetError("The disk is full; the snapshot could not be stored.")
        return "copy"

    monkeypatch.setattr(SnapshotStore, "put", failing_put)
    with pytest.raises(DatasetError, match="disk is full"):
        service.add(root, "ds", snapshot=True)
    assert counts(service) == (0, 0, 0)


def test_diff_of_files(service: DatasetService, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "d", {"keep.txt": "k", "gone.txt": "g", "edit.txt": "1"})
    service.add(root, "ds")
    (root / "gone.txt").unlink()
    (root / "edit.txt").write_text("2")
    (root / "new.txt").write_text("n")
    service.add(root, "ds")
    d = service.diff("ds", "v1", "v2")
    assert (d.added, d.removed, d.changed) == (["new.txt"], ["gone.txt"], ["edit.txt"])
    assert d.tables == [] and d.problems == []
    back = service.diff("ds", "2", "1")
    assert (back.added, back.removed) == (["gone.txt"], ["new.txt"])


def test_table_diff_reads_snapshots_or_says_why_not(
    service: DatasetService, tmp_path: Path
) -> None:
    root = write_tree(tmp_path / "s", {"data.csv": "a,b\n1,x\n2,y\n"})
    service.add(root, "snap", snapshot=True)
    (root / "data.csv").write_text("a,b,c\n1,x,1.5\n2,y,2.5\n3,z,3.5\n")
    service.add(root, "snap", snapshot=True)
    d = service.diff("snap", "v1", "v2")
    assert d.changed == ["data.csv"] and not d.problems
    [t] = d.tables
    assert (t.rows_old, t.rows_new, t.rows_added) == (2, 3, 1)
    assert any(c.column == "c" and c.change == "added" for c in t.columns)

    plain = write_tree(tmp_path / "p", {"data.csv": "a\n1\n"})
    service.add(plain, "plain")
    (plain / "data.csv").write_text("a\n1\n2\n")
    service.add(plain, "plain")
    d = service.diff("plain", "v1", "v2")
    assert d.tables == []
    assert d.problems == [
        "v1 of data.csv is not snapshotted and has changed since; row changes cannot be computed"
    ]


def test_profile_is_computed_once(
    service: DatasetService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.datasets import tables

    root = write_tree(tmp_path / "d", {"t.csv": "n,s\n1,a\n2,b\n3,\n", "notes.txt": "x"})
    service.add(root, "ds")
    calls = []
    real = tables.profile_table

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(tables, "profile_table", counting)
    [p] = service.profile("ds")
    assert p.path == "t.csv" and p.rows == 3 and [c.name for c in p.columns] == ["n", "s"]
    [again] = service.profile("ds", "v1", "t.csv")
    assert calls == ["t.csv"]
    assert again.rows == 3 and again.columns[0].name == "n"
    assert again.columns[1].missing == p.columns[1].missing
    with pytest.raises(DatasetError, match="no file"):
        service.profile("ds", None, "nope.csv")
    preview = service.preview("ds", None, "t.csv", rows=2)
    assert preview.columns == ["n", "s"] and len(preview.rows) == 2


def test_changed_datasets(service: DatasetService, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "d", {"a.txt": "1", "b.txt": "2"})
    gone = write_tree(tmp_path / "gone", {"x.txt": "1"})
    service.add(root, "ds")
    service.add(gone, "gone")
    assert service.changed_datasets() == []
    (root / "a.txt").write_text("longer")
    (root / "c.txt").write_text("3")
    (gone / "x.txt").unlink()
    gone.rmdir()
    changed = dict(service.changed_datasets())
    assert "1 file changed, 1 added" in changed["ds"]
    assert changed["gone"] == f"source {gone} no longer exists"


def test_a_large_version_is_written_in_bulk(temp_home: Path) -> None:
    svc = DatasetService.open(temp_home)
    try:
        entries = [ManifestEntry(f"img/{i:06d}.png", i, f"{i:064x}") for i in range(100_000)]
        t0 = time.perf_counter()
        with svc.catalog.session_scope(write=True) as s:
            v, new = dataset_repo.register_version(s, "big", entries, "blake3:0")
        elapsed = time.perf_counter() - t0
        assert new and v.files == 100_000 and v.bytes == sum(range(100_000))
        assert elapsed < 10, elapsed
        assert len(svc.manifest("big")) == 100_000
    finally:
        svc.close()


def test_services_share_one_catalog(temp_home: Path) -> None:
    with Services.open(temp_home) as services:
        shared = {id(s.catalog) for s in (services.experiments, services.datasets, services.models)}
        assert shared == {id(services.catalog)} and services.jobs.catalog is services.catalog
        assert services.datasets.list_datasets() == [] and services.experiments.list_runs() == []
    assert services.catalog.engine.pool.checkedout() == 0


def test_a_same_size_rewrite_is_noticed(service: DatasetService, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "d", {"a.txt": "one"})
    service.add(root, "ds")  # hashed at once: too recent for the stat cache
    time.sleep(0.02)
    (root / "a.txt").write_text("two")
    assert dict(service.changed_datasets())["ds"].startswith("1 file changed")
