"""What a logged artifact holds, read safely for a preview: only the first bytes or rows.

Artifacts live in the content-addressed store (``ARTIFACTS/sha256/<2 hex>/<hex>``, no file
extension): the artifact's name tells its kind. Nothing here runs an artifact's content; text
comes back with its control characters escaped, and a path outside the store is refused.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mlops_desktop.core.datasets import TablePreview
from mlops_desktop.core.errors import ArtifactUnreadable, DatasetError
from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.text import printable_lines
from mlops_desktop.datasets.readers import table_format

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"})
TEXT_SUFFIXES = frozenset(
    {".txt", ".log", ".md", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".xml", ".html", ".rst"}
)
# Names the system would run rather than show: the app never hands these to a viewer.
PROGRAM_SUFFIXES = frozenset(
    {
        ".exe", ".bat", ".cmd", ".com", ".msi", ".ps1", ".vbs", ".js", ".jse", ".wsf", ".scr",
        ".lnk", ".sh", ".bash", ".command", ".app", ".jar", ".desktop", ".py", ".pyw", ".pl",
        ".rb", ".run", ".bin", ".appimage", ".dmg", ".pkg", ".deb", ".rpm", ".cpl", ".hta",
    }
)  # fmt: skip
MAX_IMAGE_BYTES = 32 << 20
MAX_TEXT_BYTES = 256 << 10
MAX_JSON_TABLE_BYTES = 32 << 20  # a log_table file up to this size is shown as a table
PREVIEW_ROWS = 1000
_SNIFF_BYTES = 8192
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ArtifactContent:
    """A preview of one artifact.

    Attributes:
        kind: ``image``, ``svg``, ``text``, ``json``, ``table`` or ``binary``.
        data: the bytes of an image or SVG (for the GUI to decode).
        text: text or pretty-printed JSON, control characters escaped, capped.
        table: the first rows of a table (CSV, TSV, Parquet, JSON Lines, NumPy).
        note: what the preview leaves out ("Showing the first 1,000 rows of 2,000,000.").
    """

    kind: str
    name: str
    size: int
    data: bytes = b""
    text: str = ""
    table: TablePreview | None = None
    note: str = ""


def checked_blob(path: str, digest: str) -> Path:
    """The stored file of an artifact, after checking it is one of the store's blobs.

    Raises:
        ArtifactUnreadable: the path is not a blob of the store, or is gone.
    """
    hex_digest = digest.removeprefix("sha256:")
    blob = Path(path)
    layout = (blob.name, blob.parent.name, blob.parent.parent.name)
    if (
        not path
        or not _HEX_DIGEST.fullmatch(hex_digest)
        or layout != (hex_digest, hex_digest[:2], "sha256")
        or blob.is_symlink()
    ):
        raise ArtifactUnreadable("This artifact's file is not in the artifact store.")
    if not blob.is_file():
        raise ArtifactUnreadable(
            "This artifact's file is missing from the artifact store (deleted or moved)."
        )
    return blob


def artifact_kind(name: str) -> str:
    """The preview kind a name suggests (``binary`` when it suggests none)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix == ".svg":
        return "svg"
    if suffix == ".json":
        return "json"
    if table_format(name) is not None:
        return "table"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "binary"


def read_artifact(
    path: str, name: str, digest: str, rows: int = PREVIEW_ROWS, text_bytes: int = MAX_TEXT_BYTES
) -> ArtifactContent:
    """Read what a preview of the artifact needs, and no more.

    Raises:
        ArtifactUnreadable: the file is gone, outside the store, or cannot be read.
    """
    blob = checked_blob(path, digest)
    size = blob.stat().st_size
    kind = artifact_kind(name)
    try:
        if kind in ("image", "svg"):
            if size > MAX_IMAGE_BYTES:
                return ArtifactContent("binary", name, size, note=_too_big(name, size))
            return ArtifactContent(kind, name, size, data=blob.read_bytes())
        if kind == "table":
            return _table(blob, name, size, rows)
        head = _head(blob, text_bytes)
        if kind == "json":
            table = _json_table(blob, name, size, head, rows)
            return table or _json(name, size, head, text_bytes)
        if kind == "text" or (kind == "binary" and _looks_like_text(head[:_SNIFF_BYTES])):
            return _text("text", name, size, head, text_bytes)
    except OSError as exc:
        raise ArtifactUnreadable(f"{name} cannot be read: {exc.strerror or exc}.") from None
    return ArtifactContent("binary", name, size)


def copy_for_viewer(path: str, name: str, digest: str) -> Path:
    """A copy of the artifact under its own file name (the store's has no extension), in a
    temporary folder, for the system's viewer.

    Raises:
        ArtifactUnreadable: the artifact is a program or script, or cannot be copied.
    """
    blob = checked_blob(path, digest)
    base = PurePosixPath(name.replace("\\", "/")).name or "artifact"
    if PurePosixPath(base).suffix.lower() in PROGRAM_SUFFIXES:
        raise ArtifactUnreadable(
            f"{base} is a program or script, which the app does not open: use Show in folder."
        )
    hex_digest = digest.removeprefix("sha256:")
    folder = Path(tempfile.gettempdir()) / "mlops-desktop-artifacts" / hex_digest[:16]
    target = folder / base
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.stat().st_size != blob.stat().st_size:
            shutil.copyfile(blob, target)  # a plain copy: never executable
    except OSError as exc:
        raise ArtifactUnreadable(
            f"{base} cannot be copied for the viewer: {exc.strerror or exc}."
        ) from None
    return target


def _head(blob: Path, limit: int) -> bytes:
    with blob.open("rb") as fh:
        return fh.read(limit + 1)


def _looks_like_text(sample: bytes) -> bool:
    if not sample or b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3  # a character cut at the end of the sample
    return True


def _text(kind: str, name: str, size: int, head: bytes, limit: int) -> ArtifactContent:
    text = head[:limit].decode("utf-8", errors="replace")
    note = ""
    if len(head) > limit:
        note = f"Showing the first {_bytes(limit)} of {_bytes(size)}."
    return ArtifactContent(kind, name, size, text=printable_lines(text), note=note)


def _json(name: str, size: int, head: bytes, limit: int) -> ArtifactContent:
    if len(head) > limit:
        return _text("json", name, size, head, limit)
    try:
        value = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        shown = _text("text", name, size, head, limit)
        return ArtifactContent(
            "text", name, size, text=shown.text, note=f"Not valid JSON ({exc}); shown as text."
        )
    pretty = json.dumps(value, indent=2, ensure_ascii=False)
    return ArtifactContent("json", name, size, text=printable_lines(pretty))


def _json_table(blob: Path, name: str, size: int, head: bytes, rows: int) -> ArtifactContent | None:
    """A ``log_table`` file (MLflow's ``{"columns": [...], "data": [[...]]}``) as a table;
    None when the JSON is something else."""
    if not head.lstrip()[:16].replace(b" ", b"").startswith(b'{"columns"') or (
        size > MAX_JSON_TABLE_BYTES
    ):
        return None
    try:
        value = json.loads(blob.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    table = json_table_preview(value, name, rows)
    if table is None:
        return None
    note = ""
    total = table.total_rows or 0
    if total > len(table.rows):
        note = f"Showing the first {count_noun(len(table.rows), 'row')} of {total:,}."
    return ArtifactContent("table", name, size, table=table, note=note)


def json_table_preview(value: object, name: str, rows: int) -> TablePreview | None:
    """The first ``rows`` rows of a parsed ``{"columns": [...], "data": [[...]]}`` table,
    values as strings (null as ""); None when ``value`` is not such a table."""
    if not isinstance(value, dict) or set(value) - {"columns", "data", "index"}:
        return None
    columns, data = value.get("columns"), value.get("data")
    if not (isinstance(columns, list) and isinstance(data, list)):
        return None
    width = len(columns)
    if not all(isinstance(r, list) and len(r) == width for r in data):
        return None
    shown = data[:rows]
    types = [_json_column_type([r[i] for r in shown]) for i in range(width)]
    cells = [["" if v is None else _cell(v) for v in r] for r in shown]
    return TablePreview(name, [str(c) for c in columns], types, cells, total_rows=len(data))


def _json_column_type(values: list[object]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "null"
    if kinds <= {bool}:
        return "bool"
    if kinds <= {int}:
        return "int64"
    if kinds <= {int, float}:
        return "double"
    return "string"


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _table(blob: Path, name: str, size: int, rows: int) -> ArtifactContent:
    fmt = table_format(name)
    try:
        from mlops_desktop.datasets.preview import preview_table  # pyarrow: not at start-up

        preview = preview_table(blob, name, rows=rows)
    except DatasetError as exc:
        raise ArtifactUnreadable(f"{name} cannot be shown as a table: {exc}") from None
    total = preview.total_rows
    if total is None and fmt in ("csv", "tsv", "jsonl"):
        total = _count_lines(blob, header=fmt != "jsonl")
    shown = len(preview.rows)
    note = ""
    if total is not None and total > shown:
        note = f"Showing the first {count_noun(shown, 'row')} of {total:,}."
    return ArtifactContent("table", name, size, table=preview, note=note)


def _count_lines(blob: Path, header: bool) -> int:
    """Lines of a text table (less its header): the row count unless values hold newlines."""
    count = 0
    last = b"\n"
    with blob.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        count += 1
    return max(0, count - (1 if header else 0))


def _too_big(name: str, size: int) -> str:
    return f"{name} is {_bytes(size)}, too large to preview here: open it in the system viewer."


def _bytes(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return count_noun(size, "byte")
