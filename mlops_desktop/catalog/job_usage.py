"""The latest hardware sample of jobs' runs, in one query over ``metric_latest``.

Launched runs log ``sys/cpu_percent``, ``sys/rss_mb`` and per GPU ``sys/gpu<i>_util`` and
``sys/gpu<i>_mem_mb`` (see :mod:`mlops_desktop.tracking.sampler`); the jobs view shows their
latest values without reading any chunk.
"""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.schema import MetricLatestRow, RunRow
from mlops_desktop.core.compute import JobUsage

_GPU_KEY = re.compile(r"sys/gpu(\d+)_(util|mem_mb)")


def jobs_usage(s: Session, run_ids: list[str]) -> dict[str, JobUsage]:
    """Run name and latest CPU, RAM and GPU use per run id (runs not in the catalog yet are
    left out)."""
    if not run_ids:
        return {}
    names = dict(s.execute(select(RunRow.id, RunRow.name).where(RunRow.id.in_(run_ids))).all())
    m = MetricLatestRow
    rows = s.execute(
        select(m.run_id, m.key, m.value, m.timestamp).where(
            m.run_id.in_(run_ids),
            or_(
                m.key.in_(("sys/cpu_percent", "sys/rss_mb")),
                m.key.like("sys/gpu%_util"),
                m.key.like("sys/gpu%_mem_mb"),
            ),
        )
    ).all()
    values: dict[str, dict[str, float]] = {}
    sampled: dict[str, float] = {}
    for run_id, key, value, at in rows:
        if value is not None:
            values.setdefault(run_id, {})[key] = float(value)
            sampled[run_id] = max(sampled.get(run_id, 0.0), float(at))
    out: dict[str, JobUsage] = {}
    for run_id, name in names.items():
        found = values.get(run_id, {})
        utils = [v for k, v in found.items() if (g := _GPU_KEY.fullmatch(k)) and g[2] == "util"]
        mems = [v for k, v in found.items() if (g := _GPU_KEY.fullmatch(k)) and g[2] == "mem_mb"]
        out[run_id] = JobUsage(
            run_name=name or "",
            cpu_percent=found.get("sys/cpu_percent"),
            rss_mb=found.get("sys/rss_mb"),
            gpu_util=sum(utils) / len(utils) if utils else None,
            gpu_mem_mb=sum(mems) if mems else None,
            sampled_at=sampled.get(run_id),
        )
    return out
