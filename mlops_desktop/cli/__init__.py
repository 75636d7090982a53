"""The ``mlops-desktop`` command line: one module per command group, assembled in ``main``.

``main`` is the console script's entry point (``mlops_desktop.cli:main``).
"""

from mlops_desktop.cli.main import main

__all__ = ["main"]
