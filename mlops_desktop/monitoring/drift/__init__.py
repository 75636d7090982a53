"""Data drift: tables, per-column tests chosen from the reference and frozen, reference
summaries that spare rereading the reference, and the charts' distributions. No Qt, no catalog.

See docs/drift.md for the methods, their defaults and the approximations.
"""

from mlops_desktop.monitoring.drift.compare import compare_exact
from mlops_desktop.monitoring.drift.distribution import column_distribution
from mlops_desktop.monitoring.drift.methods import plan_columns
from mlops_desktop.monitoring.drift.summary import ReferenceSummary, compare, summarize
from mlops_desktop.monitoring.drift.table import Table, read_table

__all__ = [
    "ReferenceSummary",
    "Table",
    "column_distribution",
    "compare",
    "compare_exact",
    "plan_columns",
    "read_table",
    "summarize",
]
