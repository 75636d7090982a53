"""The system OpenSSH client, driven with strict host keys and one multiplexed connection.

Every call goes through ``ssh`` with ``BatchMode=yes`` (never a prompt), a ControlMaster
connection per host (``ControlPersist=600``), keep-alives, and the app's own known_hosts with
``StrictHostKeyChecking=yes``. Hosts from ``~/.ssh/config`` keep their settings there (user,
port, ProxyJump...) and also trust the user's ``~/.ssh/known_hosts``. Every remote argument is
quoted with :func:`shlex.quote`: the remote side runs it through a shell.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn

from mlops_desktop.core.compute import HostInfo
from mlops_desktop.core.errors import HostError

DEFAULT_PORT = 22
_MEANINGFUL = (
    "Permission denied",
    "Connection refused",
    "Host key verification failed",
    "REMOTE HOST IDENTIFICATION HAS CHANGED",
    "host key is known",
    "Could not resolve hostname",
    "Connection timed out",
    "timed out",
    "No route to host",
    "Network is unreachable",
    "Connection closed",
    "Connection reset",
    "no such identity",
    "Too many authentication failures",
)
_ADDRESS = re.compile(
    r"^(?:(?P<user>[^@\s]+)@)?(?:\[(?P<v6>[0-9A-Fa-f:.%\w]+)\]|(?P<host>[^:\s\[\]@]+))(?::(?P<port>\d+))?$"
)


def parse_address(address: str) -> tuple[str | None, str, int]:
    """``[user@]host[:port]`` (IPv6 in brackets: ``user@[::1]:2222``) to (user, host, port).

    Raises:
        HostError: the address is malformed or the port is out of range.
    """
    m = _ADDRESS.match(address.strip())
    if not m:
        raise HostError(f"{address!r} is not an SSH address: write [USER@]HOST[:PORT].")
    host = m.group("v6") or m.group("host") or ""
    if host.startswith("-"):
        raise HostError(f"{address!r}: a host name cannot start with '-'.")
    port = int(m.group("port") or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise HostError(f"{address!r}: port {port} is out of range.")
    return m.group("user"), host, port


def ssh_error_line(stderr: str) -> str:
    """The line of ssh's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for key in _MEANINGFUL:
        for ln in lines:
            if key.lower() in ln.lower():
                return ln
    useful = [ln for ln in lines if not ln.startswith(("Warning:", "@@@"))]
    return useful[-1] if useful else "ssh failed without a message"


def _control_dir(home: Path) -> Path:
    """Where the ControlMaster sockets live: ``HOME/ssh``, or a short private folder in the
    temp dir when that path would be too long for a Unix socket (about 104 bytes)."""
    wanted = home / "ssh"
    if len(str(wanted)) + len("/cm-") + 40 < 100:
        return wanted
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"mlops-cm-{os.getuid()}-{digest}"


class SshClient:
    """Runs commands on one host through the system ``ssh``.

    Args:
        host: the host (``address`` is ``[user@]host[:port]``, or the alias of a
            ``~/.ssh/config`` entry when ``from_ssh_config``).
        home: the app's home; ``HOME/ssh/known_hosts`` is the app's own known_hosts.
    """

    def __init__(self, host: HostInfo, home: Path) -> None:
        self.host = host
        self.home = Path(home)
        self.known_hosts = self.home / "ssh" / "known_hosts"
        self.control_dir = _control_dir(self.home)
        if host.from_ssh_config:
            self.user, self.hostname, self.port = None, host.address, DEFAULT_PORT
        else:
            self.user, self.hostname, self.port = parse_address(host.address)

    def options(self) -> list[str]:
        """The ``ssh`` argv up to (not including) the destination."""
        for d in (self.known_hosts.parent, self.control_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        known = str(self.known_hosts)
        if self.host.from_ssh_config:
            known += " " + str(Path.home() / ".ssh" / "known_hosts")
        opts = [
            "ssh",
            "-o", "BatchMode=yes",
            "-o", "ControlMaster=auto",
            "-o", f"ControlPath={self.control_dir}/cm-%C",
            "-o", "ControlPersist=600",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=3",
            "-o", f"UserKnownHostsFile={known}",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=10",
        ]  # fmt: skip
        if not self.host.from_ssh_config:
            opts += ["-p", str(self.port)]
        if self.host.identity:
            opts += ["-i", str(Path(self.host.identity).expanduser()), "-o", "IdentitiesOnly=yes"]
        return opts

    @property
    def destination(self) -> str:
        """``user@host`` (or the ssh-config alias) as ssh takes it."""
        return f"{self.user}@{self.hostname}" if self.user else self.hostname

    def rsync_destination(self, remote_path: str) -> str:
        """``user@host:path`` for rsync (IPv6 in brackets)."""
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        user = f"{self.user}@" if self.user else ""
        return f"{user}{host}:{remote_path}"

    def ssh_command(self) -> str:
        """The ssh command line for ``rsync -e`` (same options, same master connection)."""
        return shlex.join(self.options())

    def argv(self, script: str) -> list[str]:
        """The full local argv that runs the remote shell command line ``script``."""
        return [*self.options(), "--", self.destination, script]

    def run(
        self,
        remote_argv: list[str],
        timeout: float = 60.0,
        input: bytes | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``remote_argv`` on the host, every argument quoted for the remote shell.

        Raises:
            HostError: ssh could not connect (the message is ssh's own line), the command
                timed out, or it failed while ``check``.
            HostKeyUnconfirmed, HostKeyChanged: the host's key is new or has changed.
        """
        return self.run_script(shlex.join(remote_argv), timeout, input, check)

    def run_sh(
        self, script: str, timeout: float = 60.0, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a POSIX ``sh`` script (built from quoted pieces) whatever the login shell."""
        return self.run_script(shlex.join(["sh", "-c", script]), timeout, input, check)

    def run_script(
        self, script: str, timeout: float = 60.0, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a command line that is already quoted for the remote shell."""
        try:
            proc = subprocess.run(
                self.argv(script),
                input=input,
                capture_output=True,
                timeout=timeout,
                stdin=None if input is not None else subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise HostError(f"{self.host.name}: no answer within {timeout:g} s") from exc
        except FileNotFoundError as exc:
            raise HostError("The OpenSSH client (ssh) is not installed.") from exc
        if proc.returncode == 255:
            self.raise_ssh_error(proc.stderr.decode("utf-8", "replace"))
        if check and proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            last = err[-1] if err else f"exit code {proc.returncode}"
            raise HostError(f"{self.host.name}: remote command failed: {last}")
        return proc

    def raise_ssh_error(self, stderr: str) -> NoReturn:
        """Raise the HostError (or host-key error) that ssh's stderr describes."""
        line = ssh_error_line(stderr)
        if not self.host.from_ssh_config and (
            "host key" in line.lower() or "IDENTIFICATION" in line
        ):
            from mlops_desktop.compute.known_hosts import KnownHosts

            KnownHosts(self.known_hosts).check(self.hostname, self.port)  # raises if new/changed
        raise HostError(f"{self.host.name}: {line}")

    def check_connection(self, timeout: float = 20.0) -> None:
        """Open (or reuse) the master connection and run ``true``.

        Raises:
            HostError: as :meth:`run`.
        """
        self.run(["true"], timeout=timeout)

    def master_pid(self) -> int | None:
        """The pid of the running master connection, or None."""
        proc = subprocess.run(
            [*self.options(), "-O", "check", "--", self.destination],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        m = re.search(r"pid=(\d+)", proc.stderr)
        return int(m.group(1)) if m and proc.returncode == 0 else None

    def stop_master(self) -> None:
        """Close the master connection (``ssh -O exit``); nothing when none runs."""
        subprocess.run(
            [*self.options(), "-O", "exit", "--", self.destination],
            capture_output=True,
            timeout=10,
            check=False,
        )
