"""Benchmark: what a pipeline run costs beyond the work of its stages.

Usage::

    python tests/benchmarks/bench_pipeline_run.py [--stages 20] [--trivial 10] [--repeat 3]
        [--data-files N]

It makes a temp home and two small pipelines of shell stages, then measures:

1. a fully cached run of a ``--stages``-stage chain (after one real run): the median of
   ``--repeat`` ``PipelineService.run`` calls, each hashing every dep and out, writing the
   pipeline run, its parent run and a row per stage. Target <= 2 s.
2. a stage's own overhead beyond the launcher's: ``--trivial`` independent trivial stages run
   one at a time (``parallel: 1``, all forced), minus the same commands launched directly with
   ``JobService.launch`` and waited for, divided by the number of stages. Target <= 200 ms.
   With ``--data-files N`` the trivial pipeline's folder also holds N data files (in folders of
   5,000), which the check that a stage wrote nothing undeclared looks at around every stage.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlops_desktop.core.compute import TERMINAL_STATES, RunSpec
from mlops_desktop.services.bundle import Services

TARGET_CACHED_S = 2.0
TARGET_OVERHEAD_S = 0.2
WAIT_POLL_S = 0.02  # the direct launches are polled at least as often as the runner polls


def chain(root: Path, stages: int) -> Path:
    """A chain: stage NN reads the out of stage NN-1 and writes out/sNN.txt."""
    lines = ["name: chain", "stages:"]
    for s in range(stages):
        prev = f"out/s{s - 1:02d}.txt"
        cmd = f"mkdir -p out && (cat {prev} 2>/dev/null; echo {s}) > out/s{s:02d}.txt"
        lines += [f"  s{s:02d}:", f"    cmd: {cmd}", f"    outs: [out/s{s:02d}.txt]"]
        if s:
            lines.append(f"    deps: [{prev}]")
    root.mkdir(parents=True)
    (root / "pipeline.yaml").write_text("\n".join(lines) + "\n")
    return root


def trivial(root: Path, stages: int, data_files: int = 0) -> tuple[Path, list[str]]:
    """Independent stages, one at a time, each writing one small file (beside ``data_files``
    files of data)."""
    commands = [f"echo {i} > t{i:02d}.txt" for i in range(stages)]
    lines = ["name: trivial", "parallel: 1", "stages:"]
    for i, cmd in enumerate(commands):
        lines += [f"  t{i:02d}:", f"    cmd: {cmd}", f"    outs: [t{i:02d}.txt]"]
    root.mkdir(parents=True)
    (root / "pipeline.yaml").write_text("\n".join(lines) + "\n")
    for i in range(data_files):
        folder = root / "data" / f"d{i // 5000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:06d}.txt").write_text(f"{i}\n")
    return root, commands


def direct(services: Services, root: Path, commands: list[str]) -> float:
    """Seconds to launch each command with JobService and wait for its end, one at a time."""
    start = time.perf_counter()
    for cmd in commands:
        spec = RunSpec(command=["sh", "-c", cmd], workdir=str(root), experiment="direct")
        job = services.jobs.launch(spec)
        while services.jobs.get(job.run_id).state not in TERMINAL_STATES:
            services.jobs.refresh()
            time.sleep(WAIT_POLL_S)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=20)
    parser.add_argument("--trivial", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-files", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        with Services.open(home, gpu_lock_dir=base / "gpu-locks") as services:
            root = chain(base / "chain", args.stages)
            t0 = time.perf_counter()
            first = services.pipelines.run(root)
            assert first.state == "done", [(s.stage, s.detail) for s in first.stages]
            print(f"first run, {args.stages} stages launched: {time.perf_counter() - t0:.2f} s")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                again = services.pipelines.run(root)
                times.append(time.perf_counter() - t0)
                assert {s.state for s in again.stages} == {"cached"}, again
            cached = statistics.median(times)
            verdict = "ok" if cached <= TARGET_CACHED_S else "OVER TARGET"
            print(
                f"fully cached run of {args.stages} stages: median {cached:.3f} s of "
                f"{args.repeat} (target <= {TARGET_CACHED_S:.0f} s): {verdict}"
            )

            root, commands = trivial(base / "trivial", args.trivial, args.data_files)
            services.pipelines.run(root)  # warm: files, interpreter caches
            names = [f"t{i:02d}" for i in range(args.trivial)]
            via_pipeline, via_jobs = [], []
            for _ in range(args.repeat):  # interleaved, so both see the same machine load
                t0 = time.perf_counter()
                run = services.pipelines.run(root, force=names)
                via_pipeline.append(time.perf_counter() - t0)
                assert {s.state for s in run.stages} == {"done"}, run
                via_jobs.append(direct(services, root, commands))
            through_pipeline = statistics.median(via_pipeline)
            launched = statistics.median(via_jobs)
            per_stage = (through_pipeline - launched) / args.trivial
            verdict = "ok" if per_stage <= TARGET_OVERHEAD_S else "OVER TARGET"
            print(
                f"{args.trivial} trivial stages beside {args.data_files} data files: "
                f"pipeline run {through_pipeline:.2f} s, "
                f"direct launch+wait {launched:.2f} s (medians of {args.repeat})"
            )
            print(
                f"a stage's own overhead beyond the launcher's: {per_stage * 1000:.0f} ms "
                f"(target <= {TARGET_OVERHEAD_S * 1000:.0f} ms): {verdict}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
