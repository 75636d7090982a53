"""What a Slurm cluster offers: partitions, nodes and their GPUs (for the launch dialog).

Read from ``sinfo -h -o "%P|%D|%G|%t"`` and ``scontrol -o -d show node``; works without
accounting. :class:`SlurmInfo` is the read-only half of the Slurm executor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mlops_desktop.compute.slurm_problems import slurm_problem
from mlops_desktop.core.errors import SlurmNotAnswering

Runner = Callable[..., tuple[int, str, str]]

_GPU_GRES = re.compile(r"gpu(?::[^:(,\s]+)?:(\d+)")
_GPU_IDX = re.compile(r"gpu(?::[^:(,\s]+)?:\d+\(IDX:([^)]*)\)")


def gpu_count(gres: str) -> int:
    """GPUs in a gres string such as ``gpu:2``, ``gpu:a100:4(S:0-1)`` or ``(null)``."""
    return sum(int(m.group(1)) for m in _GPU_GRES.finditer(gres))


def gpu_indices(gres_used: str) -> list[int]:
    """Indices in use from ``GresUsed`` such as ``gpu:2(IDX:0-1)`` or ``gpu:1(IDX:0,3)``.

    Slurm shows indices only where it tracks them (``scontrol -d``, typed or file-backed gres);
    an empty list means "not reported", not "none in use".
    """
    indices: list[int] = []
    for match in _GPU_IDX.finditer(gres_used):
        for part in match.group(1).split(","):
            lo, _, hi = part.partition("-")
            if lo.isdigit():
                indices += range(int(lo), int(hi or lo) + 1) if (hi or lo).isdigit() else []
    return sorted(set(indices))


def _fields(line: str) -> dict[str, str]:
    """``Key=Value`` pairs of one ``scontrol -o`` line (values may hold spaces after ``=``)."""
    return dict(re.findall(r"(\w+)=(\S*)", line))


class SlurmInfo:
    """Reads partitions, nodes and GPUs through a command runner."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def _check(self, argv: list[str]) -> str:
        rc, out, err = self.runner(argv)
        if rc != 0:
            cluster = getattr(self, "cluster", None)
            where = cluster.name if cluster is not None else "this machine"
            raw = (err or out).strip()
            raise SlurmNotAnswering(slurm_problem(where, argv[0], raw, rc), raw)
        return str(out)

    def cluster_info(self) -> dict[str, Any]:
        """Partitions, node count and GPU count of the cluster.

        Returns:
            ``{"partitions": [{"name", "default", "nodes", "gpus", "states": {state: nodes}}],
            "nodes": N, "gpus": G}``; nodes in several partitions count once per partition
            there, once in the totals.
        """
        out = self._check(["sinfo", "-h", "-o", "%P|%D|%G|%t"])
        partitions: dict[str, dict[str, Any]] = {}
        for line in out.strip().splitlines():
            parts = line.split("|")
            if len(parts) != 4 or not parts[1].strip().isdigit():
                continue
            name, nodes_s, gres, state = (p.strip() for p in parts)
            default = name.endswith("*")
            name = name.rstrip("*")
            nodes = int(nodes_s)
            entry = partitions.setdefault(
                name, {"name": name, "default": False, "nodes": 0, "gpus": 0, "states": {}}
            )
            entry["default"] = entry["default"] or default
            entry["nodes"] += nodes
            entry["gpus"] += nodes * gpu_count(gres)
            entry["states"][state] = entry["states"].get(state, 0) + nodes
        node_list = self.node_gpus()
        return {
            "partitions": list(partitions.values()),
            "nodes": len(node_list),
            "gpus": sum(n["gpus"] for n in node_list),
        }

    def node_gpus(self) -> list[dict[str, Any]]:
        """Each node's GPUs and how many are allocated.

        Returns:
            ``[{"node", "state", "partitions", "gpus", "gpus_used", "used_indices"}]``.
        """
        out = self._check(["scontrol", "-o", "-d", "show", "node"])
        nodes = []
        for line in out.strip().splitlines():
            f = _fields(line)
            if "NodeName" not in f:
                continue
            used = f.get("GresUsed", "")
            alloc = re.search(r"gres/gpu=(\d+)", f.get("AllocTRES", ""))
            indices = gpu_indices(used)
            nodes.append(
                {
                    "node": f["NodeName"],
                    "state": f.get("State", "").lower(),
                    "partitions": [p for p in f.get("Partitions", "").split(",") if p],
                    "gpus": gpu_count(f.get("Gres", "")),
                    "gpus_used": int(alloc.group(1)) if alloc else gpu_count(used),
                    "used_indices": indices,
                }
            )
        return nodes
