"""The ``mlops-desktop`` command: the GUI, the demo, and scriptable subcommands with ``--json``.

Every command first ingests local spools, so points from a killed script are never stranded.
A person's mistake (unknown run, malformed filter, locked catalog) prints one sentence on
stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mlops_desktop import __version__
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.tracking.home import HOME_ENV

EXIT_USER_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mlops-desktop",
        description="MLOps Desktop: datasets, experiments, models and monitors on your machines.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--home", help="the app's home (catalog, artifacts, spools, settings)")
    p.add_argument("--catalog", help="SQLAlchemy URL of the catalog (default HOME/catalog.db)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="open the app (the default)")

    demo = sub.add_parser(
        "demo", help="build the demo catalog by real trainings, then open the app"
    )
    demo.add_argument("--no-gui", action="store_true", help="build only; do not open the app")
    demo.add_argument("--json", action="store_true", help="print counts as JSON (with --no-gui)")

    runs = sub.add_parser("runs", help="list, show and read runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    rl = runs_sub.add_parser("list", help="runs, newest first")
    rl.add_argument("--experiment", "-e", help="only runs of this experiment")
    rl.add_argument(
        "--filter", "-f", dest="query", help='e.g. "metrics.acc > 0.9 and params.lr = 0.01"'
    )
    rl.add_argument("--limit", type=int, default=None, help="at most this many runs")
    rl.add_argument("--json", action="store_true")
    rs = runs_sub.add_parser("show", help="one run in full")
    rs.add_argument("run", help="run id or a unique prefix of at least 4 characters")
    rs.add_argument("--json", action="store_true")
    rm = runs_sub.add_parser("metric", help="one metric series of a run")
    rm.add_argument("run")
    rm.add_argument("key")
    rm.add_argument("--json", action="store_true")

    ex = sub.add_parser("experiments", help="list experiments")
    ex.add_argument("--json", action="store_true")

    from mlops_desktop.cli.data import add_data_parser

    add_data_parser(sub)
    from mlops_desktop.cli.models import add_models_parser

    add_models_parser(sub)
    from mlops_desktop.cli.jobs import add_jobs_parsers

    add_jobs_parsers(sub)
    return p


def _open_service(home: Path, catalog: str | None):  # noqa: ANN202 - lazy import keeps start fast
    from mlops_desktop.services.experiments import ExperimentService

    service = ExperimentService.open(home, catalog or None)
    from mlops_desktop.cli.format import ingest_first

    ingest_first(service)
    return service


def _cmd_runs(args: argparse.Namespace, home: Path) -> int:
    from mlops_desktop.cli import format as fmt
    from mlops_desktop.core.run_documents import run_detail_dict, run_summary_dict

    service = _open_service(home, args.catalog)
    try:
        if args.runs_command == "list":
            runs = service.list_runs(args.experiment, args.query)
            if args.limit is not None:
                runs = runs[: max(args.limit, 0)]
            out = (
                fmt.dumps([run_summary_dict(r) for r in runs])
                if args.json
                else fmt.runs_table(runs)
            )
        elif args.runs_command == "show":
            detail = service.get_run(args.run)
            out = fmt.dumps(run_detail_dict(detail)) if args.json else fmt.run_detail_text(detail)
        else:
            detail = service.get_run(args.run)
            series = service.metric_series(detail.summary.id, args.key)
            if args.json:
                out = fmt.dumps(fmt.metric_doc(series))
            else:
                rows = zip(
                    series.steps.tolist(), series.timestamps.tolist(), series.values.tolist()
                )
                out = "\n".join(
                    ["step\ttime\tvalue"] + [f"{s}\t{fmt.iso(t)}\t{v:.6g}" for s, t, v in rows]
                )
        print(out)
    finally:
        service.close()
    return 0


def _cmd_experiments(args: argparse.Namespace, home: Path) -> int:
    from mlops_desktop.cli import format as fmt

    service = _open_service(home, args.catalog)
    try:
        exps = service.list_experiments()
    finally:
        service.close()
    if args.json:
        print(
            fmt.dumps(
                [
                    {"name": e.name, "runs": e.run_count, "created_at": fmt.iso(e.created_at)}
                    for e in exps
                ]
            )
        )
    elif not exps:
        print(
            "No experiments yet. Run `mlops-desktop demo`"
            " or log a run with mlops_desktop.start_run()."
        )
    else:
        for e in exps:
            print(f"{e.name}\t{e.run_count} runs")
    return 0


def _cmd_demo(args: argparse.Namespace, home: Path) -> int:
    from mlops_desktop.cli import format as fmt
    from mlops_desktop.demo.build import build_demo

    def progress(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr)

    counts = build_demo(home, args.catalog, progress=progress)
    if args.no_gui:
        if args.json:
            print(fmt.dumps(counts))
        else:
            print(", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    return _cmd_gui(args, home, live_demo=True)


def _cmd_gui(args: argparse.Namespace, home: Path, live_demo: bool = False) -> int:
    from mlops_desktop.ui.app import run_gui

    live = None
    if live_demo:
        from mlops_desktop.demo.build import start_live_training

        live = start_live_training(home)
    try:
        return run_gui(home, args.catalog, sys.argv)
    finally:
        if live is not None and live.poll() is None:
            live.terminate()
            try:
                live.wait(timeout=10)
            except Exception:  # noqa: BLE001
                live.kill()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mlops-desktop``; returns the exit status."""
    args = _parser().parse_args(argv)
    from mlops_desktop.settings import Settings, home_from

    home = home_from(args.home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"mlops-desktop: cannot create the home {home}: {exc.strerror}", file=sys.stderr)
        return EXIT_USER_ERROR
    os.environ[HOME_ENV] = str(home)  # runs this process starts log into the same home
    if args.catalog is None:
        args.catalog = Settings.load(home).catalog_url or None
    try:
        if args.command == "runs":
            return _cmd_runs(args, home)
        if args.command == "experiments":
            return _cmd_experiments(args, home)
        if args.command == "data":
            from mlops_desktop.cli.data import cmd_data

            return cmd_data(args, home)
        if args.command == "models":
            from mlops_desktop.cli.models import cmd_models

            return cmd_models(args, home)
        if args.command in ("launch", "jobs", "hosts"):
            from mlops_desktop.cli.jobs import cmd_compute

            return cmd_compute(args, home)
        if args.command == "demo":
            return _cmd_demo(args, home)
        return _cmd_gui(args, home)
    except UserFacingError as exc:
        print(f"mlops-desktop: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
