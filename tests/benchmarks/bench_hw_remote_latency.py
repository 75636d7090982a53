"""Remote hardware latency: ``python tests/benchmarks/bench_hw_remote_latency.py [--count N]``.

Starts a throwaway sshd on loopback the way ``tests/ssh_fixture.py`` does (temp host and client
keys, ``-f sshd_config``, a free port), adds it to a temp app home, warms the multiplexed
connection (and ships the agent), then streams the agent at ``--interval`` (default 1 s). For
each line: (time it was received and parsed in the app) - (the sample's own ``time``). Prints
the median and p95 over ``--count`` samples (default 30); target: under 1.5 s (expected: tens of
ms, the agent's own reading time included).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssh_fixture import SshServer, keygen

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.hardware import HostUpdate
from mlops_desktop.monitoring.agent_ship import ensure_agent
from mlops_desktop.monitoring.remote import AgentStream, SshAgentSource

TARGET_S = 1.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="samples to time")
    parser.add_argument("--interval", type=float, default=1.0, help="agent seconds per line")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mlops-bench-hw-"))
    server = None
    stream = None
    client = None
    try:
        keygen(base / "id")
        (base / "sshd").mkdir()
        server = SshServer(base / "sshd", free_port(), base / "id")
        server.start()
        home = base / "home"
        home.mkdir()
        host = HostInventory(home, ssh_config=base / "no-ssh-config").add(
            "bench",
            server.address,
            identity=str(server.client_key),
            accept_host_key=server.fingerprint,
            remote_root=str(base / "remote"),
        )
        client = SshClient(host, home)
        ensure_agent(client)  # warm: the master connection is up, the agent shipped
        latencies: list[float] = []
        done = threading.Event()

        def on_update(update: HostUpdate) -> None:
            if update.sample is not None and not done.is_set():
                latencies.append(time.time() - update.sample.time)
                if len(latencies) >= args.count:
                    done.set()
            elif update.problem:
                print("problem:", update.problem, file=sys.stderr)

        source = SshAgentSource(host, home, args.interval)
        stream = AgentStream(host.name, source, args.interval, on_update)
        stream.start()
        if not done.wait(args.count * args.interval * 3 + 30):
            raise SystemExit(f"only {len(latencies)} samples arrived")
    finally:
        if stream is not None:
            stream.stop()
        if client is not None:
            client.stop_master()
        if server is not None:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    median = statistics.median(ms)
    print(f"samples: {len(ms)} at {args.interval:g} s over loopback ssh (warm connection)")
    print(f"latency median {median:.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")
    ok = p95 / 1000 < TARGET_S
    print(f"target p95 < {TARGET_S} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
