"""The patching under autologging: undoable wrappers, hooks on later imports, the fit guard."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mlops_desktop.tracking.autolog import patching
from mlops_desktop.tracking.autolog.session import loggable_params

FLAVOR = "test-flavor"


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package ``autolog_fake_pkg`` with a module ``models`` defining ``Model``."""
    package = tmp_path / "autolog_fake_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        "class Model:\n    def fit(self):\n        return 'fitted'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "autolog_fake_pkg"
    patching.unpatch_all(FLAVOR)
    for name in [n for n in sys.modules if n.startswith("autolog_fake_pkg")]:
        del sys.modules[name]


def test_a_module_imported_later_is_handed_over_once_executed(fake_package: str) -> None:
    seen: list[tuple[str, bool]] = []

    def callback(module: ModuleType) -> None:
        seen.append((module.__name__, hasattr(module, "Model")))

    patching.on_import(FLAVOR, lambda name: name == f"{fake_package}.models", callback)
    assert seen == []
    import autolog_fake_pkg.models as models  # type: ignore[import-not-found]

    assert seen == [(f"{fake_package}.models", True)]
    assert type(models.__loader__).__name__ == "SourceFileLoader"  # the real loader is kept
    assert models.__spec__.loader is models.__loader__

    seen.clear()
    patching.on_import(FLAVOR, lambda name: name == f"{fake_package}.models", callback)
    assert seen == [(f"{fake_package}.models", True)]  # already imported: at once

    patching.unpatch_all(FLAVOR)
    assert not any(type(f).__name__ == "_PostImportFinder" for f in sys.meta_path)


def test_a_failing_hook_warns_and_the_import_goes_on(fake_package: str) -> None:
    def callback(module: ModuleType) -> None:
        raise LookupError("nothing to patch")

    patching.on_import(FLAVOR, lambda name: name.startswith(fake_package), callback)
    with pytest.warns(UserWarning, match="could not patch autolog_fake_pkg: LookupError"):
        import autolog_fake_pkg  # type: ignore[import-not-found]  # noqa: F401
    assert "autolog_fake_pkg" in sys.modules


def test_patch_and_unpatch_restore_own_and_inherited_methods() -> None:
    class Base:
        def fit(self) -> str:
            return "base"

    class Child(Base):
        pass

    class Own(Base):
        def fit(self) -> str:
            return "own"

    own_fit = Own.__dict__["fit"]

    def loud(original: Any) -> Any:
        def fit(self: Any) -> str:
            return "patched " + original(self)

        return fit

    try:
        assert patching.patch_method(FLAVOR, Child, "fit", loud)
        assert patching.patch_method(FLAVOR, Own, "fit", loud)
        assert not patching.patch_method(FLAVOR, Own, "fit", loud)  # never wrapped twice
        assert patching.patched_count(FLAVOR) == 2
        assert Child().fit() == "patched base" and Own().fit() == "patched own"
        assert Base().fit() == "base"
        assert patching.is_wrapper(Child.__dict__["fit"])
    finally:
        patching.unpatch_all(FLAVOR)
    assert "fit" not in Child.__dict__ and Child().fit() == "base"
    assert Own.__dict__["fit"] is own_fit
    assert patching.patched_count(FLAVOR) == 0


def test_only_the_outermost_call_of_the_guard_logs() -> None:
    guard = patching.FitGuard()
    with guard.enter() as outer, guard.enter() as inner:
        assert outer and not inner
    with guard.enter() as again:
        assert again


def test_params_are_cut_to_mlflows_limits_and_objects_become_text() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing()"

    params = loggable_params({"k" * 300: 1, "long": "x" * 7000, "obj": Thing(), "none": None})
    assert params == {"k" * 250: 1, "long": "x" * 6000, "obj": "thing()", "none": None}


def test_importing_mlops_desktop_imports_no_framework() -> None:
    code = (
        "import sys, mlops_desktop; mlops_desktop.autolog(); "
        "print(sorted(m for m in ('sklearn', 'torch', 'lightning', 'keras', 'numpy') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
