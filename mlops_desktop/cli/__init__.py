"""The ``mlops-desktop`` command line: one module per command group, assembled in ``main``.

``main`` is the console script's entry point (``mlops_desktop.cli:main``). When the command
opens the app and an app already runs on the same home, it hands over to that app and returns
before the command groups (SQLAlchemy, the catalog, Qt's widgets) are imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mlops-desktop``; returns the exit status."""
    from mlops_desktop.cli.gui_start import hand_over_early

    args = list(sys.argv[1:] if argv is None else argv)
    handed_over = hand_over_early(args)
    if handed_over is not None:
        return handed_over
    from mlops_desktop.cli.main import main as run_command_line

    return run_command_line(args)


__all__ = ["main"]
