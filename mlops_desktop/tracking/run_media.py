"""Figures, images and tables logged as artifacts: MLflow's ``log_figure``, ``log_image`` and
``log_table``.

matplotlib, plotly, numpy, PIL and pandas are never imported here: the objects a script hands
over carry the methods used (``savefig``, ``write_html``, ``save``, ``to_json``), and numpy is
reached through :mod:`importlib` only when an array comes.
"""

from __future__ import annotations

import io
import json
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_desktop.tracking.artifacts import check_artifact_name
from mlops_desktop.tracking.png import encode_png

_PIL_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".bmp": "BMP", ".webp": "WEBP"}


class MediaLogging:
    """The figure, image and table methods of :class:`~mlops_desktop.tracking.run.Run`."""

    _tables: dict[str, dict[str, list[Any]]]

    def _store(self, files: list[tuple[Path, str]]) -> list[str]:
        raise NotImplementedError

    def _store_bytes(self, data: bytes, artifact_file: str) -> str:
        raise NotImplementedError

    def log_figure(
        self, figure: Any, artifact_file: str, *, save_kwargs: Mapping[str, Any] | None = None
    ) -> str:
        """Store a matplotlib figure (through ``savefig``) or a plotly figure (``write_html``
        for ``.html``, else ``write_image``, which needs kaleido) as ``artifact_file``.

        Returns:
            the stored file's digest.

        Raises:
            TypeError: ``figure`` is neither.
        """
        label = check_artifact_name(artifact_file)
        base = PurePosixPath(label).name
        kwargs = dict(save_kwargs or {})
        with tempfile.TemporaryDirectory(prefix="mlops-figure-") as tmp:
            file = Path(tmp) / base
            if _is_plotly(figure):
                if file.suffix.lower() in (".html", ".htm"):
                    figure.write_html(str(file), **kwargs)
                else:
                    figure.write_image(str(file), **kwargs)
            elif callable(getattr(figure, "savefig", None)):
                figure.savefig(str(file), **kwargs)
            else:
                raise TypeError(
                    "log_figure needs a matplotlib or plotly figure, got "
                    f"{type(figure).__module__}.{type(figure).__name__}"
                )
            return self._store([(file, label)])[0]

    def log_image(
        self,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: float | None = None,
        synchronous: bool | None = None,
    ) -> str:
        """Store an image: a numpy array (H x W, H x W x 1/3/4; integers 0-255 or floats
        0-1) or a PIL image, as PNG (other suffixes of ``artifact_file`` need PIL).

        Give ``artifact_file`` (its name), or ``key`` and ``step`` (stored as
        ``images/<key>/step_<step>.png``, MLflow's image series). ``timestamp`` and
        ``synchronous`` are accepted for MLflow's sake.

        Raises:
            ValueError: both or neither of ``artifact_file`` and ``key``, or a bad image.
            TypeError: ``image`` is neither an array nor a PIL image.
        """
        if (artifact_file is None) == (key is None):
            raise ValueError("log_image needs an artifact_file or a key (with a step), not both")
        if key is not None:
            if not isinstance(key, str) or not key or "/" in key or key in (".", ".."):
                raise ValueError(f"log_image's key must be a plain name, got {key!r}")
            if step is not None and (type(step) is not int or step < 0):
                raise ValueError(f"log_image's step must be a non-negative integer, got {step!r}")
            artifact_file = f"images/{key}/step_{step or 0}.png"
        assert artifact_file is not None
        label = check_artifact_name(artifact_file)
        suffix = PurePosixPath(label).suffix.lower()
        if _is_pil(image):
            buffer = io.BytesIO()
            fmt = _PIL_FORMATS.get(suffix, "PNG")
            picture = image.convert("RGB") if fmt == "JPEG" and image.mode != "RGB" else image
            picture.save(buffer, format=fmt)
            return self._store_bytes(buffer.getvalue(), label)
        if not hasattr(image, "__array_interface__") and not hasattr(image, "__array__"):
            raise TypeError(
                f"log_image needs a numpy array or a PIL image, got {type(image).__name__}"
            )
        if suffix not in ("", ".png"):
            raise ValueError(
                f"{label}: an array is stored as PNG here; name it .png (other formats need "
                "a PIL image)."
            )
        return self._store_bytes(encode_png(image), label)

    def log_table(self, data: Any, artifact_file: str) -> str:
        """Store a table as MLflow does: JSON ``{"columns": [...], "data": [[...], ...]}``.

        ``data`` is a dict of equally long columns or a pandas DataFrame. Logging to the same
        ``artifact_file`` again in this process appends the rows (columns by name).

        Raises:
            ValueError: ``artifact_file`` does not end in ``.json``, or columns of unequal
                length.
            TypeError: ``data`` is neither.
        """
        label = check_artifact_name(artifact_file)
        if not label.lower().endswith(".json"):
            raise ValueError(f"log_table writes JSON: name the artifact .json, not {label!r}")
        columns, rows = _table_rows(data)
        tables = self.__dict__.setdefault("_tables", {})
        before = tables.get(label)
        if before is not None:
            names = list(before["columns"])
            names += [c for c in columns if c not in names]
            index = {c: i for i, c in enumerate(columns)}
            width = len(names)
            old = [r + [None] * (width - len(r)) for r in before["data"]]
            new = [[r[index[c]] if c in index else None for c in names] for r in rows]
            columns, rows = names, old + new
        tables[label] = {"columns": columns, "data": rows}
        text = json.dumps({"columns": columns, "data": rows}, default=_json_value)
        return self._store_bytes(text.encode("utf-8"), label)


def _is_plotly(figure: Any) -> bool:
    return type(figure).__module__.startswith("plotly") and callable(
        getattr(figure, "write_html", None)
    )


def _is_pil(image: Any) -> bool:
    return any(cls.__module__.startswith("PIL.") for cls in type(image).__mro__) and callable(
        getattr(image, "save", None)
    )


def _table_rows(data: Any) -> tuple[list[str], list[list[Any]]]:
    """(column names, rows) of a dict of columns or a DataFrame, values JSON-ready."""
    if callable(getattr(data, "to_json", None)) and hasattr(data, "columns"):
        split = json.loads(data.to_json(orient="split", index=False, date_format="iso"))
        return [str(c) for c in split["columns"]], split["data"]
    if not isinstance(data, Mapping):
        raise TypeError(
            f"log_table needs a dict of columns or a pandas DataFrame, got {type(data).__name__}"
        )
    columns = [str(k) for k in data]
    values = [_column(k, v) for k, v in data.items()]
    lengths = {len(v) for v in values}
    if len(lengths) > 1:
        sizes = ", ".join(f"{c}: {len(v)}" for c, v in zip(columns, values, strict=True))
        raise ValueError(f"log_table's columns must be equally long ({sizes})")
    rows = [[_json_value(x) for x in row] for row in zip(*values, strict=True)]
    return columns, rows


def _column(key: Any, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"log_table's column {key!r} must be a list of values")
    tolist = getattr(value, "tolist", None)
    return list(tolist() if callable(tolist) else value)


def _json_value(value: Any) -> Any:
    """A value JSON can hold: numpy scalars as Python ones, NaN and infinities as null."""
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            value = item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
