"""Checking each blob uploaded to an SSH lab store against its name, while the upload goes on.

rsync already guarantees that the host's copy is the bytes that were sent: the receiver writes a
temp file, compares rsync's whole-file checksum of what arrived with the sender's and renames the
file into place only when they match (a mismatch is sent again, then reported). What remains to
check is that those bytes are the ones the name promises, and that is done by a full hash pass,
overlapped with the transfer:

- SHA-256 blobs (artifacts, model files) are hashed on the host, after they are in place. One
  process on the host reads blob paths from stdin, waits for each to be renamed into place (the
  sender counts a blob as sent a moment before the host renames it), hashes it and writes
  ``<hex> <path>`` back. Where the host has ``python3`` (any 3.x) that process is one Python
  reading in 1 MiB blocks through :mod:`hashlib`, i.e. OpenSSL, which uses the CPU's SHA
  instructions: about five times less CPU than coreutils' ``sha256sum`` (0.4 s against 2.5 s
  of CPU for 512 MB on the development machine) and no process started per blob. A host without
  Python falls back to a ``sha256sum`` loop.
- BLAKE3 blobs (dataset snapshot files) are hashed here, from the file rsync sent, since hosts
  rarely have BLAKE3; with rsync's checksum this proves the host's copy hashes to its name too.

A blob that fails is removed from the store by the caller and the sync reports it.
"""

from __future__ import annotations

import queue
import shlex
import subprocess
import threading
from pathlib import Path

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.store.blobs import ARTIFACTS, DATASETS, BlobKey, hash_of

WAIT_S = 60  # how long the host waits for a named blob to be renamed into place
_TRIES = WAIT_S * 20  # of 50 ms

_PYTHON = f"""
import hashlib, os, sys, time
for line in sys.stdin:
    name = line.rstrip("\\n")
    waited = 0
    while not os.path.isfile(name) and waited < {_TRIES}:
        time.sleep(0.05)
        waited += 1
    digest = hashlib.sha256()
    try:
        with open(name, "rb") as fh:
            while True:
                block = fh.read(1 << 20)
                if not block:
                    break
                digest.update(block)
    except OSError:
        continue
    sys.stdout.write(digest.hexdigest() + " " + name + "\\n")
    sys.stdout.flush()
"""

_SHELL = (
    f'while IFS= read -r f; do n=0; while [ ! -f "$f" ] && [ $n -lt {_TRIES} ]; do '
    'sleep 0.05; n=$((n+1)); done; sha256sum -- "$f"; done'
)


class RemoteSha256:
    """The hashing process on the host of ``client``, in the store folder ``root``."""

    def __init__(self, client: SshClient, root: str, python: bool = True) -> None:
        """``python``: False forces the ``sha256sum`` loop (to test it)."""
        has_python = "command -v python3 >/dev/null 2>&1" if python else "false"
        script = (
            f"cd {shlex.quote(root)} && if {has_python}; "
            f"then exec python3 -c {shlex.quote(_PYTHON)}; else {_SHELL}; fi"
        )
        self.proc = subprocess.Popen(
            client.argv(shlex.join(["sh", "-c", script])),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lines: list[bytes] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        self.lines.extend(self.proc.stdout)

    def check(self, key: BlobKey) -> None:
        """Have the host hash ``key`` once it is in place."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(f"{key.rel}\n".encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # the connection went: what was not hashed counts as not intact

    def stop(self) -> None:
        """End the host's process at once (the upload failed or was cancelled)."""
        self.proc.kill()
        self.proc.wait()

    def finish(self, timeout: float) -> set[str]:
        """Wait for the last hash; the hex hashes the host read back matching their blob's
        name."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()  # the loop ends after the last path
            except OSError:
                pass
        self.reader.join(timeout=timeout)
        self.proc.wait(timeout=60)
        good = set()
        for line in self.lines:
            digest, _, rel = line.decode("utf-8", "replace").strip().partition(" ")
            key = BlobKey.of_rel(rel.strip().lstrip("*"))
            if key is not None and key.hex == digest:
                good.add(key.hex)
        return good


class LocalBlake3:
    """Hashes dataset blobs of the home on a thread, as rsync names them."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.todo: queue.SimpleQueue[BlobKey | None] = queue.SimpleQueue()
        self.good: set[str] = set()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (key := self.todo.get()) is not None:
            try:
                if hash_of(DATASETS, self.home / key.rel) == key.hex:
                    self.good.add(key.hex)
            except OSError:
                continue  # gone from the home: counts as not intact

    def finish(self, timeout: float) -> set[str]:
        self.todo.put(None)
        self.thread.join(timeout=timeout)
        return set(self.good)


class UploadCheck:
    """Every uploaded blob checked against its name: SHA-256 ones on the host, BLAKE3 ones
    here (see the module's docstring); started lazily, so an upload of one kind starts no
    checker of the other."""

    def __init__(self, client: SshClient, root: str, home: Path) -> None:
        self.client, self.root, self.home = client, root, home
        self.remote: RemoteSha256 | None = None
        self.local: LocalBlake3 | None = None

    def check(self, key: BlobKey) -> None:
        """Check ``key``, which rsync has just sent."""
        if key.kind == ARTIFACTS:
            if self.remote is None:
                self.remote = RemoteSha256(self.client, self.root)
            self.remote.check(key)
        else:
            if self.local is None:
                self.local = LocalBlake3(self.home)
            self.local.todo.put(key)

    def stop(self) -> None:
        """The upload failed or was cancelled: stop checking."""
        if self.remote is not None:
            self.remote.stop()
        if self.local is not None:
            self.local.todo.put(None)

    def finish(self, timeout: float) -> set[str]:
        """The hex hashes of the blobs that proved intact."""
        good: set[str] = set()
        if self.remote is not None:
            good |= self.remote.finish(timeout)
        if self.local is not None:
            good |= self.local.finish(timeout)
        return good
