"""Inspecting a model happens in another process, with a timeout; the app never unpickles."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_desktop.core.errors import ModelError
from mlops_desktop.models.inspect import inspect_model


class _RunsCode:
    """Unpickling this runs code that reports the unpickling process's pid."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, ("raise RuntimeError('pid %d' % __import__('os').getpid())",))


class _Sleeps:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (time.sleep, (60,))


def test_sklearn_model_type_and_params(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    sklearn_ensemble = pytest.importorskip("sklearn.ensemble")
    x = [[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 0.0], [2.0, 2.0, 0.0, 1.0], [3.0, 1.0, 1.0, 2.0]]
    model = sklearn_ensemble.RandomForestClassifier(n_estimators=7, max_depth=3, random_state=0)
    model.fit(x, [0, 1, 0, 1])
    folder = tmp_path / "model"
    folder.mkdir()
    joblib.dump(model, folder / "model.joblib")
    for target in (folder / "model.joblib", folder):
        got = inspect_model(target)
        assert got.type == "RandomForestClassifier"
        assert got.module.startswith("sklearn.ensemble")
        assert got.params["n_estimators"] == 7 and got.params["max_depth"] == 3
        assert got.summary == "RandomForestClassifier with 7 trees, 4 features, 2 classes"
        assert got.seconds > 0


def test_malicious_pickle_runs_only_in_the_child(tmp_path: Path) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_RunsCode()))
    with pytest.raises(ModelError, match=r"RuntimeError: pid \d+") as info:
        inspect_model(path)
    # The code ran, but in the child process: the pid that unpickled is not ours.
    assert int(str(info.value).rsplit(" ", 1)[1]) != os.getpid()


def test_child_reports_its_own_pid(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    out = subprocess.run(
        [sys.executable, "-m", "mlops_desktop.models.inspect_child", str(path)],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["type"] == "dict" and answer["pid"] != os.getpid()


def test_slow_load_is_stopped(tmp_path: Path) -> None:
    path = tmp_path / "slow.pkl"
    path.write_bytes(pickle.dumps(_Sleeps()))
    started = time.monotonic()
    with pytest.raises(ModelError, match="took longer than 2 s; it was stopped"):
        inspect_model(path, timeout_s=2)
    assert time.monotonic() - started < 10


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        inspect_model(tmp_path / "nope.joblib")


def test_unpickling_error_gives_the_childs_last_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"this is not a pickle")
    with pytest.raises(ModelError, match="could not be loaded: "):
        inspect_model(path)


def test_missing_library_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    # A pickle that needs a module nobody has.
    path.write_bytes(b"cno_such_library_xyz\nThing\n.")
    with pytest.raises(ModelError, match="No module named 'no_such_library_xyz'"):
        inspect_model(path)


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")
    with pytest.raises(ModelError, match=r"not a \.joblib, \.pkl, \.pickle, \.pt or \.pth file"):
        inspect_model(path)
