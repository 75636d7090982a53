"""The tarball's install.sh and uninstall.sh, run for real on an app folder laid out as
packaging/build lays it out (its program a stand-in script: PyInstaller is not run here)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")


def _app_folder(tmp_path: Path) -> Path:
    app = tmp_path / "unpacked" / "mlops-desktop"
    (app / "_internal" / "mlops_desktop").mkdir(parents=True)
    (app / "_internal" / "mlops_desktop" / "__init__.py").write_text("", encoding="utf-8")
    program = app / "mlops-desktop"
    program.write_text('#!/bin/sh\necho "bundled program: $*"\n', encoding="utf-8")
    program.chmod(0o755)
    subprocess.run([str(PACKAGING / "add-install-files"), str(app)], check=True, timeout=60)
    return app


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(tmp_path / "user"),
        "XDG_DATA_HOME": str(tmp_path / "user" / "data"),
        "PATH": f"{tmp_path / 'user' / '.local' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }


def test_install_puts_app_launcher_entry_and_icons_in_xdg_folders(tmp_path: Path) -> None:
    app = _app_folder(tmp_path)
    env = _env(tmp_path)
    user = tmp_path / "user"
    done = subprocess.run(
        [str(app / "install.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    prefix = user / ".local" / "lib" / "mlops-desktop"
    assert (prefix / "mlops-desktop").is_file()
    assert (prefix / "python" / "mlops_desktop" / "__init__.py").is_file()  # the link travels

    launcher = user / ".local" / "bin" / "mlops-desktop"
    ran = subprocess.run(
        [str(launcher), "runs", "list", "--json"], env=env, capture_output=True, text=True
    )
    assert ran.stdout.strip() == "bundled program: runs list --json"

    entry = (user / "data" / "applications" / "mlops-desktop.desktop").read_text()
    assert f'Exec="{launcher}" gui' in entry
    assert "Icon=mlops-desktop" in entry
    icons = user / "data" / "icons" / "hicolor"
    for size in ICON_SIZES:
        assert (icons / f"{size}x{size}" / "apps" / "mlops-desktop.png").is_file()
    assert (icons / "scalable" / "apps" / "mlops-desktop.svg").is_file()


def test_uninstall_removes_what_install_put_and_keeps_the_users_data(tmp_path: Path) -> None:
    app = _app_folder(tmp_path)
    env = _env(tmp_path)
    user = tmp_path / "user"
    catalog = user / "data" / "mlops-desktop" / "catalog.db"  # the default home's catalog
    catalog.parent.mkdir(parents=True)
    catalog.write_bytes(b"runs")
    subprocess.run([str(app / "install.sh")], env=env, check=True, capture_output=True)
    prefix = user / ".local" / "lib" / "mlops-desktop"

    done = subprocess.run(
        [str(prefix / "uninstall.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert not prefix.exists()
    assert not (user / ".local" / "bin" / "mlops-desktop").exists()
    assert not (user / "data" / "applications" / "mlops-desktop.desktop").exists()
    assert not list((user / "data" / "icons").rglob("mlops-desktop.*"))
    assert catalog.read_bytes() == b"runs"


def test_install_from_a_folder_that_is_not_the_bundle_is_refused(tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.mkdir()
    shutil.copy(PACKAGING / "install.sh", stray)
    done = subprocess.run(
        ["sh", str(stray / "install.sh")], env=_env(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "run it from the unpacked bundle" in done.stderr


@pytest.mark.parametrize("size", ICON_SIZES)
def test_committed_icon_pngs_have_their_named_size(size: int) -> None:
    data = (PACKAGING / "icons" / f"mlops-desktop-{size}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (size, size)
