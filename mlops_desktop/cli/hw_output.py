"""How ``hw`` prints a machine: one JSON document, or a few lines a person reads like nvitop.

The document is :func:`mlops_desktop.core.hardware.host_document` plus, per process and per GPU
lease, the run's name (``run_name``) when the app knows it.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.cli.output import human_bytes, text_table
from mlops_desktop.core.errors import HostError
from mlops_desktop.core.hardware import HostSample, HostUpdate, host_document
from mlops_desktop.core.plural import count_noun

PROCESSES_SHOWN = 15
COMMAND_SHOWN = 48


def sample_document(sample: HostSample) -> dict[str, Any]:
    doc = host_document(sample)
    names: dict[str, str] = sample.extra.get("run_names", {})
    for proc in doc["processes"]:
        proc["run_name"] = names.get(proc["run"]) if proc["run"] else None
    for gpu in doc["gpus"]:
        if gpu["lease"] is not None:
            gpu["lease"]["run_name"] = names.get(gpu["lease"]["run"])
    return doc


def problem_document(host: str, problem: str, when: float | None = None) -> dict[str, Any]:
    """A machine that gave no sample: ``{host, error}`` (and ``time`` while watching)."""
    doc: dict[str, Any] = {"host": host, "error": problem}
    if when is not None:
        doc["time"] = when
    return doc


def all_document(results: list[HostSample | HostError]) -> list[dict[str, Any]]:
    return [
        sample_document(r) if isinstance(r, HostSample) else problem_document(_host(r), str(r))
        for r in results
    ]


def _host(error: HostError) -> str:
    """The machine an error of ``sample_all`` is about: it starts with "NAME: " (a Slurm node's
    name, ``slurm:CLUSTER/NODE``, has a colon of its own)."""
    said = str(error)
    return said.split(": ", 1)[0] if ": " in said else "?"


def update_document(update: HostUpdate) -> dict[str, Any] | None:
    """What ``hw --watch --json`` prints for an update (None: nothing to print)."""
    if update.sample is not None:
        return sample_document(update.sample)
    if update.problem:
        return problem_document(update.host, update.problem, update.time)
    return None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} %"


def _gib(value: int | None) -> str:
    return "-" if value is None else f"{value / (1 << 30):.1f}"


def _gpu_line(gpu: Any, names: dict[str, str]) -> str:
    parts = [f"GPU {gpu.index}", gpu.name, f"util {_pct(gpu.util)}"]
    parts.append(f"mem {_gib(gpu.memory_used)}/{_gib(gpu.memory_total)} GiB")
    if gpu.temperature is not None:
        parts.append(f"{gpu.temperature:.0f} °C")
    if gpu.power is not None:
        limit = f"/{gpu.power_limit:.0f}" if gpu.power_limit is not None else ""
        parts.append(f"{gpu.power:.0f}{limit} W")
    if gpu.energy_j is not None:
        parts.append(f"energy {gpu.energy_j / 3600:.1f} Wh ({gpu.energy_source or 'counter'})")
    if gpu.lease is not None:
        who = names.get(gpu.lease.run) or gpu.lease.run[:12]
        parts.append(f"leased to {who}" + (f" ({gpu.lease.user})" if gpu.lease.user else ""))
    if gpu.unsupported:
        parts.append("not reported: " + ", ".join(gpu.unsupported))
    return "  ".join(parts)


def sample_text(sample: HostSample) -> str:
    """A machine in a dozen lines: CPU and memory, each GPU, the busiest processes."""
    names: dict[str, str] = sample.extra.get("run_names", {})
    title = sample.host + (f" ({sample.hostname})" if sample.hostname else "")
    if sample.demo:
        title += "  [demo data]"
    n_cores = len(sample.cpu_per_core)
    cores = count_noun(n_cores, "core") if n_cores else "? cores"
    head = [
        title,
        f"  CPU {_pct(sample.cpu_percent)} of {cores}",
    ]
    if sample.load is not None:
        head[-1] += f"  load {sample.load[0]:.2f}"
    if sample.memory_total:
        head[-1] += f"  RAM {_gib(sample.memory_used)}/{_gib(sample.memory_total)} GiB"
    lines = head + ["  " + _gpu_line(g, names) for g in sample.gpus]
    if not sample.gpus:
        lines.append("  no GPU")
    procs = sorted(sample.processes, key=lambda p: -(p.gpu_memory or 0) - (p.cpu_percent or 0))
    if procs:
        rows = [["PID", "USER", "CPU", "RAM", "GPU MEM", "SM", "RUN", "COMMAND"]]
        for p in procs[:PROCESSES_SHOWN]:
            rows.append(
                [
                    str(p.pid),
                    p.user[:12],
                    "-" if p.cpu_percent is None else f"{p.cpu_percent:.0f}%",
                    "-" if p.rss is None else human_bytes(p.rss),
                    "-" if p.gpu_memory is None else human_bytes(p.gpu_memory),
                    "-" if p.sm_share is None else f"{p.sm_share:.0f}%",
                    (names.get(p.run) or p.run[:12]) if p.run else "",
                    p.command[:COMMAND_SHOWN],
                ]
            )
        lines += ["  " + line for line in text_table(rows).splitlines()]
    return "\n".join(lines)


def all_text(results: list[HostSample | HostError]) -> str:
    return "\n\n".join(
        sample_text(r) if isinstance(r, HostSample) else f"{r} (no sample)" for r in results
    )
