"""Progress of an upload to an SSH lab store, read from what a real (local, bandwidth-limited)
rsync with the store's output options prints: bytes within each blob, and each blob handed to
the hash check only once rsync counted it as sent (rsync names a blob when it starts)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.store.blobs import ARTIFACTS, BlobKey
from mlops_desktop.store.progress import rsync_lines
from mlops_desktop.store.ssh_store import _PROGRESS_ARGS, _Upload

MB = 1 << 20


class CheckOrder:
    """Stands in for the host's hash check: records when each blob was handed over."""

    def __init__(self, heard: list[tuple[int, int, str]]) -> None:
        self.heard = heard
        self.checked: list[tuple[BlobKey, int]] = []  # (blob, progress reports before it)

    def check(self, key: BlobKey) -> None:
        self.checked.append((key, len(self.heard)))


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")
def test_upload_reports_bytes_within_blobs_and_checks_each_once_sent(tmp_path: Path) -> None:
    home, sizes = tmp_path / "home", {}
    for _ in range(2):
        data = os.urandom(3 * MB)
        key = BlobKey(ARTIFACTS, hashlib.sha256(data).hexdigest())
        (home / key.rel).parent.mkdir(parents=True, exist_ok=True)
        (home / key.rel).write_bytes(data)
        sizes[key] = len(data)
    names = "".join(f"{k.rel}\n" for k in sizes).encode()
    argv = ["rsync", "-a", "--files-from=-", "--out-format=%n", "--bwlimit=2M", *_PROGRESS_ARGS]
    out = subprocess.run(
        [*argv, f"{home}/", f"{tmp_path / 'store'}/"], input=names, capture_output=True, check=True
    ).stdout  # about 3 s: rsync reports progress about once a second

    heard: list[tuple[int, int, str]] = []
    checker = CheckOrder(heard)
    upload = _Upload(sizes, checker, lambda *call: heard.append(call))  # type: ignore[arg-type]
    for line in rsync_lines(io.BytesIO(out)):
        upload.hear(line)
    first, second = upload.named
    assert set(upload.named) == set(sizes) and upload.sent == upload.named
    assert heard[-1] == (6 * MB, 6 * MB, second.rel)
    within = [done for done, _total, _rel in heard if done % (3 * MB)]
    assert within, heard  # reported inside a blob, not only at its end
    # each blob went to the check with the report of its last byte, never before
    (k1, before1), (k2, before2) = checker.checked
    assert (k1, k2) == (first, second)
    assert heard[before1][0] == 3 * MB and all(done < 3 * MB for done, *_ in heard[:before1])
    assert heard[before2][0] == 6 * MB
