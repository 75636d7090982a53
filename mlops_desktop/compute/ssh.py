"""The system OpenSSH client, driven with strict host keys and one multiplexed connection.

Every call goes through ``ssh`` with ``BatchMode=yes`` (never a prompt), a ControlMaster
connection per host (``ControlPersist=600``), keep-alives, and the app's own known_hosts with
``StrictHostKeyChecking=yes``. Hosts from ``~/.ssh/config`` keep their settings there (user,
port, ProxyJump...) and also trust the user's ``~/.ssh/known_hosts``. Every remote argument is
quoted with :func:`shlex.quote`: the remote side runs it through a shell.
"""

from __future__ import annotations

import hashlib
import ipaddress
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
    r"^(?:(?P<user>[^@]*)@)?(?:\[(?P<v6>[^\]]*)\]|(?P<host>[^:\[\]@]*))(?::(?P<port>[^:]*))?$"
)
_USER = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]{0,63}")
_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}")
MAX_HOST_LENGTH = 253


def _printable(text: str) -> str:
    """``text`` quoted, control characters escaped (safe to show on one line)."""
    return repr(text) if text.isprintable() else ascii(text)


def _check_user(address: str, user: str) -> None:
    if not _USER.fullmatch(user):
        raise HostError(
            f"{_printable(address)}: the user {_printable(user)} is not a user name: use 1 to 64 "
            "letters, digits, '.', '_' or '-', not starting with '-'."
        )


def _check_host(address: str, host: str, bracketed: bool) -> None:
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise HostError(
                f"{_printable(address)}: the host {_printable(host)} in brackets is not an "
                "IPv6 address."
            ) from None
        return
    labels = host.split(".")
    if len(host) > MAX_HOST_LENGTH or not all(_LABEL.fullmatch(label) for label in labels):
        raise HostError(
            f"{_printable(address)}: the host {_printable(host)} is not a DNS name or IP address: "
            "use letters, digits, '-' and '_' in dot-separated parts, none starting with '-'."
        )


def parse_address(address: str) -> tuple[str | None, str, int]:
    """``[user@]host[:port]`` (IPv6 in brackets: ``user@[::1]:2222``) to (user, host, port).

    The user is a POSIX-style name (no leading ``-``), the host a DNS name, an IPv4 address
    or a bracketed IPv6 literal, the port 1 to 65535: nothing ssh could read as an option.

    Raises:
        HostError: the address is malformed; the sentence names the bad part.
    """
    m = _ADDRESS.match(address.strip(" "))
    if not address.strip() or not m:
        raise HostError(f"{_printable(address)} is not an SSH address: write [USER@]HOST[:PORT].")
    user, v6, name = m.group("user"), m.group("v6"), m.group("host")
    host = v6 if v6 is not None else name
    if user is not None:
        _check_user(address, user)
    _check_host(address, host, v6 is not None)
    port_text = m.group("port")
    if port_text is None:
        return user, host, DEFAULT_PORT
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else -1
    if not 0 < port < 65536:
        raise HostError(
            f"{_printable(address)}: the port {_printable(port_text)} is not a number "
            "from 1 to 65535."
        )
    return user, host, port


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

            known = KnownHosts(self.known_hosts)
            known.check(self.hostname, self.port, name=self.host.name)  # raises if new/changed
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
