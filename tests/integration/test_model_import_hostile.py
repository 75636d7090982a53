"""``models import`` of hostile archives: each refused in one sentence with status 2, quickly,
before its bytes are written, with nothing left in the temp folder and no model registered.

The archives are small versions of the ones an attacker would send (a 50 MB zero member
rather than 5 GB, one member over the cap rather than 150,000); the full-size ones are in
``tests/benchmarks/bench_hostile_archives.py``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import struct
import tarfile
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from mlops_desktop.cli import main
from mlops_desktop.models import extract

MEMBER_CAP = 10_000
MIB = 1 << 20


class _Zeros(io.RawIOBase):
    """``n`` zero bytes, read in chunks (a big member without holding it in memory)."""

    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _manifest(files: dict[str, bytes], meta: object = None, **extra: object) -> bytes:
    listed = [{"path": rel, "size": len(d), "digest": _digest(d)} for rel, d in files.items()]
    doc = {
        "format": "mlops-desktop-model",
        "format_version": 1,
        "meta": {"name": "hostile"} if meta is None else meta,
        "files": listed,
        **extra,
    }
    return json.dumps(doc).encode()


Member = tuple[str, int, "IO[bytes] | bytes"]  # name, size in the header, data


def _tar(path: Path, members: list[Member]) -> Path:
    with (
        gzip.GzipFile(path, "wb", compresslevel=1) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, size, data in members:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(data) if isinstance(data, bytes) else data)
    return path


def _zip(path: Path, members: list[Member]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, _size, data in members:
            with zf.open(name, "w", force_zip64=True) as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    while chunk := data.read(MIB):
                        out.write(chunk)
    return path


def _build(path: Path, members: list[Member]) -> Path:
    return _zip(path, members) if path.suffix == ".zip" else _tar(path, members)


GOOD = {"model.pkl": b"weights"}


def _good_members(files: dict[str, bytes] = GOOD, **manifest: Any) -> list[Member]:
    man = _manifest(files, **manifest)
    out: list[Member] = [("manifest.json", len(man), man), ("card.json", 2, b"{}")]
    out += [(f"model/{rel}", len(d), d) for rel, d in files.items()]
    return out


# --------------------------------------------------------------------------- the hostile kinds


def deep_card(path: Path) -> Path:
    deep = b"[" * 200_000
    members = _good_members()
    members[1] = ("card.json", len(deep), deep)
    return _build(path, members)


def deep_manifest(path: Path) -> Path:
    man = b'{"files": ' + b"[" * 200_000
    return _build(path, [("manifest.json", len(man), man), ("model/model.pkl", 7, b"weights")])


def long_path(path: Path) -> Path:
    return _build(path, _good_members({"x" * 300 + ".pkl": b"weights"}))


def meta_not_a_dict(path: Path) -> Path:
    return _build(path, _good_members(meta="notadict"))


def files_not_a_list(path: Path) -> Path:
    man = json.dumps(
        {"format": "mlops-desktop-model", "format_version": 1, "meta": {}, "files": "model.pkl"}
    ).encode()
    return _build(path, [("manifest.json", len(man), man), ("model/model.pkl", 7, b"weights")])


def size_not_a_number(path: Path) -> Path:
    members = _good_members()
    doc = json.loads(members[0][2])  # type: ignore[arg-type]
    doc["files"][0]["size"] = "7"
    man = json.dumps(doc).encode()
    members[0] = ("manifest.json", len(man), man)
    return _build(path, members)


def unlisted_zeros(path: Path) -> Path:
    """A 50 MB member of zeros that manifest.json does not list, after the listed one."""
    return _build(path, [*_good_members(), ("model/zeros.bin", 50 * MIB, _Zeros(50 * MIB))])


def one_byte_too_many(path: Path) -> Path:
    """A listed member one byte longer than manifest.json says (and 20 MB of it)."""
    n = 20 * MIB
    data = bytes(n)
    members = _good_members({"model.pkl": data})
    members[-1] = ("model/model.pkl", n + 1, data + b"\0")
    return _build(path, members)


def over_member_cap(path: Path) -> Path:
    files = {f"f{i}": b"" for i in range(MEMBER_CAP + 1)}
    return _build(path, _good_members(files))


def unlisted_beyond_cap(path: Path) -> Path:
    """One listed file, then more tiny members than the cap allows."""
    extra: list[Member] = [(f"model/x{i}", 0, b"") for i in range(MEMBER_CAP + 1)]
    return _build(path, [*_good_members(), *extra])


def huge_card(path: Path) -> Path:
    """A card.json of 20 MiB, over the 16 MiB limit (100 KB compressed)."""
    n = 20 * MIB
    body = b'{"a": "' + bytes(n - 10).replace(b"\0", b"0") + b'"}\n'
    members = _good_members()
    members[1] = ("card.json", len(body), body)
    return _build(path, members)


def manifest_not_first(path: Path) -> Path:
    members = _good_members()
    return _tar(path, [members[2], members[0], members[1]])


KINDS = {
    "deep card.json": (deep_card, "deeper than"),
    "deep manifest.json": (deep_manifest, "deeper than"),
    "300-character member name": (long_path, "255"),
    "meta that is not an object": (meta_not_a_dict, '"meta"'),
    "files that is not a list": (files_not_a_list, '"files"'),
    "size that is not a number": (size_not_a_number, r"files\[0\]\.size"),
    "50 MB member not listed": (unlisted_zeros, "not listed in manifest.json"),
    "member one byte over its size": (one_byte_too_many, "manifest.json says"),
    "one member over the cap": (over_member_cap, "10,000"),
    "unlisted members beyond the cap": (
        unlisted_beyond_cap,
        "not listed in manifest.json|more than the limit of 10,000",
    ),
    "20 MiB card.json": (huge_card, "card.json"),
}


BIG = {"50 MB member not listed", "member one byte over its size", "20 MiB card.json"}


@pytest.fixture
def observed_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh system temp folder, and the bytes import writes to files (not to memory)."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    seen: dict[str, Any] = {"folder": folder, "written": 0}
    real = extract.copy_member

    def counting(src: IO[bytes], out: IO[bytes], *args: Any, **kwargs: Any) -> Any:
        if isinstance(out, io.BytesIO):
            return real(src, out, *args, **kwargs)
        write = out.write

        def counted(b: Any) -> int:
            seen["written"] += len(b)
            return write(b)

        out.write = counted  # type: ignore[method-assign]
        return real(src, out, *args, **kwargs)

    monkeypatch.setattr(extract, "copy_member", counting)
    yield seen


def _list() -> list[str]:
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["models", "list", "--json"]) == 0
    return [m["name"] for m in json.loads(buf.getvalue())]


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_hostile_archive_is_refused_before_it_is_written(
    kind: str,
    suffix: str,
    tmp_path: Path,
    observed_tmp: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    build, words = KINDS[kind]
    archive = build(tmp_path / f"hostile{suffix}")
    assert _list() == []  # the command's modules are loaded before the clock starts
    started = time.perf_counter()
    code = main(["models", "import", str(archive)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert re.search(words, err, re.IGNORECASE), err
    assert elapsed < 1.0, f"{kind}: refused after {elapsed:.2f} s"
    assert observed_tmp["written"] < 10 * MIB, f"{kind}: {observed_tmp['written']:,} bytes written"
    assert list(observed_tmp["folder"].iterdir()) == [], "the temp folder was not cleaned"
    assert _list() == []
    if kind not in BIG:
        return
    tracemalloc.start()  # again, for the memory it takes (tracemalloc slows the clock)
    try:
        assert main(["models", "import", str(archive)]) == 2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * MIB, f"{kind}: {peak:,} bytes of memory"


def test_manifest_must_come_first_in_a_tar(
    tmp_path: Path, observed_tmp: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    archive = manifest_not_first(tmp_path / "late.tar.gz")
    assert main(["models", "import", str(archive)]) == 2
    err = capsys.readouterr().err
    assert "manifest.json" in err and "first" in err and err.count("\n") == 1, err
    assert observed_tmp["written"] == 0


def test_zip_member_that_inflates_past_its_declared_size_stops_early(
    tmp_path: Path, observed_tmp: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A zip whose headers say 7 bytes but whose data inflates to 50 MB: at most 7 written."""
    archive = tmp_path / "liar.zip"
    man = _manifest(GOOD)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("manifest.json", man)
        zf.writestr("model/model.pkl", bytes(50 * MIB))
    raw = bytearray(archive.read_bytes())
    name = b"model/model.pkl"
    cd = raw.rindex(b"PK\x01\x02", 0, raw.rindex(name))
    lfh = raw.rindex(b"PK\x03\x04", 0, raw.index(name))
    raw[cd + 24 : cd + 28] = struct.pack("<I", 7)  # uncompressed size, central directory
    raw[lfh + 22 : lfh + 26] = struct.pack("<I", 7)  # and local header
    archive.write_bytes(bytes(raw))
    code = main(["models", "import", str(archive)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert observed_tmp["written"] <= 7
    assert list(observed_tmp["folder"].iterdir()) == []
    assert _list() == []
