"""Scoring a monitor's champion and challengers on the rows of its newest labelled window.

Windows keep summaries, not rows; so when a check closes windows whose rows carry the label
column, the newest one's rows are kept as ``HOME/monitors/<name>/labelled-window.parquet``
(:func:`keep_labelled_rows`; one file a monitor, replaced by newer windows). Failing that (a
monitor checked before this existed), the window's source is read again: its file in the
watched folder, or its dataset version. The model is loaded and run only in a child process
(:func:`~mlops_desktop.models.score.score_model`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mlops_desktop.core.drift import DriftWindow, ModelScore, MonitorInfo
from mlops_desktop.core.errors import SandboxUnavailableError, UserFacingError
from mlops_desktop.core.models import ModelVersion

if TYPE_CHECKING:
    from mlops_desktop.services.monitor_retrain import RetrainLoop

MONITORS_DIRNAME = "monitors"
ROWS_FILENAME = "labelled-window.parquet"
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle")


@dataclass(frozen=True, slots=True)
class LabelledWindow:
    """The window the models are scored on: its index and a file holding its rows."""

    index: int
    path: Path | None
    problem: str | None = None


def monitor_dir(home: Path, name: str) -> Path:
    """``HOME/monitors/<name>`` (monitor names are letters, digits, '.', '_' and '-')."""
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ValueError(f"{name!r} is not a monitor name")
    return Path(home) / MONITORS_DIRNAME / name


def keep_labelled_rows(home: Path, name: str, index: int, table: pa.Table) -> None:
    """Keep ``table`` (window ``index``'s rows) as the monitor's newest labelled window."""
    import pyarrow.parquet as pq

    folder = monitor_dir(home, name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{ROWS_FILENAME}.{os.getpid()}.tmp"
    pq.write_table(table, tmp)
    (folder / f".{ROWS_FILENAME}.json.tmp").write_text(json.dumps({"window": index}))
    os.replace(tmp, folder / ROWS_FILENAME)
    os.replace(folder / f".{ROWS_FILENAME}.json.tmp", folder / f"{ROWS_FILENAME}.json")


def _kept(home: Path, name: str) -> tuple[int, Path] | None:
    folder = monitor_dir(home, name)
    try:
        index = int(json.loads((folder / f"{ROWS_FILENAME}.json").read_text())["window"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = folder / ROWS_FILENAME
    return (index, path) if path.is_file() else None


def newest_labelled_window(loop: RetrainLoop, info: MonitorInfo) -> LabelledWindow | None:
    """The newest window whose rows are at hand: the kept labelled window, else the newest
    window (with labels measured, if any has them) whose source can be read again."""
    kept = _kept(loop.monitors.home, info.name)
    if kept is not None:
        return LabelledWindow(kept[0], kept[1])
    windows: list[DriftWindow] = [w for w in loop.monitors.windows(info.name) if w.report]
    labelled = [w for w in windows if w.performance] or windows
    if not labelled:
        return None
    newest = labelled[-1]
    return LabelledWindow(newest.index, *_source_file(loop, info, newest))


def _source_file(
    loop: RetrainLoop, info: MonitorInfo, window: DriftWindow
) -> tuple[Path | None, str | None]:
    """The window's source file read again, or why it cannot be."""
    gone = (None, f"The rows of window {window.index} ({window.source}) are no longer at hand.")
    if info.current.startswith("folder:") and "," not in window.source:
        folder = Path(info.current.removeprefix("folder:"))
        path = folder / window.source
        inside = path.resolve().is_relative_to(folder.resolve())
        return (path, None) if inside and path.is_file() else gone
    if info.current.startswith("dataset:") and "@" in window.source:
        from mlops_desktop.services.monitor_tables import dataset_version_table

        name, _, version = window.source.partition("@")
        table, problem = dataset_version_table(loop.datasets, name, version)
        if table is None:
            return None, problem
        keep_labelled_rows(loop.monitors.home, info.name, window.index, table)
        return _kept(loop.monitors.home, info.name)[1], None  # type: ignore[index]
    return gone


def feature_columns(info: MonitorInfo) -> list[str]:
    """The monitored input columns, the label and prediction columns left out."""
    skip = {info.label_column, info.prediction_column} - {None}
    return [p.column for p in info.plans if p.column not in skip]


def score_version(
    loop: RetrainLoop,
    info: MonitorInfo,
    version: ModelVersion,
    window: LabelledWindow | None,
    allow_unsandboxed: bool = False,
) -> ModelScore:
    """One version scored on the window; the problem filled in when it cannot be.

    Raises:
        SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false.
    """
    score = ModelScore(
        model=version.name,
        version=str(version.version),
        window=window.index if window else -1,
        aliases=tuple(version.aliases),
        run_id=version.run_id,
        alert_id=_int(version.tags.get("alert")),
    )
    problem = _problem(info, window)
    if problem is None:
        assert window is not None and window.path is not None and info.label_column
        try:
            metrics = _score(loop.models.blob, version, window.path, info, allow_unsandboxed)
        except SandboxUnavailableError:
            raise
        except UserFacingError as exc:
            problem = str(exc)
        else:
            return _replace(score, metrics=metrics)
    return _replace(score, problem=problem)


def _problem(info: MonitorInfo, window: LabelledWindow | None) -> str | None:
    if not info.label_column:
        return f"Monitor {info.name} has no label column, so models cannot be scored."
    if window is None:
        return f"No window of {info.name} has labels yet; scores need labelled rows."
    return window.problem if window.path is None else None


def _score(
    blob_of: Callable[[str], Path],
    version: ModelVersion,
    rows: Path,
    info: MonitorInfo,
    allow_unsandboxed: bool,
) -> dict[str, float]:
    from mlops_desktop.core.errors import ModelError
    from mlops_desktop.models.score import score_model

    files = [f for f in version.files if f.path.lower().endswith(MODEL_SUFFIXES)]
    if not files:
        raise ModelError(f"{version.name}:{version.version} has no model file to score.")
    blob = blob_of(files[0].digest)  # through the lab store when this home lacks it
    if not blob.is_file():
        raise ModelError(f"The file {files[0].path} is missing from the artifact store.")
    with tempfile.TemporaryDirectory(prefix="mlops-score-") as tmp:
        target = Path(tmp) / PurePosixPath(files[0].path).name
        try:
            os.symlink(blob, target)
        except OSError:
            shutil.copyfile(blob, target)
        assert info.label_column is not None
        return score_model(
            target,
            rows,
            info.label_column,
            feature_columns(info),
            allow_unsandboxed=allow_unsandboxed,
        )


def _int(text: Any) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _replace(score: ModelScore, **changes: Any) -> ModelScore:
    from dataclasses import replace

    return replace(score, **changes)
