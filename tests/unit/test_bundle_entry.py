"""The bundled program's entry: ``-m``/``-c`` like a Python, else the command line; and where
child Pythons find the tracking package when the app is frozen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlops_desktop
from mlops_desktop.tracking import package_root as package_root_module
from mlops_desktop.tracking.package_root import BUNDLE_PYTHON_DIRNAME, package_root

ENTRY = [sys.executable, "-m", "mlops_desktop.bundle_entry"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRY, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_dash_m_runs_a_module_as_main_with_pythons_argv(tmp_path: Path) -> None:
    (tmp_path / "echo_argv.py").write_text(
        "import json, sys\nprint(json.dumps([__name__, sys.argv]))\n", encoding="utf-8"
    )
    done = _run("-u", "-m", "echo_argv", "a", "--flag", env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    name, argv = json.loads(done.stdout)
    assert name == "__main__"
    assert argv == [str(tmp_path / "echo_argv.py"), "a", "--flag"]


def test_dash_m_passes_the_modules_exit_status(tmp_path: Path) -> None:
    (tmp_path / "fails.py").write_text("raise SystemExit(7)\n", encoding="utf-8")
    assert _run("-m", "fails", env={"PYTHONPATH": str(tmp_path)}).returncode == 7


def test_dash_m_mlops_desktop_is_the_command_line() -> None:
    """The form the first-run demo uses: ``sys.executable -m mlops_desktop ...``."""
    done = _run("-m", "mlops_desktop", "--version")
    assert done.returncode == 0, done.stderr
    assert mlops_desktop.__version__ in done.stdout


def test_dash_c_runs_code_with_its_arguments() -> None:
    done = _run("-c", "import sys; print(sys.argv[1:])", "x", "y")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['x', 'y']"


def test_a_script_runs_as_main_with_its_folder_on_the_path(tmp_path: Path) -> None:
    """The demo pipeline's stages run ``sys.executable train.py``: in the bundle, this program."""
    (tmp_path / "helper_mod.py").write_text("VALUE = 7\n", encoding="utf-8")
    (tmp_path / "train.py").write_text(
        "import json, sys\nimport helper_mod\n"
        "print(json.dumps([__name__, sys.argv, helper_mod.VALUE]))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [*ENTRY, "train.py", "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["__main__", ["train.py", "--epochs", "2"], 7]


def test_anything_else_is_the_command_line(temp_home: Path) -> None:
    done = _run("--home", str(temp_home), "runs", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_python_flag_without_m_or_c_is_refused_in_one_sentence() -> None:
    done = _run("-u", "script.py")
    assert done.returncode == 2
    assert "is not a command" in done.stderr
    assert "Traceback" not in done.stderr


def test_package_root_from_source_holds_the_package() -> None:
    root = Path(package_root())
    assert (root / "mlops_desktop" / "__init__.py").is_file()
    assert Path(mlops_desktop.__file__).resolve().parent == root / "mlops_desktop"


def test_package_root_when_frozen_is_the_bundles_python_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = tmp_path / "mlops-desktop" / "mlops-desktop"
    program.parent.mkdir()
    program.write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(program))
    assert package_root_module.is_frozen()
    assert package_root() == str(program.parent / BUNDLE_PYTHON_DIRNAME)
