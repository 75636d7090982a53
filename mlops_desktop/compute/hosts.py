"""The host inventory: hosts added in the app plus the ``Host`` entries of ``~/.ssh/config``.

Hosts added in the app live in ``HOME/hosts.json`` (written atomically): name, address, the
*path* of an identity file (never a key's contents, never a password), remote root, kind and the
confirmed host-key fingerprint, and for a Slurm cluster reached through a login node an optional
``env`` (e.g. ``{"SLURM_CONF": "/path/slurm.conf"}``) that its Slurm commands run with there
(``env K=V sbatch ...``, every value quoted). A host is only stored once its key is confirmed:
``add`` without ``accept_host_key`` raises :class:`HostKeyUnconfirmed` carrying the fingerprint
to show.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, replace
from pathlib import Path

from mlops_desktop.compute.known_hosts import (
    KnownHosts,
    changed_fingerprints,
    changed_key_message,
    host_pattern,
    scan_host_key,
)
from mlops_desktop.compute.ssh import parse_address
from mlops_desktop.core.compute import HostInfo, HostKeyChange
from mlops_desktop.core.errors import HostError, HostKeyChanged, HostKeyUnconfirmed
from mlops_desktop.tracking.atomic import write_text_atomic
from mlops_desktop.tracking.validate import env_name_problem, env_value_problem

__all__ = ["HostInventory", "parse_address", "ssh_config_hosts"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_KINDS = ("ssh", "slurm")


def ssh_config_hosts(path: Path) -> list[str]:
    """Aliases of the ``Host`` lines of an ssh config file (no wildcards, no negations)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    names: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        parts = re.split(r"[\s=]+", line, maxsplit=1)
        if len(parts) < 2 or parts[0].lower() != "host":
            continue
        for alias in parts[1].split():
            alias = alias.strip('"')
            if alias and not any(c in alias for c in "*?!") and alias not in names:
                names.append(alias)
    return names


def _checked_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with names checked (``[A-Za-z_][A-Za-z0-9_]*``) and values as strings.

    Raises:
        HostError: a name is not an environment variable name.
    """
    for name, value in env.items():
        problem = env_name_problem(name) or env_value_problem(str(name), value)
        if problem:
            raise HostError(problem)
    return {str(k): str(v) for k, v in env.items()}


class HostInventory:
    """Hosts the app can launch on.

    Args:
        home: the app's home (``hosts.json`` and ``ssh/known_hosts`` live there).
        ssh_config: the ssh config to list hosts from (default ``~/.ssh/config``).
    """

    def __init__(self, home: Path, ssh_config: Path | None = None) -> None:
        self.home = Path(home)
        self.path = self.home / "hosts.json"
        self.ssh_config = ssh_config or Path.home() / ".ssh" / "config"
        self.known_hosts = KnownHosts(self.home / "ssh" / "known_hosts")

    def _load(self) -> list[HostInfo]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise HostError(f"{self.path} is unreadable: {exc}") from exc
        fields = set(HostInfo.__dataclass_fields__)
        return [HostInfo(**{k: v for k, v in h.items() if k in fields}) for h in data["hosts"]]

    def _save(self, hosts: list[HostInfo]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        doc = {"version": 1, "hosts": [asdict(h) for h in hosts]}
        write_text_atomic(self.path, json.dumps(doc, indent=2), mode=0o600)

    def list(self) -> list[HostInfo]:
        """Hosts added in the app, then ``~/.ssh/config`` hosts not shadowed by them."""
        own = self._load()
        taken = {h.name for h in own}
        extra = [
            HostInfo(name=a, kind="ssh", address=a, from_ssh_config=True)
            for a in ssh_config_hosts(self.ssh_config)
            if a not in taken
        ]
        return own + extra

    def get(self, name: str) -> HostInfo:
        """The host called ``name``.

        Raises:
            HostError: no such host.
        """
        for h in self.list():
            if h.name == name:
                return h
        known = ", ".join(h.name for h in self.list()) or "none yet"
        raise HostError(f"No host is called {name!r} (hosts: {known}); add it with hosts add.")

    def offered_fingerprint(self, address: str) -> str:
        """The fingerprint the host at ``address`` offers now (to show before confirming)."""
        _, host, port = parse_address(address)
        return scan_host_key(host, port)[0][2]

    def add(
        self,
        name: str,
        ssh: str,
        identity: str | None = None,
        accept_host_key: str | None = None,
        remote_root: str | None = None,
        kind: str = "ssh",
        env: dict[str, str] | None = None,
    ) -> HostInfo:
        """Add (or update, same address) a host once its key is confirmed.

        ``env`` (kept from the old entry when None) is the environment of a Slurm cluster's
        commands on its login node, e.g. ``{"SLURM_CONF": path}``.

        Raises:
            HostKeyUnconfirmed: the host's key is new and ``accept_host_key`` was not given.
            HostKeyChanged: the host is known with another key (refused).
            HostError: a bad name, address or identity, a wrong fingerprint, or an
                unreachable host; nothing is stored.
        """
        if not _NAME.match(name):
            raise HostError(f"{name!r} is not a host name: use letters, digits, '.', '_', '-'.")
        if kind not in _KINDS:
            raise HostError(f"Unknown host kind {kind!r}: use ssh or slurm.")
        _, host, port = parse_address(ssh)
        own = self._load()
        old = next((h for h in own if h.name == name), None)
        if old is not None and old.address != ssh:
            raise HostError(f"A host called {name!r} exists ({old.address}); remove it first.")
        ident = self._identity(identity)
        if accept_host_key:
            fp = self.known_hosts.confirm(host, port, accept_host_key, name)
        else:
            try:
                fp = self.known_hosts.check(host, port, name=name)
            except HostKeyUnconfirmed as exc:
                raise HostKeyUnconfirmed(
                    f"{exc} Add it with: hosts add {name} --ssh {ssh} "
                    f"--accept-host-key {exc.fingerprint}",
                    exc.fingerprint,
                ) from None
        added_at = old.added_at if old is not None and old.added_at else time.time()
        info = HostInfo(
            name=name, kind=kind, address=ssh, identity=ident, host_key=fp, added_at=added_at
        )
        kept_env = old.env if old is not None else {}
        info = replace(info, env=_checked_env(env if env is not None else kept_env))
        if remote_root:
            info = replace(info, remote_root=remote_root)
        elif old is not None:
            info = replace(info, remote_root=old.remote_root)
        self._save([h for h in own if h.name != name] + [info])
        return info

    @staticmethod
    def _identity(identity: str | None) -> str | None:
        if not identity:
            return None
        if "PRIVATE KEY" in identity or "\n" in identity:
            raise HostError("Give the path of an identity file, never the key itself.")
        path = Path(identity).expanduser().resolve()
        if not path.is_file():
            raise HostError(f"The identity file {path} does not exist.")
        return str(path)

    def _own(self, name: str) -> HostInfo:
        """The host called ``name`` added in the app.

        Raises:
            HostError: no such host, or it comes from ``~/.ssh/config`` (edit that file).
        """
        found = next((h for h in self._load() if h.name == name), None)
        if found is not None:
            return found
        if name in ssh_config_hosts(self.ssh_config):
            raise HostError(
                f"{name!r} comes from ~/.ssh/config: edit that file (and ~/.ssh/known_hosts, "
                f"e.g. `ssh-keygen -R {name}`) instead."
            )
        raise HostError(f"No host is called {name!r}; `hosts list` shows them.")

    def remove(self, name: str, forget_key: bool = True) -> int:
        """Remove a host added in the app and forget its keys unless another host uses them;
        how many known_hosts entries were removed.

        Raises:
            HostError: no such host, or it comes from ``~/.ssh/config`` (edit that file).
        """
        gone = self._own(name)
        kept = [h for h in self._load() if h.name != name]
        self._save(kept)
        _, host, port = parse_address(gone.address)
        if forget_key and all(_endpoint(h) != (host, port) for h in kept):
            return self.known_hosts.remove(host, port)
        return 0

    def rekey(self, name: str, accept_host_key: str | None = None) -> HostKeyChange:
        """Replace the stored key of host ``name`` by the one it offers now, once the person
        confirmed it: ``accept_host_key`` must be the offered key's fingerprint.

        Raises:
            HostKeyChanged: the key changed and ``accept_host_key`` was not given (the message
                shows both fingerprints and the command that accepts the new key).
            HostError: no such host, the host is unreachable, or ``accept_host_key`` is not the
                offered fingerprint (nothing is changed).
        """
        info = self._own(name)
        _, host, port = parse_address(info.address)
        offered = scan_host_key(host, port)
        stored = self.known_hosts.lookup(host, port)
        same = next((k for k in offered if (k[0], k[1]) in stored), None)
        if same is not None:  # nothing changed
            return HostKeyChange(name, info.address, same[2], same[2], replaced=False)
        old, new = changed_fingerprints(stored, offered) if stored else (None, offered[0][2])
        if not accept_host_key:
            label = host_pattern(host, port)
            raise HostKeyChanged(
                changed_key_message(label, name, old or "none", new), old or "", new
            )
        match = next((k for k in offered if k[2] == accept_host_key.strip()), None)
        if match is None:
            raise HostError(
                f"The fingerprint {accept_host_key.strip()!r} is not the key {name} offers now "
                f"({new}); nothing was changed."
            )
        self.known_hosts.replace(host, port, match[0], match[1])
        hosts = [
            replace(h, host_key=match[2]) if _endpoint(h) == (host, port) else h
            for h in self._load()
        ]
        self._save(hosts)
        return HostKeyChange(name, info.address, old, match[2], replaced=True)


def _endpoint(host: HostInfo) -> tuple[str, int]:
    _, name, port = parse_address(host.address)
    return name, port
