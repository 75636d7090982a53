"""Benchmark: a model with 1,000 versions; list them, and build the card of a random one.

Run with ``python tests/benchmarks/bench_models.py [--catalog URL]``. The versions are
inserted through the repository in one transaction (each with two files, a tag and its audit
entry, from one run with metrics, params and an input example). Prints the median time to list
the versions and to build a card; the target for each is under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import mlops_desktop as mlops
from mlops_desktop.catalog import model_repo
from mlops_desktop.core.models import ModelFile
from mlops_desktop.services.bundle import Services

VERSIONS = 1_000
TARGET_MS = 200.0


def build(home: Path, catalog: str | None) -> tuple[object, object]:
    os.environ["MLOPS_DESKTOP_HOME"] = str(home)
    services = Services.open(home, catalog)
    experiments, models = services.experiments, services.models
    example = home / "input_example.csv"
    example.write_text("a,b,c\n1,2.5,x\n")
    weights = home / "model.joblib"
    weights.write_bytes(os.urandom(4096))
    with mlops.start_run("bench", name="src", params={"lr": 0.1, "depth": 4}) as run:
        for step in range(100):
            run.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 100}, step=step)
        run.log_artifact(weights)
        run.log_artifact(example)
        rid = run.id
    experiments.ingest()  # type: ignore[attr-defined]
    arts = {a.name: a for a in experiments.get_run(rid).artifacts}  # type: ignore[attr-defined]
    files = [ModelFile(n, a.size, a.digest) for n, a in arts.items()]
    t0 = time.perf_counter()
    with models.catalog.session_scope(write=True) as s:  # type: ignore[attr-defined]
        for i in range(VERSIONS):
            model_repo.add_version(
                s,
                "big",
                files,
                f"blake3:{i:064x}",
                run_id=rid,
                source=f"run:{rid}:model.joblib",
                user="bench",
                tags={"i": str(i)},
            )
    print(f"inserted {VERSIONS} versions in {time.perf_counter() - t0:.2f} s")
    return experiments, models


def timed(fn: object, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--catalog", default=None, help="catalog URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-models-") as tmp:
        _, models = build(Path(tmp), args.catalog)
        versions = models.versions("big")  # type: ignore[attr-defined]
        assert len(versions) == VERSIONS
        list_ms = timed(lambda: models.versions("big"))  # type: ignore[attr-defined]
        rng = random.Random(1)
        card_ms = timed(lambda: models.card(f"big:{rng.randint(1, VERSIONS)}"))  # type: ignore[attr-defined]
        card = models.card("big:500")  # type: ignore[attr-defined]
        assert card.signature and card.run is not None
        models.close()  # type: ignore[attr-defined]
    for label, ms in (("list 1,000 versions", list_ms), ("card of a random version", card_ms)):
        verdict = "ok" if ms < TARGET_MS else "SLOW"
        print(f"{label}: {ms:.1f} ms (target < {TARGET_MS:.0f} ms) {verdict}")


if __name__ == "__main__":
    main()
