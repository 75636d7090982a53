"""The ``mlops-desktop`` command line: one module per command group."""

from mlops_desktop.cli.main import main

__all__ = ["main"]
