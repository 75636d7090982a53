"""The processes of one machine: who uses its CPUs, memory and GPUs, and for which run.

Rows are :class:`ProcessSample`. :meth:`ProcessesTableModel.update_processes` refreshes the
rows in place while the same processes run (a selection and a sort survive the every-second
update) and resets only when processes come or go.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from mlops_desktop.core.hardware import ProcessSample
from mlops_desktop.ui.formatting import human_bytes, short_id
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

COL_PID = 0
COL_USER = 1
COL_COMMAND = 2
COL_CPU = 3
COL_RAM = 4
COL_GPU_MEMORY = 5
COL_SM = 6
COL_RUN = 7
HEADERS = ("PID", "User", "Command", "CPU %", "RAM", "GPU memory", "SM %", "Run")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


class ProcessesTableModel(RowsTableModel[ProcessSample]):
    """See the module docstring. Every row is shown at once (no batches)."""

    HEADERS = HEADERS
    NUMERIC_COLUMNS = frozenset({COL_PID, COL_CPU, COL_RAM, COL_GPU_MEMORY, COL_SM})
    BATCH = 1 << 30

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run_names: dict[str, str] = {}

    def update_processes(
        self,
        processes: tuple[ProcessSample, ...] | list[ProcessSample],
        run_names: dict[str, str] | None = None,
    ) -> None:
        """Show ``processes`` (``run_names``: names of their runs by id); in place when they
        are the same pids as now."""
        self._run_names = dict(run_names or {})
        rows = sorted(processes, key=lambda p: p.pid)
        if [p.pid for p in rows] != [p.pid for p in self._rows]:
            self.set_rows(rows)
            return
        changed = [i for i, (old, new) in enumerate(zip(self._rows, rows)) if old != new]
        self._rows = rows
        if changed:
            last = len(HEADERS) - 1
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))

    def row_of(self, pid: int) -> int | None:
        for row, proc in enumerate(self._rows):
            if proc.pid == pid:
                return row
        return None

    # --- RowsTableModel hooks ------------------------------------------------------------
    def display(self, item: ProcessSample, column: int) -> str:
        if column == COL_PID:
            return str(item.pid)
        if column == COL_USER:
            return item.user
        if column == COL_COMMAND:
            return item.command
        if column == COL_CPU:
            return _percent(item.cpu_percent)
        if column == COL_RAM:
            return "—" if item.rss is None else human_bytes(item.rss)
        if column == COL_GPU_MEMORY:
            return "—" if item.gpu_memory is None else human_bytes(item.gpu_memory)
        if column == COL_SM:
            return _percent(item.sm_share)
        if not item.run:
            return ""
        name = self._run_names.get(item.run)
        return f"{name} ({short_id(item.run)})" if name else short_id(item.run)

    def sort_value(self, item: ProcessSample, column: int) -> object:
        numbers = {
            COL_PID: item.pid,
            COL_CPU: item.cpu_percent,
            COL_RAM: item.rss,
            COL_GPU_MEMORY: item.gpu_memory,
            COL_SM: item.sm_share,
        }
        if column in numbers:
            value = numbers[column]
            return -1.0 if value is None else float(value)
        return self.display(item, column)

    def tooltip(self, item: ProcessSample, column: int) -> str | None:
        if column == COL_COMMAND:
            return item.command
        if column == COL_RUN and item.run:
            return f"Run {item.run}: double-click to open it"
        if column == COL_GPU_MEMORY and item.gpus:
            return "GPUs " + ", ".join(str(g) for g in item.gpus)
        return None
