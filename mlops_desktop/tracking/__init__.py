"""The training-side tracking client: standard library only, so it ships to any host.

``start_run`` returns a :class:`Run` that buffers what a script logs and writes it to the
run's spool from a background thread; see :mod:`mlops_desktop.tracking.spool` for the format.
"""

from __future__ import annotations

from mlops_desktop.tracking.run import Run
from mlops_desktop.tracking.start import active_run, start_run

__all__ = ["Run", "active_run", "start_run"]
