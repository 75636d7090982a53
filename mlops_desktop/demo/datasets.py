"""The demo's datasets: CSV files of scikit-learn's bundled data, with a history of versions.

``wine`` and ``breast-cancer`` get four versions each, all snapshotted: v1 the raw export (a
few missing values), v2 cleaned (rows with missing values dropped, ``target`` renamed
``class``), v3 with added rows, and v4 a later batch whose distribution has shifted (some
features scaled and offset, as after a sensor's recalibration). ``digits`` gets one version.
Contents are seeded, so building again gives the same fingerprints.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mlops_desktop.demo.sklearn_data import column_names

DATA_DIR = "demo-data"
MESSAGES = (
    "raw export",
    "cleaned: rows with missing values dropped, target renamed class",
    "added rows from the second collection",
    "new batch after the instrument was recalibrated (shifted features)",
)
CORRECTED = "recalibration undone: the new batch converted back to the old scale, merged with v3"
SHIFT_SCALE, SHIFT_OFFSET = 1.3, 0.8  # v4's first three features: x * 1.3 + 0.8 * std


def _load(name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    from sklearn import datasets

    loader = {
        "wine": datasets.load_wine,
        "breast-cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
    }[name]
    bunch = loader()
    return (
        column_names(bunch.feature_names),
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target),
    )


def _history(name: str) -> list[tuple[dict[str, np.ndarray], str]]:
    """(columns, message) of each version, oldest first."""
    names, x, y = _load(name)
    if name == "digits":
        return [({**{n: x[:, i] for i, n in enumerate(names)}, "target": y}, "pixels 8x8")]
    rng = np.random.default_rng(7)
    order = rng.permutation(len(x))
    first, later = order[: int(len(x) * 0.75)], order[int(len(x) * 0.75) :]
    raw = x[first].copy()
    holes = rng.choice(len(first), size=max(3, len(first) // 25), replace=False)
    raw[holes, rng.integers(0, x.shape[1], size=len(holes))] = np.nan
    keep = ~np.isnan(raw).any(axis=1)

    def cols(data: np.ndarray, target: np.ndarray, label: str) -> dict[str, np.ndarray]:
        return {**{n: data[:, i] for i, n in enumerate(names)}, label: target}

    v1 = cols(raw, y[first], "target")
    v2 = cols(raw[keep], y[first][keep], "class")
    v3 = cols(np.vstack([raw[keep], x[later]]), np.concatenate([y[first][keep], y[later]]), "class")
    base = np.vstack([raw[keep], x[later]])
    pick = rng.choice(len(base), size=len(base) // 2, replace=True)
    batch = base[pick] * (1.0 + rng.normal(0, 0.02, size=(len(pick), x.shape[1])))
    shift = base.std(axis=0)
    batch[:, :3] = batch[:, :3] * SHIFT_SCALE + SHIFT_OFFSET * shift[:3]
    target = np.concatenate([y[first][keep], y[later]])[pick]
    v4 = cols(batch, target, "class")
    return [(v, m) for v, m in zip((v1, v2, v3, v4), MESSAGES)]


def corrected_version(name: str) -> dict[str, np.ndarray]:
    """The columns of a version after v4 (the pipeline demo's new data): v3's rows and v4's
    batch converted back to v3's scale (its recalibration undone)."""
    history = _history(name)
    v3, v4 = history[2][0], history[3][0]
    features = [c for c in v3 if c != "class"]
    shift = np.vstack([v3[c] for c in features]).T.std(axis=0)
    fixed = {c: v4[c].copy() for c in v4}
    for i, c in enumerate(features[:3]):
        fixed[c] = (fixed[c] - SHIFT_OFFSET * shift[i]) / SHIFT_SCALE
    return {c: np.concatenate([v3[c], fixed[c]]) for c in v3}


def add_corrected_version(service: Any, home: Path, name: str) -> int:
    """Register :func:`corrected_version` of ``name`` as its next version; its number."""
    folder = home / DATA_DIR / name
    write_table(folder / f"{name}.csv", corrected_version(name))
    tags = {"demo": "true", "source": "scikit-learn"}
    added = service.add(folder, name, message=CORRECTED, tags=tags, snapshot=True)
    return int(str(added.version).lstrip("v"))


def write_table(path: Path, columns: dict[str, np.ndarray]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays = {
        k: pa.array(np.round(v, 6) if v.dtype.kind == "f" else v, from_pandas=True)
        for k, v in columns.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pacsv.write_csv(pa.table(arrays), tmp)
    os.replace(tmp, path)  # a new file each version: the stat cache sees the change


def register_demo_datasets(
    service: Any, home: Path, upto: int, progress: Callable[[str], None] = lambda _m: None
) -> None:
    """Register the demo datasets' versions up to ``upto`` (those not registered yet)."""
    for name in ("wine", "breast-cancer", "digits"):
        have = {v.number for v in service.versions(name)} if _exists(service, name) else set()
        history = _history(name)
        for number, (columns, message) in enumerate(history[:upto], 1):
            if number in have or number <= max(have, default=0):
                continue
            progress(f"dataset {name}: v{number}")
            folder = home / DATA_DIR / name
            write_table(folder / f"{name}.csv", columns)
            service.add(
                folder,
                name,
                message=message,
                tags={"demo": "true", "source": "scikit-learn"},
                snapshot=True,
            )


def _exists(service: Any, name: str) -> bool:
    return any(d.name == name for d in service.list_datasets())
