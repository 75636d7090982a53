"""Uploading to a lab store on an SSH host (a real sshd on loopback) against plain rsync of the
same files in the same run: ``python tests/benchmarks/bench_lab_store.py [--mb 1024]``.

Target: ``store sync`` (rsync with the store's options, then ``sha256sum`` on the host) at least
half the speed of ``rsync -a`` of the same blobs. Needs /usr/sbin/sshd (openssh-server).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssh_fixture import SshServer, _free_port, keygen

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.artifacts import store_file
from mlops_desktop.tracking.home import artifact_root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024, help="total size of the model files")
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-store-"))
    keygen(base / "id")
    (base / "sshd").mkdir()
    server = SshServer(base / "sshd", _free_port(), base / "id")
    server.start()
    home = base / "home"
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
            store_file(src, artifact_root(home))
            src.unlink()
        t0 = time.perf_counter()
        subprocess.run(
            ["rsync", "-a", "-e", client.ssh_command(), f"{home}/artifacts/",
             client.rsync_destination(str(base / "plain") + "/")],
            check=True,
        )  # fmt: skip
        plain = time.perf_counter() - t0
        with Services.open(home, f"sqlite:///{base / 'lab.db'}") as lab:
            (base / "store").mkdir()
            lab.store.set_location(f"ssh://bench{base / 'store'}")
            t0 = time.perf_counter()
            done = lab.store.sync()
            ours = time.perf_counter() - t0
        mb = args.mb
        print(f"plain rsync: {plain:.2f} s ({mb / plain:.0f} MB/s)")
        print(f"store sync : {ours:.2f} s ({mb / ours:.0f} MB/s), {done['uploaded']} blobs")
        print(f"ratio      : {plain / ours:.2f} of plain rsync's speed (target >= 0.5)")
        client.stop_master()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
