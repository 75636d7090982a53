"""log_model: model folders with a flavour, registered on ingest, inspected in the sandbox and
loaded back; MLflow's ``mlops_desktop.sklearn`` and ``infer_signature``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import mlops_desktop
from mlops_desktop.cli.main import main
from mlops_desktop.core.errors import ModelError
from mlops_desktop.models import infer_signature
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.model_folder import parse_description, read_description

SKLEARN_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from sklearn.linear_model import ElasticNet
    import mlops_desktop as mlflow
    import mlops_desktop.sklearn
    from mlops_desktop.models import infer_signature

    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    with mlflow.start_run(run_name="en") as run:
        run.use_dataset(sys.argv[1])
        model = ElasticNet(alpha=0.01).fit(X, y)
        signature = infer_signature(X, model.predict(X))
        info = mlops_desktop.sklearn.log_model(
            model, "model", registered_model_name="wine-en", signature=signature,
            input_example=X[:5], conda_env=None,
        )
        assert info.model_uri == f"runs:/{run.id}/model"
        np.save(sys.argv[2], model.predict(X[:10]))
        print(run.id)
    """
)


def _run(script: str, *args: str) -> str:
    env = {**os.environ, "MLOPS_DESKTOP_SYSTEM_METRICS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def logged_sklearn(tmp_path: Path, temp_home: Path) -> tuple[str, np.ndarray]:
    pytest.importorskip("sklearn")
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    with Services.open(temp_home) as services:
        services.datasets.add(data, "wine")
    run_id = _run(SKLEARN_SCRIPT, "wine", str(tmp_path / "pred.npy"))
    return run_id, np.load(tmp_path / "pred.npy")


def test_sklearn_round_trip(
    logged_sklearn: tuple[str, np.ndarray], temp_home: Path, tmp_path: Path
) -> None:
    run_id, expected = logged_sklearn
    with Services.open(temp_home) as services:
        report = services.experiments.ingest()
        assert not report.problems
        version = services.models.get("wine-en")
        assert version.version == 1 and version.run_id == run_id
        assert {f.path for f in version.files} == {
            "MLmodel",
            "model.joblib",
            "requirements.txt",
            "input_example.json",
        }
        card = services.models.card("wine-en:1")
        assert card.lineage.nodes[0].key.startswith("wine@")  # the run's dataset
        assert card.model_description["flavor"] == "sklearn"
        assert card.model_description["loader"] == "mlops_desktop.sklearn"
        assert any(r.startswith("scikit-learn==") for r in card.model_description["requirements"])
        assert card.signature == [("0", "double"), ("1", "double"), ("2", "double")]
        assert card.signature_source == "model description (MLmodel)"
        assert "input_example_preview" in card.model_description
        inspected = services.models.inspect("wine-en:1", allow_unsandboxed=True)
        assert inspected.type == "ElasticNet" and inspected.flavor == "sklearn"
        assert inspected.params["alpha"] == 0.01
    x = np.random.default_rng(0).random((40, 3))[:10]
    for ref in ("wine-en", "wine-en:1", "models:/wine-en/1", f"runs:/{run_id}/model"):
        loaded = mlops_desktop.load_model(ref)
        np.testing.assert_array_equal(loaded.predict(x), expected)
    import mlops_desktop.sklearn as mlops_sklearn

    kept = tmp_path / "kept"
    assert mlops_sklearn.load_model("models:/wine-en/latest", dst_path=str(kept)) is not None
    assert read_description(kept)["flavor"] == "sklearn"
    with pytest.raises(ModelError, match="not pytorch"):
        mlops_desktop.load_model("wine-en", flavor="pytorch")


def test_registration_is_idempotent(
    logged_sklearn: tuple[str, np.ndarray], temp_home: Path
) -> None:
    from mlops_desktop.catalog.model_events import register_logged_model

    run_id, _ = logged_sklearn
    with Services.open(temp_home) as services:
        services.experiments.ingest()
        event = {"name": "model", "registered_model_name": "wine-en", "flavor": "sklearn"}
        with services.catalog.session_scope(write=True) as s:
            assert register_logged_model(s, run_id, event) is None
            missing = {**event, "name": "nothing-here"}
            assert "no artifacts under nothing-here/" in str(
                register_logged_model(s, run_id, missing)
            )
        assert [v.version for v in services.models.versions("wine-en")] == [1]


def test_signature_from_arrays_and_dicts() -> None:
    sig = infer_signature(np.zeros((4, 2), dtype=np.float32), np.zeros(4, dtype=np.int64))
    assert sig.inputs == [{"name": "0", "type": "float"}, {"name": "1", "type": "float"}]
    assert sig.outputs == [{"type": "long", "shape": [-1]}]
    sig = infer_signature({"age": np.array([1, 2]), "name": ["a", "b"], "w": 0.5})
    assert sig.columns() == [("age", "long"), ("name", "string"), ("w", "double")]
    images = infer_signature(np.zeros((8, 3, 32, 32), dtype=np.uint8))
    assert images.columns() == [("(tensor)", "integer [-1, 3, 32, 32]")]
    assert infer_signature([{"x": 1.0, "ok": True}]).columns() == [
        ("x", "double"),
        ("ok", "boolean"),
    ]


def test_signature_from_a_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"fixed acidity": [7.4, 7.8], "quality": [5, 6], "kind": ["red", "red"]})
    assert infer_signature(frame).columns() == [
        ("fixed acidity", "double"),
        ("quality", "long"),
        ("kind", "string"),
    ]


def test_files_flavor_and_bad_input(tmp_path: Path, temp_home: Path) -> None:
    (tmp_path / "vocab.txt").write_text("a\nb\n")
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.bin").write_bytes(b"\x00" * 10)
    with mlops_desktop.start_run(experiment="files") as run:
        info = mlops_desktop.log_model(
            [tmp_path / "vocab.txt", tmp_path / "weights"], "tok", registered_model_name="tok"
        )
        assert info.flavor == "files"
        with pytest.raises(ValueError, match=r"cannot tell the flavour of a builtins\.object"):
            run.log_model(object(), "x")
        with pytest.raises(ValueError, match="is not a model name"):
            run.log_model(tmp_path / "vocab.txt", "x", registered_model_name="bad name")
        with pytest.raises(FileNotFoundError, match="does not exist"):
            run.log_model(tmp_path / "missing.txt", "x")
    with Services.open(temp_home) as services:
        services.experiments.ingest()
        version = services.models.get("tok")
        assert sorted(f.path for f in version.files) == [
            "MLmodel",
            "requirements.txt",
            "vocab.txt",
            "weights/w.bin",
        ]
        inspected = services.models.inspect("tok", allow_unsandboxed=True)
        assert inspected.type == "files" and inspected.params["weights/w.bin"] == 10
    folder = mlops_desktop.load_model("tok", dst_path=tmp_path / "out")
    assert (folder / "vocab.txt").read_text() == "a\nb\n"


def test_cli_inspects_a_model_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    model = sklearn_linear.LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with mlops_desktop.start_run(experiment="cli") as run:
        run.log_model(model, "model", registered_model_name="lin", input_example=[[0.5]])
    with Services.open(Path(os.environ["MLOPS_DESKTOP_HOME"])) as services:
        services.experiments.ingest()
        folder = tmp_path / "folder"
        from mlops_desktop.services.model_uris import copy_files

        copy_files(services.home, list(services.models.get("lin").files), folder)
    capsys.readouterr()
    assert main(["models", "inspect", "--no-sandbox", "--json", str(folder)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["type"] == "LinearRegression" and doc["flavor"] == "sklearn"
    assert doc["model_description"]["signature"]["outputs"] == [{"type": "double", "shape": [-1]}]
    assert main(["models", "show", "lin"]) == 0
    shown = capsys.readouterr().out
    assert "flavour: sklearn" in shown and "loader: mlops_desktop.sklearn" in shown


def test_mlflow_yaml_description_is_read() -> None:
    text = textwrap.dedent(
        """
        artifact_path: model
        flavors:
          python_function:
            loader_module: mlflow.sklearn
            model_path: model.pkl
            python_version: 3.10.12
          sklearn:
            pickled_model: model.pkl
            serialization_format: cloudpickle
            sklearn_version: 1.3.0
        mlflow_version: 2.8.0
        signature:
          inputs: '[{"type": "double", "name": "fixed acidity", "required": true}]'
          outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
          params: null
        """
    )
    got = parse_description(text)
    assert got["flavor"] == "sklearn" and got["loader"] == "mlflow.sklearn"
    assert got["files"] == {"model": "model.pkl"} and got["python_version"] == "3.10.12"
    assert got["signature"]["inputs"] == [{"name": "fixed acidity", "type": "double"}]
    assert got["signature"]["outputs"][0]["shape"] == [-1]
