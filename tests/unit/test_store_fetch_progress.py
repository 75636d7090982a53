"""Progress of fetches from the lab store: a folder store reports chunk by chunk, rsync's
``--info=progress2`` output (captured from a real local rsync) is read for bytes done, and the
command line draws one updating line only on a terminal."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.cli.fetch_progress import FetchLine, report_fetches_on_terminal
from mlops_desktop.store.blobs import ARTIFACTS, BlobKey
from mlops_desktop.store.folder import FETCH_CHUNK, FolderStore
from mlops_desktop.store.progress import parse_rsync_progress, report_rsync, rsync_lines

MB = 1 << 20


def stored_blob(root: Path, size: int) -> tuple[BlobKey, bytes]:
    data = os.urandom(size)
    key = BlobKey(ARTIFACTS, hashlib.sha256(data).hexdigest())
    (root / key.rel).parent.mkdir(parents=True)
    (root / key.rel).write_bytes(data)
    return key, data


def test_folder_fetch_reports_each_chunk(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    size = 2 * FETCH_CHUNK + 12_345
    key, data = stored_blob(tmp_path / "store", size)
    calls: list[tuple[int, int]] = []
    assert FolderStore(tmp_path / "store").fetch(key, tmp_path / "got", lambda *c: calls.append(c))
    assert (tmp_path / "got").read_bytes() == data
    assert calls == [(FETCH_CHUNK, size), (2 * FETCH_CHUNK, size), (size, size)]

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt  # a cancelled fetch stops between chunks

    with pytest.raises(KeyboardInterrupt):
        FolderStore(tmp_path / "store").fetch(key, tmp_path / "stopped", stop)
    assert (tmp_path / "stopped").stat().st_size == FETCH_CHUNK
    missing = BlobKey(ARTIFACTS, "0" * 64)
    assert FolderStore(tmp_path / "store").fetch(missing, tmp_path / "none", calls.append) is False


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")
def test_rsync_progress_lines_of_a_real_local_rsync(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    size = 24 * MB + 7
    (tmp_path / "src" / "blob").write_bytes(os.urandom(size))
    argv = ["rsync", "--no-perms", "--info=progress2", "--no-inc-recursive"]
    out = subprocess.run(
        [*argv, str(tmp_path / "src" / "blob"), str(tmp_path / "dst")],
        capture_output=True,
        check=True,
    ).stdout
    assert b"\r" in out  # rsync redraws its line in place
    parsed = [p for line in rsync_lines(io.BytesIO(out)) if (p := parse_rsync_progress(line))]
    assert parsed and parsed[-1] == (size, 100)
    assert all(0 <= done <= size and 0 <= pct <= 100 for done, pct in parsed)
    calls: list[tuple[int, int]] = []
    report_rsync(io.BytesIO(out), lambda *c: calls.append(c))
    assert calls and calls[-1] == (size, size)
    assert parse_rsync_progress(b"sending incremental file list") is None
    assert parse_rsync_progress(b"   1,048,576  50%  1.00MB/s  0:00:01") == (MB, 50)


def test_command_line_draws_one_line_finished_by_a_newline() -> None:
    stream = io.StringIO()
    line = FetchLine(stream)
    line(0, 4 * MB, "3f2a1b2c" * 8)
    line(4 * MB, 4 * MB, "3f2a1b2c" * 8)
    text = stream.getvalue()
    assert text.startswith("\rFetching 3f2a1b2c… from the lab store: 0 % of 4.0 MB")
    assert text.endswith("\rFetching 3f2a1b2c… from the lab store: 100 % of 4.0 MB\n")
    assert text.count("\n") == 1
    line(MB, MB, "model/weights.pt")  # a file's name is shown as it is
    expected = "\rFetching model/weights.pt from the lab store: 100 % of 1.0 MB\n"
    assert stream.getvalue().endswith(expected)
    assert report_fetches_on_terminal(io.StringIO()) is False  # a pipe stays clean
