"""Model archives: round trip, and every unsafe or damaged archive refused with nothing written."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from mlops_desktop.core.errors import ArchiveError
from mlops_desktop.models.archive import read_archive, write_archive


def _manifest(files: dict[str, bytes]) -> bytes:
    listed = [
        {"path": rel, "size": len(data), "digest": "sha256:" + hashlib.sha256(data).hexdigest()}
        for rel, data in sorted(files.items())
    ]
    doc = {"format": "mlops-desktop-model", "format_version": 1, "meta": {}, "files": listed}
    return json.dumps(doc).encode()


GOOD = {"model.pkl": b"weights", "sub/extra.txt": b"hello"}


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"", **attrs: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.isreg() else None)


def _tar(path: Path, extra: list[tuple[str, bytes, dict[str, object]]], files=GOOD) -> Path:  # type: ignore[no-untyped-def]
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "manifest.json", _manifest(files))
        _add(tar, "card.json", b"{}")
        for rel, data in files.items():
            _add(tar, f"model/{rel}", data)
        for name, data, attrs in extra:
            _add(tar, name, data, **attrs)
    return path


def _zip(path: Path, extra: list[zipfile.ZipInfo | tuple[str, bytes]], files=GOOD) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", _manifest(files))
        for rel, data in files.items():
            zf.writestr(f"model/{rel}", data)
        for item in extra:
            if isinstance(item, zipfile.ZipInfo):
                zf.writestr(item, b"/etc/passwd")
            else:
                zf.writestr(*item)
    return path


def _refused(archive: Path, tmp_path: Path, words: str, **limits: int) -> str:
    """Import must fail with ``words`` in the message and leave the work folder as it was."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    with pytest.raises(ArchiveError) as err:
        read_archive(archive, work / "dest", **limits)
    assert list(work.iterdir()) == [], "something was left behind"
    assert not (tmp_path / "x").exists() and not (tmp_path / "evil").exists()
    message = str(err.value)
    assert words.lower() in message.lower(), message
    return message


def test_round_trip_is_deterministic_and_verified(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "model.pkl").write_bytes(b"weights")
    (src / "sub" / "extra.txt").write_bytes(b"hello")
    files = [("sub/extra.txt", src / "sub" / "extra.txt"), ("model.pkl", src / "model.pkl")]
    card, lineage, meta = {"name": "iris"}, {"run": "abc"}, {"version": 3}
    a = write_archive(tmp_path / "a.mlmodel.tar.gz", files, card, lineage, meta)
    b = write_archive(tmp_path / "b.tar.gz", list(reversed(files)), card, lineage, meta)
    assert a.read_bytes() == b.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with tarfile.open(a) as tar:
        assert tar.getnames()[:3] == ["manifest.json", "card.json", "lineage.json"]
        assert all(m.mtime == 0 for m in tar.getmembers())

    got = read_archive(a, tmp_path / "out" / "dest")
    assert got.card == card and got.lineage == lineage and got.manifest["meta"] == meta
    assert [(rel, size) for rel, _p, size, _d in got.files] == [
        ("model.pkl", 7),
        ("sub/extra.txt", 5),
    ]
    for rel, path, _size, digest in got.files:
        assert path == tmp_path / "out" / "dest" / rel
        assert digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dest"]


def test_zip_with_the_same_layout_is_accepted(tmp_path: Path) -> None:
    got = read_archive(_zip(tmp_path / "m.zip", []), tmp_path / "dest")
    assert {rel: p.read_bytes() for rel, p, _s, _d in got.files} == GOOD
    assert got.card == {}


def test_destination_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "keep").write_text("mine")
    with pytest.raises(ArchiveError, match="not empty"):
        read_archive(_tar(tmp_path / "a.tar.gz", []), tmp_path / "dest")
    assert (tmp_path / "dest" / "keep").read_text() == "mine"


@pytest.mark.parametrize(
    ("name", "attrs", "words"),
    [
        ("/abs/model.pkl", {}, "absolute path"),
        ("../x", {}, "'..'"),
        ("model/../../x", {}, "'..'"),
        ("model\\..\\..\\evil", {}, "backslash"),
        ("model/link", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "symbolic link"),
        ("model/hard", {"type": tarfile.LNKTYPE, "linkname": "manifest.json"}, "hard link"),
        ("model/tty", {"type": tarfile.CHRTYPE, "devmajor": 5, "devminor": 0}, "device file"),
        ("model/disk", {"type": tarfile.BLKTYPE}, "device file"),
        ("model/pipe", {"type": tarfile.FIFOTYPE}, "FIFO"),
        ("notes.txt", {}, "outside model/"),
        ("model/model.pkl", {}, "appears twice"),
        ("MODEL/Model.pkl", {}, "outside model/"),
        ("model/Model.PKL", {}, "appears twice"),
    ],
)
def test_unsafe_tar_member_is_refused(
    tmp_path: Path, name: str, attrs: dict[str, object], words: str
) -> None:
    archive = _tar(tmp_path / "bad.tar.gz", [(name, b"x", attrs)])
    message = _refused(archive, tmp_path, words)
    assert repr(name) in message  # the member is named
    if "link" in words:
        assert "no reason to contain links" in message


def test_too_many_members_is_refused(tmp_path: Path) -> None:
    files = {f"f{i}": b"x" for i in range(20)}
    _refused(
        _tar(tmp_path / "many.tar.gz", [], files=files), tmp_path, "limit of 10", max_members=10
    )


def test_declared_size_bomb_is_refused_before_extracting(tmp_path: Path) -> None:
    big = {"model.pkl": b"\0" * 200_000}
    _refused(_tar(tmp_path / "bomb.tar.gz", [], files=big), tmp_path, "expand", max_bytes=100_000)


def test_header_that_lies_about_the_size_is_refused(tmp_path: Path) -> None:
    # A zip whose central directory declares 10 bytes but whose data inflates to 1 MB.
    archive = _zip(tmp_path / "liar.zip", [], files={"model.pkl": b"\0" * 1_000_000})
    raw = bytearray(archive.read_bytes())
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"PK\x05\x06"))
    assert raw[cd + 46 : cd + 46 + 15] == b"model/model.pkl"
    raw[cd + 24 : cd + 28] = struct.pack("<I", 10)  # uncompressed size
    lfh = raw.find(b"PK\x03\x04model/model.pkl"[:4], raw.find(b"model/model.pkl") - 40)
    raw[lfh + 22 : lfh + 26] = struct.pack("<I", 10)
    archive.write_bytes(bytes(raw))
    _refused(archive, tmp_path, "manifest.json says 1,000,000")


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "a.tar.gz", [], files={"model.pkl": bytes(range(256)) * 400})
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    _refused(archive, tmp_path, "is not a complete model archive")


def test_not_an_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(gzip.compress(b"just some text, not a tar" * 100))
    _refused(archive, tmp_path, "is not a complete model archive")


def test_digest_mismatch_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "manifest.json", _manifest({"model.pkl": b"weights"}))
        _add(tar, "model/model.pkl", b"WEIGHTS")
    _refused(archive, tmp_path, "does not match its SHA-256")


def test_unlisted_file_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "a.tar.gz", [("model/sneaky.py", b"import os", {})])
    _refused(archive, tmp_path, "not listed in manifest.json")


def test_listed_file_missing_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "manifest.json", _manifest(GOOD))
        _add(tar, "model/model.pkl", GOOD["model.pkl"])
    _refused(archive, tmp_path, "is not in the archive")


def test_missing_manifest_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "model/model.pkl", b"weights")
    _refused(archive, tmp_path, "before manifest.json, which a model archive has first")


def test_zip_slip_is_refused(tmp_path: Path) -> None:
    _refused(_zip(tmp_path / "slip.zip", [("../../evil", b"x")]), tmp_path, "'..'")
    _refused(_zip(tmp_path / "abs.zip", [("/tmp/evil", b"x")]), tmp_path, "absolute path")


def test_zip_symlink_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("model/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    message = _refused(_zip(tmp_path / "link.zip", [link]), tmp_path, "symbolic link")
    assert "no reason to contain links" in message


def test_zip_device_is_refused(tmp_path: Path) -> None:
    dev = zipfile.ZipInfo("model/tty")
    dev.external_attr = (stat.S_IFCHR | 0o666) << 16
    _refused(_zip(tmp_path / "dev.zip", [dev]), tmp_path, "device file")


def test_zip_declared_bomb_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", [], files={"model.pkl": b"\0" * 300_000})
    _refused(archive, tmp_path, "expand", max_bytes=100_000)


def test_write_refuses_bad_names(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x")
    with pytest.raises(ArchiveError, match=r"'\.\.'"):
        write_archive(tmp_path / "a.tar.gz", [("../f", f)], {}, {}, {})
    with pytest.raises(ArchiveError, match="twice"):
        write_archive(tmp_path / "a.tar.gz", [("f", f), ("./f", f)], {}, {}, {})
    assert not list(tmp_path.glob("*.tar.gz*")) and not list(tmp_path.glob(".*tmp"))


def test_byte_counter_stops_a_member_longer_than_its_header() -> None:
    from mlops_desktop.models.extract import copy_member
    from mlops_desktop.models.members import Budget, Member

    member = Member(name="model/x", rel="x", is_dir=False, size=10)
    roomy = Budget(max_bytes=1000, max_members=9)
    with pytest.raises(ArchiveError, match="more data than its header declares"):
        copy_member(io.BytesIO(b"\0" * 100), io.BytesIO(), member, roomy)
    budget = Budget(max_bytes=50, max_members=9)
    big = Member(name="model/y", rel="y", is_dir=False, size=100)
    with pytest.raises(ArchiveError, match="expands to more than 50 bytes"):
        copy_member(io.BytesIO(b"\0" * 100), io.BytesIO(), big, budget)


def test_zip_export_is_a_real_zip_read_back_the_same(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "model.pkl").write_bytes(b"weights" * 1000)
    (src / "extra.txt").write_bytes(b"hello")
    files = [("sub/extra.txt", src / "extra.txt"), ("model.pkl", src / "model.pkl")]
    a = write_archive(tmp_path / "a.zip", files, {"name": "iris"}, {"run": "abc"}, {"version": 3})
    b = write_archive(
        tmp_path / "b.zip", files[::-1], {"name": "iris"}, {"run": "abc"}, {"version": 3}
    )
    assert zipfile.is_zipfile(a) and a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == [
            "manifest.json",
            "card.json",
            "lineage.json",
            "model/model.pkl",
            "model/sub/extra.txt",
        ]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
    got = read_archive(a, tmp_path / "dest")
    assert got.card == {"name": "iris"} and got.manifest["meta"] == {"version": 3}
    assert {rel: p.read_bytes() for rel, p, _s, _d in got.files} == {
        "model.pkl": b"weights" * 1000,
        "sub/extra.txt": b"hello",
    }


def test_format_by_suffix() -> None:
    from mlops_desktop.models.archive import archive_format

    assert archive_format("m.zip") == archive_format(Path("M.ZIP")) == "zip"
    for name in ("m.tar.gz", "m.tgz", "m.mlmodel", "m"):
        assert archive_format(name) == "tar.gz"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("model/" + "a" * 256, "longer than 255 bytes"),
        ("model/" + "é" * 128, "longer than 255 bytes"),  # 256 bytes in UTF-8
        ("model/" + "/".join(["d"] * 64) + "/f", "65 folders deep"),
        ("model/" + "/".join(["a" * 200] * 6), "more than 1,024"),
    ],
)
def test_member_name_over_the_limits_is_refused(tmp_path: Path, name: str, words: str) -> None:
    files = {name.removeprefix("model/"): b"x"}
    _refused(_tar(tmp_path / "long.tar.gz", [], files=files), tmp_path, words)
    _refused(_zip(tmp_path / "long.zip", [], files=files), tmp_path, words)


def test_member_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        _add(tar, "manifest.json", _manifest(GOOD))
        _add(tar, "model/\udcff.pkl", b"x")
    _refused(archive, tmp_path, "not UTF-8")


def test_huge_extended_tar_header_is_refused_before_it_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "manifest.json", _manifest(GOOD))
        info = tarfile.TarInfo("model/model.pkl")
        info.size = 7
        info.pax_headers = {"comment": "x" * 100_000}
        tar.addfile(info, io.BytesIO(b"weights"))
    _refused(archive, tmp_path, "extended tar header")


def test_manifest_fields_are_type_checked(tmp_path: Path) -> None:
    def archive(**changes: object) -> Path:
        doc = json.loads(_manifest(GOOD))
        doc.update(changes)
        path = tmp_path / "m.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("manifest.json", json.dumps(doc))
            for rel, data in GOOD.items():
                zf.writestr(f"model/{rel}", data)
        return path

    _refused(archive(meta=[]), tmp_path, '"meta" must be a JSON object, not a list')
    _refused(archive(meta={"tags": "x"}), tmp_path, '"meta.tags" must be a JSON object')
    _refused(archive(meta={"version": "3"}), tmp_path, '"meta.version" must be a whole number')
    _refused(archive(format_version=True), tmp_path, '"format_version" must be a whole number')
    _refused(archive(files=[1]), tmp_path, '"files[0]" must be a JSON object, not a number')
    bad_digest = [{"path": "model.pkl", "size": 7, "digest": "md5:x"}]
    _refused(archive(files=bad_digest), tmp_path, '"files[0].digest" must be')
    _refused(archive(files=[{"path": 3, "size": 1, "digest": "x"}]), tmp_path, "files[0].path")
