"""Patching for autologging: wrapped methods that can be undone, and hooks on later imports.

* :func:`patch_method` replaces ``cls.name`` by a wrapper and remembers what was there, so
  :func:`unpatch_all` puts it back (or removes the attribute where it was inherited).
* :func:`on_import` runs a callback on a module as soon as it has been imported (now, when it
  already is), so ``autolog()`` can be called before ``import sklearn``, and estimator modules
  imported later are patched as they arrive: no framework is imported by autolog itself.
* :class:`FitGuard` tells a top-level fit from the inner fits of meta-estimators, process-wide
  (a joblib threading backend fits the inner estimators on other threads).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

ORIGINAL_ATTR = "__mlops_autolog_original__"
"""Set on every wrapper: the function it wraps."""

_MISSING = object()
_lock = threading.RLock()
_patched: dict[str, list[tuple[type, str, Any]]] = {}  # flavour -> (class, name, old __dict__)
_hooks: dict[str, tuple[Callable[[str], bool], Callable[[ModuleType], None]]] = {}


def is_wrapper(function: Any) -> bool:
    """Whether ``function`` is a wrapper made by autolog."""
    return getattr(function, ORIGINAL_ATTR, None) is not None


def patch_method(flavor: str, cls: type, name: str, make_wrapper: Callable[[Any], Any]) -> bool:
    """Set ``cls.name`` to ``make_wrapper(original)``; False when it is already wrapped.

    ``original`` is what ``cls.name`` resolves to now (its own or an inherited function).
    """
    with _lock:
        own = cls.__dict__.get(name, _MISSING)
        if own is not _MISSING and is_wrapper(own):
            return False
        original = getattr(cls, name)
        wrapper = make_wrapper(original)
        setattr(wrapper, ORIGINAL_ATTR, original)
        setattr(cls, name, wrapper)
        _patched.setdefault(flavor, []).append((cls, name, own))
        return True


def unpatch_all(flavor: str) -> None:
    """Undo every :func:`patch_method` of ``flavor`` and drop its import hooks."""
    with _lock:
        for cls, name, old in reversed(_patched.pop(flavor, [])):
            if old is _MISSING:
                if name in cls.__dict__:
                    delattr(cls, name)
            else:
                setattr(cls, name, old)
        _hooks.pop(flavor, None)
        if not _hooks:
            _remove_finder()


def patched_count(flavor: str) -> int:
    """How many methods ``flavor`` has wrapped."""
    with _lock:
        return len(_patched.get(flavor, []))


def on_import(
    flavor: str, wanted: Callable[[str], bool], callback: Callable[[ModuleType], None]
) -> None:
    """Call ``callback(module)`` for every module whose name ``wanted`` accepts: those already
    imported at once, the others right after they are imported.

    A flavour has one hook: a second call replaces the first. A callback that raises is
    turned into a warning: it never breaks the user's import.
    """
    with _lock:
        _hooks[flavor] = (wanted, callback)
        _install_finder()
        present = [m for n, m in list(sys.modules.items()) if wanted(n) and m is not None]
    for module in present:
        _call(callback, module)


def _call(callback: Callable[[ModuleType], None], module: ModuleType) -> None:
    try:
        callback(module)
    except Exception as exc:
        warnings.warn(
            f"mlops_desktop autolog could not patch {module.__name__}: {type(exc).__name__}: {exc}",
            UserWarning,
            stacklevel=2,
        )


def _notify(module: ModuleType) -> None:
    name = module.__name__
    with _lock:
        callbacks = [callback for wanted, callback in _hooks.values() if wanted(name)]
    for callback in callbacks:
        _call(callback, module)


class _NotifyingLoader(importlib.abc.Loader):
    """A loader that runs the real one, then tells the hooks; the module keeps the real one."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _notify(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: finds wanted modules through the other finders and wraps
    their loader in a :class:`_NotifyingLoader`."""

    def __init__(self) -> None:
        self._busy = threading.local()

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        with _lock:
            wanted = any(w(fullname) for w, _ in _hooks.values())
        if not wanted or getattr(self._busy, "active", False):
            return None
        self._busy.active = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.active = False
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        spec.loader = _NotifyingLoader(loader)
        return spec


_finder: _PostImportFinder | None = None


def _install_finder() -> None:
    global _finder
    if _finder is None:
        _finder = _PostImportFinder()
        sys.meta_path.insert(0, _finder)


def _remove_finder() -> None:
    global _finder
    if _finder is not None:
        try:
            sys.meta_path.remove(_finder)
        except ValueError:
            pass
        _finder = None


class FitGuard:
    """Process-wide depth of patched calls: only the outermost one logs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0

    @contextmanager
    def enter(self) -> Iterator[bool]:
        """Yields True for the outermost call, False for calls made inside it."""
        with self._lock:
            self._depth += 1
            outermost = self._depth == 1
        try:
            yield outermost
        finally:
            with self._lock:
                self._depth -= 1
