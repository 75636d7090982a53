"""Benchmark: ``models import`` of hostile archives, at full size.

Run with ``python tests/benchmarks/bench_hostile_archives.py [--small] [--keep DIR]``. Builds
each hostile archive (tar.gz and zip): a card.json of 200,000 nested ``[``, a member name of
300 characters, ``"meta": "notadict"``, a 5 GB member of zeros that manifest.json does not
list (streamed through the compressor: this takes a while), 150,000 members, a 400 MiB
card.json, a listed member one byte longer than manifest.json says, and a zip whose headers say
7 bytes for a member that inflates to 1 GB. Each import runs as its own ``mlops-desktop models
import`` process with TMPDIR pointed at a fresh folder, which a thread polls for its size.

Prints, per archive: the exit status, the time from the command's start to its refusal (in the
child, after a first ``models list`` loaded the modules and opened the catalog), the peak bytes
in the temp folder and the growth of the child's peak RSS over the import (``clear_refs``
resets the peak first; Linux). The target: each refused (status 2) in under 1 s with less than
10 MB written. ``--small`` divides the big sizes by 100 (the card stays over its limit).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

MIB = 1 << 20
Member = tuple[str, int, "Callable[[], IO[bytes]]"]  # name, size, a reader of the data


class Zeros(io.RawIOBase):
    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def data(b: bytes) -> Callable[[], IO[bytes]]:
    return lambda: io.BytesIO(b)


def manifest(files: dict[str, bytes], meta: object = None) -> bytes:
    listed = [
        {"path": rel, "size": len(d), "digest": "sha256:" + hashlib.sha256(d).hexdigest()}
        for rel, d in files.items()
    ]
    meta = {"name": "hostile"} if meta is None else meta
    doc = {"format": "mlops-desktop-model", "format_version": 1, "meta": meta, "files": listed}
    return json.dumps(doc).encode()


def good(files: dict[str, bytes] | None = None, meta: object = None) -> list[Member]:
    files = files or {"model.pkl": b"weights"}
    man = manifest(files, meta)
    out: list[Member] = [("manifest.json", len(man), data(man)), ("card.json", 2, data(b"{}"))]
    return out + [(f"model/{rel}", len(d), data(d)) for rel, d in files.items()]


def write(path: Path, members: list[Member]) -> Path:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, _size, reader in members:
                with zf.open(name, "w", force_zip64=True) as out, reader() as src:
                    while chunk := src.read(4 * MIB):
                        out.write(chunk)
        return path
    with gzip.open(path, "wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, size, reader in members:
            info = tarfile.TarInfo(name)
            info.size = size
            with reader() as src:
                tar.addfile(info, src)
    return path


def kinds(scale: int) -> Iterator[tuple[str, Callable[[Path], Path]]]:
    zeros = 5_000 * MIB // scale
    card = max(400 * MIB // scale, 20 * MIB)  # over the 16 MiB limit even with --small
    many = 150_000

    def deep_card(p: Path) -> Path:
        m = good()
        m[1] = ("card.json", 200_000, data(b"[" * 200_000))
        return write(p, m)

    def long_name(p: Path) -> Path:
        return write(p, good({"x" * 300: b"weights"}))

    def meta_string(p: Path) -> Path:
        return write(p, good(meta="notadict"))

    def unlisted_zeros(p: Path) -> Path:
        return write(p, [*good(), ("model/zeros.bin", zeros, lambda: Zeros(zeros))])  # type: ignore[list-item]

    def many_members(p: Path) -> Path:
        files = {f"f{i}": b"" for i in range(many)}
        return write(p, good(files))

    def huge_card(p: Path) -> Path:
        m = good()
        body = b'{"a": "' + b"0" * (card - 10) + b'"}\n'
        m[1] = ("card.json", len(body), data(body))
        return write(p, m)

    def one_byte_over(p: Path) -> Path:
        n = 100 * MIB
        m = good({"model.pkl": bytes(n)})
        m[-1] = ("model/model.pkl", n + 1, lambda: Zeros(n + 1))  # type: ignore[assignment]
        return write(p, m)

    for suffix in (".tar.gz", ".zip"):
        yield f"card.json 200,000 deep{suffix}", lambda p, s=suffix: deep_card(p.with_suffix(s))
        yield f"300-character name{suffix}", lambda p, s=suffix: long_name(p.with_suffix(s))
        yield f'"meta": "notadict"{suffix}', lambda p, s=suffix: meta_string(p.with_suffix(s))
        yield (
            f"{zeros // MIB:,} MiB unlisted{suffix}",
            lambda p, s=suffix: unlisted_zeros(p.with_suffix(s)),
        )
        yield f"{many:,} members{suffix}", lambda p, s=suffix: many_members(p.with_suffix(s))
        yield (
            f"{card // MIB} MiB card.json{suffix}",
            lambda p, s=suffix: huge_card(p.with_suffix(s)),
        )
        yield f"1 byte over its size{suffix}", lambda p, s=suffix: one_byte_over(p.with_suffix(s))
    yield f"zip bomb 7 B -> {zeros // 5 // MIB:,} MiB.zip", lambda p: zip_bomb(p, zeros // 5)


def zip_bomb(path: Path, n: int) -> Path:
    """Headers say 7 bytes; the deflated data inflates to ``n`` zeros."""
    path = path.with_suffix(".zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", manifest({"model.pkl": b"weights"}))
        with zf.open("model/model.pkl", "w") as out:  # n < 4 GiB: plain 4-byte sizes
            src = Zeros(n)
            while chunk := src.read(4 * MIB):
                out.write(chunk)
    raw = bytearray(path.read_bytes())
    name = b"model/model.pkl"
    cd = raw.rindex(b"PK\x01\x02", 0, raw.rindex(name))
    lfh = raw.rindex(b"PK\x03\x04", 0, raw.index(name))
    raw[cd + 24 : cd + 28] = struct.pack("<I", 7)
    raw[lfh + 22 : lfh + 26] = struct.pack("<I", 7)
    path.write_bytes(bytes(raw))
    return path


def folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


CHILD = """
import json, os, sys, time
from mlops_desktop.cli import main

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])  # KiB

main(["models", "list"])  # modules loaded, catalog open: what every command pays first
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak RSS to the current RSS
rss = status("VmRSS:")
started = time.perf_counter()
rc = main(["models", "import", sys.argv[1]])
elapsed = time.perf_counter() - started
json.dump({"rc": int(rc), "s": elapsed, "rss_kib": status("VmHWM:") - rss}, open(sys.argv[2], "w"))
"""


def run(archive: Path, home: Path, tmp: Path) -> tuple[dict[str, Any], int, str]:
    """The import in a child process, TMPDIR polled: (its figures, peak temp bytes, stderr)."""
    env = dict(os.environ, MLOPS_DESKTOP_HOME=str(home), TMPDIR=str(tmp))
    peak = [0]
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], folder_size(tmp))
            time.sleep(0.005)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out = tmp.parent / f"{tmp.name}.json"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(archive), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    stop.set()
    poller.join()
    err = done.stderr.decode(errors="replace").strip()
    figures = json.loads(out.read_text()) if out.exists() else {"rc": done.returncode}
    return figures, peak[0], err.splitlines()[-1] if err else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="big sizes divided by 100")
    parser.add_argument("--keep", type=Path, help="build the archives here (kept for reruns)")
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    built = opts.keep or work / "archives"
    built.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir()
    print(
        f"{'archive':36} {'size':>9} {'build s':>8} {'rc':>3} {'refused in':>10} "
        f"{'temp peak':>10} {'RSS +MiB':>9}  message"
    )
    for i, (label, build) in enumerate(kinds(100 if opts.small else 1)):
        started = time.perf_counter()
        existing = list(built.glob(f"k{i}.*"))
        archive = existing[0] if existing and opts.keep else build(built / f"k{i}")
        build_s = time.perf_counter() - started
        tmp = work / f"tmp{i}"
        tmp.mkdir()
        got, peak, line = run(archive, home, tmp)
        left = folder_size(tmp)
        print(
            f"{label:36} {archive.stat().st_size / MIB:7.1f}MB {build_s:8.1f} {got['rc']:3d} "
            f"{got.get('s', float('nan')):9.3f}s {peak / MIB:8.2f}MB "
            f"{got.get('rss_kib', 0) / 1024:9.1f}  {line[15:90]}"
            + (f" ({left:,} bytes LEFT in the temp folder)" if left else "")
        )
        if not opts.keep:
            archive.unlink()


if __name__ == "__main__":
    main()
