"""The model registry: registering, aliases, audit trail, tags, archive, delete, cards, refs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

import mlops_desktop as mlops
from mlops_desktop.catalog.artifacts import blob_path
from mlops_desktop.catalog.schema import run_t
from mlops_desktop.core.errors import ModelError, ModelNotFound, RunNotFound
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.models import ModelService


@pytest.fixture
def svc(temp_home: Path, catalog_url: str | None) -> Iterator[tuple[object, object, ModelService]]:
    with Services.open(temp_home, catalog_url) as services:
        yield services.experiments, services.datasets, services.models


def _run_with_model(tmp: Path, name: str = "r", acc: float = 0.9, folder: bool = False) -> str:
    tmp.mkdir(parents=True, exist_ok=True)
    model = tmp / f"{name}.joblib"
    model.write_bytes(b"model bytes " + name.encode())
    example = tmp / "input_example.csv"
    example.write_text("age,city,score\n31,Oslo,0.5\n")
    with mlops.start_run("exp", name=name, params={"depth": 3, "name": name}) as run:
        run.log_metric("acc", acc)
        run.log_artifact(model, name="model.joblib")
        run.log_artifact(example)
        if folder:
            run.log_artifact(model, name="model/weights.bin")
            run.log_artifact(example, name="model/sub/config.csv")
        return run.id


def test_register_from_run_artifact_and_folder(svc, tmp_path: Path) -> None:
    experiments, _, models = svc
    rid = _run_with_model(tmp_path, folder=True)
    experiments.ingest()
    v1 = models.register("clf", run_id=rid[:8], artifact="model.joblib")
    assert (v1.name, v1.version, v1.run_id) == ("clf", 1, rid)
    assert [f.path for f in v1.files] == ["model.joblib"]
    assert v1.fingerprint.startswith("blake3:")
    assert v1.source == f"run:{rid}:model.joblib"
    assert v1.created_by
    art = next(a for a in experiments.get_run(rid).artifacts if a.name == "model.joblib")
    assert v1.files[0].digest == art.digest  # references the run's blob, no copy
    v2 = models.register("clf", run_id=rid, artifact="model/")
    assert v2.version == 2
    assert [f.path for f in v2.files] == ["sub/config.csv", "weights.bin"]
    assert models.register("clf", run_id=rid, artifact="model").fingerprint == v2.fingerprint
    with pytest.raises(ModelError, match="no artifact 'nope'"):
        models.register("clf", run_id=rid, artifact="nope")
    with pytest.raises(RunNotFound):
        models.register("clf", run_id="ffffffffff", artifact="model.joblib")
    assert models.history("clf")[-1].action == "created"


def test_register_from_path_copies_into_the_store(svc, tmp_path: Path, temp_home: Path) -> None:
    experiments, _, models = svc
    rid = _run_with_model(tmp_path / "run")
    experiments.ingest()
    folder = tmp_path / "export"
    (folder / "nested").mkdir(parents=True)
    (folder / "model.pkl").write_bytes(b"pickle")
    (folder / "nested" / "vocab.txt").write_text("a\nb\n")
    v = models.register("nlp", path=folder, run_id=rid)
    assert v.run_id == rid and v.source == str(folder.resolve())
    assert {f.path: f.size for f in v.files} == {"model.pkl": 6, "nested/vocab.txt": 4}
    for f in v.files:
        assert blob_path(temp_home, f.digest).read_bytes() == (
            folder.joinpath(*f.path.split("/")).read_bytes()
        )
    single = models.register("single", path=folder / "model.pkl")
    assert [f.path for f in single.files] == ["model.pkl"] and single.run_id is None
    for bad in ("", "a b", "x/y", "a" * 101, "..", "n@1", "n:1"):
        with pytest.raises(ModelError, match="not a model name"):
            models.register(bad, path=folder)
    with pytest.raises(ModelError, match="does not exist"):
        models.register("nlp", path=tmp_path / "missing")


def test_aliases_are_unique_and_movable_with_the_exact_audit_trail(svc, tmp_path: Path) -> None:
    experiments, _, models = svc
    rid = _run_with_model(tmp_path)
    experiments.ingest()
    for _ in range(3):
        models.register("m", run_id=rid, artifact="model.joblib")
    models.set_alias("m", 1, "champion")
    models.set_alias("m", 2, "challenger")
    models.set_alias("m", 3, "champion")  # moves from 1
    models.set_alias("m", 3, "champion")  # no change, no entry
    models.set_alias("m", 3, "challenger")  # moves from 2
    models.remove_alias("m", "challenger")
    models.set_alias("m", 2, "challenger")
    assert models.get("m:3").aliases == ["champion"]
    assert models.get("m@challenger").version == 2
    assert models.get("m:1").aliases == []
    assert models.list_models()[0].aliases == {"challenger": 2, "champion": 3}
    trail = [(e.action, e.version, e.detail) for e in models.history("m")]
    assert trail[:5] == [
        ("alias_set", 2, {"alias": "challenger", "to": 2}),
        ("alias_removed", 3, {"alias": "challenger", "from": 3}),
        ("alias_moved", 3, {"alias": "challenger", "from": 2, "to": 3}),
        ("alias_moved", 3, {"alias": "champion", "from": 1, "to": 3}),
        ("alias_set", 2, {"alias": "challenger", "to": 2}),
    ]
    assert [a for a, _, _ in trail[5:]] == ["alias_set", "created", "created", "created"]
    assert all(e.user for e in models.history("m"))
    for bad in ("123", "has space", "", "a@b", "x:y"):
        with pytest.raises(ModelError, match="not an alias"):
            models.set_alias("m", 1, bad)
    with pytest.raises(ModelNotFound, match="no version 9"):
        models.set_alias("m", 9, "prod")


def test_delete_refused_while_aliased_unless_forced(svc, tmp_path: Path) -> None:
    experiments, _, models = svc
    rid = _run_with_model(tmp_path)
    experiments.ingest()
    models.register("m", run_id=rid, artifact="model.joblib")
    models.register("m", run_id=rid, artifact="model.joblib")
    models.set_alias("m", 2, "champion")
    models.set_alias("m", 2, "prod")
    with pytest.raises(ModelError, match=r"'champion'.*'prod'"):
        models.delete("m", 2)
    assert models.get("m:2").aliases == ["champion", "prod"]
    models.delete("m", 1)  # no alias: allowed
    models.delete("m", 2, force=True)
    assert models.versions("m") == []
    assert [e.action for e in models.history("m")[:4]] == [
        "deleted",
        "alias_removed",
        "alias_removed",
        "deleted",
    ]
    assert models.list_models()[0].aliases == {}
    assert models.register("m", run_id=rid, artifact="model.joblib").version == 3


def test_archive_tags_describe(svc, tmp_path: Path) -> None:
    experiments, _, models = svc
    rid = _run_with_model(tmp_path)
    experiments.ingest()
    models.register("m", run_id=rid, artifact="model.joblib", tags={"team": "vision"})
    models.register("m", run_id=rid, artifact="model.joblib")
    models.archive("m", 2)
    assert models.get("m").version == 1  # latest not archived
    assert [v.version for v in models.versions("m", include_archived=False)] == [1]
    assert models.get("m:2").archived
    assert models.list_models()[0].latest == 1
    models.archive("m", 2, archived=False)
    assert models.get("m").version == 2
    models.set_tag("m", 1, "stage", "qa")
    models.set_tag("m", 1, "stage", "prod")
    models.remove_tag("m", 1, "team")
    assert models.get("m:1").tags == {"stage": "prod"}
    with pytest.raises(ModelError, match="no tag"):
        models.remove_tag("m", 1, "team")
    models.describe("m", 1, "# Classifier\n\nTrained on *wine*.")
    assert models.get("m:1").description.startswith("# Classifier")
    actions = [(e.action, e.detail) for e in models.history("m", 1)]
    assert actions[:4] == [
        ("described", {"chars": 32}),
        ("tag_removed", {"key": "team", "value": "vision"}),
        ("tag_set", {"key": "stage", "value": "prod", "old": "qa"}),
        ("tag_set", {"key": "stage", "value": "qa"}),
    ]
    assert [e.action for e in models.history("m", 2)][:2] == ["unarchived", "archived"]


def test_card_fields_signature_and_lineage(svc, tmp_path: Path) -> None:
    experiments, datasets, models = svc
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("x,y,label\n1,2.5,a\n3,4.5,b\n")
    datasets.add(data, "tab", snapshot=True)
    with mlops.start_run("exp", name="with-data", params={"lr": 0.1}) as run:
        run.use_dataset("tab")
        run.log_metric("acc", 0.8)
        (tmp_path / "m.joblib").write_bytes(b"m")
        run.log_artifact(tmp_path / "m.joblib", name="model.joblib")
        rid = run.id
    experiments.ingest()
    models.register("c", run_id=rid, artifact="model.joblib", description="hello")
    card = models.card("c:1")
    assert card.run is not None and card.run.id == rid and card.run.metrics == {"acc": 0.8}
    assert card.datasets == [{"name": "tab", "version": "v1", "path": None}]
    assert [c for c, _ in card.signature] == ["x", "y", "label"]
    assert card.signature[0] == ("x", "int64")
    assert card.signature_source == "dataset tab@v1"
    assert card.environment["python"] and card.environment["packages"]
    assert card.version.description == "hello"
    assert [n.key for n in card.lineage.nodes] == ["tab@v1", rid, "c:1"]
    assert card.lineage.edges == [("tab@v1", rid), (rid, "c:1")]
    assert card.history[0].action == "created"
    # an input example logged with the run wins over the dataset's schema
    rid2 = _run_with_model(tmp_path / "two")
    experiments.ingest()
    models.register("c", run_id=rid2, artifact="model.joblib")
    card2 = models.card("c:2")
    assert card2.signature_source == "input example"
    assert [c for c, _ in card2.signature] == ["age", "city", "score"]
    # a version from a path without a run
    solo = models.card(f"{models.register('solo', path=tmp_path / 'm.joblib').name}:1")
    assert solo.run is None and solo.signature == [] and len(solo.lineage.nodes) == 1
    # a retrain run launched for a monitor's alert: alert -> run -> version
    tags = {"monitor": "m1", "alert": "4"}
    with mlops.start_run("exp", name="retrain", tags=tags) as run:
        run.log_artifact(tmp_path / "m.joblib", name="model.joblib")
        rid3 = run.id
    experiments.ingest()
    models.register("c", run_id=rid3, artifact="model.joblib")
    lineage = models.lineage("c:3")
    assert [n.key for n in lineage.nodes] == ["alert:m1:4", rid3, "c:3"]
    assert lineage.nodes[0].kind == "alert" and lineage.nodes[0].label == "alert #4 of m1"
    assert lineage.edges == [("alert:m1:4", rid3), (rid3, "c:3")]


def test_compare_packages_diff(svc, tmp_path: Path) -> None:
    experiments, _, models = svc
    a = _run_with_model(tmp_path / "a", "a", acc=0.8)
    b = _run_with_model(tmp_path / "b", "b", acc=0.9)
    experiments.ingest()
    with models.catalog.session_scope(write=True) as s:
        for rid, packages in (
            (a, {"numpy": "1.26.0", "torch": "2.1", "six": "1.0"}),
            (b, {"numpy": "2.0.0", "torch": "2.1", "scipy": "1.13"}),
        ):
            env = {"python": {"version": "3.11.7"}, "packages": packages}
            s.execute(update(run_t).where(run_t.c.id == rid).values(env=env))
    models.register("m", run_id=a, artifact="model.joblib")
    models.register("m", run_id=b, artifact="model.joblib")
    c = models.compare("m", 1, 2)
    assert c.metrics == {"acc": (0.8, 0.9)}
    assert c.params["name"] == ("a", "b") and c.params["depth"] == (3, 3)
    assert c.packages_added == {"scipy": "1.13"}
    assert c.packages_removed == {"six": "1.0"}
    assert c.packages_changed == {"numpy": ("1.26.0", "2.0.0")}
    assert set(c.code) == {"commit", "branch", "dirty", "diff_bytes"}


def test_get_refs_and_errors(svc, tmp_path: Path) -> None:
    experiments, _, models = svc
    rid = _run_with_model(tmp_path)
    experiments.ingest()
    for _ in range(3):
        models.register("m", run_id=rid, artifact="model.joblib")
    models.set_alias("m", 2, "champion")
    assert models.get("m").version == 3
    assert models.get("m:1").version == 1
    assert models.get("m:v1").version == 1
    assert models.get("m@champion").version == 2
    assert models.get("m@3").version == 3
    with pytest.raises(ModelNotFound, match=r"no version 7 .*1, 2, 3.*champion"):
        models.get("m:7")
    with pytest.raises(ModelNotFound, match=r"no alias 'prod'.*champion"):
        models.get("m@prod")
    with pytest.raises(ModelNotFound, match=r"No model is named 'zz' \(models: m\)"):
        models.get("zz")
    with pytest.raises(ModelNotFound, match="not a version number"):
        models.get("m:abc")
    for v in (1, 2, 3):
        models.archive("m", v)
    with pytest.raises(ModelNotFound, match="no version that is not archived"):
        models.get("m")


def test_upgrade_from_0002_adds_the_registry(
    temp_home: Path, catalog_url: str | None, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from mlops_desktop.catalog.engine import catalog_url_for, make_engine
    from mlops_desktop.catalog.migrate import HEAD, MIGRATIONS_DIR, current_revision

    engine = make_engine(catalog_url_for(temp_home, catalog_url))
    with engine.connect() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.commit()
        conn.execute(text("INSERT INTO experiment (id, name, created_at) VALUES (1, 'old', 1.0)"))
        conn.execute(
            text(
                "INSERT INTO run (id, experiment_id, name, status, started_at, target,"
                " command, cwd, notes, has_start) VALUES"
                " ('run0', 1, 'r', 'finished', 1.0, 'local', '', '', '', true)"
            )
        )
        conn.commit()
    engine.dispose()
    with Services.open(temp_home, catalog_url) as services:
        models = services.models
        with models.catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        (tmp_path / "m.pkl").write_bytes(b"m")
        v = models.register("m", path=tmp_path / "m.pkl", run_id="run0")
        assert (v.version, v.run_id) == (1, "run0")
        # deleting the run keeps the version (run_id set to NULL)
        with models.catalog.session_scope(write=True) as s:
            s.execute(text("DELETE FROM run WHERE id = 'run0'"))
        assert models.get("m:1").run_id is None


def test_an_import_that_cannot_copy_a_file_says_which_and_registers_nothing(
    svc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.services import model_transfer

    experiments, _, models = svc
    rid = _run_with_model(tmp_path)
    experiments.ingest()
    models.register("clf", run_id=rid, artifact="model.joblib")
    archive = models.export("clf:1", tmp_path / "clf.tar.gz")

    def disk_full(src: object, root: object) -> tuple[str, int]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_transfer, "store_file", disk_full)
    with pytest.raises(ModelError) as caught:
        models.import_archive(archive, name="copy")
    assert str(caught.value) == (
        "model/model.joblib of clf.tar.gz could not be copied into the artifact store "
        "(No space left on device); nothing was imported."
    )
    assert [m.name for m in models.list_models()] == ["clf"]
