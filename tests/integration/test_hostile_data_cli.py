"""Hostile data files on the command line: exit status 2 and one sentence on stderr, nothing else.

``data profile``/``data diff`` (the dataset readers) and ``drift`` (the drift reader) are run on
each kind of hostile file; two cases also run in a child process, so that what the real
interpreter prints ("Exception ignored ...", NumPy warnings) is seen too.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from mlops_desktop.cli import main
from mlops_desktop.datasets import text_files


def bad_npy() -> bytes:
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 8), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(800)


def pickled_npz(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", pickle.dumps({"a": 1}))


HOSTILE: dict[str, bytes | None] = {
    "random.csv": bytes(range(256)) * 400,
    "nul.csv": b"a,b\n1,\x002\n",
    "long.csv": b"a" * (3 << 20),
    "deep.jsonl": b"[" * 200_000 + b"\n",
    "random.parquet": os.urandom(5000),
    "shape.npy": bad_npy(),
    "pickles.npz": None,
}


def one_sentence(err: str) -> str:
    err = err.strip()
    assert err.startswith("mlops-desktop: "), err
    for bad in ("\n", "Traceback", "Exception ignored", "Warning", "Internal error"):
        assert bad not in err, err
    assert err.isprintable() and err.isascii(), repr(err)
    return err


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(text_files, "HEADER_LIMIT", 1 << 20)
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, data in HOSTILE.items():
        if data is None:
            pickled_npz(folder / name)
        else:
            (folder / name).write_bytes(data)
    return folder


def test_data_profile_refuses_each_hostile_file(
    capsys: pytest.CaptureFixture[str], hostile: Path
) -> None:
    assert main(["data", "add", str(hostile), "--name", "bad"]) == 0
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in HOSTILE:
            assert main(["data", "profile", "bad", "--file", name]) == 2, name
            err = one_sentence(capsys.readouterr().err)
            assert name in err


def test_drift_refuses_each_hostile_file(
    capsys: pytest.CaptureFixture[str], hostile: Path, tmp_path: Path
) -> None:
    ref = tmp_path / "ref.csv"
    ref.write_text("a,b\n1,2\n3,4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("random.csv", "nul.csv", "long.csv", "deep.jsonl", "random.parquet"):
            assert main(["drift", str(ref), str(hostile / name)]) == 2, name
            assert name in one_sentence(capsys.readouterr().err)


def test_a_real_interpreter_prints_one_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "r.csv").write_bytes(os.urandom(20_000).replace(b"\0", b"\1") + b"\n1,2\n")
    (folder / "s.npy").write_bytes(bad_npy())
    assert main(["data", "add", str(folder), "--name", "d"]) == 0
    for name in ("r.csv", "s.npy"):
        done = subprocess.run(
            [sys.executable, "-m", "mlops_desktop", "data", "profile", "d", "--file", name],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode in (0, 2), done.stderr
        if done.returncode == 2:
            one_sentence(done.stderr)
        else:
            assert done.stderr == "", done.stderr
