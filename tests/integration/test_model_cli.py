"""The ``models`` commands: the public JSON keys, export -> import, unsafe archives."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *args: str, catalog: str | None = None) -> object:
    pre = ["--catalog", catalog] if catalog else []
    code = main([*pre, "models", *args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _run(tmp: Path) -> str:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "m.joblib").write_bytes(b"not really a model")
    (tmp / "input_example.csv").write_text("a,b\n1,2\n")
    with mlops.start_run("cli", name="r", params={"k": 1}) as run:
        run.log_metric("acc", 0.75)
        run.log_artifact(tmp / "m.joblib", name="model.joblib")
        run.log_artifact(tmp / "input_example.csv")
        return run.id


def _store_files(home: Path) -> set[str]:
    root = home / "artifacts"
    return {p.relative_to(root).as_posix() for p in root.rglob("*")} if root.exists() else set()


def test_models_commands_json_keys(
    temp_home: Path, tmp_path: Path, catalog_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = _run(tmp_path)
    reg = _cli(capsys, "register", rid, "model.joblib", "--name", "clf", catalog=catalog_url)
    assert set(reg) == {"name", "version", "run", "fingerprint"}  # type: ignore[arg-type]
    assert reg == {"name": "clf", "version": 1, "run": rid, "fingerprint": reg["fingerprint"]}  # type: ignore[index]
    reg2 = _cli(
        capsys,
        "register",
        "--path",
        str(tmp_path / "m.joblib"),
        "--name",
        "clf",
        "--run",
        rid,
        catalog=catalog_url,
    )
    assert reg2["version"] == 2  # type: ignore[index]
    _cli(capsys, "alias", "clf", "1", "champion", catalog=catalog_url)
    _cli(capsys, "alias", "clf", "2", "champion", catalog=catalog_url)
    _cli(capsys, "tag", "clf:2", "team=vision", catalog=catalog_url)
    listed = _cli(capsys, "list", catalog=catalog_url)
    assert listed[0]["name"] == "clf"  # type: ignore[index]
    assert set(listed[0]) >= {"name", "latest", "versions", "aliases", "updated_at"}  # type: ignore[index]
    assert listed[0]["aliases"] == {"champion": 2} and listed[0]["versions"] == 2  # type: ignore[index]
    show = _cli(capsys, "show", "clf@champion", catalog=catalog_url)
    assert isinstance(show, dict)
    assert {"name", "version", "aliases", "tags", "fingerprint", "lineage", "history"} <= set(show)
    assert {"run", "datasets", "code"} <= set(show["lineage"])
    assert show["version"] == 2 and show["aliases"] == ["champion"]
    assert show["tags"] == {"team": "vision"} and show["lineage"]["run"] == rid
    assert show["signature"] == [["a", "int64"], ["b", "int64"]]
    assert [h["action"] for h in show["history"]] == ["tag_set", "alias_moved", "created"]
    hist = _cli(capsys, "history", "clf", catalog=catalog_url)
    assert hist[1]["detail"] == {"alias": "champion", "from": 1, "to": 2}  # type: ignore[index]
    comp = _cli(capsys, "compare", "clf", "1", "2", catalog=catalog_url)
    assert comp["metrics"] == {"acc": [0.75, 0.75]}  # type: ignore[index]
    # refused while aliased: one sentence, exit 2
    pre = ["--catalog", catalog_url] if catalog_url else []
    assert main([*pre, "models", "delete", "clf:2"]) == 2
    err = capsys.readouterr().err
    assert "champion" in err and "Traceback" not in err and err.count("\n") == 1
    assert main([*pre, "models", "show", "clf:9"]) == 2
    assert "no version 9" in capsys.readouterr().err


def test_export_import_round_trip(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = _run(tmp_path)
    _cli(capsys, "register", rid, "model.joblib", "--name", "clf")
    _cli(capsys, "describe", "clf:1", "a *fine* model")
    archive = tmp_path / "clf-1.tar.gz"
    out = _cli(capsys, "export", "clf:1", str(archive))
    assert out["file"] == str(archive) and archive.is_file()  # type: ignore[index]
    imported = _cli(capsys, "import", str(archive), "--name", "clf-copy")
    original = _cli(capsys, "show", "clf:1")
    assert imported["fingerprint"] == original["fingerprint"]  # type: ignore[index]
    copy = _cli(capsys, "show", "clf-copy")
    assert copy["description"] == "a *fine* model"  # type: ignore[index]
    assert copy["history"][0]["action"] == "imported"  # type: ignore[index]
    again = _cli(capsys, "import", str(archive))
    assert (again["name"], again["version"]) == ("clf", 2)  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("clf-1.zip", "zip"),
        ("clf-1.ZIP", "zip"),
        ("clf-1.tar.gz", "tar.gz"),
        ("clf-1.tgz", "tar.gz"),
    ],
)
def test_export_format_follows_the_suffix_and_import_reads_both(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str
) -> None:
    rid = _run(tmp_path)
    original = _cli(capsys, "register", rid, "model.joblib", "--name", "clf")
    archive = tmp_path / name
    out = _cli(capsys, "export", "clf:1", str(archive))
    assert out == {"name": "clf", "version": 1, "file": str(archive), "format": fmt}
    assert zipfile.is_zipfile(archive) == (fmt == "zip")
    if fmt == "tar.gz":
        assert archive.read_bytes()[:2] == b"\x1f\x8b" and tarfile.is_tarfile(archive)
    assert main(["models", "export", "clf:1", str(tmp_path / f"again-{name}")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"({fmt})")
    # import goes by the first bytes, not the name
    renamed = archive.rename(tmp_path / ("x.tar.gz" if fmt == "zip" else "x.zip"))
    imported = _cli(capsys, "import", str(renamed), "--name", "clf-copy")
    assert imported["fingerprint"] == original["fingerprint"]  # type: ignore[index]


def _evil_archive(path: Path) -> None:
    manifest = {
        "format": "mlops-desktop-model",
        "format_version": 1,
        "meta": {"name": "evil"},
        "files": [{"path": "../../escape.txt", "size": 4, "digest": "sha256:" + "0" * 64}],
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("card.json", b"{}"),
            ("lineage.json", b"{}"),
            ("model/../../escape.txt", b"evil"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_malicious_archive_is_refused_with_nothing_written(
    temp_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = _run(tmp_path)
    _cli(capsys, "register", rid, "model.joblib", "--name", "clf")
    before = _store_files(temp_home)
    evil = tmp_path / "deep" / "er" / "evil.tar.gz"
    evil.parent.mkdir(parents=True)
    _evil_archive(evil)
    assert main(["models", "import", str(evil)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlops-desktop: ") and "Traceback" not in err
    assert not (tmp_path / "deep" / "escape.txt").exists()
    assert not (tmp_path / "escape.txt").exists()
    assert sorted(p.name for p in evil.parent.iterdir()) == ["evil.tar.gz"]
    assert _store_files(temp_home) == before
    listed = _cli(capsys, "list")
    assert [m["name"] for m in listed] == ["clf"]  # type: ignore[union-attr, index]


@pytest.mark.slow
def test_demo_registers_models_once(temp_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-gui", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["models"] == 5 and counts["monitors"] == 1
    (temp_home / "demo.json").write_text('{"version": 2}')  # a home of the previous demo
    assert main(["demo", "--no-gui", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"] == 5
    listed = {m["name"]: m for m in _cli(capsys, "list")}  # type: ignore[union-attr]
    cancer = listed["breast-cancer-classifier"]
    assert cancer["versions"] == 3 and cancer["aliases"] == {"champion": 3, "challenger": 2}
    moves = [
        h
        for h in _cli(capsys, "history", "breast-cancer-classifier")  # type: ignore[union-attr]
        if h["action"] == "alias_moved"
    ]
    assert [m["detail"] for m in moves] == [{"alias": "champion", "from": 1, "to": 3}]
    assert _cli(capsys, "show", "breast-cancer-classifier:1")["archived"] is True  # type: ignore[index]
    wine = _cli(capsys, "show", "wine-classifier@champion")
    assert wine["signature_source"] == "input example"  # type: ignore[index]
