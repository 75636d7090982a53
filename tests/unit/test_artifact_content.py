"""Reading artifacts for previews: only what is needed, never outside the store, never run."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest

from mlops_desktop.core.errors import ArtifactUnreadable
from mlops_desktop.services.artifact_content import (
    artifact_kind,
    copy_for_viewer,
    read_artifact,
)


def store(root: Path, content: bytes) -> tuple[str, str]:
    """Put ``content`` in a store under ``root`` as the tracking client does: (path, digest)."""
    hexd = hashlib.sha256(content).hexdigest()
    blob = root / "sha256" / hexd[:2] / hexd
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(content)
    return str(blob), f"sha256:{hexd}"


def test_kinds_follow_the_name() -> None:
    assert artifact_kind("plots/loss.PNG") == "image"
    assert artifact_kind("a.svg") == "svg"
    assert artifact_kind("m.json") == "json"
    assert artifact_kind("t.tsv") == "table" and artifact_kind("p.parquet") == "table"
    assert artifact_kind("README.md") == "text"
    assert artifact_kind("model.joblib") == "binary"


def test_text_is_capped_and_escaped(tmp_path: Path) -> None:
    path, digest = store(tmp_path, b"\x1b]52;c;evil\x07" + b"x" * 5000)
    content = read_artifact(path, "out.log", digest, text_bytes=1024)
    assert content.kind == "text" and "\x1b" not in content.text and "\\x1b" in content.text
    assert content.note == "Showing the first 1.0 KB of 4.9 KB."


def test_unknown_text_is_sniffed_and_binary_is_not(tmp_path: Path) -> None:
    path, digest = store(tmp_path, b"plain words\n")
    assert read_artifact(path, "LICENSE", digest).kind == "text"
    path, digest = store(tmp_path, b"\x00\x01\x02binary")
    assert read_artifact(path, "weights", digest).kind == "binary"


def test_bad_json_is_shown_as_text_with_a_note(tmp_path: Path) -> None:
    path, digest = store(tmp_path, b'{"a": 1,')
    content = read_artifact(path, "m.json", digest)
    assert content.kind == "text" and content.note.startswith("Not valid JSON")


def test_paths_outside_the_store_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    digest = "sha256:" + hashlib.sha256(b"secret").hexdigest()
    with pytest.raises(ArtifactUnreadable, match="not in the artifact store"):
        read_artifact(str(outside), "secret.txt", digest)
    path, digest = store(tmp_path, b"abc")
    Path(path).unlink()
    with pytest.raises(ArtifactUnreadable, match="missing"):
        read_artifact(path, "a.txt", digest)


def test_programs_are_never_handed_to_a_viewer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    path, digest = store(tmp_path, b"#!/bin/sh\nrm -rf ~\n")
    with pytest.raises(ArtifactUnreadable, match="program or script"):
        copy_for_viewer(path, "tools/install.sh", digest)
    path, digest = store(tmp_path, b"a,b\n1,2\n")
    copy = copy_for_viewer(path, "tables/out.csv", digest)
    assert copy.name == "out.csv" and copy.read_bytes() == b"a,b\n1,2\n"
    assert copy.is_relative_to(tmp_path / "tmp")
    assert not copy.stat().st_mode & 0o111  # never executable
