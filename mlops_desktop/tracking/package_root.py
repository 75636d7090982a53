"""The folder to put on a child Python's ``PYTHONPATH`` so that ``import mlops_desktop`` works.

From a source tree or a pip install, that is the folder holding the ``mlops_desktop`` package.
From the bundled app (PyInstaller sets ``sys.frozen``), it is the bundle's ``python`` folder,
which holds the pure-Python package and nothing else: the bundle's own compiled libraries
(numpy, Qt, ...) are built for the bundle's interpreter and must not reach the user's Python.
"""

from __future__ import annotations

import sys
from pathlib import Path

BUNDLE_PYTHON_DIRNAME = "python"


def is_frozen() -> bool:
    """True inside the bundled app, where ``sys.executable`` is the app's own program."""
    return bool(getattr(sys, "frozen", False))


def package_root() -> str:
    """The folder holding an importable ``mlops_desktop`` package for other Pythons."""
    if is_frozen():
        return str(Path(sys.executable).resolve().parent / BUNDLE_PYTHON_DIRNAME)
    return str(Path(__file__).resolve().parents[2])
