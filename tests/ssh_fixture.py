"""Real OpenSSH servers on loopback for tests (the openssh-server package's sshd).

A pytest plugin module: conftests register it with ``pytest_plugins``. Two ``sshd`` (two free
ports = two hosts) start once per session with temp host keys and a client key; the login user
is the one running the tests. ``ssh_host`` adds the first one to the test's app home (key
confirmed, a private remote root) and closes the master connections it opened afterwards.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_desktop.compute.hosts import HostInventory
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import HostInfo

SSHD = Path("/usr/sbin/sshd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _system_missing(config: pytest.Config, what: str) -> None:
    """``system_missing`` of tests/conftest.py: skip locally, fail in CI."""
    root = config.pluginmanager.get_plugin(str(Path(__file__).with_name("conftest.py")))
    if root is None:  # pragma: no cover - the root conftest is always loaded
        pytest.skip(what)
    root.system_missing(what)


def keygen(path: Path) -> str:
    """A new ed25519 key at ``path``; its fingerprint as ``ssh-keygen -lf`` prints it."""
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return keygen_fingerprint(path.with_suffix(".pub"))


def keygen_fingerprint(pub: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True)
    return out.stdout.split()[1]


@dataclass
class SshServer:
    """One sshd on 127.0.0.1:port, configured in ``dir``."""

    dir: Path
    port: int
    client_key: Path
    fingerprint: str = ""

    @property
    def address(self) -> str:
        return f"{getpass.getuser()}@127.0.0.1:{self.port}"

    def start(self, new_key: bool = False) -> None:
        hostkey = self.dir / "hostkey"
        if new_key or not hostkey.exists():
            self.fingerprint = keygen(hostkey)
        shutil.copy(self.client_key.with_suffix(".pub"), self.dir / "authorized_keys")
        os.chmod(self.dir / "authorized_keys", 0o600)
        (self.dir / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {hostkey}\n"
            f"AuthorizedKeysFile {self.dir}/authorized_keys\nPasswordAuthentication no\n"
            f"PidFile {self.dir}/sshd.pid\nStrictModes no\nUsePAM no\nMaxStartups 100\n"
            "MaxSessions 100\n"
        )
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(SSHD), "-f", str(self.dir / "sshd_config"), "-E", str(self.dir / "sshd.log")],
            check=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd on port {self.port} did not start: see {self.dir}/sshd.log")

    def stop(self) -> None:
        """Stop the listener and every connection process it forked (by pid)."""
        pidfile = self.dir / "sshd.pid"
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            return
        for child in _children(pid):
            _kill(child)
        _kill(pid)
        pidfile.unlink(missing_ok=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        if int(raw[raw.rfind(")") + 2 :].split()[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass


@pytest.fixture(scope="session")
def ssh_servers(pytestconfig: pytest.Config) -> Iterator[list[SshServer]]:
    """Two running sshd on loopback ports (two hosts)."""
    if not SSHD.exists() or shutil.which("ssh") is None:
        _system_missing(pytestconfig, "sshd is not installed (apt-get install openssh-server)")
    base = Path(tempfile.mkdtemp(prefix="mlops-sshd-"))
    client_key = base / "id"
    keygen(client_key)
    servers = []
    try:
        for name in ("alpha", "beta"):
            (base / name).mkdir()
            server = SshServer(base / name, _free_port(), client_key)
            servers.append(server)
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def new_ssh_server(ssh_servers: list[SshServer], tmp_path: Path) -> Iterator[SshServer]:
    """A third sshd of the test's own (to restart with a new host key)."""
    d = tmp_path / "sshd"
    d.mkdir()
    server = SshServer(d, _free_port(), ssh_servers[0].client_key)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ssh_host(ssh_servers: list[SshServer], temp_home: Path, tmp_path: Path) -> Iterator[HostInfo]:
    """Host "alpha" added to the test's home (key confirmed) with a private remote root."""
    inv = HostInventory(temp_home, ssh_config=tmp_path / "no-ssh-config")
    hosts = []
    for name, server in zip(("alpha", "beta"), ssh_servers):
        hosts.append(
            inv.add(
                name,
                server.address,
                identity=str(server.client_key),
                accept_host_key=server.fingerprint,
                remote_root=str(tmp_path / f"remote-{name}"),
            )
        )
    yield hosts[0]
    for h in hosts:
        SshClient(h, temp_home).stop_master()
