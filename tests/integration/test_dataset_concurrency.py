"""Two processes registering versions of one dataset at once get v1 and v2, never a duplicate."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import func, select

from mlops_desktop.catalog.dataset_schema import dataset_file_t
from mlops_desktop.services.datasets import DatasetService

ADDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mlops_desktop.services.datasets import DatasetService
    home, url, folder, at = sys.argv[1], sys.argv[2] or None, sys.argv[3], float(sys.argv[4])
    svc = DatasetService.open(Path(home), url)
    while time.time() < at:
        time.sleep(0.001)
    for i in range(3):
        r = svc.add(Path(folder) / str(i), f"shared{i}")
        print(r.version, r.new_version)
    svc.close()
    """
)


def test_two_processes_adding_at_once(
    temp_home: Path, catalog_url: str | None, tmp_path: Path
) -> None:
    DatasetService.open(temp_home, catalog_url).close()  # schema first
    folders = []
    for who in ("a", "b"):
        for i in range(3):
            d = tmp_path / who / str(i)
            d.mkdir(parents=True)
            for k in range(200):
                (d / f"f{k}.txt").write_text(f"{who}{k}")
        folders.append(tmp_path / who)
    at = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(temp_home), catalog_url or "", str(f), str(at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in folders
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    svc = DatasetService.open(temp_home, catalog_url)
    try:
        for i in range(3):
            versions = svc.versions(f"shared{i}")
            assert sorted(v.number for v in versions) == [1, 2]
            assert len({v.fingerprint for v in versions}) == 2
        with svc.catalog.session_scope() as s:
            assert s.execute(select(func.count()).select_from(dataset_file_t)).scalar() == 1200
    finally:
        svc.close()
