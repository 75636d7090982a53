"""SSH launch and follow latency against a real sshd on loopback:
``python tests/benchmarks/bench_ssh_launch.py [--runs N]``.

Prints (1) ``SshExecutor.start`` over a warm ControlMaster connection (mkdir, rsync of the
tracking package and a small code folder, detached launcher start; target < 1 s), and (2) the
time from a remote ``print(..., flush=True)`` to those bytes being in the local mirror with
``sync`` every 0.5 s (target within 2 s). Needs /usr/sbin/sshd (openssh-server).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssh_fixture import SshServer, _free_port, keygen

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh_executor import SshExecutor
from mlops_desktop.core.compute import RunSpec

EMIT = """
import sys, time
for i in range(int(sys.argv[1])):
    time.sleep(0.37)
    print(f"{time.time():.6f}", flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lines", type=int, default=15)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-ssh-"))
    keygen(base / "id")
    (base / "sshd").mkdir()
    server = SshServer(base / "sshd", _free_port(), base / "id")
    server.start()
    ex = None
    try:
        inv = HostInventory(base / "home", ssh_config=base / "none")
        fp, root = server.fingerprint, str(base / "remote")
        host = inv.add("bench", server.address, str(base / "id"), fp, remote_root=root)
        ex = SshExecutor(host, base / "home")
        ex.client.check_connection()  # warm master
        code = base / "code"
        code.mkdir()
        (code / "emit.py").write_text(EMIT)
        times = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            h = ex.start(f"b{i}", RunSpec(command=["true"]), code, base / f"spool{i}")
            times.append(time.perf_counter() - t0)
            ex.poll(h)
        med, worst = round(statistics.median(times), 3), round(max(times), 3)
        print(json.dumps({"ssh_launch_warm_s": {"median": med, "max": worst, "target": 1.0}}))
        spool = base / "spool-follow"
        h = ex.start(
            "follow", RunSpec(command=["python3", "emit.py", str(args.lines)]), code, spool
        )
        lags: list[float] = []
        seen = 0
        deadline = time.monotonic() + args.lines * 0.37 + 30
        while time.monotonic() < deadline:
            ex.sync(h, spool)
            now = time.time()
            log = spool / "output.log"
            lines = log.read_text().splitlines() if log.exists() else []
            for line in lines[seen:]:
                lags.append(now - float(line))
            seen = len(lines)
            if seen >= args.lines:
                break
            time.sleep(0.5)
        print(json.dumps({"flush_to_mirror_s": {"median": round(statistics.median(lags), 3),
                          "max": round(max(lags), 3), "lines": len(lags), "sync_every": 0.5,
                          "target": 2.0}}))  # fmt: skip
    finally:
        if ex is not None:
            ex.client.stop_master()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
