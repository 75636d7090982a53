"""How ``drift`` prints a report: ``report_document`` with ``--json``, else a table."""

from __future__ import annotations

from mlops_desktop.cli.output import printable, short_value, text_table
from mlops_desktop.core.drift import DriftReport
from mlops_desktop.core.plural import count_noun


def report_text(report: DriftReport) -> str:
    """A line per column (method, statistic, p-value, threshold, effect, verdict), then the
    dataset's verdict and any problems."""
    rows = [["COLUMN", "KIND", "METHOD", "STATISTIC", "P-VALUE", "THRESHOLD", "EFFECT", "DRIFT"]]
    for c in report.columns:
        verdict = ("DRIFT" if c.drifted else "no") if c.problem is None else f"- ({c.problem})"
        if c.problem is not None and c.statistic is not None:
            verdict = f"{'DRIFT' if c.drifted else 'no'} ({c.problem})"
        rows.append(
            [
                c.column,
                c.kind,
                c.method,
                "-" if c.statistic is None else short_value(c.statistic),
                "-" if c.p_value is None else short_value(c.p_value),
                short_value(c.threshold),
                "-" if c.effect_size is None else short_value(c.effect_size),
                verdict,
            ]
        )
    tested = [c for c in report.columns if c.statistic is not None]
    drifted = sum(c.drifted for c in tested)
    verdict = "Dataset drift" if report.dataset_drift else "No dataset drift"
    lines = [
        text_table(rows),
        "",
        f"{verdict}: {drifted} of {count_noun(len(tested), 'column')} drifted "
        f"({report.drift_share:.0%}); "
        f"reference {count_noun(report.reference_rows, 'row')}, "
        f"current {count_noun(report.current_rows, 'row')}.",
    ]
    lines += [f"note: {printable(problem)}" for problem in report.problems]
    return "\n".join(lines)
