"""``pipelines watch``: the app's trigger loop without the app, for a lab machine.

Every ``--interval`` (default a minute) it checks every pipeline's triggers (new dataset
versions, monitors' alerts, due schedules: :meth:`PipelineTriggerService.check
<mlops_desktop.services.pipeline_triggers.PipelineTriggerService.check>`) and starts what they
trigger in the background, printing each trigger with what it started, each stage's change
and each run's end. ``--once`` checks once and waits for the runs it started. Ctrl-C cancels
the runs going (their running stages are stopped; each ends "cancelled"), waits for them to end,
and exits 130: a run needs the process that walks it, and one left behind would only be ended
"failed" by the next start.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from mlops_desktop.cli import pipelines_output as out
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import iso_time, printable
from mlops_desktop.cli.session import open_services
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import PipelineRunInfo, StageRun, TriggerEvent
from mlops_desktop.pipelines.schedule import parse_interval

DEFAULT_INTERVAL = "60"
WAKE_S = 0.2  # how often a wait looks at Ctrl-C


def trigger_line(event: TriggerEvent) -> str:
    """``14:02:11  wine-classifier  dataset wine v4: started run 58bb2d8b``."""
    started = f"started run {event.pipeline_run_id[:8]}" if event.pipeline_run_id else ""
    outcome = started or event.outcome or "recorded"
    return printable(f"{_now()}  {event.pipeline}  {event.kind} {event.detail}: {outcome}")


def end_line(run: PipelineRunInfo) -> str:
    """``14:05:40  wine-classifier  run 58bb2d8b done (train: done, ...)``."""
    stages = ", ".join(f"{s.stage}: {s.state}" for s in run.stages)
    waiting = [g for g in run.gates if g.approval == "waiting"]
    approve = f"; approve with `pipelines approve {run.run_id[:8]}`" if waiting else ""
    line = f"{_now()}  {run.pipeline}  run {run.run_id[:8]} {run.state} ({stages}){approve}"
    return printable(line)


def watch(args: argparse.Namespace, stop: threading.Event) -> int:
    """The loop (see the module docstring); ``stop`` is set by Ctrl-C."""
    interval = parse_interval(args.interval)
    ended: list[PipelineRunInfo] = []

    def on_stage(pipeline: str, stage: StageRun) -> None:
        if stage.state != "queued":
            print(f"{_now()}  {pipeline}  {out.stage_line(stage)}", flush=True)

    def on_end(run: PipelineRunInfo) -> None:
        ended.append(run)
        print(end_line(run), flush=True)

    with open_services(args) as services:
        if not services.access.writable:
            raise PipelineError(
                "This catalog takes no changes from here (read-only), so no trigger can be "
                "recorded nor a run started; watch from a desktop that may write to it."
            )
        services.pipelines.listen(on_stage, on_end)
        try:
            for run_id in services.pipelines.recover():
                print(f"{_now()}  ended run {run_id[:8]}: its process had stopped", flush=True)
            names = ", ".join(p.name for p in services.pipelines.list()) or "none yet"
            every = "once" if args.once else f"every {interval:g} s"
            print(f"{_now()}  checking the triggers of {names} {every}", flush=True)
            while not stop.is_set():
                for event in services.triggers.check():
                    print(trigger_line(event), flush=True)
                if args.once or _wait(stop, interval):
                    break
            while services.pipelines.going():
                if stop.is_set():
                    going = services.pipelines.cancel()
                    told = f"cancelling {len(going)} pipeline run(s)..."
                    print(told, file=sys.stderr, flush=True)
                    services.pipelines.close()
                    break
                _wait(stop, WAKE_S)
        finally:
            services.pipelines.unlisten(on_stage, on_end)
    if stop.is_set():
        return ExitCode.INTERRUPTED
    return ExitCode.FAILED if any(r.state != "done" for r in ended) else ExitCode.OK


def _wait(stop: threading.Event, seconds: float) -> bool:
    """Sleep ``seconds`` in short steps; True when Ctrl-C came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop.wait(min(WAKE_S, max(0.0, deadline - time.monotonic()))):
            return True
    return stop.is_set()


def _now() -> str:
    return (iso_time(time.time()) or "")[11:19]
