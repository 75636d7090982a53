"""Live across desktops: how long until desktop B hears a change that desktop A commits.

Run ``python tests/benchmarks/bench_live_feed.py [--tries N] [--postgres URL]``. Two desktops
(two homes, two Services) open one catalog; A ingests a run, registers a model version or moves
an alias, B's change feed hears it. The delay runs from the end of A's transaction body (just
before its commit, so the commit is counted) to B's callback on its feed's thread; the median
and the worst of ``--tries`` are printed. On PostgreSQL (a temp server started like
``tests/pg_fixture.py`` does, or ``--postgres``) B listens (LISTEN/NOTIFY; target: under 1 s,
in practice a few ms); on SQLite B polls ``PRAGMA data_version`` every 0.5 s (so about 0.25 s
on average, 0.5 s at worst).
"""

from __future__ import annotations

import argparse
import itertools
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pg_fixture

from mlops_desktop.catalog.change_listen import PgChangeListener
from mlops_desktop.catalog.change_poll import POLL_INTERVAL_S
from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.core.catalog_changes import CatalogChange
from mlops_desktop.services.bundle import Services

TARGET_S = 1.0


@contextmanager
def temp_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server, as the test fixture starts it; its database's URL."""
    initdb = pg_fixture.PG_BIN / "initdb"
    if not initdb.exists():
        initdb = Path(shutil.which("initdb") or "initdb")
    base = Path(tempfile.mkdtemp(prefix="mlops-bench-pg-"))
    if pg_fixture.os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = base / "data", pg_fixture._free_port()
    pg_ctl = str(initdb.with_name("pg_ctl"))
    pg_fixture._run([str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_fixture._run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(pg_fixture._as_postgres(stop), capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _ingest(a: Services, run_id: str, marks: list[float]) -> None:
    event = {"v": 1, "type": "start", "run": run_id, "seq": 0, "n": 1, "experiment": "bench"}
    with a.catalog.session_scope(write=True) as s:
        apply_events(s, run_id, [{**event, "name": run_id, "started_at": time.time()}])
        marks.append(time.perf_counter())  # the commit follows: it is counted


def _measure(
    a: Services, heard: queue.Queue[tuple[float, CatalogChange]], change: Callable[[], float]
) -> float:
    """Seconds from A's commit to B hearing it (the next change heard)."""
    time.sleep(random.uniform(0, POLL_INTERVAL_S))  # a change comes at any point of a poll
    while not heard.empty():
        heard.get_nowait()
    committed = change()
    at, _change = heard.get(timeout=10)
    return at - committed


def run(url: str, tries: int, tmp: Path, label: str) -> dict[str, float]:
    a = Services.open(tmp / f"{label}-a", url)
    b = Services.open(tmp / f"{label}-b", url)
    heard: queue.Queue[tuple[float, CatalogChange]] = queue.Queue()
    watch = b.changes.watch(lambda c: heard.put((time.perf_counter(), c)))
    if isinstance(watch, PgChangeListener):
        watch.wait_listening(10)
    model_file = tmp / f"{label}-model.bin"
    try:
        marks: list[float] = []

        def ingest() -> float:
            _ingest(a, uuid.uuid4().hex, marks)
            return marks[-1]

        def new_version() -> float:
            model_file.write_bytes(uuid.uuid4().bytes)
            start = time.perf_counter()
            a.models.register("bench-model", path=model_file)
            return start  # registering copies the file first: counted, to be fair

        moves = itertools.count()

        def alias_move() -> float:  # between versions 1 and 2: every call moves it
            start = time.perf_counter()
            a.models.set_alias("bench-model", 1 + next(moves) % 2, "champion")
            return start

        results: dict[str, float] = {}
        for name, fn in (("ingest", ingest), ("model version", new_version), ("alias", alias_move)):
            delays = [_measure(a, heard, fn) for _ in range(tries)]
            results[name] = statistics.median(delays)
            print(
                f"{label:>10} {name:<14} median {statistics.median(delays) * 1e3:7.1f} ms  "
                f"worst {max(delays) * 1e3:7.1f} ms  ({tries} tries)"
            )
        return results
    finally:
        a.close()
        b.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tries", type=int, default=15)
    ap.add_argument("--postgres", default=None, help="a PostgreSQL catalog URL (empty db)")
    ap.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.postgres:
            pg = run(args.postgres, args.tries, tmp, "PostgreSQL")
        else:
            with temp_postgres() as url:
                pg = run(url, args.tries, tmp, "PostgreSQL")
        if not args.no_sqlite:
            run(f"sqlite:///{tmp / 'shared.db'}", args.tries, tmp, "SQLite")
    worst = max(pg.values())
    verdict = "ok" if worst < TARGET_S else "TOO SLOW"
    print(f"PostgreSQL target: every median under {TARGET_S:g} s: {verdict}")


if __name__ == "__main__":
    main()
