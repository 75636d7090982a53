"""The app's own known_hosts: new keys are confirmed by a person, changed keys are refused.

A host's offered keys come from ``ssh-keyscan``; fingerprints are written as ``ssh-keygen -lf``
writes them (``SHA256:`` and the unpadded base64 of the key blob's SHA-256). The file has the
OpenSSH format, so ``ssh -o UserKnownHostsFile=...`` with ``StrictHostKeyChecking=yes`` uses it
directly; entries for ports other than 22 are written ``[host]:port``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import subprocess
from pathlib import Path

from mlops_desktop.core.errors import HostError, HostKeyChanged, HostKeyUnconfirmed
from mlops_desktop.tracking.atomic import write_text_atomic

PROG = "mlops-desktop"  # the command line's name (pyproject's [project.scripts])
# ssh's own preference among the key types a server offers
_PREFERENCE = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")

HostKey = tuple[str, str, str]  # (key type, base64 key, "SHA256:...")


def fingerprint(key_b64: str) -> str:
    """``SHA256:...`` of a base64 public key blob, as ``ssh-keygen -lf`` prints it."""
    try:
        blob = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HostError("A host key is not valid base64.") from exc
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def host_pattern(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def _rank(keytype: str) -> int:
    return _PREFERENCE.index(keytype) if keytype in _PREFERENCE else len(_PREFERENCE)


def scan_host_key(host: str, port: int = 22, timeout: int = 5) -> list[HostKey]:
    """The keys ``host`` offers, preferred type first, via ``ssh-keyscan -p PORT -T 5 HOST``.

    Raises:
        HostError: ssh-keyscan is missing or the host offered no key (unreachable).
    """
    if host.startswith("-"):
        raise HostError(f"{host!r} is not a host name.")
    try:
        proc = subprocess.run(
            ["ssh-keyscan", "-p", str(port), "-T", str(timeout), host],
            capture_output=True,
            text=True,
            timeout=timeout * 3 + 5,
            check=False,
        )
    except FileNotFoundError as exc:
        raise HostError("ssh-keyscan (OpenSSH client) is not installed.") from exc
    except subprocess.TimeoutExpired as exc:
        raise HostError(f"{host}:{port} did not offer a host key in time.") from exc
    keys: list[HostKey] = []
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) < 3 or line.startswith("#"):
            continue
        entry = (parts[1], parts[2], fingerprint(parts[2]))
        if entry not in keys:
            keys.append(entry)
    if not keys:
        why = proc.stderr.strip().splitlines()
        raise HostError(
            f"{host}:{port} offered no SSH host key (unreachable?)"
            + (f": {why[-1]}" if why and not why[-1].startswith("#") else "")
        )
    return sorted(keys, key=lambda k: _rank(k[0]))


def _matches(field: str, pattern: str) -> bool:
    """Whether a known_hosts host field (comma list, maybe hashed) names ``pattern``."""
    for name in field.split(","):
        if name.startswith("|1|"):
            try:
                _, _, salt, want = name.split("|")
                mac = hmac.new(base64.b64decode(salt), pattern.encode(), hashlib.sha1).digest()
                if hmac.compare_digest(base64.b64encode(mac).decode(), want):
                    return True
            except (ValueError, binascii.Error):
                continue
        elif name == pattern:
            return True
    return False


class KnownHosts:
    """The known_hosts file at ``path`` (``HOME/ssh/known_hosts``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text().splitlines()
        except FileNotFoundError:
            return []

    def lookup(self, host: str, port: int = 22) -> list[tuple[str, str]]:
        """Stored (key type, base64 key) pairs of ``host:port``."""
        pattern = host_pattern(host, port)
        found = []
        for line in self._lines():
            parts = line.split()
            if len(parts) < 3 or parts[0].startswith(("#", "@")):
                continue
            if _matches(parts[0], pattern):
                found.append((parts[1], parts[2]))
        return found

    def add(self, host: str, port: int, keytype: str, key: str) -> None:
        """Append a key for ``host:port`` (atomic rewrite, mode 600)."""
        fingerprint(key)  # validates
        if (keytype, key) in self.lookup(host, port):
            return
        if not keytype or any(c.isspace() or c == "," for c in keytype + host):
            raise HostError(f"Refusing a malformed known_hosts entry for {host!r}.")
        self._write([*self._lines(), f"{host_pattern(host, port)} {keytype} {key}"])

    def remove(self, host: str, port: int = 22) -> int:
        """Forget every key of ``host:port``; how many entries were removed."""
        pattern = host_pattern(host, port)
        lines = self._lines()
        kept = [ln for ln in lines if not (ln.split() and _matches(ln.split()[0], pattern))]
        if len(kept) != len(lines):
            self._write(kept)
        return len(lines) - len(kept)

    def replace(self, host: str, port: int, keytype: str, key: str) -> None:
        """Make ``keytype key`` the only stored key of ``host:port``."""
        fingerprint(key)  # validates before anything is forgotten
        self.remove(host, port)
        self.add(host, port, keytype, key)

    def _write(self, lines: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text_atomic(self.path, "".join(ln + "\n" for ln in lines), mode=0o600)

    def check(
        self,
        host: str,
        port: int = 22,
        offered: list[HostKey] | None = None,
        name: str | None = None,
    ) -> str:
        """The fingerprint of the stored key the host offers now (``name``: the app's name of
        the host, for the command a changed key's message gives).

        Raises:
            HostKeyUnconfirmed: the host is not known yet (carries the offered fingerprint).
            HostKeyChanged: the host offers a key different from the stored one (the message
                shows both fingerprints).
            HostError: the host offered no key.
        """
        offered = offered if offered is not None else scan_host_key(host, port)
        stored = self.lookup(host, port)
        label = host_pattern(host, port)
        if not stored:
            fp = offered[0][2]
            raise HostKeyUnconfirmed(
                f"{label} is a new host; its {offered[0][0]} key fingerprint is {fp}. "
                f"Confirm it (--accept-host-key {fp}) only if it matches the host's own.",
                fp,
            )
        for keytype, key, fp in offered:
            if (keytype, key) in stored:
                return fp
        old, new = changed_fingerprints(stored, offered)
        raise HostKeyChanged(changed_key_message(label, name, old, new), old, new)

    def confirm(self, host: str, port: int, fp: str, name: str | None = None) -> str:
        """Store the host's key when ``fp`` equals the fingerprint the host offers now.

        Raises:
            HostError: ``fp`` is not the offered fingerprint (nothing is stored).
            HostKeyChanged: the host is known with another key.
        """
        offered = scan_host_key(host, port)
        try:
            return self.check(host, port, offered, name)
        except HostKeyUnconfirmed:
            pass
        match = [k for k in offered if k[2] == fp.strip()]
        if not match:
            shown = ", ".join(k[2] for k in offered)
            raise HostError(
                f"The fingerprint {fp} does not match the key {host_pattern(host, port)} "
                f"offers ({shown}); nothing was stored."
            )
        self.add(host, port, match[0][0], match[0][1])
        return match[0][2]


def changed_fingerprints(stored: list[tuple[str, str]], offered: list[HostKey]) -> tuple[str, str]:
    """(stored, offered) fingerprints to compare: the same key type when there is one."""
    same_type = [k for k in stored if k[0] in {o[0] for o in offered}] or stored
    old = fingerprint(same_type[0][1])
    new = next((k[2] for k in offered if k[0] == same_type[0][0]), offered[0][2])
    return old, new


def changed_key_message(label: str, name: str | None, old: str, new: str) -> str:
    """The one sentence of a changed host key: both fingerprints and the command to accept it."""
    return (
        f"The host key of {label} has CHANGED: stored {old}, offered now {new}; refused, as "
        "someone may be intercepting the connection. If the host was reinstalled and the new "
        f"key is right, run `{PROG} hosts rekey {name or 'NAME'} --accept-host-key {new}`."
    )
