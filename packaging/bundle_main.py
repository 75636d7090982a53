"""The bundled program's script (PyInstaller freezes this file): see mlops_desktop.bundle_entry.

Before anything imports Qt: pyqtgraph imports ``PySide6.QtOpenGL`` when its curve module loads,
but uses it only to draw with OpenGL (``useOpenGL``), which the app never turns on. The bundle
leaves that 9 MB binding out and puts a module in its place that says so when it is used.
"""

import sys
import types


class _LeftOutOfBundle(types.ModuleType):
    """A module the bundle leaves out: importing works, using any of its names says why not."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"{self.__name__}.{name}: {self.__name__} is not in the MLOps Desktop bundle "
            "(OpenGL drawing of charts is not used); run the app from its Python package "
            "to use it"
        )


sys.modules.setdefault("PySide6.QtOpenGL", _LeftOutOfBundle("PySide6.QtOpenGL"))

from mlops_desktop.bundle_entry import main  # noqa: E402

raise SystemExit(main())
