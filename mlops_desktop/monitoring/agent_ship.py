"""Ship the hardware agent to an SSH host once per app version, and the argv that runs it.

The agent is the stdlib-only tracking package (``mlops_desktop/__init__.py`` and ``tracking/``).
It goes to ``REMOTE_ROOT/../agent/<digest>/mlops_desktop``, where the digest is a short sha256 of
the shipped sources: a new app version ships a new folder, the same version ships nothing. A
``.complete`` marker says the folder is whole; when it is missing, one ``run_sh`` receives a tar
on stdin, unpacks it into a temp folder beside the target and renames it into place, so two apps
shipping at once cannot leave a half-written folder (the loser's copy is removed). Every remote
value goes through :func:`shlex.quote` (``~`` expands remotely, see
:func:`~mlops_desktop.compute.ssh_executor.remote_path`).
"""

from __future__ import annotations

import hashlib
import io
import re
import shlex
import tarfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.compute.ssh_executor import remote_path
from mlops_desktop.core.errors import HostError

AGENT_MODULE = "mlops_desktop.tracking.hw_agent"
MARKER = ".complete"
_PACKAGE = Path(__file__).resolve().parents[1]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
q = shlex.quote


@lru_cache(maxsize=1)
def agent_sources() -> tuple[tuple[str, bytes], ...]:
    """(path inside the lib dir, content) of every shipped file, sorted by path."""
    files = [("mlops_desktop/__init__.py", (_PACKAGE / "__init__.py").read_bytes())]
    for path in sorted((_PACKAGE / "tracking").rglob("*.py")):
        if "__pycache__" not in path.parts:
            rel = path.relative_to(_PACKAGE.parent).as_posix()
            files.append((rel, path.read_bytes()))
    return tuple(sorted(files))


def agent_digest() -> str:
    """16 hex digits of the sha256 of the shipped sources (paths and contents)."""
    h = hashlib.sha256()
    for rel, data in agent_sources():
        h.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()[:16]


def agent_tar() -> bytes:
    """The shipped sources as an uncompressed tar (fixed times and owners: reproducible)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, data in agent_sources():
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def agent_folder(remote_root: str) -> str:
    """The remote shell words of ``REMOTE_ROOT/../agent/<digest>`` (quoted; ``~`` expands)."""
    return f"{remote_path(remote_root)}/../agent/{q(agent_digest())}"


def ensure_agent(client: SshClient, timeout: float = 60.0) -> str:
    """Ship the agent to ``client``'s host unless this version is there; its lib dir.

    Returns:
        The absolute remote folder to put on ``PYTHONPATH``.

    Raises:
        HostError: the host cannot be reached, or the copy failed (one sentence).
    """
    folder = agent_folder(client.host.remote_root)
    check = f'd={folder}; [ -f "$d"/{MARKER} ] && cd -- "$d" && pwd -P; exit 0'
    out = client.run_sh(check, timeout=timeout).stdout.decode("utf-8", "replace").strip()
    if out.startswith("/"):
        return out.splitlines()[-1]
    # Unpack beside the target, mark it whole, rename into place; a racing app's copy wins
    # the rename (mv -T onto a non-empty folder fails) and ours is removed.
    ship = (
        f'd={folder}; mkdir -p -- "$d/.." && t=$(mktemp -d "$d.tmp-XXXXXX") && '
        f'tar -C "$t" -xf - && : > "$t"/{MARKER} && '
        f'{{ mv -T -- "$t" "$d" 2>/dev/null || rm -rf -- "$t"; }} && '
        f'[ -f "$d"/{MARKER} ] && cd -- "$d" && pwd -P'
    )
    proc = client.run_sh(ship, timeout=timeout, input=agent_tar(), check=False)
    out = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not out.startswith("/"):
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = err[-1] if err else f"exit code {proc.returncode}"
        raise HostError(f"{client.host.name}: could not copy the hardware agent there: {why}")
    return out.splitlines()[-1]


def env_words(env: Mapping[str, str] | None) -> list[str]:
    """``K=V`` words for ``env`` (names checked, each word quoted).

    Raises:
        HostError: a name that is not an environment variable name.
    """
    words = []
    for key, value in (env or {}).items():
        if not _ENV_NAME.fullmatch(key):
            raise HostError(f"{key!r} is not an environment variable name.")
        words.append(q(f"{key}={value}"))
    return words


def agent_args(interval: float, count: int | None = None) -> list[str]:
    """The agent's own arguments after ``python3 -u -m MODULE``."""
    args = ["--interval", f"{float(interval):g}"]
    if count:
        args += ["--count", str(int(count))]
    return args


def agent_command(
    client: SshClient,
    lib_dir: str,
    interval: float,
    env: Mapping[str, str] | None = None,
    python: str = "python3",
    count: int | None = None,
) -> list[str]:
    """The local argv that runs the agent on ``client``'s host over the multiplexed connection.

    Remotely: ``cd / && PYTHONPATH=LIB [K=V ...] exec python3 -u -m ...hw_agent --interval S``
    in ``sh -c`` (whatever the login shell). The agent exits when the ssh channel closes.

    Args:
        env: extra variables for the agent (e.g. ``MLOPS_DESKTOP_FAKE_GPUS`` in tests).
        python: the remote interpreter (``~`` expands).
    """
    words = [q(f"PYTHONPATH={lib_dir}"), *env_words(env)]
    argv = ["-u", "-m", AGENT_MODULE, *agent_args(interval, count)]
    inner = f"cd / && {' '.join(words)} exec {remote_path(python)} {shlex.join(argv)}"
    return client.argv(shlex.join(["sh", "-c", inner]))
