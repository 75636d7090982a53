"""Slurm submit to running: ``python tests/benchmarks/bench_slurm.py [--repeats N]``.

Times, for each of N jobs (default 5), from just before ``SlurmExecutor.start`` (the
``sbatch --parsable``) to the first timestamp the command itself prints on the node, and
prints the median (target: under 2 s on the local cluster). Uses the cluster in ``SLURM_CONF``
when one answers, else starts the test cluster of ``tests/slurm_fixture.py`` (needs root,
slurm-wlm and munge) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slurm_fixture import local_slurm, slurm_missing

from mlops_desktop.compute.slurm import SlurmExecutor
from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, RunSpec

TARGET_S = 2.0
CODE = "import time; print('T', time.time(), flush=True)"


@contextlib.contextmanager
def cluster() -> Iterator[None]:
    """A cluster to submit to: the environment's, or a fresh local test cluster."""
    if os.environ.get("SLURM_CONF"):
        proc = subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10)
        if proc.returncode == 0:
            yield
            return
    why = slurm_missing()
    if why is not None:
        raise SystemExit(f"cannot benchmark Slurm: {why}")
    with local_slurm() as conf:
        os.environ["SLURM_CONF"] = str(conf)
        yield


def submit_to_running(ex: SlurmExecutor) -> float:
    """Seconds from submit to the command's first printed timestamp."""
    run_id = uuid.uuid4().hex
    spool = ex.home / "spool" / run_id
    log = spool / "output.log"
    spec = RunSpec(command=[sys.executable, "-c", CODE], python=sys.executable)
    submitted = time.time()
    handle = ex.start(run_id, spec, None, spool)
    deadline = time.monotonic() + 60
    while True:
        text = log.read_text() if log.exists() else ""
        first = next((ln.split()[1] for ln in text.splitlines() if ln.startswith("T ")), None)
        if first is not None:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"job {handle['slurm_job_id']} never started: {ex.poll(handle)}")
        time.sleep(0.01)
    while ex.poll(handle)[0] not in TERMINAL_STATES:
        time.sleep(0.05)
    return float(first) - submitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, cluster():
        ex = SlurmExecutor(HostInfo(name="bench", kind="slurm", address="local"), Path(tmp))
        submit_to_running(ex)  # warm up: the first job after slurmd starts is slower
        times = [submit_to_running(ex) for _ in range(args.repeats)]
    median = statistics.median(times)
    each = ", ".join(f"{t:.2f}" for t in times)
    verdict = "ok" if median < TARGET_S else "SLOWER THAN TARGET"
    print(
        f"slurm submit to running: median {median:.2f} s ({each}); target < {TARGET_S} s: {verdict}"
    )


if __name__ == "__main__":
    main()
