"""Uploading to a lab store on an SSH host (a real sshd on loopback) against plain rsync of the
same files in the same run:
``python tests/benchmarks/bench_lab_store.py [--mb 1024] [--runs 3] [--kind datasets]``
(model files by default, checked by SHA-256 on the host; dataset snapshot files are checked by
BLAKE3 here).

Target: ``store sync`` (rsync with the store's options, the host checking every blob's hash) at
least half the speed of ``rsync -a`` of the same blobs; the figure is the median of the runs'
ratios. Each run uploads into fresh folders, both measured back to back with the same ssh
options and master connection; dirty pages are flushed before each timing (else the one that
goes second pays for writing back the first's gigabyte) and the order alternates between runs.
Needs /usr/sbin/sshd (openssh-server).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssh_fixture import SshServer, _free_port, keygen

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.datasets.hashing import hash_file
from mlops_desktop.services.bundle import Services
from mlops_desktop.store.blobs import DATASETS, BlobKey
from mlops_desktop.tracking.artifacts import store_file
from mlops_desktop.tracking.home import artifact_root


def _timed(action: Callable[[], object]) -> float:
    os.sync()
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024, help="total size of the model files")
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--kind", choices=["models", "datasets"], default="models")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-store-"))
    keygen(base / "id")
    (base / "sshd").mkdir()
    server = SshServer(base / "sshd", _free_port(), base / "id")
    server.start()
    home = base / "home"
    mb = args.mb
    try:
        inv = HostInventory(home, ssh_config=base / "none")
        host = inv.add("bench", server.address, str(base / "id"), server.fingerprint)
        client = SshClient(host, home)
        client.check_connection()  # warm master for both
        each = args.mb * (1 << 20) // args.files
        for i in range(args.files):
            src = base / f"m{i}.bin"
            with open(src, "wb") as fh:
                for _ in range(each >> 20):
                    fh.write(os.urandom(1 << 20))
            if args.kind == "models":
                store_file(src, artifact_root(home))
                src.unlink()
            else:
                key = BlobKey(DATASETS, hash_file(src))
                (home / key.rel).parent.mkdir(parents=True, exist_ok=True)
                src.rename(home / key.rel)
        top = "artifacts" if args.kind == "models" else "datasets"
        ratios = []
        with Services.open(home, f"sqlite:///{base / 'lab.db'}") as lab:
            for run in range(args.runs):
                plain_dir, store_dir = base / f"plain{run}", base / f"store{run}"
                store_dir.mkdir()
                lab.store.set_location(f"ssh://bench{store_dir}")
                done: dict[str, int] = {}

                def plain_rsync(to: Path = plain_dir) -> None:
                    subprocess.run(
                        ["rsync", "-a", "-e", client.ssh_command(), f"{home}/{top}/",
                         client.rsync_destination(f"{to}/")],
                        check=True,
                    )  # fmt: skip

                def store_sync(done: dict[str, int] = done) -> None:
                    done.update(lab.store.sync())

                if run % 2 == 0:
                    plain = _timed(plain_rsync)
                    ours = _timed(store_sync)
                else:
                    ours = _timed(store_sync)
                    plain = _timed(plain_rsync)
                ratios.append(plain / ours)
                print(
                    f"run {run + 1}: plain rsync {plain:.2f} s ({mb / plain:.0f} MB/s), "
                    f"store sync {ours:.2f} s ({mb / ours:.0f} MB/s, {done['uploaded']} blobs), "
                    f"ratio {plain / ours:.2f}",
                    flush=True,
                )
                shutil.rmtree(plain_dir, ignore_errors=True)
                shutil.rmtree(store_dir, ignore_errors=True)
        print(
            f"median ratio: {statistics.median(ratios):.2f} of plain rsync's speed over "
            f"{args.runs} run(s) (target >= 0.5)"
        )
        client.stop_master()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
