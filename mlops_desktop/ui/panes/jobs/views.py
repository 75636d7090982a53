"""The Jobs pane's table view and the log source of its log view."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.item_models import jobs_table as jt

COLUMN_WIDTHS = {
    jt.COL_STATE: 105,
    jt.COL_RUN: 200,
    jt.COL_TARGET: 110,
    jt.COL_SUBMITTED: 140,
    jt.COL_ELAPSED: 70,
    jt.COL_EXIT: 45,
    jt.COL_GPUS: 50,
    jt.COL_CPU: 55,
    jt.COL_RAM: 70,
    jt.COL_GPU_USE: 90,
}


def jobs_table_view(model: jt.JobsTableModel) -> QTableView:
    """The jobs table: one selected row, the command taking what is left."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(jt.COL_COMMAND, QHeaderView.ResizeMode.Stretch)
    for column, width in COLUMN_WIDTHS.items():
        view.setColumnWidth(column, width)
    return view


class JobLogSource:
    """Adapts ``JobService.logs`` (remote logs are mirrored first) to the LogView's reader."""

    def __init__(self, service: JobService) -> None:
        self._service = service

    def read_log(self, run_id: str, offset: int, max_bytes: int) -> tuple[str, int]:
        return self._service.logs(run_id, offset)
